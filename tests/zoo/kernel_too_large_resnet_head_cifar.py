"""A ResNet-style classifier with ImageNet's fixed 7×7 average pool, trained on 32-pixel CIFAR.

[truth]
family = "kernel_too_large"
numbers = { input = [256, 2, 2], output = [256, -4, -4] }
culprit = "self.avgpool = nn.AvgPool2d(7, stride=1)"
fix_values = { adaptive_output_size = 1 }
"""
import torch
import torch.nn as nn


def stage(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class MiniResNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Conv2d(3, 32, 7, stride=2, padding=3)
        self.layers = nn.Sequential(stage(32, 64), stage(64, 128), stage(128, 256))
        self.avgpool = nn.AvgPool2d(7, stride=1)
        self.fc = nn.Linear(256, num_classes)

    def forward(self, x):
        x = self.layers(self.stem(x))
        x = self.avgpool(x)
        return self.fc(torch.flatten(x, 1))


net = MiniResNet()
cifar_batch = torch.randn(8, 3, 32, 32)
logits = net(cifar_batch)
