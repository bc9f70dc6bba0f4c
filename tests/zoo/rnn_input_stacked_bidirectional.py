"""Two stacked LSTMs: the first is bidirectional, so it outputs 2 x hidden features.

[truth]
family = "rnn_input"
numbers = { expected = 64, got = 128 }
culprit = "self.rnn2 = nn.LSTM(64, 32, batch_first=True)"
fix_values = { input_size = 128 }
"""
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn1 = nn.LSTM(40, 64, batch_first=True, bidirectional=True)
        self.rnn2 = nn.LSTM(64, 32, batch_first=True)

    def forward(self, frames):
        x, _ = self.rnn1(frames)
        x, _ = self.rnn2(x)
        return x


mel = torch.randn(2, 50, 40)
encoded = Encoder()(mel)
