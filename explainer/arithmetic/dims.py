"""Dimension arguments and tensor ranks: a dim that does not exist, permute/movedim orderings,
ops that need a given rank (t(), mT, diag, tril, meshgrid) and the other dim-argument checks
(split, chunk, narrow, roll, topk, reductions over empty dims, GLU, multinomial).

Most of these errors mean the tensor has another number of dimensions than the code assumes.
`trace_rank_loss` reads the user's source backwards from the failing call to find the line
where a dimension was lost: a single sample taken out of a batch (`X[0]`, `for x in X`), a bare
`squeeze()` that also removed a batch of one, a reduction without `keepdim=True`, a flatten.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.shapes import Shape, fmt
from explainer.model import Frame, Suspect

# Ops that take a dim argument, as methods or as torch./F. functions.
DIM_OPS = frozenset(
    (
        "softmax log_softmax argmax argmin max min sum mean std var prod norm cumsum cumprod "
        "logsumexp all any amax amin median mode sort argsort topk kthvalue cat concat "
        "concatenate stack transpose swapaxes permute squeeze unsqueeze flatten unflatten size "
        "narrow select index_select gather scatter scatter_ scatter_add scatter_add_ index_add "
        "index_add_ index_copy_ index_fill_ chunk split unbind flip roll normalize "
        "cosine_similarity Softmax LogSoftmax movedim moveaxis diagonal repeat_interleave "
        "take_along_dim count_nonzero nanmean nansum cummax cummin one_hot glu pad dist unfold "
        "expand_dims tensordot diff"
    ).split()
)
# Ops after which the usual fix is "use the last dim" (dim=-1), when the asked dim is one too far.
LAST_DIM_OPS = frozenset(
    (
        "softmax log_softmax argmax argmin max min sum mean std var prod norm cumsum logsumexp "
        "amax amin sort argsort topk cat concat normalize cosine_similarity Softmax LogSoftmax "
        "nanmean nansum"
    ).split()
)
# Ops whose valid range is [-(n+1), n]: they insert a dimension.
INSERTING_OPS = {"unsqueeze", "stack", "expand_dims"}
REDUCTIONS = frozenset(
    (
        "sum mean max min argmax argmin std var prod norm logsumexp amax amin median mode all any "
        "nanmean nansum count_nonzero"
    ).split()
)
LOADER_HINT = re.compile(r"loader|(^|_)dl($|_)|batches|iterator|enumerate", re.I)
SAMPLE_HINT = re.compile(
    r"data|set|test|train|val|^x|^X|sample|image|img|feat|input|seq|sent|row", re.I
)


# -- reading the code of a frame ----------------------------------------------------------------
@dataclass
class CodeCall:
    """A call found in a line of the user's code (from the file, or from the traceback text)."""

    name: str  # `softmax`
    func: str  # `out.softmax`, `F.softmax`, `torch.cat`
    args: list[str]
    kwargs: dict[str, str]
    node: ast.Call = field(repr=False)
    line: int = 0

    @property
    def receiver(self) -> str | None:
        """`out` for `out.softmax(...)`; None for module functions (`torch.`, `F.`, `np.`)."""
        if "." not in self.func:
            return None
        head = self.func.rsplit(".", 1)[0]
        if head in (
            "torch",
            "F",
            "nn.functional",
            "torch.nn.functional",
            "np",
            "numpy",
            "nn",
            "torch.nn",
            "functional",
            "torch.linalg",
            "torch.special",
            "math",
        ):
            return None
        return head

    @property
    def is_method(self) -> bool:
        return self.receiver is not None

    def tensor_expr(self) -> str | None:
        """The tensor the op works on: the receiver, or the first argument of `torch.op(x, ...)`."""
        if self.receiver:
            return self.receiver
        return self.args[0] if self.args else None

    def arg(self, method_index: int, name: str) -> str | None:
        """An argument by keyword, or by position counted as in the method form."""
        if name in self.kwargs:
            return self.kwargs[name]
        index = method_index if self.is_method else method_index + 1
        return self.args[index] if index < len(self.args) else None


def parse_code(code: str) -> ast.AST | None:
    """Parse one (possibly truncated) line of code: `x = f(a,` parses as `x = f(a,)`."""
    text = code.strip().rstrip("\\").strip()
    if not text:
        return None
    text = re.sub(r"^(?:elif|if|while|for .* in|with|return|yield|assert)\b", "", text).rstrip(":")
    candidates = [text]
    missing = text.count("(") - text.count(")")
    missing_sq = text.count("[") - text.count("]")
    if missing > 0 or missing_sq > 0:
        closed = text.rstrip(",")
        candidates.append(closed + "]" * max(missing_sq, 0) + ")" * max(missing, 0))
        candidates.append(text + "]" * max(missing_sq, 0) + ")" * max(missing, 0))
    for candidate in candidates:
        try:
            return ast.parse(candidate.strip(), mode="exec")
        except SyntaxError:
            continue
    return None


def _unparse(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001 - odd nodes unparse badly; a blank is harmless here
        return ""


def calls_in(tree: ast.AST | None, names: set[str] | None = None, line: int = 0) -> list[CodeCall]:
    """Calls in a parsed piece of code, innermost first (the order Python runs them)."""
    if tree is None:
        return []
    found: list[CodeCall] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = _unparse(node.func)
        name = func.rsplit(".", 1)[-1]
        if names is not None and name not in names:
            continue
        found.append(
            CodeCall(
                name=name,
                func=func,
                args=[_unparse(a) for a in node.args],
                kwargs={k.arg: _unparse(k.value) for k in node.keywords if k.arg},
                node=node,
                line=line or getattr(node, "lineno", 0),
            )
        )
    # ast.walk is breadth-first: outer calls come first; Python runs the inner ones first.
    found.reverse()
    return found


def frame_calls(ctx: Context, frame: Frame | None, names: set[str] | None = None) -> list[CodeCall]:
    """Calls on the frame's line: from the file when it exists (whole statement), else the text."""
    if frame is None:
        return []
    statement = frame_statement(ctx, frame)
    return calls_in(parse_code(statement), names, frame.line or 0)


def frame_statement(ctx: Context, frame: Frame) -> str:
    """The frame's statement: the whole (multi-line) statement from the file, else the line."""
    lines = ctx.source.lines(frame.file) if frame.line else None
    if lines and frame.line and 1 <= frame.line <= len(lines):
        tree = module_tree(ctx, frame.file)
        if tree is not None:
            best: ast.stmt | None = None
            for node in ast.walk(tree):
                if isinstance(node, ast.stmt) and not isinstance(
                    node,
                    ast.FunctionDef
                    | ast.AsyncFunctionDef
                    | ast.ClassDef
                    | ast.For
                    | ast.While
                    | ast.If
                    | ast.With
                    | ast.Try,
                ):
                    end = getattr(node, "end_lineno", node.lineno) or node.lineno
                    if node.lineno <= frame.line <= end and (
                        best is None or node.lineno >= best.lineno
                    ):
                        best = node
            if best is not None:
                end = getattr(best, "end_lineno", best.lineno) or best.lineno
                return "\n".join(line.strip() for line in lines[best.lineno - 1 : end])
        return lines[frame.line - 1].strip()
    return (frame.code or "").strip()


_TREES: dict[tuple[str, int], ast.Module | None] = {}


def module_tree(ctx: Context, path: str) -> ast.Module | None:
    """The parsed user file (cached by path and size)."""
    lines = ctx.source.lines(path)
    if lines is None:
        return None
    key = (path, sum(len(line) for line in lines))
    if key not in _TREES:
        try:
            _TREES[key] = ast.parse("\n".join(lines))
        except (SyntaxError, ValueError):
            _TREES[key] = None
    return _TREES[key]


def int_value(text: str | None) -> int | None:
    """`1` -> 1, `-1` -> -1; anything that is not an integer literal -> None."""
    if text is None:
        return None
    t = text.strip()
    return int(t) if re.fullmatch(r"[+-]?\d+", t) else None


def int_list(text: str | None) -> list[int] | None:
    """`(0, 2, 1)` / `[0, 2, 1]` -> [0, 2, 1]."""
    if text is None:
        return None
    t = text.strip()
    if re.fullmatch(r"[\[(]\s*[+-]?\d+(\s*,\s*[+-]?\d+)*\s*,?\s*[\])]", t):
        return [int(x) for x in re.findall(r"[+-]?\d+", t)]
    value = int_value(t)
    return [value] if value is not None else None


def user_frames(ctx: Context) -> list[Frame]:
    """User frames of the final error, outermost first."""
    block = ctx.parsed.error
    frames = [f for f in (block.frames if block else []) if f.is_user]
    if not frames:
        frames = [f for f in ctx.parsed.all_frames if f.is_user]
    return frames


def frame_suspect(frame: Frame | None, reason: str, score: float) -> list[Suspect]:
    if frame is None or not frame.line:
        return []
    return [Suspect(frame.file, frame.line, frame.code or "", reason, score)]


# -- where a dimension was lost -----------------------------------------------------------------
@dataclass
class RankLoss:
    """A line that gave a tensor fewer dimensions than the code after it assumes."""

    kind: str  # "sample", "iterate", "squeeze", "reduce", "flatten", "create", "scalar"
    file: str
    line: int
    code: str
    variable: str
    detail: str = ""  # the squeezed/pooled expression, the reduction name, ...
    score: float = 0.8

    def reason(self) -> str:
        return {
            "sample": f"takes one sample out of a batch: `{self.variable}` has no batch dimension",
            "iterate": f"iterating over a tensor yields its rows: each `{self.variable}` has one "
            "dimension fewer than the tensor",
            "squeeze": "squeeze() without a dim removes every size-1 dimension, the batch too "
            "when the batch has one sample",
            "reduce": f"{self.detail}() over a dim drops that dim (keepdim=False by default)",
            "flatten": "flattens to one dimension, the batch dimension included",
            "create": f"builds `{self.variable}` from data with fewer dimensions than the model "
            "expects",
            "scalar": f"{self.detail}() over all elements returns a 0-d tensor",
        }.get(self.kind, "changes the number of dimensions")

    def suspect(self) -> Suspect:
        return Suspect(self.file, self.line, self.code, self.reason(), self.score)


def names_in(expr: str | None) -> list[str]:
    """Plain variable names in an expression, leftmost first (`self.fc(x)` -> [x])."""
    tree = parse_code(expr or "")
    if tree is None:
        return []
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in ("self", "torch", "F", "nn", "np"):
            if node.id not in out:
                out.append(node.id)
    return out


def enclosing_function(
    tree: ast.Module, line: int
) -> ast.FunctionDef | ast.AsyncFunctionDef | ast.Module:
    best: ast.FunctionDef | ast.AsyncFunctionDef | ast.Module = tree
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            end = getattr(node, "end_lineno", node.lineno) or node.lineno
            if node.lineno <= line <= end and (
                isinstance(best, ast.Module) or node.lineno >= best.lineno
            ):
                best = node
    return best


def binding(scope: ast.AST, name: str, before: int) -> tuple[ast.AST, ast.AST] | None:
    """The last statement before `before` that binds `name`, and the value bound."""
    best: tuple[int, ast.AST, ast.AST] | None = None
    for node in ast.walk(scope):
        lineno = getattr(node, "lineno", None)
        if lineno is None or lineno >= before:
            continue
        value: ast.AST | None = None
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if _binds(target, name):
                    value = node.value if isinstance(target, ast.Name) else node
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and _binds(node.target, name):
            value = node.value
        elif isinstance(node, ast.For) and _binds(node.target, name):
            value = node
        if value is not None and (best is None or lineno >= best[0]):
            best = (lineno, node, value)
    return (best[1], best[2]) if best else None


def _binds(target: ast.AST, name: str) -> bool:
    if isinstance(target, ast.Name):
        return target.id == name
    if isinstance(target, ast.Tuple | ast.List):
        return any(_binds(t, name) for t in target.elts)
    if isinstance(target, ast.Starred):
        return _binds(target.value, name)
    return False


def _call_name(node: ast.Call) -> str:
    return _unparse(node.func).rsplit(".", 1)[-1]


def _has_kw(node: ast.Call, name: str, value: str | None = None) -> bool:
    for kw in node.keywords:
        if kw.arg == name and (value is None or _unparse(kw.value) == value):
            return True
    return False


def _classify(value: ast.AST, stmt: ast.AST, name: str) -> tuple[str, str, float] | None:
    """Whether this bound value drops a dimension, and how (kind, detail, score)."""
    if isinstance(value, ast.For):
        it = value.iter
        if isinstance(it, ast.Call) and _call_name(it) in ("enumerate", "zip", "tqdm"):
            if not it.args:
                return None
            it = it.args[0]
        text = _unparse(it)
        if isinstance(it, ast.Call) and _call_name(it) in ("range", "len", "items", "keys"):
            return None
        if LOADER_HINT.search(text):
            return None
        return ("iterate", text, 0.85)
    if isinstance(stmt, ast.Assign) and value is stmt:
        value = stmt.value  # tuple unpacking: `x, y = dataset[0]`
        if isinstance(value, ast.Subscript) and _is_item_index(value.slice):
            base = _unparse(value.value)
            if not LOADER_HINT.search(base) and SAMPLE_HINT.search(base):
                return ("sample", base, 0.85)
        return None
    for node in ast.walk(value):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            found = _classify_call(node)
            if found:
                return found
    if isinstance(value, ast.Subscript) and _is_item_index(value.slice):
        base = _unparse(value.value)
        if not LOADER_HINT.search(base) and base not in ("batch", "outputs", "out", "output"):
            return ("sample", base, 0.85 if SAMPLE_HINT.search(base) else 0.6)
    if isinstance(value, ast.Call) and _unparse(value.func) in (
        "torch.tensor",
        "torch.Tensor",
        "torch.FloatTensor",
        "torch.LongTensor",
        "torch.from_numpy",
        "torch.as_tensor",
    ):
        return ("create", _unparse(value), 0.55)
    return None


def _classify_call(node: ast.Call) -> tuple[str, str, float] | None:
    """A method/torch-function call that drops dimensions (`.squeeze()`, `.sum(1)`, `.view(-1)`)."""
    call = _call_name(node)
    owner = _unparse(node.func.value) if isinstance(node.func, ast.Attribute) else ""
    positional = [_unparse(a) for a in node.args]
    if call in ("squeeze", "squeeze_") and not node.args and not node.keywords:
        return ("squeeze", owner, 0.9)
    if call in REDUCTIONS and not _has_kw(node, "keepdim", "True"):
        # The dim argument: `x.sum(1)`, `torch.sum(x, 1)`, `dim=`; `torch.max(a, b)` is elementwise.
        dim_pos = 1 if owner in ("torch", "np", "numpy") else 0
        if call == "norm":
            dim_pos += 1
        has_dim = _has_kw(node, "dim") or _has_kw(node, "axis")
        if len(positional) > dim_pos and (
            int_value(positional[dim_pos]) is not None or int_list(positional[dim_pos])
        ):
            has_dim = True
        if has_dim:
            return ("reduce", call, 0.85)
        if not node.args and not node.keywords and call in ("mean", "sum", "max", "min", "norm"):
            return ("scalar", call, 0.7)
        return None
    if call in ("view", "reshape") and positional == ["-1"]:
        return ("flatten", call, 0.8)
    if call in ("flatten", "ravel") and not node.keywords:
        if (owner not in ("torch", "nn") and not node.args) or (
            owner == "torch" and len(node.args) == 1
        ):
            return ("flatten", call, 0.8)
    return None


ITEM_INDEX_NAMES = re.compile(r"^(?:[a-z]|i[dx]x?|index|step|n|t|pos|k|row|col|sample_idx|ii)$")


def _is_item_index(index: ast.AST) -> bool:
    """`[0]`, `[i]`, `[-1]`, `[i + 1]`: one integer index (not a slice, not a batch of indices)."""
    if isinstance(index, ast.Constant) and isinstance(index.value, int):
        return True
    if isinstance(index, ast.UnaryOp) and isinstance(index.operand, ast.Constant):
        return True
    if isinstance(index, ast.Name):
        return bool(ITEM_INDEX_NAMES.match(index.id))
    if isinstance(index, ast.BinOp):
        names = [n.id for n in ast.walk(index) if isinstance(n, ast.Name)]
        return all(ITEM_INDEX_NAMES.match(n) for n in names)
    return False


def _next_names(value: ast.AST) -> list[str]:
    """Variables whose dims flow into this value (`model(x)` -> x, `a + b` -> a)."""
    if isinstance(value, ast.For):
        return []
    names: list[str] = []
    for node in ast.walk(value):
        if isinstance(node, ast.Name) and node.id not in ("self", "torch", "F", "nn", "np", "math"):
            if node.id not in names:
                names.append(node.id)
    # Called names (model, layer functions) are not data.
    called = {
        n.func.id
        for n in ast.walk(value)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    return [n for n in names if n not in called]


def trace_rank_loss(
    ctx: Context, frame: Frame | None, variables: list[str], depth: int = 6
) -> list[RankLoss]:
    """Lines before `frame` (in its function, then its callers) where these variables lost dims."""
    found: list[RankLoss] = []
    if frame is None or not frame.line:
        return found
    frames = user_frames(ctx)
    tree = module_tree(ctx, frame.file)
    if tree is None:
        return found
    seen: set[tuple[str, str, int]] = set()
    todo: list[tuple[Frame, str, int, int]] = [(frame, v, frame.line, 0) for v in variables]
    while todo:
        fr, name, before, level = todo.pop(0)
        if level > depth or (fr.file, name, before) in seen:
            continue
        seen.add((fr.file, name, before))
        ftree = module_tree(ctx, fr.file)
        if ftree is None:
            continue
        scope = enclosing_function(ftree, fr.line or before)
        bound = binding(scope, name, before)
        if bound is None:
            caller = _caller_argument(ctx, frames, fr, scope, name)
            if caller:
                cframe, expr = caller
                todo.extend((cframe, n, cframe.line or 0, level + 1) for n in names_in(expr)[:1])
            continue
        stmt, value = bound
        lineno = getattr(stmt, "lineno", 0)
        kind = _classify(value, stmt, name)
        code = (ctx.source.line(fr.file, lineno) or "").strip()
        if kind:
            found.append(
                RankLoss(kind[0], fr.file, lineno, code, name, kind[1], kind[2] - 0.05 * level)
            )
            if kind[0] in ("sample", "iterate", "squeeze", "reduce", "flatten", "scalar"):
                continue
        for nxt in _next_names(value)[:2]:
            todo.append((fr, nxt, lineno, level + 1))
    found.sort(key=lambda r: -r.score)
    return found


def _caller_argument(
    ctx: Context, frames: list[Frame], fr: Frame, scope: ast.AST, name: str
) -> tuple[Frame, str] | None:
    """For a parameter `name` of the function `fr` runs in: the caller's frame and argument."""
    if not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    params = [a.arg for a in scope.args.args]
    if name not in params:
        return None
    index = params.index(name) - (1 if params and params[0] in ("self", "cls") else 0)
    try:
        pos = next(i for i, f in enumerate(frames) if f.file == fr.file and f.line == fr.line)
    except StopIteration:
        return None
    if pos == 0:
        return None
    caller = frames[pos - 1]
    calls = frame_calls(ctx, caller)
    # The call into this function: by name, or a module called like a function (`model(x)`).
    for call in calls:
        if call.name == scope.name or (scope.name == "forward" and call.name not in DIM_OPS):
            if name in call.kwargs:
                return caller, call.kwargs[name]
            if 0 <= index < len(call.args):
                return caller, call.args[index]
    return None


def rank_loss_fix(loss: RankLoss) -> tuple[str, dict[str, object]]:
    """The corrected line for a rank loss, and the fix values it gives."""
    code = loss.code
    simple = re.match(rf"^{re.escape(loss.variable)}\s*=\s*([^#]+?)\s*$", code)
    if loss.kind in ("sample", "create") and simple:
        rhs = simple.group(1)
        rhs = rhs if re.fullmatch(r"[\w.]+(\[[^\]]*\]|\([^()]*\))*", rhs) else f"({rhs})"
        return (
            f"{loss.variable} = {rhs}.unsqueeze(0)   # was: {code}  (keep a batch dimension of 1)",
            {"unsqueeze": 0},
        )
    if loss.kind in ("sample", "create"):
        return (
            f"{loss.variable} = {loss.variable}.unsqueeze(0)   # after: {code}  (keep a batch "
            "dimension of 1)",
            {"unsqueeze": 0},
        )
    if loss.kind == "iterate":
        return (
            f"{loss.variable} = {loss.variable}.unsqueeze(0)   # inside: {code}  (or iterate over "
            "a DataLoader / slices x[i:i+1])",
            {"unsqueeze": 0},
        )
    if loss.kind == "squeeze":
        if "pool" in code.lower() and ("2d" in code or "3d" in code):
            new = re.sub(r"\.squeeze\(\s*\)", "", code)
            new = re.sub(r"=\s*(.+)$", r"= torch.flatten(\1, 1)", new, count=1)
            return f"{new}   # was: {code}", {"flatten_start": 1}
        return code.replace(".squeeze()", ".squeeze(-1)") + f"   # was: {code}", {"squeeze_dim": -1}
    if loss.kind == "reduce":
        new = re.sub(rf"(\.{loss.detail}\([^()]*)\)", r"\1, keepdim=True)", code, count=1)
        return f"{new}   # was: {code}", {"keepdim": True}
    if loss.kind == "flatten":
        new = code.replace(".view(-1)", ".flatten(1)").replace(".reshape(-1)", ".flatten(1)")
        new = new.replace(".flatten()", ".flatten(1)")
        return f"{new}   # was: {code}", {"flatten_start": 1}
    return code, {}


# -- Dimension out of range ---------------------------------------------------------------------
def _dim_range(ctx: Context) -> tuple[int, int, int]:
    """(lo, hi, got) under the names each wording uses."""
    got = ctx.get("got", "dim")
    rng = ctx.get("range")
    if isinstance(rng, Shape) and len(rng) == 2:
        lo, hi = rng
    elif isinstance(ctx.get("ndim"), int):
        n = ctx.get("ndim")
        lo, hi = -n, n - 1
        # Old wordings had no range: give the users' group names for it anyway.
        ctx.numbers.setdefault("range", Shape((lo, hi)))
    else:
        raise Decline("no range in the message")
    if not isinstance(got, int):
        raise Decline("no dim in the message")
    if lo > 0 or hi < -1 or (lo <= got <= hi):
        raise Decline("the dim is inside the range: not an out-of-range error")
    return lo, hi, got


def _dim_call(ctx: Context, got: int) -> CodeCall | None:
    """The call in the failing line that asked for dim `got`."""
    frame = ctx.where
    for call in frame_calls(ctx, frame):
        if call.name not in DIM_OPS:
            continue
        values = [int_value(a) for a in call.args]
        values += [
            int_value(v)
            for k, v in call.kwargs.items()
            if k.startswith("dim") or k in ("axis", "start_dim", "end_dim")
        ]
        for a in call.args + [call.kwargs.get("dims", ""), call.kwargs.get("dim", "")]:
            listed = int_list(a) if a and a.strip()[:1] in "([" else None
            if listed:
                values += listed
        if got in values:
            return call
    return None


def _dims_text(n: int) -> str:
    if n <= 0:
        return "none at all (it is a scalar)"
    pos = ", ".join(str(i) for i in range(n))
    neg = ", ".join(str(i) for i in range(-n, 0))
    return f"{pos} (or {neg} counting from the end)"


def out_of_range(ctx: Context) -> Reasoning:
    """`Dimension out of range (expected to be in range of [lo, hi], but got d)`."""
    lo, hi, got = _dim_range(ctx)
    call = _dim_call(ctx, got)
    op = call.name if call else None
    inserting = op in INSERTING_OPS
    if hi != -lo - 1:
        raise Decline("the range is not [-n, n-1]")
    n = hi if inserting else -lo
    r = Reasoning()
    r.values.update(lo=lo, hi=hi, ndim=n, dim=got, got=got, scalar_note="")
    r.values["op"] = f"{call.func}()" if call else "the op"
    r.values["dims_text"] = _dims_text(n)
    r.values["plural"] = "" if n == 1 else "s"
    if inserting:
        r.steps.append(
            f"{op}() inserts a new dimension, so its dim may also be {n} (one past the last): "
            f"for an {n}-D tensor the valid range is [{lo}, {hi}]."
        )
    else:
        r.steps.append(
            f"The range [{lo}, {hi}] is [−n, n−1] for n = {n}: the tensor has {n} "
            f"dimension{'s' if n != 1 else ''}, numbered {_dims_text(n)}."
        )
    needed = got + 1 if got >= 0 else -got
    if inserting and got >= 0:
        needed = got
    r.steps.append(
        f"dim={got} needs a tensor with at least {needed} dimensions: this one has {n}, "
        f"{needed - n} too few."
    )
    r.values["needed_ndim"] = needed
    variables = names_in(call.tensor_expr()) if call else []
    if call and call.name in ("cat", "concat", "stack") and call.args:
        variables = names_in(call.args[0])
    if call is None:
        # A module built with the dim (`self.softmax = nn.Softmax(dim=1)`) and called here.
        built = _module_with_dim(ctx, got)
        if built is not None:
            r.suspects.append(built)
            r.values["op"] = built.code.split("=", 1)[-1].strip()
        variables = [
            n for c in frame_calls(ctx, ctx.where) for a in c.args[:1] for n in names_in(a)
        ]
    losses = trace_rank_loss(ctx, ctx.where, variables[:2]) if variables else []
    if n == 1 and lo == -1 and hi == 0 and not losses and call is None:
        r.values["scalar_note"] = (
            " A 0-d tensor (a scalar such as a loss or x.sum()) reports this same range [-1, 0]."
        )
    lowercase = ctx.message.lstrip().startswith("dimension out of range")
    subject = call.tensor_expr() if call else (variables[0] if variables else None)
    joined = _joined_tensors(call)
    if joined and not losses and call is not None:
        r.values["cause"] = _joined_cause(r, joined, call, n)
    else:
        r.values["cause"] = _out_of_range_cause(r, subject, n, got, losses, lowercase)
    _out_of_range_fix(r, ctx, call, n, got, losses)
    if joined and not losses and call is not None:
        _joined_fix(r, ctx, joined, call, n, got)
    if call is None and ctx.where is not None and r.values["op"] == "the op":
        r.notes.append("the call that asked for the dim was not found in the line that raised")
    return r


def _joined_tensors(call: CodeCall | None) -> str | None:
    """The sequence of a torch.cat / torch.stack call that joins several tensors, as written."""
    if call is None or call.name not in ("cat", "concat", "concatenate", "stack") or not call.args:
        return None
    seq = call.args[0]
    node = call.node.args[0] if call.node.args else None
    if isinstance(node, ast.Tuple | ast.List) and len(node.elts) < 2:
        return None
    return seq


def _joined_cause(r: Reasoning, seq: str, call: CodeCall, n: int) -> str:
    op = f"torch.{call.name}"
    r.steps.append(
        f"{op} checks the dim against the tensors it joins (current releases against the first "
        f"one), so at least one tensor in `{seq}` has {n} dimension{'s' if n != 1 else ''}. "
        f"{op} also needs every tensor to have the same number of dimensions: the message does "
        "not say whether the others have more."
    )
    if n == 1:
        return (
            f"At least one tensor in `{seq}` is 1-D. Usually it is a single sample where the code "
            "expects a batch (a missing unsqueeze(0)), or a squeeze()/reduction removed the "
            "dimension before."
        )
    return (
        f"At least one tensor in `{seq}` has {n} dimensions where the code expects at least "
        f"{r.values['needed_ndim']}: a batch, channel or feature dimension is missing (an "
        "unbatched sample, a squeeze(), a reduction without keepdim=True)."
    )


def _joined_fix(r: Reasoning, ctx: Context, seq: str, call: CodeCall, n: int, got: int) -> None:
    """A dim that works only when every tensor has n dims: say so, and give the other way."""
    op = f"torch.{call.name}"
    first = f"print([t.shape for t in {seq}])   # {op}: every tensor needs the same ndim"
    if r.fix_values.get("dim") == -1 and r.fix_code:
        line = r.fix_code.split("   #", 1)[0]
        r.fix_code = (
            f"{first}\n"
            f"{line}   # only when every tensor is {n}-D\n"
            f"# if the others have more dimensions, give the {n}-D one their rank first "
            f"(unsqueeze / view / expand) and keep dim={got}"
        )
        r.values["fix_hint"] = (
            f"If every tensor in `{seq}` is {n}-D, use dim=-1; if the others have more "
            f"dimensions, {op} cannot join them as they are: give the {n}-D one the same number "
            f"of dimensions first, then join along dim={got}"
        )
        return
    r.fix_code = (
        f"{first}\n"
        f"# give the {n}-D tensor(s) the others' number of dimensions (unsqueeze / view / "
        f"expand), then join along dim={got}"
    )


def _module_with_dim(ctx: Context, got: int) -> Suspect | None:
    """`nn.Softmax(dim=1)` (or another module taking a dim) built with the dim asked for."""
    for call in ctx.source.calls(
        "Softmax", "LogSoftmax", "Softmin", "Flatten", "Unflatten", "CosineSimilarity", "GLU"
    ):
        dim = call.kwargs.get("dim", call.kwargs.get("start_dim"))
        if dim is None and call.args:
            dim = call.args[0]
        if int_value(dim) == got:
            return Suspect(
                call.file, call.line, call.code, f"builds the module with dim={got}", 0.45
            )
    return None


def _out_of_range_cause(
    r: Reasoning, tensor: str | None, n: int, got: int, losses: list[RankLoss], old: bool
) -> str:
    what = f"`{tensor}`" if tensor else "The tensor"
    if losses:
        loss = losses[0]
        r.steps.append(f"{what} comes from line {loss.line}: `{loss.code}`, which {loss.reason()}.")
        return (
            f"{what} has {n} dimension{'s' if n != 1 else ''} where the code expects at least "
            f"{r.values['needed_ndim']}: line {loss.line} ({loss.code}) {loss.reason()}."
        )
    if old:
        r.steps.append(
            "This lower-case wording is PyTorch ≤ 0.4. In 0.2 reductions (sum, max, mean) stopped "
            "keeping the reduced dimension (keepdim=False by default), so code written for 0.1.12 "
            "gets tensors with one dimension fewer."
        )
        return (
            f"{what} has {n} dimension{'s' if n != 1 else ''}. With this PyTorch release a "
            "reduction earlier in the code no longer keeps its dim (keepdim=False since 0.2): add "
            "keepdim=True there, or a batch dimension is missing."
        )
    if n == 1:
        return (
            f"{what} is 1-D. Usually it is a single sample where the code expects a batch "
            "(a missing unsqueeze(0)), or a squeeze()/reduction removed the dimension before."
        )
    return (
        f"{what} has {n} dimensions where the code expects at least {r.values['needed_ndim']}: a "
        "batch, channel or feature dimension is missing (an unbatched sample, a squeeze(), a "
        "reduction without keepdim=True), or the dim was written for another layout."
    )


def _out_of_range_fix(
    r: Reasoning, ctx: Context, call: CodeCall | None, n: int, got: int, losses: list[RankLoss]
) -> None:
    where = ctx.where
    if losses:
        loss = losses[0]
        code, values = rank_loss_fix(loss)
        r.fix_code = code
        r.fix_values.update(values)
        r.values["fix_hint"] = f"Keep the dimension at line {loss.line}"
        for i, found in enumerate(losses[:2]):
            r.suspects.append(
                found.suspect()
                if i == 0
                else Suspect(found.file, found.line, found.code, found.reason(), found.score - 0.2)
            )
        r.suspects += frame_suspect(where, f"asks for dim {got} of a {n}-D tensor", 0.5)
        return
    if call and call.name in LAST_DIM_OPS and got >= n:
        r.fix_values["dim"] = -1
        old = call.kwargs.get("dim")
        line = (where.code or "") if where else ""
        if old is not None:
            new = line.replace(f"dim={old}", "dim=-1", 1)
        else:
            new = _replace_dim_arg(line, call, got, "-1")
        r.fix_code = (
            f"{new}   # dim=-1 is the last dim, with or without a batch dimension"
            if new and new != line
            else f"{call.func}(..., dim=-1)"
        )
        r.values["fix_hint"] = (
            "Use dim=-1 (the last dim), or give the tensor the dimension it lacks"
        )
        r.suspects += frame_suspect(where, f"asks for dim {got} of a {n}-D tensor", 0.6)
        return
    r.values["fix_hint"] = (
        "Give the tensor the dimension it lacks (x.unsqueeze(0) for a single sample) or use a dim "
        f"between {-n} and {n - 1}"
    )
    r.fix_code = (
        "print(x.shape)   # before the failing line: find which dimension is missing\n"
        "x = x.unsqueeze(0)   # a single sample: add the batch dimension back"
    )
    r.suspects += frame_suspect(where, f"asks for dim {got} of a {n}-D tensor", 0.5)


def _replace_dim_arg(line: str, call: CodeCall, got: int, new: str) -> str:
    pattern = re.compile(
        rf"(\b{re.escape(call.name)}\((?:[^()]|\([^()]*\))*?)(?<![\w.-]){got}(?![\w.])"
    )
    m = pattern.search(line)
    if not m:
        return line
    return line[: m.end(1)] + new + line[m.end() :]


def scalar_dim(ctx: Context) -> Reasoning:
    """`Dimension specified as d but tensor has no dimensions`: a dim of a 0-d tensor."""
    got = ctx.get("got", "dim")
    if not isinstance(got, int):
        raise Decline("no dim")
    r = Reasoning()
    call = next((c for c in frame_calls(ctx, ctx.where) if c.name in DIM_OPS), None)
    r.values.update(got=got, op=f"{call.func}()" if call else "the op")
    r.steps.append(
        f"A 0-d tensor (a scalar such as a loss or `x.sum()`) has no dimensions, so no dim "
        f"exists, not even 0; dim={got} was asked."
    )
    variables = names_in(call.tensor_expr()) if call else []
    losses = [
        x
        for x in trace_rank_loss(ctx, ctx.where, variables[:1])
        if x.kind in ("scalar", "sample", "reduce")
    ]
    if losses:
        loss = losses[0]
        r.steps.append(f"It comes from line {loss.line}: `{loss.code}`.")
        r.suspects.append(loss.suspect())
        r.values["cause"] = f"line {loss.line} ({loss.code}) made it a scalar"
    else:
        r.values["cause"] = (
            "a reduction over all elements, a loss, or indexing a 1-D tensor with one integer "
            "made it a scalar"
        )
    r.fix_values["unsqueeze"] = 0
    r.fix_code = "x = x.unsqueeze(0)   # or keep the dims: x.sum(dim=..., keepdim=True)"
    r.suspects += frame_suspect(ctx.where, f"asks for dim {got} of a 0-d tensor", 0.5)
    return r


# -- permute / movedim --------------------------------------------------------------------------
def _permute_call(
    ctx: Context, count: int | None = None
) -> tuple[CodeCall, list[int] | None] | None:
    """The permute call of the failing line, with its dims when they are literals."""
    calls = [c for c in frame_calls(ctx, ctx.where, {"permute"})]
    best: tuple[CodeCall, list[int] | None] | None = None
    for call in calls:
        dims = _permute_dims(call)
        if count is None or (dims is not None and len(dims) == count):
            return call, dims
        if best is None:
            best = (call, dims)
    return best


def _permute_dims(call: CodeCall) -> list[int] | None:
    args = list(call.args)
    if not call.is_method and args:
        args = args[1:]  # torch.permute(x, dims)
    if "dims" in call.kwargs:
        return int_list(call.kwargs["dims"])
    if len(args) == 1:
        return int_list(args[0])
    values = [int_value(a) for a in args]
    if args and all(v is not None for v in values):
        return [v for v in values if v is not None]
    return None


def permute_count(ctx: Context) -> Reasoning:
    """permute() given another number of dims than the tensor has (new and old wordings)."""
    n = ctx.get("input_dim")
    k = ctx.get("len_dims")
    found = _permute_call(ctx, k if isinstance(k, int) else None)
    call, dims = found if found else (None, None)
    if dims is not None and not isinstance(k, int):
        k = len(dims)
    if isinstance(k, int):
        # The count of dims given is what users quote for the old wording: read from the code.
        ctx.numbers.setdefault("permute_dims", k)
    r = Reasoning()
    r.values["given"] = (
        f"permute({', '.join(map(str, dims))})"
        if dims is not None
        else (f"{call.func}({', '.join(call.args)})" if call else "the permute")
    )
    given = r.values["given"]
    r.values["given_title"] = f"`{given}`" if given.startswith("permute(") else given.capitalize()
    r.values["ndim_text"] = f"{n}" if isinstance(n, int) else "another number of"
    r.values["k_text"] = f"{k}" if isinstance(k, int) else "a different number of"
    if isinstance(n, int) and isinstance(k, int):
        r.steps.append(
            f"permute() needs one entry per dimension, a reordering of 0..n−1: the tensor has "
            f"n = {n} dimensions, {k} {'were' if k != 1 else 'was'} given."
        )
    elif isinstance(k, int):
        r.steps.append(
            f"permute() needs one entry per dimension of the tensor; {r.values['given']} gives "
            f"{k}, so the tensor does not have {k} dimensions (this old wording does not print "
            "how many it has)."
        )
    else:
        r.steps.append("permute() needs one entry per dimension of the tensor; the counts differ.")
    if ctx.message.lstrip().lower().startswith("permute(sparse_coo)"):
        r.steps.append(
            "The message says sparse_coo even for ordinary dense tensors: it is the shared check "
            "of every permute."
        )
    tensor = call.tensor_expr() if call else None
    r.values["tensor"] = f"`{tensor}`" if tensor else "the tensor"
    cause, code, values = _permute_cause(ctx, r, call, dims, n, k)
    r.values["cause"] = cause[:1].upper() + cause[1:]
    r.fix_code = code
    r.fix_values.update(values)
    r.suspects += frame_suspect(
        ctx.where, "the permute whose dims do not match the tensor's dimensions", 0.7
    )
    return r


def _permute_cause(
    ctx: Context,
    r: Reasoning,
    call: CodeCall | None,
    dims: list[int] | None,
    n: int | None,
    k: int | None,
) -> tuple[str, str, dict[str, object]]:
    line = (ctx.where.code or "").strip() if ctx.where else ""
    statement = frame_statement(ctx, ctx.where) if ctx.where else ""
    one_hot = "one_hot" in statement
    tensor = r.values["tensor"]
    if dims is not None and k and (max(dims) >= k or min(dims) < -k) and len(set(dims)) < len(dims):
        order = _one_hot_order(k) if one_hot else list(range(k))
        r.steps.append(
            f"The values {', '.join(map(str, dims))} are sizes, not dimension indices: permute "
            "takes the new order of the dims (each of 0..n−1 once)."
        )
        new = _replace_call_args(line, "permute", order)
        note = "   # one_hot puts the classes last: [N, H, W, C] -> [N, C, H, W]" if one_hot else ""
        return (
            "permute was given sizes instead of a dimension order. To change the shape use "
            "view/reshape; to reorder the dims give their indices.",
            f"{new}{note}",
            {"permute": order},
        )
    if dims is not None and k and k >= 3 and dims == list(range(k - 2)) + [k - 1, k - 2]:
        r.steps.append(
            f"{r.values['given']} only swaps the last two dims (a batch of matrices transposed); "
            "transpose(-2, -1) does that for a tensor of any rank ≥ 2, batched or not."
        )
        new = _replace_call(line, "permute", "transpose(-2, -1)")
        return (
            f"{tensor} is not {k}-D: {r.values['given']} assumes a batch of matrices; a single "
            "matrix (2-D) or a larger batch fails. Swap the last two dims by position from the "
            "end.",
            f"{new}   # or .mT (.mH for the conjugate transpose)",
            {"transpose": [-2, -1]},
        )
    valid = dims is not None and k is not None and sorted(dims) == list(range(k))
    if isinstance(n, int) and isinstance(k, int) and valid and dims is not None and k == n + 1:
        fixed = _drop_one_dim(dims)
        r.steps.append(
            f"The tensor has one dimension fewer than {r.values['given']} assumes"
            + (
                ": a single image without its batch dimension, or a batch of grayscale images "
                "without a channel dimension."
                if dims[0] == 0
                else "."
            )
        )
        losses = trace_rank_loss(ctx, ctx.where, names_in(call.tensor_expr() if call else "")[:1])
        for loss in losses[:1]:
            r.suspects.append(loss.suspect())
        new = _replace_call_args(line, "permute", fixed)
        return (
            f"{tensor} has {n} dimensions, {k} were assumed"
            + (" (no batch dimension, or no channel dimension)" if dims[0] == 0 else "")
            + f": for {n} dims the same reordering is permute({', '.join(map(str, fixed))}).",
            f"{new}   # or add the missing dim first: "
            f"x.unsqueeze(0).permute({', '.join(map(str, dims))})",
            {"permute": fixed},
        )
    if isinstance(n, int) and isinstance(k, int) and k == n - 1 and one_hot:
        r.steps.append(
            f"one_hot adds the class dimension last, so its result has one dim more than its "
            f"input: a {n}-D result means the mask was {n - 1}-D, e.g. [N, 1, H, W] with a channel "
            "dimension, or an RGB mask [N, H, W, 3]."
        )
        new = re.sub(r"one_hot\(\s*([\w.\[\]]+)\s*,", r"one_hot(\1.squeeze(1),", line, count=1)
        return (
            f"{tensor} has {n} dimensions, {k} were assumed: the mask given to one_hot already had "
            f"a channel dimension, so one_hot made it {n}-D. Remove it (squeeze(1)), or map RGB "
            "colours to class ids first.",
            f"{new}   # [N, 1, H, W] -> [N, H, W] before one_hot",
            {"squeeze": 1},
        )
    if isinstance(n, int) and isinstance(k, int) and valid and dims is not None and k == n - 1:
        fixed = _add_one_dim(dims)
        r.steps.append(
            f"The tensor has one dimension more than {r.values['given']} assumes "
            + ("(a batch dimension)." if fixed[0] == 0 else "(the trailing feature dimension).")
        )
        new = _replace_call_args(line, "permute", fixed)
        return (
            f"{tensor} has {n} dimensions, {k} were assumed: for {n} dims the same reordering is "
            f"permute({', '.join(map(str, fixed))}).",
            new
            + ("   # or transpose(0, 1): swaps the first two dims of any rank" if k == 2 else ""),
            {"permute": fixed},
        )
    if one_hot:
        order = _one_hot_order(k or 4)
        return (
            "F.one_hot adds the class dimension last; the dims given do not match the rank of "
            "its result. Check the mask's shape before one_hot ([N, H, W] gives [N, H, W, C]).",
            _replace_call_args(line, "permute", order) + "   # for a [N, H, W] mask",
            {"permute": order},
        )
    if isinstance(n, int) and isinstance(k, int):
        more = "fewer" if n < k else "more"
        return (
            f"{tensor} has {abs(k - n)} dimension(s) {more} than the permute was written for"
            + (
                ": usually a missing batch dimension (a single sample) or a missing channel "
                "dimension (grayscale)."
                if n < k
                else ": usually an extra batch or channel dimension, e.g. [N, 1, H, W] masks."
            )
            + " Print its shape just before the permute.",
            "print(x.shape)   # then give permute one index per dimension",
            {},
        )
    return (
        f"{tensor} does not have {k if isinstance(k, int) else 'that many'} dimensions. Print its "
        "shape just before the permute: a single sample without its batch dimension, or an extra "
        "channel dimension, are the usual causes.",
        "print(x.shape)   # then give permute one index per dimension, e.g. x.permute(0, 3, 1, 2)",
        {},
    )


def _replace_call(line: str, name: str, new: str) -> str:
    m = re.search(rf"\b{name}\((?:[^()]|\([^()]*\))*\)", line)
    if not m:
        return f"x.{new}"
    return line[: m.start()] + new + line[m.end() :]


def _one_hot_order(k: int) -> list[int]:
    """one_hot's class dim is last: move it to position 1 ([N, H, W, C] -> [N, C, H, W])."""
    if k < 3:
        return list(range(k))[::-1]
    return [0, k - 1] + list(range(1, k - 1))


def _drop_one_dim(dims: list[int]) -> list[int]:
    """The same reordering for a tensor without the first (batch) or last dim."""
    drop = 0 if dims[0] == 0 else len(dims) - 1
    return [d - (1 if d > drop else 0) for d in dims if d != drop]


def _add_one_dim(dims: list[int]) -> list[int]:
    """The same reordering for a tensor with a leading batch dim (or a trailing one for swaps)."""
    if len(dims) == 2:
        return dims + [2]
    return [0] + [d + 1 for d in dims]


def _replace_call_args(line: str, name: str, values: list[int]) -> str:
    m = re.search(rf"\b{name}\((?:[^()]|\([^()]*\))*\)", line)
    if not m:
        return f"x.{name}({', '.join(map(str, values))})"
    return line[: m.start()] + f"{name}({', '.join(map(str, values))})" + line[m.end() :]


def transpose_order(ctx: Context) -> Reasoning:
    """`transpose()` given three or more dims: a NumPy-style order meant for permute."""
    types, given = ctx.get("arg_types"), ctx.get("given")
    count = (
        given if isinstance(given, int) else (types.count("int") if isinstance(types, str) else 0)
    )
    calls = [c for c in frame_calls(ctx, ctx.where, {"transpose"}) if c.is_method]
    call = next((c for c in calls if len(c.args) >= 3), None)
    if ctx.where is not None and calls and call is None:
        raise Decline("the transpose call in the code does not pass an order")
    dims = [int_value(a) for a in call.args] if call else []
    if call and len(call.args) != count and isinstance(given, int):
        count = len(call.args)
    if count < 3:
        raise Decline("not an order")
    ctx.numbers.setdefault("permute_dims", count)
    r = Reasoning()
    r.values.update(
        count=count, call=f"`{call.func}({', '.join(call.args)})`" if call else "The call"
    )
    r.steps.append(
        f"transpose(dim0, dim1) swaps two dims; {count} were given, as NumPy's "
        "a.transpose(*axes) takes them. In PyTorch the full reordering is permute(*dims)."
    )
    line = (ctx.where.code or "").strip() if ctx.where else ""
    if call and all(d is not None for d in dims):
        order = [d for d in dims if d is not None]
        r.fix_values["permute"] = order
        fixed = f"{call.receiver}.permute({', '.join(map(str, order))})"
        r.values["fixed_call"] = fixed
        r.fix_code = (
            line.replace(f"{call.func}(", f"{call.receiver}.permute(", 1) if line else fixed
        ) + "   # permute reorders all dims"
        if sorted(order) != list(range(len(order))):
            r.steps.append(
                f"Note: ({', '.join(map(str, order))}) is not an order of 0..{len(order) - 1}."
            )
    else:
        r.values["fixed_call"] = "x.permute(0, 3, 1, 2)"
        r.fix_code = "x.permute(0, 3, 1, 2)   # the same dims, with permute"
    r.values["cause"] = (
        "The code was written for a NumPy array (or ported from NumPy); this is a torch tensor."
    )
    r.suspects += frame_suspect(ctx.where, "NumPy-style transpose on a tensor", 0.7)
    return r


def permute_duplicate(ctx: Context) -> Reasoning:
    """`permute(): duplicate dims are not allowed.` / old `repeated dim in permute`."""
    found = _permute_call(ctx)
    call, dims = found if found else (None, None)
    captured = ctx.get("dims")
    if dims is None and isinstance(captured, Shape):
        dims = list(captured)
    r = Reasoning()
    r.values["given"] = (
        f"permute({', '.join(map(str, dims))})" if dims is not None else "permute(...)"
    )
    r.values["detail"] = "a dimension appears twice in the order given"
    if dims is None:
        r.steps.append("permute() needs each dimension exactly once; one was given twice.")
        r.fix_code = "x.permute(0, 3, 1, 2)   # each of 0..n-1 exactly once"
        r.suspects += frame_suspect(ctx.where, "the permute with a repeated dim", 0.6)
        return r
    n = len(dims)
    ctx.numbers.setdefault("permute_dims", n)
    wrapped = [d % n if -n <= d < n else d for d in dims]
    dup = sorted({d for d in wrapped if wrapped.count(d) > 1})
    missing = [d for d in range(n) if d not in wrapped]
    r.steps.append(
        f"{r.values['given']} on a {n}-D tensor: each of {', '.join(map(str, range(n)))} must "
        f"appear once; {', '.join(map(str, dup))} appear{'s' if len(dup) == 1 else ''} twice"
        + (
            f" and {', '.join(map(str, missing))} {'is' if len(missing) == 1 else 'are'} missing."
            if missing
            else "."
        )
    )
    r.values["detail"] = f"dim {', '.join(map(str, dup))} is given twice" + (
        f" and dim {', '.join(map(str, missing))} is missing" if missing else ""
    )
    if len(dup) == 1 and len(missing) == 1:
        fixed = list(wrapped)
        last = max(i for i, d in enumerate(wrapped) if d == dup[0])
        fixed[last] = missing[0]
        r.fix_values["permute"] = fixed
        line = (ctx.where.code or "").strip() if ctx.where else ""
        r.fix_code = _replace_call_args(line, "permute", fixed) + (
            f"   # or permute({', '.join(map(str, _swap_first(wrapped, dup[0], missing[0])))}): "
            "which occurrence was the typo?"
        )
    else:
        r.fix_code = (
            f"x.permute({', '.join(map(str, range(n)))})   # each dim exactly once, reordered"
        )
    r.suspects += frame_suspect(ctx.where, "the permute with a repeated dim", 0.7)
    return r


def _swap_first(dims: list[int], dup: int, missing: int) -> list[int]:
    out = list(dims)
    out[out.index(dup)] = missing
    return out


def movedim(ctx: Context) -> Reasoning:
    """movedim/moveaxis: source and destination of different lengths, or a repeated dim."""
    source, dest = ctx.get("source"), ctx.get("destination")
    r = Reasoning()
    if isinstance(source, Shape) and isinstance(dest, Shape):
        r.values.update(problem=f"source has {len(source)} dims and destination {len(dest)}")
        r.steps.append(
            f"movedim(source={list(source)}, destination={list(dest)}): dim source[i] goes to "
            f"position destination[i], so both lists need the same length; here {len(source)} "
            f"≠ {len(dest)}."
        )
        n = min(len(source), len(dest))
        r.fix_values["source"] = list(source)[:n]
        r.fix_values["destination"] = list(dest)[:n]
        r.fix_code = (
            f"x.movedim({list(source)[:n]}, {list(dest)[:n]})   # one destination per source dim"
        )
    else:
        which, dims = ctx.get("which"), ctx.get("dims")
        if not isinstance(dims, Shape) or which is None:
            raise Decline("numbers missing")
        dup = sorted({d for d in dims if list(dims).count(d) > 1})
        r.values.update(problem=f"{which} lists dim {', '.join(map(str, dup))} more than once")
        r.steps.append(
            f"`{which}` = {list(dims)}: each dim may appear once; "
            f"{', '.join(map(str, dup))} is repeated."
        )
        r.fix_code = "x.movedim((0, 1), (1, 0))   # distinct dims in source and in destination"
    r.suspects += frame_suspect(ctx.where, "the movedim call", 0.6)
    return r


# -- ops that need a rank ----------------------------------------------------------------------
RANK_OPS: dict[str, tuple[str, str, str, dict[str, object]]] = {
    "t": (
        "t()",
        "at most 2",
        "x.transpose(-2, -1)   # swaps the last two dims, any rank",
        {"transpose": [-2, -1]},
    ),
    "mT": (
        "tensor.mT",
        "at least 2",
        "x.unsqueeze(-1)   # a column vector [n, 1]; a 1-D tensor has nothing to transpose",
        {"unsqueeze": -1},
    ),
    "mH": (
        "tensor.mH",
        "at least 2",
        "x.unsqueeze(-1)   # a column vector [n, 1]",
        {"unsqueeze": -1},
    ),
    "T": (
        "x.T",
        "exactly 2 (or 0)",
        "x.mT   # transposes the last two dims of a batch of matrices\n"
        "x.permute(*range(x.ndim - 1, -1, -1))   # reverses all dims",
        {"transpose": [-2, -1]},
    ),
    "diag": (
        "torch.diag",
        "1 or 2",
        "torch.diagonal(x, dim1=-2, dim2=-1)   # the diagonals of a batch of matrices\n"
        "torch.diag_embed(x)   # a batch of vectors -> a batch of diagonal matrices",
        {"dim1": -2, "dim2": -1},
    ),
    "tril": (
        "torch.tril",
        "at least 2",
        "torch.tril(x.unsqueeze(0))   # or build the matrix first: torch.tril(torch.ones(n, n))",
        {},
    ),
    "triu": (
        "torch.triu",
        "at least 2",
        "torch.triu(x.unsqueeze(0))   # or build the matrix first: torch.triu(torch.ones(n, n))",
        {},
    ),
    "meshgrid": (
        "torch.meshgrid",
        "0 or 1",
        'torch.meshgrid(x.flatten(), y.flatten(), indexing="ij")   # 1-D coordinate vectors',
        {"flatten": True},
    ),
}


RANK_ADVICE = {
    "t": "For batched matrices swap the last two dims explicitly (transpose(-2, -1) or .mT).",
    "mT": "A 1-D tensor has nothing to transpose: make it a column [n, 1] or a row [1, n] first.",
    "mH": "A 1-D tensor has nothing to transpose: make it a column [n, 1] or a row [1, n] first.",
    "T": "Use .mT to transpose the last two dims of a batch, or permute for another order.",
    "diag": "For a batch use torch.diagonal(x, dim1=-2, dim2=-1) (diagonals) or "
    "torch.diag_embed(x) (diagonal matrices).",
    "tril": "tril keeps the lower triangle of the last two dims: build the [n, n] matrix first "
    "(e.g. torch.tril(torch.ones(n, n)) for a causal mask).",
    "triu": "triu keeps the upper triangle of the last two dims: build the [n, n] matrix first.",
    "meshgrid": "Pass the 1-D coordinate vectors (x.flatten()), not grids.",
}


def rank_requirement(ctx: Context) -> Reasoning:
    """t()/mT/mH/.T/diag/tril/triu/meshgrid given a tensor of a rank they do not take."""
    op = ctx.get("op") or ctx.get("which") or ("t" if "t()" in ctx.message else "")
    op = "T" if op == "x.T" else op
    if not op:
        text = ctx.message.lower()
        op = "diag" if "matrix or a vector" in text else "meshgrid" if "tensor list" in text else ""
    op = str(op)
    if op not in RANK_OPS:
        raise Decline(f"unknown op {op!r}")
    label, allowed, code, values = RANK_OPS[op]
    d = ctx.get("ndim")
    r = Reasoning()
    r.values.update(label=label, allowed=allowed)
    unknown = {
        "tril": "a tensor with fewer than 2 dimensions",
        "triu": "a tensor with fewer than 2 dimensions",
        "meshgrid": "a tensor with 2 or more dimensions",
        "T": "a tensor that is not 2-D",
    }
    r.values["rank"] = (
        f"a {d}-D tensor" if isinstance(d, int) else unknown.get(op, "a tensor of another rank")
    )
    r.values["advice"] = RANK_ADVICE.get(op, "")
    r.steps.append(f"{label} takes tensors with {allowed} dimensions; it got {r.values['rank']}.")
    if op == "t" and isinstance(d, int) and d > 2:
        r.steps.append(
            f"For {d}-D tensors name the two dims to swap: transpose(-2, -1) swaps the last two "
            "(a batch of matrices); F.linear also raises this when the weight is not 2-D."
        )
    if op == "T":
        r.steps.append(
            "x.T on a tensor that is not 2-D reverses all its dims: rarely what is meant."
        )
    r.fix_code = code
    r.fix_values.update(values)
    r.suspects += frame_suspect(ctx.where, f"calls {label} on {r.values['rank']}", 0.6)
    return r


# -- repeated dims, narrow, split, chunk, roll, topk, reductions, GLU, multinomial --------------
def repeated_dim(ctx: Context) -> Reasoning:
    """A dim listed twice: `dim d appears multiple times`, `diagonal dimensions cannot be
    identical`."""
    r = Reasoning()
    d1, d2 = ctx.get("dim1"), ctx.get("dim2")
    if isinstance(d1, int) and isinstance(d2, int):
        r.values["detail"] = f"dim1={d1} and dim2={d2} name the same dimension"
        r.steps.append(
            f"diagonal(dim1={d1}, dim2={d2}) takes the diagonal of the plane spanned by two "
            "different dims; both name the same one."
        )
        r.fix_values.update(dim1=-2, dim2=-1)
        r.fix_code = "torch.diagonal(x, dim1=-2, dim2=-1)   # the last two dims"
    else:
        d = ctx.get("dim")
        if not isinstance(d, int):
            raise Decline("no dim")
        r.values["detail"] = (
            f"dim {d} is listed twice (negative dims count from the end: -1 is the last)"
        )
        r.steps.append(
            f"The dims list names dim {d} twice, possibly once as a negative index (on an n-D "
            f"tensor, {d} and {d}−n are the same dim)."
        )
        r.fix_code = "x.sum(dim=(1, 2))   # each dim once"
    r.suspects += frame_suspect(ctx.where, "the call with the repeated dim", 0.6)
    return r


def narrow(ctx: Context) -> Reasoning:
    """`start (s) + length (l) exceeds dimension size (n).` and `start out of range`."""
    start, length, size = ctx.get("start"), ctx.get("length"), ctx.get("size")
    r = Reasoning()
    if isinstance(start, int) and isinstance(length, int) and isinstance(size, int):
        end = start + length
        r.values.update(end=end, over=end - size)
        r.steps.append(
            f"narrow(dim, start={start}, length={length}) takes elements {start}..{end - 1}; the "
            f"dimension has {size} (0..{size - 1}), {end - size} too few."
        )
        fixed = max(size - start, 0)
        r.fix_values["length"] = fixed
        r.fix_code = (
            f"x.narrow(dim, {start}, min({length}, x.size(dim) - {start}))   "
            f"# length {fixed} here\n"
            f"x[..., {start}:{start + length}]   # slicing clips at the end instead of raising"
        )
    else:
        rng, got = ctx.get("range"), ctx.get("got")
        if not isinstance(rng, Shape) or not isinstance(got, int):
            raise Decline("numbers missing")
        lo, hi = rng
        r.values.update(end=hi, over=got - hi)
        r.steps.append(
            f"start={got} is outside [{lo}, {hi}]: the dimension has {hi} elements and start may "
            f"be at most {hi} (an empty slice at the end)."
        )
        r.fix_values["start"] = hi
        r.fix_code = f"x.narrow(dim, min(start, {hi}), length)"
    r.suspects += frame_suspect(ctx.where, "the narrow/slice", 0.6)
    return r


def split_sizes(ctx: Context) -> Reasoning:
    """`split_with_sizes expects split_sizes to sum exactly to n ... but got split_sizes=[...]`."""
    size, dim, sizes = ctx.get("size"), ctx.get("dim"), ctx.get("split_sizes")
    if not isinstance(size, int) or not isinstance(sizes, Shape):
        raise Decline("numbers missing")
    total = sum(sizes)
    r = Reasoning()
    r.values.update(
        total=total,
        diff=size - total,
        diff_text=(
            f"{fmt(total - size)} too many" if total > size else f"{fmt(size - total)} too few"
        ),
    )
    r.steps.append(
        f"{' + '.join(map(str, sizes))} = {total}, but dimension {dim} has {size} elements "
        f"({'missing' if total < size else 'extra'} {abs(size - total)})."
    )
    fixed = list(sizes)
    if fixed:
        fixed[-1] += size - total
    if fixed and fixed[-1] > 0:
        r.fix_values["split_sizes"] = fixed
        r.fix_code = (
            f"torch.split(x, {fixed}, dim={dim})   # sums to {size}\n"
            f"torch.split(x, {sizes[0]}, dim={dim})   "
            f"# or an int: chunks of {sizes[0]}, the last may be smaller"
        )
    else:
        r.fix_code = f"torch.split(x, sizes, dim={dim})   # sizes must sum to {size}"
    r.suspects += frame_suspect(ctx.where, "the split with sizes that do not add up", 0.6)
    return r


def split_zero(ctx: Context) -> Reasoning:
    """split(0) / chunk(0) / split or chunk of a 0-d tensor."""
    r = Reasoning()
    size, chunks = ctx.get("size"), ctx.get("chunks")
    if isinstance(size, int):
        r.values["detail"] = f"split_size is 0 for a dimension of {size} elements"
        r.steps.append(f"Pieces of size 0 can never cover {size} elements.")
        r.fix_code = (
            "torch.split(x, max(1, split_size), dim=0)   "
            "# split_size is often len(x) // n, which is 0 when n > len(x)"
        )
        r.fix_values["split_size_min"] = 1
    elif isinstance(chunks, int):
        r.values["detail"] = f"chunks={chunks}"
        r.steps.append(f"chunk(n) splits into n pieces: n must be at least 1, got {chunks}.")
        r.fix_code = "x.chunk(max(1, n), dim=0)   # n is often computed, e.g. len(x) // batch_size"
        r.fix_values["chunks_min"] = 1
    else:
        r.values["detail"] = "the tensor is 0-d (a scalar)"
        r.steps.append("A 0-d tensor has no dimension to split.")
        r.fix_code = "x.reshape(-1).chunk(n)   # make it 1-D first"
    r.suspects += frame_suspect(ctx.where, "the split/chunk", 0.6)
    return r


def roll(ctx: Context) -> Reasoning:
    """`shifts and dimensions must align. shifts: a, dims:b`."""
    shifts, dims = ctx.get("shifts"), ctx.get("dims")
    if not isinstance(shifts, int) or not isinstance(dims, int):
        raise Decline("numbers missing")
    r = Reasoning()
    r.steps.append(f"roll(shifts, dims): one shift per dim; {shifts} shift(s) for {dims} dim(s).")
    r.fix_code = "torch.roll(x, shifts=(1, 2), dims=(0, 1))   # as many shifts as dims"
    r.suspects += frame_suspect(ctx.where, "the roll call", 0.6)
    return r


def topk(ctx: Context) -> Reasoning:
    """topk/kthvalue with k larger than the dimension."""
    r = Reasoning()
    d = ctx.get("dim")
    call = next(iter(frame_calls(ctx, ctx.where, {"topk", "kthvalue"})), None)
    k = int_value(call.arg(0, "k")) if call else None
    if call and not isinstance(d, int):
        d = int_value(call.arg(1, "dim"))
    r.values["where"] = (
        f"dimension {d}" if isinstance(d, int) else "the dimension (the last one by default)"
    )
    r.values["k_text"] = f"k={k}" if isinstance(k, int) else "k"
    r.steps.append(
        f"{r.values['k_text']} must be at most the size of {r.values['where']}"
        + (f": that dimension has fewer than {k} entries." if isinstance(k, int) else ".")
        + " Top-5 accuracy with fewer than 5 classes, or a k computed for a longer sequence or "
        "batch, does this."
    )
    dim_text = str(d) if isinstance(d, int) else "-1"
    r.fix_code = (
        f"k = min({k if isinstance(k, int) else 'k'}, x.size({dim_text}))\n"
        f"values, indices = x.topk(k, dim={dim_text})"
    )
    r.fix_values["k"] = f"min({k if isinstance(k, int) else 'k'}, x.size({dim_text}))"
    r.suspects += frame_suspect(ctx.where, "the topk/kthvalue call", 0.6)
    return r


def empty_reduction(ctx: Context) -> Reasoning:
    """max/argmax/... of an empty tensor or over an empty dim."""
    op, d = ctx.get("op"), ctx.get("dim")
    r = Reasoning()
    r.values["op"] = op or "the reduction"
    r.values["over"] = f"dim {d}" if isinstance(d, int) else "all elements"
    r.steps.append(
        f"{r.values['op']}() over {r.values['over']} of a tensor with no elements there: a max of "
        "nothing has no value. The tensor is empty: an empty batch, no detections, a filter that "
        "kept nothing."
    )
    r.fix_code = "if x.numel() > 0:   # or x.size(dim) > 0\n    value = x.max(dim=dim)"
    r.fix_values["guard"] = "numel() > 0"
    r.suspects += frame_suspect(ctx.where, "reduces a tensor that is empty here", 0.6)
    return r


def multinomial(ctx: Context) -> Reasoning:
    """multinomial(num_samples > categories, replacement=False)."""
    r = Reasoning()
    r.steps.append(
        "Without replacement each category can be drawn once, so num_samples must be at most the "
        "number of categories (the last dim of the probabilities)."
    )
    r.fix_code = "torch.multinomial(probs, n, replacement=True)   # or n = min(n, probs.size(-1))"
    r.fix_values["replacement"] = True
    r.suspects += frame_suspect(ctx.where, "the multinomial call", 0.6)
    return r


def glu(ctx: Context) -> Reasoning:
    """`Halving dimension must be even, but dimension d is size n` (F.glu / nn.GLU)."""
    d, size = ctx.get("dim"), ctx.get("size")
    if not isinstance(d, int) or not isinstance(size, int):
        raise Decline("numbers missing")
    r = Reasoning()
    r.steps.append(
        f"GLU splits dimension {d} into two halves (a ⊗ σ(b)); its size {size} is odd, so "
        "it cannot be halved."
    )
    r.fix_values["size"] = size + 1 if size % 2 else size
    r.values["even"] = r.fix_values["size"]
    r.fix_code = (
        f"# make the layer before GLU output {r.fix_values['size']} "
        f"(2 × {r.fix_values['size'] // 2}) "
        f"features along dim {d}, e.g. nn.Linear(in_f, 2 * out_f) followed by nn.GLU(dim={d})"
    )
    r.suspects += frame_suspect(ctx.where, "the GLU call", 0.5)
    return r


def thnn_dim(ctx: Context) -> Reasoning:
    """`invalid argument 4: dim out of range (got -1, but input has 3 dims) at
    .../THNN/generic/LogSoftMax.c`: PyTorch 0.2's THNN softmax kernels took only 0..n-1."""
    got, n = ctx.need_int("got"), ctx.need_int("ndim")
    text = ctx.message + " " + ctx.parsed.text
    op = (
        "log_softmax"
        if re.search(r"LogSoftMax|log_softmax", text)
        else "softmax"
        if re.search(r"SoftMax|softmax", text)
        else "the op"
    )
    r = Reasoning()
    r.values.update(op=op, ndim=n, hi=n - 1, got=got)
    r.steps.append(
        f"The input has {n} dims; this kernel (THNN, PyTorch 0.2) numbered them 0 … {n - 1} "
        "only, and checked dim against that range."
    )
    if -n <= got < 0:
        fixed = n + got
        r.steps.append(
            f"dim={got} means dim {fixed} (counted from the end) in every later release, but "
            "this one did not wrap negative dims, so it called it out of range."
        )
        r.values["story"] = (
            f"dim={got} is a valid dim of a {n}-D tensor ({got} = {fixed}), but PyTorch 0.2's "
            f"THNN {op} did not count negative dims from the end: it accepted only 0 … {n - 1}. "
            "Later releases accept negative dims."
        )
        r.values["fix_text"] = (
            f"Pass the dim as a non-negative number: dim={fixed} (x.dim() - {-got}), or upgrade "
            "PyTorch."
        )
        r.fix_values["dim"] = fixed
        call = op if op != "the op" else "softmax"
        r.fix_code = (
            f"F.{call}(x, dim=x.dim() - {-got})   # = {fixed} here; PyTorch 0.2 took no "
            "negative dims"
        )
        return r
    r.values["story"] = (
        f"dim={got} does not exist: a {n}-D input has dims 0 … {n - 1}. The tensor has fewer "
        "dims than the code assumes (a single sample without its batch dim, or a squeeze that "
        "removed one)."
    )
    r.values["fix_text"] = f"Use a dim between 0 and {n - 1}, or give the input the dims it lacks."
    r.fix_code = f"print(x.shape)   # {n} dims: dim must be 0 … {n - 1} in this release"
    where = ctx.where
    if where is not None and where.line is not None:
        r.suspects.append(Suspect(where.file, where.line, where.code or "", "passes the dim", 0.5))
    return r
