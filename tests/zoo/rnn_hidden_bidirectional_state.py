"""A bidirectional GRU given an initial state with one slice per layer, not per direction.

[truth]
family = "rnn_hidden"
numbers = { expected = [2, 3, 24], got = [1, 3, 24], num_layers = 2 }
culprit = "h0 = torch.zeros(1, tokens.size(0), 24)"
fix_values = { hidden_shape = [2, 3, 24] }
"""
import torch
import torch.nn as nn

embed = nn.Embedding(50, 10)
gru = nn.GRU(10, 24, batch_first=True, bidirectional=True)


def encode(tokens):
    h0 = torch.zeros(1, tokens.size(0), 24)
    out, h = gru(embed(tokens), h0)
    return out, h


out, h = encode(torch.randint(0, 50, (3, 7)))
