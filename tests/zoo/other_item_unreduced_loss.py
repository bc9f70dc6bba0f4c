"""Logging the loss with .item() while the criterion keeps one loss per sample.

[truth]
family = "other"
numbers = { elements = 4 }
culprit = "criterion = nn.CrossEntropyLoss(reduction=\"none\")"
fix_values = { reduce = "mean" }
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

data = TensorDataset(torch.randn(12, 6), torch.randint(0, 3, (12,)))
loader = DataLoader(data, batch_size=4)
model = nn.Linear(6, 3)
criterion = nn.CrossEntropyLoss(reduction="none")

running_loss = 0.0
for inputs, labels in loader:
    loss = criterion(model(inputs), labels)
    running_loss += loss.item()
print(running_loss / len(loader))
