"""Running inference on a laptop without a GPU, with a checkpoint trained on cuda:0.

The checkpoint is simulated: its storage location is rewritten from 'cpu' to 'cuda:0', which is
what torch.save records on a GPU machine. torch's own check then fails for real on this CPU-only
machine.

[truth]
family = "deserialize_device"
numbers = { backend = "CUDA" }
culprit = "state = torch.load(weights_file)"
fix_values = { map_location = "cpu" }
"""
import io
import zipfile

import torch
import torch.nn as nn


def from_gpu_run(state_dict):
    plain = io.BytesIO()
    torch.save(state_dict, plain)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("data.pkl"):
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            dst.writestr(info, data)
    out.seek(0)
    return out


class Denoiser(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Conv1d(1, 8, 5, padding=2)
        self.dec = nn.Conv1d(8, 1, 5, padding=2)

    def forward(self, x):
        return self.dec(torch.relu(self.enc(x)))


weights_file = from_gpu_run(Denoiser().state_dict())

model = Denoiser()
state = torch.load(weights_file)
model.load_state_dict(state)
model.eval()
