"""A model file whose import fails."""

import definitely_missing_module_xyz  # noqa: F401
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)
