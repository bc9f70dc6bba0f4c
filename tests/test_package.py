"""The built wheel carries the knowledge base and works without the source tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from harness import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"pip wheel failed: {proc.stderr[-2000:]}")
    (found,) = out.glob("explainer-*.whl")
    return found


def test_wheel_ships_the_database(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "explainer/_data/kb.sqlite" in names
    data = zipfile.ZipFile(wheel).read("explainer/_data/kb.sqlite")
    assert data == (ROOT / "data" / "kb.sqlite").read_bytes()
    assert not any(name.startswith(("tests/", "kb/")) for name in names)


def test_unpacked_wheel_explains_from_elsewhere(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("EXPLAINER_DB", "PYTHONPATH")}
    env.update(PYTHONPATH=str(site), EXPLAINER_NO_HISTORY="1")
    proc = subprocess.run(
        [sys.executable, "-m", "explainer", "--json", str(ROOT / "data/examples/lenet_64px.txt")],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["entry"]["family"] == "linear_in_features"
    where = subprocess.run(
        [sys.executable, "-c", "import explainer.kb.store as s; print(s.default_db_path())"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
        check=True,
    ).stdout
    assert where.strip().startswith(str(site))
