"""The reproduction as text: a torchinfo-like table up to the failing row, the confirmed
dimensions, the fix's verdict and its diff (no torch)."""

from __future__ import annotations

import os
from typing import Any

from explainer.render.text import Style

MAX_COL = 34
DEFAULT_DEPTH = 3


def _shape(value: list[int] | None) -> str:
    return "[" + ", ".join(str(v) for v in value) + "]" if value is not None else ""


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _rel(path: str | None) -> str:
    if not path:
        return ""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith("..") else path


def _visible(layers: list[dict[str, Any]], depth: int) -> list[int]:
    """Rows to show: those up to `depth`, and every row on the failing path."""
    keep = [i for i, r in enumerate(layers) if r["depth"] <= depth]
    failing = [i for i, r in enumerate(layers) if r.get("status") == "failed"]
    return sorted(set(keep) | set(failing))


def table(layers: list[dict[str, Any]], style: Style, depth: int = DEFAULT_DEPTH) -> list[str]:
    if not layers:
        return []
    rows: list[tuple[str, str, str, str, str, str]] = []
    for i in _visible(layers, depth):
        r = layers[i]
        indent = "  " * r["depth"]
        if r["kind"] == "op":
            first = f"{indent}· {r.get('call') or r['type']}"
            kind = f"line {r.get('line')}"
            params = ""
        else:
            last = r["path"].rsplit(".", 1)[-1] if r["depth"] else r["path"]
            first = f"{indent}{last}"
            kind = r["type"]
            params = f"{r['params']:,}" if r.get("params") else "-"
        status = r.get("status")
        out = _shape(r.get("output"))
        if status == "failed":
            out = "✗ failed"
        elif status == "running":
            out = "…"
        rows.append((_cut(first, MAX_COL), _cut(kind, 18), _cut(_shape(r.get("input")), 26),
                     _cut(out, 26), params, status or ""))  # fmt: skip
    hidden = len(layers) - len(rows)
    head = ("Layer", "Type", "Input", "Output", "Params")
    widths = [max(len(head[c]), *(len(row[c]) for row in rows)) for c in range(5)]
    lines = [style.bold(_fmt(head, widths))]
    innermost = max((i for i, r in enumerate(rows) if r[5] == "failed"), default=None)
    for n, row in enumerate(rows):
        text = _fmt(row[:5], widths)
        if n == innermost:
            lines.append(style.bad(style.bold(text + "   ◀ fails here")))
        elif row[5] == "failed":
            lines.append(style.bad(text))
        else:
            lines.append(text)
    if hidden > 0:
        lines.append(style.dim(f"({hidden} deeper rows not shown; --depth to see them)"))
    return lines


def _fmt(cells: tuple[str, ...], widths: list[int]) -> str:
    parts = [cells[0].ljust(widths[0]), cells[1].ljust(widths[1]), cells[2].ljust(widths[2]),
             cells[3].ljust(widths[3]), cells[4].rjust(widths[4])]  # fmt: skip
    return "  ".join(parts).rstrip()


def render_report(report: dict[str, Any], color: bool = False, depth: int = DEFAULT_DEPTH) -> str:
    s = Style(color)
    out: list[str] = []
    status = report.get("status")
    error = report.get("error") or {}
    device = report.get("device")
    if status == "reproduced" and report.get("recovered"):
        out.append(s.heading(f"Recovered on {device}: the error behind the CUDA assert"))
        out.append(f"  {error.get('type')}: {_first(error.get('message'))}")
    elif status == "reproduced":
        exact = " (the same message)" if report.get("exact_message") else ""
        out.append(s.heading(f"Reproduced on {device}{exact}"))
        out.append(f"  {error.get('type')}: {_first(error.get('message'))}")
    elif status == "different_error":
        out.append(
            s.heading(f"Ran on {device}: it fails, with another error than your traceback's")
        )
        out.append(f"  {error.get('type')}: {_first(error.get('message'))}")
    elif status == "failed":
        out.append(s.heading(f"Ran on {device}: it fails"))
        out.append(f"  {error.get('type')}: {_first(error.get('message'))}")
    elif status == "not_reproduced":
        out.append(s.heading(f"Ran on {device} without the error"))
    elif status == "ran":
        out.append(s.heading(f"Ran on {device}: the forward completes"))
    else:
        out.append(s.heading("Could not reproduce"))
        out.append(f"  {report.get('message', '')}")
    where = report.get("where")
    if where and status in ("reproduced", "different_error", "failed"):
        at = f" in {report['failed_at']}" if report.get("failed_at") else ""
        out.append(
            s.dim(f"  at {_rel(where['file'])}:{where['line']}{at}: {where.get('code', '')}")
        )
    if report.get("cuda_error"):
        out.append(s.dim(f"  on cuda it was: {report['cuda_error']}"))
    inp = report.get("input") or {}
    if inp.get("shapes"):
        shapes = ", ".join(_shape(x) for x in inp["shapes"])
        source = f" ({inp['source']})" if inp.get("source") else " (from your script)"
        out.append(s.dim(f"  input {shapes}{source}"))
    lines = table(report.get("layers") or [], s, depth)
    if lines:
        out += ["", *lines]
    if report.get("confirmed"):
        out += ["", s.heading("Confirmed")]
        out += [f"  - {c}" for c in report["confirmed"]]
    out += _fix_section(report, s)
    notes = report.get("notes") or []
    if notes:
        out += ["", s.heading("Notes")]
        out += [f"  - {n}" for n in notes]
    skipped = [
        st for st in report.get("statements") or [] if st["status"] in ("skipped", "partial")
    ]
    if skipped:
        shown = "; ".join(f"line {st['line']}: {st['why']}" for st in skipped[:4])
        more = f" (+{len(skipped) - 4} more)" if len(skipped) > 4 else ""
        out.append(s.dim(f"  not replayed: {shown}{more}"))
    return "\n".join(out) + "\n"


def _fix_section(report: dict[str, Any], s: Style) -> list[str]:
    fix = report.get("fix")
    verified = report.get("fix_verified")
    if report.get("status") not in ("reproduced", "different_error", "failed"):
        return []
    if verified is None or not fix:
        return ["", s.heading("Fix"), "  no mechanical fix to verify for this error"]
    out = ["", s.heading("Fix")]
    for step in fix.get("steps") or []:
        out.append(f"  - {step['title']}" + (f" [{step['origin']}]" if step.get("origin") else ""))
    if verified:
        outputs = report.get("fix_output") or []
        shown = ", ".join(_shape(o) for o in outputs[:3])
        out.append(
            s.good(
                f"  fix verified: forward completes, output {shown}"
                if shown
                else "  fix verified: it runs without the error"
            )
        )
    else:
        nxt = fix.get("next_error")
        if nxt:
            at = f" at {nxt['at']}" if nxt.get("at") else ""
            error = f"{nxt.get('type')}: {_first(nxt.get('message'))}"
            out.append(s.bad(f"  with this fix it fails next{at}: {error}"))
        else:
            out.append(s.bad("  the fix did not remove the error"))
    if fix.get("diff"):
        out.append("")
        for line in fix["diff"].rstrip("\n").splitlines():
            if line.startswith("+") and not line.startswith("+++"):
                out.append(s.good(line))
            elif line.startswith("-") and not line.startswith("---"):
                out.append(s.bad(line))
            else:
                out.append(line)
    return out


def _first(message: str | None) -> str:
    if not message:
        return ""
    lines = [line for line in message.strip().splitlines() if line.strip()]
    text = lines[0] if lines else ""
    if len(lines) > 1:
        text += f" (+{len(lines) - 1} lines)"
    return text[:400]
