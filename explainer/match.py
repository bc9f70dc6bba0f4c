"""Match parsed text against the entries' regexes, by priority.

What is matched, in order: whole-text patterns (CUDA assertion lines printed above the
traceback), then the messages: the inner message of a wrapper (torch.compile, DataLoader worker),
the final exception, the chained exceptions newest first, and when no exception was found the
warnings and the text itself. Each message is tried as written, with its whitespace collapsed
(a line wrap inside a sentence) and with its line breaks removed (a wrap inside a word).
"""

from __future__ import annotations

import re as std_re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import regex

from explainer.kb.entry import Entry, Pattern
from explainer.model import ErrorBlock, Frame, ParsedText, WarningLine
from explainer.parsing.frames import is_user_file

WHITESPACE = std_re.compile(r"\s+")


@dataclass
class Candidate:
    text: str
    origin: str  # "inner", "final", "chain", "warning", "text"
    type: str | None
    block: ErrorBlock | None = None  # the exception the text belongs to


@dataclass
class Match:
    entry: Entry
    pattern: Pattern
    groups: dict[str, str | None]
    candidate: Candidate
    span: str = ""  # the text the regex matched


_compiled: dict[tuple[str, bool], Any] = {}


def compiled(pattern: str, ignore_case: bool = False) -> Any:
    rx = _compiled.get((pattern, ignore_case))
    if rx is None:
        flags = regex.IGNORECASE if ignore_case else 0
        rx = _compiled[(pattern, ignore_case)] = regex.compile(pattern, flags)
    return rx


def candidates(parsed: ParsedText) -> list[Candidate]:
    out: list[Candidate] = []
    error = parsed.error
    for inner in parsed.inner_messages:
        out.append(Candidate(inner, "inner", None, error))
    if error is not None:
        out.append(Candidate(error.message, "final", error.type, error))
    for block in reversed(parsed.chain):
        out.append(Candidate(block.message, "chain", block.type, block))
    if error is None:
        # With no exception, a warning is the thing to explain (a silent broadcasting bug).
        for warning in parsed.warnings:
            out.append(Candidate(warning.message, "warning", warning.category, _block(warning)))
        tail = [line for line in parsed.text.splitlines() if line.strip()][-12:]
        if tail:
            out.append(Candidate("\n".join(tail), "text", None))
    else:
        if not error.message.strip():
            # A traceback cut before its last line: the message may be printed above it
            # (`!!! Exception during processing !!! <message>`, a logger's line).
            prose = [line for line in parsed.text.splitlines() if _is_prose(line)][-12:]
            if prose:
                out.append(Candidate("\n".join(prose), "text", None, error))
        # Tried only when nothing matched the exceptions: a run that ended with another
        # library's error after a PyTorch warning (the warning is the silent bug).
        for warning in parsed.warnings:
            out.append(Candidate(warning.message, "warning", warning.category, _block(warning)))
    return out


def _is_prose(line: str) -> bool:
    """A line that is not part of a traceback's frames (header, frame, source, carets)."""
    stripped = line.strip()
    if not stripped or line[:1].isspace():
        return False
    return not stripped.startswith(("Traceback (most recent", "File ", "^", "~"))


def _block(warning: WarningLine) -> ErrorBlock:
    """A warning as an exception-like block whose one frame is the line that warned."""
    frames = []
    if warning.file and warning.line:
        frames.append(
            Frame(
                file=warning.file,
                line=warning.line,
                function=None,
                code=warning.code,
                is_user=is_user_file(warning.file),
            )
        )
    return ErrorBlock(type=warning.category, message=warning.message, frames=frames)


WRAPPED_NUMBER = std_re.compile(r"(?<=\d)\n[ \t]*(?=\d)")
MARKDOWN_EMPHASIS = std_re.compile(r"\*\*|`+|(?<![\w])__|__(?![\w])")


def variants(text: str) -> list[str]:
    """The text as written, with whitespace collapsed, and with line breaks removed; a number a
    terminal broke in two (`input[4, 64, 158, 15` / `8]`) is mended first in every form, and
    markdown emphasis inside a message (`**Using a target size ...**`) gives more forms."""
    text = WRAPPED_NUMBER.sub("", text)
    bases = [text]
    if "**" in text or "`" in text or "__" in text:
        bases.append(MARKDOWN_EMPHASIS.sub("", text))
    out: list[str] = []
    for base in bases:
        collapsed = WHITESPACE.sub(" ", base).strip()
        joined = WHITESPACE.sub(" ", base.replace("-\n", "").replace("\n", "")).strip()
        for v in (base, collapsed, joined):
            if v not in out:
                out.append(v)
    return out


def find_matches(
    parsed: ParsedText, entries: list[Entry], ignore_case: bool = False
) -> Iterator[Match]:
    """Every (entry, pattern) that matches, best first; the caller stops when one is accepted.

    `ignore_case` is the second pass for texts retyped in another case; the anchors are
    compared in lower case anyway, so only the regexes change.
    """
    whole = parsed.text
    whole_lower = whole.lower()
    for entry in entries:
        for pattern in entry.patterns:
            if pattern.scope != "text":
                continue
            if pattern.anchor and not all(r in whole_lower for r in pattern.anchor.split("\n")):
                continue
            m = compiled(pattern.regex, ignore_case).search(whole)
            if m:
                yield Match(
                    entry, pattern, m.groupdict(), Candidate(m.group(0), "text", None), m.group(0)
                )

    seen: set[str] = set()
    for cand in candidates(parsed):
        if not cand.text or cand.text in seen:
            continue
        seen.add(cand.text)
        forms = variants(cand.text)
        lowered = [f.lower() for f in forms]
        for entry in entries:
            for pattern in entry.patterns:
                if pattern.scope != "message":
                    continue
                if pattern.anchor and not _anchored(pattern.anchor, lowered):
                    continue
                best = _longest(compiled(pattern.regex, ignore_case), forms)
                if best is not None:
                    yield Match(entry, pattern, best.groupdict(), cand, best.group(0))
                    break


def _longest(rx: Any, forms: list[str]) -> Any:
    """The longest match over the text's forms: a wrap inside a message can let a shorter,
    wrong match succeed on the text as written while the mended form matches it whole."""
    best = None
    for form in forms:
        m = rx.search(form)
        if m and (best is None or m.end() - m.start() > best.end() - best.start()):
            best = m
    return best


def _anchored(anchor: str, lowered: list[str]) -> bool:
    """Every literal run of the pattern occurs in one of the text's forms."""
    return all(any(run in low for low in lowered) for run in anchor.split("\n"))


def type_fits(entry: Entry, exc_type: str | None) -> bool:
    """Whether the exception type is one the entry names (unknown types always fit)."""
    if not exc_type or not entry.exceptions:
        return True
    short = exc_type.rsplit(".", 1)[-1]
    names = {e.rsplit(".", 1)[-1] for e in entry.exceptions}
    # AcceleratorError and OutOfMemoryError are RuntimeError subclasses; wrappers re-raise.
    related = {"AcceleratorError": "RuntimeError", "TorchRuntimeError": "RuntimeError"}
    return short in names or related.get(short) in names or "Exception" in names
