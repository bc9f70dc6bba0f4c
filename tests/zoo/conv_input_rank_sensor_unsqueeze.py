"""A 1-D CNN for sensor windows: the loader already yields [N, C, L] and the model unsqueezes again.

[truth]
family = "conv_input_rank"
numbers = { op = "conv1d", input_shape = [8, 1, 6, 50] }
culprit = "x = x.unsqueeze(1)"
fix_values = { input_shape = [8, 6, 50] }
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class ActivityNet(nn.Module):
    def __init__(self, channels=6, classes=5):
        super().__init__()
        self.conv = nn.Conv1d(channels, 32, kernel_size=5)
        self.pool = nn.AdaptiveMaxPool1d(1)
        self.fc = nn.Linear(32, classes)

    def forward(self, x):
        x = x.unsqueeze(1)
        x = torch.relu(self.conv(x))
        return self.fc(self.pool(x).squeeze(-1))


windows = TensorDataset(torch.randn(16, 6, 50), torch.randint(0, 5, (16,)))
net = ActivityNet()
for batch, target in DataLoader(windows, batch_size=8):
    logits = net(batch)
