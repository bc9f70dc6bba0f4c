"""Normalisation layers: BatchNorm / InstanceNorm channels (dim 1), batches of one value per
channel, LayerNorm's trailing normalized_shape, GroupNorm's channels % num_groups."""

from __future__ import annotations

import re

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.shapes import Shape, fmt, product, times
from explainer.arithmetic.suspects import (
    arg_expr,
    arg_int,
    call_suspect,
    calls_with_arg,
    frame_suspect,
    replace_arg,
)
from explainer.model import Frame
from explainer.source import Call

BATCHNORM = (
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "SyncBatchNorm",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
)
INSTANCENORM = ("InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d")
LAYERNORM = ("LayerNorm", "RMSNorm")
# Layers whose output size (argument 1) becomes the channels / features of the next layer.
PRODUCERS = (
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "Linear",
    "Embedding",
)
SEQUENCE_PRODUCERS = (
    "Linear",
    "Embedding",
    "LSTM",
    "GRU",
    "RNN",
    "MultiheadAttention",
    "TransformerEncoderLayer",
)
DIM_LAYERS = {
    "2D or 3D": ("BatchNorm1d", "InstanceNorm1d"),
    "4D": ("BatchNorm2d",),
    "5D": ("BatchNorm3d",),
    "3D or 4D": ("InstanceNorm2d",),
    "4D or 5D": ("InstanceNorm3d",),
    "at least 2D": ("SyncBatchNorm",),
}
LAYER_FOR_NDIM = {2: "BatchNorm1d", 3: "BatchNorm1d", 4: "BatchNorm2d", 5: "BatchNorm3d"}


# -- BatchNorm / InstanceNorm -------------------------------------------------------------------


def batchnorm_features(ctx: Context) -> Reasoning:
    """`running_mean should contain C elements not F`: num_features F, input channels C."""
    channels = ctx.need_int("channels")
    num_features = ctx.need_int("num_features")
    param = ctx.get("param") or "running_mean"
    r = Reasoning()
    r.values.update(param=param, channels=channels, num_features=num_features)
    r.steps.append(
        f"BatchNorm normalises each channel of dim 1 separately; the layer was built with "
        f"num_features={fmt(num_features)}, so its {param} holds {fmt(num_features)} values."
    )
    r.steps.append(
        f"The input's dim 1 (C in [N, C], [N, C, L] or [N, C, H, W]) has {fmt(channels)}: "
        f"{fmt(channels)} ≠ {fmt(num_features)}."
    )
    layer, exact = find_layer(ctx, BATCHNORM + INSTANCENORM, 0, "num_features", num_features)
    if layer is not None and _sequence_features(ctx, layer, channels, num_features):
        r.values["fix_hint"] = (
            f"The input is a sequence [N, L, C] with C={fmt(num_features)} features at the end, "
            f"but BatchNorm1d reads dim 1 (L={fmt(channels)}) as the channels: transpose to "
            "[N, C, L] around it."
        )
        r.steps.append(
            f"A layer in your model produces {fmt(num_features)} features in the last dim, and "
            f"nothing produces {fmt(channels)} channels: the input is [N, L={fmt(channels)}, "
            f"C={fmt(num_features)}], and BatchNorm1d expects [N, C, L]."
        )
        r.fix_values["transpose"] = [1, 2]
        r.suspects.append(
            call_suspect(
                layer,
                f"BatchNorm1d on an [N, L, C] sequence normalises over L={fmt(channels)}",
                0.9,
            )
        )
        r.fix_code = (
            f"x = {_target(layer)}(x.transpose(1, 2)).transpose(1, 2)   # normalise the "
            f"{fmt(num_features)} features\n# or use nn.LayerNorm({num_features}) on [N, L, C]"
        )
        return r
    r.values["fix_hint"] = (
        f"Build the layer with num_features={fmt(channels)}, the channels its input really has."
    )
    r.fix_values["num_features"] = channels
    if layer is not None:
        r.suspects.append(
            call_suspect(
                layer,
                f"builds the norm with num_features={fmt(num_features)}; its input has "
                f"{fmt(channels)} channels",
                0.9 if exact else 0.6,
            )
        )
        expr = conv_output_expr(ctx, layer, 0, "num_features")
        if expr is not None:
            r.steps.append(
                f"{layer.code.strip()} normalises the output of the conv built just before it, "
                f"which has {expr} channels, but was given that conv's input channels."
            )
        fixed = replace_arg(layer.code, layer, 0, expr or str(channels), "num_features")
        r.fix_code = f"{fixed}   # was: {layer.code}"
    else:
        r.fix_code = f"nn.BatchNorm2d({channels})   # num_features = input.size(1) = {channels}"
    for producer in producers_of(ctx, channels)[:1]:
        r.suspects.append(
            call_suspect(
                producer, f"produces the {fmt(channels)} channels that reach the norm", 0.5
            )
        )
    return r


def _sequence_features(ctx: Context, layer: Call, channels: int, num_features: int) -> bool:
    """BatchNorm1d fed [N, L, C]: something makes C=num_features, nothing makes `channels`."""
    if layer.name not in ("BatchNorm1d", "InstanceNorm1d", "LazyBatchNorm1d"):
        return False
    makes_features = any(
        out_size(ctx, c) == num_features for c in ctx.source.calls(*SEQUENCE_PRODUCERS)
    )
    makes_channels = bool(producers_of(ctx, channels))
    return makes_features and not makes_channels


OUT_NAMES = ("out_channels", "out_features", "embedding_dim", "hidden_size", "embed_dim", "d_model")


def out_size(ctx: Context, call: Call) -> int | None:
    """The size a layer call produces in its channel/feature dim, from its source."""
    for name in OUT_NAMES:
        if name in call.kwargs:
            return ctx.source.eval_int(call.kwargs[name], call)
    index = 0 if call.name in ("MultiheadAttention", "TransformerEncoderLayer") else 1
    return arg_int(ctx.source, call, index, "_")


def producers_of(ctx: Context, size: int) -> list[Call]:
    """Layer calls whose output channels/features are `size`."""
    return [c for c in ctx.source.calls(*PRODUCERS) if out_size(ctx, c) == size]


def find_layer(
    ctx: Context, names: tuple[str, ...], index: int, keyword: str, value: int
) -> tuple[Call | None, bool]:
    """The layer call whose argument is `value`; else the only call of that kind whose argument
    cannot be evaluated here (a constructor parameter). The flag says whether it matched."""
    exact = calls_with_arg(ctx.source, names, index, keyword, value)
    if exact:
        return exact[0], True
    unknown = [
        c for c in ctx.source.calls(*names) if arg_int(ctx.source, c, index, keyword) is None
    ]
    if len(unknown) == 1:
        return unknown[0], False
    return None, False


def conv_output_expr(ctx: Context, norm: Call, index: int, keyword: str) -> str | None:
    """When a norm layer is built with the previous conv's *input* channels (`nn.Conv2d(in_ch,
    out_ch, ...)` then `nn.GroupNorm(8, in_ch)`), that conv's output expression (`out_ch`):
    written as a name, the fix stays right for every instance of the block."""
    built = arg_expr(norm, index, keyword)
    if built is None:
        return None
    convs = [
        c
        for c in ctx.source.calls("Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d")
        if c.file == norm.file
        and c.cls == norm.cls
        and c.function == norm.function
        and c.line < norm.line
        and len(c.args) >= 2
    ]
    if not convs:
        return None
    conv = max(convs, key=lambda c: c.line)
    conv_in, conv_out = conv.args[0].strip(), conv.args[1].strip()
    if built.strip() == conv_in and conv_out != conv_in:
        return conv_out
    return None


def _target(call: Call) -> str:
    return call.target or call.func


def _first(calls: list[Call]) -> Call | None:
    return calls[0] if calls else None


def single_value(ctx: Context) -> Reasoning:
    """`Expected more than 1 value per channel when training, got input size [1, C, 1, 1]`."""
    shape = ctx.need_shape("input_shape", allow_int=False)
    if len(shape) < 2:
        raise Decline("BatchNorm input has at least 2 dims")
    batch, channels, spatial = shape[0], shape[1], Shape(shape[2:])
    per_channel = batch * product(spatial)
    if per_channel != 1:
        raise Decline("more than one value per channel: not this check")
    r = Reasoning()
    r.values.update(batch=batch, channels=channels, per_channel=per_channel)
    if spatial:
        over = (
            f"the batch and the positions, N × {' × '.join('DHW'[-len(spatial) :])} = "
            f"{times([batch, *spatial])}"
        )
    else:
        over = f"the batch, N = {batch}"
    r.steps.append(
        f"In training mode BatchNorm computes each channel's mean and variance over {over}: "
        f"{per_channel} value per channel, for each of the {fmt(channels)} channels."
    )
    r.steps.append("The variance of a single value is undefined, so PyTorch refuses.")
    if spatial:
        r.values["situation"] = (
            f"a batch of one sample whose feature map is already {times(spatial)} (after a "
            "global pooling)"
        )
    else:
        r.values["situation"] = "a batch of a single sample"
    _single_value_fix(ctx, r, channels)
    return r


def _single_value_fix(ctx: Context, r: Reasoning, channels: int | None) -> None:
    """The suspects and the fix of a batch of one value per channel: the DataLoader without
    drop_last, a prediction on one sample in training mode, or the generic advice."""
    loaders = [
        c for c in ctx.source.calls("DataLoader") if "True" not in (c.kwargs.get("drop_last") or "")
    ]
    if loaders:
        loader = loaders[0]
        size = arg_int(ctx.source, loader, 1, "batch_size")
        if size:
            r.steps.append(
                f"With batch_size={size}, the last batch holds len(dataset) % {size} samples: "
                f"a dataset of {size}·k + 1 samples ends with a batch of one."
            )
        r.suspects.append(
            call_suspect(
                loader, "the last batch can hold a single sample: pass drop_last=True", 0.85
            )
        )
        r.fix_values["drop_last"] = True
        r.values["fix_hint"] = "Drop the incomplete last batch (drop_last=True)."
        code = loader.code.split("#", 1)[0].rstrip()
        fixed = (
            f"{code[:-1].rstrip()}, drop_last=True)"
            if code.endswith(")")
            else ("DataLoader(dataset, batch_size=..., drop_last=True)")
        )
        r.fix_code = (
            f"{fixed}   # no batch of one\n"
            "# or, at inference time, call model.eval() first (BatchNorm then uses running stats)"
        )
    elif ctx.source.files() and not _trains(ctx):
        # Source without a DataLoader or a backward(): a prediction on one sample in train mode.
        outer = _outermost_user_frame(ctx)
        r.suspects += frame_suspect(
            outer,
            "runs the model in training mode on a single sample: call model.eval() first",
            0.7,
        )
        r.fix_values["eval"] = True
        r.values["fix_hint"] = (
            "For inference call model.eval() first; to train, use batches of at least 2."
        )
        r.fix_code = (
            "model.eval()            # BatchNorm uses its running statistics, any batch size\n"
            "with torch.no_grad():\n    out = model(x)"
        )
    else:
        r.suspects += frame_suspect(
            _outermost_user_frame(ctx), "feeds a batch of one sample in training mode", 0.5
        )
        r.values["fix_hint"] = (
            "Training: use batches of at least 2 (drop_last=True drops a last batch of one); "
            "inference: call model.eval() first."
        )
        r.fix_code = (
            "model.eval()            # BatchNorm uses its running statistics, any batch size\n"
            "with torch.no_grad():\n    out = model(x)"
        )
    groups = f"{nearest_groups(channels, 32)}, {channels}" if channels else "num_groups, C"
    r.fix_code += (
        "\n# or, where batches of one are normal, replace the BatchNorm with "
        f"nn.GroupNorm({groups}) or nn.LayerNorm"
    )


def single_value_unsized(ctx: Context) -> Reasoning:
    """`Expected more than 1 value per channel when training, got input size 1` (SyncBatchNorm
    prints the count of values per channel, not a shape) or the message with its size left out."""
    count = ctx.get("per_channel")
    if isinstance(count, int) and count != 1:
        raise Decline("more than one value per channel: not this check")
    r = Reasoning()
    if isinstance(count, int):
        r.values["situation"] = (
            "one value per channel on this process (SyncBatchNorm's count: input.numel() // C = 1)"
        )
        r.steps.append(
            "SyncBatchNorm counts the values of each channel on this process, "
            "input.numel() // C: the batch times the positions (N × H × W). Here that count is "
            "1: one sample whose map is 1×1, or one sample of [N, C] features."
        )
        r.steps.append(
            "Current releases raise this only when the job has a single process (world size 1): "
            "with several processes SyncBatchNorm would gather the statistics of all of them. "
            "A batch of one per process, run as one process (one GPU, or before "
            "torch.distributed is initialised), leaves nothing to gather."
        )
        r.values["layer_note"] = (
            " SyncBatchNorm only gathers statistics across processes when there are several: "
            "with one process it behaves like BatchNorm and needs two values per channel."
        )
    else:
        r.values["situation"] = "a single value per channel (the size was left out of the text)"
        r.steps.append(
            "In training mode BatchNorm computes each channel's mean and variance over the batch "
            "(and the positions of a map): with a batch of one sample whose map is 1×1, or one "
            "sample of [N, C] features, that is one value, and its variance is undefined."
        )
        r.values["layer_note"] = ""
    _single_value_fix(ctx, r, None)
    return r


def _trains(ctx: Context) -> bool:
    """Whether the user's files run a training step (a backward() or an optimizer step)."""
    return bool(ctx.source.calls("backward", "step"))


def _outermost_user_frame(ctx: Context) -> Frame | None:
    block = ctx.parsed.error
    frames = [f for f in (block.frames if block else []) if f.is_user]
    return frames[0] if frames else ctx.where


def instance_spatial(ctx: Context) -> Reasoning:
    """`Expected more than 1 spatial element when training, got input size [N, C, 1, 1]`."""
    shape = ctx.need_shape("input_shape", allow_int=False)
    if len(shape) < 3 or product(shape[2:]) != 1:
        raise Decline("more than one spatial element")
    r = Reasoning()
    r.values.update(channels=shape[1], spatial=times(shape[2:]))
    r.steps.append(
        f"InstanceNorm normalises each sample's channel over its spatial positions: "
        f"{times(shape[2:])} = 1 position, and the variance of one value is undefined."
    )
    for call in ctx.source.calls(*INSTANCENORM)[:1]:
        r.suspects.append(call_suspect(call, "normalises a 1×1 feature map", 0.7))
    return r


def instance_features(ctx: Context) -> Reasoning:
    """`expected input's size at dim=1 to match num_features (F), but got: C.`"""
    num_features = ctx.need_int("num_features")
    got = ctx.need_int("got")
    dim = ctx.get("dim") or 1
    r = Reasoning()
    r.values.update(channels=got, num_features=num_features, dim=dim)
    r.steps.append(
        f"InstanceNorm(affine=True) keeps one weight per channel: num_features="
        f"{fmt(num_features)}; the input's dim {dim} has {fmt(got)}."
    )
    r.fix_values["num_features"] = got
    for layer in calls_with_arg(ctx.source, INSTANCENORM, 0, "num_features", num_features)[:1]:
        r.suspects.append(
            call_suspect(
                layer, f"built with num_features={num_features}; the input has {got} channels", 0.9
            )
        )
        r.fix_code = f"{replace_arg(layer.code, layer, 0, str(got))}   # was: {layer.code}"
    return r


def instance_warning(ctx: Context) -> Reasoning:
    """The affine=False InstanceNorm warning: the channel count is not checked, so it warns."""
    dim = ctx.get("dim") or 1
    r = Reasoning()
    r.values["dim"] = dim
    r.steps.append(
        f"InstanceNorm(affine=False) has no per-channel parameters, so num_features is only "
        f"compared with input.size({dim}) and a mismatch is a warning, not an error."
    )
    for layer in ctx.source.calls(*INSTANCENORM)[:2]:
        r.suspects.append(
            call_suspect(layer, "num_features differs from the input's channels", 0.6)
        )
    return r


def input_rank(ctx: Context) -> Reasoning:
    """`expected 4D input (got 3D input)`: a BatchNorm/InstanceNorm given the wrong rank."""
    expected = str(ctx.get("expected") or "").strip()
    got = ctx.need_int("got")
    files = " ".join(f.file for f in ctx.parsed.all_frames)
    if "padding.py" in files:
        raise Decline("raised by a padding module (CircularPad)")
    layers = DIM_LAYERS.get(expected)
    if layers is None:
        raise Decline(f"unknown rank wording {expected!r}")
    r = Reasoning()
    if " or " in expected and not re.search(r"batchnorm\.py|instancenorm\.py", files):
        # CircularPad1d/2d/3d raise the same words: without frames, say so through confidence.
        r.confidence = 0.7
    r.values.update(layer=" / ".join(layers), got=got, expected=expected)
    found = _first(ctx.source.calls(*layers))
    layer_name = found.name if found else layers[0]
    r.values["layer"] = layer_name
    r.steps.append(f"{layer_name} accepts {expected} input; it got a {got}D tensor.")
    hint, new_layer = _rank_hint(layer_name, got)
    r.values["fix_hint"] = hint
    if new_layer:
        r.fix_values["layer"] = new_layer
    else:
        r.fix_values["unsqueeze"] = 0
    if found is not None:
        reason = f"a {layer_name} given {got}D input" + (f": use {new_layer}" if new_layer else "")
        r.suspects.append(call_suspect(found, reason, 0.85))
        if new_layer:
            r.fix_code = f"{found.code.replace(found.name, new_layer, 1)}   # was: {found.code}"
    if r.fix_code is None:
        r.fix_code = f"nn.{new_layer}(C)" if new_layer else "x = x.unsqueeze(0)   # add the batch"
    return r


def _rank_hint(layer: str, got: int) -> tuple[str, str | None]:
    base = "InstanceNorm" if layer.startswith("Instance") else "BatchNorm"
    wanted = {
        "BatchNorm1d": (2, 3),
        "BatchNorm2d": (4,),
        "BatchNorm3d": (5,),
        "InstanceNorm1d": (2, 3),
        "InstanceNorm2d": (3, 4),
        "InstanceNorm3d": (4, 5),
    }
    ok = wanted.get(layer, ())
    if ok and got == min(ok) - 1 and not layer.startswith("Instance"):
        return (
            "The input looks like a single sample without its batch dim: add it with "
            "x.unsqueeze(0).",
            None,
        )
    if got in (2, 3):
        new = f"{base}1d"
        what = "[N, C] features" if got == 2 else "[N, C, L] sequences"
    elif got == 4:
        new, what = f"{base}2d", "[N, C, H, W] images"
    elif got == 5:
        new, what = f"{base}3d", "[N, C, D, H, W] volumes"
    else:
        return ("Reshape the input to the rank the layer expects.", None)
    if new == layer:
        return ("Add the missing batch dim with x.unsqueeze(0).", None)
    return (f"A {got}D input holds {what}: use nn.{new} for it.", new)


def lrn_rank(ctx: Context) -> Reasoning:
    """local_response_norm needs [N, C, *] input."""
    got = ctx.need_int("got")
    r = Reasoning()
    r.values["got"] = got
    r.steps.append(
        f"LocalResponseNorm normalises across channels (dim 1) of [N, C, *] input: at least 3 "
        f"dims; this input has {got}."
    )
    return r


# -- LayerNorm ----------------------------------------------------------------------------------


def layernorm_shape(ctx: Context) -> Reasoning:
    """`Given normalized_shape=[256], expected input with shape [*, 256], but got input of
    size[4, 256, 200, 200]`: the last len(normalized_shape) dims must equal normalized_shape."""
    ns = ctx.need_shape("normalized_shape", allow_int=False)
    shape = ctx.need_shape("input_shape", allow_int=False)
    k = len(ns)
    if k == 0:
        raise Decline("empty normalized_shape")
    r = Reasoning()
    trailing = Shape(shape[-k:]) if len(shape) >= k else shape
    r.values.update(k=k, trailing=trailing, ndim=len(shape))
    r.steps.append(
        f"LayerNorm(normalized_shape={ns}) normalises over the last {k} dim"
        f"{'s' if k > 1 else ''} of its input, which must be exactly {ns}."
    )
    r.steps.append(
        f"The input {shape} ends with {trailing}" + (f" ≠ {ns}." if trailing != ns else ".")
    )
    layer = _layernorm_call(ctx, ns)
    if len(shape) >= 3 and k == 1 and shape[1] == ns[0] and shape[-1] != ns[0]:
        return _channels_first(ctx, r, ns, shape, layer)
    if len(shape) < k or product(shape) < product(ns):
        r.values["fix_hint"] = (
            f"The tensor reaching the layer ({shape}, {fmt(product(shape))} values) is not the "
            f"[*, {', '.join(map(str, ns))}] activations the layer was built for: check what is "
            "passed to it (a wrong tensor, or a missing batch/sequence dim)."
        )
        r.steps.append(
            f"{shape} has fewer values than one normalised group ({fmt(product(ns))}): this is "
            "not the tensor the layer was built for."
        )
        r.fix_code = f"# pass the [*, {', '.join(map(str, ns))}] hidden states to the LayerNorm"
        if layer is not None:
            r.suspects.append(call_suspect(layer, f"built for normalized_shape={ns}", 0.6))
        return r
    new = list(shape[-k:])
    r.fix_values["normalized_shape"] = new
    r.values["fix_hint"] = (
        f"Build the layer with normalized_shape={new if k > 1 else new[0]} (the input's last "
        f"{k} dim{'s' if k > 1 else ''}), or fix the layer before it."
    )
    new_expr = str(new[0]) if k == 1 else str(new)
    if layer is not None:
        r.suspects.append(
            call_suspect(
                layer, f"built with normalized_shape={ns}; the input ends with {trailing}", 0.9
            )
        )
        r.fix_code = f"{replace_arg(layer.code, layer, 0, new_expr)}   # was: {layer.code}"
    else:
        r.fix_code = f"nn.LayerNorm({new_expr})   # = input.shape[-{k}:]"
    return r


def _layernorm_call(ctx: Context, ns: Shape) -> Call | None:
    for call in ctx.source.calls(*LAYERNORM):
        expr = call.kwargs.get("normalized_shape") or (call.args[0] if call.args else None)
        if expr is None:
            continue
        value = ctx.source.eval_int(expr, call)
        if value is not None and len(ns) == 1 and value == ns[0]:
            return call
        items = [p.strip() for p in expr.strip("[]() ").split(",") if p.strip()]
        vals = [ctx.source.eval_int(p, call) for p in items]
        if len(items) > 1 and vals == list(ns):
            return call
    return None


def _channels_first(
    ctx: Context, r: Reasoning, ns: Shape, shape: Shape, layer: Call | None
) -> Reasoning:
    c = ns[0]
    rank = len(shape)
    order = [0, *range(2, rank), 1]
    back = [0, rank - 1, *range(1, rank - 1)]
    names = "[N, C, H, W]" if rank == 4 else "[N, C, L]" if rank == 3 else "[N, C, D, H, W]"
    r.steps.append(
        f"The input is a channels-first map {names} = {shape}: its {fmt(c)} channels sit in dim "
        f"1, but LayerNorm normalises the last dim ({fmt(shape[-1])})."
    )
    r.values["fix_hint"] = (
        f"Move the channels last before the LayerNorm and back after it (x.permute{tuple(order)}"
        f" … .permute{tuple(back)}), or use nn.GroupNorm(1, {c}), which normalises [C, H, W] "
        "together for each sample."
    )
    r.fix_values["permute"] = order
    r.fix_code = (
        f"x = {_target(layer) if layer else 'norm'}(x.permute{tuple(order)}).permute{tuple(back)}"
        f"   # LayerNorm over the {c} channels\n# or: nn.GroupNorm(1, {c})   # [N, C, H, W] as is"
    )
    if layer is not None:
        r.suspects.append(
            call_suspect(layer, f"a LayerNorm({c}) applied to a channels-first {names} map", 0.85)
        )
    if rank == 3:
        for call in ctx.source.calls("flatten"):
            start = call.args[-1] if call.args else ""
            if start != "2" or "transpose" in call.code or "permute" in call.code:
                continue
            r.suspects.append(
                call_suspect(
                    call,
                    "flattens [N, C, H, W] to [N, C, H·W]: add .transpose(1, 2) for "
                    "[N, H·W, C] tokens",
                    0.9,
                )
            )
            r.fix_code = (
                f"{call.code.split('#', 1)[0].rstrip()}.transpose(1, 2)   # [N, H·W, {c}]\n"
                + r.fix_code
            )
            r.fix_values = {"transpose": [1, 2]}
            break
    return r


def layernorm_param(ctx: Context) -> Reasoning:
    """`Expected weight to be of same shape as normalized_shape`: F.layer_norm's weight/bias."""
    param = ctx.get("param") or "weight"
    got = ctx.need_shape("param_shape", allow_int=False)
    ns = ctx.need_shape("normalized_shape", allow_int=False)
    r = Reasoning()
    r.values.update(param=param)
    r.steps.append(
        f"F.layer_norm scales by {param} element-wise over the normalised dims, so {param} must "
        f"be shaped {ns}; it is {got}."
    )
    r.fix_values[f"{param}_shape"] = list(ns)
    r.suspects += frame_suspect(ctx.where, f"passes a {param} of shape {got}", 0.6)
    return r


# -- GroupNorm ----------------------------------------------------------------------------------


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def nearest_groups(channels: int, groups: int) -> int:
    """The largest divisor of `channels` not above `groups` (32 for 64, 16 for 48 when 32)."""
    below = [d for d in divisors(channels) if d <= groups]
    return below[-1] if below else 1


def groupnorm_ctor(ctx: Context) -> Reasoning:
    """`num_channels (C) must be divisible by num_groups (G)` raised by nn.GroupNorm(G, C)."""
    channels = ctx.need_int("num_channels")
    groups = ctx.need_int("num_groups")
    return _groups(ctx, channels, groups, "num_channels")


def groupnorm_ctor_unsized(ctx: Context) -> Reasoning:
    """`num_channels must be divisible by num_groups` (older nn.GroupNorm, no sizes): the sizes
    come from the user's source when a GroupNorm call there does not divide."""
    for call in ctx.source.calls("GroupNorm"):
        groups = arg_int(ctx.source, call, 0, "num_groups")
        channels = arg_int(ctx.source, call, 1, "num_channels")
        if groups and channels and channels % groups:
            r = _groups(ctx, channels, groups, "num_channels")
            r.numbers.update(num_channels=channels, num_groups=groups)
            r.values["sizes_text"] = (
                f" ({fmt(channels)} channels into {groups} groups, from {call.code.strip()})"
            )
            r.values["fix_hint"] = f"Use num_groups={r.values['best_groups']}, which divides " + (
                f"{fmt(channels)}."
            )
            return r
    r = Reasoning()
    r.values["sizes_text"] = ""
    r.steps.append(
        "nn.GroupNorm(num_groups, num_channels) splits the channels into num_groups groups of "
        "equal size: num_channels % num_groups must be 0. This release's message leaves out "
        "both numbers."
    )
    r.steps.append(
        "The usual case: a block built for many widths with a fixed num_groups (32 by default "
        "in many codebases) meets a width that is not a multiple of it, such as a final layer "
        "with 1 or 3 channels, or a width computed from a ratio."
    )
    r.values["fix_hint"] = (
        "Print num_groups and num_channels at the failing GroupNorm and pick a num_groups "
        "that divides num_channels (math.gcd(num_channels, 32) always does)."
    )
    r.fix_code = (
        "groups = math.gcd(num_channels, 32)   # a divisor of num_channels, at most 32\n"
        "nn.GroupNorm(groups, num_channels)"
    )
    r.suspects += frame_suspect(ctx.where, "builds a GroupNorm whose groups do not divide", 0.5)
    return r


def groupnorm_input(ctx: Context) -> Reasoning:
    """`Expected number of channels in input to be divisible by num_groups, but got input of shape
    [N, C, *] and num_groups=G`."""
    shape = ctx.need_shape("input_shape", allow_int=False)
    groups = ctx.need_int("num_groups")
    if len(shape) < 2:
        raise Decline("no channel dim")
    r = _groups(ctx, shape[1], groups, "input.size(1)")
    return r


def _groups(ctx: Context, channels: int, groups: int, label: str) -> Reasoning:
    if groups <= 0 or channels % groups == 0:
        raise Decline("divisible after all")
    r = Reasoning()
    best = nearest_groups(channels, groups)
    per = channels // best
    r.values.update(
        channels=channels,
        groups=groups,
        best_groups=best,
        per_group=f"{per} channel{'s' if per != 1 else ''}",
    )
    r.steps.append(
        f"GroupNorm splits the {fmt(channels)} channels into num_groups={groups} equal groups: "
        f"{fmt(channels)} / {groups} = {channels / groups:.4g}, not a whole number."
    )
    r.steps.append(
        f"Divisors of {fmt(channels)} up to {groups}: "
        f"{', '.join(str(d) for d in divisors(channels) if d <= groups)}; the nearest is {best} "
        f"({channels // best} channels per group)."
    )
    r.fix_values["num_groups"] = best
    layer, exact = find_layer(ctx, ("GroupNorm",), 0, "num_groups", groups)
    if layer is not None:
        r.suspects.append(
            call_suspect(
                layer,
                f"{fmt(channels)} channels cannot be split into {groups} groups",
                0.9 if exact else 0.6,
            )
        )
        r.fix_code = f"{replace_arg(layer.code, layer, 0, str(best))}   # was: {layer.code}"
    else:
        r.fix_code = f"nn.GroupNorm({best}, {channels})   # {channels} % {best} == 0"
    r.values["label"] = label
    return r


def groupnorm_channels(ctx: Context) -> Reasoning:
    """`Expected weight to be a vector of size equal to the number of channels in input, but got
    weight of shape [W] and input of shape [N, C, *]`: GroupNorm(G, W) on C channels."""
    weight = ctx.need_shape("weight_shape", allow_int=False)
    shape = ctx.need_shape("input_shape", allow_int=False)
    if len(shape) < 2 or not weight:
        raise Decline("no channel dim")
    built, channels = weight[0], shape[1]
    r = Reasoning()
    r.values.update(built=built, channels=channels, param=ctx.get("param") or "weight")
    r.steps.append(
        f"GroupNorm(num_groups, num_channels={fmt(built)}) keeps one weight and bias per channel; "
        f"the input {shape} has C = dim 1 = {fmt(channels)}: {fmt(built)} ≠ {fmt(channels)}."
    )
    r.fix_values["num_channels"] = channels
    layer, exact = find_layer(ctx, ("GroupNorm",), 1, "num_channels", built)
    if layer is not None:
        groups = arg_int(ctx.source, layer, 0, "num_groups")
        expr = conv_output_expr(ctx, layer, 1, "num_channels")
        if expr is not None:
            r.steps.append(
                f"{layer.code.strip()} normalises the output of the conv built just before it, "
                f"which has {expr} channels, but was given that conv's input channels."
            )
        new = replace_arg(layer.code, layer, 1, expr or str(channels), "num_channels")
        if groups and channels % groups:
            best = nearest_groups(channels, groups)
            r.steps.append(
                f"{fmt(channels)} is not divisible by num_groups={groups} either: use {best}."
            )
            r.fix_values["num_groups"] = best
            new = replace_arg(new, layer, 0, str(best))
        r.suspects.append(
            call_suspect(
                layer,
                f"built for {fmt(built)} channels; its input has {fmt(channels)}",
                0.9 if exact else 0.6,
            )
        )
        r.fix_code = f"{new}   # was: {layer.code}"
    else:
        r.fix_code = f"nn.GroupNorm(num_groups, {channels})   # num_channels = input.size(1)"
    return r
