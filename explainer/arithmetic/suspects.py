"""Finding suspect lines in the user's source, shared by the families' arithmetic."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from explainer.model import Frame, Suspect
from explainer.source import Call, SourceIndex

if TYPE_CHECKING:
    from explainer.arithmetic import Context


def call_suspect(call: Call, reason: str, score: float) -> Suspect:
    return Suspect(file=call.file, line=call.line, code=call.code, reason=reason, score=score)


def lines_with_numbers(
    source: SourceIndex, numbers: Iterable[int], reason: str, score: float = 0.5
) -> list[Suspect]:
    """Lines that write one of these numbers as a literal (`crop = 320 if ... else 192`)."""
    wanted = {n for n in numbers if isinstance(n, int) and abs(n) >= 2}
    if not wanted:
        return []
    found: list[Suspect] = []
    for path in source.files():
        for lineno, line in enumerate(source.lines(path) or [], start=1):
            code = line.split("#", 1)[0]
            literals = {int(x) for x in re.findall(r"(?<![\w.])\d+(?![\w.])", code)}
            hits = literals & wanted
            if hits:
                bonus = 0.1 * (len(hits) - 1)
                found.append(Suspect(path, lineno, line.strip(), reason, score + bonus))
    return found


def matching_calls(source: SourceIndex, names: Iterable[str], args: dict[int, int]) -> list[Call]:
    """Calls to one of `names` whose positional arguments evaluate to the given values."""
    out: list[Call] = []
    for call in source.calls(*names):
        ok = True
        for index, value in args.items():
            if index >= len(call.args) or source.eval_int(call.args[index], call) != value:
                ok = False
                break
        if ok:
            out.append(call)
    return out


def replace_arg(code: str, call: Call, index: int, new: str, keyword: str | None = None) -> str:
    """The call's source line with its `index`-th positional argument replaced, or, when it is
    passed by name (`nhead=8`), its `keyword` argument."""
    start = max(code.find(call.func.rsplit(".", 1)[-1] + "("), 0)
    if index < len(call.args):
        old = call.args[index]
        pattern = re.compile(r"\s*".join(re.escape(part) for part in old.split()))
        m = pattern.search(code, start)
        if m:
            return code[: m.start()] + new + code[m.end() :]
    elif keyword and keyword in call.kwargs:
        old = call.kwargs[keyword]
        value = r"\s*".join(re.escape(part) for part in old.split())
        m = re.compile(rf"\b{re.escape(keyword)}\s*=\s*{value}").search(code, start)
        if m:
            return code[: m.start()] + f"{keyword}={new}" + code[m.end() :]
    return code


def arg_expr(call: Call, index: int, name: str) -> str | None:
    """The source of a call's argument, given by keyword or by position."""
    if name in call.kwargs:
        return call.kwargs[name]
    return call.args[index] if index < len(call.args) else None


def arg_int(source: SourceIndex, call: Call, index: int, name: str) -> int | None:
    """A call's argument evaluated as an int (keyword or positional), or None."""
    expr = arg_expr(call, index, name)
    return source.eval_int(expr, call) if expr is not None else None


def calls_with_arg(
    source: SourceIndex, names: Iterable[str], index: int, name: str, value: int
) -> list[Call]:
    """Calls to one of `names` whose argument (by keyword or position) evaluates to `value`."""
    return [c for c in source.calls(*names) if arg_int(source, c, index, name) == value]


def frame_suspect(frame: Frame | None, reason: str, score: float) -> list[Suspect]:
    """A traceback frame as a suspect (empty when the frame has no line)."""
    if frame is None or frame.line is None:
        return []
    return [Suspect(frame.file, frame.line, frame.code or "", reason, score)]


def docstring_lines(source: SourceIndex, path: str) -> set[int]:
    """Line numbers inside string-only statements (docstrings), where numbers are not code."""
    import ast

    lines = source.lines(path) or []
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return set()
    out: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            out.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return out


def code_lines_with_numbers(
    source: SourceIndex, numbers: Iterable[int], reason: str, score: float = 0.5
) -> list[Suspect]:
    """lines_with_numbers without the lines of docstrings."""
    skip: dict[str, set[int]] = {}
    out = []
    for s in lines_with_numbers(source, numbers, reason, score):
        if s.file not in skip:
            skip[s.file] = docstring_lines(source, s.file)
        if s.line not in skip[s.file]:
            out.append(s)
    return out


def raising_line_and_literals(
    ctx: Context, reason: str, score: float, numbers: Iterable[int]
) -> list[Suspect]:
    """The line that raised, then the lines that write one of the message's sizes as a literal."""
    where = ctx.where
    found: list[Suspect] = []
    if where and where.line and where.code:
        found.append(Suspect(where.file, where.line, where.code.strip(), reason, score))
    for s in code_lines_with_numbers(
        ctx.source, numbers, "writes one of the two sizes as a literal", 0.4
    ):
        if not where or s.line != where.line:
            found.append(s)
    return found
