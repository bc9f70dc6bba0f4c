"""`%load_ext explainer` in IPython or Jupyter: the explanation appears under a failed cell.

After each cell, a `post_run_cell` handler looks at the exception the cell raised (the traceback
is already shown by then, so nothing of IPython's own display is replaced). When the knowledge
base explains it, the explanation is displayed with the live shapes of the tensors in the
failing frames: markdown in a notebook, plain text (coloured on a terminal) in terminal IPython.
Other errors are left alone. `%unload_ext explainer` removes the handler.
"""

from __future__ import annotations

import sys
from typing import Any

from explainer.model import Explanation

_kb: Any = None
_handlers: dict[int, Any] = {}


def load(ipython: Any) -> None:
    if id(ipython) in _handlers:
        return
    handler = _make_handler()
    _handlers[id(ipython)] = handler
    ipython.events.register("post_run_cell", handler)


def unload(ipython: Any) -> None:
    handler = _handlers.pop(id(ipython), None)
    if handler is not None:
        ipython.events.unregister("post_run_cell", handler)


def _make_handler() -> Any:
    def post_run_cell(result: Any) -> None:
        exc = getattr(result, "error_in_exec", None)
        if exc is None or isinstance(exc, KeyboardInterrupt):
            return
        try:
            exp = explain_exception(exc)
        except Exception as err:  # noqa: BLE001 - never add a traceback of ours to the user's
            print(f"explainer: could not explain this error ({type(err).__name__}: {err})")
            return
        if exp is not None:
            show(exp)

    return post_run_cell


def explain_exception(exc: BaseException) -> Explanation | None:
    """The explanation of an exception raised in a cell, with live shapes; None if unknown."""
    import traceback

    from explainer.kb.store import KnowledgeBase
    from explainer.shell.capture import collect_tensors
    from explainer.shell.commands import record
    from explainer.shell.live import explain_capture

    global _kb
    if _kb is None:
        _kb = KnowledgeBase()
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    tensors = collect_tensors(exc, exc.__traceback__)
    exp = explain_capture(text, tensors, _kb)
    if exp.status != "explained":
        return None
    record(exp, "ipython", False, text=text, command="IPython cell")
    return exp


def show(exp: Explanation) -> None:
    """Markdown for notebooks, text for terminals: IPython picks what its front end can show."""
    from IPython.display import display

    from explainer.render.markdown import render_markdown
    from explainer.render.text import render_text, want_color

    text = render_text(exp, color=want_color(sys.stdout.isatty(), None))
    display({"text/plain": text, "text/markdown": render_markdown(exp)}, raw=True)
