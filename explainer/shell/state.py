"""Read the crash captures that `capture.py` leaves in the per-user state folder.

A capture may be missing, unreadable, half-written by a tool that is not ours, or from an older
format; each case becomes a `CaptureError` with a message for the user, never a traceback.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explainer.model import LiveShape
from explainer.shell.capture import ENV_SHELL_ID, safe_shell_id, state_dir

HOW_TO_CAPTURE = (
    "capture crashes with `explainer hook install` (once per Python environment), "
    '`eval "$(explainer shell-init bash --capture)"`, `explainer run -- python ...` '
    "or `python -m explainer.run script.py`"
)


class CaptureError(Exception):
    """No usable capture; the message is shown to the user as one line."""


@dataclass
class Capture:
    """One crash: the printed traceback and the tensors that were alive in its frames."""

    path: Path
    traceback: str
    time: float | None = None
    argv: list[str] = field(default_factory=list)
    cwd: str | None = None
    pid: int | None = None
    exc_type: str | None = None
    executable: str | None = None
    tensors: list[dict[str, Any]] = field(default_factory=list)
    from_this_shell: bool = True

    @property
    def command(self) -> str:
        """`python train.py --lr 3`, as far as the capture can tell."""
        import shlex

        python = os.path.basename(self.executable or "") or "python"
        return " ".join(shlex.quote(a) for a in [python, *self.argv])


def state_path() -> Path:
    return Path(state_dir())


def latest_path(shell_id: str | None = None) -> tuple[Path, bool]:
    """This shell's capture, else the newest of any shell: (path, whether from this shell)."""
    folder = state_path()
    shell = safe_shell_id(shell_id if shell_id is not None else os.environ.get(ENV_SHELL_ID))
    if shell:
        mine = folder / f"last-{shell}.json"
        if mine.exists():
            return mine, True
    return folder / "last.json", not shell


def load(path: Path) -> Capture:
    """Read one capture file, or say clearly why it cannot be used."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CaptureError(
            f"no failed Python run captured yet ({path}); {HOW_TO_CAPTURE}"
        ) from None
    except PermissionError:
        raise CaptureError(f"cannot read {path}: permission denied") from None
    except IsADirectoryError:
        raise CaptureError(f"{path} is a directory, not a capture") from None
    except OSError as exc:
        raise CaptureError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CaptureError(
            f"the capture {path} is damaged (half-written or not explainer's); "
            "run the failing command again to capture it anew"
        ) from None
    return from_dict(data, path)


def from_dict(data: Any, path: Path) -> Capture:
    if not isinstance(data, dict) or not isinstance(data.get("traceback"), str):
        raise CaptureError(f"the capture {path} has no traceback; run the failing command again")
    tensors = data.get("tensors")
    return Capture(
        path=path,
        traceback=data["traceback"],
        time=_number(data.get("time")),
        argv=[str(a) for a in data.get("argv") or [] if isinstance(a, str | int | float)],
        cwd=data.get("cwd") if isinstance(data.get("cwd"), str) else None,
        pid=data.get("pid") if isinstance(data.get("pid"), int) else None,
        exc_type=data.get("type") if isinstance(data.get("type"), str) else None,
        executable=_text(data.get("executable")),
        tensors=[t for t in tensors if isinstance(t, dict)] if isinstance(tensors, list) else [],
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def live_shapes(tensors: list[dict[str, Any]]) -> list[LiveShape]:
    """Captured tensor records as `LiveShape`s, skipping malformed ones and exact repeats."""
    out: list[LiveShape] = []
    seen: set[tuple[Any, ...]] = set()
    for t in tensors:
        name = t.get("name")
        if not isinstance(name, str):
            continue
        shape = t.get("shape")
        dims = (
            tuple(d if isinstance(d, int) else str(d) for d in shape)
            if isinstance(shape, list)
            else None
        )
        line = t.get("line")
        live = LiveShape(
            name=name,
            shape=dims,
            dtype=_text(t.get("dtype")),
            device=_text(t.get("device")),
            function=_text(t.get("function")),
            file=_text(t.get("file")),
            line=line if isinstance(line, int) else None,
        )
        key = (live.name, live.shape, live.dtype, live.device, live.function)
        if key not in seen:
            seen.add(key)
            out.append(live)
    return out


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def age(seconds: float) -> str:
    """`just now`, `5 min ago`, `3 h ago`, `2 days ago`."""
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400 * 2:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"
