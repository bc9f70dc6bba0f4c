"""Images decoded to uint8 numpy arrays (as PIL/OpenCV give them) and passed to the CNN without
converting them to float.

[truth]
family = "dtype_mismatch"
numbers = { input_type = "unsigned char", bias_type = "float" }
culprit = "image = torch.from_numpy(pixels).permute(2, 0, 1)"
fix_values = { dtype = "float32" }
"""
import numpy as np
import torch
import torch.nn as nn


def load_image(seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)  # H, W, C like PIL


class TinyCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Linear(8 * 16 * 16, 2)

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


model = TinyCNN().eval()
pixels = load_image(0)
image = torch.from_numpy(pixels).permute(2, 0, 1)
with torch.no_grad():
    scores = model(image.unsqueeze(0))
