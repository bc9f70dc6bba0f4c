"""A collate function that pads 1-D token sequences with a 4-value tuple meant for 2-D tensors.

[truth]
family = "interpolate_pad"
numbers = { pad_len = 4, ndim = 1 }
culprit = "padded = [F.pad(s, (0, longest - len(s), 0, 0)) for s in seqs]"
fix_values = { max_pad_len = 2 }
"""
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader


def collate(seqs):
    longest = max(len(s) for s in seqs)
    padded = [F.pad(s, (0, longest - len(s), 0, 0)) for s in seqs]
    return torch.stack(padded)


sentences = [torch.randint(1, 100, (n,)) for n in (5, 9, 3, 7)]
for batch in DataLoader(sentences, batch_size=2, collate_fn=collate):
    print(batch.shape)
