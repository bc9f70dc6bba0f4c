"""A CRNN text recogniser passing the 4-D conv feature map straight to the LSTM.

[truth]
family = "rnn_input"
numbers = { got = 4 }
culprit = "seq, _ = self.rnn(feat)"
fix_values = { ndim = 3 }
"""
import torch
import torch.nn as nn


class CRNN(nn.Module):
    def __init__(self, n_classes=37):
        super().__init__()
        self.cnn = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d((2, 1)),
        )
        self.rnn = nn.LSTM(64 * 4, 128, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(256, n_classes)

    def forward(self, images):
        feat = self.cnn(images)  # [N, 64, 4, W/2]
        seq, _ = self.rnn(feat)
        return self.fc(seq)


out = CRNN()(torch.randn(2, 1, 16, 64))
