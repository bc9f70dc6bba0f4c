"""One reproduction in the child: load, replay or build, trace; then fallbacks and fix checks.

`Session.execute` runs the user's code once on one device, with an optional overlay of patched
files, and returns plain facts (rows, roots, the error, notes). `drive` decides the runs: meta
first, cpu when meta cannot run an operation or does not check what failed, then one run per
candidate fix.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import linecache
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import torch
from torch import nn

from explainer.repro import fixes, patch, synth
from explainer.repro.loader import (
    LoadError,
    OverlayFinder,
    forget_user_modules,
    is_user_file,
    load_definitions,
    patched_name,
)
from explainer.repro.replay import Replayer, Target, Unknown, _move, _unknown_in, call_with_device
from explainer.repro.trace import Recorder, caller_site, construction_sites, tracing

MAX_FIX_RUNS = 6
META_WORDS = re.compile(r"\bmeta\b|data-dependent|fake tensor", re.I)
OUT_OF_MEMORY = re.compile(r"can't allocate memory|out of memory|Cannot allocate memory", re.I)


class NeedModel(Exception):
    """The model cannot be built without more information; the message says what to pass."""


class DeviceError(Exception):
    """The requested device does not exist here."""


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        built = "built without CUDA" if torch.version.cuda is None else "no GPU is visible"
        raise DeviceError(
            f"--device cuda: CUDA is not available here (torch {torch.__version__}, {built}); "
            "use --device meta or --device cpu"
        )
    if name == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise DeviceError("--device mps: MPS is not available here; use --device meta or cpu")
    return torch.device(name)


def _real(path: str) -> str:
    return path[len("<patched ") : -1] if path.startswith("<patched ") else path


def _where(exc: BaseException) -> dict[str, Any] | None:
    tb = exc.__traceback__
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if is_user_file(filename):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    if found is None:
        return None
    code = linecache.getline(found[0], found[1]).strip()
    return {"file": _real(found[0]), "line": found[1], "code": code}


class Session:
    """One run of the user's code on one device."""

    def __init__(
        self,
        job: dict[str, Any],
        emit: Any,
        device: torch.device,
        overlay: dict[str, str] | None = None,
        replay_line: int | None = None,
        verifying: bool = False,
    ) -> None:
        self.verifying = verifying
        self.job = job
        self.emit = emit
        self.device = device
        self.overlay = overlay or {}
        self.replay_line = replay_line or job.get("replay_line")
        self.recorder = Recorder(device, emit)
        self.notes: list[str] = []
        self.input_note: str | None = None
        self.input_shapes: list[list[int]] | None = None
        self.override_used = False
        self.replayer: Replayer | None = None
        self.unknown_why: str | None = None

    # -- callbacks from the replay ------------------------------------------------------------
    def stage(self, text: str) -> None:
        self.emit({"event": "stage", "stage": text})

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def unknown_target(self, why: str) -> None:
        self.unknown_why = why

    def forward_done(self) -> bool:
        return any(r.get("outputs") is not None for r in self.recorder.roots)

    def failed_in_forward(self, exc: BaseException) -> bool:
        return id(exc) in self.recorder.failures

    def meta_limited(self, exc: BaseException) -> bool:
        return self.device.type == "meta" and (
            bool(META_WORDS.search(str(exc))) or isinstance(exc, NotImplementedError)
        )

    @contextmanager
    def plain_device(self) -> Iterator[None]:
        """Data loading runs on cpu even while models are built on meta."""
        with torch.device("cpu") if self.device.type == "meta" else nullcontext():
            yield

    def invoke(
        self, kind: str, src: str, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if kind == "pure" and getattr(func, "__name__", "") in ("iter", "next"):
            with self.plain_device():
                return func(*args, **kwargs)
        if kind == "user" and isinstance(func, type) and issubclass(func, torch.utils.data.Dataset):
            with self.plain_device():
                return func(*args, **kwargs)
        keep = (self.job.get("hints") or {}).get("family") == "deserialize_device"
        return call_with_device(kind, func, args, kwargs, self.device, keep_load_device=keep)

    def forward(
        self, src: str, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        call_args = list(args)
        top = not self.recorder.stack
        if _unknown_in(args, kwargs) is not None:
            tensors = iter(self._inputs(module))
            for i, value in enumerate(call_args):
                if isinstance(value, Unknown):
                    call_args[i] = next(tensors, value)
            if _unknown_in(tuple(call_args), kwargs) is not None:
                raise synth.NeedInput(
                    f"{src}(...) is called with values the replay could not compute: "
                    "pass --input for each of them"
                )
        elif self.job.get("inputs") and not self.override_used and top:
            given = iter(synth.from_specs(self.job["inputs"], module, self.device))
            for i, value in enumerate(call_args):
                if isinstance(value, torch.Tensor):
                    call_args[i] = next(given, value)
            self.override_used = True
            self.input_note = "--input"
        call_args = [_move(a, self.device) for a in call_args]
        kwargs = {k: _move(v, self.device) for k, v in kwargs.items()}
        if top:
            label = src if re.fullmatch(r"[A-Za-z_][\w.]*", src) else type(module).__name__
            if not isinstance(module, nn.modules.loss._Loss) and self.input_shapes is None:
                self.input_shapes = [
                    list(a.shape) for a in call_args if isinstance(a, torch.Tensor)
                ]
            self.recorder.pending_label = label
            self.recorder.pending_site = caller_site()
        return module(*call_args, **kwargs)

    def _inputs(self, module: nn.Module) -> list[torch.Tensor]:
        if self.job.get("inputs"):
            self.input_note = "--input"
            return synth.from_specs(self.job["inputs"], module, self.device)
        tensors, note = synth.infer(module, self.job.get("hints") or {}, self.device)
        self.input_note = note
        return tensors

    # -- one run ------------------------------------------------------------------------------
    def execute(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"device": str(self.device), "error": None, "fatal": None}
        finder = OverlayFinder(self.overlay) if self.overlay else None
        forget_user_modules()
        if finder is not None:
            sys.meta_path.insert(0, finder)
        # An error raised by backward() needs autograd, which the shape-only meta
        # operations do not record: then torch's own kernels run, with gradients.
        autograd = bool(self.job.get("autograd"))
        fast = self.device.type == "meta" and not autograd
        try:
            with (
                construction_sites(),
                torch.enable_grad() if autograd else torch.no_grad(),
                torch.device(self.device),
                tracing(self.recorder, fast),
            ):
                if self.job.get("model") or not self.job.get("script"):
                    self._class_mode()
                else:
                    self._script_mode()
        except LoadError as exc:
            facts["fatal"] = {
                "kind": "load",
                "message": str(exc),
                "file": _real(exc.file),
                "line": exc.line,
                "exc_type": type(exc.exc).__name__,
            }
        except synth.NeedInput as exc:
            facts["fatal"] = {"kind": "need_input", "message": str(exc)}
        except NeedModel as exc:
            facts["fatal"] = {"kind": "need_model", "message": str(exc)}
        except SystemExit as exc:
            where = _where(exc)
            facts["fatal"] = {
                "kind": "exit",
                "message": f"your code called sys.exit({exc.code!r})",
                **({"file": where["file"], "line": where["line"]} if where else {}),
            }
        except KeyboardInterrupt:
            raise
        except MemoryError:
            facts["fatal"] = {"kind": "memory", "message": "your code ran out of memory"}
        except BaseException as exc:  # noqa: BLE001 - this is the error being reproduced
            if OUT_OF_MEMORY.search(str(exc)) and not isinstance(exc, ValueError):
                facts["fatal"] = {"kind": "memory", "message": str(exc).splitlines()[0][:300]}
            else:
                facts["error"] = self._describe(exc)
        finally:
            if finder is not None and finder in sys.meta_path:
                sys.meta_path.remove(finder)
            self.recorder.active = False
        facts.update(self._facts())
        return facts

    def _describe(self, exc: BaseException) -> dict[str, Any]:
        message = str(exc)
        if isinstance(exc, KeyError) and exc.args:
            message = repr(exc.args[0])
        return {
            "type": type(exc).__name__,
            "module": type(exc).__module__,
            "message": message[:6000],
            "row": self.recorder.failures.get(id(exc)),
            "where": _where(exc),
            "meta_limit": bool(META_WORDS.search(message)) or isinstance(exc, NotImplementedError),
        }

    def _facts(self) -> dict[str, Any]:
        rows = self.recorder.rows
        for row in rows:
            if row.get("file"):
                row["file"] = _real(row["file"])
            ctor = row.get("ctor")
            if ctor:
                row["ctor"] = {**ctor, "file": _real(ctor["file"])}
            site = row.get("site")
            if site:
                row["site"] = [_real(site[0]), site[1]]
        roots = []
        for root in self.recorder.roots:
            site = root.get("site")
            roots.append({**root, "site": [_real(site[0]), site[1]] if site else None})
        replayer = self.replayer
        return {
            "rows": rows,
            "roots": roots,
            "truncated": self.recorder.truncated,
            "batch_change": self.recorder.batch_change,
            "input": {"shapes": self.input_shapes, "source": self.input_note},
            "statements": replayer.log if replayer else [],
            "reached": replayer.reached if replayer else True,
            "loop": replayer.loop_note if replayer else None,
            "unknown": self.unknown_why,
            "notes": list(self.notes),
            "slow_ops": self.recorder.slow_ops,
            "fast_ops": self.recorder.fast_ops,
        }

    def _script_mode(self) -> None:
        script = self.job["script"]
        text = self.overlay.get(script)
        filename = patched_name(script) if text is not None else script
        self.stage("loading " + script)
        loaded = load_definitions(script, text=text, filename=filename)
        body = loaded.tree.body
        iterations = int(self.job.get("max_iterations", 64))
        function = self.job.get("replay_function")
        if function and function != "<module>":
            # The script body first, up to the line that calls the function (its globals),
            # then the function's body with its default arguments bound.
            outer = self.job.get("outer_line")
            if outer:
                before = Replayer(self, loaded, Target(int(outer)), iterations)
                before.stop_before = True
                before.run(body)
            for node in body:
                if isinstance(node, ast.FunctionDef) and node.name == function:
                    body = node.body
                    self._bind_defaults(loaded.namespace, function)
                    break
        self.replayer = Replayer(self, loaded, Target(int(self.replay_line or 0)), iterations)
        self.replayer.continue_after = self.verifying
        self.replayer.run(body)

    @staticmethod
    def _bind_defaults(namespace: dict[str, Any], function: str) -> None:
        func = namespace.get(function)
        try:
            params = inspect.signature(func).parameters.values() if callable(func) else []
        except (TypeError, ValueError):
            params = []
        for p in params:
            if p.default is not inspect.Parameter.empty:
                namespace[p.name] = p.default

    def _class_mode(self) -> None:
        model, inputs, label = self._build()
        if inputs is None:
            inputs = self._inputs(model)
        elif self.input_note is None:
            self.input_note = "the factory"
        self.input_shapes = [list(t.shape) for t in inputs if isinstance(t, torch.Tensor)]
        self.recorder.pending_label = label
        self.stage("forward of " + label)
        model(*[_move(t, self.device) for t in inputs])

    def _build(self) -> tuple[nn.Module, list[Any] | None, str]:
        args = self.job.get("args") or {}
        spec = self.job.get("model")
        if spec:
            obj = self._resolve(spec)
            name = spec["name"]
            if isinstance(obj, nn.Module):
                return obj, None, name
            if isinstance(obj, type) and issubclass(obj, nn.Module):
                _check_args(obj, args)
                self.stage(f"building {name}")
                return obj(**args), None, name
            if callable(obj):
                self.stage(f"calling {name}")
                result = obj(**args)
                inputs = None
                if isinstance(result, tuple) and result and isinstance(result[0], nn.Module):
                    rest = list(result[1:])
                    result = result[0]
                    inputs = [t for r in rest for t in (r if isinstance(r, list | tuple) else [r])]
                if not isinstance(result, nn.Module):
                    raise NeedModel(f"{name}() returned {type(result).__name__}, not an nn.Module")
                return result, inputs, type(result).__name__
            raise NeedModel(
                f"{name} in {spec['target']} is not an nn.Module class, instance or function"
            )
        problems: list[str] = []
        for cls_spec in self.job.get("classes") or []:
            text = self.overlay.get(cls_spec["file"])
            loaded = load_definitions(
                cls_spec["file"],
                text=text,
                filename=patched_name(cls_spec["file"]) if text else None,
            )
            cls = loaded.namespace.get(cls_spec["name"])
            if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
                continue
            try:
                _check_args(cls, args)
            except NeedModel as exc:
                problems.append(str(exc))
                continue
            self.stage(f"building {cls.__name__}")
            return cls(**args), None, cls.__name__
        raise NeedModel(problems[0] if problems else "no nn.Module class found in the traceback")

    def _resolve(self, spec: dict[str, Any]) -> Any:
        if spec.get("is_file"):
            text = self.overlay.get(spec["target"])
            loaded = load_definitions(
                spec["target"], text=text, filename=patched_name(spec["target"]) if text else None
            )
            if spec["name"] not in loaded.namespace:
                raise NeedModel(
                    f"{spec['target']} defines no {spec['name']} when loaded (only imports, "
                    "classes, functions and constants run): name a class or a function"
                )
            return loaded.namespace[spec["name"]]
        try:
            module = importlib.import_module(spec["target"])
        except ImportError as exc:
            raise LoadError(f"{type(exc).__name__}: {exc}", spec["target"], None, exc) from None
        if not hasattr(module, spec["name"]):
            raise NeedModel(f"module {spec['target']} has no {spec['name']}")
        return getattr(module, spec["name"])


def _check_args(cls: type, args: dict[str, Any]) -> None:
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return
    try:
        signature.bind(**args)
    except TypeError:
        missing = [
            p.name
            for p in signature.parameters.values()
            if p.default is inspect.Parameter.empty
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            and p.name not in args
        ]
        example = ", ".join(f'"{m}": ...' for m in missing) or "..."
        raise NeedModel(
            f"{cls.__name__}() needs {', '.join(missing) or 'other arguments'}: "
            f"pass --args '{{{example}}}' (or --factory module:function)"
        ) from None


# -- the runs -------------------------------------------------------------------------------------
def same_error(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    return bool(
        a and b and a.get("type", "").rsplit(".", 1)[-1] == b.get("type", "").rsplit(".", 1)[-1]
    )


def drive(job: dict[str, Any], emit: Any) -> dict[str, Any]:
    try:
        device = resolve_device(job.get("device", "meta"))
    except DeviceError as exc:
        return {"event": "fatal", "kind": "device", "message": str(exc)}
    original = job.get("error")
    facts = Session(job, emit, device).execute()
    notes: list[str] = []
    if device.type == "meta" and facts["error"] and facts["error"]["meta_limit"]:
        first = facts["error"]["message"].splitlines()[0][:160]
        notes.append(f"the meta device cannot run this code ({first}): ran it on cpu instead")
        device = torch.device("cpu")
        facts = Session(job, emit, device).execute()
    elif (
        device.type == "meta"
        and original
        and not facts["fatal"]
        and not same_error(facts["error"], original)
    ):
        cpu = Session(job, emit, torch.device("cpu")).execute()
        if cpu["error"] and not cpu["fatal"] and same_error(cpu["error"], original):
            notes.append(
                "on the meta device this ran without the error (meta tensors hold no data, and "
                "a few checks need it): ran it on cpu, where it fails as in your traceback"
            )
            facts, device = cpu, torch.device("cpu")
    fix = None
    if job.get("verify_fix", True) and facts["error"] and not facts["fatal"]:
        fix = verify_fixes(job, emit, device, facts)
    return {"event": "result", "device": str(device), "facts": facts, "fix": fix, "notes": notes}


def _reader(path: str) -> str | None:
    real = _real(path)
    if not is_user_file(real):
        return None
    try:
        with open(real, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return None


def _shift(line: int, file: str, edits: list[patch.Edit]) -> int:
    delta = 0
    for e in edits:
        if e.file == file and e.end < line and e.start <= line:
            delta += len(e.lines) - (e.end - e.start + 1)
    return line + delta


def _same_failure(a: dict[str, Any], b: dict[str, Any]) -> bool:
    ea, eb = a.get("error") or {}, b.get("error") or {}
    return ea.get("type") == eb.get("type") and ea.get("message") == eb.get("message")


def verify_fixes(
    job: dict[str, Any], emit: Any, device: torch.device, facts: dict[str, Any]
) -> dict[str, Any] | None:
    """Apply each candidate fix to in-memory copies, run again; chain a second fix when the
    first one moves the failure elsewhere."""
    originals: dict[str, str] = {}

    def read(path: str) -> str | None:
        text = _reader(path)
        if text is not None:
            originals.setdefault(path, text)
        return text

    hints = job.get("hints") or {}
    base = fixes.FixContext(
        facts=facts,
        texts={},
        hints=hints,
        fix_code=job.get("fix_code") or "",
        suspects=job.get("suspects") or [],
        read=read,
    )
    candidates = fixes.plan(base)
    if not candidates:
        return None
    runs = 0
    best: dict[str, Any] | None = None
    script = job.get("script")
    for candidate in candidates:
        texts = dict(originals)
        steps: list[dict[str, Any]] = []
        line = job.get("replay_line")
        current = candidate
        before = facts
        while current is not None and runs < MAX_FIX_RUNS:
            runs += 1
            for e in current.edits:
                if e.file not in texts:
                    found = read(e.file)
                    if found is None:
                        break
                    texts[e.file] = found
            if patch.overlapping(current.edits) or any(e.file not in texts for e in current.edits):
                break
            changed = patch.apply(texts, current.edits)
            if all(texts.get(f) == t for f, t in changed.items()):
                break  # the fix leaves the code as it is
            if script and line:
                line = _shift(int(line), script, current.edits)
            texts.update(changed)
            emit({"event": "stage", "stage": f"verifying: {current.title}"})
            overlay = {f: t for f, t in texts.items() if t != originals.get(f)}
            after = Session(job, emit, device, overlay, replay_line=line, verifying=True).execute()
            step: dict[str, Any] = {"title": current.title, "origin": current.origin}
            steps.append(step)
            if after["fatal"]:
                step["result"] = "could not run"
                step["error"] = after["fatal"]
                break
            if after["error"] is None:
                outputs = after["roots"][0].get("outputs") if after["roots"] else None
                step["result"] = "verified"
                return {
                    "verified": True,
                    "steps": steps,
                    "output": outputs,
                    "rows": after["rows"],
                    "roots": after["roots"],
                    "diff": patch.unified_diff(originals, {f: texts[f] for f in overlay}),
                }
            step["result"] = "fails"
            step["error"] = {k: after["error"].get(k) for k in ("type", "message", "where")}
            rows = after.get("rows") or []
            index = after["error"].get("row")
            if isinstance(index, int) and 0 <= index < len(rows):
                step["error"]["at"] = rows[index]["path"]
            if _same_failure(after, before):
                break
            attempt: dict[str, Any] = {
                "verified": False,
                "steps": list(steps),
                "output": None,
                "diff": patch.unified_diff(originals, {f: texts[f] for f in overlay}),
                "next_error": step["error"],
            }
            if best is None or len(attempt["steps"]) > len(best["steps"]):
                best = attempt
            follow = fixes.FixContext(
                facts=after, texts=dict(texts), hints=hints, suspects=[], read=read
            )
            nexts = [c for c in fixes.plan(follow, use_kb=False) if c.edits]
            if not nexts:
                break
            current = nexts[0]
            before = after
    if best is not None:
        return best
    if runs == 0:
        return None  # no candidate changed anything
    steps = [{"title": c.title, "origin": c.origin, "result": "no effect"} for c in candidates[:3]]
    return {"verified": False, "steps": steps, "output": None, "diff": "", "next_error": None}
