"""Class weights for the loss computed from a model built under torch.device("meta"): the
weights tensor is created inside the meta context too, and meets the real CPU logits.

[truth]
family = "device_mismatch"
numbers = { arg_device = "meta", other_device = "cpu" }
culprit = "class_weights = torch.tensor([1.0, 3.0, 2.0])"
fix_values = { device = "cpu" }
"""
import torch
import torch.nn as nn

with torch.device("meta"):
    skeleton = nn.Linear(6, 3)  # only used to read the shapes
    class_weights = torch.tensor([1.0, 3.0, 2.0])

model = nn.Linear(6, 3)
criterion = nn.CrossEntropyLoss(weight=class_weights)
logits = model(torch.randn(4, 6))
loss = criterion(logits, torch.tensor([0, 2, 1, 1]))
