"""Fast-path benchmark: `explainer explain --json` on a bundled traceback, against `python -c pass`.

Prints the median wall time of each (same process, interleaved runs), their ratio, and what the
explain path imports. Target: median at most 120 ms on a 2-core machine; torch and textual never
imported. Run: `python benchmarks/bench_explain.py [runs]`.
"""

from __future__ import annotations

import compileall
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "data" / "examples" / "view_batch_98_vs_32.txt"
EXPLAIN = [sys.executable, "-m", "explainer", "explain", "--json", str(EXAMPLE)]
BASELINE = [sys.executable, "-c", "pass"]


# As installed by pip: byte-compiled. Some sandboxes set PYTHONDONTWRITEBYTECODE, which would
# make every run compile the package from source and measure that instead.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, cwd=ROOT, env=ENV
    )
    return time.perf_counter() - start


def imports() -> list[tuple[str, int]]:
    """(module, cumulative microseconds) for the top-level imports of the explain path."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *EXPLAIN[1:]],
        env=ENV,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    found = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
        if cumulative.isdigit():
            found.append((name, int(cumulative)))
    return found


def main(runs: int = 30) -> None:
    compileall.compile_dir(ROOT / "explainer", quiet=1)
    for cmd in (EXPLAIN, BASELINE):  # warm the file cache
        timed(cmd)
    explain, base = [], []
    for _ in range(runs):
        explain.append(timed(EXPLAIN))
        base.append(timed(BASELINE))
    m_explain, m_base = statistics.median(explain), statistics.median(base)
    modules = imports()
    names = {name.strip() for name, _ in modules}
    heavy = sorted(n for n in names if n.split(".")[0] in ("torch", "textual", "numpy", "rich"))
    print(f"runs: {runs}")
    print(f"explainer explain --json  median {m_explain * 1000:7.1f} ms  (target <= 120 ms)")
    print(f"python -c pass            median {m_base * 1000:7.1f} ms")
    print(f"ratio                     {m_explain / m_base:7.2f}x")
    print(f"modules imported: {len(names)}; torch/textual/numpy/rich: {heavy or 'none'}")
    top = sorted((m for m in modules if not m[0].startswith(" ")), key=lambda m: -m[1])[:8]
    print("slowest top-level imports (cumulative):")
    for name, micros in top:
        print(f"  {name:<30} {micros / 1000:6.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
