"""`import explainer.auto`: capture this program's crash, and explain it right under the traceback.

The same capture as `explainer hook install`, for one program and with nothing installed: on an
uncaught exception the traceback prints as usual, the capture (with the live tensor shapes) is
saved for `explainer last`, and the explanation follows on stderr. `EXPLAINER_AUTO_EXPLAIN=0`
keeps the capture and skips the explanation.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from explainer.shell import capture


def explain_now(data: dict[str, Any]) -> None:
    """Print the explanation of a capture on stderr; one line instead if anything goes wrong."""
    if os.environ.get("EXPLAINER_AUTO_EXPLAIN", "1") == "0":
        return
    try:
        from explainer.kb.store import KnowledgeBase
        from explainer.render.text import render_text, want_color
        from explainer.shell.commands import record
        from explainer.shell.live import explain_capture

        tensors = data.get("tensors")
        exp = explain_capture(
            data["traceback"], tensors if isinstance(tensors, list) else [], KnowledgeBase()
        )
        if exp.status != "explained":
            return
        record(exp, "run", False, text=data["traceback"], command=" ".join(data.get("argv", [])))
        out = render_text(exp, color=want_color(sys.stderr.isatty(), None))
        sys.stderr.write("\nexplainer:\n" + out)
        sys.stderr.flush()
    except Exception as exc:  # noqa: BLE001 - the user's crash matters, not ours
        sys.stderr.write(f"explainer: could not explain this error ({type(exc).__name__}: {exc})\n")


capture.install(explain_now)
