"""Capture a crash as it happens: the traceback and the tensors in the failing frames' locals.

This file runs inside the user's program (installed by `explainer hook install` as a copy named
`_explainer_capture.py`, loaded by `explainer run` and `shell-init --capture` through a
`sitecustomize`, or imported by `explainer.auto`), where explainer itself may not be importable.
So it uses only the standard library, keeps Python 3.8 syntax (types in strings and comments),
and imports nothing beyond `os` and `sys`, already loaded, until an uncaught exception happens:
start-up stays near free. torch and numpy are never imported here; tensors are looked at only
when the program already imported them.
"""

import os
import sys

FORMAT_VERSION = 1
MODULE_NAME = "_explainer_capture"
ENV_STATE_DIR = "EXPLAINER_STATE_DIR"
ENV_CAPTURE_DIR = "EXPLAINER_CAPTURE_DIR"  # `explainer run` collects its child's captures here
ENV_SHELL_ID = "EXPLAINER_SHELL_ID"  # set by `shell-init`: `why` reads this shell's capture
ENV_OFF = "EXPLAINER_CAPTURE"  # "0" turns capture off without uninstalling anything
MAX_TENSORS = 200
MAX_PER_FRAME = 40
MAX_FRAMES = 60
MAX_TEXT = 1024 * 1024
STALE_SECONDS = 14 * 24 * 3600

# Functions called with each capture (`explainer.auto` explains it at once).
callbacks = []  # type: list
_installed = False
_previous_hook = None


def state_dir() -> str:
    """Per-user state: `EXPLAINER_STATE_DIR`, `$XDG_STATE_HOME/explainer`, ~/.local/state/..."""
    override = os.environ.get(ENV_STATE_DIR)
    if override:
        return override
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return os.path.join(base, "explainer")


def safe_shell_id(value: "str | None") -> "str | None":
    """The shell id as a file-name part, or None when unset or odd."""
    if not value:
        return None
    kept = "".join(c for c in value if c.isalnum() or c in "-_")[:64]
    return kept or None


def install(callback=None) -> bool:
    """Chain an excepthook that captures uncaught exceptions; once per process, whoever asks.

    Several routes may load this file in one process (a hook in site-packages, a sitecustomize,
    `import explainer.auto`); the first installs, later ones only add their callback.
    """
    global _installed, _previous_hook
    this = sys.modules.get(__name__)
    first = sys.modules.setdefault(MODULE_NAME, this) if this is not None else None
    if first is not None and first is not this and getattr(first, "_installed", False):
        if callback is not None:
            getattr(first, "callbacks", []).append(callback)
        return False
    if callback is not None:
        callbacks.append(callback)
    if _installed:
        return False
    _previous_hook = sys.excepthook
    sys.excepthook = _excepthook
    _installed = True
    return True


def _excepthook(etype, value, tb) -> None:
    previous = _previous_hook if _previous_hook is not None else sys.__excepthook__
    try:
        previous(etype, value, tb)
    finally:
        if _wanted(etype):
            capture_and_save(etype, value, tb)


def _wanted(etype) -> bool:
    if os.environ.get(ENV_OFF, "1") == "0":
        return False
    try:
        return not issubclass(etype, (KeyboardInterrupt, SystemExit))
    except TypeError:
        return False


def capture_and_save(etype, value, tb) -> "dict | None":
    """Build the capture, write it, run the callbacks; never raises (the crash is the user's)."""
    try:
        data = build(etype, value, tb)
    except Exception:
        return None
    try:
        save(data)
    except Exception:
        pass
    for callback in list(callbacks):
        try:
            callback(data)
        except Exception:
            pass
    return data


def build(etype, value, tb) -> dict:
    """The capture: what the user saw printed, and the tensors of the frames that failed."""
    import time
    import traceback

    text = "".join(traceback.format_exception(etype, value, tb))
    if len(text) > MAX_TEXT:
        text = text[:2048] + "\n...\n" + text[-(MAX_TEXT - 4096) :]
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = None
    return {
        "version": FORMAT_VERSION,
        "time": time.time(),
        "pid": os.getpid(),
        "argv": [str(a) for a in sys.argv],
        "cwd": cwd,
        "executable": sys.executable,
        "shell_id": os.environ.get(ENV_SHELL_ID),
        "type": _qualified(etype),
        "traceback": text,
        "tensors": collect_tensors(value, tb),
    }


def _qualified(etype) -> str:
    module = getattr(etype, "__module__", "") or ""
    name = str(getattr(etype, "__qualname__", None) or getattr(etype, "__name__", "?"))
    return name if module in ("builtins", "__main__", "") else module + "." + name


def _frames(value, tb) -> list:
    """(frame, line) of the exception and of the exceptions chained to it, innermost first."""
    out = []  # type: list[tuple[object, int]]
    seen = set()
    exc = value
    while exc is not None and id(exc) not in seen and len(out) < MAX_FRAMES:
        seen.add(id(exc))
        chain = []
        cursor = tb if exc is value else getattr(exc, "__traceback__", None)
        while cursor is not None:
            chain.append((cursor.tb_frame, cursor.tb_lineno))
            cursor = cursor.tb_next
        out.extend(reversed(chain))
        exc = getattr(exc, "__cause__", None) or (
            None if getattr(exc, "__suppress_context__", False) else exc.__context__
        )
    return out[:MAX_FRAMES]


def collect_tensors(value, tb) -> list:
    """Shape, dtype and device of the tensors (and numpy arrays) among the failing frames' locals.

    A module-level frame's locals are all of its globals (a notebook's whole namespace), so only
    the names on the line that failed are looked at there.
    """
    torch = sys.modules.get("torch")
    numpy = sys.modules.get("numpy")
    kinds = tuple(
        k
        for k in (getattr(torch, "Tensor", None), getattr(numpy, "ndarray", None))
        if isinstance(k, type)
    )
    if not kinds:
        return []
    module_type = getattr(getattr(torch, "nn", None), "Module", None)
    found = []  # type: list[dict]
    for frame, line in _frames(value, tb):
        if len(found) >= MAX_TENSORS:
            break
        try:
            items = _frame_items(frame, line, module_type)
        except Exception:
            continue
        where = {
            "function": frame.f_code.co_name,
            "file": frame.f_code.co_filename,
            "line": line,
        }
        count = 0
        for name, obj in items:
            for label, tensor in _tensors_in(name, obj, kinds, module_type):
                info = describe(tensor)
                if info is None:
                    continue
                info["name"] = label
                info["id"] = id(tensor)  # one tensor seen under several names is shown once
                info.update(where)
                found.append(info)
                count += 1
                if count >= MAX_PER_FRAME or len(found) >= MAX_TENSORS:
                    break
            if count >= MAX_PER_FRAME or len(found) >= MAX_TENSORS:
                break
    return found


def _frame_items(frame, line, module_type) -> list:
    """(name, value) of a frame's locals, the globals its failing line uses (`model`), and the
    submodules it names (`self.fc1`), in the order the line uses them."""
    import linecache
    import re

    local_vars = frame.f_locals
    global_vars = frame.f_globals
    module_level = local_vars is global_vars
    source = linecache.getline(frame.f_code.co_filename, line)
    if not source:  # `python -c`: no source to read, and few globals
        return list(local_vars.items())
    items = [] if module_level else list(local_vars.items())
    seen = set() if module_level else set(local_vars)
    for name in re.findall(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*", source):
        parts = name.split(".")
        if parts[0] not in seen and parts[0] in global_vars:
            seen.add(parts[0])
            items.append((parts[0], global_vars[parts[0]]))
        if len(parts) > 1 and module_type is not None and name not in seen:
            found = _submodule(local_vars.get(parts[0], global_vars.get(parts[0])), parts[1:])
            if found is not None and isinstance(found, module_type):
                seen.add(name)
                items.append((name, found))
    return items


def _submodule(obj, path):
    """`self.encoder.fc1` through the modules' own dicts: no getattr, so no property runs."""
    for part in path:
        children = getattr(obj, "__dict__", {}).get("_modules")
        if not isinstance(children, dict) or part not in children:
            return None
        obj = children[part]
    return obj


def _tensors_in(name, obj, kinds, module_type):
    """The object itself, one level into lists, tuples and dicts, and a module's parameters."""
    if isinstance(obj, kinds):
        yield name, obj
    elif isinstance(obj, (list, tuple)) and len(obj) <= 16:
        for i, item in enumerate(obj):
            if isinstance(item, kinds):
                yield f"{name}[{i}]", item
    elif isinstance(obj, dict) and len(obj) <= 32:
        for key, item in list(obj.items()):
            if isinstance(key, (str, int)) and isinstance(item, kinds):
                yield f"{name}[{key!r}]", item
    elif module_type is not None and isinstance(obj, module_type):
        params = obj.__dict__.get("_parameters") or {}
        for key, item in list(params.items()):
            if isinstance(item, kinds):
                yield f"{name}.{key}", item


def describe(tensor) -> "dict | None":
    """`{"shape": [32, 256, 28, 28], "dtype": "float32", "device": "cpu"}`; None if unreadable."""
    try:
        dims = tuple(tensor.shape)
    except Exception:
        dims = None
    shape = None  # type: list[object] | None
    if dims is not None:
        shape = []
        for d in dims:
            try:
                shape.append(int(d))
            except Exception:
                shape.append(str(d))  # a symbolic size under torch.compile
    try:
        dtype = str(tensor.dtype).replace("torch.", "")
    except Exception:
        dtype = None
    device = getattr(tensor, "device", None)
    return {
        "shape": shape,
        "dtype": dtype,
        "device": str(device) if device is not None else "numpy",
    }


def save(data: dict) -> list:
    """Write the capture atomically: `last.json`, this shell's, and `explainer run`'s folder."""
    import json

    payload = json.dumps(data, default=str)
    folder = state_dir()
    names = ["last.json"]
    shell = safe_shell_id(data.get("shell_id"))
    if shell:
        names.append(f"last-{shell}.json")
    written = []
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        for name in names:
            written.append(atomic_write(os.path.join(folder, name), payload))
        _prune(folder)
    except OSError:
        pass
    run_dir = os.environ.get(ENV_CAPTURE_DIR)
    if run_dir:
        name = f"{os.getpid()}-{int(data.get('time', 0) * 1e6)}.json"
        try:
            written.append(atomic_write(os.path.join(run_dir, name), payload))
        except OSError:
            pass
    return written


def atomic_write(path: str, payload: str) -> str:
    """Write to a temporary file beside `path`, then rename: readers never see half a file."""
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def _prune(folder: str) -> None:
    """Forget the captures of shells not heard from in two weeks (and stray temporary files)."""
    import time

    now = time.time()
    for name in os.listdir(folder):
        if not (name.startswith("last-") or name.startswith(".tmp-")):
            continue
        path = os.path.join(folder, name)
        try:
            if now - os.path.getmtime(path) > (3600 if name.startswith(".tmp-") else STALE_SECONDS):
                os.unlink(path)
        except OSError:
            pass
