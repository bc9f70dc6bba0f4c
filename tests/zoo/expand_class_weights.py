"""Per-sample class weights made by expanding a [1, C] table with only the batch size.

[truth]
family = "expand"
numbers = { tensor_sizes = [1, 5], target_sizes = [8], provided = 1, ndim = 2 }
culprit = "weights = self.class_weights.expand(logits.shape[0])"
fix_values = { sizes = [8, -1] }
"""
import torch
import torch.nn as nn


class WeightedLoss(nn.Module):
    def __init__(self, class_weights):
        super().__init__()
        self.register_buffer("class_weights", torch.tensor([class_weights]))

    def forward(self, logits, target):
        weights = self.class_weights.expand(logits.shape[0])
        per_class = -torch.log_softmax(logits, -1) * nn.functional.one_hot(target, 5)
        return (per_class * weights).sum(-1).mean()


criterion = WeightedLoss([1.0, 2.0, 1.0, 0.5, 1.0])
loss = criterion(torch.randn(8, 5), torch.randint(0, 5, (8,)))
