"""Inference on one photo: the HWC image is permuted with the batched NHWC->NCHW order
(0, 3, 1, 2), but a single image has only three dims.

[truth]
family = "permute"
numbers = { input_dim = 3, len_dims = 4 }
culprit = "x = torch.from_numpy(image).float().permute(0, 3, 1, 2) / 255.0"
fix_values = { permute = [2, 0, 1] }
"""
import numpy as np
import torch
import torch.nn as nn

classifier = nn.Sequential(
    nn.Conv2d(3, 16, 3, padding=1),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
    nn.Linear(16, 10),
)


def load_image(height=48, width=64):
    # stands in for np.asarray(Image.open(path).convert("RGB")): H x W x C, uint8
    return (np.random.rand(height, width, 3) * 255).astype(np.uint8)


def predict(image):
    x = torch.from_numpy(image).float().permute(0, 3, 1, 2) / 255.0
    with torch.no_grad():
        return classifier(x).argmax(dim=1)


print(predict(load_image()))
