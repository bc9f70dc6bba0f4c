"""A VGG-style net whose second stage's first conv was written for a wider first stage.

[truth]
family = "conv_in_channels"
numbers = { weight = [128, 128, 3, 3], input = [4, 64, 16, 16], expected_channels = 128, got_channels = 64 }
culprit = "self.conv2_1 = nn.Conv2d(128, 128, 3, padding=1)"
fix_values = { in_channels = 64 }
"""
import torch
import torch.nn as nn


class TinyVGG(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.conv1_1 = nn.Conv2d(3, 64, 3, padding=1)
        self.conv1_2 = nn.Conv2d(64, 64, 3, padding=1)
        self.conv2_1 = nn.Conv2d(128, 128, 3, padding=1)
        self.conv2_2 = nn.Conv2d(128, 128, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.relu = nn.ReLU(inplace=True)
        self.head = nn.Linear(128, num_classes)

    def forward(self, x):
        x = self.relu(self.conv1_1(x))
        x = self.pool(self.relu(self.conv1_2(x)))
        x = self.relu(self.conv2_1(x))
        x = self.pool(self.relu(self.conv2_2(x)))
        return self.head(x.mean(dim=(2, 3)))


net = TinyVGG()
scores = net(torch.randn(4, 3, 32, 32))
