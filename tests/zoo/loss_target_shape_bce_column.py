"""Binary classifier with one output column trained on [N] labels.

[truth]
family = "loss_target_shape"
numbers = { target_shape = [8], input_shape = [8, 1] }
culprit = "loss = criterion(logits, labels)"
fix_values = { target_shape = [8, 1] }
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

features = torch.randn(32, 12)
targets = (features.sum(dim=1) > 0).float()
loader = DataLoader(TensorDataset(features, targets), batch_size=8, shuffle=True)


class SpamClassifier(nn.Module):
    def __init__(self, n_features=12):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_features, 16), nn.ReLU(), nn.Linear(16, 1))

    def forward(self, x):
        return self.net(x)


model = SpamClassifier()
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(2):
    for batch, labels in loader:
        optimizer.zero_grad()
        logits = model(batch)
        loss = criterion(logits, labels)
        loss.backward()
        optimizer.step()
