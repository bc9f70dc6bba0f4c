"""A classifier with a BatchNorm1d head, asked to predict one image while still in train mode.

[truth]
family = "batchnorm"
numbers = { input_shape = [1, 64] }
culprit = "prediction = model(image.unsqueeze(0))"
fix_values = { eval = true }
"""
import torch
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(3, 64, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.neck = nn.Sequential(nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU())
        self.fc = nn.Linear(64, 5)

    def forward(self, x):
        return self.fc(self.neck(self.backbone(x)))


model = Classifier()
image = torch.rand(3, 48, 48)
prediction = model(image.unsqueeze(0))
print(prediction.argmax(1))
