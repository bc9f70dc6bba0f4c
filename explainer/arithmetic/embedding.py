"""nn.Embedding / EmbeddingBag lookups with an id outside the table.

An embedding is a table of num_embeddings rows; an id selects a row, so every id must lie in
0 … num_embeddings−1. The message (`index out of range in self`) gives no numbers: the table size
comes from the user's `nn.Embedding(...)` and the largest id from how the ids were built (a
vocabulary with a padding id appended, 1-based user ids, positions longer than max_len).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.loss import frames_mention, has_frames, user_frames
from explainer.arithmetic.tensor_trace import (
    Step,
    Traced,
    Tracer,
    calls_on_line,
    file_tree,
    last_assignment,
)
from explainer.model import Frame, Suspect
from explainer.source import Call

EMBED_WORDS = ("embedding", "embed", "wte", "wpe", "emb")


@dataclass
class Table:
    """One `nn.Embedding(num_embeddings, dim, padding_idx=...)` in the user's source."""

    step: Step
    rows: int | None
    padding_idx: int | None
    node: ast.Call
    attr: str | None  # `self.embed` when assigned to an attribute


@dataclass
class Lookup:
    """The ids that reached the table, as far as the source tells."""

    traced: Traced
    step: Step | None
    highest: int | None
    positional: bool = False
    length: int | None = None  # sequence length, for position ids


VOCAB_WORDS = re.compile(
    r"vocab|embedding|num_embeddings|token_?id|_token_index|input_ids|tokenizer", re.I
)


def index_out_of_range(ctx: Context) -> Reasoning:
    """`index out of range in self` (CPU), the TH wording, and the CUDA `srcIndex <
    srcSelectDimSize` assertion: an id ≥ num_embeddings (or negative)."""
    if (
        has_frames(ctx)
        and frames_mention(ctx, "index_select")
        and not frames_mention(ctx, *EMBED_WORDS)
    ):
        raise Decline("torch.index_select, not an embedding")
    paraphrase = bool(
        re.match(
            r"\s*(?:IndexError:\s*)?index\s+out\s+of\s+range(?!\s+in\s+self|\s+at\s)",
            ctx.message,
        )
    )
    if paraphrase and not VOCAB_WORDS.search(ctx.parsed.text):
        raise Decline("a bare 'index out of range' with nothing about a vocabulary or embedding")
    r = Reasoning()
    if paraphrase:
        r.confidence = 0.65
        r.notes.append(
            "The text quotes the message without its ending ('in self'); the vocabulary it "
            "mentions makes an embedding lookup the likely source."
        )
    r.steps.append(
        "nn.Embedding(num_embeddings, dim) is a table of num_embeddings rows; each id picks a "
        "row, so every id must be in 0 … num_embeddings−1. One id is outside (too large, or "
        "negative)."
    )
    tables = _tables(ctx)
    table, lookup = _lookup(ctx, tables)
    _explain(r, table, lookup, ctx.get("index"), ctx.get("rows"))
    if not r.fix_values:
        _frame_kind(ctx, r)
    return r


# Which table a library frame looks up, from the attribute it calls (Hugging Face, GPT-2, fairseq).
TABLE_KINDS = (
    (
        ("position_embeddings", "position_ids", "wpe", "pos_emb", "embed_positions", "pos_embed"),
        "position",
        "the sequence is longer than the position table (max_position_embeddings, 512 for "
        "BERT-style models, 1024 for GPT-2): truncate the inputs",
        "enc = tokenizer(texts, truncation=True, max_length=model.config.max_position_embeddings,"
        ' padding=True, return_tensors="pt")',
    ),
    (
        ("token_type_embeddings", "token_type_ids"),
        "token type",
        "a token_type_ids value is ≥ type_vocab_size (2 for BERT, 1 for RoBERTa): do not pass "
        "segment ids to a model that has a single type",
        "outputs = model(input_ids=ids, attention_mask=mask)   # no token_type_ids",
    ),
    (
        ("word_embeddings", "wte", "embed_tokens", "input_ids", "tok_embeddings"),
        "vocabulary",
        "an input id is ≥ the model's vocabulary size: the tokenizer is not the model's, or "
        "tokens were added to it without resizing the embedding",
        "model.resize_token_embeddings(len(tokenizer))   # after tokenizer.add_tokens(...)",
    ),
)


def _frame_kind(ctx: Context, r: Reasoning) -> None:
    """Name the table from the frame that called it, when the source gave no numbers."""
    for frame in reversed(ctx.parsed.all_frames):
        code = (frame.code or "").lower()
        if "embed" not in code and "wte" not in code and "wpe" not in code:
            continue
        if "torch.embedding(" in code or "f.embedding(" in code:
            continue
        for words, kind, story, fix in TABLE_KINDS:
            if any(w in code for w in words):
                r.values["story"] = story
                r.steps.append(f"The failing lookup is the {kind} table: `{frame.code}`.")
                r.fix_code = fix
                if frame.line:
                    r.suspects.append(
                        Suspect(
                            frame.file,
                            frame.line,
                            frame.code or "",
                            f"looks up the {kind} table",
                            0.4,
                        )
                    )
                return
        return


def legacy_table(ctx: Context) -> Reasoning:
    """`index out of range: Tried to access index 32730 out of table with 28995 rows.`
    (TH, ≤ 1.6): the last number is the largest valid index, num_embeddings − 1."""
    index, rows = ctx.get("index"), ctx.get("rows")
    if not isinstance(index, int) or not isinstance(rows, int):
        raise Decline("numbers missing")
    r = Reasoning()
    r.steps.append(
        f"Old releases print the largest valid row, num_embeddings − 1 = {rows}: the table has "
        f"{rows + 1:,} rows (ids 0 … {rows:,}), and id {index:,} was looked up."
    )
    tables = _tables(ctx)
    table, lookup = _lookup(ctx, tables, rows=rows + 1)
    _explain(r, table, lookup, index, rows + 1)
    return r


def _explain(
    r: Reasoning, table: Table | None, lookup: Lookup | None, index: object, rows_hint: object
) -> None:
    rows = (
        table.rows
        if table and table.rows is not None
        else (rows_hint if isinstance(rows_hint, int) else None)
    )
    highest = index if isinstance(index, int) else (lookup.highest if lookup else None)
    if rows is not None:
        r.values["num_embeddings"] = rows
        r.steps.append(f"The table has num_embeddings = {rows:,} rows: valid ids 0 … {rows - 1:,}.")
    if lookup and lookup.positional and lookup.length is not None:
        r.steps.append(
            f"The ids are positions 0 … {lookup.length - 1} of a sequence of "
            f"{lookup.length} tokens."
        )
    elif highest is not None and lookup is not None and lookup.step is not None:
        r.steps.append(f"The ids reach {highest:,} (`{lookup.step.code}`).")
    need = highest + 1 if isinstance(highest, int) and highest >= 0 else None
    detail = f"The table has {rows:,} rows (ids 0 … {rows - 1:,})" if rows is not None else ""
    if detail and isinstance(highest, int):
        detail += f" and the ids reach {highest:,}"
    r.values["detail"] = f"{detail}. " if detail else ""
    if isinstance(highest, int) and highest < 0:
        r.values["story"] = (
            f"an id is negative ({highest}): a padding or 'unknown' marker that "
            "is not a row of the table"
        )
        r.fix_code = "ids = ids.clamp(min=0)   # or map the marker to a real padding id"
    elif need is not None and (rows is None or need > rows):
        r.fix_values["num_embeddings"] = need
        if lookup and lookup.positional:
            r.values["story"] = (
                f"the sequences are {need} tokens long but the position table "
                f"has {rows} rows (max_len too small)"
            )
        elif rows is not None and need == rows + 1:
            r.values["story"] = (
                f"the largest id is {highest}, exactly the table size: an id "
                "added after the vocabulary was counted (a padding/unknown "
                "token appended, or ids numbered from 1)"
            )
        else:
            r.values["story"] = (
                f"ids go up to {highest:,} but the table has "
                f"{f'{rows:,}' if rows is not None else 'fewer'} rows: the vocabulary "
                "(tokenizer) is larger than the embedding it feeds"
            )
        r.fix_code = (
            _fixed_ctor(table, need)
            if table
            else (f"nn.Embedding({need}, embedding_dim)   # num_embeddings = largest id + 1")
        )
        if lookup and lookup.positional and rows is not None:
            r.fix_code += f"\n# or truncate the inputs to {rows} tokens: ids = ids[:, :{rows}]"
    else:
        r.values["story"] = (
            "an id is ≥ num_embeddings: the tokenizer/vocabulary has more entries than the "
            "model's table (new tokens without resize_token_embeddings, another tokenizer), "
            "ids numbered from 1, or sequences longer than the position table"
        )
        r.fix_code = (
            "assert ids.min() >= 0 and ids.max() < emb.num_embeddings, (ids.min(), ids.max())\n"
            "emb = nn.Embedding(len(vocab), dim)   # size the table from the vocabulary\n"
            "# Hugging Face, after adding tokens: model.resize_token_embeddings(len(tokenizer))"
        )
    if table:
        r.suspects.append(
            Suspect(
                table.step.file,
                table.step.line,
                table.step.code,
                f"builds the table with {rows if rows is not None else '?'} "
                "rows" + (f"; the ids need {need}" if need else ""),
                0.85,
            )
        )
    if lookup and lookup.step and (table is None or lookup.step.line != table.step.line):
        r.suspects.append(
            Suspect(
                lookup.step.file,
                lookup.step.line,
                lookup.step.code,
                "makes the ids that are looked up",
                0.55,
            )
        )


def _fixed_ctor(table: Table, need: int) -> str:
    node = table.node
    first = (
        node.args[0]
        if node.args
        else next((k.value for k in node.keywords if k.arg == "num_embeddings"), None)
    )
    code = table.step.code
    if first is not None:
        old = ast.unparse(first)
        if old in code:
            was = (
                f"{old} = {table.rows}"
                if table.rows is not None and old != str(table.rows)
                else old
            )
            return code.replace(old, str(need), 1) + f"   # was {was}"
    return f"{code}   # num_embeddings must be {need}"


def _tables(ctx: Context) -> list[Table]:
    out: list[Table] = []
    for call in ctx.source.calls("Embedding"):
        tracer = Tracer(ctx.source, call.file)
        node = call.node
        first = (
            node.args[0]
            if node.args
            else next((k.value for k in node.keywords if k.arg == "num_embeddings"), None)
        )
        pad = next((k.value for k in node.keywords if k.arg == "padding_idx"), None)
        if pad is None and len(node.args) > 2:
            pad = node.args[2]
        rows = tracer.int_of(first, call.line) if first is not None else None
        if rows is None and isinstance(first, ast.Name):
            rows = _ctor_argument(ctx, call, first.id)
        out.append(
            Table(
                step=Step(call.file, call.line, call.code, "Embedding"),
                rows=rows,
                padding_idx=tracer.int_of(pad, call.line) if pad is not None else None,
                node=node,
                attr=call.target,
            )
        )
    return out


def _ctor_argument(ctx: Context, call: Call, param: str) -> int | None:
    """The value a class's instantiation passes for an `__init__` parameter
    (`TinyLM(vocab_size=len(WORDS))` for `nn.Embedding(vocab_size, dim)`)."""
    if call.cls is None or call.function != "__init__":
        return None
    tree = file_tree(ctx.source, call.file)
    init = None
    for node in ast.walk(tree) if tree else []:
        if isinstance(node, ast.ClassDef) and node.name == call.cls:
            init = next(
                (f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"),
                None,
            )
    if init is None:
        return None
    names = [a.arg for a in init.args.args][1:]
    if param not in names:
        return None
    index = names.index(param)
    for inst in ctx.source.calls(call.cls):
        expr = inst.kwargs.get(param) or (inst.args[index] if index < len(inst.args) else None)
        if expr is None:
            continue
        tracer = Tracer(ctx.source, inst.file)
        try:
            node = ast.parse(expr, mode="eval").body
        except SyntaxError:
            continue
        value = tracer.int_of(node, inst.line)
        if value is not None:
            return value
    return None


def _lookup(
    ctx: Context, tables: list[Table], rows: int | None = None
) -> tuple[Table | None, Lookup | None]:
    """The table called on a user frame's line and what its ids are; of several tables called
    on one line, the one whose ids overflow it."""
    frames = [f for f in user_frames(ctx) if f.line and f.file in ctx.source.files()]
    for k, frame in enumerate(frames):
        tree = file_tree(ctx.source, frame.file)
        if tree is None or frame.line is None:
            continue
        tracer = Tracer(ctx.source, frame.file)
        found: list[tuple[Table, Lookup]] = []
        for node in calls_on_line(tree, frame.line):
            hit = _table_called(tree, node, frame.line, tables)
            if hit is None or not node.args:
                continue
            lookup = _ids(tracer, node.args[0], frame.line)
            if lookup.highest is None or lookup.positional:
                index = _param_index(tree, node.args[0], frame.line)
                _from_callers(ctx, frames[k + 1 :], lookup, index)
            found.append((hit, lookup))
        if found:
            over = [
                (t, lk)
                for t, lk in found
                if t.rows is not None
                and lk.highest is not None
                and (lk.highest >= t.rows or lk.highest < 0)
            ]
            return (over or found)[0]
    table: Table | None = None
    if rows is not None:
        table = next((t for t in tables if t.rows == rows), None)
    elif len(tables) == 1:
        table = tables[0]
    inner = Lookup(Traced(), None, None)
    if frames:
        _from_callers(ctx, frames, inner, 0)
    return table, inner


def _param_index(tree: ast.Module, node: ast.AST, line: int) -> int:
    """Which positional parameter (after self) of the enclosing function `node` is; 0 if none."""
    from explainer.arithmetic.tensor_trace import enclosing_function

    func = enclosing_function(tree, line)
    if not isinstance(node, ast.Name) or not isinstance(func, ast.FunctionDef):
        return 0
    names = [a.arg for a in func.args.args if a.arg != "self"]
    return names.index(node.id) if node.id in names else 0


def _table_called(tree: ast.Module, node: ast.Call, line: int, tables: list[Table]) -> Table | None:
    func = ast.unparse(node.func)
    for table in tables:
        if table.attr and func == table.attr:
            return table
    found = last_assignment(tree, func, line)
    if found and isinstance(found[1], ast.Call):
        value_line = getattr(found[0], "lineno", 0)
        for table in tables:
            if table.step.line == value_line:
                return table
    return None


def _ids(tracer: Tracer, node: ast.AST, line: int) -> Lookup:
    traced = tracer.trace(node, line)
    step = traced.steps[-1] if traced.steps else None
    positional = "arange" in traced.ops or any("arange" in s.code for s in traced.steps)
    length = traced.shape[-1] if positional and traced.shape else None
    highest = traced.high
    if positional and length is not None:
        highest = length - 1
    return Lookup(traced, step, highest, positional, length)


def _from_callers(ctx: Context, frames: list[Frame], inner: Lookup, index: int) -> None:
    """Fill the ids' range (or the sequence length) from the callers' arguments."""
    for frame in frames:
        tree = file_tree(ctx.source, frame.file)
        if tree is None or frame.line is None:
            continue
        tracer = Tracer(ctx.source, frame.file)
        for node in calls_on_line(tree, frame.line):
            pos = index if len(node.args) > index else 0
            for arg in node.args[pos : pos + 1]:
                traced = tracer.trace(arg, frame.line)
                if inner.positional and traced.shape:
                    inner.length = traced.shape[-1]
                    inner.highest = inner.length - 1
                    inner.step = traced.steps[-1] if traced.steps else inner.step
                    return
                if not inner.positional and traced.high is not None:
                    inner.highest = traced.high
                    inner.traced = traced
                    inner.step = traced.steps[-1] if traced.steps else None
                    return


def padding_idx(ctx: Context) -> Reasoning:
    """`Padding_idx must be within num_embeddings` (an AssertionError in nn.Embedding)."""
    r = Reasoning()
    r.steps.append(
        "padding_idx names a row of the table: it must be in −num_embeddings … num_embeddings−1."
    )
    table = next((t for t in _tables(ctx) if t.padding_idx is not None), None)
    if table and table.rows is not None and table.padding_idx is not None:
        rows, pad = table.rows, table.padding_idx
        r.values["num_embeddings"] = rows
        r.steps.append(
            f"nn.Embedding({rows}, …, padding_idx={pad}): valid rows 0 … {rows - 1}; "
            f"{pad} is outside."
        )
        if pad >= rows:
            r.values["story"] = (
                f"the padding id {pad} was appended after the vocabulary was "
                f"counted: the table needs {pad + 1} rows"
            )
            r.fix_values["num_embeddings"] = pad + 1
            r.fix_code = _fixed_ctor(table, pad + 1)
        else:
            r.values["story"] = f"padding_idx {pad} is below −{rows}"
        r.suspects.append(
            Suspect(
                table.step.file,
                table.step.line,
                table.step.code,
                f"padding_idx={pad} with {rows} rows",
                0.9,
            )
        )
    else:
        r.values["story"] = (
            "padding_idx is ≥ num_embeddings: usually the pad token's id equals "
            "len(vocab) because it was added after counting"
        )
        r.fix_code = "nn.Embedding(len(vocab) + 1, dim, padding_idx=len(vocab))   # room for <pad>"
    return r


def bag_index(ctx: Context) -> Reasoning:
    """`Index 1 of input takes value 12 which is not in the valid range [0, 10)` (EmbeddingBag)."""
    pos, value, rows = ctx.get("position"), ctx.get("value"), ctx.get("num_embeddings")
    if not all(isinstance(v, int) for v in (pos, value, rows)):
        raise Decline("numbers missing")
    r = Reasoning()
    r.values["last_id"] = rows - 1
    r.steps.append(
        f"EmbeddingBag has num_embeddings = {rows} rows, ids 0 … {rows - 1}; element "
        f"{pos} of the flattened input is {value}."
    )
    table = next((t for t in _tables(ctx) if t.rows == rows), None)
    if value >= rows:
        r.values["story"] = f"id {value} needs a table of at least {value + 1} rows"
        r.fix_values["num_embeddings"] = value + 1
    else:
        r.values["story"] = f"id {value} is negative"
    r.fix_code = (
        f'nn.EmbeddingBag({value + 1 if value >= rows else rows}, dim, mode="mean")   '
        "# rows for every id"
    )
    bags = [c for c in ctx.source.calls("EmbeddingBag")]
    if bags:
        c = bags[0]
        r.suspects.append(
            Suspect(c.file, c.line, c.code, f"builds the bag table with {rows} rows", 0.85)
        )
    elif table:
        r.suspects.append(
            Suspect(table.step.file, table.step.line, table.step.code, "the table", 0.8)
        )
    return r


def bag_input(ctx: Context) -> Reasoning:
    """`input has to be 1D or 2D Tensor, but got Tensor of dimension 3` and
    `offsets has to be a 1D Tensor` (EmbeddingBag)."""
    dim = ctx.get("input_dim")
    r = Reasoning()
    r.steps.append(
        "EmbeddingBag takes either a 2-D input [B, L] (B bags of L ids each, offsets=None) or a "
        "1-D input of all ids concatenated with 1-D offsets [B] giving where each bag starts."
    )
    if isinstance(dim, int):
        r.values["story"] = (
            f"the input is {dim}-D: flatten the extra dimension into the bags "
            "(input.view(-1, L)) or concatenate the ids with offsets"
        )
        r.fix_values["input_dim"] = 2
    else:
        r.values["story"] = "offsets is not a 1-D tensor of bag start positions"
        r.fix_values["offsets_dim"] = 1
    r.fix_code = (
        "out = bag(ids.view(-1, ids.size(-1)))   # [B, L], offsets=None\n"
        "# or: bag(torch.cat(seqs), offsets=torch.tensor([0, len(s0), ...]))"
    )
    where = ctx.where
    if where and where.line:
        r.suspects.append(
            Suspect(where.file, where.line, where.code or "", "the EmbeddingBag call", 0.6)
        )
    return r
