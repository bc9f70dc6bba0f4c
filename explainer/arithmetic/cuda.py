"""CUDA device-side asserts and out-of-memory errors.

A kernel that finds an index out of range cannot raise a Python exception: it trips an assert,
the CUDA context is poisoned, and the next CUDA call reports `device-side assert triggered`,
often at an unrelated line. The real error is in the `Assertion ... failed` lines printed on
stderr above the traceback; other entries match those. This one is the fallback when they are
missing: it reads the frames for the likely kernel and says how to get the real message.
"""

from __future__ import annotations

import re

from explainer.arithmetic import Context, Reasoning
from explainer.arithmetic.loss import frames_mention, user_frames
from explainer.model import Suspect

RERUN = (
    "CUDA_LAUNCH_BLOCKING=1 python train.py   # the traceback then stops at the failing op\n"
    "# or run one failing batch on the CPU for the plain message:\n"
    "#     out = model.cpu()(x.cpu()); loss = criterion(out, y.cpu())"
)
HINTS = (
    (
        ("cross_entropy", "nll_loss", "criterion", "crossentropy"),
        "a class label outside 0 … C−1 for the loss (on the CPU: `Target N is out of bounds.`)",
    ),
    (
        ("embedding", "embed", "wte", "wpe"),
        "a token id ≥ num_embeddings (on the CPU: `index out of range in self`)",
    ),
    (
        ("binary_cross_entropy", "bceloss"),
        "a BCELoss input outside [0, 1] (on the CPU: `all elements of input should be between 0 "
        "and 1`)",
    ),
    (
        ("gather", "scatter", "index_select", "one_hot", "index_add"),
        "an index outside the indexed dimension (on the CPU: `index … is out of bounds for "
        "dimension …`)",
    ),
)


ASSERTION = re.compile(r"Assertion\s*`(?P<check>[^`\n]{1,300})`\s*fail")


def device_assert(ctx: Context) -> Reasoning:
    """`CUDA error: device-side assert triggered` with no assertion line in the text."""
    r = Reasoning()
    r.steps.append(
        "A CUDA kernel checked an index (or a value) and found it out of range. Kernels run "
        "asynchronously, so the error surfaces at a later CUDA call: the traceback's last line "
        "may not be the op that failed."
    )
    hint = _frame_hint(ctx)
    assertion = ASSERTION.search(ctx.parsed.text)
    if assertion:
        check = " ".join(assertion.group("check").split())
        r.values["likely"] = f"The assertion printed above names the failed check: `{check}`."
        r.steps.append(
            f"The kernel's assertion: `{check}` failed; its variables name the index "
            "and the size it was checked against."
        )
    elif hint:
        r.values["likely"] = f"The frames point at {hint}."
        r.steps.append(f"The frames name the kind of op: most likely {hint}.")
    else:
        r.values["likely"] = (
            "Most often: a class label ≥ the number of classes, a token id ≥ the embedding's "
            "num_embeddings, or an index past a dimension."
        )
    r.fix_code = RERUN
    frames = user_frames(ctx)
    if frames and frames[0].line:
        f = frames[0]
        r.suspects.append(
            Suspect(
                f.file,
                f.line or 0,
                f.code or "",
                "where the assert surfaced (may be later than the failing op)",
                0.3,
            )
        )
    r.confidence = 0.8
    return r


def _frame_hint(ctx: Context) -> str | None:
    for words, hint in HINTS:
        if frames_mention(ctx, *words):
            return hint
    return None


KERNEL = re.compile(
    r"(?P<kernel>\w{1,80}(?:\(\))?): block: \[[\d,]{1,30}\], thread: \[[\d,]{1,30}\]"
)


def index_assert(ctx: Context) -> Reasoning:
    """The `index out of bounds` assertions of advanced indexing, gather and scatter kernels."""
    r = Reasoning()
    m = KERNEL.search(ctx.parsed.text)
    kernel = m.group("kernel") if m else "an indexing kernel"
    r.values["kernel"] = kernel
    r.steps.append(
        f"The assertion of {kernel} says an index was outside its dimension: every index i must "
        "satisfy −size ≤ i < size (gather/scatter: 0 ≤ i < size)."
    )
    r.steps.append(
        "On the CPU the same op raises `index … is out of bounds for dimension … with "
        "size …`, naming the index and the size."
    )
    r.fix_code = (
        "assert idx.min() >= -x.size(d) and idx.max() < x.size(d), (idx.min(), idx.max())\n" + RERUN
    )
    frames = user_frames(ctx)
    if frames and frames[0].line:
        f = frames[0]
        r.suspects.append(
            Suspect(f.file, f.line or 0, f.code or "", "where the assert surfaced", 0.4)
        )
    return r


UNITS = {
    "B": 1,
    "KiB": 2**10,
    "MiB": 2**20,
    "GiB": 2**30,
    "TiB": 2**40,
    "KB": 2**10,
    "MB": 2**20,
    "GB": 2**30,
}


def _bytes(text: str | None) -> float | None:
    if not text:
        return None
    m = re.match(r"\s*([\d.]+)\s*([KMGT]?i?B)", text)
    if not m or m.group(2) not in UNITS:
        return None
    return float(m.group(1)) * UNITS[m.group(2)]


def out_of_memory(ctx: Context) -> Reasoning:
    """`CUDA out of memory. Tried to allocate 74505.81 GiB. GPU 0 has a total capacity of ...`."""
    r = Reasoning()
    alloc = ctx.get("alloc")
    total, free = ctx.get("total"), ctx.get("free")
    want, cap = _bytes(alloc), _bytes(total)
    r.values["alloc"] = alloc or "a block"
    r.steps.append(
        f"One allocation asked for {alloc or 'more memory than was free'}"
        + (f"; the GPU has {total} in total" if total else "")
        + (f", {free} free." if free else ".")
    )
    if want and cap and want > cap:
        elements = int(want // 4)
        r.values["story"] = (
            f"a single tensor larger than the whole GPU ({want / cap:.1f}× its memory): a shape "
            "bug, not a tuning problem (an [N, N] broadcast such as [N, 1] vs [N], a view over "
            "the wrong dims, or a huge batch × sequence² attention map)"
        )
        r.steps.append(
            f"{alloc} ≈ {elements:,} float32 values: no batch size makes that fit; look "
            "for the op whose output is that large."
        )
    else:
        r.values["story"] = (
            "the model, activations and optimizer state together exceed the GPU's memory at "
            "this batch size / sequence length / resolution"
        )
    r.fix_code = (
        "loader = DataLoader(dataset, batch_size=batch_size // 2)   # smaller batches\n"
        "# also: torch.autocast('cuda', dtype=torch.bfloat16), gradient checkpointing, "
        "with torch.no_grad() for evaluation"
    )
    frames = user_frames(ctx)
    if frames and frames[0].line:
        f = frames[0]
        r.suspects.append(Suspect(f.file, f.line or 0, f.code or "", "the allocation", 0.4))
    return r
