"""The dimensions the run confirmed, as sentences (no torch): what the failing layer expects,
what reached it and from where, where the batch changed, and the message's numbers seen."""

from __future__ import annotations

import linecache
import math
from typing import Any

CONVS = ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
NORMS = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d")
BINARY = ("+", "+=", "-", "-=", "*", "*=", "/", "add", "add_", "mul", "sub", "copy_")
SYMBOLS = {"add": "+", "add_": "+=", "mul": "*", "sub": "-", "copy_": "copied into"}


def _ints(text: str) -> list[str]:
    import re

    return re.findall(r"(?<![\w.])(\d+)(?![\w.])", text)


def shape(value: list[int] | None) -> str:
    return "[" + ", ".join(str(v) for v in value) + "]" if value is not None else "?"


def name(row: dict[str, Any]) -> str:
    """A module's path without the root's variable (`fc1` for `net.fc1`), kept whole when the
    rest is only an index (`encoder.1`)."""
    path = row["path"]
    if "." not in path:
        return path
    rest = path.split(".", 1)[1]
    return path if rest.split(".")[0].isdigit() else rest


def code_at(file: str | None, line: int | None) -> str:
    if not file or not line:
        return ""
    return linecache.getline(file, line).strip()


def label(row: dict[str, Any]) -> str:
    if row["kind"] == "op":
        return f"{row['call']} (line {row['line']})"
    return name(row)


def per_sample(value: list[int]) -> int:
    return math.prod(value[1:]) if len(value) > 1 else 1


def producer(rows: list[dict[str, Any]], index: int, features: int) -> dict[str, Any] | None:
    """The earlier row whose output map holds `features` values per sample (the 4D map behind
    a flatten), else the row just before."""
    before = [r for r in rows[:index] if r.get("output")]
    for row in reversed(before):
        out = row["output"]
        if len(out) >= 3 and per_sample(out) == features:
            return row
    return before[-1] if before else None


def failing_sentence(rows: list[dict[str, Any]], index: int) -> str | None:
    row = rows[index]
    inp = row.get("input")
    attrs = row.get("attrs") or {}
    kind = row["type"]
    if row["kind"] == "module" and kind in ("Linear", "LazyLinear") and inp:
        got, want = inp[-1], attrs.get("in_features")
        src = producer(rows, index, got)
        if src is not None and src.get("output") and len(src["output"]) >= 3:
            return (
                f"{label(src)} → {shape(src['output'])}: {per_sample(src['output']):,} features "
                f"per sample; {name(row)} expects {want:,}"
            )
        return f"{name(row)} gets {shape(inp)}: {got:,} features per row; it expects {want:,}"
    if row["kind"] == "module" and kind in CONVS and inp:
        want = attrs.get("in_channels")
        if len(inp) >= 3 and inp[-1] == want and inp[1] != want:
            return (
                f"{name(row)} gets {shape(inp)}, channels-last: its last dim ({inp[-1]}) holds "
                f"the {want} channels {name(row)} expects at dim 1"
            )
        dims = len(attrs.get("kernel_size") or [0, 0])
        if len(inp) < dims + 1:
            return (
                f"{name(row)} gets {shape(inp)}, {len(inp)} dims: a {kind} needs {dims + 1} "
                f"(one sample) or {dims + 2} (a batch), channels first"
            )
        if len(inp) == dims + 1:
            return (
                f"{name(row)} gets {shape(inp)}, {len(inp)} dims: read as one unbatched sample "
                f"with {inp[0]} channels; it expects {want}"
            )
        src = rows[index - 1] if index > 0 and rows[index - 1].get("output") == inp else None
        origin = f" (from {label(src)})" if src is not None else ""
        return (
            f"{name(row)} expects {want} input channels; its input {shape(inp)}{origin} has "
            f"{inp[1] if len(inp) > 1 else '?'}"
        )
    if row["kind"] == "module" and kind == "Embedding" and row.get("index_range"):
        low, high = row["index_range"]
        size = attrs.get("num_embeddings")
        return (
            f"{name(row)} has {size} rows (ids 0 to {size - 1 if isinstance(size, int) else '?'}); "
            f"its input {shape(inp)} holds ids from {low} to {high}"
        )
    if row["kind"] == "module" and kind in NORMS and inp:
        return (
            f"{name(row)} ({kind}({attrs.get('num_features')})) gets {shape(inp)}: "
            f"{inp[1] if len(inp) > 1 else inp[0]} at dim 1"
        )
    if row["kind"] == "module" and kind in ("LayerNorm", "RMSNorm") and inp:
        ns = attrs.get("normalized_shape") or []
        return (
            f"{name(row)} normalizes over the last {len(ns)} dim(s), {shape(ns)}; its input "
            f"{shape(inp)} ends with {shape(inp[-len(ns) :] if ns else [])}"
        )
    if row["kind"] == "module" and kind == "GroupNorm" and inp:
        return (
            f"{name(row)} (GroupNorm({attrs.get('num_groups')}, {attrs.get('num_channels')})) "
            f"gets {shape(inp)}: {inp[1] if len(inp) > 1 else '?'} channels"
        )
    if row["kind"] == "op" and kind in BINARY and len(row.get("inputs") or []) >= 2:
        a, b = row["inputs"][0], row["inputs"][1]
        dim = _mismatch(a, b)
        symbol = SYMBOLS.get(kind, kind)
        where = f"line {row['line']} `{code_at(row.get('file'), row.get('line'))}`"
        if dim is not None:
            other = b[dim - len(a) + len(b)]
            return f"{where}: {shape(a)} {symbol} {shape(b)}: dim {dim} is {a[dim]} vs {other}"
        return f"{where}: {shape(a)} {symbol} {shape(b)}"
    if row["kind"] == "op" and kind == "group_norm" and inp and len(inp) > 1:
        groups = next((int(a) for a in _ints(row.get("call", ""))), None)
        where = f"line {row['line']} `{code_at(row.get('file'), row.get('line'))}`"
        if groups:
            return (
                f"{where}: {inp[1]} channels of {shape(inp)} into {groups} groups: "
                f"{inp[1]} % {groups} = {inp[1] % groups}"
            )
    if row["kind"] == "op" and kind in ("view", "reshape") and inp:
        return (
            f"line {row['line']} `{code_at(row.get('file'), row.get('line'))}`: {shape(inp)} holds "
            f"{math.prod(inp):,} values"
        )
    if len(row.get("inputs") or []) >= 2 and ("loss" in kind.lower() or "entropy" in kind):
        ins, dtypes = row["inputs"], row.get("dtypes") or ["?", "?"]
        return (
            f"{label(row)}: input {shape(ins[0])} ({dtypes[0]}), target {shape(ins[1])} "
            f"({dtypes[1] if len(dtypes) > 1 else '?'})"
        )
    if inp is not None:
        return f"{label(row)} ({kind}) fails on {shape(inp)}"
    return None


def _mismatch(a: list[int], b: list[int]) -> int | None:
    for i in range(1, min(len(a), len(b)) + 1):
        x, y = a[-i], b[-i]
        if x != y and x != 1 and y != 1:
            return len(a) - i
    return None


def _linear_after(rows: list[dict[str, Any]], index: int) -> dict[str, Any] | None:
    for row in rows[index + 1 :]:
        if row["kind"] == "module" and row["type"] == "Linear":
            return row
    return None


def features_sentence(rows: list[dict[str, Any]], change: dict[str, Any]) -> str | None:
    """`pool → [32, 256, 28, 28]: 200,704 features per sample; fc_artist1 expects 65,536`."""
    index = change.get("row")
    if not isinstance(index, int) or not 0 <= index < len(rows):
        return None
    row = rows[index]
    linear = _linear_after(rows, index)
    inp = row.get("input")
    if linear is None or not inp or len(inp) < 3:
        return None
    src = next((r for r in reversed(rows[:index]) if r.get("output") == inp), None)
    where = label(src) if src is not None else "its input"
    want = (linear.get("attrs") or {}).get("in_features")
    if not isinstance(want, int) or want == per_sample(inp):
        return None
    return (
        f"{where} → {shape(inp)}: {per_sample(inp):,} features per sample; "
        f"{name(linear)} expects {want:,}"
    )


def batch_sentence(rows: list[dict[str, Any]], change: dict[str, Any]) -> str | None:
    index = change.get("row")
    if not isinstance(index, int) or not 0 <= index < len(rows):
        return None
    row = rows[index]
    inp, out = row.get("input"), row.get("output")
    if not inp or not out:
        return None
    where = (
        f"line {row['line']} `{code_at(row.get('file'), row.get('line'))}`"
        if row["kind"] == "op"
        else name(row)
    )
    extra = ""
    if row["kind"] == "op" and len(out) >= 2:
        extra = (
            f" ({math.prod(inp):,} values in rows of {per_sample(out):,}; one sample holds "
            f"{per_sample(inp):,})"
        )
    return (
        f"{where}: {shape(inp)} → {shape(out)}: the batch of {change['from']} became "
        f"{change['to']} rows{extra}"
    )


def observed_numbers(rows: list[dict[str, Any]], index: int | None) -> set[int]:
    """Every size seen near the failure: shapes, parameter shapes and layer settings."""
    near = rows if index is None else rows[max(0, index - 3) : index + 1]
    seen: set[int] = set()
    for row in near:
        for value in (
            [row.get("input"), row.get("output")]
            + (row.get("inputs") or [])
            + (row.get("outputs") or [])
        ):
            if value:
                seen.update(value)
                seen.add(len(value))
                seen.update(range(len(value)))
                seen.add(math.prod(value))
                if len(value) > 1:
                    seen.add(per_sample(value))
                    seen.add(math.prod(value[:-1]))
        for value in (row.get("param_shapes") or {}).values():
            seen.update(value)
        if row["kind"] == "op":
            seen.update(int(v) for v in _ints(row.get("call") or ""))
        for value in (row.get("attrs") or {}).values():
            if isinstance(value, int):
                seen.add(value)
            elif isinstance(value, list):
                seen.update(v for v in value if isinstance(v, int))
    return seen


def numbers_sentence(
    rows: list[dict[str, Any]], index: int | None, numbers: dict[str, Any], whole: bool = False
) -> str | None:
    flat: list[tuple[str, int]] = []
    for key, value in numbers.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            flat.append((key, value))
        elif isinstance(value, list):
            flat.extend((key, v) for v in value if isinstance(v, int))
    if not flat:
        return None
    seen = observed_numbers(rows, None if whole else index)
    flat = [(k, v) for k, v in flat if v >= 0]
    missing = [f"{k}={v}" for k, v in flat if v not in seen]
    values = ", ".join(dict.fromkeys(str(v) for _, v in flat))
    if not missing:
        return f"every number of the message is in the run: {values}"
    return f"numbers of the message not among the run's sizes: {', '.join(missing)}"


def sentences(facts: dict[str, Any], numbers: dict[str, Any] | None = None) -> list[str]:
    rows = facts.get("rows") or []
    error = facts.get("error") or {}
    out: list[str] = []
    index = error.get("row")
    if isinstance(index, int) and 0 <= index < len(rows):
        text = failing_sentence(rows, index)
        if text:
            out.append(text)
    elif error.get("where") and not rows:
        where = error["where"]
        out.append(f"raised at line {where['line']} `{where.get('code', '')}`, before any forward")
    change = facts.get("batch_change")
    if change:
        for text in (features_sentence(rows, change), batch_sentence(rows, change)):
            if text:
                out.append(text)
    if numbers and error and rows:
        at = index if isinstance(index, int) else None
        text = numbers_sentence(rows, at, numbers, whole=at is None)
        if text:
            out.append(text)
    roots = facts.get("roots") or []
    if roots and roots[0].get("outputs"):
        outs = ", ".join(shape(o) for o in roots[0]["outputs"][:3])
        out.append(f"{roots[0]['label']}'s forward completes: output {outs}")
    return out
