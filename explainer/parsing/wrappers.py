"""Messages that wrap the real one: torch.compile / dynamo, DataLoader workers, Inductor.

The knowledge base matches the inner message too, since that is where the shapes are.
"""

from __future__ import annotations

import ast
import re

from explainer.model import Frame
from explainer.parsing.frames import is_user_file

# torch >= 2.5: "... call_function <fn>(*(...), **{}): got RuntimeError('inner')"
DYNAMO_GOT = re.compile(
    r"got (?P<type>\w+)\((?P<q>['\"])(?P<inner>.*?)(?P=q)\)\s*(?:\n|$)", re.DOTALL
)
# torch 2.0-2.4: "Failed running call_function <fn>(*(...), **{}):\n<inner>"
DYNAMO_FAILED = re.compile(r"Failed running \w+ [^\n]*?:\s*\n(?P<inner>[^\n]+(?:\n(?!\n)[^\n]+)*)")
# Inductor / backend failures: "backend='inductor' raised:\nRuntimeError: inner"
BACKEND_RAISED = re.compile(r"raised:\s*\n(?:\w+\.)*\w+:\s*(?P<inner>[^\n]+)")
USER_CODE = re.compile(r"from user code:\s*\n(?P<body>(?:[ \t]+[^\n]*\n?)+)")
USER_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)\s*$')


def inner_messages(message: str) -> list[str]:
    """Messages nested inside a wrapper's message, innermost last."""
    found: list[str] = []
    m = DYNAMO_GOT.search(message)
    if m:
        found.append(_unrepr(m["inner"], m["q"]))
    m = DYNAMO_FAILED.search(message)
    if m:
        found.append(m["inner"].strip())
    m = BACKEND_RAISED.search(message)
    if m:
        found.append(m["inner"].strip())
    return [f for f in found if f and f != message]


def _unrepr(body: str, quote: str) -> str:
    """Undo the escaping of repr(): `\\n` becomes a newline again."""
    try:
        value = ast.literal_eval(quote + body + quote)
    except (SyntaxError, ValueError):
        return body.replace("\\n", "\n")
    return value if isinstance(value, str) else body


def user_code_frames(message: str) -> list[Frame]:
    """Frames listed under 'from user code:' by dynamo: the user's own lines."""
    m = USER_CODE.search(message)
    if not m:
        return []
    frames: list[Frame] = []
    lines = m["body"].splitlines()
    for k, line in enumerate(lines):
        fm = USER_FRAME.match(line)
        if not fm:
            continue
        code = (
            lines[k + 1].strip()
            if k + 1 < len(lines) and not USER_FRAME.match(lines[k + 1])
            else None
        )
        frames.append(
            Frame(
                file=fm["file"],
                line=int(fm["line"]),
                function=fm["func"],
                code=code,
                is_user=is_user_file(fm["file"]),
            )
        )
    return frames
