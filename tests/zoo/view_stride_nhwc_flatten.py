"""A detection head that moves channels last with permute() and then flattens with view().

[truth]
family = "view_stride"
culprit = "return x.view(x.size(0), -1, 4)"
fix_values = { method = "reshape" }
"""

import torch
import torch.nn as nn


class BoxHead(nn.Module):
    def __init__(self, in_channels=8, anchors=3):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, anchors * 4, 3, padding=1)

    def forward(self, feature_map):
        x = self.conv(feature_map)
        x = x.permute(0, 2, 3, 1)
        return x.view(x.size(0), -1, 4)


head = BoxHead()
boxes = head(torch.randn(2, 8, 5, 5))
