"""A small ResNet-style backbone with 512 channels before global pooling, given the classifier
head copied from a ResNet-50 (2048 features).

[truth]
family = "linear_in_features"
numbers = { mat1_rows = 2, mat1_cols = 512, mat2_rows = 2048, mat2_cols = 7 }
culprit = "self.fc = nn.Linear(2048, num_classes)"
fix_values = { in_features = 512 }
"""

import torch
import torch.nn as nn


def stage(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class SmallResNet(nn.Module):
    def __init__(self, num_classes=7):
        super().__init__()
        self.body = nn.Sequential(stage(3, 64), stage(64, 128), stage(128, 256), stage(256, 512))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x):
        x = self.avgpool(self.body(x))
        x = torch.flatten(x, 1)
        return self.fc(x)


model = SmallResNet().eval()
with torch.no_grad():
    logits = model(torch.randn(2, 3, 32, 32))
