"""Coverage of the two reference files: the inventory of PyTorch's error templates, and the
texts real users pasted into public issue threads (both verbatim, sources in each row)."""

from __future__ import annotations

import json
import tomllib

from harness import ROOT

from explainer.kb.coverage import coverage

FIXTURES = ROOT / "tests" / "fixtures"
INVENTORY_TARGET = 0.95


def out_of_scope() -> dict[str, str]:
    path = ROOT / "kb" / "out_of_scope.toml"
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {row["id"]: row["reason"] for row in data.get("templates", [])}


def test_inventory_coverage(kb, capsys) -> None:
    report = coverage(FIXTURES / "torch_messages.jsonl", kb)
    skipped = out_of_scope()
    unaccounted = [m["id"] for m in report["misses"] if m["id"] not in skipped]
    with capsys.disabled():
        print(
            f"\n\ninventory: {report['explained']}/{report['total']} templates explained "
            f"({report['share']:.1%}); {len(skipped)} declared out of scope"
        )
    assert not unaccounted, f"neither explained nor declared out of scope: {unaccounted}"
    assert all(reason.strip() for reason in skipped.values())
    assert report["share"] >= INVENTORY_TARGET


def test_real_users_texts_right_family(kb, capsys) -> None:
    report = coverage(FIXTURES / "real_dev.jsonl", kb)
    with capsys.disabled():
        print(
            f"\nreal users' texts: {report['right_family']}/{report['judged_families']} "
            f"right family, {len(report['wrong_family'])} wrong, "
            f"{len(report['misses'])} unexplained"
        )
    assert not report["wrong_family"], report["wrong_family"]
    assert not report["misses"], [m["id"] for m in report["misses"]]
    assert report["right_family"] == report["judged_families"]


def test_real_users_numbers(kb) -> None:
    """The numbers users' texts carry are extracted under the same names."""
    from explainer.explain import explain_text

    wrong = []
    for line in (FIXTURES / "real_dev.jsonl").read_text().splitlines():
        row = json.loads(line)
        exp = explain_text(row["text"], kb, read_source=False)
        have = {
            **exp.captures,
            **{k: list(v) if isinstance(v, tuple) else v for k, v in exp.numbers.items()},
        }
        values = sorted(json.dumps(v) for v in have.values())
        for name, value in row["numbers"].items():
            if have.get(name) != value and json.dumps(value) not in values:
                wrong.append((row["id"], name, value, have.get(name)))
    share = 1 - len(wrong) / sum(
        len(json.loads(x)["numbers"])
        for x in (FIXTURES / "real_dev.jsonl").read_text().splitlines()
    )
    assert share >= 0.95, wrong
