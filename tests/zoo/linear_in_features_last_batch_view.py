"""An MLP whose forward flattens with the configured batch size: on the last, smaller batch
view(BATCH_SIZE, -1) spreads 2 images over 4 rows of half the features.

[truth]
family = "linear_in_features"
numbers = { mat1_rows = 4, mat1_cols = 98, mat2_rows = 196, mat2_cols = 32 }
culprit = "x = x.view(BATCH_SIZE, -1)"
fix_values = { batch_size = 2 }
"""

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

BATCH_SIZE = 4


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(14 * 14, 32), nn.ReLU(), nn.Linear(32, 10))

    def forward(self, x):
        x = x.view(BATCH_SIZE, -1)
        return self.net(x)


data = TensorDataset(torch.randn(10, 1, 14, 14), torch.randint(0, 10, (10,)))
loader = DataLoader(data, batch_size=BATCH_SIZE)
model = MLP()
criterion = nn.CrossEntropyLoss()
for _epoch in range(1):
    for images, labels in loader:
        loss = criterion(model(images), labels)
        loss.backward()
