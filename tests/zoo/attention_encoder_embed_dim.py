"""A transformer head on ResNet features: d_model is 256 but the tokens are 512 wide.

[truth]
family = "attention"
numbers = { expected = 256, got = 512 }
culprit = "layer = nn.TransformerEncoderLayer(D_MODEL, 8, batch_first=True)"
fix_values = { embed_dim = 512 }
"""
import torch
import torch.nn as nn

D_MODEL = 256


class VisualTransformerHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Conv2d(3, 512, kernel_size=16, stride=16)
        layer = nn.TransformerEncoderLayer(D_MODEL, 8, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.cls = nn.Linear(D_MODEL, 10)

    def forward(self, images):
        tokens = self.backbone(images).flatten(2).transpose(1, 2)  # [N, 16, 512]
        return self.cls(self.encoder(tokens).mean(1))


logits = VisualTransformerHead()(torch.randn(2, 3, 64, 64))
