"""Self-attention masks [N, H, T, T] scores with a [N, T] padding mask that was not unsqueezed.

[truth]
family = "broadcast"
numbers = { a = 2, b = 6, dim = 2 }
culprit = "scores = scores.masked_fill(pad_mask == 0, float(\"-inf\"))"
"""
import torch
import torch.nn as nn


class SelfAttention(nn.Module):
    def __init__(self, dim=16, heads=4):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)

    def forward(self, x, pad_mask):
        n, t, c = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q = q.view(n, t, self.heads, -1).transpose(1, 2)
        k = k.view(n, t, self.heads, -1).transpose(1, 2)
        v = v.view(n, t, self.heads, -1).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / (c // self.heads) ** 0.5
        scores = scores.masked_fill(pad_mask == 0, float("-inf"))
        return (scores.softmax(-1) @ v).transpose(1, 2).reshape(n, t, c)


x = torch.randn(2, 6, 16)
pad_mask = torch.ones(2, 6)
pad_mask[1, 4:] = 0
y = SelfAttention()(x, pad_mask)
