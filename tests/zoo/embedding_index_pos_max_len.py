"""Tiny transformer encoder whose learned position table is shorter than the batch's sequences.

[truth]
family = "embedding_index"
culprit = "self.pos = nn.Embedding(MAX_LEN, d_model)"
fix_values = { num_embeddings = 20 }
"""
import torch
import torch.nn as nn

VOCAB = 1000
MAX_LEN = 16


class Encoder(nn.Module):
    def __init__(self, d_model=32):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, d_model)
        self.pos = nn.Embedding(MAX_LEN, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead=4, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=1)

    def forward(self, ids):
        positions = torch.arange(ids.size(1))
        x = self.tok(ids) + self.pos(positions)
        return self.encoder(x)


model = Encoder()
batch = torch.randint(0, VOCAB, (2, 20))
out = model(batch)
