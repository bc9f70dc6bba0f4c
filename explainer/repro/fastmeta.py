"""Shapes of common operations on meta tensors, without torch's Python meta kernels (child only).

torch's meta kernels for many operations are Python decompositions that import sympy and
torch._dynamo on first use: seconds before the first layer of a ResNet is traced. Here the
common operations (convolutions, linear, norms, pools, elementwise, cat, reductions) are
answered from their shapes, which is all a meta tensor has. When the shapes do not fit, the
operation is run once on cpu with uninitialised tensors of the same shapes, so the error raised
is torch's own, word for word; anything else goes to torch's meta kernel.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

Handler = Callable[[Callable[..., Any], tuple[Any, ...], dict[str, Any]], Any]
PROXY_LIMIT = 1 << 27  # elements: larger failing calls go to the meta kernel instead
META = torch.device("meta")
_TABLE: dict[Any, Handler] | None = None


def is_cold() -> bool:
    """True while the expensive machinery behind torch's meta kernels is not loaded yet."""
    return "sympy" not in sys.modules and "torch._dynamo" not in sys.modules


def _meta(*values: Any) -> bool:
    return all(not isinstance(v, torch.Tensor) or v.device.type == "meta" for v in values) and any(
        isinstance(v, torch.Tensor) for v in values
    )


def _bind(
    args: tuple[Any, ...], kwargs: dict[str, Any], names: tuple[str, ...], **defaults: Any
) -> dict[str, Any]:
    out = dict(defaults)
    for name, value in zip(names, args, strict=False):
        out[name] = value
    out.update(kwargs)
    return out


def _tuple(value: Any, n: int) -> tuple[int, ...] | None:
    if isinstance(value, int):
        return (value,) * n
    if (
        isinstance(value, list | tuple)
        and len(value) == n
        and all(isinstance(v, int) for v in value)
    ):
        return tuple(value)
    if isinstance(value, list | tuple) and len(value) == 1 and isinstance(value[0], int):
        return (value[0],) * n
    return None


def _empty(shape: Any, dtype: torch.dtype) -> torch.Tensor:
    return torch.empty(tuple(shape), dtype=dtype, device=META)


def _same_as(x: torch.Tensor) -> torch.Tensor:
    """Like torch.empty_like, whose meta version imports sympy on first use."""
    if (
        x.dim() == 4
        and not x.is_contiguous()
        and x.is_contiguous(memory_format=torch.channels_last)
    ):
        return torch.empty(x.shape, dtype=x.dtype, device=META, memory_format=torch.channels_last)
    return torch.empty(x.shape, dtype=x.dtype, device=META)


def _flat(values: Any) -> list[torch.Tensor]:
    out: list[torch.Tensor] = []
    for v in values:
        if isinstance(v, torch.Tensor):
            out.append(v)
        elif isinstance(v, list | tuple):
            out.extend(x for x in v if isinstance(x, torch.Tensor))
    return out


def _to_cpu(v: Any) -> Any:
    if isinstance(v, torch.Tensor) and v.device.type == "meta":
        if v.dtype.is_floating_point or v.dtype.is_complex:
            return torch.empty(v.shape, dtype=v.dtype, device="cpu")
        return torch.zeros(v.shape, dtype=v.dtype, device="cpu")
    if isinstance(v, list | tuple):
        return type(v)(_to_cpu(x) for x in v)
    return v


def _to_meta(v: Any) -> Any:
    if isinstance(v, torch.Tensor):
        return torch.empty(v.shape, dtype=v.dtype, device=META)
    if isinstance(v, tuple) and not hasattr(v, "_fields"):
        return tuple(_to_meta(x) for x in v)
    if isinstance(v, list):
        return [_to_meta(x) for x in v]
    return v


def proxy(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run the call on cpu with stand-ins of the same shapes: torch's own error, or its result
    back on meta. NotImplemented when the stand-ins would be too large."""
    total = sum(t.numel() for t in _flat(args) + _flat(list(kwargs.values())))
    if total > PROXY_LIMIT:
        return NotImplemented

    result = func(*_to_cpu(args), **{k: _to_cpu(v) for k, v in kwargs.items()})
    return _to_meta(result)


# -- elementwise ---------------------------------------------------------------------------------
UNARY = (
    "relu", "relu_", "relu6", "gelu", "silu", "sigmoid", "tanh", "hardtanh", "hardtanh_",
    "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "celu", "hardswish", "hardsigmoid",
    "mish", "softplus", "softsign", "dropout", "dropout1d", "dropout2d", "dropout3d",
    "alpha_dropout", "feature_alpha_dropout", "exp", "log", "sqrt", "rsqrt", "abs", "neg",
    "clamp", "clamp_", "clip", "sin", "cos", "erf", "softmax", "log_softmax", "normalize",
    "sigmoid_", "tanh_", "exp_", "neg_", "__neg__", "square", "reciprocal", "threshold",
)  # fmt: skip
INPLACE_AT = {
    "relu": 1, "relu6": 1, "hardtanh": 3, "leaky_relu": 2, "elu": 2, "selu": 1, "celu": 2,
    "hardswish": 1, "silu": 1, "mish": 1, "dropout": 3, "dropout1d": 2, "dropout2d": 2,
    "dropout3d": 2, "alpha_dropout": 3, "feature_alpha_dropout": 3, "threshold": 3,
}  # fmt: skip


def _unary(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if not args or not isinstance(args[0], torch.Tensor) or not _meta(*args):
        return NotImplemented
    x = args[0]
    name = func.__name__
    if name in ("softmax", "log_softmax"):
        dim = kwargs.get("dim", args[1] if len(args) > 1 else None)
        if not isinstance(dim, int) or not -max(x.dim(), 1) <= dim < max(x.dim(), 1):
            return NotImplemented
    at = INPLACE_AT.get(name)
    inplace = name.endswith("_") or bool(kwargs.get("inplace"))
    if at is not None and len(args) > at and isinstance(args[at], bool):
        inplace = inplace or args[at]
    if inplace:
        return x
    return _same_as(x)


BINARY = (
    "add", "sub", "mul", "div", "true_divide", "maximum", "minimum", "add_", "sub_", "mul_",
    "div_", "__add__", "__radd__", "__iadd__", "__sub__", "__rsub__", "__isub__", "__mul__",
    "__rmul__", "__imul__", "__truediv__", "__rtruediv__", "__itruediv__",
)  # fmt: skip


def broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    out = []
    for i in range(max(len(a), len(b))):
        x = a[-1 - i] if i < len(a) else 1
        y = b[-1 - i] if i < len(b) else 1
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            return None
    return tuple(reversed(out))


def _binary(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if len(args) < 2 or not _meta(args[0], args[1]):
        return NotImplemented
    a, b = args[0], args[1]
    if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor | int | float | bool):
        return NotImplemented
    name = func.__name__
    shape_b = tuple(b.shape) if isinstance(b, torch.Tensor) else ()
    shape = broadcast(tuple(a.shape), shape_b)
    inplace = name.endswith("_") or name.startswith("__i")
    if shape is None or (inplace and shape != tuple(a.shape)):
        return proxy(func, args, kwargs)
    dtype = torch.result_type(a, b)
    if name in ("div", "true_divide", "__truediv__", "__rtruediv__", "__itruediv__", "div_"):
        if not dtype.is_floating_point and not dtype.is_complex:
            dtype = torch.get_default_dtype()
    if inplace:
        return a if torch.can_cast(dtype, a.dtype) else NotImplemented
    if shape == tuple(a.shape) and dtype == a.dtype:
        return _same_as(a)
    return _empty(shape, dtype)


# -- linear algebra ------------------------------------------------------------------------------
def _linear(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    p = _bind(args, kwargs, ("input", "weight", "bias"), bias=None)
    x, w, b = p["input"], p["weight"], p["bias"]
    if not isinstance(x, torch.Tensor) or not isinstance(w, torch.Tensor) or not _meta(x, w, b):
        return NotImplemented
    if x.dim() < 1 or w.dim() != 2:
        return NotImplemented
    if x.shape[-1] != w.shape[1] or (b is not None and tuple(b.shape) not in ((w.shape[0],), ())):
        return proxy(func, args, kwargs)
    return _empty((*x.shape[:-1], w.shape[0]), x.dtype)


def _matmul(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if len(args) < 2 or not all(isinstance(t, torch.Tensor) for t in args[:2]):
        return NotImplemented
    a, b = args[0], args[1]
    if not _meta(a, b) or a.dim() < 2 or b.dim() < 2:
        return NotImplemented
    name = func.__name__
    if (name == "mm" and (a.dim() != 2 or b.dim() != 2)) or (
        name == "bmm" and (a.dim() != 3 or b.dim() != 3)
    ):
        return proxy(func, args, kwargs)
    batch = broadcast(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    if a.shape[-1] != b.shape[-2] or batch is None or (name == "bmm" and a.shape[0] != b.shape[0]):
        return proxy(func, args, kwargs)
    return _empty((*batch, a.shape[-2], b.shape[-1]), torch.promote_types(a.dtype, b.dtype))


# -- convolutions and pools ----------------------------------------------------------------------
def _conv_out(size: int, k: int, s: int, p: int, d: int) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _conv(n: int, transposed: bool) -> Handler:
    names = (
        ("input", "weight", "bias", "stride", "padding", "output_padding", "groups", "dilation")
        if transposed
        else ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
    )

    def handler(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        p = _bind(args, kwargs, names, bias=None, stride=1, padding=0, dilation=1, groups=1)
        p.setdefault("output_padding", 0)
        x, w, b = p["input"], p["weight"], p["bias"]
        if not isinstance(x, torch.Tensor) or not isinstance(w, torch.Tensor) or not _meta(x, w, b):
            return NotImplemented
        groups = p["groups"]
        if not isinstance(groups, int) or groups < 1 or w.dim() != n + 2:
            return NotImplemented
        if x.dim() == n + 1:
            # An unbatched sample: shaped like a batch of one, or torch's own error.
            if x.shape[0] != (w.shape[0] if transposed else w.shape[1] * groups):
                return proxy(func, args, kwargs)
            batched = handler(func, (x.unsqueeze(0), *args[1:]), kwargs) if args else NotImplemented
            return batched[0] if isinstance(batched, torch.Tensor) else NotImplemented
        if x.dim() != n + 2:
            return proxy(func, args, kwargs)
        stride, dilation = _tuple(p["stride"], n), _tuple(p["dilation"], n)
        padding = p["padding"]
        if padding == "valid":
            padding = 0
        if padding == "same":
            if stride != (1,) * n or transposed:
                return NotImplemented
            pads = None
        else:
            pads = _tuple(padding, n)
            if pads is None:
                return NotImplemented
        if stride is None or dilation is None:
            return NotImplemented
        kernel = tuple(w.shape[2:])
        if transposed:
            out_pad = _tuple(p["output_padding"], n)
            if out_pad is None or pads is None:
                return NotImplemented
            channels_ok = x.shape[1] == w.shape[0] and w.shape[0] % groups == 0
            out_ch = w.shape[1] * groups
            spatial = [
                (size - 1) * s - 2 * q + d * (k - 1) + op + 1
                for size, k, s, q, d, op in zip(
                    x.shape[2:], kernel, stride, pads, dilation, out_pad, strict=True
                )
            ]
        else:
            channels_ok = x.shape[1] == w.shape[1] * groups and w.shape[0] % groups == 0
            out_ch = w.shape[0]
            if pads is None:
                spatial = list(x.shape[2:])
            else:
                spatial = [
                    _conv_out(size, k, s, q, d)
                    for size, k, s, q, d in zip(
                        x.shape[2:], kernel, stride, pads, dilation, strict=True
                    )
                ]
        bias_ok = b is None or tuple(b.shape) == (out_ch,)
        if not channels_ok or not bias_ok or any(s < 1 for s in spatial):
            return proxy(func, args, kwargs)
        return _empty((x.shape[0], out_ch, *spatial), x.dtype)

    return handler


def _pool_out(size: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    top = size + 2 * p - d * (k - 1) - 1
    out = (-(-top // s) if ceil else top // s) + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool(n: int, kind: str) -> Handler:
    names: tuple[str, ...]
    if kind == "max":
        names = (
            "input",
            "kernel_size",
            "stride",
            "padding",
            "dilation",
            "ceil_mode",
            "return_indices",
        )
    else:
        names = ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")

    def handler(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        p = _bind(
            args, kwargs, names, stride=None, padding=0, dilation=1, ceil_mode=False,
            return_indices=False,
        )  # fmt: skip
        x = p["input"]
        if not isinstance(x, torch.Tensor) or not _meta(x) or x.dim() not in (n + 1, n + 2):
            return NotImplemented
        kernel = _tuple(p["kernel_size"], n)
        stride = _tuple(p["stride"], n) if p["stride"] not in (None, [], ()) else kernel
        pads, dil = _tuple(p["padding"], n), _tuple(p["dilation"], n)
        if kernel is None or stride is None or pads is None or dil is None:
            return NotImplemented
        if any(q > k // 2 for q, k in zip(pads, kernel, strict=True)):
            return proxy(func, args, kwargs)
        ceil = bool(p["ceil_mode"])
        spatial = [
            _pool_out(size, k, s, q, d, ceil)
            for size, k, s, q, d in zip(x.shape[-n:], kernel, stride, pads, dil, strict=True)
        ]
        if any(s < 1 for s in spatial):
            return proxy(func, args, kwargs)
        out = _empty((*x.shape[:-n], *spatial), x.dtype)
        if p["return_indices"] or func.__name__.endswith("with_indices"):
            return out, _empty(out.shape, torch.int64)
        return out

    return handler


def _adaptive(n: int, with_indices: bool) -> Handler:
    def handler(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        p = _bind(args, kwargs, ("input", "output_size", "return_indices"), return_indices=False)
        x, size = p["input"], p["output_size"]
        if not isinstance(x, torch.Tensor) or not _meta(x) or x.dim() not in (n + 1, n + 2):
            return NotImplemented
        if isinstance(size, int) or size is None:
            size = (size,) * n
        if not isinstance(size, list | tuple) or len(size) != n:
            return NotImplemented
        spatial = [x.shape[-n + i] if s is None else s for i, s in enumerate(size)]
        if not all(isinstance(s, int) and s >= 1 for s in spatial) or any(
            v == 0 for v in x.shape[-n:]
        ):
            return NotImplemented
        out = _empty((*x.shape[:-n], *spatial), x.dtype)
        if with_indices and (p["return_indices"] or func.__name__.endswith("with_indices")):
            return out, _empty(out.shape, torch.int64)
        return out

    return handler


# -- normalisation -------------------------------------------------------------------------------
def _batch_norm(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    names = ("input", "running_mean", "running_var", "weight", "bias", "training")
    p = _bind(args, kwargs, names, weight=None, bias=None, training=False)
    x = p["input"]
    stats = [p["running_mean"], p["running_var"], p["weight"], p["bias"]]
    if not isinstance(x, torch.Tensor) or not _meta(x, *stats) or x.dim() < 2:
        return NotImplemented
    if p["training"] and x.shape[0] * math.prod(x.shape[2:]) == 1:
        return NotImplemented  # F.batch_norm's own check raises the ValueError
    channels = x.shape[1]
    if any(t is not None and t.numel() != channels for t in stats):
        return proxy(func, args, kwargs)
    return _same_as(x)


def _layer_norm(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    p = _bind(args, kwargs, ("input", "normalized_shape", "weight", "bias"), weight=None, bias=None)
    x, shape = p["input"], p["normalized_shape"]
    if isinstance(shape, int):
        shape = (shape,)
    if not isinstance(x, torch.Tensor) or not _meta(x, p["weight"], p["bias"]):
        return NotImplemented
    if not isinstance(shape, list | tuple | torch.Size) or not shape:
        return NotImplemented
    shape = tuple(shape)
    n = len(shape)
    ok = x.dim() >= n and tuple(x.shape[-n:]) == shape
    for t in (p["weight"], p["bias"]):
        ok = ok and (t is None or tuple(t.shape) == shape)
    return _same_as(x) if ok else proxy(func, args, kwargs)


def _rms_norm(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    p = _bind(args, kwargs, ("input", "normalized_shape", "weight"), weight=None)
    return _layer_norm(func, (p["input"], p["normalized_shape"], p["weight"]), {})


def _group_norm(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    p = _bind(args, kwargs, ("input", "num_groups", "weight", "bias"), weight=None, bias=None)
    x, groups = p["input"], p["num_groups"]
    if not isinstance(x, torch.Tensor) or not isinstance(groups, int) or not _meta(x):
        return NotImplemented
    if x.dim() < 2 or groups < 1:
        return NotImplemented
    channels = x.shape[1]
    ok = channels % groups == 0 and all(
        t is None or t.numel() == channels for t in (p["weight"], p["bias"])
    )
    return _same_as(x) if ok else proxy(func, args, kwargs)


# -- shapes of several tensors -------------------------------------------------------------------
def _cat(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    p = _bind(args, kwargs, ("tensors", "dim"), dim=0)
    tensors, dim = p["tensors"], p["dim"]
    if not isinstance(tensors, list | tuple) or not tensors or not isinstance(dim, int):
        return NotImplemented
    if not all(isinstance(t, torch.Tensor) for t in tensors) or not _meta(*tensors):
        return NotImplemented
    name = func.__name__
    first = tensors[0]
    if name == "stack":
        if (
            any(t.shape != first.shape for t in tensors)
            or not -first.dim() - 1 <= dim <= first.dim()
        ):
            return proxy(func, args, kwargs)
        dim = dim % (first.dim() + 1)
        shape = [*first.shape[:dim], len(tensors), *first.shape[dim:]]
    else:
        if first.dim() == 0 or any(t.dim() != first.dim() for t in tensors):
            return proxy(func, args, kwargs)
        if not -first.dim() <= dim < first.dim():
            return proxy(func, args, kwargs)
        dim = dim % first.dim()
        for t in tensors[1:]:
            if any(t.shape[i] != first.shape[i] for i in range(first.dim()) if i != dim):
                return proxy(func, args, kwargs)
        shape = list(first.shape)
        shape[dim] = sum(t.shape[dim] for t in tensors)
    dtype = first.dtype
    for t in tensors[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    return _empty(shape, dtype)


def _reduce(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    p = _bind(args, kwargs, ("input", "dim", "keepdim"), dim=None, keepdim=False)
    x, dim = p["input"], p["dim"]
    if not isinstance(x, torch.Tensor) or not _meta(x) or "dtype" in kwargs or "out" in kwargs:
        return NotImplemented
    name = func.__name__
    if name == "mean" and not (x.dtype.is_floating_point or x.dtype.is_complex):
        return proxy(func, args, kwargs)
    dtype = torch.int64 if name == "sum" and not x.dtype.is_floating_point else x.dtype
    if dim is None or (isinstance(dim, list | tuple) and len(dim) == 0 and name != "sum"):
        return _empty((), dtype) if not p["keepdim"] else _empty((1,) * x.dim(), dtype)
    dims = (dim,) if isinstance(dim, int) else tuple(dim) if isinstance(dim, list | tuple) else None
    if dims is None or not all(isinstance(d, int) for d in dims):
        return NotImplemented
    n = max(x.dim(), 1)
    if any(not -n <= d < n for d in dims):
        return proxy(func, args, kwargs)
    norm = {d % n for d in dims}
    if p["keepdim"]:
        shape = [1 if i in norm else s for i, s in enumerate(x.shape)]
    else:
        shape = [s for i, s in enumerate(x.shape) if i not in norm]
    return _empty(shape, dtype)


def _embedding(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    p = _bind(args, kwargs, ("input", "weight"))
    idx, w = p.get("input"), p.get("weight")
    if not isinstance(idx, torch.Tensor) or not isinstance(w, torch.Tensor) or not _meta(idx, w):
        return NotImplemented
    if idx.dtype not in (torch.int64, torch.int32) or w.dim() != 2:
        return proxy(func, args, kwargs)
    return _empty((*idx.shape, w.shape[1]), w.dtype)


def _sdpa(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    p = _bind(args, kwargs, ("query", "key", "value", "attn_mask"), attn_mask=None)
    q, k, v = p["query"], p["key"], p["value"]
    if not all(isinstance(t, torch.Tensor) for t in (q, k, v)) or not _meta(q, k, v):
        return NotImplemented
    if q.dim() < 2 or k.dim() != q.dim() or v.dim() != q.dim() or kwargs.get("enable_gqa"):
        return NotImplemented
    batch = broadcast(tuple(q.shape[:-2]), tuple(k.shape[:-2]))
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2] or batch is None:
        return proxy(func, args, kwargs)
    return _empty((*batch, q.shape[-2], v.shape[-1]), q.dtype)


# -- factories ------------------------------------------------------------------------------------
FACTORIES = ("randn", "rand", "zeros", "ones", "empty", "full", "randint", "normal")
LIKE = (
    "randn_like",
    "rand_like",
    "zeros_like",
    "ones_like",
    "empty_like",
    "full_like",
    "randint_like",
)


def _size(args: tuple[Any, ...]) -> tuple[int, ...] | None:
    if len(args) == 1 and isinstance(args[0], list | tuple | torch.Size):
        args = tuple(args[0])
    if all(isinstance(a, int) and not isinstance(a, bool) and a >= 0 for a in args):
        return tuple(args)
    return None


def _factory(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """`torch.randn(32, 3, 224, 224)` while the default device is meta: an empty meta tensor."""
    device = kwargs.get("device")
    if device is not None and torch.device(device).type != "meta":
        return NotImplemented
    if torch.get_default_device().type != "meta" and device is None:
        return NotImplemented
    if kwargs.get("out") is not None or kwargs.get("names") is not None:
        return NotImplemented
    name = func.__name__
    if name == "randint":
        shape = kwargs.get("size", args[-1] if args else None)
        shape = _size((shape,)) if shape is not None else None
        dtype = kwargs.get("dtype") or torch.int64
    elif name == "full":
        shape = _size((kwargs.get("size", args[0] if args else None),))
        fill = kwargs.get("fill_value", args[1] if len(args) > 1 else 0.0)
        dtype = kwargs.get("dtype") or (
            torch.int64
            if isinstance(fill, int) and not isinstance(fill, bool)
            else torch.bool
            if isinstance(fill, bool)
            else torch.get_default_dtype()
        )
    elif name == "normal":
        shape = _size((kwargs["size"],)) if "size" in kwargs and not args[2:] else None
        dtype = kwargs.get("dtype") or torch.get_default_dtype()
    else:
        shape = _size(args)
        dtype = kwargs.get("dtype") or torch.get_default_dtype()
    if shape is None or not isinstance(dtype, torch.dtype):
        return NotImplemented
    return torch.empty(shape, dtype=dtype, device=META)


def _like(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if not args or not isinstance(args[0], torch.Tensor) or not _meta(args[0]):
        return NotImplemented
    if kwargs.get("device") is not None and torch.device(kwargs["device"]).type != "meta":
        return NotImplemented
    dtype = kwargs.get("dtype") or args[0].dtype
    return torch.empty(args[0].shape, dtype=dtype, device=META)


def table() -> dict[Any, Handler]:
    """Function objects (as a TorchFunctionMode receives them) -> shape handlers."""
    global _TABLE
    if _TABLE is not None:
        return _TABLE
    found: dict[Any, Handler] = {}
    owners = (
        torch,
        F,
        torch.Tensor,
        torch._C.TensorBase,
        torch._C._nn,
        torch._C._VariableFunctions,
    )

    def add(names: tuple[str, ...] | list[str], handler: Handler) -> None:
        for name in names:
            for owner in owners:
                func = getattr(owner, name, None)
                if func is not None and callable(func):
                    try:
                        found[func] = handler
                    except TypeError:
                        continue

    add(UNARY, _unary)
    add(BINARY, _binary)
    add(("linear",), _linear)
    add(("matmul", "mm", "bmm", "__matmul__"), _matmul)
    for n in (1, 2, 3):
        add((f"conv{n}d",), _conv(n, False))
        add((f"conv_transpose{n}d",), _conv(n, True))
        add((f"max_pool{n}d", f"_max_pool{n}d", f"max_pool{n}d_with_indices"), _pool(n, "max"))
        add((f"avg_pool{n}d",), _pool(n, "avg"))
        add((f"adaptive_avg_pool{n}d",), _adaptive(n, False))
        add(
            (
                f"adaptive_max_pool{n}d",
                f"_adaptive_max_pool{n}d",
                f"adaptive_max_pool{n}d_with_indices",
            ),
            _adaptive(n, True),
        )
    add(("batch_norm",), _batch_norm)
    add(("layer_norm",), _layer_norm)
    add(("rms_norm",), _rms_norm)
    add(("group_norm",), _group_norm)
    add(("cat", "concat", "concatenate", "stack"), _cat)
    add(("mean", "sum", "amax", "amin"), _reduce)
    add(("embedding",), _embedding)
    add(("scaled_dot_product_attention",), _sdpa)
    add(FACTORIES, _factory)
    add(LIKE, _like)
    _TABLE = found
    return found
