"""A VAE decoder whose Linear was resized to a 3x3 map while its Unflatten still says 4x4.

[truth]
family = "view_invalid_size"
numbers = { sizes = [32, 4, 4], dim = 1, size = 288 }
culprit = "nn.Unflatten(1, (32, 4, 4)),"
fix_values = { sizes = [32, 3, 3] }
"""

import torch
import torch.nn as nn


class Decoder(nn.Module):
    def __init__(self, latent_dim=6):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 32 * 3 * 3),
            nn.ReLU(),
            nn.Unflatten(1, (32, 4, 4)),
            nn.ConvTranspose2d(32, 16, 2, stride=2),
            nn.ReLU(),
            nn.ConvTranspose2d(16, 1, 2, stride=2),
        )

    def forward(self, z):
        return torch.sigmoid(self.net(z))


decoder = Decoder()
z = torch.randn(5, 6)
reconstruction = decoder(z)
