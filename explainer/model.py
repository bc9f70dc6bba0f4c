"""Plain data passed between the pipeline's stages: parsed text in, explanation out.

Nothing here does I/O; every renderer (plain, markdown, JSON, TUI) takes the same objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Frame:
    """One frame of a Python traceback."""

    file: str
    line: int | None
    function: str | None
    code: str | None
    is_user: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "function": self.function,
            "code": self.code,
            "is_user": self.is_user,
        }


@dataclass
class ErrorBlock:
    """One exception: its type, its message and the frames that led to it."""

    type: str | None
    message: str
    frames: list[Frame] = field(default_factory=list)
    cpp_frames: list[str] = field(default_factory=list)
    # How this exception relates to the next one in the chain, if any.
    link: str | None = None

    @property
    def short_type(self) -> str | None:
        return self.type.rsplit(".", 1)[-1] if self.type else None

    @property
    def user_frames(self) -> list[Frame]:
        return [f for f in self.frames if f.is_user]


@dataclass(frozen=True)
class WarningLine:
    """A Python warning printed in the text (`file:line: UserWarning: ...`)."""

    category: str
    message: str
    file: str | None
    line: int | None
    code: str | None = None  # the source line Python prints under the warning


@dataclass
class ParsedText:
    """What the parser found in the user's text."""

    text: str  # cleaned input: ANSI and line prefixes removed
    error: ErrorBlock | None  # the last exception (the one that ended the run)
    chain: list[ErrorBlock] = field(default_factory=list)  # earlier linked exceptions
    has_traceback: bool = False
    warnings: list[WarningLine] = field(default_factory=list)
    # Inner messages hidden in wrappers (DataLoader worker, torch.compile, load_state_dict).
    inner_messages: list[str] = field(default_factory=list)

    @property
    def all_frames(self) -> list[Frame]:
        frames: list[Frame] = []
        for block in [*self.chain, *([self.error] if self.error else [])]:
            frames.extend(block.frames)
        return frames


@dataclass(frozen=True)
class Suspect:
    """A source line that is likely the real bug, with the reason."""

    file: str
    line: int
    code: str
    reason: str
    score: float = 0.5

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "code": self.code, "reason": self.reason}


@dataclass(frozen=True)
class LiveShape:
    """A tensor among the failing frames' locals, as captured at the crash (not parsed text)."""

    name: str
    shape: tuple[int | str, ...] | None
    dtype: str | None
    device: str | None
    function: str | None = None
    file: str | None = None
    line: int | None = None

    def label(self) -> str:
        """`x: [32, 256, 28, 28] float32 cpu`"""
        dims = "?" if self.shape is None else "[" + ", ".join(str(d) for d in self.shape) + "]"
        return " ".join(p for p in (f"{self.name}: {dims}", self.dtype, self.device) if p)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "shape": list(self.shape) if self.shape is not None else None,
            "dtype": self.dtype,
            "device": self.device,
            "function": self.function,
            "file": self.file,
            "line": self.line,
        }


@dataclass
class Fix:
    summary: str
    code: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Explanation:
    """The answer: everything a renderer needs."""

    status: str  # "explained" | "unmatched" | "no_error_found"
    parsed: ParsedText
    entry_id: str | None = None
    family: str | None = None
    title: str | None = None
    summary: str = ""  # the error in one sentence
    what: str = ""  # the generic meaning of this kind of error
    cause: str = ""  # this error's cause, with its numbers
    arithmetic: list[str] = field(default_factory=list)
    fix: Fix | None = None
    numbers: dict[str, Any] = field(default_factory=dict)
    captures: dict[str, Any] = field(default_factory=dict)
    where: Frame | None = None
    suspects: list[Suspect] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    confidence: float = 0.0
    alternatives: list[dict[str, str]] = field(default_factory=list)
    nearest: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Tensors seen at the crash (captured live; empty when explaining pasted text).
    live_shapes: list[LiveShape] = field(default_factory=list)
