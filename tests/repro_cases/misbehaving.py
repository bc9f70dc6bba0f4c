"""Models whose forward misbehaves, one way each; `--model misbehaving.py:<Class>`."""

import os
import sys

import torch
import torch.nn as nn


class Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)


class Forever(Base):
    def forward(self, x):
        x = self.fc(x)
        while True:
            pass


class Chatty(Base):
    def forward(self, x):
        line = "shape " + "x" * 1000 + "\n"
        for _ in range(3000):  # about 3 MB
            sys.stdout.write(line)
        return self.fc(x)


class Flood(Base):
    def forward(self, x):
        line = "y" * 65536
        while True:
            print(line)


class Exits(Base):
    def forward(self, x):
        sys.exit(3)


class HardExit(Base):
    def forward(self, x):
        os._exit(7)


class Hog(Base):
    def forward(self, x):
        blocks = []
        while True:
            blocks.append(bytearray(256 * 1024 * 1024))


class Raises(Base):
    def forward(self, x):
        table = {"a": 1}
        return table["missing"]


class Fine(Base):
    def forward(self, x):
        return torch.relu(self.fc(x))


if __name__ == "__main__":
    raise SystemExit("the tests never run this file directly")
