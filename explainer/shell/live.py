"""Explain a captured crash: the usual explanation of its traceback, plus the live shapes."""

from __future__ import annotations

from typing import Any

from explainer.kb.store import KnowledgeBase
from explainer.model import Explanation, Frame
from explainer.shell.state import live_shapes


def explain_capture(
    traceback_text: str,
    tensors: list[dict[str, Any]],
    kb: KnowledgeBase,
    read_source: bool = True,
) -> Explanation:
    """Explain the traceback as pasted text would be, with the tensors seen at the crash: the
    failing user frame's first, each once under the name the user's code gives it."""
    from explainer.arithmetic import innermost_user_frame
    from explainer.explain import explain_parsed
    from explainer.parsing import parse

    parsed = parse(traceback_text)
    live = live_shapes(order_tensors(tensors, innermost_user_frame(parsed)))
    exp = explain_parsed(parsed, kb, read_source=read_source, live=live)
    exp.live_shapes = live_shapes(order_tensors(tensors, exp.where))
    return exp


def order_tensors(tensors: list[dict[str, Any]], where: Frame | None) -> list[dict[str, Any]]:
    """The failing user frame's tensors first, then other user frames', then library frames'.

    Captures list frames innermost first; the stable sort keeps that order within each group. A
    tensor passed down the stack appears in several frames (`x` in `forward`, `input` in
    `F.linear`): it is kept once, under the name of the first frame shown, the user's.
    """
    from explainer.parsing.frames import is_user_file

    def rank(record: dict[str, Any]) -> int:
        file = record.get("file")
        if not isinstance(file, str):
            return 2
        if where is not None and record.get("function") == where.function:
            if file == where.file or file.endswith(where.file.lstrip("./")):
                return 0
        return 1 if is_user_file(file) else 2

    out = []
    seen: set[Any] = set()
    for record in sorted(tensors, key=rank):
        ident = record.get("id")
        if ident is not None:
            if ident in seen:
                continue
            seen.add(ident)
        out.append(record)
    return out
