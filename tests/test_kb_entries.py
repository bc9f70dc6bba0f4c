"""Every knowledge-base entry: it loads, its examples match it with the right numbers, its
snippets (run under torch) match it, its near-misses do not, and the shipped database is fresh."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness import ROOT

from explainer.explain import explain_text
from explainer.kb.build import build, content_hash, load_entries

ENTRIES, LOAD_ERRORS = load_entries(ROOT / "kb")
IDS = [e.id for e in ENTRIES]


def _plain(value):
    return [_plain(v) for v in value] if isinstance(value, tuple | list) else value


def test_entries_load() -> None:
    assert not LOAD_ERRORS
    assert len(IDS) == len(set(IDS))


def test_shipped_database_is_fresh(kb) -> None:
    assert kb.meta["content_hash"] == content_hash(ROOT / "kb"), (
        "data/kb.sqlite is stale: run `explainer kb build`"
    )
    assert int(kb.meta["entries"]) == len(ENTRIES)


def test_build_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    build(ROOT / "kb", a)
    build(ROOT / "kb", b)
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_entry_has_examples(entry) -> None:
    if entry.out_of_scope:
        return
    assert any(x.kind == "example" for x in entry.examples), f"{entry.id} has no example"


def _check_example(entry, example, text, kb) -> None:
    exp = explain_text(text, kb)
    if example.kind == "near_miss":
        assert exp.entry_id != entry.id, f"{entry.id}: near-miss matched: {text[-200:]}"
        return
    assert exp.entry_id == entry.id, (
        f"{entry.id}: explained as {exp.entry_id} ({exp.status}):\n{text[-600:]}"
    )
    have = {**exp.captures, **{k: _plain(v) for k, v in exp.numbers.items()}}
    for name, value in example.numbers.items():
        assert have.get(name) == value, f"{entry.id}: {name}={have.get(name)!r}, want {value!r}"
    values = {k: _plain(v) for k, v in (exp.fix.values if exp.fix else {}).items()}
    for name, value in example.fix_values.items():
        assert values.get(name) == value, f"{entry.id}: fix {name}={values.get(name)!r}"
    assert not any("could not work out" in n for n in exp.notes), (entry.id, exp.notes)
    assert "{" not in exp.summary and "{" not in exp.cause, (entry.id, exp.summary, exp.cause)


TEXT_CASES = [
    pytest.param(e, i, id=f"{e.id}-{i}")
    for e in ENTRIES
    for i, x in enumerate(e.examples)
    if x.text
]
SNIPPET_CASES = [
    pytest.param(e, i, id=f"{e.id}-{i}")
    for e in ENTRIES
    for i, x in enumerate(e.examples)
    if x.snippet
]


@pytest.mark.parametrize(("entry", "index"), TEXT_CASES)
def test_verbatim_example(entry, index, kb) -> None:
    example = entry.examples[index]
    _check_example(entry, example, example.text, kb)


@pytest.mark.parametrize(("entry", "index"), SNIPPET_CASES)
def test_snippet_example(entry, index, kb, snippet_outputs) -> None:
    example = entry.examples[index]
    output = snippet_outputs[(entry.id, index)]
    if example.kind == "example":
        assert "Error" in output or "Warning" in output, (
            f"{entry.id} snippet did not fail:\n{output}"
        )
    _check_example(entry, example, output, kb)


def test_inventory_ids_are_known() -> None:
    inventory = {
        json.loads(line)["id"]
        for line in (ROOT / "tests" / "fixtures" / "torch_messages.jsonl").read_text().splitlines()
        if line.strip()
    }
    for entry in ENTRIES:
        unknown = set(entry.inventory) - inventory
        assert not unknown, f"{entry.id}: unknown inventory ids {unknown}"


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_arithmetic_exists(entry) -> None:
    from explainer.arithmetic import resolve

    if entry.arithmetic:
        assert callable(resolve(entry.arithmetic))
