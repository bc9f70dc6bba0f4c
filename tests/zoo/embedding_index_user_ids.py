"""Matrix-factorisation recommender with user ids numbered from 1.

[truth]
family = "embedding_index"
culprit = "self.users = nn.Embedding(num_users, dim)"
fix_values = { num_embeddings = 5 }
"""
import torch
import torch.nn as nn

NUM_USERS = 4
NUM_ITEMS = 6


class MF(nn.Module):
    def __init__(self, num_users=NUM_USERS, num_items=NUM_ITEMS, dim=8):
        super().__init__()
        self.users = nn.Embedding(num_users, dim)
        self.items = nn.Embedding(num_items, dim)

    def forward(self, user_ids, item_ids):
        return (self.users(user_ids) * self.items(item_ids)).sum(dim=1)


model = MF()
user_ids = torch.tensor([1, 2, 3, 4])
item_ids = torch.tensor([0, 5, 2, 1])
ratings = torch.tensor([4.0, 3.0, 5.0, 2.0])
loss = nn.functional.mse_loss(model(user_ids, item_ids), ratings)
