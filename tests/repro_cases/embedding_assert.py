"""An embedding fed an id past its vocabulary: on a GPU, a device-side assert."""

import torch
import torch.nn as nn


class Tagger(nn.Module):
    def __init__(self, vocab=100):
        super().__init__()
        self.embed = nn.Embedding(vocab, 16)
        self.out = nn.Linear(16, 5)

    def forward(self, ids):
        return self.out(self.embed(ids))


model = Tagger()
ids = torch.tensor([[3, 7, 100, 12]])
logits = model(ids)
