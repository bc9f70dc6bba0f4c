"""A document classifier that scores every token but never pools over time: the logits are
flattened to [batch * tokens, classes] against one label per document.

[truth]
family = "batch_size_mismatch"
numbers = { input_batch = 18, target_batch = 3 }
culprit = "logits = logits.view(-1, self.num_classes)"
fix_values = { seq_len = 6 }
"""

import torch
import torch.nn as nn


class DocClassifier(nn.Module):
    def __init__(self, vocab_size=100, dim=16, num_classes=5):
        super().__init__()
        self.num_classes = num_classes
        self.embed = nn.Embedding(vocab_size, dim)
        self.encoder = nn.TransformerEncoderLayer(
            dim, nhead=2, dim_feedforward=32, batch_first=True
        )
        self.classifier = nn.Linear(dim, num_classes)

    def forward(self, tokens):
        hidden = self.encoder(self.embed(tokens))
        logits = self.classifier(hidden)
        logits = logits.view(-1, self.num_classes)
        return logits


model = DocClassifier()
model.eval()
tokens = torch.randint(0, 100, (3, 6))
labels = torch.tensor([0, 4, 2])
with torch.no_grad():
    loss = nn.functional.cross_entropy(model(tokens), labels)
