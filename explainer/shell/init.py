"""`explainer shell-init bash|zsh|fish`: the code a shell evaluates to get the `why` command.

`why` runs `explainer last` with the interpreter that printed this code, so it keeps working when
a virtual environment is deactivated. Each shell gets its own `EXPLAINER_SHELL_ID`, inherited by
the programs it starts, so `why` explains this shell's crash and not another terminal's.
`--capture` also puts explainer's crash capture on `PYTHONPATH` (a `sitecustomize` that loads the
capture, then any `sitecustomize` it shadows), for every Python run from this shell, with
nothing installed in any environment.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path

SHELLS = ("bash", "zsh", "fish")
SITE_DIR = Path(__file__).with_name("site")
ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,39}$")


class ShellInitError(Exception):
    """A usage error, shown as one line."""


def detect_shell(env: dict[str, str] | None = None) -> str:
    """The shell named by `$SHELL`, when it is one we support."""
    value = (env if env is not None else os.environ).get("SHELL", "")
    name = os.path.basename(value)
    if name in SHELLS:
        return name
    shown = f" ($SHELL is {value!r})" if value else " ($SHELL is not set)"
    raise ShellInitError(f"say which shell: explainer shell-init bash|zsh|fish{shown}")


def script(shell: str, alias: str = "why", capture: bool = False, python: str | None = None) -> str:
    if shell not in SHELLS:
        raise ShellInitError(f"unsupported shell {shell!r}: use bash, zsh or fish")
    if not ALIAS.match(alias):
        raise ShellInitError(f"not a usable command name: {alias!r}")
    exe = python or sys.executable
    if shell == "fish":
        return _fish(alias, capture, exe)
    return _posix(shell, alias, capture, exe)


def _posix(shell: str, alias: str, capture: bool, exe: str) -> str:
    lines = [
        f"# explainer shell integration ({shell}): `{alias}` explains the last failed Python run",
        f"unalias {alias} 2>/dev/null",
        f'{alias}() {{ {shlex.quote(exe)} -m explainer last "$@"; }}',
        'export EXPLAINER_SHELL_ID="$$-$RANDOM"',
    ]
    if capture:
        site = shlex.quote(str(SITE_DIR))
        lines += [
            f'case ":${{PYTHONPATH-}}:" in *:{site}:*) ;; '
            f'*) export PYTHONPATH={site}"${{PYTHONPATH:+:$PYTHONPATH}}" ;; esac',
        ]
    return "\n".join(lines) + "\n"


def _fish_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish(alias: str, capture: bool, exe: str) -> str:
    lines = [
        f"# explainer shell integration (fish): `{alias}` explains the last failed Python run",
        f"function {alias} --description 'explain the last failed Python run (explainer)'",
        f"    {_fish_quote(exe)} -m explainer last $argv",
        "end",
        "set -gx EXPLAINER_SHELL_ID $fish_pid-(random)",
    ]
    if capture:
        site = _fish_quote(str(SITE_DIR))
        lines += [
            f"if not contains -- {site} $PYTHONPATH",
            f"    set -gx --path PYTHONPATH {site} $PYTHONPATH",
            "end",
        ]
    return "\n".join(lines) + "\n"
