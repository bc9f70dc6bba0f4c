"""Run buggy PyTorch programs the way a user does, and record what each prints.

Imports torch once, then forks a child per program: the child runs the program as `__main__`
with its stdout/stderr going to a file, and on an uncaught exception prints the traceback as
Python would (from the program's own frame down). Used by the tests: argv[1] is a JSON list of
program paths, the JSON result {path: {"output": ..., "rc": ...}} goes to stdout.
"""

import json
import os
import runpy
import signal
import sys
import tempfile
import traceback
import warnings

import torch  # noqa: F401  - imported once here, inherited by every child

TIMEOUT = 60


def run_child(path: str, out_path: str) -> None:
    fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    warnings.resetwarnings()
    warnings.simplefilter("default")
    signal.alarm(TIMEOUT)
    sys.argv = [path]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    os.chdir(os.path.dirname(os.path.abspath(path)))
    code = 0
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException as exc:  # noqa: BLE001 - print it exactly as Python would
        tb = exc.__traceback__
        target = os.path.abspath(path)
        while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != target:
            tb = tb.tb_next
        traceback.print_exception(type(exc), exc, tb or exc.__traceback__)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> None:
    paths = json.loads(sys.argv[1])
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n, path in enumerate(paths):
            out_path = os.path.join(tmp, f"{n}.txt")
            pid = os.fork()
            if pid == 0:
                run_child(path, out_path)
            _, status = os.waitpid(pid, 0)
            with open(out_path, encoding="utf-8", errors="replace") as handle:
                output = handle.read()
            results[path] = {"output": output, "rc": os.waitstatus_to_exitcode(status)}
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
