"""ConvNeXt-style block applying nn.LayerNorm(dim) directly to an NCHW feature map.

[truth]
family = "layernorm"
numbers = { normalized_shape = [64], input_shape = [2, 64, 14, 14] }
culprit = "self.norm = nn.LayerNorm(dim)"
fix_values = { permute = [0, 2, 3, 1] }
"""
import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, dim=64):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim)
        self.pwconv = nn.Conv2d(dim, 4 * dim, 1)
        self.act = nn.GELU()
        self.proj = nn.Conv2d(4 * dim, dim, 1)

    def forward(self, x):
        shortcut = x
        x = self.dwconv(x)
        x = self.norm(x)
        x = self.proj(self.act(self.pwconv(x)))
        return shortcut + x


stage = nn.Sequential(Block(), Block())
out = stage(torch.randn(2, 64, 14, 14))
