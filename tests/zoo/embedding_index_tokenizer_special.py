"""Language model sized from the word list before special tokens were added to the tokenizer.

[truth]
family = "embedding_index"
culprit = "self.embed = nn.Embedding(vocab_size, dim)"
"""
import torch
import torch.nn as nn

WORDS = ["the", "a", "cat", "dog", "sat", "ran", "on", "mat"]


class WordTokenizer:
    def __init__(self, words):
        self.vocab = {w: i for i, w in enumerate(words)}

    def add_special(self, token):
        self.vocab[token] = len(self.vocab)

    def encode(self, text):
        return [self.vocab.get(w, 0) for w in text.split()]


class TinyLM(nn.Module):
    def __init__(self, vocab_size, dim=16):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.rnn = nn.GRU(dim, dim, batch_first=True)
        self.head = nn.Linear(dim, vocab_size)

    def forward(self, ids):
        h, _ = self.rnn(self.embed(ids))
        return self.head(h)


tokenizer = WordTokenizer(WORDS)
model = TinyLM(vocab_size=len(WORDS))
tokenizer.add_special("<bos>")
tokenizer.add_special("<eos>")
ids = [tokenizer.vocab["<bos>"]] + tokenizer.encode("the cat sat on the mat") + [tokenizer.vocab["<eos>"]]
logits = model(torch.tensor([ids]))
