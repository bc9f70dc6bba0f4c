"""A local history of explanations: `record(...)`, `recent(limit)`, `get(id)`, `clear()`.

One SQLite file in the per-user state folder (`history.sqlite`, mode 0600), written with the
standard library's sqlite3 (already loaded by the knowledge base; sqlite-utils would cost the
explain path its import time). WAL journal and a busy timeout let many failed runs that finish
at the same moment record side by side. Nothing here ever leaves the machine. Recording is off
with `EXPLAINER_NO_HISTORY=1`; a history that cannot be written never fails a command.

The TUI imports this module lazily to show a history screen.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explainer.model import Explanation

ENV_OFF = "EXPLAINER_NO_HISTORY"
FILE_NAME = "history.sqlite"
KEEP = 1000  # rows kept: a history, not an archive
MAX_TEXT = 64 * 1024  # of the input text, its tail (where the traceback is)
BUSY_MS = 10_000

SCHEMA = """
create table if not exists explanations (
    id integer primary key,
    time real not null,
    source text not null,
    status text not null,
    entry_id text,
    family text,
    title text,
    summary text not null default '',
    error text not null default '',
    location text,
    cwd text,
    command text,
    text text not null default '',
    live_shapes text not null default '[]'
);
create index if not exists explanations_time on explanations(time);
"""


@dataclass
class HistoryEntry:
    """One recorded explanation."""

    id: int
    time: float  # seconds since the epoch
    source: str  # "explain" | "last" | "run" | "scan" | "ipython"
    status: str  # "explained" | "unmatched"
    entry_id: str | None
    family: str | None
    title: str | None
    summary: str
    error: str  # `Type: first line of the message`
    location: str | None  # `file:line` of the innermost user frame
    cwd: str | None
    command: str | None  # the command that failed, when known
    text: str  # the input (its last 64 KiB): enough to explain it again
    live_shapes: list[dict[str, Any]] = field(default_factory=list)


def enabled() -> bool:
    return os.environ.get(ENV_OFF, "").strip().lower() in ("", "0", "false", "no")


def history_path() -> Path:
    from explainer.shell.capture import state_dir

    return Path(state_dir()) / FILE_NAME


def _connect(path: Path | None = None) -> sqlite3.Connection:
    target = path or history_path()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not target.exists():
        # Created private before SQLite opens it: tracebacks hold paths and sometimes secrets.
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))
    conn = sqlite3.connect(target, timeout=BUSY_MS / 1000, isolation_level=None)
    conn.execute(f"pragma busy_timeout = {BUSY_MS}")
    if conn.execute("pragma journal_mode").fetchone()[0] != "wal":
        conn.execute("pragma journal_mode = wal")
    # No fsync: a write then costs a fraction of a millisecond instead of tens (the checkpoint
    # when the last connection closes). An OS crash may cost the newest entries, or the file,
    # which `clear()` then starts anew: a fair price for a history.
    conn.execute("pragma synchronous = off")
    conn.executescript(SCHEMA)
    return conn


def record(
    exp: Explanation,
    *,
    source: str,
    text: str | None = None,
    command: str | None = None,
    cwd: str | None = None,
    path: Path | None = None,
) -> int | None:
    """Add one explanation; returns its id, or None when disabled or nothing was explained.

    Raises `sqlite3.Error` or `OSError` when the history cannot be written: callers that must not
    fail (every command) catch them.
    """
    if not enabled() or exp.status not in ("explained", "unmatched"):
        return None
    err = exp.parsed.error
    first = err.message.strip().splitlines()[0][:500] if err and err.message.strip() else ""
    error = f"{err.type or 'Error'}: {first}" if err else ""
    where = f"{exp.where.file}:{exp.where.line}" if exp.where and exp.where.line else None
    body = text if text is not None else exp.parsed.text
    row = (
        time.time(),
        source,
        exp.status,
        exp.entry_id,
        exp.family,
        exp.title,
        exp.summary,
        error,
        where,
        cwd if cwd is not None else _cwd(),
        command,
        body[-MAX_TEXT:],
        json.dumps([live.to_dict() for live in exp.live_shapes]),
    )
    conn = _connect(path)
    try:
        with conn:
            conn.execute("begin immediate")
            cursor = conn.execute(
                "insert into explanations (time, source, status, entry_id, family, title, "
                "summary, error, location, cwd, command, text, live_shapes) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            new_id = cursor.lastrowid
            conn.execute("delete from explanations where id <= ?", ((new_id or 0) - KEEP,))
        return new_id
    finally:
        conn.close()


def record_quietly(
    exp: Explanation,
    *,
    source: str,
    no_history: bool = False,
    text: str | None = None,
    command: str | None = None,
    cwd: str | None = None,
) -> None:
    """`record` for commands: a history that cannot be written costs one line on stderr."""
    if no_history:
        return
    try:
        record(exp, source=source, text=text, command=command, cwd=cwd)
    except (sqlite3.Error, OSError) as exc:
        import sys

        sys.stderr.write(f"explainer: history not recorded ({exc})\n")


def recent(limit: int = 20, path: Path | None = None) -> list[HistoryEntry]:
    """The newest explanations first; an empty list when there is no history yet."""
    target = path or history_path()
    if not target.exists():
        return []
    conn = _connect(target)
    try:
        rows = conn.execute(
            "select * from explanations order by id desc limit ?", (max(limit, 0),)
        ).fetchall()
    finally:
        conn.close()
    return [_entry(r) for r in rows]


def get(entry_id: int, path: Path | None = None) -> HistoryEntry | None:
    target = path or history_path()
    if not target.exists():
        return None
    conn = _connect(target)
    try:
        row = conn.execute("select * from explanations where id = ?", (entry_id,)).fetchone()
    finally:
        conn.close()
    return _entry(row) if row else None


def clear(path: Path | None = None) -> int:
    """Forget every explanation, and scrub them from the file; returns how many were removed."""
    target = path or history_path()
    if not target.exists():
        return 0
    try:
        conn = _connect(target)
    except sqlite3.DatabaseError:
        # Not a database any more (damaged, or overwritten): start anew.
        for name in (target.name, target.name + "-wal", target.name + "-shm"):
            (target.parent / name).unlink(missing_ok=True)
        return 0
    try:
        with conn:
            conn.execute("begin immediate")
            count = conn.execute("delete from explanations").rowcount
        conn.execute("pragma wal_checkpoint(truncate)")
        conn.execute("vacuum")
    finally:
        conn.close()
    return count


def _entry(row: tuple[Any, ...]) -> HistoryEntry:
    try:
        shapes = json.loads(row[13])
    except (TypeError, ValueError):
        shapes = []
    return HistoryEntry(
        id=row[0],
        time=row[1],
        source=row[2],
        status=row[3],
        entry_id=row[4],
        family=row[5],
        title=row[6],
        summary=row[7],
        error=row[8],
        location=row[9],
        cwd=row[10],
        command=row[11],
        text=row[12],
        live_shapes=shapes if isinstance(shapes, list) else [],
    )


def _cwd() -> str | None:
    try:
        return os.getcwd()
    except OSError:
        return None
