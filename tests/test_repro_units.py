"""The reproducer's parts: option parsing, the loading rule, edits and diffs, the fix planner,
and the shape-only meta operations against torch's own results and messages."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from explainer.repro import fixes, loader, patch
from explainer.repro.options import OptionError, parse_args_json, parse_input, parse_size


@pytest.mark.parametrize(
    ("text", "shape", "dtype"),
    [
        ("32,3,224,224", [32, 3, 224, 224], "float32"),
        ("[8, 20]:long", [8, 20], "int64"),
        ("1x1x64x64", [1, 1, 64, 64], "float32"),
        ("(4, 16):torch.float16", [4, 16], "float16"),
    ],
)
def test_input_shapes(text: str, shape: list[int], dtype: str) -> None:
    spec = parse_input(text)
    assert spec.shape == shape and spec.dtype == dtype


@pytest.mark.parametrize("text", ["", "3,a", "3,0", "3:complex7"])
def test_bad_inputs(text: str) -> None:
    with pytest.raises(OptionError):
        parse_input(text)


def test_sizes_and_args() -> None:
    assert parse_size("8G") == 8 << 30 and parse_size("1536M") == 1536 << 20
    with pytest.raises(OptionError):
        parse_size("100M")
    assert parse_args_json('{"n": 3}') == {"n": 3}
    with pytest.raises(OptionError):
        parse_args_json("[1]")


def test_loading_runs_definitions_only(tmp_path: Path) -> None:
    script = tmp_path / "train_script_xyz.py"
    script.write_text(
        textwrap.dedent(
            """
            import math
            WIDTH = 4 * 8
            SIZES = [WIDTH // 2 ** i for i in range(3)]
            counter = []

            def build():
                counter.append("built")

            class Thing:
                size = WIDTH

            thing = Thing()
            build()
            if __name__ == "__main__":
                counter.append("main")
            """
        )
    )
    loaded = loader.load_definitions(str(script))
    ns = loaded.namespace
    try:
        assert ns["WIDTH"] == 32 and ns["SIZES"] == [32, 16, 8] and ns["math"].pi > 3
        assert ns["counter"] == [] and "thing" not in ns and ns["Thing"].size == 32
    finally:
        sys.modules.pop("train_script_xyz", None)


def test_loading_reports_a_failing_import(tmp_path: Path) -> None:
    script = tmp_path / "broken_import_xyz.py"
    script.write_text("import os\nimport not_a_module_anywhere_xyz\n")
    with pytest.raises(loader.LoadError) as info:
        loader.load_definitions(str(script))
    assert info.value.line == 2 and "not_a_module_anywhere_xyz" in str(info.value)


def test_user_files_and_libraries() -> None:
    assert loader.is_user_file(str(Path(__file__).resolve()))
    assert not loader.is_user_file(loader.__file__)
    assert not loader.is_user_file(textwrap.__file__)
    assert loader.is_user_file("<patched /tmp/x.py>")


def test_edits_apply_and_diff() -> None:
    text = "a = 1\nb = 2\nc = 3\n"
    edits = [
        patch.Edit("f.py", 2, 2, ("b = 20",)),
        patch.Edit("f.py", 1, 0, ("import os",)),
    ]
    new = patch.apply({"f.py": text}, edits)["f.py"]
    assert new == "import os\na = 1\nb = 20\nc = 3\n"
    diff = patch.unified_diff({"f.py": text}, {"f.py": new})
    assert "-b = 2\n" in diff and "+b = 20\n" in diff and "+import os\n" in diff
    assert patch.overlapping([patch.Edit("f", 2, 3, ()), patch.Edit("f", 3, 3, ())])


def test_knowledge_base_fix_goes_to_the_line_that_built_the_module(tmp_path: Path) -> None:
    source = tmp_path / "net.py"
    source.write_text("layers = [\n    nn.BatchNorm2d(64),\n    nn.BatchNorm2d(64),\n]\n")
    path = str(source)
    facts = {
        "rows": [
            {"kind": "module", "status": "failed", "ctor": {"file": path, "line": 3}},
        ],
        "error": {"row": 0},
    }
    ctx = fixes.FixContext(
        facts=facts,
        texts={path: source.read_text()},
        fix_code="nn.BatchNorm2d(128),   # was: nn.BatchNorm2d(64),",
    )
    candidate = fixes.from_knowledge_base(ctx)
    assert candidate is not None
    assert candidate.edits == [patch.Edit(path, 3, 3, ("    nn.BatchNorm2d(128),",))]


def test_shape_only_meta_operations_match_torch() -> None:
    """tests/repro_cases/fastmeta_check.py, in its own process (torch stays out of this one, whose
    memory other tests measure): each shape-only answer equals torch's result on cpu, and each
    mismatch raises torch's own message."""
    script = Path(__file__).parent / "repro_cases" / "fastmeta_check.py"
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout)
    assert len(results) >= 30
    failed = {r["case"]: r["detail"] for r in results if not r["ok"]}
    assert not failed, failed
