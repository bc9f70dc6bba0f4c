"""Small widgets the screens are composed of; each shows one part of an explanation or entry."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Collapsible, DataTable, Label, Static

from explainer.tui.content import NUMBER, SourceBlock, SourceLine, traceback_tail

NUMBER_STYLE = "bold $text-accent"


def with_numbers(text: str) -> Content:
    """Plain prose with its numbers highlighted (the arithmetic is about them)."""
    return Content(text).highlight_regex(NUMBER.pattern, style=NUMBER_STYLE)


def prose(text: str) -> str:
    """Paragraphs joined the way a terminal should wrap them: the sources break lines at 100."""
    paragraphs = text.strip().split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


class TitleBar(Static):
    """One line naming the app and the screen: lighter to start than Textual's Header."""

    def __init__(self, where: str) -> None:
        super().__init__(Content.assemble(("explainer", "bold"), ("  ·  " + where, "")))
        self.add_class("title-bar")

    def show(self, where: str) -> None:
        self.update(Content.assemble(("explainer", "bold"), ("  ·  " + where, "")))


class Section(Vertical):
    """A titled part of a page: 'Why', 'Fix', 'Where'..."""

    def __init__(self, title: str, *children: Widget, id: str | None = None) -> None:
        super().__init__(Label(title, classes="section-title"), *children, id=id)
        self.add_class("section")


class Prose(Static):
    """A paragraph of explanation, numbers highlighted; in a template, the {placeholders}."""

    def __init__(self, text: str, numbers: bool = True, **kwargs: Any) -> None:
        body = prose(text)
        if numbers:
            content = with_numbers(body)
        else:
            content = Content(body).highlight_regex(r"\{[^{}]+\}", style=NUMBER_STYLE)
        super().__init__(content, **kwargs)
        self.add_class("prose")


class Steps(Vertical):
    """The arithmetic, numbered, each step wrapped under its own text, numbers highlighted."""

    def __init__(self, steps: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.steps = steps
        self.add_class("steps")

    def compose(self) -> ComposeResult:
        for n, step in enumerate(self.steps, start=1):
            with Horizontal(classes="step"):
                yield Label(f"{n:>2}.", classes="step-number")
                yield Static(with_numbers(step), classes="step-text")


class Code(Static):
    """Python shown with syntax highlighting that follows the theme."""

    def __init__(self, code: str, **kwargs: Any) -> None:
        from textual.highlight import highlight  # pygments: only once there is code to show

        self.code = code.strip("\n")
        super().__init__(highlight(self.code, language="python"), **kwargs)
        self.add_class("code")


class SourceView(Vertical):
    """The user's source around the frame that raised, suspects marked with their rank."""

    def __init__(self, blocks: list[SourceBlock], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.blocks = blocks

    def compose(self) -> ComposeResult:
        for block in self.blocks:
            note = "" if block.found else "  (not on this machine: lines from the traceback)"
            yield Label(Content.assemble((block.file, "bold"), (note, "$text-muted")))
            yield Static(self._render_block(block), classes="source")

    @staticmethod
    def _render_block(block: SourceBlock) -> Content:
        width = max((len(str(line.number)) for line in block.lines if line), default=1)
        rows: list[Content] = []
        for line in block.lines:
            if line is None:
                rows.append(Content.styled(" " * (width + 4) + "⋮", "$text-muted"))
                continue
            rows.append(_source_row(line, width))
            if line.reason:
                rows.append(
                    Content.styled(" " * (width + 6) + "↳ " + line.reason, _mark_style(line))
                )
        return Content("\n").join(rows)


def _mark_style(line: SourceLine) -> str:
    return "$text-error" if line.mark == "raised" else "$text-warning"


def _source_row(line: SourceLine, width: int) -> Content:
    if line.mark == "suspect":
        marker = (f"{line.label:>2}▶", "bold $text-warning")
    elif line.mark == "raised":
        marker = (" ✗▶", "bold $text-error")
    else:
        marker = ("   ", "")
    number = (f"{line.number:>{width}} ", "$text-muted" if not line.mark else "bold")
    from textual.highlight import highlight

    code = highlight(line.text, language="python")
    row = Content.assemble(marker, number, code)
    if line.mark:
        row = row.stylize("on $warning 15%" if line.mark == "suspect" else "on $error 15%")
    return row


class TracebackFold(Collapsible):
    """The raw text, folded away: everything above is drawn from it."""

    def __init__(self, text: str, **kwargs: Any) -> None:
        shown, left_out = traceback_tail(text)
        count = len(text.splitlines())
        title = f"Raw traceback ({count:,} lines)"
        children: list[Widget] = []
        if left_out:
            children.append(Label(f"… {left_out:,} earlier lines left out", classes="muted"))
        children.append(Static(Content(shown), classes="raw"))
        super().__init__(*children, title=title, collapsed=True, **kwargs)


class LayerTable(DataTable[Any]):
    """The reproducer's layers and their shapes; the failing row is highlighted."""

    COLUMNS = ("#", "layer", "input", "output", "note")

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for name in self.COLUMNS:
            self.add_column(name, key=name)
