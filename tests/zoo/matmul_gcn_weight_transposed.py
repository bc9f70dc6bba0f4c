"""A hand-written graph convolution whose weight is created [out, in] like nn.Linear's, then
used as x @ W, which needs [in, out].

[truth]
family = "matmul"
numbers = { mat1_rows = 6, mat1_cols = 12, mat2_rows = 4, mat2_cols = 12 }
culprit = "self.weight = nn.Parameter(torch.randn(out_dim, in_dim) * 0.1)"
fix_values = { mat2_shape = [12, 4] }
"""

import torch
import torch.nn as nn


class GraphConv(nn.Module):
    def __init__(self, in_dim=12, out_dim=4):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) * 0.1)
        self.bias = nn.Parameter(torch.zeros(out_dim))

    def forward(self, x, adj):
        support = torch.mm(x, self.weight)
        return torch.mm(adj, support) + self.bias


num_nodes = 6
adj = torch.eye(num_nodes) + torch.rand(num_nodes, num_nodes).round()
features = torch.randn(num_nodes, 12)
layer = GraphConv()
out = layer(features, adj)
