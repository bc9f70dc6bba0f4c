"""Convolution errors: the channel check (`expected input[...] to have C channels`), the input
rank check (`Expected 3D (unbatched) or 4D (batched) input to conv2d`), and the conv's own
argument checks (bias, groups, stride/padding lists, transposed output sizes).

Channels are dim 1 of the input, NCHW (N batch, C channels, H×W the map); a conv's weight is
[out_channels, in_channels / groups, *kernel] (transposed: [in_channels, out_channels / groups,
*kernel]), so the channels it expects are weight[1] × groups (transposed: weight[0]).
"""

from __future__ import annotations

import ast
import math
import re

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.convnet import (
    CONV_TRANSPOSES,
    CONVS,
    ChannelLayer,
    arg,
    class_bindings,
    container_of,
    find_layers,
    layer_of,
    members,
    previous_layer,
    shape_calls,
)
from explainer.arithmetic.model_files import CHANNELS, model_file_story, model_tool
from explainer.arithmetic.rank import layout, rank_fix
from explainer.arithmetic.shapes import Shape, fmt, times
from explainer.arithmetic.suspects import call_suspect, replace_arg
from explainer.model import Suspect

LAYOUT_LETTERS = {3: "N, C, L", 4: "N, C, H, W", 5: "N, C, D, H, W"}
CHANNELS_LAST_PERMUTE = {3: [0, 2, 1], 4: [0, 3, 1, 2], 5: [0, 4, 1, 2, 3]}
SPATIAL_LETTERS = {1: "L", 2: "H, W", 3: "D, H, W"}
IMAGE_LOADERS = (
    "Image.open",
    "imread",
    "read_image",
    "decode_image",
    "np.asarray",
    "np.array",
    "np.load",
    "from_numpy",
)


# -- channel mismatch -----------------------------------------------------------------------------


def _channel_numbers(ctx: Context, transposed: bool) -> tuple[Shape, Shape, int, int, int]:
    weight, inp = ctx.get("weight"), ctx.get("input")
    expected, got = ctx.get("expected_channels"), ctx.get("got_channels")
    groups = ctx.get("groups") if not transposed else 1
    if not isinstance(weight, Shape) or not isinstance(inp, Shape):
        raise Decline("weight or input shape missing")
    if not isinstance(expected, int) or not isinstance(got, int):
        raise Decline("channel counts missing")
    if len(weight) < 3 or len(inp) < 3:
        raise Decline("not a convolution's shapes")
    if len(weight) > len(inp):
        # ≤1.4 printed sizes with stray numbers after them: keep the dims the input has.
        weight = Shape(weight[: len(inp)])
    return weight, inp, expected, got, groups if isinstance(groups, int) and groups > 0 else 1


def channels_last(ctx: Context) -> Reasoning:
    """The input is [N, H, W, C]: its last dim is the channel count the conv expects."""
    weight, inp, expected, got, groups = _channel_numbers(ctx, transposed=False)
    if not is_channels_last(inp, expected, got):
        raise Decline("the input is not channels-last")
    if _previous_outputs(ctx, len(inp), expected, weight[0], got):
        raise Decline("the layer before the conv outputs these channels: not a layout problem")
    r = Reasoning()
    ndim = len(inp)
    perm = CHANNELS_LAST_PERMUTE.get(ndim)
    if perm is None:
        raise Decline("no channels-last layout of this rank")
    _describe_weight(r, weight, groups, expected)
    spatial = list(inp[1:-1])
    r.steps.append(
        f"The input is {inp}: read as {LAYOUT_LETTERS.get(ndim, 'N, C, ...')} it has {fmt(got)} "
        f"channels, but its last dim is {fmt(expected)}, the channel count the conv expects: "
        f"the tensor is channels-last, [N, {SPATIAL_LETTERS.get(len(spatial), '...')}, C] "
        f"= [{inp[0]}, {', '.join(str(d) for d in spatial)}, {inp[-1]}]."
    )
    fixed = Shape([inp[i] for i in perm])
    r.steps.append(f"permute{tuple(perm)} moves the channels to dim 1: {inp} → {fixed}.")
    if inp[0] == 1:
        r.notes.append(
            "A leading 1 may be PyTorch's own: an unbatched input [H, W, C] is shown with a batch "
            "of 1. For a single image use x.permute(2, 0, 1) before adding the batch dim."
        )
    r.values.update(
        layout="channels-last",
        permute=", ".join(str(p) for p in perm),
        fixed_shape=fixed,
        channel_dim=ndim - 1,
        in_channels=expected,
    )
    r.fix_values["permute"] = perm
    perm_text = ", ".join(str(p) for p in perm)
    r.fix_code = (
        f"x = x.permute({perm_text}).contiguous()   # {inp} → {fixed}, channels first\n"
        "# or, for numpy images: torch.from_numpy(img).permute(2, 0, 1)  /  "
        "torchvision.transforms.ToTensor() (HWC uint8 → CHW float)"
    )
    _data_suspects(ctx, r, inp, "builds the input channels-last", 0.6)
    _where_suspect(ctx, r, f"feeds the {inp} tensor to the conv", 0.7)
    return r


def _previous_outputs(ctx: Context, ndim: int, expected: int, out: int, got: int) -> bool:
    """Whether the source shows a layer before the conv that outputs `got` channels."""
    names = [n for n in CONVS if n.endswith(f"{ndim - 2}d")]
    for layer in find_layers(ctx.source, names, expected, out):
        prev = previous_layer(ctx.source, layer)
        if prev is not None and prev.out_channels == got:
            return True
    return False


def is_channels_last(inp: Shape, expected: int, got: int) -> bool:
    """Whether [N, ..., C] with C = the expected channels is the likely layout."""
    if inp[-1] != expected or inp[1] == expected or inp[1] != got:
        return False
    if len(inp) == 3:
        return True
    spatial = list(inp[1:-1])
    # [N, H, W, C]: the map is square or the channels are an image's (1-4) and the map is larger.
    return len(set(spatial)) == 1 or (expected <= 4 and min(spatial) > 4)


def in_channels(ctx: Context) -> Reasoning:
    """`Given groups=g, weight of size W, expected input[I] to have E channels, but got G`."""
    weight, inp, expected, got, groups = _channel_numbers(ctx, transposed=False)
    return _channel_mismatch(ctx, weight, inp, expected, got, groups, transposed=False)


def transposed_in_channels(ctx: Context) -> Reasoning:
    """`Given transposed=1, weight of size W, ...`: a ConvTranspose's in_channels is weight[0]."""
    weight, inp, expected, got, _ = _channel_numbers(ctx, transposed=True)
    return _channel_mismatch(ctx, weight, inp, expected, got, 1, transposed=True)


def _describe_weight(
    r: Reasoning, weight: Shape, groups: int, expected: int, transposed: bool = False
) -> None:
    kernel = " × ".join(str(k) for k in weight[2:])
    if transposed:
        r.steps.append(
            f"A ConvTranspose weight is [in_channels, out_channels / groups, *kernel]: {weight} is "
            f"a {kernel} transposed conv from {fmt(weight[0])} channels to "
            f"{fmt(weight[1])} × groups channels, so it expects {fmt(weight[0])} input channels."
        )
        return
    r.steps.append(
        f"A conv weight is [out_channels, in_channels / groups, *kernel]: {weight} is a {kernel} "
        f"conv from {fmt(weight[1] * groups)} to {fmt(weight[0])} channels"
        + (f" in {groups} groups" if groups > 1 else "")
        + "."
    )
    if groups > 1:
        r.steps.append(
            f"With groups={groups} each group sees weight[1] = {fmt(weight[1])} channels: the "
            f"input needs {fmt(weight[1])} × {groups} = {fmt(weight[1] * groups)} channels."
        )
    if weight[1] * groups != expected:
        r.notes.append(
            f"weight[1] × groups = {weight[1] * groups}, but the message says {expected}."
        )


def _channel_mismatch(
    ctx: Context, weight: Shape, inp: Shape, expected: int, got: int, groups: int, transposed: bool
) -> Reasoning:
    r = Reasoning()
    ndim = len(inp)
    _describe_weight(r, weight, groups, expected, transposed)
    letters = LAYOUT_LETTERS.get(ndim, "N, C, ...")
    r.steps.append(
        f"The input {inp} is read as [{letters}]: dim 1 holds {fmt(got)} channels, not "
        f"{fmt(expected)}."
    )
    out_channels = weight[1] * groups if transposed else weight[0]
    conv_name = ("ConvTranspose" if transposed else "Conv") + f"{max(ndim - 2, 1)}d"
    r.values.update(
        in_channels=expected,
        out_channels=out_channels,
        conv_name=conv_name,
        layer_code=_layer_code(conv_name, expected, out_channels, weight, groups),
        channel_story="",
        layout=f"[{letters}]",
    )
    r.fix_values["in_channels"] = got
    r.values["fix_advice"] = (
        f"Make the conv's in_channels {got} (what the input has), or give "
        f"the input {expected} channels."
    )
    tool = model_tool(ctx)
    if tool is not None and not transposed:
        r.fix_values.pop("in_channels")
        cause, fix, code = model_file_story(r, tool, got, expected, CHANNELS, "channels")
        r.values.update(channel_story=cause, fix_advice=fix)
        r.fix_code = code
        return r
    story = _source_story(ctx, r, expected, got, out_channels, ndim, transposed, groups)
    if not story and groups > 1 and not transposed and got % groups:
        story = _grouped_story(ctx, r, weight, expected, got, groups, conv_name)
    if not story:
        story = _data_story(ctx, r, inp, expected, got, groups)
    r.values["channel_story"] = story
    if r.fix_code is None:
        r.fix_code = (
            f"nn.{conv_name}({got}, {out_channels}, kernel_size={_kernel_text(weight)}"
            + (f", groups={groups}" if groups > 1 else "")
            + f")   # in_channels = the {got} channels the input has"
        )
    return r


def _layer_code(conv_name: str, in_ch: int, out_ch: int, weight: Shape, groups: int) -> str:
    return (
        f"nn.{conv_name}({in_ch}, {out_ch}, kernel_size={_kernel_text(weight)}"
        + (f", groups={groups}" if groups > 1 else "")
        + ")"
    )


def _kernel_text(weight: Shape) -> str:
    kernel = list(weight[2:])
    if len(set(kernel)) == 1:
        return str(kernel[0])
    return "(" + ", ".join(str(k) for k in kernel) + ")"


def _source_story(
    ctx: Context,
    r: Reasoning,
    expected: int,
    got: int,
    out_channels: int | None,
    ndim: int,
    transposed: bool,
    groups: int,
) -> str:
    """Find the constructor of the failing conv and the layer before it; a sentence, or ''."""
    names = CONV_TRANSPOSES if transposed else CONVS
    wanted = [n for n in names if n.endswith(f"{ndim - 2}d")] or list(names)
    layers = find_layers(ctx.source, wanted, expected, out_channels) if out_channels else []
    if not layers:
        layers = find_layers(ctx.source, wanted, expected, None)
    if not layers:
        return ""
    fits: list[tuple[ChannelLayer, ChannelLayer]] = []
    firsts: list[ChannelLayer] = []
    for layer in layers:
        prev = previous_layer(ctx.source, layer)
        if prev is None:
            firsts.append(layer)
        elif prev.out_channels == got:
            fits.append((layer, prev))
    if fits:
        layer, prev = fits[0]
        fixed = prev.out_expr if prev.out_expr and not prev.out_expr.isdigit() else str(got)
        new_line = _fixed_line(layer, fixed, groups)
        r.suspects.append(
            call_suspect(
                layer.call,
                f"builds the conv with in_channels={expected}, but the layer before it "
                f"({ast.unparse(prev.call.node)}) outputs {got} channels",
                0.92,
            )
        )
        r.suspects.append(call_suspect(prev.call, f"outputs the {got} channels", 0.4))
        r.steps.append(
            f"In your source the layer before it, `{ast.unparse(prev.call.node)}` "
            f"(line {prev.call.line}), outputs {got} channels: each conv's in_channels must be "
            "the previous layer's out_channels."
        )
        if groups > 1 and not transposed:
            r.notes.append(
                f"With groups={groups}, in_channels and out_channels must stay "
                f"divisible by {groups}; a depthwise conv uses groups=in_channels."
            )
        r.fix_code = f"{new_line.strip().rstrip(',')}   # was: {layer.call.code.strip()}"
        r.values["fix_advice"] = (
            f"Build the conv with in_channels={got}, the out_channels of the layer before it."
        )
        r.values["layer_code"] = ast.unparse(layer.call.node)
        return (
            f" The layer before it outputs {got} channels: its in_channels should be "
            f"{got}, the previous layer's out_channels."
        )
    layer = (firsts or layers)[0]
    r.values["layer_code"] = ast.unparse(layer.call.node)
    r.suspects.append(
        call_suspect(
            layer.call,
            f"builds the conv with in_channels={expected}; its input has {got} channels",
            0.75 if firsts else 0.6,
        )
    )
    return ""


def _fixed_line(layer: ChannelLayer, fixed: str, groups: int) -> str:
    """The constructor line with in_channels replaced; a depthwise conv (in = out = groups)
    keeps all three equal."""
    call = layer.call
    in_expr = arg(call, 0, "in_channels") or ""
    out_expr = arg(call, 1, "out_channels")
    groups_expr = call.kwargs.get("groups")
    depthwise = groups > 1 and groups_expr == in_expr
    if "in_channels" in call.kwargs:
        line = call.code.replace(f"in_channels={in_expr}", f"in_channels={fixed}", 1)
    else:
        line = replace_arg(call.code, call, 0, fixed)
    if depthwise:
        line = line.replace(f"groups={groups_expr}", f"groups={fixed}")
        if out_expr == in_expr and len(call.args) > 1:
            head, sep, tail = line.partition(fixed)
            tail = tail.replace(out_expr, fixed, 1)
            line = head + sep + tail
    return line


def _grouped_story(
    ctx: Context,
    r: Reasoning,
    weight: Shape,
    expected: int,
    got: int,
    groups: int,
    conv_name: str,
) -> str:
    """A grouped (depthwise) conv given a channel count that groups does not divide: rebuilding
    it with in_channels=got and the same groups is impossible, so say where the channels went."""
    out = weight[0]
    kernel = _kernel_text(weight)
    depthwise = weight[1] == 1
    r.fix_values.pop("in_channels", None)
    if depthwise:
        mult = out // groups if groups else 1
        shape = "×".join(str(k) for k in weight[2:])
        per = str(mult) if mult > 1 else "one"
        r.steps.append(
            f"The conv is depthwise: groups = in_channels = {fmt(expected)}, {per} "
            f"{shape} filter{'s' if mult > 1 else ''} per channel. in_channels must be divisible "
            f"by groups, so it cannot be rebuilt for {fmt(got)} channel{'s' if got != 1 else ''} "
            f"with groups={groups}: a depthwise conv on {fmt(got)} channel"
            f"{'s' if got != 1 else ''} has groups={got} and {got * mult} outputs."
        )
        if got == 1:
            r.steps.append(
                f"A 1-channel tensor at a depthwise layer built for {fmt(expected)} channels: "
                "a grayscale image (or one-channel map) reached a layer that filters the "
                f"{fmt(expected)} feature channels the layers before it should have made."
            )
            where = (
                " It is a grayscale image (or a one-channel map) where the model expects "
                f"the {expected} feature channels of the layers before this one: the model was "
                "built for another number of input channels, or the layers that should widen "
                "the channels were skipped."
            )
        else:
            where = (
                f" The layers before it give {got} channels where {expected} were planned: a "
                "changed width, or a skipped layer."
            )
        r.values["fix_advice"] = (
            f"Feed the depthwise conv the {expected} channels it filters: find where the "
            f"{got}-channel tensor comes from. Rebuilding it for {got} channel"
            f"{'s' if got != 1 else ''} means groups={got} as well, and then it outputs "
            f"{got * mult}, not {out}."
        )
        r.fix_values.update(in_channels=got, groups=got)
        lines = [
            f"print(x.shape)   # the depthwise conv needs [N, {expected}, ...]; this tensor has "
            f"{got} channel{'s' if got != 1 else ''}",
        ]
        if got == 1:
            lines.append(
                "# grayscale images into a model built for RGB: x = x.repeat(1, 3, 1, 1), or "
                "build the model with 1 input channel"
            )
        lines.append(
            f"nn.{conv_name}({got}, {got * mult}, kernel_size={kernel}, groups={got})   # "
            f"in_channels must stay divisible by groups; the next layer then gets {got * mult}"
        )
        r.fix_code = "\n".join(lines)
        return (
            f" The conv is depthwise (groups={groups}): in_channels must stay divisible by "
            f"groups, so it cannot just be rebuilt with in_channels={got}.{where}"
        )
    g = math.gcd(got, out)
    r.steps.append(
        f"in_channels and out_channels must both be divisible by groups: {fmt(got)} is not "
        f"divisible by {groups}, so the conv cannot keep groups={groups} for this input; "
        f"gcd({got}, {out}) = {g} is the largest groups that divides both."
    )
    r.values["fix_advice"] = (
        f"Give the input {expected} channels, or rebuild the conv for {got} with a groups "
        f"that divides both {got} and {out} (groups={g})."
    )
    r.fix_values.update(in_channels=got, groups=g)
    r.fix_code = (
        f"nn.{conv_name}({got}, {out}, kernel_size={kernel}, groups={g})   # groups must divide "
        f"in_channels ({got}) and out_channels ({out})"
    )
    return (
        f" With groups={groups} the conv needs a channel count divisible by {groups}; {got} is not."
    )


def _data_story(
    ctx: Context, r: Reasoning, inp: Shape, expected: int, got: int, groups: int
) -> str:
    """Explanations from the numbers alone: grayscale/RGB/RGBA, a missing channel dim."""
    if inp[0] == 1 and expected == 1 and got > 4 and len(inp) >= 4:
        r.steps.append(
            "An unbatched input is shown with a leading 1: a "
            f"[{', '.join(str(d) for d in inp[1:])}]"
            f" tensor reads as {got} channels of {times(inp[2:])}. With in_channels=1 this is "
            f"most likely a batch of {got} single-channel images without its channel dim."
        )
        r.fix_values["unsqueeze"] = 1
        r.fix_values.pop("in_channels", None)
        r.values["fix_advice"] = (
            "Add the channel dim: x.unsqueeze(1) turns [N, H, W] into [N, 1, H, W]."
        )
        r.fix_code = (
            f"x = x.unsqueeze(1)   # [{got}, {', '.join(str(d) for d in inp[2:])}] → "
            f"[{got}, 1, {', '.join(str(d) for d in inp[2:])}]: N, C=1, H, W"
        )
        _where_suspect(ctx, r, "passes images without their channel dim", 0.8)
        _data_suspects(ctx, r, Shape([got, *inp[2:]]), "builds images without a channel dim", 0.7)
        return (
            f" The input is most likely {got} single-channel images [N, H, W] without the "
            "channel dim: PyTorch read the batch as channels."
        )
    if got == 1 and expected > 1 and inp[0] == expected and len(inp) >= 4 and groups == 1:
        # [C, H, W] made a batch with unsqueeze(1): the channels became the batch.
        spatial = ", ".join(str(d) for d in inp[2:])
        r.steps.append(
            f"The batch dim holds {expected}, exactly the channel count the conv expects, and "
            f"the channel dim holds 1: [{expected}, 1, {spatial}] is one [{expected}, {spatial}] "
            f"image given its batch dim with unsqueeze(1) instead of unsqueeze(0), so its "
            f"{expected} channels became {expected} one-channel images."
        )
        r.fix_values.pop("in_channels", None)
        r.fix_values["unsqueeze"] = 0
        r.values["fix_advice"] = (
            f"Add the batch dim in front: x.unsqueeze(0) on the [{expected}, {spatial}] image "
            f"(not unsqueeze(1)), or x.transpose(0, 1) on this tensor. If these really are "
            f"{expected} grayscale images, repeat them to {expected} channels instead."
        )
        r.fix_code = (
            f"x = image.unsqueeze(0)   # [{expected}, {spatial}] → [1, {expected}, {spatial}]; "
            "unsqueeze(1) gave the batch the channels\n"
            f"# or, on the tensor as it is: x = x.transpose(0, 1)   # [{expected}, 1, ...] → "
            f"[1, {expected}, ...]"
        )
        for call in ctx.source.calls("unsqueeze"):
            dim = call.args[0].strip() if call.args else call.kwargs.get("dim", "").strip()
            if dim == "1":
                r.suspects.append(call_suspect(call, "unsqueeze(1) puts the batch dim second", 0.8))
        _where_suspect(ctx, r, "feeds the image with its channels in the batch dim", 0.5)
        return (
            f" The input is [{expected}, 1, {spatial}]: the batch equals the {expected} channels "
            f"the conv expects, the mark of an image [{expected}, {spatial}] given its batch dim "
            "with unsqueeze(1) instead of unsqueeze(0) — its channels became the batch (it is "
            "not a grayscale batch unless you really have exactly that many one-channel images)."
        )
    kinds = {1: "grayscale", 3: "RGB", 4: "RGBA"}
    if expected in kinds and got in kinds and expected != got:
        r.steps.append(
            f"{got} channels against {expected}: {kinds[got]} images into a model built for "
            f"{kinds[expected]} ones."
        )
        r.values["fix_advice"] = (
            f"Give the model {kinds[expected]} input (convert the images when loading), or build "
            f"the first conv with in_channels={got}."
        )
        if expected == 3 and got == 1:
            r.fix_values["repeat"] = [1, 3] + [1] * (len(inp) - 2)
            r.fix_code = (
                "x = x.repeat(1, 3, 1, 1)   # grayscale → 3 identical channels\n"
                "# or load images with Image.open(p).convert('RGB'), or build the first conv "
                "with in_channels=1"
            )
        elif expected == 3 and got == 4:
            r.fix_values["channels"] = "[:, :3]"
            r.fix_code = (
                "x = x[:, :3]   # drop the alpha channel\n"
                "# or load images with Image.open(p).convert('RGB')"
            )
        elif expected == 1:
            r.fix_code = (
                "x = x.mean(dim=1, keepdim=True)   # RGB → one channel\n"
                "# or load images with Image.open(p).convert('L'), or build the first "
                f"conv with in_channels={got}"
            )
        _data_suspects(ctx, r, inp, f"builds {kinds[got]} images", 0.55)
        _loader_suspects(ctx, r, f"loads the images as {kinds[got]}")
        _where_suspect(ctx, r, f"feeds {kinds[got]} images to the model", 0.3)
        return (
            f" The images are {kinds[got]} ({got} channel{'s' if got > 1 else ''}) but the "
            f"model was built for {kinds[expected]} ({expected})."
        )
    if groups > 1 and got % groups:
        r.notes.append(f"{got} is not divisible by groups={groups} either.")
    if got > expected and got % expected == 0 and expected > 1:
        r.steps.append(
            f"{fmt(got)} = {got // expected} × {fmt(expected)}: a concatenation (skip connection, "
            "stacked frames) or a wider previous layer gives more channels than the conv was "
            "built for."
        )
    _where_suspect(ctx, r, "passes the input with the mismatched channels", 0.3)
    return ""


def _where_suspect(ctx: Context, r: Reasoning, reason: str, score: float) -> None:
    where = ctx.where
    if where is not None and where.line is not None:
        r.suspects.append(Suspect(where.file, where.line, where.code or "", reason, score))


def _data_suspects(ctx: Context, r: Reasoning, shape: Shape, reason: str, score: float) -> None:
    dims = list(shape)
    seen = set()
    # the batch, one sample, and one sample as decoded (channels last: [H, W, C])
    for wanted in (dims, dims[1:], dims[2:] + dims[1:2]):
        if len(wanted) < 3:
            continue
        for call in shape_calls(ctx.source, wanted, min_args=3):
            if (call.file, call.line) not in seen:
                seen.add((call.file, call.line))
                r.suspects.append(call_suspect(call, reason, score))


def _loader_suspects(ctx: Context, r: Reasoning, reason: str) -> None:
    for call in ctx.source.calls():
        if any(call.func.endswith(name) for name in IMAGE_LOADERS):
            r.suspects.append(call_suspect(call, reason, 0.35))


# -- input rank ------------------------------------------------------------------------------------


def input_rank(ctx: Context) -> Reasoning:
    """`Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [...]`,
    and ≤1.10's `Expected 4-dimensional input for 4-dimensional weight W, but got ...`."""
    shape = ctx.get("input_shape")
    weight = ctx.get("weight")
    op = ctx.get("op")
    spatial = _spatial_dims(ctx, weight, op)
    if spatial is None:
        raise Decline("cannot tell the conv's dimensionality")
    if not isinstance(shape, Shape):
        return _rank_without_shape(ctx, spatial)
    batched = spatial + 2
    if len(shape) in (batched, batched - 1) and not isinstance(weight, Shape):
        raise Decline("the input has a rank the conv takes")
    weight_shape = Shape(weight[:batched]) if isinstance(weight, Shape) else None
    name = op if isinstance(op, str) else f"conv{spatial}d"
    in_ch = weight_shape[1] if weight_shape is not None else _conv_in_channels(ctx, spatial)
    r = Reasoning()
    letters = layout(spatial)
    r.steps.append(
        f"{name} takes [{letters}] ({batched}-D) or, unbatched, [{letters[3:]}] "
        f"({batched - 1}-D); the input {shape} has {len(shape)} dims."
    )
    if weight_shape is not None:
        r.steps.append(
            f"The weight {weight_shape} is [out_channels, in_channels, *kernel]: the "
            f"conv takes {weight_shape[1]} input channels."
        )
        if len(shape) == batched - 1:
            r.notes.append("Releases ≥1.11 accept an unbatched input; ≤1.10 needs the batch dim.")
    elif in_ch is not None:
        r.steps.append(f"In your source the conv it calls takes in_channels={in_ch}.")
    fix = rank_fix(shape, spatial, in_ch)
    r.steps.append(fix.story)
    r.values.update(
        conv_dims=spatial,
        batched_dims=batched,
        unbatched_dims=batched - 1,
        ndim=len(shape),
        layout=f"[{letters}]",
        op_name=name,
        rank_story=fix.story,
        input_text=str(shape),
    )
    if fix.shape is not None:
        r.fix_values["input_shape"] = list(fix.shape)
        r.values["rank_advice"] = f"Give the conv a {batched}-D input: {fix.shape}."
    elif fix.how == "empty":
        r.values["rank_advice"] = (
            f"Find why the input {shape} is empty (a missing image or mask) before the conv."
        )
        r.fix_values["numel"] = 0
    elif fix.how == "features":
        r.values["rank_advice"] = (
            f"Pass images [{letters}] to the conv, not the {shape} feature vectors."
        )
    else:
        r.values["rank_advice"] = f"Reshape the input to [{letters}] before the conv."
    r.fix_code = fix.code
    _rank_suspects(ctx, r, shape, fix.how)
    return r


def _rank_without_shape(ctx: Context, spatial: int) -> Reasoning:
    """0.2-0.3's `Expected 4D tensor as input, got 3D tensor instead`: only the ranks."""
    ndim = ctx.get("input_dims")
    if not isinstance(ndim, int):
        raise Decline("input shape missing")
    batched = spatial + 2
    letters = layout(spatial)
    r = Reasoning()
    missing = batched - ndim
    story = (
        f"The input lacks {missing} dim{'s' if missing > 1 else ''}: one [C, H, W] image needs "
        "unsqueeze(0) for its batch dim; a batch without channels needs unsqueeze(1)."
        if missing > 0
        else f"The input has {-missing} dim{'s' if missing < -1 else ''} too many."
    )
    r.steps.append(f"conv{spatial}d takes [{letters}] ({batched}-D); the input has {ndim} dims.")
    r.steps.append(story)
    r.values.update(
        conv_dims=spatial,
        batched_dims=batched,
        unbatched_dims=batched - 1,
        ndim=ndim,
        layout=f"[{letters}]",
        op_name=f"conv{spatial}d",
        rank_story=story,
        input_text="(shape not printed)",
        rank_advice=f"Give the conv a {batched}-D input [{letters}].",
    )
    r.fix_values["input_dims"] = batched
    if missing == 1:
        r.fix_code = "x = x.unsqueeze(0)   # [C, H, W] → [1, C, H, W]"
    else:
        r.fix_code = f"# reshape the input to [{letters}]"
    _where_suspect(ctx, r, "passes the input to the conv", 0.7)
    return r


def _spatial_dims(ctx: Context, weight: object, op: object) -> int | None:
    if isinstance(op, str) and op and op[-2:-1].isdigit():
        return int(op[-2])
    dims = ctx.get("weight_dims", "batched_dims")
    if isinstance(dims, int) and dims >= 3:
        return dims - 2
    if isinstance(weight, Shape) and len(weight) >= 3:
        return len(weight) - 2
    return None


def _conv_in_channels(ctx: Context, spatial: int) -> int | None:
    """in_channels of the conv the failing line calls (`self.conv1(x)`, `self.features(x)`)."""
    where = ctx.where
    if where is None or not where.code:
        return None
    names = (f"Conv{spatial}d", f"ConvTranspose{spatial}d")
    for call in ctx.source.calls(*names):
        target = call.target or ""
        attr = target.split(".", 1)[1] if target.startswith("self.") else None
        if attr is None:
            container = container_of(ctx.source, call)
            if container is None or not (container.target or "").startswith("self."):
                continue
            first = next((m for m in members(ctx.source, container) if m.name in names), None)
            if first is None or first.node is not call.node:
                continue
            attr = (container.target or "").split(".", 1)[1]
        if f"self.{attr}(" not in where.code:
            continue
        for env in class_bindings(ctx.source, call.cls) + [{}]:
            layer = layer_of(ctx.source, call, env)
            if layer.in_channels:
                return layer.in_channels
    return None


def _rank_suspects(ctx: Context, r: Reasoning, shape: Shape, how: str) -> None:
    src = ctx.source
    if how.startswith("squeeze"):
        for call in src.calls("unsqueeze"):
            r.suspects.append(call_suspect(call, "adds a dim", 0.6))
    if how == "view":
        for call in src.calls("Linear"):
            out = src.eval_int(arg(call, 1, "out_features") or "", call)
            if out == shape[-1]:
                r.suspects.append(
                    call_suspect(
                        call, f"outputs {fmt(shape[-1])} flat features, never viewed as a map", 0.5
                    )
                )
    _where_suspect(ctx, r, f"passes the {len(shape)}-D input to the conv", 0.8)


# -- conv argument checks --------------------------------------------------------------------------


def bias_size(ctx: Context) -> Reasoning:
    """`Given weight of size W, expected bias to be 1-dimensional with O elements, but got ...`."""
    weight, bias, n = ctx.get("weight"), ctx.get("bias"), ctx.get("expected_elements")
    if not isinstance(weight, Shape) or not isinstance(n, int):
        raise Decline("numbers missing")
    r = Reasoning()
    r.steps.append(
        f"The weight {weight} has out_channels = weight[0] = {weight[0]}: the bias needs one value "
        f"per output channel, [{n}]; it is {bias}."
    )
    r.values["bias_shape"] = bias if isinstance(bias, Shape) else "?"
    r.fix_values["bias_elements"] = n
    _where_suspect(ctx, r, "passes the bias", 0.6)
    return r


def groups_divisible(ctx: Context) -> Reasoning:
    """`in_channels must be divisible by groups` and the functional weight check."""
    r = Reasoning()
    which = ctx.get("which") or "in_channels"
    weight, groups = ctx.get("weight"), ctx.get("groups")
    if isinstance(weight, Shape) and isinstance(groups, int) and groups:
        r.steps.append(
            f"weight[0] = out_channels = {weight[0]} must split into groups={groups}: "
            f"{weight[0]} / {groups} = {weight[0] / groups:.4g}."
        )
        r.values.update(which="out_channels (weight[0])", groups_value=groups)
        ok = [g for g in range(1, weight[0] + 1) if weight[0] % g == 0]
        r.values["valid_groups"] = ", ".join(str(g) for g in ok[:12])
        r.values["groups_text"] = f"groups={groups}"
        r.values["valid_text"] = f"the divisors that would work are {r.values['valid_groups']}"
        _where_suspect(ctx, r, "calls the conv with this weight and groups", 0.6)
        return r
    r.values.update(
        which=which,
        groups_value="groups",
        valid_groups="its divisors",
        groups_text="groups",
        valid_text=f"groups must be a divisor of {which} (and of the other channel count)",
    )
    found = False
    for call in ctx.source.calls(*CONVS, *CONV_TRANSPOSES):
        g_expr = call.kwargs.get("groups") or (call.args[6] if len(call.args) > 6 else None)
        if not g_expr:
            continue
        g = ctx.source.eval_int(g_expr, call)
        index = 0 if which == "in_channels" else 1
        ch = ctx.source.eval_int(arg(call, index, which) or "", call)
        if g and ch and ch % g:
            r.steps.append(
                f"`{call.code}`: {which}={ch} is not divisible by groups={g} "
                f"({ch} / {g} = {ch / g:.4g})."
            )
            r.values["groups_value"] = g
            divisors = [d for d in range(1, ch + 1) if ch % d == 0]
            r.values["valid_groups"] = ", ".join(str(d) for d in divisors[:12])
            r.values["groups_text"] = f"groups={g}"
            r.values["valid_text"] = (
                f"the divisors of {which}={ch} that would work are {r.values['valid_groups']}"
            )
            r.fix_values["groups"] = max(d for d in divisors if d <= g)
            r.suspects.append(call_suspect(call, f"{which}={ch} and groups={g}", 0.9))
            found = True
            break
    if not found:
        r.steps.append(
            f"{which} must be a multiple of groups: each group gets {which} / groups channels."
        )
        # The groups value is often in the prose around the message ("when group = 8").
        said = re.search(r"\bgroups?\s*=\s*(\d+)", ctx.parsed.text)
        if said and int(said[1]) > 1:
            g = int(said[1])
            multiples = ", ".join(str(g * k) for k in range(1, 5))
            r.values["groups_text"] = f"groups={g}"
            r.values["valid_text"] = (
                f"every conv built with groups={g} needs {which} (and the other channel "
                f"count) to be a multiple of {g} ({multiples}, …)"
            )
            r.steps.append(
                f"With groups={g} (as the text says), one of the convs has {which} that is "
                f"not a multiple of {g}: check every channel count the model derives for "
                f"this setting."
            )
            r.fix_values["multiple_of"] = g
        _where_suspect(ctx, r, "builds the conv", 0.6)
    return r


def param_length(ctx: Context) -> Reasoning:
    """`expected stride to be a single integer value or a list of N values ...`."""
    param, n, value = ctx.get("param"), ctx.get("n"), ctx.get("value")
    if not isinstance(n, int) or not isinstance(value, Shape):
        raise Decline("numbers missing")
    r = Reasoning()
    r.steps.append(
        f"The weight's rank sets the conv's spatial dims: {n} ({n + 2}-D weight, conv{n}d). "
        f"{param}={value} has {len(value)} values."
    )
    if len(value) == n + 1:
        r.steps.append(
            f"{len(value)} values = {len(value)} spatial dims: the {param} was written for "
            f"conv{len(value)}d, or the weight lost a dim (a conv{n + 1}d weight needs "
            f"{n + 3} dims)."
        )
    r.values.update(conv_dims=n, given=len(value))
    r.fix_values[str(param)] = [value[0]] * n if len(set(value)) == 1 else list(value[:n])
    _where_suspect(ctx, r, "calls the conv", 0.6)
    return r


def transposed_output_size(ctx: Context) -> Reasoning:
    """`requested an output size of S, but valid sizes range from [a] to [b] ...`."""
    lo, hi = ctx.get("min_size"), ctx.get("max_size")
    if not isinstance(lo, Shape) or not isinstance(hi, Shape):
        raise Decline("numbers missing")
    r = Reasoning()
    r.steps.append(
        "A transposed conv gives (H − 1)·stride − 2·padding + dilation·(k − 1) + 1 per side, "
        f"plus an output_padding below the stride: from {lo} to {hi} here."
    )
    r.fix_values["output_size"] = list(lo)
    r.values["valid_range"] = f"{lo} to {hi}"
    _where_suspect(ctx, r, "asks for the output size", 0.6)
    return r


def output_padding(ctx: Context) -> Reasoning:
    """`output padding must be smaller than either stride or dilation, ...`."""
    oph, sh, dh = ctx.get("output_padding_h"), ctx.get("stride_h"), ctx.get("dilation_h")
    opw, sw, dw = ctx.get("output_padding_w"), ctx.get("stride_w"), ctx.get("dilation_w")
    if not all(isinstance(v, int) for v in (oph, sh, dh, opw, sw, dw)):
        raise Decline("numbers missing")
    r = Reasoning()
    r.steps.append(
        f"output_padding adds up to stride − 1 rows to resolve the rounding of a strided conv: "
        f"it must be < max(stride, dilation). Height: {oph} vs stride {sh}, dilation {dh}; "
        f"width: {opw} vs stride {sw}, dilation {dw}."
    )
    limit_h, limit_w = max(sh, dh) - 1, max(sw, dw) - 1  # type: ignore[operator]
    r.fix_values["output_padding"] = [min(oph, limit_h), min(opw, limit_w)]  # type: ignore[type-var]
    r.values["max_output_padding"] = f"({limit_h}, {limit_w})"
    for call in ctx.source.calls(*CONV_TRANSPOSES):
        if "output_padding" in call.kwargs:
            r.suspects.append(call_suspect(call, "sets output_padding", 0.85))
    _where_suspect(ctx, r, "runs the transposed conv", 0.3)
    return r


def where_only(ctx: Context) -> Reasoning:
    """For argument checks whose message has no numbers: point at the line that raised."""
    r = Reasoning()
    _where_suspect(ctx, r, "calls the layer with these arguments", 0.6)
    return r


def channels_only(ctx: Context) -> Reasoning:
    """0.1-0.2's cuDNN check `Need input.size[1] == 3 but got 1 instead.`: only the counts."""
    expected, got = ctx.get("expected_channels"), ctx.get("got_channels")
    if not isinstance(expected, int) or not isinstance(got, int):
        raise Decline("channel counts missing")
    r = Reasoning()
    r.steps.append(
        f"The conv expects {expected} channels in dim 1 of its input (in_channels × groups); "
        f"the input has {got}."
    )
    r.fix_values["in_channels"] = got
    r.values["channel_story"] = ""
    for ndim in (4, 3, 5):
        story = _source_story(ctx, r, expected, got, None, ndim, False, 1)
        if story or r.suspects:
            r.values["channel_story"] = story
            break
    if not r.suspects:
        _where_suspect(ctx, r, "passes the input to the conv", 0.5)
    return r
