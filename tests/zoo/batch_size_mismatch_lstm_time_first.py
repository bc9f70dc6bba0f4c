"""A sentiment classifier whose LSTM is built without batch_first=True but fed [batch, time,
features]; out[-1] then picks the last sample's time steps instead of every sample's last step.

[truth]
family = "batch_size_mismatch"
numbers = { input_batch = 7, target_batch = 4 }
culprit = "self.lstm = nn.LSTM(embed_dim, hidden_dim)"
fix_values = { batch_first = true }
"""

import torch
import torch.nn as nn


class SentimentRNN(nn.Module):
    def __init__(self, vocab_size=50, embed_dim=8, hidden_dim=12, num_classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_dim)
        self.head = nn.Linear(hidden_dim, num_classes)

    def forward(self, tokens):
        emb = self.embedding(tokens)
        out, _ = self.lstm(emb)
        return self.head(out[-1])


model = SentimentRNN()
criterion = nn.CrossEntropyLoss()
tokens = torch.randint(0, 50, (4, 7))
labels = torch.randint(0, 2, (4,))
logits = model(tokens)
loss = criterion(logits, labels)
loss.backward()
