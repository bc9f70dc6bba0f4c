"""Linear regression by hand with the bias folded into the weight vector, but no column of
ones added to the design matrix: X [10, 3] @ w [4].

[truth]
family = "matmul"
numbers = { input_len = 10, rows = 10, cols = 3, vec_len = 4 }
culprit = "w = torch.zeros(N_FEATURES + 1, requires_grad=True)"
fix_values = { vec_len = 3 }
"""

import torch

N_FEATURES = 3
X = torch.randn(10, N_FEATURES)
y = X @ torch.tensor([1.0, -2.0, 0.5]) + 0.3
w = torch.zeros(N_FEATURES + 1, requires_grad=True)
optimizer = torch.optim.SGD([w], lr=0.1)
for _step in range(5):
    y_pred = X @ w
    loss = ((y_pred - y) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
