"""`explainer show`: one knowledge-base entry, as text or as a dict for JSON."""

from __future__ import annotations

import textwrap
from typing import Any

from explainer.kb.entry import Entry
from explainer.kb.store import KnowledgeBase


def entry_dict(kb: KnowledgeBase, entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "title": entry.title,
        "family": entry.family,
        "exceptions": entry.exceptions,
        "priority": entry.priority,
        "patterns": [
            {"regex": p.regex, "versions": p.versions, "scope": p.scope} for p in entry.patterns
        ],
        "summary": entry.summary,
        "what": entry.what,
        "why": entry.why,
        "fix": {"summary": entry.fix_summary, "code": entry.fix_code},
        "arithmetic": entry.arithmetic,
        "references": entry.references,
        "examples": kb.examples(entry.id),
    }


def render_entry(kb: KnowledgeBase, entry: Entry) -> str:
    out = [
        f"{entry.title}",
        f"id: {entry.id}   family: {entry.family}   exceptions: {', '.join(entry.exceptions)}",
        "",
    ]
    out.append("What it means")
    out += textwrap.wrap(
        " ".join(entry.what.split()), 100, initial_indent="  ", subsequent_indent="  "
    )
    out += ["", "Messages (PyTorch versions)"]
    for p in entry.patterns:
        out.append(
            f"  {p.versions or 'all versions'}{' [whole text]' if p.scope == 'text' else ''}"
        )
        out.append(f"    {p.regex}")
    out += ["", "Why (filled with the error's numbers)"]
    out += textwrap.wrap(
        " ".join(entry.why.split()), 100, initial_indent="  ", subsequent_indent="  "
    )
    out += ["", "Fix"]
    out += textwrap.wrap(
        " ".join(entry.fix_summary.split()), 100, initial_indent="  ", subsequent_indent="  "
    )
    if entry.fix_code.strip():
        out += ["    " + line for line in entry.fix_code.strip("\n").splitlines()]
    examples = [x for x in kb.examples(entry.id) if x["kind"] == "example"]
    if examples:
        out += ["", "Examples"]
        for x in examples[:3]:
            text = x["text"] or "(produced by running a snippet)\n" + x["snippet"].strip()
            out += ["    " + line for line in text.strip().splitlines()[-8:]]
            if x["source"]:
                out.append(f"    -- {x['source']}")
            out.append("")
    if entry.references:
        out += ["References"] + [f"  {r}" for r in entry.references]
    return "\n".join(out).rstrip() + "\n"
