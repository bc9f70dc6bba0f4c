"""A checkpoint trained on cuda:3 of an 8-GPU server, loaded on a workstation with 2 GPUs.

This machine has no GPU, so the program simulates both sides: the checkpoint's storage location
is rewritten from 'cpu' to 'cuda:3' (what torch.save records on that server), and
torch.cuda.is_available / device_count report a 2-GPU machine, so torch.load's own check raises.

[truth]
family = "deserialize_device"
numbers = { backend = "CUDA", device_index = 3, device_count = 2 }
culprit = "checkpoint = torch.load(ckpt_path)"
fix_values = { map_location = "cuda:0" }
"""
import io
import zipfile

import torch
import torch.nn as nn


def saved_on(state_dict, device):
    """torch.save(state_dict) as it comes out of a run on `device`."""
    plain = io.BytesIO()
    torch.save(state_dict, plain)
    out = io.BytesIO()
    location = device.encode()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("data.pkl"):
                data = data.replace(b"X\x03\x00\x00\x00cpu",
                                    b"X" + len(location).to_bytes(4, "little") + location)
            dst.writestr(info, data)
    out.seek(0)
    return out


torch.cuda.is_available = lambda: True  # the workstation: two GPUs
torch.cuda.device_count = lambda: 2

model = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                      nn.Linear(16, 10))
ckpt_path = saved_on(model.state_dict(), "cuda:3")
checkpoint = torch.load(ckpt_path)
model.load_state_dict(checkpoint)
