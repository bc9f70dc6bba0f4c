"""A per-sample causal+padding mask [N, L, L] passed to MultiheadAttention with 4 heads.

[truth]
family = "attention"
numbers = { nd = 3, mask_shape = [3, 6, 6], expected = [12, 6, 6] }
culprit = "out, _ = self.attn(x, x, x, attn_mask=mask)"
fix_values = { repeat_interleave = 4 }
"""
import torch
import torch.nn as nn


class CausalBlock(nn.Module):
    def __init__(self, dim=32, heads=4):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)

    def forward(self, x, lengths):
        n, length, _ = x.shape
        causal = torch.ones(length, length, dtype=torch.bool).triu(1)
        padding = torch.arange(length)[None, :] >= lengths[:, None]
        mask = causal[None] | padding[:, None, :]
        out, _ = self.attn(x, x, x, attn_mask=mask)
        return out


x = torch.randn(3, 6, 32)
y = CausalBlock()(x, torch.tensor([6, 4, 2]))
