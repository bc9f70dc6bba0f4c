"""Checks explainer.repro.fastmeta against torch: prints a JSON list, one result per case.

Run by tests/test_repro_units.py in its own process. Each case is an operation with arguments;
on cpu it gives the expected shapes and dtypes, or an error whose message the shape-only
handler must raise word for word on meta tensors.
"""

import json
import sys

import torch
import torch.nn.functional as F

from explainer.repro import fastmeta


class T:
    """A tensor argument of this shape (random on cpu, empty on meta)."""

    def __init__(self, *shape, dtype=torch.float32):
        self.shape = shape
        self.dtype = dtype


def arg(value, device):
    if isinstance(value, T):
        if device == "meta":
            return torch.empty(value.shape, dtype=value.dtype, device="meta")
        if value.dtype.is_floating_point:
            return torch.randn(value.shape, dtype=value.dtype)
        return torch.zeros(value.shape, dtype=value.dtype)
    if isinstance(value, list):
        return [arg(v, device) for v in value]
    return value


CASES = [
    ("conv2d", (T(2, 3, 17, 15), T(8, 3, 3, 3)), {"stride": 2, "padding": 1}),
    ("conv2d", (T(2, 4, 9, 9), T(8, 2, 3, 3)), {"groups": 2, "dilation": 2}),
    ("conv2d", (T(2, 64, 9, 9), T(8, 3, 3, 3)), {}),
    ("conv2d", (T(3, 9, 9), T(8, 3, 3, 3)), {"padding": "same"}),
    ("conv2d", (T(16, 28, 28), T(8, 1, 5, 5)), {}),
    ("conv2d", (T(2, 3, 2, 2), T(8, 3, 5, 5)), {}),
    ("conv1d", (T(2, 5, 50), T(6, 5, 4)), {"stride": 3}),
    ("conv3d", (T(1, 2, 6, 7, 8), T(4, 2, 3, 3, 3)), {"padding": (1, 0, 1)}),
    (
        "conv_transpose2d",
        (T(2, 8, 7, 7), T(8, 4, 3, 3)),
        {"stride": 2, "padding": 1, "output_padding": 1},
    ),
    ("conv_transpose2d", (T(8, 64, 7, 7), T(32, 16, 3, 3)), {"stride": 2}),
    ("max_pool2d", (T(2, 3, 15, 15), 3), {"stride": 2, "padding": 1, "ceil_mode": True}),
    ("max_pool2d", (T(2, 3, 16, 16), 2), {"return_indices": True}),
    ("max_pool2d", (T(2, 3, 16, 16), 3), {"padding": 2}),
    ("avg_pool2d", (T(2, 3, 14, 15), 2), {}),
    ("avg_pool1d", (T(2, 3, 11), 3), {"stride": 2, "ceil_mode": True}),
    ("adaptive_avg_pool2d", (T(2, 3, 15, 9), (4, None)), {}),
    ("adaptive_max_pool2d", (T(2, 3, 15, 9), 3), {"return_indices": True}),
    ("linear", (T(4, 7, 12), T(5, 12)), {}),
    ("linear", (T(1, 2704), T(120, 400)), {}),
    ("linear", (T(3, 12), T(5, 12), T(5)), {}),
    ("matmul", (T(2, 1, 4, 5), T(3, 5, 6)), {}),
    ("matmul", (T(4, 5), T(6, 7)), {}),
    ("bmm", (T(2, 4, 5), T(3, 5, 6)), {}),
    ("cat", ([T(2, 3), T(4, 3)],), {}),
    ("cat", ([T(2, 3), T(2, 4)],), {}),
    ("cat", ([T(2, 3), T(2, 4)],), {"dim": 1}),
    ("cat", ([T(), T()],), {}),
    ("stack", ([T(2, 3), T(2, 3)],), {"dim": 1}),
    ("stack", ([T(3, 320, 320), T(3, 192, 192)],), {}),
    ("mean", (T(2, 3, 4, 5),), {"dim": (2, 3)}),
    ("mean", (T(2, 3, 4, 5),), {"dim": 4}),
    ("sum", (T(2, 3, 4),), {"dim": -1, "keepdim": True}),
    ("add", (T(2, 1, 4), T(3, 1)), {}),
    ("add", (T(2, 256, 5, 5), T(2, 64, 5, 5)), {}),
    ("mul", (T(4, 1), 2.5), {}),
    ("div", (T(3, dtype=torch.int64), T(3, dtype=torch.int64)), {}),
    ("layer_norm", (T(2, 5, 8), (8,)), {}),
    ("layer_norm", (T(2, 64, 14, 14), (64,)), {}),
    ("group_norm", (T(2, 6, 50), 4), {}),
    ("group_norm", (T(2, 8, 50), 4, T(8), T(8)), {}),
    ("batch_norm", (T(8, 20, 64), T(64), T(64)), {"training": True}),
    ("batch_norm", (T(8, 64, 5), T(64), T(64)), {}),
    ("relu", (T(3, 4),), {}),
    ("gelu", (T(3, 4),), {}),
    ("softmax", (T(3, 4), -1), {}),
    ("dropout", (T(3, 4),), {"p": 0.5}),
    ("embedding", (T(2, 7, dtype=torch.int64), T(10, 4)), {}),
    ("embedding", (T(2, 7), T(10, 4)), {}),
    ("scaled_dot_product_attention", (T(2, 4, 9, 16), T(2, 4, 11, 16), T(2, 4, 11, 8)), {}),
    ("scaled_dot_product_attention", (T(2, 4, 9, 16), T(2, 4, 11, 8), T(2, 4, 11, 8)), {}),
    ("randn", (2, 3), {}),
    ("randint", (0, 10, (4, 5)), {}),
    ("full", ((2, 2), 7), {}),
]


def check(name, args, kwargs):
    func = getattr(F, name, None) or getattr(torch, name)
    handler = fastmeta.table()[func]
    cpu = tuple(arg(a, "cpu") for a in args)
    meta = tuple(arg(a, "meta") for a in args)
    try:
        expected = func(*cpu, **kwargs)
    except Exception as exc:  # noqa: BLE001 - its message is what is compared
        try:
            handler(func, meta, kwargs)
        except type(exc) as got:
            if str(got) == str(exc):
                return True, "same error"
            return False, f"message {str(got)!r} != {str(exc)!r}"
        return False, f"no error on meta; cpu raised {exc}"
    with torch.device("meta"):
        got = handler(func, meta, kwargs)
    if got is NotImplemented:
        return False, "not answered"
    expected = expected if isinstance(expected, tuple) else (expected,)
    got = got if isinstance(got, tuple) else (got,)
    want = [(list(t.shape), str(t.dtype)) for t in expected]
    have = [(list(t.shape), str(t.dtype)) for t in got]
    if want != have or any(t.device.type != "meta" for t in got):
        return False, f"{have} != {want}"
    return True, str(want)


def main():
    results = []
    for i, (name, args, kwargs) in enumerate(CASES):
        ok, detail = check(name, args, kwargs)
        results.append({"case": f"{i}:{name}", "ok": ok, "detail": detail})
    json.dump(results, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
