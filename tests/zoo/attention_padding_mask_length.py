"""A key_padding_mask built for MAX_LEN positions while the batch is padded to its longest text.

[truth]
family = "attention"
numbers = { index = 1, expected = 9, got = 16 }
culprit = "pad_mask = torch.ones(len(texts), MAX_LEN, dtype=torch.bool)"
fix_values = { key_padding_mask_dim1 = 9 }
"""
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pad_sequence

MAX_LEN = 16

texts = [torch.randint(1, 100, (n,)) for n in (9, 5, 7)]
tokens = pad_sequence(texts, batch_first=True)  # [3, 9]
pad_mask = torch.ones(len(texts), MAX_LEN, dtype=torch.bool)
for i, t in enumerate(texts):
    pad_mask[i, : len(t)] = False

embed = nn.Embedding(100, 32)
encoder = nn.TransformerEncoderLayer(32, 4, batch_first=True)
encoder.train()
out = encoder(embed(tokens), src_key_padding_mask=pad_mask)
