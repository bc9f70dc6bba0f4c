"""A box to paste a traceback into; bad input gets a message here, never a crash."""

from __future__ import annotations

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Button, Label, Static, TextArea
from textual.worker import get_current_worker

from explainer.model import Explanation
from explainer.tui.content import MAX_PASTE_CHARS, keep_tail
from explainer.tui.screens.base import Page
from explainer.tui.widgets import TitleBar


class PasteArea(TextArea):
    """A TextArea that keeps only the end of a huge paste: the error is at the end of a log."""

    async def _on_paste(self, event: events.Paste) -> None:
        text, cut = keep_tail(event.text, MAX_PASTE_CHARS)
        if not cut:
            return  # TextArea's own handler inserts it
        # Handled here: neither TextArea's handler nor the screen's forwarding may insert it again.
        event.prevent_default()
        event.stop()
        self.insert(text)
        self.post_message(PasteArea.Cut(len(event.text), len(text)))

    class Cut(events.Message):
        """A paste was too large; only its end was kept."""

        def __init__(self, total: int, kept: int) -> None:
            super().__init__()
            self.total = total
            self.kept = kept


class PasteScreen(Page):
    """Paste, then Ctrl+S."""

    BINDINGS = [
        Binding("ctrl+s", "explain", "Explain", priority=True),
        Binding("ctrl+l", "clear", "Clear", priority=True),
        Binding("escape", "app.close_page", "Back", priority=True),
    ]

    def compose(self) -> ComposeResult:
        yield TitleBar(self.where)
        yield Label(
            "Paste a traceback or the end of a log below, then press Ctrl+S.",
            id="paste-help",
        )
        yield PasteArea(id="paste", soft_wrap=False, show_line_numbers=False)
        yield Static("", id="paste-message")
        yield Button("Explain (Ctrl+S)", variant="primary", id="explain")

    def on_mount(self) -> None:
        self.set_where("paste")
        self.query_one(PasteArea).focus()

    @property
    def area(self) -> PasteArea:
        return self.query_one(PasteArea)

    def say(self, message: str, kind: str = "info") -> None:
        box = self.query_one("#paste-message", Static)
        box.set_classes(f"message-{kind}")
        box.update(Content(message))

    def on_paste_area_cut(self, event: PasteArea.Cut) -> None:
        self.say(
            f"That paste had {event.total:,} characters; only the last {event.kept:,} were kept "
            "(the error that ended a run is at the end).",
            "warning",
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "explain":
            self.action_explain()

    def action_clear(self) -> None:
        self.area.clear()
        self.say("")

    def action_explain(self) -> None:
        text = self.area.text
        if not text.strip():
            self.say("Nothing to explain yet: paste a traceback first.", "warning")
            return
        if "\x00" in text:
            self.say("That looks like binary data, not a traceback.", "error")
            return
        self.say("Explaining…")
        self.explain(text)

    @work(thread=True, exclusive=True, group="paste", exit_on_error=False)
    def explain(self, text: str) -> None:
        from explainer.tui.screens.explanation import explain_in_this_thread

        worker = get_current_worker()
        try:
            exp = explain_in_this_thread(text, self.app.db_path)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - a message in the app, never a crash
            if not worker.is_cancelled:
                self.app.call_from_thread(
                    self.say, f"Could not explain it: {type(exc).__name__}: {exc}", "error"
                )
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self.explained, text, exp)

    def explained(self, text: str, exp: Explanation) -> None:
        if exp.status == "no_error_found":
            self.say(
                "No Python error or PyTorch message found in that text. Paste the end of the "
                "output, from `Traceback (most recent call last):` to the error line.",
                "error",
            )
            return
        self.say("")
        from explainer.tui.screens.explanation import ExplanationScreen

        self.app.push_screen(ExplanationScreen(text=text, name="pasted text", explanation=exp))
