"""Inference on one grayscale image read as [H, W]: no batch and no channel dim.

[truth]
family = "conv_input_rank"
numbers = { op = "conv2d", input_shape = [28, 28] }
culprit = "prediction = model(image).argmax(dim=1)"
fix_values = { input_shape = [1, 1, 28, 28] }
"""
import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Conv2d(1, 8, 3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(8 * 14 * 14, 10),
)
model.eval()
image = torch.rand(28, 28)
with torch.no_grad():
    prediction = model(image).argmax(dim=1)
