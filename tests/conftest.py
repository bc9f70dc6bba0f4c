"""Session fixtures: the zoo and the entries' snippets are run once under torch, then shared."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, ZooCase, run_programs, zoo_cases  # noqa: E402

# The tests never touch the user's own state: history and captures go to a throwaway folder.
os.environ.setdefault("EXPLAINER_STATE_DIR", tempfile.mkdtemp(prefix="explainer-state-"))

# EXPLAINER_ONLY=conv,linear runs only the snippets and zoo programs whose names contain one of
# these words (for quick iteration); the full suite runs everything.
ONLY = [
    w.strip().replace("-", "_")
    for w in os.environ.get("EXPLAINER_ONLY", "").split(",")
    if w.strip()
]


def _selected(name: str) -> bool:
    return not ONLY or any(w in name.replace("-", "_") for w in ONLY)


@pytest.fixture(scope="session")
def zoo() -> list[ZooCase]:
    cases = [c for c in zoo_cases() if _selected(c.name)]
    results = run_programs([c.path for c in cases])
    for case in cases:
        case.output = results[str(case.path)]["output"]
    return cases


@pytest.fixture(scope="session")
def kb():
    from explainer.kb.store import KnowledgeBase

    return KnowledgeBase(ROOT / "data" / "kb.sqlite")


@pytest.fixture(scope="session")
def snippet_outputs() -> dict[tuple[str, int], str]:
    """Every snippet example of every entry, run under torch: (entry id, index) -> output."""
    from explainer.kb.build import load_entries

    entries, errors = load_entries(ROOT / "kb")
    assert not errors, errors
    tmp = Path(tempfile.mkdtemp(prefix="explainer-snippets-"))
    paths: dict[tuple[str, int], Path] = {}
    for entry in entries:
        for i, example in enumerate(entry.examples):
            if example.snippet and _selected(entry.id):
                path = tmp / f"{entry.id.replace('-', '_')}_{i}.py"
                path.write_text(example.snippet.lstrip("\n"), encoding="utf-8")
                paths[(entry.id, i)] = path
    results = run_programs(list(paths.values()))
    return {key: results[str(path)]["output"] for key, path in paths.items()}


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    if not ONLY:
        return
    skip = pytest.mark.skip(reason="not selected by EXPLAINER_ONLY")
    for item in items:
        if ("zoo" in item.nodeid or "snippet" in item.nodeid) and not _selected(item.nodeid):
            item.add_marker(skip)
