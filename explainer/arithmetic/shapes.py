"""Shapes and numbers as they appear in messages, and the small pure helpers every family uses."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

INT = re.compile(r"^[+-]?\d+$")
SHAPE_CHARS = re.compile(r"^[\s\d,x×*()\[\]\-]+$")
SIZE_WRAPPER = re.compile(r"^\s*(?:torch\.)?Size\(\s*(?P<body>.*)\)\s*$", re.DOTALL)


class Shape(tuple[int, ...]):
    """A tensor shape; prints as `[32, 256, 28, 28]`, and as `32 × 256 × 28 × 28` with `:x`."""

    def __str__(self) -> str:
        return "[" + ", ".join(str(d) for d in self) + "]"

    def __repr__(self) -> str:
        return f"Shape({list(self)})"

    def __format__(self, spec: str) -> str:
        if spec == "x":
            return " × ".join(f"{d:,}" for d in self) if self else "1"
        if spec == "t":
            return "torch.Size([" + ", ".join(str(d) for d in self) + "])"
        return format(str(self), spec)

    @property
    def numel(self) -> int:
        return product(self)


def parse_value(raw: str | None) -> int | Shape | str | None:
    """A captured group as an int, a Shape, or the string it was (symbolic sizes stay strings)."""
    if raw is None:
        return None
    text = raw.strip()
    if INT.match(text):
        return int(text)
    m = SIZE_WRAPPER.match(text)
    if m:
        text = m["body"]
    if text in ("[]", "()", ""):
        return Shape(()) if text else raw
    if SHAPE_CHARS.match(text) and re.search(r"\d", text):
        dims = re.findall(r"-?\d+", text)
        return Shape(int(d) for d in dims)
    return raw


def product(dims: Iterable[int]) -> int:
    return math.prod(dims)


def fmt(n: int | float) -> str:
    """`6422528` -> `6,422,528`; floats keep up to 4 significant decimals."""
    if isinstance(n, float) and not n.is_integer():
        return f"{n:,.4g}" if abs(n) < 1000 else f"{n:,.1f}"
    return f"{int(n):,}"


def times(dims: Sequence[int]) -> str:
    """`[32, 256, 28, 28]` -> `32 × 256 × 28 × 28`."""
    return " × ".join(fmt(d) for d in dims) if dims else "1"


def integer_sqrt(n: int) -> int | None:
    root = math.isqrt(n) if n >= 0 else -1
    return root if root >= 0 and root * root == n else None


def factor_square(n: int, channels: Sequence[int] = ()) -> tuple[int, int] | None:
    """Write n as C × S × S, trying the given channel counts first, then common ones."""
    candidates = list(channels) + [
        c for c in (2048, 1024, 512, 384, 256, 128, 96, 64, 32, 16, 8, 6, 3, 1) if c not in channels
    ]
    for c in candidates:
        if c > 0 and n % c == 0:
            side = integer_sqrt(n // c)
            if side is not None and side > 1:
                return c, side
    return None


def conv_out(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """floor((H + 2p − d(k−1) − 1)/s) + 1, the output size of a convolution or pooling."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if ceil_mode:
        out = -(-span // stride) + 1
        # PyTorch drops a last window that would start inside the right padding.
        if (out - 1) * stride >= size + padding:
            out -= 1
        return out
    return span // stride + 1


def conv_transpose_out(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    output_padding: int = 0,
) -> int:
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def ratio_text(a: int, b: int) -> str:
    """`1600, 400` -> `4 = 2²`; otherwise a plain ratio."""
    if b == 0:
        return "undefined"
    if a % b == 0:
        q = a // b
        root = integer_sqrt(q)
        if root and root > 1:
            return f"{q} = {root}²"
        return str(q)
    return f"{a / b:.4g}"
