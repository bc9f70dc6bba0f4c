"""The reproducer's options as the command line gives them, parsed and checked (no torch)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

DEVICES = ("meta", "cpu", "cuda", "mps", "auto")
DTYPES = ("float32", "float16", "bfloat16", "float64", "int64", "int32", "uint8", "bool")
DTYPE_ALIASES = {
    "float": "float32",
    "half": "float16",
    "double": "float64",
    "long": "int64",
    "int": "int32",
    "bf16": "bfloat16",
    "fp16": "float16",
}
SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.I)
MIN_MEMORY = 1 << 30


class OptionError(ValueError):
    """A bad option value; the message says what to pass instead."""


@dataclass
class InputSpec:
    """One input tensor for the model: a shape and a dtype."""

    shape: list[int]
    dtype: str = "float32"

    def to_dict(self) -> dict[str, Any]:
        return {"shape": list(self.shape), "dtype": self.dtype}


@dataclass
class ReproOptions:
    device: str = "meta"
    timeout: float = 60.0
    memory: int | None = None  # bytes; None: the default (see default_memory)
    model: str | None = None  # "file.py:Name" or "module:Name"
    args: dict[str, Any] = field(default_factory=dict)
    factory: str | None = None  # "file.py:function" or "module:function"
    inputs: list[InputSpec] = field(default_factory=list)
    verify_fix: bool = True
    max_iterations: int = 64


def parse_input(text: str) -> InputSpec:
    """`32,3,224,224`, `[32, 3, 224, 224]`, `32x3x224x224`, optionally `:long` for the dtype."""
    raw = text.strip()
    dtype = "float32"
    if ":" in raw:
        raw, _, name = raw.rpartition(":")
        key = name.strip().lower().removeprefix("torch.")
        dtype = DTYPE_ALIASES.get(key, key)
        if dtype not in DTYPES:
            raise OptionError(f"unknown dtype {name!r} in --input (use one of {', '.join(DTYPES)})")
    parts = [p for p in re.split(r"[\s,x×*()\[\]]+", raw.strip()) if p]
    if not parts or not all(p.isdigit() for p in parts):
        raise OptionError(f"--input {text!r} is not a shape: write it like 32,3,224,224")
    shape = [int(p) for p in parts]
    if any(n == 0 for n in shape) or len(shape) > 8:
        raise OptionError(f"--input {text!r}: sizes must be positive, at most 8 dimensions")
    return InputSpec(shape, dtype)


def parse_inputs(values: tuple[str, ...] | list[str]) -> list[InputSpec]:
    """Each --input is one tensor; `;` also separates tensors inside one value."""
    out: list[InputSpec] = []
    for value in values:
        out.extend(parse_input(part) for part in value.split(";") if part.strip())
    return out


def parse_args_json(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OptionError(
            f"--args is not JSON ({exc.msg}): write it like '{{\"n\": 10}}'"
        ) from None
    if not isinstance(value, dict):
        raise OptionError("--args must be a JSON object of keyword arguments, like '{\"n\": 10}'")
    return value


def parse_size(text: str | None) -> int | None:
    """`8G`, `512M`, `2.5GiB` -> bytes."""
    if text is None:
        return None
    m = SIZE.match(text)
    if not m:
        raise OptionError(f"--memory {text!r} is not a size: write it like 8G or 512M")
    scale = {"": 1 << 30, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[m[2].lower()]
    value = int(float(m[1]) * scale)
    if value < MIN_MEMORY:
        raise OptionError("--memory must be at least 1G: importing torch alone needs most of that")
    return value


def parse_spec(text: str | None, option: str) -> str | None:
    """`file.py:Name` or `package.module:Name`."""
    if text is None:
        return None
    target, sep, name = text.rpartition(":")
    if not sep or not target or not name.isidentifier():
        raise OptionError(f"{option} {text!r}: write it as file.py:Name or package.module:Name")
    return text


def default_memory() -> int:
    """Three quarters of this machine's memory, at least 2 GiB: a runaway child stops there."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 8 << 30
    return max(int(total * 0.75), 2 << 30)


def human_bytes(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}".replace(".0 ", " ")
    return f"{n} B"
