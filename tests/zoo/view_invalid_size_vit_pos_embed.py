"""Resizing a ViT's position embeddings to a new grid, without splitting off the class token:
17 tokens (1 + 4 x 4) do not fit a 4 x 4 grid.

[truth]
family = "view_invalid_size"
numbers = { shape = [1, 4, 4, 8], input_size = 136 }
culprit = "grid = pos_embed.reshape(1, old, old, dim)"
fix_values = { extra_tokens = 1, grid_tokens = 16 }
"""

import math

import torch
import torch.nn.functional as F


def resize_pos_embed(pos_embed, new_side):
    n, dim = pos_embed.shape[1], pos_embed.shape[2]
    old = int(math.sqrt(n))
    grid = pos_embed.reshape(1, old, old, dim)
    grid = grid.permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=(new_side, new_side), mode="bicubic", align_corners=False)
    return grid.permute(0, 2, 3, 1).reshape(1, new_side * new_side, dim)


checkpoint = {"pos_embed": torch.randn(1, 1 + 4 * 4, 8)}
resized = resize_pos_embed(checkpoint["pos_embed"], new_side=6)
