"""Mean pooling over tokens with a mask built before the sequence was truncated to max_len.

[truth]
family = "expand"
numbers = { expanded = 16, existing = 20, dim = 1, target_sizes = [4, 16, 32], tensor_sizes = [4, 20, 1] }
culprit = "mask = mask.unsqueeze(-1).expand_as(hidden)"
fix_values = { tensor_size = 16 }
"""
import torch
import torch.nn as nn


class MeanPooler(nn.Module):
    def __init__(self, vocab=100, dim=32, max_len=16):
        super().__init__()
        self.max_len = max_len
        self.embed = nn.Embedding(vocab, dim)

    def forward(self, token_ids, mask):
        token_ids = token_ids[:, : self.max_len]
        hidden = self.embed(token_ids)
        mask = mask.unsqueeze(-1).expand_as(hidden)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)


ids = torch.randint(1, 100, (4, 20))
attention_mask = torch.ones(4, 20)
pooled = MeanPooler()(ids, attention_mask)
