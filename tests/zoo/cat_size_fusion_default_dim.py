"""Late fusion of image and tabular features with torch.cat and no dim (it joins the batch).

[truth]
family = "cat_size"
numbers = { except_dim = 0, expected = 64, got = 6, tensor_number = 1 }
culprit = "fused = torch.cat((img_feat, tab_feat))"
fix_values = { dim = 1 }
"""
import torch
import torch.nn as nn


class FusionNet(nn.Module):
    def __init__(self, n_tabular=6, n_classes=3):
        super().__init__()
        self.cnn = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.AdaptiveAvgPool2d(1),
                                 nn.Flatten())
        self.head = nn.Linear(64 + n_tabular, n_classes)

    def forward(self, image, tabular):
        img_feat = self.cnn(image)
        tab_feat = tabular
        fused = torch.cat((img_feat, tab_feat))
        return self.head(fused)


model = FusionNet()
logits = model(torch.randn(4, 3, 16, 16), torch.randn(4, 6))
