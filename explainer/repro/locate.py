"""Which code to run, found from the traceback (no torch): the script and the failing line to
replay, and the `nn.Module` classes whose `forward` is on the stack."""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explainer.model import Explanation, Frame, ParsedText
from explainer.repro.options import OptionError, ReproOptions
from explainer.source import locate as locate_file


class LocateError(Exception):
    """Nothing to run could be found; the message says what to pass."""


@dataclass
class Plan:
    """What the child will run."""

    script: str | None = None  # local file whose body is replayed
    replay_line: int | None = None  # the line of the traceback in that file
    replay_function: str | None = None  # "<module>" or a top-level function without parameters
    outer_line: int | None = None  # the script's line that calls that function
    model: dict[str, Any] | None = None  # --model / --factory, or None
    classes: list[dict[str, Any]] = field(default_factory=list)  # forward classes, outermost first
    frames: list[dict[str, Any]] = field(default_factory=list)  # user frames, local paths
    files: dict[str, str] = field(default_factory=dict)  # traceback path -> local path

    def describe(self) -> str:
        if self.model is not None:
            what = "calls" if self.model["kind"] == "factory" else "builds"
            return f"{what} {self.model['name']} from {_short(self.model['target'])}"
        if self.script is not None:
            return (
                f"replays {_short(self.script)} up to line {self.replay_line} (its imports, "
                "classes, functions and constants, then the statements that build, feed and "
                "call the model; other calls are skipped)"
            )
        cls = self.classes[0]
        return f"builds {cls['name']}() from {_short(cls['file'])}"


def _short(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith("..") else path


def plan_run(parsed: ParsedText | None, options: ReproOptions) -> Plan:
    """The plan for this traceback and these options; raises LocateError with advice."""
    plan = Plan()
    frames = _user_frames(parsed)
    for frame, local in frames:
        plan.files[frame.file] = local
        plan.frames.append(
            {"file": local, "line": frame.line, "function": frame.function, "code": frame.code}
        )
    if options.model or options.factory:
        plan.model = _explicit_model(options)
        return plan
    plan.classes = _forward_classes(frames)
    replay = _replay_frame(frames)
    if replay is not None:
        frame, local = replay
        plan.script, plan.replay_line, plan.replay_function = local, frame.line, frame.function
        if frame.function != "<module>":
            outer = next(
                (f for f, path in frames if f.function == "<module>" and path == local), None
            )
            plan.outer_line = outer.line if outer is not None else None
    if plan.script is None and not plan.classes:
        raise LocateError(_advice(parsed))
    return plan


def _user_frames(parsed: ParsedText | None) -> list[tuple[Frame, str]]:
    if parsed is None:
        return []
    blocks = ([parsed.error] if parsed.error else []) + list(reversed(parsed.chain))
    for block in blocks:
        found: list[tuple[Frame, str]] = []
        for frame in block.frames:
            if not frame.is_user or frame.line is None:
                continue
            local = locate_file(frame.file)
            if local is not None:
                found.append((frame, str(local.resolve())))
        if found:
            return found
    return []


def _explicit_model(options: ReproOptions) -> dict[str, Any]:
    spec = options.factory or options.model or ""
    target, _, name = spec.rpartition(":")
    kind = "factory" if options.factory else "name"
    if target.endswith(".py"):
        path = Path(target).expanduser()
        if not path.is_file():
            option = "--factory" if options.factory else "--model"
            raise OptionError(f"{option}: no file {target} (relative to {os.getcwd()})")
        return {"kind": kind, "target": str(path.resolve()), "is_file": True, "name": name}
    return {"kind": kind, "target": target, "is_file": False, "name": name}


def _tree(path: str) -> ast.Module | None:
    try:
        return ast.parse(Path(path).read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return None


def enclosing_class(tree: ast.Module, line: int) -> ast.ClassDef | None:
    """The innermost class whose body holds `line`."""
    best: ast.ClassDef | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.lineno <= line <= (node.end_lineno or 0):
            if best is None or node.lineno >= best.lineno:
                best = node
    return best


def _forward_classes(frames: list[tuple[Frame, str]]) -> list[dict[str, Any]]:
    """Classes of the user `forward` frames, outermost first, each once."""
    out: list[dict[str, Any]] = []
    for frame, local in frames:
        if frame.function != "forward" or frame.line is None:
            continue
        tree = _tree(local)
        cls = enclosing_class(tree, frame.line) if tree else None
        if cls is None or any(c["name"] == cls.name and c["file"] == local for c in out):
            continue
        out.append({"file": local, "name": cls.name, "line": cls.lineno})
    return out


def _replay_frame(frames: list[tuple[Frame, str]]) -> tuple[Frame, str] | None:
    """The innermost frame before the first `forward` that is a script body or a top-level
    function without required parameters: its statements can be replayed."""
    chosen: tuple[Frame, str] | None = None
    for frame, local in frames:
        if frame.function == "forward":
            break
        if frame.function == "<module>":
            chosen = (frame, local)
            continue
        tree = _tree(local)
        if tree is None:
            continue
        for node in tree.body:
            if (
                isinstance(node, ast.FunctionDef)
                and node.name == frame.function
                and node.lineno <= (frame.line or 0) <= (node.end_lineno or 0)
                and not _required_params(node)
            ):
                chosen = (frame, local)
    return chosen


def _required_params(node: ast.FunctionDef) -> list[str]:
    args = node.args
    positional = args.posonlyargs + args.args
    required = positional[: len(positional) - len(args.defaults)]
    kwonly = [a for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None]
    return [a.arg for a in required + kwonly]


def _advice(parsed: ParsedText | None) -> str:
    if parsed is None or parsed.error is None:
        return (
            "no traceback to reproduce: pipe one in, or name the model with "
            "--model file.py:Class (and --input 1,3,224,224)"
        )
    user = [f for f in parsed.all_frames if f.is_user]
    if not user:
        return (
            "the traceback names no file of yours: pass --model file.py:Class "
            "(with --args '{...}' for its constructor) and --input, e.g. --input 32,3,224,224"
        )
    missing = user[-1].file
    return (
        f"the traceback's files are not on this machine ({missing}): run explainer from your "
        "project's folder, or pass --model file.py:Class and --input"
    )


def hints(exp: Explanation | None) -> dict[str, Any]:
    """What the explanation knows about the input: the batch, shapes, the image size."""
    if exp is None or exp.status != "explained":
        return {}
    numbers = {k: list(v) if isinstance(v, tuple | list) else v for k, v in exp.numbers.items()}
    fix_values = dict(exp.fix.values) if exp.fix else {}
    batch = None
    for key in ("target_batch", "mat1_rows", "batch", "batch_size"):
        if isinstance(numbers.get(key), int):
            batch = numbers[key]
            break
    if batch is None:
        for key in ("input", "input_shape", "input_size"):
            value = numbers.get(key)
            if isinstance(value, list) and value:
                batch = value[0]
                break
    size = fix_values.get("input_size")
    return {
        "family": exp.family,
        "numbers": numbers,
        "fix_values": {k: v for k, v in fix_values.items() if _plain(v)},
        "batch": batch,
        "input_size": size if isinstance(size, int) else None,
    }


def _plain(value: Any) -> bool:
    if isinstance(value, bool | int | float | str) or value is None:
        return True
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    return False
