"""A LLaMA-style block whose final RMSNorm was built with the MLP's hidden width.

[truth]
family = "layernorm"
numbers = { normalized_shape = [512], input_shape = [2, 6, 256] }
culprit = "self.final_norm = nn.RMSNorm(HIDDEN)"
fix_values = { normalized_shape = [256] }
"""
import torch
import torch.nn as nn

DIM = 256
HIDDEN = 512


class TinyLM(nn.Module):
    def __init__(self, vocab=1000):
        super().__init__()
        self.tok = nn.Embedding(vocab, DIM)
        self.norm = nn.RMSNorm(DIM)
        self.mlp = nn.Sequential(nn.Linear(DIM, HIDDEN), nn.SiLU(), nn.Linear(HIDDEN, DIM))
        self.final_norm = nn.RMSNorm(HIDDEN)
        self.lm_head = nn.Linear(DIM, vocab)

    def forward(self, ids):
        h = self.tok(ids)
        h = h + self.mlp(self.norm(h))
        return self.lm_head(self.final_norm(h))


logits = TinyLM()(torch.randint(0, 1000, (2, 6)))
