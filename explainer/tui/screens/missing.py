"""Shown instead of the browser when the knowledge base cannot be opened."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Label, Static

from explainer.tui.screens.base import Page
from explainer.tui.widgets import TitleBar


class MissingDatabaseScreen(Page):
    """Says what is missing and the one command that builds it."""

    BINDINGS = [Binding("q", "app.quit", "Quit"), Binding("escape", "app.quit", "Quit", show=False)]

    def __init__(self, error: str, path: Path | None) -> None:
        super().__init__()
        self.error = error
        self.path = path

    def compose(self) -> ComposeResult:
        yield TitleBar(self.where)
        with Vertical(id="missing"):
            yield Label("The knowledge base cannot be opened", classes="page-title")
            yield Static(Content(self.error), classes="error-text")
            yield Label("Build it from kb/entries with:", classes="muted")
            yield Static(Content("explainer kb build"), classes="command")
            yield Static(
                "or point explainer at a built file with --db PATH or the EXPLAINER_DB "
                "variable, then start `explainer tui` again.",
                classes="muted",
            )

    def on_mount(self) -> None:
        self.set_where("no knowledge base")
