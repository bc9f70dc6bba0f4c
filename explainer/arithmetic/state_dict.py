"""`load_state_dict` failures: which keys differ in shape or in name, which hyperparameter the
shapes encode (num_classes, vocabulary, positions, hidden size), and how to load what fits.

The message lists every mismatched key; the arithmetic reads all of them from the message, not
only the first one the pattern captured, since the fix has to name every key it drops.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.shapes import Shape, parse_value
from explainer.arithmetic.suspects import call_suspect
from explainer.model import Suspect
from explainer.source import Call

SIZE = r"(?:torch\.Size\(\s*\[[\d,\s]*\]\s*\)|\[[\d,\s]*\]|\([\d,\s]*\))"
# >= 1.1: checkpoint first, model second.
SIZE_NEW = re.compile(
    rf"size\s+mismatch\s+for\s+(?P<key>[^\s:]+)\s*:\s*copying\s+a\s+param\s+with\s+shape\s+"
    rf"(?P<ckpt>{SIZE})\s+from\s+checkpoint,\s+the\s+shape\s+in\s+current\s+model\s+is\s+"
    rf"(?P<model>{SIZE})"
)
# 0.4.1 - 1.0 printed the model's shape where it says "from checkpoint" (the format arguments
# were swapped): the first shape is the model's, the second the checkpoint's.
SIZE_SWAPPED = re.compile(
    rf"ize\s+mismatch(?:\s+for\s+(?P<key>[^\s:]+))?\s*:\s*copying\s+a\s+param\s+of\s+"
    rf"(?P<model>{SIZE})\s+from\s+checkpoint,\s+where\s+the\s+shape\s+is\s+(?P<ckpt>{SIZE})\s+"
    r"in\s+current\s+model"
)
# <= 0.4: raised when copy_ failed; model first, checkpoint second, and the order is right.
SIZE_COPYING = re.compile(
    rf"While\s+(?:copying|swapping)\s+the\s+parameter\s+named\s+\"?(?P<key>[^\s\",]+)\"?,\s+whose\s+"
    rf"dimensions\s+in\s+the\s+model\s+are\s+(?P<model>{SIZE})\s+and\s+whose\s+dimensions\s+in\s+"
    rf"the\s+checkpoint\s+are\s+(?P<ckpt>{SIZE})"
)
MISSING = re.compile(r"Missing\s+key\(?s?\)?\s+in\s+state_dict\s*:")
UNEXPECTED = re.compile(r"Unexpected\s+key\(?s?\)?\s+in\s+state_dict\s*:")
# <= 0.3 raised KeyError: 'unexpected key "module.conv1.weight" in state_dict' (one key), and
# 'missing keys in state_dict: "{'fc.bias', 'fc.weight'}"' (a set).
UNEXPECTED_OLD = re.compile(
    r"unexpected\s+key\s+[\"'“](?P<key>[^\"'”]+)[\"'”]\s+in\s+state_dict", re.I
)
MISSING_OLD = re.compile(r"missing\s+keys\s+in\s+state_dict\s*:", re.I)
# Printed, not raised, by `optimistic_restore` (rowanz/neural-motifs lib/pytorch_misc.py and its
# many copies, torch 0.3 era): one line per extra checkpoint key, then the model keys it lacked.
UNEXPECTED_PRINTED = re.compile(
    r"Unexpected\s+key\s+(?P<key>[^\s\"']+)\s+in\s+state_dict\s+with\s+size", re.I
)
MISSING_PRINTED = re.compile(r"We\s+couldn'?t\s+find\s+(?P<keys>[\w.,]+)")
SECTION_END = re.compile(
    r"Missing\s+key|Unexpected\s+key|size\s+mismatch|While\s+copying|You\s+may\s+consider"
)
QUOTED = re.compile(r"[\"'“”‘’]([^\"'“”‘’\s,{}]+)[\"'“”‘’]")

HEAD_WORDS = (
    "fc",
    "classifier",
    "cls",
    "head",
    "heads",
    "score",
    "logits",
    "logit",
    "out",
    "output",
    "pred",
    "predictor",
    "last_linear",
    "final",
    "top",
    "linear_out",
    "prediction",
    "proj_out",
    "class",
)
VOCAB_WORDS = (
    "embed",
    "embedding",
    "embeddings",
    "wte",
    "tok",
    "token",
    "word",
    "vocab",
    "lm_head",
    "emb",
)
POSITION_WORDS = (
    "pos",
    "position",
    "positional",
    "wpe",
    "pos_embed",
    "position_enc",
    "pos_embedding",
    "position_embeddings",
    "pe",
)
RNN_GATES = {"lstm": 4, "gru": 3, "rnn": 1}
# What a whole training checkpoint holds besides the weights.
WRAPPER_KEYS = {
    "state_dict",
    "model",
    "model_state_dict",
    "model_state",
    "net",
    "network",
    "weights",
    "optimizer",
    "optimizer_state_dict",
    "optim",
    "optimizer_state",
    "epoch",
    "epochs",
    "step",
    "global_step",
    "iteration",
    "iter",
    "best_acc",
    "best_acc1",
    "best_prec1",
    "best_loss",
    "best_score",
    "loss",
    "arch",
    "args",
    "config",
    "cfg",
    "hyper_parameters",
    "hparams",
    "lr_scheduler",
    "scheduler",
    "scaler",
    "amp",
    "ema",
    "model_ema",
    "state_dict_ema",
    "pytorch-lightning_version",
    "callbacks",
    "loops",
    "meta",
    "params",
    "opt",
    "acc",
    "train_loss",
    "val_loss",
    "grad_scaler",
    "rng_state",
    "version",
}
# Where the weights sit inside such a checkpoint, most likely first.
WEIGHT_KEYS = (
    "state_dict",
    "model_state_dict",
    "model_state",
    "model",
    "net",
    "network",
    "weights",
    "params",
    "state_dict_ema",
    "model_ema",
    "ema",
)
NORM_BUFFERS = ("num_batches_tracked", "running_mean", "running_var")
WRAPPER_MODULES = ("DataParallel", "DistributedDataParallel")
KNOWN_PREFIXES = {
    "module.": "nn.DataParallel / DistributedDataParallel, which name every key `module.…`",
    "_orig_mod.": "torch.compile, whose wrapper names every key `_orig_mod.…`",
    "model.": "a wrapper module (PyTorch Lightning and many trainers keep the network in "
    "`self.model`)",
}


@dataclass
class Mismatch:
    key: str
    ckpt: Shape
    model: Shape


# -- size mismatch ------------------------------------------------------------------------------
def size_mismatch(ctx: Context) -> Reasoning:
    """`size mismatch for K: copying a param with shape A from checkpoint, the shape in current
    model is B`, and the older wordings."""
    swapped = bool(SIZE_SWAPPED.search(_flat(ctx.message)))
    found = mismatches(ctx.message)
    if not found:
        raise Decline("no size-mismatch line with two shapes")
    r = Reasoning()
    if swapped:
        r.steps.append(
            "This release (0.4.1–1.0) printed the two shapes the wrong way round: the shape it "
            "calls 'from checkpoint' is your model's, the one 'in current model' is the "
            "checkpoint's. Read below with the corrected order."
        )
    for m in found:
        r.steps.append(f"{m.key}: checkpoint {m.ckpt} vs model {m.model}" + _dims_note(m))
    first = found[0]
    r.values.update(
        ckpt_shape=first.ckpt,
        model_shape=first.model,
        key=first.key,
        count=len(found),
        keys_list=", ".join(m.key for m in found),
        swap_note=" (this release printed the two shapes swapped; corrected here)"
        if swapped
        else "",
    )
    hyper = _hyperparameter(found)
    r.values.update(hyper)
    if hyper["kind"] == "classes":
        r.fix_values["num_classes"] = hyper["model_value"]
    elif hyper.get("fix_name"):
        r.fix_values[hyper["fix_name"]] = hyper["fix_value"]
    r.steps.append(hyper["story"])
    lists = key_lists(ctx.message)
    if lists.missing or lists.unexpected:
        r.notes.append(
            f"The same load also reports {len(lists.missing)} missing and "
            f"{len(lists.unexpected)} unexpected key(s) "
            f"({_sample(lists.missing + lists.unexpected)}): the architectures differ beyond "
            "these shapes."
        )
    load = _load_call(ctx)
    _size_suspects(ctx, r, load, hyper)
    r.fix_code = _size_fix_code(ctx, found, hyper, load)
    if "ignore_mismatched_sizes" in ctx.message:
        r.notes.append(
            "transformers: from_pretrained(..., num_labels=N, ignore_mismatched_sizes=True) "
            "drops the mismatched head for you."
        )
    return r


def mismatches(message: str) -> list[Mismatch]:
    """Every (key, checkpoint shape, model shape) the message lists, in its order."""
    # A terminal wrap can fall inside a key or a shape: read the text with line breaks turned
    # into spaces, and again with them removed.
    texts = (_flat(message), _flat(re.sub(r"\n[ \t]*", "", message)))
    out: list[Mismatch] = []
    seen: set[str] = set()
    for rx, text in ((rx, t) for t in texts for rx in (SIZE_NEW, SIZE_SWAPPED, SIZE_COPYING)):
        for m in rx.finditer(text):
            ckpt, model = parse_value(m["ckpt"]), parse_value(m["model"])
            if not isinstance(ckpt, Shape) or not isinstance(model, Shape):
                continue
            key = _clean_key(m["key"] or "(unnamed parameter)")
            if key in seen or ckpt == model:
                continue
            seen.add(key)
            out.append(Mismatch(key, ckpt, model))
    return out


def _flat(text: str) -> str:
    """One line: a terminal wrap inside `torch.Size([81,\n 1024])` or a key must not matter."""
    return re.sub(r"\s+", " ", text)


def _clean_key(key: str) -> str:
    return key.strip().strip("\"'`").rstrip(":,")


def _dims_note(m: Mismatch) -> str:
    if len(m.ckpt) != len(m.model):
        return (
            f" — {len(m.ckpt)} dims against {len(m.model)}: a different kind of layer "
            "(e.g. a Linear where a 1×1 conv was)"
        )
    diffs = [
        f"dim {i}: {a:,} → {b:,}"
        for i, (a, b) in enumerate(zip(m.ckpt, m.model, strict=True))
        if a != b
    ]
    return " (" + "; ".join(diffs) + ")"


def _module_words(key: str) -> list[str]:
    """`roi_heads.box_predictor.cls_score.weight` -> its words, without the parameter name."""
    parts = key.split(".")[:-1] or key.split(".")
    words: list[str] = []
    for part in parts:
        words.append(part.lower())
        words.extend(w for w in re.split(r"[_\d]+", part.lower()) if w)
    return words


def _has_word(key: str, vocabulary: tuple[str, ...]) -> bool:
    words = _module_words(key)
    return any(w in vocabulary for w in words)


def _hyperparameter(found: list[Mismatch]) -> dict[str, Any]:
    """Which setting the differing dimension is: classes, vocabulary, positions, hidden size."""
    pairs: Counter[tuple[int, int]] = Counter()
    where: dict[tuple[int, int], list[Mismatch]] = {}
    for m in found:
        if len(m.ckpt) != len(m.model):
            continue
        # A key counts once per pair, however many of its dims differ ([64, 64, 8, 8] vs
        # [64, 64, 6, 6] is one key with a kernel of 8 against 6, not two keys).
        for a, b in dict.fromkeys((a, b) for a, b in zip(m.ckpt, m.model, strict=True) if a != b):
            pairs[(a, b)] += 1
            where.setdefault((a, b), []).append(m)
    if not pairs:
        first = found[0]
        return {
            "kind": "layer",
            "setting": "layer type",
            "ckpt_value": str(first.ckpt),
            "model_value": str(first.model),
            "story": f"{first.key} has {len(first.ckpt)} dims in the checkpoint and "
            f"{len(first.model)} in the model: the layer itself changed kind.",
            "hint": "Build the same layer type as the checkpoint, or drop these keys.",
        }
    # The smallest pair that a head-like key shows is the class count; otherwise the most common.
    head = [
        p
        for p in pairs
        if any(
            _has_word(m.key, HEAD_WORDS) and m.ckpt[0] == p[0] and m.model[0] == p[1]
            for m in where[p]
        )
    ]
    (a, b) = min(head, key=lambda p: (p[0] * p[1], p)) if head else pairs.most_common(1)[0][0]
    keys = where[(a, b)]
    key = keys[0].key
    multiples = _multiples(pairs, a, b)
    if head and not _has_word(key, VOCAB_WORDS) and not _has_word(key, POSITION_WORDS):
        story = (
            f"The checkpoint's head {key.rsplit('.', 1)[0]} was trained for {a:,} classes; "
            f"this model's head is built for {b:,}: num_classes {a:,} in the checkpoint vs "
            f"{b:,} now.{multiples}"
        )
        return {
            "kind": "classes",
            "setting": "num_classes",
            "ckpt_value": a,
            "model_value": b,
            "num_classes_ckpt": a,
            "num_classes": b,
            "story": story,
            "hint": f"Keep the backbone, drop the {a:,}-class head and train a new "
            f"{b:,}-class one.",
        }
    if _has_word(key, POSITION_WORDS):
        return {
            "kind": "positions",
            "setting": "number of positions (max sequence length)",
            "ckpt_value": a,
            "model_value": b,
            "fix_name": "num_positions",
            "fix_value": a,
            "story": f"{key} is a position table: {a:,} positions in the checkpoint, {b:,} "
            f"in the model. The model was built with another maximum length.{multiples}",
            "hint": f"Build the model with {a:,} positions, as the checkpoint was.",
        }
    if _has_word(key, VOCAB_WORDS):
        return {
            "kind": "vocab",
            "setting": "vocabulary size",
            "ckpt_value": a,
            "model_value": b,
            "fix_name": "vocab_size",
            "fix_value": a,
            "story": f"{key} is an embedding table: {a:,} tokens in the checkpoint, {b:,} in "
            f"the model. The vocabulary was rebuilt with another size.{multiples}",
            "hint": f"Build the model with vocab_size={a:,} (the checkpoint's tokenizer), "
            "or resize the table and train the new rows.",
        }
    conv = next(
        (
            m
            for m in keys
            if len(m.ckpt) in (3, 4, 5)
            and m.ckpt[0] == m.model[0]
            and m.ckpt[1] == a
            and m.model[1] == b
        ),
        None,
    )
    if conv is not None:
        layer = conv.key.rsplit(".", 1)[0]
        colour = {3: "RGB", 1: "grayscale", 4: "RGBA"}
        story = (
            f"{conv.key} is a convolution weight [out, in, kH, kW]: it was trained on "
            f"{a} input channel(s){' (' + colour[a] + ')' if a in colour else ''}, and "
            f"this model's {layer} takes {b}{' (' + colour[b] + ')' if b in colour else ''}."
        )
        return {
            "kind": "in_channels",
            "setting": "in_channels",
            "ckpt_value": a,
            "model_value": b,
            "fix_name": "in_channels",
            "fix_value": a,
            "story": story,
            "layer": layer,
            "hint": f"Feed {a}-channel input, or adapt the pretrained kernels to {b} "
            "channel(s) (sum or average them over the input-channel dim).",
        }
    gates = _rnn_gates(keys, a, b)
    if gates:
        name, k = gates
        ha, hb = a // k, b // k
        return {
            "kind": "hidden",
            "setting": "hidden_size",
            "ckpt_value": ha,
            "model_value": hb,
            "fix_name": "hidden_size",
            "fix_value": ha,
            "story": f"{key} stacks the {k} gates of the {name.upper()}: {a:,} = {k} × {ha:,} "
            f"against {b:,} = {k} × {hb:,}, so hidden_size is {ha:,} in the checkpoint and "
            f"{hb:,} in the model.",
            "hint": f"Build the {name.upper()} with hidden_size={ha:,}, as the checkpoint was.",
        }
    layers = list(dict.fromkeys(m.key.rsplit(".", 1)[0] for m in keys))
    named = ", ".join(f"`{x}`" for x in layers[:3]) + (
        f" and {len(layers) - 3} more" if len(layers) > 3 else ""
    )
    kernel = all(
        len(m.ckpt) in (4, 5)
        and m.ckpt[:2] == m.model[:2]
        and all(x == a for x in m.ckpt[2:])
        and all(y == b for y in m.model[2:])
        for m in keys
    )
    if kernel:
        return {
            "kind": "kernel",
            "setting": "kernel size",
            "ckpt_value": a,
            "model_value": b,
            "fix_name": "kernel_size",
            "fix_value": a,
            "story": f"{len(keys)} convolution weight(s) differ only in their last dims, the "
            f"kernel: {a}×{a} in the checkpoint, {b}×{b} in the model, in "
            f"layer{'s' if len(layers) > 1 else ''} {named}. The model was built with "
            f"kernel_size={b} (often derived from a scale or upsampling factor) where the "
            f"checkpoint used {a}.{multiples}",
            "hint": f"Build the model with the checkpoint's kernel_size ({a}) — the same scale "
            "or config it was trained with — or drop these keys.",
        }
    return {
        "kind": "size",
        "setting": "layer size",
        "ckpt_value": a,
        "model_value": b,
        "fix_name": "size",
        "fix_value": a,
        "story": f"{len(keys)} key(s) have a dimension of {a:,} in the checkpoint and {b:,} in "
        f"the model: the model was built with another setting for "
        f"layer{'s' if len(layers) > 1 else ''} {named}."
        f"{multiples}",
        "hint": f"Build the model with the checkpoint's size ({a:,}), or drop these keys.",
    }


def _multiples(pairs: Counter[tuple[int, int]], a: int, b: int) -> str:
    """`bbox_pred` with 324 vs 44 = 4 × 81 vs 4 × 11: the same setting, times a constant."""
    notes = []
    for c, d in pairs:
        if (c, d) != (a, b) and a and b and c % a == 0 and d % b == 0 and c // a == d // b > 1:
            notes.append(f"{c:,} vs {d:,} = {c // a} × {a:,} vs {c // a} × {b:,}")
    return (" The other mismatches follow from it: " + "; ".join(notes) + ".") if notes else ""


def _rnn_gates(keys: list[Mismatch], a: int, b: int) -> tuple[str, int] | None:
    for m in keys:
        last = m.key.rsplit(".", 1)[-1]
        if not re.match(r"(weight|bias)_(ih|hh)_l\d", last):
            continue
        words = _module_words(m.key)
        for name, k in RNN_GATES.items():
            if any(name in w for w in words) and a % k == 0 and b % k == 0:
                return name, k
        for name, k in (("lstm", 4), ("gru", 3)):
            if a % k == 0 and b % k == 0:
                return name, k
    return None


def _load_call(ctx: Context) -> Call | None:
    calls = ctx.source.calls("load_state_dict")
    where = ctx.where
    if where is not None:
        for call in calls:
            if call.file == where.file and call.line == where.line:
                return call
    return calls[0] if calls else None


def _receiver(call: Call | None) -> str:
    if call is None or "." not in call.func:
        return "model"
    return call.func.rsplit(".load_state_dict", 1)[0] or "model"


def _state_expr(call: Call | None) -> tuple[str, str]:
    """(the name of the state dict in the fix, a line that defines it when it is an expression)."""
    if call is None or not call.args:
        return "state", 'state = torch.load(PATH, map_location="cpu")\n'
    arg = call.args[0]
    if re.fullmatch(r"[A-Za-z_]\w*", arg):
        return arg, ""
    return "state", f"state = {arg}\n"


def _size_suspects(ctx: Context, r: Reasoning, load: Call | None, hyper: dict[str, Any]) -> None:
    if load is not None:
        r.suspects.append(
            call_suspect(
                load,
                f"loads every checkpoint key, including those whose {hyper['setting']} differs",
                0.9,
            )
        )
    model_value = hyper.get("model_value")
    if not isinstance(model_value, int):
        return
    words = (
        "num_classes",
        "n_classes",
        "classes",
        "num_labels",
        "nclass",
        "n_class",
        "vocab_size",
        "vocab",
        "max_len",
        "max_length",
        "hidden_size",
        "hidden",
        "hidden_dim",
        "out_features",
        "num_tokens",
        "ntoken",
        "seq_len",
        "max_seq_len",
    )
    seen: set[tuple[str, int]] = set()
    for call in ctx.source.calls():
        if call.name in ("load_state_dict", "load"):
            continue
        hit = None
        for name, expr in call.kwargs.items():
            if ctx.source.eval_int(expr, call) == model_value:
                hit = f"builds it with {name}={model_value:,}"
                break
        if hit is None and call.name[:1].isupper():
            for expr in call.args:
                if ctx.source.eval_int(expr, call) == model_value and (
                    any(w in expr.lower() for w in words)
                    or call.name == "Linear"
                    or call.name == "Embedding"
                    or re.fullmatch(r"\d+", expr.strip())
                ):
                    hit = f"builds a layer with {expr.strip()} = {model_value:,}"
                    break
        if hit and (call.file, call.line) not in seen:
            seen.add((call.file, call.line))
            score = 0.6 if hyper["kind"] == "classes" else 0.8
            r.suspects.append(
                call_suspect(call, f"{hit}; the checkpoint has {hyper['ckpt_value']:,}", score)
            )


def _size_fix_code(
    ctx: Context, found: list[Mismatch], hyper: dict[str, Any], load: Call | None
) -> str:
    model = _receiver(load)
    state, define = _state_expr(load)
    keys = ", ".join(f'"{m.key}"' for m in found[:8])
    more = f"   # and {len(found) - 8} more" if len(found) > 8 else ""
    lines = [define.rstrip("\n")] if define else []
    if hyper["kind"] == "in_channels" and hyper["model_value"] == 1:
        key = next(m.key for m in found if len(m.ckpt) >= 3)
        lines += [
            f"# adapt the pretrained {hyper['ckpt_value']}-channel kernels to 1 channel: "
            "sum over the input-channel dim",
            f'{state}["{key}"] = {state}["{key}"].sum(dim=1, keepdim=True)',
            f"{model}.load_state_dict({state})",
            f"# or keep in_channels={hyper['ckpt_value']} and repeat the grayscale image: "
            f"x.repeat(1, {hyper['ckpt_value']}, 1, 1)",
        ]
        return "\n".join(lines)
    if hyper["kind"] == "classes":
        head = found[0].key.rsplit(".", 1)[0]
        lines += [
            f"# the checkpoint's head has {hyper['ckpt_value']:,} classes, this model "
            f"{hyper['model_value']:,}: load everything else",
            f"for key in [{keys}]:{more}",
            f"    {state}.pop(key)",
            f"missing, unexpected = {model}.load_state_dict({state}, strict=False)",
            f"# missing lists the dropped head: {model}.{head} keeps its fresh initialisation",
            f"# (if it was overwritten, call {model}.{head}.reset_parameters()); then fine-tune.",
        ]
    else:
        lines += [
            f"# either build the model with the checkpoint's {hyper['setting']} "
            f"({hyper['ckpt_value']}), or load only the keys whose shapes fit:",
            f"model_state = {model}.state_dict()",
            f"{state} = {{k: v for k, v in {state}.items()",
            "         if k in model_state and v.shape == model_state[k].shape}",
            f"{model}.load_state_dict({state}, strict=False)   # skips {keys}{more}",
        ]
    lines.append("# strict=False alone does not help: it skips missing keys, not size mismatches")
    return "\n".join(lines)


# -- missing / unexpected keys ------------------------------------------------------------------
@dataclass
class KeyLists:
    module: str
    missing: list[str]
    unexpected: list[str]


def key_lists(message: str) -> KeyLists:
    """The module name and the missing and unexpected keys a load_state_dict message lists."""
    m = re.search(r"loading\s+state_dict\s+for\s+(\w+)", message)
    missing = _section(message, MISSING) or _section(message, MISSING_OLD)
    unexpected = _section(message, UNEXPECTED)
    if not unexpected:
        unexpected = [re.sub(r"\s+", "", k) for k in UNEXPECTED_OLD.findall(message)]
    if not unexpected:
        unexpected = UNEXPECTED_PRINTED.findall(message)
    if not missing:
        printed = MISSING_PRINTED.search(message)
        if printed:
            missing = [k for k in printed["keys"].split(",") if k]
    return KeyLists(module=m[1] if m else "the model", missing=missing, unexpected=unexpected)


def _section(message: str, header: re.Pattern[str]) -> list[str]:
    m = header.search(message)
    if not m:
        return []
    rest = message[m.end() :]
    end = SECTION_END.search(rest)
    # A line break inside the list is a terminal wrap, maybe inside a key.
    body = re.sub(r"\s*\n\s*", "", rest[: end.start()] if end else rest)
    body = body.replace("\\'", "'")  # 0.3's KeyError printed the repr: {\'fc.bias\'}
    keys = QUOTED.findall(body)
    if not keys:  # quotes lost in the paste: split on commas
        keys = [k.strip(" .\n\t") for k in body.split(",")]
    return [k for k in keys if k and k != "..."]


def prefix_relation(lists: KeyLists) -> tuple[str, str, int] | None:
    """("strip" | "add", prefix, pairs): checkpoint keys = prefix + model keys, or the reverse."""
    best: tuple[str, str, int] | None = None
    for direction, longer, shorter in (
        ("strip", lists.unexpected, lists.missing),
        ("add", lists.missing, lists.unexpected),
    ):
        short_set = set(shorter)
        counts: Counter[str] = Counter()
        for key in longer:
            parts = key.split(".")
            for i in range(1, len(parts)):
                if ".".join(parts[i:]) in short_set:
                    counts[".".join(parts[:i]) + "."] += 1
                    break
        if counts:
            prefix, n = counts.most_common(1)[0]
            if n >= max(1, min(len(longer), len(shorter)) // 2) and (best is None or n > best[2]):
                best = (direction, prefix, n)
    if best is None:
        # A truncated paste may not list the partner keys: every key of one list sharing a known
        # prefix that no key of the other list has is still a clear sign.
        for direction, longer, shorter in (
            ("strip", lists.unexpected, lists.missing),
            ("add", lists.missing, lists.unexpected),
        ):
            for prefix in KNOWN_PREFIXES:
                # With no partner list (0.3 named one unexpected key), only the prefixes
                # that wrappers add are a safe guess.
                if not shorter and prefix == "model.":
                    continue
                # A model wrapped in DataParallel names its own keys `module.…` too.
                if prefix == "module." and lists.module in WRAPPER_MODULES:
                    continue
                if (
                    longer
                    and all(k.startswith(prefix) for k in longer)
                    and not any(k.startswith(prefix) for k in shorter)
                ):
                    return direction, prefix, len(longer)
    return best


def key_prefix(ctx: Context) -> Reasoning:
    """Missing and unexpected keys that differ only by a prefix (`module.`, `_orig_mod.`)."""
    lists = key_lists(ctx.message)
    rel = prefix_relation(lists)
    if rel is None:
        raise Decline("the keys do not differ by a common prefix")
    direction, prefix, pairs = rel
    r = Reasoning()
    origin = KNOWN_PREFIXES.get(prefix, f"a wrapper module stored as `{prefix.rstrip('.')}`")
    _key_values(r, lists)
    r.values.update(prefix=prefix, pairs=pairs, origin=origin)
    load = _load_call(ctx)
    model = _receiver(load)
    state, define = _state_expr(load)
    example_long = next(
        (
            k
            for k in (lists.unexpected if direction == "strip" else lists.missing)
            if k.startswith(prefix)
        ),
        prefix + "…",
    )
    example_short = example_long[len(prefix) :]
    if direction == "strip":
        r.values["direction_text"] = (
            f"every checkpoint key carries the prefix `{prefix}` that the model's keys lack "
            f"(`{example_long}` in the checkpoint, `{example_short}` in the model)"
        )
        r.steps.append(
            f"{pairs} unexpected key(s) are missing keys with `{prefix}` in front: "
            f"`{example_long}` = `{prefix}` + `{example_short}`."
        )
        r.steps.append(
            f"The prefix comes from {origin}: the checkpoint was saved from the "
            "wrapper, and is loaded into the bare model."
        )
        r.fix_values["strip_prefix"] = prefix
        r.values["fix_text"] = (
            f"Remove the `{prefix}` prefix from the checkpoint's keys before "
            "loading, or save the unwrapped model next time."
        )
        saved = (
            "model.module.state_dict()"
            if prefix == "module."
            else "model._orig_mod.state_dict()"
            if prefix == "_orig_mod."
            else "the inner model"
        )
        lines = [define.rstrip("\n")] if define else []
        lines += [
            f'{state} = {{k.removeprefix("{prefix}"): v for k, v in {state}.items()}}',
            f"{model}.load_state_dict({state})",
            f"# or, when saving: torch.save({saved}, PATH)",
        ]
        if prefix == "module.":
            lines.append(
                "# (torch.nn.modules.utils.consume_prefix_in_state_dict_if_present("
                f'{state}, "module.") does the same in place)'
            )
    else:
        r.values["direction_text"] = (
            f"every model key carries the prefix `{prefix}` that the checkpoint's keys lack "
            f"(`{example_long}` in the model, `{example_short}` in the checkpoint)"
        )
        r.steps.append(
            f"{pairs} missing key(s) are unexpected keys with `{prefix}` in front: the model was "
            f"wrapped ({origin}) before loading a checkpoint saved without the wrapper."
        )
        r.fix_values["add_prefix"] = prefix
        inner = prefix.rstrip(".")
        r.values["fix_text"] = (
            f"Load into the wrapped model's inner module (`.{inner}`), or add "
            f"the `{prefix}` prefix to the checkpoint's keys."
        )
        lines = [define.rstrip("\n")] if define else []
        lines += [
            f"{model}.{inner}.load_state_dict({state})   # load into the wrapped model",
            f'# or: {state} = {{"{prefix}" + k: v for k, v in {state}.items()}}',
            "# or load before wrapping the model",
        ]
    r.fix_code = "\n".join(lines)
    if load is not None:
        r.suspects.append(
            call_suspect(
                load,
                f"loads keys named with{'out' if direction == 'add' else ''} `{prefix}` "
                "into a model named the other way",
                0.9,
            )
        )
    _saver_suspects(ctx, r, prefix)
    return r


def wrapped_checkpoint(ctx: Context) -> Reasoning:
    """Unexpected keys `epoch`, `optimizer`, `state_dict`: the whole checkpoint dict was passed."""
    lists = key_lists(ctx.message)
    top = [k for k in lists.unexpected if "." not in k]
    known = [k for k in top if k in WRAPPER_KEYS]
    if not known or len(known) < max(1, len(lists.unexpected) // 2):
        raise Decline("the unexpected keys are not a training checkpoint's entries")
    inner = next((k for k in WEIGHT_KEYS if k in lists.unexpected), None)
    r = Reasoning()
    _key_values(r, lists)
    r.values.update(
        wrapper_keys=", ".join(f'"{k}"' for k in top[:8]),
        weights_key=inner or "state_dict",
        missing_text=(
            f"all {len(lists.missing)} parameter key(s) of the model are "
            f"missing ({_sample(lists.missing)})"
        )
        if lists.missing
        else "the model's own parameter keys are not among them",
    )
    r.steps.append(
        f"The unexpected keys ({', '.join(top[:8])}) are not layer names: they are the entries "
        "of a training checkpoint, a dict saved as {'epoch': …, 'model_state_dict': …, "
        "'optimizer_state_dict': …}."
    )
    r.steps.append(
        "So none of the model's parameter keys were found at the top level: the weights are one "
        "level down" + (f", under {inner!r}." if inner else ".")
    )
    load = _load_call(ctx)
    model = _receiver(load)
    state, define = _state_expr(load)
    lines = [define.rstrip("\n")] if define else []
    if inner:
        r.fix_values["state_dict_key"] = inner
        lines.append(f'{model}.load_state_dict({state}["{inner}"])')
    else:
        lines.append(f"print({state}.keys())   # find the entry that holds the weights")
        lines.append(f'{model}.load_state_dict({state}["<that key>"])')
    if "pytorch-lightning_version" in lists.unexpected or inner == "state_dict":
        lines.append('# a Lightning checkpoint names its keys "model.…": strip that prefix too:')
        lines.append(f'# {{k.removeprefix("model."): v for k, v in {state}["state_dict"].items()}}')
    r.fix_code = "\n".join(lines)
    if load is not None:
        r.suspects.append(
            call_suspect(load, "passes the whole checkpoint dict instead of its model weights", 0.9)
        )
    return r


def _buffer_name(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def norm_buffers(ctx: Context) -> Reasoning:
    """Every missing or unexpected key is a normalisation buffer (`num_batches_tracked`,
    `running_mean`, `running_var`): the layers are the same, their buffers differ, because the
    checkpoint and the model come from different PyTorch releases or norm-layer options."""
    lists = key_lists(ctx.message)
    keys = lists.missing + lists.unexpected
    if not keys or not all(_buffer_name(k) in NORM_BUFFERS for k in keys):
        raise Decline("not only normalisation buffers")
    r = Reasoning()
    _key_values(r, lists)
    missing_kinds = sorted({_buffer_name(k) for k in lists.missing})
    unexpected_kinds = sorted({_buffer_name(k) for k in lists.unexpected})
    layers = sorted({k.rsplit(".", 1)[0] for k in keys})
    r.values["buffers"] = ", ".join(sorted(set(missing_kinds) | set(unexpected_kinds)))
    r.values["layer_count"] = len(layers)
    load = _load_call(ctx)
    model = _receiver(load)
    state, define = _state_expr(load)
    lines = [define.rstrip("\n")] if define else []
    r.steps.append(
        f"Every listed key is a buffer of a normalisation layer ({r.values['buffers']}), in "
        f"{len(layers)} layer(s) such as `{layers[0]}`: no weight or bias is missing, so the "
        "architecture matches and the layers' parameter names agree."
    )
    stats = ("running_mean", "running_var")
    if not lists.missing and unexpected_kinds == ["num_batches_tracked"]:
        r.values["headline"] = (
            "the checkpoint has BatchNorm's num_batches_tracked counters, which this model's "
            "norm layers do not have"
        )
        r.values["cause_text"] = (
            "BatchNorm gained the num_batches_tracked buffer in PyTorch 0.4.1: a checkpoint "
            "saved by 0.4.1 or later carries it, and an older PyTorch (or a custom or frozen "
            "BatchNorm that only registers running_mean/running_var) has no place for it. The "
            "counter only matters for momentum=None (cumulative averaging), so the weights "
            "themselves load fine without it."
        )
        r.values["fix_text"] = (
            "Drop the num_batches_tracked keys (or load with strict=False), or run the PyTorch "
            "release the checkpoint was saved with."
        )
        lines += [
            f"{state} = {{k: v for k, v in {state}.items()"
            ' if not k.endswith("num_batches_tracked")}',
            f"{model}.load_state_dict({state})",
            f"# or: {model}.load_state_dict({state}, strict=False), or upgrade PyTorch to >= 0.4.1",
        ]
        r.fix_values["drop_keys"] = "num_batches_tracked"
    elif not lists.unexpected and missing_kinds == ["num_batches_tracked"]:
        r.values["headline"] = (
            "the model's BatchNorm layers expect num_batches_tracked counters that the "
            "checkpoint lacks"
        )
        r.values["cause_text"] = (
            "The checkpoint was saved by PyTorch < 0.4.1, before BatchNorm had the "
            "num_batches_tracked buffer (current releases add it on load only when the state "
            "dict still carries its version metadata; a dict rebuilt key by key loses it). The "
            "counter only matters for momentum=None, so starting it at 0 is harmless."
        )
        r.values["fix_text"] = "Load with strict=False: the counters start at 0."
        lines.append(f"{model}.load_state_dict({state}, strict=False)   # the counters start at 0")
        r.fix_values["strict"] = False
    elif not lists.missing and set(stats) <= set(unexpected_kinds):
        r.values["headline"] = (
            "the checkpoint's norm layers kept running statistics, the model's do not"
        )
        r.values["cause_text"] = (
            "The checkpoint was saved from norm layers that track running statistics, and the "
            "model builds them with track_running_stats=False: InstanceNorm has defaulted to "
            "False since PyTorch 0.4 (older pix2pix/CycleGAN-style checkpoints still carry the "
            "buffers), and a BatchNorm built with track_running_stats=False has none either."
        )
        r.values["fix_text"] = (
            "Build the norm layers as the checkpoint was trained (track_running_stats=True), or, "
            "for InstanceNorm that does not use them, drop the running statistics from the "
            "checkpoint."
        )
        lines += [
            f"{state} = {{k: v for k, v in {state}.items()",
            '         if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))}',
            f"{model}.load_state_dict({state})",
            "# or build the layers with track_running_stats=True to use the saved statistics",
        ]
        r.fix_values["track_running_stats"] = True
    elif not lists.unexpected and set(stats) <= set(missing_kinds):
        r.values["headline"] = (
            "the model's norm layers track running statistics that the checkpoint does not have"
        )
        r.values["cause_text"] = (
            "The model builds its norm layers with track_running_stats=True (BatchNorm's "
            "default), while the checkpoint was saved from layers without running statistics "
            "(track_running_stats=False, or InstanceNorm/GroupNorm where the model has "
            "BatchNorm). Loading with strict=False would leave running_mean = 0 and "
            "running_var = 1, which changes every eval-mode output."
        )
        r.values["fix_text"] = (
            "Build the norm layers as the checkpoint was trained (track_running_stats=False, or "
            "the same norm class), or recompute the statistics after loading with strict=False."
        )
        lines += [
            "# build the model with the norm layers the checkpoint was trained with, e.g.",
            "# nn.BatchNorm2d(C, track_running_stats=False); or recompute the statistics:",
            f"{model}.load_state_dict({state}, strict=False)",
            f"{model}.train()",
            "with torch.no_grad():",
            "    for x, _ in loader:   # a few hundred samples refill running_mean/var",
            f"        {model}(x)",
        ]
        r.fix_values["track_running_stats"] = False
    else:
        r.values["headline"] = "they name the same layers, but their normalisation buffers differ"
        r.values["cause_text"] = (
            "The norm layers are configured differently on the two sides (track_running_stats, "
            "or BatchNorm against InstanceNorm/GroupNorm), or the checkpoint comes from another "
            "PyTorch release: only buffers differ, never the weights."
        )
        r.values["fix_text"] = (
            "Build the norm layers with the options the checkpoint was saved with, or load with "
            "strict=False after checking that only buffers are skipped."
        )
        lines += [
            f"result = {model}.load_state_dict({state}, strict=False)",
            "print(result.missing_keys, result.unexpected_keys)   # only norm buffers",
        ]
    r.fix_code = "\n".join(lines)
    if load is not None:
        r.suspects.append(
            call_suspect(load, "loads a checkpoint whose norm layers keep other buffers", 0.7)
        )
    return r


def key_mismatch(ctx: Context) -> Reasoning:
    """Missing / unexpected keys with no common prefix: the architectures differ."""
    lists = key_lists(ctx.message)
    if not lists.missing and not lists.unexpected:
        raise Decline("no keys listed")
    r = Reasoning()
    _key_values(r, lists)
    missing_mods = _modules(lists.missing)
    unexpected_mods = _modules(lists.unexpected)
    if lists.missing:
        r.steps.append(
            f"{len(lists.missing)} model key(s) have no weights in the checkpoint, in "
            f"{_module_list(missing_mods)}."
        )
    if lists.unexpected:
        r.steps.append(
            f"{len(lists.unexpected)} checkpoint key(s) have no place in the model, in "
            f"{_module_list(unexpected_mods)}."
        )
    renames = _renames(lists)
    load = _load_call(ctx)
    model = _receiver(load)
    state, define = _state_expr(load)
    lines = [define.rstrip("\n")] if define else []
    only_tracked = lists.missing and all(k.endswith("num_batches_tracked") for k in lists.missing)
    if only_tracked and not lists.unexpected:
        r.values["diagnosis"] = (
            "only BatchNorm's num_batches_tracked counters are missing: the checkpoint was saved "
            "by PyTorch < 0.4.1, before BatchNorm had that buffer"
        )
        lines.append(f"{model}.load_state_dict({state}, strict=False)   # the counters start at 0")
    elif renames:
        pairs = "; ".join(f"{old} → {new}" for old, new in renames.items())
        r.values["diagnosis"] = (
            f"the checkpoint names modules that the model names otherwise ({pairs}), with the "
            "same parameters: if they are the same layers renamed, rename the keys; if the "
            "layers really differ, build the model the checkpoint was saved from"
        )
        r.steps.append(
            f"The missing and unexpected modules pair up one to one, with the same "
            f"parameter names: {pairs}."
        )
        lines.append("renames = {" + ", ".join(f'"{o}.": "{n}."' for o, n in renames.items()) + "}")
        lines.append("for old, new in renames.items():")
        lines.append(f"    for k in [k for k in {state} if k.startswith(old)]:")
        lines.append(f"        {state}[new + k[len(old):]] = {state}.pop(k)")
        lines.append(f"{model}.load_state_dict({state})")
        r.fix_values["renames"] = renames
    elif lists.missing and not lists.unexpected:
        r.values["diagnosis"] = (
            f"the model has layers the checkpoint lacks ({_module_list(missing_mods)})"
        )
        lines.append(f"result = {model}.load_state_dict({state}, strict=False)")
        lines.append("print(result.missing_keys)   # these layers keep their initialisation")
        lines.append(
            "# if they should have come from the checkpoint, build the model the way "
            "the checkpoint was saved"
        )
    elif lists.unexpected and not lists.missing:
        r.values["diagnosis"] = (
            f"the checkpoint has layers the model lacks ({_module_list(unexpected_mods)})"
        )
        if UNEXPECTED_PRINTED.search(ctx.message):
            r.steps.append(
                "These lines are printed, not raised, by a loader such as optimistic_restore "
                "(neural-motifs and its copies): it copies every key that fits and skips these. "
                "The run goes on with the layers that the checkpoint fills; the listed weights "
                "are not used."
            )
            r.values["diagnosis"] += (
                "; a loader that prints these lines (optimistic_restore) skipped them and went "
                "on, so they matter only if this model should have had those layers (another "
                "config of the same model)"
            )
            if (
                all(k.startswith("module.") for k in lists.unexpected)
                and len(lists.unexpected) > 20
            ):
                r.steps.append(
                    "Every listed key starts with `module.`: if the loader listed every "
                    "checkpoint key, the checkpoint was saved from nn.DataParallel and the model "
                    "is bare: strip the prefix."
                )
        lines.append(f"{model}.load_state_dict({state}, strict=False)   # ignores the extra keys")
        lines.append(
            "# if the model should have these layers, build it with the options the "
            "checkpoint was trained with"
        )
    else:
        r.values["diagnosis"] = (
            "the model and the checkpoint are different architectures or versions: the model "
            f"expects {_module_list(missing_mods)}, the checkpoint has "
            f"{_module_list(unexpected_mods)}"
        )
        lines.append(
            "# build the model class/config the checkpoint was saved from; to load the "
            "keys both share:"
        )
        lines.append(f"result = {model}.load_state_dict({state}, strict=False)")
        lines.append("print(result.missing_keys, result.unexpected_keys)")
    r.fix_code = "\n".join(lines)
    if load is not None:
        r.suspects.append(
            call_suspect(load, "loads a checkpoint whose key names differ from the model's", 0.8)
        )
    return r


def _key_values(r: Reasoning, lists: KeyLists) -> None:
    r.values.update(
        module=lists.module,
        missing_count=len(lists.missing),
        unexpected_count=len(lists.unexpected),
        missing_sample=_sample(lists.missing),
        unexpected_sample=_sample(lists.unexpected),
    )


def _sample(keys: list[str], n: int = 3) -> str:
    if not keys:
        return "none"
    shown = ", ".join(keys[:n])
    return shown + (f" … ({len(keys)} in all)" if len(keys) > n else "")


def _modules(keys: list[str]) -> Counter[str]:
    """Keys by the module that owns them: `layer4.1.conv2.weight` -> `layer4` (and
    `module.context.x.weight` -> `module.context`: a wrapper's prefix names no module)."""
    out: Counter[str] = Counter()
    for k in keys:
        parts = k.split(".")
        if parts[0] in ("module", "_orig_mod", "model") and len(parts) > 2:
            out[".".join(parts[:2])] += 1
        elif k:
            out[parts[0]] += 1
    return out


def _module_list(mods: Counter[str]) -> str:
    return (
        ", ".join(f"`{m}` ({n} key{'s' if n != 1 else ''})" for m, n in mods.most_common(6))
        or "none"
    )


def _renames(lists: KeyLists) -> dict[str, str]:
    """Modules whose parameter names line up one to one: `classifier.*` -> `fc.*`."""

    def owners(keys: list[str]) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for k in keys:
            owner, _, param = k.rpartition(".")
            out.setdefault(owner, []).append(param)
        return {o: tuple(sorted(p)) for o, p in out.items() if o}

    missing, unexpected = owners(lists.missing), owners(lists.unexpected)
    if not missing or len(missing) != len(unexpected) or len(missing) > 6:
        return {}
    renames: dict[str, str] = {}
    for (new, params_new), (old, params_old) in zip(
        sorted(missing.items()), sorted(unexpected.items()), strict=True
    ):
        if params_new != params_old:
            return {}
        renames[old] = new
    return renames


def _saver_suspects(ctx: Context, r: Reasoning, prefix: str) -> None:
    """The line that wraps the model (DataParallel, compile) or saves the wrapper."""
    wrappers = {
        "module.": ("DataParallel", "DistributedDataParallel", "DDP"),
        "_orig_mod.": ("compile",),
    }.get(prefix, ())
    for call in ctx.source.calls(*wrappers, "save"):
        if call.name == "save" and not any("state_dict" in a for a in call.args):
            continue
        r.suspects.append(
            Suspect(
                call.file, call.line, call.code, f"the keys get their `{prefix}` prefix here", 0.5
            )
        )


# -- the object passed is not a state dict ------------------------------------------------------
def not_tensor(ctx: Context) -> Reasoning:
    """`While copying the parameter named "w", expected torch.Tensor ... but received <class X>`."""
    key = ctx.get("param") or "the parameter"
    received = str(ctx.get("received_type") or "")
    r = Reasoning()
    kind = received.split("'")[1] if "'" in received else received
    r.values.update(received_kind=kind, a_kind=_a(kind))
    if "ndarray" in kind:
        r.values["diagnosis"] = "the checkpoint holds numpy arrays (a converted checkpoint)"
        conv = "torch.from_numpy(v)"
    elif kind in ("list", "tuple"):
        r.values["diagnosis"] = "the checkpoint holds Python lists (saved as JSON, or tolist())"
        conv = "torch.tensor(v)"
    elif kind in ("int", "float", "str", "bool", "NoneType"):
        r.values["diagnosis"] = (
            f"the value under {key!s} is a plain {kind}: the dict passed is "
            "not a state_dict, or one of its entries was overwritten"
        )
        conv = "torch.as_tensor(v)"
    else:
        r.values["diagnosis"] = f"the value under {key!s} is a {kind}, not a tensor"
        conv = "torch.as_tensor(v)"
    r.steps.append(f"load_state_dict copies tensor by tensor; under {key!s} it found a {kind}.")
    load = _load_call(ctx)
    model = _receiver(load)
    state, define = _state_expr(load)
    lines = [define.rstrip("\n")] if define else []
    lines.append(f"{state} = {{k: {conv} for k, v in {state}.items()}}")
    lines.append(f"{model}.load_state_dict({state})")
    r.fix_code = "\n".join(lines)
    if load is not None:
        r.suspects.append(call_suspect(load, f"passes a dict whose {key!s} is a {kind}", 0.8))
    return r


def not_dict(ctx: Context) -> Reasoning:
    """`Expected state_dict to be dict-like, got <class 'X'>.`"""
    received = str(ctx.get("received_type") or "")
    kind = received.split("'")[1] if "'" in received else received
    short = kind.rsplit(".", 1)[-1]
    r = Reasoning()
    r.values.update(received_kind=kind)
    load = _load_call(ctx)
    model = _receiver(load)
    arg = load.args[0] if load is not None and load.args else "obj"
    if short == "str" or short.endswith("Path"):
        r.values["diagnosis"] = "the file path itself was passed, not what the file holds"
        r.fix_code = f'{model}.load_state_dict(torch.load({arg}, map_location="cpu"))'
    elif short in ("list", "tuple"):
        r.values["diagnosis"] = (
            f"a {short} was passed: often model.parameters() saved as a list, "
            "or the result of several checkpoints"
        )
        r.fix_code = (
            f"# save with torch.save(model.state_dict(), PATH), then:\n"
            f"{model}.load_state_dict(torch.load(PATH))"
        )
    elif short[:1].isupper() and short not in ("OrderedDict", "Tensor"):
        r.values["diagnosis"] = (
            f"a whole {short} object was passed: the file was saved with "
            "torch.save(model), so torch.load already returns the model"
        )
        r.fix_code = (
            f"loaded = {arg}   # a {short}, not a dict\n"
            f"{model}.load_state_dict(loaded.state_dict())   # or use `loaded` directly"
        )
    else:
        r.values["diagnosis"] = f"a {kind} was passed"
        r.fix_code = f"{model}.load_state_dict(torch.load(PATH))   # a dict of name -> tensor"
    r.steps.append(
        f"load_state_dict needs a mapping of parameter names to tensors; it got a {kind}."
    )
    if load is not None:
        r.suspects.append(call_suspect(load, f"passes a {kind} instead of a state_dict", 0.9))
    return r


def _a(word: str) -> str:
    """`int` -> `an int`."""
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


# -- torch.load failures that are not about devices ---------------------------------------------
def weights_only(ctx: Context) -> Reasoning:
    """`Weights only load failed ... Unsupported global: GLOBAL __main__.Foo` (torch >= 2.6)."""
    name = str(ctx.get("global_name") or "")
    if re.search(r"Unsupported\s+operand", ctx.message):
        raise Decline("not a pickle at all: the file is damaged or something else")
    r = Reasoning()
    r.values["global_name"] = name or "a class"
    r.steps.append(
        "Since PyTorch 2.6, torch.load defaults to weights_only=True: it unpickles only "
        "tensors, dicts, lists and a short allow-list of types, never arbitrary code."
    )
    if name:
        r.steps.append(
            f"The file pickles {name}, which is not on that list: it was saved with "
            "torch.save(model) (a whole module) or holds custom objects (argparse "
            "Namespace, numpy scalars, config classes)."
        )
    safe = name or "MyClass"
    r.fix_values["weights_only"] = False
    r.fix_code = (
        f"# if the file is trusted, allow just that type:\n"
        f"torch.serialization.add_safe_globals([{safe}])\n"
        "checkpoint = torch.load(PATH)\n"
        "# or (trusted files only: this runs pickled code)\n"
        "checkpoint = torch.load(PATH, weights_only=False)\n"
        "# better for the future: save model.state_dict(), not the model object"
    )
    for call in ctx.source.calls("load"):
        if call.func.endswith("torch.load") and "weights_only" not in call.kwargs:
            r.suspects.append(call_suspect(call, "loads with the weights_only=True default", 0.8))
    return r


def corrupt_checkpoint(ctx: Context) -> Reasoning:
    """`PytorchStreamReader failed reading zip archive`, `invalid load key, '<'`: the file is not
    a (complete) checkpoint."""
    key = str(ctx.get("load_key") or "")
    operand = ctx.get("operand")
    if not key and isinstance(operand, int) and 32 <= operand < 127:
        # weights_only=True reports the first byte as a number: 118 is 'v', 60 is '<'
        key = chr(operand)
    r = Reasoning()
    if key == "v":
        diagnosis = (
            "the file starts with 'v': it is a Git LFS pointer ('version https://git-lfs"
            "...'), a small text file standing in for the real weights"
        )
        fix = "git lfs install && git lfs pull   # fetch the real file, then load again"
    elif key == "<":
        diagnosis = (
            "the file starts with '<': it is an HTML page (a login, quota or error page "
            "saved instead of the checkpoint, typical of Google Drive links)"
        )
        fix = "# download the file again with a direct link (e.g. gdown) and check its size"
    elif key:
        diagnosis = (
            f"the file starts with {key!r}, which is not how a torch.save file starts: it "
            "was saved another way (numpy, joblib, safetensors) or is damaged"
        )
        fix = "# load it with the library that wrote it, or download / save it again"
    else:
        diagnosis = (
            "the zip archive torch.save writes is incomplete or damaged: the save was "
            "interrupted (disk full, job killed), the download or copy was cut short, "
            "or the file is not a torch checkpoint at all"
        )
        fix = (
            "# compare the file size with the original; save again, writing to a temp file:\n"
            'torch.save(state, PATH + ".tmp"); os.replace(PATH + ".tmp", PATH)'
        )
    r.values["diagnosis"] = diagnosis
    r.steps.append(diagnosis[:1].upper() + diagnosis[1:] + ".")
    r.fix_code = fix
    for call in ctx.source.calls("load"):
        if call.func.endswith("torch.load"):
            r.suspects.append(call_suspect(call, "reads the damaged / wrong file", 0.6))
    return r
