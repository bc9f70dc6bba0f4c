"""A 1-D audio block calling F.group_norm with a group count that does not divide its channels.

[truth]
family = "groupnorm"
numbers = { input_shape = [2, 6, 50], num_groups = 4 }
culprit = "x = F.group_norm(x, self.groups)"
fix_values = { num_groups = 3 }
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class AudioBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 6, kernel_size=5, padding=2)
        self.groups = 4

    def forward(self, x):
        x = self.conv(x)
        x = F.group_norm(x, self.groups)
        return F.gelu(x)


wave = torch.randn(2, 1, 50)
out = AudioBlock()(wave)
