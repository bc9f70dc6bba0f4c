"""torch.cat / torch.stack and the DataLoader's collate: which dimension may differ (the cat
dimension) and which may not, U-Net skip connections off by one pixel, batches of samples of
mixed sizes (crops, grayscale among RGB, sequences of varying length), and the shared-memory
`resize` failure that the same mistake causes when the DataLoader has workers."""

from __future__ import annotations

import ast
import re
from typing import Any

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.shapes import Shape, fmt
from explainer.arithmetic.suspects import code_lines_with_numbers, raising_line_and_literals
from explainer.model import Suspect

UPSAMPLE_LAYERS = (
    "ConvTranspose2d",
    "ConvTranspose3d",
    "ConvTranspose1d",
    "Upsample",
    "UpsamplingBilinear2d",
    "UpsamplingNearest2d",
    "interpolate",
)
POOL_LAYERS = ("MaxPool2d", "AvgPool2d", "MaxPool3d", "max_pool2d", "avg_pool2d")
SKIP_NAME = re.compile(r"\b(skip|enc|down|bridge|feat|x\d|conv\d|c\d|e\d|d\d|up|dec|encoder)", re.I)
COLLATE_HINTS = ("collate", "_worker_loop", "dataloader.py", "fetch.py")
SIZE_WORDS = re.compile(
    r"resize|crop|Resize|Crop|size|open\(|imread|load|convert|pad|"
    r"randint|choice|len\(|\[\s*:|torch\.(?:zeros|ones|rand|randn|empty|"
    r"full|tensor)\("
)


# -- torch.cat ---------------------------------------------------------------------------------


def cat_size(ctx: Context) -> Reasoning:
    """`Sizes of tensors must match except in dimension D. Expected size A but got size B for
    tensor number N in the list.` and its older wordings."""
    except_dim, expected, got, number, dim = _cat_numbers(ctx)
    r = Reasoning()
    _cat_steps(r, except_dim, expected, got, number, dim)
    code = _cat_code(ctx)
    r.values["hint"] = _cat_hint(r, ctx, code, except_dim, expected, got, dim)
    r.suspects += raising_line_and_literals(
        ctx,
        f"joins tensors that differ in {r.values['where_dim']}"
        if dim is not None
        else f"joins tensors that differ in a dimension other than {except_dim}",
        0.6,
        [expected, got],
    )
    if not r.fix_code:
        r.fix_code = (
            f"# every dimension except {r.values['cat_text']} must match: print the shapes\n"
            "print([t.shape for t in tensors])\n"
            f"# then resize, pad or crop {r.values['other_text']} to {expected} in the dimension "
            "that differs (or concatenate along that dimension instead)"
        )
    return r


# ATen's CUDA (and MPS) cat of ~1.5-1.9 printed the loop variable: in "Sizes of tensors must
# match except in dimension 2. Got 70 and 71 (The offending index is 0)" the 2 is the dimension
# that differs, not the cat dimension. The CPU and TH wordings go on "in dimension D".
CUDA_WORDING = re.compile(
    r"except\s+in\s+dimension\s+\d+\.\s+Got\s+\d+\s+and\s+\d+(?!\d)(?!\s*(?:in|at)\s+dimension)"
)


def _cat_numbers(ctx: Context) -> tuple[int | None, int, int, int | str, int | None]:
    except_dim = ctx.get("except_dim")
    expected, got = ctx.get("expected"), ctx.get("got")
    number = ctx.get("tensor_number")
    dim = ctx.get("dim")
    if CUDA_WORDING.search(ctx.message) and not isinstance(dim, int):
        dim, except_dim = except_dim, None
    if (
        isinstance(dim, int)
        and not isinstance(except_dim, int)
        and CUDA_WORDING.search(ctx.message)
    ):
        except_dim = _code_cat_dim(_cat_code(ctx))
        if except_dim == dim:
            except_dim = None
    elif not isinstance(except_dim, int):
        raise Decline("numbers missing")
    if not isinstance(expected, int) or not isinstance(got, int):
        raise Decline("numbers missing")
    return (
        except_dim,
        expected,
        got,
        number if isinstance(number, int) else "?",
        (dim if isinstance(dim, int) else None),
    )


def _code_cat_dim(code: str) -> int | None:
    """The dimension a `torch.cat(...)` line joins along: dim=N, a trailing N, or the default 0."""
    m = re.search(r"\b(?:cat|concat|concatenate)\(", code)
    if not m:
        return None
    tail = code[m.end() :]
    found = re.search(r"\b(?:dim|axis)\s*=\s*(-?\d+)", tail) or re.search(
        r"[\])]\s*,\s*(-?\d+)\s*\)", tail
    )
    if found:
        return int(found[1])
    if re.search(r"\b(?:dim|axis)\s*=", tail):
        return None  # a variable
    return 0


def _cat_steps(
    r: Reasoning, except_dim: int | None, expected: int, got: int, number: Any, dim: int | None
) -> None:
    # Releases 1.5-1.9 printed an "offending index" of 0 even for a later tensor.
    other = f"tensor {number}" if isinstance(number, int) and number > 0 else "another tensor"
    cat_text = f"dimension {except_dim}" if except_dim is not None else "the `dim` it was given"
    r.values.update(
        except_dim=except_dim if except_dim is not None else "?",
        cat_text=cat_text,
        expected=expected,
        got=got,
        other_text=other,
    )
    if except_dim is None:
        r.steps.append(
            f"This wording (the CUDA cat of PyTorch ~1.5-1.9) prints the dimension that "
            f'differs, {dim}, after "except in dimension": the tensors are joined along '
            "another dimension (the one passed to cat), and every dimension but that one must "
            "have the same size in every tensor."
        )
    else:
        r.steps.append(
            f"torch.cat joins the tensors along dimension {except_dim}: only that dimension may "
            "differ between them; every other dimension must have the same size in every tensor."
        )
    where = (
        f"dimension {dim}"
        if dim is not None
        else (f"a dimension other than {except_dim} (this wording does not say which)")
    )
    r.steps.append(f"In {where}, the first tensor has {fmt(expected)} and {other} has {fmt(got)}.")
    r.values["where_dim"] = where
    r.values["fix_text"] = (
        f"Make {where} the same size in all tensors (resize, crop or pad), or join along the "
        "dimension that really differs."
        if dim is not None
        else f"Make every dimension except {except_dim} the same size in all tensors (resize, "
        "crop or pad), or join along the dimension that really differs."
    )


def _cat_code(ctx: Context) -> str:
    for frame in reversed(ctx.parsed.all_frames):
        code = frame.code or ""
        if CAT_CALL.search(code):
            return _ascii_brackets(code.strip())
    where = ctx.where
    if where and where.code:
        return _ascii_brackets(where.code.strip())
    # A traceback whose frame lines did not survive the paste: the last cat line of the text.
    lines = [line for line in ctx.parsed.text.splitlines() if CAT_CALL.search(line)]
    return _ascii_brackets(lines[-1].strip()) if lines else ""


CAT_CALL = re.compile(r"\b(cat|concat|concatenate|hstack|vstack|column_stack)\(")


def _ascii_brackets(code: str) -> str:
    return code.replace("【", "[").replace("】", "]")


def _cat_hint(
    r: Reasoning,
    ctx: Context,
    code: str,
    except_dim: int | None,
    expected: int,
    got: int,
    dim: int | None = None,
) -> str:
    if 1 in (expected, got):
        r.steps.append(
            "One of the sizes is 1: cat does not broadcast, a size-1 dimension is not stretched."
        )
        return (
            " One tensor has size 1 there: cat does not broadcast, so expand it first "
            "(t.expand(...)) or repeat it."
        )
    if (
        except_dim == 0
        and code
        and not re.search(r"\bdim\s*=|,\s*-?\d+\s*\)\s*$", code)
        and re.search(r"\bcat\(\s*[\[(]", code)
    ):
        r.steps.append(
            "The call gives no dim, so cat joins along dimension 0 (the batch); "
            "to join features of tensors with the same batch size, use dim=1."
        )
        r.fix_values["dim"] = 1
        r.fix_code = (
            re.sub(r"\)\s*$", ", dim=1)", code, count=1)
            + "   # cat defaults to dim=0: join the features, not the batch"
        )
        return (
            " The call does not give dim, so cat stacks rows (dimension 0): to join "
            "features side by side, pass dim=1."
        )
    if except_dim == 0:
        return (
            " Concatenating along dimension 0 collects samples; they must agree in every "
            "other dimension: pad or crop them to one size, or keep them in a list."
        )
    big, small = max(expected, got), min(expected, got)
    spatial = (dim is not None and dim >= 2) or bool(
        ctx.source.calls("Conv2d", "Conv3d", "MaxPool2d", "ConvTranspose2d", "Upsample")
    )
    if big - small <= 3 and spatial:
        r.steps.append(
            f"{fmt(big)} − {fmt(small)} = {big - small}: an off-by-{big - small} "
            "size, typical of odd sizes halved and doubled again."
        )
        return (
            f" The sizes differ by {big - small}: an odd size halved by a pooling or "
            "strided conv and doubled again comes back one smaller."
        )
    return ""


def unet_skip(ctx: Context) -> Reasoning:
    """A U-Net decoder concatenating an upsampled map with a skip map one pixel larger."""
    except_dim, expected, got, number, dim = _cat_numbers(ctx)
    if except_dim not in (1, None) or (dim is not None and dim < 2):
        raise Decline("not a channel concat of spatial maps")
    if except_dim is None and dim is None:
        raise Decline("no dimension known")
    big, small = max(expected, got), min(expected, got)
    if not (0 < big - small <= 3 or big == 2 * small or small * 2 + 1 == big):
        raise Decline("sizes not related by pooling/upsampling")
    code = _cat_code(ctx)
    ups = ctx.source.calls(*UPSAMPLE_LAYERS)
    if (
        not ups
        and not SKIP_NAME.search(code)
        and not re.search(r"upsampl|interpolat|transpose", " ".join(ctx.frame_codes()), re.I)
    ):
        raise Decline("no decoder / skip connection in sight")
    r = Reasoning()
    _cat_steps(r, except_dim, expected, got, number, dim)
    operands = _cat_operands(code)
    first = other = None
    if operands and isinstance(number, int) and 0 < number < len(operands):
        first, other = operands[0], operands[number]
    elif len(operands) == 2:  # the CUDA wording's "offending index" is 0 whatever the tensor
        first, other = operands
    roles = _skip_roles(first, other) if first and other else None
    big_name = (first if expected > got else other) if first and other else None
    small_name = (other if expected > got else first) if first and other else None
    side = {2: "tall (H)", 3: "wide (W)"}.get(dim) if dim is not None else None
    where_text = f"is {{}} {side}" if side else "has {} in H or W"
    skip_size = up_size = 0
    if roles:
        skip_name, up_name = roles
        skip_size, up_size = (expected, got) if skip_name == first else (got, expected)
        r.values["pair_text"] = (
            f"The skip connection `{skip_name}` {where_text.format(fmt(skip_size))} but the "
            f"upsampled `{up_name}` {fmt(up_size)}"
        )
        r.steps.append(
            f"The channels (dimension 1) are joined, so H and W must match: the skip "
            f"connection `{skip_name}` has {fmt(skip_size)} where the upsampled `{up_name}` has "
            f"{fmt(up_size)}."
        )
        resize, to = up_name, skip_name
        r.values["resize_text"] = f"the upsampled `{up_name}` to the skip map's size"
    else:
        # The names do not say which map is the skip connection: do not guess.
        a_name, b_name = big_name or "the first map", small_name or "the other map"
        a_txt = f"`{a_name}`" if big_name else a_name
        b_txt = f"`{b_name}`" if small_name else b_name
        detail = {2: "in H", 3: "in W"}.get(dim, "in H or W") if dim is not None else "in H or W"
        r.values["pair_text"] = (
            f"{a_txt[:1].upper()}{a_txt[1:]} has {fmt(big)} and {b_txt} {fmt(small)} {detail}"
        )
        r.steps.append(
            f"The channels (dimension 1) are joined, so H and W must match: {a_txt} has "
            f"{fmt(big)} where {b_txt} has {fmt(small)}."
        )
        resize = small_name or "x"
        to = big_name or "skip"
        r.values["resize_text"] = (
            f"{b_txt} to {a_txt}'s size"
            if big_name and small_name
            else "one map to the other's size"
        )
    r.values.update(skip_size=big, up_size=small)
    skip_name, up_name = to, resize
    if roles and skip_size < up_size:
        r.values["cause"] = (
            f"the upsampled map came out {big - small} larger than the skip map (an odd size "
            "upsampled, or an output_padding / kernel that overshoots)"
        )
    elif big % 2 == 1 and small == big - 1:
        r.steps.append(
            f"{fmt(big)} is odd: a 2× pooling floors it to {fmt(big // 2)}, and "
            f"upsampling 2× gives {fmt(2 * (big // 2))} = {fmt(big)} − 1."
        )
        r.values["cause"] = (
            f"{fmt(big)} is odd: pooling floors it to {fmt(big // 2)} and "
            f"upsampling doubles that to {fmt(small)}"
        )
    elif big == 2 * small or big == 2 * small + 1:
        r.values["cause"] = (
            f"{fmt(big)} is twice {fmt(small)}: one upsampling step is missing "
            "(or one pooling too many)"
        )
    elif roles:
        r.values["cause"] = (
            f"convolutions without padding or rounding in the encoder leave the "
            f"skip map {big - small} larger"
        )
    else:
        r.values["cause"] = (
            "an odd size pooled and upsampled again, or a convolution without padding, leaves "
            f"one map {big - small} larger than the other"
        )
    depth = len(ctx.source.calls(*POOL_LAYERS))
    multiple = 2**depth if depth else 16
    r.values["multiple"] = multiple
    r.fix_values["target_size"] = big
    lead = (
        "# resize the upsampled map to the skip connection's size before the cat\n"
        if roles
        else f"# resize {up_name} to {skip_name}'s H and W before the cat\n"
    )
    if not re.fullmatch(r"[A-Za-z_][\w.]*", up_name):  # a call: name its result first
        lead += f"up = {up_name}\n"
        up_name = "up"
    r.fix_code = (
        lead + f"{up_name} = F.interpolate({up_name}, size={skip_name}.shape[2:])\n"
        f"# or pad it (as milesial/Pytorch-UNet does):\n"
        f"# dy = {skip_name}.size(2) - {up_name}.size(2); dx = {skip_name}.size(3) - "
        f"{up_name}.size(3)\n"
        f"# {up_name} = F.pad({up_name}, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])\n"
        f"# or center-crop {skip_name} to {up_name}'s size (as the original U-Net paper does)\n"
        f"# or feed inputs whose H and W are multiples of {multiple}"
    )
    where = ctx.where
    if where and where.line and where.code:
        r.suspects.append(
            Suspect(
                where.file,
                where.line,
                where.code.strip(),
                (
                    f"joins a {fmt(small)} upsampled map with a {fmt(big)} skip map (H or W)"
                    if roles
                    else f"joins maps of {fmt(big)} and {fmt(small)} in H or W"
                ),
                0.8,
            )
        )
    return r


SKIP_ROLE = re.compile(r"skip|enc|down|bridge|short|residual|feat|conv\d|\be\d", re.I)
UP_ROLE = re.compile(r"up|dec|deconv|interp", re.I)


def _skip_roles(first: str, other: str) -> tuple[str, str] | None:
    """(skip, upsampled) when the names say which is which; None when they do not."""

    def role(name: str) -> str | None:
        if UP_ROLE.search(name):
            return "up"
        return "skip" if SKIP_ROLE.search(name) else None

    a, b = role(first), role(other)
    if a == b:
        return None
    return (first, other) if a == "skip" or b == "up" else (other, first)


def _cat_operands(code: str) -> list[str]:
    for node in ast.walk(_parse_line(code) or ast.Module(body=[], type_ignores=[])):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in ("cat", "concat")
            and node.args
            and isinstance(node.args[0], ast.List | ast.Tuple)
        ):
            return [ast.unparse(e) for e in node.args[0].elts]
    m = re.search(r"\b(?:cat|concat)\(\s*[\[(](?P<items>[^\])]*)[\])]", code)
    if not m:
        return []
    try:
        items = ast.parse(f"[{m['items']}]", mode="eval").body
    except SyntaxError:
        return []
    if isinstance(items, ast.List):
        return [ast.unparse(e) for e in items.elts]
    return []


def _parse_line(code: str) -> ast.AST | None:
    """A source line as an expression or statement (`x = torch.cat(...)`), or None."""
    text = code.strip()
    for candidate in (text, text.split("=", 1)[-1].strip()):
        try:
            return ast.parse(candidate)
        except SyntaxError:
            continue
    return None


def cat_ndim(ctx: Context) -> Reasoning:
    """`Tensors must have same number of dimensions: got 2 and 3`."""
    first, other = ctx.get("first_ndim"), ctx.get("other_ndim")
    if not isinstance(first, int) or not isinstance(other, int):
        raise Decline("numbers missing")
    r = Reasoning()
    r.values.update(first_ndim=first, other_ndim=other)
    r.steps.append(
        "torch.cat joins tensors along an existing dimension: all of them must have "
        "the same number of dimensions (cat never adds or broadcasts one)."
    )
    r.steps.append(
        f"The first tensor has {first} dimension{'s' if first != 1 else ''}, another has {other}."
    )
    small = "the other tensor" if other < first else "the first tensor"
    if abs(first - other) == 1:
        r.steps.append(
            f"They differ by one dimension: unsqueeze {small} (a [N] vector becomes "
            "[N, 1] with .unsqueeze(1)), or use torch.stack to add a new dimension "
            "to all of them."
        )
    r.values["smaller"] = small
    r.fix_values["ndim"] = max(first, other)
    code = _cat_code(ctx)
    r.fix_code = (
        f"# give every tensor {max(first, other)} dimensions, e.g. a [N] vector: "
        "v.unsqueeze(1) -> [N, 1]"
    )
    operands = _cat_operands(code)
    if len(operands) == 2 and abs(first - other) == 1:
        m = re.search(r"\bdim\s*=\s*(-?\d+)|[\])]\s*,\s*(-?\d+)\s*\)", code)
        cat_dim = int(m.group(1) or m.group(2)) if m else 0
        smaller = operands[1] if other < first else operands[0]
        new = code.replace(smaller, f"{smaller}.unsqueeze({cat_dim})", 1)
        r.fix_code = f"{new}   # {smaller} gets the missing dimension {cat_dim}"
    where = ctx.where
    if where and where.line and where.code:
        r.suspects.append(
            Suspect(
                where.file,
                where.line,
                where.code.strip(),
                f"concatenates a {first}-D and a {other}-D tensor",
                0.7,
            )
        )
    return r


def cat_no_sizes(ctx: Context) -> Reasoning:
    """PyTorch 0.x's `inconsistent tensor sizes` from cat (THC/TH catArray): no sizes printed."""
    code = _cat_code(ctx)
    codes = " ".join(ctx.frame_codes()) + " " + code + " " + ctx.parsed.text
    if re.search(r"\bcross\(", codes) and not CAT_CALL.search(codes):
        raise Decline("torch.cross raised it: another op")
    r = Reasoning()
    dim = _code_cat_dim(code) if code else None
    r.values["cat_text"] = f"dimension {dim}" if dim is not None else "the joined dimension"
    r.steps.append(
        'PyTorch 0.x\'s torch.cat says only "inconsistent tensor sizes": the tensors differ in a '
        f"dimension other than {r.values['cat_text']}, and the message prints no sizes."
    )
    if not code:
        r.confidence = 0.6
        r.notes.append("In 0.x torch.cross printed the same words; print the shapes to be sure.")
    operands = _cat_operands(code) if code else []
    unet = dim == 1 and (
        SKIP_NAME.search(code) or re.search(r"upsampl|interpolat|transpose|\bup", code, re.I)
    )
    cause = (
        "Print the shapes of the tensors being joined: every dimension but "
        f"{r.values['cat_text']} must match."
    )
    fix = "Make every dimension except the joined one the same size in all tensors."
    if unet:
        sides = [int(n) for pair in SIDES.findall(ctx.parsed.text) for n in pair]
        odd = []
        for side in sides:
            twos = (side & -side).bit_length() - 1
            if twos < 5:
                odd.append(f"{side} = 2^{twos} × {side >> twos}" if twos else f"{side} is odd")
        cause = (
            "The maps are joined along the channels (dimension 1) in a U-Net-style decoder: an "
            "upsampled map and a skip connection whose H or W differ by a pixel once an odd "
            "size was pooled and upsampled again."
        )
        if odd:
            cause += (
                f" The input size the text gives is not a multiple of 32 ({'; '.join(odd)}): a "
                "halving floors it, so the upsampled map comes back smaller."
            )
            r.steps.append(f"{'; '.join(odd)}: not divisible by 2 at every pooling level.")
        fix = (
            "Feed sizes that are multiples of 2^(number of poolings), e.g. 32, or resize/pad the "
            "upsampled map to the skip map's size before the cat."
        )
        names = operands if len(operands) == 2 else ["up", "skip"]
        up, skip = names[0], names[1]
        if not re.fullmatch(r"[A-Za-z_][\w.]*", up):
            up_line = f"up = {up}\n"
            up = "up"
        else:
            up_line = ""
        r.fix_code = (
            up_line + f"{up} = F.interpolate({up}, size={skip}.shape[2:])   # match the skip map\n"
            f"# then torch.cat([{up}, {skip}], dim=1); or feed H and W that are multiples of 32"
        )
        r.fix_values["multiple_of"] = 32
    else:
        r.fix_code = "print([t.shape for t in tensors])   # every dimension but the joined one"
    r.values.update(cause=cause, fix_text=fix)
    if ctx.where and ctx.where.code:
        r.suspects.append(
            Suspect(ctx.where.file, ctx.where.line or 0, ctx.where.code, "joins the tensors", 0.6)
        )
    return r


SIDES = re.compile(r"\b(\d{2,5})\s*[x×]\s*(\d{2,5})\b")


def cat_empty(ctx: Context) -> Reasoning:
    """`torch.cat(): expected a non-empty list of Tensors` / `stack expects a non-empty
    TensorList`: the list was never filled."""
    r = Reasoning()
    op = ctx.get("op")
    func = (
        f"torch.{op}"
        if isinstance(op, str)
        else ("torch.stack" if "stack" in ctx.message else "torch.cat")
    )
    r.values["func"] = func
    r.steps.append(
        f"{func} got an empty list: there is nothing to join, so it cannot even "
        "tell the shape or dtype of the result."
    )
    r.steps.append(
        "The list is usually filled in a loop that never ran: an empty dataset or "
        "DataLoader (wrong path, a glob that matched nothing, drop_last with fewer "
        "samples than a batch), or a filter that rejected every item."
    )
    code = _cat_code(ctx) or ((ctx.where.code or "") if ctx.where else "")
    m = re.search(r"\b(?:cat|stack|concat|hstack|vstack|dstack)\(\s*(?P<name>[\w.]+)", code)
    name = m["name"] if m else None
    r.values["list_name"] = f"`{name}`" if name else "the list"
    if name:
        for path in ctx.source.files():
            for n, line in enumerate(ctx.source.lines(path) or [], start=1):
                stripped = line.split("#", 1)[0]
                if re.search(rf"\b{re.escape(name)}\s*=\s*\[\s*\]", stripped):
                    r.suspects.append(
                        Suspect(
                            path, n, line.strip(), f"{name} starts empty and nothing was added", 0.5
                        )
                    )
                elif re.search(rf"\b{re.escape(name)}\.(append|extend)\(", stripped):
                    r.suspects.append(
                        Suspect(
                            path,
                            n,
                            line.strip(),
                            f"the only place that fills {name}: never reached",
                            0.6,
                        )
                    )
    where = ctx.where
    if where and where.line and where.code:
        r.suspects.append(
            Suspect(where.file, where.line, where.code.strip(), "joins an empty list", 0.55)
        )
    target = name or "parts"
    r.fix_code = (
        f"if not {target}:\n    raise RuntimeError('nothing to join: is the dataset "
        f"empty?')\nresult = {func}({target})"
    )
    return r


def cat_zero_dim(ctx: Context) -> Reasoning:
    """`zero-dimensional tensor (at position 0) cannot be concatenated`: scalars need stack."""
    pos = ctx.get("pos")
    if not isinstance(pos, int):
        raise Decline("numbers missing")
    r = Reasoning()
    r.values["pos"] = pos
    r.steps.append(
        "torch.cat joins along an existing dimension; a zero-dimensional tensor (a "
        "scalar such as a loss, x.sum(), x.mean() or x[i] of a vector) has none."
    )
    r.steps.append(
        f"The tensor at position {pos} of the list is such a scalar. torch.stack "
        "creates the new dimension: a list of N scalars becomes a [N] vector."
    )
    r.fix_values["function"] = "stack"
    code = _cat_code(ctx)
    if code and re.search(r"\bcat\(", code):
        r.fix_code = re.sub(r"\bcat\(", "stack(", code, count=1) + "   # scalars: stack, not cat"
    else:
        r.fix_code = "torch.stack(values)   # or torch.cat([v.reshape(1) for v in values])"
    where = ctx.where
    if where and where.line and where.code:
        r.suspects.append(
            Suspect(
                where.file,
                where.line,
                where.code.strip(),
                "concatenates zero-dimensional tensors",
                0.8,
            )
        )
    return r


# -- torch.stack and the DataLoader's collate ---------------------------------------------------


def stack_size(ctx: Context) -> Reasoning:
    """`stack expects each tensor to be equal size, but got [..] at entry 0 and [..] at entry i`."""
    first = ctx.get("entry0_shape", "first_shape")
    other = ctx.get("other_shape")
    entry = ctx.get("other_entry")
    if not isinstance(first, Shape):
        raise Decline("shapes missing")
    r = Reasoning()
    collate = _in_collate(ctx)
    r.values["collate_note"] = (
        " The DataLoader's default collate stacks the samples of each batch this way, so every "
        "sample the Dataset returns must have the same shape."
        if collate
        else ""
    )
    r.steps.append(
        "torch.stack puts the tensors side by side along a new dimension, so they "
        "must all have exactly the same shape."
        + (
            " The DataLoader's default_collate calls it on the samples of a batch."
            if collate
            else ""
        )
    )
    if not isinstance(other, Shape):
        # torch.compile's refs wording prints only entry 0.
        r.steps.append(
            f"Entry 0 has {first}; under torch.compile the message omits the other "
            "shape: one of the other tensors differs from it."
        )
        r.values.update(
            diff_text="Another tensor has a different shape.",
            advice=_advice_generic(),
            pair_text=f"entry 0 is {first} and another entry differs",
        )
        r.fix_values["shape"] = list(first)
        r.fix_code = "print([t.shape for t in tensors])   # find the entry that differs"
        _stack_suspects(ctx, r, [d for d in first if d > 1], collate)
        return r
    r.steps.append(f"Entry 0 has {first} and entry {entry} has {other}.")
    diff, numbers, advice, fix_values, fix_code = _compare(first, other, collate)
    r.steps.append(diff)
    r.values.update(
        diff_text=diff, advice=advice, pair_text=f"entry 0 is {first}, entry {entry} is {other}"
    )
    r.fix_values.update(fix_values)
    r.fix_code = fix_code
    _stack_suspects(ctx, r, numbers, collate)
    return r


def _in_collate(ctx: Context) -> bool:
    files = " ".join(f.file for f in ctx.parsed.all_frames).lower()
    codes = " ".join(ctx.frame_codes()).lower()
    msgs = " ".join(b.message for b in ctx.parsed.chain).lower()
    return (
        any(h in files or h in codes for h in COLLATE_HINTS)
        or "dataloader worker" in msgs
        or "dataloader" in codes
    )


def _role_names(shape: Shape) -> list[str]:
    """Names of the dimensions of one sample, when its layout is recognisable."""
    if len(shape) == 3 and shape[0] in (1, 2, 3, 4) and min(shape[1], shape[2]) > 4:
        return ["C (channels)", "H (height)", "W (width)"]
    if len(shape) == 4 and shape[0] in (1, 3, 4) and min(shape[1:]) > 4:
        return ["C (channels)", "D (depth)", "H (height)", "W (width)"]
    if len(shape) == 3 and shape[2] in (1, 3, 4) and min(shape[0], shape[1]) > 4:
        return ["H (height)", "W (width)", "C (channels, HWC layout)"]
    if len(shape) == 1:
        return ["the length"]
    return [f"dimension {i}" for i in range(len(shape))]


def _compare(
    first: Shape, other: Shape, collate: bool
) -> tuple[str, list[int], str, dict[str, Any], str]:
    """(what differs, the sizes involved, advice, fix values, fix code)."""
    if len(first) != len(other):
        longer, shorter = (first, other) if len(first) > len(other) else (other, first)
        extra = [d for d in longer if d not in shorter] or list(longer[len(shorter) :])
        text = (
            f"They even differ in the number of dimensions: {first} has {len(first)}, "
            f"{other} has {len(other)}; the extra dimension has size "
            f"{', '.join(map(str, extra))}."
        )
        advice = (
            "Make every sample the same number of dimensions: select or average the "
            "extra one, or add it (unsqueeze) where it is missing."
        )
        if (
            len(longer) == len(shorter) + 1
            and longer[-1] == 2
            and longer[0] == shorter[0]
            and longer[0] > 1000
        ):
            advice = (
                "A trailing dimension of 2 over a long signal looks like stereo audio "
                "among mono clips: mix down with x.mean(-1) (or pick one channel) in the "
                "Dataset."
            )
        pos = _extra_axis(longer, shorter)
        if pos is not None and len(shorter) == 2 and min(shorter) >= 8 and longer[pos] in (3, 4):
            last = pos == len(longer) - 1
            color = "RGB" if longer[pos] == 3 else "RGBA"
            advice = (
                f"{shorter} is a grayscale image (no channel dimension) among {color} images "
                f"{longer}: convert every image to one mode when loading it, e.g. "
                'Image.open(path).convert("RGB"), or repeat the single channel '
                + ("(np.stack([x] * 3, -1))." if last else "(x.unsqueeze(0).expand(3, -1, -1)).")
            )
            return (
                text,
                [d for d in longer if d > 1],
                advice,
                {"channels": 3},
                'img = Image.open(path).convert("RGB")   # every sample '
                + f"{Shape(longer[:pos] + (3,) + longer[pos + 1 :])}\n"
                + (
                    "# or, on arrays: x = np.stack([x] * 3, axis=-1) if x.ndim == 2 else x"
                    if last
                    else "# or, on tensors: x = x.unsqueeze(0).expand(3, -1, -1) "
                    "if x.dim() == 2 else x"
                ),
            )
        if pos is None:
            code = f"# make every sample {len(shorter)}-D like {shorter} (print the shapes)"
        elif longer[pos] == 1:
            code = (
                f"# make every sample {len(shorter)}-D: x = x.squeeze({pos}) for {longer} "
                f"(or x.unsqueeze({pos}) for {shorter} to keep the dimension)"
            )
        else:
            code = (
                f"# make every sample {len(shorter)}-D: e.g. x = x.mean({pos}) (or "
                f"x.select({pos}, 0)) for {longer}, or add the dimension to {shorter}"
            )
        return (
            text,
            [d for d in longer if d > 1],
            advice,
            {"ndim": len(shorter)},
            code,
        )
    roles = _role_names(first)
    diffs = [i for i, (a, b) in enumerate(zip(first, other, strict=False)) if a != b]
    parts = [f"{roles[i]}: {first[i]} vs {other[i]}" for i in diffs]
    text = "They differ in " + "; ".join(parts) + "."
    numbers = sorted({first[i] for i in diffs} | {other[i] for i in diffs})
    channel_dims = [i for i in diffs if roles[i].startswith("C (")]
    spatial = [i for i in diffs if roles[i].startswith(("H (", "W (", "D ("))]
    if channel_dims and not spatial:
        i = channel_dims[0]
        a, b = sorted((first[i], other[i]))
        kind = {
            (1, 3): "grayscale (1 channel) among RGB (3 channels)",
            (3, 4): "RGBA (4 channels) among RGB (3 channels)",
            (1, 4): "grayscale among RGBA",
        }.get((a, b), f"{a}-channel among {b}-channel")
        advice = (
            f"The samples mix {kind} images: convert every image to one mode when "
            'loading it, e.g. Image.open(path).convert("RGB") for images (or '
            'convert("L") for single-channel masks).'
        )
        return (
            text,
            numbers,
            advice,
            {"channels": max(a, b) if b != 4 else 3},
            ('img = Image.open(path).convert("RGB")   # one channel count for every sample'),
        )
    if spatial and len(first) >= 2:
        size = [first[i] for i in range(len(first)) if roles[i].startswith(("H (", "W (", "D ("))]
        advice = (
            "The samples have different spatial sizes: resize or crop them to one size "
            "in the Dataset's transform, or batch them with a collate_fn that pads."
        )
        size_txt = ", ".join(map(str, size))
        return (
            text,
            numbers,
            advice,
            {"size": size},
            (
                f"transforms.Compose([transforms.Resize(({size_txt})), ...])   # or "
                f"RandomCrop/CenterCrop(({size_txt})): one size for every sample\n"
                "# or keep the sizes and pad per batch in a collate_fn"
            ),
        )
    if len(first) in (1, 2) and diffs == [0]:
        longest = max(first[0], other[0])
        advice = (
            "The samples are sequences of different lengths: pad them per batch in a "
            "collate_fn (torch.nn.utils.rnn.pad_sequence), or truncate/pad them to a fixed "
            "length in the Dataset."
        )
        empty = ""
        if 0 in (first[0], other[0]):
            shape = first if first[0] == 0 else other
            advice = (
                f"One sample is empty ({shape}: no rows at all): find why the Dataset returns "
                "nothing for it (a failed extraction or decode, a filter that kept no rows) and "
                "skip or fix that sample; padding would hide it. If empty samples are valid, pad "
                "per batch in a collate_fn (torch.nn.utils.rnn.pad_sequence)."
            )
            empty = "# in the Dataset: assert len(x) > 0, index   # an empty sample\n"
        return (
            text,
            numbers,
            advice,
            {"pad_to": longest},
            (
                empty + "from torch.nn.utils.rnn import pad_sequence\n\n"
                "def collate(batch):\n"
                "    xs, ys = zip(*batch)\n"
                "    return pad_sequence(xs, batch_first=True), torch.stack(ys)\n\n"
                "loader = DataLoader(dataset, batch_size=..., collate_fn=collate)"
            ),
        )
    return (
        text,
        numbers,
        _advice_generic(),
        {},
        ("print([t.shape for t in tensors])   # make every tensor the same shape before stacking"),
    )


def _extra_axis(longer: Shape, shorter: Shape) -> int | None:
    """The axis of `longer` whose removal gives `shorter`; the stereo-like last one first."""
    if len(longer) != len(shorter) + 1:
        return None
    for i in [len(longer) - 1, *range(len(longer) - 1)]:
        if tuple(longer[:i]) + tuple(longer[i + 1 :]) == tuple(shorter):
            return i
    return None


def _advice_generic() -> str:
    return (
        "Make every tensor the same shape before stacking: resize, crop or pad them (in the "
        "Dataset for a DataLoader), or keep them in a list."
    )


def _stack_suspects(ctx: Context, r: Reasoning, numbers: list[int], collate: bool) -> None:
    found = _dataset_suspects(ctx, numbers) if collate else []
    r.suspects.extend(found)
    if not found:
        for s in code_lines_with_numbers(
            ctx.source, numbers, "writes one of the differing sizes as a literal", 0.5
        ):
            r.suspects.append(s)
    where = ctx.where
    if where and where.line and where.code and not collate:
        r.suspects.append(
            Suspect(
                where.file,
                where.line,
                where.code.strip(),
                "stacks tensors of different shapes",
                0.55,
            )
        )


def _dataset_suspects(ctx: Context, numbers: list[int]) -> list[Suspect]:
    """Lines of a Dataset's __getitem__ that decide the size of a sample."""
    found: list[Suspect] = []
    wanted = {n for n in numbers if n > 1}
    for path in ctx.source.files():
        lines = ctx.source.lines(path) or []
        try:
            tree = ast.parse("\n".join(lines))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.FunctionDef) and node.name == "__getitem__"):
                continue
            for n in range(node.lineno + 1, (node.end_lineno or node.lineno) + 1):
                line = lines[n - 1]
                code = line.split("#", 1)[0]
                if not code.strip():
                    continue
                literals = {int(x) for x in re.findall(r"(?<![\w.])\d+(?![\w.])", code)}
                score = 0.0
                if literals & wanted:
                    score = 0.6 + 0.1 * (len(literals & wanted) - 1)
                elif not wanted and {n for n in literals if n >= 2}:
                    # No sizes in the message: a size written as a literal is the best lead,
                    # above all one chosen per sample (`16 if index % 2 else 12`).
                    score = 0.55 if re.search(r"\bif\b.*\belse\b|choice|randint", code) else 0.5
                elif SIZE_WORDS.search(code):
                    score = 0.45
                elif code.strip().startswith("return"):
                    score = 0.35
                if score:
                    found.append(
                        Suspect(
                            path,
                            n,
                            line.strip(),
                            "in the Dataset's __getitem__: decides the shape of a sample",
                            score,
                        )
                    )
    return found


def stack_collate_legacy(ctx: Context) -> Reasoning:
    """The cat wording that torch.stack (and so default_collate) raised before ~1.5."""
    except_dim, expected, got, number, dim = _cat_numbers(ctx)
    if not _in_collate(ctx) and "stack(" not in " ".join(ctx.frame_codes()):
        raise Decline("not a stack / collate")
    r = Reasoning()
    collate = _in_collate(ctx)
    r.steps.append(
        "Before PyTorch 1.5, torch.stack unsqueezed its inputs and concatenated "
        "them, so a stack of tensors of different shapes raised the cat message"
        + (" — here inside the DataLoader's default_collate." if collate else ".")
    )
    where = f"dimension {dim}" if dim is not None else "another dimension"
    sample_dim = f"dimension {dim - 1} of each sample" if dim else where
    r.steps.append(
        f"In {where} of the unsqueezed tensors ({sample_dim}), the first has "
        f"{fmt(expected)} and another has {fmt(got)}: the samples differ in shape."
    )
    r.values.update(
        except_dim=except_dim,
        expected=expected,
        got=got,
        where_dim=where,
        collate_note=" The DataLoader's default collate stacks the samples of a batch,"
        " so every sample must have the same shape."
        if collate
        else "",
    )
    r.fix_values["size"] = expected
    r.fix_code = (
        "# give every sample the same shape in the Dataset (resize / crop / pad), or "
        "pad per batch in a collate_fn"
    )
    _stack_suspects(ctx, r, [expected, got], collate)
    return r


def collate_resize(ctx: Context) -> Reasoning:
    """`Trying to resize storage that is not resizable` from default_collate in a worker."""
    text = ctx.parsed.text.lower()
    collate = _in_collate(ctx) or "dataloader worker" in text or "collate" in text
    has_frames = bool(ctx.parsed.all_frames)
    if has_frames and not collate:
        raise Decline("resize_ outside a DataLoader")
    r = Reasoning()
    r.steps.append(
        "With num_workers > 0, default_collate allocates shared memory for the "
        "batch's total number of elements, then resizes it to len(batch) copies of "
        "the FIRST sample's shape before stacking the samples into it."
    )
    r.steps.append(
        "When the first sample is larger than the others that needs more room than "
        "was allocated, and shared storage cannot grow. It is the same root cause as "
        "`stack expects each tensor to be equal size` (what num_workers=0, or a "
        "smaller first sample, reports, with the two shapes)."
    )
    if not has_frames:
        r.notes.append(
            "no traceback: assuming the DataLoader's collate (the usual source); "
            "Tensor.resize_ on a numpy-backed tensor raises the same message"
        )
        r.confidence = 0.7
    r.fix_code = (
        "loader = DataLoader(dataset, batch_size=..., num_workers=0)   # to see the shapes\n"
        "# then give every sample one shape in the Dataset (Resize/CenterCrop/pad), or pad per "
        "batch with a collate_fn"
    )
    r.fix_values["num_workers"] = 0
    r.suspects.extend(_dataset_suspects(ctx, []))
    return r


def collate_unequal_lists(ctx: Context) -> Reasoning:
    """`each element in list of batch should be of equal size`: samples are lists of varying
    length."""
    r = Reasoning()
    r.steps.append(
        "default_collate batches Python lists element by element: it zips the "
        "samples' lists, so every sample's list must have the same length."
    )
    r.steps.append(
        "At least one sample returned a list (or tuple) of another length: variable "
        "numbers of boxes, tokens or labels per sample."
    )
    r.suspects.extend(_dataset_suspects(ctx, []))
    r.fix_code = (
        "def collate(batch):\n"
        "    return [list(items) for items in zip(*batch)]   # keep per-sample lists\n\n"
        "loader = DataLoader(dataset, batch_size=..., collate_fn=collate)\n"
        "# or return tensors padded to one length from __getitem__"
    )
    r.fix_values["collate_fn"] = "custom"
    return r


def collate_bad_type(ctx: Context) -> Reasoning:
    """`default_collate: batch must contain tensors, ...; found <class 'X'>`."""
    found = ctx.get("found_type") or ""
    r = Reasoning()
    name = re.sub(r"^<class '|'>$", "", str(found))
    r.values["type_name"] = name or "an unsupported type"
    r.steps.append(
        "default_collate knows how to batch tensors, numpy arrays, numbers, strings, "
        "dicts, lists and tuples of these; anything else stops it."
    )
    if "PIL" in name or "Image" in name:
        hint = (
            "The Dataset returns PIL images: add transforms.ToTensor() (or "
            "transforms.PILToTensor()) to its transform."
        )
        code = "transform = transforms.Compose([transforms.Resize(...), transforms.ToTensor()])"
        r.fix_values["transform"] = "ToTensor"
    elif "NoneType" in name:
        hint = (
            "A sample is None: __getitem__ returned nothing for it (a failed load or a "
            "missing `return`): fix it, or drop None samples in a collate_fn."
        )
        code = (
            "def collate(batch):\n    batch = [b for b in batch if b is not None]\n"
            "    return torch.utils.data.default_collate(batch)"
        )
        r.fix_values["drop"] = "None"
    else:
        hint = (
            f"The Dataset returns samples of type {name}: convert them to tensors in __getitem__."
        )
        code = "return torch.as_tensor(sample)   # in __getitem__"
    r.steps.append(hint)
    r.values["hint"] = hint
    r.fix_code = code
    r.suspects.extend(_dataset_suspects(ctx, []))
    return r
