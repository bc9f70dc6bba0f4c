"""A text classifier feeds a seq-first TransformerEncoder: the [batch, seq, embed] embeddings
are swapped to [seq, batch, embed] with permute(1, 0), which lists only two of the three dims.

[truth]
family = "permute"
numbers = { input_dim = 3, len_dims = 2 }
culprit = "x = x.permute(1, 0)"
fix_values = { permute = [1, 0, 2] }
"""
import torch
import torch.nn as nn


class TextClassifier(nn.Module):
    def __init__(self, vocab=1000, d_model=32, n_classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead=4, dim_feedforward=64)
        self.encoder = nn.TransformerEncoder(layer, num_layers=1, enable_nested_tensor=False)
        self.out = nn.Linear(d_model, n_classes)

    def forward(self, tokens):
        x = self.embed(tokens)
        x = x.permute(1, 0)
        x = self.encoder(x)
        return self.out(x.mean(dim=0))


model = TextClassifier()
batch = torch.randint(0, 1000, (4, 12))
print(model(batch).shape)
