"""Fine-tuning a pretrained text classifier after rebuilding the vocabulary from new data: the
checkpoint's embedding table has 5000 rows, the new vocabulary 4321.

[truth]
family = "state_dict_size"
numbers = { param = "embedding.weight", ckpt_shape = [5000, 64], model_shape = [4321, 64] }
culprit = "model.load_state_dict(torch.load(buffer))"
fix_values = { vocab_size = 5000 }
"""
import io

import torch
import torch.nn as nn


class TextClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim=64, num_classes=4):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim)
        self.fc = nn.Linear(embed_dim, num_classes)

    def forward(self, tokens, offsets):
        return self.fc(self.embedding(tokens, offsets))


def build_vocab(corpus, max_size):
    words = sorted({w for line in corpus for w in line.split()})
    return {w: i for i, w in enumerate(words[:max_size])}


# pretraining run (another corpus): 5000 words
buffer = io.BytesIO()
torch.save(TextClassifier(vocab_size=5000).state_dict(), buffer)
buffer.seek(0)

# fine-tuning run: the vocabulary is rebuilt from the new corpus
corpus = [" ".join(f"tok{i}" for i in range(j, 4321, 7)) for j in range(7)]
vocab = build_vocab(corpus, max_size=5000)
model = TextClassifier(vocab_size=len(vocab))
model.load_state_dict(torch.load(buffer))
