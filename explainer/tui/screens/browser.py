"""The knowledge-base browser: entries grouped by family with counts, filtered as you type."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Label, Tree

from explainer.tui.content import Listed, family_order, listing, prefix_search
from explainer.tui.screens.base import Page
from explainer.tui.widgets import TitleBar


class EntryTree(Tree[str]):
    """Families as branches (with their counts), entries as leaves; a leaf's data is its id."""

    BINDINGS = [
        Binding("right", "expand_node", "Expand", show=False),
        Binding("left", "collapse_node", "Collapse", show=False),
    ]

    def action_expand_node(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand:
            node.expand()

    def action_collapse_node(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            node.parent.collapse()
            self.move_cursor(node.parent)


class BrowserScreen(Page):
    """What the knowledge base knows."""

    BINDINGS = [
        Binding("escape", "clear_search", "Clear", show=False),
        Binding("enter", "open_selected", "Open", show=False),
        Binding("e", "expand_all", "Expand all"),
        Binding("p", "app.paste", "Paste"),
        Binding("h", "app.history", "History"),
        Binding("d", "app.toggle_theme", "Light/dark"),
    ]

    def __init__(self, focus_search: bool = False) -> None:
        super().__init__()
        self.start_in_search = focus_search
        self._listing: list[Listed] | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar(self.where)
        with Horizontal(id="search-row"):
            yield Label("Search", id="search-label")
            yield Input(
                placeholder="words or an error message, e.g. batch size",
                id="search",
                # Keys typed right after `/` would be selected by the focus and then replaced.
                select_on_focus=False,
            )
        yield Label("", id="search-status")
        yield EntryTree("Knowledge base", id="entries")

    def on_mount(self) -> None:
        self.set_where("knowledge base")
        self.entry_tree.show_root = False
        self.fill(None)
        if self.start_in_search:
            self.focus_search()
        else:
            self.entry_tree.focus()

    @property
    def entry_tree(self) -> EntryTree:
        return self.query_one(EntryTree)

    @property
    def kb(self) -> Any:
        return self.app.kb  # type: ignore[attr-defined]

    def fill(self, ids: list[str] | None) -> None:
        """Show every entry (`ids` None) or only these, in the order given."""
        if self._listing is None:
            self._listing = listing(self.kb)
        entries = {e.id: e for e in self._listing}
        chosen = (
            list(entries.values()) if ids is None else [entries[i] for i in ids if i in entries]
        )
        by_family: dict[str, list[Any]] = defaultdict(list)
        for entry in chosen:
            by_family[entry.family].append(entry)
        tree = self.entry_tree
        tree.clear()
        for family in family_order(by_family):
            members = by_family[family]
            if ids is None:
                members.sort(key=lambda e: e.id)
            label = Text.assemble((family, "bold"), (f"  ({len(members)})", "dim"))
            branch = tree.root.add(label, data=None)
            for entry in members:
                branch.add_leaf(Text.assemble(entry.id, ("  " + entry.title, "dim")), data=entry.id)
            if ids is not None:
                branch.expand()
        status = self.query_one("#search-status", Label)
        if ids is None:
            status.update(f"{len(chosen)} entries in {len(by_family)} families")
        elif chosen:
            status.update(f"{len(chosen)} matching entries in {len(by_family)} families")
        else:
            status.update("No entries match: try fewer or other words.")
        tree.cursor_line = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self.fill(prefix_search(self.kb, event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.entry_tree.focus()
        self.entry_tree.cursor_line = 1 if event.value.strip() else 0

    def on_tree_node_selected(self, event: Tree.NodeSelected[str]) -> None:
        if event.node.data:
            self.app.open_entry(event.node.data)  # type: ignore[attr-defined]

    def action_open_selected(self) -> None:
        node = self.entry_tree.cursor_node
        if node is not None and node.data:
            self.app.open_entry(node.data)  # type: ignore[attr-defined]

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.value:
            search.value = ""
        self.entry_tree.focus()

    def action_expand_all(self) -> None:
        for node in self.entry_tree.root.children:
            node.expand()

    def focus_search(self) -> None:
        # At once, not on the next idle like `focus()`: keys typed right after `/` are already
        # queued and must land in the box.
        self.set_focus(self.query_one("#search", Input))
