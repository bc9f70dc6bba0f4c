"""LeNet-5 written for 32x32 inputs, fed 64x64 images.

[truth]
family = "linear_in_features"
numbers = { mat1_rows = 1, mat1_cols = 2704, mat2_rows = 400, mat2_cols = 120 }
culprit = "self.fc1 = nn.Linear(16 * 5 * 5, 120)"
fix_values = { in_features = 2704 }
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


net = LeNet()
image = torch.randn(1, 1, 64, 64)
print(net(image).shape)
