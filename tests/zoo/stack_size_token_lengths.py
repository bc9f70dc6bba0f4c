"""A text dataset returning unpadded token ids, batched by the default collate.

[truth]
family = "stack_size"
numbers = { entry0_shape = [5], other_shape = [8], other_entry = 1 }
culprit = "ids = torch.tensor([self.vocab.get(w, 1) for w in words])"
fix_values = { pad_to = 8 }
"""
import torch
from torch.utils.data import DataLoader, Dataset


class Reviews(Dataset):
    def __init__(self):
        self.texts = ["a fine little film", "one of the worst films this year",
                      "loved it", "not my kind of movie at all"]
        self.labels = [1, 0, 1, 0]
        words = sorted({w for t in self.texts for w in t.split()})
        self.vocab = {w: i + 2 for i, w in enumerate(words)}

    def __len__(self):
        return len(self.texts)

    def __getitem__(self, index):
        words = ["<s>"] + self.texts[index].split()
        ids = torch.tensor([self.vocab.get(w, 1) for w in words])
        return ids, self.labels[index]


loader = DataLoader(Reviews(), batch_size=2)
for ids, labels in loader:
    print(ids.shape)
