# ruff: noqa: E501 - the knowledge-base entries below keep their regexes on one line
"""SVG snapshots of the main screens at 80x24, on a small knowledge base built here.

The knowledge base and the explanation are fixed in this file, so the pictures change only when
the TUI does, not when entries are added to kb/entries. Update with `--snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("textual")
pytest.importorskip("pytest_textual_snapshot")

from textual import events  # noqa: E402

from explainer.model import Explanation, Fix, Frame, Suspect  # noqa: E402
from explainer.parsing import parse  # noqa: E402
from explainer.tui.app import ExplainerApp  # noqa: E402
from explainer.tui.screens.explanation import ExplanationScreen  # noqa: E402

SIZE = (80, 24)

ENTRIES = {
    "linear-in-features": '''
title = "nn.Linear's in_features does not match the features of its input"
family = "linear_in_features"
exceptions = ["RuntimeError"]
summary = "A Linear layer built for {mat2_rows} input features received rows of {mat1_cols}."
what = """
nn.Linear(in_features, out_features) multiplies its input, seen as rows x features, by its
weight transposed. The features of the input must equal in_features.
"""
why = "Each input row has {mat1_cols} features, but the layer expects {mat2_rows}."
references = ["https://pytorch.org/docs/stable/generated/torch.nn.Linear.html"]

[[patterns]]
regex = 'mat1 and mat2 shapes cannot be multiplied \\((?P<mat1_rows>\\d+)x(?P<mat1_cols>\\d+) and (?P<mat2_rows>\\d+)x(?P<mat2_cols>\\d+)\\)'
versions = ">=1.8"

[fix]
summary = "Build the layer with in_features={mat1_cols}."
code = "nn.Linear({mat1_cols}, {mat2_cols})"

[[examples]]
text = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x2704 and 400x120)"
source = "written for this test"
''',
    "batch-size-mismatch": """
title = "The loss got a different number of predictions than targets"
family = "batch_size_mismatch"
exceptions = ["ValueError"]
summary = "The loss got {input} predictions but {target} targets."
what = "A loss pairs predictions and targets row by row: their batch sizes must be equal."
why = "input batch {input}, target batch {target}."

[[patterns]]
regex = 'Expected input batch_size \\((?P<input>\\d+)\\) to match target batch_size \\((?P<target>\\d+)\\)'

[fix]
summary = "Flatten per sample with torch.flatten(x, 1)."
code = "x = torch.flatten(x, 1)"
""",
    "matmul-inner-dims": """
title = "Matrix product with mismatched inner sizes"
family = "matmul"
exceptions = ["RuntimeError"]
summary = "The inner sizes of a matrix product differ."
what = "A @ B needs A's last size equal to B's first."
why = "The inner sizes differ."

[[patterns]]
regex = 'size mismatch for matmul'

[fix]
summary = "Transpose one operand."
""",
    "batchnorm-single-value": """
title = "BatchNorm in training mode got a batch of one value per channel"
family = "batchnorm"
exceptions = ["ValueError"]
summary = "BatchNorm needs more than one value per channel in training."
what = "Batch statistics need at least two values per channel."
why = "One value per channel."

[[patterns]]
regex = 'Expected more than 1 value per channel when training'

[fix]
summary = "Use a batch larger than one, or call model.eval() for a single sample."
""",
}

SOURCE = """import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)

    def forward(self, x):
        x = torch.flatten(self.conv(x), 1)
        return self.fc1(x)


net = Net()
out = net(torch.randn(1, 3, 17, 17))
"""

TRACEBACK = """Traceback (most recent call last):
  File "/home/user/project/model.py", line 17, in <module>
    out = net(torch.randn(1, 3, 17, 17))
  File "/home/user/project/model.py", line 13, in forward
    return self.fc1(x)
RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x2704 and 400x120)
"""


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from explainer.kb.build import build

    root = tmp_path_factory.mktemp("kb")
    (root / "entries").mkdir()
    for entry_id, text in ENTRIES.items():
        (root / "entries" / f"{entry_id}.toml").write_text(text, encoding="utf-8")
    build(root, root / "kb.sqlite")
    return root / "kb.sqlite"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The traceback's file, found under the current folder as `project/model.py`."""
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "model.py").write_text(SOURCE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EXPLAINER_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def explanation() -> Explanation:
    where = Frame("/home/user/project/model.py", 13, "forward", "return self.fc1(x)", True)
    return Explanation(
        status="explained",
        parsed=parse(TRACEBACK),
        entry_id="linear-in-features",
        family="linear_in_features",
        title="nn.Linear's in_features does not match the features of its input",
        summary="A Linear layer built for 400 input features received rows of 2,704 features.",
        cause="Each of the 1 input rows has 2,704 features, but the layer (self.fc1 = "
        "nn.Linear(16 * 5 * 5, 120)) was built with in_features=400.",
        arithmetic=[
            "The input reaches the layer as a 1 × 2,704 matrix.",
            "A product needs the inner sizes equal: 2,704 ≠ 400.",
            "2,704 = 16 × 13 × 13 (channels × H × W) against 400 = 16 × 5 × 5.",
        ],
        fix=Fix(
            summary="Build the layer with in_features=2,704.",
            code="self.fc1 = nn.Linear(16 * 13 * 13, 120)   # was: nn.Linear(16 * 5 * 5, 120)",
        ),
        where=where,
        suspects=[
            Suspect(
                "/home/user/project/model.py",
                9,
                "self.fc1 = nn.Linear(16 * 5 * 5, 120)",
                "builds the layer with in_features=400; the input has 2,704",
                0.9,
            ),
            Suspect(
                "/home/user/project/model.py",
                13,
                "return self.fc1(x)",
                "the line in your code where the error was raised",
                0.1,
            ),
        ],
        confidence=0.95,
    )


async def settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    for _ in range(40):
        await pilot.pause()
        footers = pilot.app.screen.query("Footer")
        if not footers or footers.first().children:
            break
    await pilot.pause()


def open_explanation(scroll_to: str | None = None) -> Any:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        screen = ExplanationScreen(text=TRACEBACK, name="err.txt", explanation=explanation())
        await pilot.app.push_screen(screen)
        await settle(pilot)
        if scroll_to:
            screen.query_one("#page").scroll_to_widget(
                screen.query_one(scroll_to), animate=False, top=True
            )
            await pilot.pause()

    return run_before


def test_browser(snap_compare: Any, small_db: Path) -> None:
    app = ExplainerApp(db_path=small_db, theme="textual-dark")
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_browser_search(snap_compare: Any, small_db: Path) -> None:
    app = ExplainerApp(db_path=small_db, theme="textual-dark")
    assert snap_compare(app, terminal_size=SIZE, press=["slash", *"batch"], run_before=settle)


def test_entry_page(snap_compare: Any, small_db: Path) -> None:
    app = ExplainerApp(db_path=small_db, theme="textual-dark")

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        pilot.app.open_entry("linear-in-features")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_explanation(snap_compare: Any, small_db: Path, project: Path) -> None:
    app = ExplainerApp(db_path=small_db, theme="textual-dark")
    assert snap_compare(app, terminal_size=SIZE, run_before=open_explanation())


def test_explanation_where(snap_compare: Any, small_db: Path, project: Path) -> None:
    app = ExplainerApp(db_path=small_db, theme="textual-dark")
    assert snap_compare(app, terminal_size=SIZE, run_before=open_explanation("#where"))


def test_explanation_light(snap_compare: Any, small_db: Path, project: Path) -> None:
    app = ExplainerApp(db_path=small_db, theme="textual-light")
    assert snap_compare(app, terminal_size=SIZE, run_before=open_explanation("#fix"))


def test_paste_with_bad_input(snap_compare: Any, small_db: Path) -> None:
    app = ExplainerApp(db_path=small_db, theme="textual-dark")

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        pilot.app.post_message(events.Paste("nothing to see here\njust text\n"))
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_missing_database(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = ExplainerApp(db_path=Path("missing") / "kb.sqlite", theme="textual-dark")
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_help(snap_compare: Any, small_db: Path) -> None:
    app = ExplainerApp(db_path=small_db, theme="textual-dark")
    assert snap_compare(app, terminal_size=SIZE, press=["question_mark"], run_before=settle)
