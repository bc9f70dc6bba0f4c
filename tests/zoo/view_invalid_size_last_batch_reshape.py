"""A small CNN that reshapes its feature map with the configured batch size: the epoch's last
batch has 3 images, and reshape(BATCH_SIZE, 32 * 7 * 7) asks for 16 rows.

[truth]
family = "view_invalid_size"
numbers = { shape = [16, 1568], input_size = 4704 }
culprit = "x = x.reshape(BATCH_SIZE, 32 * 7 * 7)"
fix_values = { batch_size = 3 }
"""

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

BATCH_SIZE = 16


class DigitNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = self.features(x)
        x = x.reshape(BATCH_SIZE, 32 * 7 * 7)
        return self.classifier(x)


train = TensorDataset(torch.randn(19, 1, 28, 28), torch.randint(0, 10, (19,)))
loader = DataLoader(train, batch_size=BATCH_SIZE, shuffle=True)
model = DigitNet()
model.eval()
with torch.no_grad():
    for images, _labels in loader:
        preds = model(images).argmax(1)
