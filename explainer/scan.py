"""`explainer scan PATH...`: every traceback in logs of any size, grouped across ranks, explained.

The scanner reads each file in large chunks (gzip too) and finds candidates with plain byte
searches, which run at memory speed: the `Traceback (most recent call last)` header, and
`Error:` for errors printed without a traceback. Around each header it collects the lines of the
same rank (`[rank3]:` prefixes interleave when several ranks write one file) up to the end of
the traceback, chained exceptions included, and hands that region to `explainer.parsing`, the
same parser `explain` uses. Memory holds one chunk, a window after it, and the distinct errors:
flat in the file size. Identical errors from several ranks or files become one group
(`ranks 0-7`), explained once. `--last` reads each file from its end and keeps each rank's last
error.
"""

from __future__ import annotations

import gzip
import os
import re
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from explainer.model import Explanation, ParsedText
from explainer.parsing import parse
from explainer.parsing.clean import LOG_PREFIX, decode, looks_binary, rank_of
from explainer.parsing.frames import match_frame_head
from explainer.parsing.traceback import (
    CHAIN_CAUSE,
    CHAIN_CONTEXT,
    EXC_ANYWHERE,
    EXC_IN_BLOCK,
    LAUNCHER_ERRORS,
    WARNING_LINE,
)

HEADER = b"Traceback (most recent call last)"
HEADER_TEXT = "Traceback (most recent call last)"
ERROR_MARK = b"Error:"
CHUNK = 8 * 1024 * 1024
WINDOW = 512 * 1024  # bytes after a header searched for the rest of its traceback
BACK = 4096  # bytes before a match searched for the start of its line
LAST_BACK = 1024 * 1024  # --last: bytes before the last header, for other ranks' last errors
MAX_AFTER_EXCEPTION = 200  # lines kept after an exception line (message, C++ frames, a chain)
MAX_REGION_LINES = 3000
MAX_STANDALONE = 20000  # error lines without a traceback examined per file
CACHE_SIZE = 4096
SKIP_SUFFIXES = (
    ".pt", ".pth", ".ckpt", ".bin", ".safetensors", ".npy", ".npz", ".pkl", ".png", ".jpg",
    ".jpeg", ".gif", ".zip", ".tar", ".whl", ".so", ".pyc", ".sqlite", ".db", ".parquet",
)  # fmt: skip
RANK_IN_NAME = re.compile(r"(?:^|[^a-z])rank[_-]?(\d+)", re.I)
TORCHRUN_LOG = re.compile(r"[\\/](\d+)[\\/](?:stdout|stderr)\.log$")


@dataclass
class Occurrence:
    file: str
    line: int | None  # 1-based; None where the scan started mid-file (--last)
    offset: int
    rank: str | None
    parsed: ParsedText
    standalone: bool = False


@dataclass
class Group:
    """One distinct error and everywhere it occurred."""

    first: Occurrence
    ranks: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    count: int = 0
    explanation: Explanation | None = None

    def add(self, occ: Occurrence) -> None:
        self.count += 1
        if occ.rank is not None and occ.rank not in self.ranks:
            self.ranks.append(occ.rank)
        if occ.file not in self.files:
            self.files.append(occ.file)

    def label(self) -> str:
        """`ranks 0-7`, `rank 3`, or the files."""
        if self.ranks:
            word = "ranks" if len(self.ranks) > 1 else "rank"
            return f"{word} {rank_ranges(self.ranks)}"
        if len(self.files) == 1:
            return self.files[0]
        return f"{len(self.files)} files"


@dataclass
class ScanResult:
    groups: list[Group]
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    tracebacks: int = 0
    skipped: list[str] = field(default_factory=list)  # binary or unreadable files, with why
    missing: list[str] = field(default_factory=list)
    launcher_reports: int = 0


def rank_ranges(ranks: list[str]) -> str:
    """`0-3, 5, 7-8` for numeric ranks; other names listed as they are."""
    numbers = sorted(int(r) for r in ranks if r.isdigit())
    parts: list[str] = []
    i = 0
    while i < len(numbers):
        j = i
        while j + 1 < len(numbers) and numbers[j + 1] == numbers[j] + 1:
            j += 1
        parts.append(str(numbers[i]) if i == j else f"{numbers[i]}-{numbers[j]}")
        i = j + 1
    parts += sorted(r for r in ranks if not r.isdigit())
    return ", ".join(parts)


def rank_from_name(path: str) -> str | None:
    """`rank3.log`, `node1_rank_12.txt`, torchrun's `--log-dir` layout `.../3/stderr.log`."""
    m = TORCHRUN_LOG.search(path) or RANK_IN_NAME.search(os.path.basename(path))
    return m.group(1) if m else None


def iter_files(paths: list[str]) -> tuple[list[tuple[str, bool]], list[str]]:
    """(file, named explicitly) for every file under `paths`, sorted; and the missing paths."""
    files: list[tuple[str, bool]] = []
    missing: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    if not name.startswith(".") and not name.lower().endswith(SKIP_SUFFIXES):
                        files.append((os.path.join(root, name), False))
        elif os.path.exists(path):
            files.append((path, True))
        else:
            missing.append(path)
    return files, missing


class _Regions:
    """Finds tracebacks and lone error lines in one stream of bytes."""

    def __init__(self, name: str, rank_hint: str | None, line_known: bool) -> None:
        self.name = name
        self.rank_hint = rank_hint
        self.line_known = line_known
        self.consumed: dict[str | None, int] = {}  # rank -> offset its last traceback ended at
        self.covered_until = 0  # lone error lines before this offset belong to a traceback
        self.standalone_seen = 0
        self.cache: dict[str, ParsedText] = {}
        self.found: list[Occurrence] = []
        self.at_eof = False  # the buffer ends where the file ends

    def scan(
        self, read: Callable[[int], bytes], start: int, progress: Callable[[int], None]
    ) -> None:
        buf = b""
        base = start  # file offset of buf[0]
        search_from = 0
        lines = 0  # newlines between `start` and `line_pos`
        line_pos = start
        eof = False
        while not eof:
            chunk = read(CHUNK)
            eof = not chunk
            self.at_eof = eof
            buf = buf + chunk if buf else chunk
            limit = len(buf) if eof else max(search_from, len(buf) - WINDOW)
            for pos, is_header in self._hits(buf, search_from, limit):
                if base + pos > line_pos:
                    lines += buf.count(b"\n", line_pos - base, pos)
                    line_pos = base + pos
                if is_header:
                    self._traceback(buf, pos, base, lines)
                else:
                    self._lone_error(buf, pos, base, lines)
            drop = max(0, limit - BACK)
            if line_pos < base + drop:
                lines += buf.count(b"\n", line_pos - base, drop)
                line_pos = base + drop
            buf = buf[drop:]
            base += drop
            search_from = limit - drop
            progress(len(chunk))

    def _hits(self, buf: bytes, start: int, limit: int) -> Iterator[tuple[int, bool]]:
        """Positions in `buf` of headers (True) and error marks (False) before `limit`, in order."""
        headers = _find_all(buf, HEADER, start, limit)
        marks = (
            _find_all(buf, ERROR_MARK, start, limit)
            if self.standalone_seen < MAX_STANDALONE
            else []
        )
        merged = sorted([(p, True) for p in headers] + [(p, False) for p in marks])
        return iter(merged)

    def _line_start(self, buf: bytes, pos: int) -> int:
        nl = buf.rfind(b"\n", max(0, pos - BACK), pos)
        return nl + 1 if nl >= 0 else max(0, pos - BACK)

    def _traceback(self, buf: bytes, pos: int, base: int, lines: int) -> None:
        start = self._line_start(buf, pos)
        prefix = buf[start:pos].decode("utf-8", "replace")
        rank, _ = rank_of(prefix + HEADER_TEXT)
        if self.consumed.get(rank, -1) > base + pos:
            return  # a chained exception or a DataLoader's inner traceback, already read
        end = min(len(buf), start + WINDOW)
        region, end = _collect(buf, start, end, rank, self.at_eof and end == len(buf))
        self.consumed[rank] = base + end
        self.covered_until = max(self.covered_until, base + end)
        parsed = self._parse("\n".join(region))
        line = lines + 1 if self.line_known else None
        self.found.append(Occurrence(self.name, line, base + start, rank or self.rank_hint, parsed))

    def _lone_error(self, buf: bytes, pos: int, base: int, lines: int) -> None:
        if base + pos < self.covered_until:
            return
        self.standalone_seen += 1
        start = self._line_start(buf, pos)
        end = buf.find(b"\n", pos)
        text = buf[start : end if end >= 0 else len(buf)].decode("utf-8", "replace")
        rank, body = rank_of(text)
        m = EXC_ANYWHERE.search(body.strip())
        if not m or WARNING_LINE.match(body.strip()):
            return
        # From the exception's name on: a logger's `ERROR root:` before it is not the error.
        parsed = self._parse(body.strip()[m.start() :])
        if parsed.error is None:
            return
        line = lines + 1 if self.line_known else None
        self.found.append(
            Occurrence(self.name, line, base + start, rank or self.rank_hint, parsed, True)
        )

    def _parse(self, text: str) -> ParsedText:
        cached = self.cache.get(text)
        if cached is None:
            cached = parse(text)
            if len(self.cache) < CACHE_SIZE:
                self.cache[text] = cached
        return cached


def _find_all(buf: bytes, needle: bytes, start: int, limit: int) -> list[int]:
    out = []
    stop = limit + len(needle) - 1
    pos = buf.find(needle, start, stop)
    while pos >= 0:
        out.append(pos)
        pos = buf.find(needle, pos + 1, stop)
    return out


def _collect(
    buf: bytes, start: int, end: int, rank: str | None, last_line_whole: bool
) -> tuple[list[str], int]:
    """One rank's lines from a traceback header to the end of its (possibly chained) exception.

    Returns the lines, prefixes kept for the parser, and the buffer position after the last one.
    A line cut by `end` is left out, unless the file ends there (`last_line_whole`).
    """
    out: list[str] = []
    pos = last_end = start
    after_exception: int | None = None
    linked = False
    while pos < end and len(out) < MAX_REGION_LINES:
        nl = buf.find(b"\n", pos, end)
        if nl < 0 and not last_line_whole and out:
            break
        stop = end if nl < 0 else nl
        text = buf[pos:stop].decode("utf-8", "replace")
        next_pos = stop + 1
        line_rank, body = rank_of(text)
        if line_rank != rank:
            pos = next_pos
            continue
        body = LOG_PREFIX.sub("", body, count=1) if out else body
        stripped = body.strip()
        if not out:
            pass
        elif "Original Traceback" in body:
            linked, after_exception = True, None  # a DataLoader worker's traceback, quoted
        elif HEADER_TEXT in body:
            if after_exception is not None and not linked:
                break  # the next, unrelated traceback
            linked, after_exception = False, None
        elif CHAIN_CAUSE.search(body) or CHAIN_CONTEXT.search(body):
            linked = True
        elif after_exception is None:
            if stripped and not body[:1].isspace() and EXC_IN_BLOCK.match(stripped):
                if not match_frame_head(body):
                    after_exception, linked = 0, False
        else:
            after_exception += 1
            if after_exception > MAX_AFTER_EXCEPTION and not linked:
                break
        out.append(text)
        pos = last_end = next_pos
    return out, min(last_end, end)


def _open(path: str) -> tuple[IO[bytes], IO[bytes], bool]:
    """(stream to read, raw file for progress, compressed)."""
    raw = open(path, "rb")  # noqa: SIM115 - closed by the caller
    magic = raw.read(2)
    raw.seek(0)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw), raw, True  # type: ignore[return-value]
    return raw, raw, False


def _sniff_binary(path: str) -> bool:
    """Binary at its start, middle and end: a checkpoint, not a log with some junk in it."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            samples = []
            for offset in (0, size // 2, max(0, size - 8192)):
                handle.seek(offset)
                samples.append(handle.read(8192))
    except OSError:
        return False
    if samples[0][:2] == b"\x1f\x8b":
        return False
    return all(looks_binary(decode(sample)) for sample in samples)


def _last_header(raw: IO[bytes], size: int) -> int | None:
    """Offset of the last traceback header, reading backwards from the end."""
    step = 1024 * 1024
    pos = size
    carry = b""
    while pos > 0:
        start = max(0, pos - step)
        raw.seek(start)
        block = raw.read(pos - start) + carry
        found = block.rfind(HEADER)
        if found >= 0:
            return start + found
        carry = block[: len(HEADER) - 1]
        pos = start
    return None


def scan_file(
    path: str, last_only: bool, progress: Callable[[int], None]
) -> tuple[list[Occurrence], int]:
    """Every occurrence in one file (each rank's last with `last_only`); and the bytes it has."""
    stream, raw, compressed = _open(path)
    with raw:
        size = os.fstat(raw.fileno()).st_size
        start = 0
        if last_only and not compressed:
            header = _last_header(raw, size)
            start = max(0, (header if header is not None else size) - LAST_BACK)
            raw.seek(start)
            if start:
                raw.readline()  # begin on a whole line
                start = raw.tell()
            progress(start)
        regions = _Regions(path, rank_from_name(path), line_known=start == 0)
        done = [start]

        def read(n: int) -> bytes:
            data = stream.read(n)
            if compressed:
                now = raw.tell()
                progress(now - done[0])
                done[0] = now
            return data

        regions.scan(read, start, (lambda n: None) if compressed else progress)
        found = regions.found
    if last_only:
        by_rank: dict[str | None, Occurrence] = {}
        for occ in found:
            by_rank[occ.rank] = occ
        found = sorted(by_rank.values(), key=lambda o: o.offset)
    return found, size


def group_key(occ: Occurrence) -> tuple[Any, ...]:
    err = occ.parsed.error
    if err is None:
        return ("?", occ.standalone)
    first = err.message.strip().splitlines()[0] if err.message.strip() else ""
    frames = tuple((f.file, f.line, f.function) for f in err.frames)
    return (err.type, first, frames, occ.standalone)


def scan_paths(
    paths: list[str],
    last_only: bool = False,
    on_progress: Callable[[int, int, int], None] | None = None,
) -> ScanResult:
    """Scan files and folders; the distinct errors in order of first appearance."""
    began = time.perf_counter()
    files, missing = iter_files(paths)
    result = ScanResult(groups=[], missing=missing)
    sizes: dict[str, int] = {}
    for path, _ in files:
        try:
            sizes[path] = os.path.getsize(path)
        except OSError:
            sizes[path] = 0
    total = sum(sizes.values())
    done = [0]

    def progress(n: int) -> None:
        done[0] += n
        if on_progress is not None:
            on_progress(done[0], total, result.tracebacks)

    groups: dict[tuple[Any, ...], Group] = {}
    for path, explicit in files:
        if not explicit and _sniff_binary(path):
            result.skipped.append(f"{path} (binary)")
            progress(sizes[path])
            continue
        before = done[0]
        try:
            found, size = scan_file(path, last_only, progress)
        except (OSError, EOFError, zlib.error) as exc:
            result.skipped.append(f"{path} ({getattr(exc, 'strerror', None) or exc})")
            continue
        progress(max(0, size - (done[0] - before)))
        result.files += 1
        result.bytes += size
        for occ in found:
            if not occ.standalone:
                result.tracebacks += 1
            key = group_key(occ)
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group(first=occ)
            group.add(occ)
    result.groups = _keep(list(groups.values()), result)
    result.seconds = time.perf_counter() - began
    return result


def _keep(groups: list[Group], result: ScanResult) -> list[Group]:
    """Drop launcher reports when the real errors are there, and lone lines that repeat them."""

    def exc_type(g: Group) -> str:
        return (g.first.parsed.error.type or "") if g.first.parsed.error else ""

    launcher = [g for g in groups if any(n in exc_type(g) for n in LAUNCHER_ERRORS)]
    if launcher and len(launcher) < len(groups):
        result.launcher_reports = sum(g.count for g in launcher)
        groups = [g for g in groups if g not in launcher]
    traced = {group_key(g.first)[:2] for g in groups if not g.first.standalone}
    return [g for g in groups if not (g.first.standalone and group_key(g.first)[:2] in traced)]


def explain_groups(groups: list[Group], kb: Any, read_source: bool) -> list[Group]:
    """Explain each group once; lone error lines stay only when the knowledge base knows them."""
    from explainer.explain import explain_parsed

    kept = []
    for group in groups:
        group.explanation = explain_parsed(group.first.parsed, kb, read_source=read_source)
        if group.first.standalone and group.explanation.status != "explained":
            continue
        kept.append(group)
    return kept


class ProgressBar:
    """`scan [#######.....]  45%  450/1000 MB  3 tracebacks` on stderr, redrawn at most 10x/s."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.shown = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int, tracebacks: int) -> None:
        now = time.monotonic()
        if now - self.shown < 0.1 and done < total:
            return
        self.shown = now
        share = done / total if total else 1.0
        width = 30
        filled = int(share * width)
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(
            f"\rscan [{bar}] {share:4.0%}  {done / 1e6:,.1f}/{total / 1e6:,.1f} MB  "
            f"{tracebacks} traceback{'s' if tracebacks != 1 else ''}"
        )
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def where_first(group: Group) -> str:
    occ = group.first
    return f"{occ.file}:{occ.line}" if occ.line is not None else f"{occ.file} (byte {occ.offset})"


def group_dict(group: Group) -> dict[str, Any]:
    from explainer.render.json_ import to_dict

    return {
        "kind": "error",
        "label": group.label(),
        "ranks": group.ranks,
        "files": group.files,
        "count": group.count,
        "first": {"file": group.first.file, "line": group.first.line, "offset": group.first.offset},
        "traceback": not group.first.standalone,
        "explanation": to_dict(group.explanation) if group.explanation else None,
    }


def summary_dict(result: ScanResult, groups: list[Group]) -> dict[str, Any]:
    return {
        "kind": "summary",
        "files": result.files,
        "bytes": result.bytes,
        "seconds": round(result.seconds, 3),
        "tracebacks": result.tracebacks,
        "distinct": len(groups),
        "launcher_reports": result.launcher_reports,
        "skipped": result.skipped,
        "missing": result.missing,
    }


def summary_line(result: ScanResult, groups: list[Group]) -> str:
    size = f"{result.bytes / 1e9:.2f} GB" if result.bytes >= 1e8 else f"{result.bytes / 1e6:.1f} MB"
    files = f"{result.files} file{'s' if result.files != 1 else ''}"
    errors = f"{len(groups)} distinct error{'s' if len(groups) != 1 else ''}"
    line = (
        f"scanned {files} ({size}) in {result.seconds:.1f} s: "
        f"{result.tracebacks} traceback{'s' if result.tracebacks != 1 else ''}, {errors}"
    )
    if result.launcher_reports:
        line += f" (and {result.launcher_reports} launcher report(s) about them)"
    if result.skipped:
        line += f"; skipped {len(result.skipped)}: " + ", ".join(result.skipped[:5])
    return line


def scan_command(
    paths: list[str],
    as_json: bool,
    last_only: bool,
    progress: bool | None,
    color: bool | None,
    no_source: bool,
    no_history: bool,
    kb: Any,
) -> int:
    """The `explainer scan` command; returns the exit code."""
    import click

    from explainer.render.text import Style, render_text, want_color
    from explainer.shell.commands import record

    show_bar = sys.stderr.isatty() if progress is None else progress
    bar = ProgressBar(sys.stderr) if show_bar else None
    try:
        result = scan_paths(paths, last_only, bar)
    finally:
        if bar is not None:
            bar.close()
    for path in result.missing:
        click.echo(f"explainer: no such file or folder: {path}", err=True)
    if not result.files:
        if as_json:
            import json

            click.echo(json.dumps(summary_dict(result, [])))
        if not result.missing:
            click.echo("explainer: no readable log files found", err=True)
        return 2
    groups = explain_groups(result.groups, kb, read_source=not no_source)
    colored = want_color(sys.stdout.isatty(), color)
    style = Style(colored)
    for group in groups:
        assert group.explanation is not None
        if as_json:
            import json

            click.echo(json.dumps(group_dict(group), ensure_ascii=False))
        else:
            head = f"== {group.label()}: {group.count} occurrence(s), first at {where_first(group)}"
            click.echo(style.bold(head), color=True)
            click.echo(render_text(group.explanation, color=colored), color=True)
        record(
            group.explanation,
            "scan",
            no_history,
            text=group.first.parsed.text,
            command="explainer scan " + " ".join(paths),
        )
    if as_json:
        import json

        click.echo(json.dumps(summary_dict(result, groups)))
    else:
        click.echo(style.dim(summary_line(result, groups)), color=True)
    if not groups:
        return 2
    return 1 if any(g.explanation and g.explanation.status != "explained" for g in groups) else 0
