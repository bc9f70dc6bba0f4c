"""Resuming a run that trained on cuda:1 after moving to a one-GPU machine.

Simulated: the checkpoint's storage locations are rewritten to 'cuda:1' (what torch.save records
there) and torch.cuda reports a single GPU, so torch.load's own check raises.

[truth]
family = "deserialize_device"
numbers = { backend = "CUDA", device_index = 1, device_count = 1 }
culprit = "ckpt = torch.load(path)"
fix_values = { map_location = "cuda:0" }
"""
import io
import zipfile

import torch
import torch.nn as nn


def written_on_cuda1(obj):
    plain = io.BytesIO()
    torch.save(obj, plain)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("data.pkl"):
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:1")
            dst.writestr(info, data)
    out.seek(0)
    return out


def load_checkpoint(path, model, optimizer):
    ckpt = torch.load(path)
    model.load_state_dict(ckpt["model"])
    optimizer.load_state_dict(ckpt["optim"])
    return ckpt["step"]


torch.cuda.is_available = lambda: True
torch.cuda.device_count = lambda: 1

model = nn.GRU(16, 32, batch_first=True)
optimizer = torch.optim.Adam(model.parameters())
saved = written_on_cuda1({"model": model.state_dict(), "optim": optimizer.state_dict(),
                          "step": 1200})
step = load_checkpoint(saved, model, optimizer)
