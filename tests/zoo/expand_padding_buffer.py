"""Padding token sequences into a preallocated buffer by assigning whole rows.

[truth]
family = "expand"
numbers = { expanded = 12, existing = 7, dim = 0, target_sizes = [12], tensor_sizes = [7] }
culprit = "padded[i] = seq"
fix_values = { slot_size = 7 }
"""
import torch


def pad_batch(sequences, max_len=12):
    padded = torch.zeros(len(sequences), max_len, dtype=torch.long)
    for i, seq in enumerate(sequences):
        padded[i] = seq
    return padded


batch = [torch.randint(1, 50, (7,)), torch.randint(1, 50, (12,)), torch.randint(1, 50, (9,))]
ids = pad_batch(batch)
