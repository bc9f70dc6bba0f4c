"""`?`: the keys of the screen underneath and of the whole app."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

ABOUT = (
    "explainer turns a PyTorch shape error into its cause, the arithmetic behind its numbers "
    "and a fix. The mouse works too: click entries, sections and buttons; scroll with the wheel."
)


class HelpScreen(ModalScreen[None]):
    """A list of the keys that work where you are."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Label("Keys", classes="page-title")
            yield Static(self._keys())
            yield Static(ABOUT, classes="muted")
            yield Label("Escape closes this.", classes="muted")

    def _keys(self) -> Content:
        rows: list[Content] = []
        seen: set[str] = set()
        for title, bindings in (
            ("This screen", self.under.BINDINGS),
            ("Everywhere", self.app.BINDINGS),
        ):
            rows.append(Content.styled(title, "bold $text-accent"))
            for binding in bindings:
                if not isinstance(binding, Binding) or binding.key in seen:
                    continue
                seen.add(binding.key)
                key = binding.key_display or _key_name(binding.key)
                rows.append(Content.assemble((f"  {key:<10}", "bold"), binding.description))
        return Content("\n").join(rows)


def _key_name(key: str) -> str:
    return {"escape": "Esc", "enter": "Enter"}.get(key, key.replace("ctrl+", "Ctrl+"))
