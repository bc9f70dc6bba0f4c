"""A residual block that adds the shortcut in place onto the ReLU output autograd saved.

[truth]
family = "other"
numbers = { shape = [2, 8, 6, 6], version = 1, expected_version = 0 }
culprit = "out += identity"
fix_values = { inplace = false }
"""
import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, ch=8):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)
        self.act = nn.ReLU()

    def forward(self, x):
        identity = x
        out = self.act(self.conv(x))
        out += identity
        return out


model = nn.Sequential(Block(), Block())
loss = model(torch.randn(2, 8, 6, 6)).pow(2).mean()
loss.backward()
