"""Mechanical fixes as source edits, from the explanation and from what the run observed.

Two sources: the knowledge base's fix, where it is written `new line   # was: old line` (the old
line is found in the user's files, on a suspect line when it occurs more than once); and fixes
the reproducer derives from the failing row itself: a Linear's in_features, `view(-1, n)` to
`flatten(1)`, a channels-last input permuted, a missing channel dimension, a 1×1 projection on a
residual shortcut, a loss target reshaped, a checkpoint loaded without its mismatched head, a
BatchNorm batch of one (`drop_last=True` or `model.eval()`). Each fix is verified by running the
patched copy; none is written to the user's files.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from explainer.repro.patch import (
    Edit,
    enclosing,
    indent_of,
    nn_alias,
    nodes_on_line,
    parse,
    replace_node,
    segment,
    statement_at,
    wrap_value,
)

WAS = re.compile(r"^(?P<new>.*?\S)\s+#\s*was:\s*(?P<old>.+)$")
LOSSES = {
    "CrossEntropyLoss": "ce", "NLLLoss": "ce", "cross_entropy": "ce", "nll_loss": "ce",
    "BCELoss": "bce", "BCEWithLogitsLoss": "bce", "binary_cross_entropy": "bce",
    "binary_cross_entropy_with_logits": "bce", "MSELoss": "reg", "L1Loss": "reg",
    "SmoothL1Loss": "reg", "HuberLoss": "reg", "mse_loss": "reg", "l1_loss": "reg",
    "smooth_l1_loss": "reg", "huber_loss": "reg",
}  # fmt: skip
CONVS = ("Conv1d", "Conv2d", "Conv3d")
INTEGER = ("int64", "int32", "int16", "int8", "uint8")


@dataclass
class Candidate:
    title: str
    edits: list[Edit]
    origin: str  # "knowledge base" or "reproducer"


@dataclass
class FixContext:
    facts: dict[str, Any]
    texts: dict[str, str]  # file -> its current text (patched copies included)
    hints: dict[str, Any] = field(default_factory=dict)
    fix_code: str = ""
    suspects: list[dict[str, Any]] = field(default_factory=list)
    read: Callable[[str], str | None] | None = None

    def text(self, path: str) -> str | None:
        if path not in self.texts and self.read is not None:
            found = self.read(path)
            if found is not None:
                self.texts[path] = found
        return self.texts.get(path)

    def lines(self, path: str) -> list[str]:
        text = self.text(path)
        return text.splitlines() if text is not None else []

    def tree(self, path: str) -> ast.Module | None:
        text = self.text(path)
        return parse(text) if text is not None else None

    @property
    def error(self) -> dict[str, Any]:
        return self.facts.get("error") or {}

    @property
    def row(self) -> dict[str, Any] | None:
        index = self.error.get("row")
        rows = self.facts.get("rows") or []
        return rows[index] if isinstance(index, int) and 0 <= index < len(rows) else None

    def module_row(self) -> dict[str, Any] | None:
        """The innermost failing module (the op's module when an operation failed)."""
        row = self.row
        if row is None or row["kind"] == "module":
            return row
        rows = self.facts.get("rows") or []
        index = self.error.get("row", 0)
        for candidate in reversed(rows[:index]):
            if candidate["kind"] == "module" and candidate["status"] == "failed":
                return candidate  # type: ignore[no-any-return]
        return None

    def root(self, row: dict[str, Any]) -> dict[str, Any] | None:
        roots = self.facts.get("roots") or []
        index = row.get("root", -1)
        return roots[index] if isinstance(index, int) and 0 <= index < len(roots) else None


def plan(ctx: FixContext, use_kb: bool = True) -> list[Candidate]:
    """Fixes to try, best first."""
    out: list[Candidate] = []
    if use_kb:
        kb = from_knowledge_base(ctx)
        if kb is not None:
            out.append(kb)
    for fixer in FIXERS:
        try:
            found = fixer(ctx)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            found = None
        if found is not None and not any(c.edits == found.edits for c in out):
            out.append(found)
    return out


# -- the knowledge base's `# was:` lines --------------------------------------------------------
def _norm(code: str) -> str:
    return re.sub(r"\s+", "", code.split("#", 1)[0]).rstrip(",")


def from_knowledge_base(ctx: FixContext) -> Candidate | None:
    edits: list[Edit] = []
    titles: list[str] = []
    files = list(dict.fromkeys([s["file"] for s in ctx.suspects] + list(ctx.texts)))
    for raw in ctx.fix_code.splitlines():
        if raw.lstrip().startswith("#"):
            continue
        m = WAS.match(raw.strip())
        if not m:
            continue
        new, old = m["new"].strip(), m["old"].split("; ")[0].strip()
        spot = _find_line(ctx, files, old, _built_here(ctx))
        if spot is None:
            return None
        file, line = spot
        original = ctx.lines(file)[line - 1]
        body = new
        if original.rstrip().endswith(",") and not new.endswith(","):
            body += ","
        edits.append(Edit(file, line, line, (indent_of(original) + body,)))
        titles.append(new.rstrip(","))
    if not edits:
        return None
    return Candidate("; ".join(titles), edits, "knowledge base")


def _built_here(ctx: FixContext) -> list[tuple[str, int]]:
    """Lines that built the failing modules: the surest place for the old line of a fix."""
    rows = ctx.facts.get("rows") or []
    return [
        (r["ctor"]["file"], r["ctor"]["line"])
        for r in reversed(rows)
        if r["kind"] == "module" and r.get("status") == "failed" and r.get("ctor")
    ]


def _find_line(
    ctx: FixContext, files: list[str], old: str, preferred: list[tuple[str, int]] | None = None
) -> tuple[str, int] | None:
    want = _norm(old)
    if not want:
        return None
    found: list[tuple[str, int]] = []
    for file in files:
        for n, line in enumerate(ctx.lines(file), start=1):
            if _norm(line) == want:
                found.append((file, n))
    if len(found) == 1:
        return found[0]
    for spot in preferred or []:
        if spot in found:
            return spot
    suspect_lines = {(s["file"], s["line"]) for s in ctx.suspects}
    on_suspect = [f for f in found if f in suspect_lines]
    return on_suspect[0] if len(on_suspect) == 1 else None


# -- fixes derived from the failing row ---------------------------------------------------------
def _call_named(tree: ast.Module, line: int, names: tuple[str, ...]) -> ast.Call | None:
    for node in nodes_on_line(tree, line, ast.Call):
        assert isinstance(node, ast.Call)
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in names:
            return node
    return None


def linear_in_features(ctx: FixContext) -> Candidate | None:
    row = ctx.module_row()
    if row is None or row["type"] != "Linear" or not row.get("input") or not row.get("ctor"):
        return None
    got, expected = row["input"][-1], row["attrs"].get("in_features")
    if got == expected:
        return None
    inp = row["input"]
    if len(inp) >= 3 and math.prod(inp[1:]) == expected and row.get("site"):
        return _flatten_call(ctx, row)
    file, line = row["ctor"]["file"], row["ctor"]["line"]
    tree = ctx.tree(file)
    call = _call_named(tree, line, ("Linear",)) if tree else None
    if call is None:
        return None
    arg: ast.AST | None = call.args[0] if call.args else None
    for kw in call.keywords:
        if kw.arg == "in_features":
            arg = kw.value
    if arg is None:
        return None
    edit = replace_node(file, ctx.lines(file), arg, str(got))
    return Candidate(f"build {_name(row)} with in_features={got:,}", [edit], "reproducer")


def _flatten_call(ctx: FixContext, row: dict[str, Any]) -> Candidate | None:
    """`self.fc1(x)` -> `self.fc1(x.flatten(1))`: the layer was built for the whole sample."""
    file, line = row["site"]
    tree = ctx.tree(file)
    attr = row["path"].rsplit(".", 1)[-1]
    lines = ctx.lines(file)
    for node in nodes_on_line(tree, line, ast.Call) if tree else []:
        assert isinstance(node, ast.Call)
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == attr and len(node.args) == 1:
            arg = node.args[0]
            new = wrap_value(segment(lines, arg), arg, ".flatten(1)")
            flat = [row["input"][0], math.prod(row["input"][1:])]
            title = f"flatten each sample before {_name(row)}: {row['input']} → {flat}"
            return Candidate(title, [replace_node(file, lines, arg, new)], "reproducer")
    return None


def _value_text(row: dict[str, Any], value: int, old: str = "", scope: str = "locals") -> str:
    """A name from the building frame that holds `value` (`out_ch`), else the number."""
    names = [k for k, v in ((row.get("ctor") or {}).get(scope) or {}).items() if v == value]
    names = [n for n in names if n != old]
    return names[0] if len(names) == 1 else str(value)


def norm_features(ctx: FixContext) -> Candidate | None:
    """A norm built for the wrong number of channels: its channel argument set to what
    reaches it, by name when the building frame has one (`out_ch`)."""
    row = ctx.module_row()
    if row is None or not row.get("input") or not row.get("ctor"):
        return None
    inp, attrs, kind = row["input"], row.get("attrs") or {}, row["type"]
    if len(inp) < 2:
        return None
    if kind.startswith("BatchNorm") and attrs.get("num_features") != inp[1]:
        index, keyword = 0, "num_features"
    elif kind == "GroupNorm" and attrs.get("num_channels") != inp[1]:
        index, keyword = 1, "num_channels"
    else:
        return None
    file, line = row["ctor"]["file"], row["ctor"]["line"]
    tree = ctx.tree(file)
    call = _call_named(tree, line, (kind,)) if tree else None
    if call is None:
        return None
    arg: ast.AST | None = call.args[index] if len(call.args) > index else None
    for kw in call.keywords:
        if kw.arg == keyword:
            arg = kw.value
    if arg is None:
        return None
    lines = ctx.lines(file)
    text = _value_text(row, inp[1], segment(lines, arg))
    edit = replace_node(file, lines, arg, text)
    return Candidate(
        f"build {_name(row)} for {inp[1]} channels ({keyword}={text})", [edit], "reproducer"
    )


def conv_in_channels(ctx: FixContext) -> Candidate | None:
    row = ctx.module_row()
    if row is None or row["type"] not in CONVS or not row.get("input") or not row.get("ctor"):
        return None
    inp = row["input"]
    expected, groups = row["attrs"].get("in_channels"), row["attrs"].get("groups", 1)
    if len(inp) != len(row["attrs"].get("kernel_size", [])) + 2 or groups != 1:
        return None
    got = inp[1]
    if got == expected or inp[-1] == expected:
        return None  # a channels-last input is another fix
    root = ctx.root(row)
    if root is not None and _is_model_input(ctx, row):
        return None  # the data is wrong, not the layer
    file, line = row["ctor"]["file"], row["ctor"]["line"]
    tree = ctx.tree(file)
    call = _call_named(tree, line, (row["type"],)) if tree else None
    if call is None or not call.args:
        return None
    edit = replace_node(file, ctx.lines(file), call.args[0], str(got))
    return Candidate(f"build {_name(row)} with in_channels={got}", [edit], "reproducer")


def _is_model_input(ctx: FixContext, row: dict[str, Any]) -> bool:
    rows = ctx.facts.get("rows") or []
    for candidate in rows:
        if candidate["kind"] == "module" and candidate["root"] == row["root"]:
            return bool(candidate.get("input") == row.get("input") and candidate["depth"] == 0)
    return False


def _root_call(ctx: FixContext, row: dict[str, Any]) -> tuple[str, ast.Call] | None:
    """The script's call of the model that holds `row`: (file, call node)."""
    root = ctx.root(row)
    if root is None or not root.get("site"):
        return None
    file, line = root["site"]
    tree = ctx.tree(file)
    if tree is None:
        return None
    label = root["label"]
    for node in nodes_on_line(tree, line, ast.Call):
        assert isinstance(node, ast.Call)
        try:
            if ast.unparse(node.func) == label and node.args:
                return file, node
        except Exception:  # noqa: BLE001
            continue
    return None


def input_layout(ctx: FixContext) -> Candidate | None:
    """A channels-last image batch, or one without its channel dimension, fed to the model."""
    row = ctx.module_row()
    if row is None or row["type"] != "Conv2d" or not _is_model_input(ctx, row):
        return None
    inp, channels = row["input"], row["attrs"].get("in_channels")
    found = _root_call(ctx, row)
    if found is None or not inp:
        return None
    file, call = found
    lines = ctx.lines(file)
    arg = call.args[0]
    text = segment(lines, arg)
    if len(inp) == 4 and inp[-1] == channels and inp[1] != channels:
        new = wrap_value(text, arg, ".permute(0, 3, 1, 2)")
        title = f"permute the channels-last input {inp} to [N, C, H, W]"
    elif len(inp) == 2 and channels == 1:
        new = wrap_value(text, arg, ".unsqueeze(0).unsqueeze(0)")
        title = f"one image as a batch of one, one channel: {inp} → [1, 1, {inp[0]}, {inp[1]}]"
    elif len(inp) == 3 and channels == 1:
        new = wrap_value(text, arg, ".unsqueeze(1)")
        title = f"add the channel dimension: {inp} → [{inp[0]}, 1, {inp[1]}, {inp[2]}]"
    elif len(inp) == 4 and inp[1] == 1 and channels == 3:
        new = wrap_value(text, arg, ".repeat(1, 3, 1, 1)")
        title = "repeat the grayscale channel 3 times for a model built for RGB"
    elif len(inp) == 4 and inp[1] == 4 and channels == 3:
        new = wrap_value(text, arg, "[:, :3]")
        title = "drop the alpha channel of the RGBA input"
    else:
        return None
    return Candidate(title, [replace_node(file, lines, arg, new)], "reproducer")


def norm_layout(ctx: FixContext) -> Candidate | None:
    """A norm given channels-first data it normalizes over the wrong dim: move the channels
    last for the norm, and back."""
    row = ctx.module_row()
    if row is None or not row.get("site") or not row.get("input"):
        return None
    inp, attrs = row["input"], row.get("attrs") or {}
    if row["type"] == "BatchNorm1d":
        features = attrs.get("num_features")
        if len(inp) != 3 or inp[2] != features or inp[1] == features:
            return None
        before, after = ".transpose(1, 2)", ".transpose(1, 2)"
    elif row["type"] in ("LayerNorm", "RMSNorm"):
        ns = attrs.get("normalized_shape") or []
        if len(ns) != 1 or len(inp) not in (3, 4) or inp[1] != ns[0] or inp[-1] == ns[0]:
            return None
        if len(inp) == 4:
            before, after = ".permute(0, 2, 3, 1)", ".permute(0, 3, 1, 2)"
        else:
            before, after = ".transpose(1, 2)", ".transpose(1, 2)"
    else:
        return None
    file, line = row["site"]
    tree = ctx.tree(file)
    if tree is None:
        return None
    attr = row["path"].rsplit(".", 1)[-1]
    lines = ctx.lines(file)
    for node in nodes_on_line(tree, line, ast.Call):
        assert isinstance(node, ast.Call)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == attr and len(node.args) == 1:
            arg = node.args[0]
            inner = wrap_value(segment(lines, arg), arg, before)
            new = f"{segment(lines, func)}({inner}){after}"
            title = f"{_name(row)} over the channels: {new}"
            return Candidate(title, [replace_node(file, lines, node, new)], "reproducer")
    return None


def view_to_flatten(ctx: FixContext) -> Candidate | None:
    """`x.view(-1, n)` that mixes samples: `x.flatten(1)` keeps the batch."""
    rows = ctx.facts.get("rows") or []
    change = ctx.facts.get("batch_change")
    row = rows[change["row"]] if change and 0 <= change["row"] < len(rows) else None
    failing = ctx.row
    if row is None and failing is not None and failing["kind"] == "op":
        if failing["type"] in ("view", "reshape"):
            row = failing
    if row is None or row["kind"] != "op" or row["type"] not in ("view", "reshape"):
        return None
    file, line = row["file"], row["line"]
    tree = ctx.tree(file)
    call = _call_named(tree, line, ("view", "reshape")) if tree else None
    if call is None or not isinstance(call.func, ast.Attribute) or not call.args:
        return None
    first = call.args[0]
    if not (
        isinstance(first, ast.UnaryOp)
        and isinstance(first.op, ast.USub)
        and isinstance(first.operand, ast.Constant)
        and first.operand.value == 1
    ):
        return None
    lines = ctx.lines(file)
    new = f"{segment(lines, call.func.value)}.flatten(1)"
    title = f"{new} instead of {segment(lines, call)}: keeps the batch of {row['input'][0]}"
    return Candidate(title, [replace_node(file, lines, call, new)], "reproducer")


def projection_shortcut(ctx: FixContext) -> Candidate | None:
    """`out + identity` with different channels: a 1×1 conv (and BatchNorm) on the shortcut."""
    row = ctx.row
    if row is None or row["kind"] != "op" or row["type"] not in ("+", "+=", "add", "add_"):
        return None
    shapes = row.get("inputs") or []
    if len(shapes) < 2 or len(shapes[0]) != 4 or len(shapes[1]) != 4:
        return None
    a, b = shapes[0], shapes[1]
    if a[0] != b[0] or a == b:
        return None
    # The shortcut is the operand with fewer channels or the larger map.
    narrow = 1 if (b[1] < a[1] or b[2] > a[2]) else 0
    wide = 1 - narrow
    small, big = shapes[narrow], shapes[wide]
    if small[1] > big[1] or small[2] < big[2] or small[3] < big[3]:
        return None
    if small[2] % big[2] or small[3] % big[3] or small[2] // big[2] != small[3] // big[3]:
        return None
    stride = small[2] // big[2]
    file, line = row["file"], row["line"]
    tree = ctx.tree(file)
    if tree is None:
        return None
    stmt = statement_at(tree, line)
    operands: list[ast.expr] = []
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Add):
        operands = [stmt.target, stmt.value]
    else:
        for node in nodes_on_line(tree, line, ast.BinOp):
            assert isinstance(node, ast.BinOp)
            if isinstance(node.op, ast.Add):
                operands = [node.left, node.right]
                break
    cls = enclosing(tree, line, ast.ClassDef)
    if (
        len(operands) != 2
        or not isinstance(cls, ast.ClassDef)
        or (narrow == 0 and isinstance(stmt, ast.AugAssign))
    ):
        return None
    init = next(
        (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None
    )
    if init is None:
        return None
    lines = ctx.lines(file)
    text = ctx.text(file) or ""
    attr = "shortcut" if "self.shortcut" not in text else "proj_shortcut"
    nn = nn_alias(tree)
    operand = operands[narrow]
    seg = segment(lines, operand)
    new_operand = f"self.{attr}({seg})"
    last = init.body[-1]
    indent = indent_of(lines[last.lineno - 1])
    owner = ctx.module_row() or {}
    c_in, c_out, s_text = (
        _value_text(owner, small[1], scope="init_locals"),
        _value_text(owner, big[1], scope="init_locals"),
        _value_text(owner, stride, scope="init_locals"),
    )
    layer = (
        f"{indent}self.{attr} = {nn}.Sequential({nn}.Conv2d({c_in}, {c_out}, kernel_size=1, "
        f"stride={s_text}, bias=False), {nn}.BatchNorm2d({c_out}))"
    )
    end = last.end_lineno or last.lineno
    edits = [
        Edit(file, end + 1, end, (layer,)),
        replace_node(file, lines, operand, new_operand),
    ]
    title = f"a 1×1 projection on the shortcut: {small[1]} → {big[1]} channels" + (
        f", stride {stride}" if stride > 1 else ""
    )
    if "__init__" in text and small[1] == big[1] and stride == 1:
        return None
    return Candidate(title, edits, "reproducer")


def target_shape(ctx: FixContext) -> Candidate | None:
    """A loss target in the wrong layout: one-hot, an extra dim of 1, integer for BCE/MSE."""
    row = ctx.row
    if row is None:
        return None
    kind = LOSSES.get(row["type"])
    if kind is None or len(row.get("inputs") or []) < 2:
        return None
    x, t = row["inputs"][0], row["inputs"][1]
    dtypes = row.get("dtypes") or []
    t_int = len(dtypes) > 1 and dtypes[1] in INTEGER
    suffix = None
    if kind == "ce":
        if t == x and t_int:
            suffix = ".argmax(1)"
        elif len(t) == len(x) and len(t) >= 2 and t[1] == 1 and t[0] == x[0] and t[2:] == x[2:]:
            suffix = ".squeeze(1)"
    else:
        if x == t + [1]:
            suffix = ".unsqueeze(-1)"
        elif t == x + [1]:
            suffix = ".squeeze(-1)"
        if t_int:
            suffix = (suffix or "") + ".float()"
    if suffix is None:
        return None
    if row["kind"] == "module":
        found = _root_call(ctx, row)
        if found is None:
            return None
        file, call = found
    else:
        file = row["file"]
        tree = ctx.tree(file)
        call = _call_named(tree, row["line"], (row["type"],)) if tree else None  # type: ignore[assignment]
        if call is None:
            return None
    if len(call.args) < 2:
        return None
    lines = ctx.lines(file)
    arg = call.args[1]
    new = wrap_value(segment(lines, arg), arg, suffix)
    title = f"the target as the loss expects it: {segment(lines, arg)}{suffix}"
    return Candidate(title, [replace_node(file, lines, arg, new)], "reproducer")


def state_dict_head(ctx: FixContext) -> Candidate | None:
    """load_state_dict with size mismatches: load what fits, leave the new head initialised."""
    message = ctx.error.get("message", "")
    where = ctx.error.get("where") or {}
    if "size mismatch for" not in message or not where.get("file"):
        return None
    keys = list(dict.fromkeys(re.findall(r"size mismatch for ([\w.]+):", message)))
    file, line = where["file"], where["line"]
    tree = ctx.tree(file)
    if tree is None:
        return None
    stmt = statement_at(tree, line)
    call = None
    if isinstance(stmt, ast.Expr | ast.Assign) and isinstance(stmt.value, ast.Call):
        call = stmt.value
    if (
        call is None
        or not isinstance(call.func, ast.Attribute)
        or call.func.attr != "load_state_dict"
        or not call.args
        or stmt is None
    ):
        return None
    lines = ctx.lines(file)
    indent = indent_of(lines[stmt.lineno - 1])
    owner = segment(lines, call.func.value)
    checkpoint = segment(lines, call.args[0])
    name = checkpoint if checkpoint.isidentifier() else "checkpoint_fitting"
    shown = ", ".join(keys[:4]) + (", ..." if len(keys) > 4 else "")
    new_lines = [
        f"{indent}# {shown}: shapes differ from the checkpoint; they keep their initialisation",
        f"{indent}_own = {owner}.state_dict()",
        f"{indent}{name} = {{k: v for k, v in {checkpoint}.items() "
        f"if k in _own and v.shape == _own[k].shape}}",
    ]
    first = segment(lines, stmt).split("\n")
    rebuilt = segment(lines, stmt).replace(
        segment(lines, call), f"{owner}.load_state_dict({name}, strict=False)", 1
    )
    if rebuilt == "\n".join(first):
        return None
    new_lines += [indent + part if i == 0 else part for i, part in enumerate(rebuilt.split("\n"))]
    edit = Edit(file, stmt.lineno, stmt.end_lineno or stmt.lineno, tuple(new_lines))
    return Candidate(f"load the checkpoint without {shown}", [edit], "reproducer")


def batch_of_one(ctx: FixContext) -> Candidate | None:
    """BatchNorm in training mode on one sample: drop_last=True, or eval() for a prediction."""
    if "more than 1 value per channel" not in ctx.error.get("message", ""):
        return None
    values = ctx.hints.get("fix_values") or {}
    loader = _dataloader_call(ctx)
    if loader is not None and not values.get("eval"):
        file, call = loader
        if any(k.arg == "drop_last" for k in call.keywords):
            return None
        lines = ctx.lines(file)
        text = segment(lines, call)
        new = text[:-1].rstrip() + ", drop_last=True)"
        return Candidate(
            "drop the last, incomplete batch: DataLoader(..., drop_last=True)",
            [replace_node(file, lines, call, new)],
            "reproducer",
        )
    row = ctx.row
    root = ctx.root(row) if row else None
    if root is None or not root.get("site") or not root["label"].isidentifier():
        return None
    file, line = root["site"]
    tree = ctx.tree(file)
    stmt = statement_at(tree, line) if tree else None
    if stmt is None:
        return None
    lines = ctx.lines(file)
    indent = indent_of(lines[stmt.lineno - 1])
    edit = Edit(file, stmt.lineno, stmt.lineno - 1, (f"{indent}{root['label']}.eval()",))
    return Candidate(
        f"{root['label']}.eval() before predicting: BatchNorm then uses its running statistics",
        [edit],
        "reproducer",
    )


def _dataloader_call(ctx: FixContext) -> tuple[str, ast.Call] | None:
    files = list(dict.fromkeys([s["file"] for s in ctx.suspects] + list(ctx.texts)))
    for file in files:
        tree = ctx.tree(file)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name == "DataLoader":
                    return file, node
    return None


ALIASES = {
    "num_heads": ("num_heads", "nhead", "n_heads", "heads"),
    "num_groups": ("num_groups", "groups"),
    "in_features": ("in_features",),
    "in_channels": ("in_channels",),
    "num_features": ("num_features",),
    "embed_dim": ("embed_dim", "d_model"),
    "padding_idx": ("padding_idx",),
    "num_embeddings": ("num_embeddings",),
    "batch_first": ("batch_first",),
}


def fix_values(ctx: FixContext) -> Candidate | None:
    """The knowledge base's corrected values put into the keyword arguments of the failing
    line's call (`nhead=8` -> `nhead=5`)."""
    values = ctx.hints.get("fix_values") or {}
    where = ctx.error.get("where") or {}
    spots = [(where.get("file"), where.get("line"))] + [
        (s["file"], s["line"]) for s in ctx.suspects
    ]
    for file, line in spots:
        tree = ctx.tree(file) if file else None
        if tree is None or not line or not file:
            continue
        lines = ctx.lines(file)
        for node in nodes_on_line(tree, line, ast.Call):
            assert isinstance(node, ast.Call)
            edits, titles = [], []
            for key, value in values.items():
                if not isinstance(value, int | bool):
                    continue
                for kw in node.keywords:
                    if kw.arg in ALIASES.get(key, (key,)) and segment(lines, kw.value) != repr(
                        value
                    ):
                        edits.append(replace_node(file, lines, kw.value, repr(value)))
                        titles.append(f"{kw.arg}={value!r}")
            if edits and not _overlap(edits):
                return Candidate(", ".join(titles), edits, "knowledge base")
    return None


def _overlap(edits: list[Edit]) -> bool:
    lines = [e.start for e in edits]
    return len(lines) != len(set(lines))


def _name(row: dict[str, Any]) -> str:
    return row["path"].split(".", 1)[1] if "." in row["path"] else row["path"]


FIXERS: list[Callable[[FixContext], Candidate | None]] = [
    view_to_flatten,
    linear_in_features,
    input_layout,
    norm_layout,
    conv_in_channels,
    norm_features,
    projection_shortcut,
    target_shape,
    state_dict_head,
    batch_of_one,
    fix_values,
]
