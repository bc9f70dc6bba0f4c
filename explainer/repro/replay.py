"""Re-runs the statements that lead to the traceback's line, with every call checked first.

Each statement before the failing one is compiled with its calls routed through `Replayer.call`,
which runs a call only when it builds or calls a module, is a torch/numpy function or a tensor
method, a DataLoader (forced to `num_workers=0`), a pure builtin, or the user's own function
whose result is used. Anything else is not run: its result is an `Unknown`, and so is everything
computed from it. A model called with an unknown argument (a batch from a skipped loader) gets
a synthesized input instead. Loops that reach the failing line run until it fails (at most
`max_iterations` passes); loops before it run over plain Python sequences without calling
models, or over data for at most `max_iterations` batches. An error in a statement before the
failing one (it ran in the original run) leaves its results unknown, unless a model raised
it. Statements that already ran at load time (definitions, constants) are not run again.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import io
import itertools
import re
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from explainer.repro.loader import PURE_BUILTINS, Loaded, is_main_guard, is_user_file

CALL = "__explainer_call__"
BARE_CALL = "__explainer_bare_call__"
MODULE_DEVICE_METHODS = frozenset({"to", "cuda", "cpu", "xpu", "mps", "to_empty"})
TENSOR_REFUSED = frozenset({"backward", "register_hook", "share_memory_", "record_stream"})
REFUSED_MODULES = (
    "torch.distributed", "torch.multiprocessing", "torch.hub", "torch.onnx",
    "torch.utils.tensorboard", "torch.jit", "torch.export", "torch.profiler", "torch.cuda.amp",
    "torch.utils.checkpoint", "torch.utils.cpp_extension", "torch.testing",
)  # fmt: skip
ALLOWED_LIBRARIES = (
    "torch", "numpy", "einops", "torchvision", "timm", "math", "operator", "random",
    "collections", "itertools", "functools", "copy", "string", "re", "dataclasses", "enum",
)  # fmt: skip
# A bare call of the user's own function or method (its result unused) runs, unless its name
# says it trains, evaluates or writes something: those are not needed to reach the error.
SIDE_WORK = re.compile(
    r"train|fit|main|eval|valid|test|run|loop|epoch|predict|infer|save|plot|log|show|export|"
    r"download|serve|visuali|report|write|dump",
    re.I,
)
EXTRA_BUILTINS = frozenset({"print", "iter", "next", "type", "id", "callable", "hash", "slice"})
SEQUENCES: tuple[type, ...] = (
    range, list, tuple, dict, str, type({}.items()), type({}.keys()), type({}.values()),
)  # fmt: skip
MAX_PLAIN_ITERATIONS = 10_000


class Unknown:
    """A value the replay did not compute (it came from a call that was not run)."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Unknown:
        return self

    def __getitem__(self, key: Any) -> Unknown:
        return self

    def __iter__(self) -> Iterator[Any]:
        raise UnknownValue(self)

    def __bool__(self) -> bool:
        raise UnknownValue(self)

    def __len__(self) -> int:
        raise UnknownValue(self)

    def __index__(self) -> int:
        raise UnknownValue(self)

    def __repr__(self) -> str:
        return f"<not computed: {self.why}>"

    def _same(self, *args: Any) -> Unknown:
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _same
    __rtruediv__ = __floordiv__ = __mod__ = __pow__ = __matmul__ = __rmatmul__ = _same
    __iadd__ = __isub__ = __imul__ = __itruediv__ = __neg__ = __pos__ = _same
    __lt__ = __le__ = __gt__ = __ge__ = _same  # type: ignore[assignment]


class UnknownValue(Exception):
    """An unknown value was needed as a real one (unpacked, tested, indexed)."""

    def __init__(self, value: Unknown) -> None:
        super().__init__(value.why)
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Return(Exception):
    pass


@dataclass
class Target:
    """The failing line: the statement that holds it is the last one replayed."""

    line: int

    def within(self, node: ast.AST) -> bool:
        start = getattr(node, "lineno", None)
        end = getattr(node, "end_lineno", None)
        return start is not None and end is not None and start <= self.line <= end


class _Wrap(ast.NodeTransformer):
    """Routes each call through the replayer: `f(a)` -> `__explainer_call__("f", f, a)`."""

    def __init__(self, bare: ast.Call | None = None) -> None:
        self.bare = bare

    def visit_Call(self, node: ast.Call) -> ast.AST:
        is_bare = node is self.bare
        self.generic_visit(node)
        try:
            src = ast.unparse(node.func)
        except Exception:  # noqa: BLE001 - only a label
            src = "call"
        wrapper = BARE_CALL if is_bare else CALL
        new = ast.Call(
            func=ast.Name(id=wrapper, ctx=ast.Load()),
            args=[ast.Constant(src[:80]), node.func, *node.args],
            keywords=node.keywords,
        )
        return ast.copy_location(new, node)

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        return node  # its calls run later, outside the replay


def _wrapped(node: ast.stmt) -> ast.stmt:
    import copy

    clone = copy.deepcopy(node)
    bare = (
        clone.value if isinstance(clone, ast.Expr) and isinstance(clone.value, ast.Call) else None
    )
    new = _Wrap(bare).visit(clone)
    ast.fix_missing_locations(new)
    return new  # type: ignore[no-any-return]


def _unknown_in(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Unknown | None:
    for value in itertools.chain(args, kwargs.values()):
        if isinstance(value, Unknown):
            return value
        if isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, Unknown):
                    return item
    return None


def _names(target: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


class Replayer:
    """Replays one script body (or a function body without parameters) up to `target`."""

    def __init__(
        self,
        session: Any,
        loaded: Loaded,
        target: Target,
        max_iterations: int = 64,
    ) -> None:
        self.session = session
        self.loaded = loaded
        self.ns = loaded.namespace
        self.ns[CALL] = self.call
        self.ns[BARE_CALL] = self.bare_call
        self.target = target
        self.filename = loaded.filename
        self.max_iterations = max_iterations
        self.iterations = 0
        self.in_loop = 0  # > 0 inside loops that do not reach the target
        self.loop_forwards = 0  # model calls made in those loops (bounded)
        self.loop_batches = 0  # batches drawn by those loops (bounded)
        self.log: list[dict[str, Any]] = []
        self.stop_before = False  # replaying the frame that calls the failing function
        self.continue_after = False  # verifying a fix: go on to the next forward
        self.after = 0
        self.reached = False
        self.loop_note: str | None = None
        self._skips: list[str] = []

    # -- statements ---------------------------------------------------------------------------
    def run(self, body: list[ast.stmt]) -> None:
        try:
            self._block(body)
        except _Return:
            pass

    def _block(self, body: list[ast.stmt]) -> bool:
        """Run statements; True once the target statement has run."""
        for i, node in enumerate(body):
            if self.target.within(node):
                self._towards_target(node)
                if self.continue_after and not self.stop_before:
                    self._continue(body[i + 1 :])
                return True
            self._statement(node)
        return False

    def _continue(self, rest: list[ast.stmt]) -> None:
        """After a fixed line runs, go on until a model's forward completes (its output is
        what the fix is judged by)."""
        for node in rest:
            if self.session.forward_done() or self.after >= 50:
                return
            self.after += 1
            self._statement(node)

    def _log(self, node: ast.stmt, status: str, why: str = "") -> None:
        if len(self.log) < 500:
            self.log.append({"line": node.lineno, "status": status, "why": why})

    def _towards_target(self, node: ast.stmt) -> None:
        self.session.stage(f"line {node.lineno}")
        if self.stop_before and isinstance(node, ast.For | ast.AsyncFor):
            try:
                iterator = self._iterate(node)
                with self.session.plain_device():
                    item = next(iterator) if not isinstance(iterator, Unknown) else iterator
            except (UnknownValue, StopIteration):
                item = Unknown(f"an item of {ast.unparse(node.iter)[:60]}")
            self._bind(node.target, item)
            self._block(node.body)
            return
        if isinstance(node, ast.For | ast.AsyncFor):
            self._target_for(node)
        elif isinstance(node, ast.While):
            self._target_while(node)
        elif isinstance(node, ast.If):
            if self.target.line < node.body[0].lineno:
                self._expression(node.test, node)  # the test itself is the failing line
                self.reached = True
                return
            branch = node.body if self._inside(node.body) else node.orelse
            self._block(branch)
        elif isinstance(node, ast.With | ast.AsyncWith):
            with self._contexts(node):
                if self.target.line < node.body[0].lineno:
                    self.reached = True
                    return
                self._block(node.body)
        elif isinstance(node, ast.Try):
            for part in (node.body, node.orelse, node.finalbody):
                if self._inside(part):
                    self._block(part)
                    return
            for handler in node.handlers:
                if self._inside(handler.body):
                    self._block(handler.body)
                    return
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            self._exec(node)
            self.reached = True
        elif self.stop_before:
            return
        else:
            self._simple(node, target=True)
            self.reached = True

    def _inside(self, body: list[ast.stmt]) -> bool:
        return any(self.target.within(n) for n in body)

    def _statement(self, node: ast.stmt) -> None:
        """A statement before the target."""
        if is_main_guard(node):
            self._log(node, "skipped", "the __main__ block")
            return
        if node.lineno in self.loaded.ran and node in self.loaded.tree.body:
            return
        self.session.stage(f"line {node.lineno}")
        try:
            self._statement_inner(node)
        except (_Break, _Continue, _Return, UnknownValue, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            # It ran in the original run, which went on to the failing line: an error here
            # comes from what the replay could not compute. A model that fails is the finding.
            if self.session.failed_in_forward(exc) or self.session.meta_limited(exc):
                raise
            for name in self._bound_names(node):
                self.ns[name] = Unknown(f"line {node.lineno}, which raised {type(exc).__name__}")
            self._log(node, "failed", f"{type(exc).__name__}: {str(exc)[:120]}")

    def _statement_inner(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef):
            self._exec(node)
        elif isinstance(node, ast.AsyncFunctionDef):
            self._exec(node)
        elif isinstance(node, ast.For):
            self._plain_for(node)
        elif isinstance(node, ast.While | ast.AsyncFor | ast.AsyncWith):
            self._log(node, "skipped", "a loop that does not reach the failing line")
        elif isinstance(node, ast.If):
            try:
                test = self._expression(node.test, node)
                branch = node.body if test else node.orelse
            except UnknownValue as exc:
                self._log(node, "skipped", f"its test needs {exc.value.why}")
                return
            self._block(branch)
        elif isinstance(node, ast.With):
            with self._contexts(node):
                self._block(node.body)
        elif isinstance(node, ast.Try):
            try:
                self._block(node.body)
            except (SystemExit, KeyboardInterrupt):
                raise
            except Exception as exc:  # noqa: BLE001 - the user's except clause took it then
                self._log(node, "ran", f"raised {type(exc).__name__}, handled by your except")
        elif isinstance(node, ast.Return):
            raise _Return()
        elif isinstance(node, ast.Break):
            raise _Break()
        elif isinstance(node, ast.Continue):
            raise _Continue()
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Expr | ast.Delete):
            self._simple(node, target=False)
        else:
            self._log(node, "skipped", type(node).__name__)

    def _exec(self, node: ast.stmt) -> None:
        code = compile(ast.Module(body=[node], type_ignores=[]), self.filename, "exec")
        exec(code, self.ns)

    def _simple(self, node: ast.stmt, target: bool) -> None:
        self._skips = []
        code = compile(ast.Module(body=[_wrapped(node)], type_ignores=[]), self.filename, "exec")
        try:
            exec(code, self.ns)
        except UnknownValue as exc:
            for name in self._bound_names(node):
                self.ns[name] = Unknown(exc.value.why)
            self._log(node, "skipped", f"needs {exc.value.why}")
            if target:
                self.session.unknown_target(exc.value.why)
            return
        if self._skips:
            self._log(node, "partial", "; ".join(self._skips[:2]))
        else:
            self._log(node, "ran")

    def _bound_names(self, node: ast.stmt) -> list[str]:
        if isinstance(node, ast.Assign):
            return [n for t in node.targets for n in _names(t)]
        if isinstance(node, ast.AugAssign | ast.AnnAssign):
            return _names(node.target)
        return []

    def _expression(self, expr: ast.expr, node: ast.stmt) -> Any:
        wrapped = _Wrap().visit(ast.Expression(body=_copy(expr)))
        ast.fix_missing_locations(wrapped)
        code = compile(wrapped, self.filename, "eval")
        return eval(code, self.ns)

    def _contexts(self, node: ast.With | ast.AsyncWith) -> Any:
        """Enter the with-statement's context managers that are torch's (no_grad, autocast)."""
        from contextlib import ExitStack

        stack = ExitStack()
        for item in node.items:
            try:
                manager = self._expression(item.context_expr, node)
            except UnknownValue:
                continue
            module = type(manager).__module__ or ""
            if module.startswith("torch") and hasattr(manager, "__enter__"):
                value = stack.enter_context(manager)
                if item.optional_vars is not None:
                    self._bind(item.optional_vars, value)
            elif item.optional_vars is not None:
                self._bind(
                    item.optional_vars,
                    Unknown(f"the value of `with {ast.unparse(item.context_expr)}`"),
                )
        return stack

    def _bind(self, target: ast.expr, value: Any) -> None:
        holder = "__explainer_value__"
        self.ns[holder] = value
        assign = ast.Assign(targets=[target], value=ast.Name(id=holder, ctx=ast.Load()))
        module = ast.Module(
            body=[ast.fix_missing_locations(ast.copy_location(assign, target))], type_ignores=[]
        )
        try:
            exec(compile(module, self.filename, "exec"), self.ns)
        except (UnknownValue, TypeError, ValueError):
            for name in _names(target):
                self.ns[name] = (
                    value if isinstance(value, Unknown) else Unknown("an unpacked value")
                )
        finally:
            self.ns.pop(holder, None)

    # -- loops --------------------------------------------------------------------------------
    def _iterate(self, node: ast.For | ast.AsyncFor) -> Iterator[Any] | Unknown:
        iterable = self._expression(node.iter, node)
        if isinstance(iterable, Unknown):
            return iterable
        with self.session.plain_device():
            return iter(iterable)

    def _target_for(self, node: ast.For | ast.AsyncFor) -> None:
        """The loop holding the failing line: run until it fails, or up to the budget."""
        header = self.target.line < node.body[0].lineno
        try:
            iterator = self._iterate(node)
        except UnknownValue as exc:
            iterator = exc.value
        mark = self.session.recorder.mark()
        label = ast.unparse(node.iter)[:60]
        count = 0
        while True:
            if isinstance(iterator, Unknown):
                if count:
                    break
                item: Any = Unknown(f"an item of {label}")
            else:
                try:
                    with self.session.plain_device():
                        item = next(iterator)
                except StopIteration:
                    break
            count += 1
            self.iterations += 1
            self.session.recorder.rewind(mark)
            self._bind(node.target, item)
            self.loop_note = f"pass {count} of the loop over {label}"
            if header:
                continue
            try:
                self._block(node.body)
            except _Continue:
                continue
            except _Break:
                break
            if self.iterations >= self.max_iterations:
                self.session.note(
                    f"stopped after {count} passes of the loop over {label} (the limit): "
                    "the error did not happen in them"
                )
                break
        self.reached = True

    def _target_while(self, node: ast.While) -> None:
        mark = self.session.recorder.mark()
        count = 0
        while self.iterations < self.max_iterations:
            try:
                if not self._expression(node.test, node):
                    break
            except UnknownValue:
                if count:
                    break
            count += 1
            self.iterations += 1
            self.session.recorder.rewind(mark)
            try:
                self._block(node.body)
            except _Continue:
                continue
            except _Break:
                break
        self.reached = True

    def _plain_for(self, node: ast.For) -> None:
        """A loop before the failing line: over a plain sequence (it builds layer lists) with
        no model called; over a DataLoader or Dataset for a bounded number of batches."""
        try:
            iterable = self._expression(node.iter, node)
        except UnknownValue as exc:
            self._log(node, "skipped", f"iterates over {exc.value.why}")
            return
        base = iterable
        if isinstance(base, enumerate | zip | reversed):
            base = None
        data = isinstance(iterable, torch.utils.data.DataLoader | torch.utils.data.Dataset)
        if base is not None and not isinstance(base, SEQUENCES) and not data:
            self._log(
                node, "skipped", f"a loop over {type(iterable).__name__} before the failing line"
            )
            return
        # Loops before the failing line build things (layer lists, an epoch's losses) and
        # feed models, as the original run did; the batches they draw and the model calls
        # they make are bounded over the whole replay (a training loop must not run on).
        self.in_loop += 1
        try:
            with self.session.plain_device():
                iterator = iter(iterable)
            for count in itertools.count():
                if count >= MAX_PLAIN_ITERATIONS or (
                    data and self.loop_batches >= self.max_iterations
                ):
                    self._log(node, "partial", f"stopped after {count} passes")
                    break
                self.loop_batches += 1 if data else 0
                try:
                    with self.session.plain_device():
                        item = next(iterator)
                except StopIteration:
                    break
                self._bind(node.target, item)
                try:
                    self._block(node.body)
                except _Continue:
                    continue
                except _Break:
                    break
        finally:
            self.in_loop -= 1
        self._log(node, "ran")

    # -- calls --------------------------------------------------------------------------------
    def bare_call(self, src: str, func: Any, /, *args: Any, **kwargs: Any) -> Any:
        return self._call(src, func, args, kwargs, bare=True)

    def call(self, src: str, func: Any, /, *args: Any, **kwargs: Any) -> Any:
        return self._call(src, func, args, kwargs, bare=False)

    def _call(
        self, src: str, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], bare: bool
    ) -> Any:
        if isinstance(func, Unknown):
            return func
        kind, why = classify(func, bare)
        unknown = _unknown_in(args, kwargs)
        if kind == "forward":
            if self.in_loop:
                self.loop_forwards += 1
                if self.loop_forwards > self.max_iterations:
                    return Unknown(f"the output of {src}(...) in a loop before the failing line")
            return self.session.forward(src, func, args, kwargs)
        if unknown is not None:
            return unknown
        if kind == "refused":
            self._skips.append(f"{src}(...) not run: {why}")
            return Unknown(f"{src}(...), which was not run ({why})")
        return self.session.invoke(kind, src, func, args, kwargs)


class OptimizedModule(nn.Module):
    """What torch.compile returns, without compiling: the model under `_orig_mod`, so its
    state_dict keys are those of a compiled model (`_orig_mod.fc.weight`)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self._orig_mod = model

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._orig_mod(*args, **kwargs)


def _copy(node: ast.expr) -> ast.expr:
    import copy

    return copy.deepcopy(node)


def _defined_in_user_file(obj: Any) -> bool:
    file: str | None
    try:
        file = inspect.getsourcefile(obj) or inspect.getfile(obj)
    except (TypeError, OSError):
        code = getattr(obj, "__code__", None)
        file = code.co_filename if code is not None else None
    return bool(file) and is_user_file(file)  # type: ignore[arg-type]


def classify(func: Any, bare: bool = False) -> tuple[str, str]:
    """(kind, reason) for a callee: what the replay does with it."""
    if isinstance(func, nn.Module):
        return "forward", ""
    if isinstance(func, type):
        if issubclass(func, nn.Module):
            return "module_class", ""
        if issubclass(func, torch.utils.data.DataLoader):
            return "dataloader", ""
        if func is io.BytesIO or func.__module__ == "builtins":
            return "pure", ""
        if _defined_in_user_file(func):
            return "user", ""
        return _library(func.__module__, func.__name__)
    owner = getattr(func, "__self__", None)
    name = getattr(func, "__name__", "") or ""
    if owner is not None and not isinstance(owner, types.ModuleType):
        if isinstance(owner, nn.Module):
            if name in MODULE_DEVICE_METHODS:
                return "module_device", ""
            if hasattr(nn.Module, name):
                return "module_method", ""
            if bare and SIDE_WORK.search(name) and _defined_in_user_file(func):
                return "refused", f"a bare call of your method {name}() is not replayed"
            return "user", ""
        if isinstance(owner, torch.Tensor):
            if name == "backward" and torch.is_grad_enabled():
                return "tensor_method", ""
            if name in TENSOR_REFUSED:
                return "refused", f".{name}() is not needed to reproduce a forward shape error"
            if name in MODULE_DEVICE_METHODS or name == "pin_memory":
                return "tensor_device", ""
            return "tensor_method", ""
        if isinstance(owner, torch.optim.Optimizer):
            return "torch", ""
        if isinstance(owner, io.BytesIO | dict | list | tuple | set | str | bytes):
            return "pure", ""
        owner_module = type(owner).__module__ or ""
        if owner_module.startswith(("numpy", "torch.utils.data")):
            return "torch", ""
        if _defined_in_user_file(type(owner)):
            if bare and SIDE_WORK.search(name):
                return "refused", f"a bare call of {name}() is not replayed"
            return "user", ""
        return _library(owner_module, name)
    if (
        isinstance(func, types.BuiltinFunctionType)
        and getattr(func, "__module__", None) == "builtins"
    ):
        if name in PURE_BUILTINS or name in EXTRA_BUILTINS:
            return "pure", ""
        return "refused", f"{name}() is not replayed"
    module = getattr(func, "__module__", None) or ""
    if module == "builtins" and getattr(builtins, name, None) is func:
        if name in PURE_BUILTINS or name in EXTRA_BUILTINS:
            return "pure", ""
        return "refused", f"{name}() is not replayed"
    if _defined_in_user_file(func):
        if bare and SIDE_WORK.search(name):
            return "refused", f"a bare call of your function {name}() is not replayed"
        return "user", ""
    return _library(module, name)


def _library(module: str, name: str) -> tuple[str, str]:
    if module.startswith(REFUSED_MODULES):
        return "refused", f"{module}.{name} is not needed to reproduce a shape error"
    if module.startswith("torch"):
        if name == "save":
            return "torch_save", ""
        if name == "load":
            return "torch_load", ""
        if name == "compile":
            return "torch_compile", ""
        return "torch", ""
    if module.split(".")[0] in ALLOWED_LIBRARIES:
        return "torch", ""
    return "refused", f"{module or 'an unknown module'}.{name} is not torch or your model"


def call_with_device(
    kind: str,
    func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    device: torch.device,
    keep_load_device: bool = False,
) -> Any:
    """Run an allowed call, keeping tensors and modules on the reproduction's device."""
    if kind == "module_device":
        return _strip_device(func, args, kwargs, module=True)
    if kind == "tensor_device":
        owner = func.__self__  # type: ignore[attr-defined]
        result = _strip_device(func, args, kwargs, module=False)
        if isinstance(result, torch.Tensor) and result.device != device:
            return (
                result.to(device)
                if device.type != "meta" or owner.device.type != "meta"
                else result
            )
        return result
    if kind == "dataloader":
        kwargs = dict(kwargs)
        kwargs["num_workers"] = 0
        for key in ("persistent_workers", "prefetch_factor", "multiprocessing_context"):
            kwargs.pop(key, None)
        kwargs["pin_memory"] = False
        if len(args) > 5:
            args = (*args[:5], 0, *args[6:])
        return func(*args, **kwargs)
    if kind == "torch_load":
        # Checkpoints saved on a GPU load on cpu here, as on the user's GPU machine; when the
        # error being reproduced is that very load, the user's arguments are kept.
        if not keep_load_device:
            kwargs = dict(kwargs)
            kwargs["map_location"] = "cpu"
        return func(*args, **kwargs)
    if kind == "torch_save":
        target = args[1] if len(args) > 1 else kwargs.get("f")
        if not isinstance(target, io.IOBase):
            return Unknown("torch.save to a file, which was not run")
        return func(*args, **kwargs)
    if kind == "torch_compile":
        model = args[0] if args else kwargs.get("model")
        return OptimizedModule(model) if isinstance(model, nn.Module) else model
    if kind == "torch":
        args = _move(args, device)
        kwargs = {k: _move(v, device) for k, v in kwargs.items()}
    return func(*args, **kwargs)


def _strip_device(
    func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], module: bool
) -> Any:
    """`.to(device, dtype)`, `.cuda()`, `.cpu()`: keep the dtype, drop the device."""
    owner = func.__self__  # type: ignore[attr-defined]
    name = func.__name__
    if name != "to":
        return owner
    dtype = kwargs.get("dtype")
    for a in args:
        if isinstance(a, torch.dtype):
            dtype = a
        elif isinstance(a, torch.Tensor):
            dtype = a.dtype
    if dtype is None:
        return owner
    return owner.to(dtype=dtype)


def _move(value: Any, device: torch.device) -> Any:
    """cpu tensors (from a DataLoader, torch.load, numpy) to the meta device."""
    if device.type != "meta":
        return value
    if isinstance(value, torch.Tensor):
        return value.to(device) if value.device.type == "cpu" else value
    if isinstance(value, list | tuple) and any(isinstance(v, torch.Tensor) for v in value):
        return type(value)(_move(v, device) for v in value)
    return value
