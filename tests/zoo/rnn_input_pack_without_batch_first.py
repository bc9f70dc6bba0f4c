"""A padded [N, L, F] batch packed without batch_first=True: L is read as the batch.

[truth]
family = "rnn_input"
numbers = { lengths = 4, batch_size = 12 }
culprit = "packed = pack_padded_sequence(padded, lengths)"
fix_values = { batch_first = true }
"""
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

sentences = [torch.randn(n, 8) for n in (12, 9, 7, 3)]
lengths = torch.tensor([len(s) for s in sentences])
padded = pad_sequence(sentences, batch_first=True)  # [4, 12, 8]

gru = nn.GRU(8, 16, batch_first=True)
packed = pack_padded_sequence(padded, lengths)
output, hidden = gru(packed)
