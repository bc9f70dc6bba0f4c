"""`explainer run -- COMMAND...`: run a command untouched, explain its Python crash afterwards.

The child keeps the terminal: standard input is inherited (prompts and `input()` work), and its
output stays a terminal when ours is one. Output goes through a pseudo-terminal that explainer
copies byte for byte (colours, `\\r` progress bars and window size intact) while keeping the
tail; when stdout and stderr are the same file, both share one channel so their order is kept.
Every Python process the command starts loads the crash capture through a `sitecustomize` on
`PYTHONPATH` and writes its capture to a private folder; the first crash that is not a
launcher's report (torchrun's `ChildFailedError`) is explained, with its live shapes. The
output's tail is the fallback for crashes the capture could not see.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explainer.parsing.traceback import LAUNCHER_ERRORS
from explainer.shell.capture import ENV_CAPTURE_DIR
from explainer.shell.init import SITE_DIR

TAIL_BYTES = 2 * 1024 * 1024


@dataclass
class RunResult:
    returncode: int  # as a shell reports it: 128 + N for a signal
    captures: list[dict[str, Any]] = field(default_factory=list)
    tail: bytes = b""
    not_found: str | None = None


def child_env(capture_dir: str, env: dict[str, str] | None = None) -> dict[str, str]:
    base = dict(os.environ if env is None else env)
    paths = [p for p in base.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(SITE_DIR) not in paths:
        paths.insert(0, str(SITE_DIR))
    base["PYTHONPATH"] = os.pathsep.join(paths)
    base[ENV_CAPTURE_DIR] = capture_dir
    return base


def run_command(command: list[str]) -> RunResult:
    """Run `command` with the capture loaded; relay its output; collect what it left."""
    exe = shutil.which(command[0]) if os.sep not in command[0] else command[0]
    if exe is None or not os.path.exists(exe):
        return RunResult(returncode=127, not_found=f"command not found: {command[0]}")
    if not os.access(exe, os.X_OK) or os.path.isdir(exe):
        return RunResult(returncode=126, not_found=f"permission denied: {command[0]}")
    with tempfile.TemporaryDirectory(prefix="explainer-run-") as capture_dir:
        env = child_env(capture_dir)
        returncode, tail = _spawn_and_relay(command, env)
        captures = read_captures(Path(capture_dir))
    return RunResult(returncode=returncode, captures=captures, tail=tail)


def read_captures(folder: Path) -> list[dict[str, Any]]:
    """The captures the command's processes wrote, oldest first; damaged ones skipped."""
    found = []
    for path in folder.glob("*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("traceback"), str):
            found.append(data)
    return sorted(found, key=lambda d: d.get("time") or 0)


def pick_capture(captures: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first crash, unless it is only a launcher reporting that a worker crashed."""
    for data in captures:
        if not any(name in str(data.get("type", "")) for name in LAUNCHER_ERRORS):
            return data
    return captures[0] if captures else None


def _exit_code(status: int) -> int:
    return 128 - status if status < 0 else status


def _same_file(fd_a: int, fd_b: int) -> bool:
    try:
        a, b = os.fstat(fd_a), os.fstat(fd_b)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _spawn_and_relay(command: list[str], env: dict[str, str]) -> tuple[int, bytes]:
    if sys.platform == "win32":  # no pty: the output is inherited, the capture still works
        return _exit_code(subprocess.call(command, env=env)), b""
    out_fd, err_fd = sys.stdout.fileno(), sys.stderr.fileno()
    merged = _same_file(out_fd, err_fd)
    relay_to = out_fd if merged else err_fd
    read_fd, child_fd = _channel(os.isatty(relay_to), relay_to)
    stdout = child_fd if merged else None
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        proc = subprocess.Popen(command, env=env, stdout=stdout, stderr=child_fd)
    finally:
        os.close(child_fd)
    with _forward_signals(proc, read_fd, relay_to):
        tail = _relay(proc, read_fd, relay_to)
    os.close(read_fd)
    return _exit_code(proc.wait()), tail


def _channel(tty: bool, like_fd: int) -> tuple[int, int]:
    """(our end, the child's end): a raw pseudo-terminal sized like ours, else a pipe."""
    if not tty:
        return os.pipe()
    import pty
    import termios
    import tty as tty_mod

    master, slave = pty.openpty()
    with contextlib.suppress(termios.error):
        tty_mod.setraw(slave)  # no \n -> \r\n: bytes reach the terminal as the program wrote them
    _copy_size(like_fd, master)
    return master, slave


def _copy_size(from_fd: int, to_fd: int) -> None:
    import fcntl
    import termios

    with contextlib.suppress(OSError):
        size = fcntl.ioctl(from_fd, termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(to_fd, termios.TIOCSWINSZ, size)


@contextlib.contextmanager
def _forward_signals(proc: subprocess.Popen[bytes], read_fd: int, tty_fd: int) -> Iterator[None]:
    """Ctrl-C reaches the child from the terminal; explainer waits for it to decide what to do."""

    def ignore(signum: int, frame: Any) -> None:
        pass

    def forward(signum: int, frame: Any) -> None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signum)

    def resize(signum: int, frame: Any) -> None:
        _copy_size(tty_fd, read_fd)

    saved: dict[int, Any] = {}
    for signum, handler in (
        (signal.SIGINT, ignore),
        (signal.SIGQUIT, ignore),
        (signal.SIGTERM, forward),
        (signal.SIGHUP, forward),
        (signal.SIGWINCH, resize),
    ):
        with contextlib.suppress(ValueError, OSError):
            saved[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for number, previous in saved.items():
            signal.signal(number, previous)


def _relay(proc: subprocess.Popen[bytes], read_fd: int, write_fd: int) -> bytes:
    """Copy the child's output as it comes; keep its last TAIL_BYTES for the fallback parse."""
    tail: deque[bytes] = deque()
    kept = 0
    exited_reads = 0
    while True:
        ready, _, _ = select.select([read_fd], [], [], 0.05)
        if not ready:
            if proc.poll() is not None:
                exited_reads += 1
                if exited_reads > 4:  # a grandchild may hold the terminal open forever
                    break
            continue
        try:
            data = os.read(read_fd, 65536)
        except OSError:  # EIO: every writer closed the pseudo-terminal
            break
        if not data:
            break
        if not _write_all(write_fd, data):
            break  # the reader left (`| head`): the child sees a closed pipe, as it would alone
        tail.append(data)
        kept += len(data)
        while kept - len(tail[0]) >= TAIL_BYTES:
            kept -= len(tail.popleft())
    return b"".join(tail)


def _write_all(fd: int, data: bytes) -> bool:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BrokenPipeError:
            return False
        except BlockingIOError:
            select.select([], [fd], [], 1.0)
            continue
        view = view[written:]
    return True
