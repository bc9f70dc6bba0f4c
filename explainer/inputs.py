"""Reading the user's text: a file or stdin, bounded in memory, decoded whatever the encoding."""

from __future__ import annotations

import os
import sys
from collections import deque
from dataclasses import dataclass
from typing import BinaryIO

from explainer.parsing.clean import decode, looks_binary

TAIL_BYTES = 8 * 1024 * 1024  # the last traceback of a long log lies in its tail
CHUNK = 1024 * 1024


class InputError(Exception):
    """The input cannot be read as text; the message is shown to the user as it is."""


@dataclass
class InputText:
    text: str
    total_bytes: int
    truncated: bool
    name: str


def read_input(path: str) -> InputText:
    """Read `path` ('-' for stdin), keeping only the last TAIL_BYTES of a large input."""
    if path == "-":
        return _from_stream(sys.stdin.buffer, "<stdin>")
    if os.path.isdir(path):
        raise InputError(f"{path} is a directory; give a file with the traceback, or '-' for stdin")
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as handle:
            if size > TAIL_BYTES:
                handle.seek(size - TAIL_BYTES)
                data = handle.read()
                data = data[data.find(b"\n") + 1 :] if b"\n" in data[:CHUNK] else data
            else:
                data = handle.read()
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except PermissionError:
        raise InputError(f"permission denied: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return _text(data, size, size > TAIL_BYTES, path)


def _from_stream(stream: BinaryIO, name: str) -> InputText:
    chunks: deque[bytes] = deque()
    kept = total = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        chunks.append(chunk)
        kept += len(chunk)
        total += len(chunk)
        while kept - len(chunks[0]) >= TAIL_BYTES:
            kept -= len(chunks.popleft())
    data = b"".join(chunks)
    return _text(data, total, total > kept, name)


def _text(data: bytes, total: int, truncated: bool, name: str) -> InputText:
    text = decode(data)
    if looks_binary(text):
        raise InputError(f"{name} looks like binary data, not text; give the log or traceback text")
    return InputText(text=text, total_bytes=total, truncated=truncated, name=name)
