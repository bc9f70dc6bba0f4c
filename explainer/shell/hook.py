"""`explainer hook install|uninstall|status`: the opt-in crash capture in a Python environment.

Install writes two files into the target environment's site-packages (or the user site):
`_explainer_capture.py`, a copy of `capture.py` that needs nothing but the standard library (the
environment need not have explainer), and `explainer-capture.pth`, one `import` line that Python
runs at start-up. The .pth also records, in a comment, whether `__pycache__` existed before, so
uninstall removes exactly what the hook added, compiled bytecode included.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PTH_NAME = "explainer-capture.pth"
MODULE_FILE = "_explainer_capture.py"
MARKER = "# explainer crash capture"
# One line, since a .pth runs only lines that start with `import`; a missing module must not
# print an error at every start-up.
PTH_LINE = (
    "import sys; exec('try: import _explainer_capture as m; m.install()\\nexcept Exception: pass')"
)
CAPTURE_SOURCE = Path(__file__).with_name("capture.py")

_PROBE = (
    "import json, site, sys, sysconfig\n"
    "user = site.getusersitepackages() if site.ENABLE_USER_SITE else None\n"
    "print(json.dumps({'purelib': sysconfig.get_paths()['purelib'], 'user': user,"
    " 'version': list(sys.version_info[:2]), 'prefix': sys.prefix}))\n"
)


class HookError(Exception):
    """Shown to the user as one line."""


@dataclass
class Target:
    python: str
    site_dir: Path
    version: tuple[int, int]

    @property
    def pth(self) -> Path:
        return self.site_dir / PTH_NAME

    @property
    def module(self) -> Path:
        return self.site_dir / MODULE_FILE

    @property
    def pycache(self) -> Path:
        return self.site_dir / "__pycache__"


def default_python() -> str:
    """The `python` this shell runs (an active virtual environment's), else explainer's own."""
    return shutil.which("python") or shutil.which("python3") or sys.executable


def find_target(python: str | None, user: bool) -> Target:
    """Ask the target interpreter where its site-packages (or user site) is."""
    exe = python or default_python()
    try:
        proc = subprocess.run(
            [exe, "-I", "-c", _PROBE], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HookError(f"cannot run {exe}: {exc}") from None
    if proc.returncode != 0:
        raise HookError(f"{exe} did not answer: {proc.stderr.strip()[-300:]}")
    info = json.loads(proc.stdout)
    if user:
        if not info["user"]:
            raise HookError(
                f"{exe} has the user site disabled (a virtual environment?): drop --user"
            )
        site_dir = Path(info["user"])
    else:
        site_dir = Path(info["purelib"])
    return Target(python=exe, site_dir=site_dir, version=tuple(info["version"]))  # type: ignore[arg-type]


def is_installed(target: Target) -> bool:
    return target.pth.is_file() and MARKER in target.pth.read_text(
        encoding="utf-8", errors="replace"
    )


def install(target: Target) -> str:
    """Write the capture module and the .pth; reinstalling refreshes the module only."""
    if target.version < (3, 8):
        raise HookError(f"{target.python} is Python {target.version[0]}.{target.version[1]}: 3.8+")
    created_site = not target.site_dir.exists()
    try:
        target.site_dir.mkdir(parents=True, exist_ok=True)
        if is_installed(target):
            state = _read_state(target)
        else:
            if target.pth.exists() or target.module.exists():
                raise HookError(f"{target.pth} or {target.module} exists and is not explainer's")
            state = {"pycache": target.pycache.exists(), "site_dir": not created_site}
        shutil.copyfile(CAPTURE_SOURCE, target.module)
        _compile(target)
        target.pth.write_text(
            f"{MARKER} (`explainer hook uninstall` removes it)\n"
            f"# state: {json.dumps(state)}\n"
            f"{PTH_LINE}\n",
            encoding="utf-8",
        )
    except PermissionError:
        raise HookError(
            f"cannot write to {target.site_dir}: permission denied "
            "(use --user, or --python with a virtual environment's python)"
        ) from None
    return f"installed crash capture into {target.site_dir} (python: {target.python})"


def _compile(target: Target) -> None:
    """Write the bytecode now, with the target's own interpreter: start-up then only loads it,
    even where PYTHONDONTWRITEBYTECODE would have it compiled again at every start."""
    code = "import py_compile, sys; py_compile.compile(sys.argv[1], doraise=True)"
    subprocess.run(
        [target.python, "-I", "-c", code, str(target.module)],
        capture_output=True,
        timeout=60,
        check=False,
    )


def uninstall(target: Target) -> str:
    """Remove what install added and nothing else."""
    if not is_installed(target):
        if target.module.exists() and not target.pth.exists():
            target.module.unlink()
            return f"removed a stray {target.module}"
        return f"no crash capture installed in {target.site_dir}"
    state = _read_state(target)
    try:
        target.pth.unlink()
        target.module.unlink(missing_ok=True)
        if target.pycache.is_dir():
            for compiled in target.pycache.glob("_explainer_capture.*.pyc"):
                compiled.unlink()
            if not state.get("pycache", True) and not any(target.pycache.iterdir()):
                target.pycache.rmdir()
        if not state.get("site_dir", True) and not any(target.site_dir.iterdir()):
            target.site_dir.rmdir()
    except PermissionError:
        raise HookError(f"cannot remove files in {target.site_dir}: permission denied") from None
    return f"removed crash capture from {target.site_dir}"


def status(target: Target) -> str:
    state = "installed" if is_installed(target) else "not installed"
    return f"crash capture {state} in {target.site_dir} (python: {target.python})"


def _read_state(target: Target) -> dict[str, bool]:
    for line in target.pth.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("# state: "):
            try:
                value = json.loads(line[len("# state: ") :])
            except ValueError:
                break
            if isinstance(value, dict):
                return {str(k): bool(v) for k, v in value.items()}
    return {"pycache": True, "site_dir": True}
