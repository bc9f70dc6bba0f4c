"""Build `data/kb.sqlite` from `kb/entries/*.toml` with sqlite-utils, deterministically.

Same sources, same bytes: entries are written in id order, no timestamps are stored, and the
content hash of the sources is kept in the `meta` table so a stale database can be detected.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from explainer.kb.entry import Entry, EntryError, load_entry

SCHEMA_VERSION = 1


def entry_files(kb_dir: Path) -> list[Path]:
    return sorted((kb_dir / "entries").glob("*.toml"))


def content_hash(kb_dir: Path) -> str:
    """Hash of every entry file's name and bytes, plus the schema version."""
    digest = hashlib.sha256(f"schema:{SCHEMA_VERSION}\n".encode())
    for path in entry_files(kb_dir):
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return digest.hexdigest()


def load_entries(kb_dir: Path) -> tuple[list[Entry], list[str]]:
    """All entries that load, and one message per file that does not."""
    entries: list[Entry] = []
    errors: list[str] = []
    for path in entry_files(kb_dir):
        try:
            entries.append(load_entry(path))
        except EntryError as exc:
            errors.append(str(exc))
    return entries, errors


def build(kb_dir: Path, out_path: Path) -> int:
    """Write the database atomically; returns the number of entries. Raises on a bad entry."""
    import sqlite_utils

    entries, errors = load_entries(kb_dir)
    if errors:
        raise EntryError("; ".join(errors))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(suffix=".sqlite", dir=out_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        db = sqlite_utils.Database(tmp)
        _write(db, entries, content_hash(kb_dir))
        db.conn.execute("VACUUM")
        db.close()
        os.replace(tmp, out_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return len(entries)


def _write(db, entries: list[Entry], digest: str) -> None:  # type: ignore[no-untyped-def]
    db["meta"].insert_all(
        [
            {"key": "schema_version", "value": str(SCHEMA_VERSION)},
            {"key": "content_hash", "value": digest},
            {"key": "entries", "value": str(len(entries))},
        ],
        pk="key",
    )
    db["entries"].insert_all(
        (
            {
                "id": e.id,
                "title": e.title,
                "family": e.family,
                "exceptions": json.dumps(e.exceptions),
                "priority": e.priority,
                "arithmetic": e.arithmetic,
                "summary": e.summary,
                "what": e.what,
                "why": e.why,
                "fix_summary": e.fix_summary,
                "fix_code": e.fix_code,
                "refs": json.dumps(e.references),
                "out_of_scope": e.out_of_scope,
                "inventory": json.dumps(e.inventory),
                "versions": "; ".join(p.versions for p in e.patterns if p.versions),
            }
            for e in sorted(entries, key=lambda e: e.id)
        ),
        pk="id",
    )
    db["patterns"].insert_all(
        (
            {
                "entry_id": e.id,
                "idx": i,
                "regex": p.regex,
                "versions": p.versions,
                "scope": p.scope,
                "anchor": p.anchor,
            }
            for e in sorted(entries, key=lambda e: e.id)
            for i, p in enumerate(e.patterns)
        ),
        pk=("entry_id", "idx"),
        foreign_keys=[("entry_id", "entries", "id")],
    )
    db["examples"].insert_all(
        (
            {
                "entry_id": e.id,
                "idx": i,
                "kind": x.kind,
                "text": x.text,
                "snippet": x.snippet,
                "source": x.source,
                "numbers": json.dumps(x.numbers, sort_keys=True),
                "note": x.note,
            }
            for e in sorted(entries, key=lambda e: e.id)
            for i, x in enumerate(e.examples)
        ),
        pk=("entry_id", "idx"),
        foreign_keys=[("entry_id", "entries", "id")],
    )
    db["entries"].enable_fts(
        ["id", "title", "family", "summary", "what", "why", "fix_summary"],
        tokenize="porter",
        create_triggers=False,
    )
