"""A MobileNetV2 inverted residual whose depthwise conv ignores the expansion.

[truth]
family = "conv_in_channels"
numbers = { weight = [16, 1, 3, 3], input = [2, 96, 8, 8], expected_channels = 16, got_channels = 96, groups = 16 }
culprit = "nn.Conv2d(in_ch, in_ch, 3, padding=1, groups=in_ch, bias=False),"
fix_values = { in_channels = 96 }
"""
import torch
import torch.nn as nn


class InvertedResidual(nn.Module):
    def __init__(self, in_ch, expand=6):
        super().__init__()
        hidden = in_ch * expand
        self.block = nn.Sequential(
            nn.Conv2d(in_ch, hidden, 1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(in_ch, in_ch, 3, padding=1, groups=in_ch, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, in_ch, 1, bias=False),
            nn.BatchNorm2d(in_ch),
        )

    def forward(self, x):
        return x + self.block(x)


layer = InvertedResidual(16)
features = layer(torch.randn(2, 16, 8, 8))
