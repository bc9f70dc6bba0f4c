"""`explainer repro` as users run it: what it says before running, and every way user code can
misbehave (a failing import, an endless loop, a flood of output, sys.exit, os._exit, a memory
hog) ends in a clear report and its exit code, never a hang or a traceback of ours."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from harness import ROOT

CASES = ROOT / "tests" / "repro_cases"
MISBEHAVING = "tests/repro_cases/misbehaving.py"
LENET = ROOT / "data" / "examples" / "lenet_64px.txt"


def explainer(
    *args: str, stdin: bytes | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "explainer", *args],
        input=stdin.decode() if stdin else None,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=timeout,
        check=False,
    )


def model(name: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return explainer(
        "repro", "--json", "--model", f"{MISBEHAVING}:{name}", "--input", "2,4", *args,
        timeout=timeout,
    )  # fmt: skip


def report(proc: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(proc.stdout)["repro"]


def test_first_line_says_what_runs_and_output_has_table_and_diff() -> None:
    proc = explainer("repro", str(LENET))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(
        "explainer repro: replays tests/zoo/linear_in_features_lenet_64px.py"
    )
    assert "in a subprocess on meta (limits 60 s" in lines[0]
    assert lines[1].startswith("Reproduced on meta")
    failing = [line for line in lines if "◀ fails here" in line]
    assert len(failing) == 1 and failing[0].split()[:2] == ["fc1", "Linear"]
    assert "fix verified: forward completes, output [1, 10]" in proc.stdout
    assert "+        self.fc1 = nn.Linear(16 * 13 * 13, 120)" in proc.stdout
    assert "\x1b[" not in proc.stdout


def test_explain_with_repro_adds_the_table() -> None:
    text = explainer("explain", "--repro", str(LENET))
    assert text.returncode == 0, text.stderr
    assert text.stdout.index("What happened") < text.stdout.index("explainer repro: replays")
    assert "◀ fails here" in text.stdout
    data = json.loads(explainer("explain", "--json", "--repro", str(LENET)).stdout)
    assert data["schema_version"] == 1 and data["entry"]["family"] == "linear_in_features"
    repro = data["repro"]
    for key in ("device", "layers", "failed_at", "confirmed", "fix_verified", "fix_output"):
        assert key in repro, key
    assert repro["device"] == "meta" and repro["failed_at"] == "net.fc1"
    assert repro["fix_verified"] is True and repro["fix_output"] == [[1, 10]]
    layer = repro["layers"][1]
    assert set(layer) >= {"path", "type", "input", "output", "params"}
    assert layer["input"] == [1, 1, 64, 64] and layer["params"] == 156


def test_json_goes_to_stdout_and_the_announcement_to_stderr() -> None:
    proc = explainer("repro", "--json", "--no-fix", str(LENET))
    assert proc.returncode == 0
    assert proc.stderr.startswith("explainer repro: replays")
    data = json.loads(proc.stdout)
    assert data["repro"]["fix_verified"] is None and data["repro"]["status"] == "reproduced"


def test_explicit_model_without_traceback_traces_it() -> None:
    proc = model("Fine")
    assert proc.returncode == 0, proc.stderr
    rep = report(proc)
    assert rep["status"] == "ran" and rep["error"] is None
    assert [
        (r["path"], r["input"], r["output"]) for r in rep["layers"] if r["kind"] == "module"
    ] == [
        ("Fine", [2, 4], [2, 2]),
        ("Fine.fc", [2, 4], [2, 2]),
    ]


def test_import_error_is_reported() -> None:
    proc = explainer(
        "repro", "--model", "tests/repro_cases/import_error.py:Net", "--input", "2,4", "--json"
    )
    assert proc.returncode == 5
    rep = report(proc)
    assert rep["status"] == "load_failed"
    assert "ModuleNotFoundError: No module named 'definitely_missing_module_xyz'" in rep["message"]
    assert "import_error.py, line 3" in rep["message"]


def test_endless_loop_is_stopped_at_the_timeout() -> None:
    start = time.monotonic()
    proc = model("Forever", "--timeout", "6", timeout=60)
    assert time.monotonic() - start < 30
    assert proc.returncode == 5
    rep = report(proc)
    assert rep["status"] == "timeout"
    assert rep["message"].startswith("stopped after 6 s (--timeout)")
    assert "Forever" in rep["message"]


def test_megabytes_of_output_are_kept_short() -> None:
    proc = model("Chatty")
    assert proc.returncode == 0, proc.stderr
    rep = report(proc)
    assert rep["status"] == "ran"
    assert any("printed 2.9 MiB" in n for n in rep["notes"]), rep["notes"]
    assert len(rep["output"]) < 40_000


def test_endless_output_never_hangs() -> None:
    start = time.monotonic()
    proc = model("Flood", "--timeout", "20", timeout=90)
    assert time.monotonic() - start < 60
    assert proc.returncode == 5
    assert report(proc)["status"] in ("output_flood", "timeout")


@pytest.mark.parametrize(
    ("name", "status", "text"),
    [
        ("Exits", "exited", "your code called sys.exit(3)"),
        ("HardExit", "crashed", "ended the process (exit code 7)"),
    ],
)
def test_exits_are_reported(name: str, status: str, text: str) -> None:
    proc = model(name)
    assert proc.returncode == 5
    rep = report(proc)
    assert rep["status"] == status and text in rep["message"]


def test_memory_hog_hits_the_limit() -> None:
    start = time.monotonic()
    proc = model("Hog", "--device", "cpu", "--memory", "2G", timeout=120)
    assert time.monotonic() - start < 60
    assert proc.returncode == 5
    rep = report(proc)
    assert rep["status"] in ("out_of_memory", "crashed"), rep
    assert "memory" in rep["message"]


def test_another_error_is_reported_as_such() -> None:
    proc = model("Raises")
    assert proc.returncode == 1
    rep = report(proc)
    assert rep["status"] == "failed"
    assert rep["error"] == {"type": "KeyError", "message": "'missing'"}
    assert rep["failed_at"] == "Raises"


def test_cuda_device_side_assert_is_recovered_on_cpu(tmp_path: Path) -> None:
    script = CASES / "embedding_assert.py"
    text = (
        "/pytorch/aten/src/ATen/native/cuda/Indexing.cu:1284: indexSelectLargeIndex: block: "
        "[0,0,0], thread: [0,0,0] Assertion `srcIndex < srcSelectDimSize` failed.\n"
        "Traceback (most recent call last):\n"
        f'  File "{script}", line 19, in <module>\n'
        "    logits = model(ids)\n"
        f'  File "{script}", line 14, in forward\n'
        "    return self.out(self.embed(ids))\n"
        "RuntimeError: CUDA error: device-side assert triggered\n"
    )
    err = tmp_path / "cuda.txt"
    err.write_text(text)
    proc = explainer("repro", "--json", str(err))
    assert proc.returncode == 0, proc.stdout[-2000:]
    rep = report(proc)
    assert rep["device"] == "cpu" and rep["recovered"] is True
    assert rep["error"] == {"type": "IndexError", "message": "index out of range in self"}
    assert rep["failed_at"] == "model.embed"
    assert any("has 100 rows (ids 0 to 99)" in c and "from 3 to 100" in c for c in rep["confirmed"])


def test_cuda_absent_gets_a_clear_message() -> None:
    proc = explainer("repro", "--device", "cuda", str(LENET))
    assert proc.returncode == 2
    assert "--device cuda: CUDA is not available here" in proc.stdout
    rep = report(explainer("repro", "--json", "--device", "cuda", str(LENET)))
    assert rep["status"] == "device_unavailable"


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (("repro", "--input", "32,three"), "is not a shape"),
        (("repro", "--args", "{nope"), "--args is not JSON"),
        (("repro", "--model", "nowhere.py:Net"), "--model: no file nowhere.py"),
        (("repro", "--memory", "12 parsecs"), "--memory"),
    ],
)
def test_usage_errors_are_one_line(args: tuple[str, ...], text: str) -> None:
    proc = explainer(*args, str(LENET))
    assert proc.returncode == 2
    assert proc.stderr.startswith("explainer: ") and text in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_no_traceback_says_what_to_pass() -> None:
    proc = explainer("repro", stdin=b"all good here\n")
    assert proc.returncode == 2
    assert "no traceback to reproduce" in proc.stderr and "--model file.py:Class" in proc.stderr


def test_without_torch_one_line_and_its_own_exit_code(tmp_path: Path) -> None:
    """A Python that has explainer and its dependencies but no torch."""
    import click
    import regex

    for module in (click, regex):
        (tmp_path / module.__name__).symlink_to(Path(module.__file__).parent)
    (tmp_path / "explainer").symlink_to(ROOT / "explainer")
    code = (
        f"import sys; sys.path[:0] = [{str(tmp_path)!r}]; sys.argv = ['explainer', 'repro', "
        f"{str(LENET)!r}]; from explainer.cli import main; main()"
    )
    proc = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert proc.returncode == 4, proc.stderr
    assert proc.stderr.strip() == (
        "explainer: explainer repro needs PyTorch, which is not installed here: "
        "pip install 'explainer[torch]'"
    )


def test_the_parent_never_imports_torch() -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "explainer", "repro", "--no-fix", str(LENET)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0
    names = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "explainer.repro.command" in names
    assert not {n for n in names if n.split(".")[0] in ("torch", "numpy")}


def test_the_explain_path_does_not_load_the_reproducer() -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "explainer", "explain", "--json", str(LENET)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    names = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert names and not {n for n in names if n.startswith("explainer.repro")}
