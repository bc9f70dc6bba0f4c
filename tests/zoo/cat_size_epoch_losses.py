"""Collecting per-batch losses (scalars) in a list and joining them with torch.cat.

[truth]
family = "cat_size"
numbers = { pos = 0 }
culprit = "epoch_loss = torch.cat(batch_losses).mean()"
fix_values = { function = "stack" }
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

data = TensorDataset(torch.randn(16, 4), torch.randn(16, 1))
model = nn.Linear(4, 1)
criterion = nn.MSELoss()

batch_losses = []
for x, y in DataLoader(data, batch_size=4):
    loss = criterion(model(x), y)
    batch_losses.append(loss.detach())
epoch_loss = torch.cat(batch_losses).mean()
