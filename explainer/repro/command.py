"""`explainer repro` and `explain --repro` in the parent (no torch): plan, run, interpret.

`prepare` finds what to run and says it in one line (printed before anything runs); `execute`
starts the child, reads its findings and turns every outcome (reproduced, another error, a
timeout, a crash, a flood of output, no torch) into a report and an exit code.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
from dataclasses import dataclass, field
from typing import Any

from explainer.model import Explanation, ParsedText
from explainer.repro import confirm
from explainer.repro.locate import LocateError, Plan, hints, plan_run
from explainer.repro.options import (
    OptionError,
    ReproOptions,
    default_memory,
    human_bytes,
)
from explainer.repro.runner import ChildRun, run_child
from explainer.source import locate as locate_file

EXIT_REPRODUCED = 0
EXIT_NOT_REPRODUCED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_NO_TORCH = 4
EXIT_USER_CODE = 5
INSTALL = (
    "explainer repro needs PyTorch, which is not installed here: pip install 'explainer[torch]'"
)
CUDA_ASSERT = "device-side assert"


@dataclass
class Prepared:
    plan: Plan
    job: dict[str, Any]
    announce: str
    notes: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    code: int
    report: dict[str, Any]
    message: str | None = None  # one line for stderr when nothing else can be shown


def torch_available() -> bool:
    if "torch" in sys.modules and sys.modules["torch"] is None:
        return False
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def prepare(
    parsed: ParsedText | None, exp: Explanation | None, options: ReproOptions
) -> Prepared | Outcome:
    """The job for the child and the line that says what it will run, or a usage Outcome."""
    if not torch_available():
        return Outcome(EXIT_NO_TORCH, {"status": "no_torch"}, INSTALL)
    try:
        plan = plan_run(parsed, options)
    except (LocateError, OptionError) as exc:
        return Outcome(EXIT_USAGE, {"status": "not_run", "message": str(exc)}, str(exc))
    notes: list[str] = []
    device = options.device
    error = parsed.error if parsed is not None else None
    if device == "meta" and _cuda_assert(exp, error.message if error else ""):
        device = "cpu"
        notes.append(
            "the traceback is a CUDA device-side assert, which hides the real error: "
            "replaying on cpu, where torch checks indices and says which one"
        )
    memory = options.memory or default_memory()
    job = {
        "version": 1,
        "device": device,
        "timeout": options.timeout,
        "memory_bytes": memory,
        "cwd": os.getcwd(),
        "script": plan.script,
        "replay_line": plan.replay_line,
        "replay_function": plan.replay_function,
        "outer_line": plan.outer_line,
        "model": plan.model,
        "classes": plan.classes,
        "args": options.args,
        "inputs": [i.to_dict() for i in options.inputs],
        "hints": hints(exp),
        "error": {"type": error.short_type, "message": error.message} if error else None,
        "fix_code": exp.fix.code if exp is not None and exp.fix is not None else "",
        "suspects": _suspects(exp),
        "autograd": _in_backward(parsed),
        "verify_fix": options.verify_fix,
        "max_iterations": options.max_iterations,
    }
    announce = (
        f"explainer repro: {plan.describe()}, in a subprocess on {device} "
        f"(limits {options.timeout:g} s, {human_bytes(memory)})"
    )
    return Prepared(plan, job, announce, notes)


def _in_backward(parsed: ParsedText | None) -> bool:
    """The error came out of `.backward()`: the replay then needs autograd."""
    if parsed is None or parsed.error is None:
        return False
    return any(".backward(" in (f.code or "") for f in parsed.error.frames if f.is_user)


def _cuda_assert(exp: Explanation | None, message: str) -> bool:
    return (exp is not None and exp.family == "cuda_assert") or CUDA_ASSERT in message


def _suspects(exp: Explanation | None) -> list[dict[str, Any]]:
    out = []
    for s in exp.suspects if exp is not None else []:
        local = locate_file(s.file)
        if local is not None:
            out.append({"file": str(local.resolve()), "line": s.line, "code": s.code})
    return out


def execute(prepared: Prepared, exp: Explanation | None, options: ReproOptions) -> Outcome:
    run = run_child(prepared.job, options.timeout)
    outcome = interpret(run, prepared, exp, options)
    facts = (run.last("result") or {}).get("facts") or {}
    message = ((facts.get("error") or {}).get("message")) or ""
    if prepared.job["device"] in ("cuda", "auto") and CUDA_ASSERT in message:
        rerun = Prepared(prepared.plan, dict(prepared.job, device="cpu"), prepared.announce)
        rerun.notes = prepared.notes + [
            "the run hit a CUDA device-side assert, which hides the real error: the same "
            "step on cpu says what it is"
        ]
        second = interpret(run_child(rerun.job, options.timeout), rerun, exp, options)
        second.report["cuda_error"] = message.splitlines()[0]
        return second
    return outcome


def _stopped_where(run: ChildRun) -> str:
    enter = run.last("enter")
    stage = run.last("stage")
    parts = []
    if stage:
        parts.append(str(stage.get("stage")))
    if enter:
        parts.append(f"in {enter.get('path')} ({enter.get('type')})")
    return ", ".join(parts) or "before it reported anything"


def interpret(
    run: ChildRun, prepared: Prepared, exp: Explanation | None, options: ReproOptions
) -> Outcome:
    job = prepared.job
    report: dict[str, Any] = {
        "device": job["device"],
        "ran": prepared.plan.describe(),
        "status": None,
        "error": None,
        "same_error": None,
        "failed_at": None,
        "failed_op": None,
        "where": None,
        "input": None,
        "layers": [],
        "confirmed": [],
        "batch_change": None,
        "fix_verified": None,
        "fix_output": None,
        "fix": None,
        "notes": list(prepared.notes),
        "statements": [],
        "output": None,
        "timings": {"wall_s": round(run.wall, 3)},
        "peak_memory_bytes": run.peak_rss,
    }
    if run.output_bytes:
        report["output"] = run.output
        if run.output_bytes > 64 * 1024:
            report["notes"].append(
                f"your code printed {human_bytes(run.output_bytes)}; "
                "the first and last 16 KiB are kept"
            )
    result = run.last("result")
    fatal = run.last("fatal")
    if result is None and fatal is None and run.timed_out:
        where = _stopped_where(run)
        text = (
            f"stopped after {options.timeout:g} s (--timeout): your code was still running: {where}"
        )
        return _failed(report, "timeout", text, EXIT_USER_CODE)
    if run.output_capped and result is None:
        return _failed(
            report,
            "output_flood",
            "your code printed more than 256 MiB: stopped it",
            EXIT_USER_CODE,
        )
    if fatal is not None and result is None:
        return _fatal(report, fatal)
    if result is None:
        return _failed(report, "crashed", _crash(run), EXIT_USER_CODE)
    facts = result.get("facts") or {}
    report["device"] = result.get("device", job["device"])
    report["notes"] += list(result.get("notes") or []) + list(facts.get("notes") or [])
    report["timings"].update(result.get("timings") or {})
    if facts.get("fatal"):
        return _fatal(report, facts["fatal"])
    _fill(report, facts, exp)
    _fill_fix(report, result.get("fix"))
    original = job.get("error")
    error = facts.get("error")
    if error is None:
        if original is None:
            report["status"] = "ran"
            return Outcome(EXIT_REPRODUCED, report)
        report["status"] = "not_reproduced"
        why = facts.get("unknown")
        text = "ran without the error"
        if why:
            text += f": the failing line needs {why}, which the replay could not compute"
        report["notes"].append(text)
        change = facts.get("batch_change")
        if change:
            report["notes"].append(
                f"the forward turns the batch of {change['from']} into {change['to']} rows: "
                "what uses its output with the real batch (a loss and its targets) fails"
            )
        if exp is not None and exp.family in ("device_mismatch", "deserialize_device"):
            report["notes"].append(
                "the replay keeps every tensor and module on one device (it does not apply "
                "`.to(device)` or `.cuda()`), so device errors do not reproduce"
            )
        return Outcome(EXIT_NOT_REPRODUCED, report)
    same = original is not None and error["type"] == (original.get("type") or "").rsplit(".", 1)[-1]
    report["same_error"] = same
    if original is not None and CUDA_ASSERT in (original.get("message") or ""):
        # The point of the cpu replay: the error the assert stood for.
        report["status"] = "reproduced"
        report["recovered"] = True
        report["notes"].append(
            f"the real error behind the CUDA device-side assert: {error['type']}: "
            f"{error['message'].splitlines()[0] if error['message'] else ''}"
        )
        return Outcome(EXIT_REPRODUCED, report)
    if original is None or same:
        report["status"] = "reproduced" if original is not None else "failed"
        exact = original is not None and _norm(error["message"]) == _norm(
            original.get("message", "")
        )
        report["exact_message"] = exact
        return Outcome(EXIT_REPRODUCED if original is not None else EXIT_NOT_REPRODUCED, report)
    report["status"] = "different_error"
    return Outcome(EXIT_NOT_REPRODUCED, report)


def _norm(text: str) -> str:
    return " ".join(text.split())


def _crash(run: ChildRun) -> str:
    code = run.returncode
    if code is None:
        return "the run ended without a result"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if name == "SIGKILL":
            return "the run was killed (SIGKILL), most likely for using too much memory"
        if name == "SIGXCPU":
            return "the run used up its CPU time limit"
        return f"the run crashed ({name})"
    return f"your code ended the process (exit code {code}) before the reproduction finished"


def _failed(report: dict[str, Any], status: str, text: str, code: int) -> Outcome:
    report["status"] = status
    report["message"] = text
    return Outcome(code, report, text)


def _fatal(report: dict[str, Any], fatal: dict[str, Any]) -> Outcome:
    kind = fatal.get("kind")
    message = str(fatal.get("message", ""))
    where = ""
    if fatal.get("file"):
        where = (
            f" ({os.path.relpath(fatal['file']) if os.path.isabs(fatal['file']) else fatal['file']}"
        )
        where += f", line {fatal['line']})" if fatal.get("line") else ")"
    if kind == "no_torch":
        return _failed(report, "no_torch", INSTALL, EXIT_NO_TORCH)
    if kind == "device":
        return _failed(report, "device_unavailable", message, EXIT_USAGE)
    if kind in ("need_input", "need_model"):
        return _failed(report, kind, message, EXIT_USAGE)
    if kind == "load":
        return _failed(
            report,
            "load_failed",
            f"your code could not be loaded: {message}{where}",
            EXIT_USER_CODE,
        )
    if kind == "exit":
        return _failed(
            report, "exited", f"{message}{where}: the reproduction stopped there", EXIT_USER_CODE
        )
    if kind == "memory":
        return _failed(report, "out_of_memory", f"{message} (limit: --memory)", EXIT_USER_CODE)
    if kind == "internal":
        report["stack"] = fatal.get("stack")
        return _failed(
            report, "internal_error", f"internal error in the reproducer: {message}", EXIT_INTERNAL
        )
    return _failed(report, str(kind), message or "the run failed", EXIT_USER_CODE)


def _fill(report: dict[str, Any], facts: dict[str, Any], exp: Explanation | None) -> None:
    rows = facts.get("rows") or []
    error = facts.get("error")
    report["layers"] = [_layer(r) for r in rows]
    report["input"] = facts.get("input")
    report["statements"] = facts.get("statements") or []
    report["batch_change"] = facts.get("batch_change")
    if facts.get("loop"):
        report["notes"].append(f"the error happened on {facts['loop']}")
    if facts.get("truncated"):
        report["notes"].append("the trace was cut at 50,000 rows")
    if error:
        report["error"] = {"type": error["type"], "message": error["message"]}
        report["where"] = error.get("where")
        index = error.get("row")
        if isinstance(index, int) and 0 <= index < len(rows):
            row = rows[index]
            module = row if row["kind"] == "module" else _enclosing(rows, index)
            report["failed_at"] = module["path"] if module else (row["path"] or None)
            if row["kind"] == "op":
                report["failed_op"] = {
                    "op": row["type"],
                    "call": row["call"],
                    "file": row["file"],
                    "line": row["line"],
                    "code": confirm.code_at(row["file"], row["line"]),
                }
    numbers = exp.numbers if exp is not None else None
    plain = {k: list(v) if isinstance(v, tuple) else v for k, v in (numbers or {}).items()}
    report["confirmed"] = confirm.sentences(facts, plain)
    # Operations that went to torch's slow-to-start meta kernels: diagnostics for speed.
    report["slow_meta_ops"] = list(dict.fromkeys(facts.get("slow_ops") or []))


def _enclosing(rows: list[dict[str, Any]], index: int) -> dict[str, Any] | None:
    depth = rows[index]["depth"]
    for row in reversed(rows[:index]):
        if row["kind"] == "module" and row["depth"] < depth:
            return row
    return None


def _layer(row: dict[str, Any]) -> dict[str, Any]:
    out = {
        "path": row["path"],
        "type": row["type"],
        "kind": row["kind"],
        "depth": row["depth"],
        "input": row.get("input"),
        "output": row.get("output"),
        "inputs": row.get("inputs") or [],
        "outputs": row.get("outputs") or [],
        "params": row.get("params", 0),
        "dtype": row.get("dtype"),
        "device": row.get("device"),
        "status": row.get("status"),
    }
    if row["kind"] == "module":
        out["param_shapes"] = row.get("param_shapes") or {}
    else:
        out.update(call=row.get("call"), file=row.get("file"), line=row.get("line"))
    return out


def _fill_fix(report: dict[str, Any], fix: dict[str, Any] | None) -> None:
    if not fix:
        return
    report["fix_verified"] = bool(fix.get("verified"))
    report["fix_output"] = fix.get("output")
    report["fix"] = {
        "steps": fix.get("steps") or [],
        "diff": fix.get("diff") or "",
        "next_error": fix.get("next_error"),
    }


def run_repro(
    parsed: ParsedText | None,
    exp: Explanation | None,
    options: ReproOptions,
    announce: Any = None,
) -> Outcome:
    """prepare, say what will run (through `announce`), execute."""
    prepared = prepare(parsed, exp, options)
    if isinstance(prepared, Outcome):
        return prepared
    if announce is not None:
        announce(prepared.announce)
    outcome = execute(prepared, exp, options)
    outcome.report["announce"] = prepared.announce
    return outcome
