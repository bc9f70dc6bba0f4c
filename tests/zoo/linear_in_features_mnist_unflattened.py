"""An MNIST MLP that forgets to flatten the images: nn.Linear folds [N, 1, 28, 28] into rows of
28 values, so the layer built for 784 features sees 28.

[truth]
family = "linear_in_features"
numbers = { mat1_rows = 448, mat1_cols = 28, mat2_rows = 784, mat2_cols = 128 }
culprit = "x = F.relu(self.fc1(x))"
fix_values = { in_features = 784 }
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        return self.fc2(x)


train = TensorDataset(torch.randn(32, 1, 28, 28), torch.randint(0, 10, (32,)))
loader = DataLoader(train, batch_size=16, shuffle=True)
model = MLP()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for images, labels in loader:
    optimizer.zero_grad()
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    optimizer.step()
