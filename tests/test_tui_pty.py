"""The real `explainer tui` in a terminal: tmux when installed, else pexpect on a pty.

These start the installed command as a user would, press keys and read what the terminal shows.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from harness import ROOT

pytest.importorskip("textual")

EXAMPLE = ROOT / "data" / "examples" / "lenet_64px.txt"
ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[\]P][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[=>()][0-9A-Za-z]?"
)
TIMEOUT = 60.0


class Terminal:
    """A program on a terminal of its own: `send` keys, `text` is what the terminal shows."""

    @staticmethod
    def gap(key: str) -> None:
        # An escape closely followed by a key reads as Alt+key, in any terminal program.
        time.sleep(0.4 if key == "escape" else 0.05)

    def start(self, command: str, cache: Path) -> None:
        raise NotImplementedError

    def send(self, *keys: str) -> None:
        raise NotImplementedError

    def text(self) -> str:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def wait_for(self, pattern: str, timeout: float = TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        shown = ""
        while time.monotonic() < deadline:
            shown = self.text()
            if re.search(pattern, shown):
                return shown
            time.sleep(0.1)
        raise AssertionError(f"{pattern!r} never appeared; the terminal shows:\n{shown}")


class Tmux(Terminal):
    """tmux on a socket of its own, so the user's tmux server is never touched."""

    KEYS = {"escape": "Escape", "enter": "Enter"}

    def __init__(self) -> None:
        self.socket = f"explainer-test-{uuid.uuid4().hex[:8]}"

    def _tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout

    def start(self, command: str, cache: Path) -> None:
        env = f"EXPLAINER_CACHE_DIR={shlex.quote(str(cache))} TERM=xterm-256color"
        shell = f"cd {shlex.quote(str(ROOT))} && env {env} {command}; echo EXIT=$?; sleep 60"
        self._tmux("new-session", "-d", "-s", "t", "-x", "100", "-y", "30", shell)

    def send(self, *keys: str) -> None:
        for key in keys:
            self._tmux("send-keys", "-t", "t", self.KEYS.get(key, key))
            self.gap(key)

    def text(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "t")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)


class Pexpect(Terminal):
    """No tmux: pexpect on a pty; the text is the output so far with escape codes removed."""

    KEYS = {"escape": "\x1b", "enter": "\r"}

    def start(self, command: str, cache: Path) -> None:
        import pexpect

        env = dict(os.environ, EXPLAINER_CACHE_DIR=str(cache), TERM="xterm-256color")
        shell = f"{command}; echo EXIT=$?"
        self.child = pexpect.spawn(
            "bash", ["-c", shell], cwd=str(ROOT), env=env, dimensions=(30, 100), encoding="utf-8"
        )
        self.seen = ""

    def send(self, *keys: str) -> None:
        for key in keys:
            self.child.send(self.KEYS.get(key, key))
            self.gap(key)

    def text(self) -> str:
        import pexpect

        try:
            while True:
                self.seen += self.child.read_nonblocking(65536, timeout=0.05)
        except (pexpect.TIMEOUT, pexpect.EOF):
            pass
        return ANSI.sub("", self.seen)

    def close(self) -> None:
        self.child.terminate(force=True)


@pytest.fixture
def terminal(tmp_path: Path):  # type: ignore[no-untyped-def]
    term: Terminal
    # EXPLAINER_TEST_TERMINAL=pexpect tries the fallback where tmux is installed.
    if shutil.which("tmux") and os.environ.get("EXPLAINER_TEST_TERMINAL") != "pexpect":
        term = Tmux()
    else:
        pytest.importorskip("pexpect")
        term = Pexpect()
    term.cache = tmp_path / "cache"  # type: ignore[attr-defined]
    yield term
    term.close()


def explainer_tui(*args: str) -> str:
    return " ".join(
        [shlex.quote(sys.executable), "-m", "explainer", "tui", *map(shlex.quote, args)]
    )


def test_tui_opens_a_file_copies_the_fix_and_quits(terminal: Terminal, tmp_path: Path) -> None:
    terminal.start(explainer_tui(str(EXAMPLE)), tmp_path / "cache")
    terminal.wait_for("What happened")
    terminal.wait_for("Copy fix")
    terminal.send("c")
    terminal.wait_for("Copied to the clipboard")
    assert (tmp_path / "cache" / "last-fix.py").read_text().startswith("self.fc1 = nn.Linear")
    terminal.send("q")
    terminal.wait_for("EXIT=0")


def test_tui_reads_piped_stdin_then_the_keyboard(terminal: Terminal, tmp_path: Path) -> None:
    command = f"cat {shlex.quote(str(EXAMPLE))} | {explainer_tui()}"
    terminal.start(command, tmp_path / "cache")
    terminal.wait_for("linear-in-features")
    terminal.send("escape")
    terminal.wait_for(r"entries in \d+ families")
    terminal.send("/", *"batch siz")
    terminal.wait_for(r"matching entries")
    terminal.send("enter", "enter")
    terminal.wait_for("What it means")
    terminal.send("escape", "q")
    terminal.wait_for("EXIT=0")


def test_tui_without_textual_says_how_to_install_it(tmp_path: Path) -> None:
    (tmp_path / "textual.py").write_text("raise ImportError('No module named textual')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    proc = subprocess.run(
        [sys.executable, "-m", "explainer", "tui"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 4
    assert proc.stderr.strip() == "explainer: the TUI needs textual: pip install 'explainer[tui]'"


def test_tui_off_a_terminal_is_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "explainer", "tui", str(EXAMPLE)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
        timeout=60,
        check=False,
        start_new_session=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "terminal" in proc.stderr


def test_tui_missing_file_is_a_usage_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "explainer", "tui", "no/such/file.txt"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "no such file" in proc.stderr
