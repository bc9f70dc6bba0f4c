"""A binary classifier with a single sigmoid output is read as if it had two softmax columns:
probs[:, 1] indexes column 1 of a [N, 1] tensor.

[truth]
family = "other"
numbers = { index = 1, dim = 1, size = 1 }
culprit = "positive = probs[:, 1]"
fix_values = { max_index = 0 }
"""
import torch
import torch.nn as nn

detector = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 1), nn.Sigmoid())

features = torch.randn(8, 10)
with torch.no_grad():
    probs = detector(features)
positive = probs[:, 1]
flagged = (positive > 0.5).nonzero()
print(flagged)
