"""A bidirectional LSTM tagger whose output layer is sized for one direction: the LSTM emits
2 x hidden_size features per step.

[truth]
family = "linear_in_features"
numbers = { mat1_rows = 12, mat1_cols = 32, mat2_rows = 16, mat2_cols = 5 }
culprit = "self.out = nn.Linear(hidden_size, num_tags)"
fix_values = { in_features = 32 }
"""

import torch
import torch.nn as nn


class Tagger(nn.Module):
    def __init__(self, vocab_size=40, embed_dim=8, hidden_size=16, num_tags=5):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.out = nn.Linear(hidden_size, num_tags)

    def forward(self, tokens):
        h, _ = self.lstm(self.embed(tokens))
        return self.out(h)


tagger = Tagger()
tokens = torch.randint(0, 40, (2, 6))
tags = tagger(tokens)
