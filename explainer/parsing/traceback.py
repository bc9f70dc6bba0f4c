"""Find the last Python traceback in cleaned lines: frames, exception, chained exceptions.

Also handles texts with no traceback at all (only the final `Error: message` line, an IDE's
`Exception has occurred:` header, or just the message) and the warnings printed beside them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from explainer.model import ErrorBlock, Frame, ParsedText, WarningLine
from explainer.parsing.clean import CleanText
from explainer.parsing.frames import (
    ARROW_LINE,
    CARETS,
    CONTEXT_LINE,
    FrameHead,
    is_user_file,
    match_frame_head,
)
from explainer.parsing.wrappers import inner_messages, user_code_frames

HEADER = re.compile(r"Traceback \(most recent call last\):?\s*$")
CHAIN_CAUSE = re.compile(r"^\s*The above exception was the direct cause of the following exception")
CHAIN_CONTEXT = re.compile(
    r"^\s*During handling of the above exception, another exception occurred"
)
# A dotted name followed by a colon, or alone: the exception line that ends a traceback.
EXC_IN_BLOCK = re.compile(r"^(?P<type>(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*)(?::\s?(?P<msg>.*))?$")
EXC_SUFFIX = r"(?:Error|Exception|Warning|Interrupt|Exit|Failed|Fault|Unsupported)"
# Outside a traceback the name must look like an exception, and may follow other text.
EXC_ANYWHERE = re.compile(
    rf"(?:^|(?<=[\s:>`*_(\[\"'“]))(?P<type>(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*{EXC_SUFFIX})"
    rf"\s?:\s?(?P<msg>\S.*)$"
)
# IDE headers (VS Code and its translations) put the type alone, then the message below.
IDE_HEADER = re.compile(rf"^[^\n]{{0,40}}?[:：]\s*(?P<type>(?:[\w]+\.)*\w*{EXC_SUFFIX})\s*$")
IPY_BANNER = re.compile(rf"^(?P<type>(?:[\w]+\.)*\w*{EXC_SUFFIX})\s{{3,}}Traceback \(most recent")
WARNING_LINE = re.compile(r"^(?:(?P<file>.+?):(?P<line>\d+):\s)?(?P<cat>\w*Warning):\s(?P<msg>.+)$")
MESSAGE_STOP = re.compile(
    r"^\s*(?:Exception raised from |frame #\d+:|wandb:|\[[WEI]\d{4} )|\d+%\||\d(?:it/s|s/it)\]"
)
SEPARATOR = re.compile(r"^-{20,}\s*$")
LAUNCHER_ERRORS = ("ChildFailedError", "CalledProcessError", "SignalException")
MAX_MESSAGE_LINES = 80


@dataclass
class _Block:
    start: int
    end: int
    frames: list[Frame] = field(default_factory=list)
    exc_type: str | None = None
    message: str = ""
    cpp_frames: list[str] = field(default_factory=list)
    link: str | None = None


def parse_lines(clean: CleanText) -> ParsedText:
    lines = clean.lines
    text = clean.text
    has_header = any(HEADER.search(line) for line in lines)
    warnings = find_warnings(lines)
    headers = [i for i, line in enumerate(lines) if HEADER.search(line)]
    if not headers:
        ide = _ide_pane(lines)
        if ide is not None:
            return ParsedText(
                text=text,
                error=ide,
                has_traceback=bool(ide.frames),
                warnings=warnings,
                inner_messages=inner_messages(ide.message),
            )
        # A paste that starts in the middle of a traceback: frames with no header above them,
        # unless those frames are the `from user code:` listing inside a compile error.
        first = next((i for i, line in enumerate(lines) if match_frame_head(line)), None)
        if first is not None and not _in_wrapper_listing(lines, first):
            headers = [first - 1]
    if not headers:
        error = _error_without_traceback(lines)
        return ParsedText(
            text=text,
            error=error,
            has_traceback=False,
            warnings=warnings,
            inner_messages=inner_messages(error.message) if error else [],
        )

    blocks = [
        _read_block(lines, start, headers[k + 1] if k + 1 < len(headers) else len(lines), clean)
        for k, start in enumerate(headers)
    ]
    last = _pick_last(blocks)
    chain = _chain_before(lines, blocks, last)
    final = blocks[last]
    error = ErrorBlock(
        type=final.exc_type,
        message=final.message,
        frames=final.frames,
        cpp_frames=final.cpp_frames,
    )
    _add_user_code_frames(error)
    error.message = tidy_message(error.message)
    chain_blocks = [
        ErrorBlock(type=b.exc_type, message=tidy_message(b.message), frames=b.frames, link=b.link)
        for b in chain
    ]
    inner: list[str] = []
    for block in [error, *reversed(chain_blocks)]:
        inner.extend(inner_messages(block.message))
    return ParsedText(
        text=text,
        error=error,
        chain=chain_blocks,
        has_traceback=has_header or bool(error.frames),
        warnings=warnings,
        inner_messages=inner,
    )


def _pick_last(blocks: list[_Block]) -> int:
    """The last traceback, unless it is a launcher's report about a worker that failed."""
    for k in range(len(blocks) - 1, -1, -1):
        exc = blocks[k].exc_type or ""
        if not any(name in exc for name in LAUNCHER_ERRORS) and blocks[k].exc_type:
            return k
    return len(blocks) - 1


def _chain_before(lines: list[str], blocks: list[_Block], last: int) -> list[_Block]:
    """Blocks linked to `last` by 'direct cause' or 'during handling', oldest first."""
    chain: list[_Block] = []
    k = last
    while k > 0:
        link = _link_before(lines, blocks[k - 1].end, blocks[k].start)
        if link is None:
            break
        blocks[k - 1].link = link
        chain.insert(0, blocks[k - 1])
        k -= 1
    return chain


def _link_before(lines: list[str], prev_end: int, start: int) -> str | None:
    between = lines[max(prev_end - 6, 0) : start]
    for line in between:
        if CHAIN_CAUSE.search(line):
            return "cause"
        if CHAIN_CONTEXT.search(line):
            return "context"
    header = lines[start]
    if "Original Traceback" in header:
        return "wrapped"
    return None


def _read_block(lines: list[str], start: int, stop: int, clean: CleanText) -> _Block:
    """Frames from the header down, then the exception line and its message."""
    block = _Block(start=start, end=stop)
    banner = IPY_BANNER.match(lines[start].strip()) if start >= 0 else None
    i = start + 1
    head: FrameHead | None = None
    code: str | None = None
    last_frame_line = start
    while i < stop:
        line = lines[i]
        new_head = match_frame_head(line)
        if new_head:
            if head:
                block.frames.append(_frame(head, code))
            head, code = new_head, None
            last_frame_line = i
            i += 1
            continue
        if head is not None and _is_frame_body(line, head, code):
            arrow = ARROW_LINE.match(line) if head.ipython else None
            if arrow:
                head.line = int(arrow["line"])
                code = (arrow["code"] or "").strip() or code
            elif code is None and not head.ipython and line.strip() and not CARETS.match(line):
                code = line.strip()
            last_frame_line = i
            i += 1
            continue
        if not line.strip() or SEPARATOR.match(line):
            i += 1
            continue
        exc = EXC_IN_BLOCK.match(line.strip())
        if exc:
            if head:
                block.frames.append(_frame(head, code))
                head = None
            block.exc_type = exc["type"]
            block.message, block.cpp_frames, end = _read_message(
                lines, i, stop, exc["msg"] or "", clean
            )
            block.end = end
            return block
        i += 1
    if head:
        block.frames.append(_frame(head, code))
    if banner:
        block.exc_type = banner["type"]
    block.end = max(last_frame_line + 1, min(stop, start + 1))
    return block


def _is_frame_body(line: str, head: FrameHead, code: str | None) -> bool:
    """Source lines under a frame: indented, or (when indentation was lost) the first line."""
    if head.ipython:
        return bool(ARROW_LINE.match(line) or CONTEXT_LINE.match(line))
    if not line.strip():
        return False
    indent = len(line) - len(line.lstrip(" \t"))
    if indent > head.indent:
        return True
    if indent and EXC_IN_BLOCK.match(line.strip()):
        return False  # an indented paste's exception line, level with its frames
    if line[0] in " \t":
        return True
    return code is None and not EXC_IN_BLOCK.match(line.strip())


def _read_message(
    lines: list[str], i: int, stop: int, first: str, clean: CleanText
) -> tuple[str, list[str], int]:
    """The exception message: its first line and the continuation lines that belong to it."""
    parts = [first]
    cpp: list[str] = []
    j = i + 1
    in_cpp = False
    blank_run = 0
    # When every line carries a log prefix, a prefix does not mean a new record.
    records_split = i not in clean.record_starts
    while j < stop and j < i + MAX_MESSAGE_LINES:
        line = lines[j]
        if (
            (records_split and j in clean.record_starts)
            or CHAIN_CAUSE.search(line)
            or CHAIN_CONTEXT.search(line)
        ):
            break
        if HEADER.search(line) and "Original Traceback" not in line:
            break
        if in_cpp or line.lstrip().startswith(("Exception raised from", "frame #")):
            in_cpp = True
            cpp.append(line.strip())
            j += 1
            continue
        if MESSAGE_STOP.match(line):
            break
        if not line.strip():
            blank_run += 1
            if blank_run >= 2:
                break
        else:
            blank_run = 0
            if SEPARATOR.match(line):
                break
        parts.append(line)
        j += 1
    message = "\n".join(parts).strip()
    return message, cpp, j


# Sections torch appends after the message proper: hints, not part of the error.
MESSAGE_TAIL = re.compile(
    r"\n\s*(?:Set TORCH_LOGS|Hint: |Developer debug context|You can suppress this exception|"
    r"To execute this test|"
    r"Compile with `TORCH_USE_CUDA_DSA`|For more information about this error|"
    r"from user code:)"
)


def tidy_message(message: str) -> str:
    """The message without the hint sections torch appends to it."""
    m = MESSAGE_TAIL.search(message)
    return message[: m.start()].rstrip() if m else message


def _frame(head: FrameHead, code: str | None) -> Frame:
    return Frame(
        file=head.file,
        line=head.line,
        function=head.function,
        code=code,
        is_user=is_user_file(head.file),
    )


def _add_user_code_frames(error: ErrorBlock) -> None:
    """torch.compile puts the user's real line in a 'from user code:' section of the message."""
    frames = user_code_frames(error.message)
    if frames:
        error.frames.extend(frames)


WRAPPER_LISTING = re.compile(r"^\s*(?:from user code:|User Stack \(most recent call last\):)")


def _in_wrapper_listing(lines: list[str], first_frame: int) -> bool:
    """Whether a frame line sits in torch.compile's `from user code:` / `User Stack` listing."""
    return any(WRAPPER_LISTING.match(line) for line in lines[max(first_frame - 3, 0) : first_frame])


def _ide_pane(lines: list[str]) -> ErrorBlock | None:
    """VS Code's 'Exception has occurred: RuntimeError' pane (and its translations).

    The type stands alone under the header, the message follows, then the frames innermost
    first: reversed here to the usual order, outermost first.
    """
    for h, line in enumerate(lines):
        m = IDE_HEADER.match(line.strip())
        if not m or h + 1 >= len(lines) or not lines[h + 1].strip():
            continue
        first = next(
            (i for i in range(h + 1, len(lines)) if match_frame_head(lines[i])), len(lines)
        )
        message = "\n".join(lines[h + 1 : first]).strip()
        if not message:
            continue
        block = _read_block(lines, first - 1, len(lines), CleanText(lines, set(), [], None))
        frames = list(reversed(block.frames)) if block.frames else []
        return ErrorBlock(type=m["type"], message=message, frames=frames)
    return None


def _error_without_traceback(lines: list[str]) -> ErrorBlock | None:
    """The last `Type: message` line, an IDE header, or nothing."""
    for i in range(len(lines) - 1, -1, -1):
        m = EXC_ANYWHERE.search(lines[i].strip())
        if m and not WARNING_LINE.match(lines[i].strip()):
            error = ErrorBlock(type=m["type"], message=_continue(lines, i, m["msg"]))
            # torch.compile lists the user's frames after the message: keep them as frames.
            error.frames = user_code_frames("\n".join(lines[i : i + MAX_MESSAGE_LINES]))
            return error
        m = IDE_HEADER.match(lines[i].strip())
        if m and i + 1 < len(lines) and lines[i + 1].strip():
            return ErrorBlock(type=m["type"], message=_continue(lines, i + 1, lines[i + 1].strip()))
    return None


def _continue(lines: list[str], i: int, first: str) -> str:
    parts = [first]
    for line in lines[i + 1 : i + 12]:
        if not line.strip() or match_frame_head(line) or MESSAGE_STOP.match(line):
            break
        parts.append(line)
    return "\n".join(parts).strip()


def find_warnings(lines: list[str]) -> list[WarningLine]:
    """Warnings as Python prints them: `file:line: Category: message`, then the source line
    indented below. A message that a terminal wrapped goes on, unindented, on the next lines."""
    found: list[WarningLine] = []
    for i, line in enumerate(lines):
        if "Warning:" not in line:
            continue
        m = WARNING_LINE.search(line.strip())
        if not m:
            continue
        parts = [m["msg"].strip()]
        code = None
        for nxt in lines[i + 1 : i + 8]:
            if not nxt.strip() or match_frame_head(nxt) or HEADER.search(nxt):
                break
            if nxt[:1].isspace():
                code = nxt.strip()
                break
            if WARNING_LINE.search(nxt.strip()) or EXC_ANYWHERE.search(nxt.strip()):
                break
            if parts[-1][-1:].isdigit() and nxt.strip()[:1].isdigit():
                parts[-1] += nxt.strip()  # a number the terminal broke in two: `204` / `0`
            else:
                parts.append(nxt.strip())
        # A progress bar without a newline runs into the warning: `... 3.72s/it]/home/u/loss.py`.
        file = re.split(r"[\s\]|]", m["file"])[-1] if m["file"] else None
        found.append(
            WarningLine(
                category=m["cat"],
                message=" ".join(parts),
                file=file or None,
                line=int(m["line"]) if m["line"] else None,
                code=code,
            )
        )
    return found
