"""What the screens show, worked out without textual: source windows, search, history, files.

Kept apart from the widgets so each piece can be tested on its own and the widgets stay thin.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from explainer.kb.families import FAMILIES
from explainer.model import Explanation

# A number as the explanations write them (2,704 or 3.062), not part of a name like fc1 or x2.
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?![\w])")
# The text shown in the paste box and the traceback fold is capped: tracebacks end a log.
MAX_PASTE_CHARS = 1_000_000
MAX_TRACEBACK_LINES = 400


def number_spans(text: str) -> list[tuple[int, int]]:
    """Where the numbers are in `text`, to highlight them."""
    return [m.span() for m in NUMBER.finditer(text)]


def keep_tail(text: str, limit: int = MAX_PASTE_CHARS) -> tuple[str, bool]:
    """The last `limit` characters from a line start; True when something was cut."""
    if len(text) <= limit:
        return text, False
    tail = text[-limit:]
    newline = tail.find("\n")
    if 0 <= newline < 10_000:
        tail = tail[newline + 1 :]
    return tail, True


def traceback_tail(text: str, limit: int = MAX_TRACEBACK_LINES) -> tuple[str, int]:
    """The last `limit` lines of the raw text, and how many lines were left out."""
    lines = text.rstrip("\n").splitlines()
    if len(lines) <= limit:
        return "\n".join(lines), 0
    return "\n".join(lines[-limit:]), len(lines) - limit


# -- where: the source around the user's frame ------------------------------------------------


@dataclass
class SourceLine:
    number: int
    text: str
    mark: str = ""  # "" | "raised" | "suspect"
    label: str = ""  # the suspect's rank, "1", "2"...
    reason: str = ""


@dataclass
class SourceBlock:
    """Consecutive runs of one file's lines; `None` in `lines` marks a gap."""

    file: str  # as the traceback writes it
    found: bool  # the file was read on this machine
    lines: list[SourceLine | None] = field(default_factory=list)


def _marks(exp: Explanation) -> dict[str, dict[int, SourceLine]]:
    marks: dict[str, dict[int, SourceLine]] = {}
    rank = 0
    for suspect in exp.suspects:
        raised = (
            exp.where is not None
            and suspect.file == exp.where.file
            and suspect.line == exp.where.line
            and suspect.score <= 0.1
        )
        if raised:
            continue
        rank += 1
        marks.setdefault(suspect.file, {})[suspect.line] = SourceLine(
            suspect.line, suspect.code, "suspect", str(rank), suspect.reason
        )
    if exp.where is not None and exp.where.line is not None:
        here = marks.setdefault(exp.where.file, {})
        existing = here.get(exp.where.line)
        reason = "raised here" + (f", in {exp.where.function}" if exp.where.function else "")
        if existing is None:
            here[exp.where.line] = SourceLine(
                exp.where.line, exp.where.code or "", "raised", "", reason
            )
        else:
            existing.reason = f"{existing.reason} (and {reason})"
    return marks


def source_blocks(exp: Explanation, radius: int = 3, max_files: int = 3) -> list[SourceBlock]:
    """The user's frame and the suspects, each with `radius` lines around it when the file is
    here; the raising file first."""
    from explainer.source import locate

    marks = _marks(exp)
    order = sorted(marks, key=lambda f: (exp.where is None or f != exp.where.file, f))
    blocks: list[SourceBlock] = []
    for file in order[:max_files]:
        marked = marks[file]
        text_lines = _read_lines(locate(file))
        if text_lines is None:
            blocks.append(
                SourceBlock(file, False, [marked[n] for n in sorted(marked)]),
            )
            continue
        wanted: set[int] = set()
        for n in marked:
            wanted.update(range(max(1, n - radius), min(len(text_lines), n + radius) + 1))
        block = SourceBlock(file, True)
        previous = 0
        for n in sorted(wanted):
            if previous and n != previous + 1:
                block.lines.append(None)
            line = marked.get(n)
            text = text_lines[n - 1]
            if line is None:
                block.lines.append(SourceLine(n, text))
            else:
                block.lines.append(SourceLine(n, text, line.mark, line.label, line.reason))
            previous = n
        blocks.append(block)
    return blocks


def _read_lines(path: Path | None) -> list[str] | None:
    if path is None:
        return None
    try:
        if path.stat().st_size > 2_000_000:
            return None
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None


# -- knowledge base ---------------------------------------------------------------------------


def family_order(families: Iterable[str]) -> list[str]:
    """Families in the knowledge base's own order, unknown ones last."""
    rank = {name: i for i, name in enumerate(FAMILIES)}
    return sorted(set(families), key=lambda f: (rank.get(f, len(rank)), f))


@dataclass(frozen=True)
class Listed:
    id: str
    family: str
    title: str


def listing(kb: Any) -> list[Listed]:
    """Every entry's id, family and title: all the browser needs, without loading patterns."""
    rows = kb.conn.execute("select id, family, title from entries order by id").fetchall()
    return [Listed(*row) for row in rows]


def prefix_search(kb: Any, query: str, limit: int = 300) -> list[str] | None:
    """Entry ids whose prose has every word of `query`, the last one as a prefix, best first,
    so that `bat` already finds `batch`. None: nothing to filter by."""
    if not re.search(r"[A-Za-z0-9_]", query):
        return None
    try:
        hits = kb.search(query, limit=limit, prefix=True, fallback_any=False)
    except Exception:  # noqa: BLE001 - a broken index filters to nothing, never crashes the app
        return []
    return [hit["id"] for hit in hits]


# -- copying the fix --------------------------------------------------------------------------


def cache_dir() -> Path:
    env = os.environ.get("EXPLAINER_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "explainer"


def save_fix(code: str) -> Path:
    """Write the fix where the user can find it when the terminal drops clipboard writes."""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "last-fix.py"
    path.write_text(code.rstrip("\n") + "\n", encoding="utf-8")
    return path


def display_path(path: Path) -> str:
    """`~/...` for paths under the home folder, relative for paths under the current one."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        pass
    home = Path.home()
    try:
        return "~/" + str(path.relative_to(home))
    except ValueError:
        return str(path)


def clipboard_blocker() -> str | None:
    """The name of a terminal known to ignore OSC 52 clipboard writes, if this is one."""
    if os.environ.get("TERM_PROGRAM") == "Apple_Terminal":
        return "Apple Terminal"
    if os.environ.get("TERM") == "linux":
        return "the Linux console"
    return None


# -- history (written by the shell integration, when it exists) -------------------------------

HISTORY_FUNCTIONS = ("recent", "recent_items", "load_recent", "list_recent", "read_recent")


@dataclass
class HistoryItem:
    when: str  # already formatted for display
    title: str
    entry_id: str | None = None
    text: str | None = None  # the traceback, when the history kept it
    sort_key: float = 0.0
    detail: str = ""  # where it happened and how it was explained
    live: list[dict[str, Any]] = field(default_factory=list)  # tensors captured at the crash


def load_history(limit: int = 100) -> list[HistoryItem] | None:
    """Recent explained errors, newest first; None when the history module is not installed."""
    import importlib

    try:
        module = importlib.import_module("explainer.history")
    except ImportError:
        return None
    reader = next((getattr(module, n) for n in HISTORY_FUNCTIONS if hasattr(module, n)), None)
    if reader is None:
        return None
    try:
        try:
            raw = list(reader(limit=limit))
        except TypeError:
            raw = list(reader())
    except Exception:  # noqa: BLE001 - a broken history file must not take the app down
        return []
    items = [item for r in raw if (item := _history_item(r)) is not None]
    items.sort(key=lambda i: -i.sort_key)
    return items[:limit]


def _field(raw: Any, *names: str) -> Any:
    for name in names:
        value = raw.get(name) if isinstance(raw, dict) else getattr(raw, name, None)
        if value not in (None, ""):
            return value
    return None


def _history_item(raw: Any) -> HistoryItem | None:
    if raw is None:
        return None
    stamp = _field(raw, "when", "time", "timestamp", "ts", "created", "created_at", "at")
    when, key = _format_time(stamp)
    entry_id = _field(raw, "entry_id", "entry", "id")
    if isinstance(entry_id, dict):
        entry_id = entry_id.get("id")
    title = _field(raw, "summary", "title", "message", "error", "first_line") or entry_id
    text = _field(raw, "text", "traceback", "input", "raw")
    details = [_field(raw, "location"), _field(raw, "source"), _field(raw, "command")]
    live = _field(raw, "live_shapes")
    return HistoryItem(
        detail=" · ".join(str(d) for d in details if d),
        live=[x for x in live if isinstance(x, dict)] if isinstance(live, list) else [],
        when=when,
        title=str(title or "(no summary)").splitlines()[0][:200],
        entry_id=str(entry_id) if isinstance(entry_id, str) else None,
        text=text if isinstance(text, str) else None,
        sort_key=key,
    )


def _format_time(stamp: Any) -> tuple[str, float]:
    moment: datetime | None = None
    if isinstance(stamp, int | float):
        moment = datetime.fromtimestamp(float(stamp))
    elif isinstance(stamp, datetime):
        moment = stamp
    elif isinstance(stamp, str):
        try:
            moment = datetime.fromisoformat(stamp)
        except ValueError:
            return stamp, 0.0
    if moment is None:
        return "", 0.0
    return moment.strftime("%Y-%m-%d %H:%M"), moment.timestamp()
