"""The rest: autograd (non-scalar backward, gradient shapes, in-place versions), tensor/scalar
conversions (.item() of many elements, bool of a tensor, ragged lists), PReLU channels, softmax
without dim, and torch.compile's wrappers and data-dependent guards."""

from __future__ import annotations

import ast
import re

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.shapes import fmt
from explainer.arithmetic.suspects import (
    call_suspect,
    calls_with_arg,
    frame_suspect,
    replace_arg,
)
from explainer.model import Frame, Suspect

# In-place tensor methods end with one `_`; dunders, optimizer/RNG/init helpers are not the bug.
INPLACE_METHOD = re.compile(
    r"\.(?!zero_grad|requires_grad_|manual_seed|normal_|uniform_|fill_diagonal_|share_memory_|"
    r"set_|record_stream)([a-z]\w*[a-z0-9]_)\("
)
AUGMENTED = re.compile(r"^\s*[\w.\[\]:, ]+\s*(?:\+|-|\*|/|@)=")
INDEX_ASSIGN = re.compile(r"^\s*\w+(?:\.\w+)*\[[^\]]+\]\s*=(?!=)")


def _lines(ctx: Context) -> list[tuple[str, int, str]]:
    """(file, line number, code without comment) of every user source line readable here."""
    out = []
    for path in ctx.source.files():
        for n, line in enumerate(ctx.source.lines(path) or [], start=1):
            code = line.split("#", 1)[0].rstrip()
            if code.strip():
                out.append((path, n, code))
    return out


def _assignment_of(ctx: Context, name: str, before: Frame | None) -> Suspect | None:
    """The last line assigning `name` before the frame's line, in the frame's file."""
    if before is None or before.line is None:
        return None
    lines = ctx.source.lines(before.file) or []
    pattern = re.compile(rf"^\s*{re.escape(name)}\s*=(?!=)")
    for n in range(min(before.line - 1, len(lines)), 0, -1):
        if pattern.match(lines[n - 1]):
            return Suspect(before.file, n, lines[n - 1].strip(), f"computes {name}", 0.75)
    return None


def _function_lines(ctx: Context, names: tuple[str, ...]) -> set[tuple[str, int]]:
    """(file, line) of every line inside a function with one of these names."""
    out: set[tuple[str, int]] = set()
    for path in ctx.source.files():
        try:
            tree = ast.parse("\n".join(ctx.source.lines(path) or []))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in names and node.end_lineno:
                out.update((path, n) for n in range(node.lineno, node.end_lineno + 1))
    return out


# -- autograd ------------------------------------------------------------------------------------


def backward_non_scalar(ctx: Context) -> Reasoning:
    """`grad can be implicitly created only for scalar outputs`: loss not reduced."""
    r = Reasoning()
    r.steps.append(
        "loss.backward() without an argument computes d(loss)/d(params) for a scalar loss; for a "
        "tensor of several elements it would need `gradient=` of the same shape, so PyTorch "
        "refuses."
    )
    for path, n, code in _lines(ctx):
        if re.search(r"reduction\s*=\s*['\"]none['\"]", code):
            r.suspects.append(
                Suspect(path, n, code.strip(), "reduction='none' keeps one loss per element", 0.85)
            )
    where = ctx.where
    m = re.search(r"(\w+)\.backward\(\s*\)", (where.code or "") if where else "")
    if m:
        found = _assignment_of(ctx, m[1], where)
        if found:
            r.suspects.append(found)
        r.values["var"] = m[1]
    r.suspects += frame_suspect(where, "calls backward() on a non-scalar", 0.7)
    var = r.values.setdefault("var", "loss")
    r.fix_values["reduce"] = "mean"
    r.fix_code = f"{var}.mean().backward()   # or .sum(); or reduction='mean' in the criterion"
    return r


def grad_output_shape(ctx: Context) -> Reasoning:
    """`Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0] ...`"""
    grad = ctx.need_shape("grad_shape")
    out = ctx.need_shape("output_shape")
    r = Reasoning()
    r.steps.append(
        f"backward(gradient=g) / autograd.grad(outputs, grad_outputs=g) needs g shaped like the "
        f"output: {out}; it is {grad}."
    )
    r.fix_values["grad_shape"] = list(out)
    r.suspects += frame_suspect(ctx.where, "passes a gradient of another shape", 0.7)
    return r


def function_gradient(ctx: Context) -> Reasoning:
    """A custom autograd.Function's backward returned a gradient of the wrong shape."""
    got = ctx.need_shape("got")
    expected = ctx.need_shape("expected")
    index = ctx.get("index")
    fn = str(ctx.get("function") or "")
    r = Reasoning()
    name = fn[: -len("Backward")] if fn.endswith("Backward") else fn
    r.values["function_name"] = name
    r.steps.append(
        f"{name}.backward must return one gradient per input of forward, each shaped like that "
        f"input: gradient {index} is {got}, input {index} is {expected}."
    )
    r.fix_values["grad_shape"] = list(expected)
    for path, n, code in _lines(ctx):
        if re.match(rf"\s*class\s+{re.escape(name)}\b", code):
            r.suspects.append(Suspect(path, n, code.strip(), "the custom Function", 0.6))
    for path, n, code in _lines(ctx):
        if re.match(r"\s*def\s+backward\s*\(", code):
            r.suspects.append(Suspect(path, n, code.strip(), "returns the gradients", 0.65))
    return r


def assign_grad(ctx: Context) -> Reasoning:
    """`attempting to assign a gradient of size '[4]' to a tensor of size '[3]'`."""
    grad = ctx.need_shape("grad_shape")
    tensor = ctx.need_shape("tensor_shape")
    r = Reasoning()
    r.steps.append(f"p.grad must have p's shape {tensor}; the value assigned is {grad}.")
    r.fix_values["grad_shape"] = list(tensor)
    r.suspects += frame_suspect(ctx.where, "assigns .grad", 0.7)
    return r


def inplace_version(ctx: Context) -> Reasoning:
    """`one of the variables needed for gradient computation has been modified by an inplace
    operation: [torch.FloatTensor [3, 4]], which is output 0 of SigmoidBackward0, is at version 1;
    expected version 0 instead.`"""
    r = Reasoning()
    shape = ctx.get("shape")
    version, expected = ctx.get("version"), ctx.get("expected_version")
    op = str(ctx.get("op") or "")
    if isinstance(version, int) and isinstance(expected, int):
        r.steps.append(
            f"Autograd saved a tensor{f' of shape {shape}' if shape else ''} for the backward "
            f"pass at version {expected}; {version - expected} in-place change"
            f"{'s' if version - expected != 1 else ''} later it is at version {version}, so its "
            "saved value is gone."
        )
    if op:
        base = re.sub(r"Backward\d*$", "", op)
        r.values["op_name"] = base
        r.steps.append(
            f"The tensor is the output of {base}: look for an in-place op applied to that output "
            "(+=, x[...] = ..., .relu_(), nn.ReLU(inplace=True)) before backward."
        )
    r.values.setdefault("op_name", "an earlier op")
    desc = f"The tensor {shape}" if shape else "A tensor"
    if op:
        desc += f" (output {ctx.get('output') or 0} of {r.values['op_name']})"
    r.values["tensor_desc"] = desc
    found: list[Suspect] = []
    model_lines = _function_lines(ctx, ("forward", "__call__"))
    for path, n, code in _lines(ctx):
        if "inplace=True" in code.replace(" ", ""):
            found.append(Suspect(path, n, code.strip(), "an in-place activation", 0.75))
        elif AUGMENTED.match(code):
            # Accumulators in a training loop (`correct += ...`) are Python numbers; in-place
            # updates inside forward() are the usual culprits.
            score = 0.75 if (path, n) in model_lines else 0.45
            found.append(Suspect(path, n, code.strip(), "modifies a tensor in place", score))
        elif INPLACE_METHOD.search(code):
            found.append(
                Suspect(path, n, code.strip(), "an in-place method (name ends in _)", 0.65)
            )
        elif INDEX_ASSIGN.match(code):
            found.append(Suspect(path, n, code.strip(), "writes into a tensor in place", 0.6))
    op_lower = r.values["op_name"].lower()
    for s in found:
        if op_lower and op_lower in s.code.lower():
            found[found.index(s)] = Suspect(s.file, s.line, s.code, s.reason, s.score + 0.1)
    found.sort(key=lambda s: -s.score)
    r.suspects.extend(found[:6])
    r.fix_values["inplace"] = False
    for s in found:
        m = re.match(r"^(?P<lhs>[\w.\[\]:, ]+?)\s*(?P<op>\+|-|\*|/|@)=\s*(?P<rhs>.+)$", s.code)
        if m:
            lhs = m["lhs"].strip()
            r.fix_code = (
                f"{lhs} = {lhs} {m['op']} {m['rhs'].strip()}   # was: {s.code} (in place)\n"
                "nn.ReLU()            # instead of nn.ReLU(inplace=True), if you use it"
            )
            return r
    r.fix_code = (
        "x = x + y            # instead of x += y\n"
        "nn.ReLU()            # instead of nn.ReLU(inplace=True)\n"
        "x = x.clone()        # before writing into x[...] when x is needed for backward"
    )
    return r


def no_grad_fn(ctx: Context) -> Reasoning:
    """`element 0 of tensors does not require grad and does not have a grad_fn`."""
    r = Reasoning()
    r.steps.append(
        "backward() needs a loss connected to parameters with requires_grad=True; this tensor has "
        "no grad_fn, so the graph was cut before it."
    )
    patterns = (
        (r"torch\.no_grad\(\)|torch\.inference_mode\(\)", "disables the graph", 0.8),
        (r"\.detach\(\)", "detaches from the graph", 0.75),
        (r"\.item\(\)|\.numpy\(\)|\.tolist\(\)", "leaves the graph (Python number / numpy)", 0.7),
        (r"requires_grad\s*=\s*False|requires_grad_\(False\)", "freezes parameters", 0.7),
        (r"torch\.(?:tensor|Tensor|from_numpy)\(", "builds a new tensor without a graph", 0.6),
        (r"\.eval\(\)", "eval() does not stop gradients (no_grad does)", 0.3),
    )
    for path, n, code in _lines(ctx):
        for pattern, reason, score in patterns:
            if re.search(pattern, code):
                r.suspects.append(Suspect(path, n, code.strip(), reason, score))
                break
    r.suspects.sort(key=lambda s: -s.score)
    del r.suspects[5:]
    r.suspects += frame_suspect(ctx.where, "calls backward()", 0.4)
    return r


def numpy_requires_grad(ctx: Context) -> Reasoning:
    """`Can't call numpy() on Tensor that requires grad`."""
    r = Reasoning()
    r.suspects += frame_suspect(ctx.where, "calls .numpy() on a tensor in the graph", 0.8)
    r.fix_values["call"] = ".detach().cpu().numpy()"
    return r


# -- tensor <-> Python --------------------------------------------------------------------------


def item_many(ctx: Context) -> Reasoning:
    """`a Tensor with N elements cannot be converted to Scalar`."""
    n = ctx.need_int("elements")
    r = Reasoning()
    r.steps.append(
        f".item() (and int()/float()) return ONE Python number: the tensor has {fmt(n)} elements."
    )
    for path, line, code in _lines(ctx):
        if re.search(r"reduction\s*=\s*['\"]none['\"]", code):
            r.suspects.append(
                Suspect(
                    path, line, code.strip(), "reduction='none' keeps one value per sample", 0.8
                )
            )
    r.suspects += frame_suspect(ctx.where, f"converts a {n}-element tensor to a number", 0.7)
    r.fix_values["reduce"] = "mean"
    return r


def python_scalar(ctx: Context) -> Reasoning:
    """`only one element tensors can be converted to Python scalars`."""
    r = Reasoning()
    code = (ctx.where.code or "") if ctx.where else ""
    if "torch.tensor(" in code or "torch.Tensor(" in code or "np.array(" in code:
        r.values["hint"] = (
            "torch.tensor(list_of_tensors) converts each tensor to a number: stack them instead, "
            "torch.stack(list_of_tensors)."
        )
        r.fix_values["call"] = "torch.stack"
    else:
        r.values["hint"] = (
            "float(t), int(t) and t.item() need a one-element tensor: reduce it first "
            "(t.mean(), t.sum()) or index one element."
        )
    r.suspects += frame_suspect(ctx.where, "converts a multi-element tensor", 0.7)
    return r


def bool_ambiguous(ctx: Context) -> Reasoning:
    """`Boolean value of Tensor with more than one value is ambiguous`."""
    r = Reasoning()
    code = (ctx.where.code or "") if ctx.where else ""
    if re.search(r"\b(?:and|or|not)\b", code):
        r.values["hint"] = "Python's and/or/not call bool(): use & | ~ element-wise."
    elif re.search(r"^\s*(?:if|while|assert)\b", code):
        r.values["hint"] = "`if t:` needs one value: use t.any() or t.all() (or compare .item())."
    elif re.search(r"\b(?:max|min|sorted)\(", code):
        r.values["hint"] = "Python's max/min compare with bool(): use torch.max / torch.maximum."
    else:
        r.values["hint"] = "Reduce the comparison with .any() / .all(), or use & | ~ element-wise."
    r.suspects += frame_suspect(ctx.where, "asks for the truth value of a tensor", 0.8)
    return r


def zero_dim(ctx: Context) -> Reasoning:
    """`len() of a 0-d tensor` / `iteration over a 0-d tensor`."""
    r = Reasoning()
    r.suspects += frame_suspect(ctx.where, "treats a scalar tensor as a sequence", 0.8)
    return r


def ragged(ctx: Context) -> Reasoning:
    """`expected sequence of length 3 at dim 1 (got 2)`: torch.tensor of ragged lists."""
    expected = ctx.need_int("expected")
    got = ctx.need_int("got")
    dim = ctx.need_int("dim")
    r = Reasoning()
    r.steps.append(
        f"torch.tensor needs a rectangular nested list: the first item at depth {dim} has "
        f"{expected} elements, a later one {got}."
    )
    r.fix_values["pad_to"] = max(expected, got)
    r.suspects += frame_suspect(ctx.where, "builds a tensor from ragged lists", 0.8)
    return r


def simple(ctx: Context) -> Reasoning:
    """Messages that say it all: point at the line."""
    r = Reasoning()
    r.suspects += frame_suspect(ctx.where, "the line that raised", 0.6)
    return r


# -- layers ---------------------------------------------------------------------------------------


def prelu(ctx: Context) -> Reasoning:
    """`Mismatch of parameter numbers and input channel size. Found parameter numbers = 4 and
    channel size = 3.`"""
    params = ctx.need_int("num_parameters")
    channels = ctx.need_int("channels")
    r = Reasoning()
    r.steps.append(
        f"PReLU(num_parameters={params}) learns one slope per channel (dim 1 of the input); the "
        f"input has {channels} channels. num_parameters must be 1 or {channels}."
    )
    r.fix_values["num_parameters"] = channels
    for call in calls_with_arg(ctx.source, ("PReLU",), 0, "num_parameters", params)[:1]:
        r.suspects.append(call_suspect(call, f"{params} slopes for {channels} channels", 0.9))
        r.fix_code = f"{replace_arg(call.code, call, 0, str(channels))}   # was: {call.code}"
    return r


def softmax_dim(ctx: Context) -> Reasoning:
    """`Implicit dimension choice for softmax has been deprecated`."""
    fn = str(ctx.get("fn") or "softmax")
    r = Reasoning()
    r.values["fn"] = fn
    r.steps.append(
        f"Without dim, {fn} picks dim 0 for 0-, 1- and 3-D inputs and dim 1 otherwise: for a "
        f"[N, L, C] tensor that is the batch, not the classes."
    )
    for call in ctx.source.calls(fn, fn.replace("_", "")):
        if "dim" not in call.kwargs and len(call.args) < 2:
            r.suspects.append(call_suspect(call, f"{fn} without dim=", 0.85))
    r.fix_values["dim"] = -1
    return r


def dropout_rank(ctx: Context) -> Reasoning:
    """`dropout2d: Received a 2-D input to dropout2d` (a UserWarning)."""
    fn = str(ctx.get("fn") or "dropout2d")
    got = ctx.get("got")
    r = Reasoning()
    r.values.update(fn=fn)
    r.steps.append(
        f"{fn} drops whole channels of [N, C, H, W] (dropout3d: [N, C, D, H, W]); a {got}-D input "
        "has no spatial dims, so it drops whole rows instead of single features."
    )
    r.fix_values["layer"] = "Dropout"
    for call in ctx.source.calls("Dropout2d", "Dropout3d", "dropout2d", "dropout3d")[:1]:
        r.suspects.append(call_suspect(call, f"{fn} on a {got}-D input: use nn.Dropout", 0.8))
    return r


# -- torch.compile ---------------------------------------------------------------------------------

SHAPE_WORDS = re.compile(
    r"size|shape|dimension|\bdim\b|must match|channels|mat1|mat2|device|dtype|out of bounds|"
    r"out of range|invalid for input|expected",
    re.IGNORECASE,
)


def compile_wrapper(ctx: Context) -> Reasoning:
    """torch.compile failed with an inner error that no entry explains: say where it came from,
    but only when the inner error is not a shape/device/dtype error (then silence beats a guess)."""
    inner = [m for m in ctx.parsed.inner_messages if m.strip()]
    text = inner[-1] if inner else str(ctx.get("inner") or "")
    if not text or SHAPE_WORDS.search(text):
        raise Decline("the inner error is a shape error that another entry should explain")
    r = Reasoning()
    r.values["inner"] = text.strip().splitlines()[0][:300]
    r.steps.append(f"The error inside the compiled code: {r.values['inner']}")
    r.suspects += frame_suspect(ctx.where, "the compiled code that failed", 0.6)
    return r


def data_dependent(ctx: Context) -> Reasoning:
    """`Could not guard on data-dependent expression u0 > 3 (unhinted: u0 > 3)`."""
    expr = str(ctx.get("expr") or "").strip()
    r = Reasoning()
    r.values["expr"] = expr or "a data-dependent value"
    symbols = sorted(set(re.findall(r"\b[ui]\d+\b", expr)))
    r.values["symbols"] = ", ".join(symbols) or "u0"
    r.steps.append(
        f"{r.values['symbols']} stand{'s' if len(symbols) <= 1 else ''} for values read from "
        "tensor data (.item(), .tolist(), nonzero(), unique(), a mask's sum): unknown while "
        f"tracing, so the branch or shape that depends on `{r.values['expr']}` cannot be decided."
    )
    r.suspects += frame_suspect(ctx.where, "branches or sizes on a data-dependent value", 0.8)
    r.fix_code = (
        "torch._check(n > 3)            # tell the compiler what holds, or\n"
        "torch._check_is_size(n)        # for values used as sizes; or move the branch out of\n"
        "                               # the compiled region (torch.cond for data branches)"
    )
    return r


def constraints_violated(ctx: Context) -> Reasoning:
    """`Constraints violated (n)! ... Not all values of n = L['x'].size()[0] in the specified range
    satisfy the generated guard ...`."""
    dims = str(ctx.get("dims") or "")
    r = Reasoning()
    r.values["dims"] = dims
    guards = re.findall(r"satisfy the generated guard (.+?)\.\s*$", ctx.message, re.MULTILINE)
    if guards:
        r.values["guard"] = guards[0]
        r.steps.append(
            f"Tracing showed the code only works when {guards[0]} (from a view/reshape with a "
            "constant, a comparison, or two inputs forced equal)."
        )
    else:
        r.values["guard"] = "a specialisation"
    m = re.search(r"Suggested fixes:\s*\n(?P<fix>(?:[ \t]+\S.*\n?)+)", ctx.message)
    if m:
        r.fix_code = "\n".join(line.strip() for line in m["fix"].splitlines())
    r.suspects += frame_suspect(ctx.where, "the export call", 0.5)
    return r
