"""Starts the child with its limits, keeps its output bounded, and kills it on time (no torch).

The child's own stdout and stderr (whatever the user's code prints) come through a pipe that is
drained as it arrives, keeping the first and last 16 KiB; its findings come as JSON lines on a
second pipe. The child runs in its own session, so a timeout kills its whole process group.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KEEP = 16 * 1024
MAX_OUTPUT = 256 * 1024 * 1024  # the child is stopped when it prints more than this
MAX_EVENTS_BYTES = 64 * 1024 * 1024


@dataclass
class ChildRun:
    """What came back from one child process."""

    events: list[dict[str, Any]] = field(default_factory=list)
    returncode: int | None = None
    timed_out: bool = False
    output_head: bytes = b""
    output_tail: bytes = b""
    output_bytes: int = 0
    output_capped: bool = False
    wall: float = 0.0
    peak_rss: int = 0  # bytes, the child's high-water mark

    def last(self, event: str) -> dict[str, Any] | None:
        for e in reversed(self.events):
            if e.get("event") == event:
                return e
        return None

    @property
    def output(self) -> str:
        head = self.output_head.decode("utf-8", "replace")
        if self.output_bytes <= len(self.output_head):
            return head
        tail = self.output_tail.decode("utf-8", "replace")
        skipped = self.output_bytes - len(self.output_head) - len(self.output_tail)
        return f"{head}\n[... {skipped:,} bytes left out ...]\n{tail}"


class _Drain(threading.Thread):
    """Reads a pipe to its end, keeping the head and the tail."""

    def __init__(self, fd: int, on_overflow: Any) -> None:
        super().__init__(daemon=True)
        self.fd = fd
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.on_overflow = on_overflow
        self.capped = False

    def run(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.total += len(chunk)
            if len(self.head) < KEEP:
                room = KEEP - len(self.head)
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self.tail += chunk
                if len(self.tail) > KEEP:
                    del self.tail[: len(self.tail) - KEEP]
            if self.total > MAX_OUTPUT and not self.capped:
                self.capped = True
                self.on_overflow()
        os.close(self.fd)


class _Events(threading.Thread):
    """Reads the JSON-lines findings."""

    def __init__(self, fd: int) -> None:
        super().__init__(daemon=True)
        self.fd = fd
        self.events: list[dict[str, Any]] = []

    def run(self) -> None:
        buffer = b""
        size = 0
        with os.fdopen(self.fd, "rb", closefd=True) as stream:
            for line in stream:
                size += len(line)
                if size > MAX_EVENTS_BYTES:
                    continue
                buffer = line.strip()
                if not buffer:
                    continue
                try:
                    value = json.loads(buffer)
                except ValueError:
                    continue
                if isinstance(value, dict):
                    self.events.append(value)


def child_command() -> list[str]:
    # -P: the current folder is not put in front of sys.path, so a user's `torch.py` or
    # `explainer.py` next to the script cannot replace the real ones in the child.
    return [sys.executable, "-P", "-m", "explainer.repro.child"]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    # Fewer malloc arenas: less address space per thread, so the limit measures real use.
    env.setdefault("MALLOC_ARENA_MAX", "2")
    return env


def run_child(job: dict[str, Any], timeout: float) -> ChildRun:
    """Run one job; never raises for what the child does (crash, hang, flood)."""
    return run_jobs([job], timeout)[0]


def run_jobs(jobs: list[dict[str, Any]], timeout: float) -> list[ChildRun]:
    """Run several jobs one after the other in one child (torch is imported once), each
    reported apart; the timeout covers them all. The user's output is shared."""
    read_events, write_events = os.pipe()
    read_out, write_out = os.pipe()
    paths = []
    for job in jobs:
        with tempfile.NamedTemporaryFile(
            "w", suffix=".json", prefix="explainer-job-", delete=False
        ) as f:
            json.dump(dict(job, result_fd=write_events), f)
            paths.append(f.name)
    result = ChildRun()
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(
            [*child_command(), *paths],
            stdin=subprocess.DEVNULL,
            stdout=write_out,
            stderr=write_out,
            pass_fds=(write_events,),
            env=child_env(),
            start_new_session=True,
            close_fds=True,
        )
    except OSError as exc:
        for fd in (read_events, read_out, write_events, write_out):
            os.close(fd)
        for path in paths:
            os.unlink(path)
        result.events.append({"event": "fatal", "kind": "start", "message": str(exc)})
        return [result for _ in jobs]
    os.close(write_events)
    os.close(write_out)

    def stop() -> None:
        _kill_group(proc.pid)

    drain = _Drain(read_out, stop)
    events = _Events(read_events)
    drain.start()
    events.start()
    try:
        _, status, usage = _wait(proc, timeout)
        if status is None:
            result.timed_out = True
            _kill_group(proc.pid)
            _, status, usage = _wait(proc, 10)
        result.returncode = os.waitstatus_to_exitcode(status) if status is not None else None
        if usage is not None:
            result.peak_rss = int(usage.ru_maxrss) * 1024
    finally:
        # Grandchildren (a DataLoader worker, a user's subprocess) may hold the pipes open.
        _kill_group(proc.pid)
        drain.join(5)
        events.join(5)
        for path in paths:
            os.unlink(path)
    result.wall = time.perf_counter() - start
    result.output_head = bytes(drain.head)
    result.output_tail = bytes(drain.tail)
    result.output_bytes = drain.total
    result.output_capped = drain.capped
    return _split(result, events.events, len(jobs))


def _split(result: ChildRun, events: list[dict[str, Any]], count: int) -> list[ChildRun]:
    if count == 1:
        result.events = [e for e in events if e.get("event") != "job"]
        return [result]
    runs: list[ChildRun] = []
    for _ in range(count):
        run = ChildRun(
            returncode=result.returncode,
            output_head=result.output_head,
            output_tail=result.output_tail,
            output_bytes=result.output_bytes,
            output_capped=result.output_capped,
            wall=result.wall,
            peak_rss=result.peak_rss,
        )
        runs.append(run)
    current = -1
    for event in events:
        if event.get("event") == "job":
            current = int(event.get("index", current + 1))
            continue
        if 0 <= current < count:
            runs[current].events.append(event)
    # Jobs the child never reached (it timed out or crashed first).
    for index, run in enumerate(runs):
        if index > current and result.timed_out:
            run.timed_out = True
        if index == current:
            run.timed_out = result.timed_out
    return runs


def _wait(proc: subprocess.Popen[bytes], timeout: float) -> tuple[int, int | None, Any]:
    """Wait for the child with its resource usage; (pid, None, None) on timeout."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return pid, status, usage
        if time.monotonic() >= deadline:
            return proc.pid, None, None
        time.sleep(delay)
        delay = min(delay * 1.5, 0.05)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
