"""A CIFAR-10 template reused for a 12-class dataset: the head still has 10 outputs.

[truth]
family = "target_out_of_bounds"
numbers = { target = 11 }
culprit = "self.fc = nn.Linear(32 * 4 * 4, 10)"
fix_values = { num_classes = 12 }
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

CLASSES = ["apple", "banana", "cherry", "date", "elder", "fig",
           "grape", "honeydew", "kiwi", "lemon", "mango", "nectarine"]


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(32 * 4 * 4, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        return self.fc(torch.flatten(x, 1))


model = SmallCNN()
criterion = nn.CrossEntropyLoss()
images = torch.randn(6, 3, 16, 16)
labels = torch.tensor([CLASSES.index(c) for c in ["fig", "apple", "nectarine", "kiwi", "date", "lemon"]])
loss = criterion(model(images), labels)
