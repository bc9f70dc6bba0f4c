"""Scaled dot-product attention written by hand, with the keys not transposed: [B, T, d] @
[B, T, d] is a batched product whose inner sizes (d vs T) differ.

[truth]
family = "matmul"
numbers = { exp_batch = 2, exp_inner = 16, got_batch = 2, got_inner = 5 }
culprit = "scores = torch.bmm(q, k) / math.sqrt(q.size(-1))"
fix_values = { inner = 16 }
"""

import math

import torch
import torch.nn as nn


class DotAttention(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)

    def forward(self, x):
        q, k, v = self.q(x), self.k(x), self.v(x)
        scores = torch.bmm(q, k) / math.sqrt(q.size(-1))
        return torch.bmm(scores.softmax(dim=-1), v)


attn = DotAttention()
out = attn(torch.randn(2, 5, 16))
