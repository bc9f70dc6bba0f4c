"""README.md stays honest: its commands are what CI runs, its CLI list matches --help."""

from __future__ import annotations

import re
import subprocess
import sys

from harness import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks() -> list[str]:
    return re.findall(r"```(?:bash|text)?\n(.*?)```", README, re.S)


def test_readme_opens_with_two_commands() -> None:
    first, second = blocks()[:2]
    assert README.lstrip().startswith("# explainer")
    assert "explainer data/examples/" in first and "pip install" in first
    assert "pytest" in second and "requirements-test.txt" in second


def test_ci_runs_the_readme_test_command() -> None:
    test_command = blocks()[1].strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci


def test_example_in_readme_exists() -> None:
    path = re.search(r"explainer (data/examples/\S+)", blocks()[0])
    assert path and (ROOT / path.group(1)).is_file()


def test_every_command_is_documented() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "explainer", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    commands = re.findall(r"^  (\w[\w-]*)\s", out.split("Commands:")[1], re.M)
    assert commands
    for command in commands:
        assert f"explainer {command}" in README, command


def test_json_contract_keys_are_documented() -> None:
    from explainer.explain import explain_text
    from explainer.kb.store import KnowledgeBase
    from explainer.render.json_ import to_dict

    text = (ROOT / "data" / "examples" / "lenet_64px.txt").read_text()
    data = to_dict(explain_text(text, KnowledgeBase(ROOT / "data" / "kb.sqlite")))
    for key in data:
        assert f'"{key}"' in README or f"`{key}`" in README, key


def test_readme_shows_todays_output() -> None:
    from make_examples import OUTPUT_BLOCK, readme_output

    m = OUTPUT_BLOCK.search(README)
    assert m, "README lost its sample output block"
    assert m.group(2) == readme_output(), "run `python tests/make_examples.py --readme`"
