"""The app: opens the knowledge base, picks the first screen, holds the app-wide keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding

from explainer.tui.screens.browser import BrowserScreen

THEMES = ("textual-dark", "textual-light")


class ExplainerApp(App[None]):
    """Browse the knowledge base, read an explanation, paste a traceback, see the history."""

    CSS_PATH = "explainer.tcss"
    TITLE = "explainer"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        # Shown in the browser's footer; elsewhere listed by `?` to keep the footer short.
        Binding("p", "paste", "Paste", show=False),
        Binding("h", "history", "History", show=False),
        Binding("slash", "search", "Search", key_display="/", show=False),
        Binding("d", "toggle_theme", "Light/dark", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        db_path: Path | None = None,
        text: str | None = None,
        source_name: str = "",
        truncated: bool = False,
        open_paste: bool = False,
        empty_stdin: bool = False,
        theme: str | None = None,
    ) -> None:
        super().__init__()
        self.db_path = db_path
        self.start_text = text
        self.source_name = source_name
        self.truncated = truncated
        self.open_paste = open_paste
        self.empty_stdin = empty_stdin
        self.kb: Any = None
        self.kb_error: str | None = None
        if theme:
            self.theme = theme

    # -- start ------------------------------------------------------------------------------
    def open_kb(self) -> None:
        from explainer.kb.store import DatabaseError, KnowledgeBase

        try:
            self.kb = KnowledgeBase(self.db_path)
            self.db_path = self.kb.path
        except DatabaseError as exc:
            self.kb, self.kb_error = None, str(exc)

    def on_mount(self) -> None:
        # Textual's own blank default screen stays at the bottom of the stack, so that every
        # page is pushed and can be switched for the browser when the user goes back.
        self.open_kb()
        if self.kb is None:
            from explainer.tui.screens.missing import MissingDatabaseScreen

            self.push_screen(MissingDatabaseScreen(self.kb_error or "", self.db_path))
        elif self.start_text is not None:
            # Straight to the explanation: the browser is built only if the user goes back.
            from explainer.tui.screens.explanation import ExplanationScreen

            self.push_screen(
                ExplanationScreen(
                    text=self.start_text, name=self.source_name, truncated=self.truncated
                )
            )
        else:
            self.push_screen(BrowserScreen())
            if self.open_paste:
                self.action_paste()
                if self.empty_stdin:
                    self.notify("Standard input was empty: paste a traceback here.", timeout=6)

    # -- app-wide keys ----------------------------------------------------------------------
    def action_close_page(self) -> None:
        """Close this screen; the bottom one gives way to the browser."""
        if len(self.screen_stack) > 2:
            self.pop_screen()
        elif not isinstance(self.screen, BrowserScreen) and self.kb is not None:
            self.switch_screen(BrowserScreen())

    def action_help(self) -> None:
        from explainer.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_paste(self) -> None:
        from explainer.tui.screens.paste import PasteScreen

        if self.kb is not None and not isinstance(self.screen, PasteScreen):
            self.push_screen(PasteScreen())

    def action_history(self) -> None:
        from explainer.tui.screens.history import HistoryScreen

        if self.kb is not None and not isinstance(self.screen, HistoryScreen):
            self.push_screen(HistoryScreen())

    def action_search(self) -> None:
        """Back to the browser, its search box focused."""
        if self.kb is None:
            return
        while len(self.screen_stack) > 2 and not isinstance(self.screen, BrowserScreen):
            self.pop_screen()
        if isinstance(self.screen, BrowserScreen):
            self.screen.focus_search()
        else:
            browser = BrowserScreen(focus_search=True)
            self.switch_screen(browser)

    def action_toggle_theme(self) -> None:
        self.theme = THEMES[1] if self.current_theme.dark else THEMES[0]

    def open_entry(self, entry_id: str) -> None:
        from explainer.tui.screens.entry import EntryScreen

        if self.kb is not None and self.kb.get(entry_id) is not None:
            self.push_screen(EntryScreen(entry_id))
        else:
            self.notify(f"No entry {entry_id!r} in the knowledge base.", severity="warning")

    def open_text(
        self, text: str, name: str = "", live: list[dict[str, Any]] | None = None
    ) -> None:
        from explainer.tui.screens.explanation import ExplanationScreen

        self.push_screen(ExplanationScreen(text=text, name=name, live=live))
