"""The test zoo: small buggy programs run under torch, each explained and scored.

Every program under tests/zoo/ states its ground truth in its docstring (family, numbers,
culprit line, corrected values). The figures printed at the end are the project's quality
targets (README.md, "Targets"); the test fails below them.
"""

from __future__ import annotations

import pytest
from harness import ZooCase, zoo_cases
from scoring import Score, score, share

from explainer.explain import explain_text

TARGETS = {
    "right_family": 0.97,
    "wrong_family": 0.0,
    "numbers": 0.95,
    "culprit_top3": 0.85,
    "fix_values": 0.85,
}
MIN_PROGRAMS = 9


def _explain(case: ZooCase, kb):
    assert "Traceback" in case.output or "Warning" in case.output, (
        f"{case.name} did not fail the way its docstring says:\n{case.output[-800:]}"
    )
    return explain_text(case.output, kb)


@pytest.mark.parametrize("name", [c.name for c in zoo_cases()])
def test_zoo_program(name: str, zoo, kb) -> None:
    case = next((c for c in zoo if c.name == name), None)
    if case is None:
        pytest.skip("not selected")
    exp = _explain(case, kb)
    s = score(case, exp)
    assert s.explained, f"{name}: not explained ({exp.status}): {case.output[-400:]}"
    assert s.right_family, f"{name}: family {exp.family}, expected {case.family}"
    assert s.numbers_ok is not False, f"{name}: numbers {exp.numbers} vs {case.numbers}"


def test_zoo_figures(zoo, kb, capsys) -> None:
    if len(zoo) < len(zoo_cases()):
        pytest.skip("figures need the whole zoo (EXPLAINER_ONLY is set)")
    scores: list[Score] = [score(c, _explain(c, kb)) for c in zoo]
    n = len(scores)
    right = sum(s.right_family for s in scores)
    wrong = sum(s.wrong_family for s in scores)
    nums = share([s.numbers_ok for s in scores])
    culprit = share([s.culprit_top3 for s in scores])
    fixes = share([s.fix_ok for s in scores])
    figures = {
        "right_family": right / n,
        "wrong_family": wrong / n,
        "numbers": nums[0] / max(nums[1], 1),
        "culprit_top3": culprit[0] / max(culprit[1], 1),
        "fix_values": fixes[0] / max(fixes[1], 1),
    }
    with capsys.disabled():
        print(f"\n\nzoo: {n} programs")
        print(f"  explained, right family : {right}/{n} = {figures['right_family']:.1%}")
        print(f"  wrong family            : {wrong}/{n} = {figures['wrong_family']:.1%}")
        print(f"  numbers extracted       : {nums[0]}/{nums[1]} = {figures['numbers']:.1%}")
        print(
            f"  culprit in top 3        : {culprit[0]}/{culprit[1]} = {figures['culprit_top3']:.1%}"
        )
        print(f"  fix values right        : {fixes[0]}/{fixes[1]} = {figures['fix_values']:.1%}")
        for s in scores:
            bad = [
                k
                for k, v in (
                    ("family", s.right_family),
                    ("numbers", s.numbers_ok),
                    ("culprit", s.culprit_top3),
                    ("fix", s.fix_ok),
                )
                if v is False
            ]
            if bad:
                print(f"    {s.case}: {', '.join(bad)} wrong (got {s.got})")
    assert n >= MIN_PROGRAMS
    assert figures["right_family"] >= TARGETS["right_family"]
    assert figures["wrong_family"] <= TARGETS["wrong_family"]
    assert figures["numbers"] >= TARGETS["numbers"]
    assert figures["culprit_top3"] >= TARGETS["culprit_top3"]
    assert figures["fix_values"] >= TARGETS["fix_values"]
