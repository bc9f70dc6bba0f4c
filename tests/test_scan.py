"""`explainer scan` on generated logs: one file per rank, torchrun's interleaved `[rankN]:` output,
chained and DataLoader tracebacks, binary junk, gzip, `--last`, `--json`, and memory that stays
flat as the file grows."""

from __future__ import annotations

import gzip
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from harness import ROOT

from explainer import scan

LINEAR = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (32x2704 and 400x120)"
TRACEBACK = f"""Traceback (most recent call last):
  File "/home/alice/proj/train.py", line 88, in <module>
    loss = step(model, batch)
  File "/home/alice/proj/net.py", line 27, in forward
    x = self.fc1(x)
  File "/opt/conda/lib/python3.11/site-packages/torch/nn/modules/linear.py", line 125, in forward
    return F.linear(input, self.weight, self.bias)
{LINEAR}
"""
BATCH = """Traceback (most recent call last):
  File "/home/alice/proj/train.py", line 90, in <module>
    loss = criterion(out, labels)
ValueError: Expected input batch_size (98) to match target batch_size (32).
"""
CHILD_FAILED = """Traceback (most recent call last):
  File "/usr/bin/torchrun", line 8, in <module>
    sys.exit(main())
torch.distributed.elastic.multiprocessing.errors.ChildFailedError:
============================================================
train.py FAILED
"""


def training_lines(count: int, rank: int | None = None) -> str:
    prefix = f"[rank{rank}]:" if rank is not None else ""
    return "".join(
        f"{prefix}2024-05-01 12:00:{i % 60:02d},000 INFO train.py:120 step {i} loss 0.5\n"
        for i in range(count)
    )


def prefixed(text: str, rank: int) -> str:
    return "".join(f"[rank{rank}]:{line}\n" for line in text.splitlines())


def interleaved(text: str, ranks: range) -> str:
    lines = text.splitlines()
    return "".join(f"[rank{r}]:{line}\n" for line in lines for r in ranks)


def explainer(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # text mode: "\r" reads as "\n"
        [sys.executable, "-m", "explainer", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", "EXPLAINER_NO_HISTORY": "1", **env},
        timeout=300,
        check=False,
    )


def json_lines(out: str) -> tuple[list[dict], dict]:
    rows = [json.loads(line) for line in out.splitlines()]
    errors = [r for r in rows if r["kind"] == "error"]
    summary = next(r for r in rows if r["kind"] == "summary")
    return errors, summary


def test_one_file_per_rank_grouped(tmp_path: Path) -> None:
    for rank in range(8):
        (tmp_path / f"rank{rank}.log").write_text(training_lines(500) + TRACEBACK)
    proc = explainer("scan", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("== ranks 0-7: 8 occurrence(s)") == 1
    assert f"first at {tmp_path / 'rank0.log'}:501" in proc.stdout
    assert "nn.Linear's in_features" in proc.stdout
    assert "8 tracebacks, 1 distinct error" in proc.stdout
    assert "\r" not in proc.stderr  # no progress bar when stderr is not a terminal


def test_torchrun_interleaved_ranks(tmp_path: Path) -> None:
    log = tmp_path / "torchrun.log"
    log.write_text(
        "".join(training_lines(50, r) for r in range(4))
        + interleaved(TRACEBACK, range(4))
        + "E0501 12:00:01.000 123 torch/distributed/elastic/multiprocessing/api.py:869] failed\n"
        + CHILD_FAILED
    )
    errors, summary = json_lines(explainer("scan", "--json", str(log)).stdout)
    assert len(errors) == 1
    assert errors[0]["ranks"] == ["0", "1", "2", "3"] and errors[0]["label"] == "ranks 0-3"
    assert errors[0]["first"]["line"] == 201
    explanation = errors[0]["explanation"]
    assert explanation["entry"]["family"] == "linear_in_features"
    assert explanation["error"]["message"] == LINEAR.split(": ", 1)[1]
    assert summary["tracebacks"] == 5 and summary["launcher_reports"] == 1


def test_distinct_errors_in_order_and_exit_code(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    handled = (
        "Traceback (most recent call last):\n"
        '  File "/x/data.py", line 3, in load\n'
        "    return json.load(f)\n"
        "KeyError: 'lr'\n"
    )
    log.write_text(training_lines(10) + BATCH + training_lines(10) + handled + TRACEBACK)
    proc = explainer("scan", "--json", str(log))
    errors, summary = json_lines(proc.stdout)
    types = [e["explanation"]["error"]["type"] for e in errors]
    assert types == ["ValueError", "KeyError", "RuntimeError"]
    assert summary["distinct"] == 3 and summary["tracebacks"] == 3
    assert proc.returncode == 1  # the KeyError is not in the knowledge base


def test_chained_and_dataloader_tracebacks_are_one_each(tmp_path: Path) -> None:
    chained = (
        "Traceback (most recent call last):\n"
        '  File "/x/a.py", line 1, in f\n'
        "    g()\n"
        "KeyError: 'x'\n"
        "\n"
        "The above exception was the direct cause of the following exception:\n"
        "\n" + TRACEBACK
    )
    worker = (
        "Traceback (most recent call last):\n"
        '  File "/x/train.py", line 5, in <module>\n'
        "    for batch in loader:\n"
        "RuntimeError: Caught RuntimeError in DataLoader worker process 0.\n"
        "Original Traceback (most recent call last):\n"
        '  File "/x/site-packages/torch/utils/data/_utils/worker.py", line 349, in _worker_loop\n'
        "    data = fetcher.fetch(index)\n"
        "RuntimeError: stack expects each tensor to be equal size, but got [3, 224, 224] at "
        "entry 0 and [3, 256, 256] at entry 3\n"
    )
    (tmp_path / "a.log").write_text(chained + "\n" + worker)
    errors, summary = json_lines(explainer("scan", "--json", str(tmp_path / "a.log")).stdout)
    assert summary["tracebacks"] == 2
    assert errors[0]["explanation"]["chain"][0]["type"] == "KeyError"
    assert "stack expects" in json.dumps(errors[1]["explanation"])


def test_last_reads_from_the_end(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_text(BATCH + training_lines(60000) + interleaved(TRACEBACK, range(2)))
    errors, summary = json_lines(explainer("scan", "--json", "--last", str(log)).stdout)
    assert [e["label"] for e in errors] == ["ranks 0-1"]
    assert errors[0]["explanation"]["entry"]["family"] == "linear_in_features"
    assert errors[0]["first"]["line"] is None and errors[0]["first"]["offset"] > 1_000_000
    everything, _ = json_lines(explainer("scan", "--json", str(log)).stdout)
    assert len(everything) == 2


def test_each_ranks_last_error(tmp_path: Path) -> None:
    (tmp_path / "rank0.log").write_text(BATCH + TRACEBACK)
    (tmp_path / "rank1.log").write_text(TRACEBACK + BATCH)
    errors, _ = json_lines(explainer("scan", "--json", "--last", str(tmp_path)).stdout)
    assert {e["label"]: e["explanation"]["error"]["type"] for e in errors} == {
        "rank 0": "RuntimeError",
        "rank 1": "ValueError",
    }


def test_binary_junk_and_binary_files(tmp_path: Path) -> None:
    junk = bytes(range(256)) * 50 + b"\x00" * 3000
    lines = training_lines(300).encode()
    (tmp_path / "train.log").write_bytes(
        junk + lines + junk + lines + TRACEBACK.encode() + junk + lines
    )
    (tmp_path / "model.bin").write_bytes(junk)  # skipped by its suffix
    (tmp_path / "blob").write_bytes(junk)  # skipped by its content
    proc = explainer("scan", "--json", str(tmp_path))
    errors, summary = json_lines(proc.stdout)
    assert proc.returncode == 0, proc.stderr
    assert len(errors) == 1 and summary["tracebacks"] == 1
    assert any("blob (binary)" in s for s in summary["skipped"])
    named = explainer("scan", str(tmp_path / "blob"))  # named on purpose: read, found nothing
    assert named.returncode == 2 and "Traceback" not in named.stderr


def test_gzip_logs(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "rank3.log.gz", "wt") as handle:
        handle.write(training_lines(1000) + TRACEBACK)
    errors, _ = json_lines(explainer("scan", "--json", str(tmp_path)).stdout)
    assert errors[0]["label"] == "rank 3" and errors[0]["first"]["line"] == 1001
    (tmp_path / "broken.gz").write_bytes(b"\x1f\x8b" + b"\x00" * 40)
    proc = explainer("scan", "--json", str(tmp_path / "broken.gz"), str(tmp_path))
    assert proc.returncode == 0
    assert "broken.gz" in json_lines(proc.stdout)[1]["skipped"][0]


def test_lone_error_lines(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text(
        training_lines(5)
        + "2024-05-01 12:00:00 ERROR root: RuntimeError: Given groups=1, weight of size "
        "[64, 3, 3, 3], expected input[8, 1, 224, 224] to have 3 channels, but got 1 channels "
        "instead\n"
        + "WARNING: config Error: retrying in 5 s\n"
        + "ValueError: not a tensor thing at all\n"
    )
    errors, summary = json_lines(explainer("scan", "--json", str(tmp_path)).stdout)
    assert summary["tracebacks"] == 0
    assert [e["traceback"] for e in errors] == [False]  # only the error the KB knows
    assert errors[0]["explanation"]["entry"]["family"].startswith("conv")


def test_bad_paths(tmp_path: Path) -> None:
    proc = explainer("scan", str(tmp_path / "missing.log"))
    assert proc.returncode == 2 and "no such file or folder" in proc.stderr
    assert "Traceback" not in proc.stderr
    (tmp_path / "empty").mkdir()
    assert explainer("scan", str(tmp_path / "empty")).returncode == 2
    (tmp_path / "ok.log").write_text(TRACEBACK)
    mixed = explainer("scan", str(tmp_path / "missing.log"), str(tmp_path / "ok.log"))
    assert mixed.returncode == 0 and "missing.log" in mixed.stderr


def test_progress_bar_on_request(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text(training_lines(1000) + TRACEBACK)
    proc = subprocess.run(
        [sys.executable, "-m", "explainer", "scan", "--progress", str(tmp_path)],
        capture_output=True,
        env={**os.environ, "EXPLAINER_NO_HISTORY": "1"},
        check=False,
    )
    assert proc.returncode == 0
    assert b"\rscan [" in proc.stderr and b"100%" in proc.stderr
    assert proc.stderr.endswith(b"\r\x1b[K")  # the bar is wiped before the results


def test_chunk_boundaries_change_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tracebacks cut by every kind of chunk boundary are found the same, at the same lines."""
    text = ""
    for i in range(30):
        text += training_lines(i * 7 % 23) + (prefixed(TRACEBACK, i % 3) if i % 2 else BATCH)
    (tmp_path / "a.log").write_text(text)

    def run() -> list[tuple]:
        result = scan.scan_paths([str(tmp_path / "a.log")])
        return [(g.label(), g.count, g.first.line, g.first.offset) for g in result.groups]

    reference = run()
    assert [count for _, count, _, _ in reference] == [15, 15]
    for chunk, window, back in [(997, 2048, 256), (64, 4096, 128), (4096, 600, 300)]:
        monkeypatch.setattr(scan, "CHUNK", chunk)
        monkeypatch.setattr(scan, "WINDOW", window)
        monkeypatch.setattr(scan, "BACK", back)
        assert run() == reference, (chunk, window, back)


def test_memory_stays_flat(tmp_path: Path) -> None:
    """A 200 MB log: peak memory like a small one's, far below the file size."""
    block = training_lines(20000, rank=1).encode()
    big = tmp_path / "big.log"
    with open(big, "wb") as handle:
        for _ in range(200 * 1024 * 1024 // len(block)):
            handle.write(block)
        handle.write(prefixed(TRACEBACK, 1).encode())
    script = (
        "import resource, subprocess, sys\n"
        "subprocess.run([sys.executable, '-m', 'explainer', 'scan', '--json', sys.argv[1]],"
        " stdout=subprocess.DEVNULL, check=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    peak_kib = int(
        subprocess.run(
            [sys.executable, "-c", script, str(big)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "EXPLAINER_NO_HISTORY": "1"},
            check=True,
        ).stdout
    )
    assert peak_kib < 120 * 1024, f"peak RSS {peak_kib} KiB for a 200 MB file"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 0
