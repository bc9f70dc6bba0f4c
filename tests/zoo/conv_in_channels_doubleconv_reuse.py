"""A U-Net DoubleConv whose second conv reuses in_channels instead of out_channels.

[truth]
family = "conv_in_channels"
numbers = { weight = [64, 3, 3, 3], input = [4, 64, 158, 158], expected_channels = 3, got_channels = 64 }
culprit = "nn.Conv2d(in_channels, out_channels, kernel_size=3),"
culprit_occurrence = 2
fix_values = { in_channels = 64 }
"""
import torch
import torch.nn as nn


class DoubleConv(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.double_conv = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size=3),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(in_channels, out_channels, kernel_size=3),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.double_conv(x)


block = DoubleConv(3, 64)
batch = torch.randn(4, 3, 160, 160)
out = block(batch)
