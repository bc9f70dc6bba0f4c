"""Multi-head attention and scaled_dot_product_attention: embed_dim against the input, embed_dim
% num_heads, attn_mask (L, S) or (N * num_heads, L, S), key_padding_mask (N, S), batch_first
mix-ups (which surface as the internal view [S, N * heads, head_dim]) and SDPA's broadcasts."""

from __future__ import annotations

import re

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.shapes import Shape, fmt
from explainer.arithmetic.suspects import (
    arg_int,
    call_suspect,
    frame_suspect,
    replace_arg,
)
from explainer.model import Suspect
from explainer.source import Call

MHA = ("MultiheadAttention",)
TRANSFORMERS = (
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
    "Transformer",
)
ATTENTION = MHA + TRANSFORMERS


def _embed(ctx: Context, call: Call) -> int | None:
    for name in ("embed_dim", "d_model"):
        if name in call.kwargs:
            return ctx.source.eval_int(call.kwargs[name], call)
    return arg_int(ctx.source, call, 0, "embed_dim")


def _heads(ctx: Context, call: Call) -> int | None:
    for name in ("num_heads", "nhead"):
        if name in call.kwargs:
            return ctx.source.eval_int(call.kwargs[name], call)
    return arg_int(ctx.source, call, 1, "num_heads")


def _batch_first(call: Call) -> bool:
    return "True" in (call.kwargs.get("batch_first") or "")


def _attention_calls(ctx: Context) -> list[Call]:
    return ctx.source.calls(*ATTENTION)


def called_layer(ctx: Context, calls: list[Call]) -> Call | None:
    """Of these constructor calls, the one the traceback calls (`self.cross_attn(...)` in a user
    frame -> `self.cross_attn = nn.MultiheadAttention(...)`); else the only one."""
    for frame in reversed([f for f in ctx.parsed.all_frames if f.is_user]):
        for attr in re.findall(r"self\.(\w+)\s*\(", frame.code or ""):
            for call in calls:
                if call.target == f"self.{attr}":
                    return call
    return calls[0] if len(calls) == 1 else None


def with_batch_first(call: Call) -> str:
    """The constructor line with batch_first=True added."""
    code = call.code.split("#", 1)[0].rstrip()
    if code.endswith(")"):
        return f"{code[:-1].rstrip()}, batch_first=True)   # was: {call.code}"
    return f"{call.func}(..., batch_first=True)"


def _in_mha(ctx: Context) -> bool:
    frames = ctx.parsed.all_frames
    return any(
        f.function == "multi_head_attention_forward"
        or "bsz * num_heads" in (f.code or "")
        or (f.file.endswith("activation.py") and "multi_head_attention" in (f.code or ""))
        for f in frames
    )


def _in_sdpa(ctx: Context) -> bool:
    """Whether the innermost frame calls SDPA (a C++ op: no Python frame below it)."""
    block = ctx.block or ctx.parsed.error
    frames = block.frames if block else []
    return bool(frames) and "scaled_dot_product_attention" in (frames[-1].code or "")


# -- embed_dim and heads -------------------------------------------------------------------------


def embed_dim(ctx: Context) -> Reasoning:
    """`was expecting embedding dimension of E, but got G` (MultiheadAttention / Transformer)."""
    expected = ctx.need_int("expected")
    got = ctx.need_int("got")
    r = Reasoning()
    r.steps.append(
        f"MultiheadAttention(embed_dim={fmt(expected)}) projects queries of shape [L, N, "
        f"{fmt(expected)}] ([N, L, E] with batch_first=True): the LAST dim of the query is "
        f"{fmt(got)}."
    )
    layers = [c for c in _attention_calls(ctx) if _embed(ctx, c) == expected]
    r.fix_values["embed_dim"] = got
    r.values["fix_hint"] = (
        f"Build the attention with embed_dim (d_model)={fmt(got)}, or project the input to "
        f"{fmt(expected)} first (nn.Linear({got}, {expected}))."
    )
    if layers:
        layer = layers[0]
        r.suspects.append(
            call_suspect(
                layer,
                f"built with embed_dim={fmt(expected)}; the query's last dim is {fmt(got)}",
                0.85,
            )
        )
        r.fix_code = f"{replace_arg(layer.code, layer, 0, str(got))}   # was: {layer.code}"
    for producer in _producers(ctx, got)[:1]:
        r.suspects.append(
            call_suspect(producer, f"produces the {fmt(got)}-wide features fed to it", 0.6)
        )
    if r.fix_code is None:
        r.fix_code = (
            f"nn.MultiheadAttention({got}, num_heads)   # embed_dim = query.size(-1)\n"
            f"# or: x = nn.Linear({got}, {expected})(x) before the attention"
        )
    return r


def _producers(ctx: Context, size: int) -> list[Call]:
    out = []
    for call in ctx.source.calls("Linear", "Embedding", "Conv1d", "Conv2d"):
        expr = call.kwargs.get("out_features") or call.kwargs.get("embedding_dim")
        value = ctx.source.eval_int(expr, call) if expr else arg_int(ctx.source, call, 1, "_")
        if value == size:
            out.append(call)
    return out


def heads_divisible(ctx: Context) -> Reasoning:
    """`embed_dim must be divisible by num_heads`: the numbers come from the constructor."""
    r = Reasoning()
    embed, heads = ctx.get("embed_dim"), ctx.get("num_heads")
    if isinstance(embed, int) and isinstance(heads, int) and heads > 0 and embed % heads:
        best = max(h for h in range(1, heads + 1) if embed % h == 0)
        r.values["detail"] = (
            f"{fmt(embed)} / {heads} = {embed / heads:.4g} is not a whole head_dim. "
            f"num_heads={best} gives head_dim {embed // best}."
        )
        r.steps.append(
            f"Each of the {heads} heads gets embed_dim / num_heads features: {fmt(embed)} / "
            f"{heads} = {embed / heads:.4g}, not a whole number."
        )
        r.fix_values["num_heads"] = best
    for call in _attention_calls(ctx):
        embed, heads = _embed(ctx, call), _heads(ctx, call)
        if embed and heads and embed % heads:
            best = max(h for h in range(1, heads + 1) if embed % h == 0)
            r.values.update(embed=embed, heads=heads, best_heads=best)
            r.values["detail"] = (
                f"{call.name}({embed}, {heads}): {fmt(embed)} / {heads} = {embed / heads:.4g} is "
                f"not a whole head_dim. num_heads={best} gives head_dim {embed // best}."
            )
            r.steps.append(
                f"Each of the num_heads={heads} heads gets embed_dim / num_heads features: "
                f"{fmt(embed)} / {heads} = {embed / heads:.4g}, not a whole number."
            )
            r.steps.append(
                f"Head counts that divide {fmt(embed)} up to {heads}: "
                f"{', '.join(str(h) for h in range(1, heads + 1) if embed % h == 0)}."
            )
            r.fix_values["num_heads"] = best
            r.suspects.append(
                call_suspect(call, f"{embed} features cannot be split into {heads} heads", 0.9)
            )
            keyword = "nhead" if "nhead" in call.kwargs else "num_heads"
            fixed = replace_arg(call.code, call, 1, str(best), keyword)
            r.fix_code = f"{fixed}   # was: {call.code}"
            return r
    r.values.setdefault(
        "detail",
        "The embed_dim (d_model) passed is not a multiple of num_heads (nhead): each head gets "
        "embed_dim / num_heads features.",
    )
    r.suspects += frame_suspect(ctx.where, "builds the attention layer", 0.6)
    return r


# -- masks ----------------------------------------------------------------------------------------


def attn_mask_shape(ctx: Context) -> Reasoning:
    """`The shape of the 2D attn_mask is torch.Size([3, 3]), but should be (5, 5).`"""
    nd = ctx.get("nd")
    r = Reasoning()
    mask = ctx.get("mask_shape")
    expected = ctx.get("expected")
    if not isinstance(mask, Shape) or not isinstance(expected, Shape):
        return _old_mask_wording(ctx, r, nd)
    r.values.setdefault("nd", len(mask))
    r.fix_values["attn_mask_shape"] = list(expected)
    r.values["fix_summary"] = f"Build the mask as (L, S) or (N * num_heads, L, S) = {expected}."
    if len(expected) == 2:
        length, source_len = expected
        r.steps.append(
            f"A 2-D attn_mask is (L, S): one row per query position (L = {fmt(length)}) and one "
            f"column per key position (S = {fmt(source_len)}); the mask is {mask}."
        )
        hint = _mask_2d_hint(r, mask, length, source_len)
    else:
        bh, length, source_len = expected
        r.steps.append(
            f"A 3-D attn_mask is (N · num_heads, L, S) = ({fmt(bh)}, {fmt(length)}, "
            f"{fmt(source_len)}); the mask is {mask}."
        )
        hint = _mask_3d_hint(ctx, r, mask, bh, length, source_len)
    r.values["fix_hint"] = hint
    r.suspects += frame_suspect(ctx.where, "passes the attn_mask", 0.5)
    call = called_layer(ctx, _attention_calls(ctx))
    if call is not None:
        if not _batch_first(call):
            r.notes.append(
                f"{call.code}: without batch_first=True the inputs are read as [L, N, E]; for "
                "[N, L, E] tensors L and N are swapped in the expected mask shape."
            )
    return r


def _mask_2d_hint(r: Reasoning, mask: Shape, length: int, source_len: int) -> str:
    if len(mask) == 2 and tuple(mask) == (source_len, length):
        return "The mask is transposed: use attn_mask.T (rows are queries, columns keys)."
    if len(mask) == 2 and mask[0] == mask[1] and length == source_len:
        if mask[0] > length:
            r.fix_values["slice"] = length
            return (
                f"The mask was built for sequences of {fmt(mask[0])} but this batch has "
                f"{fmt(length)}: slice it, attn_mask[:{length}, :{length}], or build it from the "
                f"input (nn.Transformer.generate_square_subsequent_mask({length})). If "
                f"{fmt(length)} is your batch size, the module reads [N, L, E] input as [L, N, E]:"
                " set batch_first=True."
            )
        return (
            f"The mask was built for {fmt(mask[0])} positions, the sequence has {fmt(length)}: "
            f"build it from the input length (generate_square_subsequent_mask({length}))."
        )
    return f"Build the mask as ({length}, {source_len}): (query length, key length)."


def _mask_3d_hint(
    ctx: Context, r: Reasoning, mask: Shape, bh: int, length: int, source_len: int
) -> str:
    if (length, source_len) == (1, 1) and len(mask) == 3 and mask[1] > 1 and mask[2] > 1:
        return _length_one_queries(r, mask, bh)
    if len(mask) == 3 and mask[1:] == (length, source_len) and mask[0] and bh % mask[0] == 0:
        heads = bh // mask[0]
        r.steps.append(
            f"{fmt(bh)} = {fmt(mask[0])} × {heads}: the mask has one (L, S) slice per sample, "
            f"the module needs one per sample AND head ({heads} heads)."
        )
        r.fix_values["repeat_interleave"] = heads
        return (
            f"Repeat each sample's mask for the {heads} heads: "
            f"attn_mask.repeat_interleave({heads}, dim=0) gives ({fmt(bh)}, {fmt(length)}, "
            f"{fmt(source_len)})."
        )
    return (
        f"Build the mask as (N · num_heads, L, S) = ({fmt(bh)}, {fmt(length)}, "
        f"{fmt(source_len)}), or as a 2-D (L, S) mask shared by every sample and head."
    )


def _length_one_queries(r: Reasoning, mask: Shape, bh: int) -> str:
    """Expected (B, 1, 1): the query and key reached the attention with length 1, their
    positions folded into the batch; the mask is right, the inputs are not."""
    positions = mask[1]
    r.steps.append(
        f"(L, S) = (1, 1): the attention received queries and keys of length 1, while the mask "
        f"covers {fmt(mask[1])} × {fmt(mask[2])} positions."
    )
    if bh % positions == 0:
        r.steps.append(
            f"{fmt(bh)} = {fmt(bh // positions)} × {fmt(positions)}: the {fmt(positions)} "
            "positions ended up in the batch dimension (N · num_heads), each one a sequence of "
            "length 1."
        )
    r.fix_values.pop("attn_mask_shape", None)
    r.fix_values["query_length"] = positions
    r.values["fix_summary"] = (
        f"Give the attention sequences of {fmt(positions)} positions ([N, L, E] with "
        "batch_first=True, or [L, N, E] without): the inputs are malformed, not the mask."
    )
    r.fix_code = (
        f"print(query.shape, key.shape)   # L is 1 here: it must be the {positions} positions\n"
        f"# [N, {positions}, E] inputs need nn.MultiheadAttention(E, heads, batch_first=True);\n"
        "# check the reshape / unsqueeze / transpose that moved the time steps into the batch"
    )
    return (
        f"The query and key are malformed, not the mask: their sequence length is 1 and the "
        f"{fmt(positions)} time steps became samples (a transposed [L, N, E] / [N, L, E] "
        "layout, a missing batch_first=True, an unsqueeze in the wrong place). A mask built as "
        f"({fmt(bh)}, 1, 1) would silence the error but let every position attend only to "
        "itself."
    )


def _old_mask_wording(ctx: Context, r: Reasoning, nd: object) -> Reasoning:
    r.values["fix_summary"] = "Build the mask as (L, S) or (N * num_heads, L, S)."
    r.values["fix_hint"] = (
        "A 2-D mask must be (L, S) and a 3-D mask (N · num_heads, L, S): L the query length, S "
        "the key length (releases before 1.12 do not print the shapes)."
    )
    r.steps.append(f"The {nd}-D attn_mask has neither of the accepted shapes.")
    r.suspects += frame_suspect(ctx.where, "passes the attn_mask", 0.5)
    return r


def mask_rank(ctx: Context) -> Reasoning:
    """Wrong rank of query / key / value / masks in MultiheadAttention."""
    r = Reasoning()
    arg = str(ctx.get("arg") or "query")
    got = ctx.get("got", "key_dims")
    r.values.update(arg=arg, an_arg=("an " if arg[0] in "aeiou" else "a ") + arg)
    hints = {
        "attn_mask": "attn_mask is (L, S) or (N · num_heads, L, S): for a per-sample 4-D "
        "(N, heads, L, S) mask use mask.flatten(0, 1).",
        "key_padding_mask": "key_padding_mask is (N, S): True marks the padded keys.",
        "query": "query is [L, N, E] ([N, L, E] with batch_first=True) or [L, E] unbatched: "
        "merge the extra dims (e.g. flatten(1, 2) of a [N, H, W, E] map to [N, H·W, E]).",
        "key": "query, key and value must all be batched (3-D) or all unbatched (2-D).",
    }
    r.values["fix_hint"] = hints.get(arg, hints["key"])
    r.steps.append(f"MultiheadAttention got a {got}-D {arg}.")
    r.suspects += frame_suspect(ctx.where, f"passes the {arg}", 0.6)
    return r


def key_padding_mask(ctx: Context) -> Reasoning:
    """`Expected key_padded_mask.shape[1] to be 5, but got 4`: key_padding_mask is (N, S)."""
    index = ctx.need_int("index")
    expected = ctx.need_int("expected")
    got = ctx.need_int("got")
    r = Reasoning()
    meaning = "the batch size N" if index == 0 else "the key length S"
    r.values.update(meaning=meaning)
    r.steps.append(
        f"key_padding_mask is (N, S): dim {index} must be {meaning} = {fmt(expected)}, it is "
        f"{fmt(got)}."
    )
    r.fix_values[f"key_padding_mask_dim{index}"] = expected
    layer = called_layer(ctx, _attention_calls(ctx))
    if index == 0 and layer is not None and not _batch_first(layer):
        r.values["fix_hint"] = (
            f"Without batch_first=True the module reads [N, S, E] inputs as [S, N, E], so it "
            f"takes {fmt(expected)} as the batch: build it with batch_first=True, or transpose "
            "the inputs to [S, N, E]."
        )
        r.fix_values["batch_first"] = True
        r.fix_code = with_batch_first(layer)
        r.suspects.append(call_suspect(layer, "no batch_first=True for [N, S, E] inputs", 0.8))
    elif index == 1:
        r.values["fix_hint"] = (
            f"Build the mask over the keys' padded length ({fmt(expected)}): e.g. "
            f"tokens == pad_id on the same padded batch, or lengths → arange({expected})."
        )
    else:
        r.values["fix_hint"] = (
            f"The mask's first dim must be the batch ({fmt(expected)}); a (S, N) mask needs .T."
        )
    r.suspects += _mask_builders(ctx, got)
    r.suspects += frame_suspect(ctx.where, "passes the key_padding_mask", 0.5)
    return r


MASK_BUILDERS = ("zeros", "ones", "full", "arange", "rand", "randint", "empty")


def _mask_builders(ctx: Context, size: int) -> list[Suspect]:
    """Lines that build a mask tensor with `size` in its shape (`torch.zeros(B, MAX_LEN)`)."""
    found = []
    for call in ctx.source.calls(*MASK_BUILDERS):
        text = f"{call.target or ''} {call.code}".lower()
        if "mask" not in text:
            continue
        sizes = [ctx.source.eval_int(a, call) for a in call.args]
        if size in sizes:
            found.append(call_suspect(call, f"builds the mask with a dim of {fmt(size)}", 0.75))
    return found[:2]


def kv_shape(ctx: Context) -> Reasoning:
    """`key shape [..] does not match value shape [..]` (and the kdim/vdim variant)."""
    key = ctx.need_shape("key_shape")
    value = ctx.need_shape("value_shape")
    r = Reasoning()
    diff = [i for i, (a, b) in enumerate(zip(key, value, strict=False)) if a != b]
    names = ["S (sequence)", "N (batch)", "E (features)"]
    r.steps.append(
        "key and value describe the same positions: key [S, N, E] and value [S, N, E] (batch "
        f"first: [N, S, E]) must agree; they differ in dim {', '.join(map(str, diff))} "
        f"({', '.join(names[i] for i in diff if i < 3)})."
    )
    r.suspects += frame_suspect(ctx.where, "passes a key and a value of different shapes", 0.6)
    return r


# -- nn.Transformer ------------------------------------------------------------------------------


def transformer_batch(ctx: Context) -> Reasoning:
    """`the batch number of src and tgt must be equal`: often batch_first missing."""
    r = Reasoning()
    layer = next(iter(ctx.source.calls("Transformer")), None)
    if layer is not None and not _batch_first(layer):
        r.values["fix_hint"] = (
            "nn.Transformer reads [S, N, E] by default: with [N, S, E] and [N, T, E] inputs it "
            "compares dim 1, the source and target LENGTHS, as if they were batch sizes. Build "
            "it with batch_first=True."
        )
        r.fix_values["batch_first"] = True
        r.fix_code = with_batch_first(layer)
        r.suspects.append(
            call_suspect(layer, "no batch_first=True: dim 1 (the lengths) is read as batch", 0.9)
        )
    else:
        r.values["fix_hint"] = (
            "src and tgt must hold the same number of sequences (dim 1, or dim 0 with "
            "batch_first=True)."
        )
    r.suspects += frame_suspect(ctx.where, "calls the Transformer", 0.5)
    return r


def transformer_features(ctx: Context) -> Reasoning:
    """`the feature number of src and tgt must be equal to d_model`."""
    r = Reasoning()
    layer = next(iter(ctx.source.calls("Transformer")), None)
    if layer is not None:
        d_model = _embed(ctx, layer)
        if d_model:
            r.values["d_model"] = d_model
            r.fix_values["d_model"] = d_model
            r.steps.append(f"The Transformer was built with d_model={d_model}.")
        r.suspects.append(call_suspect(layer, "sets d_model", 0.6))
    r.suspects += frame_suspect(ctx.where, "calls the Transformer", 0.5)
    return r


# -- internal view / SDPA --------------------------------------------------------------------------


def mha_view(ctx: Context) -> Reasoning:
    """MultiheadAttention's internal `k.view(S, bsz * num_heads, head_dim)` failing: the key /
    value batch differs from the query's, usually a batch_first mix-up."""
    if not _in_mha(ctx):
        raise Decline("not raised inside MultiheadAttention")
    seq = ctx.need_int("seq")
    bsz_heads = ctx.need_int("bsz_heads")
    head_dim = ctx.need_int("head_dim")
    numel = ctx.need_int("numel")
    if seq * head_dim == 0 or numel % (seq * head_dim):
        raise Decline("numbers do not decompose")
    key_bh = numel // (seq * head_dim)
    r = Reasoning()
    r.values.update(key_bh=key_bh)
    r.steps.append(
        f"MultiheadAttention splits the key into heads with k.view(S, N · num_heads, head_dim) "
        f"= [{seq}, {bsz_heads}, {head_dim}]: {seq} × {bsz_heads} × {head_dim} = "
        f"{fmt(seq * bsz_heads * head_dim)} elements, but the key holds {fmt(numel)}."
    )
    r.steps.append(
        f"{fmt(numel)} / ({seq} × {head_dim}) = {fmt(key_bh)} = key batch × num_heads, against "
        f"{fmt(bsz_heads)} = query batch × num_heads: the key/value and the query have "
        "different batch sizes."
    )
    calls = _attention_calls(ctx)
    layer = called_layer(ctx, calls)
    if layer is None:
        layer = next((c for c in calls if not _batch_first(c)), None)
    heads = _heads(ctx, layer) if layer is not None else None
    if heads and bsz_heads % heads == 0 and key_bh % heads == 0:
        q_batch, k_batch = bsz_heads // heads, key_bh // heads
        r.values.update(query_batch=q_batch, key_batch=k_batch)
        r.steps.append(
            f"With num_heads={heads}: the query's batch dim is {q_batch}, the key's {k_batch}."
        )
    if layer is not None and not _batch_first(layer):
        r.values["fix_hint"] = (
            "The module was built without batch_first=True, so it reads dim 1 of [N, L, E] "
            "inputs as the batch: the query's and the key's LENGTHS end up compared as batch "
            "sizes. Build it with batch_first=True (or pass [L, N, E] tensors)."
        )
        r.fix_values["batch_first"] = True
        r.fix_code = with_batch_first(layer)
        if "query_batch" in r.values:
            r.steps.append(
                f"Without batch_first=True those 'batches' ({r.values['query_batch']} and "
                f"{r.values['key_batch']}) are the query's and the key's sequence lengths, and "
                f"{seq} is the real batch size."
            )
        r.suspects.append(
            call_suspect(
                layer, "no batch_first=True: dim 1 of [N, L, E] is read as the batch", 0.85
            )
        )
    else:
        r.values["fix_hint"] = (
            "Give key and value the same batch size as the query (dim 1, or dim 0 with "
            "batch_first=True)."
        )
    r.suspects += frame_suspect(ctx.where, "calls the attention", 0.5)
    return r


def sdpa_broadcast(ctx: Context) -> Reasoning:
    """A broadcast error raised inside F.scaled_dot_product_attention: q/k/v or the mask
    disagree in a dim of [N, heads, L, E]."""
    if not _in_sdpa(ctx):
        raise Decline("not scaled_dot_product_attention")
    a = ctx.need_int("a")
    b = ctx.need_int("b")
    dim = ctx.need_int("dim")
    r = Reasoning()
    names = {0: "the batch N", 1: "the heads", 2: "the query length L", 3: "the key length S"}
    meaning = names.get(dim, f"dim {dim}")
    r.values.update(meaning=meaning)
    r.steps.append(
        "scaled_dot_product_attention computes softmax(Q Kᵀ / √E + mask) V with Q [N, heads, L, E]"
        ", K and V [N, heads, S, E], and a mask broadcastable to [N, heads, L, S]."
    )
    r.steps.append(f"Dim {dim} ({meaning}) is {fmt(a)} in one operand and {fmt(b)} in another.")
    if dim == 3:
        r.values["fix_hint"] = (
            "The mask's last dim must be the key length S: build it from the keys (e.g. "
            "(N, 1, 1, S) for padding), not from the queries."
        )
    elif dim in (0, 1):
        r.values["fix_hint"] = (
            "q, k and v must share the batch and head dims (or broadcast); with grouped-query "
            "attention pass enable_gqa=True or repeat_interleave the key/value heads."
        )
    else:
        r.values["fix_hint"] = "Shape q, k, v and the mask as [N, heads, L or S, E]."
    r.suspects += frame_suspect(ctx.where, "calls scaled_dot_product_attention", 0.6)
    return r


def sdpa_head_dim(ctx: Context) -> Reasoning:
    """`Expected size for first two dimensions of batch2 tensor to be: [B, E] but got: [B, E']`
    from SDPA: the query's and the key's head dims differ."""
    if not _in_sdpa(ctx):
        raise Decline("not scaled_dot_product_attention")
    expected = ctx.need_shape("expected")
    got = ctx.need_shape("got")
    if len(expected) != 2 or len(got) != 2:
        raise Decline("not the bmm shapes")
    r = Reasoning()
    r.values.update(q_dim=expected[1], k_dim=got[1])
    r.steps.append(
        f"Q Kᵀ needs the query's and the key's last dims equal: the query has head_dim "
        f"{expected[1]}, the key {got[1]} (first dim {expected[0]} = batch × heads)."
    )
    r.fix_values["head_dim"] = expected[1]
    r.suspects += frame_suspect(ctx.where, "calls scaled_dot_product_attention", 0.6)
    return r


def assert_legacy(ctx: Context) -> Reasoning:
    """The bare asserts of multi_head_attention_forward before 1.9: what each one compares."""
    check = re.sub(r"\s+", " ", str(ctx.get("check") or ""))
    r = simple(ctx)
    r.values["check_story"] = (
        "embed_dim is the query's last dim, bsz its dim 1 (dim 0 with batch_first=True), "
        "src_len the key's dim 0. Compare your tensors' shapes with these."
    )
    r.values["fix_text"] = (
        "Give the attention [L, N, E] tensors (or batch_first=True) and an (N, S) key_padding_mask."
    )
    m = re.search(r"len2 == (query|key|value)\.size\(-1\)", check)
    if m:
        which = m[1]
        dim = {"query": "embed_dim", "key": "kdim", "value": "vdim"}[which]
        r.steps.append(
            f"With kdim/vdim set, MultiheadAttention keeps a separate {which[0]}_proj_weight of "
            f"shape [embed_dim, {dim}] (len1 × len2): the {which}'s last dimension must equal "
            f"{dim}, the size the module was built with."
        )
        r.values["check_story"] = (
            f"{which}.size(-1) differs from the {dim} the module was built with (its "
            f"{which[0]}_proj_weight is [embed_dim, {dim}]): pass a {which} whose last dimension "
            f"is {dim}, or build nn.MultiheadAttention(embed_dim, num_heads, {dim}=...) with "
            f"the {which}'s feature size."
        )
        r.values["fix_text"] = (
            f"Build nn.MultiheadAttention with {dim} = the {which}'s last dimension (or leave "
            f"{dim} unset when it equals embed_dim)."
        )
        r.fix_values[dim] = f"{which}.size(-1)"
        r.fix_code = (
            f"attn = nn.MultiheadAttention(embed_dim, num_heads, kdim=key.size(-1), "
            f"vdim=value.size(-1))   # {dim} = the {which}'s features"
        )
    return r


def simple(ctx: Context) -> Reasoning:
    """Attention errors whose message says it all: point at the call."""
    r = Reasoning()
    r.suspects += frame_suspect(ctx.where, "the attention call", 0.5)
    return r


def sdpa_gqa(ctx: Context) -> Reasoning:
    """`Number of heads in key and value must divide the number of heads in query`."""
    r = Reasoning()
    r.steps.append(
        "With enable_gqa=True the query's heads are shared by groups: the key/value head count "
        "must divide the query's (e.g. 32 query heads with 8 KV heads)."
    )
    r.suspects += frame_suspect(ctx.where, "calls scaled_dot_product_attention", 0.6)
    return r
