"""Segmentation with CrossEntropyLoss and a one-hot mask cast to long.

[truth]
family = "loss_target_shape"
culprit = "loss = criterion(logits, masks.long())"
fix_values = { target_shape = [4, 32, 32] }
"""
import torch
import torch.nn as nn

num_classes = 4
model = nn.Conv2d(3, num_classes, kernel_size=1)
criterion = nn.CrossEntropyLoss()
images = torch.randn(4, 3, 32, 32)
labels = torch.randint(0, num_classes, (4, 32, 32))
masks = nn.functional.one_hot(labels, num_classes).permute(0, 3, 1, 2)
logits = model(images)
loss = criterion(logits, masks.long())
