"""POS tagger: batch-first GRU + Linear gives [N, T, C] scores, passed straight to the loss.

[truth]
family = "loss_target_shape"
numbers = { expected_shape = [4, 9], target_shape = [4, 12] }
culprit = "loss = criterion(scores, tags)"
fix_values = { input_shape = [4, 9, 12] }
"""
import torch
import torch.nn as nn

VOCAB_SIZE = 100
NUM_TAGS = 9


class Tagger(nn.Module):
    def __init__(self, vocab_size=VOCAB_SIZE, dim=32, num_tags=NUM_TAGS):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.rnn = nn.GRU(dim, dim, batch_first=True)
        self.out = nn.Linear(dim, num_tags)

    def forward(self, tokens):
        h, _ = self.rnn(self.embed(tokens))
        return self.out(h)


model = Tagger()
criterion = nn.CrossEntropyLoss()
tokens = torch.randint(0, VOCAB_SIZE, (4, 12))
tags = torch.randint(0, NUM_TAGS, (4, 12))
scores = model(tokens)
loss = criterion(scores, tags)
