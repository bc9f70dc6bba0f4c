"""An encoder with five 2×2 max pools fed 16-pixel patches: the map is 1×1 before the last pool.

[truth]
family = "kernel_too_large"
numbers = { input = [64, 1, 1], output = [64, 0, 0] }
culprit = "self.pool = nn.MaxPool2d(2)"
fix_values = { min_input_size = 32 }
"""
import torch
import torch.nn as nn


class PatchEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = self.pool(torch.relu(self.conv3(x)))
        x = self.pool(x)
        x = self.pool(x)
        return x.flatten(1)


encoder = PatchEncoder()
patches = torch.randn(4, 3, 16, 16)
codes = encoder(patches)
