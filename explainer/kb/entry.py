"""A knowledge-base entry: the schema of `kb/entries/<id>.toml` and its validation.

One file per entry. The id is the file name. An entry says which messages it matches (regexes
with named groups, with the PyTorch versions that used each wording), what the error means,
why it happened (a template filled with the numbers), how to fix it, which arithmetic function
works the numbers out, and carries the examples that must match and the near-misses that must not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explainer.kb.families import FAMILIES

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SCOPES = ("message", "text")


class EntryError(ValueError):
    """An entry file that does not follow the schema."""


@dataclass
class Pattern:
    regex: str
    versions: str = ""
    scope: str = "message"  # "message": the exception message; "text": the whole input
    anchor: str = ""  # lower-case literal runs, one per line, that must all occur in the text


@dataclass
class Example:
    kind: str  # "example" (must match) or "near_miss" (must not)
    text: str = ""  # verbatim text, with its source
    snippet: str = ""  # Python run under torch by the tests to produce the traceback
    source: str = ""
    numbers: dict[str, Any] = field(default_factory=dict)
    fix_values: dict[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass
class Entry:
    id: str
    title: str
    family: str
    exceptions: list[str]
    patterns: list[Pattern]
    summary: str
    what: str
    why: str
    fix_summary: str
    fix_code: str = ""
    arithmetic: str = ""
    priority: int = 50
    references: list[str] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)
    out_of_scope: str = ""
    inventory: list[str] = field(default_factory=list)  # torch_messages.jsonl ids it covers


REQUIRED = ("title", "family", "exceptions", "patterns", "summary", "what", "why", "fix")
KNOWN = set(REQUIRED) | {
    "id",
    "arithmetic",
    "priority",
    "references",
    "examples",
    "near_misses",
    "out_of_scope",
    "inventory",
}


def load_entry(path: Path) -> Entry:
    """Read and validate one entry file."""
    import tomllib  # only building and checking read TOML; the explain path reads SQLite

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise EntryError(f"{path.name}: not valid TOML: {exc}") from exc
    return entry_from_dict(path.stem, data)


def entry_from_dict(entry_id: str, data: dict[str, Any]) -> Entry:
    where = f"{entry_id}.toml"
    if not ID_RE.match(entry_id):
        raise EntryError(f"{where}: the id must be lower-case words joined by '-'")
    if data.get("id", entry_id) != entry_id:
        raise EntryError(f"{where}: id {data['id']!r} differs from the file name")
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise EntryError(f"{where}: missing {', '.join(missing)}")
    unknown = set(data) - KNOWN
    if unknown:
        raise EntryError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    if data["family"] not in FAMILIES:
        raise EntryError(f"{where}: family {data['family']!r} is not one of the families")
    fix = data["fix"]
    if not isinstance(fix, dict) or "summary" not in fix:
        raise EntryError(f"{where}: [fix] needs a summary")
    patterns = [_pattern(where, p) for p in data["patterns"]]
    if not patterns:
        raise EntryError(f"{where}: at least one pattern is needed")
    examples = [_example(where, "example", e) for e in data.get("examples", [])]
    examples += [_example(where, "near_miss", e) for e in data.get("near_misses", [])]
    return Entry(
        id=entry_id,
        title=data["title"].strip(),
        family=data["family"],
        exceptions=list(data["exceptions"]),
        patterns=patterns,
        summary=data["summary"].strip(),
        what=data["what"].strip(),
        why=data["why"].strip(),
        fix_summary=fix["summary"].strip(),
        fix_code=fix.get("code", "").strip("\n"),
        arithmetic=data.get("arithmetic", ""),
        priority=int(data.get("priority", 50)),
        references=list(data.get("references", [])),
        examples=examples,
        out_of_scope=data.get("out_of_scope", "").strip(),
        inventory=list(data.get("inventory", [])),
    )


def _pattern(where: str, raw: Any) -> Pattern:
    if isinstance(raw, str):
        raw = {"regex": raw}
    if "regex" not in raw:
        raise EntryError(f"{where}: a pattern needs a regex")
    scope = raw.get("scope", "message")
    if scope not in SCOPES:
        raise EntryError(f"{where}: pattern scope must be one of {SCOPES}")
    import regex

    try:
        regex.compile(raw["regex"])
    except regex.error as exc:
        raise EntryError(f"{where}: bad regex {raw['regex']!r}: {exc}") from exc
    anchor = raw.get("anchor") or derive_anchor(raw["regex"])
    return Pattern(regex=raw["regex"], versions=raw.get("versions", ""), scope=scope, anchor=anchor)


def _example(where: str, kind: str, raw: Any) -> Example:
    if isinstance(raw, str):
        raw = {"text": raw}
    if not raw.get("text") and not raw.get("snippet"):
        raise EntryError(f"{where}: an example needs a text or a snippet")
    if raw.get("text") and not raw.get("snippet") and kind == "example" and not raw.get("source"):
        raise EntryError(f"{where}: a verbatim example text needs its source")
    return Example(
        kind=kind,
        text=raw.get("text", ""),
        snippet=raw.get("snippet", ""),
        source=raw.get("source", ""),
        numbers=dict(raw.get("numbers", {})),
        fix_values=dict(raw.get("fix_values", {})),
        note=raw.get("note", raw.get("why", "")),
    )


def derive_anchor(pattern: str) -> str:
    """The literal runs every match must contain, lower-cased, one per line ('' if unsure).

    Only text outside groups counts, a character followed by a quantifier is dropped, and a
    pattern with a top-level alternation gets no anchor: the anchor is a safe pre-filter, so a
    text lacking any run cannot match and its regex need not even be compiled.
    """
    if _has_top_level_alternation(pattern) or "(?x" in pattern:
        return ""
    runs: list[str] = []
    run: list[str] = []
    depth = 0
    i = 0

    def flush() -> None:
        text = "".join(run).strip().lower()
        # Whitespace in a paste may be a line break or doubled: split on runs of it.
        runs.extend(part for part in re.split(r"\s{2,}", text) if len(part.strip()) >= 3)
        run.clear()

    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if depth == 0 and not nxt.isalnum():
                run.append(nxt)
            else:
                flush()
            i += 2
        elif ch == "[":
            flush()
            i = _skip_class(pattern, i)
        elif ch == "(":
            flush()
            depth += 1
            i += 1
        elif ch == ")":
            depth -= 1
            i += 1
        elif ch in "*?{+":
            if run:
                run.pop()
            flush()
            i = pattern.index("}", i) + 1 if ch == "{" and "}" in pattern[i:] else i + 1
        elif ch in ".^$|":
            flush()
            i += 1
        else:
            if depth == 0:
                run.append(ch)
            else:
                flush()
            i += 1
    flush()
    return "\n".join(dict.fromkeys(runs))


def _skip_class(pattern: str, i: int) -> int:
    j = i + 1
    if j < len(pattern) and pattern[j] == "^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 2 if pattern[j] == "\\" else 1
    return j + 1


def _has_top_level_alternation(pattern: str) -> bool:
    depth = 0
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = _skip_class(pattern, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return True
        i += 1
    return False
