"""`python -m explainer.run script.py [args]` (or `-m module`, `-c code`): run Python code with
the crash capture on, as `import explainer.auto` would; its traceback is printed without
explainer's own frames, then explained.

The program runs in this process, as `python script.py` would run it: same `sys.argv`, the
script's folder first on `sys.path`, `__name__ == "__main__"`, exit codes kept.
"""

from __future__ import annotations

import os
import runpy
import sys
from types import TracebackType

USAGE = "usage: python -m explainer.run (script.py | -m module | -c code) [args...]"


def _trim(tb: TracebackType | None) -> TracebackType | None:
    """Drop the frames of this module and of runpy, which the user did not write."""
    ours = (__file__, runpy.__file__, "<frozen runpy>")
    while tb is not None and tb.tb_frame.f_code.co_filename in ours:
        tb = tb.tb_next
    return tb


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 2
    import explainer.auto  # noqa: F401 - installs the capture

    try:
        if argv[0] == "-m" and len(argv) > 1:
            sys.argv = argv[1:]
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        elif argv[0] == "-c" and len(argv) > 1:
            sys.argv = ["-c", *argv[2:]]
            exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__"})
        else:
            script = argv[0]
            if not os.path.exists(script):
                print(f"explainer.run: can't open file {script!r}", file=sys.stderr)
                return 2
            sys.argv = list(argv)
            sys.path[0] = os.path.dirname(os.path.abspath(script))
            runpy.run_path(os.path.abspath(script), run_name="__main__")  # as python shows it
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - reported as Python would, then explained
        tb = _trim(exc.__traceback__)
        sys.excepthook(type(exc), exc.with_traceback(tb), tb)
        return 130 if isinstance(exc, KeyboardInterrupt) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
