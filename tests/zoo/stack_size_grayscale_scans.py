"""An image folder with one grayscale scan among RGB ones, batched by the default collate.

[truth]
family = "stack_size"
numbers = { entry0_shape = [3, 32, 32], other_shape = [1, 32, 32], other_entry = 2 }
culprit = "channels = 1 if name.endswith(\"_gray.png\") else 3"
fix_values = { channels = 3 }
"""
import torch
from torch.utils.data import DataLoader, Dataset


class Scans(Dataset):
    def __init__(self):
        self.files = ["a_rgb.png", "b_rgb.png", "c_gray.png", "d_rgb.png"]
        self.labels = [0, 1, 1, 0]

    def __len__(self):
        return len(self.files)

    def __getitem__(self, index):
        name = self.files[index]
        channels = 1 if name.endswith("_gray.png") else 3
        image = torch.rand(channels, 32, 32)
        return image, self.labels[index]


for images, labels in DataLoader(Scans(), batch_size=4):
    print(images.shape)
