"""Indexing with tensors: boolean masks against the dims they cover, advanced indices that must
broadcast together, values assigned to a selection, gather/scatter index shapes, index_select,
index_add/index_copy, masked_scatter, and integer indices past the end of a dimension.
"""

from __future__ import annotations

import ast
import re

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.dims import (
    CodeCall,
    binding,
    enclosing_function,
    frame_calls,
    frame_statement,
    frame_suspect,
    int_value,
    module_tree,
    names_in,
    parse_code,
    rank_loss_fix,
    trace_rank_loss,
)
from explainer.arithmetic.shapes import Shape
from explainer.model import Suspect


def _subscripts(ctx: Context) -> list[ast.Subscript]:
    """Subscript expressions (`x[mask]`, `x[:, 0]`) in the failing statement."""
    if ctx.where is None:
        return []
    tree = parse_code(frame_statement(ctx, ctx.where))
    if tree is None:
        return []
    subs = [n for n in ast.walk(tree) if isinstance(n, ast.Subscript)]
    # Python evaluates left to right: the first subscript in the line is the one that raised.
    return sorted(subs, key=lambda n: (n.lineno, n.col_offset))


def _assignment_of(ctx: Context, name: str) -> Suspect | None:
    """The last line before the failing one (same function) that assigns `name`."""
    where = ctx.where
    if where is None or not where.line:
        return None
    tree = module_tree(ctx, where.file)
    if tree is None:
        return None
    best: int | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names = [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
                if (
                    name in names
                    and node.lineno < where.line
                    and (best is None or node.lineno > best)
                ):
                    best = node.lineno
    if best is None:
        return None
    code = (ctx.source.line(where.file, best) or "").strip()
    return Suspect(where.file, best, code, f"builds `{name}`", 0.5)


# -- boolean masks -------------------------------------------------------------------------------
def mask_shape(ctx: Context) -> Reasoning:
    """`The shape of the mask [M] at index i does not match the shape of the indexed tensor [S] at
    index j`."""
    mask, shape = (
        ctx.need_shape("mask", allow_int=False),
        ctx.need_shape("indexed", allow_int=False),
    )
    i, j = ctx.get("mask_at"), ctx.get("indexed_at")
    if not isinstance(i, int) or not isinstance(j, int) or i >= len(mask) or j >= len(shape):
        raise Decline("indices missing or outside the shapes")
    start = j - i
    covered = Shape(shape[start : start + len(mask)]) if start >= 0 else Shape(())
    r = Reasoning()
    r.values.update(mask_size=mask[i], tensor_size=shape[j], start=start, covered=covered)
    r.steps.append(
        f"A boolean mask replaces the dims it covers and must have exactly their sizes: the mask "
        f"{mask} lines up with dims {start}..{start + len(mask) - 1} of {shape}, i.e. {covered}."
    )
    r.steps.append(f"At mask dim {i}: {mask[i]} against dim {j} of the tensor: {shape[j]}.")
    other = [k for k, s in enumerate(shape) if s == mask[i] and k != j]
    cause = ""
    paired = _paired_bool_index(ctx, j) if len(mask) == 1 else None
    if paired:
        tensor, name, sub = paired
        r.steps.append(
            f"`{ast.unparse(sub)}` is the pairing idiom (one element per row, the column given "
            f"by `{name}`), which needs integer indices. `{name}` is a bool tensor, so PyTorch "
            f"reads it as a mask over dim {j} ({shape[j]} long) instead of {mask[i]} column "
            "numbers."
        )
        cause = (
            f"`{name}` holds booleans (binary labels stored as bool, or the result of a "
            "comparison), so it indexes as a mask rather than as class indices: convert it with "
            f"`{name}.long()`."
        )
        r.fix_values["index_dtype"] = "long"
        line = frame_statement(ctx, ctx.where) if ctx.where else ""
        fixed = ast.unparse(sub).replace(f", {name}]", f", {name}.long()]")
        r.fix_code = (
            f"{line.strip().replace(ast.unparse(sub), fixed, 1)}   # integer class indices"
            if line and ast.unparse(sub) in line
            else f"{fixed}   # integer class indices, not a mask"
        )
        r.values["fix_hint"] = f"Index with integers: `{name}.long()` (it is a bool tensor)"
    elif len(mask) == 1 and other:
        k = other[0]
        r.steps.append(
            f"The mask's {mask[i]} matches dim {k} of the tensor: the mask was built along dim "
            f"{k} but is applied to dim {j}."
        )
        r.fix_values["mask_dim"] = k
        prefix = ":, " * k
        cause = f"The mask has the size of dim {k} ({mask[i]}), not of dim {j}."
        tensor, mask_name = _masked_names(ctx)
        r.fix_code = f"{tensor}[{prefix}{mask_name}]   # a 1-D mask over dim {k}"
        r.values["fix_hint"] = f"Apply the mask to dim {k}, whose size it has"
    elif abs(mask[i] - shape[j]) == 1:
        r.steps.append(
            f"{mask[i]} vs {shape[j]}: off by one, typical of a mask built from the input "
            "sequence while the output was shifted by one (next-token targets), or of a padding "
            "/ special token counted in one and not the other."
        )
        cause = "The mask and the tensor differ by one element: one of them was shifted or trimmed."
    elif len(mask) > len(covered) or (len(mask) > 1 and mask[-1] == 1):
        cause = "The mask has an extra dimension (a trailing 1 from keepdim or [N, 1] labels)."
        r.fix_code = "x[mask.squeeze(-1)]"
        r.fix_values["mask_shape"] = list(covered)
    else:
        cause = (
            "The mask was computed from another tensor (another batch, sequence length or "
            "resolution) than the one it indexes."
        )
    r.values["cause"] = cause
    r.values.setdefault(
        "fix_hint", f"Build the mask with the shape {covered} (the dims it indexes)"
    )
    r.fix_values.setdefault("mask_shape", list(covered))
    if r.fix_code is None:
        r.fix_code = f"assert mask.shape == x.shape[{start}:{start + len(mask)}]   # {covered}"
    _mask_suspects(ctx, r)
    return r


def _paired_bool_index(ctx: Context, j: int) -> tuple[str, str, ast.Subscript] | None:
    """`x[torch.arange(len(y)), y]` whose `y` is a bool tensor: (x, y, the subscript)."""
    for sub in _subscripts(ctx):
        items = sub.slice.elts if isinstance(sub.slice, ast.Tuple) else []
        if len(items) < 2 or j >= len(items):
            continue
        name = items[j]
        if not isinstance(name, ast.Name):
            continue
        if any(isinstance(e, ast.Slice | ast.Starred) for e in items[: j + 1]):
            continue
        others = [ast.unparse(e) for k, e in enumerate(items) if k != j]
        if any(re.search(r"\b(?:arange|range)\(", o) for o in others):
            return ast.unparse(sub.value), name.id, sub
    return None


def _same_slice_fix(ctx: Context, r: Reasoning, tensor: str, mask_line: Suspect) -> None:
    """`mask = tokens != PAD` vs `logits = model(tokens[:, :-1])`: slice the mask the same way."""
    built = _assignment_of(ctx, tensor.split("[")[0].split(".")[0])
    if built is None:
        return
    mask_tree, tensor_tree = parse_code(mask_line.code), parse_code(built.code)
    if mask_tree is None or tensor_tree is None:
        return
    sliced = {
        ast.unparse(n.value): ast.unparse(n)
        for n in ast.walk(tensor_tree)
        if isinstance(n, ast.Subscript)
        and isinstance(n.value, ast.Name)
        and any(isinstance(x, ast.Slice) for x in ast.walk(n.slice))
    }
    plain = [n.id for n in ast.walk(mask_tree) if isinstance(n, ast.Name)]
    for name in plain:
        if name in sliced:
            code = re.sub(
                rf"(?<![\w.]){re.escape(name)}(?![\w\[])",
                sliced[name],
                mask_line.code.split("=", 1)[1],
                count=1,
            )
            target = mask_line.code.split("=", 1)[0].strip()
            r.fix_code = (
                f"{target} = {code.strip()}   # the same positions as `{tensor}` "
                f"(built from {sliced[name]} at line {built.line})"
            )
            r.steps.append(
                f"`{tensor}` was built from {sliced[name]} (line {built.line}); the "
                f"mask from the whole `{name}`."
            )
            return


def _masked_names(ctx: Context) -> tuple[str, str]:
    """(`features`, `keep`) for the failing `features[:, keep]`."""
    for sub in _subscripts(ctx):
        names = _slice_names(sub)
        if names:
            return ast.unparse(sub.value), names[0]
    return "x", "mask"


def _slice_names(sub: ast.Subscript) -> list[str]:
    return [n.id for n in ast.walk(sub.slice) if isinstance(n, ast.Name)]


def _mask_suspects(ctx: Context, r: Reasoning) -> None:
    for sub in _subscripts(ctx):
        for name in _slice_names(sub):
            found = _assignment_of(ctx, name)
            if found:
                r.suspects.append(
                    Suspect(
                        found.file,
                        found.line,
                        found.code,
                        f"builds the mask `{name}` with another shape",
                        0.7,
                    )
                )
                _same_slice_fix(ctx, r, ast.unparse(sub.value), found)
                r.suspects += frame_suspect(ctx.where, "indexes with the mask", 0.6)
                return
    r.suspects += frame_suspect(ctx.where, "indexes with the mask", 0.6)


# -- advanced indices ----------------------------------------------------------------------------
def index_broadcast(ctx: Context) -> Reasoning:
    """`shape mismatch: indexing tensors could not be broadcast together with shapes [a], [b]`."""
    a, b = ctx.need_shape("shape_a", allow_int=False), ctx.need_shape("shape_b", allow_int=False)
    r = Reasoning()
    r.steps.append(
        f"Index tensors given together (x[i, j]) pick elements pairwise, so their shapes must "
        f"broadcast: {a} and {b} do not (compared from the right, sizes must be equal or 1)."
    )
    r.values["pair_note"] = ""
    if len(a) == 1 and len(b) == 1:
        r.values["pair_note"] = f" {a[0]} indices for the first dim, {b[0]} for the second."
        arange = _find_arange(ctx, (a[0], b[0]))
        if arange:
            call, value = arange
            other = b[0] if value == a[0] else a[0]
            r.steps.append(
                f"`{call.func}({', '.join(call.args)})` gives {value} rows while the other index "
                f"has {other}: a fixed batch size against a smaller (last) batch."
            )
            r.fix_values["arange"] = other
            r.fix_code = (
                f"torch.arange(len(labels))   # was {call.func}({', '.join(call.args)}) = {value}; "
                f"use the real batch size, here {other}"
            )
        else:
            r.fix_code = (
                "x[idx_rows[:, None], idx_cols]   # every pair: an outer product of indices"
            )
    else:
        r.fix_code = (
            "x[i.unsqueeze(-1), j]   # make the index shapes broadcast, or index in two steps"
        )
    r.suspects += frame_suspect(
        ctx.where, "indexes with tensors of shapes that do not broadcast", 0.6
    )
    return r


def _find_arange(ctx: Context, sizes: tuple[int, int]) -> tuple[CodeCall, int] | None:
    """The `torch.arange(n)` among the index tensors, and the size it gives."""
    where = ctx.where
    for call in frame_calls(ctx, where, {"arange"}):
        if len(call.args) != 1:
            continue
        value = int_value(call.args[0])
        if value is None and where is not None:
            anchor = next(
                (
                    c
                    for c in ctx.source.calls("arange")
                    if c.file == where.file and c.line == call.line
                ),
                None,
            )
            value = ctx.source.eval_int(call.args[0], anchor)
        if value is None:
            # Not a constant: the arange is the index built for the batch, the first shape.
            value = sizes[0]
        if value in sizes:
            return call, value
    return None


def value_shape(ctx: Context) -> Reasoning:
    """`shape mismatch: value tensor of shape [v] cannot be broadcast to indexing result of
    shape [r]`."""
    value, result = (
        ctx.need_shape("value", allow_int=False),
        ctx.need_shape("result", allow_int=False),
    )
    r = Reasoning()
    r.steps.append(
        f"x[index] = value writes into the selected elements, {result}; the value {value} must "
        "broadcast to that shape (align from the right; sizes equal or 1)."
    )
    cause = "The value was computed for another selection than the one it is written to."
    if len(value) == 1 and len(result) == 1:
        r.steps.append(
            f"The index selects {result[0]} element(s); the value has {value[0]}. With a boolean "
            f"mask, {result[0]} is the number of True entries."
        )
        cause = (
            f"The selection has {result[0]} elements and the value {value[0]}: compute the value "
            "on the selected rows only (value[mask], or model(inputs[mask]))."
        )
    r.values["cause"] = cause
    r.values["fix_text"] = f"Compute the value for the selected elements only, with shape {result}."
    r.fix_values["value_shape"] = list(result)
    r.fix_code = "x[mask] = values[mask]   # or values computed from the selected rows only"
    stmt = frame_statement(ctx, ctx.where) if ctx.where else ""
    m = re.search(r"=\s*(\w+)\s*$", stmt.split("\n")[0])
    permuted = _permuted_value(r, value, result, stmt)
    if m and not permuted:
        found = _assignment_of(ctx, m.group(1))
        if found:
            r.suspects.append(
                Suspect(
                    found.file,
                    found.line,
                    found.code,
                    f"computes `{m.group(1)}` for another selection",
                    0.65,
                )
            )
    r.suspects += frame_suspect(ctx.where, "assigns a value of another shape to the selection", 0.6)
    return r


def _permuted_value(r: Reasoning, value: Shape, result: Shape, stmt: str) -> bool:
    """The value holds the selection's sizes in another order ([31564, 128] for [128, 31564]):
    a transpose (or permute) away, typically because a slice before the advanced indices keeps
    its dim in front (`x[:, idx] = v` selects [C, P] where v is [P, C])."""
    if len(value) != len(result) or len(value) < 2 or value == result:
        return False
    if sorted(value) != sorted(result) or len(set(result)) != len(result):
        return False
    order = [list(value).index(size) for size in result]
    two = len(value) == 2
    op = ".t()" if two else f".permute({', '.join(map(str, order))})"
    r.steps.append(
        f"The value {value} has the selection's sizes in another order: value{op} is {result}. "
        "Nothing is missing; the dims are swapped."
    )
    line = stmt.split("\n")[0].strip()
    sliced = re.search(r"\[\s*:\s*,", line)
    if sliced:
        r.steps.append(
            "The subscript starts with a slice (`[:, idx, ...]`): the sliced dim stays in "
            "front of the dims the index tensors select, so the selection is [sliced, "
            "indexed] while the value was built [indexed, sliced]."
        )
    r.values["cause"] = f"The value is the selection transposed ({value} vs {result}): " + (
        "a slice before the index tensors keeps its dim first, so the value must be "
        "[sliced, indexed]."
        if sliced
        else "it was built with its dims in the other order."
    )
    r.values["fix_text"] = f"Transpose the value to {result}: value{op}."
    r.fix_values["permute"] = order
    m = re.match(r"(.*?[^=!<>])=\s*([A-Za-z_][\w.]*)\s*$", line)
    if m:
        r.fix_code = f"{m.group(1).rstrip()} = {m.group(2)}{op}   # {value} → {result}"
    else:
        r.fix_code = f"x[index] = value{op}   # {value} → {result}"
    return True


def too_many_indices(ctx: Context) -> Reasoning:
    """`too many indices for tensor of dimension d`."""
    d = ctx.get("ndim")
    if not isinstance(d, int):
        raise Decline("no rank")
    r = Reasoning()
    given = None
    tensor = None
    for sub in _subscripts(ctx):
        sl = sub.slice
        items = sl.elts if isinstance(sl, ast.Tuple) else [sl]
        count = sum(
            1 for e in items if not (isinstance(e, ast.Constant) and e.value in (None, Ellipsis))
        )
        if count > d:
            given, tensor = count, ast.unparse(sub.value)
            break
    r.values["given"] = f"{given} indices" if given else "more indices than it has dims"
    r.values["tensor"] = f"`{tensor}`" if tensor else "the tensor"
    r.steps.append(
        f"A {d}-D tensor takes at most {d} indices; {r.values['tensor']} was indexed with "
        f"{r.values['given']}."
    )
    losses = trace_rank_loss(ctx, ctx.where, names_in(tensor)[:1]) if tensor else []
    if losses:
        loss = losses[0]
        code, values = rank_loss_fix(loss)
        r.steps.append(
            f"{r.values['tensor']} comes from line {loss.line}: `{loss.code}`, which "
            f"{loss.reason()}."
        )
        r.fix_code = code
        r.fix_values.update(values)
        r.suspects.append(loss.suspect())
        r.values["cause"] = f"line {loss.line} ({loss.code}) {loss.reason()}"
    else:
        r.values["cause"] = (
            "the tensor has fewer dimensions than the code assumes: a single sample without its "
            "batch dimension, a squeeze(), or an output that is already 1-D"
        )
        r.fix_code = (
            "print(x.shape)   # then index with at most x.dim() indices, e.g. x[0] on a 1-D tensor"
        )
    if given:
        r.fix_values.setdefault("indices", d)
    r.suspects += frame_suspect(ctx.where, f"indexes a {d}-D tensor with more indices", 0.6)
    return r


def out_of_bounds(ctx: Context) -> Reasoning:
    """`index i is out of bounds for dimension d with size n` (and select()/take() wordings)."""
    index, size = ctx.get("index"), ctx.get("size", "numel")
    d = ctx.get("dim")
    shape = ctx.get("shape")
    if isinstance(shape, Shape) and isinstance(d, int) and d < len(shape):
        size = shape[d]
    if not isinstance(index, int) or not isinstance(size, int):
        raise Decline("numbers missing")
    if -size <= index < size:
        raise Decline("the index is in range")
    r = Reasoning()
    where = f"dimension {d}" if isinstance(d, int) else "the flattened tensor"
    r.values.update(where=where, last=size - 1, size=size)
    if size == 0:
        r.steps.append(f"{where.capitalize()} has size 0: it is empty, no index is valid.")
        cause = (
            "The tensor is empty along that dimension: an empty batch, no detections or no "
            "matches after a filter."
        )
        r.fix_code = "if x.size(dim) > 0:   # guard the empty case\n    item = x[i]"
        r.fix_values["guard"] = "size > 0"
    else:
        r.steps.append(
            f"Valid indices along {where} are 0..{size - 1} (or −{size}..−1); {index} is past "
            f"the end by {index - size + 1}."
            if index >= 0
            else f"Valid indices along {where} are 0..{size - 1} (or −{size}..−1); {index} is "
            "before the start."
        )
        if size == 1:
            cause = (
                "The dimension has size 1: a batch of one sample, a single detection or "
                "channel, where the code expected several (or a squeeze/keepdim left a "
                "size-1 dim where the real one was expected)."
            )
        elif index == size:
            cause = (
                f"Off by one: {index} is the size itself; indices stop at {size - 1} "
                "(range(1, n + 1) or len(x) used as an index)."
            )
        else:
            cause = (
                "The index was computed for a larger tensor: a label or id above the number "
                "of rows, or an index from another batch."
            )
        r.fix_values["max_index"] = size - 1
        r.fix_code = f"assert 0 <= i < x.size(dim)   # valid: 0..{size - 1}"
    r.values["cause"] = cause
    _index_variable_suspects(ctx, r, index, size)
    r.suspects += frame_suspect(ctx.where, f"indexes {where} (size {size}) at {index}", 0.6)
    return r


def _index_variable_suspects(ctx: Context, r: Reasoning, index: int, size: int) -> None:
    """Where the index variable of the failing subscript comes from (a loop range, a count)."""
    where = ctx.where
    if where is None or not where.line:
        return
    tree = module_tree(ctx, where.file)
    if tree is None:
        return
    scope = enclosing_function(tree, where.line)
    for sub in _subscripts(ctx):
        for name in _slice_names(sub):
            bound = binding(scope, name, where.line)
            if bound is None:
                continue
            stmt, value = bound
            line = getattr(stmt, "lineno", 0)
            code = (ctx.source.line(where.file, line) or "").strip()
            if isinstance(value, ast.For):
                reason = (
                    f"the loop gives `{name}` the value {index}; valid indices stop at {size - 1}"
                )
                score = 0.75 if "range(" in code else 0.6
                m = re.search(r"range\(\s*1\s*,\s*(.+?)\s*\+\s*1\s*\)", code)
                if m:
                    reason += " (a 1-based loop)"
                    fixed = code.replace(m.group(0), f"range({m.group(1)})")
                    r.fix_code = f"{fixed}   # was: {code}  (indices run 0..{size - 1})"
            else:
                reason = f"computes `{name}` = {index}, past the end (size {size})"
                score = 0.6
            r.suspects.append(Suspect(where.file, line, code, reason, score))
            return


def index_dtype(ctx: Context) -> Reasoning:
    """`tensors used as indices must be long, int, byte or bool tensors`."""
    r = Reasoning()
    r.steps.append(
        "An index tensor must hold integers (long/int) or be a boolean mask; this one is "
        "floating point (often the result of a division, torch.Tensor(list), or a float "
        "label/target loaded from a file)."
    )
    r.fix_values["dtype"] = "long"
    r.fix_code = "x[idx.long()]   # or build it with dtype=torch.long; a mask: x[mask.bool()]"
    for sub in _subscripts(ctx):
        for name in _slice_names(sub):
            found = _assignment_of(ctx, name)
            if found:
                r.suspects.append(
                    Suspect(found.file, found.line, found.code, f"builds `{name}` as floats", 0.6)
                )
                r.fix_code = f"{ast.unparse(sub.value)}[{name}.long()]   # {name} holds floats"
                break
        break
    r.suspects += frame_suspect(ctx.where, "indexes with a float tensor", 0.6)
    return r


def index_vector(ctx: Context) -> Reasoning:
    """index_select/index_add_ given an index that is not 1-D."""
    r = Reasoning()
    size = ctx.get("index_size")
    d = ctx.get("index_dim")
    r.values["got"] = (
        f" (it is {d}-D, {size})" if isinstance(d, int) and isinstance(size, Shape) else ""
    )
    r.steps.append(f"index_select/index_add_ take a 1-D index{r.values['got']}.")
    r.fix_values["index_ndim"] = 1
    call = next(iter(frame_calls(ctx, ctx.where, INDEX_OPS)), None)
    index = call.arg(1, "index") if call else None
    line = (ctx.where.code or "").strip() if ctx.where else ""
    if index and index in line:
        r.fix_code = line.replace(index, f"{index}.flatten()", 1) + "   # a 1-D index"
    else:
        r.fix_code = "x.index_select(dim, idx.flatten())   # or idx.squeeze(): a 1-D index"
    r.suspects += frame_suspect(ctx.where, "passes an index that is not 1-D", 0.6)
    return r


INDEX_OPS = {"index_select", "index_add", "index_add_", "index_copy", "index_copy_", "index_fill_"}


def masked_scatter(ctx: Context) -> Reasoning:
    """`Number of elements of source < number of ones in mask`."""
    r = Reasoning()
    r.steps.append(
        "masked_scatter_ copies source elements, in order, into each True position: the source "
        "needs at least mask.sum() elements."
    )
    r.fix_values["source_numel"] = "mask.sum()"
    r.fix_code = "assert source.numel() >= mask.sum()\nx.masked_scatter_(mask, source)"
    r.suspects += frame_suspect(ctx.where, "masked_scatter_ with a source that is too small", 0.6)
    return r


def index_count(ctx: Context) -> Reasoning:
    """index_add_/index_copy_: number of indices vs source.size(dim)."""
    n, m = ctx.get("indices"), ctx.get("source_size")
    d = ctx.get("dim")
    r = Reasoning()
    op = ctx.get("op") or "index_add_"
    r.values["op"] = op
    if not isinstance(n, int) or not isinstance(m, int):
        r.values.update(
            indices="another number of", source_size="a different number of", dim_text="dim"
        )
        r.steps.append(
            "Row k of the source goes to position index[k]: the index needs one entry per source "
            "slice along dim; the counts differ."
        )
        r.fix_code = f"x.{op}(dim, index, source)   # len(index) == source.size(dim)"
        r.suspects += frame_suspect(ctx.where, "index and source of different lengths", 0.6)
        return r
    r.values["dim_text"] = f"dim {d}" if isinstance(d, int) else "dim"
    r.steps.append(
        f"Row k of the source goes to position index[k]: the index needs one entry per source "
        f"slice along {r.values['dim_text']}: {n} indices for {m} slices."
    )
    r.fix_values["indices"] = m
    r.fix_code = (
        f"x.{op}({d if isinstance(d, int) else 'dim'}, index, source)   "
        f"# len(index) == source.size(dim) == {m}"
    )
    r.suspects += frame_suspect(ctx.where, "index and source of different lengths", 0.6)
    return r


def index_slices(ctx: Context) -> Reasoning:
    """index_add_/index_copy_: self and source slices differ outside the indexed dim."""
    r = Reasoning()
    own, src = ctx.get("self_shape"), ctx.get("source_shape")
    src_n, dst_n = ctx.get("src_ndim"), ctx.get("dst_ndim")
    if isinstance(own, Shape) and isinstance(src, Shape):
        r.values.update(own=own, src=src)
        r.steps.append(
            f"Every dim except the indexed one must agree: self {own} vs source {src}"
            + (
                f" (the source has {len(src)} dims, self {len(own)})."
                if len(own) != len(src)
                else "."
            )
        )
        if len(own) == len(src):
            diff = [k for k in range(len(own)) if own[k] != src[k]]
            r.steps.append(f"They differ at dim(s) {', '.join(map(str, diff))}.")
        r.fix_values["source_shape_except_dim"] = list(own)
    elif isinstance(src_n, int) and isinstance(dst_n, int):
        r.values.update(own=f"({dst_n}-D)", src=f"({src_n}-D)")
        r.steps.append(
            f"The source has {src_n} dims and the destination {dst_n}: index_copy_ copies whole "
            "slices, so both need the same number of dims (only the indexed one may differ)."
        )
        r.fix_values["source_ndim"] = dst_n
    else:
        dst, srcs = ctx.get("dst_slice"), ctx.get("src_slice")
        if dst is None or srcs is None:
            raise Decline("numbers missing")
        dst = dst if isinstance(dst, Shape) else Shape((dst,))
        srcs = srcs if isinstance(srcs, Shape) else Shape((srcs,))
        r.values.update(own=dst, src=srcs)
        r.steps.append(
            f"Slice shapes (the tensor without the indexed dim): destination {dst}, source {srcs}."
        )
        r.fix_values["source_slice"] = list(dst)
    r.fix_code = "x.index_copy_(dim, index, source)   # source.shape == x.shape except at dim"
    r.suspects += frame_suspect(ctx.where, "source and destination slices differ", 0.6)
    return r


# -- gather / scatter ----------------------------------------------------------------------------
GATHER_OPS = {
    "gather",
    "scatter",
    "scatter_",
    "scatter_add",
    "scatter_add_",
    "scatter_reduce",
    "scatter_reduce_",
    "take_along_dim",
}


def _gather_call(ctx: Context) -> CodeCall | None:
    calls = frame_calls(ctx, ctx.where, GATHER_OPS)
    return calls[0] if calls else None


def gather_rank(ctx: Context) -> Reasoning:
    """`Index tensor must have the same number of dimensions as input/self tensor`."""
    which = ctx.get("which") or "input"
    r = Reasoning()
    call = _gather_call(ctx)
    dim = int_value(call.arg(0, "dim")) if call else None
    index = call.arg(1, "index") if call else None
    if call and call.name == "take_along_dim":
        index = call.arg(0, "indices")
        dim = int_value(call.kwargs.get("dim"))
    r.values["op"] = f"{call.name}" if call else "gather/scatter"
    r.values["which"] = which
    r.values["index"] = f"`{index}`" if index else "the index"
    n_in, n_idx = ctx.get("input_ndim"), ctx.get("index_ndim")
    r.steps.append(
        f"{r.values['op']} walks the index and the {which} tensor in lockstep, so both need the "
        "same number of dims"
        + (
            f": {n_in} vs {n_idx}."
            if isinstance(n_in, int)
            else "; the index has fewer (usually one per row: [N] instead of [N, 1])."
        )
    )
    if dim is not None:
        r.steps.append(
            f"With dim={dim}, an index of class ids [N] must become [N, 1]: unsqueeze({dim}) puts "
            f"the size-1 dim where {r.values['op']} picks."
        )
        r.fix_values["unsqueeze"] = dim
        line = (ctx.where.code or "") if ctx.where else ""
        if index and index in line:
            new = line.replace(index, f"{index}.unsqueeze({dim})", 1)
            tail = (
                f"   # then .squeeze({dim}) on the result if you want [N]"
                if call and call.name == "gather"
                else ""
            )
            r.fix_code = f"{new}{tail}"
        else:
            r.fix_code = f"x.gather({dim}, index.unsqueeze({dim})).squeeze({dim})"
    else:
        r.fix_code = "x.gather(1, index.unsqueeze(1)).squeeze(1)   # index [N] -> [N, 1]"
    r.suspects += frame_suspect(ctx.where, f"{r.values['op']} with an index of another rank", 0.7)
    return r


def gather_size(ctx: Context) -> Reasoning:
    """gather: `Size does not match at dimension b expected index [I] to be no larger than self
    [S] apart from dimension d`."""
    index, own = (
        ctx.need_shape("index_shape", allow_int=False),
        ctx.need_shape("self_shape", allow_int=False),
    )
    d, b = ctx.get("dim"), ctx.get("bad_dim")
    if not isinstance(d, int) or not isinstance(b, int) or len(index) != len(own) or b >= len(own):
        raise Decline("numbers missing or ranks differ")
    r = Reasoning()
    r.values.update(index_size=index[b], self_size=own[b])
    r.steps.append(
        f"gather(dim={d}) needs index.size(k) ≤ input.size(k) for every k ≠ {d}: at dim {b} the "
        f"index has {index[b]} and the input {own[b]}."
    )
    fixed = list(index)
    fixed[b] = own[b]
    cause = "The index was built for a larger input (another batch or another sequence length)."
    if list(index) == list(reversed(own)) and len(own) == 2:
        cause = f"The index {index} is the input's shape {own} transposed: its dims are swapped."
        r.fix_code = f"x.gather({d}, index.t())   # or build the index as {Shape(own)}"
        fixed = list(own)
    elif b == 0:
        cause = (
            "The index has more rows than the input: labels from another batch (the last batch "
            "is smaller) or a fixed batch size."
        )
    r.values["cause"] = cause
    r.fix_values["index_shape"] = fixed
    if r.fix_code is None:
        r.fix_code = (
            f"x.gather({d}, index[:{own[b]}])   # index shape {Shape(fixed)}: ≤ input apart "
            f"from dim {d}"
        )
    r.suspects += frame_suspect(ctx.where, "gather with an index larger than the input", 0.7)
    return r


def scatter_size(ctx: Context) -> Reasoning:
    """scatter/scatter_add_: index larger than self (apart from dim) or than src."""
    index, own = (
        ctx.need_shape("index_shape", allow_int=False),
        ctx.need_shape("self_shape", allow_int=False),
    )
    d = ctx.get("dim")
    src = ctx.get("src_shape")
    if not isinstance(d, int) or len(index) != len(own):
        raise Decline("numbers missing")
    r = Reasoning()
    bad_self = [k for k in range(len(own)) if k != d and index[k] > own[k]]
    bad_src: list[int] = []
    if isinstance(src, Shape):
        bad_src = [k for k in range(min(len(index), len(src))) if index[k] > src[k]]
    parts = []
    if bad_self:
        parts.append(", ".join(f"dim {k}: index {index[k]} > self {own[k]}" for k in bad_self))
    if bad_src and isinstance(src, Shape):
        parts.append(", ".join(f"dim {k}: index {index[k]} > src {src[k]}" for k in bad_src))
    r.values["problem"] = "; ".join(parts) or "the index is larger than self or src"
    r.values["src_text"] = f" and src {src}" if isinstance(src, Shape) else ""
    r.steps.append(
        f"scatter(dim={d}) reads src at every position of the index, so the index must be no "
        f"larger than src in every dim and no larger than self apart from dim {d}: "
        f"{r.values['problem']}."
    )
    fixed = list(index)
    for k in bad_self:
        fixed[k] = own[k]
    if isinstance(src, Shape):
        for k in bad_src:
            fixed[k] = min(fixed[k], src[k])
    r.fix_values["index_shape"] = fixed
    r.fix_code = (
        "x.scatter_(dim, index, src)   # src.shape ⊇ index.shape; or a scalar value: "
        "x.scatter_(dim, index, 1.0)"
    )
    r.suspects += frame_suspect(ctx.where, "scatter with an index larger than src/self", 0.7)
    return r


GATHER_DIM = re.compile(
    r"\bgather\(\s*(?:dim\s*=\s*)?(-?\d+)\s*,|\bgather\(\s*\w[\w.]*\s*,\s*(?:dim\s*=\s*)?(-?\d+)\s*,"
)


def gather_same_size(ctx: Context) -> Reasoning:
    """gather before 1.6: `Expected tensor [O], src [S] and index [I] to have the same size apart
    from dimension d` (TH, <= 1.4) and `Size does not match at dimension k get S vs I` (1.5).
    Both demand index.size(k) == input.size(k) for every k != dim; 1.6+ only demand <=."""
    index, own = ctx.get("index_shape"), ctx.get("self_shape")
    d = ctx.get("dim")
    if not isinstance(d, int):
        d = _gather_dim(ctx)
    r = Reasoning()
    if isinstance(index, Shape) and isinstance(own, Shape):
        if len(index) != len(own):
            raise Decline("ranks differ: gather-index-rank")
        diffs = [k for k in range(len(own)) if k != d and index[k] != own[k]]
        if not diffs:
            raise Decline("no dimension differs")
        k = diffs[0]
        i_size, s_size = index[k], own[k]
        fixed: list[int] | None = [own[j] if j != d else index[j] for j in range(len(own))]
        r.values.update(index_text=str(index), self_text=str(own))
    else:
        b, s_size, i_size = ctx.get("bad_dim"), ctx.get("self_size"), ctx.get("index_size")
        if not isinstance(b, int) or not isinstance(s_size, int) or not isinstance(i_size, int):
            raise Decline("numbers missing")
        k, fixed = b, None
        r.values.update(index_text="(shape not printed)", self_text="(shape not printed)")
    dim_text = str(d) if isinstance(d, int) else "dim"
    r.values.update(bad_dim=k, index_size=i_size, self_size=s_size, dim_text=dim_text)
    r.steps.append(
        f"Before PyTorch 1.6, gather(dim={dim_text}, index) required the index to have the "
        f"input's size in every dimension except {dim_text}; 1.6 and later only require it to "
        "be no larger."
    )
    r.steps.append(f"At dimension {k} the index has {i_size} and the input {s_size}.")
    if i_size < s_size:
        tail = (
            " On PyTorch ≥ 1.6 the same call runs, reading only the first "
            f"{i_size} entries along dimension {k}: check that this is meant."
        )
        if k == 0:
            cause = (
                f"The index has {i_size} rows and the input {s_size}: they come from different "
                "batches (the actions or labels of one batch against the scores of another, a "
                "network evaluated on more states than the index covers) or one was reshaped."
                + tail
            )
        else:
            cause = (
                f"The index covers {i_size} of the input's {s_size} entries at dimension {k}: "
                "build it (or expand it) with the input's size there." + tail
            )
    else:
        cause = (
            f"The index is larger than the input at dimension {k} ({i_size} > {s_size}): it was "
            "built or expanded for another tensor (another batch, another feature size); "
            "expand it with the input's own sizes."
        )
    r.values["cause"] = cause
    r.values["headline"] = (
        f"gather(dim={dim_text}): at dimension {k} the index has {i_size} and the input "
        f"{s_size}; this release needs them equal apart from dimension {dim_text}"
    )
    if fixed is not None:
        r.fix_values["index_shape"] = fixed
        r.values["fix_text"] = (
            f"Give the index the shape {Shape(fixed)} (the input's sizes apart from dimension "
            f"{dim_text}), or upgrade PyTorch when a smaller index is meant."
        )
        if i_size == 1:
            r.fix_code = (
                f"index = index.expand({', '.join(str(s) for s in fixed)})   # repeat it along "
                f"dimension {k}\n"
                f"out = x.gather({dim_text}, index)   # index {Shape(fixed)}"
            )
        else:
            r.fix_code = (
                f"print(x.shape, index.shape)   # the index must be {Shape(fixed)}: build both "
                f"from the same batch / sizes\nout = x.gather({dim_text}, index)"
            )
    else:
        r.fix_values["index_size"] = s_size
        r.values["fix_text"] = (
            f"Give the index {s_size} entries at dimension {k} (the input's size), or upgrade "
            "to PyTorch ≥ 1.6, which accepts a smaller index."
        )
        r.fix_code = (
            f"print(x.shape, index.shape)   # equal everywhere but dim {dim_text} before 1.6"
        )
    r.suspects += frame_suspect(ctx.where, "gathers with an index of another size", 0.7)
    return r


def _gather_dim(ctx: Context) -> int | None:
    for code in reversed(ctx.frame_codes() + ctx.parsed.text.splitlines()):
        m = GATHER_DIM.search(code or "")
        if m:
            return int(m[1] or m[2])
    return None
