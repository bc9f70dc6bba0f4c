"""Building a model on the meta device to save memory, then loading the weights without
assign=True: the copy into meta parameters is a no-op (torch warns), so the first forward mixes
meta weights with a real CPU batch.

[truth]
family = "device_mismatch"
numbers = { arg_device = "meta", other_device = "cpu" }
culprit = "model.load_state_dict(weights)"
fix_values = { device = "cpu" }
"""
import torch
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 5))

    def forward(self, x):
        return self.net(x)


weights = Classifier().state_dict()  # stands in for torch.load("classifier.pt")

with torch.device("meta"):
    model = Classifier()
model.load_state_dict(weights)
model.eval()
with torch.no_grad():
    logits = model(torch.randn(4, 32))
