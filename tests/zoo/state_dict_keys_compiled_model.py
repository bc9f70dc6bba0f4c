"""Saving a torch.compile'd model: its state_dict keys carry the `_orig_mod.` prefix of the
compile wrapper, which the plain model used for inference does not have.

[truth]
family = "state_dict_keys"
culprit = "inference_model.load_state_dict(torch.load(path_like))"
fix_values = { strip_prefix = "_orig_mod." }
"""
import io

import torch
import torch.nn as nn


def make_mlp():
    return nn.Sequential(nn.Linear(20, 64), nn.GELU(), nn.Linear(64, 64), nn.GELU(),
                         nn.Linear(64, 1))


model = torch.compile(make_mlp())
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
path_like = io.BytesIO()
torch.save(model.state_dict(), path_like)

path_like.seek(0)
inference_model = make_mlp()
inference_model.load_state_dict(torch.load(path_like))
