"""parse -> match -> arithmetic -> Explanation: the whole fast path, no I/O beyond source files."""

from __future__ import annotations

import os
import re
from typing import Any

from explainer.arithmetic import Context, Decline, Reasoning, innermost_user_frame, resolve
from explainer.arithmetic.shapes import Shape, parse_value
from explainer.kb.entry import Entry
from explainer.kb.store import KnowledgeBase
from explainer.match import Match, find_matches, type_fits
from explainer.model import ErrorBlock, Explanation, Fix, LiveShape, ParsedText, Suspect
from explainer.parsing import parse
from explainer.templates import TemplateError, fill

MAX_ALTERNATIVES = 3


def explain_text(
    text: str, kb: KnowledgeBase, read_source: bool = True, live: list[LiveShape] | None = None
) -> Explanation:
    return explain_parsed(parse(text), kb, read_source=read_source, live=live)


def explain_parsed(
    parsed: ParsedText,
    kb: KnowledgeBase,
    read_source: bool = True,
    live: list[LiveShape] | None = None,
) -> Explanation:
    """The explanation of a parsed text; `live` are tensors captured at the crash, if any."""
    from explainer.source import SourceIndex

    source = SourceIndex(parsed, enabled=read_source)
    source.live = list(live or [])
    accepted = _first_accepted(parsed, kb, source, ignore_case=False)
    if accepted is None:
        # Texts retyped by hand lose their capitals ("the size of tensor a ..."): a second,
        # case-blind pass, trusted a little less.
        accepted = _first_accepted(parsed, kb, source, ignore_case=True)
        if accepted is not None:
            accepted.confidence = round(max(accepted.confidence - 0.1, 0.05), 2)
    if accepted is not None:
        accepted.notes.extend(_warning_notes(parsed, kb))
        accepted.arithmetic.extend(live_evidence(accepted.numbers, source.live))
        return accepted
    unmatched = _unmatched(parsed, kb)
    unmatched.notes.extend(_warning_notes(parsed, kb))
    return unmatched


def live_evidence(numbers: dict[str, Any], live: list[LiveShape]) -> list[str]:
    """Which tensors, captured at the crash, carry the message's shapes and sizes: the real
    shapes name the operand the message only numbers."""
    shapes = [tuple(v) for v in numbers.values() if isinstance(v, tuple) and len(v) > 1]
    sizes = {v for v in numbers.values() if isinstance(v, int) and v > 1}
    found: list[str] = []
    for tensor in live:
        if tensor.shape is None:
            continue
        where = f" in {tensor.function}" if tensor.function else ""
        if tuple(tensor.shape) in shapes:
            found.append(f"At the crash, {tensor.label()}{where}: the shape in the message.")
        else:
            hits = [d for d in tensor.shape if isinstance(d, int) and d in sizes]
            if hits and len(found) < 3:
                dims = ", ".join(f"{d:,}" for d in dict.fromkeys(hits))
                found.append(
                    f"At the crash, {tensor.label()}{where}: it holds the {dims} of the message."
                )
        if len(found) >= 4:
            break
    return found


def _first_accepted(
    parsed: ParsedText, kb: KnowledgeBase, source: Any, ignore_case: bool
) -> Explanation | None:
    """The first entry, by priority, that matches and does not decline; later ones that also
    match become its alternatives."""
    accepted: Explanation | None = None
    alternatives: list[dict[str, str]] = []
    tried: set[str] = set()
    for match in find_matches(parsed, kb.entries(), ignore_case=ignore_case):
        if match.entry.id in tried:
            continue
        tried.add(match.entry.id)
        if accepted is not None:
            if match.entry.family != accepted.family or len(alternatives) < MAX_ALTERNATIVES:
                alternatives.append({"id": match.entry.id, "family": match.entry.family})
            if len(alternatives) >= MAX_ALTERNATIVES:
                break
            continue
        try:
            accepted = _build(match, parsed, source)
        except Decline:
            continue
        except Exception as exc:  # noqa: BLE001 - a bug in one entry's arithmetic
            if os.environ.get("EXPLAINER_DEBUG"):
                raise
            # The entry matched; say what it knows without the numbers rather than crash.
            accepted = _build(match, parsed, source, arithmetic=False)
            accepted.notes.append(
                f"the arithmetic of {match.entry.id} failed ({type(exc).__name__}: {exc}); "
                "please report it"
            )
            accepted.confidence = min(accepted.confidence, 0.5)
    if accepted is not None:
        accepted.alternatives = alternatives
    return accepted


def _warning_notes(parsed: ParsedText, kb: KnowledgeBase) -> list[str]:
    """Known warnings printed before the error: often the silent bug behind it."""
    if parsed.error is None:
        return []
    notes: list[str] = []
    for warning in parsed.warnings[:5]:
        if warning.message.strip() in parsed.error.message:
            continue  # the warning is what was explained
        alone = ParsedText(text=warning.message, error=None, warnings=[warning])
        match = next(find_matches(alone, kb.entries()), None)
        if match is not None:
            where = f" ({warning.file}:{warning.line})" if warning.file else ""
            notes.append(
                f"The text also has a {warning.category}{where}: {warning.message[:160]}"
                f" -- see `explainer show {match.entry.id}`."
            )
    return notes


LIST_GROUP = re.compile(r"^(?P<name>\w+?)__(?P<index>\d+)$")


def split_groups(groups: dict[str, str | None]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Captured groups as numbers (ints and shapes) and captures (everything else).

    Groups named `devices__0`, `devices__1` (a regex group name cannot repeat) become one
    list, `devices`.
    """
    numbers: dict[str, Any] = {}
    captures: dict[str, Any] = {}
    lists: dict[str, list[tuple[int, Any]]] = {}
    for name, raw in groups.items():
        if raw is None:
            continue
        value = parse_value(raw)
        if isinstance(value, str):
            value = value.strip()
        m = LIST_GROUP.match(name)
        if m:
            lists.setdefault(m["name"], []).append((int(m["index"]), value))
        elif isinstance(value, int | Shape):
            numbers[name] = value
        elif isinstance(value, str):
            captures[name] = value
    for name, items in lists.items():
        values = [v for _, v in sorted(items, key=lambda item: item[0])]
        target = numbers if all(isinstance(v, int | Shape) for v in values) else captures
        target[name] = values
    return numbers, captures


def _matched_lines(match: Match) -> str:
    """The lines of the candidate text that hold the match (a bare message has no other home)."""
    head = " ".join(match.span.split())[:40]
    lines = [line.strip() for line in match.candidate.text.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if head and " ".join(line.split()).find(head[:20]) >= 0:
            return "\n".join(lines[i : i + max(match.span.count("\n") + 1, 1)])
    return match.span.strip() or match.candidate.text.strip()


def _build(match: Match, parsed: ParsedText, source: Any, arithmetic: bool = True) -> Explanation:
    entry = match.entry
    # A warning explained although an exception ended the run: say so.
    ended = parsed.error if match.candidate.origin == "warning" else None
    if parsed.error is None:
        # A warning or a bare message: it becomes the error the explanation reports.
        kind = match.candidate.type if match.candidate.origin == "warning" else None
        parsed.error = ErrorBlock(type=kind, message=_matched_lines(match))
    elif not parsed.error.message.strip():
        # A cut-off traceback whose message was printed above it.
        parsed.error.message = _matched_lines(match)
    numbers, captures = split_groups(match.groups)
    ctx = Context(
        numbers=numbers,
        captures=captures,
        message=match.candidate.text,
        parsed=parsed,
        source=source,
        entry_id=entry.id,
        block=match.candidate.block,
        live=list(getattr(source, "live", [])),
    )
    reasoning = resolve(entry.arithmetic)(ctx) if entry.arithmetic and arithmetic else Reasoning()
    numbers = {**numbers, **reasoning.numbers}
    values: dict[str, Any] = {**captures, **numbers, **reasoning.values}
    try:
        summary = fill(entry.summary, values)
        cause = fill(entry.why, values)
        fix_summary = fill(entry.fix_summary, values)
        fix_code = (
            reasoning.fix_code if reasoning.fix_code is not None else fill(entry.fix_code, values)
        )
    except TemplateError as exc:
        # The arithmetic could not provide what the template needs: say less, not something wrong.
        summary = entry.title
        cause = entry.what
        fix_summary = fill_or(entry.fix_summary, values)
        fix_code = ""
        reasoning.notes.append(f"could not work out {exc.args[0]!r} from this message")
        reasoning.confidence = min(reasoning.confidence or 0.6, 0.6)
    where = ctx.where
    suspects = rank_suspects(reasoning.suspects, where)
    return Explanation(
        status="explained",
        parsed=parsed,
        entry_id=entry.id,
        family=entry.family,
        title=entry.title,
        summary=summary,
        what=entry.what,
        cause=cause,
        arithmetic=reasoning.steps,
        fix=Fix(summary=fix_summary, code=fix_code, values=reasoning.fix_values),
        numbers=numbers,
        captures=captures,
        where=where,
        suspects=suspects,
        references=entry.references,
        confidence=_confidence(entry, match, reasoning),
        notes=_ended_note(ended) + reasoning.notes,
    )


def _ended_note(ended: ErrorBlock | None) -> list[str]:
    """When a warning is explained although the run ended with an exception nothing knew."""
    if ended is None or not ended.message.strip():
        return []
    first = ended.message.strip().splitlines()[0][:200]
    return [
        f"The run ended with {ended.type or 'an error'}: {first}, which the knowledge base does "
        "not know; the warning printed before it is explained here, and is likely its cause."
    ]


def fill_or(template: str, values: dict[str, Any]) -> str:
    try:
        return fill(template, values)
    except TemplateError:
        return template.split("{", 1)[0].rstrip(" :,(") or template


def rank_suspects(found: list[Suspect], where: Any) -> list[Suspect]:
    """The arithmetic's suspects by score, then the line that raised, without duplicates."""
    ranked = sorted(found, key=lambda s: -s.score)
    if where is not None and where.line is not None:
        ranked.append(
            Suspect(
                file=where.file,
                line=where.line,
                code=where.code or "",
                reason="the line in your code where the error was raised",
                score=0.1,
            )
        )
    out: list[Suspect] = []
    seen: set[tuple[str, int]] = set()
    for s in ranked:
        if (s.file, s.line) not in seen:
            seen.add((s.file, s.line))
            out.append(s)
    return out[:5]


def _confidence(entry: Entry, match: Match, reasoning: Reasoning) -> float:
    score = 0.95 if reasoning.confidence is None else reasoning.confidence
    if not type_fits(entry, match.candidate.type):
        score -= 0.15
    if match.candidate.origin in ("text", "warning") and match.pattern.scope != "text":
        score -= 0.05
    return round(max(min(score, 1.0), 0.05), 2)


# How an error reads when its `SomethingError:` prefix is missing ("no error here" is not one).
ERROR_WORDS = re.compile(
    r"\w+(?:Error|Exception)\b|\berror:|traceback|\bassert(?:ion)?\b|"
    r"\bexpected\b.*\b(?:got|but|instead|to be|to have)\b|mismatch|\binvalid\b|"
    r"must (?:match|be)|can(?:no|')t be|out of (?:range|bounds)|(?:does not|doesn't) match|"
    r"not (?:supported|implemented)",
    re.IGNORECASE,
)


def _unmatched(parsed: ParsedText, kb: KnowledgeBase) -> Explanation:
    if parsed.error is None:
        tail = [line.strip() for line in parsed.text.splitlines() if line.strip()][-5:]
        if not tail or not any(ERROR_WORDS.search(line) for line in tail):
            return Explanation(status="no_error_found", parsed=parsed)
        # No `SomethingError:` line, but it reads like an error: say we could not place it.
        message = next((line for line in reversed(tail) if ERROR_WORDS.search(line)), tail[-1])
        parsed.error = ErrorBlock(type=None, message=message)
    message = parsed.error.message.strip()
    notes: list[str] = []
    if not message and parsed.error.type is None:
        notes.append("the traceback ends before its exception line: was the paste cut short?")
    nearest = kb.search(message, limit=3, skip_common=True) if message else []
    first = message.splitlines()[0][:300] if message else "(no message)"
    return Explanation(
        status="unmatched",
        parsed=parsed,
        where=innermost_user_frame(parsed),
        nearest=nearest,
        summary=f"{parsed.error.type or 'Error'}: {first}",
        notes=notes,
    )
