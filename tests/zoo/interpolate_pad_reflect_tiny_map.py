"""A CycleGAN-style generator: three stride-2 downsamplings turn 8-pixel crops into 1×1 maps,
then the residual blocks' ReflectionPad2d(1) has nothing to mirror.

[truth]
family = "interpolate_pad"
numbers = { pad_left = 1, pad_right = 1, dim = 3, input_shape = [2, 64, 1, 1] }
culprit = "nn.ReflectionPad2d(1),"
fix_values = { min_dim_size = 2 }
"""
import torch
import torch.nn as nn


class ResnetBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.block = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, 3),
            nn.InstanceNorm2d(dim),
            nn.ReLU(True),
        )

    def forward(self, x):
        return x + self.block(x)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU(True),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(True),
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(True),
        )
        self.res = nn.Sequential(ResnetBlock(64), ResnetBlock(64))

    def forward(self, x):
        return self.res(self.down(x))


netG = Generator()
crops = torch.randn(2, 3, 8, 8)
fake = netG(crops)
