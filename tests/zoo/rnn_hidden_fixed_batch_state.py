"""A stateful GRU whose hidden state is sized for BATCH_SIZE; the last batch is smaller.

[truth]
family = "rnn_hidden"
numbers = { expected = [1, 8, 32], got = [1, 16, 32] }
culprit = "hidden = torch.zeros(1, BATCH_SIZE, HIDDEN)"
fix_values = { hidden_shape = [1, 8, 32] }
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

BATCH_SIZE = 16
HIDDEN = 32

data = TensorDataset(torch.randn(40, 10, 6), torch.randn(40, 1))
loader = DataLoader(data, batch_size=BATCH_SIZE)
gru = nn.GRU(6, HIDDEN, batch_first=True)
head = nn.Linear(HIDDEN, 1)
optimizer = torch.optim.SGD(list(gru.parameters()) + list(head.parameters()), lr=0.01)

for x, y in loader:
    hidden = torch.zeros(1, BATCH_SIZE, HIDDEN)
    out, hidden = gru(x, hidden)
    loss = nn.functional.mse_loss(head(out[:, -1]), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
