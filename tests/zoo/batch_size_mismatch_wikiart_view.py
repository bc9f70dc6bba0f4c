"""A classifier whose forward flattens with a hard-coded view sized for 16x16 maps.

[truth]
family = "batch_size_mismatch"
numbers = { input_batch = 98, target_batch = 32 }
culprit = "x = x.view(-1, 256 * 16 * 16)"
fix_values = { in_features = 200704 }
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class WikiartModel(nn.Module):
    def __init__(self, num_artists=129):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, padding=1)
        self.conv2 = nn.Conv2d(64, 128, 3, padding=1)
        self.conv3 = nn.Conv2d(128, 256, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc_artist1 = nn.Linear(256 * 16 * 16, 512)
        self.fc_artist2 = nn.Linear(512, num_artists)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = self.pool(F.relu(self.conv3(x)))
        x = x.view(-1, 256 * 16 * 16)
        x = F.relu(self.fc_artist1(x))
        return self.fc_artist2(x)


model = WikiartModel()
criterion = nn.CrossEntropyLoss()
images = torch.randn(32, 3, 224, 224)
labels = torch.randint(0, 129, (32,))
with torch.no_grad():
    outputs = model(images)
    loss = criterion(outputs, labels)
