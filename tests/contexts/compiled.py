"""The same model under torch.compile: dynamo wraps the shape error."""

import torch
from net import Net, batch

model = torch.compile(Net(), backend="eager")
model(batch())
