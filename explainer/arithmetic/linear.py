"""nn.Linear / matmul inner-dimension mismatches: which number is the batch, which the features,
what in_features the layer needs, and where the extra features come from."""

from __future__ import annotations

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.layers import chain_text, inputs_giving, spatial_chain
from explainer.arithmetic.shapes import fmt, integer_sqrt, ratio_text
from explainer.arithmetic.suspects import call_suspect, matching_calls, replace_arg
from explainer.source import Call

MATMUL_HINTS = ("torch.mm(", "torch.matmul(", "torch.bmm(", ".mm(", ".matmul(", " @ ", "einsum(")
LINEAR_HINTS = ("linear.py", "F.linear", "nn.Linear", "self.fc", "linear(", "Linear(")


def in_features(ctx: Context) -> Reasoning:
    """`mat1 and mat2 shapes cannot be multiplied (R x F and I x O)` from an nn.Linear."""
    rows, feats, need, out = operands(ctx)
    if _is_plain_matmul(ctx):
        raise Decline("a torch.mm / @ call, not an nn.Linear")
    r = Reasoning()
    r.values.update(rows=rows, features=feats, in_features=need, out_features=out)
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
    r.fix_values["in_features"] = feats
    r.values["ratio_note"] = _ratio_note(r, feats, need)
    layer = _find_layer(ctx, need, out)
    r.values["layer_code"] = f"nn.Linear({fmt(need).replace(',', '')}, {out})"
    fixed_expr = str(feats)
    if layer:
        r.values["layer_code"] = layer.code
        channels = _channels_from(ctx, layer)
        fixed_expr = _feature_expr(feats, channels) or str(feats)
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
        return f" The ratio {ratio_text(feats, need)} says the feature map is {root}× larger per side."
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
        if side:
            return f"{channels} * {side} * {side}"
    return None


def _spatial_story(ctx: Context, r: Reasoning, layer: Call, feats: int, need: int,
                   channels: int | None) -> None:
    """Walk the conv/pool layers: which input size gives the map the layer saw, and expected."""
    if not channels or feats % channels or need % channels:
        return
    got_side = integer_sqrt(feats // channels)
    want_side = integer_sqrt(need // channels)
    if not got_side or not want_side:
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


def _pick_input(sizes: list[int]) -> int:
    """Of the input sizes giving the same output, prefer a round one (64 over 65)."""
    for size in sizes:
        if size % 8 == 0:
            return size
    return sizes[0]


def matmul_inner(ctx: Context) -> Reasoning:
    """`torch.mm`/`@` with inner sizes that differ."""
    rows, feats, need, out = operands(ctx)
    r = Reasoning()
    r.values.update(rows=rows, features=feats, in_features=need, out_features=out)
    r.steps.append(
        f"A ({fmt(rows)} × {fmt(feats)}) @ B ({fmt(need)} × {fmt(out)}): the columns of A "
        f"({fmt(feats)}) must equal the rows of B ({fmt(need)})."
    )
    if feats == out and rows == need:
        r.steps.append("Both operands would fit if B were transposed: A @ B.T.")
        r.values["hint"] = "B looks transposed: use A @ B.T (or B.transpose(-2, -1))."
    elif feats == out:
        r.values["hint"] = "B's last dim equals A's last dim: you probably meant A @ B.T."
    else:
        r.values["hint"] = "Check which dimension of each operand is the one being contracted."
    where = ctx.where
    if where and where.code:
        from explainer.model import Suspect

        r.suspects.append(
            Suspect(where.file, where.line or 0, where.code, "the product with the mismatch", 0.8)
        )
    return r
