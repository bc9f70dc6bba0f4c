"""MNIST digits stacked as [N, 28, 28]: a conv2d reads the unbatched [C, H, W] and sees 16 channels.

[truth]
family = "conv_in_channels"
numbers = { weight = [8, 1, 5, 5], input = [1, 16, 28, 28], expected_channels = 1, got_channels = 16 }
culprit = "logits = model(images)"
fix_values = { unsqueeze = 1 }
"""
import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Conv2d(1, 8, kernel_size=5),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(8 * 12 * 12, 10),
)

raw = torch.randint(0, 256, (16, 28, 28), dtype=torch.uint8)
images = raw.float() / 255.0
logits = model(images)
