"""`--redact`: remove home folders, user names and the host name before pasting in public.

`/home/alice/proj/net.py` becomes `~/proj/net.py` (any user's home, not only this one's, since
logs come from clusters), and this machine's user and host names become `<user>` and `<host>`.
A user name that is also an ordinary word (`root`, `user`) is replaced only inside paths, so
"root cause" stays readable.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
from typing import Any

HOME_PATTERNS = [
    re.compile(r"/(?:home|Users)/[^/\s\"'`:]+"),
    re.compile(r"(?<![\w./-])/root(?=/)"),
    # Windows, also as escaped in JSON strings (C:\\Users\\bob).
    re.compile(r"[A-Za-z]:(\\{1,2})(?:Users|Documents and Settings)\1[^\\\s\"'`:]+", re.I),
]
COMMON_WORDS = {
    "root", "user", "admin", "ubuntu", "runner", "jovyan", "guest", "test", "dev", "home",
    "data", "train", "model", "python", "torch", "ec2-user", "vagrant", "docker", "colab",
}  # fmt: skip


def _words() -> list[tuple[str, str]]:
    """(name, replacement) for this machine's user and host names."""
    out: list[tuple[str, str]] = []
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name is no reason to fail
        user = os.environ.get("USER", "")
    if len(user) >= 3 and user.lower() not in COMMON_WORDS:
        out.append((user, "<user>"))
    host = socket.gethostname().split(".")[0]
    if len(host) >= 3 and host.lower() not in COMMON_WORDS:
        out.append((host, "<host>"))
    return out


def redact_text(text: str) -> str:
    home = os.path.expanduser("~").rstrip("/\\")
    if len(home) > 1:  # this machine's home, wherever it is, but not inside another path
        text = re.sub(rf"(?<![\w./-]){re.escape(home)}(?![\w.-])", "~", text)
    for pattern in HOME_PATTERNS:
        text = pattern.sub(lambda m: "~", text)
    for word, replacement in _words():
        text = re.sub(rf"(?<![\w.-]){re.escape(word)}(?![\w-])", replacement, text)
    return text


def redact_value(value: Any) -> Any:
    """Every string inside a JSON-like value, redacted; keys are left alone."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    return value


def redact_output(rendered: str, fmt: str) -> str:
    """Redact what a renderer produced; JSON is redacted value by value so it stays valid."""
    if fmt != "json":
        return redact_text(rendered)
    try:
        data = json.loads(rendered)
    except ValueError:
        return redact_text(rendered)
    end = "\n" if rendered.endswith("\n") else ""
    return json.dumps(redact_value(data), indent=2, ensure_ascii=False) + end
