"""A ViT-style model expands its class token to the MLP width instead of the embedding width.

[truth]
family = "expand"
numbers = { expanded = 128, existing = 64, dim = 2 }
culprit = "cls = self.cls_token.expand(b, 1, self.hidden_dim)"
fix_values = { target_size = 64 }
"""
import torch
import torch.nn as nn


class TinyViT(nn.Module):
    def __init__(self, embed_dim=64, hidden_dim=128, patch=8):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.patchify = nn.Conv2d(3, embed_dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.mlp = nn.Sequential(nn.Linear(embed_dim, hidden_dim), nn.GELU(),
                                 nn.Linear(hidden_dim, 10))

    def forward(self, images):
        x = self.patchify(images).flatten(2).transpose(1, 2)
        b = x.shape[0]
        cls = self.cls_token.expand(b, 1, self.hidden_dim)
        x = torch.cat([cls, x], dim=1)
        return self.mlp(x[:, 0])


logits = TinyViT()(torch.randn(4, 3, 32, 32))
