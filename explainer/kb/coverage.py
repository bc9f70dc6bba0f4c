"""`explainer kb coverage FILE.jsonl`: the share of a file's examples that are explained.

Each line is a JSON object with the text in `example` or `text` (or `--field`), and optionally
a `family`. When every row's family is one of the knowledge base's families, the report also
counts how many were explained with the right family; otherwise the families only group rows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from explainer.kb.families import FAMILIES
from explainer.kb.store import KnowledgeBase


class CoverageError(Exception):
    """The coverage file cannot be read."""


def coverage(path: Path, kb: KnowledgeBase, field: str | None = None) -> dict[str, Any]:
    from explainer.explain import explain_text

    rows = _rows(path)
    # A file whose families are not all ours groups more coarsely: count, do not judge, them.
    judge = all(str(row.get("family")) in FAMILIES for row in rows if "family" in row)
    by_family: dict[str, dict[str, int]] = defaultdict(
        lambda: {"total": 0, "explained": 0, "right_family": 0}
    )
    misses: list[dict[str, Any]] = []
    wrong: list[dict[str, Any]] = []
    explained = right = judged = 0
    for row in rows:
        text = row.get(field) if field else row.get("example", row.get("text"))
        if not isinstance(text, str):
            raise CoverageError(f"{path}: a row has no text field ({field or 'example/text'})")
        family = str(row.get("family", "?"))
        exp = explain_text(text, kb, read_source=False)
        stats = by_family[family]
        stats["total"] += 1
        ok = exp.status == "explained"
        if ok:
            explained += 1
            stats["explained"] += 1
        else:
            misses.append({"id": row.get("id"), "family": family, "text": text[-200:]})
        if judge and family in FAMILIES:
            judged += 1
            if ok and exp.family == family:
                right += 1
                stats["right_family"] += 1
            elif ok:
                wrong.append(
                    {
                        "id": row.get("id"),
                        "family": family,
                        "got": exp.family,
                        "entry": exp.entry_id,
                    }
                )
    total = len(rows)
    return {
        "file": str(path),
        "total": total,
        "explained": explained,
        "share": round(explained / total, 4) if total else 0.0,
        "judged_families": judged,
        "right_family": right,
        "wrong_family": wrong,
        "by_family": dict(sorted(by_family.items())),
        "misses": misses,
    }


def _rows(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CoverageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CoverageError(f"{path} is not UTF-8 text") from None
    rows = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CoverageError(f"{path}:{n}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise CoverageError(f"{path}:{n}: each line must be a JSON object")
        rows.append(row)
    return rows


def render_coverage(report: dict[str, Any]) -> str:
    out = [
        f"{report['file']}: {report['explained']}/{report['total']} explained "
        f"({report['share']:.1%})"
    ]
    if report["judged_families"]:
        out.append(
            f"right family: {report['right_family']}/{report['judged_families']}, "
            f"wrong family: {len(report['wrong_family'])}"
        )
    out.append("")
    out.append(f"{'family':<24}{'explained':>10}{'total':>8}")
    for family, s in report["by_family"].items():
        out.append(f"{family:<24}{s['explained']:>10}{s['total']:>8}")
    if report["misses"]:
        out += ["", "missed:"]
        for m in report["misses"]:
            text = " ".join(str(m["text"]).split())[-140:]
            out.append(f"  {m['id']} [{m['family']}] {text}")
    if report["wrong_family"]:
        out += ["", "wrong family:"]
        for w in report["wrong_family"]:
            out.append(f"  {w['id']}: expected {w['family']}, got {w['got']} ({w['entry']})")
    return "\n".join(out) + "\n"
