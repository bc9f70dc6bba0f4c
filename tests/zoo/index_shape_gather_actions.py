"""A DQN update picks the Q-value of each taken action with gather, but the replay batch stores
actions as a 1-D tensor [B]; gather needs an index with as many dims as q_values: [B, 1].

[truth]
family = "index_shape"
numbers = { which = "input" }
culprit = "q_taken = q_values.gather(1, actions)"
fix_values = { unsqueeze = 1 }
"""
import random

import torch
import torch.nn as nn

policy = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 2))
target = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 2))
optimizer = torch.optim.Adam(policy.parameters(), lr=1e-3)
replay = [(torch.randn(4), random.randint(0, 1), random.random(), torch.randn(4)) for _ in range(100)]


def train_step(batch_size=8, gamma=0.99):
    batch = random.sample(replay, batch_size)
    states = torch.stack([b[0] for b in batch])
    actions = torch.tensor([b[1] for b in batch])
    rewards = torch.tensor([b[2] for b in batch])
    next_states = torch.stack([b[3] for b in batch])

    q_values = policy(states)
    q_taken = q_values.gather(1, actions)
    with torch.no_grad():
        q_next = target(next_states).max(dim=1).values
    loss = nn.functional.smooth_l1_loss(q_taken.squeeze(1), rewards + gamma * q_next)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


train_step()
