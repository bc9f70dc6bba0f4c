"""The local history: its small API, the CLI (`history`, `--clear`, `--no-history`), recording
from every command, many processes recording at the same moment, and a damaged history file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from harness import ROOT

from explainer import history
from explainer.explain import explain_text
from explainer.kb.store import KnowledgeBase

EXAMPLE = ROOT / "data" / "examples" / "lenet_64px.txt"
SECRET = "sk-live-0123456789"
LINEAR = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x576 and 400x10)"


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EXPLAINER_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("EXPLAINER_NO_HISTORY", raising=False)
    return tmp_path


def explainer(state: Path, *args: str, stdin: bytes | None = None, **env: str):
    return subprocess.run(
        [sys.executable, "-m", "explainer", *args],
        input=stdin,
        capture_output=True,
        cwd=state,
        env={**os.environ, "EXPLAINER_STATE_DIR": str(state), "NO_COLOR": "1", **env},
        timeout=120,
        check=False,
    )


def test_record_recent_get_clear(state: Path) -> None:
    kb = KnowledgeBase(ROOT / "data" / "kb.sqlite")
    exp = explain_text(EXAMPLE.read_text(), kb)
    first = history.record(exp, source="explain", text=f"token={SECRET}\n" + EXAMPLE.read_text())
    second = history.record(exp, source="run", command="python train.py", cwd="/somewhere")
    assert first is not None and second == first + 1
    entries = history.recent(10)
    assert [e.id for e in entries] == [second, first]  # newest first
    newest = entries[0]
    assert newest.source == "run" and newest.command == "python train.py"
    assert newest.cwd == "/somewhere" and newest.family == "linear_in_features"
    assert newest.error.startswith("RuntimeError: mat1 and mat2")
    assert newest.location and newest.location.endswith(":27")
    assert history.get(first).text.startswith("token=")  # type: ignore[union-attr]
    assert history.get(999) is None
    path = history.history_path()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert history.clear() == 2 and history.recent() == []
    assert SECRET.encode() not in path.read_bytes()  # scrubbed from the file, not only hidden


def test_nothing_recorded_when_off_or_not_an_error(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = KnowledgeBase(ROOT / "data" / "kb.sqlite")
    assert history.record(explain_text("all good\n", kb), source="explain") is None
    monkeypatch.setenv("EXPLAINER_NO_HISTORY", "1")
    assert history.record(explain_text(EXAMPLE.read_text(), kb), source="explain") is None
    assert history.recent() == [] and not history.history_path().exists()


def test_history_keeps_the_newest(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "KEEP", 5)
    exp = explain_text(LINEAR, KnowledgeBase(ROOT / "data" / "kb.sqlite"))
    ids = [history.record(exp, source="explain") for _ in range(12)]
    assert [e.id for e in history.recent(100)] == ids[::-1][:5]


RECORDER = """
import sys, time
from explainer import history
from explainer.explain import explain_text
from explainer.kb.store import KnowledgeBase
exp = explain_text(sys.argv[1], KnowledgeBase())
start = float(sys.argv[2])
while time.time() < start:
    pass
for _ in range(int(sys.argv[3])):
    history.record(exp, source="run", command=f"worker {sys.argv[4]}")
"""


def test_parallel_processes_record_at_the_same_moment(state: Path) -> None:
    """Eight processes, released together, 25 records each, on a history that does not exist yet."""
    import time

    start = time.time() + 2.5
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RECORDER, LINEAR, str(start), "25", str(n)],
            env={**os.environ, "EXPLAINER_STATE_DIR": str(state)},
            stderr=subprocess.PIPE,
            cwd=ROOT,
        )
        for n in range(8)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    entries = history.recent(1000)
    assert len(entries) == 200 and len({e.id for e in entries}) == 200
    assert {e.command for e in entries} == {f"worker {n}" for n in range(8)}
    conn = sqlite3.connect(history.history_path())
    assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_parallel_failed_runs_through_the_cli(state: Path) -> None:
    """Six `explainer run` of failing programs finishing together: six entries, none lost."""
    script = state / "fail.py"
    script.write_text(f"raise RuntimeError('{LINEAR.split(': ', 1)[1]}')\n")
    env = {**os.environ, "EXPLAINER_STATE_DIR": str(state), "NO_COLOR": "1"}
    env.pop("EXPLAINER_NO_HISTORY", None)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "explainer", "run", "python", str(script)],
            env=env,
            cwd=state,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(6)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 1
        assert b"history not recorded" not in err
    entries = history.recent(100)
    assert len(entries) == 6 and {e.source for e in entries} == {"run"}


def test_cli_records_lists_and_clears(state: Path) -> None:
    assert explainer(state, "explain", str(EXAMPLE)).returncode == 0
    assert explainer(state, "explain", "--no-history", str(EXAMPLE)).returncode == 0
    assert explainer(state, "explain", str(EXAMPLE), EXPLAINER_NO_HISTORY="1").returncode == 0
    assert explainer(state, "explain", stdin=b"no error here\n").returncode == 2
    (state / "logs").mkdir()
    (state / "logs" / "rank0.log").write_text(EXAMPLE.read_text())
    assert explainer(state, "scan", str(state / "logs")).returncode == 0
    listing = explainer(state, "history")
    assert listing.returncode == 0
    lines = listing.stdout.decode().splitlines()
    assert len([line for line in lines if "linear-in-features" in line]) == 2
    rows = [json.loads(line) for line in explainer(state, "history", "--json").stdout.splitlines()]
    assert [r["source"] for r in rows] == ["scan", "explain"]
    shown = explainer(state, "history", str(rows[1]["id"]), "--json")
    assert shown.returncode == 0
    assert json.loads(shown.stdout)["entry"]["family"] == "linear_in_features"
    assert explainer(state, "history", "12345").returncode == 2
    cleared = explainer(state, "history", "--clear")
    assert cleared.returncode == 0 and b"forgot 2" in cleared.stdout
    assert explainer(state, "history", "--json").stdout == b""


def test_last_and_ipython_sources(state: Path) -> None:
    site = ROOT / "explainer" / "shell" / "site"
    (state / "fail.py").write_text(f"raise RuntimeError('{LINEAR.split(': ', 1)[1]}')\n")
    subprocess.run(
        [sys.executable, "fail.py"],
        cwd=state,
        env={**os.environ, "EXPLAINER_STATE_DIR": str(state), "PYTHONPATH": str(site)},
        capture_output=True,
        check=False,
    )
    assert explainer(state, "last").returncode == 0
    entry = history.recent(1)[0]
    assert entry.source == "last" and entry.command.endswith(" fail.py")


def test_a_damaged_history_never_fails_an_explanation(state: Path) -> None:
    history.history_path().write_bytes(b"this is not a database" * 100)
    proc = explainer(state, "explain", str(EXAMPLE))
    assert proc.returncode == 0 and b"What happened" in proc.stdout
    assert proc.stderr.decode().strip().startswith("explainer: history not recorded")
    listing = explainer(state, "history")
    assert listing.returncode == 3 and b"history --clear" in listing.stderr
    assert b"Traceback" not in listing.stderr
    assert explainer(state, "history", "--clear").returncode == 0
    assert explainer(state, "explain", str(EXAMPLE)).stderr == b""
    assert len(history.recent()) == 1


def test_an_unwritable_state_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    proc = explainer(tmp_path, "explain", str(EXAMPLE), EXPLAINER_STATE_DIR=str(blocker / "x"))
    assert proc.returncode == 0
    assert len(proc.stderr.decode().strip().splitlines()) == 1
