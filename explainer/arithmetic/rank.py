"""A tensor with the wrong number of dims for a conv, pool or pad: which dim is missing or extra,
and the shape (and the one-line change) that gives the layer what it takes.

The layers take [N, C, *spatial] (batched) or [C, *spatial] (unbatched). One dim too many is a
size-1 dim to squeeze, or frames/slices per sample ([N, T, C, H, W]) to fold into the batch; one
too few is a missing batch dim (or, with one input channel, a missing channel dim); two too few
is a bare [H, W] image, or flat features from a Linear that were never viewed as a map.
"""

from __future__ import annotations

from dataclasses import dataclass

from explainer.arithmetic.shapes import Shape, fmt, integer_sqrt

LAYOUTS = {1: "N, C, L", 2: "N, C, H, W", 3: "N, C, D, H, W"}
IMAGE_CHANNELS = (1, 3, 4)


@dataclass
class RankFix:
    shape: Shape | None  # the shape the layer can take; None when the dims do not say
    how: str  # "squeeze(1)", "fold", "unsqueeze(0)", "unsqueeze(1)", "x[None, None]", "view", ""
    story: str  # one sentence: what the extra or missing dim most likely is
    code: str  # the change, as code


def layout(spatial: int) -> str:
    return LAYOUTS.get(spatial, "N, C, " + ", ".join(f"d{i + 1}" for i in range(spatial)))


def rank_fix(shape: Shape, spatial: int, channels: int | None = None) -> RankFix:
    """How to turn `shape` into [N, C, *spatial] for a layer with `spatial` spatial dims."""
    batched = spatial + 2
    dims = list(shape)
    n = len(dims)
    if 0 in dims:
        return RankFix(
            None,
            "empty",
            f"{shape} holds no elements at all: no reshape turns it into [{layout(spatial)}]. "
            "The tensor was empty before it reached the layer: an image or mask that was "
            "missing or failed to load, an empty list or selection turned into a tensor.",
            f"assert x.numel() > 0, f'empty input {{tuple(x.shape)}}'   # find where {shape} "
            "comes from: the image/mask that was not loaded",
        )
    if n == batched + 1:
        return _one_extra(shape, dims, channels)
    if n == batched - 1:
        return _one_missing(shape, dims, channels)
    if n == batched - 2:
        return _two_missing(shape, dims, spatial, channels)
    if n > batched + 1:
        ones = [i for i in range(1, n) if dims[i] == 1]
        extra = n - batched
        if len(ones) >= extra:
            drop = ones[:extra]
            fixed = Shape(d for i, d in enumerate(dims) if i not in drop)
            return RankFix(
                fixed,
                "squeeze",
                f"The size-1 dims {drop} can be squeezed: {fixed}.",
                f"x = x.squeeze({drop[0]})   # repeat for each extra size-1 dim → {fixed}",
            )
    return RankFix(
        None,
        "",
        f"Reshape the input to [{layout(spatial)}].",
        f"# make the input [{layout(spatial)}] before the layer",
    )


def _one_extra(shape: Shape, dims: list[int], channels: int | None) -> RankFix:
    n = len(dims)
    for i in range(1, n):
        if dims[i] != 1:
            continue
        squeezed = dims[:i] + dims[i + 1 :]
        if channels is None or squeezed[1] == channels:
            fixed = Shape(squeezed)
            return RankFix(
                fixed,
                f"squeeze({i})",
                f"Dim {i} has size 1, an extra dim (a stray unsqueeze, or a channel "
                f"dim added twice): squeeze({i}) gives {fixed}.",
                f"x = x.squeeze({i})   # {shape} → {fixed}",
            )
    folded = Shape([dims[0] * dims[1], *dims[2:]])
    fold_code = (
        f"n, t = x.shape[:2]\nx = x.flatten(0, 1)   # {shape} → {folded}\n"
        "y = layer(x)\ny = y.unflatten(0, (n, t))   # back to [N, T, ...]"
    )
    if channels is not None and dims[2] == channels and dims[1] != channels:
        return RankFix(
            folded,
            "fold",
            f"{shape} reads as [N, T, C, ...]: {dims[0]} samples of {dims[1]} "
            f"frames/slices with {channels} channels each. Fold the frames into the "
            f"batch, {dims[0]} × {dims[1]} = {dims[0] * dims[1]} → {folded}, and "
            "unflatten the output (or use a 3-D conv over the frames).",
            fold_code,
        )
    if channels is not None and dims[1] == channels:
        moved = Shape([dims[0] * dims[2], dims[1], *dims[3:]])
        return RankFix(
            moved,
            "permute-fold",
            f"{shape} reads as [N, C, T, ...]: {channels} channels, then {dims[2]} "
            f"frames/slices. Move them next to the batch and fold: {moved}; or use a "
            "3-D conv (Conv3d) for volumes.",
            f"x = x.transpose(1, 2).flatten(0, 1)   # {shape} → {moved}",
        )
    if channels is None and dims[2] in IMAGE_CHANNELS and dims[1] not in IMAGE_CHANNELS:
        return RankFix(
            folded,
            "fold",
            f"{shape} has one leading dim too many: as [N, T, C, H, W] ({dims[0]} "
            f"samples of {dims[1]} frames with {dims[2]} channels) fold T into the "
            f"batch: {dims[0]} × {dims[1]} = {dims[0] * dims[1]} → {folded}. If a "
            "summary tool or a stray unsqueeze added the dim, remove it instead.",
            fold_code,
        )
    return RankFix(
        None,
        "",
        f"{shape} has one dim too many: frames/slices per sample ([N, T, C, ...]: fold "
        "T into the batch with x.flatten(0, 1)) or a volume ([N, C, D, H, W]: use a "
        "3-D conv).",
        "x = x.flatten(0, 1)   # if the input is [N, T, C, ...]",
    )


def _one_missing(shape: Shape, dims: list[int], channels: int | None) -> RankFix:
    if channels is not None and dims[0] == channels:
        fixed = Shape([1, *dims])
        return RankFix(
            fixed,
            "unsqueeze(0)",
            f"{shape} is one sample without the batch dim: unsqueeze(0) gives {fixed}.",
            f"x = x.unsqueeze(0)   # {shape} → {fixed}",
        )
    if channels == 1 and dims[1] != 1:
        fixed = Shape([dims[0], 1, *dims[1:]])
        return RankFix(
            fixed,
            "unsqueeze(1)",
            f"{shape} is a batch of {dims[0]} single-channel samples without the "
            f"channel dim: unsqueeze(1) gives {fixed}.",
            f"x = x.unsqueeze(1)   # {shape} → {fixed}",
        )
    if channels is None:
        fixed = Shape([1, *dims])
        return RankFix(
            fixed,
            "unsqueeze(0)",
            f"{shape} lacks a dim: one sample without its batch dim takes "
            f"unsqueeze(0) → {fixed}; a batch without its channel dim takes "
            "unsqueeze(1).",
            f"x = x.unsqueeze(0)   # {shape} → {fixed}  (or unsqueeze(1) for a batch "
            "without channels)",
        )
    return RankFix(
        None,
        "",
        f"{shape} lacks a dim, and its sizes do not say which.",
        "# add the missing batch (unsqueeze(0)) or channel (unsqueeze(1)) dim",
    )


def _two_missing(shape: Shape, dims: list[int], spatial: int, channels: int | None) -> RankFix:
    if channels and len(dims) == 2 and dims[0] != dims[1] and dims[1] % channels == 0:
        per = dims[1] // channels
        side = integer_sqrt(per) if spatial == 2 else (per if spatial == 1 else None)
        if side and side > 1:
            fixed = Shape([dims[0], channels, *([side] * spatial)])
            sides = " × ".join([str(side)] * spatial)
            return RankFix(
                fixed,
                "view",
                f"{shape} is a batch of flat vectors (a Linear's output, or a "
                f"flatten): {fmt(dims[1])} = {channels} × {sides}, so view it as "
                f"{fixed}, channels = the layer's in_channels ({channels}).",
                f"x = x.view(-1, {channels}, {', '.join([str(side)] * spatial)})"
                f"   # {shape} → {fixed}",
            )
    if channels is None and spatial == 2 and _feature_rows(dims):
        rows, width = dims
        return RankFix(
            None,
            "features",
            f"{shape} reads as {rows} flat feature vectors of {fmt(width)} values (an "
            "encoder's or a Linear's output, a flatten), not as an image: a "
            f"{fmt(rows)} × {fmt(width)} single-channel picture is unlikely. Images [N, C, H, W] "
            "were expected here: features were passed where images belong, or a squeeze() / "
            "flatten removed the image dims.",
            f"print(x.shape)   # {shape}: {rows} feature vectors; pass the images [N, C, H, W]\n"
            "# (a squeeze() also drops size-1 image dims: squeeze(0) names the one to drop)",
        )
    if channels in (None, 1):
        fixed = Shape([1, 1, *dims])
        return RankFix(
            fixed,
            "x[None, None]",
            f"{shape} has neither a batch nor a channel dim: as one single-channel "
            f"sample it is {fixed}.",
            f"x = x[None, None]   # {shape} → {fixed}: batch and channel dims",
        )
    return RankFix(
        None,
        "",
        f"{shape} lacks both the batch and the channel dim; reshape it to "
        f"[{layout(spatial)}] with C = {channels}.",
        f"# x.view(N, {channels}, ...) before the layer",
    )


def _feature_rows(dims: list[int]) -> bool:
    """[N, F] with F a typical embedding width, many times N: a batch of feature vectors."""
    rows, width = dims
    return width >= 256 and width % 64 == 0 and rows <= 512 and width >= 8 * rows
