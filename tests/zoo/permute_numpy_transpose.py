"""A data pipeline ported from NumPy: the batch became a tensor earlier, but the NHWC->NCHW step
still uses NumPy's transpose(0, 3, 1, 2), which in PyTorch swaps only two dims.

[truth]
family = "permute"
numbers = { given = 4 }
culprit = "batch = batch.transpose(0, 3, 1, 2)"
fix_values = { permute = [0, 3, 1, 2] }
"""
import numpy as np
import torch
import torch.nn as nn


def load_batch(n=4, size=24):
    frames = [np.random.rand(size, size, 3).astype(np.float32) for _ in range(n)]
    return torch.from_numpy(np.stack(frames))


def preprocess(batch, mean=0.5, std=0.25):
    batch = (batch - mean) / std
    batch = batch.transpose(0, 3, 1, 2)
    return batch.contiguous()


encoder = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
features = encoder(preprocess(load_batch()))
print(features.shape)
