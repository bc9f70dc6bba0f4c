"""RNN / LSTM / GRU and their cells: input_size against input.size(-1), the input's rank,
batch_first, and the hidden state [num_layers * num_directions, N, hidden_size] (proj_size for an
LSTM's h), which keeps the batch in dim 1 even when batch_first=True."""

from __future__ import annotations

import re

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.shapes import Shape, fmt
from explainer.arithmetic.suspects import (
    arg_expr,
    arg_int,
    call_suspect,
    calls_with_arg,
    frame_suspect,
    replace_arg,
)
from explainer.model import Suspect
from explainer.source import Call

RNNS = ("LSTM", "GRU", "RNN")
CELLS = ("LSTMCell", "GRUCell", "RNNCell")
# Calls that typically build an initial hidden state.
STATE_BUILDERS = ("zeros", "randn", "ones", "empty", "rand", "new_zeros", "zeros_like", "full")


def _flag(call: Call, name: str) -> bool:
    return "True" in (call.kwargs.get(name) or "")


def _rnn_layers(ctx: Context, names: tuple[str, ...] = RNNS) -> list[Call]:
    return [
        c
        for c in ctx.source.calls(*names)
        if c.func.split(".")[0] in ("nn", "torch") or c.func in names
    ]


# -- input ----------------------------------------------------------------------------------


def input_size(ctx: Context) -> Reasoning:
    """`input.size(-1) must be equal to input_size. Expected E, got G` (and the cells' wording)."""
    expected = ctx.need_int("expected")
    got = ctx.need_int("got")
    cell = "inconsistent" in ctx.message
    names = CELLS if cell else RNNS
    r = Reasoning()
    r.values.update(expected=expected, got=got, kind="cell" if cell else "layer")
    dim = "dim 1 of [N, input_size]" if cell else "the last dim of [L, N, H_in] / [N, L, H_in]"
    r.steps.append(
        f"The {'cell' if cell else 'recurrent layer'} was built with input_size={fmt(expected)}; "
        f"the features of each time step are {dim}, and they are {fmt(got)} here."
    )
    layers = calls_with_arg(ctx.source, names, 0, "input_size", expected)
    layer = layers[0] if layers else None
    if expected == 1 and got > 1 and not cell:
        return _missing_feature_dim(ctx, r, got, layer)
    bidir = _bidirectional_source(ctx, got)
    if bidir is not None:
        hidden = arg_int(ctx.source, bidir, 1, "hidden_size")
        r.steps.append(
            f"{fmt(got)} = 2 × {hidden}: the output of the bidirectional {bidir.name} "
            f"({bidir.code}) concatenates both directions."
        )
        r.suspects.append(
            call_suspect(
                bidir, f"bidirectional: its output has 2 × {hidden} = {fmt(got)} features", 0.7
            )
        )
    r.values["fix_hint"] = (
        f"Build it with input_size={fmt(got)}, or make the input's last dim {fmt(expected)}."
    )
    r.fix_values["input_size"] = got
    if layer is not None:
        r.suspects.append(
            call_suspect(
                layer,
                f"built with input_size={fmt(expected)}; the input has {fmt(got)} features",
                0.9,
            )
        )
        r.fix_code = f"{replace_arg(layer.code, layer, 0, str(got))}   # was: {layer.code}"
    else:
        r.fix_code = f"nn.LSTM(input_size={got}, hidden_size=...)   # = input.size(-1)"
    if not cell:
        r.notes.append(
            "If the input is [N, L, features] check batch_first=True; if its features are not "
            "last (e.g. [N, features, L]), permute(0, 2, 1) it first."
        )
    return r


def _missing_feature_dim(ctx: Context, r: Reasoning, got: int, layer: Call | None) -> Reasoning:
    """LSTM(1, H) fed [N, L]: a 2-D input is read as one unbatched sequence of L features."""
    r.steps.append(
        "input_size=1 means one value per time step; a 2-D input [N, L] is read as a single "
        f"unbatched sequence whose steps have {fmt(got)} features, so the last dim is {fmt(got)}."
    )
    r.values["fix_hint"] = (
        "Add the feature dim: x.unsqueeze(-1) turns [N, L] into [N, L, 1] (with batch_first=True)."
    )
    r.fix_values["unsqueeze"] = -1
    r.fix_code = "x = x.unsqueeze(-1)   # [N, L] -> [N, L, 1]: one feature per time step"
    where = ctx.where
    r.suspects += frame_suspect(where, "passes a 2-D [N, L] series without its feature dim", 0.8)
    if layer is not None:
        r.suspects.append(call_suspect(layer, "input_size=1: one value per time step", 0.5))
    return r


def _bidirectional_source(ctx: Context, got: int) -> Call | None:
    for call in _rnn_layers(ctx):
        hidden = arg_int(ctx.source, call, 1, "hidden_size")
        if _flag(call, "bidirectional") and hidden and 2 * hidden == got:
            return call
    return None


def input_rank(ctx: Context) -> Reasoning:
    """`LSTM: Expected input to be 2D or 3D, got 4D instead` / old `input must have 3 dimensions,
    got 4`."""
    got = ctx.need_int("got")
    mode = str(ctx.get("mode") or "RNN")
    old_need = ctx.get("need")
    r = Reasoning()
    r.values.update(mode=mode, got=got, got_text=f"a {got}-dimensional tensor")
    if isinstance(old_need, int):
        r.values["allowed"] = f"{old_need}D"
        buggy = "torch 1.11 and the releases until pytorch/pytorch#87442 (late 2022)"
        r.steps.append(
            f"This release's {mode} takes exactly {old_need}-D input ([L, N, H_in], or "
            f"[N, L, H_in] with batch_first=True; 2-D when packed); the message says {got}-D."
        )
        if old_need == 3 and got in (2, 5):
            # 1.11 until the fix add a batch dim to any input that is not 3-D before this check.
            real = got - 1
            r.steps.append(
                f"Do not take 'got {got}' at face value: {buggy} unsqueeze a batch dimension into "
                "every input that is not 3-D before this check, so they report one dimension "
                f"too many (pytorch/pytorch#86576): there 'got {got}' means a "
                f"{real}-D input. Releases up to 1.10 report the real count; print x.shape "
                "before the layer to know which."
            )
        if old_need == 3 and got == 5:
            # A 5-D input is rare; a 4-D one (a CNN map) reported as 5 is the usual reading.
            r.values["got_text"] = (
                "a 5-D tensor by this message, more likely a 4-D one: releases from 1.11 "
                "until late 2022 count one dimension too many"
            )
            r.notes.append(
                f"'got 5' is one too many in {buggy}, pytorch/pytorch#86576: the input is "
                "probably 4-D"
            )
    else:
        r.values["allowed"] = "2D or 3D"
        r.steps.append(
            f"{mode} takes [L, H_in] (one unbatched sequence) or [L, N, H_in] / [N, L, H_in] "
            f"(batch_first=True); the input is {got}-D."
        )
    if got >= 4:
        hint = (
            "The input still has image-like dims ([N, C, H, W] from a CNN, or an extra singleton "
            "dim): collapse it to [N, L, features], e.g. x.permute(0, 3, 1, 2).flatten(2) to read "
            "the width as time, or x.squeeze(…) for a stray dim of 1."
        )
        r.fix_values["ndim"] = 3
    elif got == 2 and isinstance(old_need, int) and old_need == 3:
        hint = (
            "Up to 1.10 this is a 2-D input without its batch dim: x.unsqueeze(1) (or "
            "unsqueeze(0) with batch_first). From 1.11 until pytorch/pytorch#87442 it is a 1-D "
            "input, a single vector: give it [L, features] first (x.unsqueeze(-1))."
        )
        r.fix_values["unsqueeze"] = 1
    elif got == 1:
        hint = "A 1-D vector is not a sequence: give it [L, features] (x.unsqueeze(-1)) or a batch."
        r.fix_values["unsqueeze"] = -1
    else:
        hint = "Reshape the input to [N, L, features] with batch_first=True."
    r.values["fix_hint"] = hint
    r.suspects += frame_suspect(ctx.where, f"passes a {got}-D tensor to the {mode}", 0.6)
    for layer in _rnn_layers(ctx)[:1]:
        r.suspects.append(call_suspect(layer, f"the {layer.name} that receives the input", 0.4))
    return r


def cell_rank(ctx: Context) -> Reasoning:
    """`LSTMCell: Expected input to be 1D or 2D, got 3D instead` (also `hidden`)."""
    got = ctx.need_int("got")
    cell = str(ctx.get("cell") or "RNNCell")
    what = str(ctx.get("what") or "input")
    r = Reasoning()
    r.values.update(cell=cell, got=got, what=what)
    r.steps.append(
        f"{cell} processes ONE time step: its {what} is [N, features] (or [features] unbatched); "
        f"a {got}-D {what} is a whole sequence or has an extra dim."
    )
    if what == "input" and got == 3:
        r.values["fix_hint"] = (
            "Loop over the time steps (for x_t in x.unbind(1) with [N, L, H_in]) and call the "
            f"cell on each, or use nn.{cell.replace('Cell', '')} for the whole sequence."
        )
        r.fix_values["layer"] = cell.replace("Cell", "")
    else:
        r.values["fix_hint"] = f"Give the {what} the shape [N, features]."
    r.suspects += frame_suspect(ctx.where, f"passes a {got}-D {what} to the {cell}", 0.6)
    return r


# -- hidden state ---------------------------------------------------------------------------


def hidden_size(ctx: Context) -> Reasoning:
    """`Expected hidden[0] size (L*D, N, H), got [a, b, c]`: dim by dim, which part is wrong."""
    expected = ctx.need_shape("expected")
    got = ctx.need_shape("got")
    index = ctx.get("hidden_index")
    which = f"[{index}]" if isinstance(index, int) else ""
    if len(expected) not in (2, 3):
        raise Decline("not a hidden-state shape")
    r = Reasoning()
    state = {"[0]": "h0", "[1]": "c0"}.get(which, "h0")
    r.values.update(state=state, expected_shape=expected, got_shape=got)
    r.fix_values["hidden_shape"] = list(expected)
    layer = _the_rnn(ctx, expected)
    batched = len(expected) == 3
    layout = (
        "[num_layers × num_directions, N, hidden_size]"
        if batched
        else ("[num_layers × num_directions, hidden_size]")
    )
    r.steps.append(
        f"The initial {state} must be {layout} = {expected}"
        + (
            " even with batch_first=True: only the input and output put the batch first."
            if batched
            else " for an unbatched input."
        )
    )
    if len(got) != len(expected):
        r.values["cause"] = f"{state} has {len(got)} dims, the RNN expects {len(expected)}"
        r.values["fix_hint"] = f"Build {state} as {layout}."
        _state_suspects(ctx, r, got, 0.8)
        return r
    diffs = [i for i, (a, b) in enumerate(zip(expected, got, strict=True)) if a != b]
    if not diffs:
        raise Decline("shapes equal")
    causes: list[str] = []
    if batched and got[0] == expected[1] and got[1] == expected[0] and set(diffs) == {0, 1}:
        causes.append(
            f"{state} is {got}: its first two dims are swapped, batch first "
            f"({fmt(got[0])}) then layers ({fmt(got[1])})"
        )
        r.steps.append(
            f"{got} = [N, L·D, H] while the RNN wants [L·D, N, H] = {expected}: {state} was built "
            "batch-first; build it as torch.zeros(num_layers * num_directions, N, hidden_size)."
        )
        r.fix_values["permute"] = [1, 0, 2]
    elif batched and _permutation(got, expected):
        order = _permutation(got, expected) or []
        names = ["L·D", "N", "H"]
        built = [names[i] for i in order]
        causes.append(
            f"{state} has the right sizes in the wrong order: it is laid out as "
            f"[{', '.join(built)}] instead of [L·D, N, H]"
        )
        r.steps.append(
            f"{got} holds the same sizes as {expected} in another order: {state}.permute"
            f"{tuple(order)} gives {expected}, but build it as [L·D, N, H] in the first place."
        )
        r.fix_values["permute"] = order
    elif batched and _encoder_sequence(got, expected):
        causes.append(_sequence_cause(ctx, r, got, expected, state))
    else:
        if 0 in diffs:
            causes.append(_layers_cause(ctx, r, layer, expected[0], got[0], state))
        if batched and 1 in diffs:
            causes.append(_batch_cause(ctx, r, layer, expected[1], got[1], state))
        last = len(expected) - 1
        if last in diffs:
            causes.append(_hidden_cause(ctx, r, layer, expected[last], got[last], state, which))
    r.values["cause"] = "; ".join(c for c in causes if c)
    r.values["fix_hint"] = r.values.get("fix_hint") or (
        f"Build {state} from the RNN and the batch: "
        f"torch.zeros(num_layers * num_directions, x.size(0 if batch_first else 1), hidden_size)."
    )
    if not any(s.score >= 0.8 for s in r.suspects):
        _state_suspects(ctx, r, got, 0.8)
    r.fix_code = r.values.get("sequence_fix") or (
        f"{state} = torch.zeros({expected[0]}, {'batch, ' if batched else ''}{expected[-1]})"
        f"   # {expected}: [num_layers * num_directions, N, hidden_size]"
    ) + str(r.values.get("projection", ""))
    if r.fix_values.get("build_in_forward") and batched:
        r.fix_code = (
            "# inside the model's forward(): each DataParallel replica builds its own state\n"
            f"{state} = torch.zeros({expected[0]}, x.size(0), {expected[-1]}, device=x.device)"
            "   # x: [N, T, F], batch_first=True\n"
            "out, h = self.rnn(x, " + state + ")"
        )
    return r


def _encoder_sequence(got: Shape, expected: Shape) -> bool:
    """[N, T, F] passed as the state: dim 0 is this batch, dim 1 a token count (neither the
    layers nor the batch), so it is an encoder's per-token output, not a state."""
    return (
        got[0] == expected[1]
        and got[0] != expected[0]
        and got[1] not in (expected[0], expected[1])
        and got[1] > 4
    )


def _sequence_cause(ctx: Context, r: Reasoning, got: Shape, expected: Shape, state: str) -> str:
    n, t, f = got
    where = ctx.where
    m = re.search(r"\(\s*[^,()]+,\s*\(?\s*([A-Za-z_][\w.]*)", (where.code or "") if where else "")
    enc = m.group(1) if m else "enc"
    layers, hidden = expected[0], expected[2]
    r.steps.append(
        f"{got} reads as [N, T, F]: the batch of {fmt(n)} in dim 0 (the RNN's batch), "
        f"{fmt(t)} steps or tokens, {fmt(f)} features each. That is the per-token output of "
        "an encoder (a BERT/Transformer last_hidden_state, an RNN's output sequence), not a "
        f"state: {state} holds one vector per sequence and layer, [L·D, N, H] = {expected}."
    )
    pooled = f"{enc}[:, 0]"
    project = f"bridge({pooled})" if f != hidden else pooled
    expand = f".unsqueeze(0).repeat({layers}, 1, 1)" if layers > 1 else ".unsqueeze(0)"
    if f != hidden:
        r.steps.append(
            f"One vector per sequence ({pooled}: the first, [CLS], token; or {enc}.mean(1)) is "
            f"[{n}, {fmt(f)}]; nn.Linear({f}, {hidden}) maps it to the RNN's hidden_size, and "
            f"{expand} adds the layer dim: {expected}."
        )
    r.fix_values["reduce_tokens"] = True
    r.values["fix_hint"] = (
        f"Reduce the encoder output to one vector per sequence (its [CLS] token or the mean "
        f"over the {t} tokens)"
        + (f", project {f} → {hidden}" if f != hidden else "")
        + f" and add the layer dim: {expected}. Pass the token states to attention instead."
    )
    r.values["sequence_fix"] = (
        f"{state} = {project}{expand}   # [{n}, {t}, {f}] → {expected}"
        + (f"\n# bridge = nn.Linear({f}, {hidden}), created in __init__" if f != hidden else "")
        + f"\n# the per-token states ({enc}) are what attention over the source reads"
    )
    return (
        f"{state} is [N, T, F] = {got}, an encoder's per-token output (batch {n}, {t} tokens, "
        f"{f} features), not an initial state: reduce it to one vector per sequence"
        + (f" and project it to hidden_size {hidden}" if f != hidden else "")
    )


def _permutation(got: Shape, expected: Shape) -> list[int] | None:
    """The dims order p with got.permute(p) == expected, when the sizes are distinct."""
    if sorted(got) != sorted(expected) or len(set(got)) != len(got) or got == expected:
        return None
    return [list(got).index(size) for size in expected]


def _the_rnn(ctx: Context, expected: Shape) -> Call | None:
    """The RNN whose hidden_size (or proj_size) is the expected last dim."""
    want = expected[-1]
    for call in _rnn_layers(ctx):
        if want in (
            arg_int(ctx.source, call, 1, "hidden_size"),
            arg_int(ctx.source, call, 99, "proj_size"),
        ):
            return call
    layers = _rnn_layers(ctx)
    return layers[0] if len(layers) == 1 else None


def _layer_config(ctx: Context, layer: Call | None) -> tuple[int | None, bool]:
    if layer is None:
        return None, False
    layers = arg_int(ctx.source, layer, 2, "num_layers")
    if layers is None and arg_expr(layer, 2, "num_layers") is None:
        layers = 1
    return layers, _flag(layer, "bidirectional")


def _layers_cause(
    ctx: Context, r: Reasoning, layer: Call | None, want: int, got: int, state: str
) -> str:
    layers, bidir = _layer_config(ctx, layer)
    if layers is not None:
        dirs = 2 if bidir else 1
        r.steps.append(
            f"Dim 0: num_layers × num_directions = {layers} × {dirs} = {layers * dirs}"
            + (f" ({layer.code})" if layer else "")
            + f"; {state} has {fmt(got)}."
        )
    else:
        r.steps.append(
            f"Dim 0: the RNN has num_layers × num_directions = {fmt(want)}; {state} has {fmt(got)}."
        )
    r.fix_values["num_layers_x_directions"] = want
    if layers is None:
        return (
            f"{state} covers {got} layer slice(s) but the RNN has num_layers × num_directions = "
            f"{want} (num_layers={want}, or bidirectional=True"
            + (f" with num_layers={want // 2}" if want % 2 == 0 else "")
            + "); build the state with num_layers * num_directions"
        )
    return f"{state} was built for {got} layer slice(s) but the RNN has {want}"


def _batch_cause(
    ctx: Context, r: Reasoning, layer: Call | None, want: int, got: int, state: str
) -> str:
    r.steps.append(
        f"Dim 1: the batch the RNN sees is {fmt(want)} (dim {'0' if _batch_first(layer) else '1'} "
        f"of its input); {state} was built for {fmt(got)}."
    )
    if layer is not None and not _batch_first(layer) and _state_uses_dim0(ctx):
        r.steps.append(
            f"Without batch_first=True the RNN reads dim 1 of [N, L, H_in] as the batch: "
            f"{fmt(want)} is the sequence length, and {fmt(got)} (x.size(0)) the real batch."
        )
        r.fix_values["batch_first"] = True
        r.values["fix_hint"] = "Build the RNN with batch_first=True for [N, L, H_in] inputs."
        r.suspects.append(
            call_suspect(
                layer,
                "no batch_first=True: dim 1 of the [N, L, H_in] input is read as the batch",
                0.9,
            )
        )
        return f"the RNN reads the sequence length ({fmt(want)}) as the batch"
    if _multi_gpu(ctx) and got and (want % got == 0 or got % want == 0):
        k = max(want, got) // min(want, got)
        r.steps.append(
            f"{fmt(max(want, got))} = {k} × {fmt(min(want, got))}: one GPU's share. "
            "nn.DataParallel splits every tensor argument along dim 0, but the hidden state has "
            "its batch on dim 1 (and a time-first input has it on dim 1 too), so the replicas "
            "get the batch cut on one tensor and not on the other."
        )
        r.fix_values["batch"] = want
        r.fix_values["build_in_forward"] = True
        r.values["fix_hint"] = (
            f"Create {state} inside forward() from the input each replica receives "
            f"(torch.zeros(L·D, x.size(0), H, device=x.device) with batch_first=True), instead "
            "of passing it in; or pass it batch-first and transpose it inside forward()."
        )
        return (
            f"under nn.DataParallel the batch is split over {k} GPUs along dim 0, which is not "
            f"{state}'s batch dim: one replica sees a batch of {fmt(want)} with a {state} for "
            f"{fmt(got)}"
        )
    r.fix_values["batch"] = want
    return (
        f"{state} was built for a batch of {fmt(got)} but this batch has {fmt(want)}: a "
        "smaller last batch (drop_last=True), a fixed batch size, or a state carried over "
        "from the previous batch; build it from x.size()"
    )


def _multi_gpu(ctx: Context) -> bool:
    """The traceback or the prose says DataParallel / several GPUs."""
    text = ctx.parsed.text + " " + " ".join(f.file for f in ctx.parsed.all_frames)
    return bool(
        re.search(
            r"DataParallel|data_parallel\.py|parallel_apply|multi[- ]?GPU|multiple\s+GPUs",
            text,
            re.I,
        )
    )


def _batch_first(layer: Call | None) -> bool:
    return bool(layer is not None and _flag(layer, "batch_first"))


def _state_uses_dim0(ctx: Context) -> bool:
    return any(
        re.search(r"\.size\(0\)|\.shape\[0\]", " ".join(c.args))
        for c in ctx.source.calls(*STATE_BUILDERS)
    )


def _hidden_cause(
    ctx: Context, r: Reasoning, layer: Call | None, want: int, got: int, state: str, which: str
) -> str:
    proj = arg_int(ctx.source, layer, 99, "proj_size") if layer is not None else None
    size_name = "proj_size" if proj and which == "[0]" and want == proj else "hidden_size"
    r.steps.append(f"Last dim: {size_name} {fmt(want)}; {state} has {fmt(got)}.")
    r.fix_values["hidden_size"] = want
    if proj and which == "[0]" and want == proj:
        return (
            f"with proj_size={proj} an LSTM's h0 is [L·D, N, proj_size] ({proj}) while c0 "
            "keeps hidden_size"
        )
    if got == 2 * want:
        r.steps.append(
            f"{fmt(got)} = 2 × {fmt(want)}: both directions of a bidirectional encoder "
            "concatenated."
        )
        r.values["projection"] = (
            f"\n# a bidirectional encoder's final states: merge the directions first, e.g.\n"
            f"#     {state} = bridge(torch.cat([h[-2], h[-1]], dim=1)).unsqueeze(0)"
            f"   # bridge = nn.Linear({got}, {want})"
        )
        return (
            f"{state} has twice the hidden size ({fmt(got)} = 2 × {fmt(want)}): the final "
            "states of a bidirectional encoder, concatenated; sum the two directions or "
            f"project them with nn.Linear({got}, {want})"
        )
    return f"{state} was built with hidden size {fmt(got)}, the RNN has hidden_size={fmt(want)}"


def _state_suspects(ctx: Context, r: Reasoning, got: Shape, score: float) -> None:
    """The line that builds the initial state: a zeros/randn call with as many sizes as dims."""
    best: list[Suspect] = []
    for call in ctx.source.calls(*STATE_BUILDERS):
        sizes = call.args
        if len(sizes) == 1 and sizes[0].startswith(("(", "[")):
            sizes = [s for s in sizes[0].strip("()[]").split(",") if s.strip()]
        if len(sizes) != len(got) and not (call.name == "new_zeros" and len(sizes) == len(got)):
            continue
        values = [ctx.source.eval_int(s, call) for s in sizes]
        known = [v for v in values if v is not None]
        if any(v is not None and v != g for v, g in zip(values, got, strict=False)):
            continue
        bonus = 0.05 * len(known)
        best.append(call_suspect(call, f"builds the initial state with shape {got}", score + bonus))
    # An LSTM's h0 and c0 are often built by twin lines: keep the one the message names.
    first = str(r.values.get("state", "h0"))[0]
    named = [s for s in best if s.code.lstrip().lower().startswith(first)]
    if named and len(named) < len(best):
        best = named + [s for s in best if s not in named]
        best = [best[0]] + [
            Suspect(s.file, s.line, s.code, s.reason, s.score - 0.2) for s in best[1:]
        ]
    r.suspects.extend(best[:2])


def hidden_rank(ctx: Context) -> Reasoning:
    """`For unbatched 2-D input, hx and cx should also be 2-D but got (3-D, 3-D) tensors`."""
    kind = str(ctx.get("kind") or "")
    need = ctx.need_int("need")
    got = ctx.get("hx_dims", "hx_dim")
    r = Reasoning()
    r.values.update(need=need, got=got)
    if kind.startswith("unbatched"):
        r.steps.append(
            "A 2-D input is read as ONE unbatched sequence [L, H_in], so the states must be "
            "[num_layers × num_directions, hidden_size], without a batch dim."
        )
        r.values["fix_hint"] = (
            "If you meant a batch, give the input its batch dim (x.unsqueeze(1), or unsqueeze(0) "
            "with batch_first=True); otherwise drop the batch dim of h0/c0."
        )
        r.fix_values["unsqueeze"] = 0
    else:
        r.steps.append(
            "A 3-D input is a batch, so h0/c0 must be [num_layers × num_directions, N, "
            "hidden_size] — 3-D, with the batch in dim 1 even when batch_first=True."
        )
        r.values["fix_hint"] = "Give the states their layer dim: h0.unsqueeze(0) for one layer."
        r.fix_values["unsqueeze"] = 0
    r.suspects += frame_suspect(ctx.where, "passes states of the wrong rank", 0.6)
    return r


def cell_hidden_batch(ctx: Context) -> Reasoning:
    """`Input batch size 3 doesn't match hidden0 batch size 4` (an RNNCell / LSTMCell)."""
    batch = ctx.need_int("input_batch")
    hidden_batch = ctx.need_int("hidden_batch")
    k = ctx.get("k")
    r = Reasoning()
    state = {0: "h", 1: "c"}.get(k if isinstance(k, int) else 0, "h")
    r.values.update(state=state)
    r.steps.append(
        f"A cell's input is [N, input_size] and its {state} [N, hidden_size]: the input's batch is "
        f"{fmt(batch)}, the state's {fmt(hidden_batch)}."
    )
    r.fix_values["batch"] = batch
    r.values["cause_text"] = (
        f"The input batch is {fmt(batch)}, the state's {fmt(hidden_batch)}: the state was built "
        "for another batch size (a fixed batch, or the last smaller batch of an epoch). Build "
        "it from x.size(0)."
    )
    # Up to 1.4 LSTMCell checked hx[0] and hx[1] in Python ('hidden[0]'): given a single tensor
    # h instead of the tuple (h, c), hx[0] is h's first row, whose size(0) is hidden_size.
    bracket = "hidden[0]" in ctx.message or "hidden[1]" in ctx.message
    cells = ctx.source.calls("LSTMCell")
    sizes = {arg_int(ctx.source, c, 1, "hidden_size") for c in cells}
    r.values["fix_text"] = (
        "Build the state with the input's batch size: torch.zeros(x.size(0), hidden_size)."
    )
    guess = not cells and hidden_batch > batch and hidden_batch >= 32
    if bracket and (hidden_batch in sizes or guess):
        known = hidden_batch in sizes
        r.steps.append(
            f"LSTMCell takes its state as a tuple (h, c). Given one tensor h of [N, "
            f"hidden_size], these releases read hx[0] = h[0], one row of hidden_size values, "
            f"and report its length as the batch: {fmt(hidden_batch)}"
            + (" is the cell's hidden_size." if known else " would then be the hidden_size.")
        )
        reading = (
            f"The cell's hidden_size is {fmt(hidden_batch)}: the state was passed as a single "
            "tensor h instead of the tuple (h, c), and the cell took h[0] for its h."
            if known
            else f"If the cell's hidden_size is {fmt(hidden_batch)}, the state was passed as a "
            "single tensor h instead of the tuple (h, c) and the cell took h[0] for its h. "
            f"Otherwise the state was built for a batch of {fmt(hidden_batch)} (a fixed batch, "
            "or the last smaller batch of an epoch): build it from x.size(0)."
        )
        r.values["cause_text"] = reading
        r.values["fix_text"] = "Pass LSTMCell's state as the tuple (h, c)" + (
            "."
            if known
            else "; if it already is, build it with torch.zeros(x.size(0), hidden_size)."
        )
        r.fix_values["state_tuple"] = True
        r.fix_code = (
            "h, c = cell(x, (h, c))   # the state is the tuple (h, c), each [N, hidden_size]\n"
            "# and when it really is a batch issue: h = torch.zeros(x.size(0), hidden_size)"
        )
        r.suspects += frame_suspect(ctx.where, "passes the LSTMCell state; it must be (h, c)", 0.6)
        return r
    for call in ctx.source.calls(*STATE_BUILDERS):
        if call.args and ctx.source.eval_int(call.args[0], call) == hidden_batch:
            r.suspects.append(
                call_suspect(call, f"builds the state for a batch of {hidden_batch}", 0.8)
            )
            break
    r.suspects += frame_suspect(ctx.where, "the cell call", 0.4)
    return r


def device(ctx: Context) -> Reasoning:
    """`Input and parameter tensors are not at the same device, found input tensor at cpu and
    parameter tensor at cuda:0`."""
    input_dev = str(ctx.get("input_device") or "")
    param_dev = str(ctx.get("param_device") or "")
    if not input_dev or not param_dev:
        raise Decline("devices missing")
    r = Reasoning()
    r.steps.append(
        f"The RNN's weights live on {param_dev}, the input (or h0/c0) on {input_dev}: cuDNN and "
        "the CPU kernels need both on one device."
    )
    r.fix_values["device"] = param_dev
    r.suspects += frame_suspect(ctx.where, f"the input here is still on {input_dev}", 0.6)
    for call in ctx.source.calls(*STATE_BUILDERS):
        if (
            "device" not in call.kwargs
            and call.target
            and re.search(r"h0|c0|hidden|state", call.target)
        ):
            r.suspects.append(
                call_suspect(
                    call,
                    f"builds a state on the default device "
                    f"(no device=), while the weights are on {param_dev}",
                    0.7,
                )
            )
            break
    return r


def cell_hidden_size(ctx: Context) -> Reasoning:
    """`hidden0 has inconsistent hidden_size: got 5, expected 20`."""
    got = ctx.need_int("got")
    expected = ctx.need_int("expected")
    r = Reasoning()
    k = ctx.get("k")
    state = {0: "h", 1: "c"}.get(k if isinstance(k, int) else 0, "h")
    r.values.update(state=state)
    r.steps.append(
        f"The cell was built with hidden_size={fmt(expected)}, so {state} must be "
        f"[N, {fmt(expected)}]; its last dim is {fmt(got)}."
    )
    r.fix_values["hidden_size"] = expected
    for call in ctx.source.calls(*STATE_BUILDERS):
        if any(ctx.source.eval_int(a, call) == got for a in call.args[1:2]):
            r.suspects.append(call_suspect(call, f"builds the state with {got} features", 0.8))
            break
    r.suspects += frame_suspect(ctx.where, "the cell call", 0.4)
    return r


# -- packing --------------------------------------------------------------------------------


def pack_lengths(ctx: Context) -> Reasoning:
    """`Expected len(lengths) to be equal to batch_size, but got 2 (batch_size=3)`."""
    n = ctx.need_int("lengths")
    batch = ctx.need_int("batch_size")
    r = Reasoning()
    r.steps.append(
        f"pack_padded_sequence reads the batch from dim 1 of [L, N, *] (dim 0 with "
        f"batch_first=True): {fmt(batch)}; lengths lists {fmt(n)} sequences."
    )
    calls = ctx.source.calls("pack_padded_sequence")
    call = calls[0] if calls else None
    if call is not None and "batch_first" not in call.kwargs:
        r.steps.append(
            "Without batch_first=True a [N, L, *] batch is read as [L, N, *]: the batch_size "
            f"({fmt(batch)}) is then the padded length."
        )
        r.fix_values["batch_first"] = True
        r.values["fix_hint"] = "Pass batch_first=True: the padded tensor is [N, L, *]."
        r.suspects.append(call_suspect(call, "no batch_first=True for a [N, L, *] tensor", 0.9))
    else:
        r.values["fix_hint"] = "Give one length per sequence of the batch."
        if call is not None:
            r.suspects.append(call_suspect(call, "lengths and batch disagree", 0.7))
    return r


def pad_total_length(ctx: Context) -> Reasoning:
    """`Expected total_length to be at least the length of the longest sequence in input`."""
    total = ctx.need_int("total_length")
    longest = ctx.need_int("max_length")
    r = Reasoning()
    r.steps.append(
        f"pad_packed_sequence pads every sequence to total_length={fmt(total)}, but the longest "
        f"packed sequence has {fmt(longest)} steps: {fmt(total)} < {fmt(longest)}."
    )
    r.fix_values["total_length"] = longest
    for call in ctx.source.calls("pad_packed_sequence")[:1]:
        r.suspects.append(
            call_suspect(call, f"total_length={total} is shorter than {longest}", 0.8)
        )
    return r


def pack_simple(ctx: Context) -> Reasoning:
    """Packing errors without numbers: point at the pack call."""
    r = Reasoning()
    for call in ctx.source.calls("pack_padded_sequence", "pack_sequence")[:1]:
        r.suspects.append(call_suspect(call, "the packing call", 0.7))
    r.suspects += frame_suspect(ctx.where, "where the sequences are packed", 0.4)
    return r
