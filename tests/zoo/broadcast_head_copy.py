"""Copying a pretrained head's weights by hand into a layer of another width.

[truth]
family = "broadcast"
numbers = { a = 1024, b = 640, dim = 1 }
culprit = "new_head.weight.copy_(old_head.weight)"
"""
import torch
import torch.nn as nn

old_head = nn.Linear(640, 10)
new_head = nn.Linear(1024, 10)
with torch.no_grad():
    new_head.weight.copy_(old_head.weight)
