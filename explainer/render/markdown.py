"""Markdown for pasting into a GitHub issue or a forum post."""

from __future__ import annotations

from explainer.model import Explanation


def render_markdown(exp: Explanation) -> str:
    err = exp.parsed.error
    if exp.status == "no_error_found":
        return "_explainer: no Python error or known PyTorch message found._\n"
    out: list[str] = []
    if exp.status == "unmatched":
        out.append("### explainer: no knowledge-base entry matches")
        if err:
            out += ["", "```", f"{err.type or 'Error'}: {err.message.strip()}", "```"]
        if exp.nearest:
            out += ["", "Nearest entries: " + ", ".join(f"`{n['id']}`" for n in exp.nearest)]
        return "\n".join(out) + "\n"
    out.append(f"### {exp.title}")
    out.append("")
    out.append(f"`{exp.entry_id}` · family `{exp.family}` · confidence {exp.confidence:.2f}")
    out += ["", "**What happened.** " + " ".join(exp.summary.split())]
    if err:
        out += ["", "```", f"{err.type or 'Error'}: {err.message.strip()}", "```"]
    out += ["", "**Why.** " + " ".join(exp.cause.split())]
    if exp.arithmetic:
        out += ["", "**Arithmetic**", ""]
        out += [f"- {step}" for step in exp.arithmetic]
    if exp.fix:
        out += ["", "**Fix.** " + " ".join(exp.fix.summary.split())]
        if exp.fix.code.strip():
            out += ["", "```python", exp.fix.code.strip("\n"), "```"]
    if exp.where:
        w = exp.where
        out += ["", f"**Where.** `{w.file}:{w.line}` in `{w.function}`"]
        if w.code:
            out += ["", "```python", w.code, "```"]
    if exp.suspects:
        out += ["", "**Suspects**", ""]
        out += [f"1. `{s.file}:{s.line}` `{s.code}`: {s.reason}" for s in exp.suspects]
    if exp.live_shapes:
        out += ["", "**Live shapes** (at the crash)", ""]
        out += [f"- `{live.label()}` in `{live.function}`" for live in exp.live_shapes[:12]]
    if exp.notes:
        out += ["", *[f"> {n}" for n in exp.notes]]
    if exp.references:
        out += ["", "Docs: " + ", ".join(f"<{r}>" for r in exp.references)]
    return "\n".join(out) + "\n"
