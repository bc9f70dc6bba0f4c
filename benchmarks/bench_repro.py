"""Reproducer benchmark: `explainer repro` tracing ResNet-152 (batch 32) and ViT-L/16 (batch 8)
on meta and on cpu, against `torchinfo.summary` of the same model and input, side by side.

Each figure is one fresh process, as a user runs it: wall time includes Python's start and
torch's import; peak memory is the highest resident set of the process tree (explainer and
its child). Targets for the ResNet-152 meta trace: under 2 s, under 1.5 GB, at least 3x
faster than torchinfo. Printed, not asserted. Run: `python benchmarks/bench_repro.py`
(`--quick` skips the cpu runs and ViT's torchinfo, which take minutes on 2 cores).

The models are written here (torchvision is not installed): torchvision's ResNet-152 and
timm's ViT-L/16 layer for layer, with their parameter counts (60.2 M and 304.3 M).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve()


# -- ResNet-152 ---------------------------------------------------------------------------------
class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    def __init__(self, layers=(3, 8, 36, 3), num_classes: int = 1000) -> None:
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._stage(64, layers[0])
        self.layer2 = self._stage(128, layers[1], 2)
        self.layer3 = self._stage(256, layers[2], 2)
        self.layer4 = self._stage(512, layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2048, num_classes)

    def _stage(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * 4:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * 4, 1, stride, bias=False),
                nn.BatchNorm2d(planes * 4),
            )
        layers = [Bottleneck(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * 4
        layers += [Bottleneck(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet152() -> ResNet:
    return ResNet((3, 8, 36, 3))


# -- ViT-L/16 -----------------------------------------------------------------------------------
class Attention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        x = F.scaled_dot_product_attention(q, k, v)
        return self.proj(x.transpose(1, 2).reshape(b, n, c))


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, mlp: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp), nn.GELU(), nn.Linear(mlp, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class VisionTransformer(nn.Module):
    def __init__(self, image=224, patch=16, dim=1024, depth=24, heads=16, mlp=4096, classes=1000):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        tokens = (image // patch) ** 2 + 1
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens, dim))
        self.blocks = nn.Sequential(*[Block(dim, heads, mlp) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        x = self.blocks(x + self.pos_embed)
        return self.head(self.norm(x)[:, 0])


def vit_l_16() -> VisionTransformer:
    return VisionTransformer()


MODELS = {"resnet152": (resnet152, (32, 3, 224, 224)), "vit_l_16": (vit_l_16, (8, 3, 224, 224))}


# -- measuring ----------------------------------------------------------------------------------
def peak(cmd: list[str]) -> tuple[float, int, str]:
    """Run `cmd` under a wrapper that reports the tree's peak RSS (ru_maxrss of its children)."""
    wrapper = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(json.loads(sys.argv[1]), capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024\n"
        "print(json.dumps({'wall': wall, 'rss': rss, 'rc': p.returncode, 'out': p.stdout,"
        " 'err': p.stderr[-3000:]}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, json.dumps(cmd)], capture_output=True, text=True, cwd=ROOT
    )
    data = json.loads(proc.stdout)
    if data["rc"] not in (0, 1):
        sys.stderr.write(f"{' '.join(cmd[:6])}...: exit {data['rc']}\n{data['err']}\n")
    return data["wall"], data["rss"], data["out"]


def repro_cmd(model: str, device: str) -> list[str]:
    shape = ",".join(map(str, MODELS[model][1]))
    return [
        sys.executable, "-m", "explainer", "repro", "--json", "--no-fix",
        "--model", f"{HERE.relative_to(ROOT)}:{model}", "--input", shape, "--device", device,
        "--timeout", "600",
    ]  # fmt: skip


def torchinfo_cmd(model: str, device: str) -> list[str]:
    return [sys.executable, str(HERE), "--torchinfo", model, device]


def run_torchinfo(model: str, device: str) -> None:
    """In its own process: torchinfo.summary of the model, as its users call it."""
    import torchinfo

    build, shape = MODELS[model]
    with torch.device(device):
        net = build()
    torchinfo.summary(net, input_size=shape, device=device, verbose=0)


def main(quick: bool) -> None:
    load = os.getloadavg()[0]
    print(f"python {sys.version.split()[0]}, torch {torch.__version__}, {os.cpu_count()} cpus, "
          f"load average {load:.2f}")  # fmt: skip
    print(f"{'model':10} {'what':22} {'wall s':>8} {'peak MB':>9}  notes")
    results: dict[tuple[str, str], float] = {}
    for model in MODELS:
        cases = [("explainer repro meta", repro_cmd(model, "meta"))]
        if not quick:
            cases.append(("explainer repro cpu", repro_cmd(model, "cpu")))
        cases.append(("torchinfo meta", torchinfo_cmd(model, "meta")))
        if not quick or model == "resnet152":
            cases.append(("torchinfo cpu", torchinfo_cmd(model, "cpu")))
        for what, cmd in cases:
            wall, rss, out = peak(cmd)
            note = ""
            if what.startswith("explainer"):
                try:
                    rep = json.loads(out)["repro"]
                    t = rep.get("timings") or {}
                    rows = len(rep.get("layers") or [])
                    note = (
                        f"{rows} rows, torch import {t.get('import_torch_s', 0):.2f} s, "
                        f"trace {t.get('run_s', 0):.2f} s, status {rep.get('status')}, "
                        f"output {rep['layers'][0].get('output') if rows else None}"
                    )
                    if rep.get("slow_meta_ops"):
                        note += f", torch meta kernels: {rep['slow_meta_ops']}"
                except (ValueError, KeyError) as exc:
                    note = f"no report ({exc})"
            results[(model, what)] = wall
            print(f"{model:10} {what:22} {wall:8.2f} {rss / 1e6:9.0f}  {note}")
    for model in MODELS:
        meta = results.get((model, "explainer repro meta"))
        for other in ("torchinfo cpu", "torchinfo meta"):
            if meta and results.get((model, other)):
                print(f"{model}: explainer repro on meta is {results[(model, other)] / meta:.1f}x "
                      f"faster than {other}")  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--torchinfo":
        run_torchinfo(sys.argv[2], sys.argv[3])
    else:
        main(quick="--quick" in sys.argv)
