"""A 10-class classifier trained with MSELoss on integer class labels.

[truth]
family = "broadcast"
numbers = { a = 10, b = 16, dim = 1 }
culprit = "loss = criterion(model(images), labels.float())"
fix_values = { target_shape = [16, 10] }
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

data = TensorDataset(torch.randn(64, 1, 8, 8), torch.randint(0, 10, (64,)))
model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

for images, labels in DataLoader(data, batch_size=16, shuffle=True):
    optimizer.zero_grad()
    loss = criterion(model(images), labels.float())
    loss.backward()
    optimizer.step()
