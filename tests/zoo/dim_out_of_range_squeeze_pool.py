"""A 1-D CNN keyword spotter squeezes its pooled features with a bare squeeze(); evaluated one
clip at a time the batch of 1 is squeezed away too, and log_softmax(dim=1) finds a 1-D tensor.

[truth]
family = "dim_out_of_range"
numbers = { range = [-1, 0], got = 1 }
culprit = "x = self.pool(x).squeeze()"
fix_values = { squeeze_dim = -1 }
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class KeywordNet(nn.Module):
    def __init__(self, n_mels=20, n_classes=5):
        super().__init__()
        self.conv1 = nn.Conv1d(n_mels, 32, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(32, 64, kernel_size=3, padding=1)
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.fc = nn.Linear(64, n_classes)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = self.pool(x).squeeze()
        out = self.fc(x)
        return F.log_softmax(out, dim=1)


clips = torch.randn(6, 20, 40)
labels = torch.randint(0, 5, (6,))
val_loader = DataLoader(TensorDataset(clips, labels), batch_size=1)
net = KeywordNet()
net.eval()
correct = 0
with torch.no_grad():
    for clip, label in val_loader:
        scores = net(clip)
        correct += int(scores.argmax(1) == label)
print(correct)
