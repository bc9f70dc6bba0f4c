"""A bottleneck block whose identity shortcut keeps 64 channels while the branch outputs 256.

[truth]
family = "broadcast"
numbers = { a = 256, b = 64, dim = 1 }
culprit = "out = out + identity"
fix_values = { shortcut_in = 64, shortcut_out = 256 }
"""
import torch
import torch.nn as nn


class Bottleneck(nn.Module):
    def __init__(self, in_planes, planes, expansion=4):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * expansion)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out = out + identity
        return self.relu(out)


block = Bottleneck(64, 64)
y = block(torch.randn(2, 64, 56, 56))
