"""A decoder's cross-attention built without batch_first=True, fed [N, L, E] tensors.

[truth]
family = "attention"
numbers = { seq = 4, bsz_heads = 96, head_dim = 8, numel = 4608 }
culprit = "self.cross_attn = nn.MultiheadAttention(d_model, n_heads, dropout=0.1)"
fix_values = { batch_first = true }
"""
import torch
import torch.nn as nn


class DecoderBlock(nn.Module):
    def __init__(self, d_model=64, n_heads=8):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, n_heads, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(d_model, n_heads, dropout=0.1)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)

    def forward(self, tgt, memory):
        x = self.norm1(tgt + self.self_attn(tgt, tgt, tgt)[0])
        attended, _ = self.cross_attn(x, memory, memory)
        return self.norm2(x + attended)


captions = torch.randn(4, 12, 64)   # [batch, caption length, d_model]
image_tokens = torch.randn(4, 18, 64)   # [batch, patches, d_model]
out = DecoderBlock()(captions, image_tokens)
