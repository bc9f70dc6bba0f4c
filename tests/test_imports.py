"""The explain path never imports torch, textual, rich, numpy or click: checked on real runs."""

from __future__ import annotations

import subprocess
import sys

from harness import ROOT

# click too: the common `explain` invocations bypass it (explainer/explain_command.py).
HEAVY = ("torch", "textual", "rich", "numpy", "sqlite_utils", "tomllib", "click")


def imported_modules(*args: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "explainer", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def test_explain_path_stays_light() -> None:
    for example in sorted((ROOT / "data" / "examples").glob("*.txt")):
        names = imported_modules("explain", "--json", str(example))
        assert names, "no import trace"
        heavy = sorted(n for n in names if n.split(".")[0] in HEAVY)
        assert not heavy, f"{example.name}: {heavy}"
