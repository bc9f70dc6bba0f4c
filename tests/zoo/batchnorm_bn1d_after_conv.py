"""A BatchNorm1d placed after a Conv2d: the 4-D feature map needs BatchNorm2d.

[truth]
family = "batchnorm"
numbers = { got = 4 }
culprit = "nn.BatchNorm1d(16),"
fix_values = { layer = "BatchNorm2d" }
"""
import torch
import torch.nn as nn

encoder = nn.Sequential(
    nn.Conv2d(1, 16, kernel_size=5, padding=2),
    nn.BatchNorm1d(16),
    nn.ReLU(),
    nn.MaxPool2d(2),
)
digits = torch.randn(8, 1, 28, 28)
codes = encoder(digits)
