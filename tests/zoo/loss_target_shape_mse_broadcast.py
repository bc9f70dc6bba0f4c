"""House-price regression: a [N, 1] prediction compared with [N] prices (silent broadcast).

[truth]
family = "loss_target_shape"
numbers = { target_shape = [16], input_shape = [16, 1] }
culprit = "loss = F.mse_loss(pred, price)"
fix_values = { target_shape = [16, 1] }
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

x = torch.randn(64, 6)
y = x @ torch.randn(6) + 0.1 * torch.randn(64)
loader = DataLoader(TensorDataset(x, y), batch_size=16)

model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.01)
for feats, price in loader:
    pred = model(feats)
    loss = F.mse_loss(pred, price)
    opt.zero_grad()
    loss.backward()
    opt.step()
    break
