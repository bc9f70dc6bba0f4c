"""Feature maps are converted to channels-last for a NumPy/TF-style export, with a typo in the
order: permute(0, 2, 2, 1) names dim 2 twice and never names dim 3.

[truth]
family = "permute"
culprit = "maps = feats.permute(0, 2, 2, 1).contiguous()"
fix_values = { permute = [0, 2, 3, 1] }
"""
import torch
import torch.nn as nn

backbone = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU())


def export_feature_maps(images):
    with torch.no_grad():
        feats = backbone(images)
    maps = feats.permute(0, 2, 2, 1).contiguous()
    return maps.numpy()


print(export_feature_maps(torch.rand(2, 3, 16, 16)).shape)
