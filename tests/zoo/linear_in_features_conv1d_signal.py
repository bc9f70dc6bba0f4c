"""A 1-D CNN for sensor windows, whose flatten size was computed for 100-sample windows;
the data loader now yields 128-sample windows.

[truth]
family = "linear_in_features"
numbers = { mat1_rows = 4, mat1_cols = 928, mat2_rows = 736, mat2_cols = 6 }
culprit = "self.fc = nn.Linear(32 * 23, num_classes)"
fix_values = { in_features = 928 }
"""

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class SignalNet(nn.Module):
    def __init__(self, channels=3, num_classes=6):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(channels, 16, 5),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(16, 32, 5),
            nn.ReLU(),
            nn.MaxPool1d(2),
        )
        self.fc = nn.Linear(32 * 23, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = x.flatten(1)
        return self.fc(x)


windows = TensorDataset(torch.randn(8, 3, 128), torch.randint(0, 6, (8,)))
loader = DataLoader(windows, batch_size=4)
model = SignalNet()
for x, _labels in loader:
    logits = model(x)
    break
