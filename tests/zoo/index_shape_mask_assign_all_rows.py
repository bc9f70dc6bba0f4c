"""Filling predictions for the valid rows only: the mask selects 3 of 6 rows, but the model
was run on all 6 inputs, so the 6 values cannot be written into the 3 selected places.

[truth]
family = "index_shape"
numbers = { value = [6], result = [3] }
culprit = "scores = scorer(inputs).squeeze(1)"
fix_values = { value_shape = [3] }
"""
import torch
import torch.nn as nn

scorer = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())

inputs = torch.randn(6, 5)
valid = torch.tensor([True, False, True, True, False, False])
predictions = torch.full((6,), float("nan"))
with torch.no_grad():
    scores = scorer(inputs).squeeze(1)
    predictions[valid] = scores
print(predictions)
