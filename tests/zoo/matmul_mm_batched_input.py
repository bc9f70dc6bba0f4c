"""A custom projection layer that uses torch.mm, fed a batch of sequences [B, T, d]: mm only
takes 2-D matrices.

[truth]
family = "matmul"
numbers = { arg = "self" }
culprit = "return torch.mm(x, self.weight) + self.bias"
"""

import torch
import torch.nn as nn


class Projection(nn.Module):
    def __init__(self, d_in=8, d_out=4):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(d_in, d_out) * 0.1)
        self.bias = nn.Parameter(torch.zeros(d_out))

    def forward(self, x):
        return torch.mm(x, self.weight) + self.bias


proj = Projection()
sequences = torch.randn(3, 5, 8)
out = proj(sequences)
