"""LeNet written for 32x32 inputs, with a hand-written flatten, fed 64x64 images from a
DataLoader: 4 x 16 x 13 x 13 = 10,816 values do not split into rows of 400.

[truth]
family = "view_invalid_size"
numbers = { shape = [-1, 400], input_size = 10816 }
culprit = "x = x.view(-1, 16 * 5 * 5)"
fix_values = { in_features = 2704 }
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


dataset = TensorDataset(torch.randn(8, 3, 64, 64), torch.randint(0, 10, (8,)))
loader = DataLoader(dataset, batch_size=4)
net = LeNet()
for images, labels in loader:
    outputs = net(images)
    loss = F.cross_entropy(outputs, labels)
    break
