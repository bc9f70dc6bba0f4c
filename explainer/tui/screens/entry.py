"""One knowledge-base entry: what it means, why (the template), the fix, examples, versions."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Label, Static

from explainer.tui.screens.base import Page
from explainer.tui.widgets import Code, Prose, Section, TitleBar

MAX_EXAMPLES = 4
EXAMPLE_LINES = 10


class EntryScreen(Page):
    """The page of one entry, as `explainer show` prints it, with room to scroll."""

    BINDINGS = [
        Binding("escape", "app.close_page", "Back"),
        Binding("c", "copy_fix", "Copy fix"),
    ]

    def __init__(self, entry_id: str) -> None:
        super().__init__()
        self.entry_id = entry_id

    @property
    def kb(self) -> Any:
        return self.app.kb  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        entry = self.kb.get(self.entry_id)
        yield TitleBar(self.where)
        with VerticalScroll(id="page"):
            yield Label(Content(entry.title), classes="page-title")
            meta = (
                f"{entry.id} · {entry.family} · {', '.join(entry.exceptions)} · "
                f"priority {entry.priority}"
            )
            yield Label(meta, classes="muted")
            yield Section("What it means", Prose(entry.what, numbers=False))
            yield Section(
                "Why (filled in with the error's numbers)", Prose(entry.why, numbers=False)
            )
            fix: list[Any] = [Prose(entry.fix_summary, numbers=False)]
            if entry.fix_code.strip():
                fix.append(Code(entry.fix_code, id="fix-code"))
            yield Section("Fix", *fix)
            yield Section("Messages and PyTorch versions", *self._patterns(entry))
            examples = self._examples()
            if examples:
                yield Section("Examples", *examples)
            if entry.references:
                yield Section("References", Static("\n".join(entry.references), classes="muted"))

    def on_mount(self) -> None:
        self.set_where(self.entry_id)
        self.query_one("#page").focus()

    def _patterns(self, entry: Any) -> list[Any]:
        versions = self.kb.versions(entry.id)
        rows: list[Any] = []
        if versions:
            rows.append(Label(Content.assemble(("Versions: ", "bold"), versions)))
        for pattern in entry.patterns:
            scope = "  (whole text)" if pattern.scope == "text" else ""
            head = pattern.versions or "all versions"
            rows.append(Label(Content.assemble((head, "bold"), (scope, "$text-muted"))))
            rows.append(Static(Content(pattern.regex), classes="regex"))
        return rows

    def _examples(self) -> list[Any]:
        shown: list[Any] = []
        examples = [x for x in self.kb.examples(self.entry_id) if x["kind"] == "example"]
        for example in examples[:MAX_EXAMPLES]:
            if example["text"]:
                lines = example["text"].strip().splitlines()[-EXAMPLE_LINES:]
                shown.append(Static(Content("\n".join(lines)), classes="example"))
            else:
                shown.append(Label("A snippet that produces it:", classes="muted"))
                shown.append(Code(example["snippet"]))
            if example["source"]:
                shown.append(Label(Content("— " + example["source"]), classes="muted"))
        if len(examples) > MAX_EXAMPLES:
            more = len(examples) - MAX_EXAMPLES
            shown.append(Label(f"… and {more} more (explainer show {self.entry_id})"))
        return shown

    def action_copy_fix(self) -> None:
        from explainer.tui.screens.explanation import copy_code

        entry = self.kb.get(self.entry_id)
        if not entry.fix_code.strip():
            self.notify("This entry's fix has no code to copy.", severity="warning")
            return
        copy_code(self.app, entry.fix_code)
