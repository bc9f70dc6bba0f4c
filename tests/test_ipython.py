"""`%load_ext explainer` in a real terminal IPython (driven through a pseudo-terminal) and in a
notebook executed by nbclient on a real kernel, both with real torch and live shapes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest

CELLS = [
    "%load_ext explainer",
    "import torch, torch.nn as nn\nfc = nn.Linear(400, 120)\nx = torch.randn(4, 576)",
    "y = fc(x)",
    "1/0",
]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "EXPLAINER_STATE_DIR": str(tmp_path / "state"),
        "IPYTHONDIR": str(tmp_path / "ipython"),  # no user profile, no startup files
        "NO_COLOR": "1",
        "TERM": "dumb",
    }


def test_terminal_ipython(tmp_path: Path, env: dict[str, str]) -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "IPython", "--simple-prompt", "--no-banner", "--colors=nocolor"],
        env=env,
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=120,
        dimensions=(60, 200),
    )

    def cell(code: str) -> str:
        child.sendline(code.replace("\n", "; "))
        child.sendline("print('CELL' + '-DONE')")
        child.expect("CELL-DONE")
        return child.before

    try:
        for code in CELLS[:2]:
            cell(code)
        screen = cell(CELLS[2])
        error_at = screen.index("RuntimeError: mat1 and mat2 shapes cannot be multiplied")
        explained_at = screen.index("nn.Linear's in_features does not match")
        assert error_at < explained_at  # under IPython's own traceback
        assert "x: [4, 576] float32 cpu" in screen and "fc.weight: [120, 400] float32 cpu" in screen
        assert "in_features=576" in screen
        screen = cell(CELLS[3])
        assert "ZeroDivisionError" in screen and "What happened" not in screen
        cell("%unload_ext explainer")
        screen = cell(CELLS[2])
        assert "RuntimeError: mat1" in screen and "What happened" not in screen
    finally:
        child.sendline("exit")
        child.close(force=True)


def test_notebook_with_nbclient(tmp_path: Path, env: dict[str, str]) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(code) for code in CELLS]
    saved = dict(os.environ)
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        nbclient.NotebookClient(
            notebook, timeout=180, kernel_name="python3", allow_errors=True
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    failing = notebook.cells[2].outputs
    assert [o["output_type"] for o in failing] == ["error", "display_data"]
    assert failing[0]["ename"] == "RuntimeError"
    data = failing[1]["data"]
    markdown = data["text/markdown"]
    assert markdown.startswith("### nn.Linear's in_features")
    assert "**Live shapes**" in markdown and "`x: [4, 576] float32 cpu`" in markdown
    assert "in_features=576" in data["text/plain"]
    assert [o["output_type"] for o in notebook.cells[3].outputs] == ["error"]
    assert (tmp_path / "state" / "history.sqlite").exists()  # recorded, as every explanation
