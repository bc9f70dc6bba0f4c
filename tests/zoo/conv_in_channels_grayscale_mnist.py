"""A CIFAR-10 CNN reused for MNIST: the first conv still expects 3 (RGB) channels.

[truth]
family = "conv_in_channels"
numbers = { weight = [32, 3, 3, 3], input = [16, 1, 28, 28], expected_channels = 3, got_channels = 1 }
culprit = "self.conv1 = nn.Conv2d(3, 32, kernel_size=3, padding=1)"
fix_values = { in_channels = 1 }
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class SmallCNN(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(64 * 7 * 7, num_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        return self.fc(torch.flatten(x, 1))


digits = TensorDataset(torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,)))
loader = DataLoader(digits, batch_size=16, shuffle=True)
model = SmallCNN()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
for images, labels in loader:
    optimizer.zero_grad()
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    optimizer.step()
