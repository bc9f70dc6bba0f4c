"""Collecting per-batch embeddings in a list, then calling torch.tensor on the list.

[truth]
family = "other"
culprit = "all_embeddings = torch.tensor(embeddings)"
fix_values = { call = "torch.stack" }
"""
import torch
import torch.nn as nn

encoder = nn.Linear(20, 8)
embeddings = []
with torch.no_grad():
    for _ in range(3):
        embeddings.append(encoder(torch.randn(20)))
all_embeddings = torch.tensor(embeddings)
