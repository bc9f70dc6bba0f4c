"""A bag-of-patches classifier that splits each image into 8-value patches with the configured
batch size; the last batch of the epoch has 2 images, so view(BATCH_SIZE, -1, 8) makes 4 rows.

[truth]
family = "batch_size_mismatch"
numbers = { input_batch = 4, target_batch = 2 }
culprit = "patches = x.view(BATCH_SIZE, -1, PATCH_DIM)"
fix_values = { batch_size = 2 }
"""

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

BATCH_SIZE = 4
PATCH_DIM = 8


class PatchPool(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.embed = nn.Linear(PATCH_DIM, 32)
        self.head = nn.Linear(32, num_classes)

    def forward(self, x):
        patches = x.view(BATCH_SIZE, -1, PATCH_DIM)
        pooled = torch.relu(self.embed(patches)).mean(dim=1)
        return self.head(pooled)


data = TensorDataset(torch.randn(10, 1, 8, 8), torch.randint(0, 10, (10,)))
loader = DataLoader(data, batch_size=BATCH_SIZE)
model = PatchPool()
criterion = nn.CrossEntropyLoss()
for images, labels in loader:
    loss = criterion(model(images), labels)
    loss.backward()
