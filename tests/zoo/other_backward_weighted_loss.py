"""Per-sample weighted BCE: the loss is kept per element and never reduced before backward().

[truth]
family = "other"
culprit = "loss = criterion(logits, targets) * weights"
fix_values = { reduce = "mean" }
"""
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 1))
criterion = nn.BCEWithLogitsLoss(reduction="none")
optimizer = torch.optim.Adam(model.parameters())

features = torch.randn(32, 10)
targets = torch.randint(0, 2, (32, 1)).float()
weights = torch.where(targets > 0, 3.0, 1.0)

for step in range(3):
    logits = model(features)
    loss = criterion(logits, targets) * weights
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
