"""Helpers shared by the tests: running buggy programs under torch, reading zoo ground truth."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
ZOO = TESTS / "zoo"


def run_programs(paths: list[Path], timeout: int = 900) -> dict[str, dict[str, Any]]:
    """Run each program once under torch (see _forkrun.py); output and exit code by path."""
    if not paths:
        return {}
    env = dict(os.environ, PYTHONWARNINGS="default", PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(
        [sys.executable, str(TESTS / "_forkrun.py"), json.dumps([str(p) for p in paths])],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"program runner failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


@dataclass
class ZooCase:
    path: Path
    family: str
    numbers: dict[str, Any] = field(default_factory=dict)
    culprit: str | None = None
    culprit_line: int | None = None
    fix_values: dict[str, Any] = field(default_factory=dict)
    entry: str | None = None
    output: str = ""

    @property
    def name(self) -> str:
        return self.path.stem


TRUTH = re.compile(r'^"""(?P<doc>.*?)"""', re.S)


def load_case(path: Path) -> ZooCase:
    m = TRUTH.match(path.read_text(encoding="utf-8"))
    if not m or "[truth]" not in m["doc"]:
        raise ValueError(f"{path.name}: no [truth] table in the module docstring")
    truth = tomllib.loads(m["doc"][m["doc"].index("[truth]") :])["truth"]
    case = ZooCase(
        path=path,
        family=truth["family"],
        numbers=dict(truth.get("numbers", {})),
        culprit=truth.get("culprit"),
        fix_values=dict(truth.get("fix_values", {})),
        entry=truth.get("entry"),
    )
    if case.culprit:
        case.culprit_line = _line_of(path, case.culprit, int(truth.get("culprit_occurrence", 1)))
    return case


def _line_of(path: Path, text: str, occurrence: int) -> int:
    """Line number of the n-th occurrence of `text` after the module docstring."""
    source = path.read_text(encoding="utf-8")
    m = TRUTH.match(source)
    skip = source[: m.end()].count("\n") if m else 0
    seen = 0
    for n, line in enumerate(source.splitlines(), start=1):
        if n <= skip:
            continue
        if text in line:
            seen += 1
            if seen == occurrence:
                return n
    raise ValueError(f"{path.name}: culprit {text!r} not found")


def zoo_cases() -> list[ZooCase]:
    return [load_case(p) for p in sorted(ZOO.glob("*.py"))]
