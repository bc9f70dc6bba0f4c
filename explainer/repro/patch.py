"""Line edits on in-memory copies of source files, and the unified diff a user can apply."""

from __future__ import annotations

import ast
import difflib
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Edit:
    """Replace lines `start`..`end` (1-based, inclusive) of `file` with `lines`; `end` =
    `start - 1` inserts before `start`."""

    file: str
    start: int
    end: int
    lines: tuple[str, ...]


def apply(texts: dict[str, str], edits: list[Edit]) -> dict[str, str]:
    """New texts of the edited files; edits of one file must not overlap."""
    out: dict[str, str] = {}
    by_file: dict[str, list[Edit]] = {}
    for edit in edits:
        by_file.setdefault(edit.file, []).append(edit)
    for file, file_edits in by_file.items():
        text = texts[file]
        lines = text.splitlines()
        for edit in sorted(file_edits, key=lambda e: (e.start, e.end), reverse=True):
            lines[edit.start - 1 : edit.end] = list(edit.lines)
        out[file] = "\n".join(lines) + ("\n" if text.endswith("\n") else "")
    return out


def overlapping(edits: list[Edit]) -> bool:
    spans = sorted((e.file, e.start, max(e.end, e.start - 1)) for e in edits)
    for (f1, _s1, e1), (f2, s2, _e2) in zip(spans, spans[1:], strict=False):
        if f1 == f2 and s2 <= e1:
            return True
    return False


def unified_diff(before: dict[str, str], after: dict[str, str]) -> str:
    chunks: list[str] = []
    for file in sorted(after):
        name = _display(file)
        chunks.extend(
            difflib.unified_diff(
                before[file].splitlines(True),
                after[file].splitlines(True),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
                n=2,
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in chunks)


def _display(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path.lstrip("/")
    return rel if not rel.startswith("..") else path.lstrip("/")


def indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def segment(lines: list[str], node: ast.AST) -> str:
    """The source text of an ast node (positions are UTF-8 byte offsets)."""
    start, end = node.lineno, node.end_lineno  # type: ignore[attr-defined]
    col, end_col = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
    if start == end:
        return lines[start - 1].encode()[col:end_col].decode()
    parts = [lines[start - 1].encode()[col:].decode()]
    parts.extend(lines[start : end - 1])
    parts.append(lines[end - 1].encode()[:end_col].decode())
    return "\n".join(parts)


def replace_node(file: str, lines: list[str], node: ast.AST, new: str) -> Edit:
    """An edit that puts `new` where the node's text is."""
    start, end = node.lineno, node.end_lineno  # type: ignore[attr-defined]
    col, end_col = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
    before = lines[start - 1].encode()[:col].decode()
    after = lines[end - 1].encode()[end_col:].decode()
    return Edit(file, start, end, tuple((before + new + after).split("\n")))


def wrap_value(text: str, node: ast.expr, suffix: str) -> str:
    """`x` + `.permute(...)`; `(a + b)` when the expression needs parentheses."""
    simple = isinstance(node, ast.Name | ast.Attribute | ast.Call | ast.Subscript)
    return f"{text}{suffix}" if simple else f"({text}){suffix}"


def parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def nodes_on_line(tree: ast.Module, line: int, kind: type) -> list[ast.AST]:
    return [n for n in ast.walk(tree) if isinstance(n, kind) and getattr(n, "lineno", None) == line]


def statement_at(tree: ast.Module, line: int) -> ast.stmt | None:
    """The innermost simple statement whose lines hold `line`."""
    best: ast.stmt | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not hasattr(node, "body"):
            if node.lineno <= line <= (node.end_lineno or node.lineno):
                if best is None or node.lineno >= best.lineno:
                    best = node
    return best


def enclosing(tree: ast.Module, line: int, kind: type) -> ast.AST | None:
    best: ast.AST | None = None
    for node in ast.walk(tree):
        if isinstance(node, kind) and node.lineno <= line <= (node.end_lineno or 0):  # type: ignore[attr-defined]
            if best is None or node.lineno >= best.lineno:  # type: ignore[attr-defined]
                best = node
    return best


def nn_alias(tree: ast.Module) -> str:
    """How the file names torch.nn: `nn` or `torch.nn`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "torch.nn" and alias.asname:
                    return alias.asname
        if isinstance(node, ast.ImportFrom) and node.module == "torch":
            for alias in node.names:
                if alias.name == "nn":
                    return alias.asname or "nn"
    return "torch.nn"
