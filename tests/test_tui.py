"""The TUI's flows, driven with Textual's Pilot: browse, search, open, explain, copy, paste."""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import os
import sys
import time
import types
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("textual")

from harness import ROOT  # noqa: E402
from textual import events  # noqa: E402
from textual.widgets import Collapsible, Input, Static  # noqa: E402

from explainer.tui.app import ExplainerApp  # noqa: E402
from explainer.tui.screens.browser import BrowserScreen  # noqa: E402
from explainer.tui.screens.entry import EntryScreen  # noqa: E402
from explainer.tui.screens.explanation import ExplanationScreen  # noqa: E402
from explainer.tui.screens.help import HelpScreen  # noqa: E402
from explainer.tui.screens.history import HistoryScreen  # noqa: E402
from explainer.tui.screens.missing import MissingDatabaseScreen  # noqa: E402
from explainer.tui.screens.paste import PasteScreen  # noqa: E402

DB = ROOT / "data" / "kb.sqlite"
EXAMPLES = ROOT / "data" / "examples"
LENET = (EXAMPLES / "lenet_64px.txt").read_text(encoding="utf-8")
SIZE = (80, 24)


def screen_text(app: Any) -> str:
    """What the terminal shows, as plain text."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip).rstrip() for strip in strips)


def page_text(app: Any) -> str:
    """Every Static's content on the current screen, scrolled out of view or not."""
    parts = []
    for widget in app.screen.query(Static):
        visual = widget.visual
        parts.append(str(getattr(visual, "plain", visual)))
    return "\n".join(parts)


def run_async(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async test in its own event loop (no asyncio plugin in the test requirements)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper


# A paste arrives like a terminal's: at the app, which forwards it to the focused widget.


async def settle(pilot: Any) -> None:
    """Let workers finish and the screen (footer included, mounted after a frame) draw."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    for _ in range(40):
        await pilot.pause()
        footers = pilot.app.screen.query("Footer")
        if not footers or footers.first().children:
            break
    await pilot.pause()


@pytest.fixture(autouse=True)
def _quiet_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPLAINER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("EXPLAINER_DB", raising=False)


def tree_labels(app: Any) -> list[str]:
    return [str(node.label) for node in app.screen.entry_tree.root.children]


@run_async
async def test_browser_groups_entries_by_family_with_counts() -> None:
    app = ExplainerApp(db_path=DB)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, BrowserScreen)
        labels = tree_labels(app)
        assert labels[0].startswith("linear_in_features  (")
        total = sum(int(label.rsplit("(", 1)[1].rstrip(")")) for label in labels)
        assert total == len(app.kb.entries())
        assert f"{total} entries in {len(labels)} families" in screen_text(app)
        assert "Help" in screen_text(app)  # the footer of keys


@run_async
async def test_search_filters_as_you_type_with_prefixes() -> None:
    app = ExplainerApp(db_path=DB)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"bat")
        await pilot.pause()
        assert isinstance(app.focused, Input)
        partial = tree_labels(app)
        assert any(label.startswith("batch_size_mismatch") for label in partial)
        await pilot.press(*"ch size")
        await pilot.pause()
        narrowed = tree_labels(app)
        assert narrowed and len(narrowed) <= len(partial)
        assert "matching entries" in screen_text(app)
        await pilot.press(*" zzzqqq")
        await pilot.pause()
        assert tree_labels(app) == []
        assert "No entries match" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one("#search", Input).value == ""
        assert len(tree_labels(app)) > 20


@run_async
async def test_open_an_entry_from_the_search() -> None:
    app = ExplainerApp(db_path=DB)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"in_features", "enter")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, EntryScreen)
        entry = app.kb.get(app.screen.entry_id)
        text = page_text(app)
        for part in ("What it means", "Fix", "Messages and PyTorch versions", "Examples"):
            assert part in text, part
        assert " ".join(entry.what.split())[:40] in text
        assert entry.patterns[0].regex in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, BrowserScreen)


@run_async
async def test_mouse_opens_a_family_and_an_entry() -> None:
    app = ExplainerApp(db_path=DB)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.screen.entry_tree
        first = tree.root.children[0]
        # Line 0 of the tree is the first family: click it open, then click its first entry.
        await pilot.click(tree, offset=(4, 0))
        await pilot.pause()
        assert first.is_expanded
        await pilot.click(tree, offset=(8, 1))
        await pilot.pause()
        await pilot.click(tree, offset=(8, 1))
        await pilot.pause()
        assert isinstance(app.screen, EntryScreen)
        assert app.screen.entry_id == first.children[0].data


@run_async
async def test_open_a_traceback_shows_every_part() -> None:
    app = ExplainerApp(db_path=DB, text=LENET, source_name="lenet_64px.txt")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExplanationScreen)
        exp = screen.exp
        assert exp is not None and exp.entry_id == "linear-in-features"
        text = page_text(app)
        assert exp.summary in text.replace("\n", " ")
        assert "2,704" in text  # the arithmetic's numbers
        assert exp.fix is not None and exp.fix.code.splitlines()[0] in text
        # Where: the source file is read from this checkout and the suspect line marked.
        source = str(screen.query_one("#source Static.source", Static).visual)
        assert "nn.Linear(16 * 5 * 5, 120)" in source and "▶" in source
        fold = screen.query_one("#traceback", Collapsible)
        assert fold.collapsed
        await pilot.press("t")
        await pilot.pause()
        assert not fold.collapsed
        assert "Traceback (most recent call last)" in page_text(app)


@run_async
async def test_numbers_in_the_arithmetic_are_highlighted() -> None:
    from explainer.tui.widgets import with_numbers

    content = with_numbers("2,704 ≠ 400 in fc1")
    spans = [content.plain[s.start : s.end] for s in content.spans]
    assert spans == ["2,704", "400"]


@run_async
async def test_copy_the_fix_to_the_clipboard_and_a_file(tmp_path: Path) -> None:
    app = ExplainerApp(db_path=DB, text=LENET)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        code = app.screen.exp.fix.code.strip("\n")
        assert app.clipboard == code
        saved = tmp_path / "cache" / "last-fix.py"
        assert saved.read_text() == code + "\n"
        messages = [n.message for n in app._notifications]
        assert any("Copied" in m and "last-fix.py" in m for m in messages)


@run_async
async def test_copy_falls_back_to_the_file_where_osc52_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERM_PROGRAM", "Apple_Terminal")
    app = ExplainerApp(db_path=DB, text=LENET)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("does not accept clipboard writes" in m for m in messages)
        assert (tmp_path / "cache" / "last-fix.py").is_file()


@run_async
async def test_escape_from_a_first_explanation_goes_to_the_browser() -> None:
    app = ExplainerApp(db_path=DB, text=LENET)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EntryScreen)
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, BrowserScreen)


@run_async
async def test_unmatched_and_no_error_texts() -> None:
    unmatched = 'Traceback (most recent call last):\n  File "x.py", line 1\nZeroThingError: odd\n'
    app = ExplainerApp(db_path=DB, text=unmatched)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.exp.status == "unmatched"
        assert "No knowledge-base entry matches" in screen_text(app)
    app = ExplainerApp(db_path=DB, text="just some log lines\nnothing wrong here\n")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "No Python error found" in screen_text(app)


@run_async
async def test_paste_screen_explains_a_pasted_traceback() -> None:
    app = ExplainerApp(db_path=DB)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, PasteScreen)
        app.post_message(events.Paste(LENET))
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ExplanationScreen)
        assert app.screen.exp.entry_id == "linear-in-features"


@run_async
async def test_paste_screen_bad_input_gets_a_message_not_a_crash() -> None:
    app = ExplainerApp(db_path=DB)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        screen = app.screen
        message = screen.query_one("#paste-message", Static)

        await pilot.press("ctrl+s")  # nothing pasted
        await settle(pilot)
        assert "Nothing to explain" in str(message.visual)

        app.post_message(events.Paste("lorem ipsum \x1b[31m dolor ✓✓ {}[]\n" * 50))
        await pilot.pause()
        await pilot.press("ctrl+s")  # garbage
        await settle(pilot)
        assert isinstance(app.screen, PasteScreen)
        assert "No Python error" in str(message.visual)

        await pilot.press("ctrl+l")
        huge = "step 1 loss 0.5 " * 200_000 + "\n" + LENET
        app.post_message(events.Paste(huge))
        await pilot.pause()
        assert "only the last" in str(message.visual)
        assert len(screen.area.text) <= 1_000_000
        await pilot.press("ctrl+s")  # the error at its end is still found
        await settle(pilot)
        assert isinstance(app.screen, ExplanationScreen)


@run_async
async def test_missing_database_says_how_to_build_it(tmp_path: Path) -> None:
    app = ExplainerApp(db_path=tmp_path / "nope.sqlite")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, MissingDatabaseScreen)
        assert "explainer kb build" in screen_text(app)
        await pilot.press("p", "h", "slash")  # nothing to open without a database
        await pilot.pause()
        assert isinstance(app.screen, MissingDatabaseScreen)


@run_async
async def test_corrupt_database_gets_the_same_screen(tmp_path: Path) -> None:
    bad = tmp_path / "kb.sqlite"
    bad.write_bytes(b"not a database" * 100)
    app = ExplainerApp(db_path=bad, text=LENET)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, MissingDatabaseScreen)
        assert "unreadable" in screen_text(app)


@run_async
async def test_history_absent_or_empty_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "explainer.history", None)  # import fails: not installed
    app = ExplainerApp(db_path=DB)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        assert "No history yet" in screen_text(app)


@run_async
async def test_history_lists_newest_first_and_reopens(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("explainer.history")

    def recent(limit: int = 50) -> list[dict[str, Any]]:
        return [
            {"time": 1_700_000_000, "entry_id": "matmul-inner-dims", "summary": "older one"},
            {"time": 1_700_100_000, "entry_id": "linear-in-features", "text": LENET},
        ]

    fake.recent = recent  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "explainer.history", fake)
    app = ExplainerApp(db_path=DB)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await pilot.pause()
        shown = screen_text(app)
        assert shown.index("linear-in-features") < shown.index("older one")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExplanationScreen)
        assert app.screen.exp.entry_id == "linear-in-features"
        await pilot.press("escape", "down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, EntryScreen)


@run_async
async def test_help_and_theme_toggle() -> None:
    app = ExplainerApp(db_path=DB)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "Light/dark" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        dark = app.current_theme.dark
        await pilot.press("d")
        await pilot.pause()
        assert app.current_theme.dark is not dark


@run_async
async def test_resizing_keeps_it_usable() -> None:
    app = ExplainerApp(db_path=DB, text=LENET)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for size in ((50, 16), (200, 60), SIZE):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            shown = screen_text(app)
            assert "explainer" in shown.splitlines()[0]
            assert "Back" in shown.splitlines()[-1]
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard


@run_async
async def test_history_from_the_shell_integration_reopens_with_live_shapes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = pytest.importorskip("explainer.history")
    from explainer.explain import explain_text
    from explainer.kb.store import KnowledgeBase
    from explainer.model import LiveShape

    monkeypatch.setenv("EXPLAINER_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("EXPLAINER_NO_HISTORY", raising=False)
    exp = explain_text(LENET, KnowledgeBase(DB))
    exp.live_shapes = [LiveShape("x", (1, 2704), "float32", "cpu", "forward")]
    history.record(exp, source="explain", text=LENET)
    app = ExplainerApp(db_path=DB)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await pilot.pause()
        assert "linear-in-features" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExplanationScreen)
        live = app.screen.query_one("#live-shapes", Static)
        assert "x: [1, 2704] float32 cpu" in str(live.visual)


needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="the reproducer runs models under torch"
)

SLOW_MODEL = """import time
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        time.sleep(120)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)


net = Net()
out = net(torch.randn(2, 8))
"""


def slow_traceback(script: Path) -> str:
    return (
        "Traceback (most recent call last):\n"
        f'  File "{script}", line 17, in <module>\n'
        "    out = net(torch.randn(2, 8))\n"
        f'  File "{script}", line 13, in forward\n'
        "    return self.fc(x)\n"
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x8 and 4x3)\n"
    )


def processes_running(folder: Path) -> list[str]:
    """explainer processes working in `folder` (Linux /proc): the wrapper and the sandboxed
    child both run there, and no other test's processes do, even orphaned ones."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if cwd == str(folder) and "explainer" in cmdline:
            found.append(cmdline)
    return found


async def wait_until(pilot: Any, condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.1)


@needs_torch
@run_async
async def test_reproducer_fills_the_layer_table_on_a_tiny_model() -> None:
    from explainer.tui.screens.confirm import ConfirmScreen
    from explainer.tui.widgets import LayerTable

    app = ExplainerApp(db_path=DB, text=LENET)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "replays tests/zoo/linear_in_features_lenet_64px.py" in page_text(app)
        await pilot.press("y")
        await pilot.pause()
        explanation = app.screen
        assert isinstance(explanation, ExplanationScreen)
        await app.workers.wait_for_complete()
        await settle(pilot)
        status = str(explanation.query_one("#shapes-status", Static).visual)
        assert status.startswith("Reproduced"), status
        table = explanation.query_one("#layers", LayerTable)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        failing = rows[table.cursor_row]
        assert "fc1 (Linear)" in failing[1] and failing[3] == "✗ failed"
        assert any(row[3] == "[1, 16, 13, 13]" for row in rows)


@run_async
async def test_reproducer_is_not_run_without_a_yes(monkeypatch: pytest.MonkeyPatch) -> None:
    from explainer.tui import shapes

    ran: list[bool] = []
    plan = shapes.ShapesPlan("builds Net() from net.py", lambda *a: ran.append(True))  # type: ignore[arg-type, return-value]
    monkeypatch.setattr(shapes, "unavailable_reason", lambda: None)
    monkeypatch.setattr(shapes, "plan_for", lambda exp, db=None: plan)
    app = ExplainerApp(db_path=DB, text=LENET)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert "builds Net() from net.py" in page_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ExplanationScreen) and not ran


@run_async
async def test_reproducer_unavailable_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from explainer.tui import shapes

    monkeypatch.setattr(shapes, "unavailable_reason", lambda: "it needs PyTorch")
    app = ExplainerApp(db_path=DB, text=LENET)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        status = str(app.screen.query_one("#shapes-status", Static).visual)
        assert status == "Reproducer not available: it needs PyTorch"


@needs_torch
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find the child")
@run_async
async def test_reproducer_can_be_cancelled_and_leaves_nothing_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "slow_model.py"
    script.write_text(SLOW_MODEL)
    monkeypatch.chdir(tmp_path)
    app = ExplainerApp(db_path=DB, text=slow_traceback(script))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExplanationScreen)
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("y")
        status = screen.query_one("#shapes-status", Static)
        # Wait for the sandboxed child (it sleeps in Net.__init__), then cancel it.
        await wait_until(
            pilot, lambda: any("repro.child" in c for c in processes_running(tmp_path))
        )
        assert "Running the reproducer" in str(status.visual)
        await pilot.press("x")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert "Cancelled" in str(status.visual)
        await wait_until(pilot, lambda: not processes_running(tmp_path), timeout=15)
        await pilot.press("r")  # and it can be run again
        await pilot.pause()
        await pilot.press("n")


@needs_torch
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find the child")
def test_quitting_during_a_run_stops_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "slow_model.py"
    script.write_text(SLOW_MODEL)
    monkeypatch.chdir(tmp_path)

    async def quit_while_running() -> None:
        app = ExplainerApp(db_path=DB, text=slow_traceback(script))
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("r")
            await pilot.pause()
            await pilot.press("y")
            await wait_until(
                pilot, lambda: any("repro.child" in c for c in processes_running(tmp_path))
            )
            await pilot.press("q")

    asyncio.run(quit_while_running())
    deadline = time.monotonic() + 15
    while processes_running(tmp_path):
        assert time.monotonic() < deadline, processes_running(tmp_path)
        time.sleep(0.1)


def test_launch_reads_a_file_or_piped_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from explainer.tui.launch import LaunchError, read_start_input

    start = read_start_input(str(EXAMPLES / "lenet_64px.txt"))
    assert start.text == LENET and not start.paste
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    with pytest.raises(LaunchError) as excinfo:
        read_start_input(str(empty))
    assert excinfo.value.code == 2
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(LENET.encode())))
    assert read_start_input(None).text == LENET
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    assert read_start_input(None).empty_stdin


@run_async
async def test_empty_stdin_opens_the_paste_screen_with_a_message() -> None:
    app = ExplainerApp(db_path=DB, open_paste=True, empty_stdin=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, PasteScreen)
        assert any("Standard input was empty" in n.message for n in app._notifications)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, BrowserScreen)


@run_async
async def test_where_without_the_source_shows_the_traceback_lines() -> None:
    moved = LENET.replace("/home/user/project/tests/zoo/", "/nowhere/else/")
    app = ExplainerApp(db_path=DB, text=moved)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = page_text(app)
        assert "not on this machine" in text
        assert "x = F.relu(self.fc1(x))" in text
