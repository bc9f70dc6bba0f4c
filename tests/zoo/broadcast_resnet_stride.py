"""A ResNet basic block that downsamples with stride 2 but adds the full-size identity back.

[truth]
family = "broadcast"
numbers = { a = 16, b = 32, dim = 3 }
culprit = "out += identity"
fix_values = { stride = 2 }
"""
import torch
import torch.nn as nn


class BasicBlock(nn.Module):
    def __init__(self, channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        return self.relu(out)


stage = nn.Sequential(BasicBlock(16), BasicBlock(16, stride=2))
features = stage(torch.randn(2, 16, 32, 32))
