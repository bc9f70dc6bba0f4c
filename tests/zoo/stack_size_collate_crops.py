"""A dataset returning crops of two sizes, batched by the default collate.

[truth]
family = "stack_size"
numbers = { first_shape = [3, 320, 320], other_shape = [3, 192, 192], other_entry = 1 }
culprit = "crop = 320 if index % 2 == 0 else 192"
"""
import torch
from torch.utils.data import DataLoader, Dataset


class Crops(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, index):
        crop = 320 if index % 2 == 0 else 192
        return torch.zeros(3, crop, crop)


loader = DataLoader(Crops(), batch_size=4, shuffle=False)
for batch in loader:
    print(batch.shape)
