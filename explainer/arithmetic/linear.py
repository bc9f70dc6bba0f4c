"""nn.Linear / matmul inner-dimension mismatches: which number is the batch, which the features,
what in_features the layer needs, and where the extra features come from."""

from __future__ import annotations

import re

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.layers import chain_text, inputs_giving, spatial_chain
from explainer.arithmetic.model_files import FEATURES, model_file_story, model_tool
from explainer.arithmetic.shapes import Shape, fmt, integer_sqrt, ratio_text
from explainer.arithmetic.suspects import call_suspect, matching_calls, replace_arg
from explainer.source import Call

MATMUL_HINTS = ("torch.mm(", "torch.matmul(", "torch.bmm(", ".mm(", ".matmul(", " @ ", "einsum(")
# Channel counts of common backbones' last feature map, for the unpooled-map story.
BACKBONE_CHANNELS = {
    512: "ResNet-18/34, VGG",
    768: "ViT-B, ConvNeXt-T",
    1024: "DenseNet-121, ConvNeXt-B",
    1280: "EfficientNet-B0, MobileNetV2",
    2048: "ResNet-50/101/152, Inception-v3",
}
LINEAR_HINTS = ("linear.py", "F.linear", "nn.Linear", "self.fc", "linear(", "Linear(")


def in_features(ctx: Context) -> Reasoning:
    """`mat1 and mat2 shapes cannot be multiplied (R x F and I x O)` from an nn.Linear."""
    rows, feats, need, out = operands(ctx)
    if _is_plain_matmul(ctx):
        raise Decline("a torch.mm / @ call, not an nn.Linear")
    r = Reasoning()
    r.values.update(rows=rows, features=feats, in_features=need, out_features=out)
    r.values["fix_text"] = (
        f"Build the layer with in_features={fmt(feats)}, or make the input match the layer."
    )
    r.steps.append(
        f"The input reaches the layer as a {fmt(rows)} × {fmt(feats)} matrix: {fmt(rows)} "
        f"row{'s' if rows != 1 else ''} (the batch, times any extra leading dims) of "
        f"{fmt(feats)} features each."
    )
    r.steps.append(
        f"The layer's weight is used transposed, {fmt(need)} × {fmt(out)}: "
        f"nn.Linear(in_features={fmt(need)}, out_features={fmt(out)})."
    )
    r.steps.append(f"A product needs the inner sizes equal: {fmt(feats)} ≠ {fmt(need)}.")
    layer = _find_layer(ctx, need, out)
    if _unflattened_input(ctx, r, rows, feats, need, out, layer):
        return r
    if _batch_in_view(ctx, r, rows, feats, need, out, layer):
        return r
    if _channels_last_input(r, rows, feats, need, out, layer):
        return r
    tool = model_tool(ctx)
    if tool is not None:
        cause, fix, code = model_file_story(r, tool, feats, need, FEATURES, "features")
        r.values.update(
            ratio_note=cause,
            layer_code=f"nn.Linear({need}, {out})",
            fixed_in_expr=str(need),
            fix_text=fix,
        )
        r.fix_code = code
        return r
    if _unpooled_map(r, rows, feats, need, out, layer):
        return r
    r.fix_values["in_features"] = feats
    r.values["ratio_note"] = _ratio_note(r, feats, need) + (
        " The layer size was usually computed for another input size, or a pooling layer that "
        "the size assumed is missing or different."
    )
    r.values["layer_code"] = f"nn.Linear({fmt(need).replace(',', '')}, {out})"
    fixed_expr = str(feats)
    if layer:
        r.values["layer_code"] = layer.code
        channels = _channels_from(ctx, layer)
        fixed_expr = _feature_expr(feats, channels) or str(feats)
        bidir = _bidirectional_rnn(ctx, feats, need)
        if bidir is not None:
            fixed_expr = f"{layer.args[0]} * 2" if layer.args else str(feats)
            r.steps.append(
                f"{bidir.code.strip()} is bidirectional: its output concatenates both "
                f"directions, 2 × {fmt(need)} = {fmt(feats)} features per step."
            )
            r.values["ratio_note"] = (
                f" The input comes from a bidirectional RNN ({bidir.code.strip()}), whose output "
                f"has 2 × hidden_size = {fmt(feats)} features."
            )
            r.suspects.append(call_suspect(bidir, "bidirectional=True doubles the features", 0.5))
        new_line = replace_arg(layer.code, layer, 0, fixed_expr)
        r.suspects.append(
            call_suspect(
                layer,
                f"builds the layer with in_features={fmt(need)}; the input has {fmt(feats)} "
                "features per row",
                0.9,
            )
        )
        r.fix_code = f"{new_line}   # was: {layer.code}"
        _spatial_story(ctx, r, layer, feats, need, channels)
    else:
        r.fix_code = f"nn.Linear({fixed_expr}, {out})   # in_features must equal {fmt(feats)}"
    r.values["fixed_in_expr"] = fixed_expr
    return r


def _unflattened_input(
    ctx: Context, r: Reasoning, rows: int, feats: int, need: int, out: int, layer: Call | None
) -> bool:
    """[N, C, H, W] (or [N, T, F]) fed to a Linear sized for C*H*W: the flatten is missing.

    Linear folds every leading dim into the rows, so rows = N × (need / feats)."""
    if feats >= need or need % feats:
        return False
    k = need // feats
    if k < 2 or rows % k:
        return False
    n = rows // k
    codes = " ".join(ctx.frame_codes())
    if any(h in codes for h in ("flatten(", ".view(", ".reshape(")):
        return False
    # Square maps make it certain (need = C·H·W with H = W = feats); otherwise the forward
    # in the user's source must show no flatten before the layer's call.
    if k % feats and not _no_flatten_before(ctx):
        return False
    r.values["ratio_note"] = (
        f" {fmt(need)} = {k} × {fmt(feats)} and {fmt(rows)} = {n} × {k}: the layer was sized "
        f"for the flattened sample ({fmt(need)} values), but the input reached it unflattened, "
        f"so its last dimension ({fmt(feats)}) was taken as the features and the other {k} "
        "positions became rows."
    )
    r.steps.append(
        f"nn.Linear folds every leading dimension into the rows: {fmt(rows)} rows = {n} "
        f"samples × {k} positions, each of {fmt(feats)} values; {k} × {fmt(feats)} = "
        f"{fmt(need)} is exactly in_features. The input was never flattened."
    )
    r.values["fixed_in_expr"] = str(need)
    r.values["fix_text"] = (
        f"Flatten each sample before the layer (torch.flatten(x, 1)): in_features={fmt(need)} "
        "is right for the flattened input."
    )
    r.fix_values["in_features"] = need
    r.fix_values["batch"] = n
    where = ctx.where
    fix = "x = torch.flatten(x, 1)   # before the layer: [N, ...] -> [N, " + str(need) + "]"
    if where is not None and where.code:
        from explainer.model import Suspect

        r.suspects.append(
            Suspect(
                where.file,
                where.line or 0,
                where.code,
                "feeds the layer an unflattened tensor",
                0.85,
            )
        )
        fix += f"\n{where.code.strip()}"
    if layer is not None:
        r.values["layer_code"] = layer.code
        r.suspects.append(
            call_suspect(layer, f"in_features={fmt(need)} is right for the flattened input", 0.3)
        )
    else:
        r.values["layer_code"] = f"nn.Linear({need}, {out})"
    r.fix_code = fix + "\n# or nn.Flatten() before the Linear inside nn.Sequential"
    return True


def _batch_in_view(
    ctx: Context, r: Reasoning, rows: int, feats: int, need: int, out: int, layer: Call | None
) -> bool:
    """`x.view(BATCH_SIZE, -1)` on a smaller batch: `rows` is the hard-coded batch, and the
    features shrank by the same factor, so rows × feats = samples × in_features."""
    from explainer.arithmetic.view import view_specs

    total = rows * feats
    if feats >= need or total % need:
        return False
    samples = total // need
    for spec in view_specs(ctx.source):
        if len(spec.dims) != 2 or spec.dims[0] != rows or spec.dims[1] != -1:
            continue
        if spec.exprs[0].lstrip("-").isdigit() and rows in (1, -1):
            continue
        call = spec.call
        r.values["ratio_note"] = (
            f" {call.code.strip()} fixes the batch at {spec.exprs[0]} = {rows}, but this batch "
            f"has {samples} samples: {samples} × {fmt(need)} = {fmt(total)} values were spread "
            f"over {rows} rows of {fmt(feats)}. The layer is right; the reshape is not (the last "
            "batch of an epoch is smaller)."
        )
        r.steps.append(
            f"{fmt(rows)} × {fmt(feats)} = {fmt(total)} = {samples} × {fmt(need)}: the data is "
            f"{samples} samples of the {fmt(need)} features the layer expects, reshaped with a "
            f"fixed batch of {rows}."
        )
        r.values["layer_code"] = layer.code if layer else f"nn.Linear({need}, {out})"
        r.values["fixed_in_expr"] = str(need)
        r.fix_values["batch_size"] = samples
        r.fix_values["in_features"] = need
        var = call.func.rsplit(".", 1)[0]
        first = f"{var}.size(0)" if var.isidentifier() else "-1"
        new = call.code.strip().replace(spec.exprs[0], first, 1)
        r.fix_code = f"{new}   # was: {call.code.strip()}\n# or: DataLoader(..., drop_last=True)"
        r.suspects.append(
            call_suspect(call, f"hard-codes the batch size {rows}; this batch has {samples}", 0.9)
        )
        return True
    return False


def _channels_last_input(
    r: Reasoning, rows: int, feats: int, need: int, out: int, layer: Call | None
) -> bool:
    """Rows of 3 (or 4) features by the thousand into a layer sized for many: the pixels of
    channels-last images ([N, H, W, 3]) reached the Linear unflattened."""
    if feats not in (3, 4) or need < 16 * feats or rows < 1024:
        return False
    color = "RGB" if feats == 3 else "RGBA"
    r.steps.append(
        f"{fmt(feats)} features per row over {fmt(rows)} rows is the shape of {color} pixels: "
        f"an image batch laid out channels-last, [N, H, W, {feats}] (as PIL, NumPy and OpenCV "
        f"give it), has its N × H × W = {fmt(rows)} pixels folded into rows by nn.Linear."
    )
    r.values["ratio_note"] = (
        f" The {fmt(feats)} looks like the colour channels of channels-last images [N, H, W, "
        f"{feats}] that reached the layer without being permuted and flattened: nn.Linear("
        f"{feats}, {out}) would run, but on each pixel separately, which is not what the "
        f"{fmt(need)}-input layer was built for."
    )
    r.values["layer_code"] = layer.code if layer else f"nn.Linear({need}, {out})"
    r.values["fixed_in_expr"] = str(need)
    r.values["fix_text"] = (
        f"Put the channels first and flatten each sample before the layer "
        f"(x.permute(0, 3, 1, 2), then torch.flatten(x, 1)); do not shrink the layer to "
        f"in_features={feats}."
    )
    r.fix_values["permute"] = [0, 3, 1, 2]
    r.fix_code = (
        f"x = x.permute(0, 3, 1, 2)   # [N, H, W, {feats}] -> [N, {feats}, H, W] "
        "(transforms.ToTensor() does this for PIL images)\n"
        f"x = torch.flatten(x, 1)     # [N, {feats}·H·W]: in_features must equal {feats} × H × W"
    )
    return True


def _unpooled_map(
    r: Reasoning, rows: int, feats: int, need: int, out: int, layer: Call | None
) -> bool:
    """A few features (7) into a layer sized for a backbone's channels (2048): the side of an
    unpooled 7×7 map reached the classifier, which was built for the globally pooled channels."""
    if not 4 <= feats <= 16 or need < 256 or need % 64 or rows % feats:
        return False
    known = BACKBONE_CHANNELS.get(need)
    r.steps.append(
        f"{fmt(feats)} features against in_features={fmt(need)}: {fmt(need)} is a backbone's "
        f"channel count{f' ({known})' if known else ''} and {fmt(feats)} the side of its last "
        "feature map "
        f"({feats}×{feats} for {feats * 32}-pixel images): nn.Linear took the map's last "
        f"dimension, its width, as the features, and folded the other dims into the "
        f"{fmt(rows)} rows."
    )
    r.values["ratio_note"] = (
        f" {fmt(feats)} is the side of an unpooled {feats}×{feats} feature map: the classifier "
        f"was built for the {fmt(need)} channels after global average pooling ([N, {need}, "
        f"{feats}, {feats}] → [N, {need}]), and that pooling is missing (a replaced or removed "
        "avgpool, a custom forward that skips it)."
    )
    r.values["layer_code"] = layer.code if layer else f"nn.Linear({need}, {out})"
    r.values["fixed_in_expr"] = str(need)
    r.values["fix_text"] = (
        f"Pool the map before the layer (global average pooling, then flatten): "
        f"in_features={fmt(need)} is right for [N, {fmt(need)}]; do not shrink it to {feats}."
    )
    r.fix_values["in_features"] = need
    r.fix_values["global_pool"] = True
    r.fix_code = (
        f"x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)   # [N, {need}, {feats}, {feats}] "
        f"-> [N, {need}]\n"
        "# or nn.AdaptiveAvgPool2d(1) and nn.Flatten() before the Linear; a torchvision ResNet "
        "has them unless model.avgpool was replaced"
    )
    if layer is not None:
        r.suspects.append(
            call_suspect(layer, f"in_features={fmt(need)} is right for the pooled channels", 0.3)
        )
    return True


def _no_flatten_before(ctx: Context) -> bool:
    where = ctx.where
    if where is None or where.line is None or not ctx.source.lines(where.file):
        return False
    for call in ctx.source.calls("flatten", "view", "reshape", "Flatten", "squeeze", "mean"):
        if call.file == where.file and call.function == where.function and call.line < where.line:
            return False
    return True


def _bidirectional_rnn(ctx: Context, feats: int, need: int) -> Call | None:
    if feats != 2 * need:
        return None
    for call in ctx.source.calls("LSTM", "GRU", "RNN"):
        if "True" in call.kwargs.get("bidirectional", ""):
            return call
    return None


def operands(ctx: Context) -> tuple[int, int, int, int]:
    """(rows, features, in_features, out_features) under the names each wording uses."""
    values = (
        ctx.get("mat1_rows", "m1_rows", "rows"),
        ctx.get("mat1_cols", "m1_cols", "features"),
        ctx.get("mat2_rows", "m2_rows", "in_features"),
        ctx.get("mat2_cols", "m2_cols", "out_features"),
    )
    if not all(isinstance(v, int) for v in values):
        raise Decline("numbers missing")
    if values[1] == values[2]:
        # PyTorch raises this only when the inner sizes differ: equal ones mean the message was
        # edited or retyped, or it comes from a kernel outside PyTorch's own check. There is no
        # size arithmetic to give, and "2,112 ≠ 2,112" would be nonsense.
        raise Decline("the printed inner sizes are equal: not a size mismatch PyTorch raised")
    return values  # type: ignore[return-value]


def _is_plain_matmul(ctx: Context) -> bool:
    codes = " ".join(ctx.frame_codes())
    files = " ".join(f.file for f in ctx.parsed.all_frames)
    if any(h in files or h in codes for h in LINEAR_HINTS):
        return False
    return any(h in codes for h in MATMUL_HINTS)


def _ratio_note(r: Reasoning, feats: int, need: int) -> str:
    if need <= 0:
        return ""
    q = feats / need
    root = integer_sqrt(feats // need) if feats % need == 0 else None
    if root and root > 1:
        r.steps.append(
            f"{fmt(feats)} / {fmt(need)} = {ratio_text(feats, need)}: a square, so the feature "
            f"map reaching the flatten is {root}× larger per side than the layer was built for."
        )
        return (
            f" The ratio {ratio_text(feats, need)} says the feature map is {root}× larger per side."
        )
    if need % feats == 0 and integer_sqrt(need // feats):
        side = integer_sqrt(need // feats)
        r.steps.append(
            f"{fmt(need)} / {fmt(feats)} = {need // feats} = {side}²: the feature map is {side}× "
            "smaller per side than the layer was built for."
        )
        return f" The feature map is {side}× smaller per side than the layer expects."
    side = integer_sqrt(feats * need)
    if side and need:
        per_side = side / need
        r.steps.append(
            f"{fmt(feats)} / {fmt(need)} = {q:.4g} = {per_side:.4g}²: the feature map is "
            f"{per_side:.4g}× {'larger' if q > 1 else 'smaller'} per side than the layer assumed."
        )
        return ""
    r.steps.append(f"{fmt(feats)} / {fmt(need)} = {q:.4g}.")
    return ""


def _find_layer(ctx: Context, need: int, out: int) -> Call | None:
    calls = matching_calls(ctx.source, ("Linear", "LazyLinear"), {0: need, 1: out})
    if not calls:
        calls = matching_calls(ctx.source, ("Linear",), {0: need})
    return calls[0] if calls else None


def _channels_from(ctx: Context, layer: Call) -> int | None:
    """The channel count written in the layer's own expression (`16 * 5 * 5` -> 16)."""
    expr = layer.args[0] if layer.args else ""
    parts = [p.strip() for p in expr.split("*")]
    if len(parts) >= 2:
        value = ctx.source.eval_int(parts[0], layer)
        if value:
            return value
    _, channels = spatial_chain(ctx.source, layer.cls)
    return channels


def _feature_expr(feats: int, channels: int | None) -> str | None:
    if channels and feats % channels == 0:
        side = integer_sqrt(feats // channels)
        if side == 1:
            return str(channels)
        if side:
            return f"{channels} * {side} * {side}"
    return None


def _spatial_story(
    ctx: Context, r: Reasoning, layer: Call, feats: int, need: int, channels: int | None
) -> None:
    """Walk the conv/pool layers: which input size gives the map the layer saw, and expected."""
    if not channels or feats % channels or need % channels:
        return
    got_side = integer_sqrt(feats // channels)
    want_side = integer_sqrt(need // channels)
    if not got_side or not want_side:
        _length_story(ctx, r, layer, feats, need, channels)
        return
    r.steps.append(
        f"{fmt(feats)} = {channels} × {got_side} × {got_side} (channels × H × W) against "
        f"{fmt(need)} = {channels} × {want_side} × {want_side}."
    )
    r.values["got_side"], r.values["want_side"] = got_side, want_side
    layers, _ = spatial_chain(ctx.source, layer.cls)
    if not layers:
        return
    got_inputs = inputs_giving(layers, got_side)
    want_inputs = inputs_giving(layers, want_side)
    if not got_inputs or not want_inputs:
        return
    got_in, want_in = _pick_input(got_inputs), _pick_input(want_inputs)
    r.steps.append(
        "Output size per layer, floor((H + 2p − d(k−1) − 1)/s) + 1: "
        f"{chain_text(layers, got_in)} for a {got_in}×{got_in} input, where the layer assumed "
        f"{chain_text(layers, want_in)} from {want_in}×{want_in}."
    )
    r.values["input_side"], r.values["expected_input_side"] = got_in, want_in
    r.fix_values["input_size"] = got_in
    r.fix_code = (r.fix_code or "") + (
        f"\n# or keep in_features={need} and make the map {want_side}×{want_side} for any input:"
        f"\n#     x = nn.functional.adaptive_avg_pool2d(x, ({want_side}, {want_side}))  "
        "# before the flatten"
        f"\n# or resize the input images to {want_in}×{want_in}"
    )


def _length_story(
    ctx: Context, r: Reasoning, layer: Call, feats: int, need: int, channels: int
) -> None:
    """Conv1d models: features = channels × length; which input length gives each."""
    layers, _ = spatial_chain(ctx.source, layer.cls)
    if not layers or not any(lay.call and lay.call.name.endswith("1d") for lay in layers):
        return
    got_len, want_len = feats // channels, need // channels
    r.steps.append(
        f"{fmt(feats)} = {channels} × {got_len} (channels × length) against {fmt(need)} = "
        f"{channels} × {want_len}."
    )
    got_inputs, want_inputs = inputs_giving(layers, got_len), inputs_giving(layers, want_len)
    if got_inputs and want_inputs:
        got_in, want_in = _pick_input(got_inputs), _pick_input(want_inputs)
        r.steps.append(
            "Length per layer, floor((L + 2p − d(k−1) − 1)/s) + 1: "
            f"{chain_text(layers, got_in)} for length-{got_in} inputs, where the layer assumed "
            f"{chain_text(layers, want_in)} from length {want_in}."
        )
        r.fix_values["input_size"] = got_in
        r.fix_code = (r.fix_code or "") + (
            f"\n# or keep in_features={need}: x = nn.functional.adaptive_avg_pool1d(x, "
            f"{want_len}) before the flatten"
        )
    r.fix_code = (r.fix_code or "").replace(
        f"nn.Linear({feats},", f"nn.Linear({channels} * {got_len},"
    )


def _pick_input(sizes: list[int]) -> int:
    """Of the input sizes giving the same output, prefer a round one (64 over 65)."""
    for size in sizes:
        if size % 8 == 0:
            return size
    return sizes[0]


def matmul_inner(ctx: Context) -> Reasoning:
    """`torch.mm`/`@`/`torch.matmul` with inner sizes that differ (A: rows × k, B: k' × cols)."""
    rows, feats, need, out = operands(ctx)
    r = Reasoning()
    r.values.update(rows=rows, features=feats, in_features=need, out_features=out)
    r.steps.append(
        f"A ({fmt(rows)} × {fmt(feats)}) @ B ({fmt(need)} × {fmt(out)}): the columns of A "
        f"({fmt(feats)}) must equal the rows of B ({fmt(need)}); {fmt(feats)} ≠ {fmt(need)}."
    )
    if rows == 1:
        r.steps.append(
            "A has one row: a 1-D vector of length "
            f"{fmt(feats)} is treated as a 1 × {fmt(feats)} matrix."
        )
    if feats == out and rows == need:
        r.steps.append(
            "Both operands would fit if B were transposed: A @ B.T is "
            f"({fmt(rows)} × {fmt(feats)}) @ ({fmt(out)} × {fmt(need)})."
        )
        r.values["hint"] = "B looks transposed: use A @ B.T (or B.transpose(-2, -1))."
    elif feats == out:
        r.steps.append(
            f"B's last dimension is {fmt(out)} = A's columns: B is stored as "
            f"[{fmt(need)}, {fmt(out)}] (out × in, like nn.Linear's weight), so A @ B.T fits."
        )
        r.values["hint"] = "B is stored out × in: use A @ B.T, or create it as [in, out]."
    elif rows == need:
        r.steps.append("A's rows equal B's rows: perhaps A.T @ B was meant.")
        r.values["hint"] = "A may be transposed: check which dimension is contracted."
    else:
        r.values["hint"] = (
            "Check which dimension of each operand is the one being contracted: "
            "A's last must equal B's first."
        )
    where = ctx.where
    if where and where.code:
        from explainer.model import Suspect

        r.suspects.append(
            Suspect(where.file, where.line or 0, where.code, "the product with the mismatch", 0.8)
        )
    creator = _created_with_shape(ctx, need, out)
    if creator is not None and feats == out:
        r.suspects.append(
            call_suspect(
                creator, f"creates B as [{need}, {out}]; A @ B needs [{feats}, {need}]", 0.85
            )
        )
        swapped = _swap_two_args(creator, need, out)
        r.fix_code = (
            f"{swapped}   # was: {creator.code.strip()}\n# or keep it and "
            "multiply by its transpose: A @ B.T"
        )
        r.fix_values["mat2_shape"] = [feats, need]
    elif feats == out:
        r.fix_code = "y = a @ b.T   # b is [out, in]; or torch.nn.functional.linear(a, b)"
        r.fix_values["mat2_shape"] = [feats, need]
    else:
        r.fix_code = (
            f"# A must be [..., {fmt(need)}] or B [{fmt(feats)}, ...]\n"
            "print(a.shape, b.shape)   # find which one has the wrong size"
        )
    return r


def _created_with_shape(ctx: Context, a: int, b: int) -> Call | None:
    """`torch.randn(a, b)` / `nn.Parameter(torch.empty(a, b))` creating B in the user's source."""
    for call in ctx.source.calls(
        "randn", "rand", "zeros", "ones", "empty", "Tensor", "FloatTensor"
    ):
        args = call.args
        if len(args) == 1 and args[0].startswith(("(", "[")):
            args = [x.strip() for x in args[0].strip("()[]").split(",") if x.strip()]
        if len(args) == 2 and [ctx.source.eval_int(x, call) for x in args] == [a, b]:
            return call
    return None


def _swap_two_args(call: Call, a: int, b: int) -> str:
    code = call.code.strip()
    inner = call.node
    args = [ast_unparse(x) for x in inner.args]
    if len(args) == 2:
        old = f"{args[0]}, {args[1]}"
        if old in code:
            return code.replace(old, f"{args[1]}, {args[0]}", 1)
    if len(args) == 1:
        return code.replace(args[0], f"({b}, {a})", 1)
    return code


def ast_unparse(node: object) -> str:
    import ast

    return ast.unparse(node)  # type: ignore[arg-type]


def no_numbers(ctx: Context) -> Reasoning:
    """`mat1 dim 1 must match mat2 dim 0` (CUDA ≈1.7-1.13) and TH/THC `size mismatch at ...`:
    no sizes in the message, so read them from the source when it is there."""
    r = Reasoning()
    is_matmul = _is_plain_matmul(ctx)
    if ctx.entry_id.startswith("linear") and is_matmul:
        raise Decline("a torch.mm / @ call, not an nn.Linear")
    r.steps.append(
        "This wording has no sizes. A (rows × k) @ B (k' × cols) needs k = k'; for nn.Linear "
        "the input's last dimension must equal in_features (PyTorch prints the input as mat1 "
        "and the transposed weight as mat2)."
    )
    where = ctx.where
    layer = None
    if where is not None and where.code:
        m = re.search(r"self\.(\w+)\(", where.code)
        if m:
            for call in ctx.source.calls("Linear", "LazyLinear"):
                if call.target == f"self.{m[1]}":
                    layer = call
                    break
        from explainer.model import Suspect

        r.suspects.append(
            Suspect(
                where.file, where.line or 0, where.code, "the call whose inner sizes differ", 0.6
            )
        )
    if layer is not None:
        r.values["layer_text"] = f"the layer {layer.code.strip()}"
        r.suspects.append(
            call_suspect(layer, "its in_features must equal the input's last dimension", 0.8)
        )
    elif not ctx.entry_id.startswith("linear"):
        code = (where.code or "").strip() if where else ""
        r.values["layer_text"] = f"`{code}`" if code else "the product"
    else:
        r.values["layer_text"] = "the failing layer"
    r.fix_code = (
        "print(x.shape)   # just before the failing layer: x.shape[-1] must equal in_features\n"
        "nn.LazyLinear(out_features)   # or let PyTorch infer in_features on the first call"
    )
    r.confidence = 0.7
    return r


def bmm(ctx: Context) -> Reasoning:
    """`Expected size for first two dimensions of batch2 tensor to be: [B, K] but got: [B2, K2].`"""
    b, k = ctx.get("exp_batch"), ctx.get("exp_inner")
    b2, k2 = ctx.get("got_batch"), ctx.get("got_inner")
    r = Reasoning()
    frames = " ".join(f"{f.file} {f.function or ''} {f.code or ''}" for f in ctx.parsed.all_frames)
    if not isinstance(k, int) or not isinstance(k2, int):
        if "equal number of batches" in ctx.message:
            r.values["detail"] = "the two operands hold different numbers of matrices"
        else:
            r.values["detail"] = (
                "batch1.size(2) must equal batch2.size(1) and the batch sizes must agree"
            )
        r.steps.append(
            "batch1 is [B, n, k] and batch2 must be [B, k, m]: same B, and the "
            "contracted size k must agree."
        )
        r.confidence = 0.7
        return r
    r.values.update(detail="")
    if isinstance(b, int) and isinstance(b2, int) and b != b2:
        r.steps.append(
            f"batch1 holds {b} matrices and batch2 {b2}: a batched product pairs them one to one, "
            "so the first dimensions must be equal (bmm does not broadcast)."
        )
        r.values["detail"] = f"batch sizes {b} and {b2} differ"
        r.fix_values["batch"] = b
    if k != k2:
        r.steps.append(f"batch1 is [B, n, {k}], so batch2 must be [B, {k}, m]; its dim 1 is {k2}.")
        r.values["detail"] = (r.values["detail"] + "; " if r.values["detail"] else "") + (
            f"the contracted size is {k} in batch1 but {k2} in batch2"
        )
        r.fix_values["inner"] = k
    if "scaled_dot_product_attention" in frames or "multi_head_attention" in frames:
        r.steps.append(
            "Raised inside attention: the query/key head dims (or the batch×heads "
            "counts) differ between q and k, or k was not transposed."
        )
    if "affine_grid" in frames:
        r.steps.append("Raised inside F.affine_grid: theta's batch must equal size[0].")
    where = ctx.where
    code = (where.code or "") if where else ""
    if (
        code
        and k != k2
        and re.search(r"@|bmm\(|matmul\(", code)
        and "transpose" not in code
        and ".mT" not in code
    ):
        r.steps.append(
            f"batch2's dims 1 and 2 look swapped if its last size is {k}: q @ k needs "
            "k.transpose(-2, -1) (keys as [B, d, T])."
        )
        r.fix_code = _transpose_fix(code)
    if where is not None and code:
        from explainer.model import Suspect

        r.suspects.append(
            Suspect(
                where.file, where.line or 0, code, "the batched product whose sizes disagree", 0.8
            )
        )
    return r


def _transpose_fix(code: str) -> str:
    m = re.search(r"(\w+)\s*@\s*(\w+)", code)
    if m:
        return (
            f"{code.replace(m.group(0), f'{m[1]} @ {m[2]}.transpose(-2, -1)', 1)}   # was: {code}"
        )
    m = re.search(r"(bmm|matmul)\((\s*[\w.]+\s*),\s*([\w.]+)\s*\)", code)
    if m:
        new = f"{m[1]}({m[2].strip()}, {m[3]}.transpose(-2, -1))"
        return f"{code.replace(m.group(0), new, 1)}   # was: {code}"
    return "out = torch.bmm(a, b.transpose(1, 2))   # when b is [B, m, k]"


OPERAND_TEXT = {
    "mm": (
        "torch.mm / addmm multiply exactly two matrices (2-D tensors). A batch [B, n, k] needs "
        "torch.matmul or torch.bmm; a vector needs torch.mv/matmul or unsqueeze(0)."
    ),
    "bmm": (
        "torch.bmm / baddbmm multiply batches of matrices: both operands must be 3-D, "
        "[B, n, k] and [B, k, m]."
    ),
    "matmul": (
        "matmul / @ (and F.linear) need tensors with at least one dimension; a 0-D tensor "
        "is a scalar (a loss, a .sum() or .mean() result, an indexed element): multiply "
        "it with * instead."
    ),
    "dot": (
        "torch.dot / vdot / outer / ger take 1-D vectors: for matrices use @, torch.mm or "
        "(a * b).sum(-1) for row-wise dot products."
    ),
    "trace": (
        "torch.trace takes one matrix: for a batch use torch.diagonal(x, dim1=-2, dim2=-1).sum(-1)."
    ),
}


def operand_rank(ctx: Context) -> Reasoning:
    """A product given tensors of the wrong rank (mm, bmm, matmul, dot, outer, trace)."""
    text = ctx.message
    low = text.lower()
    r = Reasoning()
    d1, d2 = ctx.get("d1"), ctx.get("d2")
    d, want = ctx.get("d"), ctx.get("want")
    arg = ctx.get("arg")
    argno = ctx.get("argno")
    if arg is None and isinstance(argno, int) and "invalid argument" in low:
        # TH/THC baddbmm: batch1/batch2 are arguments 1/2 on the CPU, 6/7 on CUDA.
        arg = {1: "batch1", 2: "batch2", 6: "batch1", 7: "batch2"}.get(argno)
    if "both arguments to" in low:
        op = "matmul"
    elif "batch1" in low or "batch2" in low or "bmm" in low or "3d tensor" in low:
        op = "bmm"
    elif "trace" in low:
        op = "trace"
    elif "1d tensors" in low or "1-d argument" in low:
        op = "dot"
    else:
        op = "mm"
    dims = []
    if isinstance(d1, int) and isinstance(d2, int):
        dims = [d1, d2]
        r.values["rank_text"] = f"the operands are {d1}-D and {d2}-D"
    elif isinstance(d, int) and isinstance(want, int):
        r.values["rank_text"] = f"{arg or 'an operand'} is {d}-D where {want}-D is needed"
    elif isinstance(d, int):
        who = f"the argument {arg}" if arg else "the operand"
        r.values["rank_text"] = f"{who} is {d}-D"
    elif arg:
        names = {
            "self": "the first operand (mat1)",
            "mat1": "the first operand (mat1)",
            "mat2": "the second operand (mat2)",
            "batch1": "the first operand (batch1)",
            "batch2": "the second operand (batch2)",
        }
        want_rank = "3-D" if op == "bmm" else "2-D"
        named = _operand_name(ctx, str(arg))
        r.values["rank_text"] = (
            f"{names.get(str(arg), arg)}{f' `{named}`' if named else ''} is not {want_rank}"
        )
    else:
        r.values["rank_text"] = "an operand has the wrong number of dimensions"
    r.steps.append(OPERAND_TEXT[op])
    if op == "mm" and dims and max(dims) >= 3 and _is_linear_frames(ctx):
        r.steps.append(
            "In torch ≤ 0.3, nn.Linear accepted only 2-D input: flatten to [N, features] "
            "(or upgrade, since later releases fold the leading dims)."
        )
    if op == "matmul" and 0 in dims:
        r.steps.append(f"Operand {dims.index(0) + 1} is 0-D.")
    if op == "bmm" and isinstance(d, int) and d > 3:
        r.steps.append(
            f"A {d}-D operand has more than one batch dimension ([B, H, n, k] for attention "
            "heads, for instance): torch.matmul multiplies the last two dimensions and "
            "broadcasts all the leading ones; or fold them into one with reshape(-1, n, k)."
        )
    r.values["op_text"] = OPERAND_TEXT[op]
    where = ctx.where
    if where is not None and where.code:
        from explainer.model import Suspect

        r.suspects.append(
            Suspect(
                where.file,
                where.line or 0,
                where.code,
                "the product with an operand of the wrong rank",
                0.8,
            )
        )
    return r


def _operand_name(ctx: Context, arg: str) -> str | None:
    """`input` for batch1 in `torch.bmm(input, weight)` on the failing line."""
    index = {"batch1": 0, "mat1": 0, "self": 0, "batch2": 1, "mat2": 1}.get(arg)
    where = ctx.where
    if index is None or where is None or not where.code:
        return None
    m = re.search(r"\b(?:bmm|mm)\(\s*([\w.]+)\s*,\s*([\w.]+)\s*\)", where.code)
    return m[index + 1] if m else None


def _is_linear_frames(ctx: Context) -> bool:
    files = " ".join(f.file for f in ctx.parsed.all_frames)
    return any(h in files for h in ("linear.py", "_functions/linear"))


def vector_length(ctx: Context) -> Reasoning:
    """matrix @ vector (mv/addmv) or vector @ vector (dot) with lengths that differ."""
    r = Reasoning()
    rows, cols, vec = ctx.get("rows"), ctx.get("cols"), ctx.get("vec_len")
    n1, n2 = ctx.get("n1"), ctx.get("n2")
    if isinstance(cols, int) and isinstance(vec, int):
        r.values["detail"] = (
            f"the matrix has {fmt(cols)} columns but the vector has {fmt(vec)} entries"
        )
        r.steps.append(
            f"M ({fmt(rows) if isinstance(rows, int) else '?'} × {fmt(cols)}) @ v "
            f"({fmt(vec)}): each output is a row of M dotted with v, so len(v) must "
            f"be {fmt(cols)}."
        )
        inp = ctx.get("input_len")
        if isinstance(inp, int) and isinstance(rows, int) and inp != rows and inp != 0:
            r.steps.append(
                f"The added vector (addmv's input) has {inp} entries; it must have "
                f"{rows}, one per row of M."
            )
        if vec == cols + 1:
            r.steps.append(
                f"{fmt(vec)} = {fmt(cols)} + 1: the vector includes a bias term "
                "that the matrix has no column for."
            )
            r.fix_code = (
                "X = torch.cat([X, torch.ones(X.size(0), 1)], dim=1)   # add the bias "
                "column\n# or: y = X @ w[:-1] + w[-1]"
            )
        elif vec + 1 == cols:
            r.steps.append(
                f"{fmt(cols)} = {fmt(vec)} + 1: the matrix has an extra column "
                "(a bias column) the vector lacks."
            )
        r.fix_values["vec_len"] = cols
        for call in ctx.source.calls("zeros", "randn", "ones", "rand", "empty", "full"):
            first = call.args[0] if call.args else ""
            if len(call.args) <= 2 and ctx.source.eval_int(first, call) == vec:
                r.suspects.append(
                    call_suspect(
                        call, f"creates the vector with {vec} entries; M has {cols} columns", 0.85
                    )
                )
                break
    elif isinstance(n1, int) and isinstance(n2, int):
        r.values["detail"] = f"the vectors have {fmt(n1)} and {fmt(n2)} entries"
        r.steps.append(f"A dot product pairs entries one to one: {fmt(n1)} ≠ {fmt(n2)}.")
    else:
        raise Decline("numbers missing")
    where = ctx.where
    if where is not None and where.code:
        from explainer.model import Suspect

        r.suspects.append(
            Suspect(
                where.file,
                where.line or 0,
                where.code,
                "the product of vectors of different lengths",
                0.8,
            )
        )
    return r


def contraction(ctx: Context) -> Reasoning:
    """tensordot, cdist, multi_dot, addbmm: the contracted sizes differ."""
    r = Reasoning()
    low = ctx.message.lower()
    if "contracted dimensions" in low:
        s1, s2, d1, d2 = (ctx.get(n) for n in ("s1", "s2", "d1", "d2"))
        r.values["detail"] = f"tensordot contracts dim {d1} (size {s1}) with dim {d2} (size {s2})"
        r.steps.append(
            f"tensordot multiplies and sums over paired dims: dim {d1} of the first "
            f"({s1}) and dim {d2} of the second ({s2}) must have the same size."
        )
    elif "x1 and x2" in low:
        c1, c2 = ctx.get("c1"), ctx.get("c2")
        r.values["detail"] = f"cdist got points with {c1} and {c2} features"
        r.steps.append(
            f"cdist measures distances between rows: every point needs the same "
            f"number of coordinates, {c1} ≠ {c2}."
        )
    elif "multi_dot" in low:
        i, j, a, b = (ctx.get(n) for n in ("i", "j", "s1", "s2"))
        r.values["detail"] = f"matrices {i} {a} and {j} {b} do not chain"
        if isinstance(a, Shape) and isinstance(b, Shape) and a and b:
            r.steps.append(
                f"multi_dot chains A{i} @ A{j}: the last size of {a} ({a[-1]}) must "
                f"equal the first of {b} ({b[0]})."
            )
    elif "bmm" in low:
        r1, c1, r2, c2 = (ctx.get(n) for n in ("r1", "c1", "r2", "c2"))
        r.values["detail"] = f"the batch matrices are {r1}×{c1} and {r2}×{c2}"
        r.steps.append(
            f"addbmm sums batch1[i] @ batch2[i]: ({r1} × {c1}) @ ({r2} × {c2}) needs {c1} = {r2}."
        )
    else:
        raise Decline("another product")
    where = ctx.where
    if where is not None and where.code:
        from explainer.model import Suspect

        r.suspects.append(
            Suspect(
                where.file, where.line or 0, where.code, "the contraction whose sizes differ", 0.8
            )
        )
    return r


def linalg_shape(ctx: Context) -> Reasoning:
    """linalg ops given the wrong matrix shape: square, at least 2-D, cross of length 3, solve."""
    r = Reasoning()
    low = ctx.message.lower()
    fn = ctx.get("fn") or "linalg"
    if "square" in low:
        rows, cols = ctx.get("rows"), ctx.get("cols")
        r.values["detail"] = f"linalg.{fn} needs square matrices, got {rows} × {cols}"
        r.steps.append(
            f"{fn} (inverse, determinant, eigen-decomposition, …) is defined only for "
            f"n × n matrices; the last two dims are {rows} × {cols}."
        )
        r.steps.append("For a non-square A use torch.linalg.pinv or torch.linalg.lstsq.")
    elif "at least 2 dimensions" in low:
        r.values["detail"] = f"linalg.{fn} got a tensor with fewer than 2 dimensions"
        r.steps.append(
            "linalg functions take matrices [..., m, n]; a vector needs "
            "unsqueeze(-1) or torch.diag to become one."
        )
    elif "cross" in low:
        a, b = ctx.get("a"), ctx.get("b")
        r.values["detail"] = f"the cross product needs length 3, got {a} and {b}"
        r.steps.append(
            f"A cross product is defined for 3-vectors: dim {ctx.get('dim')} has sizes "
            f"{a} and {b}. Pass dim= to pick the dimension of size 3."
        )
    elif "solve" in low:
        ar, ac, br, bc = (ctx.get(n) for n in ("a_r", "a_c", "b_r", "b_c"))
        r.values["detail"] = f"A is {ar}×{ac} and B is {br}×{bc}"
        r.steps.append(
            f"solve finds X with A X = B: B's rows ({br}) must equal A's size ({ar}). "
            "A 1-D b is read as a batch of vectors only with matching sizes; use "
            "b.unsqueeze(-1) for one right-hand side."
        )
    else:
        raise Decline("another linalg error")
    where = ctx.where
    if where is not None and where.code:
        from explainer.model import Suspect

        r.suspects.append(Suspect(where.file, where.line or 0, where.code, "the linalg call", 0.8))
    return r


def bilinear(ctx: Context) -> Reasoning:
    """nn.Bilinear: an input's features or the two inputs' batch sizes differ."""
    r = Reasoning()
    got, expected, k = ctx.get("got"), ctx.get("expected"), ctx.get("k")
    if isinstance(got, int) and isinstance(expected, int):
        which = "in1_features" if str(k) == "1" else "in2_features"
        r.values["detail"] = (
            f"input{k} has {got} features, the layer was built with {which}={expected}"
        )
        r.steps.append(
            f"nn.Bilinear(in1_features, in2_features, out) computes x1ᵀ W x2: input{k}'s "
            f"last dimension ({got}) must equal {which} ({expected})."
        )
        r.fix_values[which] = got
        for call in ctx.source.calls("Bilinear"):
            r.suspects.append(call_suspect(call, f"{which}={expected}; input{k} has {got}", 0.8))
            break
    else:
        a, b = ctx.get("a"), ctx.get("b")
        r.values["detail"] = f"the inputs have {a} and {b} rows at dim {ctx.get('dim')}"
        r.steps.append(f"Bilinear pairs the rows of its two inputs: {a} ≠ {b}.")
    return r
