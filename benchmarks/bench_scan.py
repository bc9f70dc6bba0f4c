"""Scan benchmark: `explainer scan` on a generated 1 GB torchrun log, beside `grep -c Traceback`.

The log (made in a temporary folder, deleted afterwards) has timestamped training lines from 8
ranks with `[rankN]:` prefixes, a handled traceback every ~100 MB, and at its end the same shape
error from all 8 ranks, interleaved line by line, followed by torchrun's ChildFailedError report.
Prints the wall time and peak memory (RSS) of the scan of the whole file, of `--last`, of a file
a tenth the size (memory should not grow with the size), and of grep on the same file.
Target: under 5 s for 1 GB, memory flat. Run: `python benchmarks/bench_scan.py [size_mb]`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRACEBACK = """Traceback (most recent call last):
  File "/home/alice/proj/train.py", line 88, in <module>
    loss = step(model, batch)
  File "/home/alice/proj/train.py", line 51, in step
    out = model(x)
  File "/home/alice/proj/.venv/lib/python3.11/site-packages/torch/nn/modules/module.py", line 1778, in _wrapped_call_impl
    return self._call_impl(*args, **kwargs)
  File "/home/alice/proj/net.py", line 27, in forward
    x = self.fc1(x)
RuntimeError: mat1 and mat2 shapes cannot be multiplied (32x2704 and 400x120)
"""  # noqa: E501
HANDLED = """Traceback (most recent call last):
  File "/home/alice/proj/data.py", line 12, in load
    return json.load(handle)
json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)
"""
CHILD_FAILED = """Traceback (most recent call last):
  File "/usr/bin/torchrun", line 8, in <module>
    sys.exit(main())
torch.distributed.elastic.multiprocessing.errors.ChildFailedError:
============================================================
train.py FAILED
"""


def make_log(path: Path, size: int, ranks: int = 8) -> None:
    """Write about `size` bytes of log, fast: one 4 MiB block repeated, tracebacks between."""
    lines = []
    for i in range(40000):
        rank = i % ranks
        lines.append(
            f"[rank{rank}]:2024-05-01 12:{i // 600 % 60:02d}:{i // 10 % 60:02d},{i % 1000:03d} "
            f"INFO train.py:120 epoch 3 step {i} loss {1 / (i + 1):.5f} lr 3.0e-04 "
            f"grad_norm 0.{i % 97:02d} 12.3it/s\n"
        )
    block = "".join(lines).encode()
    handled = "".join(f"[rank0]:{line}\n" for line in HANDLED.splitlines()).encode()
    with open(path, "wb") as out:
        written = 0
        next_handled = 100 * 1024 * 1024
        while written < size - 64 * 1024:
            out.write(block)
            written += len(block)
            if written >= next_handled:
                out.write(handled)
                next_handled += 100 * 1024 * 1024
        tb_lines = TRACEBACK.splitlines()
        for k in range(len(tb_lines)):
            for rank in range(ranks):
                out.write(f"[rank{rank}]:{tb_lines[k]}\n".encode())
        out.write(CHILD_FAILED.encode())


def measured(cmd: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MiB and stdout of a command (run via a tiny wrapper)."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "dt = time.perf_counter() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024\n"
        "print(f'{dt} {rss}'); sys.stdout.write(p.stdout)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, *cmd],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "EXPLAINER_NO_HISTORY": "1"},
        check=False,
    )
    head, _, out = proc.stdout.partition("\n")
    seconds, rss = head.split()
    return float(seconds), int(rss), out


def summary(out: str) -> dict[str, object]:
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return next((d for d in lines if d.get("kind") == "summary"), {})


def main(size_mb: int = 1024) -> None:
    folder = Path(tempfile.mkdtemp(prefix="explainer-bench-scan-"))
    try:
        big, small = folder / "train.log", folder / "small.log"
        started = time.perf_counter()
        make_log(big, size_mb * 1024 * 1024)
        make_log(small, size_mb * 1024 * 1024 // 10)
        print(
            f"generated {big.stat().st_size / 1e9:.2f} GB in {time.perf_counter() - started:.1f} s"
        )
        scan = [sys.executable, "-m", "explainer", "scan", "--json", "--no-progress"]
        subprocess.run(["cat", str(big)], stdout=subprocess.DEVNULL, check=False)  # page cache
        grep_s, grep_rss, grep_out = measured(["grep", "-c", "Traceback", str(big)])
        full_s, full_rss, full_out = measured([*scan, str(big)])
        last_s, last_rss, _ = measured([*scan, "--last", str(big)])
        small_s, small_rss, _ = measured([*scan, str(small)])
        found = summary(full_out)
        gb = big.stat().st_size / 1e9
        print(f"file: {gb:.2f} GB, {grep_out.strip()} lines with 'Traceback' (grep -c)")
        print(
            f"explainer scan         {full_s:6.2f} s  {gb / full_s:5.2f} GB/s  peak {full_rss} MiB"
        )
        print(f"explainer scan --last  {last_s:6.2f} s                peak {last_rss} MiB")
        print(f"scan of a 1/10 file    {small_s:6.2f} s                peak {small_rss} MiB")
        print(
            f"grep -c Traceback      {grep_s:6.2f} s  {gb / grep_s:5.2f} GB/s  peak {grep_rss} MiB"
        )
        print(f"ratio scan / grep      {full_s / grep_s:6.2f}x   (target: scan under 5 s)")
        print(
            f"found: {found.get('tracebacks')} tracebacks, {found.get('distinct')} distinct "
            f"errors, {found.get('launcher_reports')} launcher report(s)"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1024)
