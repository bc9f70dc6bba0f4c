"""A tabular MLP whose input width was counted before one-hot encoding a categorical column:
the model expects 10 features, the encoded rows have 12.

[truth]
family = "linear_in_features"
numbers = { mat1_rows = 8, mat1_cols = 12, mat2_rows = 10, mat2_cols = 32 }
culprit = "nn.Linear(NUM_FEATURES, 32),"
fix_values = { in_features = 12 }
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

NUM_FEATURES = 10


def encode(numeric, category, num_categories=3):
    return torch.cat([numeric, F.one_hot(category, num_categories).float()], dim=1)


model = nn.Sequential(
    nn.Linear(NUM_FEATURES, 32),
    nn.ReLU(),
    nn.Linear(32, 1),
)
numeric = torch.randn(16, 9)
category = torch.randint(0, 3, (16,))
targets = torch.randn(16, 1)
loader = DataLoader(TensorDataset(encode(numeric, category), targets), batch_size=8)
for rows, y in loader:
    loss = F.mse_loss(model(rows), y)
    loss.backward()
