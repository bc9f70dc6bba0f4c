"""An explanation: summary, cause, arithmetic, fix, where, shapes, and the raw text folded away.

The explaining runs in a thread worker, so a long log never freezes the screen; so does the
reproducer, which the user starts (after a confirmation) and can cancel.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import (
    Collapsible,
    Label,
    LoadingIndicator,
    OptionList,
    ProgressBar,
    Static,
)
from textual.widgets.option_list import Option
from textual.worker import Worker, get_current_worker

from explainer.model import Explanation
from explainer.tui import shapes
from explainer.tui.content import (
    clipboard_blocker,
    display_path,
    save_fix,
    source_blocks,
)
from explainer.tui.screens.base import Page
from explainer.tui.widgets import (
    Code,
    LayerTable,
    Prose,
    Section,
    SourceView,
    Steps,
    TitleBar,
    TracebackFold,
    with_numbers,
)

MAX_LIVE_SHAPES = 12


def copy_code(app: App[Any], code: str) -> Path | None:
    """Copy through the terminal (OSC 52) and keep a file copy for terminals that drop it."""
    code = code.strip("\n")
    app.copy_to_clipboard(code)
    try:
        path: Path | None = save_fix(code)
    except OSError:
        path = None
    where = f" It is also in {display_path(path)}." if path else ""
    blocker = clipboard_blocker()
    if blocker:
        app.notify(f"{blocker} does not accept clipboard writes.{where}", title="Fix saved")
    else:
        app.notify(
            f"Copied to the clipboard (OSC 52).{where or ' No file copy could be written.'}",
            title="Fix copied",
        )
    return path


def explain_in_this_thread(
    text: str, db_path: Path | None, live: list[dict[str, Any]] | None = None
) -> Explanation:
    """A knowledge base of this thread's own: sqlite connections stay in their thread.

    `live`: tensors captured at the crash (a history item's), attached as the shell does.
    """
    from explainer.explain import explain_text
    from explainer.kb.store import KnowledgeBase

    kb = KnowledgeBase(db_path)
    try:
        if live:
            try:
                from explainer.shell.live import explain_capture
            except ImportError:
                pass
            else:
                return explain_capture(text, live, kb)
        return explain_text(text, kb)
    finally:
        kb.conn.close()


class ExplanationScreen(Page):
    """Everything explainer knows about one traceback."""

    BINDINGS = [
        Binding("escape", "app.close_page", "Back"),
        Binding("c", "copy_fix", "Copy fix"),
        Binding("r", "reproduce", "Shapes"),
        Binding("x", "cancel_run", "Cancel run"),
        Binding("e", "open_entry", "Entry"),
        Binding("t", "toggle_traceback", "Traceback"),
    ]

    def __init__(
        self,
        text: str,
        name: str = "",
        truncated: bool = False,
        explanation: Explanation | None = None,
        live: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__()
        self.text = text
        self.live = live
        self.source_name = name
        self.truncated = truncated
        self.exp = explanation
        self.cancel_event = threading.Event()
        self.repro_worker: Worker[Any] | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar(self.where)
        with VerticalScroll(id="page"):
            what = f" {self.source_name}" if self.source_name not in ("", "<stdin>") else ""
            yield Label(f"Explaining{what}…", id="loading-label", classes="muted")
            yield LoadingIndicator()

    def on_mount(self) -> None:
        self.set_where("explanation")
        if self.exp is not None:
            self.show(self.exp)
        else:
            self.call_after_refresh(self.explain)

    def on_unmount(self) -> None:
        # Leaving the page (or quitting) stops a reproducer run: no user code left behind.
        self.cancel_event.set()

    # -- explaining ---------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="explain", exit_on_error=False)
    def explain(self) -> None:
        worker = get_current_worker()
        try:
            db_path = self.app.db_path  # type: ignore[attr-defined]
            exp = explain_in_this_thread(self.text, db_path, self.live)
        except Exception as exc:  # noqa: BLE001 - an honest "could not explain", never a crash
            if not worker.is_cancelled:
                self.app.call_from_thread(self.show_failure, f"{type(exc).__name__}: {exc}")
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self.show, exp)

    def show(self, exp: Explanation) -> None:
        self.exp = exp
        page = self.query_one("#page", VerticalScroll)
        page.remove_children()
        if exp.status == "explained":
            widgets = explained_widgets(exp)
            self.set_where(exp.entry_id or "explanation")
        elif exp.status == "unmatched":
            widgets = unmatched_widgets(exp)
            self.set_where("no entry matches")
        else:
            widgets = nothing_found_widgets(self.source_name)
            self.set_where("no error found")
        if self.truncated:
            widgets.insert(0, Label("Only the end of a large input was read.", classes="muted"))
        if exp.status != "no_error_found" or self.text.strip():
            widgets.append(TracebackFold(exp.parsed.text or self.text, id="traceback"))
        page.mount_all(widgets)
        page.focus()
        self.refresh_bindings()

    def show_failure(self, message: str) -> None:
        page = self.query_one("#page", VerticalScroll)
        page.remove_children()
        page.mount_all(
            [
                Label("explainer could not explain this text", classes="page-title"),
                Static(Content(f"internal error: {message}"), classes="error-text"),
                Static("The text itself is below; `explainer explain` shows the same error."),
                TracebackFold(self.text, id="traceback"),
            ]
        )

    # -- keys ---------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Only the keys that can do something here are offered (and shown in the footer)."""
        exp = self.exp
        running = self.repro_worker is not None and self.repro_worker.is_running
        if action == "cancel_run":
            return running
        if action == "copy_fix":
            return exp is not None and exp.fix is not None and bool(exp.fix.code.strip())
        if action == "reproduce":
            return exp is not None and exp.status == "explained" and not running
        if action == "open_entry":
            return exp is not None and bool(exp.entry_id)
        if action == "toggle_traceback":
            return exp is not None
        return True

    def action_copy_fix(self) -> None:
        if self.exp is None or self.exp.fix is None or not self.exp.fix.code.strip():
            self.notify("There is no fix code to copy here.", severity="warning")
            return
        copy_code(self.app, self.exp.fix.code)

    def action_open_entry(self) -> None:
        if self.exp is not None and self.exp.entry_id:
            self.app.open_entry(self.exp.entry_id)  # type: ignore[attr-defined]
        else:
            self.notify("No knowledge-base entry matched this error.", severity="warning")

    def action_toggle_traceback(self) -> None:
        for fold in self.query("#traceback").results(Collapsible):
            fold.collapsed = not fold.collapsed
            if not fold.collapsed:
                self.call_after_refresh(fold.scroll_visible)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.open_entry(event.option.id)  # type: ignore[attr-defined]

    # -- the reproducer -----------------------------------------------------------------------
    def action_reproduce(self) -> None:
        if self.exp is None or self.exp.status != "explained":
            self.notify("The reproducer needs an explained error.", severity="warning")
            return
        if self.repro_worker is not None and self.repro_worker.is_running:
            self.notify("The reproducer is already running: x cancels it.")
            return
        reason = shapes.unavailable_reason()
        if reason:
            self.set_shapes_status(f"Reproducer not available: {reason}")
            self.notify(f"Reproducer not available: {reason}", severity="warning")
            return
        try:
            plan = shapes.plan_for(self.exp, self.app.db_path)  # type: ignore[attr-defined]
        except shapes.ShapesError as exc:
            self.set_shapes_status(str(exc))
            self.notify(str(exc), severity="warning", title="Nothing to run")
            return
        from explainer.tui.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self.start_run(plan)

        body = (
            f"This runs your code: it {plan.description}.\n\n"
            "Nothing else of your program runs; x cancels the run."
        )
        self.app.push_screen(ConfirmScreen("Run the reproducer?", body), answered)

    def start_run(self, plan: shapes.ShapesPlan) -> None:
        self.cancel_event = threading.Event()
        self.query_one("#shapes-progress", ProgressBar).display = True
        self.query_one("#shapes-progress", ProgressBar).update(total=None)
        table = self.query_one("#layers", LayerTable)
        table.clear()
        table.display = False
        self.set_shapes_status("Running the reproducer… (x cancels)")
        self.query_one("#shapes").scroll_visible()
        self.repro_worker = self.run_reproducer(plan)
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="repro", exit_on_error=False)
    def run_reproducer(self, plan: shapes.ShapesPlan) -> None:
        def progress(message: str) -> None:
            if not self.cancel_event.is_set():
                self.app.call_from_thread(self.set_shapes_status, message + "  (x cancels)")

        try:
            result = plan.run(progress, self.cancel_event)
        except Exception as exc:  # noqa: BLE001 - the user's code may fail in any way
            result = shapes.ShapesResult(message=f"The reproducer failed: {exc}")
        if self.cancel_event.is_set():
            result = shapes.ShapesResult(message="Cancelled: the reproducer was stopped.")
        self.app.call_from_thread(self.show_shapes, result)

    def action_cancel_run(self) -> None:
        if self.repro_worker is None or not self.repro_worker.is_running:
            self.notify("Nothing is running.")
            return
        self.cancel_event.set()
        self.repro_worker.cancel()
        self.set_shapes_status("Cancelling…")

    def set_shapes_status(self, message: str) -> None:
        for status in self.query("#shapes-status").results(Static):
            status.update(with_numbers(message))

    def show_shapes(self, result: shapes.ShapesResult) -> None:
        self.refresh_bindings()
        self.query_one("#shapes-progress", ProgressBar).display = False
        confirmed = "".join(f"\n• {line}" for line in result.confirmed)
        self.set_shapes_status(result.message + confirmed)
        table = self.query_one("#layers", LayerTable)
        table.clear()
        if not result.rows:
            table.display = False
            return
        table.display = True
        for n, row in enumerate(result.rows, start=1):
            cells = (str(n), row.name, row.input, row.output, row.note)
            if row.failing:
                table.add_row(*(Content.styled(c, "bold $text-error") for c in cells), key=str(n))
            else:
                table.add_row(*cells, key=str(n))
        if result.failing is not None:
            table.move_cursor(row=result.failing)
        self.call_after_refresh(table.scroll_visible, top=False)


# -- building the page --------------------------------------------------------------------------


def _error_line(exp: Explanation) -> Widget | None:
    err = exp.parsed.error
    if err is None:
        return None
    message = err.message.strip().splitlines()[0][:300] if err.message.strip() else ""
    return Static(Content(f"{err.type or 'Error'}: {message}"), classes="error-line")


def explained_widgets(exp: Explanation) -> list[Widget]:
    head = f"{exp.entry_id} · {exp.family} · confidence {exp.confidence:.2f}"
    widgets: list[Widget] = [
        Label(Content(exp.title or ""), classes="page-title"),
        Label(head, classes="muted"),
    ]
    happened: list[Widget] = [Prose(exp.summary, id="summary")]
    error_line = _error_line(exp)
    if error_line is not None:
        happened.append(error_line)
    widgets.append(Section("What happened", *happened))
    widgets.append(Section("Why", Prose(exp.cause, id="cause")))
    if exp.arithmetic:
        widgets.append(Section("Arithmetic", Steps(exp.arithmetic, id="arithmetic")))
    if exp.fix is not None:
        fix: list[Widget] = [Prose(exp.fix.summary)]
        if exp.fix.code.strip():
            fix.append(Code(exp.fix.code, id="fix-code"))
            fix.append(Label("c copies the fix", classes="muted"))
        widgets.append(Section("Fix", *fix, id="fix"))
    widgets.extend(_where(exp))
    widgets.append(_shapes_section(exp))
    if exp.notes:
        notes = "\n".join(f"• {note}" for note in exp.notes)
        widgets.append(Section("Notes", Static(with_numbers(notes))))
    if exp.alternatives:
        others = ", ".join(f"{a['id']} ({a['family']})" for a in exp.alternatives)
        widgets.append(Label(Content("Also matched: " + others), classes="muted"))
    return widgets


def _where(exp: Explanation) -> list[Widget]:
    blocks = source_blocks(exp)
    if not blocks:
        return []
    return [Section("Where", SourceView(blocks, id="source"), id="where")]


def _shapes_section(exp: Explanation) -> Widget:
    parts: list[Widget] = []
    live = getattr(exp, "live_shapes", None) or []
    if live:
        rows = [
            Content.assemble(
                (shape.label(), "bold"),
                (f"  in {shape.function}" if shape.function else "", "$text-muted"),
            )
            for shape in live[:MAX_LIVE_SHAPES]
        ]
        more = len(live) - MAX_LIVE_SHAPES
        if more > 0:
            rows.append(Content.styled(f"… and {more} more", "$text-muted"))
        parts.append(Label("Tensors at the crash:", classes="muted"))
        parts.append(Static(Content("\n").join(rows), classes="code", id="live-shapes"))
    hint = "r runs the reproducer to record every layer's shapes (asks first)."
    progress = ProgressBar(total=None, show_eta=False, id="shapes-progress")
    progress.display = False
    table = LayerTable(id="layers")
    table.display = False
    parts += [Static(hint, id="shapes-status"), progress, table]
    return Section("Shapes", *parts, id="shapes")


def unmatched_widgets(exp: Explanation) -> list[Widget]:
    widgets: list[Widget] = [
        Label("No knowledge-base entry matches this error", classes="page-title"),
        Section("The error", Static(Content(exp.summary), classes="error-line")),
    ]
    widgets.extend(_where(exp))
    if exp.notes:
        widgets.append(Section("Notes", Static(Content("\n".join(exp.notes)))))
    if exp.nearest:
        options = [
            Option(Content(f"{n['id']}  ({n['family']})  {n['title']}"), id=n["id"])
            for n in exp.nearest
        ]
        widgets.append(
            Section("Nearest entries (Enter opens one)", OptionList(*options, id="nearest"))
        )
    return widgets


def nothing_found_widgets(name: str) -> list[Widget]:
    where = f" in {name}" if name and name != "<stdin>" else ""
    return [
        Label(f"No Python error found{where}", classes="page-title"),
        Static(
            "explainer found no traceback and no known PyTorch message in the text. Give it the "
            "end of the output, where the error is printed; p opens a box to paste it into."
        ),
    ]
