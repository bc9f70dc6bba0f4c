"""A hand-written running mean updated in place with a keepdim=True batch mean.

[truth]
family = "broadcast"
numbers = { out_shape = [16], broadcast_shape = [1, 16] }
culprit = "batch_mean = x.mean(0, keepdim=True)"
fix_values = { operand_shape = [16] }
"""
import torch
import torch.nn as nn


class RunningNorm(nn.Module):
    def __init__(self, features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("running_mean", torch.zeros(features))

    def forward(self, x):
        if self.training:
            batch_mean = x.mean(0, keepdim=True)
            self.running_mean *= 1 - self.momentum
            self.running_mean += self.momentum * batch_mean
        return x - self.running_mean


norm = RunningNorm(16)
for step in range(2):
    out = norm(torch.randn(8, 16))
