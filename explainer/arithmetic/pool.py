"""Kernels and pooling windows larger than the map they slide over: which dim is too small, which
layer shrank the map that far, and the smallest input size the whole network takes.

Every conv and pool maps a side H to floor((H + 2p − d(k−1) − 1)/s) + 1. A conv refuses a padded
side smaller than its dilated kernel d(k−1)+1; a pool refuses an output of 0 or less. When the
source gives the layers, the sizes are walked layer by layer (layers.py) from the input to the
failing layer, and inverted to find the smallest input that gets through.
"""

from __future__ import annotations

import ast

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.convnet import (
    CONTAINERS,
    NORMS,
    PASS_THROUGH,
    arg,
    container_of,
    members,
)
from explainer.arithmetic.layers import (
    Layer,
    chain_text,
    inputs_giving,
    sequential_chain,
    sizes_through,
    spatial_chain,
)
from explainer.arithmetic.rank import layout, rank_fix
from explainer.arithmetic.shapes import Shape, conv_out
from explainer.arithmetic.suspects import call_suspect
from explainer.model import Suspect
from explainer.source import Call, SourceIndex

SIDE_NAMES = {1: ["L"], 2: ["H", "W"], 3: ["D", "H", "W"]}
POOL_NAMES = (
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "LPPool1d",
    "LPPool2d",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
)
CONV_NAMES = ("Conv1d", "Conv2d", "Conv3d")
# Layers whose effect on the spatial size layers.py knows (or that leave it as it is).
KNOWN_LAYERS = frozenset(CONV_NAMES + POOL_NAMES[:8] + NORMS + PASS_THROUGH) | {
    "Flatten",
    "Linear",
    "GroupNorm",
    "LayerNorm",
    "Softmax",
    "LogSoftmax",
}


def _dims(value: object) -> list[int]:
    if isinstance(value, int):
        return [value]
    if isinstance(value, Shape):
        return list(value)
    raise Decline("sizes missing")


def _sides(n: int) -> list[str]:
    return SIDE_NAMES.get(n, [f"dim {i}" for i in range(n)])


def _where(ctx: Context, r: Reasoning, reason: str, score: float) -> None:
    where = ctx.where
    if where is not None and where.line is not None:
        r.suspects.append(Suspect(where.file, where.line, where.code or "", reason, score))


# -- the layers of the user's model ----------------------------------------------------------------


def model_chain(source: SourceIndex, call: Call) -> list[Layer]:
    """The conv/pool layers of the model that contains this constructor or functional call;
    empty when the model runs something whose effect on the size the source does not show
    (a helper function or a custom block), rather than a chain with holes."""
    container = container_of(source, call)
    if container is not None and container.cls is None:
        return sequential_chain(source, container) if _known(source, container) else []
    if call.cls:
        layers, _ = spatial_chain(source, call.cls)
        if layers:
            return layers if _class_known(source, call.cls) else []
    return []


def _known(source: SourceIndex, container: Call) -> bool:
    """Whether every member of a Sequential is a layer whose effect on the size is known."""
    for member in members(source, container):
        if member.name in CONTAINERS:
            if not _known(source, member):
                return False
        elif member.name not in KNOWN_LAYERS:
            return False
    return True


def _class_known(source: SourceIndex, cls: str) -> bool:
    built = {
        (c.target or "").split(".", 1)[1]: c
        for c in source.calls()
        if c.cls == cls and c.function == "__init__" and (c.target or "").startswith("self.")
    }
    for call in source.calls():
        if call.cls != cls or call.function != "forward" or not call.func.startswith("self."):
            continue
        layer = built.get(call.func.split(".", 1)[1])
        if layer is None:
            return False
        if layer.name in CONTAINERS:
            if not _known(source, layer):
                return False
        elif layer.name not in KNOWN_LAYERS:
            return False
    return True


def min_input(layers: list[Layer], limit: int = 4096) -> int | None:
    """The smallest input side that every layer accepts."""
    for size in range(1, limit + 1):
        if _passes(layers, size):
            return size
    return None


def _passes(layers: list[Layer], size: int) -> bool:
    for layer in layers:
        if layer.kind == "conv" and not layer.same:
            if size + 2 * layer.padding < layer.dilation * (layer.kernel - 1) + 1:
                return False
        size = layer.apply(size)
        if size < 1:
            return False
    return True


def _locate(layers: list[Layer], index: int, side: int) -> tuple[list[int], int] | None:
    """Input sizes that bring the map to `side` just before layer `index`, and a round one."""
    inputs = inputs_giving(layers[:index], side) if index else [side]
    if not inputs:
        return None
    pick = next((h for h in inputs if h % 8 == 0), inputs[0])
    return inputs, pick


def _chain_story(r: Reasoning, layers: list[Layer], index: int, side: int, name: str) -> None:
    """Steps: the sizes layer by layer up to the failing one, and the smallest working input."""
    located = _locate(layers, index, side)
    smallest = min_input(layers)
    if located is not None:
        _, start = located
        shown = layers[: index + 1]
        sizes = sizes_through(shown, start)
        r.steps.append(
            "Layer by layer, floor((H + 2p − d(k−1) − 1)/s) + 1: "
            + " → ".join(str(s) for s in sizes[:-1])
            + f" reaches {layers[index].describe()} with {name} = {side}"
            + (f" (an input of {start})." if index else ".")
        )
        shrinkers = [lay.describe() for lay in shown[:-1] if lay.stride > 1]
        if shrinkers:
            r.steps.append(
                "The map shrinks most at the strided layers and pools: "
                + ", ".join(shrinkers)
                + "."
            )
        r.values["input_side"] = start
    if smallest is not None:
        r.steps.append(
            f"The smallest input side every layer accepts is {smallest}: "
            + chain_text(layers, smallest)
            + "."
        )
        r.fix_values["min_input_size"] = smallest
        r.values["min_input_size"] = smallest
        r.values["size_advice"] = (
            f"Feed inputs of at least {smallest}×{smallest}, or make the network shrink the map "
            "less (padding, fewer pools or strides)."
        )


# -- conv: kernel larger than the padded input -----------------------------------------------------


def kernel_too_large(ctx: Context) -> Reasoning:
    """`Calculated padded input size per channel: (P). Kernel size: (K). Kernel size can't be
    greater than actual input size`."""
    padded = _dims(ctx.get("padded_input"))
    kernel = _dims(ctx.get("kernel"))
    if len(padded) != len(kernel):
        raise Decline("padded input and kernel have different ranks")
    bad = [i for i, (p, k) in enumerate(zip(padded, kernel, strict=True)) if p < k]
    r = Reasoning()
    if not bad:
        # PyTorch raises only when a side is smaller: the paste was retyped or cut.
        bad = [i for i, (p, k) in enumerate(zip(padded, kernel, strict=True)) if p <= k]
        r.notes.append(
            "As pasted no side is smaller than the kernel, which PyTorch accepts: "
            "the numbers were probably retyped; check the original message."
        )
        r.confidence = 0.7
    sides = _sides(len(padded))
    r.steps.append(
        "A conv needs each padded side H + 2·padding to be at least its dilated kernel "
        "d·(k − 1) + 1. Here: "
        + "; ".join(
            f"{sides[i]}: {padded[i]} vs {kernel[i]}" + (" ✗" if padded[i] < kernel[i] else " ✓")
            for i in range(len(padded))
        )
        + "."
    )
    r.values.update(
        failing=", ".join(
            f"{sides[i]} ({padded[i]} {'<' if padded[i] < kernel[i] else '='} {kernel[i]})"
            for i in bad
        ),
        conv_dims=len(padded),
        chain_story="",
        kernel_text=" × ".join(str(k) for k in kernel),
        padded_text=" × ".join(str(p) for p in padded),
        size_advice=(
            "Make the map reaching this conv at least "
            + " × ".join(str(k) for k in kernel)
            + " (larger inputs, fewer pools/strides before it), or pad it."
        ),
    )
    r.fix_values["min_padded_input"] = kernel if len(kernel) > 1 else kernel[0]
    if len(padded) > 1 and len(bad) < len(padded) and max(padded) >= 8 * max(kernel):
        r.notes.append(
            "Only one side is too small while another is large: check the layout "
            "(a channels-last or transposed input puts a small dim where a spatial one belongs)."
        )
    if any(padded[i] <= 2 for i in bad):
        r.notes.append(
            "A side of 0-2 before padding means the map has all but vanished: the "
            "input is far smaller than the network expects, or a dim is misplaced."
        )
    layer = _find_conv(ctx, kernel, padded[bad[0]])
    if layer is not None:
        call, layers, index = layer
        r.suspects.append(
            call_suspect(
                call,
                f"has a {' × '.join(str(k) for k in kernel)} kernel, larger than the "
                f"{' × '.join(str(p) for p in padded)} padded map it gets",
                0.85,
            )
        )
        if layers and index is not None:
            lay = layers[index]
            side = padded[bad[0]] - 2 * lay.padding
            _chain_story(r, layers, index, side, sides[bad[0]])
            if "min_input_size" in r.values:
                r.values["chain_story"] = (
                    f" With your layers the smallest input side that reaches the end is "
                    f"{r.values['min_input_size']}."
                )
            pad = -(-(kernel[bad[0]] - side) // 2)
            r.fix_code = (
                f"# inputs of at least {r.values.get('min_input_size', '?')} per side, or pad "
                f"this conv so that {side} + 2·padding >= {kernel[bad[0]]}:\n"
                + _with_padding(call, pad)
            )
    _where(ctx, r, "runs the conv on the too-small map", 0.3)
    return r


def _find_conv(
    ctx: Context, kernel: list[int], side: int
) -> tuple[Call, list[Layer], int | None] | None:
    """The conv whose dilated kernel is this one and that can see a map of `side` (before
    padding), preferring the deepest: the map shrinks below a kernel late in a network."""
    k = kernel[0]
    best: tuple[Call, list[Layer], int | None] | None = None
    loose: tuple[Call, list[Layer], int | None] | None = None
    for call in ctx.source.calls(*CONV_NAMES):
        if not call.name.endswith(f"{len(kernel)}d"):
            continue
        layers = model_chain(ctx.source, call)
        index = next(
            (
                i
                for i, lay in enumerate(layers)
                if lay.call is not None
                and lay.call.line == call.line
                and lay.call.file == call.file
                and lay.call.node.col_offset == call.node.col_offset
            ),
            None,
        )
        if index is not None:
            lay = layers[index]
            if lay.dilation * (lay.kernel - 1) + 1 != k:
                continue
            if _locate(layers, index, side - 2 * lay.padding) is None:
                continue
            if best is None or (best[2] is not None and index > best[2]):
                best = (call, layers, index)
            continue
        kexpr = call.kwargs.get("kernel_size") or (call.args[2] if len(call.args) > 2 else "")
        if loose is None and ctx.source.eval_int(kexpr.strip("()").split(",")[0], call) == k:
            loose = (call, layers, None)
    return best or loose


def _with_padding(call: Call, pad: int) -> str:
    """The conv constructor as written, with padding=pad (positional index 4 or keyword)."""
    node = call.node
    args = list(node.args)
    keywords = [k for k in node.keywords if k.arg != "padding"]
    if len(args) > 4:
        args[4] = ast.Constant(pad)
    else:
        keywords.append(ast.keyword(arg="padding", value=ast.Constant(pad)))
    return ast.unparse(ast.Call(func=node.func, args=args, keywords=keywords))


def conv_output_too_small(ctx: Context) -> Reasoning:
    """`Given input size per channel: (H x W). Calculated output size per channel: (oh x ow).
    Output size is too small` (THNN convs, transposed convs, and the meta kernels)."""
    size, out = _dims(ctx.get("input")), _dims(ctx.get("output"))
    if len(size) != len(out):
        raise Decline("ranks differ")
    sides = _sides(len(size))
    r = Reasoning()
    r.steps.append(
        "Each output side is floor((H + 2p − d(k−1) − 1)/s) + 1 (transposed: "
        "(H − 1)·s − 2p + d(k−1) + output_padding + 1); it must be at least 1. Here: "
        + "; ".join(f"{sides[i]}: {size[i]} → {out[i]}" for i in range(len(size)))
        + "."
    )
    bad = [i for i, o in enumerate(out) if o < 1]
    if not bad:
        raise Decline("no output side is below 1")
    r.values["failing"] = ", ".join(f"{sides[i]} ({size[i]} → {out[i]})" for i in bad)
    r.values["cause_text"] = "the kernel is larger than the (padded) map"
    r.values["size_advice"] = (
        "Make the map larger than the kernel (bigger inputs, fewer "
        "downsamplings), or lower the padding of a transposed conv."
    )
    text = ctx.parsed.text
    if "conv_transpose" in text or "ConvTranspose" in text:
        r.steps.append(
            "This is a transposed conv: its output shrinks only through padding, "
            "(H − 1)·s − 2p + d(k−1) + output_padding + 1, so the padding removes more rows "
            "than the layer produces."
        )
        r.values["cause_text"] = "the transposed conv's padding removes more than it produces"
        r.values["size_advice"] = (
            "Lower the transposed conv's padding (2p < (H − 1)·s + d(k−1) + 1)."
        )
        for call in ctx.source.calls("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"):
            r.suspects.append(call_suspect(call, "the transposed conv and its padding", 0.8))
    _where(ctx, r, "runs the layer on the too-small map", 0.5)
    return r


# -- pooling: output size below 1 -----------------------------------------------------------------


def pool_output_too_small(ctx: Context) -> Reasoning:
    """`Given input size: (CxHxW). Calculated output size: (Cxohxow). Output size is too small`."""
    size, out = _dims(ctx.get("input")), _dims(ctx.get("output"))
    if len(size) != len(out) or len(size) < 2:
        raise Decline("ranks differ")
    channels, spatial, out_spatial = size[0], size[1:], out[1:]
    bad = [i for i, o in enumerate(out_spatial) if o < 1]
    if not bad:
        raise Decline("no output side is below 1")
    sides = _sides(len(spatial))
    r = Reasoning()
    is_conv = out[0] != channels
    what = "conv" if is_conv else "pooling window"
    r.steps.append(
        f"The input is {channels} channels of {' × '.join(str(s) for s in spatial)}; each side "
        "becomes floor((H + 2p − d(k−1) − 1)/s) + 1: "
        + "; ".join(f"{sides[i]}: {spatial[i]} → {out_spatial[i]}" for i in range(len(spatial)))
        + f". An output side below 1 means the {what} is larger than the (padded) map."
    )
    i = bad[0]
    h, o = spatial[i], out_spatial[i]
    if o < 0:
        k = h - o + 1
        r.steps.append(
            f"{sides[i]}: {h} → {o} fits a window of k = H − out + 1 = {h} − ({o}) + 1 = {k} at "
            "stride 1 without padding: a "
            f"{k}×{k} pool that expects a map of at least {k}×{k}."
        )
        r.values["window_hint"] = f" ({o} fits a {k}×{k} window at stride 1)"
    else:
        r.values["window_hint"] = ""
    global_pool = not is_conv and channels >= 256 and max(spatial) <= 7
    r.values.update(
        failing=", ".join(f"{sides[j]} ({spatial[j]} → {out_spatial[j]})" for j in bad),
        what=what,
        channels=channels,
        map=" × ".join(str(s) for s in spatial),
        size_advice=(
            "Feed larger inputs, remove a pool or stride, or use an adaptive pool "
            "(nn.AdaptiveAvgPool2d) that always gives the size you ask for."
        ),
        chain_story="",
    )
    if global_pool:
        r.steps.append(
            f"{channels} channels of {' × '.join(str(s) for s in spatial)} is a backbone's last "
            "map: a fixed global pool (AvgPool2d(7) in ResNet/VGG heads) built for 224-pixel "
            "images gets a smaller map from smaller images. nn.AdaptiveAvgPool2d(1) pools any "
            "size to 1 × 1."
        )
        r.fix_values["adaptive_output_size"] = 1
        r.fix_code = "self.avgpool = nn.AdaptiveAvgPool2d(1)   # global pooling for any input size"
    found = _find_pool(ctx, h, o, len(spatial))
    if found is not None:
        call, layers, index = found
        r.suspects.append(call_suspect(call, f"pools a {h}-wide map down to {o}", 0.85))
        if layers and index is not None:
            _chain_story(r, layers, index, h, sides[i])
            if "min_input_size" in r.values:
                r.values["chain_story"] = (
                    f" With your layers the smallest input side that reaches the end is "
                    f"{r.values['min_input_size']}."
                )
    _where(ctx, r, f"runs the {what} on the too-small map", 0.3)
    return r


def _find_pool(
    ctx: Context, side: int, out: int, ndim: int
) -> tuple[Call, list[Layer], int | None] | None:
    """The pool (module or functional) that turns `side` into `out`, and its model's layers;
    of the places a shared pool runs, the deepest the input can reach with that side."""
    best: tuple[Call, list[Layer], int | None] | None = None
    loose: tuple[Call, list[Layer], int | None] | None = None
    for call in ctx.source.calls(*POOL_NAMES):
        if not call.name.endswith(f"{ndim}d"):
            continue
        layers = model_chain(ctx.source, call)
        indices = [
            j
            for j, lay in enumerate(layers)
            if lay.call is not None
            and lay.call.line == call.line
            and lay.call.file == call.file
            and lay.call.node.col_offset == call.node.col_offset
        ]
        for j in indices:
            if layers[j].apply(side) == out and _locate(layers, j, side) is not None:
                if best is None or (best[2] is not None and j > best[2]):
                    best = (call, layers, j)
        if not indices and loose is None and _pool_out(ctx.source, call, side) == out:
            loose = (call, layers, None)
    return best or loose


def _pool_out(source: SourceIndex, call: Call, side: int) -> int | None:
    """What a pool constructor or functional call makes of a side, from its own arguments."""
    first = 1 if call.name[0].islower() else 0  # F.max_pool2d(x, k, ...) vs nn.MaxPool2d(k, ...)

    def value(offset: int, name: str) -> int | None:
        expr = arg(call, first + offset, name)
        if expr is None:
            return None
        return source.eval_int(expr.strip().strip("()[]").split(",")[0], call)

    k = value(0, "kernel_size")
    if k is None:
        return None
    stride = value(1, "stride") or k
    padding = value(2, "padding") or 0
    return conv_out(side, k, stride, padding)


def pool1d_invalid_output(ctx: Context) -> Reasoning:
    """`max_pool1d() Invalid computed output size: -2`."""
    out = ctx.get("output_size")
    if not isinstance(out, int):
        raise Decline("no output size")
    r = Reasoning()
    r.steps.append(
        f"max_pool1d computes L_out = floor((L + 2p − d(k−1) − 1)/s) + 1 = {out}: the window "
        "is longer than the (padded) sequence."
    )
    if out < 0:
        r.steps.append(
            f"At stride 1 without padding, L_out = L − k + 1 = {out}: the kernel is "
            f"{1 - out} longer than the sequence."
        )
    r.values["size_advice"] = (
        "Use a kernel no longer than the sequence, pad the sequence, or "
        "use nn.AdaptiveMaxPool1d(1) for a global max."
    )
    for call in ctx.source.calls("MaxPool1d", "max_pool1d"):
        r.suspects.append(call_suspect(call, "the 1-D max pool", 0.7))
    _where(ctx, r, "pools the too-short sequence", 0.4)
    return r


def pool3d_smaller_than_kernel(ctx: Context) -> Reasoning:
    """`input image (T: 1 H: 4 W: 4) smaller than kernel size (kT: 2 kH: 2 kW: 2)`."""
    size = [ctx.get("t"), ctx.get("h"), ctx.get("w")]
    kernel = [ctx.get("kt"), ctx.get("kh"), ctx.get("kw")]
    if not all(isinstance(v, int) for v in size + kernel):
        raise Decline("numbers missing")
    r = Reasoning()
    bad = [n for n, s, k in zip("THW", size, kernel, strict=True) if s < k]  # type: ignore[operator]
    r.steps.append(
        "A 3-D window needs T ≥ kT, H ≥ kH and W ≥ kW: "
        + "; ".join(f"{n}: {s} vs {k}" for n, s, k in zip("THW", size, kernel, strict=True))
        + "."
    )
    r.values["failing"] = ", ".join(bad) or "none"
    r.fix_values["min_input"] = kernel
    _where(ctx, r, "runs the 3-D conv/pool on the small volume", 0.5)
    return r


def fractional_too_large(ctx: Context) -> Reasoning:
    """`fractional_max_pool2d(): pool height 3 too large relative to input height 4`."""
    k, size = ctx.get("pool_size"), ctx.get("input_size")
    if not isinstance(k, int) or not isinstance(size, int):
        raise Decline("numbers missing")
    r = Reasoning()
    r.steps.append(
        f"FractionalMaxPool needs output_size + kernel_size − 1 ≤ input size per side: "
        f"with a pool of {k} on {size}, output_size can be at most {size - k + 1}."
    )
    r.fix_values["max_output_size"] = size - k + 1
    r.values["max_output_size"] = size - k + 1
    _where(ctx, r, "runs the fractional max pool", 0.6)
    return r


def unfold_too_large(ctx: Context) -> Reasoning:
    """Tensor.unfold: `maximum size for tensor at dimension d is n but size is k`."""
    dim, maximum, size = ctx.get("dim"), ctx.get("max_size"), ctx.get("size")
    if not all(isinstance(v, int) for v in (dim, maximum, size)):
        raise Decline("numbers missing")
    r = Reasoning()
    r.steps.append(
        f"x.unfold({dim}, size, step) slides a window of `size` along dim {dim}, which has "
        f"{maximum} elements: a window of {size} does not fit (at most {maximum})."
    )
    r.fix_values["size"] = maximum
    for call in ctx.source.calls("unfold"):
        if call.func != "F.unfold" and not call.func.endswith("nn.functional.unfold"):
            r.suspects.append(call_suspect(call, "slides the window", 0.7))
    _where(ctx, r, "unfolds the tensor", 0.4)
    return r


def unfold_blocks(ctx: Context) -> Reasoning:
    """F.unfold: `... calculated shape of the array of sliding blocks as (bh, bw), but its
    components must be at least one.`"""
    spatial = _dims(ctx.get("spatial"))
    kernel = _dims(ctx.get("kernel"))
    dilation = _dims(ctx.get("dilation"))
    padding = _dims(ctx.get("padding"))
    blocks = _dims(ctx.get("blocks"))
    if not (len(spatial) == len(kernel) == len(dilation) == len(padding) == len(blocks)):
        raise Decline("ranks differ")
    r = Reasoning()
    parts = []
    for i, (h, k, d, p, b) in enumerate(
        zip(spatial, kernel, dilation, padding, blocks, strict=True)
    ):
        parts.append(
            f"{'HW'[i] if len(spatial) == 2 else i}: floor(({h} + 2·{p} − {d}·({k} − 1)"
            f" − 1)/s) + 1 = {b}"
        )
    r.steps.append(
        "Blocks per side = floor((H + 2p − d(k−1) − 1)/s) + 1: "
        + "; ".join(parts)
        + ". Each must be at least 1: the kernel is larger than the padded input."
    )
    need = [
        max(0, -(-(d * (k - 1) + 1 - h) // 2))
        for h, k, d in zip(spatial, kernel, dilation, strict=True)
    ]
    r.fix_values["padding"] = need if len(need) > 1 else need[0]
    r.values["min_padding"] = ", ".join(str(n) for n in need)
    _where(ctx, r, "unfolds the too-small input", 0.6)
    return r


# -- pooling input rank ----------------------------------------------------------------------------


def pool_input_rank(ctx: Context) -> Reasoning:
    """`Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but
    got:[1, 1, 2, 8, 8]`, `non-empty 3D or 4D (batch mode) tensor expected for input`, and the
    adaptive pools' `Input dimension should be at least 3`."""
    op = ctx.get("op")
    shape = ctx.get("input_shape")
    batched = ctx.get("batched_dims")
    minimum = ctx.get("min_dims")
    if isinstance(op, str) and op[-2:-1].isdigit():
        spatial = int(op[-2])
    elif isinstance(batched, int):
        spatial = batched - 2
    elif isinstance(minimum, int):
        spatial = minimum - 1
    else:
        raise Decline("cannot tell the pool's dimensionality")
    name = op if isinstance(op, str) else f"a {spatial}-D pool"
    r = Reasoning()
    letters = layout(spatial)
    r.steps.append(
        f"{name} takes [{letters}] ({spatial + 2}-D) or, unbatched, [{letters[3:]}] "
        f"({spatial + 1}-D)"
        + (f"; the input {shape} has {len(shape)} dims." if isinstance(shape, Shape) else ".")
    )
    r.values.update(
        pool_name=name,
        layout=f"[{letters}]",
        batched=spatial + 2,
        unbatched=spatial + 1,
        rank_story="",
        rank_advice=(f"Give the pool a {spatial + 1}-D or {spatial + 2}-D input."),
    )
    if isinstance(shape, Shape):
        if 0 in shape[1:]:
            r.steps.append(f"{shape} also has an empty dim: the map was cropped or pooled away.")
        fix = rank_fix(shape, spatial)
        r.steps.append(fix.story)
        r.values["rank_story"] = " " + fix.story
        r.fix_code = fix.code
        if fix.shape is not None:
            r.fix_values["input_shape"] = list(fix.shape)
            r.values["rank_advice"] = f"Give the pool {fix.shape}."
    elif not isinstance(minimum, int):
        r.notes.append(
            "The message does not print the shape: print x.shape before the pool. "
            "'non-empty' also rejects a map with a size-0 dim."
        )
    _where(ctx, r, "pools the input", 0.7)
    return r


def pool_padding(ctx: Context) -> Reasoning:
    """`pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and
    dilation=1` (and the older `padW = 2, padH = 2, kW = 3, kH = 3` wording)."""
    pad = ctx.get("pad", "pad_w", "pad_w3")
    kernel = ctx.get("kernel_size", "kernel_w", "kernel_w3")
    dilation = ctx.get("dilation") if isinstance(ctx.get("dilation"), int) else 1
    if not isinstance(pad, int) or not isinstance(kernel, int):
        raise Decline("numbers missing")
    effective = dilation * (kernel - 1) + 1
    limit = effective // 2
    r = Reasoning()
    r.steps.append(
        f"A pool may pad each side by at most half its window, so that every window still "
        f"covers a real element: window = dilation·(k − 1) + 1 = {effective}, half = {limit}; "
        f"the padding is {pad}."
    )
    r.values.update(max_padding=limit, effective_kernel=effective, pad=pad)
    r.fix_values["padding"] = limit
    for call in ctx.source.calls(*POOL_NAMES):
        if "padding" in call.kwargs or len(call.args) > 2:
            r.suspects.append(call_suspect(call, "sets the pool's padding", 0.8))
    _where(ctx, r, "pools with this padding", 0.4)
    return r


def param_where(ctx: Context) -> Reasoning:
    """A pool argument tuple of the wrong length: point at the pool calls."""
    r = Reasoning()
    op = str(ctx.get("op") or "")
    for call in ctx.source.calls(
        *POOL_NAMES,
        "adaptive_avg_pool2d",
        "adaptive_max_pool2d",
        "AdaptiveAvgPool2d",
        "AdaptiveMaxPool2d",
    ):
        if op.replace("_", "").lower().rstrip("d").rstrip("123") in call.name.lower():
            r.suspects.append(call_suspect(call, "passes the tuple", 0.7))
    _where(ctx, r, "calls the pool", 0.5)
    return r
