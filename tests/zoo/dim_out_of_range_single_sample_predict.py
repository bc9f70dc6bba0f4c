"""A classifier trained on batches, then asked for one prediction with a sample taken out of
the test set: the sample has no batch dimension, so the logits are 1-D and argmax(dim=1) fails.

[truth]
family = "dim_out_of_range"
numbers = { range = [-1, 0], got = 1 }
culprit = "sample = X_test[3]"
fix_values = { unsqueeze = 0 }
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
X_train, y_train = torch.randn(64, 4), torch.randint(0, 3, (64,))
X_test = torch.randn(16, 4)

model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 3))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
loader = DataLoader(TensorDataset(X_train, y_train), batch_size=16, shuffle=True)
for xb, yb in loader:
    loss = nn.functional.cross_entropy(model(xb), yb)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

model.eval()
with torch.no_grad():
    sample = X_test[3]
    logits = model(sample)
    predicted = torch.argmax(logits, dim=1)
print("class", predicted.item())
