"""NER tagger: tag sequences padded with -1, loss built with the default ignore_index.

[truth]
family = "target_out_of_bounds"
numbers = { target = -1 }
culprit = "criterion = nn.CrossEntropyLoss()"
fix_values = { ignore_index = -1 }
"""
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pad_sequence

NUM_TAGS = 5
sentences = [torch.tensor([4, 8, 15, 16]), torch.tensor([23, 42])]
tag_seqs = [torch.tensor([0, 1, 2, 0]), torch.tensor([3, 4])]

tokens = pad_sequence(sentences, batch_first=True, padding_value=0)
tags = pad_sequence(tag_seqs, batch_first=True, padding_value=-1)


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.lstm = nn.LSTM(16, 16, batch_first=True)
        self.out = nn.Linear(16, NUM_TAGS)

    def forward(self, x):
        h, _ = self.lstm(self.embed(x))
        return self.out(h)


model = Tagger()
criterion = nn.CrossEntropyLoss()
logits = model(tokens)
loss = criterion(logits.view(-1, NUM_TAGS), tags.view(-1))
