"""The command line as users run it: exit codes, formats, bad input, never a traceback of ours."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from harness import ROOT

EXAMPLE = ROOT / "data" / "examples" / "lenet_64px.txt"
LINEAR_LINE = b"RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x576 and 400x10)\n"


def explainer(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "explainer", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "", **(env or {})},
        timeout=120,
        check=False,
    )


def assert_clean_failure(proc: subprocess.CompletedProcess[bytes], code: int) -> str:
    err = proc.stderr.decode()
    assert proc.returncode == code, (proc.returncode, err, proc.stdout[-500:])
    assert "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("explainer: ")
    return err


def test_pipe_default_command_explains() -> None:
    proc = explainer(stdin=EXAMPLE.read_bytes())
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    for section in ("What happened", "Why", "Arithmetic", "Fix", "Where"):
        assert section in out
    assert "nn.Linear(16 * 13 * 13, 120)" in out
    assert "\x1b[" not in out  # piped: plain text


def test_explain_file_and_dash() -> None:
    assert explainer(str(EXAMPLE)).returncode == 0
    assert explainer("explain", str(EXAMPLE)).returncode == 0
    assert explainer("explain", "-", stdin=EXAMPLE.read_bytes()).returncode == 0


def test_json_contract() -> None:
    proc = explainer("explain", "--json", str(EXAMPLE))
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    for key in (
        "schema_version",
        "status",
        "error",
        "entry",
        "numbers",
        "where",
        "suspects",
        "cause",
        "arithmetic",
        "fix",
        "confidence",
        "alternatives",
    ):
        assert key in data
    assert data["schema_version"] == 1 and data["status"] == "explained"
    assert data["error"] == {
        "type": "RuntimeError",
        "message": "mat1 and mat2 shapes cannot be multiplied (1x2704 and 400x120)",
    }
    assert data["entry"]["family"] == "linear_in_features"
    assert data["numbers"] == {
        "mat1_rows": 1,
        "mat1_cols": 2704,
        "mat2_rows": 400,
        "mat2_cols": 120,
    }
    assert data["where"]["function"] == "forward" and data["where"]["line"] == 27
    assert (
        data["suspects"][0]["line"] == 19
        and "nn.Linear(16 * 5 * 5, 120)" in data["suspects"][0]["code"]
    )
    assert data["fix"]["values"]["in_features"] == 2704
    assert 0.0 <= data["confidence"] <= 1.0


def test_markdown_format() -> None:
    proc = explainer("explain", "--format", "markdown", str(EXAMPLE))
    assert proc.returncode == 0
    out = proc.stdout.decode()
    assert out.startswith("### ") and "```python" in out and "**Fix.**" in out


def test_colour_on_request_and_no_color() -> None:
    assert b"\x1b[" in explainer("--color", str(EXAMPLE)).stdout
    assert b"\x1b[" not in explainer(str(EXAMPLE), env={"NO_COLOR": "1"}).stdout


def test_only_the_final_line() -> None:
    proc = explainer(stdin=LINEAR_LINE)
    assert proc.returncode == 0
    assert b"576" in proc.stdout


def test_unmatched_error_exit_1_shows_parsed_error() -> None:
    text = (
        b'Traceback (most recent call last):\n  File "a.py", line 1, in <module>\n'
        b"    f()\nKeyError: 'lr'\n"
    )
    proc = explainer("--json", stdin=text)
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert data["status"] == "unmatched"
    assert data["error"]["type"] == "KeyError" and data["entry"] is None
    assert "nearest" in data


def test_no_error_exit_2() -> None:
    proc = explainer(stdin=b"epoch 1 loss 0.53\nepoch 2 loss 0.41\ndone\n")
    assert proc.returncode == 2
    data = json.loads(explainer("--json", stdin=b"all good\n").stdout)
    assert data["status"] == "no_error_found"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (bytes(range(256)) * 64, "binary"),
    ],
    ids=["empty", "blank", "binary"],
)
def test_bad_input_one_line_exit_2(data: bytes, fragment: str) -> None:
    err = assert_clean_failure(explainer(stdin=data), 2)
    assert fragment in err


def test_non_utf8_bytes_are_read() -> None:
    text = b"log \xe9\xe8 broken \xff bytes\n" + LINEAR_LINE
    assert explainer(stdin=text).returncode == 0


def test_utf16_powershell_redirect() -> None:
    text = EXAMPLE.read_text().encode("utf-16")
    proc = explainer(stdin=text)
    assert proc.returncode == 0, proc.stderr


def test_truncated_traceback() -> None:
    text = EXAMPLE.read_bytes()
    cut = text[: text.index(b"RuntimeError")]
    proc = explainer("--json", stdin=cut)
    assert proc.returncode in (1, 2)
    assert b"Traceback (most recent" not in proc.stderr


def test_missing_file_and_directory() -> None:
    assert "no such file" in assert_clean_failure(explainer("nope.txt"), 2)
    assert "directory" in assert_clean_failure(explainer(str(ROOT)), 2)


def test_usage_error_exit_2() -> None:
    proc = explainer("explain", "--format", "yaml", str(EXAMPLE))
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr


def test_missing_database(tmp_path: Path) -> None:
    err = assert_clean_failure(
        explainer(str(EXAMPLE), env={"EXPLAINER_DB": str(tmp_path / "x")}), 3
    )
    assert "kb build" in err


def test_corrupt_database(tmp_path: Path) -> None:
    bad = tmp_path / "kb.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    err = assert_clean_failure(explainer(str(EXAMPLE), env={"EXPLAINER_DB": str(bad)}), 3)
    assert "unreadable" in err or "corrupt" in err


def test_database_without_tables(tmp_path: Path) -> None:
    empty = tmp_path / "kb.sqlite"
    sqlite3.connect(empty).execute("create table x (a)").connection.commit()
    assert_clean_failure(explainer(str(EXAMPLE), env={"EXPLAINER_DB": str(empty)}), 3)


def test_input_file_is_left_untouched(tmp_path: Path) -> None:
    copy = tmp_path / "err.txt"
    shutil.copy(EXAMPLE, copy)
    before = (copy.read_bytes(), copy.stat().st_mtime_ns)
    explainer(str(copy))
    assert (copy.read_bytes(), copy.stat().st_mtime_ns) == before


def test_one_gigabyte_log_file_reads_only_the_tail(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    tail = b"".join(b"step %d loss 0.5\n" % i for i in range(400_000)) + EXAMPLE.read_bytes()
    with open(log, "wb") as handle:
        handle.truncate((1 << 30) - len(tail))
        handle.seek((1 << 30) - len(tail))
        handle.write(tail)
    assert log.stat().st_size == 1 << 30
    proc = explainer("--json", str(log))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["entry"]["family"] == "linear_in_features"
    assert any("MiB" in note for note in data["notes"])


def test_streamed_log_memory_stays_flat() -> None:
    """300 MB of log through stdin: the tail is kept, memory does not grow with the input.

    A small driver process starts the pipeline and reports its children's peak memory: a child
    forked from this (large) pytest process would count pytest's pages as its own.
    """
    driver = f"""
import json, resource, subprocess, sys
producer = subprocess.Popen([sys.executable, "-c", {PRODUCER!r}], stdout=subprocess.PIPE)
consumer = subprocess.run([sys.executable, "-m", "explainer", "--json"], stdin=producer.stdout,
                          capture_output=True, cwd={str(ROOT)!r})
producer.wait()
print(json.dumps({{"rc": consumer.returncode, "status": json.loads(consumer.stdout)["status"],
                  "peak_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}}))
"""
    proc = subprocess.run(
        [sys.executable, "-c", driver], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["rc"] == 0 and result["status"] == "explained"
    assert result["peak_kib"] < 150 * 1024, f"peak RSS {result['peak_kib']} KiB"


PRODUCER = (
    "import sys\n"
    "line = b'step 1 loss 0.5 ' * 8 + b'\\n'\n"
    "chunk = line * 8192\n"
    "for _ in range(300 * 1024 * 1024 // len(chunk)):\n"
    "    sys.stdout.buffer.write(chunk)\n"
    f"sys.stdout.buffer.write({EXAMPLE.read_bytes()!r})\n"
)


def test_show_and_search() -> None:
    proc = explainer("show", "linear-in-features")
    assert proc.returncode == 0 and b"in_features" in proc.stdout
    data = json.loads(explainer("show", "--json", "linear-in-features").stdout)
    assert data["family"] == "linear_in_features" and data["examples"]
    assert_clean_failure(explainer("show", "no-such-entry"), 2)
    hits = json.loads(explainer("search", "--json", "in_features").stdout)
    assert any(h["id"] == "linear-in-features" for h in hits)


def test_help_and_version() -> None:
    assert explainer("--help").returncode == 0
    assert explainer("--version").stdout.startswith(b"explainer")


def test_kb_check_passes() -> None:
    proc = explainer("kb", "check")
    assert proc.returncode == 0, proc.stdout.decode()[-2000:]


def _one_entry_kb(tmp_path: Path, arithmetic: str) -> Path:
    kb_dir = tmp_path / "kb"
    (kb_dir / "entries").mkdir(parents=True)
    entry = (ROOT / "kb" / "entries" / "linear-in-features.toml").read_text()
    entry = entry.replace('arithmetic = "linear.in_features"', f'arithmetic = "{arithmetic}"')
    (kb_dir / "entries" / "linear-in-features.toml").write_text(entry)
    db = tmp_path / "kb.sqlite"
    assert explainer("kb", "build", "--kb-dir", str(kb_dir), "--out", str(db)).returncode == 0
    return db


def test_internal_error_is_one_line(tmp_path: Path) -> None:
    """A failure inside explainer (here: a knowledge base holding a regex that does not compile)."""
    db = _one_entry_kb(tmp_path, "linear.in_features")
    with sqlite3.connect(db) as conn:
        conn.execute("update patterns set regex = 'mat1 and mat2 (unclosed'")
    err = assert_clean_failure(explainer(str(EXAMPLE), env={"EXPLAINER_DB": str(db)}), 3)
    assert "internal error" in err


def test_failing_arithmetic_degrades_to_the_entry(tmp_path: Path) -> None:
    """An entry whose arithmetic breaks still says what the error means, and says it broke."""
    db = _one_entry_kb(tmp_path, "linear.no_such")
    proc = explainer("--json", str(EXAMPLE), env={"EXPLAINER_DB": str(db)})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["entry"]["id"] == "linear-in-features" and data["confidence"] <= 0.5
    assert any("arithmetic" in note and "failed" in note for note in data["notes"])
