"""Iris-style classifier whose labels were stored as a column, [N, 1].

[truth]
family = "loss_target_shape"
culprit = "labels = torch.tensor(raw_labels).unsqueeze(1)"
fix_values = { target_shape = [10] }
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

raw_labels = [0, 1, 2, 1, 0, 2, 2, 1, 0, 1, 2, 0, 1, 0, 2, 1, 0, 2, 1, 0]
features = torch.randn(len(raw_labels), 4)
labels = torch.tensor(raw_labels).unsqueeze(1)
train_loader = DataLoader(TensorDataset(features, labels), batch_size=10)

model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
loss_fn = nn.CrossEntropyLoss()
for epoch in range(3):
    for xb, yb in train_loader:
        loss = loss_fn(model(xb), yb)
        loss.backward()
