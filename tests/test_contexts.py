"""Tracebacks in the contexts users paste them from, produced by really running torch:
a logged failure with timestamps, chained exceptions, C++ frames, torch.compile, torchrun's
per-rank prefixes, IPython cells with and without colour."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from harness import TESTS

from explainer.explain import explain_text
from explainer.parsing import parse

CONTEXTS = TESTS / "contexts"
BIN = Path(sys.executable).parent


def run(args: list[str], env: dict[str, str] | None = None, timeout: int = 240) -> str:
    proc = subprocess.run(
        args,
        cwd=CONTEXTS,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert proc.returncode != 0, f"{args} did not fail:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def script(name: str, env: dict[str, str] | None = None) -> str:
    return run([sys.executable, str(CONTEXTS / name)], env)


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    return {}


def _cached(outputs: dict[str, str], key: str, make) -> str:
    if key not in outputs:
        outputs[key] = make()
    return outputs[key]


def assert_linear(exp, user_file: str = "net.py") -> None:
    assert exp.status == "explained", exp.status
    assert exp.family == "linear_in_features"
    assert exp.numbers["mat1_cols"] == 576 and exp.numbers["mat2_rows"] == 400
    assert exp.where is not None and exp.where.file.endswith(user_file)
    assert exp.fix is not None and exp.fix.values["in_features"] == 576


def test_logged_with_timestamps(kb, outputs) -> None:
    text = _cached(outputs, "logged", _logged)
    parsed = parse(text)
    assert parsed.error is not None and parsed.error.type == "RuntimeError"
    assert "shutting down" not in parsed.error.message
    assert_linear(explain_text(text, kb))


def _logged() -> str:
    proc = subprocess.run(
        [sys.executable, str(CONTEXTS / "logged.py")],
        cwd=CONTEXTS,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return proc.stdout + proc.stderr


def test_chained_direct_cause(kb, outputs) -> None:
    text = _cached(outputs, "chained", lambda: script("chained.py"))
    parsed = parse(text)
    assert parsed.error is not None and parsed.error.short_type == "TrainingError"
    assert [b.link for b in parsed.chain] == ["cause"]
    exp = explain_text(text, kb)
    assert_linear(exp)


def test_chained_during_handling(kb, outputs) -> None:
    text = _cached(outputs, "handling", lambda: script("handling.py"))
    parsed = parse(text)
    assert parsed.error is not None and parsed.error.type == "ValueError"
    assert [b.link for b in parsed.chain] == ["context"]
    assert_linear(explain_text(text, kb))


def test_cpp_frames(kb, outputs) -> None:
    text = _cached(outputs, "cpp", lambda: script("plain.py", {"TORCH_SHOW_CPP_STACKTRACES": "1"}))
    assert "Exception raised from" in text
    parsed = parse(text)
    assert parsed.error is not None and parsed.error.cpp_frames
    assert "Exception raised from" not in parsed.error.message
    assert "CapturedTraceback" not in parsed.error.message
    assert_linear(explain_text(text, kb))


def test_torch_compile_wrapper(kb, outputs) -> None:
    text = _cached(outputs, "compiled", lambda: script("compiled.py"))
    parsed = parse(text)
    assert parsed.error is not None and "TorchRuntimeError" in (parsed.error.type or "")
    assert parsed.inner_messages, "the inner message of the dynamo wrapper was not found"
    exp = explain_text(text, kb)
    assert exp.family == "linear_in_features"
    assert exp.where is not None and exp.where.file.endswith("net.py")


@pytest.mark.skipif(not (BIN / "torchrun").exists(), reason="torchrun not installed")
def test_torchrun_rank_prefixes(kb, outputs) -> None:
    text = _cached(
        outputs,
        "torchrun",
        lambda: run(
            [str(BIN / "torchrun"), "--nproc_per_node=2", "--tee", "3", str(CONTEXTS / "plain.py")]
        ),
    )
    assert "[rank1]:" in text and "ChildFailedError" in text
    parsed = parse(text)
    assert parsed.error is not None and parsed.error.type == "RuntimeError"
    assert set(clean_ranks(text)) >= {"0", "1"}
    assert_linear(explain_text(text, kb))


def clean_ranks(text: str) -> list[str]:
    from explainer.parsing.clean import clean

    return clean(text).ranks


IPYTHON = shutil.which("ipython", path=str(BIN)) or shutil.which("ipython")


@pytest.mark.skipif(IPYTHON is None, reason="IPython not installed")
@pytest.mark.parametrize("colors", ["NoColor", "Linux"])
def test_ipython_cell(kb, outputs, colors: str) -> None:
    code = (CONTEXTS / "net.py").read_text() + "\nNet()(batch())\n"
    text = _cached(
        outputs,
        f"ipython-{colors}",
        lambda: run([IPYTHON, f"--colors={colors}", "--no-banner", "-c", code]),
    )
    if colors == "Linux":
        assert "\x1b[" in text
    parsed = parse(text)
    assert parsed.error is not None and parsed.error.type == "RuntimeError"
    cells = [f for f in parsed.error.frames if f.file.startswith("Cell In")]
    assert cells and all(f.is_user for f in cells)
    assert cells[-1].function == "Net.forward" and cells[-1].code == "return self.fc(x)"
    exp = explain_text(text, kb)
    assert exp.family == "linear_in_features"
    assert exp.where is not None and exp.where.file.startswith("Cell In")


def test_ipython7_old_frame_layout(kb) -> None:
    text = (TESTS / "fixtures" / "contexts" / "ipython7_cell.txt").read_text()
    parsed = parse(text)
    assert parsed.error is not None and parsed.error.type == "RuntimeError"
    cells = [f for f in parsed.error.frames if f.file.startswith("<ipython-input")]
    assert [f.function for f in cells] == ["<cell line: 0>", "forward"]
    assert cells[-1].line == 12 and cells[-1].code == "return self.fc(x)"
    library = [f for f in parsed.error.frames if not f.is_user]
    assert library and all("site-packages" in f.file for f in library)
    exp = explain_text(text, kb)
    assert exp.family == "linear_in_features" and exp.where is not None
    assert exp.where.function == "forward"
