"""The reproducer on the test zoo (torch 2.13.0, meta and cpu): the error comes back, the failing
module and its shapes are the ones the program has, and the mechanical fixes are verified.

All programs run in one child per device (`run_jobs`: torch imported once), with the same
planning and reading of results as `explainer repro`; tests/test_repro_safety.py runs the real
command line.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from harness import ZooCase

from explainer.explain import explain_parsed
from explainer.parsing import parse
from explainer.repro.command import Prepared, interpret, prepare
from explainer.repro.options import ReproOptions
from explainer.repro.runner import run_jobs

# Families whose errors come from the machine's devices: the replay keeps everything on one
# device by design, so they are not expected to come back.
DEVICE_FAMILIES = {"device_mismatch"}
# Families with a mechanical fix the reproducer applies and verifies, and the share of the
# zoo's programs of that family whose fix must be verified.
MECHANICAL = {
    "linear_in_features": 0.8,
    "batch_size_mismatch": 0.8,
    "conv_in_channels": 0.8,
    "state_dict_size": 0.8,
    "batchnorm": 0.6,
    "layernorm": 0.6,
    "view_stride": 0.6,
}
CPU_SUBSET = (
    "linear_in_features_lenet_64px",
    "batch_size_mismatch_wikiart_view",
    "conv_in_channels_channels_last",
    "broadcast_residual_shortcut",
    "loss_target_shape_onehot_seg",
    "state_dict_size_detector_head",
    "conv_in_channels_doubleconv_reuse",
    "layernorm_convnext_nchw",
)


BEFORE: dict[str, str] = {}


def _digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _reports(zoo: list[ZooCase], kb: Any, device: str, names: tuple[str, ...] = ()):
    options = ReproOptions(device=device)
    for case in zoo:
        BEFORE.setdefault(case.name, _digest(case.path))
    items = []
    for case in zoo:
        if names and case.name not in names:
            continue
        parsed = parse(case.output)
        exp = explain_parsed(parsed, kb) if parsed.error else None
        items.append((case, exp, prepare(parsed, exp, options)))
    jobs = [p.job for _, _, p in items if isinstance(p, Prepared)]
    runs = iter(run_jobs(jobs, 120 + 10 * len(jobs)))
    out: dict[str, dict[str, Any]] = {}
    for case, exp, prepared in items:
        if isinstance(prepared, Prepared):
            report = interpret(next(runs), prepared, exp, options).report
        else:
            report = dict(prepared.report, message=prepared.message)
        out[case.name] = dict(report, family=case.family)
    return out


@pytest.fixture(scope="session")
def meta(zoo: list[ZooCase], kb: Any) -> dict[str, dict[str, Any]]:
    return _reports(zoo, kb, "meta")


@pytest.fixture(scope="session")
def cpu(zoo: list[ZooCase], kb: Any) -> dict[str, dict[str, Any]]:
    return _reports(zoo, kb, "cpu", CPU_SUBSET)


def _row(report: dict[str, Any], path: str) -> dict[str, Any]:
    return next(r for r in report["layers"] if r["path"] == path and r["kind"] == "module")


def test_zoo_errors_come_back(meta: dict[str, dict[str, Any]]) -> None:
    considered = {
        name: r
        for name, r in meta.items()
        if r["family"] not in DEVICE_FAMILIES and r.get("status") != "not_run"
    }
    statuses = Counter(r["status"] for r in considered.values())
    missed = {n: r["status"] for n, r in considered.items() if r["status"] != "reproduced"}
    share = statuses["reproduced"] / max(len(considered), 1)
    print(
        f"\nreproduced on meta: {statuses['reproduced']}/{len(considered)} ({share:.0%}); {missed}"
    )
    assert share >= 0.95, missed
    for name, report in meta.items():
        assert report.get("status") != "internal_error", (name, report.get("message"))


def test_mechanical_fixes_are_verified(meta: dict[str, dict[str, Any]]) -> None:
    lines = []
    for family, floor in MECHANICAL.items():
        cases = {n: r for n, r in meta.items() if r["family"] == family}
        if not cases:
            continue
        verified = [n for n, r in cases.items() if r.get("fix_verified")]
        lines.append(f"{family}: {len(verified)}/{len(cases)}")
        assert len(verified) / len(cases) >= floor, (
            family,
            {n: r.get("fix") for n, r in cases.items()},
        )
    total = sum(1 for r in meta.values() if r.get("fix_verified"))
    print(f"\nfixes verified: {total}/{len(meta)}; " + ", ".join(lines))


@pytest.mark.parametrize(
    ("name", "failed_at", "shape", "output"),
    [
        ("linear_in_features_lenet_64px", "net.fc1", [1, 2704], [[1, 10]]),
        ("conv_in_channels_channels_last", "model.0", [8, 64, 64, 3], [[8, 10]]),
        ("conv_in_channels_doubleconv_reuse", "block.double_conv.3", [4, 64, 158, 158],
         [[4, 64, 156, 156]]),
        ("conv_in_channels_vgg_stage", "net.conv2_1", [4, 64, 16, 16], [[4, 5]]),
        ("layernorm_convnext_nchw", "stage.0.norm", [2, 64, 14, 14], [[2, 64, 14, 14]]),
        ("batchnorm_predict_one_image", "model.neck.1", [1, 64], [[1, 5]]),
    ],
)  # fmt: skip
def test_failing_module_shapes_and_fix(
    meta: dict[str, dict[str, Any]], name: str, failed_at: str, shape: list[int], output: Any
) -> None:
    report = meta[name]
    assert report["status"] == "reproduced", report
    assert report["failed_at"] == failed_at
    row = _row(report, failed_at)
    assert row["input"] == shape and row["status"] == "failed"
    assert report["layers"].index(row) == max(
        i for i, r in enumerate(report["layers"]) if r["status"] == "failed"
    ), "the failing row is the last failed one"
    assert report["fix_verified"] is True, report["fix"]
    assert report["fix_output"] == output
    assert report["fix"]["diff"].startswith("--- a/")


def test_lenet_confirms_every_number(meta: dict[str, dict[str, Any]]) -> None:
    report = meta["linear_in_features_lenet_64px"]
    assert report["exact_message"] is True
    assert report["input"]["shapes"] == [[1, 1, 64, 64]]
    ops = [r for r in report["layers"] if r["kind"] == "op"]
    flatten = next(r for r in ops if r["type"] == "flatten")
    assert flatten["input"] == [1, 16, 13, 13] and flatten["output"] == [1, 2704]
    assert flatten["line"] and flatten["file"].endswith("linear_in_features_lenet_64px.py")
    assert any("2,704 features per sample; fc1 expects 400" in c for c in report["confirmed"])
    assert any(
        c.startswith("every number of the message is in the run") for c in report["confirmed"]
    )
    assert "+        self.fc1 = nn.Linear(16 * 13 * 13, 120)" in report["fix"]["diff"]


def test_batch_change_is_found(meta: dict[str, dict[str, Any]]) -> None:
    report = meta["batch_size_mismatch_wikiart_view"]
    assert report["status"] == "reproduced" and report["failed_at"] == "criterion"
    change = report["batch_change"]
    assert change["from"] == 32 and change["to"] == 98
    row = report["layers"][change["row"]]
    assert row["kind"] == "op" and row["type"] == "view" and row["output"] == [98, 65536]
    assert any(
        "200,704 features per sample; fc_artist1 expects 65,536" in c for c in report["confirmed"]
    )
    assert report["fix_verified"] is True and report["fix_output"] == [[32, 129]]
    assert "torch.flatten(x, 1)" in report["fix"]["diff"]


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("broadcast_residual_shortcut", "self.shortcut(identity)"),
        ("loss_target_shape_onehot_seg", ".argmax(1)"),
        ("state_dict_size_detector_head", "strict=False"),
        ("view_invalid_size_lenet_64px", "flatten"),
        ("batchnorm_last_batch_drop_last", "drop_last=True"),
    ],
)
def test_mechanical_fix_kinds(meta: dict[str, dict[str, Any]], name: str, fragment: str) -> None:
    report = meta[name]
    assert report["status"] == "reproduced", report.get("message")
    assert report["fix_verified"] is True, report["fix"]
    diff = report["fix"]["diff"].splitlines()
    added = [line for line in diff if line.startswith("+") and not line.startswith("+++")]
    assert any(fragment in line for line in added), report["fix"]["diff"]


def test_residual_operation_is_traced(meta: dict[str, dict[str, Any]]) -> None:
    report = meta["broadcast_residual_shortcut"]
    op = report["failed_op"]
    assert op["code"] == "out = out + identity"
    row = next(r for r in report["layers"] if r["kind"] == "op" and r["status"] == "failed")
    assert row["inputs"] == [[2, 256, 56, 56], [2, 64, 56, 56]]
    assert report["exact_message"] is True  # meta's own message differs: the cpu stand-in ran
    assert report["fix_output"] == [[2, 256, 56, 56]]


def test_cpu_agrees_with_meta(
    meta: dict[str, dict[str, Any]], cpu: dict[str, dict[str, Any]]
) -> None:
    for name, on_cpu in cpu.items():
        on_meta = meta[name]
        assert on_cpu["status"] == on_meta["status"] == "reproduced", name
        assert on_cpu["device"] == "cpu"
        assert on_cpu["failed_at"] == on_meta["failed_at"], name
        assert on_cpu["error"]["message"] == on_meta["error"]["message"], name
        shapes = [(r["path"], r["input"], r["output"]) for r in on_cpu["layers"]]
        assert shapes == [(r["path"], r["input"], r["output"]) for r in on_meta["layers"]], name
        assert on_cpu["fix_verified"] == on_meta["fix_verified"], name


def test_user_files_are_never_modified(zoo: list[ZooCase], meta: dict[str, dict[str, Any]]) -> None:
    assert BEFORE, "the hashes are taken before the reproducer runs"
    assert any(r.get("fix_verified") for r in meta.values())
    for case in zoo:
        assert _digest(case.path) == BEFORE[case.name], case.name
