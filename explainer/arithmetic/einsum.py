"""torch.einsum errors: the equation read from the user's call, which subscript letter binds
which dimension of which operand, and, for the remapped-shapes wording, the layout einsum
permutes every operand into (output subscripts first, then the summed ones) so the dimension that
does not broadcast can be named."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.shapes import Shape, fmt
from explainer.arithmetic.suspects import code_lines_with_numbers
from explainer.model import Frame, Suspect

EQUATION = re.compile(r"einsum\(\s*(?:equation\s*=\s*)?[rbuf]?(?P<q>['\"])(?P<eq>[^'\"]*)(?P=q)")
ELLIPSIS = "..."


@dataclass
class Equation:
    text: str
    terms: list[list[str]]  # labels per input operand, "..." as one label
    output: list[str] | None  # None when implicit

    def term_text(self, k: int) -> str:
        return "".join(self.terms[k]) if k < len(self.terms) else "?"


def parse_equation(text: str) -> Equation | None:
    """`'bhqd,bhkd->bhqk'` as labels per operand; None when it is not an einsum equation."""
    lhs, arrow, rhs = text.replace(" ", "").partition("->")
    if not lhs and not arrow:
        return None
    terms = [_labels(t) for t in lhs.split(",")]
    output = _labels(rhs) if arrow else None
    return Equation(text, terms, output)


def _labels(term: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(term):
        if term.startswith(ELLIPSIS, i):
            out.append(ELLIPSIS)
            i += 3
        else:
            out.append(term[i])
            i += 1
    return out


def find_equation(ctx: Context) -> tuple[Equation, Frame | None] | None:
    """The equation of the einsum call in the traceback's frames or around them in the source."""
    frames = [f for f in ctx.parsed.all_frames if f.code]
    for frame in reversed(frames):
        m = EQUATION.search(frame.code or "")
        if m and "equation" not in (frame.code or "").split("einsum")[0][-12:]:
            eq = parse_equation(m["eq"])
            if eq:
                return eq, frame
    for frame in reversed(ctx.parsed.all_frames):
        if not frame.is_user or frame.line is None:
            continue
        lines = ctx.source.lines(frame.file) or []
        window = "\n".join(lines[max(frame.line - 1, 0) : frame.line + 3])
        if "einsum" in (frame.code or "") or "einsum" in window:
            m = EQUATION.search(window)
            if m:
                eq = parse_equation(m["eq"])
                if eq:
                    return eq, frame
    return None


def _einsum_frame(ctx: Context) -> Frame | None:
    for frame in reversed(ctx.parsed.all_frames):
        if frame.is_user and frame.code and "einsum" in frame.code:
            return frame
    return ctx.where


def _suspect(r: Reasoning, frame: Frame | None, reason: str, score: float = 0.8) -> None:
    if frame is not None and frame.line:
        r.suspects.append(
            Suspect(frame.file, frame.line, (frame.code or "").strip(), reason, score)
        )


def _positions(eq: Equation, label: str) -> list[tuple[int, int]]:
    return [(k, i) for k, term in enumerate(eq.terms) for i, lab in enumerate(term) if lab == label]


def _where_text(eq: Equation, label: str) -> str:
    parts = [
        f"dimension {i} of operand {k} ('{eq.term_text(k)}')" for k, i in _positions(eq, label)
    ]
    return ", ".join(parts) if parts else "no operand"


# -- subscript sizes ---------------------------------------------------------------------------


def subscript_size(ctx: Context) -> Reasoning:
    """`einsum(): subscript l has size 300 for operand 1 which does not broadcast with previously
    seen size 10`, and ≤1.7's `size of dimension does not match previous size, operand 1, dim 0`."""
    size, prev = ctx.get("size"), ctx.get("previous_size")
    operand = ctx.get("operand")
    label = ctx.get("subscript")
    if not isinstance(operand, int):
        raise Decline("numbers missing")
    found = find_equation(ctx)
    eq = found[0] if found else None
    frame = found[1] if found else _einsum_frame(ctx)
    old_dim = ctx.get("dim")
    if (
        label is None
        and eq
        and isinstance(old_dim, int)
        and operand < len(eq.terms)
        and old_dim < len(eq.terms[operand])
    ):
        label = eq.terms[operand][old_dim]
    r = Reasoning()
    r.values.update(subscript=label or "?", operand=operand)
    r.steps.append(
        "In an einsum equation each subscript letter names one size shared by every "
        "operand where it appears (a size of 1 broadcasts); letters in the output are "
        "kept, the others are summed over."
    )
    if eq:
        r.steps.append(f"Equation '{eq.text}': '{label}' is {_where_text(eq, str(label))}.")
        r.values["equation"] = eq.text
    if isinstance(size, int) and isinstance(prev, int):
        r.values.update(size=size, previous_size=prev)
        r.steps.append(
            f"An earlier operand gave '{label}' the size {fmt(prev)}; operand "
            f"{operand} has {fmt(size)} there. Neither is 1, so they cannot be paired."
        )
        r.fix_values["subscript_size"] = prev
        r.values["hint"] = _size_hint(r, size, prev, operand, label)
        for s in code_lines_with_numbers(
            ctx.source, [size, prev], "writes one of the two sizes as a literal", 0.4
        ):
            r.suspects.append(s)
    else:
        r.values.update(size="another size", previous_size="a different size", hint="")
        r.steps.append(
            f"Operand {operand}'s dimension {old_dim} (subscript '{label}') does not "
            "have the size an earlier operand gave the same subscript."
        )
    _suspect(r, frame, f"the einsum whose operand {operand} disagrees on '{label}'")
    r.fix_code = _subscript_fix(eq, label, operand, size, prev, operand_names(frame))
    return r


def _size_hint(r: Reasoning, size: int, prev: int, operand: int, label: Any) -> str:
    big, small = max(size, prev), min(size, prev)
    if big % small == 0 and 1 < big // small <= 16:
        k = big // small
        r.steps.append(f"{fmt(big)} = {k} × {fmt(small)}.")
        return (
            f" {fmt(big)} is {k}× {fmt(small)}: a dimension merged with another (heads × "
            "head_dim, batch × frames) on one side only, or operands passed in the wrong "
            "order."
        )
    if size > prev:
        return (
            f" Operand {operand} has {fmt(size)} along '{label}' where the earlier operand has "
            f"{fmt(prev)}: if they are the same quantity at two lengths (say {fmt(size)} basis "
            f"components and {fmt(prev)} coefficients), keep operand {operand}'s first "
            f"{fmt(prev)} or supply {fmt(size)}; otherwise the letter or the operand order is "
            "wrong."
        )
    return (
        f" Check the operand order and the letters of operand {operand}'s term: a "
        "transposed operand puts another dimension under this letter."
    )


def _subscript_fix(
    eq: Equation | None, label: Any, operand: int, size: Any, prev: Any, names: list[str]
) -> str:
    if eq and isinstance(size, int) and isinstance(prev, int):
        positions = [i for k, i in _positions(eq, str(label)) if k == operand]
        if positions and size > prev:
            i = positions[0]
            index = ", ".join([":"] * i + [f":{prev}"])
            name = names[operand] if operand < len(names) else f"operand_{operand}"
            sliced = f"{name}[{index}]" if re.fullmatch(r"[\w.]+", name) else f"({name})[{index}]"
            return (
                f"{sliced}   # operand {operand}: keep the first {prev} along '{label}' "
                f"(dimension {i}), if the rest are unused components\n"
                f"# or give the other operand {size} along '{label}'"
            )
        return (
            f"# '{label}' must have one size in every operand: make operand {operand}'s "
            f"{size} equal to {prev} (or 1), or fix the letter in '{eq.text}'"
        )
    return "# make the dimension bound to this subscript the same size in every operand"


def operand_names(frame: Frame | None) -> list[str]:
    """The operand expressions of the einsum call on a frame's line: `[betas, shape_disps]`."""
    code = (frame.code or "") if frame else ""
    start = code.find("einsum(")
    if start < 0:
        return []
    depth = 0
    for end in range(start + len("einsum"), len(code)):
        depth += {"(": 1, ")": -1}.get(code[end], 0)
        if depth == 0:
            break
    else:
        return []
    try:
        call = ast.parse("einsum" + code[start + len("einsum") : end + 1], mode="eval").body
    except SyntaxError:
        return []
    if not isinstance(call, ast.Call) or len(call.args) < 2:
        return []
    args = call.args[1:]
    if len(args) == 1 and isinstance(args[0], ast.List | ast.Tuple):
        args = list(args[0].elts)
    return [ast.unparse(a) for a in args]


# -- remapped shapes ---------------------------------------------------------------------------


def remapped(ctx: Context) -> Reasoning:
    """`einsum(): operands do not broadcast with remapped shapes [original->remapped]: [..]->[..]
    [..]->[..]` (1.8-1.12)."""
    originals, layouts = [], []
    for k in range(4):
        o, p = ctx.get(f"op{k}"), ctx.get(f"remapped{k}")
        if isinstance(o, Shape) and isinstance(p, Shape):
            originals.append(o)
            layouts.append(p)
    if len(layouts) < 2 or len({len(p) for p in layouts}) != 1:
        raise Decline("shapes missing")
    found = find_equation(ctx)
    eq = found[0] if found else None
    frame = found[1] if found else _einsum_frame(ctx)
    r = Reasoning()
    r.steps.append(
        "einsum permutes every operand into one common layout (the output subscripts "
        "first, then the summed ones) and inserts size-1 dimensions for subscripts an "
        "operand lacks; the permuted shapes must then broadcast."
    )
    for k, (o, p) in enumerate(zip(originals, layouts, strict=True)):
        r.steps.append(f"Operand {k}: {o} → {p}.")
    labels = _layout_labels(eq, originals) if eq else None
    bad = []
    for pos in range(len(layouts[0])):
        sizes = [p[pos] for p in layouts]
        if len({s for s in sizes if s != 1}) > 1:
            bad.append(pos)
    if not bad:
        raise Decline("no mismatching position")
    pos = bad[0]
    sizes = [p[pos] for p in layouts]
    label = labels[pos] if labels and pos < len(labels) else None
    origin = []
    for k, (o, s) in enumerate(zip(originals, sizes, strict=True)):
        if s != 1:
            dims = [str(i) for i, d in enumerate(o) if d == s]
            where = ("dimension " + " or ".join(dims)) if dims else "a dimension"
            origin.append(f"operand {k}'s {where} ({fmt(s)})")
    name = f"subscript '{label}'" if label else f"position {pos} of the permuted layout"
    r.steps.append(f"At {name}: " + " against ".join(origin) + " — neither is 1.")
    r.values.update(
        mismatch=" against ".join(origin), position=name, op0=originals[0], op1=originals[1]
    )
    nonone = [s for s in sizes if s != 1]
    big, small = max(nonone), min(nonone)
    hint = ""
    swapped = _transposed_hint(eq, originals, sizes, label) if eq and label else ""
    if swapped:
        r.steps.append(swapped)
        hint = " " + swapped
    elif big % small == 0 and big // small <= 16:
        k = big // small
        r.steps.append(f"{fmt(big)} = {k} × {fmt(small)}.")
        hint = (
            f" {fmt(big)} is {k}× {fmt(small)}: one operand's dimension was multiplied (a "
            "batch repeated per head or per frame, an image size twice the one the "
            "weights were built for) and the other's was not."
        )
    r.values["hint"] = hint
    r.fix_values["subscript_size"] = sizes[0] if sizes[0] != 1 else small
    _suspect(r, frame, f"the einsum whose operands disagree at {name}")
    r.fix_code = (
        f"# at {name} the operands have {' and '.join(fmt(s) for s in nonone)}: make "
        "them equal (or 1) before the einsum\n"
        + (f"# equation: '{eq.text}'" if eq else "print([t.shape for t in operands])")
    )
    return r


def _transposed_hint(eq: Equation, originals: list[Shape], sizes: list[int], label: str) -> str:
    """When an operand has the expected size under another letter of its term, it is likely
    transposed (or its letters are written in the wrong order)."""
    first = next((s for s in sizes if s != 1), None)
    for k, (shape, size) in enumerate(zip(originals, sizes, strict=False)):
        if size in (1, first) or k >= len(eq.terms):
            continue
        term = eq.terms[k]
        if ELLIPSIS in term or len(term) != len(shape):
            continue
        others = [lab for lab, d in zip(term, shape, strict=True) if d == first and lab != label]
        if others:
            return (
                f"Operand {k} has {fmt(first or 0)} under '{others[0]}' and {fmt(size)} under "
                f"'{label}': its dimensions look swapped; write its term as "
                f"'{_swap(''.join(term), label, others[0])}' or pass it transposed."
            )
    return ""


def _swap(term: str, a: str, b: str) -> str:
    return "".join(b if ch == a else a if ch == b else ch for ch in term)


def _layout_labels(eq: Equation, originals: list[Shape]) -> list[str] | None:
    """The subscript at each position of einsum's permuted layout."""
    ell = 0
    for term, shape in zip(eq.terms, originals, strict=False):
        if ELLIPSIS in term:
            ell = max(ell, len(shape) - (len(term) - 1))
    seen: dict[str, int] = {}
    for term in eq.terms:
        for lab in term:
            if lab != ELLIPSIS:
                seen[lab] = seen.get(lab, 0) + 1
    ell_labels = [f"...{i}" for i in range(ell)]
    if eq.output is None:
        out = ell_labels + sorted((lab for lab, n in seen.items() if n == 1), key=_label_order)
        has_ell = True
    else:
        out = []
        has_ell = False
        for lab in eq.output:
            if lab == ELLIPSIS:
                out += ell_labels
                has_ell = True
            else:
                out.append(lab)
    layout = list(out)
    if not has_ell:
        layout += ell_labels
    layout += sorted((lab for lab in seen if lab not in out), key=_label_order)
    return layout


def _label_order(label: str) -> int:
    # torch numbers A-Z before a-z.
    return ord(label) - ord("A") if label.isupper() else 26 + ord(label) - ord("a")


# -- equation / operand structure ----------------------------------------------------------------


def ndim_mismatch(ctx: Context) -> Reasoning:
    """`einsum(): the number of subscripts in the equation (3) does not match the number of
    dimensions (2) for operand 0 and no ellipsis was given`."""
    subs, ndim, operand = ctx.get("subscripts"), ctx.get("ndim"), ctx.get("operand")
    if not all(isinstance(v, int) for v in (subs, ndim, operand)):
        raise Decline("numbers missing")
    found = find_equation(ctx)
    eq = found[0] if found else None
    frame = found[1] if found else _einsum_frame(ctx)
    r = Reasoning()
    term = eq.term_text(operand) if eq else None
    r.values.update(
        term=f"'{term}'" if term else f"operand {operand}'s term",
        subs_text=_plural(subs, "letter"),
        ndim_text=_plural(ndim, "dimension"),
    )
    r.steps.append(
        "Each operand's term needs one letter per dimension of the tensor, unless it "
        "has '...', which stands for any number of leading (batch) dimensions."
    )
    r.steps.append(
        f"Operand {operand}'s term {r.values['term']} has {_plural(subs, 'letter')}; "
        f"the tensor has {_plural(ndim, 'dimension')}."
    )
    code = (frame.code or "").strip() if frame else ""
    names = operand_names(frame)
    if subs > ndim:
        hint = f" The tensor has {_plural(subs - ndim, 'dimension')} fewer than its term"
        squeezed = operand < len(names) and names[operand].endswith(".squeeze()")
        if squeezed or ".squeeze()" in code:
            hint += (
                ": `.squeeze()` without a dim also removes a batch dimension of size 1; "
                "squeeze only the dimension you mean (e.g. .squeeze(-1))"
            )
        hint += "."
        r.fix_values["ndim"] = subs
        if squeezed:
            r.fix_code = (
                code.replace(names[operand], names[operand][:-2] + "(-1)", 1)
                + "   # squeeze only the last dimension: the batch of 1 stays"
            )
        else:
            r.fix_code = (
                f"# give operand {operand} {_plural(subs, 'dimension')} (check "
                "squeeze/unsqueeze/view before the call), or change its term"
            )
    else:
        hint = (
            f" The tensor has {_plural(ndim - subs, 'more dimension')} than its term: a "
            "batch dimension the equation does not name; add a letter for it, or put '...' "
            "in front of the term and of the output."
        )
        r.fix_code = (
            f"# give operand {operand}'s term {ndim} letters, or '...' for the extra "
            "leading dimensions"
        )
        if eq:
            new = _with_ellipsis(eq, operand)
            r.fix_values["equation"] = new
            r.values["new_equation"] = new
            args = ", ".join(names) if names else "..."
            r.fix_code = (
                f"torch.einsum('{new}', {args})   # '...' covers the extra leading dimensions"
            )
    r.values["hint"] = hint
    _suspect(
        r, frame, f"operand {operand} has {_plural(ndim, 'dimension')} for a {subs}-letter term"
    )
    return r


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _with_ellipsis(eq: Equation, operand: int) -> str:
    """The equation with '...' in front of the operand's term and of the output."""
    terms = [
        "..." + "".join(t) if k == operand and ELLIPSIS not in t else "".join(t)
        for k, t in enumerate(eq.terms)
    ]
    out = (
        ""
        if eq.output is None
        else ("->" + ("..." if ELLIPSIS not in eq.output else "") + "".join(eq.output))
    )
    return ",".join(terms) + out


def operand_count(ctx: Context) -> Reasoning:
    """`einsum(): more (fewer) operands were provided than specified in the equation`."""
    which = str(ctx.get("which") or "").lower()
    if which not in ("more", "fewer"):
        raise Decline("wording not recognised")
    found = find_equation(ctx)
    eq = found[0] if found else None
    frame = found[1] if found else _einsum_frame(ctx)
    r = Reasoning()
    r.values["which"] = which
    terms = len(eq.terms) if eq else None
    r.values["n_terms"] = terms if terms is not None else "its"
    r.steps.append(
        "The comma-separated terms before '->' are one per operand: the number of "
        "tensors passed must equal the number of terms."
    )
    if eq:
        r.steps.append(
            f"'{eq.text}' has {terms} term{'s' if terms != 1 else ''}; {which} tensors were passed."
        )
        r.fix_values["operands"] = terms
    r.fix_code = "# one tensor per comma-separated term, in order:\n" + (
        f"torch.einsum('{eq.text}', " + ", ".join(f"t{k}" for k in range(terms or 0)) + ")"
        if eq
        else "torch.einsum('ij,jk->ik', a, b)"
    )
    _suspect(r, frame, f"{which} tensors than the equation's terms")
    return r


def output_subscript(ctx: Context) -> Reasoning:
    """`einsum(): output subscript l does not appear in the equation for any input operand` and
    `... appears more than once in the output`."""
    label = ctx.get("subscript")
    problem = str(ctx.get("problem") or "")
    if not label:
        raise Decline("numbers missing")
    found = find_equation(ctx)
    eq = found[0] if found else None
    frame = found[1] if found else _einsum_frame(ctx)
    r = Reasoning()
    twice = "more than once" in problem
    r.values["subscript"] = label
    r.values["problem"] = (
        "appears twice in the output" if twice else "is in the output but in no input term"
    )
    r.steps.append(
        "Every letter after '->' must come from an input term, and at most once: "
        "the output is made of the input dimensions it names."
    )
    if eq:
        r.steps.append(
            f"In '{eq.text}' the output '{''.join(eq.output or [])}' "
            f"{r.values['problem'].replace('is in the output but', 'has a letter')}: "
            f"'{label}'. Inputs: {', '.join(repr(''.join(t)) for t in eq.terms)}."
        )
    r.fix_code = (
        f"# '{label}' must be a letter of an input term (check for a typo), used once after '->'"
    )
    _suspect(r, frame, f"output subscript '{label}' {r.values['problem']}")
    return r


def ellipsis_broadcast(ctx: Context) -> Reasoning:
    """`einsum(): dimension 0 covered by ellipsis in operand 1has size 4 which does not broadcast
    with previously seen ellipsis with size 2 for the respective dimension`."""
    dim, operand = ctx.get("dim"), ctx.get("operand")
    size, prev = ctx.get("size"), ctx.get("previous_size")
    if not all(isinstance(v, int) for v in (dim, operand, size, prev)):
        raise Decline("numbers missing")
    found = find_equation(ctx)
    frame = found[1] if found else _einsum_frame(ctx)
    r = Reasoning()
    r.steps.append(
        "'...' stands for the leading (batch) dimensions; they are aligned from the "
        "right between operands and must broadcast like an elementwise op."
    )
    r.steps.append(
        f"Dimension {dim} covered by '...' has {fmt(size)} in operand {operand} but "
        f"{fmt(prev)} in an earlier operand; neither is 1."
    )
    r.fix_values["batch_size"] = prev
    r.fix_code = (
        f"# the batch dimensions under '...' must match: operand {operand} has "
        f"{size} where an earlier operand has {prev} (or make one of them 1)"
    )
    _suspect(r, frame, f"batch dimension {dim}: {size} vs {prev}")
    return r


def repeated_subscript(ctx: Context) -> Reasoning:
    """`einsum(): subscript i is repeated for operand 0 but the sizes don't match, 3 != 2`."""
    label, operand = ctx.get("subscript"), ctx.get("operand")
    a, b = ctx.get("size_a"), ctx.get("size_b")
    if not isinstance(operand, int) or not isinstance(a, int) or not isinstance(b, int):
        raise Decline("numbers missing")
    found = find_equation(ctx)
    eq = found[0] if found else None
    frame = found[1] if found else _einsum_frame(ctx)
    r = Reasoning()
    r.steps.append(
        "A letter repeated within one term takes a diagonal ('ii->i' is the diagonal "
        "of a square matrix), so the dimensions it labels must have the same size."
    )
    term = f" '{eq.term_text(operand)}'" if eq else ""
    r.steps.append(
        f"In operand {operand}'s term{term}, '{label}' labels dimensions of sizes "
        f"{fmt(a)} and {fmt(b)}."
    )
    r.values["term"] = term.strip() or f"operand {operand}'s term"
    r.fix_code = (
        f"# use two different letters if these dimensions are independent (e.g. 'ij' "
        f"instead of 'ii'), or make them equal ({a} vs {b})"
    )
    _suspect(r, frame, f"'{label}' repeated on dimensions of sizes {a} and {b}")
    return r


def invalid_subscript(ctx: Context) -> Reasoning:
    """`einsum(): invalid subscript given at index 1 in the equation string, subscripts must be in
    [a-zA-Z]` and the older range messages."""
    index = ctx.get("index")
    found = find_equation(ctx)
    eq = found[0] if found else None
    frame = found[1] if found else _einsum_frame(ctx)
    bad = ctx.get("bad")
    if eq and isinstance(index, int) and 0 <= index < len(eq.text):
        bad = eq.text[index]
    r = Reasoning()
    r.values["bad"] = repr(bad) if bad else "a character that is not a letter"
    r.steps.append(
        "einsum subscripts are single ASCII letters (a-z, A-Z since 1.10; only a-z "
        "before); ',' separates operands, '->' starts the output and '...' is the "
        "only other allowed token."
    )
    where = f" at index {index}" if isinstance(index, int) else ""
    r.steps.append(
        f"The equation has {r.values['bad']}{where}" + (f": '{eq.text}'." if eq else ".")
    )
    r.fix_code = (
        "# use single letters only, e.g. 'b h q d' names → 'bhqd'; upper case needs torch >= 1.10"
    )
    _suspect(r, frame, f"invalid subscript {r.values['bad']}")
    return r


def remapped_no_sizes(ctx: Context) -> Reasoning:
    """The remapped-shapes wording cut before its shapes (an issue title, a truncated log)."""
    found = find_equation(ctx)
    eq = found[0] if found else None
    frame = found[1] if found else _einsum_frame(ctx)
    r = Reasoning()
    r.steps.append(
        "einsum (1.8-1.12) permutes every operand into one common layout and needs the "
        "permuted shapes to broadcast: a subscript letter bound to two different sizes (neither "
        "1) in two operands fails. The shapes that follow this wording were not pasted."
    )
    r.values["equation_text"] = f" of `{frame.code.strip()}`" if frame and frame.code else ""
    if eq is not None and frame is not None and frame.code:
        r.steps.append(
            f"The call{r.values['equation_text']}: each letter must have one size (or 1) in every "
            "operand that uses it."
        )
    r.fix_code = (
        "print(equation, [t.shape for t in operands])   # just before torch.einsum\n"
        "# each subscript letter must have the same size (or 1) in every operand"
    )
    if frame is not None and frame.line:
        r.suspects.append(
            Suspect(frame.file, frame.line, frame.code or "", "the einsum whose sizes clash", 0.6)
        )
    r.confidence = 0.8
    return r
