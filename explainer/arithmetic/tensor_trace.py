"""Follow a tensor expression back through the user's assignments to what built it.

A loss or embedding error names no variable: the message says `got Long` or `index out of range`.
The bug is in how the target or the ids were made: `masks = one_hot(labels, 4).permute(0, 3, 1, 2)`
three lines above, `labels.unsqueeze(1)` in the Dataset, `randint(1, C + 1, ...)`. This module
reads the user's source statically (no code runs): from an expression at a line it walks back
through the assignments of the same function, evaluates constructors with constant sizes
(`torch.randint(0, C, (4, 32, 32))`, `torch.tensor([[1, 2], [3, 4]])`, `F.one_hot(x, 4)`) and
the shape methods applied to them (`permute`, `unsqueeze`, `view`, `argmax`, ...), and records
the lines it passed, so that the arithmetic can name them as suspects.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache

from explainer.arithmetic.shapes import Shape, product
from explainer.source import Call, SourceIndex, binop

MAX_DEPTH = 12
MODULES = {
    "torch",
    "th",
    "np",
    "numpy",
    "F",
    "nn",
    "functional",
    "torch.nn.functional",
    "nn.functional",
    "torch.nn",
}
SAME_SHAPE = {
    "long",
    "int",
    "float",
    "double",
    "half",
    "bfloat16",
    "bool",
    "byte",
    "short",
    "char",
    "to",
    "cuda",
    "cpu",
    "detach",
    "clone",
    "contiguous",
    "type",
    "requires_grad_",
    "float_",
    "abs",
    "sigmoid",
    "softmax",
    "log_softmax",
    "exp",
    "log",
    "relu",
    "pin_memory",
    "numpy",
    "round",
    "floor",
    "ceil",
    "clamp",
    "clip",
    "type_as",
}
FACTORIES = {
    "randn",
    "rand",
    "zeros",
    "ones",
    "empty",
    "full",
    "randint",
    "tensor",
    "as_tensor",
    "LongTensor",
    "FloatTensor",
    "IntTensor",
    "Tensor",
    "arange",
    "randperm",
    "zeros_like",
    "ones_like",
    "rand_like",
    "randn_like",
    "empty_like",
    "full_like",
    "randint_like",
    "from_numpy",
    "array",
}


@dataclass
class Step:
    """One assignment or call the trace passed through."""

    file: str
    line: int
    code: str
    op: str  # what the line does to the tensor: "one_hot", "unsqueeze", "randint", "assign"


@dataclass
class Traced:
    """What is statically known about a tensor expression."""

    shape: Shape | None = None
    low: int | None = None  # inclusive bounds of its integer values, when known
    high: int | None = None
    ops: list[str] = field(default_factory=list)  # outermost first: ["long", "permute", "one_hot"]
    steps: list[Step] = field(default_factory=list)  # assignments, outermost (latest) first
    one_hot_source: Traced | None = None  # the class indices a one_hot was built from
    one_hot_dim: int | None = None  # where the one-hot class dimension ended up
    literal_dim: int | None = None  # when the tensor is a plain size literal (`C` in one_hot)

    def step_for(self, op: str) -> Step | None:
        return next((s for s in self.steps if s.op == op), None)


@lru_cache(maxsize=64)
def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def file_tree(source: SourceIndex, path: str) -> ast.Module | None:
    lines = source.lines(path)
    return _parse("\n".join(lines)) if lines is not None else None


def calls_on_line(tree: ast.Module, line: int) -> list[ast.Call]:
    """Call nodes whose span covers `line`, innermost (latest-starting) first."""
    found = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and n.lineno <= line <= (n.end_lineno or n.lineno)
    ]
    return sorted(found, key=lambda n: (n.lineno, n.col_offset), reverse=True)


def enclosing_function(tree: ast.Module, line: int) -> ast.AST:
    """The innermost def containing `line`, else the module."""
    best: ast.AST = tree
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno:
            if node.lineno <= line <= node.end_lineno:
                if best is tree or node.lineno >= getattr(best, "lineno", 0):
                    best = node
    return best


def enclosing_class(tree: ast.Module, line: int) -> ast.ClassDef | None:
    best: ast.ClassDef | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.end_lineno:
            if node.lineno <= line <= node.end_lineno:
                if best is None or node.lineno >= best.lineno:
                    best = node
    return best


def _scope_nodes(scope: ast.AST) -> list[ast.AST]:
    """Nodes of a scope, not descending into nested defs and classes."""
    out: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return out


def _binds(target: ast.AST, name: str) -> str | None:
    """'plain' when `target` assigns `name` directly, 'unpacked' when inside a tuple."""
    if isinstance(target, ast.Name) and target.id == name:
        return "plain"
    if isinstance(target, ast.Attribute) and ast.unparse(target) == name:
        return "plain"
    if isinstance(target, ast.Tuple | ast.List):
        for elt in target.elts:
            if _binds(elt, name):
                return "unpacked"
    return None


def last_assignment(
    tree: ast.Module, name: str, line: int
) -> tuple[ast.AST, ast.AST | None] | None:
    """The latest statement before `line` in the same function that binds `name`, and its value
    (None when the name comes from a loop, an unpacking or a `with`)."""
    scopes: list[ast.AST] = [enclosing_function(tree, line)]
    if name.startswith("self."):
        cls = enclosing_class(tree, line)
        scopes = [cls] if cls else []
    elif scopes[0] is not tree:
        scopes.append(tree)
    for scope in scopes:
        best: tuple[ast.AST, ast.AST | None] | None = None
        nodes = _scope_nodes(scope) if not name.startswith("self.") else list(ast.walk(scope))
        for node in nodes:
            lineno = getattr(node, "lineno", None)
            if lineno is None or (lineno >= line and not name.startswith("self.")):
                continue
            found = _binding(node, name)
            if found and (best is None or lineno > getattr(best[0], "lineno", 0)):
                best = found
        if best:
            return best
    return None


def _binding(node: ast.AST, name: str) -> tuple[ast.AST, ast.AST | None] | None:
    if isinstance(node, ast.Assign):
        for target in node.targets:
            kind = _binds(target, name)
            if kind == "plain":
                return node, node.value
            if kind == "unpacked":
                return node, None
    if isinstance(node, ast.AnnAssign) and node.value is not None and _binds(node.target, name):
        return node, node.value
    if isinstance(node, ast.For | ast.AsyncFor) and _binds(node.target, name):
        return node, None
    if isinstance(node, ast.withitem) and node.optional_vars is not None:
        if _binds(node.optional_vars, name):
            return node.context_expr, None
    return None


class Tracer:
    """Static shapes and value ranges of tensor expressions in one user file."""

    def __init__(self, source: SourceIndex, path: str) -> None:
        self.source = source
        self.path = path
        self.tree = file_tree(source, path)
        self.lines = source.lines(path) or []

    def code(self, line: int) -> str:
        return self.lines[line - 1].strip() if 1 <= line <= len(self.lines) else ""

    # -- integers ---------------------------------------------------------------------------
    def int_of(self, node: ast.AST | None, line: int, depth: int = 0) -> int | None:
        """A constant integer expression: literals, module constants, locals, len(literal)."""
        if node is None or depth > MAX_DEPTH:
            return None
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, int)
            and not isinstance(node.value, bool)
        ):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            v = self.int_of(node.operand, line, depth + 1)
            return -v if v is not None else None
        if isinstance(node, ast.BinOp):
            a, b = self.int_of(node.left, line, depth + 1), self.int_of(node.right, line, depth + 1)
            if a is None or b is None:
                return None
            return binop(node.op, a, b)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "len" and len(node.args) == 1:
                return self.len_of(node.args[0], line, depth + 1)
            if node.func.id == "int" and node.args:
                return self.int_of(node.args[0], line, depth + 1)
        if isinstance(node, ast.Name | ast.Attribute):
            name = ast.unparse(node)
            value = self.source.eval_int(name, self._fake_call(line))
            if value is not None:
                return value
            if self.tree is not None:
                found = last_assignment(self.tree, name, line)
                if found and found[1] is not None:
                    return self.int_of(found[1], getattr(found[0], "lineno", line), depth + 1)
            return self._default_of(name, line)
        return None

    def len_of(self, node: ast.AST, line: int, depth: int = 0) -> int | None:
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return len(node.elts)
        if isinstance(node, ast.Dict):
            return len(node.keys)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return len(node.value)
        if isinstance(node, ast.Name) and self.tree is not None and depth < MAX_DEPTH:
            found = last_assignment(self.tree, node.id, line)
            if found and found[1] is not None:
                return self.len_of(found[1], getattr(found[0], "lineno", line), depth + 1)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in ("list", "tuple", "sorted", "set") and node.args:
                return self.len_of(node.args[0], line, depth + 1)
            if node.func.id == "range" and node.args:
                ints = [self.int_of(a, line, depth + 1) for a in node.args[:2]]
                if all(v is not None for v in ints):
                    return ints[-1] - (ints[0] if len(ints) == 2 else 0)  # type: ignore[operator]
        return None

    def _default_of(self, name: str, line: int) -> int | None:
        if self.tree is None:
            return None
        func = enclosing_function(self.tree, line)
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            return None
        args = func.args.args
        defaults = func.args.defaults
        for arg, default in zip(args[len(args) - len(defaults) :], defaults, strict=False):
            if arg.arg == name:
                return self.int_of(default, func.lineno)
        return None

    def _fake_call(self, line: int) -> Call:
        return Call(
            file=self.path,
            line=line,
            code=self.code(line),
            name="",
            func="",
            args=[],
            kwargs={},
            target=None,
            cls=None,
            function=None,
            node=ast.Call(func=ast.Name(id="_"), args=[], keywords=[]),
        )

    # -- tensors ----------------------------------------------------------------------------
    def trace(self, node: ast.AST, line: int, depth: int = 0) -> Traced:
        if depth > MAX_DEPTH or self.tree is None:
            return Traced()
        if isinstance(node, ast.Name) or (
            isinstance(node, ast.Attribute)
            and ast.unparse(node).startswith("self.")
            and node.attr not in ("T", "mT", "data")
        ):
            return self._trace_name(ast.unparse(node), line, depth)
        if isinstance(node, ast.Attribute):
            inner = self.trace(node.value, line, depth + 1)
            if node.attr in ("T", "mT") and inner.shape is not None:
                shape = (
                    Shape(reversed(inner.shape)) if node.attr == "T" else _swap(inner.shape, -1, -2)
                )
                return _derive(inner, shape, node.attr)
            if node.attr == "data":
                return inner
            return Traced()
        if isinstance(node, ast.Call):
            return self._trace_call(node, line, depth)
        if isinstance(node, ast.BinOp):
            return self._trace_binop(node, line, depth)
        if isinstance(node, ast.List | ast.Tuple):
            lit_shape, values = _literal(node, lambda n: self.int_of(n, line))
            out = Traced(shape=lit_shape, ops=["literal"])
            if values and lit_shape is not None and len(values) == product(lit_shape):
                out.low, out.high = min(values), max(values)
            return out
        if isinstance(node, ast.Subscript):
            inner = self.trace(node.value, line, depth + 1)
            if inner.shape and isinstance(node.slice, ast.Name | ast.Constant):
                if not isinstance(node.slice, ast.Constant) or isinstance(node.slice.value, int):
                    return _item(inner)
            return Traced(steps=inner.steps, ops=["index", *inner.ops])
        return Traced()

    def _trace_name(self, name: str, line: int, depth: int) -> Traced:
        assert self.tree is not None
        found = last_assignment(self.tree, name, line)
        if not found:
            return Traced()
        stmt, value = found
        at = getattr(stmt, "lineno", line)
        if value is None:
            inner = self._unpacked(stmt, name, at, depth)
            inner.steps.insert(0, Step(self.path, at, self.code(at), "unpacked"))
            return inner
        inner = self.trace(value, at, depth + 1)
        op = inner.ops[0] if inner.ops else "assign"
        inner.steps.insert(0, Step(self.path, at, self.code(at), op))
        return inner

    # -- batches: `for x, y in loader`, `x, y = batch`, TensorDataset, Dataset.__getitem__ ----
    def _unpacked(self, stmt: ast.AST, name: str, line: int, depth: int) -> Traced:
        """A name bound by unpacking: its element of the loader's batch, when that is known."""
        if isinstance(stmt, ast.For | ast.AsyncFor):
            target, source = stmt.target, stmt.iter
            if (
                isinstance(source, ast.Call)
                and ast.unparse(source.func) == "enumerate"
                and source.args
                and isinstance(target, ast.Tuple)
                and len(target.elts) == 2
            ):
                target, source = target.elts[1], source.args[0]
            parts = self._batches(source, line, depth + 1)
        elif isinstance(stmt, ast.Assign):
            target = stmt.targets[0]
            parts = self._structure(stmt.value, line, depth + 1)
        else:
            return Traced()
        return _pick(target, name, parts)

    def _structure(self, node: ast.AST, line: int, depth: int) -> list[Traced] | Traced | None:
        """What unpacking `node` gives: one batch of a loader, a tuple literal's elements."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, ast.Tuple | ast.List):
            return [self.trace(e, line, depth + 1) for e in node.elts]
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "next" and node.args:
            inner = node.args[0]
            if isinstance(inner, ast.Call) and ast.unparse(inner.func) == "iter" and inner.args:
                return self._batches(inner.args[0], line, depth + 1)
        if isinstance(node, ast.Name) and self.tree is not None:
            found = last_assignment(self.tree, node.id, line)
            if found and found[1] is None and isinstance(found[0], ast.For | ast.AsyncFor):
                loop = found[0]
                if isinstance(loop.target, ast.Name) and loop.target.id == node.id:
                    return self._batches(loop.iter, getattr(loop, "lineno", line), depth + 1)
            if found and found[1] is not None:
                return self._structure(found[1], getattr(found[0], "lineno", line), depth + 1)
        return None

    def _batches(self, node: ast.AST, line: int, depth: int) -> list[Traced] | Traced | None:
        """One batch of a DataLoader: each item of the dataset with the batch size in front."""
        if depth > MAX_DEPTH or self.tree is None:
            return None
        if isinstance(node, ast.Name):
            found = last_assignment(self.tree, node.id, line)
            if not found or found[1] is None:
                return None
            return self._batches(found[1], getattr(found[0], "lineno", line), depth + 1)
        if (
            not isinstance(node, ast.Call)
            or ast.unparse(node.func).rsplit(".", 1)[-1] != "DataLoader"
        ):
            return None
        ds = node.args[0] if node.args else _kw(node, "dataset")
        size_node = node.args[1] if len(node.args) > 1 else _kw(node, "batch_size")
        batch = self.int_of(size_node, line) if size_node is not None else 1
        items = self._items(ds, line, depth + 1) if ds is not None else None
        if batch is None or items is None:
            return None
        if isinstance(items, Traced):
            return _batched(items, batch)
        return [_batched(t, batch) for t in items]

    def _items(self, node: ast.AST, line: int, depth: int) -> list[Traced] | Traced | None:
        """One item of a dataset: TensorDataset's slices, or what `__getitem__` returns."""
        if depth > MAX_DEPTH or self.tree is None:
            return None
        if isinstance(node, ast.Name):
            found = last_assignment(self.tree, node.id, line)
            if not found or found[1] is None:
                return None
            return self._items(found[1], getattr(found[0], "lineno", line), depth + 1)
        if not isinstance(node, ast.Call):
            return None
        name = ast.unparse(node.func).rsplit(".", 1)[-1]
        if name == "TensorDataset":
            return [_item(self.trace(a, line, depth + 1)) for a in node.args]
        getitem = _method_of(self.tree, name, "__getitem__")
        if getitem is None:
            return None
        ret = next((n for n in ast.walk(getitem) if isinstance(n, ast.Return) and n.value), None)
        if ret is None or ret.value is None:
            return None
        if isinstance(ret.value, ast.Tuple):
            return [self.trace(e, ret.lineno, depth + 1) for e in ret.value.elts]
        return self.trace(ret.value, ret.lineno, depth + 1)

    def _trace_binop(self, node: ast.BinOp, line: int, depth: int) -> Traced:
        left = self.trace(node.left, line, depth + 1)
        k = self.int_of(node.right, line)
        if k is not None and isinstance(node.op, ast.Add | ast.Sub):
            sign = 1 if isinstance(node.op, ast.Add) else -1
            out = _derive(left, left.shape, "add" if sign > 0 else "sub")
            if left.low is not None and left.high is not None:
                out.low, out.high = left.low + sign * k, left.high + sign * k
            return out
        if k is not None:
            return _derive(left, left.shape, "arith")
        right = self.trace(node.right, line, depth + 1)
        if left.shape is not None and left.shape == right.shape:
            return _derive(left, left.shape, "arith")
        return Traced(steps=left.steps + right.steps)

    def _trace_call(self, node: ast.Call, line: int, depth: int) -> Traced:
        func = ast.unparse(node.func)
        name = func.rsplit(".", 1)[-1]
        receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
        is_method = receiver is not None and ast.unparse(receiver) not in MODULES
        if name == "one_hot":
            return self._one_hot(node, line, depth)
        if is_method and name not in FACTORIES:
            assert receiver is not None
            return self._method(name, node, self.trace(receiver, line, depth + 1), line)
        if name in FACTORIES:
            return self._factory(name, node, line, depth)
        return Traced(ops=[f"call:{name}"])

    def _one_hot(self, node: ast.Call, line: int, depth: int) -> Traced:
        if not node.args:
            return Traced()
        labels = self.trace(node.args[0], line, depth + 1)
        classes_node = node.args[1] if len(node.args) > 1 else _kw(node, "num_classes")
        classes = self.int_of(classes_node, line) if classes_node is not None else None
        if classes is not None and classes < 0:
            classes = labels.high + 1 if labels.high is not None else None
        shape = None
        if labels.shape is not None and classes is not None:
            shape = Shape((*labels.shape, classes))
        out = Traced(
            shape=shape,
            low=0,
            high=1,
            ops=["one_hot"],
            steps=list(labels.steps),
            one_hot_source=labels,
        )
        out.one_hot_dim = len(labels.shape) if labels.shape is not None else -1
        return out

    def _factory(self, name: str, node: ast.Call, line: int, depth: int) -> Traced:
        out = Traced(ops=[name])
        if name.endswith("_like") and node.args:
            like = self.trace(node.args[0], line, depth + 1)
            out.shape = like.shape
            if name == "randint_like" and len(node.args) >= 2:
                bounds = [self.int_of(a, line) for a in node.args[1:3]]
                lo, hi = (0, bounds[0]) if len(bounds) == 1 else (bounds[0], bounds[1])
                out.low, out.high = lo, (hi - 1 if hi is not None else None)
            return out
        if name in (
            "tensor",
            "as_tensor",
            "LongTensor",
            "IntTensor",
            "FloatTensor",
            "Tensor",
            "array",
            "from_numpy",
        ):
            if node.args and isinstance(node.args[0], ast.List | ast.Tuple):
                shape, values = _literal(node.args[0], lambda n: self.int_of(n, line))
                out.shape = shape
                if values:
                    out.low, out.high = min(values), max(values)
            elif node.args and name in ("tensor", "as_tensor", "from_numpy", "array"):
                inner = self.trace(node.args[0], line, depth + 1)
                return _derive(inner, inner.shape, name)
            return out
        if name == "arange":
            ints = [self.int_of(a, line) for a in node.args[:2]]
            if len(ints) == 1 and ints[0] is not None:
                out.shape, out.low, out.high = Shape((ints[0],)), 0, ints[0] - 1
            elif len(ints) == 2 and ints[0] is not None and ints[1] is not None:
                a, b = ints[0], ints[1]
                out.shape, out.low, out.high = Shape((max(b - a, 0),)), a, b - 1
            return out
        if name == "randperm" and node.args:
            n = self.int_of(node.args[0], line)
            if n is not None:
                out.shape, out.low, out.high = Shape((n,)), 0, n - 1
            return out
        if name == "randint":
            return self._randint(node, line, out)
        args = list(node.args)
        fill = None
        if name == "full" and len(args) >= 2:
            fill = self.int_of(args[1], line)
            args = args[:1]
        size_node = _kw(node, "size")
        out.shape = self._size(args if size_node is None else [size_node], line)
        if name == "zeros":
            out.low = out.high = 0
        elif name == "ones":
            out.low = out.high = 1
        elif fill is not None:
            out.low = out.high = fill
        return out

    def _randint(self, node: ast.Call, line: int, out: Traced) -> Traced:
        args = list(node.args)
        size_node = _kw(node, "size")
        if size_node is None and args and isinstance(args[-1], ast.Tuple | ast.List):
            size_node = args.pop()
        low_node, high_node = _kw(node, "low"), _kw(node, "high")
        if len(args) == 1:
            high_node = high_node or args[0]
        elif len(args) >= 2:
            low_node, high_node = args[0], args[1]
        low = self.int_of(low_node, line) if low_node is not None else 0
        high = self.int_of(high_node, line) if high_node is not None else None
        if size_node is not None:
            out.shape = self._size([size_node], line)
        out.low = low
        out.high = high - 1 if high is not None else None
        return out

    def _size(self, args: list[ast.expr], line: int) -> Shape | None:
        if len(args) == 1 and isinstance(args[0], ast.Tuple | ast.List):
            args = list(args[0].elts)
        dims = [self.int_of(a, line) for a in args]
        if not dims or any(d is None for d in dims):
            return None
        return Shape(dims)  # type: ignore[arg-type]

    def _method(self, name: str, node: ast.Call, inner: Traced, line: int) -> Traced:
        shape = inner.shape
        ints = [self.int_of(a, line) for a in node.args]
        if name in SAME_SHAPE:
            return _derive(inner, shape, name)
        if shape is None:
            return _derive(inner, None, name)
        nd = len(shape)
        try:
            if name == "unsqueeze" and ints and ints[0] is not None:
                d = ints[0] + nd + 1 if ints[0] < 0 else ints[0]
                return _derive(inner, Shape((*shape[:d], 1, *shape[d:])), name)
            if name == "squeeze":
                if not ints:
                    return _derive(inner, Shape(s for s in shape if s != 1), name)
                sq = ints[0]
                if sq is not None:
                    d = sq + nd if sq < 0 else sq
                    kept = shape if shape[d] != 1 else Shape((*shape[:d], *shape[d + 1 :]))
                    return _derive(inner, Shape(kept), name)
            if name == "permute":
                dims = _dims_arg(node, ints)
                if dims is not None and sorted(d % nd for d in dims) == list(range(nd)):
                    out = _derive(inner, Shape(shape[d % nd] for d in dims), name)
                    if inner.one_hot_dim is not None and inner.one_hot_dim >= 0:
                        out.one_hot_dim = [d % nd for d in dims].index(inner.one_hot_dim)
                    return out
            if name in ("transpose", "swapaxes", "swapdims") and len(ints) == 2:
                a, b = ints
                if a is not None and b is not None:
                    out = _derive(inner, _swap(shape, a, b), name)
                    if inner.one_hot_dim is not None and inner.one_hot_dim >= 0:
                        hot = inner.one_hot_dim
                        a, b = a % nd, b % nd
                        out.one_hot_dim = b if hot == a else a if hot == b else hot
                    return out
            if name in ("view", "reshape"):
                dims = _dims_arg(node, ints)
                if dims is not None:
                    return _derive(inner, _infer(shape, dims), name)
            if name in ("argmax", "argmin"):
                am = ints[0] if ints else self.int_of(_kw(node, "dim"), line)
                if am is not None:
                    d = am % nd
                    out = _derive(inner, Shape((*shape[:d], *shape[d + 1 :])), name)
                    out.low, out.high = 0, shape[d] - 1
                    out.one_hot_dim = None
                    return out
            if name == "flatten":
                start = ints[0] if ints and ints[0] is not None else 0
                end = ints[1] if len(ints) > 1 and ints[1] is not None else -1
                start, end = start % nd, end % nd
                merged = product(shape[start : end + 1])
                return _derive(inner, Shape((*shape[:start], merged, *shape[end + 1 :])), name)
            if name == "t" and nd == 2:
                return _derive(inner, Shape((shape[1], shape[0])), name)
        except (IndexError, ZeroDivisionError):
            return _derive(inner, None, name)
        return _derive(inner, None, name)


def _item(batch: Traced) -> Traced:
    """One element along the first dimension."""
    out = _derive(batch, Shape(batch.shape[1:]) if batch.shape else None, "item")
    out.ops = batch.ops
    return out


def _batched(item: Traced, size: int) -> Traced:
    out = _derive(item, Shape((size, *item.shape)) if item.shape is not None else None, "batch")
    out.ops = item.ops
    return out


def _pick(target: ast.AST, name: str, parts: list[Traced] | Traced | None) -> Traced:
    """The element of `parts` that `name` takes in the unpacking `target`."""
    if parts is None:
        return Traced()
    if isinstance(target, ast.Name | ast.Attribute) and ast.unparse(target) == name:
        return parts if isinstance(parts, Traced) else Traced()
    if isinstance(target, ast.Tuple | ast.List) and isinstance(parts, list):
        for elt, part in zip(target.elts, parts, strict=False):
            if _binds(elt, name):
                return _pick(elt, name, part)
    return Traced()


def _method_of(tree: ast.Module, cls: str, method: str) -> ast.FunctionDef | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == method:
                    return item
    return None


def _derive(inner: Traced, shape: Shape | None, op: str) -> Traced:
    out = Traced(
        shape=shape,
        low=inner.low,
        high=inner.high,
        ops=[op, *inner.ops],
        steps=list(inner.steps),
        one_hot_source=inner.one_hot_source,
        one_hot_dim=inner.one_hot_dim
        if shape is not None and inner.shape is not None and len(shape) == len(inner.shape)
        else None,
    )
    if op in ("sigmoid", "softmax", "log_softmax", "exp", "log", "float", "double", "half"):
        out.low = out.high = None if op not in ("float", "double", "half") else out.low
    return out


def _kw(node: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


def _dims_arg(node: ast.Call, ints: list[int | None]) -> list[int] | None:
    if len(node.args) == 1 and isinstance(node.args[0], ast.Tuple | ast.List):
        elts = node.args[0].elts
        vals = [
            e.value
            if isinstance(e, ast.Constant) and isinstance(e.value, int)
            else -e.operand.value
            if isinstance(e, ast.UnaryOp)
            and isinstance(e.operand, ast.Constant)
            and isinstance(e.operand.value, int)
            else None
            for e in elts
        ]
        return None if None in vals else vals  # type: ignore[return-value]
    if not ints or None in ints:
        return None
    return ints  # type: ignore[return-value]


def _swap(shape: Shape, a: int, b: int) -> Shape:
    dims = list(shape)
    a, b = a % len(dims), b % len(dims)
    dims[a], dims[b] = dims[b], dims[a]
    return Shape(dims)


def _infer(shape: Shape, dims: list[int]) -> Shape | None:
    total = product(shape)
    if dims.count(-1) > 1:
        return None
    if -1 in dims:
        known = product(d for d in dims if d != -1)
        if known == 0 or total % known:
            return None
        dims = [total // known if d == -1 else d for d in dims]
    return Shape(dims) if product(dims) == total else None


def _literal(node: ast.AST, as_int) -> tuple[Shape | None, list[int]]:  # type: ignore[no-untyped-def]
    """Shape and integer values of a nested list literal."""
    if not isinstance(node, ast.List | ast.Tuple):
        value = as_int(node)
        return Shape(()), [value] if value is not None else []
    if not node.elts:
        return Shape((0,)), []
    parts = [_literal(e, as_int) for e in node.elts]
    first = parts[0][0]
    values = [v for _, vs in parts for v in vs]
    if first is None or any(p[0] != first for p in parts):
        return None, values
    return Shape((len(node.elts), *first)), values


def trace_expr(source: SourceIndex, path: str, node: ast.AST, line: int) -> Traced:
    """Trace one expression of `path` as it stands at `line`."""
    return Tracer(source, path).trace(node, line)
