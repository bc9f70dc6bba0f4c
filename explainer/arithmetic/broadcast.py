"""Broadcasting and expand errors: which dimension disagrees once the shapes are aligned from the
right, what that dimension is (channels of an NCHW map, time steps of an [N, T, C] sequence, the
in_features of a weight), and the pattern behind it: a residual shortcut without a projection, a
positional table shorter than the sequence, an in-place op that would have to grow its tensor,
copy_ between layers of other widths, a slice assignment of a value of another length."""

from __future__ import annotations

import ast
import re
from typing import Any

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.model_files import (
    FEATURES,
    loads_weights,
    model_file_story,
    model_tool,
)
from explainer.arithmetic.shapes import Shape, fmt, integer_sqrt, parse_value
from explainer.arithmetic.suspects import (
    call_suspect,
    code_lines_with_numbers,
    raising_line_and_literals,
)
from explainer.model import Frame, Suspect
from explainer.source import Call, SourceIndex

RESIDUAL_NAME = re.compile(
    r"^(?:identity|shortcut|short_cut|skip|residual|res|inp|input|x_in|x0|orig|sc|"
    r"self\.(?:shortcut|downsample|skip|residual|proj|projection)\(.*\))$"
)
POSITIONAL_NAME = re.compile(r"(?:\bpe\b|pos|position|positional|time_emb|abs_emb)", re.I)
INPLACE_OP = re.compile(r"(?P<target>[\w.\[\]: ,]+?)\s*(?P<op>[-+*/]|//|%|\*\*)=\s*(?P<value>.+)$")
INPLACE_CALL = re.compile(
    r"(?P<target>[\w.\[\]]+)\.(?P<op>add|sub|mul|div|addcmul|addcdiv|"
    r"clamp|pow|copy|lerp|masked_fill|fill|mul)_\((?P<args>.*)\)\s*$"
)
SPATIAL_LAYERS = ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d", "MaxPool2d", "BatchNorm2d")
SEQUENCE_LAYERS = (
    "LSTM",
    "GRU",
    "RNN",
    "Embedding",
    "TransformerEncoderLayer",
    "MultiheadAttention",
    "TransformerEncoder",
)


# -- the generic message ---------------------------------------------------------------------


def size_mismatch(ctx: Context) -> Reasoning:
    """`The size of tensor a (A) must match the size of tensor b (B) at non-singleton
    dimension D`."""
    a, b, dim = _abd(ctx)
    r = Reasoning()
    _align_steps(r, a, b, dim)
    layout = _layout(ctx)
    role = _dim_role(dim, layout)
    r.values["dim_role"] = role
    r.values["dim_note"] = f" Dimension {dim} is {role}." if role else ""
    code = (ctx.where.code if ctx.where else "") or _last_frame_code(ctx)
    r.values["pattern_note"] = _empty_note(r, ctx, code, a, b) or _pattern_note(r, code, a, b, dim)
    ratio = _ratio_note(r, a, b, dim)
    r.values["ratio_note"] = "" if r.values["pattern_note"] else ratio
    if isinstance(b, str) or isinstance(a, str):
        sym = a if isinstance(a, str) else b
        other = b if sym is a else a
        r.steps.append(
            f"{sym} is a symbolic size: torch.compile traced this dimension as dynamic and prints "
            f"the symbol, not its value. With the inputs it traced, {sym} was not {_show(other)} "
            "(or the compiler could not prove it is): run once without torch.compile to see the "
            f"concrete sizes. If they do match in eager mode, state it before the op with "
            f"torch._check(t.size({dim}) == {_show(other)})."
        )
    where = ctx.where
    if where and where.line and where.code:
        r.suspects.append(
            Suspect(
                where.file,
                where.line,
                where.code,
                "the elementwise operation whose operands do not broadcast",
                0.6,
            )
        )
    r.fix_code = _generic_fix(code, a, b, dim, layout)
    r.values["fix_lead"] = (
        f"Make the two sizes at dimension {dim} equal, or make one of them 1 so it broadcasts."
    )
    if 0 in (a, b) and a != b:
        side = "a" if a == 0 else "b"
        r.values["fix_lead"] = (
            f"Find where tensor {side} became empty and give it its elements back: no reshape "
            "or broadcast turns an empty tensor into a full one."
        )
        r.fix_code = (
            f"# tensor {side} is empty (size 0 at dimension {dim}): print the shapes just before\n"
            f"#     {code.strip() or 'the failing line'}\n"
            "# and find where it lost its elements (an empty batch or file, a filter or slice "
            "that kept nothing,\n# a sharded parameter used outside its gather)"
        )
    tool = model_tool(ctx)
    if (
        tool is not None
        and isinstance(a, int)
        and isinstance(b, int)
        and 0 not in (a, b)
        and ((a in FEATURES and b in FEATURES) or loads_weights(ctx))
    ):
        cause, fix, tool_code = model_file_story(r, tool, a, b, FEATURES, "sizes")
        r.values["pattern_note"] = cause
        r.values["ratio_note"] = ""
        r.values["fix_lead"] = fix
        r.fix_code = tool_code
        return r
    mask = re.search(r"masked_fill_?\(\s*~?\(?\s*(?P<mask>[A-Za-z_][\w.]*)", code)
    if mask:
        name = mask["mask"]
        r.fix_code += (
            "\n# e.g. a [N, T] padding mask for [N, heads, T, T] attention scores:\n"
            + code.strip().replace(name, f"{name}[:, None, None, :]", 1)
        )
    return r


def _empty_note(r: Reasoning, ctx: Context, code: str, a: Any, b: Any) -> str:
    """A size of 0 is not a size that was computed wrong: the tensor is empty."""
    if 0 not in (a, b) or a == b:
        return ""
    side, other = ("a", b) if a == 0 else ("b", a)
    operands = _binary_operands(code)
    name = operands[0 if side == "a" else 1] if operands else None
    who = f"tensor {side}" + (f" (`{name}`)" if name else "")
    r.values[f"{side}_text"] = "0 (an empty tensor)"
    r.steps.append(
        f"A size of 0 means {who} has no elements at all: it is empty, not a tensor of "
        f"another size. Broadcasting cannot stretch 0 to {_show(other)}."
    )
    sharded = name is not None and re.search(r"(?:^|\.)(?:weight|bias)$", name)
    text = ctx.parsed.text.lower()
    if sharded or any(w in text for w in ("deepspeed", "zero3", "zero_3", "fsdp")):
        r.steps.append(
            "An empty parameter is what DeepSpeed ZeRO-3 and FSDP leave in a module whose "
            "weights are sharded across ranks and not gathered: its data is a placeholder of "
            "size 0 until the engine gathers it for the forward."
        )
        return (
            f" {who.capitalize()} is empty. If the model is sharded (DeepSpeed ZeRO-3, FSDP), an "
            "empty parameter is one used outside the engine's gather: a module called directly "
            "instead of through the wrapped model, weights loaded or read outside "
            "deepspeed.zero.GatheredParameters, or a model built under zero.Init and used "
            "without the engine. Otherwise find where the tensor lost its elements (an empty "
            "batch or sequence, a filter or slice that kept nothing)."
        )
    return (
        f" {who.capitalize()} is empty: it lost its elements before this line (an empty batch, "
        "file or sequence, a boolean mask or slice that selected nothing, a split or a "
        "distributed shard that gave this rank no data)."
    )


def _binary_operands(code: str) -> tuple[str, str] | None:
    """`self.weight * hidden_states.to(dtype)` -> the two operands of the line's operator."""
    expr = code.strip()
    expr = re.sub(r"^(?:return\s+|[\w.\[\], ]+?\s*(?:[-+*/]?=)\s*)", "", expr)
    try:
        node = ast.parse(expr, mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.BinOp):
        return ast.unparse(node.left), ast.unparse(node.right)
    return None


# -- the optimizer's state -----------------------------------------------------------------------

OPTIM_FILE = re.compile(r"[\\/]torch[\\/]optim[\\/]")
STATE_NAME = re.compile(
    r"^\s*(?P<state>exp_avg_sq|exp_avg|max_exp_avg_sq|momentum_buffer|buf|square_avg|"
    r"acc_delta|state_sum|grad_avg)\b"
)


def optimizer_state(ctx: Context) -> Reasoning:
    """A broadcast error inside optimizer.step(): the per-parameter state (exp_avg,
    momentum_buffer) has another shape than the parameter's gradient."""
    a, b, dim = _abd(ctx)
    frames = ctx.parsed.error.frames if ctx.parsed.error else []
    optim = [f for f in frames if OPTIM_FILE.search(f.file)]
    if not optim:
        raise Decline("not raised inside torch.optim")
    r = Reasoning()
    r.values["a_text"], r.values["b_text"] = _show(a), _show(b)
    code = (optim[-1].code or "").strip()
    m = STATE_NAME.search(code)
    state = m["state"] if m else "the optimizer's state"
    r.values["state"] = f"`{state}`" if m else state
    r.steps.append(
        "The optimizer keeps state for every parameter (Adam's exp_avg and exp_avg_sq, SGD's "
        "momentum_buffer), created with the shape of that parameter, and updates it with the "
        "parameter's gradient element by element."
    )
    r.steps.append(
        f"In `{code or 'the update'}` tensor a ({state}) has {_show(a)} at dimension {dim} and "
        f"tensor b (the gradient) has {_show(b)}: the state was made for another parameter."
    )
    r.steps.append(
        "optimizer.load_state_dict pairs the saved states with the current parameters by "
        "position, not by name: after a layer was added, removed, resized or frozen, every "
        "state after it lands on the wrong parameter."
    )
    r.values["story"] = (
        "usually an optimizer state_dict saved from another model, or from an older version of "
        "this one, was loaded into this optimizer; or the model was changed (a new head, "
        "resized embeddings, other parameters trainable) after the optimizer was created or "
        "restored"
    )
    r.fix_values["fresh_optimizer"] = True
    restore = [
        c
        for c in ctx.source.calls("load_state_dict")
        if re.search(r"optim|opt\b|solver", c.func, re.I)
    ]
    for call in restore[:1]:
        r.suspects.append(
            call_suspect(
                call,
                "restores optimizer state saved for another set of parameters (matched by "
                "position)",
                0.85,
            )
        )
    where = ctx.where
    if where and where.line and where.code:
        r.suspects.append(
            Suspect(
                where.file,
                where.line,
                where.code,
                "the optimizer step that meets state of another shape",
                0.5,
            )
        )
    r.fix_code = (
        "model.load_state_dict(checkpoint['model'], strict=False)   # the weights that still fit\n"
        "optimizer = torch.optim.AdamW(model.parameters(), lr=lr)   # fresh state, built after "
        "the model is final\n"
        "# optimizer.load_state_dict(checkpoint['optimizer'])       # only for the very same "
        "parameters, in the same order"
    )
    return r


def _abd(ctx: Context) -> tuple[Any, Any, int]:
    a, b, dim = ctx.get("a"), ctx.get("b"), ctx.get("dim")
    if a is None or b is None or not isinstance(dim, int):
        raise Decline("numbers missing")
    return a, b, dim


def _align_steps(r: Reasoning, a: Any, b: Any, dim: int) -> None:
    r.steps.append(
        "Broadcasting lines the two shapes up from the right (the last dimensions face each "
        "other); a tensor with fewer dimensions is padded with 1s on the left. Each aligned pair "
        "of sizes must be equal, or one of them must be 1."
    )
    r.steps.append(
        f"At dimension {dim} of the broadcast result (counted from the left, after that "
        f"alignment) tensor a has {_show(a)} and tensor b has {_show(b)}: they differ and "
        "neither is 1, so neither can be stretched."
    )
    r.values["a_text"], r.values["b_text"] = _show(a), _show(b)


def _show(v: Any) -> str:
    return fmt(v) if isinstance(v, int) else str(v)


def _layout(ctx: Context) -> str | None:
    """ "nchw" when the user's model is convolutional, "ntc" when it is a sequence model."""
    names = {c.name for c in ctx.source.calls(*SPATIAL_LAYERS, *SEQUENCE_LAYERS)}
    codes = " ".join(ctx.frame_codes())
    if names & set(SPATIAL_LAYERS) or "conv" in codes.lower():
        return "nchw"
    if names & set(SEQUENCE_LAYERS) or re.search(r"\b(lstm|gru|rnn|attn|attention)\b", codes, re.I):
        return "ntc"
    return None


def _dim_role(dim: int, layout: str | None) -> str:
    if layout == "nchw":
        return {
            0: "the batch (N of NCHW)",
            1: "the channels (C of NCHW)",
            2: "the height (H of NCHW)",
            3: "the width (W of NCHW)",
        }.get(dim, "")
    if layout == "ntc":
        return {
            0: "the batch (N of [N, T, C])",
            1: "the time steps (T of [N, T, C])",
            2: "the features (C of [N, T, C])",
        }.get(dim, "")
    return ""


def _ratio_note(r: Reasoning, a: Any, b: Any, dim: int) -> str:
    if not isinstance(a, int) or not isinstance(b, int) or min(a, b) <= 0:
        return ""
    big, small = max(a, b), min(a, b)
    if big % small == 0:
        k = big // small
        r.steps.append(
            f"{fmt(big)} = {k} × {fmt(small)}: one operand has {k}× the size of the "
            "other in that dimension."
        )
        if k == 2:
            return (
                " One size is exactly twice the other; unless that is a coincidence, one "
                "operand was doubled and the other not (a batch concatenated with itself, as "
                "in classifier-free guidance, or a bidirectional output of 2 × hidden)."
            )
        return ""
    if big - small <= 4 and dim >= 2:
        r.steps.append(f"{fmt(big)} − {fmt(small)} = {big - small}: an off-by-{big - small} size.")
        return (
            f" The sizes differ by {big - small}: typically a convolution or pooling without "
            "matching padding, an odd size halved and doubled again, or a crop of another size."
        )
    return ""


def _pattern_note(r: Reasoning, code: str, a: Any, b: Any, dim: int) -> str:
    low = code.lower()
    if "masked_fill" in low or "mask" in low:
        r.steps.append(
            "A mask is combined with the tensor here, and it is aligned from the "
            "right too: a [N, T] padding mask against [N, heads, T, T] scores, for "
            "instance, puts N under a time dimension."
        )
        return (
            " A mask must broadcast to the tensor it masks: give it singleton dimensions "
            "where it has none (e.g. mask[:, None, None, :] for [N, heads, T, T] scores)."
        )
    if any(w in low for w in ("loss", "criterion", "mse", "l1")):
        return (
            " The prediction and the target of this loss have different shapes; make the "
            "target the shape of the prediction (or the prediction the shape of the target)."
        )
    if any(w in low for w in ("matmul", " @ ", "bmm(")):
        return (
            " For a batched matmul only the last two dimensions are multiplied; the leading "
            "(batch) dimensions broadcast like an elementwise op."
        )
    return ""


def _generic_fix(code: str, a: Any, b: Any, dim: int, layout: str | None) -> str:
    lines = [
        f"# dimension {dim}: {_show(a)} vs {_show(b)}: print both shapes just before",
        f"#     {code.strip() or 'the failing line'}",
    ]
    lines.append("# then make them agree in that dimension (or make one of them 1):")
    if layout == "nchw" and dim == 1:
        lines.append(
            f"#     a 1×1 conv maps channels: nn.Conv2d({_show(b)}, {_show(a)}, kernel_size=1)"
        )
    elif layout == "nchw" and dim >= 2:
        lines.append("#     resize one map to the other: F.interpolate(x, size=y.shape[2:])")
    lines.append(
        "#     add a singleton dimension where one is missing: t.unsqueeze(k) / t[:, None]"
    )
    return "\n".join(lines)


def _last_frame_code(ctx: Context) -> str:
    codes = [c for c in ctx.frame_codes() if c]
    return codes[-1] if codes else ""


# -- residual / skip connections -------------------------------------------------------------


def residual(ctx: Context) -> Reasoning:
    """The broadcast message raised by `out + identity` in a residual block."""
    a, b, dim = _abd(ctx)
    if not isinstance(a, int) or not isinstance(b, int):
        raise Decline("symbolic sizes")
    where = ctx.where
    inputs, derived = _input_names(ctx.source, where) if where else (set(), set())
    add = _residual_add(where.code if where else None, inputs, derived)
    if where is None or add is None:
        raise Decline("not a residual addition")
    left, right, identity_side = add
    add_code = (where.code or "").strip()
    if POSITIONAL_NAME.search(left + " " + right) and not RESIDUAL_NAME.match(
        right if identity_side == "b" else left
    ):
        raise Decline("a positional table, not a shortcut")
    shortcut_in, branch_out = (b, a) if identity_side == "b" else (a, b)
    identity_expr = right if identity_side == "b" else left
    kind = _block_kind(ctx, where)
    r = Reasoning()
    _align_steps(r, a, b, dim)
    r.steps.append(
        f"`{add_code}` is a residual (skip) connection: the shortcut `{identity_expr}` "
        f"carries the block's input unchanged, with {fmt(shortcut_in)} there, while the main "
        f"branch outputs {fmt(branch_out)}."
    )
    cls = _enclosing_class(ctx.source, where.file, where.line or 0)
    convs = _class_calls(ctx, cls, ("Conv1d", "Conv2d", "Conv3d", "Linear"))
    stride_param = _has_param(ctx, where.file, cls, "stride")
    r.values.update(shortcut_in=shortcut_in, branch_out=branch_out, identity=identity_expr)
    conv = {"conv1d": "nn.Conv1d", "conv3d": "nn.Conv3d"}.get(kind, "nn.Conv2d")
    norm = {"conv1d": "nn.BatchNorm1d", "conv3d": "nn.BatchNorm3d"}.get(kind, "nn.BatchNorm2d")
    stride_expr = "stride" if stride_param else "1"
    if dim == 1 or kind == "linear":
        what = "features" if kind == "linear" else "channels"
        r.values["dim_role"] = "the features" if kind == "linear" else "the channels (C of NCHW)"
        r.steps.append(
            f"Dimension {dim} is {r.values['dim_role']}: the branch changes {fmt(shortcut_in)} "
            f"{what} into {fmt(branch_out)}, the identity does not, so they cannot be added."
        )
        if kind == "linear":
            proj = f"nn.Linear({shortcut_in}, {branch_out})"
        else:
            proj = (
                f"nn.Sequential(\n    {conv}({shortcut_in}, {branch_out}, kernel_size=1, "
                f"stride={stride_expr}, bias=False),\n    {norm}({branch_out}),\n)"
            )
        r.fix_values.update(shortcut_in=shortcut_in, shortcut_out=branch_out)
        r.values["mismatch"] = (
            f"{fmt(shortcut_in)} channels on the shortcut against {fmt(branch_out)} from the branch"
        )
    else:
        r.values["dim_role"] = _dim_role(dim, "nchw") or f"dimension {dim}"
        stride = shortcut_in // branch_out if branch_out and shortcut_in % branch_out == 0 else None
        r.steps.append(
            f"Dimension {dim} is {r.values['dim_role']}: the branch shrinks the map from "
            f"{fmt(shortcut_in)} to {fmt(branch_out)}"
            + (f" (a stride of {stride})" if stride else "")
            + " but the identity keeps its size."
        )
        channels = _channel_exprs(ctx, convs)
        c_in, c_out = channels or ("in_channels", "out_channels")
        proj = (
            f"nn.Sequential(\n    {conv}({c_in}, {c_out}, kernel_size=1, stride="
            f"{stride or stride_expr}, bias=False),\n    {norm}({c_out}),\n)"
        )
        if stride:
            r.fix_values["stride"] = stride
        r.values["mismatch"] = (
            f"a {fmt(shortcut_in)}-wide map on the shortcut against "
            f"{fmt(branch_out)} from the strided branch"
        )
    r.values["projection"] = re.sub(r"\(\s+", "(", re.sub(r",\s*\n\s*\)", ")", proj)).replace(
        "\n    ", " "
    )
    r.fix_code = (
        "# in __init__: project the shortcut to the branch's shape\n"
        f"self.shortcut = {proj}\n"
        "# in forward:\n"
        f"{_rewrite_add(add_code, identity_expr)}"
    )
    r.suspects.append(
        Suspect(
            where.file,
            where.line or 0,
            add_code,
            f"adds the identity ({fmt(shortcut_in)}) to the branch "
            f"({fmt(branch_out)}) without a projection",
            0.9,
        )
    )
    changing = _changing_layer(ctx, convs, dim)
    if changing is not None:
        r.suspects.append(
            call_suspect(
                changing,
                "the layer that changes the branch's shape; the shortcut needs the same change",
                0.55,
            )
        )
    return r


def _input_names(source: SourceIndex, where: Frame) -> tuple[set[str], set[str] | None]:
    """The input parameter of the forward() that raised, and the names computed from it there
    (None when the source is not available)."""
    if where.function != "forward":
        return set(), set()
    lines = source.lines(where.file)
    if not lines:
        return {"x"}, None
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return {"x"}, None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.FunctionDef)
            and node.name == "forward"
            and node.lineno <= (where.line or 0) <= (node.end_lineno or 0)
        ):
            inputs = {a.arg for a in node.args.args[1:2]}
            derived: set[str] = set()
            for stmt in ast.walk(node):
                if isinstance(stmt, ast.Assign | ast.AugAssign) and stmt.lineno < (where.line or 0):
                    used = {n.id for n in ast.walk(stmt.value) if isinstance(n, ast.Name)}
                    if used & (inputs | derived):
                        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                        for t in targets:
                            derived |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
            return inputs, derived - inputs
    return {"x"}, None


def _is_branch(expr: str, inputs: set[str], derived: set[str] | None) -> bool:
    """Whether `expr` is computed from the block's input (a branch), not a parameter or a
    separate argument."""
    if re.fullmatch(r"self\.\w+", expr) or expr in inputs:
        return False
    names = set(re.findall(r"(?<![\w.])([A-Za-z_]\w*)", expr))
    if "(" in expr:
        return bool(names & (inputs | (derived or set()))) or derived is None
    return derived is None or expr in derived


def _residual_add(
    code: str | None,
    inputs: set[str] | None = None,
    derived: set[str] | None = None,
) -> tuple[str, str, str] | None:
    """(left, right, which side is the identity) for `a + b`, `a += b`, `torch.add(a, b)`."""
    if not code:
        return None
    text = code.strip().rstrip("\\")
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    pairs: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            pairs.append((ast.unparse(node.left), ast.unparse(node.right)))
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
            pairs.append((ast.unparse(node.target), ast.unparse(node.value)))
        elif isinstance(node, ast.Call) and ast.unparse(node.func).endswith(("torch.add", ".add")):
            args = [ast.unparse(x) for x in node.args]
            if (
                isinstance(node.func, ast.Attribute)
                and not ast.unparse(node.func).startswith("torch.")
                and args
            ):
                args = [ast.unparse(node.func.value), *args]
            if len(args) >= 2:
                pairs.append((args[0], args[1]))
    inputs = inputs or set()
    for left, right in pairs:
        # A shortcut by name (`identity`, `residual`, `self.downsample(x)`) next to a branch.
        if _is_identity(right) and not re.fullmatch(r"self\.\w+", left):
            return left, right, "b"
        if _is_identity(left) and not re.fullmatch(r"self\.\w+", right):
            return left, right, "a"
    for left, right in pairs:
        # The forward's own input added back to something computed from it.
        if right in inputs and _is_branch(left, inputs, derived):
            return left, right, "b"
        if left in inputs and _is_branch(right, inputs, derived):
            return left, right, "a"
    return None


def _is_identity(expr: str) -> bool:
    name = expr.strip()
    return bool(RESIDUAL_NAME.match(name)) or bool(
        re.fullmatch(r"self\.(shortcut|downsample|skip|residual)\(.*\)", name)
    )


def _block_kind(ctx: Context, where: Frame) -> str:
    cls = _enclosing_class(ctx.source, where.file, where.line or 0)
    names = {c.name for c in _class_calls(ctx, cls, ("Conv1d", "Conv2d", "Conv3d", "Linear"))}
    if "Conv2d" in names:
        return "conv2d"
    if "Conv1d" in names:
        return "conv1d"
    if "Conv3d" in names:
        return "conv3d"
    if "Linear" in names:
        return "linear"
    return "conv2d"


def _enclosing_class(source: SourceIndex, path: str, line: int) -> str | None:
    """Name of the class whose body holds `line` of `path`."""
    lines = source.lines(path)
    if not lines:
        return None
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return None
    best: ast.ClassDef | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.lineno <= line <= (node.end_lineno or 0):
            if best is None or node.lineno > best.lineno:
                best = node
    return best.name if best else None


def _class_calls(ctx: Context, cls: str | None, names: tuple[str, ...]) -> list[Call]:
    if cls is None:
        return []
    return [c for c in ctx.source.calls(*names) if c.cls == cls]


def _has_param(ctx: Context, path: str, cls: str | None, name: str) -> bool:
    if cls is None:
        return False
    lines = ctx.source.lines(path) or []
    pattern = re.compile(rf"def __init__\(self[^)]*\b{name}\b")
    inside = False
    for line in lines:
        if re.match(rf"\s*class {re.escape(cls)}\b", line):
            inside = True
        elif inside and re.match(r"class \w", line):
            break
        elif inside and pattern.search(line):
            return True
    return False


def _channel_exprs(ctx: Context, convs: list[Call]) -> tuple[str, str] | None:
    convs = [c for c in convs if c.name.startswith("Conv") and len(c.args) >= 2]
    if not convs:
        return None
    return convs[0].args[0], convs[-1].args[1]


def _changing_layer(ctx: Context, convs: list[Call], dim: int) -> Call | None:
    if dim >= 2:
        for call in convs:
            stride = call.kwargs.get("stride") or (call.args[3] if len(call.args) > 3 else None)
            if stride and ctx.source.eval_int(stride, call) != 1:
                return call
        return None
    for call in reversed(convs):
        if len(call.args) >= 2 and call.args[0].strip() != call.args[1].strip():
            return call
    return None


def _rewrite_add(code: str, identity: str) -> str:
    if identity.startswith("self."):
        return code
    new = re.sub(
        rf"(?<![\w.]){re.escape(identity)}(?![\w(])", f"self.shortcut({identity})", code, count=1
    )
    return (
        new if new != code else f"{code}   # with self.shortcut({identity}) in place of {identity}"
    )


# -- regression losses on mismatched shapes ---------------------------------------------------

LOSS_FUNCS = ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss")
TARGET_WARNING = re.compile(
    r"Using a target size \((?P<target>torch\.Size\(\[[^\]]*\]\))\) that is different to the "
    r"input size \((?P<input>torch\.Size\(\[[^\]]*\]\))\)"
)


def loss_shapes(ctx: Context) -> Reasoning:
    """The broadcast message raised inside mse_loss / l1_loss: prediction and target shapes differ
    (the UserWarning printed just before gives both shapes)."""
    a, b, dim = _abd(ctx)
    shapes = _warned_shapes(ctx)
    funcs = [f.function for f in ctx.parsed.all_frames if f.function in LOSS_FUNCS]
    if shapes is None and not funcs:
        raise Decline("not inside a regression loss")
    r = Reasoning()
    func = funcs[-1] if funcs else "the loss"
    r.values["loss"] = func
    _align_steps(r, a, b, dim)
    r.steps.append(
        f"{func} compares the prediction (input) and the target elementwise: it broadcasts them "
        "to one shape first, so both must have the same shape."
    )
    if shapes is not None:
        inp, target = shapes
        width = max(len(inp), len(target))
        pi = Shape([1] * (width - len(inp)) + list(inp))
        pt = Shape([1] * (width - len(target)) + list(target))
        r.steps.append(
            f"The warning above gives the shapes: input {inp}, target {target}; aligned from the "
            f"right they read {pi} and {pt}."
        )
        r.values["shapes"] = f"the prediction is {inp} and the target {target}"
        r.fix_values["target_shape"] = list(inp)
        if len(target) == len(inp) - 1 and list(target) == list(inp[:-1]):
            c = inp[-1]
            r.steps.append(
                f"The target lacks the prediction's last dimension ({c}): one value per sample "
                f"against {c} outputs per sample, e.g. class indices given to a regression loss."
            )
            r.values["advice"] = (
                f" If the targets are class indices, use nn.CrossEntropyLoss on the {c} logits "
                f"(targets of dtype long); for a regression with {c} outputs, the target must be "
                f"{inp} too (e.g. F.one_hot(target, {c}).float())."
            )
        else:
            r.values["advice"] = f" Make the target {inp}, the shape of the prediction."
    else:
        r.values["shapes"] = f"they have {_show(a)} and {_show(b)} at dimension {dim}"
        r.values["advice"] = " Make the target the shape of the prediction."
    where = ctx.where
    code = (where.code or "").strip() if where else ""
    r.fix_code = (
        "loss = nn.CrossEntropyLoss()(logits, target.long())   # class indices: a "
        "classification loss\n"
        "# or, for a regression: give the target the prediction's shape, e.g. "
        "target.view_as(pred) / F.one_hot(target, C).float()"
    )
    if where and where.line and code:
        r.suspects.append(
            Suspect(where.file, where.line, code, "the loss on mismatched shapes", 0.7)
        )
    return r


def _warned_shapes(ctx: Context) -> tuple[Shape, Shape] | None:
    texts = [w.message for w in ctx.parsed.warnings] + [ctx.parsed.text]
    for text in texts:
        m = TARGET_WARNING.search(text)
        if m:
            inp, target = parse_value(m["input"]), parse_value(m["target"])
            if isinstance(inp, Shape) and isinstance(target, Shape):
                return inp, target
    return None


# -- positional tables -----------------------------------------------------------------------


def positional(ctx: Context) -> Reasoning:
    """A positional-encoding table added to a sequence longer (or shorter) than it."""
    a, b, dim = _abd(ctx)
    where = ctx.where
    code = (where.code if where else "") or ""
    if not isinstance(a, int) or not isinstance(b, int) or dim > 2:
        raise Decline("not a sequence-length mismatch")
    sides = _plus_sides(code)
    if sides is None:
        raise Decline("no addition")
    left, right = sides
    if POSITIONAL_NAME.search(right) and not POSITIONAL_NAME.search(left):
        seq, table, table_expr = a, b, right
    elif POSITIONAL_NAME.search(left) and not POSITIONAL_NAME.search(right):
        seq, table, table_expr = b, a, left
    else:
        raise Decline("no positional table in the addition")
    if "[" in table_expr and ":" in table_expr:
        raise Decline("the table is already sliced")
    r = Reasoning()
    _align_steps(r, a, b, dim)
    r.values.update(seq_len=seq, table_len=table, table=table_expr, dim_role="the sequence length")
    r.steps.append(
        f"`{table_expr}` is a positional table with {fmt(table)} positions; the sequence has "
        f"{fmt(seq)} time steps (dimension {dim}, T of [N, T, C])."
    )
    other_expr = left if table_expr == right else right
    new_code = _sliced_add(code.strip(), table_expr, other_expr, dim)
    grid = _patch_grids(seq, table)
    patches = bool(ctx.source.calls("Conv2d", "PatchEmbed")) or "patch" in ctx.parsed.text.lower()
    if grid is not None and (grid[0] == 1 or patches):
        _vit_grid(r, grid, seq, table, table_expr)
    elif seq > table:
        r.steps.append(
            f"{fmt(seq)} > {fmt(table)}: the table is too short even when sliced; "
            f"build it with max_len ≥ {fmt(seq)} or truncate the input."
        )
        r.fix_values["max_len"] = seq
        r.values["fix_text"] = f"build the table with max_len ≥ {fmt(seq)} and slice it"
        r.fix_code = (
            f"# where the table is built: max_len={seq} (or more)\n{new_code}"
            f"   # slice to the sequence length"
        )
        for s in code_lines_with_numbers(
            ctx.source, [table], f"builds the positional table with {fmt(table)} positions", 0.7
        ):
            r.suspects.append(s)
    else:
        r.steps.append(
            f"{fmt(seq)} < {fmt(table)}: slice the table to the first {fmt(seq)} "
            "positions before adding it."
        )
        r.fix_values["slice_len"] = seq
        r.values["fix_text"] = f"slice the table to the sequence length ({fmt(seq)})"
        r.fix_code = new_code
    if where and where.line:
        r.suspects.append(
            Suspect(
                where.file,
                where.line,
                code.strip(),
                f"adds a position table of {fmt(table)} to {fmt(seq)} tokens"
                if r.fix_values.get("grid_side")
                else f"adds the whole positional table instead of its first {fmt(seq)} positions",
                0.8,
            )
        )
    return r


def _patch_grids(seq: int, table: int) -> tuple[int, int, int] | None:
    """(extra tokens, sequence grid side, table grid side) when both lengths are square patch
    grids (plus a class token): a ViT fed images of another size."""
    for extra in (1, 0, 2):
        s_side = integer_sqrt(seq - extra) if seq > extra else None
        t_side = integer_sqrt(table - extra) if table > extra else None
        if s_side and t_side and s_side > 2 and t_side > 2:
            return extra, s_side, t_side
    return None


def _vit_grid(r: Reasoning, grid: tuple[int, int, int], seq: int, table: int, expr: str) -> None:
    extra, s_side, t_side = grid
    plus = f" + {extra}" if extra else ""
    r.steps.append(
        f"{fmt(seq)} = {s_side}×{s_side}{plus} and {fmt(table)} = {t_side}×{t_side}{plus}: "
        f"patch grids (plus {extra} class token{'s' if extra != 1 else ''}). The model's "
        f"position table is for a {t_side}×{t_side} grid; the images give {s_side}×{s_side}."
    )
    r.values["fix_text"] = (
        f"feed images of the size the model was built for ({t_side}×{t_side} patches), or "
        f"interpolate the position table to a {s_side}×{s_side} grid (slicing would scramble "
        "the 2-D positions)"
    )
    r.fix_values["grid_side"] = t_side
    r.fix_code = (
        f"# resize the inputs so that they give {t_side}×{t_side} patches, or resample `{expr}`:\n"
        f"# grid = {expr}[:, {extra}:].reshape(1, {t_side}, {t_side}, -1).permute(0, 3, 1, 2)\n"
        f"# grid = F.interpolate(grid, size=({s_side}, {s_side}), mode='bicubic')"
    )


def _plus_sides(code: str) -> tuple[str, str] | None:
    try:
        tree = ast.parse(code.strip())
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return ast.unparse(node.left), ast.unparse(node.right)
        if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
            return ast.unparse(node.target), ast.unparse(node.value)
    return None


def _sliced_add(code: str, table: str, other: str, dim: int) -> str:
    """The addition with the table sliced to the other operand's length at `dim`."""
    prefix = ":, " * dim
    target = code.split("=", 1)[0].strip() if re.match(r"\s*[\w.]+\s*=[^=]", code) else ""
    if re.fullmatch(r"[\w.]+", other) and other != target:
        return code.replace(table, f"{table}[{prefix}:{other}.size({dim})]", 1)
    # The other operand is an expression (or the name being assigned): name it first.
    head = f"h = {other}\n"
    body = code.replace(other, "h", 1).replace(table, f"{table}[{prefix}:h.size({dim})]", 1)
    return head + body


# -- copy_ between layers --------------------------------------------------------------------


def copy_into(ctx: Context) -> Reasoning:
    """`dst.copy_(src)` where src cannot broadcast to dst: weights of layers of other sizes."""
    a, b, dim = _abd(ctx)
    # Only the user's own copy_: load_state_dict copies inside torch with its own checks.
    codes = [f for f in ctx.parsed.all_frames if f.is_user and f.code and ".copy_(" in f.code]
    if not codes:
        raise Decline("no copy_ call")
    frame = codes[-1]
    m = re.search(
        r"(?P<dst>[\w.\[\]]+?)(?:\.data)?\.copy_\((?P<src>[^()]*?(?:\([^()]*\))?)\)",
        frame.code or "",
    )
    if not m:
        raise Decline("copy_ call not readable")
    dst, src = m["dst"], m["src"].strip()
    param = dst.rsplit(".", 1)[-1] if "." in dst else ""
    r = Reasoning()
    r.steps.append(
        f"`{dst}.copy_({src})` copies the source into the destination in place: the source is "
        "broadcast to the destination's shape (aligned from the right), never the other way, "
        "and the destination cannot change its shape."
    )
    r.steps.append(
        f"Tensor a is the destination `{dst}` with {_show(a)} at dimension {dim}; "
        f"tensor b is the source `{src}` with {_show(b)} there."
    )
    dst_layer = _layer_of(ctx, dst)
    src_layer = _layer_of(ctx, src)
    known = dst_layer or src_layer
    layer_kind = known.name if known is not None else ""
    role = _param_role(param, dim, layer_kind)
    r.values.update(
        dst=dst, src=src, dim_role=role or f"dimension {dim}", a_text=_show(a), b_text=_show(b)
    )
    if role:
        r.steps.append(
            f"For a `{param}` tensor, dimension {dim} is {role}: the two layers were "
            f"built with {_show(a)} and {_show(b)}."
        )
    for layer, which in ((dst_layer, "destination"), (src_layer, "source")):
        if layer is not None:
            r.suspects.append(call_suspect(layer, f"builds the {which} layer", 0.5))
            r.steps.append(f"The {which} layer: `{layer.code}`.")
    r.suspects.insert(
        0,
        Suspect(
            frame.file,
            frame.line or 0,
            (frame.code or "").strip(),
            f"copies a tensor with {_show(b)} into one with {_show(a)} at dimension {dim}",
            0.9,
        ),
    )
    dst_owner = dst.rsplit(".", 1)[0] if "." in dst else dst
    r.fix_code = (
        f"# {_show(a)} vs {_show(b)}: these weights cannot be reused; keep {dst_owner}'s own\n"
        "# initialisation (skip the copy). Loading a checkpoint, skip what does not fit:\n"
        "state = {k: v for k, v in state.items() if v.shape == model.state_dict()[k].shape}\n"
        "model.load_state_dict(state, strict=False)\n"
        f"# or, if {dst_owner} was built with the wrong size, build it with {_show(b)} "
        "in that dimension"
    )
    return r


def _param_role(param: str, dim: int, layer: str = "") -> str:
    if param == "weight" and layer.startswith("Linear"):
        return {
            0: "out_features: the rows of a Linear weight [out_features, in_features]",
            1: "in_features: the columns of a Linear weight [out_features, in_features]",
        }.get(dim, "")
    if param == "weight" and layer.startswith("Conv"):
        return {
            0: "out_channels: a conv weight is [out_channels, in_channels, kH, kW]",
            1: "in_channels: a conv weight is [out_channels, in_channels, kH, kW]",
        }.get(dim, "the kernel size (a conv weight is [out_channels, in_channels, kH, kW])")
    if param == "weight":
        return {
            0: "the output size (out_features / out_channels)",
            1: "the input size (in_features / in_channels)",
        }.get(dim, "")
    if param in ("bias", "running_mean", "running_var"):
        return "the number of output features / channels"
    return ""


def _layer_of(ctx: Context, expr: str) -> Call | None:
    owner = expr.split(".weight")[0].split(".bias")[0].split(".data")[0]
    if not owner:
        return None
    for call in ctx.source.calls():
        if call.target and call.target == owner and call.name[:1].isupper():
            return call
    return None


# -- in-place results that would have to grow --------------------------------------------------


def inplace_output(ctx: Context) -> Reasoning:
    """`output with shape [3] doesn't match the broadcast shape [2, 3]` (x += y, add_, ...)."""
    out, full = ctx.get("out_shape"), ctx.get("broadcast_shape")
    if not isinstance(out, Shape) or not isinstance(full, Shape):
        raise Decline("shapes missing")
    r = Reasoning()
    r.values.update(out_shape=out, broadcast_shape=full)
    padded = Shape([1] * (len(full) - len(out)) + list(out)) if len(out) <= len(full) else out
    r.steps.append(
        f"An in-place op writes its result into its own tensor, {out}. Broadcasting the operands "
        f"gives {full}."
    )
    grown = [i for i, (o, f) in enumerate(zip(padded, full, strict=False)) if o != f]
    if len(out) < len(full):
        r.steps.append(
            f"Aligned from the right, {out} reads as {padded}: the result needs "
            f"{len(full) - len(out)} more leading dimension"
            f"{'s' if len(full) - len(out) > 1 else ''}."
        )
    if grown:
        r.steps.append(
            "Dimension"
            + ("s " if len(grown) > 1 else " ")
            + ", ".join(f"{i} ({padded[i]} → {full[i]})" for i in grown)
            + " would have to grow, and an in-place op cannot resize its tensor."
        )
    extra = len(full) - len(out)
    if grown:
        plural = "s " if len(grown) > 1 else " "
        r.values["grown"] = (
            f"dimension{plural}{', '.join(str(i) for i in grown)} would have to grow"
        )
    else:
        r.values["grown"] = (
            f"{extra} new leading dimension{'s' if extra > 1 else ''} would have to be added"
        )
    r.fix_values["operand_shape"] = list(out)
    if (
        len(out) < len(full)
        and all(d == 1 for d in full[: len(full) - len(out)])
        and list(full[len(full) - len(out) :]) == list(out)
    ):
        r.steps.append(
            f"The extra leading dimension{'s are' if len(full) - len(out) > 1 else ' is'}"
            " of size 1: the other operand carries a dimension the tensor does not "
            "have (keepdim=True, unsqueeze, [None]); drop it."
        )
    grayscale = (
        len(out) == len(full) == 3 and out[0] == 1 and full[0] in (3, 4) and out[1:] == full[1:]
    )
    r.values["hint"] = ""
    where = ctx.where
    code = (where.code or "").strip() if where else ""
    frames = " ".join(f.file + " " + (f.function or "") for f in ctx.parsed.all_frames)
    if grayscale and ("normalize" in frames.lower() or not ctx.parsed.all_frames):
        r.steps.append(
            f"A 1-channel {list(out[1:])} image against {full[0]} channels: typically "
            f"transforms.Normalize with {full[0]} means and stds (written for RGB) applied in "
            "place to a grayscale image."
        )
        r.values["hint"] = (
            f" A grayscale image normalised with {full[0]}-channel mean/std is the usual cause: "
            "use one value per channel of your images (Normalize((0.5,), (0.5,))), or convert "
            'the images to RGB (Image.open(p).convert("RGB")).'
        )
        r.fix_values["channels"] = 1
        r.fix_code = (
            "transforms.Normalize(mean=(0.5,), std=(0.5,))   # one value per channel of a "
            'grayscale image\n# or load the images as RGB: Image.open(path).convert("RGB")'
        )
        if where and where.line:
            r.suspects.append(
                Suspect(where.file, where.line, code, "the transform applied to the image", 0.6)
            )
        return r
    rewrite = _out_of_place(code)
    if rewrite:
        r.fix_code = f"{rewrite}   # out of place: the result may take the shape {full}"
    else:
        r.fix_code = (
            f"x = x + y   # out of place, instead of x += y / x.add_(y): result {full}\n"
            f"# or reduce the other operand to {out} first (e.g. .sum(0) / .mean(0))"
        )
    if where and where.line:
        r.suspects.append(
            Suspect(
                where.file,
                where.line,
                code,
                f"an in-place op whose result would be {full}, larger than its tensor {out}",
                0.8,
            )
        )
        origins = _operand_origins(ctx, where, code)
        r.suspects.extend(origins)
        keepdim = next((o for o in origins if "keepdim=True" in o.code.replace(" ", "")), None)
        if keepdim is not None:
            fixed = re.sub(r",\s*keepdim\s*=\s*True", "", keepdim.code)
            r.fix_code = f"{fixed}   # no keepdim: the operand stays {out}, like the tensor"
    return r


def _operand_origins(ctx: Context, where: Frame, code: str) -> list[Suspect]:
    """The assignments that built the other operand of an in-place op (`m = x.mean(0, keepdim=
    True)` a few lines above `self.running_mean += m`)."""
    m = INPLACE_OP.match(code) or INPLACE_CALL.search(code)
    if not m:
        return []
    value = m.groupdict().get("value") or m.groupdict().get("args") or ""
    names = set(re.findall(r"(?<![\w.])([A-Za-z_]\w*)(?![\w(])", value)) - {"self", "torch"}
    lines = ctx.source.lines(where.file) or []
    found: list[Suspect] = []
    for name in names:
        for n in range((where.line or 1) - 1, max((where.line or 1) - 30, 0), -1):
            line = lines[n - 1] if n - 1 < len(lines) else ""
            if re.match(rf"\s*{re.escape(name)}\s*=[^=]", line):
                shaped = re.search(
                    r"keepdim\s*=\s*True|unsqueeze|\[\s*None|view\(|reshape\(|"
                    r"expand|repeat",
                    line,
                )
                found.append(
                    Suspect(
                        where.file,
                        n,
                        line.strip(),
                        f"builds `{name}`, the operand that brings the extra dimension"
                        if shaped
                        else f"builds `{name}`",
                        0.85 if shaped else 0.5,
                    )
                )
                break
    return found


def _out_of_place(code: str) -> str | None:
    m = INPLACE_OP.match(code)
    if m and "=" not in m["target"]:
        target = m["target"].strip()
        return f"{target} = {target} {m['op']} {m['value'].strip()}"
    m = INPLACE_CALL.search(code)
    if m and m["op"] in ("add", "sub", "mul", "div"):
        sym = {"add": "+", "sub": "-", "mul": "*", "div": "/"}[m["op"]]
        target = m["target"]
        return f"{target} = {target} {sym} {m['args'].strip()}"
    return None


# -- the refs / fake-tensor wording ------------------------------------------------------------


def refs_broadcast(ctx: Context) -> Reasoning:
    """`Attempting to broadcast a dimension of length L at -k! Mismatching argument at index i
    had S; but expected shape should be broadcastable to E` (torch.compile, broadcast_shapes)."""
    length, at, arg = ctx.get("length"), ctx.get("at"), ctx.get("arg")
    shape, expected = ctx.get("shape"), ctx.get("expected")
    if length is None or not isinstance(at, int) or arg is None:
        raise Decline("numbers missing")
    r = Reasoning()
    r.steps.append(
        "This is the compile-time (fake tensor / torch.broadcast_shapes) form of the broadcast "
        "error: the operands' shapes are aligned from the right and combined one by one."
    )
    target = None
    if isinstance(expected, Shape) and at < 0 and -at <= len(expected):
        target = expected[at]
    pos = f"position {at} (counted from the right)"
    if isinstance(shape, Shape) and -at <= len(shape):
        left_dim = len(shape) + at
        pos += f", i.e. dimension {left_dim} of {shape}"
    r.steps.append(
        f"Argument {arg} has length {_show(length)} at {pos}, where the shape built from the "
        f"earlier arguments, {expected}, has {_show(target) if target is not None else '?'}."
    )
    r.values.update(
        target_len=_show(target) if target is not None else "another size", where_dim=pos
    )
    if target is not None:
        r.fix_values["length"] = target
    where = ctx.where
    if where and where.line and where.code:
        r.suspects.append(
            Suspect(
                where.file,
                where.line,
                where.code.strip(),
                "the operation whose operands do not broadcast",
                0.6,
            )
        )
    r.fix_code = (
        f"# make argument {arg}'s size at dimension {at} equal to "
        f"{_show(target) if target is not None else 'the other operands'} (or 1);\n"
        "# run the function once without torch.compile to get the eager message"
    )
    return r


# -- expand ------------------------------------------------------------------------------------


def expand_size(ctx: Context) -> Reasoning:
    """`The expanded size of the tensor (E) must match the existing size (X) at non-singleton
    dimension D.  Target sizes: [...].  Tensor sizes: [...]`, and the refs `expand: attempting to
    expand a dimension of length X -> E!`."""
    expanded, existing = ctx.get("expanded"), ctx.get("existing")
    dim = ctx.get("dim")
    target, tensor = ctx.get("target_sizes"), ctx.get("tensor_sizes")
    if not isinstance(expanded, int) or not isinstance(existing, int):
        raise Decline("numbers missing")
    r = Reasoning()
    r.values.update(expanded=expanded, existing=existing)
    r.steps.append(
        "expand() (and everything built on it: expand_as, broadcast_to, assigning a tensor into "
        "a slice, an addmm bias) can only stretch dimensions of size 1, or keep a size as it is; "
        "the tensor's sizes are aligned with the target's from the right."
    )
    dim_text = f"dimension {dim}" if isinstance(dim, int) else "one dimension"
    r.steps.append(
        f"At {dim_text} the target asks for {fmt(expanded)} where the tensor has "
        f"{fmt(existing)}: {fmt(existing)} is not 1, so it cannot become "
        f"{fmt(expanded)}."
    )
    if isinstance(target, Shape) and isinstance(tensor, Shape) and len(tensor) <= len(target):
        padded = Shape([1] * (len(target) - len(tensor)) + list(tensor))
        r.steps.append(
            f"Aligned from the right, the tensor {tensor} reads as {padded} against "
            f"the target {target}."
        )
        bad = [
            i
            for i, (t, s) in enumerate(zip(target, padded, strict=False))
            if t not in (-1, s) and s != 1
        ]
        if bad:
            r.steps.append(
                "Mismatching dimension"
                + ("s: " if len(bad) > 1 else ": ")
                + ", ".join(f"{i} ({padded[i]} vs {target[i]})" for i in bad)
                + "."
            )
    code = ((ctx.where.code if ctx.where else "") or _last_frame_code(ctx)).strip()
    kind = _expand_kind(code)
    r.values["context_note"] = _expand_context(r, kind, code, expanded, existing)
    if dim is not None:
        r.values["dim"] = dim
    r.values["dim_text"] = dim_text
    r.fix_values.update(_expand_fix_values(kind, expanded, existing))
    r.fix_code = _expand_fix(kind, code, expanded, existing, dim)
    r.suspects += raising_line_and_literals(
        ctx, f"expands a size {fmt(existing)} to {fmt(expanded)}", 0.7, [expanded, existing]
    )
    return r


def _expand_kind(code: str) -> str:
    if re.search(r"\]\s*=[^=]", code) and "==" not in code.split("=")[0]:
        return "assign"
    if "expand_as(" in code:
        return "expand_as"
    if ".expand(" in code:
        return "expand"
    if "broadcast_to(" in code:
        return "broadcast_to"
    if "addmm" in code or "baddbmm" in code:
        return "addmm"
    return ""


def _expand_context(r: Reasoning, kind: str, code: str, expanded: int, existing: int) -> str:
    if kind == "assign":
        r.steps.append(
            f"`{code}` assigns a value into a slice: the value is expanded to the "
            f"slice's shape, so the slice holds {fmt(expanded)} there and the value "
            f"{fmt(existing)}."
        )
        return (
            f" Here a value with {fmt(existing)} is assigned into a slot of {fmt(expanded)}: "
            "slice the destination to the value's length (or pad/crop the value)."
        )
    if kind == "expand_as":
        return (
            " expand_as(other) takes other's shape as the target: the two tensors disagree in "
            "a dimension where this one is not 1."
        )
    if kind in ("expand", "broadcast_to"):
        return (
            " Pass -1 for dimensions to keep, and only stretch dimensions of size 1 "
            "(unsqueeze one first if needed)."
        )
    if existing > expanded:
        return (
            f" The existing size {fmt(existing)} exceeds {fmt(expanded)}: often an input "
            f"longer than a buffer or table the model pre-allocated for {fmt(expanded)} "
            "positions (max length, cache, positional embeddings)."
        )
    return ""


def _expand_fix_values(kind: str, expanded: int, existing: int) -> dict[str, Any]:
    if kind == "assign":
        # A shorter value fills part of the slot; a longer one needs a larger buffer.
        return {"slot_size": existing} if existing < expanded else {"buffer_size": existing}
    if kind in ("expand", "broadcast_to"):
        # The sizes written in the call are wrong: keep the tensor's own size there.
        return {"target_size": existing}
    if kind == "expand_as":
        # The target is the other tensor: this one must take its size (or be 1).
        return {"tensor_size": expanded}
    return {}


def _expand_fix(kind: str, code: str, expanded: int, existing: int, dim: Any) -> str:
    if kind == "assign":
        m = re.match(r"(?P<dst>[\w.]+)\[(?P<idx>[^\]]*)\]\s*=\s*(?P<val>.+)$", code)
        if m and ":" not in m["idx"] and existing < expanded:
            return (
                f"{m['dst']}[{m['idx'].strip()}, :{existing}] = {m['val'].strip()}   "
                f"# the value has {existing} of the slot's {expanded} positions; for values "
                "of varying length slice with [:len(value)]"
            )
        if existing > expanded:
            return (
                f"# the value has {existing} where the buffer has room for {expanded}: "
                f"allocate the buffer with {existing} (the longest value), or truncate "
                f"the value to [:{expanded}]"
            )
        return (
            f"# the value has {existing} where the slot has {expanded}: index the slot to "
            f"the value's length, e.g. dst[i, :{existing}] = value"
        )
    if kind in ("expand", "broadcast_to"):
        args = _call_args(code, ".expand(" if kind == "expand" else "broadcast_to(")
        if args is not None and isinstance(dim, int) and dim < len(args[1]):
            start, sizes, end = args
            sizes = list(sizes)
            sizes[dim] = "-1"
            return (
                f"{code[:start]}{', '.join(sizes)}{code[end:]}   # dimension {dim}: -1 keeps "
                f"the tensor's {existing}; only size-1 dimensions can become {expanded}"
            )
        return (
            f"# dimension {dim}: the tensor has {existing}; pass -1 there to keep it, or make "
            f"it 1 first (unsqueeze) to stretch it to {expanded}"
        )
    if kind == "expand_as":
        m = re.search(r"(?P<recv>[\w.\[\]:, ()-]+?)\.expand_as\((?P<other>[^()]+)\)", code)
        if m and isinstance(dim, int) and existing > expanded:
            recv, other = m["recv"], m["other"].strip()
            fixed = code.replace(
                m.group(0), f"{recv}.narrow({dim}, 0, {other}.size({dim})).expand_as({other})", 1
            )
            return (
                f"{fixed}   # dimension {dim}: keep the first {expanded} of {existing}, as "
                f"many as {other} has (or build the tensor from the same, truncated input)"
            )
        return (
            f"# dimension {dim}: the tensor has {existing} where the target has {expanded}: "
            "make them agree (or make it 1) before expand_as"
        )
    return (
        f"# make dimension {dim if dim is not None else '?'} of the tensor {expanded} "
        f"(or 1), or the target {existing}"
    )


def _call_args(code: str, marker: str) -> tuple[int, list[str], int] | None:
    """(start, argument sources, end) of the first `marker(...)` call on the line."""
    pos = code.find(marker)
    if pos < 0:
        return None
    start = pos + len(marker)
    depth = 1
    for end in range(start, len(code)):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(code[end], 0)
        if depth == 0:
            break
    else:
        return None
    try:
        node = ast.parse(f"f({code[start:end]})", mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call) or node.keywords:
        return None
    args = node.args
    if len(args) == 1 and isinstance(args[0], ast.Tuple | ast.List):
        return None
    return start, [ast.unparse(a) for a in args], end


def expand_too_few(ctx: Context) -> Reasoning:
    """`expand(torch.FloatTensor{[2, 3]}, size=[3]): the number of sizes provided (1) must be
    greater or equal to the number of dimensions in the tensor (2)`."""
    tensor, target = ctx.get("tensor_sizes"), ctx.get("target_sizes")
    provided, ndim = ctx.get("provided"), ctx.get("ndim")
    if not isinstance(provided, int) or not isinstance(ndim, int):
        raise Decline("numbers missing")
    r = Reasoning()
    r.values.update(provided=provided, ndim=ndim)
    r.steps.append(
        f"expand() needs one size per dimension of the tensor (it may add new leading "
        f"ones, never drop any): the tensor has {ndim} dimension"
        f"{'s' if ndim != 1 else ''} {tensor}, the call gives {provided}: {target}."
    )
    suggestion = _expand_suggestion(tensor, target)
    where = ctx.where
    code = (where.code or "").strip() if where else ""
    if suggestion:
        r.steps.append(
            f"Keeping the tensor's own sizes with -1 and stretching its size-1 "
            f"dimensions to the sizes given: expand({', '.join(map(str, suggestion))})."
        )
        r.fix_values["sizes"] = suggestion
        r.values["suggestion"] = ", ".join(map(str, suggestion))
        r.fix_code = f"x.expand({r.values['suggestion']})   # one size per dimension; -1 keeps it"
        args = _call_args(code, ".expand(")
        if args is not None and len(args[1]) == provided:
            start, given, end = args
            exprs = iter(given)
            new = [next(exprs) if s != -1 else "-1" for s in suggestion]
            r.fix_code = (
                f"{code[:start]}{', '.join(new)}{code[end:]}   # one size per "
                "dimension; -1 keeps one"
            )
    else:
        r.values["suggestion"] = ", ".join(["-1"] * ndim)
        r.fix_code = f"x.expand({r.values['suggestion']})   # give {ndim} sizes; -1 keeps a size"
    if where and where.line and where.code:
        r.suspects.append(
            Suspect(
                where.file,
                where.line,
                where.code.strip(),
                f"expand with {provided} size(s) for a {ndim}-D tensor",
                0.8,
            )
        )
    return r


def _expand_suggestion(tensor: Any, target: Any) -> list[int] | None:
    if not isinstance(tensor, Shape) or not isinstance(target, Shape):
        return None
    sizes = list(target)
    ones = [i for i, s in enumerate(tensor) if s == 1]
    if len(sizes) <= len(ones):
        out = [-1] * len(tensor)
        for i, s in zip(ones, sizes, strict=False):
            out[i] = s
        return out
    return None


def expand_leading_minus_one(ctx: Context) -> Reasoning:
    """`The expanded size of the tensor (-1) isn't allowed in a leading, non-existing
    dimension D`."""
    dim = ctx.get("dim")
    if not isinstance(dim, int):
        raise Decline("numbers missing")
    r = Reasoning()
    r.steps.append(
        "In expand(), -1 means 'keep this dimension's size'. The sizes are aligned "
        "with the tensor's dimensions from the right; the extra ones on the left are "
        "new dimensions that the tensor does not have."
    )
    r.steps.append(
        f"Dimension {dim} is one of those new leading dimensions: there is no size "
        "to keep, so -1 is meaningless there; give the actual size."
    )
    r.values["dim"] = dim
    r.fix_code = (
        f"x.expand(batch_size, ...)   # a real size at new dimension {dim}; -1 only for "
        "dimensions the tensor already has\n# or unsqueeze first: x.unsqueeze(0).expand(n, -1, ...)"
    )
    where = ctx.where
    if where and where.line and where.code:
        r.suspects.append(
            Suspect(where.file, where.line, where.code.strip(), f"-1 at new dimension {dim}", 0.8)
        )
    return r


def expand_overlap(ctx: Context) -> Reasoning:
    """`unsupported operation: more than one element of the written-to tensor refers to a single
    memory location`: an in-place write into an expanded (stride-0) view."""
    r = Reasoning()
    r.steps.append(
        "expand() and expand_as() do not copy: the stretched dimensions have stride "
        "0, so many elements share one memory location."
    )
    r.steps.append(
        "Writing into such a tensor in place (+=, add_, masked_fill_, index "
        "assignment, an inplace activation) would write several results to the same "
        "location, so PyTorch refuses."
    )
    found: list[Suspect] = []
    for path in ctx.source.files():
        for n, line in enumerate(ctx.source.lines(path) or [], start=1):
            code = line.split("#", 1)[0]
            if re.search(r"\.(expand|expand_as|broadcast_to)\(|torch\.broadcast_to\(", code):
                found.append(
                    Suspect(
                        path,
                        n,
                        line.strip(),
                        "creates an expanded view that is written to later",
                        0.7,
                    )
                )
    r.suspects.extend(found[:3])
    where = ctx.where
    if where and where.line and where.code:
        r.suspects.append(
            Suspect(
                where.file,
                where.line,
                where.code.strip(),
                "the in-place write into the expanded tensor",
                0.6,
            )
        )
    r.values["expanded_line"] = found[0].code if found else "the .expand(...) call"
    r.fix_code = (
        "y = x.expand(n, -1).clone()   # a real copy that can be written to\n"
        "# or: y = x.repeat(n, 1)  (copies), or make the write out of place: y = y + z"
    )
    return r


# -- PyTorch 0.1: no broadcasting at all ----------------------------------------------------------

LEGACY_OPS = {"div": "/", "mul": "*", "add": "+", "sub": "-", "cmul": "*", "cdiv": "/"}


def legacy_sizes(ctx: Context) -> Reasoning:
    """`sizes do not match at .../THCTensorMathPointwise.cu` (PyTorch 0.1.x): an elementwise op
    on tensors with different element counts, before broadcasting existed (0.2)."""
    r = Reasoning()
    r.steps.append(
        "PyTorch 0.1 had no broadcasting: add, sub, mul and div needed both tensors to have the "
        "same number of elements. Broadcasting came in 0.2; until then a per-row value had to be "
        "expanded by hand."
    )
    where = ctx.where
    code = (where.code or "") if where else ""
    a = b = None
    m = re.search(r"torch\.(\w+)\(\s*([^,()]+?)\s*,\s*([^,()]+?)\s*\)", code)
    if m and m.group(1) in LEGACY_OPS:
        a, b = m.group(2), m.group(3)
        op = LEGACY_OPS[m.group(1)]
    else:
        pair = _binary_operands(code) if code else None
        if pair:
            a, b = pair
        op = next((o for o in ("/", "*", "+", "-") if f" {o} " in code), "/")
    if a and b:
        r.steps.append(
            f"`{code.strip()}`: {a} and {b} differ in size, typically {a} [N, D] against a "
            f"per-row {b} ([N] or [N, 1], a norm or a mean)."
        )
        r.values["operands"] = f"{a} and {b}"
        r.fix_code = (
            f"{b} = {b}.view(-1, 1).expand_as({a})   # PyTorch 0.1: make the sizes equal by hand\n"
            f"out = {a} {op} {b}\n"
            f"# PyTorch >= 0.2 broadcasts: {a} {op} {b}.view(-1, 1); "
            "F.normalize(x, dim=1) for an L2 norm"
        )
        if where is not None:
            r.suspects.append(
                Suspect(
                    where.file, where.line or 0, code.strip(), "operands of different sizes", 0.8
                )
            )
    else:
        r.values["operands"] = "the two tensors"
        r.fix_code = (
            "b = b.view(-1, 1).expand_as(a)   # PyTorch 0.1: expand by hand to a's size\n"
            "# PyTorch >= 0.2 broadcasts size-1 dims for you"
        )
    return r
