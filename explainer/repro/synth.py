"""The model's input when the script does not give it: --input, the message, the first layer.

Only shapes matter on meta; on cpu the values are random (indices stay below the vocabulary).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

DTYPES = {
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float64": torch.float64,
    "int64": torch.int64,
    "int32": torch.int32,
    "uint8": torch.uint8,
    "bool": torch.bool,
}
CONVS = (
    nn.Conv1d,
    nn.Conv2d,
    nn.Conv3d,
    nn.ConvTranspose1d,
    nn.ConvTranspose2d,
    nn.ConvTranspose3d,
)
DEFAULT_SEQUENCE = 16


class NeedInput(Exception):
    """The input's shape cannot be worked out; the message says what to pass."""


def make(shape: list[int], dtype: torch.dtype, device: torch.device, high: int = 2) -> torch.Tensor:
    if device.type == "meta":
        return torch.empty(shape, dtype=dtype, device=device)
    if dtype.is_floating_point:
        return torch.randn(shape, dtype=dtype, device=device)
    if dtype == torch.bool:
        return torch.zeros(shape, dtype=dtype, device=device)
    return torch.randint(0, max(high, 1), shape, dtype=dtype, device=device)


def from_specs(
    specs: list[dict[str, Any]], model: nn.Module | None, device: torch.device
) -> list[torch.Tensor]:
    """--input shapes as tensors."""
    high = _vocabulary(model) if model is not None else 2
    return [make(list(s["shape"]), DTYPES[s.get("dtype", "float32")], device, high) for s in specs]


def first_layer(model: nn.Module) -> nn.Module | None:
    """The first module, in registration order, that has parameters of its own."""
    for module in model.modules():
        if any(True for _ in module.parameters(recurse=False)):
            return module
    return None


def _vocabulary(model: nn.Module) -> int:
    layer = first_layer(model)
    return layer.num_embeddings if isinstance(layer, nn.Embedding) else 2


def _shapes(hints: dict[str, Any]) -> list[tuple[str, list[int]]]:
    numbers = hints.get("numbers") or {}
    return [
        (k, list(v))
        for k, v in numbers.items()
        if isinstance(v, list) and v and all(isinstance(x, int) for x in v)
    ]


def infer(
    model: nn.Module, hints: dict[str, Any], device: torch.device
) -> tuple[list[torch.Tensor], str]:
    """(tensors, how they were found) for one forward call of `model`."""
    layer = first_layer(model)
    if layer is None:
        raise NeedInput(f"{type(model).__name__} has no parameters to infer its input from")
    name = type(layer).__name__
    shapes = _shapes(hints)
    numbers = hints.get("numbers") or {}
    batch = hints.get("batch") if isinstance(hints.get("batch"), int) else None
    exact = _exact(layer, numbers, shapes)
    if exact is not None:
        tensor = make(exact, _dtype_for(layer), device, _vocabulary(model))
        return [tensor], f"{exact} from the message (the input of the first layer, {name})"
    b = batch if batch is not None else (shapes[0][1][0] if shapes else 2)
    b_note = "the message" if batch is not None or shapes else "a default of 2"
    if isinstance(layer, nn.Linear):
        shape = [b, layer.in_features]
        return [make(shape, torch.float32, device)], (
            f"{shape}: batch from {b_note}, {layer.in_features} features from {name}"
        )
    if isinstance(layer, CONVS):
        n = len(layer.kernel_size)
        spatial = _spatial(hints, shapes, n)
        if spatial is None:
            dims = ",".join(["H", "W", "D"][:n]) if n > 1 else "L"
            raise NeedInput(
                f"the first layer is {name}({layer.in_channels}, ...): its input's size is not in "
                f"the message; pass --input {b},{layer.in_channels},{dims}"
            )
        shape = [b, layer.in_channels, *spatial]
        return [make(shape, torch.float32, device)], (
            f"{shape}: batch from {b_note}, {layer.in_channels} channel"
            f"{'s' if layer.in_channels != 1 else ''} from {name}, "
            f"size {'×'.join(map(str, spatial))} from the message"
        )
    if isinstance(layer, nn.Embedding):
        seq = _sequence(shapes, b)
        shape = [b, seq]
        note = "" if seq != DEFAULT_SEQUENCE else f" (sequence length {seq} assumed)"
        return [make(shape, torch.int64, device, layer.num_embeddings)], (
            f"{shape} token ids below {layer.num_embeddings}: batch from {b_note}{note}"
        )
    if isinstance(layer, nn.RNNBase):
        seq = DEFAULT_SEQUENCE
        shape = [b, seq, layer.input_size] if layer.batch_first else [seq, b, layer.input_size]
        return [make(shape, torch.float32, device)], (
            f"{shape}: {layer.input_size} features from {name} (sequence length {seq} assumed)"
        )
    if isinstance(layer, nn.LayerNorm | nn.BatchNorm1d):
        features = (
            list(layer.normalized_shape)
            if isinstance(layer, nn.LayerNorm)
            else [layer.num_features]
        )
        shape = [b, *features]
        return [make(shape, torch.float32, device)], f"{shape}: features from {name}"
    raise NeedInput(
        f"cannot tell the input of {type(model).__name__} from its first layer ({name}): "
        "pass --input, e.g. --input 8,3,224,224 (add :long for token ids)"
    )


def _exact(
    layer: nn.Module, numbers: dict[str, Any], shapes: list[tuple[str, list[int]]]
) -> list[int] | None:
    """The message's input shape when the layer that failed is the first layer itself."""
    named = dict(shapes)
    weight = getattr(layer, "weight", None)
    if isinstance(layer, CONVS) and weight is not None:
        shape = named.get("input")
        if (
            shape
            and len(shape) == len(layer.kernel_size) + 2
            and named.get("weight") == list(weight.shape)
        ):
            return shape
    if isinstance(layer, nn.Linear):
        rows, cols = numbers.get("mat1_rows"), numbers.get("mat1_cols")
        if (
            isinstance(rows, int)
            and isinstance(cols, int)
            and numbers.get("mat2_rows") == layer.in_features
            and numbers.get("mat2_cols") == layer.out_features
        ):
            return [rows, cols]
    if isinstance(layer, nn.LayerNorm | nn.RMSNorm):
        shape = named.get("input_shape")
        if shape and named.get("normalized_shape") == list(layer.normalized_shape or []):
            return shape
    return None


def _dtype_for(layer: nn.Module) -> torch.dtype:
    return torch.int64 if isinstance(layer, nn.Embedding) else torch.float32


def _spatial(
    hints: dict[str, Any], shapes: list[tuple[str, list[int]]], n: int
) -> list[int] | None:
    size = hints.get("input_size")
    if isinstance(size, int) and size > 0:
        return [size] * n
    for _, shape in shapes:
        if len(shape) == n + 2:
            return shape[2:]
    return None


def _sequence(shapes: list[tuple[str, list[int]]], batch: int) -> int:
    for _, shape in shapes:
        if len(shape) >= 2 and shape[0] == batch:
            return shape[1]
    return DEFAULT_SEQUENCE
