"""The top-k accuracy helper from an old training script: pred.t() makes `correct`
non-contiguous, and correct[:k].view(-1) fails on recent releases.

[truth]
family = "view_stride"
culprit = "correct_k = correct[:k].view(-1).float().sum(0, keepdim=True)"
fix_values = { method = "reshape" }
"""

import torch


def accuracy(output, target, topk=(1,)):
    maxk = max(topk)
    batch_size = target.size(0)
    _, pred = output.topk(maxk, 1, True, True)
    pred = pred.t()
    correct = pred.eq(target.view(1, -1).expand_as(pred))
    res = []
    for k in topk:
        correct_k = correct[:k].view(-1).float().sum(0, keepdim=True)
        res.append(correct_k.mul_(100.0 / batch_size))
    return res


logits = torch.randn(8, 10)
labels = torch.randint(0, 10, (8,))
top1, top5 = accuracy(logits, labels, topk=(1, 5))
