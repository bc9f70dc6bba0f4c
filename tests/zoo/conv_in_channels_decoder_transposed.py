"""A convolutional autoencoder whose decoder starts from the wrong channel count.

[truth]
family = "conv_in_channels"
numbers = { weight = [32, 16, 3, 3], input = [8, 64, 7, 7], expected_channels = 32, got_channels = 64 }
culprit = "nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1),"
fix_values = { in_channels = 64 }
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class ConvAutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 32, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1),
            nn.ReLU(),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


data = DataLoader(TensorDataset(torch.rand(16, 1, 28, 28)), batch_size=8)
model = ConvAutoEncoder()
criterion = nn.MSELoss()
for (batch,) in data:
    recon = model(batch)
    loss = criterion(recon, batch)
    loss.backward()
