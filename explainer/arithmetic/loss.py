"""Loss functions given a target of the wrong shape, kind or range.

CrossEntropyLoss / NLLLoss want class indices: a Long tensor shaped like the input without its
class dimension (`[N]` for `[N, C]` logits, `[N, H, W]` for `[N, C, H, W]`), with values in
0..C-1. Since 1.10 a float target shaped like the input is read as class probabilities. BCE and
the regression losses want the target shaped exactly like the input. These functions account
for every number in the message, read the user's source to find the line that built the target
(the `one_hot`, the `unsqueeze(1)`, the label map that starts at 1) and give the corrected shape.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.shapes import Shape, fmt, product
from explainer.arithmetic.tensor_trace import Step, Traced, Tracer, calls_on_line, file_tree
from explainer.model import Frame, Suspect

LOSS_WORDS = ("loss", "criterion", "crit", "entropy", "nll", "cost", "objective")
LOSS_TOKENS = {"ce", "bce", "mse", "l1", "nll", "kl", "ctc", "loss", "criterion", "crit"}
CE_NAMES = ("CrossEntropyLoss", "NLLLoss", "NLLLoss2d", "cross_entropy", "nll_loss")
CASTS = re.compile(
    r"(?:\.(?:long|float|int|double|cuda|cpu|to|detach|clone|contiguous|type)\([^()]*\))+$"
)
BCE_NAMES = (
    "BCELoss",
    "BCEWithLogitsLoss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
)


# -- finding the loss call and its arguments in the user's source ---------------------------


@dataclass
class LossCall:
    """The user's call of a loss, with its input and target expressions."""

    frame: Frame
    node: ast.Call
    func: str  # as written: `criterion`, `F.cross_entropy`, `self.loss_fn`
    input: ast.expr | None
    target: ast.expr | None
    tracer: Tracer
    ctor: Step | None = None  # `criterion = nn.CrossEntropyLoss(...)`
    ctor_node: ast.Call | None = None
    kind: str = ""  # the loss class or function: `CrossEntropyLoss`, `cross_entropy`
    traced_target: Traced = field(default_factory=Traced)
    traced_input: Traced = field(default_factory=Traced)

    @property
    def code(self) -> str:
        return self.tracer.code(self.frame.line or 0)

    @property
    def target_text(self) -> str:
        return ast.unparse(self.target) if self.target is not None else "target"

    @property
    def target_base(self) -> str:
        """The target without trailing casts: `masks` for `masks.long().cuda()`."""
        return CASTS.sub("", self.target_text) or self.target_text

    def with_target(self, expr: str) -> str:
        """The call's line with the target argument replaced by `expr`."""
        full = self.target_text
        return self.code.replace(full, expr, 1) if full in self.code else self.code

    @property
    def input_text(self) -> str:
        return ast.unparse(self.input) if self.input is not None else "input"

    def suspect(self, reason: str, score: float) -> Suspect:
        return Suspect(self.frame.file, self.frame.line or 0, self.code, reason, score)

    def kwarg(self, name: str) -> ast.expr | None:
        for node in (self.node, self.ctor_node):
            if node is not None:
                for k in node.keywords:
                    if k.arg == name:
                        return k.value
        return None


def _lossy(func: str) -> bool:
    low = func.lower()
    if any(w in low for w in LOSS_WORDS):
        return True
    tokens = set(re.split(r"[._]", low))
    return bool(tokens & LOSS_TOKENS)


def user_frames(ctx: Context) -> list[Frame]:
    """User frames, innermost first: the matched error's, then the rest."""
    frames: list[Frame] = []
    blocks = [ctx.block] if getattr(ctx, "block", None) else []
    blocks += [ctx.parsed.error] if ctx.parsed.error else []
    blocks += list(reversed(ctx.parsed.chain))
    for block in blocks:
        if block is None:
            continue
        for frame in reversed(block.frames):
            if frame.is_user and frame not in frames:
                frames.append(frame)
    return frames


def find_loss_call(ctx: Context) -> LossCall | None:
    """The loss call on a user frame's line, innermost frame first."""
    for frame in user_frames(ctx):
        if frame.line is None or frame.file not in ctx.source.files():
            continue
        tree = file_tree(ctx.source, frame.file)
        if tree is None:
            continue
        calls = [c for c in calls_on_line(tree, frame.line) if _takes_two(c)]
        lossy = [c for c in calls if _lossy(ast.unparse(c.func))]
        if not lossy:
            continue
        node = lossy[0]
        return _loss_call(ctx, frame, tree, node)
    return None


def _takes_two(node: ast.Call) -> bool:
    names = {k.arg for k in node.keywords}
    return (
        len(node.args) >= 2
        or ({"input", "target"} <= names)
        or (len(node.args) == 1 and "target" in names)
    )


def _loss_call(ctx: Context, frame: Frame, tree: ast.Module, node: ast.Call) -> LossCall:
    tracer = Tracer(ctx.source, frame.file)
    kw = {k.arg: k.value for k in node.keywords if k.arg}
    inp = node.args[0] if node.args else kw.get("input")
    tgt = node.args[1] if len(node.args) > 1 else kw.get("target")
    func = ast.unparse(node.func)
    call = LossCall(frame, node, func, inp, tgt, tracer, kind=func.rsplit(".", 1)[-1])
    if isinstance(node.func, ast.Name | ast.Attribute) and call.kind not in CE_NAMES + BCE_NAMES:
        _resolve_ctor(call, tree, frame.line or 0)
    line = frame.line or 0
    if tgt is not None:
        call.traced_target = tracer.trace(tgt, line)
    if inp is not None:
        call.traced_input = tracer.trace(inp, line)
    return call


def _resolve_ctor(call: LossCall, tree: ast.Module, line: int) -> None:
    from explainer.arithmetic.tensor_trace import last_assignment

    found = last_assignment(tree, call.func, line)
    if not found or not isinstance(found[1], ast.Call):
        return
    value = found[1]
    at = getattr(found[0], "lineno", line)
    name = ast.unparse(value.func).rsplit(".", 1)[-1]
    call.ctor = Step(call.frame.file, at, call.tracer.code(at), name)
    call.ctor_node = value
    call.kind = name


def frames_mention(ctx: Context, *words: str) -> bool:
    """Whether any frame's function, file or code names one of these words."""
    for frame in ctx.parsed.all_frames:
        text = f"{frame.function or ''} {frame.code or ''} {frame.file}".lower()
        if any(w.lower() in text for w in words):
            return True
    return False


def warning_beside_other_error(ctx: Context) -> bool:
    """The match is a warning, but the text ends on a PyTorch exception that says something
    else: that exception is the question (another entry explains it), so decline.

    A run that ended with another library's error (scikit-learn's `Found input variables with
    inconsistent numbers of samples`, a numpy broadcast) after this warning is accepted: the
    silent shape bug the warning reports is the usual cause of that error. When the warning
    itself is the matched candidate, the matcher tried the final exception first, and no entry
    explained it."""
    error = ctx.parsed.error
    if error is None or not error.message.strip():
        return False
    if ctx.message in error.message or error.message in ctx.message:
        return False
    if (error.type or "").endswith("Warning"):
        return False
    if _from_warning(ctx):
        return False
    return is_torch_error(error)


def _from_warning(ctx: Context) -> bool:
    """The matched text is a warning line of its own (not the exception or the raw text)."""
    block = getattr(ctx, "block", None)
    return (
        block is not None
        and block is not ctx.parsed.error
        and ((block.type or "").endswith("Warning"))
    )


TORCH_FRAME = re.compile(r"[\\/](?:torch|torchvision|torchaudio)[\\/]")
TORCH_TYPES = ("RuntimeError", "AcceleratorError", "OutOfMemoryError", "TorchRuntimeError")
TORCH_WORDS = re.compile(
    r"\btensors?\b|\btorch\b|\bcuda\b|cudnn|\bdtype\b|\bdevice\b|\bdim(?:ension)?\b|"
    r"size\s+mismatch|must\s+match|cannot\s+be\s+multiplied|\bchannels\b|state_dict",
    re.IGNORECASE,
)


def is_torch_error(error: object) -> bool:
    """Whether an exception reads as PyTorch's own: raised in torch's files, a RuntimeError-like
    type, or a message in torch's words (tensor, dim, dtype, device, ...)."""
    frames = getattr(error, "frames", []) or []
    if any(TORCH_FRAME.search(f.file or "") for f in frames):
        return True
    kind = (getattr(error, "type", None) or "").rsplit(".", 1)[-1]
    if kind in TORCH_TYPES or (getattr(error, "type", None) or "").startswith("torch."):
        return True
    if getattr(error, "cpp_frames", None):
        return True
    return bool(TORCH_WORDS.search(getattr(error, "message", "") or ""))


def other_error_notes(ctx: Context) -> list[str]:
    """A note when the run ended with another library's error that this warning explains (the
    matcher adds its own when the warning line itself was matched)."""
    error = ctx.parsed.error
    if error is None or not error.message.strip() or _from_warning(ctx):
        return []
    if ctx.message in error.message or error.message in ctx.message:
        return []
    if (error.type or "").endswith("Warning") or is_torch_error(error):
        return []
    first = error.message.strip().splitlines()[0][:200]
    return [
        f"The run ended with another error, {error.type or 'an exception'}: {first}. It is not "
        "PyTorch's; the warning before it is explained here, and the shapes it reports are the "
        "likely cause."
    ]


def has_frames(ctx: Context) -> bool:
    return bool(ctx.parsed.all_frames)


def shape_of(ctx: Context, *names: str) -> Shape | None:
    value = ctx.get(*names)
    return value if isinstance(value, Shape) else None


SHAPING_OPS = ("unsqueeze", "one_hot", "view", "reshape", "permute", "stack", "expand")


def origin_step(traced: Traced) -> Step | None:
    """The line that gave a traced tensor its shape: a reshaping op, else where it was made."""
    for step in traced.steps:
        if step.op in SHAPING_OPS:
            return step
    made = [s for s in traced.steps if s.op not in ("unpacked", "assign", "item", "batch")]
    return made[-1] if made else None


def step_suspect(step: Step, reason: str, score: float) -> Suspect:
    return Suspect(step.file, step.line, step.code, reason, score)


def _plural(n: int, word: str) -> str:
    return f"{fmt(n)} {word}{'' if n == 1 else 's'}"


def without(shape: Shape, dim: int) -> Shape:
    dim %= len(shape)
    return Shape((*shape[:dim], *shape[dim + 1 :]))


# -- CrossEntropy / NLL: class indices vs one-hot vs probabilities --------------------------


def probability_target(ctx: Context) -> Reasoning:
    """`Expected floating point type for target with class probabilities, got Long`."""
    dtype = ctx.get("dtype") or "an integer type"
    r = Reasoning()
    r.values["dtype"] = dtype
    r.steps.append(
        "cross_entropy reads a target shaped exactly like the input ([N, C] or [N, C, H, W]) as "
        "class probabilities (soft labels, torch ≥ 1.10) and needs it floating point; a target "
        "of class indices has no class dimension. This target has the input's shape and is "
        f"{dtype}."
    )
    lc = find_loss_call(ctx) if ctx.source.files() else None
    target = lc.traced_target if lc else Traced()
    name = lc.target_base if lc else "target"
    fix_expr = f"{name}.argmax(dim=1)"
    r.values["target_story"] = (
        "Its shape equals the input's, so it was taken for a [N, C, …] probability map, but it "
        f"holds {dtype} values: most often a one-hot encoding of class indices."
    )
    fixed_shape: Shape | None = None
    hot = target.one_hot_source
    if lc and hot is not None:
        fixed_shape, fix_expr = _one_hot_story(r, lc, target, hot)
    elif target.shape is not None and len(target.shape) >= 2:
        fixed_shape = without(target.shape, 1)
        r.steps.append(
            f"{name} is {target.shape}: with the classes on dim 1, the class indices are "
            f"{name}.argmax(dim=1), shaped {fixed_shape}."
        )
        if target.shape[1] == 1:
            _single_column(r, lc, target.shape)
            fix_expr = f"{name}.squeeze(1)"
    if fixed_shape is not None:
        r.fix_values["target_shape"] = fixed_shape
        r.values["fixed_shape"] = str(fixed_shape)
    else:
        r.values["fixed_shape"] = "[N] (or [N, H, W] for segmentation)"
    r.values["fix_expr"] = fix_expr
    r.values["wants_text"] = (
        f"CrossEntropyLoss wants class indices here: a Long tensor {r.values['fixed_shape']} "
        "with values 0 … C−1, the input without its class dimension."
    )
    r.values["fix_summary"] = (
        f"Pass the class indices, {fix_expr}: a Long tensor {r.values['fixed_shape']}; or a "
        "float target for soft labels."
    )
    if hot is None and _says_multi_label(ctx):
        r.fix_values.pop("target_shape", None)
        _multi_label(r, lc, name, target.shape)
        r.values["wants_text"] = (
            "argmax would keep one label per sample, and a float() target would be read as "
            "probabilities that must sum to 1 per row."
        )
        return r
    if lc:
        call = lc.with_target(fix_expr)
        r.fix_code = f"{call}   # class indices {r.values['fixed_shape']}, values 0..C-1"
        r.fix_code += f"\n# or, as probabilities (soft labels): {lc.with_target(name + '.float()')}"
        r.suspects.insert(
            0,
            lc.suspect(
                f"passes {name} ({dtype}, shaped like the logits) where CrossEntropyLoss wants "
                "class indices",
                0.9,
            ),
        )
    else:
        r.fix_code = (
            "loss = criterion(logits, target.argmax(dim=1))   # one-hot [N, C, ...] -> indices "
            "[N, ...]\n# or, for soft labels: criterion(logits, target.float())"
        )
    return r


def _one_hot_story(
    r: Reasoning, lc: LossCall, target: Traced, hot: Traced
) -> tuple[Shape | None, str]:
    name = lc.target_base
    step = target.step_for("one_hot") or next(
        (s for s in target.steps if "one_hot" in s.code), None
    )
    dim = target.one_hot_dim if target.one_hot_dim is not None and target.one_hot_dim >= 0 else 1
    shape_text = f" {target.shape}" if target.shape is not None else ""
    r.steps.append(
        f"{name} is a one-hot encoding{shape_text}: F.one_hot adds the class dimension last, "
        f"and here it sits at dim {dim}."
    )
    fixed = hot.shape
    if fixed is None and target.shape is not None:
        fixed = without(target.shape, dim)
    indices = _indices_name(step)
    expr = indices or f"{name}.argmax(dim={dim})"
    if fixed is not None:
        r.steps.append(
            f"CrossEntropyLoss wants the class indices themselves: shape {fixed} "
            f"({_layout(fixed)}), "
            "Long, values 0..C-1; that is the tensor before one_hot"
            + (f" (`{indices}`)" if indices else "")
            + f", or {name}.argmax(dim={dim})."
        )
    r.values["target_story"] = (
        f"{name} is a one-hot encoding of the class indices{shape_text}; cast to "
        f"{r.values['dtype']} "
        "it has the logits' shape, so it was read as a probability map of the wrong type."
    )
    if step:
        r.suspects.append(
            step_suspect(
                step,
                "builds the one-hot target; CrossEntropyLoss takes the indices before one_hot",
                0.6,
            )
        )
    return fixed, expr


def _layout(shape: Shape) -> str:
    return {1: "[N]", 3: "[N, H, W]"}.get(len(shape), "the input without dim 1")


def _indices_name(step: Step | None) -> str | None:
    if step is None:
        return None
    m = re.search(r"one_hot\(\s*([\w.]+)", step.code)
    return m.group(1) if m else None


def _single_column(r: Reasoning, lc: LossCall | None, shape: Shape) -> None:
    r.steps.append(
        f"The input has a single class column ({shape}): cross-entropy over one class is always "
        "0. A binary classifier with one output needs BCEWithLogitsLoss and a float target of "
        "the same shape; with CrossEntropyLoss it needs 2 outputs and a [N] Long target."
    )


def multi_target(ctx: Context) -> Reasoning:
    """`0D or 1D target tensor expected, multi-target not supported` (and the THNN wording)."""
    r = Reasoning()
    if _pair_frames(ctx):
        raise Decline("a pair loss's ±1 target: cosine-embedding-target")
    lc = find_loss_call(ctx) if ctx.source.files() else None
    target = lc.traced_target if lc else Traced()
    name = lc.target_base if lc else "target"
    r.steps.append(
        "With [N, C] logits, CrossEntropyLoss / NLLLoss want one class index per sample: a "
        "Long target of shape [N] (0-D for a single unbatched sample). This target has 2 or "
        "more dimensions."
    )
    shape = target.shape
    fix_expr = f"{name}.squeeze(1)"
    story = (
        "The target has an extra dimension: [N, 1] labels (from unsqueeze, view(-1, 1) or a "
        "Dataset returning [label]) or one-hot [N, C] rows."
    )
    fixed: Shape | None = None
    if target.one_hot_source is not None or (
        shape is not None and len(shape) == 2 and shape[1] > 1
    ):
        fix_expr = f"{name}.argmax(dim=1)"
        if shape is not None:
            fixed = Shape((shape[0],))
        story = (
            f"{name} is a one-hot (or multi-label) [N, C] matrix"
            + (f" {shape}" if shape else "")
            + "; CrossEntropyLoss wants the index of the "
            "class of each row. For several labels per sample use BCEWithLogitsLoss."
        )
    elif shape is not None and len(shape) >= 2 and 1 in shape[1:]:
        fixed = Shape(d for i, d in enumerate(shape) if i == 0 or d != 1)
        fix_expr = f"{name}.squeeze(1)" if shape[1] == 1 else f"{name}.view(-1)"
        story = f"{name} is {shape}: a column of labels with a trailing size-1 dimension."
    elif shape is not None:
        fixed = Shape((shape[0],))
        fix_expr = f"{name}.view(-1)" if product(shape) == shape[0] else f"{name}.argmax(dim=1)"
    if shape is not None:
        r.steps.append(f"{name} is {shape}; the target must be {fixed}.")
    unsq = next((s for s in target.steps if s.op in ("unsqueeze", "view", "reshape")), None)
    if unsq:
        r.suspects.append(step_suspect(unsq, "adds the extra target dimension", 0.7))
        story += f" The extra dimension comes from `{unsq.code}`."
    elif target.one_hot_source is not None and target.step_for("one_hot"):
        hot = target.step_for("one_hot")
        assert hot is not None
        r.suspects.append(step_suspect(hot, "one-hot encodes the target", 0.7))
    r.values["target_story"] = story
    r.values["fix_expr"] = fix_expr
    r.values["fix_summary"] = f"Pass a 1-D Long target of class indices: {fix_expr}."
    if _says_multi_label(ctx):
        return _multi_label(r, lc, name, shape)
    if fixed is not None:
        r.fix_values["target_shape"] = fixed
    bce = f"\n# several 1s per row (multi-label): nn.BCEWithLogitsLoss()(logits, {name}.float())"
    if lc:
        r.suspects.insert(0, lc.suspect(f"passes {name} with more than one dimension", 0.85))
        r.fix_code = lc.with_target(fix_expr) + f"   # target shape {fixed or '[N]'}"
        if "argmax" in fix_expr:
            r.fix_code += bce
    else:
        r.fix_code = (
            "loss = criterion(logits, target.squeeze(1))   # [N, 1] labels -> [N]\n"
            "# one-hot [N, C] rows: criterion(logits, target.argmax(dim=1))" + bce
        )
    return r


MULTI_LABEL = re.compile(
    r"multi[-_ ]?(?:label|hot|target)|several\s+labels|multiple\s+labels|"
    r"more\s+than\s+one\s+label",
    re.I,
)


def _says_multi_label(ctx: Context) -> bool:
    """The text around the message says the labels are multi-label (the message's own
    "multi-target not supported" does not count)."""
    prose = re.sub(r"multi-target\s+not\s+supported", "", ctx.parsed.text, flags=re.I)
    return bool(MULTI_LABEL.search(prose))


def _multi_label(r: Reasoning, lc: LossCall | None, name: str, shape: Shape | None) -> Reasoning:
    """Several classes per sample: CrossEntropyLoss is the wrong loss, not the wrong shape."""
    r.steps.append(
        "The labels are multi-label: each sample may belong to several classes, a [N, C] row "
        "of 0/1 with more than one 1. CrossEntropyLoss picks exactly one class per sample, so "
        "squeezing or taking argmax would throw the other labels away."
    )
    r.values["target_story"] = (
        f"{name} holds multi-label rows"
        + (f" {shape}" if shape is not None else " [N, C]")
        + ": several classes per sample, which CrossEntropyLoss (one class index per sample) "
        "cannot express. Multi-label classification takes one sigmoid per class: "
        "BCEWithLogitsLoss on the raw logits with a float [N, C] target."
    )
    r.values["fix_summary"] = (
        f"Use nn.BCEWithLogitsLoss with the [N, C] multi-label target as float ({name}.float()),"
        " not a squeeze or argmax."
    )
    r.fix_values["loss"] = "BCEWithLogitsLoss"
    if shape is not None:
        r.fix_values["target_shape"] = shape
    r.fix_code = (
        "criterion = nn.BCEWithLogitsLoss()   # one sigmoid per class\n"
        f"loss = criterion(logits, {name}.float())   # target [N, C] of 0/1, like the logits\n"
        "# predictions: (logits.sigmoid() > 0.5) per class"
    )
    if lc:
        r.suspects.insert(0, lc.suspect(f"uses a one-class-per-sample loss on {name}", 0.8))
    return r


PAIR_LOSSES = ("cosine_embedding", "CosineEmbeddingLoss", "margin_ranking", "hinge_embedding")


def pair_target(ctx: Context) -> Reasoning:
    """`0D or 1D target tensor expected, multi-target not supported` raised inside
    cosine_embedding_loss: the target is one ±1 label per pair of rows, shape [N]."""
    if not _pair_frames(ctx):
        raise Decline("no pair loss in the traceback: CrossEntropy / NLL")
    r = Reasoning()
    r.steps.append(
        "cosine_embedding_loss(x1, x2, y) compares the rows x1[i] and x2[i] ([N, D] inputs) and "
        "takes one label per pair: y is 1-D, shape [N], holding 1 (the pair should be similar) "
        "or -1 (dissimilar). This target has 2 or more dimensions."
    )
    found = _pair_call(ctx)
    name = found[2] if found else "target"
    shape = found[3] if found else None
    if shape is not None:
        r.steps.append(f"{name} is {shape}; the target must be [{shape[0]}].")
    r.values["target_name"] = name
    r.values["target_story"] = (
        f"{name} has more than one dimension. A [N, 1] column of labels only needs "
        f"{name}.view(-1); a target shaped like the inputs (torch.ones_like(x1), one label per "
        "feature) should be one label per row, torch.ones(x1.size(0)); and [B, L, D] inputs "
        "with [B, L] labels are pairs of rows too: flatten x1 and x2 to [B·L, D] and the "
        "labels to [B·L]."
    )
    r.values["fix_expr"] = f"{name}.view(-1)"
    r.fix_values["target_ndim"] = 1
    r.fix_code = (
        f"loss = F.cosine_embedding_loss(x1, x2, {name}.view(-1))   # target [N] of +1/-1\n"
        "# [B, L, D] inputs: F.cosine_embedding_loss(x1.flatten(0, 1), x2.flatten(0, 1), "
        f"{name}.flatten())"
    )
    if found:
        frame, code, _, _ = found
        r.suspects.append(
            Suspect(
                frame.file,
                frame.line or 0,
                code,
                f"passes {name} with more than one dimension",
                0.8,
            )
        )
        if name in code:
            r.fix_code = (
                f"{code.replace(name, f'{name}.view(-1)', 1)}   # target [N] of +1/-1\n"
                "# [B, L, D] inputs: flatten x1 and x2 to [B·L, D] and the target to [B·L]"
            )
    return r


def _pair_frames(ctx: Context) -> bool:
    """Whether a frame's function or code is a pair loss (file names do not count)."""
    words = [w.lower() for w in PAIR_LOSSES]
    for frame in ctx.parsed.all_frames:
        text = f"{frame.function or ''} {frame.code or ''}".lower()
        if any(w in text for w in words):
            return True
    return False


def _pair_call(ctx: Context) -> tuple[Frame, str, str, Shape | None] | None:
    """The user's pair-loss call (three arguments) and its target expression."""
    for frame in user_frames(ctx):
        code = (frame.code or "").strip()
        try:
            tree = ast.parse(code.rstrip(":"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or len(node.args) < 3:
                continue
            func = ast.unparse(node.func)
            if not ("cosine_embedding" in func or _lossy(func)):
                continue
            target = node.args[2]
            shape = None
            if frame.file in ctx.source.files() and frame.line:
                shape = Tracer(ctx.source, frame.file).trace(target, frame.line).shape
            return frame, code, ast.unparse(target), shape
    return None


# -- spatial (segmentation) targets ---------------------------------------------------------


def spatial_target_dim(ctx: Context) -> Reasoning:
    """`only batches of spatial targets supported (3D tensors) but got targets of dimension: 4`."""
    shape = shape_of(ctx, "target_shape")
    dim = ctx.get("target_dim")
    if shape is not None:
        dim = len(shape)
    if not isinstance(dim, int):
        raise Decline("no target dimension")
    lc = find_loss_call(ctx) if ctx.source.files() else None
    target = lc.traced_target if lc else Traced()
    if shape is None and target.shape is not None and len(target.shape) == dim:
        shape = target.shape
    name = lc.target_base if lc else "target"
    r = Reasoning()
    r.values.update(target_dim=dim, target_desc=f" {shape}" if shape else "")
    r.steps.append(
        "With 4-D logits [N, C, H, W], CrossEntropyLoss / NLLLoss want a 3-D target [N, H, W] of "
        f"class indices. The target is {shape if shape else f'{dim}-D'}"
        f"{f' ({dim}-D)' if shape else ''}."
    )
    fixed, fix_expr, story = _spatial_fix(r, shape, dim, name, target)
    r.values["target_story"] = story
    r.values["fix_expr"] = fix_expr
    if fixed is not None:
        r.fix_values["target_shape"] = fixed
        r.values["fixed_shape"] = str(fixed)
    else:
        r.values["fixed_shape"] = "[N, H, W]"
    code = r.values.pop("code", None)
    if lc:
        r.suspects.insert(0, lc.suspect(f"passes the {dim}-D target {name}", 0.85))
        r.fix_code = code or lc.with_target(fix_expr) + f"   # target {r.values['fixed_shape']}"
        origin = origin_step(target)
        if origin:
            r.suspects.append(step_suspect(origin, f"gives the target its {dim}-D shape", 0.6))
    else:
        r.fix_code = code or (
            f"loss = criterion(logits, {fix_expr})   # target {r.values['fixed_shape']}"
        )
    return r


def _spatial_fix(
    r: Reasoning, shape: Shape | None, dim: int, name: str, target: Traced
) -> tuple[Shape | None, str, str]:
    if dim == 4 and shape is not None and shape[1] == 1:
        fixed = Shape((shape[0], shape[2], shape[3]))
        r.steps.append(
            f"{shape} is a [N, 1, H, W] mask: drop the channel dimension, "
            f"{name}.squeeze(1) → {fixed}."
        )
        return (
            fixed,
            f"{name}.squeeze(1)",
            (
                "The mask kept its channel dimension ([N, 1, H, W]), as image loaders and "
                "ToTensor() produce; the class map must be [N, H, W]."
            ),
        )
    if dim == 4 and (target.one_hot_source is not None or shape is not None):
        hot = (
            target.one_hot_dim
            if target.one_hot_dim is not None and target.one_hot_dim >= 0
            else None
        )
        if shape is not None and hot is None and shape[-1] in (3, 4) and shape[1] not in (3, 4):
            fixed = Shape(shape[:3])
            r.steps.append(
                f"{shape} ends in {shape[-1]} channels: the mask was read as an "
                "RGB(A) image [N, H, W, 3]; it needs one class index per pixel."
            )
            r.values["code"] = (
                "# in the Dataset: one class index per pixel, not the colour image\n"
                'mask = torch.as_tensor(np.array(Image.open(path).convert("L")), '
                "dtype=torch.long)   # [H, W]\n"
                "# (or map each RGB colour to its class id with a lookup table)"
            )
            return (
                fixed,
                "a class-index map (not the RGB mask)",
                (
                    "The masks are colour images (H × W × 3); convert them to one class index per "
                    "pixel (Image.open(p).convert('L'), or map each colour to its class id)."
                ),
            )
        d = hot if hot is not None else 1
        fixed_map = without(shape, d) if shape is not None else None
        step = target.step_for("one_hot") or next(
            (s for s in target.steps if "one_hot" in s.code), None
        )
        if target.one_hot_source is not None:
            indices = _indices_name(step)
            if fixed_map is None and target.one_hot_source.shape is not None:
                fixed_map = target.one_hot_source.shape
            r.steps.append(
                f"{name} is a one-hot encoding (class dimension at dim {d}); the class indices "
                f"are the tensor before one_hot{f' (`{indices}`)' if indices else ''}, or "
                f"{name}.argmax(dim={d})" + (f" → {fixed_map}." if fixed_map else ".")
            )
            where = f" (`{step.code}`)" if step else ""
            return (
                fixed_map,
                indices or f"{name}.argmax(dim={d})",
                f"{name} is a one-hot encoding of the class indices{where}; "
                "CrossEntropyLoss wants the indices themselves.",
            )
        r.steps.append(
            f"A 4-D target is a one-hot or probability map: the class indices are "
            f"{name}.argmax(dim={d})" + (f" → {fixed_map}." if fixed_map else ".")
        )
        return (
            fixed_map,
            f"{name}.argmax(dim={d})",
            (
                "The target has a class (or channel) dimension: one-hot masks, or "
                "[N, 1, H, W] masks."
            ),
        )
    if dim == 1:
        r.steps.append(
            "A 1-D target is one label per image, but the logits still have H and W: "
            "the model's output was not pooled to [N, C] before the loss."
        )
        return (
            None,
            name,
            (
                "One label per image with a 4-D output: the classifier head is missing its global "
                "pooling / flatten (e.g. nn.AdaptiveAvgPool2d(1) + nn.Flatten() before the Linear)."
            ),
        )
    if dim == 2 and shape is not None:
        side = _square(shape[1])
        if side:
            fixed = Shape((shape[0], side, side))
            r.steps.append(
                f"{shape}: {fmt(shape[1])} = {side} × {side}, a flattened mask; "
                f"{name}.view({shape[0]}, {side}, {side}) → {fixed}."
            )
            return (
                fixed,
                f"{name}.view({shape[0]}, {side}, {side})",
                ("The masks were flattened to [N, H·W]; restore [N, H, W]."),
            )
        r.steps.append(f"{shape} is [N, X]: a per-sample vector, not an H × W map of classes.")
    return (
        None,
        name,
        (
            "The target is not an [N, H, W] map of class indices: either the masks were loaded "
            "with another layout, or the model outputs a spatial map where one label per sample "
            "was intended."
        ),
    )


def _square(n: int) -> int | None:
    import math

    root = math.isqrt(n)
    return root if root > 1 and root * root == n else None


def spatial_size(ctx: Context) -> Reasoning:
    """`size mismatch (got input: [2, 3, 4, 4] , target: [2, 5, 5]` and
    `input and target batch or spatial sizes don't match: target [..], input [..]`."""
    inp, tgt = shape_of(ctx, "input_shape"), shape_of(ctx, "target_shape")
    if inp is None or tgt is None or len(inp) < 3 or not tgt:
        raise Decline("shapes missing")
    r = Reasoning()
    n_in, n_t = inp[0], tgt[0]
    r.steps.append(
        f"Logits [N, C, H, W] = {inp}: N = {n_in}, C = {inp[1]}, spatial {list(inp[2:])}. "
        f"Target [N, H, W] = {tgt}: N = {n_t}, spatial {list(tgt[1:])}."
    )
    lc = find_loss_call(ctx) if ctx.source.files() else None
    fixed: Shape | None = None
    if n_in != n_t:
        r.steps.append(f"The batch sizes differ: {n_in} ≠ {n_t}.")
        r.values["story"] = (
            f"the logits hold {_plural(n_in, 'sample')} and the target "
            f"{fmt(n_t)}: the two come from different batches or one was reshaped"
        )
        r.values["fix_hint"] = "make logits and masks come from the same batch"
        fixed = Shape((n_t, inp[1], *tgt[1:])) if len(inp) == len(tgt) + 1 else None
    else:
        fixed = _spatial_story(r, inp, tgt)
    if fixed is not None:
        r.fix_values["input_shape"] = fixed
        r.values["fixed_shape"] = str(fixed)
    else:
        r.values["fixed_shape"] = "[N, C, H, W] with the target's H, W"
    r.fix_code = r.values.pop("code", None) or (
        'logits = F.interpolate(logits, size=target.shape[-2:], mode="bilinear", '
        "align_corners=False)"
    )
    if lc:
        r.fix_code = _with_names(r.fix_code, lc)
        r.suspects.insert(
            0,
            lc.suspect(
                "the logits and the target reach the loss with different spatial sizes", 0.8
            ),
        )
    return r


def _spatial_story(r: Reasoning, inp: Shape, tgt: Shape) -> Shape | None:
    n, c = inp[0], inp[1]
    if len(inp) == len(tgt) + 1:
        for k in range(2, len(inp)):
            if without(inp, k) == tgt:
                order = [0, k] + [d for d in range(1, len(inp)) if d != k]
                fixed = Shape(inp[d] for d in order)
                r.steps.append(
                    f"Removing dim {k} ({inp[k]}) from the logits gives the target's shape, so "
                    f"the {fmt(inp[k])} classes sit at dim {k}, not 1: permute{tuple(order)} → "
                    f"{fixed}."
                )
                r.values["story"] = (
                    f"the class scores are at dim {k} of the logits, not at "
                    "dim 1 (a channels-last layout)"
                )
                r.values["fix_hint"] = f"move the classes to dim 1: logits.permute{tuple(order)}"
                r.values["code"] = f"logits = logits.permute{tuple(order)}   # -> {fixed}"
                return fixed
    sp_in, sp_t = list(inp[2:]), list(tgt[1:])
    fixed = Shape((n, c, *sp_t))
    if len(sp_in) != len(sp_t):
        r.values["story"] = "the logits and the target have different numbers of spatial dims"
        r.values["fix_hint"] = "give the target one class index per output position"
        return None
    ratios = {t / i for i, t in zip(sp_in, sp_t, strict=True) if i}
    if len(ratios) == 1:
        q = ratios.pop()
        if q > 1 and float(q).is_integer():
            r.steps.append(
                f"{' × '.join(map(str, sp_t))} against {' × '.join(map(str, sp_in))}: "
                f"{sp_t[0]} / {sp_in[0]} = {int(q)}, the target is {int(q)}× larger per side "
                "(the model's output stride)."
            )
            r.values["story"] = (
                f"the model outputs a map {int(q)}× smaller per side than the "
                "masks (an output stride it does not upsample back)"
            )
            r.values["fix_hint"] = (
                f"upsample the logits to {'×'.join(map(str, sp_t))} before the loss"
            )
            return fixed
        if 0 < q < 1 and float(1 / q).is_integer():
            r.steps.append(f"The logits are {int(1 / q)}× larger per side than the target.")
            r.values["story"] = (
                f"the logits are {int(1 / q)}× larger per side than the masks "
                "(the masks were downscaled, or the model upsamples too far)"
            )
            r.values["fix_hint"] = "resize the logits (or the masks) so both have the same H, W"
            return fixed
    diffs = [t - i for i, t in zip(sp_in, sp_t, strict=True)]
    r.steps.append(
        "Per spatial dim, target − logits: "
        + ", ".join(f"{t} − {i} = {t - i}" for i, t in zip(sp_in, sp_t, strict=True))
        + "."
    )
    if all(d > 0 for d in diffs) and max(diffs) <= 32:
        r.values["story"] = (
            "the logits lost a few pixels per side: unpadded (valid) "
            "convolutions or odd sizes through the pooling"
        )
        r.values["fix_hint"] = "pad the convolutions (padding=k//2) or resize the logits"
    else:
        r.values["story"] = "the logits and the masks have different spatial sizes"
        r.values["fix_hint"] = "resize the logits to the masks' size (or the masks to the logits')"
    return fixed


def _with_names(code: str, lc: LossCall) -> str:
    """The fix code with the user's own names for the logits, the target and the loss."""
    i_name, t_name = lc.input_text, lc.target_text
    ident = re.compile(r"^[A-Za-z_][\w.]*$")
    if ident.match(t_name):
        code = re.sub(r"\btarget\b", t_name, code)
    if ident.match(i_name):
        code = re.sub(r"\blogits\b", i_name, code)
    if ident.match(lc.func):
        code = re.sub(r"\bcriterion\(", lc.func + "(", code)
    return code


def kdim_target(ctx: Context) -> Reasoning:
    """`Expected target size [2, 4], got [2, 5]` (K-dimensional cross-entropy)."""
    exp, got = shape_of(ctx, "expected_shape"), shape_of(ctx, "target_shape")
    if exp is None or got is None or not exp or not got:
        raise Decline("shapes missing")
    r = Reasoning()
    r.steps.append(
        f"For an input [N, C, d1, …], the target must be [N, d1, …]: the input without dim 1. "
        f"PyTorch expected {exp}, so the input is [{exp[0]}, C, {', '.join(map(str, exp[1:]))}] "
        f"with C = its dim 1; the target is {got}."
    )
    lc = find_loss_call(ctx) if ctx.source.files() else None
    name = lc.input_text if lc else "logits"
    fixed: Shape | None = None
    if exp[0] != got[0]:
        r.values["story"] = f"the batch sizes differ ({exp[0]} ≠ {got[0]})"
        r.values["fix_hint"] = "make logits and target come from the same batch"
    elif len(exp) == len(got) and exp[1:-1] == got[2:]:
        classes = exp[-1]
        k = len(got) - 1
        fixed = Shape((got[0], classes, *got[1:]))
        order = (0, k + 1, *range(1, k + 1))
        r.steps.append(
            f"If the logits are [N, d1, …, C] = [{got[0]}, {', '.join(map(str, got[1:]))}, "
            f"{classes}] (classes last, as nn.Linear and batch-first RNNs/transformers give), "
            f"CrossEntropyLoss takes dim 1 = {got[1]} for the classes. Moving the {classes} "
            f"classes to dim 1, permute{order}, gives {fixed} and the expected target "
            f"{got}."
        )
        r.values["story"] = (
            f"the logits most likely have the classes last ([N, …, C], C = {classes}); "
            "CrossEntropyLoss wants them at dim 1"
        )
        r.values["fix_hint"] = (
            f"{name}.permute{order}, or flatten both: "
            f"{name}.reshape(-1, {classes}) with target.reshape(-1)"
        )
        r.values["code"] = (
            f"loss = criterion({name}.permute{order}, target)   # {fixed} vs target {got}\n"
            f"# or: criterion({name}.reshape(-1, {classes}), target.reshape(-1))"
        )
    elif len(got) == len(exp) + 1 and got[-1] == 1:
        fixed_t = Shape(got[:-1])
        r.values["story"] = "the target has an extra trailing dimension of size 1"
        r.values["fix_hint"] = "target.squeeze(-1)"
        r.values["code"] = "loss = criterion(logits, target.squeeze(-1))"
        r.fix_values["target_shape"] = fixed_t
    else:
        r.values["story"] = (
            f"the target's sizes {list(got[1:])} do not match the input's positions {list(exp[1:])}"
        )
        r.values["fix_hint"] = "give the target one class index per input position"
    if fixed is not None:
        r.fix_values["input_shape"] = fixed
    r.fix_code = r.values.pop("code", None) or "loss = criterion(logits, target)"
    if lc:
        r.fix_code = _with_names(r.fix_code, lc)
        r.suspects.insert(0, lc.suspect("logits and target layouts disagree here", 0.8))
    return r


# -- class weights, input rank ---------------------------------------------------------------


def class_weight(ctx: Context) -> Reasoning:
    """`weight tensor should be defined either for all 5 classes or no classes but got weight
    tensor of shape: [3]`."""
    classes = ctx.get("num_classes")
    weight = shape_of(ctx, "weight_shape")
    if not isinstance(classes, int) or weight is None:
        raise Decline("numbers missing")
    r = Reasoning()
    length = weight[0] if weight else 0
    if len(weight) > 1:
        r.steps.append(
            f"The weight has shape {weight}: {product(weight)} values in {len(weight)} "
            "dimensions, where a 1-D vector is needed."
        )
        r.values["hint"] = f"the weight is {len(weight)}-D; flatten it with weight.view(-1)"
        r.fix_values["weight_size"] = classes
        r.fix_code = "criterion = nn.CrossEntropyLoss(weight=class_weights.view(-1))   # 1-D"
        return r
    r.steps.append(
        f"The input has C = {classes} classes (its dim 1); a class weight needs one entry per "
        f"class, shape [{classes}]; it has {weight} = {length} entries."
    )
    r.fix_values["weight_size"] = classes
    lc = find_loss_call(ctx) if ctx.source.files() else None
    w = lc.kwarg("weight") if lc else None
    if lc and w is not None:
        step = lc.ctor or Step(lc.frame.file, lc.frame.line or 0, lc.code, "call")
        r.suspects.append(
            step_suspect(step, f"passes a weight of {length} entries for {classes} classes", 0.85)
        )
    r.values["hint"] = (
        f"either the weight lists {length} classes while the model outputs {classes}, or the "
        f"model's head was built for {classes} classes while the dataset has {length}"
    )
    r.fix_code = (
        f"criterion = nn.CrossEntropyLoss(weight=class_weights)   # {classes} "
        "entries, one per class of the logits"
    )
    return r


def input_dims(ctx: Context) -> Reasoning:
    """`Expected 1 or more dimensions (got 0)` from nll_loss / cross_entropy."""
    need, got = ctx.get("min_dims"), ctx.get("got_dims")
    old_2d4d = need is None and "2 or 4 dimensions" in ctx.message
    if old_2d4d:
        need = 2
    if not isinstance(need, int) or not isinstance(got, int):
        raise Decline("numbers missing")
    if has_frames(ctx) and not frames_mention(ctx, "nll_loss", "cross_entropy", "loss"):
        raise Decline("not a loss")
    if frames_mention(ctx, "paddle", "chainer", "mindspore"):
        raise Decline("another framework raises the same words")
    r = Reasoning()
    r.values["need_text"] = "2 or 4 (≤ 0.4)" if old_2d4d else f"at least {need}"
    if old_2d4d:
        r.steps.append(
            f"Releases up to 0.4 take only [N, C] or [N, C, H, W] in nll_loss / cross_entropy; "
            f"the input has {got} dimensions."
        )
        r.values["story"] = (
            f"{got}-D scores such as [N, T, C] for sequences must be flattened to [N·T, C] "
            "(and the targets to [N·T])"
        )
        r.fix_values["input_dims"] = 2
        r.fix_code = "loss = criterion(logits.reshape(-1, logits.size(-1)), target.reshape(-1))"
        return r
    r.steps.append(
        f"nll_loss / cross_entropy need an input with at least {need} dimension"
        f"{'s' if need != 1 else ''} ([N, C], or [C] for one unbatched sample); it has {got}."
    )
    if got == 0:
        r.values["story"] = (
            "the input is a 0-D scalar: the logits were reduced (.max(), "
            ".sum(), .item(), indexing with [i]) before the loss"
        )
    else:
        r.values["story"] = (
            f"the input is {got}-D: one sample's [C] scores without the batch "
            "dimension (old releases need [N, C]: add it with unsqueeze(0))"
        )
    r.fix_values["input_dims"] = max(need, 2) if got else need + 1
    r.fix_code = "loss = criterion(logits, target)   # logits [N, C], target [N]"
    where = ctx.where
    if where and where.line:
        r.suspects.append(
            Suspect(
                where.file, where.line, where.code or "", "the loss receives a scalar input", 0.6
            )
        )
    return r


# -- BCE and the regression losses: target shaped exactly like the input ---------------------


def bce_target_size(ctx: Context) -> Reasoning:
    """`Target size (torch.Size([32])) must be the same as input size (torch.Size([32, 1]))`,
    and BCELoss's `Using a target size (...) that is different to the input size (...) is
    deprecated`."""
    tgt, inp = shape_of(ctx, "target_shape"), shape_of(ctx, "input_shape")
    if warning_beside_other_error(ctx):
        raise Decline("the run ended on another error; the warning is not what it asks about")
    if tgt is None or inp is None:
        return _bce_numel(ctx)
    r = Reasoning()
    r.notes.extend(other_error_notes(ctx))
    r.values["shapes_text"] = f": target {tgt}, input {inp}"
    lc = find_loss_call(ctx) if ctx.source.files() else None
    t_name = lc.target_text if lc else "target"
    i_name = lc.input_text if lc else "logits"
    r.steps.append(
        f"Binary cross-entropy compares element by element: the target must have the input's "
        f"shape {inp} ({fmt(product(inp))} elements); it is {tgt} ({fmt(product(tgt))})."
    )
    code = _same_shape_fix(r, tgt, inp, t_name, i_name)
    r.fix_code = code
    if "num_classes" in r.fix_values:
        r.values["fix_text"] = (
            f"build the model's output with {r.fix_values['num_classes']} "
            "classes, as the labels have"
        )
    else:
        r.values["fix_text"] = f"give the target the input's shape, {inp}"
    if lc:
        r.suspects.insert(
            0,
            lc.suspect(
                f"{t_name} {tgt} and {i_name} {inp} reach the loss with different shapes", 0.8
            ),
        )
        head = _head_layer(ctx, inp)
        if head is not None:
            r.suspects.append(head)
    return r


def _bce_numel(ctx: Context) -> Reasoning:
    """Old BCELoss: `Target and input must have the same number of elements. target nelement
    (448) != input nelement (512)`: only the element counts are known."""
    t_n, i_n = ctx.get("target_numel"), ctx.get("input_numel")
    if not isinstance(t_n, int) or not isinstance(i_n, int) or t_n <= 0 or i_n <= 0:
        raise Decline("numbers missing")
    import math

    r = Reasoning()
    r.values["shapes_text"] = f" ({fmt(t_n)} target values, {fmt(i_n)} inputs)"
    r.steps.append(
        f"BCELoss compares element by element: {fmt(t_n)} target values against {fmt(i_n)} inputs."
    )
    g = math.gcd(t_n, i_n)
    if g > 1:
        r.steps.append(
            f"Both are multiples of {fmt(g)}: if that is the batch, each sample has "
            f"{fmt(t_n // g)} target value(s) and {fmt(i_n // g)} output(s)."
        )
        r.values["story"] = (
            f"per sample the labels have {fmt(t_n // g)} value(s) and the model "
            f"{fmt(i_n // g)} (taking {fmt(g)} as the batch size): the number of classes or the "
            "output map size disagree"
        )
    else:
        r.values["story"] = f"{fmt(t_n)} labels against {fmt(i_n)} outputs"
    r.values["fix_text"] = "give the target exactly the input's shape (print both .shape)"
    r.fix_code = "assert target.shape == output.shape, (target.shape, output.shape)"
    where = ctx.where
    if where and where.line:
        r.suspects.append(
            Suspect(
                where.file,
                where.line,
                where.code or "",
                "the loss with mismatched element counts",
                0.6,
            )
        )
    return r


def _same_shape_fix(r: Reasoning, tgt: Shape, inp: Shape, t_name: str, i_name: str) -> str:
    """Why the two shapes differ and the code that makes them equal; fills story and fix values."""
    squeezed_t = Shape(d for d in tgt if d != 1)
    squeezed_i = Shape(d for d in inp if d != 1)
    if squeezed_t == squeezed_i:
        r.steps.append(
            f"Both hold the same {fmt(product(inp))} values; only size-1 dimensions "
            f"differ: {tgt} vs {inp}."
        )
        r.values["story"] = (
            f"the model outputs {inp} (e.g. nn.Linear(…, 1) keeps a column) while "
            f"the labels are {tgt}"
        )
        r.fix_values["target_shape"] = inp
        if len(inp) == len(tgt) + 1 and inp[-1] == 1:
            return (
                f"loss = criterion({i_name}, {t_name}.float().unsqueeze(-1))   # both {inp}\n"
                f"# or: criterion({i_name}.squeeze(-1), {t_name}.float())   # both {tgt}"
            )
        return f"loss = criterion({i_name}, {t_name}.float().view_as({i_name}))   # both {inp}"
    if len(tgt) == len(inp):
        diff = [k for k, (a, b) in enumerate(zip(tgt, inp, strict=True)) if a != b]
        if len(diff) == 1 and diff[0] > 0:
            k = diff[0]
            r.steps.append(
                f"Only dim {k} differs: the labels have {tgt[k]} there, the model "
                f"outputs {inp[k]}: a class (or channel) count that disagrees."
            )
            r.values["story"] = (
                f"the labels cover {tgt[k]} classes at dim {k} but the model "
                f"outputs {inp[k]}: num_classes is set for another dataset"
            )
            r.fix_values["num_classes"] = tgt[k]
            return (
                f"num_classes = {tgt[k]}   # the model's output layer must give {tgt[k]} "
                f"channels at dim {k} (now {inp[k]})"
            )
        if diff == [0]:
            r.steps.append(f"The batch sizes differ: {tgt[0]} labels for {inp[0]} predictions.")
            r.values["story"] = "logits and labels come from different batches, or one was reshaped"
            r.fix_values["target_shape"] = inp
            return "loss = criterion(logits, labels)   # same batch, same shape"
    if len(inp) == len(tgt) + 1 and inp[:-1] == tgt and inp[-1] > 1:
        c = inp[-1]
        r.steps.append(
            f"The input has {c} columns, one per class, while the target has one class "
            f"index per sample: one-hot it to {inp}."
        )
        r.values["story"] = (
            f"the labels are class indices {tgt} while the model outputs one score per class {inp}"
        )
        r.fix_values["target_shape"] = inp
        return (
            f"loss = criterion({i_name}, F.one_hot({t_name}, {c}).float())   # {inp}\n"
            "# or, one class per sample: nn.CrossEntropyLoss() with the [N] indices"
        )
    r.values["story"] = f"the target {tgt} and the input {inp} are laid out differently"
    r.fix_values["target_shape"] = inp
    return f"loss = criterion({i_name}, {t_name})   # make the target {inp}"


def _head_layer(ctx: Context, inp: Shape) -> Suspect | None:
    for call in reversed(ctx.source.calls("Linear", "Conv2d", "Conv1d", "Conv3d")):
        arg = (
            call.args[1]
            if len(call.args) > 1
            else call.kwargs.get("out_features", call.kwargs.get("out_channels"))
        )
        if arg is not None and ctx.source.eval_int(arg, call) in inp[1:]:
            return Suspect(
                call.file,
                call.line,
                call.code,
                "the output layer whose size sets the class count",
                0.6,
            )
    return None


def broadcast_warning(ctx: Context) -> Reasoning:
    """UserWarning `Using a target size (...) that is different to the input size (...). This will
    likely lead to incorrect results due to broadcasting` from mse_loss, l1_loss, smooth_l1_loss."""
    tgt, inp = shape_of(ctx, "target_shape"), shape_of(ctx, "input_shape")
    if tgt is None or inp is None:
        raise Decline("shapes missing")
    if warning_beside_other_error(ctx):
        raise Decline("the run ended on another error; the warning is not what it asks about")
    r = Reasoning()
    r.notes.extend(other_error_notes(ctx))
    both = broadcast_shape(inp, tgt)
    r.steps.append(
        f"The loss compares input {inp} with target {tgt} element by element; aligned from the "
        "right, size-1 (and missing) dimensions are stretched."
    )
    n_in, n_t = product(inp), product(tgt)
    if both is None:
        r.values["story"] = (
            "the shapes do not even broadcast, so the loss fails right after this warning"
        )
        r.steps.append("They cannot be broadcast together: an error follows the warning.")
    else:
        n_both = product(both)
        r.steps.append(
            f"Broadcast shape {both} = {fmt(n_both)} pairs, for {fmt(n_in)} predictions "
            f"and {fmt(n_t)} targets."
        )
        if n_both == max(n_in, n_t) and n_in == n_t:
            r.values["story"] = (
                f"here both hold {fmt(n_in)} value{'s' if n_in != 1 else ''}, so "
                "the result is the same, but the shapes should still agree"
            )
        elif n_both > max(n_in, n_t):
            r.values["story"] = (
                f"every prediction is compared with every target: {fmt(n_both)} "
                f"pairs instead of {fmt(max(n_in, n_t))}, a loss that trains the "
                "model towards the mean of the batch"
            )
        else:
            r.values["story"] = (
                f"the smaller tensor is repeated across {both}: each value is "
                "compared with several of the other's; check that this is meant"
            )
    fix_t = "target.view_as(input)" if n_in == n_t else "target.expand_as(input)"
    if n_in == n_t and len(inp) + 1 == len(tgt) and tgt[-1] == 1:
        fix_t = "target.squeeze(-1)"
    r.values["fix_expr"] = fix_t
    r.fix_values["target_shape"] = inp
    warning = next(
        (
            w
            for w in ctx.parsed.warnings
            if w.message and w.message in ctx.message or ctx.message in (w.message or "")
        ),
        None,
    )
    code_line = _warning_code(ctx, warning)
    if warning and warning.file and warning.line:
        from explainer.parsing.frames import is_user_file

        if is_user_file(warning.file):
            r.suspects.append(
                Suspect(
                    warning.file,
                    warning.line,
                    code_line or "",
                    f"calls the loss with input {inp} and target {tgt}",
                    0.85,
                )
            )
    r.fix_code = _broadcast_fix_code(code_line, fix_t, inp, tgt)
    return r


def _broadcast_fix_code(code_line: str | None, fix_t: str, inp: Shape, tgt: Shape) -> str:
    """The user's loss line with the target reshaped like the input."""
    generic = f"loss = F.mse_loss(input, {fix_t})   # both {inp}"
    if not code_line:
        return generic
    try:
        tree = ast.parse(code_line.strip())
    except SyntaxError:
        return f"{code_line}   # make the target {inp}: {fix_t}"
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and len(n.args) >= 2]
    if not calls:
        return f"{code_line}   # make the target {inp}: {fix_t}"
    call = calls[0]
    line = code_line.strip()
    i_name, t_name = ast.unparse(call.args[0]), ast.unparse(call.args[1])
    new_t = fix_t.replace("target", t_name).replace("input", i_name)
    fixed = _replace_node(line, call.args[1], new_t)
    out = f"{fixed}   # both {inp}"
    if len(inp) == len(tgt) + 1 and inp[-1] == 1:
        squeezed = _replace_node(line, call.args[0], f"{i_name}.squeeze(-1)")
        out += f"\n# or: {squeezed}   # both {tgt}"
    return out


def _replace_node(line: str, node: ast.expr, new: str) -> str:
    """`line` with the source text of `node` (parsed from that one line) replaced by `new`:
    by position, so that `depth` inside `high_depth` is left alone."""
    start, end = node.col_offset, node.end_col_offset
    if node.lineno != 1 or node.end_lineno != 1 or end is None:
        return line
    raw = line.encode("utf-8")
    return (raw[:start] + new.encode("utf-8") + raw[end:]).decode("utf-8")


def _warning_code(ctx: Context, warning: object) -> str | None:
    """The source line printed under a warning, else read from the file it names."""
    text = ctx.parsed.text.splitlines()
    for k, line in enumerate(text):
        if "Using a target size" in line:
            for nxt in text[k + 1 : k + 3]:
                if nxt.strip() and "Warning" not in nxt and "(" in nxt:
                    return nxt.strip()
            m = re.search(r"Please ensure they have the same size\.\s+(\S.*\(.*)$", line)
            if m:
                return m.group(1).strip()
    file = getattr(warning, "file", None)
    lineno = getattr(warning, "line", None)
    if file and lineno and ctx.source.enabled:
        from pathlib import Path

        try:
            lines = Path(file).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return None
        if 1 <= lineno <= len(lines):
            return lines[lineno - 1].strip()
    return None


def broadcast_shape(a: Shape, b: Shape) -> Shape | None:
    out: list[int] = []
    for k in range(1, max(len(a), len(b)) + 1):
        x = a[-k] if k <= len(a) else 1
        y = b[-k] if k <= len(b) else 1
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y) if 1 in (x, y) else x)
    return Shape(reversed(out))


def bce_input_range(ctx: Context) -> Reasoning:
    """`all elements of input should be between 0 and 1` (and its CUDA assert and THNN forms)."""
    r = Reasoning()
    if ctx.get("which") == "target":
        return _bce_target_range(ctx, r)
    value = ctx.get("value")
    r.steps.append(
        "BCELoss takes probabilities: every input must lie in [0, 1]"
        + (f"; one is {value}." if value is not None else "; at least one does not.")
    )
    lc = find_loss_call(ctx) if ctx.source.files() else None
    ops = lc.traced_input.ops if lc else []
    if "sigmoid" in ops or "softmax" in ops:
        r.values["story"] = (
            "the input already goes through a sigmoid, so a value outside "
            "[0, 1] is a NaN: the training diverged (lower the learning rate, "
            "check the data for NaN/inf)"
        )
        r.values["fix_hint"] = "find where the NaN first appears (torch.autograd.detect_anomaly())"
        r.fix_code = "criterion = nn.BCEWithLogitsLoss()   # on raw logits, numerically stable"
    else:
        r.values["story"] = (
            "the model's raw scores (logits, any real number) reach BCELoss, "
            "which expects probabilities after a sigmoid"
        )
        r.values["fix_hint"] = "use nn.BCEWithLogitsLoss on the raw logits (it applies the sigmoid)"
        r.fix_code = (
            "criterion = nn.BCEWithLogitsLoss()   # takes raw logits; applies the "
            "sigmoid itself\n# or: criterion(torch.sigmoid(logits), target)"
        )
    r.fix_values["criterion"] = "BCEWithLogitsLoss"
    if lc:
        if lc.ctor:
            r.suspects.append(step_suspect(lc.ctor, "BCELoss expects probabilities in [0, 1]", 0.8))
        r.suspects.append(lc.suspect("passes values outside [0, 1] to binary cross-entropy", 0.7))
    else:
        for call in ctx.source.calls("BCELoss"):
            r.suspects.append(
                Suspect(
                    call.file, call.line, call.code, "BCELoss expects probabilities in [0, 1]", 0.75
                )
            )
    return r


def _bce_target_range(ctx: Context, r: Reasoning) -> Reasoning:
    r.steps.append(
        "Binary cross-entropy takes targets in [0, 1] (a label, or a soft label); at "
        "least one target is outside."
    )
    lc = find_loss_call(ctx) if ctx.source.files() else None
    target = lc.traced_target if lc else Traced()
    name = lc.target_text if lc else "target"
    if target.high is not None and target.high > 1:
        r.steps.append(f"{name} goes up to {target.high}.")
    scaled = any(s.op == "arith" or "255" in s.code for s in target.steps)
    if scaled or (target.high is not None and target.high >= 255):
        r.values["story"] = (
            "the masks are stored as 0/255 images: divide by 255 (or compare > 0) to get 0/1 labels"
        )
        r.values["fix_hint"] = f"scale the target to [0, 1]: ({name} > 0).float()"
        r.fix_code = f"loss = criterion(probs, ({name} > 0).float())   # 0/255 -> 0/1"
    else:
        r.values["story"] = (
            "the targets are class indices (0, 1, 2, …) rather than 0/1 labels: "
            "for one class per sample use CrossEntropyLoss, for several "
            "labels a 0/1 multi-hot target"
        )
        r.values["fix_hint"] = "pass 0/1 targets, or use CrossEntropyLoss for class indices"
        r.fix_code = "loss = criterion(probs, target.clamp(0, 1).float())   # labels in [0, 1]"
    r.fix_values["target_max"] = 1
    if lc:
        r.suspects.insert(0, lc.suspect(f"passes targets outside [0, 1] ({name})", 0.8))
        step = next((s for s in target.steps if s.op != "unpacked"), None)
        if step:
            r.suspects.append(step_suspect(step, "builds the target", 0.6))
    return r


# -- CTC, margin, triplet, Gaussian NLL -------------------------------------------------------


def ctc_input_lengths(ctx: Context) -> Reasoning:
    """`Expected input_lengths to have value at most 10, but got value 12`."""
    most, got = ctx.get("max_length"), ctx.get("input_length")
    if not isinstance(most, int) or not isinstance(got, int):
        raise Decline("numbers missing")
    r = Reasoning()
    r.steps.append(
        f"ctc_loss reads log_probs as [T, N, C]: T = {most} time steps. An input_lengths entry "
        f"says a sequence is {got} steps long: {got} > {most}."
    )
    r.values["story"] = (
        f"either log_probs are batch-first [N, T, C] (then PyTorch takes N = {most} as T: "
        "transpose them with log_probs.permute(1, 0, 2)), or the lengths were counted before "
        "the model downsampled the time axis"
    )
    r.fix_values["input_length"] = most
    r.fix_code = (
        f"input_lengths = torch.full((N,), log_probs.size(0), dtype=torch.long)   # "
        f"≤ T = {most}\n# batch-first output? log_probs = log_probs.permute(1, 0, 2)"
    )
    _where_suspect(ctx, r, "the CTC loss call", 0.6)
    return r


def ctc_target_length(ctx: Context) -> Reasoning:
    """`Expected tensor to have size at least 6 at dimension 1, but got size 4 for argument #2
    'targets' (while checking arguments for ctc_loss_allocate_outputs)`."""
    need, dim, size = ctx.get("min_size"), ctx.get("dim"), ctx.get("size")
    if not all(isinstance(v, int) for v in (need, dim, size)):
        raise Decline("numbers missing")
    r = Reasoning()
    r.steps.append(
        f"Padded CTC targets are [N, S]; the longest target_lengths entry is {need}, so S must "
        f"be at least {need}; dim {dim} of targets is {size}."
    )
    r.values["story"] = (
        "target_lengths count more labels than the padded targets hold: the "
        "lengths were computed before truncation, or for other targets"
    )
    r.fix_values["target_length"] = size
    r.fix_code = "target_lengths = (targets != blank).sum(dim=1)   # each ≤ targets.size(1)"
    _where_suspect(ctx, r, "the CTC loss call", 0.6)
    return r


def ctc_lengths_batch(ctx: Context) -> Reasoning:
    """`input_lengths must be of size batch_size` / `target_lengths must be of size batch_size`."""
    which = ctx.get("which") or "input_lengths"
    r = Reasoning()
    r.values["which"] = which
    r.steps.append(
        f"{which} needs one entry per sequence in the batch: a 1-D tensor of N values, where N is "
        "dim 1 of log_probs [T, N, C]."
    )
    r.values["story"] = (
        f"{which} has another length than the batch: built for a full batch "
        "while the last batch is smaller, or from a batch-first tensor"
    )
    r.fix_code = (
        f"{which} = torch.full((log_probs.size(1),), T, dtype=torch.long)   # one per sequence"
    )
    _where_suspect(ctx, r, "the CTC loss call", 0.6)
    return r


def multilabel_margin(ctx: Context) -> Reasoning:
    """`inconsistent target size: [3] for input of size: [2, 3]`."""
    tgt, inp = shape_of(ctx, "target_shape"), shape_of(ctx, "input_shape")
    if tgt is None or inp is None:
        raise Decline("shapes missing")
    r = Reasoning()
    r.steps.append(
        f"multilabel_margin_loss wants a target shaped like the input, {inp}, holding "
        f"class indices padded with -1; it is {tgt}."
    )
    r.values["story"] = "the target has a different shape from the input"
    r.fix_values["target_shape"] = inp
    r.fix_code = f"target = target.view({', '.join(map(str, inp))})   # like the input"
    _where_suspect(ctx, r, "the loss call", 0.6)
    return r


def multi_margin(ctx: Context) -> Reasoning:
    """`multi_margin_loss: target tensor should be 1-D ... Expected target size [2], but got
    [3]`."""
    exp, got = shape_of(ctx, "expected_shape"), shape_of(ctx, "target_shape")
    if exp is None or got is None:
        raise Decline("shapes missing")
    inp = shape_of(ctx, "input_shape")
    r = Reasoning()
    r.steps.append(
        f"multi_margin_loss wants one class index per sample: target {exp}"
        + (f" for input {inp}" if inp else "")
        + f"; it is {got}."
    )
    r.values["story"] = (
        "the target is not a [N] vector of class indices (one-hot rows, or another batch)"
    )
    r.fix_values["target_shape"] = exp
    r.fix_code = f"loss = F.multi_margin_loss(logits, target)   # target {exp}, Long indices"
    _where_suspect(ctx, r, "the loss call", 0.6)
    return r


def triplet_dims(ctx: Context) -> Reasoning:
    """`The anchor, positive, and negative tensors are expected to have the same number of
    dimensions, but got: anchor 2D, positive 2D, and negative 3D inputs`."""
    a, p, n = ctx.get("anchor_dim"), ctx.get("positive_dim"), ctx.get("negative_dim")
    if not all(isinstance(v, int) for v in (a, p, n)):
        raise Decline("numbers missing")
    r = Reasoning()
    dims = {"anchor": a, "positive": p, "negative": n}
    common = max(set(dims.values()), key=list(dims.values()).count)
    odd = [k for k, v in dims.items() if v != common]
    r.steps.append(
        f"anchor {a}-D, positive {p}-D, negative {n}-D: all three must be [N, D] "
        f"(or [D]); {', '.join(odd) or 'none'} differ{'s' if len(odd) == 1 else ''}."
    )
    r.values["story"] = (
        f"the {' and '.join(odd)} embedding{'s' if len(odd) > 1 else ''} "
        f"{'have' if len(odd) > 1 else 'has'} another rank: an extra (or "
        "missing) dimension, e.g. several negatives per anchor"
    )
    r.fix_values["dims"] = common
    r.fix_code = (
        "loss = F.triplet_margin_loss(anchor, positive, negative)   # all [N, D]\n"
        "# several negatives per anchor [N, K, D]: loop over K, or flatten to [N*K, D]"
    )
    _where_suspect(ctx, r, "the triplet loss call", 0.6)
    return r


def gaussian_var(ctx: Context) -> Reasoning:
    """`var is of incorrect size` from GaussianNLLLoss."""
    r = Reasoning()
    r.steps.append(
        "gaussian_nll_loss takes var shaped like input, or like input with its last dimension "
        "1 (one variance per sample), or with that dimension dropped (homoscedastic)."
    )
    r.values["story"] = "var has none of these shapes"
    r.fix_code = "loss = F.gaussian_nll_loss(mean, target, var)   # var: input.shape, or [..., 1]"
    _where_suspect(ctx, r, "the loss call", 0.6)
    return r


def _where_suspect(ctx: Context, r: Reasoning, what: str, score: float) -> None:
    lc = find_loss_call(ctx) if ctx.source.files() else None
    if lc:
        r.suspects.append(lc.suspect(what, score))


# -- class index out of range ----------------------------------------------------------------

CLASS_NAMES = re.compile(
    r"^(?:n|num|number_of|nb)_?(?:classes|class|labels|label|intents|tags|categories|cls|outputs?)$"
    r"|^(?:classes|n_?cls|nclass(?:es)?)$",
    re.I,
)
LIST_NAMES = re.compile(r"class|label|categor|intent|tag", re.I)


@dataclass
class ClassCount:
    value: int
    how: str  # where it comes from, in words
    suspect: Suspect | None = None


def target_out_of_bounds(ctx: Context) -> Reasoning:
    """`Target 7 is out of bounds.` (CPU), the THNN assertion and the CUDA `t < n_classes`
    assertion."""
    t = ctx.get("target")
    r = Reasoning()
    lc = find_loss_call(ctx) if ctx.source.files() else None
    head = _class_count(ctx, lc)
    if isinstance(t, int):
        r.values["target"] = t
        r.steps.append(f"With C classes the valid targets are 0 … C−1; {t} is one of the targets.")
    else:
        r.steps.append(
            "With C classes the valid targets are 0 … C−1; a target outside that range "
            "reached the loss (the CUDA kernel does not say which)."
        )
    if head:
        r.values["num_classes"] = head.value
        r.steps.append(f"C = {head.value}: {head.how}; valid targets 0 … {head.value - 1}.")
        if head.suspect:
            r.suspects.append(head.suspect)
    if isinstance(t, int) and t < 0:
        _negative_target(r, lc, t)
    elif isinstance(t, int) and t in (255, 254) and (head is None or head.value < 200):
        _void_label(r, lc, t)
    else:
        _too_large(ctx, r, lc, t, head)
    if lc:
        r.suspects.append(lc.suspect("the loss call that receives the out-of-range target", 0.5))
    r.values.setdefault("story", "the labels and the number of classes disagree")
    r.values.setdefault(
        "fix_text",
        "make every label fit 0 … C−1: shift labels that start at 1, give the model one output "
        "per class, or ignore padding labels with ignore_index",
    )
    r.values["target_text"] = str(t) if isinstance(t, int) else "a label"
    r.values["range_text"] = f" (C = {head.value}, valid 0 … {head.value - 1})" if head else ""
    return r


def _ignore_fix(r: Reasoning, lc: LossCall | None, t: int) -> None:
    r.fix_values["ignore_index"] = t
    r.values["fix_text"] = f"build the loss with ignore_index={t} so those positions are skipped"
    r.fix_code = f"criterion = nn.CrossEntropyLoss(ignore_index={t})"
    if lc and lc.ctor and lc.ctor_node is not None:
        node = lc.ctor_node
        args = [ast.unparse(a) for a in node.args]
        args += [
            f"{k.arg}={ast.unparse(k.value)}" for k in node.keywords if k.arg != "ignore_index"
        ]
        args.append(f"ignore_index={t}")
        head = lc.ctor.code.split("=", 1)[0].strip() if "=" in lc.ctor.code else "criterion"
        func = ast.unparse(node.func)
        r.fix_code = f"{head} = {func}({', '.join(args)})   # was: {lc.ctor.code}"
        r.suspects.insert(
            0, step_suspect(lc.ctor, f"builds the loss without ignore_index={t}", 0.85)
        )


def _negative_target(r: Reasoning, lc: LossCall | None, t: int) -> None:
    r.steps.append(
        f"{t} is negative: a padding or 'unknown' label. CrossEntropyLoss skips only "
        "the targets equal to ignore_index, which defaults to -100."
    )
    r.values["story"] = (
        f"{t} marks padded / unlabeled positions, but ignore_index is the default -100"
    )
    _ignore_fix(r, lc, t)


def _void_label(r: Reasoning, lc: LossCall | None, t: int) -> None:
    r.steps.append(
        f"{t} is the 'void' / border label of segmentation masks (PASCAL VOC, "
        "Cityscapes): pixels to skip, not a class."
    )
    r.values["story"] = f"the masks mark void pixels with {t}, which the loss must ignore"
    _ignore_fix(r, lc, t)


def _too_large(
    ctx: Context, r: Reasoning, lc: LossCall | None, t: int | None, head: ClassCount | None
) -> None:
    shifted = _one_based_labels(ctx, lc, t, head)
    if shifted is not None:
        r.steps.append(shifted[0])
        r.values["story"] = "the labels are numbered from 1 (1 … C) while the loss wants 0 … C−1"
        r.fix_values["label_offset"] = -1
        r.values["fix_text"] = "number the classes from 0: subtract 1 from every label"
        r.fix_code = "label = label - 1   # classes 1..C -> 0..C-1"
        if shifted[1] is not None:
            r.suspects.insert(0, shifted[1])
            r.fix_code = _renumbered(shifted[1].code) or r.fix_code
        return
    listed = _listed_classes(ctx, t)
    need = listed.value if listed else (t + 1 if isinstance(t, int) else None)
    if head and need is not None and need > head.value:
        r.steps.append(
            f"The labels need at least {need} classes"
            + (f" ({listed.how})" if listed else f" (target {t} → C ≥ {need})")
            + f"; the model outputs {head.value}."
        )
        r.values["story"] = (
            f"the model's output layer has {head.value} classes but the labels go up to {need - 1}"
        )
    elif isinstance(t, int):
        r.values["story"] = (
            f"the logits need at least {t + 1} classes for it: the output layer is too small "
            "for the labels, or the labels are numbered from 1"
        )
    if need is not None:
        r.fix_values["num_classes"] = need
        r.values["need"] = need
        r.values["fix_text"] = (
            f"give the output layer {need} outputs, one per class (or drop the labels ≥ "
            f"{head.value if head else need})"
        )
        if head and head.suspect:
            r.fix_code = _resize_head(head.suspect.code, head.value, need)
        else:
            r.fix_code = f"nn.Linear(in_features, {need})   # one output per class: {need} classes"
    else:
        r.fix_code = (
            "assert labels.min() >= 0 and labels.max() < num_classes, (labels.min(), labels.max())"
        )
    if listed and listed.suspect and head is None:
        r.suspects.append(listed.suspect)


def _renumbered(code: str) -> str | None:
    """A label map line with every class id lowered by one (`{"cat": 1}` -> `{"cat": 0}`)."""
    try:
        tree = ast.parse(code.strip())
    except SyntaxError:
        return None
    found = False
    for node in ast.walk(tree):
        if _dict_int_values(node) and isinstance(node, ast.Dict):
            for value in node.values:
                if isinstance(value, ast.Constant) and isinstance(value.value, int):
                    value.value -= 1
                    found = True
    if not found:
        return None
    return f"{ast.unparse(tree)}   # was: {code.strip()}"


def _resize_head(code: str, old: int, new: int) -> str:
    fixed = re.sub(rf"(?<![\w.]){old}(?![\w.])", str(new), code, count=1)
    if fixed == code:
        return f"{code}   # needs {new} outputs, one per class"
    return f"{fixed}   # was: {code}"


def _class_count(ctx: Context, lc: LossCall | None) -> ClassCount | None:
    """The number of classes the logits have: the input's traced shape, else the model's head."""
    if lc and lc.traced_input.shape is not None and len(lc.traced_input.shape) >= 2:
        return ClassCount(lc.traced_input.shape[1], f"the logits are {lc.traced_input.shape}")
    calls = ctx.source.calls("Linear", "LazyLinear", "Conv2d", "Conv1d", "Conv3d")
    named = []
    for call in calls:
        arg = (
            call.args[1]
            if len(call.args) > 1
            else call.kwargs.get("out_features", call.kwargs.get("out_channels"))
        )
        if call.name == "LazyLinear":
            arg = call.args[0] if call.args else call.kwargs.get("out_features")
        if arg is None:
            continue
        value = _int_at(ctx, call.file, call.line, arg)
        if value is None:
            continue
        score = 2 if re.search(r"class|label|intent|tag|categor|out", arg, re.I) else 0
        score += 1 if call.name in ("Linear", "LazyLinear") else 0
        named.append((score, call.line, call, value))
    if not named:
        return None
    best = max(named, key=lambda x: (x[0], x[1]))
    call, value = best[2], best[3]
    return ClassCount(
        value,
        f"the output layer `{call.code}` gives {value} scores per sample",
        Suspect(call.file, call.line, call.code, f"the output layer has {value} classes", 0.75),
    )


def _int_at(ctx: Context, file: str, line: int, expr: str) -> int | None:
    tracer = Tracer(ctx.source, file)
    try:
        node = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError:
        return None
    return tracer.int_of(node, line)


def _one_based_labels(
    ctx: Context, lc: LossCall | None, t: int | None, head: ClassCount | None
) -> tuple[str, Suspect | None] | None:
    """Evidence that the labels run 1..C: a label map starting at 1, enumerate(start=1),
    randint(1, C + 1) for the target."""
    if lc and lc.traced_target.low == 1 and (t is None or lc.traced_target.high == t):
        step = lc.traced_target.steps[-1] if lc.traced_target.steps else None
        sus = step_suspect(step, "makes labels 1 … C", 0.85) if step else None
        return (
            f"The targets are built in 1 … {lc.traced_target.high}: one past the last class.",
            sus,
        )
    c = head.value if head else None
    for path in ctx.source.files():
        tree = file_tree(ctx.source, path)
        if tree is None:
            continue
        lines = ctx.source.lines(path) or []
        for node in ast.walk(tree):
            values = _dict_int_values(node)
            if (
                values
                and isinstance(node, ast.Dict)
                and min(values) == 1
                and sorted(values) == list(range(1, len(values) + 1))
            ):
                if (t is None or max(values) == t) and (c is None or c == len(values)):
                    code = lines[node.lineno - 1].strip() if node.lineno <= len(lines) else ""
                    return (
                        f"The label map numbers the {len(values)} classes 1 … {len(values)}; "
                        f"the loss wants 0 … {len(values) - 1}, so {len(values)} is out of "
                        "range.",
                        Suspect(path, node.lineno, code, "numbers the classes from 1", 0.9),
                    )
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "enumerate":
                start = (
                    node.args[1]
                    if len(node.args) > 1
                    else next((k.value for k in node.keywords if k.arg == "start"), None)
                )
                if isinstance(start, ast.Constant) and start.value == 1:
                    code = lines[node.lineno - 1].strip() if node.lineno <= len(lines) else ""
                    return (
                        "The class ids come from enumerate(..., start=1): 1 … C.",
                        Suspect(path, node.lineno, code, "numbers the classes from 1", 0.85),
                    )
    return None


def _dict_int_values(node: ast.AST) -> list[int] | None:
    if not isinstance(node, ast.Dict) or len(node.values) < 2:
        return None
    out = []
    for v in node.values:
        if not (isinstance(v, ast.Constant) and isinstance(v.value, int)):
            return None
        out.append(v.value)
    return out


def _listed_classes(ctx: Context, t: int | None) -> ClassCount | None:
    """A list or dict of class names longer than the target, e.g. `CLASSES = [...]`."""
    best: ClassCount | None = None
    for path in ctx.source.files():
        tree = file_tree(ctx.source, path)
        lines = ctx.source.lines(path) or []
        if tree is None:
            continue
        for stmt in tree.body:
            if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
                continue
            target = stmt.targets[0]
            if not isinstance(target, ast.Name):
                continue
            n: int | None = None
            if LIST_NAMES.search(target.id) and isinstance(
                stmt.value, ast.List | ast.Tuple | ast.Dict
            ):
                n = (
                    len(stmt.value.keys)
                    if isinstance(stmt.value, ast.Dict)
                    else len(stmt.value.elts)
                )
            elif CLASS_NAMES.match(target.id):
                n = Tracer(ctx.source, path).int_of(stmt.value, stmt.lineno)
            if n and (t is None or n > t) and (best is None or n > best.value):
                code = lines[stmt.lineno - 1].strip()
                best = ClassCount(
                    n,
                    f"`{target.id}` lists {n} classes",
                    Suspect(path, stmt.lineno, code, f"{n} classes", 0.4),
                )
    return best


def one_hot_classes(ctx: Context) -> Reasoning:
    """`Class values must be smaller than num_classes.` / `Class values must be non-negative.`"""
    which = ctx.get("which") or ""
    r = Reasoning()
    negative = "non-negative" in which
    r.steps.append(
        "F.one_hot(x, num_classes) makes num_classes columns, one per value 0 … "
        "num_classes−1; "
        + ("a value of x is negative." if negative else "a value of x is ≥ num_classes.")
    )
    call = None
    for frame in user_frames(ctx):
        if frame.line and frame.file in ctx.source.files():
            tree = file_tree(ctx.source, frame.file)
            if tree is None:
                continue
            hits = [
                c
                for c in calls_on_line(tree, frame.line)
                if ast.unparse(c.func).endswith("one_hot")
            ]
            if hits:
                call = (frame, hits[0])
                break
    if negative:
        r.values["story"] = (
            "the labels contain a negative value (a padding / ignore label "
            "such as -1 or -100): mask it out before one_hot"
        )
        r.fix_code = "x = x.clamp(min=0)   # or drop the ignored positions before F.one_hot"
    else:
        r.values["story"] = (
            "num_classes is smaller than the largest label + 1 (labels numbered "
            "from 1, or a class count that misses a class)"
        )
        r.fix_code = "F.one_hot(labels, num_classes=int(labels.max()) + 1)"
    if call:
        frame, node = call
        tracer = Tracer(ctx.source, frame.file)
        labels = tracer.trace(node.args[0], frame.line or 0) if node.args else Traced()
        k_node = (
            node.args[1]
            if len(node.args) > 1
            else next((k.value for k in node.keywords if k.arg == "num_classes"), None)
        )
        k = tracer.int_of(k_node, frame.line or 0) if k_node is not None else None
        code = tracer.code(frame.line or 0)
        if k is not None:
            r.values["num_classes"] = k
            r.steps.append(f"num_classes = {k}: values 0 … {k - 1}.")
        if labels.high is not None and not negative:
            r.steps.append(
                f"The labels go up to {labels.high}: num_classes must be ≥ {labels.high + 1}."
            )
            r.fix_values["num_classes"] = labels.high + 1
            if k_node is not None:
                r.fix_code = code.replace(ast.unparse(k_node), str(labels.high + 1), 1) + (
                    f"   # was num_classes={k}"
                )
        r.suspects.append(
            Suspect(
                frame.file,
                frame.line or 0,
                code,
                "one-hot encodes labels outside 0 … num_classes−1",
                0.8,
            )
        )
    return r


# -- THNN regression criteria (PyTorch <= 1.0): shapes must be equal ---------------------------


def legacy_shapes(ctx: Context) -> Reasoning:
    """`input and target shapes do not match: input [400 x 10], target [64 x 10]` (THNN/THCUNN
    MSECriterion, AbsCriterion, SmoothL1Criterion: no broadcasting, the shapes must be equal)."""
    inp, tgt = shape_of(ctx, "input_shape"), shape_of(ctx, "target_shape")
    if inp is None or tgt is None or inp == tgt:
        raise Decline("shapes missing or equal")
    r = Reasoning()
    n_in, n_t = product(inp), product(tgt)
    r.steps.append(
        "These releases' regression criteria (MSELoss, L1Loss, SmoothL1Loss) compare the "
        "prediction and the target element by element and require the same shape: no "
        f"broadcasting. Prediction {inp} ({_plural(n_in, 'value')}), target {tgt} "
        f"({_plural(n_t, 'value')})."
    )
    r.fix_values["target_shape"] = inp
    if n_in == n_t:
        r.steps.append(
            f"Both hold {fmt(n_in)} values: only the layout differs (a size-1 dimension on one "
            "side), so a reshape lines them up."
        )
        r.values["story"] = (
            f"{inp} and {tgt} hold the same {_plural(n_in, 'value')} in another layout, "
            "typically [N, 1] predictions against [N] targets (or the reverse)"
        )
        r.values["fix_hint"] = (
            "Reshape one to the other, loss(output, target.view_as(output)); do not rely on "
            "broadcasting, which later releases apply silently ([N, 1] against [N] becomes "
            "[N, N])"
        )
        r.fix_code = "loss = criterion(output, target.view_as(output))   # same shape, no broadcast"
        return r
    if len(inp) == len(tgt) and inp[0] != tgt[0] and inp[1:] == tgt[1:]:
        a, b = inp[0], tgt[0]
        ratio = f"{fmt(a)} / {fmt(b)} = {a / b:.4g}"
        r.steps.append(
            f"They agree except in dimension 0: {fmt(a)} prediction rows against "
            f"{fmt(b)} target rows ({ratio})."
        )
        r.values["story"] = (
            f"the prediction has {fmt(a)} rows and the target {fmt(b)}: the two are not the same "
            "batch. A view(-1, k) in the model that mixes samples, or targets from another "
            "batch or split, gives this"
        )
        r.values["fix_hint"] = (
            "Give both the same batch: flatten per sample (torch.flatten(x, 1)) in the model and "
            "check that output.shape[0] == target.shape[0]"
        )
        r.fix_code = (
            "print(output.shape, target.shape)   # the rows must be the same samples\n"
            "x = torch.flatten(x, 1)             # instead of x.view(-1, k) in the model"
        )
        return r
    diff = [i for i in range(min(len(inp), len(tgt))) if len(inp) == len(tgt) and inp[i] != tgt[i]]
    if diff:
        dims = ", ".join(f"dimension {i} ({inp[i]} vs {tgt[i]})" for i in diff)
        r.steps.append(f"They differ in {dims}.")
        r.values["story"] = (
            f"the prediction {inp} and the target {tgt} differ in {dims}: the model does not "
            "produce the target's shape (a channel count, or a size changed by convolutions "
            "without padding or by pooling)"
        )
    else:
        r.values["story"] = (
            f"the prediction {inp} and the target {tgt} have different ranks and sizes: they "
            "are not two versions of one tensor"
        )
    r.values["fix_hint"] = (
        "Make the model output the target's shape (or crop or resize one to the other) before "
        "the loss"
    )
    r.fix_code = "print(output.shape, target.shape)   # must be equal for MSELoss in this release"
    return r
