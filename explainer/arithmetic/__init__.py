"""Pure functions that work out the numbers behind an error, named by entries.

An entry's `arithmetic = "linear.in_features"` names `explainer.arithmetic.linear.in_features`.
Each function takes a `Context` (the numbers captured from the message, the parsed traceback and
the user's source files) and returns a `Reasoning`: the steps, the values its templates use, the
corrected values of the fix and the suspect lines. It raises `Decline` when the error is not the
kind its entry describes after all, and the matcher moves on to the next entry.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from explainer.arithmetic.shapes import Shape
from explainer.model import ErrorBlock, Frame, LiveShape, ParsedText, Suspect
from explainer.source import SourceIndex


class Decline(Exception):
    """The entry does not fit this error: let the next entry try."""


@dataclass
class Context:
    numbers: dict[str, Any]
    captures: dict[str, Any]
    message: str
    parsed: ParsedText
    source: SourceIndex
    entry_id: str = ""
    block: ErrorBlock | None = None  # the exception whose message matched
    # Tensors seen at the crash by the capture hook (`explainer last`): real shapes, when known.
    live: list[LiveShape] = field(default_factory=list)

    def get(self, *names: str) -> Any:
        """The first of these captured values that is present."""
        for name in names:
            if name in self.numbers and self.numbers[name] is not None:
                return self.numbers[name]
            if name in self.captures and self.captures[name] is not None:
                return self.captures[name]
        return None

    def need_int(self, *names: str) -> int:
        """The first of these captured values, which must be an int: else the entry declines."""
        value = self.get(*names)
        if not isinstance(value, int):
            raise Decline(f"no number captured for {names[0]}")
        return value

    def need_shape(self, *names: str, allow_int: bool = True) -> Shape:
        """The first of these captured values as a shape (a bare int is a 1-D shape when
        `allow_int`): else the entry declines."""
        value = self.get(*names)
        if allow_int and isinstance(value, int):
            return Shape((value,))
        if not isinstance(value, Shape):
            raise Decline(f"no shape captured for {names[0]}")
        return value

    @property
    def where(self) -> Frame | None:
        return innermost_user_frame(self.parsed, prefer=self.block)

    def frame_codes(self) -> list[str]:
        """Source lines of every frame, innermost last."""
        return [f.code or "" for f in self.parsed.all_frames]


@dataclass
class Reasoning:
    steps: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    fix_values: dict[str, Any] = field(default_factory=dict)
    suspects: list[Suspect] = field(default_factory=list)
    fix_code: str | None = None  # replaces the entry's code template when set
    # Numbers the message implies but does not print (counted from the code, old wordings).
    numbers: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    confidence: float | None = None


Arithmetic = Callable[[Context], Reasoning]


def resolve(name: str) -> Arithmetic:
    """`"view.batch"` -> the function `batch` of `explainer.arithmetic.view`."""
    module_name, _, func_name = name.rpartition(".")
    if not module_name:
        raise LookupError(f"arithmetic {name!r} must be 'module.function'")
    module = importlib.import_module(f"explainer.arithmetic.{module_name}")
    func = getattr(module, func_name, None)
    if not callable(func):
        raise LookupError(f"no arithmetic function {name!r}")
    return func  # type: ignore[no-any-return]


def innermost_user_frame(parsed: ParsedText, prefer: ErrorBlock | None = None) -> Frame | None:
    """The last user frame of the matched error, else of the final one, else of the chain."""
    blocks = ([prefer] if prefer else []) + ([parsed.error] if parsed.error else [])
    blocks += list(reversed(parsed.chain))
    for block in blocks:
        for frame in reversed(block.frames):
            if frame.is_user:
                return frame
    return None
