"""Video clips of two lengths loaded with worker processes: the shared-memory batch cannot grow.

[truth]
family = "stack_size"
culprit = "n_frames = 16 if index % 2 == 0 else 12"
fix_values = { num_workers = 0 }
"""
import torch
from torch.utils.data import DataLoader, Dataset


class Clips(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, index):
        n_frames = 16 if index % 2 == 0 else 12
        return torch.zeros(n_frames, 3, 8, 8)


if __name__ == "__main__":
    loader = DataLoader(Clips(), batch_size=4, num_workers=1)
    for clip in loader:
        print(clip.shape)
