"""A next-token language model: logits are computed for tokens[:, :-1], but the padding mask is
built from the full token tensor, one position longer, so logits[mask] does not line up.

[truth]
family = "index_shape"
numbers = { mask = [3, 8], mask_at = 1, indexed = [3, 7, 50], indexed_at = 1 }
culprit = "mask = tokens != PAD"
fix_values = { mask_shape = [3, 7] }
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

PAD = 0
VOCAB = 50


class TinyLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 16, padding_idx=PAD)
        self.rnn = nn.GRU(16, 32, batch_first=True)
        self.out = nn.Linear(32, VOCAB)

    def forward(self, tokens):
        h, _ = self.rnn(self.embed(tokens))
        return self.out(h)


model = TinyLM()
tokens = torch.tensor([
    [5, 9, 3, 7, 2, 0, 0, 0],
    [4, 4, 8, 1, 6, 3, 2, 0],
    [7, 2, 2, 9, 0, 0, 0, 0],
])
logits = model(tokens[:, :-1])
targets = tokens[:, 1:]
mask = tokens != PAD
loss = F.cross_entropy(logits[mask], targets[mask])
loss.backward()
