"""view / reshape / flatten / unflatten: the element count, the inferred -1, why it does not
divide, which dimension of the target shape disagrees with the data, and view vs reshape after
transpose/permute (strides).

The helpers at the top read `view(...)`/`reshape(...)` calls from the user's source and evaluate
their sizes; batch.py uses them too (a wrong `view(-1, C*H*W)` changes the batch a loss sees).
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.layers import inputs_giving, sizes_through, spatial_chain
from explainer.arithmetic.shapes import Shape, fmt, integer_sqrt, product, times
from explainer.arithmetic.suspects import call_suspect, matching_calls, replace_arg
from explainer.model import Frame, Suspect
from explainer.source import Call, SourceIndex

VIEW_NAMES = ("view", "reshape")
COMMON_BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 3, 5, 6, 10, 12, 20, 24, 48, 100)
# Ops that return a tensor whose memory is no longer laid out row by row.
STRIDE_OPS = (
    "transpose",
    "permute",
    "t",
    "T",
    "mT",
    "expand",
    "movedim",
    "swapaxes",
    "swapdims",
    "narrow",
    "unfold",
    "as_strided",
    "diagonal",
)


# -- reading view calls from source --------------------------------------------------------


@dataclass
class ViewSpec:
    """A `x.view(...)` / `x.reshape(...)` call with its size arguments evaluated where constant."""

    call: Call
    exprs: list[str]
    dims: list[int | None]

    @property
    def has_infer(self) -> bool:
        return -1 in self.dims

    def known_product(self) -> int | None:
        """Product of the dims other than -1, when they are all constant."""
        others = [d for d in self.dims if d != -1]
        if any(d is None for d in others):
            return None
        return product(d for d in others if d is not None)

    def factors(self, source: SourceIndex, index: int) -> list[int]:
        """`8* 16* 1* 30* 30` -> [8, 16, 1, 30, 30] for the index-th size expression."""
        if index >= len(self.exprs):
            return []
        return expr_factors(source, self.call, self.exprs[index])


def view_specs(source: SourceIndex, names: tuple[str, ...] = VIEW_NAMES) -> list[ViewSpec]:
    specs: list[ViewSpec] = []
    for call in source.calls(*names):
        exprs = _size_exprs(call)
        if not exprs:
            continue
        specs.append(ViewSpec(call, exprs, [source.eval_int(e, call) for e in exprs]))
    return specs


def _size_exprs(call: Call) -> list[str]:
    args = list(call.args)
    if call.func.startswith("torch.") and args:
        args = args[1:]  # torch.reshape(x, shape)
    if len(args) == 1:
        try:
            node = ast.parse(args[0], mode="eval").body
        except SyntaxError:
            return args
        if isinstance(node, ast.Tuple | ast.List):
            return [ast.unparse(e) for e in node.elts]
    return [a for a in args if not a.startswith("*")]


def expr_factors(source: SourceIndex, call: Call, expr: str) -> list[int]:
    """The constant factors of a product expression, in the order written."""
    try:
        node = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError:
        return []
    parts: list[ast.AST] = []

    def walk(n: ast.AST) -> None:
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult):
            walk(n.left)
            walk(n.right)
        else:
            parts.append(n)

    walk(node)
    out: list[int] = []
    for part in parts:
        value = source.eval_int(ast.unparse(part), call)
        if value is None:
            return []
        out.append(value)
    return out


def specs_on_line(source: SourceIndex, file: str, line: int | None) -> list[ViewSpec]:
    return [s for s in view_specs(source) if s.call.file == file and s.call.line == line]


def specs_from_code(ctx: Context, where: Frame) -> list[ViewSpec]:
    """View calls read from the traceback's own copy of the line, when the file is not here."""
    code = (where.code or "").strip()
    try:
        tree = ast.parse(code)
    except SyntaxError:
        try:
            tree = ast.parse(code.rstrip("\\(,") + ")" if code.count("(") > code.count(")") else "")
        except SyntaxError:
            return []
    specs: list[ViewSpec] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
            func = ast.unparse(node.func)
            name = func.rsplit(".", 1)[-1]
            if name not in VIEW_NAMES:
                continue
            call = Call(
                file=where.file,
                line=where.line or 0,
                code=code,
                name=name,
                func=func,
                args=[ast.unparse(a) for a in node.args],
                kwargs={k.arg: ast.unparse(k.value) for k in node.keywords if k.arg},
                target=None,
                cls=None,
                function=where.function,
                node=node,
            )
            exprs = _size_exprs(call)
            if exprs:
                specs.append(ViewSpec(call, exprs, [ctx.source.eval_int(e) for e in exprs]))
    return specs


def candidate_batches(source: SourceIndex) -> list[int]:
    """Batch sizes the user's source sets: DataLoader(batch_size=...), BATCH_SIZE = ...,
    the first size of torch.randn/zeros/ones/rand(...) inputs with several sizes."""
    found: list[int] = []
    for call in source.calls("DataLoader"):
        expr = call.kwargs.get("batch_size") or (call.args[1] if len(call.args) > 1 else None)
        value = source.eval_int(expr, call) if expr else None
        if value and value not in found:
            found.append(value)
    for path in source.files():
        for line in source.lines(path) or []:
            m = re.match(
                r"\s*(?:self\.)?(?:batch_size|BATCH_SIZE|bs|BS)\s*=\s*(\d+)\s*(?:#|$)", line
            )
            if m and int(m[1]) not in found:
                found.append(int(m[1]))
    for call in source.calls("randn", "rand", "zeros", "ones", "empty", "randint"):
        args = call.args[2:] if call.name == "randint" else call.args
        if call.name == "randint" and args and args[0].startswith("("):
            args = [a.strip() for a in args[0].strip("()").split(",") if a.strip()]
        if len(args) >= 2:
            value = source.eval_int(args[0], call)
            if value and value not in found:
                found.append(value)
    return found


def channels_of(source: SourceIndex, spec: ViewSpec, index: int) -> int | None:
    """The channel count in a flatten size such as `256 * 16 * 16`, else the model's last conv."""
    factors = spec.factors(source, index)
    if len(factors) == 3 and factors[1] == factors[2]:
        return factors[0]
    if len(factors) >= 2 and integer_sqrt(product(factors[1:])):
        return factors[0]
    _, channels = spatial_chain(source, spec.call.cls)
    return channels


def map_story(
    source: SourceIndex,
    r: Reasoning,
    cls: str | None,
    channels: int | None,
    got_side: int,
    want_side: int,
    what: str,
) -> None:
    """Which input size gives the map the code saw, and which gives the one it assumed."""
    layers, _ = spatial_chain(source, cls)
    if not layers:
        return
    got_inputs = inputs_giving(layers, got_side)
    want_inputs = inputs_giving(layers, want_side)
    if not got_inputs or not want_inputs:
        return
    got_in, want_in = _round_size(got_inputs), _round_size(want_inputs)
    r.steps.append(
        "Spatial size per layer, floor((H + 2p − d(k−1) − 1)/s) + 1: "
        f"{' → '.join(str(s) for s in sizes_through(layers, got_in))} for a {got_in}×{got_in} "
        f"input, where {what} assumed "
        f"{' → '.join(str(s) for s in sizes_through(layers, want_in))} from {want_in}×{want_in}."
    )
    r.values["input_side"], r.values["expected_input_side"] = got_in, want_in
    r.fix_values["input_size"] = got_in


def _round_size(sizes: list[int]) -> int:
    for size in sizes:
        if size % 8 == 0:
            return size
    return sizes[0]


def linear_taking(source: SourceIndex, features: int) -> Call | None:
    calls = matching_calls(source, ("Linear",), {0: features})
    return calls[0] if calls else None


def fixed_linear(source: SourceIndex, layer: Call, new_expr: str) -> str:
    return replace_arg(layer.code, layer, 0, new_expr)


def frame_text(ctx: Context) -> str:
    return " ".join(f"{f.file} {f.function or ''} {f.code or ''}" for f in ctx.parsed.all_frames)


# -- shape '[...]' is invalid for input of size N ------------------------------------------


def invalid_size(ctx: Context) -> Reasoning:
    """`shape '[-1, 400]' is invalid for input of size 1024` (and the TH-era wording)."""
    shape = ctx.get("shape")
    numel = ctx.get("input_size")
    if not isinstance(shape, Shape) or not isinstance(numel, int) or not shape:
        raise Decline("numbers missing")
    if shape.count(-1) > 1 or any(d < -1 for d in shape):
        raise Decline("another view error")
    r = Reasoning()
    known = [d for d in shape if d != -1]
    p = product(known)
    r.values.update(
        target_product=p,
        shape_text=times(shape)
        if -1 not in shape
        else " × ".join("?" if d == -1 else fmt(d) for d in shape),
    )
    if -1 in shape:
        if p == 0:
            raise Decline("zero-size shape")
        q = numel / p
        r.steps.append(
            f"The data has {fmt(numel)} elements. The -1 is inferred as {fmt(numel)} / "
            f"{f'({times(known)} = {fmt(p)})' if len(known) > 1 else fmt(p)} = {q:.6g}, and a "
            "size must be a whole number."
        )
        r.values["mismatch"] = (
            f"the sizes other than -1 multiply to {fmt(p)}, which does not divide {fmt(numel)} "
            f"({fmt(numel)} / {fmt(p)} = {q:.6g})"
        )
    else:
        r.steps.append(
            f"The shape {shape} holds {times(shape)} = {fmt(p)} elements; the data has "
            f"{fmt(numel)}. A view keeps every element, so both counts must be equal."
        )
        r.values["mismatch"] = f"{times(shape)} = {fmt(p)} elements, but the data has {fmt(numel)}"
    r.values["cause_text"] = (
        "Print the tensor's shape just before this line: the sizes must multiply to its "
        "element count."
    )
    r.values["fix_lead"] = (
        "Make the sizes multiply to the element count: derive them from the tensor instead of "
        "writing them."
    )
    r.fix_code = None
    spec = _spec_at_raise(ctx, shape)
    diagnosed = False
    if spec is not None:
        diagnosed = _diagnose_with_source(ctx, r, spec, shape, numel)
    if not diagnosed:
        diagnosed = _heads_story(ctx, r, shape, numel)
    if not diagnosed:
        diagnosed = _diagnose_numbers(ctx, r, shape, numel, spec)
    if "multi_head_attention_forward" in frame_text(ctx):
        r.steps.append(
            "This view is inside nn.MultiheadAttention, which reshapes q to "
            "[L, N·heads, head_dim]: "
            "with batch_first=False it reads [L, N, E] inputs; a [N, L, E] batch (or key/value "
            "of another batch size) breaks that count. Check batch_first and the inputs' shapes."
        )
        r.values["cause_text"] = (
            "nn.MultiheadAttention reshapes its inputs internally: check batch_first and that "
            "query, key and value share the batch size."
        )
        r.confidence = 0.7
    if not diagnosed:
        r.confidence = min(r.confidence or 0.75, 0.75)
    if r.fix_code is None:
        r.fix_code = _generic_fix(spec, shape)
    return r


MHA_CALL = re.compile(
    r"(?:MultiheadAttention|multi_?head_?attention|MultiHeadAttention)\(\s*(?:embed_dim\s*=\s*)?"
    r"(\d+)\s*,\s*(?:num_heads\s*=\s*)?(\d+)",
    re.IGNORECASE,
)


def _heads_story(ctx: Context, r: Reasoning, shape: Shape, numel: int) -> bool:
    """An attention split into heads with embed_dim not divisible by num_heads: head_dim =
    embed_dim // num_heads is rounded down, so [.., heads, head_dim] (or [L, N·heads, head_dim]
    as MultiheadAttention folds them) holds fewer elements than the data."""
    dims = list(shape)
    if -1 in dims or len(dims) < 3 or dims[-1] < 2:
        return False
    # Only where attention is in sight: [1, 4, 4, 8] may as well be a grid plus a class token.
    seen = ctx.parsed.text + " " + " ".join(ctx.frame_codes())
    if not re.search(r"head|attention|attn|\bmha\b", seen, re.IGNORECASE):
        return False
    d = dims[-1]
    found: list[tuple[int, int, str]] = []  # (heads, embed_dim, layout)
    heads, rest = dims[-2], product(dims[:-2])
    if 2 <= heads <= 64 and rest and numel % rest == 0:
        embed = numel // rest
        if embed % heads and embed // heads == d:
            found.append((heads, embed, "split"))
    if not found and len(dims) == 3:
        for h in range(2, 65):
            if dims[-2] % h:
                continue
            rest = product(dims[:-2]) * (dims[-2] // h)
            if rest and numel % rest == 0:
                embed = numel // rest
                if embed % h and embed // h == d:
                    found.append((h, embed, "folded"))
    if not found:
        return False
    written = [(int(e), int(h)) for e, h in MHA_CALL.findall(ctx.parsed.text)]
    pick = next((f for f in found if (f[1], f[0]) in written), None)
    if pick is None and len(found) > 1:
        pairs = ", ".join(f"embed_dim {e} with {k} heads" for k, e, _ in found)
        r.steps.append(
            f"Several settings give exactly this view ({pairs}): in each, embed_dim is not "
            "divisible by num_heads."
        )
    h, embed, layout = pick or found[0]
    lost = embed - h * d
    if layout == "split":
        r.steps.append(
            f"The last two sizes are {h} heads × {d}: {h} × {d} = {h * d} values per position, "
            f"but the data has {fmt(embed)} per position ({fmt(numel)} / "
            f"{_paren_times(dims[:-2])})."
        )
    else:
        r.steps.append(
            f"[{', '.join(map(str, dims))}] is an attention's [L, N·heads, head_dim] split: "
            f"{dims[-2]} = {dims[-2] // h} × {h} heads, and head_dim {d} = {fmt(embed)} // {h} "
            f"rounded down; the data holds {fmt(embed)} features per token ({fmt(numel)} = "
            f"{' × '.join(map(str, dims[:-2]))} × {dims[-2] // h} × {fmt(embed)})."
        )
    divisors = [k for k in range(1, embed + 1) if embed % k == 0]
    near = min(divisors, key=lambda k: (abs(k - h), -k))
    r.steps.append(
        f"embed_dim {fmt(embed)} is not divisible by num_heads {h}: {fmt(embed)} = {h} × {d} + "
        f"{lost}, so each head gets {d} and {lost} value{'s' if lost != 1 else ''} per token "
        f"are left over. num_heads must divide embed_dim ({near} heads: {embed // near} each)."
    )
    r.values["cause_text"] = (
        f"embed_dim {embed} is not divisible by num_heads {h}: head_dim = {embed} // {h} = {d} "
        f"drops {lost} of every {embed} values, so the split into heads cannot hold the data. "
        "Choose a num_heads that divides embed_dim, or an embed_dim that is a multiple of it."
    )
    r.values["fix_lead"] = (
        f"Use a num_heads that divides embed_dim {embed} (e.g. {near}), or an embed_dim that "
        f"is a multiple of {h}."
    )
    r.fix_values.update(num_heads=near, embed_dim=embed)
    if re.search(r"nn_multihead_attention", ctx.parsed.text):
        r.fix_code = (
            f"att <- nn_multihead_attention({embed}, {near})   # num_heads must divide embed_dim"
        )
    else:
        r.fix_code = (
            f"nn.MultiheadAttention({embed}, {near})   # num_heads must divide embed_dim: "
            f"{embed} / {near} = {embed // near} per head\n"
            f"# in your own attention: assert embed_dim % num_heads == 0 before "
            "head_dim = embed_dim // num_heads"
        )
    return True


def _spec_at_raise(ctx: Context, shape: Shape) -> ViewSpec | None:
    where = ctx.where
    if where is None:
        return None
    specs = specs_on_line(ctx.source, where.file, where.line) or specs_from_code(ctx, where)
    for spec in specs:
        if len(spec.dims) == len(shape) and all(
            d is None or d == s for d, s in zip(spec.dims, shape, strict=True)
        ):
            return spec
    return specs[0] if specs else None


def _generic_fix(spec: ViewSpec | None, shape: Shape) -> str:
    if spec is not None and spec.has_infer and len(spec.dims) == 2 and spec.dims[0] == -1:
        return (
            f"x = torch.flatten(x, 1)   # was: {spec.call.code}; keeps the batch, "
            "flattens the rest\n# and build the next layer for the features printed by "
            "x.shape[1] (or use nn.LazyLinear)"
        )
    return (
        "print(x.shape)   # just before the reshape: the sizes must multiply to x.numel()\n"
        "x = x.reshape(x.size(0), -1)   # when only the batch must be kept"
    )


def _diagnose_with_source(
    ctx: Context, r: Reasoning, spec: ViewSpec, shape: Shape, numel: int
) -> bool:
    source = ctx.source
    call = spec.call
    r.suspects.append(call_suspect(call, f"reshapes {fmt(numel)} elements to {shape}", 0.8))
    # A flatten written as view(-1, C*H*W): the batch is what -1 was meant to be.
    if spec.has_infer and len(shape) == 2 and shape[0] == -1:
        return _flatten_story(ctx, r, spec, shape[1], numel)
    # A hard-coded batch: the first size is a constant and the rest divides the data.
    first = spec.dims[0]
    rest = [d for d in shape[1:] if d != -1]
    if first is not None and first > 0 and -1 not in shape[:1]:
        per = product(rest)
        if per and numel % per == 0 and -1 not in shape:
            rows = numel // per
            return _batch_story(r, spec, first, rows, per, numel, shape)
    if spec.has_infer and shape[0] == -1 and len(spec.exprs) >= 2:
        factors = spec.factors(source, 1)
        if len(spec.exprs) == 2 and len(factors) >= 2:
            g = math.gcd(numel, shape[1])
            if shape[1] // g == factors[0] and numel < shape[1]:
                return _batch_in_size_story(r, spec, factors[0], numel // g, g, shape[1])
    return False


def _flatten_story(ctx: Context, r: Reasoning, spec: ViewSpec, features: int, numel: int) -> bool:
    source = ctx.source
    call = spec.call
    channels = channels_of(source, spec, 1)
    factors = spec.factors(source, 1)
    # The view may fold a batch into its size (`x.view(-1, 8*16*30*30)`): see that first.
    g = math.gcd(numel, features)
    if factors and len(factors) >= 2 and features // g == factors[0] and numel < features:
        return _batch_in_size_story(r, spec, factors[0], numel // g, g, features)
    batches = [b for b in candidate_batches(source) if numel % b == 0]
    picked: tuple[int, int, int] | None = None  # batch, per-sample, side
    for b in batches:
        per = numel // b
        side = integer_sqrt(per // channels) if channels and per % channels == 0 else None
        if side or not channels:
            picked = (b, per, side or 0)
            break
    if picked is None and channels and numel % channels == 0:
        for b in COMMON_BATCHES:
            per = numel // b if numel % b == 0 else 0
            side = integer_sqrt(per // channels) if per and per % channels == 0 else None
            if side and side > 1:
                picked = (b, per, side)
                break
    r.values["cause_text"] = (
        f"{call.code} hard-codes the features per sample ({fmt(features)}); the tensor reaching "
        "it has another number, so the rows do not come out whole."
    )
    fixed = "x = torch.flatten(x, 1)"
    r.fix_code = f"{fixed}   # was: {call.code}"
    r.suspects[-1] = call_suspect(
        call, f"flattens with a hard-coded {fmt(features)} features per sample", 0.9
    )
    if picked is None:
        r.steps.append(
            f"view(-1, {fmt(features)}) asks for rows of {fmt(features)}: the feature map reaching "
            "it has another size per sample (the input size, or a conv/pool that changed)."
        )
        return True
    b, per, side = picked
    r.values.update(batch=b, per_sample=per)
    r.fix_values["in_features"] = per
    shape_text = f"{b} × {channels} × {side} × {side}" if side else f"{b} × {fmt(per)}"
    r.steps.append(
        f"With a batch of {b}: {shape_text} = {fmt(numel)} elements, i.e. {fmt(per)} features "
        f"per sample, where the view assumed {fmt(features)}."
    )
    want_side = (
        integer_sqrt(features // channels) if channels and features % channels == 0 else None
    )
    if side and want_side:
        r.steps.append(
            f"{fmt(per)} = {channels} × {side} × {side} (channels × H × W) against "
            f"{fmt(features)} = {channels} × {want_side} × {want_side}: the map is {side}×{side}, "
            f"not {want_side}×{want_side}."
        )
        map_story(source, r, call.cls, channels, side, want_side, "the view")
    layer = linear_taking(source, features)
    new_expr = f"{channels} * {side} * {side}" if side else str(per)
    if layer:
        r.suspects.append(
            call_suspect(layer, f"in_features={fmt(features)} repeats the same assumption", 0.6)
        )
        r.fix_code += f"\n{fixed_linear(source, layer, new_expr)}   # was: {layer.code}"
    else:
        r.fix_code += f"\n# the next nn.Linear needs in_features={new_expr} = {fmt(per)}"
    return True


def _batch_story(
    r: Reasoning, spec: ViewSpec, first: int, rows: int, per: int, numel: int, shape: Shape
) -> bool:
    if rows == first:
        return False
    call = spec.call
    r.steps.append(
        f"{fmt(numel)} = {rows} × {fmt(per)}: the data holds {rows} rows of {fmt(per)}, the shape "
        f"asks for {first}. The first size is fixed in the code ({spec.exprs[0]}) while this batch "
        f"has {rows} samples{' (the last, incomplete batch of an epoch?)' if rows < first else ''}."
    )
    r.values["cause_text"] = (
        f"The batch size is hard-coded as {spec.exprs[0]} = {first} in the reshape; this batch has "
        f"{rows}. A DataLoader's last batch is smaller unless drop_last=True."
    )
    new = replace_arg(
        call.code, call, _arg_index(call, 0), "x.size(0)" if "x." in call.code else "-1"
    )
    r.fix_code = f"{new}   # was: {call.code}\n# or: DataLoader(..., drop_last=True)"
    r.fix_values["batch_size"] = rows
    r.suspects[-1] = call_suspect(
        call, f"hard-codes the batch size {first}; this batch has {rows}", 0.9
    )
    return True


def _batch_in_size_story(
    r: Reasoning, spec: ViewSpec, folded: int, rows: int, per: int, size: int
) -> bool:
    call = spec.call
    r.steps.append(
        f"{fmt(size)} = {folded} × {fmt(per)} and the data has {rows} × {fmt(per)}: the view's "
        f"size folds a batch of {folded} into each row ({spec.exprs[-1]}), and this batch has "
        f"{rows} samples."
    )
    r.values["cause_text"] = (
        f"The view's size includes a factor {folded} (a batch size) while this batch has {rows} "
        "samples: the last batch of an epoch is often smaller."
    )
    r.fix_code = f"x = x.view(x.size(0), -1)   # was: {call.code}; keep the batch, infer the rest"
    r.fix_values["batch_size"] = rows
    r.fix_values["per_sample"] = per
    r.suspects[-1] = call_suspect(call, f"folds a batch of {folded} into the view's size", 0.9)
    return True


def _arg_index(call: Call, dim: int) -> int:
    return dim + (1 if call.func.startswith("torch.") else 0)


def _paren_times(dims: list[int]) -> str:
    return f"({times(dims)})" if len(dims) > 1 else fmt(dims[0])


def _diagnose_numbers(
    ctx: Context, r: Reasoning, shape: Shape, numel: int, spec: ViewSpec | None
) -> bool:
    """Without source: compare the shape's dims with a factorisation of the element count."""
    dims = list(shape)
    # Extra tokens: [..., s, s, E] where the data holds s*s + k tokens of E (class tokens).
    if len(dims) >= 3 and dims[-1] > 0 and numel % dims[-1] == 0 and dims[-2] == dims[-3] > 1:
        tokens = numel // dims[-1]
        grid = dims[-2] * dims[-3]
        lead = [d for d in dims[:-3] if d != -1]
        batch = product(lead) if lead else 1
        if tokens % batch == 0:
            per = tokens // batch
            extra = per - grid
            side = integer_sqrt(per)
            if 0 < extra <= 16:
                r.steps.append(
                    f"{fmt(numel)} = {per} × {dims[-1]}{f' × {batch}' if batch > 1 else ''}: "
                    f"{per} tokens of {dims[-1]}, and {per} = {dims[-2]} × {dims[-3]} + {extra}: "
                    f"{extra} token{'s' if extra > 1 else ''} beyond the {dims[-2]}×{dims[-3]} "
                    "grid, such as a class token."
                )
                r.values["cause_text"] = (
                    f"The tensor holds {extra} extra token{'s' if extra > 1 else ''} (class/"
                    f"distillation token) besides the {dims[-2]}×{dims[-3]} grid: split "
                    f"{'them' if extra > 1 else 'it'} off before reshaping into the grid."
                )
                r.fix_code = (
                    f"extra, grid = x[:, :{extra}], x[:, {extra}:]   "
                    "# keep the class token(s) apart\n"
                    f"grid = grid.reshape(-1, {dims[-3]}, {dims[-2]}, {dims[-1]})"
                )
                r.fix_values.update(extra_tokens=extra, grid_tokens=grid)
                return True
            if side and side != dims[-2]:
                r.steps.append(
                    f"{fmt(numel)} / {dims[-1]} = {tokens} tokens"
                    f"{f' = {batch} × {per}' if batch > 1 else ''}"
                    f" = {side}×{side}: the grid is {side}×{side}, not {dims[-2]}×{dims[-3]}."
                )
                r.values["cause_text"] = (
                    f"The grid has {side}×{side} positions, the reshape assumes "
                    f"{dims[-2]}×{dims[-3]} (another image or patch size): compute the side from "
                    "the tensor, int(math.sqrt(n_tokens))."
                )
                r.fix_values["grid_side"] = side
                return True
    # Prefix: the leading sizes divide the data; compare what is left per position.
    known = [d for d in dims if d != -1]
    if -1 not in dims and len(dims) >= 3:
        for k in range(len(dims) - 1, 0, -1):
            lead_n = product(dims[:k])
            if lead_n and numel % lead_n == 0:
                left = numel // lead_n
                want = product(dims[k:])
                r.steps.append(
                    f"{fmt(numel)} / {_paren_times(dims[:k])} = {fmt(left)} elements per "
                    f"[{', '.join(map(str, dims[:k]))}] position, where the shape asks "
                    f"{times(dims[k:])} = {fmt(want)}."
                )
                tail = dims[k:]
                side = integer_sqrt(left)
                inner = product(tail[1:]) if len(tail) >= 2 else 0
                if (
                    inner
                    and left % inner == 0
                    and left // inner != tail[0]
                    and not (len(tail) == 2 and tail[0] == tail[1] and side)
                ):
                    mid = left // inner
                    r.steps.append(
                        f"{fmt(left)} = {fmt(mid)} × {times(tail[1:])}: dimension {k} holds "
                        f"{fmt(mid)}, not {fmt(tail[0])}."
                    )
                    r.values["cause_text"] = (
                        f"Dimension {k} is {fmt(mid)} in the data but {fmt(tail[0])} in the "
                        f"shape{' (a class token?)' if abs(mid - tail[0]) <= 16 else ''}"
                        ": take that size from the tensor instead of writing it."
                    )
                    r.fix_values[f"dim{k}"] = mid
                    return True
                if len(tail) == 2 and tail[0] == tail[1] and side:
                    r.steps.append(
                        f"{fmt(left)} = {side} × {side}: the map is {side}×{side}, "
                        f"not {tail[0]}×{tail[1]}."
                    )
                    r.values["cause_text"] = (
                        f"The spatial size is {side}×{side}, not {tail[0]}×{tail[1]}: an input "
                        "of another size, or a layer that changed the map; compute the sizes "
                        "from the tensor (x.shape) instead of writing them."
                    )
                    r.fix_values["side"] = side
                    r.fix_code = (
                        f"x = x.view({', '.join(map(str, dims[:k]))}, {side}, {side})   "
                        "# or x.view(*x.shape[:2], h, w) with h, w taken from the tensor"
                    )
                else:
                    r.values["cause_text"] = (
                        f"The first sizes {dims[:k]} fit the data; the rest does not: "
                        f"{fmt(left)} elements per position instead of {fmt(want)}."
                    )
                return True
    # A batch of the wrong size folded into a flatten: rows that are a fraction of a row.
    if -1 in dims and known:
        p = product(known)
        if numel < p:
            g = math.gcd(numel, p)
            a, b = numel // g, p // g
            r.steps.append(
                f"The data is smaller than one row of {fmt(p)}: {fmt(numel)} = {a} × {fmt(g)} and "
                f"{fmt(p)} = {b} × {fmt(g)}."
            )
            if b <= 256:
                r.values["cause_text"] = (
                    f"If {b} is the batch size written into the view's size, this batch has {a} "
                    "samples (the last batch of an epoch is often smaller): keep the batch "
                    "dimension with x.view(x.size(0), -1)."
                )
                r.fix_code = "x = x.view(x.size(0), -1)   # keep the batch, infer the features"
                return True
        elif len(dims) == 2 and dims[0] == -1:
            r.steps.append(
                f"view(-1, {fmt(p)}) makes rows of {fmt(p)} features, so the element count must "
                f"be a multiple of {fmt(p)}: {fmt(numel)} = {fmt(numel // p)} × {fmt(p)} + "
                f"{fmt(numel % p)}. The features per sample differ from {fmt(p)}."
            )
            r.values["cause_text"] = (
                f"The size {fmt(p)} written in the flatten is not the features per sample "
                "(the input size or a conv/pool layer differs from what it was computed for): "
                "flatten with torch.flatten(x, 1) and size the next layer from it."
            )
            r.fix_code = (
                "x = torch.flatten(x, 1)   # keeps the batch, flattens the rest\n"
                "# then nn.Linear(x.shape[1], ...) or nn.LazyLinear(...)"
            )
            return True
    # Weights or buffers read from a file (darknet .weights, a converted checkpoint).
    if -1 not in dims and numel < product(dims):
        r.values["cause_text"] = (
            f"Only {fmt(numel)} elements are there for a {shape} tensor: the data was cut "
            "short or belongs to another configuration (a weights file for another model or "
            "version, a buffer read with the wrong sizes)."
        )
        return True
    return False


# -- view size is not compatible with input tensor's size and stride -----------------------


def stride(ctx: Context) -> Reasoning:
    """`view size is not compatible with input tensor's size and stride`: view after a permute."""
    r = Reasoning()
    r.steps.append(
        "view() never copies: it reinterprets the same memory, so it needs the dimensions it "
        "merges to be laid out one after another. After transpose/permute/expand/.T the memory "
        "order differs from the shape's order, and the merged dimensions span separate blocks."
    )
    where = ctx.where
    spec: ViewSpec | None = None
    if where is not None:
        specs = [
            s for s in specs_on_line(ctx.source, where.file, where.line) if s.call.name == "view"
        ]
        spec = specs[0] if specs else None
    code = (where.code if where is not None else None) or ""
    r.values["view_code"] = code or "x.view(...)"
    producer = _stride_producer(ctx, spec, code)
    if producer:
        r.steps.append(
            f"The tensor comes from {producer[1]}: its strides no longer match a "
            "row-major layout of its shape."
        )
        r.values["producer"] = producer[1]
    else:
        r.values["producer"] = "a transpose, permute, expand or slicing"
    if spec is not None:
        r.suspects.append(call_suspect(spec.call, "view() on a tensor that is not contiguous", 0.9))
        new = _view_to_reshape(spec.call.code)
        r.fix_code = (
            f"{new}   # was: {spec.call.code}\n"
            f"# or, to keep view(): {_contiguous_view(spec.call.code)}"
        )
        r.fix_values["method"] = "reshape"
    elif code and ".view(" in code:
        new = _view_to_reshape(code)
        r.fix_code = f"{new}   # was: {code}\n# or: {_contiguous_view(code)}"
        r.fix_values["method"] = "reshape"
    if producer and producer[0] is not None:
        r.suspects.append(producer[0])
    return r


def _view_to_reshape(code: str) -> str:
    return re.sub(r"\.view\(", ".reshape(", code, count=1)


def _contiguous_view(code: str) -> str:
    return re.sub(r"\.view\(", ".contiguous().view(", code, count=1)


def _stride_producer(
    ctx: Context, spec: ViewSpec | None, code: str
) -> tuple[Suspect | None, str] | None:
    """The transpose/permute that made the tensor non-contiguous: on the view's own line
    (`x.transpose(1, 2).view(...)`), else earlier in the same function on the same variable."""
    m = re.search(
        r"\.(transpose|permute|t|T|mT|expand|movedim|swapaxes|swapdims)\b\(?",
        code.split(".view(")[0],
    )
    if m:
        return None, f".{m[1]}(...) on this line"
    if spec is None:
        return None
    base = spec.call.func.rsplit(".", 1)[0]
    best: Call | None = None
    nearest: Call | None = None
    for call in ctx.source.calls(*STRIDE_OPS):
        same_scope = call.function == spec.call.function and call.cls == spec.call.cls
        if call.file != spec.call.file or not same_scope or call.line >= spec.call.line:
            continue
        if nearest is None or call.line > nearest.line:
            nearest = call
        if call.target == base or call.target is None or base in call.func:
            if best is None or call.line > best.line:
                best = call
    # The variable may differ (`correct` derived from `pred.t()`): take the nearest one then.
    best = best or nearest
    if best is not None:
        return (
            Suspect(
                best.file,
                best.line,
                best.code,
                f"{best.func}(...) leaves the tensor non-contiguous",
                0.6,
            ),
            f"{best.func}(...) on line {best.line}",
        )
    # `.T` is an attribute, not a call: look for it by text in the same function.
    lines = ctx.source.lines(spec.call.file) or []
    for n in range(spec.call.line - 1, max(spec.call.line - 30, 0), -1):
        text = lines[n - 1]
        if re.search(r"\.(T|mT)\b", text) and base.split(".")[-1] in text:
            return (
                Suspect(
                    spec.call.file, n, text.strip(), ".T leaves the tensor non-contiguous", 0.6
                ),
                f".T on line {n}",
            )
        if re.match(r"\s*def ", text):
            break
    return None


# -- the smaller view/reshape/flatten errors -----------------------------------------------


def shape_spec(ctx: Context) -> Reasoning:
    """Two -1s, a negative size other than -1, or -1 on an empty tensor."""
    r = Reasoning()
    text = ctx.message.lower()
    where = ctx.where
    code = (where.code or "").strip() if where else ""
    shape = ctx.get("shape")
    if "only one dimension can be inferred" in text:
        r.values["problem"] = "two sizes are -1"
        r.steps.append(
            "-1 means 'whatever is left': the size is the element count divided by the product "
            "of the other sizes. With two -1s that division has many answers, so view/reshape "
            "refuses."
        )
        if code and code.count("-1") >= 2:
            r.steps.append(f"`{code}` writes -1 twice.")
        r.values["advice"] = (
            "Write every size but one explicitly, e.g. x.view(x.size(0), -1) "
            "or x.view(-1, C, H, W)."
        )
        r.fix_code = "x = x.view(x.size(0), -1)   # only one size may be -1"
    elif "invalid shape dimension" in text:
        d = ctx.get("dim_size")
        if not isinstance(d, int):
            raise Decline("numbers missing")
        idx = ctx.get("index")
        at = f" at index {idx}" if isinstance(idx, int) else ""
        of = f" of {shape}" if isinstance(shape, Shape) else ""
        r.values["problem"] = f"the size{at}{of} is {d}"
        r.steps.append(
            f"The size{at}{of} is {d}: a size must be 0 or more, and -1 is the only negative "
            "value allowed (it means 'infer this one')."
        )
        r.steps.append(
            f"A size of {d} usually comes from arithmetic that went below zero (n - k, a "
            "computed length, an integer division of a negative number), not from a literal."
        )
        r.values["advice"] = (
            "Print the values the sizes are computed from; the one that is negative is the bug."
        )
        r.fix_values["dim_size"] = -1 if d < -1 else d
    elif "0 elements" in text:
        r.values["problem"] = f"the tensor is empty and the shape {shape} leaves -1 undetermined"
        r.steps.append(
            f"The tensor has 0 elements and the shape {shape} has a 0 elsewhere: 0 × anything "
            "is 0, so the -1 could be any number and PyTorch cannot pick one."
        )
        r.steps.append(
            "Empty tensors usually mean an empty batch: a filter that kept nothing (no detections, "
            "an empty mask), or a DataLoader/split of length 0."
        )
        r.values["advice"] = (
            "Skip the empty case (if x.numel() == 0: ...), or give the size "
            "explicitly instead of -1."
        )
        r.fix_code = (
            "if x.numel() == 0:\n    return x.new_zeros(0, C)   # handle the empty batch explicitly"
        )
    else:
        raise Decline("another view error")
    if where is not None and code:
        from explainer.model import Suspect

        r.suspects.append(
            Suspect(where.file, where.line or 0, code, "the reshape with the bad size", 0.8)
        )
    return r


def unflatten(ctx: Context) -> Reasoning:
    """`unflatten: Provided sizes [2, 4] don't multiply up to the size of dim 1 (6)`."""
    sizes = ctx.get("sizes")
    dim = ctx.get("dim")
    size = ctx.get("size")
    if not isinstance(sizes, Shape) or not isinstance(size, int) or not isinstance(dim, int):
        raise Decline("numbers missing")
    r = Reasoning()
    known = [s for s in sizes if s != -1]
    p = product(known)
    if -1 in sizes:
        r.steps.append(
            f"Dimension {dim} has {fmt(size)} elements; the sizes {sizes} leave -1 = {fmt(size)} / "
            f"{fmt(p)} = {size / p if p else float('nan'):.4g}, not a whole number."
        )
        r.values["product_text"] = (
            f"the known sizes multiply to {fmt(p)}, which does not divide {fmt(size)}"
        )
    else:
        r.steps.append(f"{times(sizes)} = {fmt(p)}, but dimension {dim} has {fmt(size)} elements.")
        r.values["product_text"] = f"{times(sizes)} = {fmt(p)} ≠ {fmt(size)}"
    for call in ctx.source.calls("Unflatten", "unflatten"):
        text = call.code.replace(" ", "")
        if ",".join(str(d) for d in sizes) in text:
            r.suspects.append(call_suspect(call, f"splits {fmt(size)} features into {sizes}", 0.85))
            break
    fixed = _unflatten_fix(list(sizes), size)
    if fixed:
        r.steps.append(
            f"{fmt(size)} = {times(fixed)}: sizes that fit, keeping "
            f"{'the channels' if len(fixed) == 3 else 'one of the sizes'}."
        )
        r.fix_values["sizes"] = fixed
    r.fix_code = (
        f"x = x.unflatten({dim}, (-1, {known[-1] if known else 'k'}))   # let one size be inferred"
    )
    where = ctx.where
    if where is not None and where.code:
        from explainer.model import Suspect

        r.suspects.append(
            Suspect(where.file, where.line or 0, where.code, "the unflatten sizes", 0.7)
        )
    return r


def _unflatten_fix(sizes: list[int], size: int) -> list[int] | None:
    """Sizes that multiply to `size`: [C, H, W] keeps C (square map); [a, b] keeps b, else a."""
    if len(sizes) == 3 and sizes[0] > 0 and size % sizes[0] == 0:
        side = integer_sqrt(size // sizes[0])
        if side:
            return [sizes[0], side, side]
    if len(sizes) == 2:
        a, b = sizes
        if b > 0 and size % b == 0:
            return [size // b, b]
        if a > 0 and size % a == 0:
            return [a, size // a]
    return None


def flatten_order(ctx: Context) -> Reasoning:
    """`flatten() has invalid args: start_dim cannot come after end_dim`."""
    r = Reasoning()
    where = ctx.where
    code = (where.code or "").strip() if where else ""
    r.steps.append(
        "flatten(start_dim, end_dim) merges the dimensions from start_dim to end_dim; after "
        "negative dims are counted from the end, start_dim must not be greater than end_dim."
    )
    m = re.search(
        r"flatten\(\s*(?:[\w.]+\s*,\s*)?(?:start_dim\s*=\s*)?(-?\d+)\s*,\s*(?:end_dim\s*=\s*)?(-?\d+)",
        code,
    )
    if m:
        a, b = int(m[1]), int(m[2])
        r.steps.append(
            f"`{code}` passes start_dim={a}, end_dim={b}: the two are in the wrong order, "
            "or a negative one points before the other for this tensor's rank."
        )
        r.fix_code = (
            code[: m.start(1)]
            + m[2]
            + code[m.end(1) : m.start(2)]
            + m[1]
            + code[m.end(2) :]
            + f"   # was: {code}"
        )
        r.fix_values.update(start_dim=b, end_dim=a)
    r.values["code_text"] = f"`{code}`" if code else "the flatten call"
    if where is not None and code:
        from explainer.model import Suspect

        r.suspects.append(
            Suspect(where.file, where.line or 0, code, "start_dim after end_dim", 0.8)
        )
    return r


def negative_dim(ctx: Context) -> Reasoning:
    """`Trying to create tensor with negative dimension -4: [3, -4]` (and 2.13's zeros wording)."""
    r = Reasoning()
    d = ctx.get("dim_size")
    sizes = ctx.get("sizes")
    where = ctx.where
    code = (where.code or "").strip() if where else ""
    if isinstance(d, int) and isinstance(sizes, Shape):
        idx = list(sizes).index(d) if d in sizes else None
        r.values["detail"] = f"size {d} in {sizes}" + (f" (index {idx})" if idx is not None else "")
        r.steps.append(
            f"The requested shape {sizes} has {d} at index {idx}: a size must be 0 or more."
        )
        is_linear = "Linear" in code
        is_conv = "Conv" in code
        if len(sizes) == 2 and idx is not None and is_linear:
            r.steps.append(
                "For nn.Linear the weight is [out_features, in_features]: "
                f"{'in_features' if idx == 1 else 'out_features'} = {d}."
            )
        elif len(sizes) in (3, 4, 5) and idx is not None and idx <= 1 and is_conv:
            r.steps.append(
                "For a convolution the weight is [out_channels, in_channels/groups, *kernel]: "
                f"{'in_channels' if idx == 1 else 'out_channels'} = {d}."
            )
    else:
        r.values["detail"] = "a negative size"
        r.steps.append("One of the sizes is negative: a size must be 0 or more.")
    r.steps.append(
        "Negative sizes come from arithmetic: n - k with k > n, a conv/pool output size computed "
        "by hand for an input that is too small, len(x) - window for a short sequence."
    )
    if where is not None and code:
        from explainer.model import Suspect

        r.suspects.append(
            Suspect(where.file, where.line or 0, code, "creates a tensor with a negative size", 0.7)
        )
    return r


def storage_bounds(ctx: Context) -> Reasoning:
    """`setStorage: sizes [..], strides [..], storage offset o, and itemsize b requiring a
    storage size of N are out of bounds for storage of size M` (as_strided, set_)."""
    sizes, strides = ctx.get("sizes"), ctx.get("strides")
    offset, item = ctx.get("offset"), ctx.get("itemsize")
    need, have = ctx.get("need"), ctx.get("have")
    if not isinstance(sizes, Shape) or not isinstance(strides, Shape) or not isinstance(need, int):
        raise Decline("numbers missing")
    r = Reasoning()
    offset = offset if isinstance(offset, int) else 0
    last = offset + sum((s - 1) * st for s, st in zip(sizes, strides, strict=False) if s > 0)
    terms = " + ".join(f"({s} − 1) × {st}" for s, st in zip(sizes, strides, strict=False))
    r.steps.append(f"The last element sits at offset {offset} + {terms} = {fmt(last)}.")
    if isinstance(item, int):
        r.steps.append(
            f"So the view needs {fmt(last + 1)} elements × {item} bytes = {fmt((last + 1) * item)} "
            f"bytes (PyTorch says {fmt(need)})"
            + (
                f", but the storage has {fmt(have)} bytes = {fmt(have // item)} elements."
                if isinstance(have, int)
                else "."
            )
        )
        if isinstance(have, int):
            r.fix_values["max_elements"] = have // item
    elif isinstance(have, int):
        r.steps.append(f"So the view needs {fmt(need)} elements, but the storage has {fmt(have)}.")
    r.values["need_text"] = fmt(need)
    r.values["have_text"] = fmt(have) if isinstance(have, int) else "less"
    return r


def view_dtype(ctx: Context) -> Reasoning:
    """`self.size(-1) must be divisible by 2 to view Byte as Short (different element sizes)`."""
    ratio, size = ctx.get("ratio"), ctx.get("size")
    src, dst = ctx.get("src"), ctx.get("dst")
    if not isinstance(ratio, int) or not isinstance(size, int):
        raise Decline("numbers missing")
    r = Reasoning()
    r.steps.append(
        f"One {dst} element takes the bytes of {ratio} {src} elements, so view({dst}) groups the "
        f"last dimension by {ratio}: {size} / {ratio} = {size / ratio:.4g}, not whole."
    )
    r.fix_values["last_dim"] = size - size % ratio
    r.fix_code = (
        f"x = x[..., : {size - size % ratio}].view(torch.{str(dst).lower()})   "
        "# or pad the last dim to a "
        f"multiple of {ratio}\n# for a value conversion (not a bit reinterpretation): x.to(...)"
    )
    return r


def repeat_dims(ctx: Context) -> Reasoning:
    """`Number of dimensions of repeat dims can not be smaller than number of dimensions of
    tensor`: fewer repeat counts than the tensor has dims."""
    r = Reasoning()
    where = ctx.where
    code = (where.code or "").strip() if where else ""
    r.values["call_text"] = f"`{code}`" if code else "The repeat call"
    r.values["ndim_text"] = ""
    m = re.search(r"([\w.\[\]]+)\.repeat\(([^()]*)\)", code)
    if not m:
        return r
    base, args = m[1], [a.strip() for a in m[2].split(",") if a.strip()]
    ndim = _ndim_of(ctx.source, base, where.file if where else "")
    r.steps.append(
        f"`{code}` gives {len(args)} count{'s' if len(args) != 1 else ''}"
        + (f" for a {ndim}-D tensor." if ndim else ".")
    )
    if ndim and len(args) < ndim:
        r.values["ndim_text"] = f" (a {ndim}-D tensor needs {ndim})"
        counts = args + ["1"] * (ndim - len(args))
        values = [ctx.source.eval_int(a) for a in counts]
        r.steps.append(
            f"repeat({', '.join(counts)}) repeats along dim 0 and keeps the others; "
            "put the counts where the repeats should go."
        )
        fixed_call = f"{base}.repeat({', '.join(counts)})"
        r.fix_code = f"{code.replace(m.group(0), fixed_call, 1)}   # was: {code}"
        if all(isinstance(v, int) for v in values):
            r.fix_values["counts"] = values
    if where is not None:
        from explainer.model import Suspect

        r.suspects.append(
            Suspect(where.file, where.line or 0, code, "fewer repeat counts than dims", 0.8)
        )
    return r


def _ndim_of(source: SourceIndex, name: str, file: str) -> int | None:
    """Rank of a tensor created with literal sizes (`x = torch.randn(4, 16)`) in the same file."""
    for call in source.calls("randn", "rand", "zeros", "ones", "empty", "full"):
        if call.target == name and call.file == file:
            args = call.args[:1] if call.name == "full" else call.args
            if len(args) == 1 and args[0].startswith(("(", "[")):
                return args[0].count(",") + 1 - (1 if args[0].rstrip(")] ").endswith(",") else 0)
            return len([a for a in args if not a.startswith("*")])
    return None
