"""Validation predictions computed row by row by iterating over the feature tensor: each `row`
is 1-D, so the logits are 1-D and softmax(dim=1) asks for a dimension they do not have.

[truth]
family = "dim_out_of_range"
numbers = { range = [-1, 0], got = 1 }
culprit = "for row in X_val:"
fix_values = { unsqueeze = 0 }
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class TabularNet(nn.Module):
    def __init__(self, n_features=12, n_classes=4):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_features, 64), nn.ReLU(), nn.Dropout(0.1))
        self.head = nn.Linear(64, n_classes)

    def forward(self, x):
        return self.head(self.body(x))


model = TabularNet()
model.eval()
X_val = torch.randn(5, 12)
confidences = []
with torch.no_grad():
    for row in X_val:
        logits = model(row)
        probs = F.softmax(logits, dim=1)
        confidences.append(probs.max().item())
print(confidences)
