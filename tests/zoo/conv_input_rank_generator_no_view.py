"""A DCGAN generator that feeds its Linear projection to ConvTranspose2d without reshaping it.

[truth]
family = "conv_input_rank"
numbers = { op = "conv_transpose2d", input_shape = [8, 2048] }
culprit = "return self.deconv(x)"
fix_values = { input_shape = [8, 128, 4, 4] }
"""
import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, latent_dim=64):
        super().__init__()
        self.project = nn.Linear(latent_dim, 128 * 4 * 4)
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1),
            nn.Tanh(),
        )

    def forward(self, z):
        x = torch.relu(self.project(z))
        return self.deconv(x)


generator = Generator()
noise = torch.randn(8, 64)
fake = generator(noise)
