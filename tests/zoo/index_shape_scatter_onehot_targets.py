"""Label smoothing builds one-hot targets with scatter_, passing the class ids [N] as the index
of a [N, C] tensor: scatter_ needs the index as [N, 1].

[truth]
family = "index_shape"
numbers = { which = "self" }
culprit = "one_hot = torch.zeros_like(logits).scatter_(1, labels, 1.0)"
fix_values = { unsqueeze = 1 }
"""
import torch
import torch.nn as nn


class LabelSmoothingLoss(nn.Module):
    def __init__(self, smoothing=0.1):
        super().__init__()
        self.smoothing = smoothing

    def forward(self, logits, labels):
        n_classes = logits.size(1)
        one_hot = torch.zeros_like(logits).scatter_(1, labels, 1.0)
        soft = one_hot * (1 - self.smoothing) + self.smoothing / n_classes
        return -(soft * logits.log_softmax(dim=1)).sum(dim=1).mean()


criterion = LabelSmoothingLoss()
logits = torch.randn(4, 5, requires_grad=True)
labels = torch.tensor([0, 3, 1, 4])
loss = criterion(logits, labels)
loss.backward()
