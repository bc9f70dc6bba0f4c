"""A large model built on the meta device (to count parameters without allocating them) is then
moved to the CPU with .to(), which has no data to copy.

[truth]
family = "device_mismatch"
culprit = "model = model.to(device)"
fix_values = { method = "to_empty" }
"""
import torch
import torch.nn as nn


def build(depth, width):
    return nn.Sequential(*[nn.Sequential(nn.Linear(width, width), nn.GELU()) for _ in range(depth)])


with torch.device("meta"):
    model = build(depth=4, width=128)
print(f"{sum(p.numel() for p in model.parameters()):,} parameters")

device = torch.device("cpu")
model = model.to(device)
