"""A ViT built for 224x224 images (14x14 patches + class token) run on 112x112 images.

[truth]
family = "broadcast"
numbers = { a = 50, b = 197, dim = 1 }
culprit = "x = x + self.pos_embed"
fix_values = { grid_side = 14 }
"""
import torch
import torch.nn as nn


class TinyViT(nn.Module):
    def __init__(self, img_size=224, patch=16, dim=32, classes=5):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, (img_size // patch) ** 2 + 1, dim))
        self.head = nn.Linear(dim, classes)

    def forward(self, images):
        x = self.patch_embed(images).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1)
        x = x + self.pos_embed
        return self.head(x[:, 0])


model = TinyViT()
thumbnails = torch.randn(2, 3, 112, 112)
logits = model(thumbnails)
