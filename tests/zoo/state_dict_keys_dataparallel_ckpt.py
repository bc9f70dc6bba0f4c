"""Evaluating a model trained with nn.DataParallel: the checkpoint was saved from the wrapper, so
every key starts with `module.`, and the bare model rejects them all.

[truth]
family = "state_dict_keys"
culprit = "model.load_state_dict(state)"
fix_values = { strip_prefix = "module." }
"""
import io

import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.classifier = nn.Linear(8, 10)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


# train.py
model = nn.DataParallel(Net())
buffer = io.BytesIO()
torch.save(model.state_dict(), buffer)

# evaluate.py
buffer.seek(0)
model = Net()
state = torch.load(buffer, map_location="cpu")
model.load_state_dict(state)
model.eval()
