"""A clip classifier that runs a 2-D CNN on [N, T, C, H, W] video clips without folding the frames.

[truth]
family = "conv_input_rank"
numbers = { op = "conv2d", input_shape = [2, 4, 3, 32, 32] }
culprit = "frame_features = self.backbone(clips)"
fix_values = { input_shape = [8, 3, 32, 32] }
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class ClipClassifier(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Linear(16, num_classes)

    def forward(self, clips):
        frame_features = self.backbone(clips)
        return self.head(frame_features.mean(dim=1))


videos = TensorDataset(torch.randn(6, 4, 3, 32, 32), torch.randint(0, 4, (6,)))
model = ClipClassifier()
for clips, labels in DataLoader(videos, batch_size=2):
    loss = nn.functional.cross_entropy(model(clips), labels)
