"""A keyword-spotting 1-D CNN whose pools shrink a short clip below the last kernel.

[truth]
family = "kernel_too_large"
numbers = { padded_input = 6, kernel = 9 }
culprit = "nn.Conv1d(64, 64, kernel_size=9),"
fix_values = { min_input_size = 35 }
"""
import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Conv1d(40, 64, kernel_size=9),
    nn.ReLU(),
    nn.MaxPool1d(3),
    nn.Conv1d(64, 64, kernel_size=9),
    nn.ReLU(),
    nn.AdaptiveAvgPool1d(1),
    nn.Flatten(),
    nn.Linear(64, 12),
)

mfcc = torch.randn(2, 40, 26)
scores = model(mfcc)
