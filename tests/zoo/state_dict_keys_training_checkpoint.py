"""Resuming from a full training checkpoint, a dict with the epoch, the model and the optimizer
state: the whole dict is passed to load_state_dict instead of its model entry.

[truth]
family = "state_dict_keys"
culprit = "model.load_state_dict(checkpoint)"
fix_values = { state_dict_key = "model_state_dict" }
"""
import io

import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2))
optimizer = torch.optim.Adam(model.parameters())
ckpt_file = io.BytesIO()
torch.save({
    "epoch": 12,
    "model_state_dict": model.state_dict(),
    "optimizer_state_dict": optimizer.state_dict(),
    "best_acc": 0.91,
}, ckpt_file)


def resume(model, optimizer, f):
    f.seek(0)
    checkpoint = torch.load(f)
    model.load_state_dict(checkpoint)
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    return checkpoint["epoch"]


start_epoch = resume(model, optimizer, ckpt_file)
