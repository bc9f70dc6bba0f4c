"""Audio-visual fusion whose squeeze() also removes the batch dimension when batch size is 1.

[truth]
family = "einsum"
numbers = { subscripts = 2, ndim = 1, operand = 1 }
culprit = "fused = torch.einsum(\"bchw,bc->bchw\", feature_map, audio.squeeze())"
fix_values = { ndim = 2 }
"""
import torch
import torch.nn as nn


class FusionBlock(nn.Module):
    def __init__(self, channels=8):
        super().__init__()
        self.audio_proj = nn.Linear(16, channels)

    def forward(self, feature_map, audio_feat):
        audio = self.audio_proj(audio_feat).unsqueeze(-1)
        fused = torch.einsum("bchw,bc->bchw", feature_map, audio.squeeze())
        return fused


block = FusionBlock()
out = block(torch.randn(1, 8, 4, 4), torch.randn(1, 16))
