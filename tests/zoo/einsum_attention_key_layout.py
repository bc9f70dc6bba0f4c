"""Attention scores with einsum where the key's letters are written in the wrong order.

[truth]
family = "einsum"
numbers = { subscript = "d", size = 6, operand = 1, previous_size = 8 }
culprit = "scores = torch.einsum(\"bhqd,bhdk->bhqk\", q, k)"
fix_values = { subscript_size = 8 }
"""
import torch
import torch.nn as nn


class Attention(nn.Module):
    def __init__(self, dim=32, heads=4):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        scores = torch.einsum("bhqd,bhdk->bhqk", q, k)
        attn = scores.softmax(-1)
        return torch.einsum("bhqk,bhkd->bhqd", attn, v).transpose(1, 2).reshape(b, t, c)


out = Attention()(torch.randn(2, 6, 32))
