"""A dataset that decodes PNGs with their alpha channel, into a model built for RGB.

[truth]
family = "conv_in_channels"
numbers = { weight = [16, 3, 3, 3], input = [4, 4, 32, 32], expected_channels = 3, got_channels = 4 }
culprit = "pixels = np.random.rand(32, 32, 4).astype(np.float32)"
fix_values = { in_channels = 4 }
"""
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class IconDataset(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, index):
        # stands in for np.asarray(Image.open(path)) on an RGBA PNG
        pixels = np.random.rand(32, 32, 4).astype(np.float32)
        return torch.from_numpy(pixels).permute(2, 0, 1), index % 2


classifier = nn.Sequential(
    nn.Conv2d(3, 16, 3, padding=1),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
    nn.Linear(16, 2),
)
for icons, labels in DataLoader(IconDataset(), batch_size=4):
    out = classifier(icons)
