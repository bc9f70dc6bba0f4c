"""VGG-style feature extractor: a BatchNorm2d written with the previous stage's channels.

[truth]
family = "batchnorm"
numbers = { channels = 128, num_features = 64 }
culprit = "nn.BatchNorm2d(64),"
fix_values = { num_features = 128 }
"""
import torch
import torch.nn as nn


class SmallVGG(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 3, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(128, num_classes)

    def forward(self, x):
        x = self.features(x)
        return self.classifier(torch.flatten(x, 1))


model = SmallVGG()
images = torch.randn(4, 3, 32, 32)
logits = model(images)
