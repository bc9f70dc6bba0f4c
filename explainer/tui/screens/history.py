"""The errors explained before on this machine, newest first (from the shell integration)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from explainer.tui.content import HistoryItem, load_history
from explainer.tui.screens.base import Page
from explainer.tui.widgets import TitleBar


class HistoryScreen(Page):
    """Enter re-opens an item: its explanation when the text was kept, else its entry."""

    BINDINGS = [Binding("escape", "app.close_page", "Back")]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[HistoryItem] = []

    def compose(self) -> ComposeResult:
        yield TitleBar(self.where)
        yield Label("", id="history-status")
        yield OptionList(id="history")

    def on_mount(self) -> None:
        self.set_where("history")
        items = load_history()
        status = self.query_one("#history-status", Label)
        listing = self.query_one("#history", OptionList)
        if not items:
            status.update(
                "No history yet: errors you explain from the shell will be listed here, "
                "newest first."
            )
            listing.display = False
            return
        self.items = items
        status.update(f"{len(items)} errors explained on this machine, newest first")
        for n, item in enumerate(items):
            label = Content.assemble(
                (f"{item.when:<17} ", "$text-muted"),
                (f"{item.entry_id or '(unmatched)'}  ", "bold"),
                item.title,
                (f"\n{'':17} {item.detail}" if item.detail else "", "$text-muted"),
            )
            listing.add_option(Option(label, id=str(n)))
        listing.highlighted = 0
        listing.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        item = self.items[int(event.option.id or 0)]
        if item.text:
            self.app.open_text(item.text, name=item.when, live=item.live)  # type: ignore[attr-defined]
        elif item.entry_id:
            self.app.open_entry(item.entry_id)  # type: ignore[attr-defined]
        else:
            self.notify("This item kept neither the text nor an entry.", severity="warning")
