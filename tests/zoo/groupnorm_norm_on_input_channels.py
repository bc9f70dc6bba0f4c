"""A downsampling block whose GroupNorm is built with the block's input channels.

[truth]
family = "groupnorm"
numbers = { weight_shape = [32], input_shape = [2, 64, 8, 8] }
culprit = "self.norm = nn.GroupNorm(8, in_ch)"
fix_values = { num_channels = 64 }
"""
import torch
import torch.nn as nn


class Down(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, stride=2, padding=1)
        self.norm = nn.GroupNorm(8, in_ch)

    def forward(self, x):
        return torch.relu(self.norm(self.conv(x)))


encoder = nn.Sequential(Down(32, 64), Down(64, 128))
feats = encoder(torch.randn(2, 32, 16, 16))
