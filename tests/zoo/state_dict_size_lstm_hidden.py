"""Resuming a sequence tagger with a config that halved hidden_size: the LSTM's stacked gate
weights are [4 * 128, 32] in the checkpoint and [4 * 64, 32] in the model.

[truth]
family = "state_dict_size"
numbers = { param = "lstm.weight_ih_l0", ckpt_shape = [512, 32], model_shape = [256, 32] }
culprit = "tagger = Tagger(embed_dim=32, hidden_size=64, num_tags=9)"
fix_values = { hidden_size = 128 }
"""
import io

import torch
import torch.nn as nn


class Tagger(nn.Module):
    def __init__(self, embed_dim, hidden_size, num_tags):
        super().__init__()
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True)
        self.proj = nn.Linear(hidden_size, num_tags)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.proj(out)


checkpoint = io.BytesIO()
torch.save({"model": Tagger(embed_dim=32, hidden_size=128, num_tags=9).state_dict()}, checkpoint)
checkpoint.seek(0)

tagger = Tagger(embed_dim=32, hidden_size=64, num_tags=9)
state = torch.load(checkpoint)["model"]
tagger.load_state_dict(state)
