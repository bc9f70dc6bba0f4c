"""Multi-class targets one-hot encoded with num_classes=10 while the CSV labels run 1..10.

[truth]
family = "target_out_of_bounds"
culprit = "targets = F.one_hot(labels, num_classes=10).float()"
fix_values = { num_classes = 11 }
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

rows = [(0.2, 3), (0.7, 10), (0.1, 7), (0.9, 1)]
features = torch.tensor([[v] * 4 for v, _ in rows])
labels = torch.tensor([3, 10, 7, 1])

model = nn.Linear(4, 10)
criterion = nn.BCEWithLogitsLoss()
targets = F.one_hot(labels, num_classes=10).float()
loss = criterion(model(features), targets)
