"""A tiny transformer adds its whole learned position table (max_len 128) to 40-token inputs.

[truth]
family = "broadcast"
numbers = { a = 40, b = 128, dim = 1 }
culprit = "x = self.embed(tokens) + self.pos_embed"
fix_values = { slice_len = 40 }
"""
import torch
import torch.nn as nn


class TinyEncoder(nn.Module):
    def __init__(self, vocab=100, dim=32, max_len=128):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, max_len, dim))
        layer = nn.TransformerEncoderLayer(dim, nhead=4, dim_feedforward=64, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=1)

    def forward(self, tokens):
        x = self.embed(tokens) + self.pos_embed
        return self.encoder(x)


model = TinyEncoder()
tokens = torch.randint(0, 100, (2, 40))
out = model(tokens)
