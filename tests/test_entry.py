"""The click-free fast path for `explain` behaves exactly like the click command."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from harness import ROOT

from explainer.explain_command import parse_fast

EXAMPLE = str(ROOT / "data" / "examples" / "lenet_64px.txt")
DB = str(ROOT / "data" / "kb.sqlite")


def run(argv: list[str], fast: bool, stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
    env = {**os.environ, "NO_COLOR": "", "EXPLAINER_NO_HISTORY": "1"}
    env.pop("EXPLAINER_NO_FASTPATH", None)
    if not fast:
        env["EXPLAINER_NO_FASTPATH"] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "explainer", *argv],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


SAME = [
    [EXAMPLE],
    ["explain", EXAMPLE],
    ["--json", EXAMPLE],
    [EXAMPLE, "--json"],
    ["explain", "--format", "markdown", EXAMPLE],
    ["--format=json", EXAMPLE],
    ["--color", EXAMPLE],
    ["--no-color", "--no-source", EXAMPLE],
    ["--db", DB, EXAMPLE],
    ["--redact", EXAMPLE],
    ["-"],
    [],
    ["no-such-file.txt"],
]


@pytest.mark.parametrize("argv", SAME, ids=[" ".join(a) or "(none)" for a in SAME])
def test_fast_path_matches_click(argv: list[str]) -> None:
    stdin = open(EXAMPLE, "rb").read() if argv in (["-"], []) else None
    assert parse_fast(argv) is not None
    assert run(argv, fast=True, stdin=stdin) == run(argv, fast=False, stdin=stdin)


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["--version"],
        ["explain", "--help"],
        ["show", "linear-in-features"],
        ["kb", "check"],
        ["--repro", EXAMPLE],
        ["--format", "yaml", EXAMPLE],
        ["--format"],
        [EXAMPLE, EXAMPLE],
        ["--jsn", EXAMPLE],
    ],
)
def test_everything_else_goes_to_click(argv: list[str]) -> None:
    assert parse_fast(argv) is None


def test_command_names_match_click() -> None:
    from explainer.cli import cli
    from explainer.commands import COMMANDS

    assert set(cli.commands) == COMMANDS


def test_usage_error_still_reported_by_click() -> None:
    code, _, err = run(["--format", "yaml", EXAMPLE], fast=True)
    assert code == 2 and b"Traceback" not in err and b"yaml" in err
