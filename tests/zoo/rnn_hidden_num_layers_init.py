"""Seq2seq encoder with num_layers=2 whose init_hidden builds a single-layer state.

[truth]
family = "rnn_hidden"
numbers = { expected = [2, 4, 64], got = [1, 4, 64], num_layers = 2 }
culprit = "h0 = torch.zeros(1, batch_size, self.hidden_size)"
fix_values = { hidden_shape = [2, 4, 64] }
"""
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, vocab=300, emb=32, hidden_size=64, num_layers=2):
        super().__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden_size, num_layers=num_layers, batch_first=True)

    def init_hidden(self, batch_size):
        h0 = torch.zeros(1, batch_size, self.hidden_size)
        c0 = torch.zeros(1, batch_size, self.hidden_size)
        return h0, c0

    def forward(self, src):
        hidden = self.init_hidden(src.size(0))
        outputs, hidden = self.lstm(self.embedding(src), hidden)
        return outputs, hidden


encoder = Encoder()
outputs, hidden = encoder(torch.randint(0, 300, (4, 15)))
