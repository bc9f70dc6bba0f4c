"""The `explainer` entry point: plain `explain` runs without click, everything else with it.

Any failure inside explainer becomes one line and exit code 3, never a Python traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from explainer.explain_command import (
    EXIT_INTERNAL,
    CommandError,
    parse_fast,
    run_explain,
    silence_stdout,
)


def guarded(run: Callable[[], int]) -> int:
    """Run a command; its exit code, or the code of the failure it met."""
    try:
        return run()
    except CommandError as exc:
        sys.stderr.write(f"explainer: {exc}\n")
        return exc.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        silence_stdout()
        return 0
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the promise: never a traceback of our own
        sys.stderr.write(f"explainer: internal error: {type(exc).__name__}: {exc}\n")
        return EXIT_INTERNAL


def main() -> None:
    # EXPLAINER_NO_FASTPATH=1 sends everything through click (the tests compare both ways).
    if os.environ.get("EXPLAINER_NO_FASTPATH") != "1":
        opts = parse_fast(sys.argv[1:])
        if opts is not None:
            sys.exit(guarded(lambda: run_explain(opts)))
    from explainer.cli import main as click_main

    click_main()
