"""The spatial layers of a model, read from its source, and the sizes they produce.

From a model class's `forward` (and the layers its `__init__` builds) this lists, in the order
they run, the convolutions and poolings up to the flatten, so the conv/pool output-size formula
can be applied layer by layer: `64 → 60 → 30 → 26 → 13`, or inverted: which input size gives 13.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from explainer.arithmetic.shapes import conv_out
from explainer.source import Call, SourceIndex

CONV = {"Conv1d", "Conv2d", "Conv3d"}
POOL = {"MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d"}
ADAPTIVE = {"AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "AdaptiveAvgPool3d"}
FUNCTIONAL_POOL = {
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
}
FUNCTIONAL_ADAPTIVE = {"adaptive_avg_pool2d", "adaptive_max_pool2d", "adaptive_avg_pool1d"}
FLATTEN = {"flatten", "view", "reshape", "Flatten"}


@dataclass
class Layer:
    kind: str  # "conv", "pool", "adaptive", "flatten"
    label: str  # how the source names it: `conv1`, `F.max_pool2d`, `pool`
    kernel: int = 1
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    ceil_mode: bool = False
    same: bool = False  # padding="same"
    out_channels: int | None = None
    adaptive_size: int | None = None
    call: Call | None = None

    def apply(self, size: int) -> int:
        if self.kind == "adaptive" and self.adaptive_size:
            return self.adaptive_size
        if self.kind not in ("conv", "pool") or self.same:
            return size
        return conv_out(size, self.kernel, self.stride, self.padding, self.dilation, self.ceil_mode)

    def describe(self) -> str:
        if self.kind == "conv":
            extra = f", stride {self.stride}" if self.stride != 1 else ""
            extra += f", padding {self.padding}" if self.padding else ""
            return f"{self.label} (kernel {self.kernel}{extra})"
        if self.kind == "pool":
            return f"{self.label} ({self.kernel}" + (
                f", stride {self.stride})" if self.stride != self.kernel else ")"
            )
        return self.label


def sizes_through(layers: list[Layer], size: int) -> list[int]:
    """The spatial size before the first layer and after each one."""
    out = [size]
    for layer in layers:
        size = layer.apply(size)
        out.append(size)
    return out


def inputs_giving(layers: list[Layer], final: int, limit: int = 4096) -> list[int]:
    """Every input size up to `limit` that the layers turn into `final`.

    Each layer's output grows monotonically with its input, so a binary search finds the
    smallest such input and the rest follow it.
    """

    def out(h: int) -> int:
        return sizes_through(layers, h)[-1]

    lo, hi = 1, limit
    while lo < hi:
        mid = (lo + hi) // 2
        if out(mid) < final:
            lo = mid + 1
        else:
            hi = mid
    found = []
    h = lo
    while h <= limit and out(h) == final:
        found.append(h)
        h += 1
    return found


def chain_text(layers: list[Layer], size: int) -> str:
    return " → ".join(str(s) for s in sizes_through(layers, size))


def spatial_chain(source: SourceIndex, cls: str | None) -> tuple[list[Layer], int | None]:
    """The conv/pool layers `cls.forward` runs before flattening, and the last conv's channels."""
    layers: list[Layer] = []
    calls = source.calls()
    if cls is None:
        return layers, None
    init_layers = _init_layers(source, calls, cls)
    forward = [c for c in calls if c.cls == cls and c.function == "forward"]
    for call in sorted(forward, key=_eval_order_key):
        if call.name in FLATTEN and call.func not in ("nn.Flatten",):
            if layers:
                break
            continue
        if call.func.startswith("self."):
            attr = call.func.split(".", 1)[1]
            found = init_layers.get(attr)
            if found:
                layers.extend(found)
                if any(layer.kind == "flatten" for layer in found):
                    break
            continue
        layer = _layer_from_call(source, call, functional=True)
        if layer:
            layers.append(layer)
    layers = [layer for layer in layers if layer.kind != "flatten"]
    channels = next((lay.out_channels for lay in reversed(layers) if lay.out_channels), None)
    return layers, channels


def sequential_chain(source: SourceIndex, call: Call) -> list[Layer]:
    """Layers of an `nn.Sequential(...)` call, up to a Flatten."""
    layers: list[Layer] = []
    for arg in call.node.args:
        if isinstance(arg, ast.Call):
            sub = _call_from_node(call, arg)
            layer = _layer_from_call(source, sub, functional=False)
            if layer:
                if layer.kind == "flatten":
                    break
                layers.append(layer)
    return layers


def _eval_order_key(call: Call) -> tuple[int, int, int]:
    # Inner calls run first: on the same line, the call that starts later is usually nested
    # deeper and finishes first, so sort by line, then by reverse column.
    return (call.line, -call.node.col_offset, 0)


def _init_layers(source: SourceIndex, calls: list[Call], cls: str) -> dict[str, list[Layer]]:
    """`self.conv1 = nn.Conv2d(...)` and `self.features = nn.Sequential(...)` in `__init__`."""
    found: dict[str, list[Layer]] = {}
    for call in calls:
        if call.cls != cls or call.function != "__init__" or not call.target:
            continue
        if not call.target.startswith("self."):
            continue
        attr = call.target.split(".", 1)[1]
        if call.name == "Sequential":
            found[attr] = sequential_chain(source, call) + _flatten_marker(call)
        else:
            layer = _layer_from_call(source, call, functional=False)
            if layer:
                layer.label = attr
                found[attr] = [layer]
    return found


def _flatten_marker(call: Call) -> list[Layer]:
    for arg in call.node.args:
        if isinstance(arg, ast.Call) and ast.unparse(arg.func).endswith(("Flatten", "Linear")):
            return [Layer(kind="flatten", label="Flatten")]
    return []


def _call_from_node(parent: Call, node: ast.Call) -> Call:
    func = ast.unparse(node.func)
    return Call(
        file=parent.file,
        line=node.lineno,
        code=parent.code,
        name=func.rsplit(".", 1)[-1],
        func=func,
        args=[ast.unparse(a) for a in node.args],
        kwargs={k.arg: ast.unparse(k.value) for k in node.keywords if k.arg},
        target=None,
        cls=parent.cls,
        function=parent.function,
        node=node,
    )


def _int(source: SourceIndex, call: Call, expr: str | None, default: int) -> int:
    if expr is None:
        return default
    text = expr.strip()
    if text.startswith("(") and "," in text:
        text = text.strip("()").split(",")[0]
    value = source.eval_int(text, call)
    return default if value is None else value


def _arg(call: Call, index: int, name: str) -> str | None:
    if name in call.kwargs:
        return call.kwargs[name]
    return call.args[index] if len(call.args) > index else None


def _layer_from_call(source: SourceIndex, call: Call, functional: bool) -> Layer | None:
    name = call.name
    if not functional and name in CONV:
        padding = _arg(call, 4, "padding")
        return Layer(
            kind="conv",
            label=call.target.split(".")[-1] if call.target else name,
            kernel=_int(source, call, _arg(call, 2, "kernel_size"), 1),
            stride=_int(source, call, _arg(call, 3, "stride"), 1),
            padding=0 if padding and "same" in padding else _int(source, call, padding, 0),
            dilation=_int(source, call, _arg(call, 5, "dilation"), 1),
            same=bool(padding and "same" in padding),
            out_channels=source.eval_int(_arg(call, 1, "out_channels") or "", call),
            call=call,
        )
    if not functional and name in POOL:
        kernel = _int(source, call, _arg(call, 0, "kernel_size"), 1)
        return Layer(
            kind="pool",
            label=call.target.split(".")[-1] if call.target else name,
            kernel=kernel,
            stride=_int(source, call, _arg(call, 1, "stride"), kernel),
            padding=_int(source, call, _arg(call, 2, "padding"), 0),
            ceil_mode="True" in (call.kwargs.get("ceil_mode") or ""),
            call=call,
        )
    if not functional and name in ADAPTIVE:
        return Layer(
            kind="adaptive",
            label=name,
            adaptive_size=_int(source, call, _arg(call, 0, "output_size"), 1),
            call=call,
        )
    if not functional and name == "Flatten":
        return Layer(kind="flatten", label="Flatten", call=call)
    if functional and name in FUNCTIONAL_POOL:
        kernel = _int(source, call, _arg(call, 1, "kernel_size"), 1)
        return Layer(
            kind="pool",
            label=call.func,
            kernel=kernel,
            stride=_int(source, call, _arg(call, 2, "stride"), kernel),
            padding=_int(source, call, _arg(call, 3, "padding"), 0),
            call=call,
        )
    if functional and name in FUNCTIONAL_ADAPTIVE:
        return Layer(
            kind="adaptive",
            label=call.func,
            adaptive_size=_int(source, call, _arg(call, 1, "output_size"), 1),
            call=call,
        )
    return None
