"""VOC-style masks with 255 on object borders, trained without ignore_index.

[truth]
family = "target_out_of_bounds"
numbers = { target = 255 }
culprit = "criterion = nn.CrossEntropyLoss()"
fix_values = { ignore_index = 255 }
"""
import torch
import torch.nn as nn

NUM_CLASSES = 21


def load_mask(h=16, w=16):
    mask = torch.randint(0, NUM_CLASSES, (h, w))
    mask[0, :] = 255  # VOC marks object boundaries as "void"
    return mask


model = nn.Conv2d(3, NUM_CLASSES, kernel_size=3, padding=1)
criterion = nn.CrossEntropyLoss()
images = torch.randn(2, 3, 16, 16)
masks = torch.stack([load_mask(), load_mask()])
loss = criterion(model(images), masks)
