"""Univariate forecasting: a [N, T] series fed to LSTM(input_size=1) without its feature dim.

[truth]
family = "rnn_input"
numbers = { expected = 1, got = 24 }
culprit = "out, _ = self.lstm(x)"
fix_values = { unsqueeze = -1 }
"""
import torch
import torch.nn as nn


class Forecaster(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.lstm = nn.LSTM(input_size=1, hidden_size=hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


series = torch.sin(torch.linspace(0, 20, 8 * 24)).reshape(8, 24)
target = torch.randn(8, 1)
model = Forecaster()
loss = nn.functional.mse_loss(model(series), target)
