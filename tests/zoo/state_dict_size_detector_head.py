"""Fine-tuning: a checkpoint with an 81-class head loaded into an 11-class model.

[truth]
family = "state_dict_size"
numbers = { ckpt_shape = [81, 1024], model_shape = [11, 1024] }
culprit = "model.load_state_dict(checkpoint)"
fix_values = { num_classes = 11 }
"""
import io

import torch
import torch.nn as nn


class Detector(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(256, 1024), nn.ReLU())
        self.cls_score = nn.Linear(1024, num_classes)

    def forward(self, x):
        return self.cls_score(self.backbone(x))


buffer = io.BytesIO()
torch.save(Detector(num_classes=81).state_dict(), buffer)
buffer.seek(0)

model = Detector(num_classes=11)
checkpoint = torch.load(buffer)
model.load_state_dict(checkpoint)
