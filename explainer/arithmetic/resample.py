"""Resampling and padding: F.interpolate's spatial dims and modes, F.pad's tuple and its
reflect/circular limits, and the shape rules of pixel_shuffle, fold, grid_sample and affine_grid.

F.interpolate and F.pad count dims from the end: interpolate treats every dim after [N, C] as
spatial and wants one size (or scale factor) per spatial dim; F.pad reads its tuple as
(left, right) pairs, last dim first, and reflect padding must stay below the size of the dim it
pads (a mirror cannot reflect more than the dim holds).
"""

from __future__ import annotations

import re

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.shapes import Shape, fmt
from explainer.arithmetic.suspects import call_suspect
from explainer.model import Suspect

MODE_DIMS = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5, "lanczos": 4}
# The release that added a mode: older releases list the modes they have in the message.
MODE_SINCE = {"bicubic": "1.1", "nearest-exact": "1.11", "area": "0.4.1"}
MODES = (
    "nearest",
    "linear",
    "bilinear",
    "bicubic",
    "trilinear",
    "area",
    "nearest-exact",
    "lanczos",
)
PAD_CALLS = (
    "pad",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ZeroPad2d",
    "Conv1d",
    "Conv2d",
    "Conv3d",
)
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _where(ctx: Context, r: Reasoning, reason: str, score: float) -> None:
    where = ctx.where
    if where is not None and where.line is not None:
        r.suspects.append(Suspect(where.file, where.line, where.code or "", reason, score))


def _count(value: object) -> list[str]:
    """The numbers a captured size or scale factor lists: `(8,)`, `[2.0, 2.0]`, `Size([8])`."""
    if isinstance(value, Shape):
        return [str(d) for d in value]
    if isinstance(value, int):
        return [str(value)]
    if isinstance(value, str):
        text = value.replace("torch.Size", "")
        return NUMBER.findall(text)
    return []


# -- interpolate -----------------------------------------------------------------------------------

CHANNEL_COUNTS = (1, 3, 4)


def _size_with_channels(ctx: Context, r: Reasoning, sizes: list[int], n_in: int, what: str) -> bool:
    """`size=labels.shape[1:]`: one value too many, and it is a channel count (3 of an RGB label
    [N, H, W, 3], or C of [N, C, H, W]) next to the spatial sizes."""
    if len(sizes) != n_in + 1 or n_in < 1:
        return False
    if sizes[-1] in CHANNEL_COUNTS and all(v > 4 for v in sizes[:-1]):
        spatial, channels, layout = sizes[:-1], sizes[-1], "channels-last [N, H, W, C]"
        take = f"shape[1:{n_in + 1}]"
    elif sizes[0] in CHANNEL_COUNTS and all(v > 4 for v in sizes[1:]):
        spatial, channels, layout = sizes[1:], sizes[0], "channels-first [N, C, H, W]"
        take = f"shape[-{n_in}:]"
    else:
        return False
    code = " ".join(ctx.frame_codes()) + " " + ctx.parsed.text
    m = re.search(r"size\s*=\s*([A-Za-z_][\w.]*)\.(?:shape|size\(\))\s*\[\s*1\s*:\s*\]", code)
    source = m.group(1) if m else None
    shown = ", ".join(str(v) for v in sizes)
    r.steps.append(
        f"The size [{shown}] is {n_in} spatial size{'s' if n_in != 1 else ''} "
        f"{spatial} plus {channels}, a channel count: it is the shape of a {layout} tensor "
        f"without its batch dim"
        + (f", `{source}.shape[1:]`" if source else "")
        + ", where only its spatial sizes belong."
    )
    if source and channels == 3 and layout.startswith("channels-last"):
        r.steps.append(
            f"`{source}` is [N, {', '.join(map(str, spatial))}, 3]: a label or mask stored as an "
            "RGB image. A segmentation target is usually a map of class ids [N, H, W]: convert "
            "the colours to ids when loading, then its shape[1:] is the spatial size."
        )
    name = source or "target"
    r.values["dims_advice"] = (
        f"Pass only the spatial size, {spatial}: {name}.{take} instead of {name}.shape[1:], "
        f"which carries the channel count {channels}."
    )
    r.fix_values["size"] = spatial
    m = re.search(r"interpolate\(\s*([A-Za-z_][\w.]*)", code)
    x = m.group(1) if m else "x"
    r.fix_code = (
        f"F.interpolate({x}, size={name}.{take}, ...)   # {tuple(spatial)}: the spatial dims only"
    )
    return True


def _input_with_channels(ctx: Context, r: Reasoning, in_sizes: list[int], n_out: int) -> bool:
    """The input has one spatial dim too many: a trailing channel count (an image read
    channels-last and given two leading dims) or a stray dim of 1."""
    if len(in_sizes) != n_out + 1 or n_out < 1:
        return False
    m = re.search(r"interpolate\(\s*([A-Za-z_][\w.]*)", " ".join(ctx.frame_codes()))
    x = m.group(1) if m else "x"
    if in_sizes[-1] in CHANNEL_COUNTS and all(v > 4 for v in in_sizes[:-1]):
        c = in_sizes[-1]
        hw = ", ".join(str(v) for v in in_sizes[:-1])
        r.steps.append(
            f"The input's last dim, {c}, is a channel count: the tensor is [N, C, {hw}, {c}], an "
            f"image read channels-last ([{hw}, {c}], as PIL, OpenCV and imageio give it) that "
            "got two leading dims instead of having its channels moved to dim 1."
        )
        r.values["dims_advice"] = (
            f"Give the input [N, C, H, W]: keep one channel ({x}[..., 0]) of a one-channel map "
            f"(a depth or disparity map saved as an image repeats it in its {c} channels), or "
            "move a colour image's channels to dim 1."
        )
        r.fix_values["input_dims"] = n_out + 2
        r.fix_code = (
            f"{x} = {x}[..., 0]   # a one-channel map read as RGB: [N, 1, H, W, {c}] → "
            "[N, 1, H, W]\n"
            f"# a colour image: {x} = {x}.squeeze(1).permute(0, 3, 1, 2)   # → [N, {c}, H, W]"
        )
        return True
    if in_sizes[0] == 1 and all(v > 1 for v in in_sizes[1:]):
        r.steps.append(
            f"The input's first spatial dim is 1: a stray dim ([N, C, 1, ...]) makes it "
            f"{n_out + 3}-D, so F.interpolate sees {n_out + 1} spatial dims."
        )
        r.values["dims_advice"] = "Drop the stray dim of 1: x.squeeze(2) before the resize."
        r.fix_values["input_dims"] = n_out + 2
        r.fix_code = f"F.interpolate({x}.squeeze(2), size=...)   # [N, C, 1, H, W] → [N, C, H, W]"
        return True
    return False


def interpolate_dims(ctx: Context) -> Reasoning:
    """`Input and output must have the same number of spatial dimensions, but got input with
    spatial dimensions of [..] and output size of (..)`, and ≤1.x's `size shape must match input
    shape. Input is 2D, size is 1`."""
    given = ctx.get("out_size", "scale_factor")
    what = (
        "scale_factor"
        if ctx.get("scale_factor") is not None or ctx.get("kind") == "scale_factor"
        else "size"
    )
    spatial = ctx.get("in_spatial")
    if isinstance(spatial, Shape):
        n_in = len(spatial)
        spatial_text = str(spatial)
    elif isinstance(ctx.get("input_spatial_dims"), int):
        n_in = ctx.get("input_spatial_dims")
        spatial_text = f"{n_in} spatial dim{'s' if n_in != 1 else ''}"
    else:
        raise Decline("no input dims")
    listed = _count(given)
    n_out = len(listed) if listed else ctx.get("given_len")
    if not isinstance(n_out, int):
        raise Decline("no size length")
    r = Reasoning()
    r.steps.append(
        f"F.interpolate reads the input as [N, C, *spatial]: every dim after the first two is "
        f"spatial. Here the spatial dims are {spatial_text} ({n_in}), and the {what} lists "
        f"{n_out} value{'s' if n_out != 1 else ''}."
    )
    need_dims = n_out + 2
    sizes = [int(float(v)) for v in listed] if what == "size" and listed else []
    in_sizes = list(spatial) if isinstance(spatial, Shape) else []
    if _size_with_channels(ctx, r, sizes, n_in, what) or _input_with_channels(
        ctx, r, in_sizes, n_out
    ):
        pass
    elif n_out - n_in == 2:
        r.steps.append(
            f"The input has {n_in + 2} dims: a bare map without batch and channel dims. "
            f"x[None, None] makes it [1, 1, ...] ({need_dims}-D)."
        )
        r.values["dims_advice"] = (
            f"Give the input {need_dims} dims: x[None, None] for a bare "
            "map (and [0, 0] on the result)."
        )
        r.fix_values["input_dims"] = need_dims
        r.fix_code = f"F.interpolate(x[None, None], {what}=...)[0, 0]"
    elif n_out > n_in:
        r.steps.append(
            f"The input has {n_in + 2} dims where a {n_out}-D resize needs {need_dims}: a mask or "
            "map without its channel dim ([N, H, W]: unsqueeze(1)) or one image without its batch "
            "dim ([C, H, W]: unsqueeze(0))."
        )
        r.values["dims_advice"] = (
            f"Give the input {need_dims} dims: x.unsqueeze(1) for a [N, H, W] mask (squeeze(1) "
            "after), x.unsqueeze(0) for one [C, H, W] image."
        )
        r.fix_values["input_dims"] = need_dims
        r.fix_code = (
            f"F.interpolate(x.unsqueeze(1), {what}=...).squeeze(1)   # [N, H, W] → "
            "[N, 1, H, W] and back"
        )
    else:
        r.steps.append(
            f"The {what} has fewer values than the input has spatial dims: give {n_in} values, "
            "or one int for all of them."
        )
        r.values["dims_advice"] = (
            f"Give {what} {n_in} values (one per spatial dim), or a single number for all of them."
        )
        if listed and len(set(listed)) == 1:
            r.fix_values[what] = (
                [int(float(listed[0]))] * n_in if what == "size" else [float(listed[0])] * n_in
            )
        r.fix_code = (
            f"F.interpolate(x, {what}=({', '.join([listed[0] if listed else '...'] * n_in)}))"
        )
    r.values.update(n_in=n_in, n_out=n_out, what=what, spatial_text=spatial_text)
    for call in ctx.source.calls("interpolate", "upsample", "Upsample"):
        r.suspects.append(call_suspect(call, "resizes the input", 0.6))
    _where(ctx, r, "calls interpolate", 0.7)
    return r


def interpolate_mode(ctx: Context) -> Reasoning:
    """`Got 3D input, but bilinear mode needs 4D input`, and `Input Error: Only 3D, 4D and 5D
    input Tensors supported (got 2D) for the modes: ... (got bilinear)`."""
    ndim, mode = ctx.get("ndim"), ctx.get("mode")
    if not isinstance(ndim, int) or not isinstance(mode, str):
        raise Decline("numbers missing")
    need = ctx.get("need") if isinstance(ctx.get("need"), int) else MODE_DIMS.get(mode)
    r = Reasoning()
    r.values.update(mode=mode, ndim=ndim)
    if mode not in MODES:
        close = [m for m in MODES if mode in m or m in mode]
        r.steps.append(
            f"'{mode}' is not an interpolation mode; the modes are " + ", ".join(MODES) + "."
        )
        r.values["mode_advice"] = (
            f"Use one of the modes, e.g. mode='{close[0]}'."
            if close
            else "Use one of the listed modes."
        )
        r.values["mode_story"] = f"'{mode}' is not one of the modes"
        r.values["why_text"] = f"'{mode}' is not one of the modes: the input has {ndim} dims."
        if close:
            r.fix_values["mode"] = close[0]
        r.fix_code = f"F.interpolate(x, ..., mode='{close[0] if close else 'bilinear'}')"
        _where(ctx, r, "names the mode", 0.7)
        return r
    listed = _listed_modes(ctx.get("modes"))
    if listed and mode not in listed:
        return _mode_missing(ctx, r, mode, ndim, listed)
    if need is None:
        need = 4 if ndim < 3 else None
    spatial = {3: "[N, C, L]", 4: "[N, C, H, W]", 5: "[N, C, D, H, W]"}
    if need is None:
        raise Decline("cannot tell the needed rank")
    r.steps.append(
        f"mode='{mode}' resizes {need - 2} spatial dim{'s' if need > 3 else ''}: it needs a "
        f"{need}-D input {spatial[need]}; the input has {ndim} dims."
    )
    wants_other_mode = ndim > need or (ndim >= 3 and mode in ("trilinear", "linear"))
    if ndim < need and not wants_other_mode:
        missing = need - ndim
        if missing == 1:
            how = (
                "x.unsqueeze(0) for one [C, H, W] image (or unsqueeze(1) for a batch without "
                "channels)"
            )
            code = f"F.interpolate(x.unsqueeze(0), ..., mode='{mode}').squeeze(0)"
        else:
            how = "x[None, None] for a bare [H, W] map"
            code = f"F.interpolate(x[None, None], ..., mode='{mode}')[0, 0]"
        r.steps.append(f"Add the missing dim{'s' if missing > 1 else ''}: {how}.")
        r.values["mode_advice"] = f"Give the input {need} dims: {how}."
        r.fix_code = code
    else:
        other = {3: "linear", 4: "bilinear", 5: "trilinear"}.get(ndim)
        r.steps.append(
            f"A {ndim}-D input takes mode='{other}' (or 'nearest')."
            if other
            else "Reshape the input."
        )
        r.values["mode_advice"] = (
            f"Use mode='{other}' for a {ndim}-D input, or reshape it to {need} dims."
        )
        r.fix_code = f"F.interpolate(x, ..., mode='{other}')" if other else "# reshape the input"
        if other:
            r.fix_values["mode"] = other
    r.fix_values["input_dims"] = need
    r.values["mode_story"] = f"mode='{mode}' needs a {need}-D input and got {ndim}-D"
    r.values["why_text"] = f"{r.values['mode_story']}: the input has {ndim} dims."
    for call in ctx.source.calls("interpolate", "Upsample", "upsample"):
        r.suspects.append(call_suspect(call, f"resizes with mode={mode}", 0.55))
    _where(ctx, r, "calls interpolate", 0.7)
    return r


def _listed_modes(raw: object) -> list[str]:
    if not isinstance(raw, str):
        return []
    return [m.strip() for m in raw.split("|") if m.strip()]


def _mode_missing(ctx: Context, r: Reasoning, mode: str, ndim: int, listed: list[str]) -> Reasoning:
    """A real mode that the message's list of modes lacks: the release predates it."""
    since = MODE_SINCE.get(mode)
    fallback = "bilinear" if mode in ("bicubic", "lanczos") else "nearest"
    r.steps.append(
        f"The message lists the modes this PyTorch release has: {', '.join(listed)}. "
        f"'{mode}' is not among them, so the {ndim}-D input is not the problem: the message "
        "only names the input's rank because the release has no branch for the mode."
    )
    if since:
        r.steps.append(f"mode='{mode}' was added to F.interpolate in PyTorch {since}.")
    r.values["mode_story"] = (
        f"this PyTorch release has no mode='{mode}' (its modes: {' | '.join(listed)})"
        + (f"; it arrived in PyTorch {since}" if since else "")
    )
    r.values["why_text"] = (
        f"The PyTorch release that raised this has no mode='{mode}': the modes it lists are "
        f"{' | '.join(listed)}. The input's {ndim} dims are fine; "
        + (f"'{mode}' arrived in PyTorch {since}." if since else "the mode came later.")
    )
    r.values["mode_advice"] = (
        f"Upgrade PyTorch{f' to {since} or later' if since else ''}, or use a mode this "
        f"release has (mode='{fallback}')."
    )
    r.fix_values["mode"] = fallback
    if since:
        r.fix_values["torch_version"] = f">={since}"
    r.fix_code = (
        f"pip install 'torch>={since}'   # has mode='{mode}'\n" if since else ""
    ) + f"F.interpolate(x, ..., mode='{fallback}')   # or, on this release"
    _where(ctx, r, f"asks for mode='{mode}'", 0.6)
    return r


def interpolate_zero(ctx: Context) -> Reasoning:
    """`Input and output sizes should be greater than 0, but got input (H: 4, W: 4) output
    (H: 0, W: 4)`."""
    ins = {s: str(v) for s in "DHW" if isinstance(v := ctx.get(f"in_{s.lower()}"), int)}
    outs = {s: str(v) for s in "DHW" if isinstance(v := ctx.get(f"out_{s.lower()}"), int)}
    raw_in, raw_out = ctx.get("input"), ctx.get("output")
    if not ins and isinstance(raw_in, str):
        ins = dict(re.findall(r"([DHW])\s*:\s*(-?\d+)", raw_in.replace("T:", "D:")))
    if not outs and isinstance(raw_out, str):
        outs = dict(re.findall(r"([DHW])\s*:\s*(-?\d+)", raw_out.replace("T:", "D:")))
    if not ins or not outs:
        raise Decline("sizes missing")
    r = Reasoning()
    sides = [s for s in "DHW" if s in ins]
    r.values["input_text"] = ", ".join(f"{s}: {ins[s]}" for s in sides)
    r.values["output_text"] = ", ".join(f"{s}: {outs[s]}" for s in "DHW" if s in outs)
    r.numbers["input_size"] = Shape(int(ins[s]) for s in sides)
    r.numbers["output_size"] = Shape(int(outs[s]) for s in "DHW" if s in outs)
    r.steps.append(
        "Input → output per side: "
        + "; ".join(f"{s}: {ins[s]} → {outs.get(s, '?')}" for s in sides)
        + "."
    )
    zero_in = [s for s in sides if int(ins[s]) <= 0]
    zero_out = [s for s in sides if int(outs.get(s, 1)) <= 0]
    if zero_in:
        r.steps.append(
            f"The input itself is empty along {', '.join(zero_in)}: an earlier crop, "
            "slice or pool produced a zero-size map."
        )
        r.values["zero_story"] = f"the input is empty along {', '.join(zero_in)}"
        r.values["zero_advice"] = "Find where the map became empty (a crop or slice past its end)."
    else:
        s = zero_out[0] if zero_out else sides[0]
        size = int(ins[s])
        r.steps.append(
            f"An output of {outs.get(s)} from {size}: size = floor({size} × scale_factor) is 0 "
            f"when scale_factor < 1/{size} = {1 / size:.3g}, or the size was computed as 0 "
            "(integer division of a small size)."
        )
        r.values["zero_story"] = f"the output size along {', '.join(zero_out or sides)} is 0"
        r.values["zero_advice"] = (
            "Ask for an output of at least 1 per side: check the size "
            "arithmetic or a scale_factor that is too small."
        )
        r.fix_values["min_scale_factor"] = round(1 / size, 4)
    for call in ctx.source.calls("interpolate", "Upsample", "upsample"):
        r.suspects.append(call_suspect(call, "resizes the map", 0.55))
    _where(ctx, r, "calls interpolate", 0.6)
    return r


# -- pad -------------------------------------------------------------------------------------------


def pad_length(ctx: Context) -> Reasoning:
    """`Padding length should be less than or equal to two times the input dimension but got
    padding length 6 and input of dimension 2` (and the odd-length check)."""
    pad_len, ndim = ctx.get("pad_len"), ctx.get("ndim")
    r = Reasoning()
    r.steps.append(
        "F.pad's tuple is (left, right) pairs, last dim first: (l, r) pads the last "
        "dim, (l, r, top, bottom) the last two, and so on."
    )
    if isinstance(pad_len, int) and isinstance(ndim, int):
        r.steps.append(
            f"{pad_len} values = {pad_len // 2} pair{'s' if pad_len // 2 != 1 else ''}, for "
            f"{pad_len // 2} dims; the input has only {ndim} (at most {2 * ndim} values)."
        )
        r.fix_values["max_pad_len"] = 2 * ndim
        r.values["pad_story"] = f"{pad_len} values pad {pad_len // 2} dims but the input has {ndim}"
    else:
        r.values["pad_story"] = "the tuple has an odd number of values"
    _pad_suspects(ctx, r)
    return r


def _pad_suspects(ctx: Context, r: Reasoning, needle: str = "") -> None:
    for call in ctx.source.calls(*PAD_CALLS):
        if call.name.startswith("Conv") and "padding_mode" not in call.kwargs:
            continue
        if call.name == "pad" and not (
            call.func.endswith("F.pad") or "functional" in call.func or call.func == "pad"
        ):
            continue
        if needle and needle not in call.code.lower() and not call.name.lower().startswith(needle):
            continue
        r.suspects.append(call_suspect(call, "pads the tensor", 0.75))
    _where(ctx, r, "pads the tensor", 0.4)


def reflect_too_large(ctx: Context) -> Reasoning:
    """`Argument #4: Padding size should be less than the corresponding input dimension, but
    got: padding (5, 5) at dimension 3 of input [1, 3, 4, 4]`."""
    left, right = ctx.get("pad_left"), ctx.get("pad_right")
    dim, shape = ctx.get("dim"), ctx.get("input_shape")
    if not all(isinstance(v, int) for v in (left, right, dim)):
        raise Decline("numbers missing")
    r = Reasoning()
    size = None
    if isinstance(shape, Shape) and 0 <= dim < len(shape):
        size = shape[dim]
        shape_text = f"input {shape}"
    elif isinstance(ctx.get("ndim"), int):
        shape_text = f"a {ctx.get('ndim')}-D input"
    else:
        shape_text = "the input"
    r.values.update(shape_text=shape_text, dim_size=size if size is not None else "?")
    if size is None:
        r.steps.append(
            f"Reflect padding mirrors the dim without repeating its edge, so each "
            f"side's padding must be smaller than the dim: ({left}, {right}) on dim "
            f"{dim} is too much."
        )
        r.values["reflect_story"] = f"padding ({left}, {right}) is at least the size of dim {dim}"
        r.values["reflect_advice"] = (
            "Use smaller padding, mode='replicate' (any amount), or pad a larger map."
        )
        _pad_suspects(ctx, r, "reflect")
        return r
    r.steps.append(
        f"Reflect padding mirrors dim {dim} without repeating its edge: at most size − 1 = "
        f"{size - 1} per side. Dim {dim} of {shape} has {size}; the padding is ({left}, {right})."
    )
    if size <= 2 and max(left, right) > size:
        r.steps.append(
            f"A dim of {size} is a map that has shrunk to almost nothing: the input is "
            "smaller than the network expects, or the padding runs after too many "
            "downsamplings."
        )
    r.values["reflect_story"] = (
        f"reflect padding of ({left}, {right}) needs dim {dim} to have "
        f"more than {max(left, right)} elements; it has {size}"
    )
    r.values["reflect_advice"] = (
        f"Keep reflect padding ≤ {size - 1} on this dim, use mode='replicate' (no limit), or "
        f"feed a larger input (the dim needs ≥ {max(left, right) + 1})."
    )
    r.fix_values["max_padding"] = size - 1
    r.fix_values["min_dim_size"] = max(left, right) + 1
    r.fix_code = (
        f"F.pad(x, (...), mode='replicate')   # or reflect padding <= {size - 1}, or "
        f"an input with >= {max(left, right) + 1} along dim {dim}"
    )
    _pad_suspects(ctx, r, "reflect")
    return r


def pad_mode_rank(ctx: Context) -> Reasoning:
    """`Padding size 2 is not supported for 1D input tensor.` (non-constant modes)."""
    pad_len, ndim = ctx.get("pad_len"), ctx.get("ndim")
    r = Reasoning()
    r.steps.append(
        "Non-constant modes (reflect, replicate, circular) pad the last 1, 2 or 3 dims of a "
        "batched or unbatched input: 2 values for a 2-D/3-D input, 4 for 3-D/4-D, 6 for 4-D/5-D."
    )
    if isinstance(pad_len, int) and isinstance(ndim, int):
        fits = {2: (2, 3), 4: (3, 4), 6: (4, 5)}.get(pad_len)
        r.steps.append(
            f"{pad_len} values with a {ndim}-D input: "
            + (
                f"{pad_len} values need a {fits[0]}-D or {fits[1]}-D input."
                if fits
                else f"{pad_len} values is not 2, 4 or 6."
            )
        )
        if fits:
            r.fix_values["input_dims"] = list(fits)
        r.values["rank_story"] = f"{pad_len} padding values do not fit a {ndim}-D input"
    else:
        r.values["rank_story"] = "the input has a rank these modes do not pad"
    _pad_suspects(ctx, r)
    return r


def pad_empty(ctx: Context) -> Reasoning:
    """`Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and other non-zero
    dimensions for input, but got: [1, 3, 0]`."""
    shape = ctx.get("input_shape")
    unbatched, batched = ctx.get("unbatched_dims"), ctx.get("batched_dims")
    if not isinstance(shape, Shape) or not isinstance(batched, int):
        raise Decline("numbers missing")
    r = Reasoning()
    zeros = [i for i, d in enumerate(shape) if d == 0 and i > 0]
    if zeros and len(shape) in (unbatched, batched):
        r.steps.append(
            f"{shape} has size 0 in dim {', '.join(str(i) for i in zeros)}: "
            "there is nothing to reflect or replicate."
        )
        r.values["empty_story"] = f"dim {zeros[0]} is empty (size 0)"
        r.values["empty_advice"] = (
            "Find where that dim became empty (a slice past the end, a "
            "crop larger than the input, a map pooled away)."
        )
    else:
        r.steps.append(
            f"The layer takes {unbatched}-D or {batched}-D inputs; {shape} has {len(shape)} dims."
        )
        r.values["empty_story"] = f"it has {len(shape)} dims, not {unbatched} or {batched}"
        r.values["empty_advice"] = f"Give the layer a {unbatched}-D or {batched}-D input."
        r.fix_values["input_dims"] = [unbatched, batched]
    _pad_suspects(ctx, r)
    return r


def pad_where(ctx: Context) -> Reasoning:
    """Pad checks with nothing to compute: point at the pad calls and the raising line."""
    r = Reasoning()
    _pad_suspects(ctx, r, str(ctx.get("mode") or ""))
    return r


ANTIALIAS_MODES = ("bilinear", "bicubic", "lanczos")
INTERPOLATING_MODES = ("linear", "bilinear", "bicubic", "trilinear")


def option_mode(ctx: Context) -> Reasoning:
    """`align_corners option can only be set with the interpolating modes` and `Anti-alias
    option is restricted to bilinear and bicubic modes and requires a 4-D tensor` (older:
    `... only supported for bilinear and bicubic modes`, which does not say the rank)."""
    antialias = "alias" in ctx.message.lower()
    text = " ".join(ctx.frame_codes()) + "\n" + ctx.parsed.text
    m = re.search(r"mode\s*=\s*['\"]([\w-]+)['\"]", text)
    mode = m.group(1).lower() if m else None
    rank = re.search(r"\b([1-5])-?D\b", ctx.parsed.text.replace(ctx.message, ""))
    ndim = int(rank.group(1)) if rank else None
    r = Reasoning()
    _where(ctx, r, "calls interpolate with this option", 0.6)
    if not antialias:
        r.values["cause"] = (
            "align_corners only means something for the interpolating modes (linear, bilinear, "
            "bicubic, trilinear)"
            + (f"; here mode='{mode}'" if mode and mode not in INTERPOLATING_MODES else "")
            + ": 'nearest' and 'area' reject it (a resize helper that always passes "
            "align_corners is the usual source)."
        )
        r.values["fix_text"] = (
            "Drop the option for this mode (align_corners=None), or use a mode that takes it."
        )
        r.fix_code = (
            f'F.interpolate(x, size=size, mode="{mode or "nearest"}")   # no align_corners with '
            f"{mode or 'nearest'}"
        )
        return r
    r.steps.append(
        "antialias=True has two conditions: mode bilinear, bicubic (or lanczos) AND a 4-D "
        "[N, C, H, W] input. Older releases named only the first one in this message."
    )
    if mode in ANTIALIAS_MODES or (mode is None and ndim is not None and ndim != 4):
        shown = f"mode='{mode}' takes antialias, so" if mode else "So"
        r.steps.append(
            f"{shown} the input is not 4-D"
            + (f": it is {ndim}-D" if ndim else "")
            + ". A single image [C, H, W] (3-D) needs its batch dim; torchvision's Resize adds "
            "it itself, F.interpolate does not."
        )
        r.values["cause"] = (
            f"The input is {f'{ndim}-D' if ndim else 'not 4-D'}: antialias works only on "
            "[N, C, H, W] batches, so a single [C, H, W] image (or a [N, C, L] signal) fails "
            + (f"even with mode='{mode}'." if mode else "with a mode that takes it.")
        )
        r.values["fix_text"] = (
            "Give the input a batch dim: x.unsqueeze(0) for one [C, H, W] image, and [0] on "
            "the result."
        )
        r.fix_values["unsqueeze"] = 0
        r.fix_code = (
            f'y = F.interpolate(x.unsqueeze(0), size=size, mode="{mode or "bilinear"}", '
            "antialias=True)[0]   # [C, H, W] → [1, C, H, W] and back"
        )
        return r
    if mode is not None:
        r.values["cause"] = (
            f"mode='{mode}' has no antialiasing: only bilinear, bicubic and lanczos take "
            "antialias=True (on 4-D input)."
        )
        r.values["fix_text"] = (
            f"Drop antialias=True for mode='{mode}', or use mode='bilinear' / 'bicubic'."
        )
        r.fix_code = f'F.interpolate(x, size=size, mode="{mode}")   # no antialias'
        return r
    r.values["cause"] = (
        "Either the mode is not bilinear, bicubic or lanczos, or the input is not 4-D: a "
        "single [C, H, W] image with mode='bilinear' fails here too."
    )
    r.values["fix_text"] = (
        "Use antialias=True only with mode='bilinear'/'bicubic' on a [N, C, H, W] input: "
        "x.unsqueeze(0) for one image, or drop the option."
    )
    r.fix_code = (
        'y = F.interpolate(x.unsqueeze(0), size=size, mode="bilinear", antialias=True)[0]'
        "   # one [C, H, W] image\n"
        'F.interpolate(x, size=size, mode="nearest")   # or no antialias with other modes'
    )
    return r


def where_only(ctx: Context) -> Reasoning:
    r = Reasoning()
    _where(ctx, r, "the call with these arguments", 0.6)
    return r


# -- pixel shuffle, channel shuffle, fold ----------------------------------------------------------


def pixel_shuffle(ctx: Context) -> Reasoning:
    """`pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of
    upscale_factor, but input.size(-3)=5 is not divisible by 4`."""
    c, r2 = ctx.get("channels"), ctx.get("factor_squared")
    if not isinstance(c, int) or not isinstance(r2, int) or r2 <= 0:
        raise Decline("numbers missing")
    factor = round(r2**0.5)
    r = Reasoning()
    r.steps.append(
        f"PixelShuffle({factor}) turns C channels into C / {factor}² = C / {r2} channels of a "
        f"{factor}× larger map: C must be a multiple of {r2}. {c} / {r2} = {c / r2:.4g}."
    )
    lower, upper = c - c % r2, c - c % r2 + r2
    r.values.update(factor=factor, lower=lower, upper=upper)
    r.fix_values["channels"] = upper
    r.steps.append(
        f"The conv before it should output a multiple of {r2}: {lower or r2} or {upper} "
        f"(out_channels = C_out × {r2} for C_out channels after the shuffle)."
    )
    _where(ctx, r, "shuffles the channels", 0.6)
    return r


def divisible(ctx: Context) -> Reasoning:
    """`pixel_unshuffle expects height to be divisible by downscale_factor`, channel shuffle's
    groups, fold's kernel product: n must be a multiple of m."""
    n, m = ctx.get("n"), ctx.get("m")
    if not isinstance(n, int) or not isinstance(m, int) or m <= 0:
        raise Decline("numbers missing")
    r = Reasoning()
    lower, upper = n - n % m, n - n % m + m
    r.steps.append(
        f"{n} / {m} = {n / m:.4g}: {n} is not a multiple of {m}; the nearest are "
        f"{lower} and {upper}."
    )
    r.values.update(lower=lower, upper=upper)
    r.fix_values["size"] = lower if lower else upper
    _where(ctx, r, "the call", 0.6)
    return r


def fold_kernel(ctx: Context) -> Reasoning:
    """F.fold: `Expected size of input's dimension 1 to be divisible by the product of
    kernel_size, but got input.size(1)=10 and kernel_size=(2, 2).`"""
    c, kernel = ctx.get("channels"), ctx.get("kernel")
    dims = (
        list(kernel) if isinstance(kernel, Shape) else [kernel] if isinstance(kernel, int) else []
    )
    if not isinstance(c, int) or not dims:
        raise Decline("numbers missing")
    k = 1
    for d in dims:
        k *= d
    r = Reasoning()
    r.steps.append(
        f"F.fold reads dim 1 as C × {' × '.join(str(d) for d in dims)} (channels times the "
        f"kernel's {k} positions): {c} / {k} = {c / k:.4g} is not whole."
    )
    r.values.update(kernel_product=k, lower=c - c % k, upper=c - c % k + k)
    r.fix_values["channels_multiple_of"] = k
    _where(ctx, r, "folds the blocks", 0.6)
    return r


def fold_blocks(ctx: Context) -> Reasoning:
    """F.fold: `... the calculated number of sliding blocks 3 * 3 = 9, but got input.size(2)=8`."""
    bh, bw, n, got = ctx.get("blocks_h"), ctx.get("blocks_w"), ctx.get("blocks"), ctx.get("got")
    if not all(isinstance(v, int) for v in (bh, bw, n, got)):
        raise Decline("numbers missing")
    r = Reasoning()
    r.steps.append(
        f"F.fold puts L blocks back on an output_size map: L must be the number of block "
        f"positions, {bh} × {bw} = {n} for this output_size, kernel, padding and stride; the "
        f"input has L = {got}."
    )
    r.fix_values["blocks"] = n
    _where(ctx, r, "folds the blocks", 0.6)
    return r


# -- grid_sample / affine_grid ---------------------------------------------------------------------


def grid_sample(ctx: Context) -> Reasoning:
    """grid_sampler's batch / last-dim / rank checks."""
    inp, grid = ctx.get("input_shape"), ctx.get("grid_shape")
    need = ctx.get("last_dim")
    r = Reasoning()
    r.steps.append(
        "grid_sample takes an input [N, C, H_in, W_in] and a grid [N, H_out, W_out, 2] "
        "(5-D: [N, C, D, H, W] and [N, D_out, H_out, W_out, 3]): the same N, the same rank, and "
        "x, y (, z) in the grid's last dim."
    )
    if isinstance(inp, Shape) and isinstance(grid, Shape):
        if len(inp) != len(grid):
            r.steps.append(f"The input {inp} has {len(inp)} dims, the grid {grid} {len(grid)}.")
            r.values["grid_story"] = f"input {inp} and grid {grid} differ in rank"
        elif inp[0] != grid[0]:
            r.steps.append(
                f"Batch sizes: input {inp[0]}, grid {grid[0]}: build one grid per "
                f"sample, or expand a shared grid: grid.expand({inp[0]}, "
                + ", ".join(["-1"] * (len(grid) - 1))
                + ")."
            )
            r.values["grid_story"] = f"the input has {inp[0]} samples and the grid {grid[0]}"
            r.fix_values["grid_batch"] = inp[0]
        else:
            r.values["grid_story"] = f"input {inp} and grid {grid}"
    elif isinstance(grid, Shape) and isinstance(need, int):
        rank = len(grid)
        r.steps.append(
            f"The grid {grid} ends in {grid[-1]}; this input needs {need} coordinates per point "
            f"(input rank {need + 2})"
            + (f"; a {rank}-D grid goes with a {rank}-D input." if need + 2 != rank else ".")
        )
        r.values["grid_story"] = f"the grid's last dim is {grid[-1]} where {need} is needed"
        r.fix_values["grid_last_dim"] = need
    else:
        r.values["grid_story"] = "the input and grid shapes do not fit"
    _where(ctx, r, "samples with the grid", 0.6)
    return r


def affine_grid(ctx: Context) -> Reasoning:
    """`Expected a batch of 2D affine matrices of shape Nx2x3 for size (..). Got torch.Size(..)`
    and `affine_grid only supports 4D and 5D sizes`."""
    size = ctx.get("size")
    theta = ctx.get("theta")
    r = Reasoning()
    r.steps.append(
        "affine_grid(theta, size): size [N, C, H, W] takes theta [N, 2, 3]; "
        "size [N, C, D, H, W] takes theta [N, 3, 4]."
    )
    if isinstance(size, Shape) and isinstance(theta, Shape):
        want = [size[0], 2, 3] if len(size) == 4 else [size[0], 3, 4]
        r.steps.append(f"size {size} → theta must be {Shape(want)}; it is {theta}.")
        r.fix_values["theta_shape"] = want
        r.values["affine_story"] = f"theta is {theta}, size {size} needs {Shape(want)}"
    elif isinstance(size, Shape):
        r.steps.append(
            f"size {size} has {len(size)} dims: give the full [N, C, H, W] "
            "(x.size()), not just the spatial size."
        )
        r.values["affine_story"] = f"size {size} has {len(size)} dims"
    else:
        r.values["affine_story"] = "theta or size has the wrong shape"
    _where(ctx, r, "builds the affine grid", 0.6)
    return r


# -- unpooling ------------------------------------------------------------------------------------


def unpool(ctx: Context) -> Reasoning:
    """MaxUnpool: indices from another tensor, or an output_size out of range."""
    inp, idx = ctx.get("input_shape"), ctx.get("indices_shape")
    r = Reasoning()
    if isinstance(inp, Shape) and isinstance(idx, Shape):
        r.steps.append(
            f"MaxUnpool needs the indices MaxPool(return_indices=True) returned for "
            f"this very tensor: the input is {inp}, the indices {idx}."
        )
        r.values["unpool_story"] = f"indices {idx} do not belong to the input {inp}"
    else:
        lo, hi = ctx.get("lo"), ctx.get("hi")
        if isinstance(lo, int) and isinstance(hi, int):
            r.steps.append(
                f"Each unpooled side lies between (H − 1)·stride − 2·padding + "
                f"kernel = {lo} and that + stride − 1 = {hi}; the requested "
                f"output_size is outside."
            )
            r.fix_values["output_size_range"] = [lo, hi]
            r.values["unpool_story"] = f"output_size must lie between {lo} and {hi} per side"
        else:
            r.values["unpool_story"] = "the unpooling sizes do not fit"
    _where(ctx, r, "unpools", 0.6)
    return r


def stride_is(ctx: Context) -> Reasoning:
    """Point at the call, with one value to echo (`step is 0`)."""
    r = Reasoning()
    value = ctx.get("value")
    r.values["value_text"] = fmt(value) if isinstance(value, int) else "?"
    _where(ctx, r, "passes the value", 0.6)
    return r


# -- warnings --------------------------------------------------------------------------------------


def warning_only(ctx: Context) -> Reasoning:
    """A warning that is the whole story only when no exception ended the run: with an error
    in the paste, explaining the warning instead would answer the wrong question."""
    error = ctx.parsed.error
    if error is not None and error.message and not (error.type or "").endswith("Warning"):
        if ctx.message.strip() not in error.message:
            raise Decline("an exception ended the run; the warning is not its cause")
    r = Reasoning()
    warning = next(
        (w for w in ctx.parsed.warnings if w.message and w.message[:40] in ctx.message), None
    )
    if warning is not None and warning.file and warning.line:
        code = ctx.source.line(warning.file, warning.line)
        if code is not None:
            r.suspects.append(
                Suspect(
                    warning.file,
                    warning.line,
                    code.strip(),
                    "the line that triggered the warning",
                    0.7,
                )
            )
    names = tuple(str(n) for n in (ctx.get("calls") or "").split(",") if n)
    for call in ctx.source.calls(*(names or ("interpolate", "upsample", "Upsample"))):
        r.suspects.append(call_suspect(call, "the call the warning is about", 0.6))
    return r
