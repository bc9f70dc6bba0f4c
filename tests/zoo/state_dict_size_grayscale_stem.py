"""Reusing RGB-pretrained weights for a grayscale model: the stem conv is [16, 3, 3, 3] in the
checkpoint and [16, 1, 3, 3] in the model built with in_channels=1.

[truth]
family = "state_dict_size"
numbers = { param = "stem.weight", ckpt_shape = [16, 3, 3, 3], model_shape = [16, 1, 3, 3] }
culprit = "net.load_state_dict(pretrained)"
fix_values = { in_channels = 3 }
"""
import io

import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, in_channels=3):
        super().__init__()
        self.stem = nn.Conv2d(in_channels, 16, 3, padding=1)
        self.body = nn.Sequential(nn.ReLU(), nn.Conv2d(16, 32, 3, stride=2), nn.ReLU())

    def forward(self, x):
        return self.body(self.stem(x))


file = io.BytesIO()
torch.save(Encoder().state_dict(), file)
file.seek(0)

net = Encoder(in_channels=1)
pretrained = torch.load(file)
net.load_state_dict(pretrained)
