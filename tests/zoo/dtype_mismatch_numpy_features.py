"""A tabular regression Dataset that returns numpy rows through torch.from_numpy: numpy's
default float64 meets the model's float32 weights in the first Linear.

[truth]
family = "dtype_mismatch"
numbers = { input_dtype = "Double", weight_dtype = "Float" }
culprit = "return torch.from_numpy(self.features[i]), torch.tensor(self.targets[i])"
fix_values = { dtype = "float32" }
"""
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class HousingDataset(Dataset):
    def __init__(self, n=64):
        rng = np.random.default_rng(0)
        self.features = rng.normal(size=(n, 13))
        self.targets = self.features @ rng.normal(size=13)

    def __len__(self):
        return len(self.features)

    def __getitem__(self, i):
        return torch.from_numpy(self.features[i]), torch.tensor(self.targets[i])


model = nn.Sequential(nn.Linear(13, 32), nn.ReLU(), nn.Linear(32, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for x, y in DataLoader(HousingDataset(), batch_size=16, shuffle=True):
    pred = model(x).squeeze(1)
    loss = nn.functional.mse_loss(pred, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
