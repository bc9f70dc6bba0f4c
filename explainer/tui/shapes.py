"""The bridge to the reproducer (`explainer.repro`): plan a run, run it, turn it into rows.

The plan is made here with the reproducer's own `prepare` (no torch: it only reads the files),
so the confirmation names exactly what will run. The run itself is `explainer repro --json` in
a process of its own: cancelling sends it SIGINT, and the reproducer's runner then kills its
sandboxed child on the way out, so nothing of the user's code is left running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explainer.model import Explanation

POLL_S = 0.2
STOP_GRACE_S = 10.0


class ShapesError(Exception):
    """Nothing can be run for this explanation; the message says why."""


@dataclass
class LayerRow:
    name: str
    input: str
    output: str
    note: str = ""
    failing: bool = False


@dataclass
class ShapesResult:
    rows: list[LayerRow] = field(default_factory=list)
    message: str = ""
    failing: int | None = None  # index into rows
    confirmed: list[str] = field(default_factory=list)


Progress = Callable[[str], None]


@dataclass
class ShapesPlan:
    description: str  # what will run, said before asking
    run: Callable[[Progress, threading.Event], ShapesResult]


def unavailable_reason() -> str | None:
    """Why the reproducer cannot be used here, or None when it can."""
    try:
        from explainer.repro.command import torch_available
    except ImportError:
        return "this install of explainer has no reproducer (explainer.repro)"
    if not torch_available():
        return "it needs PyTorch, which is not installed here: pip install 'explainer[torch]'"
    return None


def plan_for(exp: Explanation, db_path: Path | None = None) -> ShapesPlan:
    """What would run for this explanation; raises ShapesError with the reproducer's advice."""
    from explainer.repro.command import Outcome, prepare
    from explainer.repro.options import ReproOptions

    prepared = prepare(exp.parsed, exp, ReproOptions())
    if isinstance(prepared, Outcome):
        raise ShapesError(prepared.message or "the reproducer found nothing to run")
    description = prepared.announce.removeprefix("explainer repro: ")

    def run(progress: Progress, cancel: threading.Event) -> ShapesResult:
        return run_repro_process(exp.parsed.text, db_path, progress, cancel)

    return ShapesPlan(description=description, run=run)


def repro_command(traceback_file: str, db_path: Path | None) -> list[str]:
    command = [sys.executable, "-m", "explainer", "repro", traceback_file, "--json"]
    if db_path is not None:
        command += ["--db", str(db_path)]
    return command


def run_repro_process(
    text: str, db_path: Path | None, progress: Progress, cancel: threading.Event
) -> ShapesResult:
    """Run `explainer repro --json` on `text`; stops it when `cancel` is set."""
    with tempfile.TemporaryDirectory(prefix="explainer-tui-") as folder:
        traceback_file = os.path.join(folder, "traceback.txt")
        Path(traceback_file).write_text(text, encoding="utf-8")
        with (
            tempfile.TemporaryFile() as out,
            tempfile.TemporaryFile() as err,
        ):
            proc = subprocess.Popen(
                repro_command(traceback_file, db_path),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                # Off the terminal's process group: the TUI owns the keyboard, not the run.
                start_new_session=True,
            )
            started = time.monotonic()
            while proc.poll() is None:
                if cancel.wait(POLL_S):
                    stop(proc)
                    return ShapesResult(message="Cancelled: the reproducer was stopped.")
                progress(f"Running the reproducer… {time.monotonic() - started:.0f} s")
            out.seek(0)
            err.seek(0)
            return interpret(out.read(), err.read(), proc.returncode)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT first, so the reproducer kills its own child; SIGKILL if it does not stop."""
    try:
        proc.send_signal(signal.SIGINT)
        proc.wait(STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    except ProcessLookupError:
        pass


def interpret(stdout: bytes, stderr: bytes, returncode: int | None) -> ShapesResult:
    try:
        data = json.loads(stdout.decode("utf-8", "replace"))
        report = data["repro"]
    except (ValueError, KeyError, TypeError):
        last = stderr.decode("utf-8", "replace").strip().splitlines()
        reason = last[-1] if last else f"exit code {returncode}"
        return ShapesResult(message=f"The reproducer did not report: {reason}")
    return result_from_report(report)


def _shape(value: Any) -> str:
    if not isinstance(value, list):
        return ""
    return "[" + ", ".join(str(v) for v in value) + "]"


def result_from_report(report: dict[str, Any]) -> ShapesResult:
    """The report of `explainer repro --json` as table rows and one status line."""
    layers = [layer for layer in report.get("layers") or [] if isinstance(layer, dict)]
    rows: list[LayerRow] = []
    for layer in layers:
        indent = "  " * int(layer.get("depth") or 0)
        if layer.get("kind") == "op":
            name = f"{indent}· {layer.get('call') or layer.get('type')}"
            note = f"line {layer['line']}" if layer.get("line") else ""
        else:
            path = str(layer.get("path") or "")
            short = path.rsplit(".", 1)[-1] if layer.get("depth") else path
            name = f"{indent}{short} ({layer.get('type')})"
            note = f"{layer['params']:,} params" if layer.get("params") else ""
        failed = layer.get("status") == "failed"
        rows.append(
            LayerRow(
                name=name,
                input=_shape(layer.get("input")),
                output="✗ failed" if failed else _shape(layer.get("output")),
                note=note,
            )
        )
    failing = max(
        (i for i, layer in enumerate(layers) if layer.get("status") == "failed"), default=None
    )
    if failing is not None:
        rows[failing].failing = True
    return ShapesResult(
        rows=rows,
        message=_status_line(report),
        failing=failing,
        confirmed=[str(s) for s in report.get("confirmed") or []],
    )


def _status_line(report: dict[str, Any]) -> str:
    status = report.get("status")
    seconds = (report.get("timings") or {}).get("wall_s")
    took = f" in {seconds:.1f} s" if isinstance(seconds, int | float) else ""
    error = report.get("error") or {}
    if status == "reproduced":
        at = f" at {report['failed_at']}" if report.get("failed_at") else ""
        line = f"Reproduced{took}: {error.get('type')}{at}."
        if report.get("fix_verified"):
            line += " The fix was verified: the model runs with it."
        elif report.get("fix_verified") is False:
            line += " The fix could not be verified."
        return line
    if status == "not_reproduced":
        notes = report.get("notes") or []
        return f"Ran{took} without the error" + (f": {notes[-1]}" if notes else ".")
    if status == "different_error":
        return f"Ran{took} into another error: {error.get('type')}: {error.get('message', '')}"
    if status == "ran":
        return f"Ran{took} without an error."
    return str(report.get("message") or f"The reproducer stopped: {status}.")
