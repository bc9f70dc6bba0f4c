"""Cross-attention with F.scaled_dot_product_attention and a causal mask sized by the queries.

[truth]
family = "attention"
numbers = { a = 10, b = 6, dim = 3 }
culprit = "out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)"
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CrossAttention(nn.Module):
    def __init__(self, dim=32, heads=4):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)

    def split(self, x):
        n, length, dim = x.shape
        return x.view(n, length, self.heads, dim // self.heads).transpose(1, 2)

    def forward(self, x, context):
        q = self.split(self.q(x))
        k, v = (self.split(t) for t in self.kv(context).chunk(2, dim=-1))
        length = x.size(1)
        mask = torch.ones(length, length, dtype=torch.bool).tril()
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return out.transpose(1, 2).flatten(2)


out = CrossAttention()(torch.randn(2, 6, 32), torch.randn(2, 10, 32))
