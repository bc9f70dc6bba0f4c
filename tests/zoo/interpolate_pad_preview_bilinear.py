"""A super-resolution preview that upsamples one [C, H, W] image bilinearly, without a batch dim.

[truth]
family = "interpolate_pad"
numbers = { ndim = 3, mode = "bilinear", need = 4 }
culprit = "upscaled = F.interpolate(low_res, scale_factor=4, mode=\"bilinear\", align_corners=False)"
fix_values = { input_dims = 4 }
"""
import torch
import torch.nn.functional as F


def load_preview():
    return torch.rand(3, 24, 24)


low_res = load_preview()
upscaled = F.interpolate(low_res, scale_factor=4, mode="bilinear", align_corners=False)
print(upscaled.shape)
