"""Pet classifier whose label map numbers the classes from 1.

[truth]
family = "target_out_of_bounds"
numbers = { target = 3 }
culprit = 'CLASS_TO_ID = {"cat": 1, "dog": 2, "bird": 3}'
fix_values = { label_offset = -1 }
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

CLASS_TO_ID = {"cat": 1, "dog": 2, "bird": 3}
SAMPLES = [("cat", 0.1), ("dog", 0.5), ("bird", 0.9), ("cat", 0.2), ("dog", 0.4), ("bird", 0.8)]


class PetFeatures(Dataset):
    def __len__(self):
        return len(SAMPLES)

    def __getitem__(self, i):
        name, value = SAMPLES[i]
        return torch.full((8,), value), CLASS_TO_ID[name]


model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, len(CLASS_TO_ID)))
criterion = nn.CrossEntropyLoss()
loader = DataLoader(PetFeatures(), batch_size=3)
for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
