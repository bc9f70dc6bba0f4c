"""A time-series transformer with d_model=100 and 8 heads.

[truth]
family = "attention"
culprit = "encoder_layer = nn.TransformerEncoderLayer(d_model=d_model, nhead=8, batch_first=True)"
fix_values = { num_heads = 5 }
"""
import torch
import torch.nn as nn


def build_model(n_features=7, d_model=100):
    embed = nn.Linear(n_features, d_model)
    encoder_layer = nn.TransformerEncoderLayer(d_model=d_model, nhead=8, batch_first=True)
    encoder = nn.TransformerEncoder(encoder_layer, num_layers=2)
    return nn.Sequential(embed, encoder)


model = build_model()
out = model(torch.randn(4, 30, 7))
