"""The child process: limits itself, imports torch, reproduces, verifies fixes, reports.

Run as `python -P -m explainer.repro.child JOB.json` by `runner`. Findings go as JSON lines to
the file descriptor the job names; the user's own prints go to stdout/stderr, which the parent
drains. Every way the user's code can end (an error, sys.exit, an import failure) becomes a
finding; only a kill (time, memory) leaves the parent to report it.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import traceback
from typing import Any


class Emitter:
    """Writes one JSON object per line to the findings pipe."""

    def __init__(self, fd: int) -> None:
        self.stream = os.fdopen(fd, "w", buffering=1, encoding="utf-8")

    def __call__(self, event: dict[str, Any]) -> None:
        try:
            self.stream.write(json.dumps(event, default=str) + "\n")
        except (OSError, ValueError):
            pass


def set_limits(job: dict[str, Any]) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    memory = job.get("memory_bytes")
    if memory:
        # Address space is what a runaway allocation exhausts first on cpu and meta; CUDA and
        # MPS reserve huge virtual ranges, so there the data segment is limited instead.
        kind = (
            resource.RLIMIT_DATA
            if job.get("device") in ("cuda", "mps", "auto")
            else resource.RLIMIT_AS
        )
        soft, hard = resource.getrlimit(kind)
        limit = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
        resource.setrlimit(kind, (limit, hard))
    timeout = job.get("timeout")
    if timeout:
        cpu = int(timeout) + 30
        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        if hard == resource.RLIM_INFINITY or cpu < hard:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, hard))


def _snapshot() -> dict[str, dict[str, Any]]:
    """torch's module namespaces, to undo what one job's code patched (a script that sets
    `torch.cuda.is_available = lambda: True`) before the next job runs."""

    names = ("torch", "torch.cuda", "torch.nn", "torch.nn.functional", "torch.serialization")
    return {n: dict(vars(sys.modules[n])) for n in names if n in sys.modules}


def _restore(saved: dict[str, dict[str, Any]]) -> None:
    import torch

    for name, values in saved.items():
        space = vars(sys.modules[name])
        for key in [k for k in space if k not in values]:
            del space[key]
        for key, value in values.items():
            if space.get(key) is not value:
                space[key] = value
    torch.set_default_dtype(torch.float32)
    torch.set_grad_enabled(True)


def main() -> None:
    jobs = []
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as f:
            jobs.append(json.load(f))
    emit = Emitter(jobs[0]["result_fd"])
    started = time.perf_counter()
    try:
        set_limits(jobs[0])
    except (ValueError, OSError) as exc:
        emit({"event": "note", "text": f"could not set the resource limits: {exc}"})
    emit({"event": "stage", "stage": "importing torch"})
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        for index in range(len(jobs)):
            emit({"event": "job", "index": index})
            emit({"event": "fatal", "kind": "no_torch", "message": str(exc)})
        return
    except MemoryError:
        emit({"event": "fatal", "kind": "memory", "message": "importing torch ran out of memory"})
        return
    imported = time.perf_counter()
    from explainer.repro.session import drive

    saved = _snapshot()
    for index, job in enumerate(jobs):
        if index:
            _restore(saved)
        emit({"event": "job", "index": index})
        os.chdir(job.get("cwd") or os.getcwd())
        began = time.perf_counter()
        try:
            result = drive(job, emit)
        except MemoryError:
            emit({"event": "fatal", "kind": "memory", "message": "the run ran out of memory"})
            continue
        except Exception as exc:  # noqa: BLE001 - the parent reports it as ours, with its stack
            emit(
                {
                    "event": "fatal",
                    "kind": "internal",
                    "message": f"{type(exc).__name__}: {exc}",
                    "stack": traceback.format_exc()[-3000:],
                }
            )
            continue
        result["timings"] = {
            "import_torch_s": round(imported - started, 3) if index == 0 else 0.0,
            "run_s": round(time.perf_counter() - began, 3),
        }
        emit(result)


if __name__ == "__main__":
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: user threads or atexit handlers must not keep the child alive.
    os._exit(0)
