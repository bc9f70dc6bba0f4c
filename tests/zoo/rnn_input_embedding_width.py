"""A sentiment model whose LSTM input_size is not the embedding width.

[truth]
family = "rnn_input"
numbers = { expected = 100, got = 128 }
culprit = "self.lstm = nn.LSTM(EMBED_DIM, HIDDEN_DIM, batch_first=True)"
fix_values = { input_size = 128 }
"""
import torch
import torch.nn as nn

VOCAB = 2000
EMBED_DIM = 100
HIDDEN_DIM = 64


class Sentiment(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, 128, padding_idx=0)
        self.lstm = nn.LSTM(EMBED_DIM, HIDDEN_DIM, batch_first=True)
        self.fc = nn.Linear(HIDDEN_DIM, 2)

    def forward(self, tokens):
        emb = self.embedding(tokens)
        _, (h, _) = self.lstm(emb)
        return self.fc(h[-1])


batch = torch.randint(1, VOCAB, (16, 30))
logits = Sentiment()(batch)
