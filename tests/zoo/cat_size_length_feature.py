"""Appending a per-sample length feature (a [N] vector) to [N, F] features with torch.cat.

[truth]
family = "cat_size"
numbers = { first_ndim = 2, other_ndim = 1 }
culprit = "features = torch.cat([pooled, lengths], dim=1)"
fix_values = { ndim = 2 }
"""
import torch
import torch.nn as nn


class SeqClassifier(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        self.rnn = nn.GRU(8, dim, batch_first=True)
        self.fc = nn.Linear(dim + 1, 2)

    def forward(self, x, lengths):
        out, _ = self.rnn(x)
        pooled = out.mean(1)
        features = torch.cat([pooled, lengths], dim=1)
        return self.fc(features)


x = torch.randn(4, 10, 8)
lengths = torch.tensor([10.0, 7.0, 5.0, 9.0])
logits = SeqClassifier()(x, lengths)
