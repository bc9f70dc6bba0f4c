"""`Expected input batch_size (N) to match target batch_size (M)`: why the predictions and the
targets of a loss disagree on the batch, read from the user's source when it is there.

The loss raises, but the bug is usually earlier: a `view(-1, C*H*W)` sized for another feature
map that turned 32 samples into 98 rows, logits [N, T, C] flattened against per-sample targets,
a batch size hard-coded into a reshape, an LSTM read time-first.
"""

from __future__ import annotations

import ast
import math

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.shapes import Shape, fmt, integer_sqrt
from explainer.arithmetic.suspects import call_suspect
from explainer.arithmetic.view import (
    ViewSpec,
    channels_of,
    fixed_linear,
    linear_taking,
    map_story,
    view_specs,
)
from explainer.model import Suspect
from explainer.source import Call, SourceIndex

RNN_NAMES = ("LSTM", "GRU", "RNN")


def batch_size(ctx: Context) -> Reasoning:
    """Account for N rows of predictions against M targets."""
    n = ctx.get("input_batch")
    m = ctx.get("target_batch")
    if not isinstance(n, int) or not isinstance(m, int) or n == m:
        raise Decline("numbers missing")
    if m == 0 or n == 0:
        return _empty_side(n, m)
    r = Reasoning()
    r.values.update(input_batch=n, target_batch=m, ratio=_ratio(n, m))
    r.steps.append(
        f"The loss pairs predictions and targets row by row: input.size(0) = {fmt(n)} rows of "
        f"class scores, target.size(0) = {fmt(m)} labels."
    )
    found = _from_source(ctx, r, n, m)
    if not found:
        _hypotheses(r, n, m)
        r.confidence = 0.6 if ctx.source.files() else 0.65
    return r


def _empty_side(n: int, m: int) -> Reasoning:
    """A batch of 0 on one side: no reshape makes 0 rows out of N, so a list or mask is empty."""
    r = Reasoning()
    side, other, count = ("target", "predictions", n) if m == 0 else ("input", "targets", m)
    r.values.update(input_batch=n, target_batch=m, ratio=f"the {side} is empty")
    r.steps.append(
        f"The {side} has 0 rows while the {other} have {fmt(count)}: no view or reshape turns "
        f"{fmt(count)} samples into 0, so the {side} was empty before it reached the loss."
    )
    if m == 0:
        r.values["cause_text"] = (
            f"The target tensor is empty (batch 0) while the model produced {fmt(n)} rows: the "
            "labels were never filled in for this batch. Usual causes: an empty label list "
            "(a dataset or collate function that returns no labels, a wrong label column or "
            "file), every label filtered or masked out (a selection such as labels[labels != "
            "-100] or a mask that keeps nothing), or labels sliced with an index range past "
            "their end."
        )
        r.values["fix_text"] = (
            "Make sure the batch carries its labels: print labels.shape before the loss, fix the "
            "dataset/collate code (or the mask) that leaves it empty, and skip batches with no "
            "labels."
        )
        r.fix_code = (
            "print(outputs.shape, labels.shape)   # labels: [0] here\n"
            "if labels.numel() == 0:\n"
            "    continue                          # or fix the dataset/mask that drops every label"
        )
    else:
        r.values["cause_text"] = (
            f"The model's output is empty (batch 0) while there are {fmt(m)} targets: the input "
            "batch was empty or filtered to nothing before the model (an empty selection, a "
            "mask that keeps no rows, a slice past the end)."
        )
        r.values["fix_text"] = (
            "Print the input and output shapes: find the selection or slice that leaves no rows."
        )
        r.fix_code = "print(inputs.shape, outputs.shape, labels.shape)"
    r.confidence = 0.8
    return r


def _ratio(n: int, m: int) -> str:
    if n % m == 0:
        return f"{fmt(n)} / {fmt(m)} = {n // m}"
    if m % n == 0:
        return f"{fmt(m)} / {fmt(n)} = {m // n}"
    return f"{fmt(n)} / {fmt(m)} = {n / m:.4g}"


# -- with the user's source -----------------------------------------------------------------


def _from_source(ctx: Context, r: Reasoning, n: int, m: int) -> bool:
    source = ctx.source
    if not source.files():
        return False
    specs = view_specs(source)
    for spec in specs:
        if _flatten_view(ctx, r, spec, n, m):
            return True
    for spec in specs:
        if _hard_coded_batch(r, spec, n, m):
            return True
    if _rnn_time_first(ctx, r, n, m):
        return True
    for spec in specs:
        if _sequence_logits(r, spec, n, m):
            return True
    return False


def _flatten_view(ctx: Context, r: Reasoning, spec: ViewSpec, n: int, m: int) -> bool:
    """view(-1, P) with a constant P: it made n rows out of m samples."""
    if len(spec.dims) != 2 or spec.dims[0] != -1 or not spec.dims[1] or spec.dims[1] <= 1:
        return False
    p = spec.dims[1]
    numel = n * p
    if numel % m:
        return False
    per = numel // m
    if per == p:
        return False
    source = ctx.source
    call = spec.call
    r.values.update(features=p, numel=numel, per_sample=per, view_code=call.code)
    r.steps.append(
        f"{call.code.strip()} keeps {fmt(p)} values per row ({spec.exprs[1]} = {fmt(p)}) and lets "
        f"-1 absorb the rest: the loss saw {fmt(n)} rows, so the tensor had {fmt(n)} × {fmt(p)} "
        f"= {fmt(numel)} elements."
    )
    channels = channels_of(source, spec, 1)
    side = integer_sqrt(per // channels) if channels and per % channels == 0 else None
    want = integer_sqrt(p // channels) if channels and p % channels == 0 else None
    if side and want:
        r.steps.append(
            f"{m} × {channels} × {side} × {side} = {fmt(numel)} elements; view(-1, {fmt(p)}) → "
            f"{fmt(numel)} / {fmt(p)} = {fmt(n)} rows instead of {m}."
        )
        r.steps.append(
            f"Per sample that is {fmt(numel)} / {m} = {fmt(per)} features = {channels} × {side} × "
            f"{side} (channels × H × W); the view assumed {fmt(p)} = {channels} × {want} × {want}."
        )
        ratio = per / p
        root = side / want
        r.steps.append(
            f"{fmt(per)} / {fmt(p)} = {ratio:.4g} = {root:.4g}²: the feature map is {side}×{side}, "
            f"{root:.4g}× {'larger' if side > want else 'smaller'} per side than the {want}×{want} "
            "the code was written for."
        )
        map_story(source, r, call.cls, channels, side, want, "the view")
        new_expr = f"{channels} * {side} * {side}"
    else:
        r.steps.append(
            f"Per sample that is {fmt(numel)} / {m} = {fmt(per)} features, where the view "
            f"assumed {fmt(p)}."
        )
        new_expr = str(per)
    r.values["cause_text"] = (
        f"{call.code.strip()} flattens with a hard-coded {fmt(p)} features per sample, but each "
        f"sample has {fmt(per)}: the -1 became {fmt(n)} instead of the batch of {m}, so the "
        "model emitted more rows than there are labels. The layers before it produce a larger "
        "map than the size was computed for."
        if per > p
        else f"{call.code.strip()} flattens with a hard-coded {fmt(p)} features per sample, "
        f"but each "
        f"sample has {fmt(per)}: the -1 became {fmt(n)} instead of the batch of {m}."
    )
    r.values["fix_text"] = (
        f"Flatten per sample with torch.flatten(x, 1), and build the next layer with "
        f"in_features={fmt(per)}."
    )
    r.fix_values["in_features"] = per
    r.suspects.append(
        call_suspect(
            call,
            f"view(-1, {fmt(p)}) turns {m} samples of {fmt(per)} features into {fmt(n)} rows",
            0.9,
        )
    )
    fix = [f"x = torch.flatten(x, 1)   # was: {call.code.strip()}; keeps the batch: [{m}, {per}]"]
    layer = linear_taking(source, p)
    if layer:
        r.suspects.append(call_suspect(layer, f"in_features={fmt(p)} repeats the view's size", 0.7))
        fix.append(
            f"{fixed_linear(source, layer, new_expr)}   # was: {layer.code}; "
            f"in_features = {fmt(per)}"
        )
    else:
        fix.append(f"# and the next nn.Linear takes in_features={new_expr} = {fmt(per)}")
    if side and want:
        fix.append(
            f"# or keep {fmt(p)} for any input: x = F.adaptive_avg_pool2d(x, ({want}, {want})) "
            "before the flatten"
        )
    r.fix_code = "\n".join(fix)
    return True


def _hard_coded_batch(r: Reasoning, spec: ViewSpec, n: int, m: int) -> bool:
    """view(BATCH, -1) / reshape(64, ...) where BATCH is the batch the model emits."""
    if not spec.dims or spec.dims[0] != n or len(spec.dims) < 2:
        return False
    if spec.exprs[0].lstrip("-").isdigit() is False and spec.dims[0] is None:
        return False
    call = spec.call
    r.values["cause_text"] = (
        f"{call.code.strip()} fixes the first size to {spec.exprs[0]} = {n}, while this batch has "
        f"{m} samples: the last batch of an epoch is smaller unless the DataLoader drops it, "
        "so the "
        f"reshape spread {m} samples over {n} rows."
    )
    r.values["fix_text"] = "Take the batch from the tensor: x.view(x.size(0), -1)."
    r.steps.append(
        f"{call.code.strip()} writes the batch size as {spec.exprs[0]} = {n}; the targets say this "
        f"batch has {m} samples, so the -1 took {m}/{n} of a sample's features per row."
    )
    var = call.func.rsplit(".", 1)[0]
    new_first = f"{var}.size(0)" if var and "(" not in var else "-1"
    r.fix_code = (
        f"{call.code.strip().replace(spec.exprs[0], new_first, 1)}   # was: "
        f"{call.code.strip()}\n# or: DataLoader(..., drop_last=True)"
    )
    r.fix_values["batch_size"] = m
    r.suspects.append(call_suspect(call, f"hard-codes the batch size {n}; this batch has {m}", 0.9))
    return True


def _rnn_time_first(ctx: Context, r: Reasoning, n: int, m: int) -> bool:
    """An nn.LSTM/GRU built without batch_first=True, fed [N, T, F] and read with out[-1]."""
    source = ctx.source
    rnns = [
        c
        for c in source.calls(*RNN_NAMES)
        if c.func.startswith(("nn.", "torch.nn.")) or c.func in RNN_NAMES
    ]
    rnns = [c for c in rnns if "True" not in c.kwargs.get("batch_first", "")]
    if not rnns:
        return False
    rnn = rnns[0]
    reads_last = _reads_time_last(source, rnn)
    r.values["cause_text"] = (
        f"{rnn.code.strip()} is built without batch_first=True, so it reads its input as "
        f"[T, N, F] (time first). Fed a [N, T, F] batch it treats the {m} samples as time steps, "
        f"and taking the last step (out[-1]) keeps one row per time step: {n} rows, not {m}."
    )
    r.values["fix_text"] = (
        "Build the RNN with batch_first=True and take out[:, -1] (or feed [T, N, F])."
    )
    r.steps.append(
        f"{n} is not the batch: without batch_first=True the RNN's output is [T, N, H], and "
        f"out[-1] is [N, H] only when the input was [T, N, F]. With a [N, T, F] batch, out[-1] "
        f"is [T, H] = [{n}, H]: the sequence length {n} became the rows."
    )
    new = rnn.code.strip()
    close = new.rfind(")")
    if close > 0:
        new = new[:close] + ", batch_first=True" + new[close:]
    r.fix_code = f"{new}   # was: {rnn.code.strip()}\n" + (
        f"{reads_last.code.replace('[-1]', '[:, -1]', 1)}   # was: {reads_last.code}"
        if reads_last
        else "out = out[:, -1]   # the last time step of each sequence"
    )
    r.fix_values["batch_first"] = True
    r.suspects.append(call_suspect(rnn, "reads its input time-first (batch_first=False)", 0.85))
    if reads_last:
        r.suspects.append(
            call_suspect(
                reads_last,
                "takes out[-1]: the last sample, not the last "
                "time step, when the batch comes first",
                0.6,
            )
        )
    r.confidence = 0.85
    return True


def _reads_time_last(source: SourceIndex, rnn: Call) -> Call | None:
    for call in source.calls():
        if call.cls == rnn.cls and call.function == "forward" and "[-1]" in call.code:
            return call
    for path in source.files():
        for lineno, line in enumerate(source.lines(path) or [], start=1):
            if "[-1]" in line and path == rnn.file and lineno > rnn.line:
                return Call(
                    path, lineno, line.strip(), "", "", [], {}, None, rnn.cls, None, node=rnn.node
                )
    return None


def _sequence_logits(r: Reasoning, spec: ViewSpec, n: int, m: int) -> bool:
    """logits.view(-1, C) on [N, T, C] scores: N·T rows against per-sample targets."""
    if len(spec.dims) != 2 or spec.dims[0] != -1 or spec.dims[1] is not None:
        return False
    if n % m or n < m:
        return False
    t = n // m
    call = spec.call
    r.values["cause_text"] = (
        f"{call.code.strip()} flattens [N, T, C] scores to [N·T, C]: {m} sequences × {t} steps = "
        f"{n} rows, while the targets have one label per sequence ({m})."
    )
    r.values["fix_text"] = (
        "Either predict one label per sequence (take the last step or pool over time before the "
        "classifier), or give one target per step and flatten the targets too."
    )
    r.steps.append(f"{fmt(n)} = {m} × {t}: {t} rows per target, one per time step.")
    r.fix_code = (
        "logits = logits[:, -1, :]   # or logits.mean(dim=1): one row per sequence\n"
        "# or, with a label per step: loss = criterion(logits.reshape(-1, C), targets.reshape(-1))"
    )
    r.fix_values["seq_len"] = t
    r.suspects.append(call_suspect(call, f"folds {t} time steps into the batch", 0.8))
    return True


# -- from the numbers only -------------------------------------------------------------------


def _hypotheses(r: Reasoning, n: int, m: int) -> None:
    """The usual causes, ranked by what the two numbers allow."""
    causes: list[str] = []
    if n > m and n % m == 0:
        k = n // m
        root = integer_sqrt(k)
        r.steps.append(f"{fmt(n)} = {fmt(m)} × {k}: every target has {k} rows of predictions.")
        flat = (
            f"a view(-1, F) before the classifier with F {k}× smaller than the real features "
            f"per sample (each sample was cut into {k} rows)"
        )
        if root and root > 1:
            flat += (
                f"; {k} = {root}² fits a feature map {root}× larger per side than the "
                "size written in the view"
            )
        causes.append(flat)
        causes.append(
            f"sequence scores [N, T, C] flattened to [N·T, C] (T = {k}) against "
            "targets with one label per sequence [N]"
        )
        r.values["fix_text"] = (
            "Flatten per sample with torch.flatten(x, 1) (or x.view(x.size(0), -1)); "
            "for sequences, flatten scores and targets together."
        )
    elif m > n and m % n == 0:
        k = m // n
        r.steps.append(f"{fmt(m)} = {fmt(n)} × {k}: there are {k} targets per row of predictions.")
        causes.append(
            f"targets [N, T] flattened to N·T = {fmt(m)} (T = {k}) while the scores "
            "kept one row per sequence"
        )
        causes.append(
            f"a view(-1, F) with F {k}× larger than the real features per sample "
            f"(the features of {k} samples packed into one row)"
        )
        r.values["fix_text"] = (
            "Give the scores and the targets the same rows: reshape(-1, C) the "
            "scores when the targets are flattened, or flatten per sample."
        )
    else:
        r.steps.append(
            f"{fmt(n)} / {fmt(m)} = {n / m:.4g}: not a whole number, so the predictions are not a "
            "reshape of whole samples."
        )
        causes.append(
            "predictions and labels taken from different batches or lists (a filter "
            "that drops samples on one side, labels of another split)"
        )
        flat = (
            f"a view(-1, F) before the classifier where each sample really has "
            f"{n / m:.4g} × F features (a view mixes samples when F is not the "
            "per-sample size)"
        )
        g = math.gcd(n, m)
        p, q = n // g, m // g
        rp, rq = integer_sqrt(p), integer_sqrt(q)
        if rp and rq and rp > 1:
            r.steps.append(
                f"{fmt(n)} / {fmt(m)} = {p}/{q} = ({rp}/{rq})²: with a view(-1, C·H·W) that is a "
                f"feature map {rp / rq:.4g}× {'larger' if p > q else 'smaller'} per side than the "
                f"size written in the view (e.g. {16 * rp // rq if 16 * rp % rq == 0 else rp}×"
                f"{16 * rp // rq if 16 * rp % rq == 0 else rp} where it assumed "
                f"{16 if 16 * rp % rq == 0 else rq}×{16 if 16 * rp % rq == 0 else rq})."
            )
            flat += f"; {p}/{q} = ({rp}/{rq})² fits a map {rp / rq:.4g}× per side"
            causes.insert(0, flat)
        else:
            causes.append(flat)
        if n > m:
            causes.append(
                "sequence scores [N, T, C] reshaped with reshape(-1, C) while the targets "
                "[N, T] were not flattened with the same lengths (padding removed on one side)"
            )
        else:
            causes.append(
                "targets [N, T] flattened with view(-1) while the scores were not reshaped "
                "to [N·T, C] (or lengths trimmed differently)"
            )
        if max(n, m) > 256:
            causes.append(
                "sequences flattened to tokens with different total lengths "
                "(padding or truncation on one side only)"
            )
        r.values["fix_text"] = (
            "Print output.shape and target.shape before the loss and trace "
            "back the first one that is not [batch, ...]."
        )
    if n > m and n % 8 == 0:
        causes.append(
            f"a batch size of {n} hard-coded in the model (view({n}, -1), a hidden state "
            f"built for {n}) while this batch, often the last one, has {m}"
        )
    elif m > n:
        causes.append(
            "if it fails only at the end of an epoch: the last, incomplete batch meets a size "
            "fixed in the model (use x.size(0), or DataLoader(drop_last=True))"
        )
    r.values["cause_text"] = (
        "Usual causes: " + "; ".join(f"({i}) {c}" for i, c in enumerate(causes, start=1)) + "."
    )
    r.fix_code = (
        "print(outputs.shape, targets.shape)   # must be [N, C] and [N]\n"
        "x = torch.flatten(x, 1)               # instead of x.view(-1, C * H * W)\n"
        "loss = criterion(logits.reshape(-1, num_classes), targets.reshape(-1))   # sequences"
    )


# -- nll_loss's own batch check -----------------------------------------------------------------


def nll_size(ctx: Context) -> Reasoning:
    """`size mismatch (got input: [10], target: [256])` (nll_loss's batch check: releases that
    let a 1-D input reach it, the decompositions of torch.compile) and `For 1D input, 1D target
    must have size 1, but got target size: 256` (its current form for a 1-D input)."""
    inp = ctx.get("input_shape")
    tgt = ctx.get("target_shape")
    m = tgt[0] if isinstance(tgt, Shape) and len(tgt) == 1 else ctx.get("target_batch")
    if isinstance(tgt, Shape) and len(tgt) != 1:
        raise Decline("not a 1-D target: the spatial or multi-target checks")
    if not isinstance(m, int):
        raise Decline("no target size")
    if isinstance(inp, Shape) and len(inp) == 2:
        n = inp[0]
        if n == m:
            raise Decline("the batches agree")
        ctx.numbers.update(input_batch=n, target_batch=m)
        r = batch_size(ctx)
        r.numbers.update(input_batch=n, target_batch=m)
        r.values["headline"] = (
            f"an input with batch size {fmt(n)} but a target with batch size {fmt(m)} "
            f"({r.values['ratio']})"
        )
        return r
    if isinstance(inp, Shape) and len(inp) != 1:
        raise Decline("a 0-D or spatial input: another check")
    if m == 1:
        raise Decline("a single target fits a single sample")
    return _unbatched_input(ctx, inp if isinstance(inp, Shape) else None, m)


def _unbatched_input(ctx: Context, inp: Shape | None, m: int) -> Reasoning:
    from explainer.arithmetic.loss import find_loss_call
    from explainer.arithmetic.tensor_trace import file_tree, last_assignment

    r = Reasoning()
    r.numbers["target_batch"] = m
    scores = (
        f"one unbatched row of {fmt(inp[0])} class scores (a 1-D input {inp})"
        if inp
        else "a 1-D input (one unbatched row of class scores)"
    )
    r.values["headline"] = f"{scores} but {fmt(m)} target labels"
    r.steps.append(
        "CrossEntropyLoss / NLLLoss read a 1-D input as the class scores of ONE sample ([C]), "
        "so the target must be one class index (0-D, or a single label); batches are [N, C] "
        "scores against [N] labels."
    )
    r.steps.append(
        f"The target holds {fmt(m)} labels, a whole batch, so the input lost its batch "
        "dimension: the model's [N, C] output was indexed ([0] takes the first sample's "
        "scores), squeezed or reduced before the loss."
        + (f" Here [N, C] would be [{m}, {inp[0]}]." if inp else "")
    )
    r.values["cause_text"] = (
        f"The input is the scores of a single sample while the target is a batch of {fmt(m)} "
        "labels: the batch dimension of the predictions was dropped on the way to the loss. "
        "`logits = model(x)[0]` is the usual culprit (it picks the first sample when the model "
        "returns a tensor; only models returning a tuple or a ModelOutput put the logits at "
        "[0]), as are a squeeze() or a reduction over dim 0."
    )
    r.values["fix_text"] = (
        "Pass the [N, C] scores of the whole batch: drop the [0] (or the squeeze/reduction) "
        "that removed the batch dimension"
    )
    r.fix_values["input_ndim"] = 2
    r.fix_code = (
        "logits = model(x)              # [N, C]: keep the batch dimension, no [0]\n"
        "loss = criterion(logits, y)    # y: [N] class indices"
    )
    lc = find_loss_call(ctx) if ctx.source.files() else None
    if lc is None or lc.input is None:
        return r
    r.suspects.append(lc.suspect("receives one sample's scores and a batch of labels", 0.5))
    node: ast.AST | None = lc.input
    stmt: ast.AST | None = None
    if isinstance(node, ast.Name):
        tree = file_tree(ctx.source, lc.frame.file)
        found = last_assignment(tree, node.id, lc.frame.line or 0) if tree else None
        if found:
            stmt, node = found
    if isinstance(node, ast.Subscript) and ast.unparse(node.slice) in ("0", "-1"):
        line = getattr(stmt, "lineno", lc.frame.line or 0)
        code = lc.tracer.code(line)
        r.suspects.insert(
            0,
            Suspect(
                lc.frame.file,
                line,
                code,
                f"{ast.unparse(node)} takes one sample's scores out of the batch",
                0.85,
            ),
        )
        whole = ast.unparse(node.value)
        r.fix_code = (
            f"{code.replace(ast.unparse(node), whole, 1)}   # [N, C], was: {code.strip()}"
            if ast.unparse(node) in code
            else r.fix_code
        )
    return r
