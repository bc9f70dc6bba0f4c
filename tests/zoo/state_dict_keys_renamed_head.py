"""A refactor renamed the classifier head from `classifier` to `head`; old checkpoints still name
it `classifier`.

[truth]
family = "state_dict_keys"
culprit = "net.load_state_dict(old_weights)"
fix_values = { renames = { classifier = "head" } }
"""
import torch.nn as nn


class OldNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(16, 32), nn.ReLU())
        self.classifier = nn.Linear(32, 3)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(16, 32), nn.ReLU())
        self.head = nn.Linear(32, 3)


old_weights = OldNet().state_dict()
net = Net()
net.load_state_dict(old_weights)
