"""The screen every page derives from: a title bar naming where the user is, a footer of keys."""

from __future__ import annotations

from textual import events
from textual.screen import Screen

from explainer.tui.widgets import TitleBar


class Page(Screen[None]):
    """A full screen with a title bar; `where` is what the bar names.

    The footer is mounted right after the first frame: the content shows first, and the
    footer's dozen small widgets (a large share of start-up) follow a few milliseconds later.
    """

    where = ""

    def _on_mount(self, event: events.Mount) -> None:
        self.call_after_refresh(self._mount_footer)

    async def _mount_footer(self) -> None:
        from textual.widgets import Footer

        if not self.query(Footer):
            await self.mount(Footer())
            # A footer draws its keys when the bindings are announced, which has happened.
            self.refresh_bindings()

    def set_where(self, where: str) -> None:
        self.where = where
        for bar in self.query(TitleBar):
            bar.show(where)
