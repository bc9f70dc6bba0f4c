"""A hand-written NLL picks each sample's log-probability with torch.arange(BATCH_SIZE); the
last DataLoader batch is smaller (10 samples, batches of 4: 4, 4, 2), so the two index
tensors no longer have the same length.

[truth]
family = "index_shape"
numbers = { shape_a = [4], shape_b = [2] }
culprit = "picked = log_probs[torch.arange(BATCH_SIZE), y]"
fix_values = { arange = 2 }
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

BATCH_SIZE = 4
data = TensorDataset(torch.randn(10, 6), torch.randint(0, 3, (10,)))
loader = DataLoader(data, batch_size=BATCH_SIZE)
model = nn.Linear(6, 3)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

for epoch in range(2):
    for x, y in loader:
        log_probs = model(x).log_softmax(dim=1)
        picked = log_probs[torch.arange(BATCH_SIZE), y]
        loss = -picked.mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
