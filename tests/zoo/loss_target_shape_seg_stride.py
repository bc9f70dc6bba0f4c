"""Encoder with output stride 4 trained against full-resolution masks (no upsampling).

[truth]
family = "loss_target_shape"
numbers = { input_shape = [2, 5, 16, 16], target_shape = [2, 64, 64] }
culprit = "loss = criterion(logits, masks)"
fix_values = { input_shape = [2, 5, 64, 64] }
"""
import torch
import torch.nn as nn


class StridedSegNet(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        )
        self.classifier = nn.Conv2d(32, num_classes, kernel_size=1)

    def forward(self, x):
        return self.classifier(self.encoder(x))


model = StridedSegNet()
criterion = nn.CrossEntropyLoss()
images = torch.randn(2, 3, 64, 64)
masks = torch.randint(0, 5, (2, 64, 64))
logits = model(images)
loss = criterion(logits, masks)
