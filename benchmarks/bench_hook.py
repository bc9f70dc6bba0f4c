"""Start-up cost of the crash capture: `python -c pass` with and without it, in the same run.

Makes two fresh virtual environments (no pip, in a temporary folder, deleted afterwards), installs
the hook into one with `explainer hook install`, and times interleaved runs of `python -c pass`
in each; also with the capture loaded through `PYTHONPATH` (`explainer run`, `shell-init
--capture`), and what `-X importtime` says the capture module itself costs. Target: under 5 ms
added. Run: `python benchmarks/bench_hook.py [runs]`.
"""

from __future__ import annotations

import os
import py_compile
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "explainer" / "shell" / "site"


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True)
    return time.perf_counter() - start


def import_micros(python: str, env: dict[str, str], module: str, runs: int = 9) -> int:
    """Median cumulative import time of `module` at start-up, as `-X importtime` reports it."""
    found = []
    for _ in range(runs):
        proc = subprocess.run(
            [python, "-X", "importtime", "-c", "pass"], env=env, capture_output=True, text=True
        )
        for line in proc.stderr.splitlines():
            if line.rstrip().endswith(f"| {module}") or line.rstrip().endswith(f"|   {module}"):
                found.append(int(line.split("|")[1]))
    return int(statistics.median(found)) if found else -1


def main(runs: int = 40) -> None:
    folder = Path(tempfile.mkdtemp(prefix="explainer-bench-hook-"))
    try:
        plain, hooked = folder / "plain", folder / "hooked"
        for path in (plain, hooked):
            venv.create(path, with_pip=False)
        py_plain, py_hooked = str(plain / "bin" / "python"), str(hooked / "bin" / "python")
        subprocess.run(
            [sys.executable, "-m", "explainer", "hook", "install", "--python", py_hooked],
            check=True,
            cwd=ROOT,
        )
        # A pip-installed explainer has its bytecode compiled; do the same for the source tree.
        for source in (SITE / "sitecustomize.py", SITE.parent / "capture.py"):
            py_compile.compile(str(source), doraise=True)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env_path = {**env, "PYTHONPATH": str(SITE)}
        cases = {
            "no capture": ([py_plain, "-c", "pass"], env),
            "hook (.pth)": ([py_hooked, "-c", "pass"], env),
            "PYTHONPATH (run)": ([py_plain, "-c", "pass"], env_path),
        }
        for cmd, e in cases.values():  # warm caches, compile bytecode
            timed(cmd, e)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(runs):
            for name, (cmd, e) in cases.items():
                times[name].append(timed(cmd, e))
        base = statistics.median(times["no capture"])
        print(f"runs: {runs} each, interleaved; python {sys.version.split()[0]}")
        for name, values in times.items():
            median = statistics.median(values)
            added = (median - base) * 1000
            print(
                f"{name:<18} median {median * 1000:6.2f} ms   added {added:+5.2f} ms"
                f"   ratio {median / base:5.3f}x"
            )
        hook_us = import_micros(py_hooked, env, "_explainer_capture")
        site_us = import_micros(py_plain, env_path, "sitecustomize")
        print(f"-X importtime, capture module (.pth):              {hook_us} us")
        print(f"-X importtime, sitecustomize + capture (PYTHONPATH): {site_us} us")
        print("target: under 5 ms added")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
