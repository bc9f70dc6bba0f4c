"""Real tracebacks made messy the ways pastes get messy must explain like the clean ones.

Each bundled traceback (data/examples, produced by running the zoo under torch) is rewritten as
a terminal, a launcher, a logger, a forum or an editor would, and the explanation must keep its
entry, its numbers and its user frame.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable

import pytest
from harness import ROOT

from explainer.explain import explain_text

EXAMPLES = sorted((ROOT / "data" / "examples").glob("*.txt"))


def ansi(text: str) -> str:
    out = []
    for line in text.splitlines():
        if line.startswith("  File"):
            line = "\x1b[35m" + line + "\x1b[0m"
        elif re.match(r"^\w+Error", line):
            line = "\x1b[1;31m" + line.replace(":", ":\x1b[0m", 1)
        out.append(line)
    return "\n".join(out) + "\n"


def rank_prefix(text: str) -> str:
    return "".join(f"[rank3]: {line}\n" for line in text.splitlines())


def two_ranks_interleaved(text: str) -> str:
    out = []
    for line in text.splitlines():
        out.append(f"[default0]:[rank0]: {line}")
        out.append(f"[default1]:[rank1]: {line}")
    return "\n".join(out) + "\n"


def log_prefix(text: str) -> str:
    lines = text.splitlines()
    head = "2024-05-01 12:00:00,123 - train - ERROR - training step failed"
    return (
        "\n".join(
            [
                "2024-05-01 11:59:58,001 - train - INFO - epoch 3",
                head,
                *lines,
                "2024-05-01 12:00:01,002 - train - INFO - cleaning up",
            ]
        )
        + "\n"
    )


def hard_wrap(text: str) -> str:
    """A narrow terminal copied as text: long lines broken at 80 columns, even mid-word."""
    out = []
    for line in text.splitlines():
        while len(line) > 80:
            out.append(line[:80])
            line = line[80:]
        out.append(line)
    return "\n".join(out) + "\n"


def github_quote(text: str) -> str:
    return "".join(f"> {line}\n" for line in text.splitlines())


def markdown_fence(text: str) -> str:
    return "I get this error when training:\n\n```python\n" + text + "```\n\nAny idea?\n"


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def dedented(text: str) -> str:
    """Some forums strip leading whitespace from every line."""
    return "\n".join(line.strip() for line in text.splitlines()) + "\n"


def inside_log(text: str) -> str:
    noise = "".join(f"epoch 1 step {i} loss 0.{i:03d}\n" for i in range(200))
    return noise + text + "wandb: Waiting for W&B process to finish... (failed 1).\n"


def progress_bar(text: str) -> str:
    bar = "  3%|▍            | 20/640 [00:11<05:32,  1.68it/s]\r  4%|▌  | 21/640 [00:12<05:31]\r"
    return bar + text


def indented(text: str) -> str:
    """A markdown code block: four spaces before every line."""
    return "".join(f"    {line}\n" for line in text.splitlines())


def indented_in_webui_log(text: str) -> str:
    """A web UI's log: the traceback indented, the UI's own lines at column 0 after it."""
    return indented(text) + "\n---\n*** Error completing request\n*** Arguments: ('task',)\n"


def first_rank_cut_short(text: str) -> str:
    """Rank 0 printed first but was killed before its exception line; rank 1 finished."""
    lines = text.splitlines()
    cut = [f"[rank0]: {line}" for line in lines[:4]]
    return "\n".join(cut + [f"[rank1]: {line}" for line in lines]) + "\n"


TRANSFORMS: dict[str, Callable[[str], str]] = {
    "indented": indented,
    "indented_webui": indented_in_webui_log,
    "first_rank_cut": first_rank_cut_short,
    "ansi": ansi,
    "rank_prefix": rank_prefix,
    "two_ranks": two_ranks_interleaved,
    "log_prefix": log_prefix,
    "hard_wrap": hard_wrap,
    "github_quote": github_quote,
    "markdown_fence": markdown_fence,
    "crlf": crlf,
    "dedented": dedented,
    "inside_log": inside_log,
    "progress_bar": progress_bar,
}


def _key(exp):
    def plain(v):
        return list(v) if isinstance(v, tuple) else v

    where = (exp.where.file, exp.where.line) if exp.where else None
    return exp.entry_id, {k: plain(v) for k, v in exp.numbers.items()}, where


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_messy_paste_explains_the_same(example, name, kb) -> None:
    clean = example.read_text(encoding="utf-8")
    expected = explain_text(clean, kb)
    assert expected.status == "explained", f"{example.stem} is not explained even when clean"
    got = explain_text(TRANSFORMS[name](clean), kb)
    assert _key(got) == _key(expected)


def test_dedent_helper_is_a_real_change() -> None:
    sample = textwrap.dedent("""\
        Traceback (most recent call last):
          File "x.py", line 1, in <module>
            f()
        RuntimeError: boom
    """)
    assert dedented(sample) != sample and hard_wrap("x" * 200).count("\n") == 3


def _final_line(text: str) -> str:
    return next(
        line for line in reversed(text.splitlines()) if re.match(r"^\w+(Error|Warning)", line)
    )


def lowercase_retyped(text: str) -> str:
    """Only the message, retyped in lower case without its exception type."""
    return _final_line(text).split(": ", 1)[1].lower() + "\n"


def quoted_in_prose(text: str) -> str:
    return f'I keep getting "{_final_line(text)}" when I train, any idea?\n'


def message_above_cut_traceback(text: str) -> str:
    """ComfyUI-style: the message printed first, then a traceback cut before its last line."""
    lines = text.splitlines()
    message = _final_line(text).split(": ", 1)[1]
    body = [line for line in lines if line != _final_line(text)]
    return "!!! Exception during processing !!! " + message + "\n" + "\n".join(body[:-2]) + "\n"


def bold_inside(text: str) -> str:
    """Markdown emphasis around the message, inside the line: `RuntimeError: **...**`."""
    kind, message = _final_line(text).split(": ", 1)
    return f"{kind}: **{message}**\n"


MESSAGE_ONLY: dict[str, Callable[[str], str]] = {
    "bold_inside": bold_inside,
    "lowercase": lowercase_retyped,
    "quoted": quoted_in_prose,
    "above_cut_traceback": message_above_cut_traceback,
}


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
@pytest.mark.parametrize("name", list(MESSAGE_ONLY))
def test_message_only_pastes_keep_family_and_numbers(example, name, kb) -> None:
    clean = example.read_text(encoding="utf-8")
    expected = explain_text(clean, kb)
    if "\n\t" in _final_line(clean) or expected.parsed.error.message.count("\n"):
        pytest.skip("a multi-line message does not survive being retyped on one line")
    got = explain_text(MESSAGE_ONLY[name](clean), kb)
    assert got.status == "explained", (name, got.status)
    # Without the source, a finer entry (a residual shortcut) may give way to its family's generic
    # one: the family and the numbers must stay.
    assert (got.family, _key(got)[1]) == (expected.family, _key(expected)[1])
    assert got.parsed.error is not None and got.parsed.error.message


def test_error_looking_text_is_unmatched_not_missing(kb) -> None:
    got = explain_text("the frobnicator failed: expected 3 widgets but got 4\n", kb)
    assert got.status == "unmatched"
    assert explain_text("epoch 3 loss 0.25 accuracy 0.91\n", kb).status == "no_error_found"


def test_warning_with_a_number_broken_by_the_terminal(zoo, kb) -> None:
    """The silent-broadcast warning, printed by a real run, wrapped inside a number."""
    case = next(c for c in zoo if c.name == "loss_target_shape_mse_broadcast")
    line = next(x for x in case.output.splitlines() if "Using a target size" in x)
    expected = explain_text(line + "\n", kb)
    assert expected.status == "explained"
    cut = line.index("[16") + 2  # `torch.Size([1` / `6])`
    got = explain_text(line[:cut] + "\n" + line[cut:] + "\n", kb)
    assert (got.entry_id, _key(got)[1]) == (expected.entry_id, _key(expected)[1])
