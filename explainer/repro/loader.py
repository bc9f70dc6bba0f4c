"""Loads a user's file without running its script body, and serves patched copies of files.

The rule: `import`, `from ... import`, `def`, `class` and assignments of constant expressions
(literals, names, arithmetic, containers, comprehensions, calls to pure builtins such as
`range` or `len`) run, top to bottom. The `if __name__ == "__main__":` block is dropped and every
other statement (building the model, loading data, training) is left for `replay` to decide.
Other modules the file imports are imported the ordinary way, as Python would.

Patched copies (a verified fix) never touch the user's files: the text lives in memory, the
script is compiled from it, and an import hook serves it to `import` statements.
"""

from __future__ import annotations

import ast
import builtins
import importlib.abc
import importlib.machinery
import importlib.util
import linecache
import os
import sys
import sysconfig
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PURE_BUILTINS = frozenset(
    {
        "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "float", "frozenset", "int",
        "len", "list", "max", "min", "pow", "range", "reversed", "round", "set", "sorted", "str",
        "sum", "tuple", "zip", "isinstance", "hasattr", "getattr", "repr", "chr", "ord", "hex",
    }
)  # fmt: skip
DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
CONSTANT_NODES = (
    ast.Constant, ast.Name, ast.Load, ast.Store, ast.Attribute, ast.Tuple, ast.List, ast.Set,
    ast.Dict, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Subscript,
    ast.Slice, ast.Starred, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
    ast.comprehension, ast.JoinedStr, ast.FormattedValue, ast.Lambda, ast.arguments, ast.arg,
    ast.operator, ast.unaryop, ast.boolop, ast.cmpop, ast.expr_context, ast.keyword,
)  # fmt: skip


class LoadError(Exception):
    """The user's file could not be loaded (syntax error, failing import, failing decorator)."""

    def __init__(self, message: str, file: str, line: int | None, exc: BaseException) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.exc = exc


@dataclass
class Loaded:
    """A user file loaded by the rule above."""

    path: str  # the real file
    filename: str  # the name its code objects carry ("<patched ...>" for a patched copy)
    text: str
    tree: ast.Module
    module: types.ModuleType
    ran: set[int] = field(default_factory=set)  # first lines of the top-level statements run

    @property
    def namespace(self) -> dict[str, Any]:
        return self.module.__dict__


def is_main_guard(node: ast.stmt) -> bool:
    """`if __name__ == "__main__":` in either order."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names and consts)


def is_constant_expr(node: ast.AST, namespace: dict[str, Any]) -> bool:
    """An expression whose evaluation runs no code but pure builtins."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            if not (
                isinstance(func, ast.Name) and func.id in PURE_BUILTINS and func.id not in namespace
            ):
                return False
        elif not isinstance(sub, CONSTANT_NODES):
            return False
    return True


def _names_only(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return True
    if isinstance(target, ast.Tuple | ast.List):
        return all(_names_only(t) for t in target.elts)
    if isinstance(target, ast.Starred):
        return _names_only(target.value)
    return False


def runs_at_load(node: ast.stmt, namespace: dict[str, Any]) -> bool:
    """Whether the loading rule runs this top-level statement."""
    if isinstance(node, DEFINITIONS):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return False  # a docstring: nothing to run
    if isinstance(node, ast.Assign):
        return all(_names_only(t) for t in node.targets) and is_constant_expr(node.value, namespace)
    if isinstance(node, ast.AnnAssign):
        return (
            node.value is not None
            and isinstance(node.target, ast.Name)
            and is_constant_expr(node.value, namespace)
        )
    if isinstance(node, ast.Try):
        # `try: import x / except ImportError: x = None`
        body = node.body + [s for h in node.handlers for s in h.body] + node.orelse
        return all(
            isinstance(s, ast.Import | ast.ImportFrom | ast.Pass)
            or (isinstance(s, ast.Assign) and is_constant_expr(s.value, namespace))
            for s in body
        )
    return False


def module_name_for(path: str) -> str:
    stem = Path(path).stem
    return stem if stem.isidentifier() else "user_script"


def load_definitions(
    path: str, text: str | None = None, filename: str | None = None, register: bool = True
) -> Loaded:
    """Load `path` (or the patched `text` of it) by the rule in the module docstring."""
    if text is None:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    filename = filename or path
    cache_source(filename, text)
    try:
        tree = ast.parse(text, filename=filename)
    except SyntaxError as exc:
        raise LoadError(f"SyntaxError: {exc.msg}", path, exc.lineno, exc) from None
    name = module_name_for(path)
    module = types.ModuleType(name)
    module.__file__ = path
    module.__dict__["__builtins__"] = builtins
    if register and name not in sys.modules:
        sys.modules[name] = module
    folder = str(Path(path).resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    loaded = Loaded(path=path, filename=filename, text=text, tree=tree, module=module)
    for node in tree.body:
        if is_main_guard(node) or not runs_at_load(node, module.__dict__):
            continue
        code = compile(ast.Module(body=[node], type_ignores=[]), filename, "exec")
        try:
            exec(code, module.__dict__)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:  # noqa: BLE001 - reported as the user's load failure
            if isinstance(node, ast.Assign | ast.AnnAssign):
                continue  # a constant that needs a value only the replay computes
            line = _innermost_line(exc, filename) or node.lineno
            raise LoadError(f"{type(exc).__name__}: {exc}", path, line, exc) from None
        loaded.ran.add(node.lineno)
    return loaded


def _innermost_line(exc: BaseException, filename: str) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def cache_source(filename: str, text: str) -> None:
    """Let tracebacks and the trace show lines of in-memory (patched) sources."""
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)


# -- which files are the user's ----------------------------------------------------------------

_LIBRARY_ROOTS: tuple[str, ...] | None = None
_USER_CACHE: dict[str, bool] = {}


def _library_roots() -> tuple[str, ...]:
    global _LIBRARY_ROOTS
    if _LIBRARY_ROOTS is None:
        roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        for key in ("stdlib", "platstdlib", "purelib", "platlib"):
            path = sysconfig.get_paths().get(key)
            if path:
                roots.add(path)
        roots.add(str(Path(__file__).resolve().parent.parent))  # explainer itself
        _LIBRARY_ROOTS = tuple(os.path.realpath(r) + os.sep for r in roots if r)
    return _LIBRARY_ROOTS


def is_user_file(filename: str) -> bool:
    """True for the user's own files (and patched copies), False for libraries and Python."""
    cached = _USER_CACHE.get(filename)
    if cached is not None:
        return cached
    if filename.startswith("<patched "):
        value = True
    elif filename.startswith("<") or not filename:
        value = False
    else:
        real = os.path.realpath(filename)
        value = not (
            any(real.startswith(root) for root in _library_roots())
            or "site-packages" in real
            or "dist-packages" in real
        )
    _USER_CACHE[filename] = value
    return value


def patched_name(path: str) -> str:
    return f"<patched {path}>"


# -- patched copies served to `import` ----------------------------------------------------------


class _OverlayLoader(importlib.abc.Loader):
    def __init__(self, origin: str, text: str) -> None:
        self.origin = origin
        self.text = text

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        filename = patched_name(self.origin)
        cache_source(filename, self.text)
        module.__file__ = self.origin
        exec(compile(self.text, filename, "exec"), module.__dict__)


class OverlayFinder(importlib.abc.MetaPathFinder):
    """Serves the patched text of a user's module instead of the file on disk."""

    def __init__(self, overlay: dict[str, str]) -> None:
        self.overlay = {os.path.realpath(k): v for k, v in overlay.items()}

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not spec.origin:
            return None
        text = self.overlay.get(os.path.realpath(spec.origin))
        if text is None:
            return None
        return importlib.util.spec_from_file_location(
            fullname,
            spec.origin,
            loader=_OverlayLoader(spec.origin, text),
            submodule_search_locations=spec.submodule_search_locations,
        )


def forget_user_modules() -> None:
    """Drop the user's modules from sys.modules, so the next load imports them afresh."""
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and is_user_file(file):
            del sys.modules[name]
