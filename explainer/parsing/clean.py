"""Turn whatever the user pasted into plain lines a traceback parser can read.

Removes what terminals, launchers, loggers and web pages add around a traceback: ANSI colours,
`[rank3]:` prefixes (keeping one rank's lines when ranks interleave), timestamps and log levels,
quote markers, markdown decoration and HTML escapes. Uses the standard `re` module: these
patterns are fixed and simple, and `re` is already imported by Python at start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Z0-9]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Launcher prefixes put on every line of a worker's output.
RANK_PREFIX = re.compile(
    r"^(?:\[(?P<kind>rank|default|local_rank)(?P<rank>\d+)\]:?\s?"  # torchrun / torchelastic
    r"|\[1?,?(?P<mpi>\d+)\]<std(?:out|err)>:\s?"  # mpirun --tag-output
    r"|(?P<ray>\((?:pid=\d+|\w+ pid=\d+)[^)]*\))\s)"  # ray workers
)
SRUN_PREFIX = re.compile(r"^\s{0,3}(?P<rank>\d{1,4}):\s")

LEVEL = r"(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL|EXCEPTION)"
TIMESTAMP = (
    r"\[?\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\]?"
    r"|\[?\d{2}[-/]\d{2}[- ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\]?"
    r"|\[?\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\]?"
)
# A logger's name, but not an exception's: `ERROR root: RuntimeError: ...` keeps its type.
LOGGER = r"(?![\w.]*(?:Error|Exception|Warning|Exit|Interrupt)\b)[\w.]+"
# One log record's prefix: timestamp, level, logger name, in the common layouts.
LOG_PREFIX = re.compile(
    rf"^(?:(?:{TIMESTAMP})(?:\s*[-|:]?\s*(?:\[[^\]]{{1,60}}\]|{LEVEL}|{LOGGER}(?=\s*[-|:]\s))){{0,4}}"
    rf"\s*[-|:]?\s*"
    rf"|{LEVEL}:[\w.<>-]+:"  # logging.basicConfig: ERROR:root:
    rf"|\[{LEVEL}\]\s*"
    rf"|[EWIF]\d{{4}} \d{{2}}:\d{{2}}:\d{{2}}\.\d+\s+\d+\s+\S+:\d+\]\s?(?:\[[\d/]+\]\s?)?"  # glog
    r")"
)
QUOTE = re.compile(r"^\s{0,3}>+ ?")
FENCE = re.compile(r"^\s*(?:```|~~~)[\w+-]*\s*$|^\s*[`*_]+\s*$")
MD_LINK = re.compile(r"\[([^\]\n]{1,200})\]\((?:https?://|mailto:)[^)\s]*\)")
MD_LEAD = re.compile(r"^(\s*)(?:`+ *|\*+_*|_+\*+)(?=\S)")
MD_TRAIL = re.compile(r"(?<=\S)(?:`+|_*\*+|\*+_+)\s*$")
HTML_ENTITY = re.compile(r"&(?:[a-z]{2,6}|#\d{2,5});")


@dataclass
class CleanText:
    """Cleaned lines and what was learned while cleaning them."""

    lines: list[str]
    # Indexes of lines that began a new log record (a timestamp or level was removed).
    record_starts: set[int]
    ranks: list[str]  # ranks seen in launcher prefixes, in order of first appearance
    chosen_rank: str | None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8, UTF-16 with a BOM (PowerShell redirects), else Latin-1 fallbacks."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    # UTF-16 without a BOM shows up as every other byte NUL.
    sample = data[:4096]
    if len(sample) > 16 and sample[1::2].count(0) > len(sample) // 4:
        return data.decode("utf-16-le", errors="replace")
    return data.decode("utf-8", errors="replace")


def looks_binary(text: str) -> bool:
    """True when the text is mostly control characters or replacement characters."""
    sample = text[:8192]
    if not sample:
        return False
    bad = len(CONTROL.findall(sample)) + sample.count("\ufffd")
    return bad > len(sample) * 0.1


def strip_markup(line: str) -> str:
    line = MD_LINK.sub(r"\1", line)
    line = MD_LEAD.sub(r"\1", line)
    return MD_TRAIL.sub("", line)


def rank_of(line: str) -> tuple[str | None, str]:
    """The rank named by the launcher prefixes (`[default0]:[rank0]:` nests two) and the rest."""
    rank: str | None = None
    for _ in range(3):
        m = RANK_PREFIX.match(line)
        if not m:
            break
        rank = rank or m.group("rank") or m.group("mpi") or m.group("ray")
        line = line[m.end() :]
    return rank, line


def split_ranks(lines: list[str]) -> tuple[list[str], list[str], str | None]:
    """Strip launcher prefixes; when several ranks interleave, keep the first failing rank."""
    tagged = [rank_of(line) for line in lines]
    ranks: list[str] = []
    for rank, _ in tagged:
        if rank is not None and rank not in ranks:
            ranks.append(rank)
    if not ranks:
        return _strip_srun(lines)
    if len(ranks) == 1:
        return [rest for _, rest in tagged], ranks, ranks[0]
    failing: list[str] = []
    finished: list[str] = []
    for rank, rest in tagged:
        if rank is None:
            continue
        if rank not in failing and "Traceback (most recent call last)" in rest:
            failing.append(rank)
        if rank not in finished and EXCEPTION_LINE.match(rest):
            finished.append(rank)
    if not failing and not finished:
        return [rest for _, rest in tagged], ranks, None
    # The first rank whose traceback reached its exception line: a log cut short (or a rank
    # killed mid-print) may leave the first rank to fail without its message.
    chosen = finished[0] if finished else failing[0]
    # Unprefixed lines (the launcher's own) stay: the summary at the end can matter.
    kept = [rest for rank, rest in tagged if rank in (chosen, None)]
    return kept, ranks, chosen


EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Error|Exception)\b:")


def dedent_tracebacks(lines: list[str]) -> list[str]:
    """A traceback pasted indented (a markdown code block, a web UI's log) as if at column 0:
    from an indented `Traceback` header on, the header's indentation is removed from the lines
    that carry it, until a line that does not."""
    lines = _dedent_all(lines)
    out: list[str] = []
    prefix = ""
    for line in lines:
        stripped = line.lstrip(" \t")
        if stripped.startswith("Traceback (most recent call last)"):
            prefix = line[: len(line) - len(stripped)]
        elif prefix and line.strip() and not line.startswith(prefix):
            prefix = ""
        out.append(line[len(prefix) :] if prefix and line.startswith(prefix) else line)
    return out


def _dedent_all(lines: list[str]) -> list[str]:
    """Remove the whitespace every non-blank line starts with (a paste indented as a whole)."""
    nonblank = [line for line in lines if line.strip()]
    if not nonblank or not nonblank[0][:1].isspace():
        return lines
    prefix = nonblank[0][: len(nonblank[0]) - len(nonblank[0].lstrip(" \t"))]
    for line in nonblank[1:]:
        while prefix and not line.startswith(prefix):
            prefix = prefix[:-1]
        if not prefix:
            return lines
    return [
        line[len(prefix) :] if line.startswith(prefix) else line.lstrip(" \t") for line in lines
    ]


def _strip_srun(lines: list[str]) -> tuple[list[str], list[str], str | None]:
    """`srun --label` prefixes `0: ` on every line; only strip when most lines carry it."""
    nonblank = [line for line in lines if line.strip()]
    hits = [SRUN_PREFIX.match(line) for line in nonblank]
    if not nonblank or sum(1 for h in hits if h) < 0.8 * len(nonblank):
        return lines, [], None
    ranks: list[str] = []
    by_rank: list[tuple[str | None, str]] = []
    for line in lines:
        m = SRUN_PREFIX.match(line)
        if m:
            if m.group("rank") not in ranks:
                ranks.append(m.group("rank"))
            by_rank.append((m.group("rank"), line[m.end() :]))
        else:
            by_rank.append((None, line))
    chosen = next(
        (r for r, rest in by_rank if r is not None and "Traceback (most recent" in rest),
        ranks[0] if ranks else None,
    )
    kept = [rest for r, rest in by_rank if r in (chosen, None)]
    return kept, ranks, chosen


def clean(text: str) -> CleanText:
    """Normalise newlines and remove decoration, line by line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x1b" in text:
        text = ANSI.sub("", text)
    if HTML_ENTITY.search(text):
        import html

        text = html.unescape(text)
    text = CONTROL.sub("", text.replace("\t", "    ")) if CONTROL.search(text) else text
    raw = text.split("\n")

    quoted = [line for line in raw if line.strip()]
    if quoted and sum(1 for line in quoted if QUOTE.match(line)) >= 0.5 * len(quoted):
        raw = [QUOTE.sub("", line, count=1) for line in raw]

    lines, ranks, chosen = split_ranks(raw)
    lines = _join_wrapped_file_lines(dedent_tracebacks(lines))

    out: list[str] = []
    starts: set[int] = set()
    for line in lines:
        if FENCE.match(line):
            continue
        stripped = line
        for _ in range(3):
            m = LOG_PREFIX.match(stripped)
            if not m or m.end() == 0:
                break
            stripped = stripped[m.end() :]
            starts.add(len(out))
            rank, rest = rank_of(stripped)
            if rank is not None:
                stripped = rest
        out.append(strip_markup(stripped.rstrip()))
    return CleanText(lines=out, record_starts=starts, ranks=ranks, chosen_rank=chosen)


FILE_START = re.compile(r'^\s*File "')
FILE_WHOLE = re.compile(r'^\s*File "[^"]+", line \d+, in \S.*$')


def _join_wrapped_file_lines(lines: list[str]) -> list[str]:
    """Rejoin `File "...", line N, in f` lines that a narrow terminal broke in two.

    A hard wrap leaves the rest at column 0, where a frame's source line would be indented.
    """
    if not any(FILE_START.match(line) and not FILE_WHOLE.match(line) for line in lines):
        return lines
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        while (
            FILE_START.match(line)
            and not FILE_WHOLE.match(line)
            and i + 1 < len(lines)
            and lines[i + 1].strip()
            and (
                line.count('"') == 1
                or not lines[i + 1][:1].isspace()
                or FILE_WHOLE.match(line + lines[i + 1])
            )
            and len(line) < 400
        ):
            i += 1
            line = line + lines[i]
        out.append(line)
        i += 1
    return out
