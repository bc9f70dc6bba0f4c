"""How long `explainer tui` takes to draw its first screen, measured in a real pseudo-terminal.

Each run starts a fresh process on a pty and times it until a text of the first screen is on
the terminal. A bare Textual app that draws one word is timed in the same way, interleaved with
ours, so a busy machine slows both: the ratio and the difference are the figures to compare.
Printed, never asserted. `python benchmarks/bench_tui.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import resource
import select
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "data" / "examples" / "lenet_64px.txt"
BARE_APP = (
    "from textual.app import App\n"
    "from textual.widgets import Static\n"
    "class Bare(App):\n"
    "    def compose(self):\n"
    "        yield Static('ready')\n"
    "Bare().run()\n"
)
TARGET_MS = 400


def time_to_screen(argv: list[str], marker: str, timeout: float = 30.0) -> tuple[float, float]:
    """Seconds from starting `argv` on an 80x24 pty until `marker` (a regex) is drawn, and the
    CPU seconds the process had used by then (less sensitive to a busy machine than the wall)."""
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="80", LINES="24")
    env.pop("NO_COLOR", None)
    # The children's CPU time as the kernel counts it once a child is reaped (by poll or wait).
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=follower, stdout=follower, stderr=follower, env=env, start_new_session=True
    )
    os.close(follower)
    seen = b""
    pattern = re.compile(marker.encode())
    elapsed = float("nan")
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([leader], [], [], 0.05)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            seen += chunk
            if pattern.search(seen):
                elapsed = time.perf_counter() - start
                break
    finally:
        proc.kill()
        proc.wait()
        os.close(leader)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    py = sys.executable
    cases = {
        "python -c pass": ([py, "-c", "import sys; sys.stdout.write('ready')"], "ready"),
        "bare Textual app": ([py, "-c", BARE_APP], "ready"),
        "explainer tui (browser)": ([py, "-m", "explainer", "tui"], r"entries in \d+ famil"),
        "explainer tui FILE (first screen)": (
            [py, "-m", "explainer", "tui", str(EXAMPLE)],
            r"Explaining|linear-in-features",
        ),
        "explainer tui FILE (explained)": (
            [py, "-m", "explainer", "tui", str(EXAMPLE)],
            r"What happened",
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, (argv, marker) in cases.items():
            wall, used = time_to_screen(argv, marker)
            times[name].append(wall)
            cpu[name].append(used)
    base = statistics.median(times["bare Textual app"])
    base_cpu = statistics.median(cpu["bare Textual app"])
    print(f"time to first screen on an 80x24 pty, median of {args.runs} runs (interleaved)")
    print(f"  {'':<36} {'wall':>7}      {'cpu':>7}")
    for name, values in times.items():
        med = statistics.median(values)
        med_cpu = statistics.median(cpu[name])
        line = f"  {name:<36} {med * 1000:7.0f} ms {med_cpu * 1000:7.0f} ms"
        if name.startswith("explainer"):
            line += f"   {med / base:4.2f}x the bare app's wall, {med_cpu / base_cpu:4.2f}x its cpu"
        print(line)
    ours = statistics.median(times["explainer tui (browser)"])
    print(
        f"target: first screen under {TARGET_MS} ms: {ours * 1000:.0f} ms "
        f"({'met' if ours * 1000 < TARGET_MS else 'not met'} on this machine now; "
        f"the bare Textual app alone takes {base * 1000:.0f} ms here)"
    )


if __name__ == "__main__":
    main()
