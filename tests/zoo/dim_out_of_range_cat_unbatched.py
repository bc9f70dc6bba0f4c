"""A two-tower recommender scores one (user, item) pair at a time: the ids are scalars, the
embeddings 1-D, and the concatenation along dim=1 asks for a dimension they do not have.

[truth]
family = "dim_out_of_range"
numbers = { range = [-1, 0], got = 1 }
culprit = "pair = torch.cat([u, v], dim=1)"
fix_values = { dim = -1 }
"""
import torch
import torch.nn as nn


class TwoTower(nn.Module):
    def __init__(self, n_users=100, n_items=50, dim=8):
        super().__init__()
        self.user_emb = nn.Embedding(n_users, dim)
        self.item_emb = nn.Embedding(n_items, dim)
        self.mlp = nn.Sequential(nn.Linear(2 * dim, 16), nn.ReLU(), nn.Linear(16, 1))

    def forward(self, user, item):
        u = self.user_emb(user)
        v = self.item_emb(item)
        pair = torch.cat([u, v], dim=1)
        return self.mlp(pair)


model = TwoTower()
score = model(torch.tensor(3), torch.tensor(7))
print(score)
