"""Terminal output: sections What happened / Why / Arithmetic / Fix / Where, colour optional."""

from __future__ import annotations

import os
import textwrap

from explainer.model import Explanation

WIDTH = 100


class Style:
    """ANSI styling that turns itself off for pipes and NO_COLOR."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def heading(self, text: str) -> str:
        return self._wrap("1;36", text)

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def good(self, text: str) -> str:
        return self._wrap("32", text)

    def bad(self, text: str) -> str:
        return self._wrap("31", text)

    def code(self, text: str) -> str:
        return self._wrap("33", text)


def want_color(stream_isatty: bool, flag: bool | None) -> bool:
    if flag is not None:
        return flag
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream_isatty and os.environ.get("TERM") != "dumb"


def _para(text: str, indent: str = "  ") -> list[str]:
    out: list[str] = []
    for block in text.strip().split("\n\n"):
        joined = " ".join(line.strip() for line in block.splitlines())
        out.extend(textwrap.wrap(joined, WIDTH, initial_indent=indent, subsequent_indent=indent))
    return out


def render_text(exp: Explanation, color: bool = False) -> str:
    s = Style(color)
    if exp.status == "no_error_found":
        return "explainer: no Python error or known PyTorch message found in the input.\n"
    lines: list[str] = []
    if exp.status == "unmatched":
        return _render_unmatched(exp, s)
    title = f"{exp.title}  [{exp.entry_id} · {exp.family} · confidence {exp.confidence:.2f}]"
    lines.append(s.bold(title))
    lines.append("")
    lines.append(s.heading("What happened"))
    lines.extend(_para(exp.summary))
    err = exp.parsed.error
    if err:
        first = err.message.strip().splitlines()[0] if err.message.strip() else ""
        lines.append(s.dim(f"  {err.type or 'Error'}: {first[:300]}"))
    lines.append("")
    lines.append(s.heading("Why"))
    lines.extend(_para(exp.cause))
    if exp.arithmetic:
        lines.append("")
        lines.append(s.heading("Arithmetic"))
        for step in exp.arithmetic:
            wrapped = textwrap.wrap(step, WIDTH, initial_indent="  • ", subsequent_indent="    ")
            lines.extend(wrapped)
    if exp.fix:
        lines.append("")
        lines.append(s.heading("Fix"))
        lines.extend(_para(exp.fix.summary))
        if exp.fix.code.strip():
            lines.append("")
            for code_line in exp.fix.code.strip("\n").splitlines():
                lines.append("    " + s.code(code_line))
    lines.extend(_where(exp, s))
    lines.extend(_live_shapes(exp, s))
    if exp.notes:
        lines.append("")
        lines.append(s.heading("Notes"))
        for note in exp.notes:
            lines.extend(
                textwrap.wrap(note, WIDTH, initial_indent="  - ", subsequent_indent="    ")
            )
    if exp.alternatives:
        alts = ", ".join(f"{a['id']} ({a['family']})" for a in exp.alternatives)
        lines.append("")
        lines.append(s.dim(f"Also matched: {alts}"))
    if exp.references:
        lines.append(s.dim("Docs: " + "  ".join(exp.references)))
    return "\n".join(lines) + "\n"


def _where(exp: Explanation, s: Style) -> list[str]:
    lines: list[str] = []
    if exp.where:
        w = exp.where
        lines += ["", s.heading("Where")]
        loc = f"{w.file}:{w.line}" if w.line else w.file
        lines.append(f"  {loc} in {w.function or '?'}")
        if w.code:
            lines.append("    " + s.code(w.code))
    suspects = [
        x
        for x in exp.suspects
        if not (
            exp.where and x.line == exp.where.line and x.file == exp.where.file and x.score <= 0.1
        )
    ]
    if suspects:
        lines += ["", s.heading("Suspects")]
        for n, sus in enumerate(suspects, start=1):
            lines.append(f"  {n}. {sus.file}:{sus.line}  " + s.code(sus.code))
            lines.extend(
                textwrap.wrap(sus.reason, WIDTH, initial_indent="     ", subsequent_indent="     ")
            )
    return lines


MAX_LIVE_SHAPES = 12


def _live_shapes(exp: Explanation, s: Style) -> list[str]:
    """Tensors captured at the crash, those of the failing frame first."""
    if not exp.live_shapes:
        return []
    lines = ["", s.heading("Live shapes (at the crash)")]
    for live in exp.live_shapes[:MAX_LIVE_SHAPES]:
        where = f"in {live.function}" if live.function else ""
        if live.file:
            where += f" ({live.file.replace(chr(92), '/').rsplit('/', 1)[-1]}:{live.line})"
        lines.append(f"  {s.code(live.label())}  {s.dim(where)}".rstrip())
    hidden = len(exp.live_shapes) - MAX_LIVE_SHAPES
    if hidden > 0:
        lines.append(s.dim(f"  ... and {hidden} more (--json lists them all)"))
    return lines


def _render_unmatched(exp: Explanation, s: Style) -> str:
    err = exp.parsed.error
    lines = [s.bold("explainer: no knowledge-base entry matches this error."), ""]
    if err:
        lines.append(s.heading("The error"))
        lines.append("  " + exp.summary)
        if exp.parsed.chain:
            for block in exp.parsed.chain:
                lines.append(
                    s.dim(
                        f"  (chained, {block.link}) {block.type}: "
                        + block.message.splitlines()[0][:200]
                        if block.message
                        else ""
                    )
                )
    lines.extend(_where(exp, s))
    lines.extend(_live_shapes(exp, s))
    for note in exp.notes:
        lines += ["", f"  {note}"]
    if exp.nearest:
        lines += ["", s.heading("Nearest entries")]
        for n in exp.nearest:
            lines.append(f"  {n['id']}  ({n['family']})  {n['title']}")
        lines.append(s.dim("  explainer show <id> prints an entry."))
    return "\n".join(lines) + "\n"
