"""An LSTM fed [N, L, F] batches without batch_first=True: it reads L as the batch.

[truth]
family = "rnn_hidden"
numbers = { expected = [1, 20, 48], got = [1, 8, 48] }
culprit = "self.lstm = nn.LSTM(12, 48)"
fix_values = { batch_first = true }
"""
import torch
import torch.nn as nn


class ActivityNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(12, 48)
        self.out = nn.Linear(48, 6)

    def forward(self, x):
        h0 = torch.zeros(1, x.size(0), 48)
        c0 = torch.zeros(1, x.size(0), 48)
        seq, _ = self.lstm(x, (h0, c0))
        return self.out(seq[:, -1])


windows = torch.randn(8, 20, 12)  # [batch, time, sensors]
logits = ActivityNet()(windows)
