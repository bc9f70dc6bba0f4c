"""Per-sample post-processing iterates over the batch of logits; each item is 1-D, but the code
still indexes it as [batch, classes] with logits[:, 1].

[truth]
family = "index_shape"
numbers = { ndim = 1 }
culprit = "for logits in batch_logits:"
fix_values = { unsqueeze = 0 }
"""
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(6, 12), nn.ReLU(), nn.Linear(12, 2))
batch_logits = model(torch.randn(4, 6))

spam_scores = []
for logits in batch_logits:
    probs = logits.softmax(dim=-1)
    spam_scores.append(probs[:, 1])
print(spam_scores)
