"""BatchNorm1d applied to [N, L, C] token embeddings: it normalises over the sequence positions.

[truth]
family = "batchnorm"
numbers = { channels = 20, num_features = 64 }
culprit = "self.bn = nn.BatchNorm1d(64)"
fix_values = { transpose = [1, 2] }
"""
import torch
import torch.nn as nn


class TextEncoder(nn.Module):
    def __init__(self, vocab=500):
        super().__init__()
        self.embed = nn.Embedding(vocab, 64)
        self.bn = nn.BatchNorm1d(64)
        self.out = nn.Linear(64, 2)

    def forward(self, tokens):
        h = self.embed(tokens)  # [N, L, 64]
        h = self.bn(h)
        return self.out(h.mean(1))


tokens = torch.randint(0, 500, (8, 20))
logits = TextEncoder()(tokens)
