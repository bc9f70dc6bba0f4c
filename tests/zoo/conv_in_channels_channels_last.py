"""Images loaded as NHWC (PIL/numpy layout) fed straight to a Conv2d.

[truth]
family = "conv_in_channels"
numbers = { weight = [16, 3, 3, 3], input = [8, 64, 64, 3], expected_channels = 3, got_channels = 64 }
culprit = "logits = model(images)"
fix_values = { permute = [0, 3, 1, 2] }
"""
import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Conv2d(3, 16, kernel_size=3, padding=1),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
    nn.Linear(16, 10),
)
images = torch.rand(8, 64, 64, 3)
logits = model(images)
