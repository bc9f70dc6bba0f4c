"""The layers of a CNN as its source writes them: which constructor built the layer a message
names, what the layer before it outputs, and the values of constructor parameters.

A conv error names a weight shape, not a line. To find the line, the constructors in the user's
source are evaluated (`nn.Conv2d(in_channels, out_channels, 3)` inside `DoubleConv(3, 64)` binds
`in_channels=3`), and the layers are put in the order they run: the arguments of an
`nn.Sequential`, or the `self.<layer>(x)` calls of `forward`. Every helper returns None when the
source does not say, so that callers state less rather than guess.
"""

from __future__ import annotations

import ast
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from explainer.source import Call, SourceIndex

CONVS = ("Conv1d", "Conv2d", "Conv3d")
CONV_TRANSPOSES = ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
NORMS = (
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "SyncBatchNorm",
)
CONTAINERS = ("Sequential", "ModuleList")
# Layers that leave the channel count as it is: the walk back goes through them.
PASS_THROUGH = (
    "ReLU",
    "LeakyReLU",
    "GELU",
    "SiLU",
    "Sigmoid",
    "Tanh",
    "ELU",
    "PReLU",
    "ReLU6",
    "Dropout",
    "Dropout2d",
    "Dropout3d",
    "Dropout1d",
    "Identity",
    "Upsample",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool2d",
    "ZeroPad2d",
    "ReflectionPad2d",
    "ReplicationPad2d",
    "Hardswish",
    "Mish",
    "Softplus",
)

Bindings = dict[str, int]


@dataclass
class ChannelLayer:
    """A constructor call with the values of its channel arguments under some bindings."""

    call: Call
    bindings: Bindings
    in_channels: int | None = None
    out_channels: int | None = None
    out_expr: str | None = None  # how the source writes the output channels


def eval_expr(source: SourceIndex, expr: str | None, call: Call, bindings: Bindings) -> int | None:
    """An argument's value: a constant expression, or one over the bound constructor params."""
    if expr is None:
        return None
    value = source.eval_int(expr, call)
    if value is not None or not bindings:
        return value
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError:
        return None
    tree = _Substitute(bindings).visit(tree)
    return source.eval_int(ast.unparse(tree), call)


class _Substitute(ast.NodeTransformer):
    def __init__(self, bindings: Bindings) -> None:
        self.bindings = bindings

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.bindings:
            return ast.copy_location(ast.Constant(self.bindings[node.id]), node)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        # `self.in_ch` stored from a parameter of the same name
        if isinstance(node.value, ast.Name) and node.value.id == "self":
            if node.attr in self.bindings:
                return ast.copy_location(ast.Constant(self.bindings[node.attr]), node)
        return self.generic_visit(node)


def arg(call: Call, index: int, name: str) -> str | None:
    if name in call.kwargs:
        return call.kwargs[name]
    return call.args[index] if index < len(call.args) else None


def class_bindings(source: SourceIndex, cls: str | None, depth: int = 0) -> list[Bindings]:
    """The values of `cls.__init__`'s parameters at each place the class is built."""
    if not cls or depth > 2:
        return []
    params = _init_params(source, cls)
    if params is None:
        return []
    names, defaults = params
    out: list[Bindings] = []
    for inst in source.calls(cls):
        outer = class_bindings(source, inst.cls, depth + 1) or [{}]
        for env in outer:
            bound: Bindings = {}
            for name, expr in zip(names, inst.args, strict=False):
                value = eval_expr(source, expr, inst, env)
                if value is not None:
                    bound[name] = value
            for name, expr in inst.kwargs.items():
                value = eval_expr(source, expr, inst, env)
                if value is not None:
                    bound[name] = value
            for name, value in defaults.items():
                bound.setdefault(name, value)
            _bind_locals(source, cls, bound)
            if bound and bound not in out:
                out.append(bound)
    if not out and defaults:
        out.append(dict(defaults))
    return out


# Parsed files, per SourceIndex: one explanation reads the same few files many times.
_TREES: weakref.WeakKeyDictionary[SourceIndex, dict[str, ast.Module]] = weakref.WeakKeyDictionary()


def _tree(source: SourceIndex, path: str) -> ast.Module | None:
    trees = _TREES.setdefault(source, {})
    if path not in trees:
        lines = source.lines(path)
        if lines is None:
            return None
        try:
            trees[path] = ast.parse("\n".join(lines))
        except (SyntaxError, ValueError):
            trees[path] = ast.Module(body=[], type_ignores=[])
    return trees[path]


def _bind_locals(source: SourceIndex, cls: str, bound: Bindings) -> None:
    """Add `hidden = in_ch * expand` and `self.mid = ...` from `__init__`, in order."""
    init = _init_def(source, cls)
    if init is None:
        return
    context = next((c for c in source.calls() if c.cls == cls), None)
    if context is None:
        return
    for stmt in init.body:
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
            continue
        target = stmt.targets[0]
        if isinstance(target, ast.Name):
            name = target.id
        elif (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
        ):
            name = target.attr
        else:
            continue
        value = eval_expr(source, ast.unparse(stmt.value), context, bound)
        if value is not None:
            bound[name] = value


def _init_def(source: SourceIndex, cls: str) -> ast.FunctionDef | None:
    for path in source.files():
        tree = _tree(source, path)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == cls:
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                        return item
    return None


def _init_params(source: SourceIndex, cls: str) -> tuple[list[str], Bindings] | None:
    init = _init_def(source, cls)
    if init is None:
        return None
    names = [a.arg for a in init.args.args[1:]]
    defaults: Bindings = {}
    for a, d in zip(reversed(init.args.args), reversed(init.args.defaults), strict=False):
        if (
            isinstance(d, ast.Constant)
            and isinstance(d.value, int)
            and not isinstance(d.value, bool)
        ):
            defaults[a.arg] = d.value
    return names, defaults


def layer_of(source: SourceIndex, call: Call, bindings: Bindings) -> ChannelLayer:
    """The channel counts a constructor call gives its layer."""
    layer = ChannelLayer(call, bindings)
    name = call.name
    if name in CONVS or name in CONV_TRANSPOSES:
        layer.in_channels = eval_expr(source, arg(call, 0, "in_channels"), call, bindings)
        layer.out_expr = arg(call, 1, "out_channels")
        layer.out_channels = eval_expr(source, layer.out_expr, call, bindings)
    elif name in NORMS:
        layer.out_expr = arg(call, 0, "num_features")
        layer.out_channels = layer.in_channels = eval_expr(source, layer.out_expr, call, bindings)
    elif name == "GroupNorm":
        layer.out_expr = arg(call, 1, "num_channels")
        layer.out_channels = layer.in_channels = eval_expr(source, layer.out_expr, call, bindings)
    return layer


def find_layers(
    source: SourceIndex, names: Sequence[str], in_channels: int | None, out_channels: int | None
) -> list[ChannelLayer]:
    """Constructors of `names` whose channel arguments evaluate to these values (None: any)."""
    found: list[ChannelLayer] = []
    for call in source.calls(*names):
        for env in class_bindings(source, call.cls) + [{}]:
            layer = layer_of(source, call, env)
            if in_channels is not None and layer.in_channels != in_channels:
                continue
            if out_channels is not None and layer.out_channels != out_channels:
                continue
            found.append(layer)
            break
    return found


def previous_layer(source: SourceIndex, layer: ChannelLayer) -> ChannelLayer | None:
    """The nearest layer before this one, in running order, that states its output channels:
    the conv that makes them rather than the norm that passes them on, where both agree."""
    prev = _previous(source, layer)
    if prev is not None and prev.call.name not in CONVS + CONV_TRANSPOSES:
        before = _previous(source, prev)
        if before is not None and before.out_channels == prev.out_channels:
            return before
    return prev


def _previous(source: SourceIndex, layer: ChannelLayer) -> ChannelLayer | None:
    call = layer.call
    container = container_of(source, call)
    if container is not None:
        siblings = members(source, container)
        index = next((i for i, c in enumerate(siblings) if c.node is call.node), None)
        if index is not None:
            for sibling in reversed(siblings[:index]):
                found = _channel_layer(source, sibling, layer.bindings)
                if found is not None:
                    return found
                if sibling.name not in PASS_THROUGH:
                    return None
            return _before_attr(source, container, layer.bindings)
        return None
    return _before_attr(source, call, layer.bindings)


def _channel_layer(source: SourceIndex, call: Call, bindings: Bindings) -> ChannelLayer | None:
    if (
        call.name in CONVS
        or call.name in CONV_TRANSPOSES
        or call.name in NORMS
        or (call.name == "GroupNorm")
    ):
        layer = layer_of(source, call, bindings)
        if layer.out_channels is not None:
            return layer
    if call.name in CONTAINERS:
        for member in reversed(members(source, call)):
            found = _channel_layer(source, member, bindings)
            if found is not None:
                return found
            if member.name not in PASS_THROUGH:
                return None
    return None


def container_of(source: SourceIndex, call: Call) -> Call | None:
    for container in source.calls(*CONTAINERS):
        if container.file == call.file and any(
            m.node is call.node for m in members(source, container)
        ):
            return container
    return None


def members(source: SourceIndex, container: Call) -> list[Call]:
    """The layer calls written directly inside a Sequential/ModuleList, in order."""
    nodes: list[ast.Call] = []
    for a in container.node.args:
        if isinstance(a, ast.Call):
            nodes.append(a)
        elif isinstance(a, ast.List | ast.Tuple):
            nodes.extend(e for e in a.elts if isinstance(e, ast.Call))
    by_node = {id(c.node): c for c in source.calls() if c.file == container.file}
    return [by_node[id(n)] for n in nodes if id(n) in by_node]


def _before_attr(source: SourceIndex, call: Call, bindings: Bindings) -> ChannelLayer | None:
    """For `self.x = <call>` in `__init__`: the layer `forward` runs before `self.x`."""
    if not call.target or not call.target.startswith("self.") or not call.cls:
        return None
    attr = call.target.split(".", 1)[1]
    layers = {
        c.target.split(".", 1)[1]: c
        for c in source.calls()
        if c.cls == call.cls
        and c.function == "__init__"
        and c.target
        and c.target.startswith("self.")
        and c.file == call.file
    }
    order = _forward_order(source, call.cls, call.file, set(layers))
    if attr in order:
        earlier = order[: order.index(attr)]
    else:
        names = sorted(layers, key=lambda a: layers[a].line)
        earlier = names[: names.index(attr)] if attr in names else []
    for name in reversed(earlier):
        found = _channel_layer(source, layers[name], bindings)
        if found is not None:
            return found
        if layers[name].name not in PASS_THROUGH:
            return None
    return None


def _forward_order(source: SourceIndex, cls: str, path: str, attrs: Iterable[str]) -> list[str]:
    wanted = set(attrs)
    calls = [
        c
        for c in source.calls()
        if c.cls == cls
        and c.function == "forward"
        and c.file == path
        and c.func.startswith("self.")
    ]
    calls.sort(key=lambda c: (c.line, -c.node.col_offset))
    order: list[str] = []
    for c in calls:
        attr = c.func.split(".", 1)[1]
        if attr in wanted and attr not in order:
            order.append(attr)
    return order


def shape_calls(source: SourceIndex, dims: Sequence[int], min_args: int = 2) -> list[Call]:
    """Calls whose integer arguments spell these dims in order (`torch.rand(8, 64, 64, 3)`)."""
    wanted = list(dims)
    found: list[Call] = []
    for call in source.calls():
        if len(call.args) < min_args or call.name in CONVS or call.name in CONV_TRANSPOSES:
            continue
        exprs = call.args
        if len(exprs) == 1 and exprs[0].startswith(("(", "[")):
            try:
                node = ast.parse(exprs[0], mode="eval").body
            except SyntaxError:
                continue
            if isinstance(node, ast.Tuple | ast.List):
                exprs = [ast.unparse(e) for e in node.elts]
        values = [source.eval_int(e, call) for e in exprs]
        if None in values or len(values) < min_args:
            continue
        if _contains_run(values, wanted):  # type: ignore[arg-type]
            found.append(call)
    return found


def _contains_run(values: list[int], wanted: list[int]) -> bool:
    n = len(values)
    if n > len(wanted):
        return False
    return any(wanted[i : i + n] == values for i in range(len(wanted) - n + 1))
