"""Text classifier: the <pad> id is appended after the vocabulary was counted.

[truth]
family = "embedding_index"
culprit = "self.embedding = nn.Embedding(len(VOCAB), 16)"
fix_values = { num_embeddings = 9 }
"""
import torch
import torch.nn as nn

VOCAB = ["<unk>", "the", "movie", "was", "great", "bad", "plot", "acting"]
WORD_TO_ID = {w: i for i, w in enumerate(VOCAB)}
PAD_ID = len(VOCAB)


def encode(sentence, length=6):
    ids = [WORD_TO_ID.get(w, 0) for w in sentence.split()][:length]
    return ids + [PAD_ID] * (length - len(ids))


class BagOfWords(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(len(VOCAB), 16)
        self.fc = nn.Linear(16, 2)

    def forward(self, ids):
        return self.fc(self.embedding(ids).mean(dim=1))


model = BagOfWords()
batch = torch.full((2, 6), PAD_ID)
batch[0, :4] = torch.tensor(encode("the movie was great")[:4])
batch[1, :3] = torch.tensor(encode("bad plot acting")[:3])
logits = model(batch)
