"""A diffusion UNet block using GroupNorm(32, ch) on a 48-channel stage.

[truth]
family = "groupnorm"
numbers = { num_channels = 48, num_groups = 32 }
culprit = "self.norm = nn.GroupNorm(32, out_ch)"
fix_values = { num_groups = 24 }
"""
import torch.nn as nn


class ResBlock(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.norm = nn.GroupNorm(32, out_ch)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.norm(self.conv(x)))


channels = [3, 48, 96, 192]
blocks = nn.ModuleList(ResBlock(a, b) for a, b in zip(channels[:-1], channels[1:]))
