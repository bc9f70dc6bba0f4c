"""`explainer tui [FILE]`: read the input first, then hand the terminal to Textual.

A piped traceback (`python train.py 2>&1 | explainer tui`) is read to its end before the app
starts; the keyboard then comes from the controlling terminal (/dev/tty), as toolong does.
textual is imported only after the checks, so a missing install is one line, not a traceback.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INTERNAL = 3
# Distinct from the explain codes: scripts can tell "install the extra" from a failure.
EXIT_NO_TEXTUAL = 4

INSTALL_HINT = "the TUI needs textual: pip install 'explainer[tui]'"


class LaunchError(Exception):
    """The app cannot start; the message is shown as it is, with `code` as the exit status."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class StartInput:
    """What the app opens on: a traceback's text (or None for the browser)."""

    text: str | None
    name: str = ""
    truncated: bool = False
    # Standard input was given but empty: the app opens the paste screen and says so.
    empty_stdin: bool = False
    # `explainer tui -` on a terminal: nothing to read, so open the paste screen.
    paste: bool = False


def textual_available() -> bool:
    """True when textual imports (the app imports it next anyway, so this costs nothing)."""
    try:
        import textual  # noqa: F401
    except ImportError:
        return False
    return True


def read_start_input(file: str | None) -> StartInput:
    """Read FILE, or standard input when it is piped; raises LaunchError for unreadable input."""
    from explainer.inputs import InputError, read_input

    stdin_piped = not sys.stdin.isatty() if sys.stdin else False
    if file is None and not stdin_piped:
        return StartInput(text=None)
    if file in (None, "-") and not stdin_piped:
        return StartInput(text=None, paste=True)
    try:
        source = read_input(file or "-")
    except InputError as exc:
        raise LaunchError(str(exc), EXIT_USAGE) from None
    if not source.text.strip():
        if source.name == "<stdin>":
            return StartInput(text=None, empty_stdin=True)
        raise LaunchError(f"{source.name} is empty: give a file with a traceback", EXIT_USAGE)
    return StartInput(text=source.text, name=source.name, truncated=source.truncated)


def attach_terminal() -> None:
    """Make file descriptor 0 the terminal again after reading a pipe from it.

    Textual reads keys from `sys.__stdin__.fileno()`, so the terminal is put on that descriptor
    rather than on a new file object.
    """
    if sys.__stdin__ is not None and os.isatty(0):
        return
    try:
        fd = os.open("/dev/tty", os.O_RDONLY)
    except OSError:
        raise LaunchError(
            "the TUI needs a terminal for the keyboard, and /dev/tty cannot be opened; "
            "use `explainer explain` in scripts",
            EXIT_USAGE,
        ) from None
    os.dup2(fd, 0)
    os.close(fd)


def check_output_terminal() -> None:
    if not (os.isatty(1) or os.isatty(2)):
        raise LaunchError(
            "the TUI draws on a terminal, but standard output and error are redirected; "
            "use `explainer explain` to write to a file",
            EXIT_USAGE,
        )


def run_tui(file: str | None, db: str | None) -> int:
    """Start the app; returns the exit status. Never raises for the user's input."""
    if not textual_available():
        raise LaunchError(INSTALL_HINT, EXIT_NO_TEXTUAL)
    start = read_start_input(file)
    check_output_terminal()
    attach_terminal()
    from explainer.tui.app import ExplainerApp

    app = ExplainerApp(
        db_path=Path(db) if db else None,
        text=start.text,
        source_name=start.name,
        truncated=start.truncated,
        open_paste=start.paste or start.empty_stdin,
        empty_stdin=start.empty_stdin,
    )
    app.run()
    return app.return_code or EXIT_OK
