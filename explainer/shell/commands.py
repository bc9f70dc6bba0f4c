"""The bodies of `explainer last`, `run` and `history`: cli.py parses options, these do the work.

Each returns the exit code. Explanations go to standard output for `last` and `history`, and to
standard error for `run`, whose standard output belongs to the command it ran.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

import click

from explainer.explain_command import (
    EXIT_EXPLAINED,
    EXIT_INTERNAL,
    EXIT_NO_ERROR,
    EXIT_UNMATCHED,
    STATUS_EXIT,
)
from explainer.model import Explanation

__all__ = ["EXIT_EXPLAINED", "EXIT_INTERNAL", "EXIT_NO_ERROR", "EXIT_UNMATCHED", "STATUS_EXIT"]


def render(exp: Explanation, fmt: str, color: bool | None, stream: TextIO, redact: bool) -> str:
    """The explanation in `fmt`, coloured only for a terminal, redacted on request."""
    if fmt == "json":
        from explainer.render.json_ import render_json

        out = render_json(exp) + "\n"
    elif fmt == "markdown":
        from explainer.render.markdown import render_markdown

        out = render_markdown(exp)
    else:
        from explainer.render.text import render_text, want_color

        out = render_text(exp, color=want_color(stream.isatty(), color))
    if redact:
        from explainer.redact import redact_output

        out = redact_output(out, fmt)
    return out


def record(
    exp: Explanation,
    source: str,
    no_history: bool,
    text: str | None = None,
    command: str | None = None,
    cwd: str | None = None,
) -> None:
    """Add to the local history; a history that cannot be written costs one line on stderr."""
    from explainer import history

    history.record_quietly(
        exp, source=source, no_history=no_history, text=text, command=command, cwd=cwd
    )


def last(
    fmt: str,
    color: bool | None,
    no_source: bool,
    redact: bool,
    no_history: bool,
    kb: Any,
    path: str | None = None,
) -> int:
    """Explain the last captured crash of this shell (or the file given)."""
    from pathlib import Path

    from explainer.shell.live import explain_capture
    from explainer.shell.state import CaptureError, age, latest_path, load

    if path:
        target, mine = Path(path), True
    else:
        target, mine = latest_path()
    try:
        capture = load(target)
    except CaptureError as exc:
        click.echo(f"explainer: {exc}", err=True)
        return EXIT_NO_ERROR
    exp = explain_capture(capture.traceback, capture.tensors, kb, read_source=not no_source)
    if fmt == "text":
        when = f", {age(time.time() - capture.time)}" if capture.time else ""
        other = "" if mine else " (from another shell: none captured in this one)"
        click.echo(f"explainer: last failure: {capture.command}{when}{other}", err=True)
    record(
        exp, "last", no_history, text=capture.traceback, command=capture.command, cwd=capture.cwd
    )
    _emit(render(exp, fmt, color, sys.stdout, redact), sys.stdout)
    return STATUS_EXIT[exp.status]


def run(
    command: list[str],
    fmt: str,
    color: bool | None,
    no_source: bool,
    no_history: bool,
    kb_opener: Any,
) -> int:
    """Run the command; after a failure, explain it on stderr; return the command's exit code."""
    import shlex

    from explainer.shell.runner import pick_capture, run_command

    result = run_command(command)
    if result.not_found:
        click.echo(f"explainer: {result.not_found}", err=True)
        return result.returncode
    if result.returncode == 0 or result.returncode == 130:  # success, or the user's Ctrl-C
        return result.returncode
    capture = pick_capture(result.captures)
    exp = _explain_failure(capture, result.tail, kb_opener(), no_source)
    shown = shlex.join(command)
    if exp is None or exp.status == "no_error_found":
        click.echo(
            f"explainer: `{shown}` exited with code {result.returncode}; "
            "no Python error found in its output",
            err=True,
        )
        return result.returncode
    text = capture["traceback"] if capture else None
    record(exp, "run", no_history, text=text, command=shown)
    if fmt == "text":
        click.echo(f"\nexplainer: `{shown}` failed (exit code {result.returncode})", err=True)
    _emit(render(exp, fmt, color, sys.stderr, redact=False), sys.stderr)
    return result.returncode


def _explain_failure(
    capture: dict[str, Any] | None, tail: bytes, kb: Any, no_source: bool
) -> Explanation | None:
    from explainer.shell.live import explain_capture

    if capture is not None:
        tensors = capture.get("tensors")
        return explain_capture(
            capture["traceback"],
            tensors if isinstance(tensors, list) else [],
            kb,
            read_source=not no_source,
        )
    if not tail.strip():
        return None
    from explainer.explain import explain_text
    from explainer.parsing.clean import decode

    return explain_text(decode(tail), kb, read_source=not no_source)


def _emit(text: str, stream: TextIO) -> None:
    try:
        click.echo(text, nl=False, color=True, file=stream)
        stream.flush()
    except BrokenPipeError:
        pass


def history_list(limit: int, as_json: bool) -> int:
    from explainer import history

    entries = history.recent(limit)
    if as_json:
        import dataclasses
        import json

        for entry in entries:
            click.echo(json.dumps(dataclasses.asdict(entry), ensure_ascii=False))
        return 0
    if not entries:
        click.echo(f"no explanations recorded yet ({history.history_path()})", err=True)
        return 0
    for entry in entries:
        stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.time))
        what = entry.entry_id or "(unmatched)"
        click.echo(f"{entry.id:>5}  {stamp}  {entry.source:<7}  {what:<28}  {entry.error[:90]}")
        if entry.location:
            click.echo(f"{'':>5}  {'':16}  {'':7}  {'':28}  at {entry.location}")
    click.echo("explainer history ID shows one again.", err=True)
    return 0


def history_show(
    entry_id: int, fmt: str, color: bool | None, redact: bool, no_source: bool, kb: Any
) -> int:
    """Explain a recorded entry again from its stored text and live shapes."""
    from explainer import history
    from explainer.shell.live import explain_capture

    entry = history.get(entry_id)
    if entry is None:
        click.echo(f"explainer: no history entry {entry_id}", err=True)
        return EXIT_NO_ERROR
    exp = explain_capture(entry.text, entry.live_shapes, kb, read_source=not no_source)
    _emit(render(exp, fmt, color, sys.stdout, redact), sys.stdout)
    return STATUS_EXIT[exp.status]


def history_clear() -> int:
    from explainer import history

    count = history.clear()
    click.echo(f"forgot {count} explanation(s) ({history.history_path()})")
    return 0
