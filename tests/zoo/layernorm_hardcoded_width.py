"""A transformer block whose LayerNorm width is hard-coded to 256 while d_model is 128.

[truth]
family = "layernorm"
numbers = { normalized_shape = [256], input_shape = [4, 10, 128] }
culprit = "self.ln2 = nn.LayerNorm(256)"
fix_values = { normalized_shape = [128] }
"""
import torch
import torch.nn as nn

D_MODEL = 128


class EncoderBlock(nn.Module):
    def __init__(self, d_model=D_MODEL, heads=4):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = nn.MultiheadAttention(d_model, heads, batch_first=True)
        self.ln2 = nn.LayerNorm(256)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))

    def forward(self, x):
        h = self.ln1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


x = torch.randn(4, 10, D_MODEL)
y = EncoderBlock()(x)
