"""The user's own source files, read when they exist on this machine, to find the real bug.

The traceback names the line that raised; the bug is often elsewhere: the `nn.Linear(16*5*5, 120)`
in `__init__`, the `view(-1, 256*16*16)` in a `forward` that already returned. This module reads
the user frames' files and the local modules they import, lists the calls in them (with `ast`),
and evaluates constant size expressions such as `256*16*16` or `num_classes` with a default.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explainer.model import Frame, ParsedText
from explainer.parsing.frames import is_user_file

MAX_FILES = 24
MAX_BYTES = 2_000_000
IMPORT = re.compile(r"^\s*(?:from\s+(\.*[\w.]*)\s+import\s+([\w, ()*]+)|import\s+([\w.]+))", re.M)


@dataclass
class Call:
    """One call expression in the user's source."""

    file: str
    line: int
    code: str  # the whole source line, stripped
    name: str  # last part of the called name: `Linear` for `nn.Linear`, `view` for `x.view`
    func: str  # the called expression as written: `nn.Linear`, `x.view`
    args: list[str]
    kwargs: dict[str, str]
    target: str | None  # what it is assigned to: `self.fc1`
    cls: str | None  # enclosing class
    function: str | None  # enclosing function
    node: ast.Call = field(repr=False, compare=False)


@dataclass
class _File:
    path: Path
    text: str
    lines: list[str]
    tree: ast.Module | None = None
    calls: list[Call] | None = None
    constants: dict[str, int] | None = None
    # (first line, last line, parameter defaults) of every function, for eval_int.
    functions: list[tuple[int, int, dict[str, int]]] | None = None


class SourceIndex:
    """Lazily reads the user files named by a traceback, and the local modules they import."""

    def __init__(self, parsed: ParsedText | None, enabled: bool = True) -> None:
        self.parsed = parsed
        self.enabled = enabled
        self._files: dict[str, _File | None] = {}
        self._order: list[str] | None = None
        self.live: list[Any] = []  # tensors captured at the crash, passed on to the arithmetic

    # -- files -------------------------------------------------------------------------------
    def files(self) -> list[str]:
        """User files that exist here: the frames' files innermost first, then their imports."""
        if self._order is not None:
            return self._order
        order: list[str] = []
        if self.enabled and self.parsed is not None:
            for frame in reversed(self.parsed.all_frames):
                if frame.is_user and self._read(frame.file) and frame.file not in order:
                    order.append(frame.file)
            for warning in self.parsed.warnings:
                path = warning.file
                if path and is_user_file(path) and self._read(path) and path not in order:
                    order.append(path)
            for path in list(order):
                for imported in self._local_imports(path):
                    if len(order) >= MAX_FILES:
                        break
                    if imported not in order and self._read(imported):
                        order.append(imported)
        self._order = order
        return order

    def _read(self, path: str) -> _File | None:
        if path in self._files:
            return self._files[path]
        loaded: _File | None = None
        try:
            p = locate(path)
            if p is not None and p.stat().st_size <= MAX_BYTES:
                text = p.read_text(encoding="utf-8", errors="replace")
                loaded = _File(p, text, text.splitlines())
        except OSError:
            loaded = None
        self._files[path] = loaded
        return loaded

    def _local_imports(self, path: str) -> list[str]:
        f = self._read(path)
        if f is None:
            return []
        base = f.path.parent
        found: list[str] = []
        for m in IMPORT.finditer(f.text):
            module = m.group(1) or m.group(3) or ""
            names = [n.strip(" ()") for n in (m.group(2) or "").split(",")]
            rel = module.lstrip(".")
            parts = [p for p in rel.split(".") if p]
            candidates = []
            if parts:
                candidates.append(base.joinpath(*parts).with_suffix(".py"))
                candidates.append(base.joinpath(*parts, "__init__.py"))
                candidates.extend(base.joinpath(*parts, n + ".py") for n in names if n)
            else:
                candidates.extend(base / (n + ".py") for n in names if n)
            for c in candidates:
                if c.is_file():
                    found.append(str(c))
        return found

    def lines(self, path: str) -> list[str] | None:
        f = self._read(path)
        return f.lines if f else None

    def line(self, path: str, lineno: int) -> str | None:
        lines = self.lines(path)
        if lines is None or not 1 <= lineno <= len(lines):
            return None
        return lines[lineno - 1]

    def context(self, frame: Frame, before: int = 3, after: int = 2) -> list[tuple[int, str]]:
        if frame.line is None:
            return []
        lines = self.lines(frame.file)
        if lines is None:
            return []
        lo = max(frame.line - before, 1)
        hi = min(frame.line + after, len(lines))
        return [(n, lines[n - 1]) for n in range(lo, hi + 1)]

    # -- calls -------------------------------------------------------------------------------
    def calls(self, *names: str) -> list[Call]:
        """Calls whose last name part is one of `names`, in file order (innermost file first)."""
        wanted = set(names)
        out: list[Call] = []
        for path in self.files():
            out.extend(c for c in self._calls(path) if not wanted or c.name in wanted)
        return out

    def tree(self, path: str) -> ast.Module | None:
        """The parsed module of a user file (an empty module when it does not parse)."""
        return self._tree(path)

    def _tree(self, path: str) -> ast.Module | None:
        f = self._read(path)
        if f is None:
            return None
        if f.tree is None:
            try:
                f.tree = ast.parse(f.text)
            except (SyntaxError, ValueError):
                f.tree = ast.Module(body=[], type_ignores=[])
        return f.tree

    def _calls(self, path: str) -> list[Call]:
        f = self._read(path)
        tree = self._tree(path)
        if f is None or tree is None:
            return []
        if f.calls is None:
            f.calls = list(_collect_calls(path, f, tree))
        return f.calls

    # -- constants ---------------------------------------------------------------------------
    def eval_int(self, expr: str, call: Call | None = None) -> int | None:
        """Evaluate a size expression: literals, arithmetic, module constants, default args."""
        try:
            node = ast.parse(expr.strip(), mode="eval").body
        except SyntaxError:
            return None
        names: dict[str, int] = {}
        if call is not None:
            f = self._read(call.file)
            tree = self._tree(call.file)
            if f is not None and tree is not None:
                names.update(self._constants(f, tree))
                if f.functions is None:
                    f.functions = _function_defaults(tree)
                for first, last, defaults in f.functions:
                    if first <= call.line <= last:
                        names.update(defaults)
        return _eval(node, names)

    def _constants(self, f: _File, tree: ast.Module) -> dict[str, int]:
        if f.constants is None:
            consts: dict[str, int] = {}
            for stmt in tree.body:
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                    target = stmt.targets[0]
                    if isinstance(target, ast.Name):
                        value = _eval(stmt.value, consts)
                        if value is not None:
                            consts[target.id] = value
            f.constants = consts
        return f.constants


def locate(path: str) -> Path | None:
    """The file a traceback names, here: as written, or by its trailing parts under the current
    folder (a traceback from a cluster, pasted into the same checkout on a laptop)."""
    if not path.endswith((".py", ".pyw")):
        return None
    p = Path(path)
    if p.is_file():
        return p
    parts = [part for part in path.replace("\\", "/").split("/") if part and part != ".."]
    # Keep at least the folder and the file name: a bare `model.py` here may be another project's.
    for start in range(1, len(parts) - 1):
        candidate = Path.cwd().joinpath(*parts[start:])
        if candidate.is_file():
            return candidate
    return None


def _collect_calls(path: str, f: _File, tree: ast.Module):  # type: ignore[no-untyped-def]
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = _unparse(node.func)
        name = func.rsplit(".", 1)[-1]
        cls = fn = None
        target = None
        p = parents.get(node)
        if isinstance(p, ast.Assign) and len(p.targets) == 1:
            target = _unparse(p.targets[0])
        while p is not None:
            if fn is None and isinstance(p, ast.FunctionDef | ast.AsyncFunctionDef):
                fn = p.name
            if isinstance(p, ast.ClassDef):
                cls = p.name
                break
            p = parents.get(p)
        line = node.lineno
        code = f.lines[line - 1].strip() if line <= len(f.lines) else ""
        yield Call(
            file=path,
            line=line,
            code=code,
            name=name,
            func=func,
            args=[_unparse(a) for a in node.args],
            kwargs={k.arg: _unparse(k.value) for k in node.keywords if k.arg},
            target=target,
            cls=cls,
            function=fn,
            node=node,
        )


def _unparse(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001 - ast.unparse fails on odd nodes; a blank is fine
        return ""


def _function_defaults(tree: ast.Module) -> list[tuple[int, int, dict[str, int]]]:
    """Every function's line range and the integer defaults of its parameters."""
    found: list[tuple[int, int, dict[str, int]]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or not node.end_lineno:
            continue
        names: dict[str, int] = {}
        args = node.args.args + node.args.kwonlyargs
        defaults: list[ast.expr | None] = [None] * (len(node.args.args) - len(node.args.defaults))
        defaults += list(node.args.defaults)
        defaults += list(node.args.kw_defaults)
        for arg, default in zip(args, defaults, strict=False):
            if default is not None:
                value = _eval(default, names)
                if value is not None:
                    names[arg.arg] = value
        found.append((node.lineno, node.end_lineno, names))
    # Outer functions first, so an inner function's defaults win when both enclose a line.
    found.sort(key=lambda item: (item[0], -item[1]))
    return found


def binop(op: ast.operator, a: int, b: int) -> int | None:
    """`a op b` for the integer operators size expressions use; None where it is not whole."""
    if isinstance(op, ast.Add):
        return a + b
    if isinstance(op, ast.Sub):
        return a - b
    if isinstance(op, ast.Mult):
        return a * b
    if isinstance(op, ast.FloorDiv) and b:
        return a // b
    if isinstance(op, ast.Div) and b and a % b == 0:
        return a // b
    if isinstance(op, ast.Pow) and 0 <= b < 64:
        return int(a**b)
    return None


def _eval(node: ast.AST, names: dict[str, int]) -> int | None:
    """Integer value of a small constant expression, or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        number = node.value
        return int(number) if float(number).is_integer() else None
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _eval(node.operand, names)
        return -v if v is not None else None
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, names), _eval(node.right, names)
        if a is None or b is None:
            return None
        return binop(node.op, a, b)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "int":
        return _eval(node.args[0], names) if node.args else None
    return None
