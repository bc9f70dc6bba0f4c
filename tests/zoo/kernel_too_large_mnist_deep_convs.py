"""A CNN designed for 64-pixel images (three 5×5 convs, two pools) trained on 28-pixel MNIST.

[truth]
family = "kernel_too_large"
numbers = { padded_input = [4, 4], kernel = [5, 5] }
culprit = "self.conv3 = nn.Conv2d(64, 128, 5)"
fix_values = { min_input_size = 32 }
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class DeepCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5)
        self.conv2 = nn.Conv2d(32, 64, 5)
        self.conv3 = nn.Conv2d(64, 128, 5)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = F.relu(self.conv3(x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


mnist = TensorDataset(torch.rand(32, 1, 28, 28), torch.randint(0, 10, (32,)))
model = DeepCNN()
optimizer = torch.optim.Adam(model.parameters())
for images, labels in DataLoader(mnist, batch_size=16):
    loss = F.cross_entropy(model(images), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
