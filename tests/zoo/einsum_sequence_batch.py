"""A bilinear projection written for [N, D] inputs, applied to a [N, T, D] sequence.

[truth]
family = "einsum"
numbers = { subscripts = 2, ndim = 3, operand = 0 }
culprit = "return torch.einsum(\"nd,de->ne\", x, self.weight)"
fix_values = { equation = "...nd,de->...ne" }
"""
import torch
import torch.nn as nn


class Projection(nn.Module):
    def __init__(self, dim=16, out=8):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(dim, out) / dim ** 0.5)

    def forward(self, x):
        return torch.einsum("nd,de->ne", x, self.weight)


encoder = nn.GRU(4, 16, batch_first=True)
states, _ = encoder(torch.randn(2, 7, 4))
projected = Projection()(states)
