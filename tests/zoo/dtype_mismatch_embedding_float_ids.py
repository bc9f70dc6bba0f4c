"""Token ids padded into a torch.Tensor (float by default) before the embedding lookup.

[truth]
family = "dtype_mismatch"
numbers = { got = "torch.FloatTensor", op = "embedding" }
culprit = "batch = torch.Tensor(padded)"
fix_values = { dtype = "int64" }
"""
import torch
import torch.nn as nn

vocab = {"<pad>": 0, "good": 1, "bad": 2, "movie": 3, "plot": 4}
sentences = [["good", "movie"], ["bad", "plot", "bad"]]


def encode(batch):
    ids = [[vocab[w] for w in s] for s in batch]
    width = max(len(x) for x in ids)
    return [x + [0] * (width - len(x)) for x in ids]


class BagOfWords(nn.Module):
    def __init__(self, vocab_size, dim=16):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.out = nn.Linear(dim, 2)

    def forward(self, ids):
        return self.out(self.embed(ids).mean(dim=1))


padded = encode(sentences)
batch = torch.Tensor(padded)
model = BagOfWords(len(vocab))
logits = model(batch)
