"""ViT patch embedding that flattens the conv output but forgets to move the channels last.

[truth]
family = "layernorm"
numbers = { normalized_shape = [96], input_shape = [2, 96, 16] }
culprit = "x = self.proj(x).flatten(2)"
fix_values = { transpose = [1, 2] }
"""
import torch
import torch.nn as nn


class PatchEmbed(nn.Module):
    def __init__(self, patch=8, in_chans=3, embed_dim=96):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch, stride=patch)
        self.norm = nn.LayerNorm(embed_dim)

    def forward(self, x):
        x = self.proj(x).flatten(2)
        return self.norm(x)


tokens = PatchEmbed()(torch.randn(2, 3, 32, 32))
