"""Segmentation masks [N, H, W] resized to the logits' size with F.interpolate and a 2-value size.

[truth]
family = "interpolate_pad"
numbers = { in_spatial = [64], out_size = [32, 32] }
culprit = "small = F.interpolate(masks.float(), size=logits.shape[-2:], mode=\"nearest\")"
fix_values = { input_dims = 4 }
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

model = nn.Conv2d(3, 5, 3, stride=2, padding=1)
images = torch.randn(4, 3, 64, 64)
masks = torch.randint(0, 5, (4, 64, 64))

logits = model(images)
small = F.interpolate(masks.float(), size=logits.shape[-2:], mode="nearest")
loss = F.cross_entropy(logits, small.long())
