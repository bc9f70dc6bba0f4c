"""Multi-head self-attention that merges the heads back with view() after a transpose.

[truth]
family = "view_stride"
culprit = "out = out.transpose(1, 2).view(b, t, c)"
fix_values = { method = "reshape" }
"""

import torch
import torch.nn as nn


class SelfAttention(nn.Module):
    def __init__(self, dim=16, heads=4):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.out = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q = q.view(b, t, self.heads, c // self.heads).transpose(1, 2)
        k = k.view(b, t, self.heads, c // self.heads).transpose(1, 2)
        v = v.view(b, t, self.heads, c // self.heads).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / (c // self.heads) ** 0.5
        out = att.softmax(dim=-1) @ v
        out = out.transpose(1, 2).view(b, t, c)
        return self.out(out)


block = SelfAttention()
tokens = torch.randn(2, 5, 16)
print(block(tokens).shape)
