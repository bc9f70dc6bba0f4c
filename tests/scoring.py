"""Scoring an explanation against a zoo program's ground truth (used by test_zoo.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import ZooCase

from explainer.model import Explanation


@dataclass
class Score:
    case: str
    explained: bool
    right_family: bool
    wrong_family: bool
    numbers_ok: bool | None  # None: the case has no numbers to check
    culprit_top3: bool | None
    fix_ok: bool | None
    got: str | None


def _plain(value: Any) -> Any:
    return [_plain(v) for v in value] if isinstance(value, tuple | list) else value


def score(case: ZooCase, exp: Explanation) -> Score:
    explained = exp.status == "explained"
    right = explained and exp.family == case.family
    numbers_ok = None
    if case.numbers:
        have = {**exp.captures, **{k: _plain(v) for k, v in exp.numbers.items()}}
        numbers_ok = all(have.get(k) == v for k, v in case.numbers.items())
    culprit = None
    if case.culprit_line:
        top = exp.suspects[:3]
        culprit = any(
            Path(s.file).resolve() == case.path.resolve() and s.line == case.culprit_line
            for s in top
        )
    fix_ok = None
    if case.fix_values:
        values = {k: _plain(v) for k, v in (exp.fix.values if exp.fix else {}).items()}
        fix_ok = all(values.get(k) == v for k, v in case.fix_values.items())
    return Score(
        case=case.name,
        explained=explained,
        right_family=right,
        wrong_family=explained and not right,
        numbers_ok=numbers_ok,
        culprit_top3=culprit,
        fix_ok=fix_ok,
        got=f"{exp.entry_id} ({exp.family})" if explained else exp.status,
    )


def share(values: list[bool | None]) -> tuple[int, int]:
    judged = [v for v in values if v is not None]
    return sum(1 for v in judged if v), len(judged)
