"""Tabular MLP whose dataset size leaves a last batch of one sample for the BatchNorm.

[truth]
family = "batchnorm"
numbers = { input_shape = [1, 32] }
culprit = "loader = DataLoader("
fix_values = { drop_last = true }
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

features = torch.randn(33, 12)
labels = torch.randint(0, 3, (33,))
loader = DataLoader(TensorDataset(features, labels), batch_size=8, shuffle=True)


class TabularNet(nn.Module):
    def __init__(self, n_in=12, hidden=32, n_classes=3):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(n_in, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(0.1),
        )
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x):
        return self.head(self.body(x))


model = TabularNet()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
criterion = nn.CrossEntropyLoss()
for epoch in range(2):
    for x, y in loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
