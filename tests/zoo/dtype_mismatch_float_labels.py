"""Class labels stored as float32 by the Dataset: CrossEntropyLoss needs int64 class indices.

[truth]
family = "dtype_mismatch"
numbers = { dtype = "Float" }
culprit = "label = torch.tensor(self.labels[idx], dtype=torch.float32)"
fix_values = { dtype = "int64" }
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class Sentiment(Dataset):
    def __init__(self):
        self.vectors = torch.randn(40, 50)
        self.labels = [i % 3 for i in range(40)]

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        label = torch.tensor(self.labels[idx], dtype=torch.float32)
        return self.vectors[idx], label


model = nn.Sequential(nn.Linear(50, 20), nn.ReLU(), nn.Linear(20, 3))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(2):
    for x, y in DataLoader(Sentiment(), batch_size=8):
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
