"""The `--json` contract, schema_version 1 (documented in README.md; keep it stable)."""

from __future__ import annotations

import json
from typing import Any

from explainer.model import Explanation

SCHEMA_VERSION = 1


def to_dict(exp: Explanation) -> dict[str, Any]:
    error = exp.parsed.error
    where = exp.where
    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "status": exp.status,
        "error": {"type": error.type, "message": error.message} if error else None,
        "entry": (
            {"id": exp.entry_id, "family": exp.family, "title": exp.title} if exp.entry_id else None
        ),
        "numbers": {k: _plain(v) for k, v in exp.numbers.items()},
        "where": (
            {"file": where.file, "line": where.line, "function": where.function, "code": where.code}
            if where
            else None
        ),
        "suspects": [s.to_dict() for s in exp.suspects],
        "cause": exp.cause,
        "arithmetic": list(exp.arithmetic),
        "fix": (
            {
                "summary": exp.fix.summary,
                "code": exp.fix.code,
                "values": {k: _plain(v) for k, v in exp.fix.values.items()},
            }
            if exp.fix
            else None
        ),
        "confidence": exp.confidence,
        "alternatives": list(exp.alternatives),
        # Additions beyond the minimum contract; new keys may be added, none removed.
        "summary": exp.summary,
        "what": exp.what,
        "captures": dict(exp.captures),
        "nearest": list(exp.nearest),
        "chain": [{"type": b.type, "message": b.message, "link": b.link} for b in exp.parsed.chain],
        "notes": list(exp.notes),
        "references": list(exp.references),
        "live_shapes": [live.to_dict() for live in exp.live_shapes],
    }
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def render_json(exp: Explanation) -> str:
    return json.dumps(to_dict(exp), indent=2, ensure_ascii=False)
