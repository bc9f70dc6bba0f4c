"""Segmentation masks stored with a channel dimension, fed to CrossEntropyLoss.

[truth]
family = "loss_target_shape"
numbers = { target_dim = 4 }
culprit = "self.masks = torch.randint(0, 3, (n, 1, 32, 32))"
fix_values = { target_shape = [4, 32, 32] }
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class RoadScenes(Dataset):
    def __init__(self, n=8):
        self.images = torch.randn(n, 3, 32, 32)
        self.masks = torch.randint(0, 3, (n, 1, 32, 32))

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.images[i], self.masks[i]


class TinyFCN(nn.Module):
    def __init__(self, num_classes=3):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
        )
        self.head = nn.Conv2d(16, num_classes, 1)

    def forward(self, x):
        return self.head(self.body(x))


loader = DataLoader(RoadScenes(), batch_size=4)
model = TinyFCN()
criterion = nn.CrossEntropyLoss()
for images, masks in loader:
    out = model(images)
    loss = criterion(out, masks)
