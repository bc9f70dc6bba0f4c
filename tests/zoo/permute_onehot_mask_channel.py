"""A Dice loss one-hot encodes the segmentation masks and moves the classes to dim 1, but the
masks still carry their channel dimension ([N, 1, H, W]), so one_hot returns 5 dims, not 4.

[truth]
family = "permute"
numbers = { input_dim = 5, len_dims = 4 }
culprit = "target = F.one_hot(masks, num_classes).permute(0, 3, 1, 2).float()"
fix_values = { squeeze = 1 }
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


class Masks(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        image = torch.rand(3, 16, 16)
        mask = torch.randint(0, 3, (1, 16, 16))
        return image, mask


def dice_loss(logits, masks, num_classes=3, eps=1e-6):
    probs = logits.softmax(dim=1)
    target = F.one_hot(masks, num_classes).permute(0, 3, 1, 2).float()
    inter = (probs * target).sum(dim=(2, 3))
    union = probs.sum(dim=(2, 3)) + target.sum(dim=(2, 3))
    return 1 - ((2 * inter + eps) / (union + eps)).mean()


net = nn.Conv2d(3, 3, 3, padding=1)
for images, masks in DataLoader(Masks(), batch_size=2):
    loss = dice_loss(net(images), masks)
    loss.backward()
