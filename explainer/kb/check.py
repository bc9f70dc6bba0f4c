"""`explainer kb check`: every entry loads, its texts match, its near-misses do not.

Verbatim example texts are checked here; snippet examples need torch and are run by the tests.
"""

from __future__ import annotations

from pathlib import Path

from explainer.kb.build import content_hash, load_entries
from explainer.kb.store import DatabaseError, KnowledgeBase, default_db_path
from explainer.templates import fields

TEMPLATE_FIELDS = ("summary", "why")


def check_entries(kb_dir: Path, db_path: Path | None = None) -> tuple[list[str], int]:
    from explainer.arithmetic import resolve
    from explainer.explain import explain_text

    entries, problems = load_entries(kb_dir)
    ids = [e.id for e in entries]
    path = db_path or default_db_path()
    try:
        kb = KnowledgeBase(path)
    except DatabaseError as exc:
        return [*problems, str(exc)], len(entries)
    if kb.meta.get("content_hash") != content_hash(kb_dir):
        problems.append(f"{path} is stale against {kb_dir}: run `explainer kb build`")
        return problems, len(entries)
    for entry in entries:
        if not entry.examples or not any(x.kind == "example" for x in entry.examples):
            problems.append(f"{entry.id}: has no example")
        if entry.arithmetic:
            try:
                resolve(entry.arithmetic)
            except (LookupError, ImportError) as exc:
                problems.append(f"{entry.id}: arithmetic {entry.arithmetic!r}: {exc}")
        for x in entry.examples:
            if not x.text:
                continue
            exp = explain_text(x.text, kb, read_source=False)
            got = exp.entry_id
            if x.kind == "example" and got != entry.id:
                problems.append(f"{entry.id}: example from {x.source or 'text'} gave {got}")
            elif x.kind == "example":
                for name, value in x.numbers.items():
                    have = exp.numbers.get(name, exp.captures.get(name))
                    if have is None or _plain(have) != value:
                        problems.append(f"{entry.id}: {name} = {have!r}, expected {value!r}")
            if x.kind == "near_miss" and got == entry.id:
                problems.append(f"{entry.id}: near-miss matched: {x.text[:80]!r}")
    if len(set(ids)) != len(ids):
        problems.append("duplicate entry ids")
    return problems, len(entries)


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


__all__ = ["check_entries", "fields", "TEMPLATE_FIELDS"]
