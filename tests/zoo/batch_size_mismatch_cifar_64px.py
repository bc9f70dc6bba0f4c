"""A CIFAR-10 classifier written for 32x32 images, trained on 64x64 crops: the view keeps 1,024
values per row, so every sample becomes 4 rows and the loss sees 4x the batch.

[truth]
family = "batch_size_mismatch"
numbers = { input_batch = 32, target_batch = 8 }
culprit = "x = x.view(-1, 64 * 4 * 4)"
fix_values = { in_features = 4096 }
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class CifarNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc = nn.Linear(64 * 4 * 4, num_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = self.pool(F.relu(self.conv3(x)))
        x = x.view(-1, 64 * 4 * 4)
        return self.fc(x)


images = torch.randn(16, 3, 64, 64)
labels = torch.randint(0, 10, (16,))
loader = DataLoader(TensorDataset(images, labels), batch_size=8, shuffle=True)
model = CifarNet()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
criterion = nn.CrossEntropyLoss()

for inputs, targets in loader:
    optimizer.zero_grad()
    loss = criterion(model(inputs), targets)
    loss.backward()
    optimizer.step()
