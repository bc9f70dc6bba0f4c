"""A batch_first GRU whose initial state is also built batch-first: [N, layers, H].

[truth]
family = "rnn_hidden"
numbers = { expected = [1, 4, 16], got = [4, 1, 16] }
culprit = "h0 = torch.zeros(x.size(0), self.num_layers, self.hidden)"
fix_values = { hidden_shape = [1, 4, 16], permute = [1, 0, 2] }
"""
import torch
import torch.nn as nn


class Tracker(nn.Module):
    def __init__(self, hidden=16, num_layers=1):
        super().__init__()
        self.hidden = hidden
        self.num_layers = num_layers
        self.gru = nn.GRU(3, hidden, num_layers=num_layers, batch_first=True)

    def forward(self, x):
        h0 = torch.zeros(x.size(0), self.num_layers, self.hidden)
        out, _ = self.gru(x, h0)
        return out


tracks = torch.randn(4, 25, 3)
Tracker()(tracks)
