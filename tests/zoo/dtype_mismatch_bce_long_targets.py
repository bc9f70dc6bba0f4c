"""Binary labels kept as integers for BCEWithLogitsLoss, which needs float targets.

[truth]
family = "dtype_mismatch"
numbers = { result_dtype = "Float", output_dtype = "Long" }
culprit = "targets = torch.tensor(df_labels)"
fix_values = { dtype = "float32" }
"""
import torch
import torch.nn as nn

df_labels = [0, 1, 1, 0, 1, 0, 0, 1]
inputs = torch.randn(8, 12)
targets = torch.tensor(df_labels)

model = nn.Linear(12, 1)
criterion = nn.BCEWithLogitsLoss()
logits = model(inputs).squeeze(1)
loss = criterion(logits, targets)
loss.backward()
