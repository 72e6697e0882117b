"""Pooling: max (with PyTorch's flat per-plane indices), average, adaptive average and max, unpooling and
power-average pooling, over the window machinery of ops.conv.

Max pooling picks an index per window (the first maximum in window order, or the last nan, as
PyTorch's CPU kernels do) and gathers it (PlaneGather); the gradient goes to that one element, added
back with one np.bincount (PlaneScatter). Average pooling is linear: AvgPool's backward is its adjoint
(AvgPoolAdjoint, a fold of the scaled gradient) and the adjoint's backward is AvgPool, so second
derivatives come for free. Adaptive average pooling is a composite of reshape-mean or a product with
a constant averaging matrix per axis.
"""
import math

import numpy as np

from tinygrad_like.ops.conv import as_tuple, batched, check_positive, fold, windows
from tinygrad_like.ops.pad import constant_pad
from tinygrad_like.tensor import Function, ShapeError, Tensor

# ---- gathering and scattering by flat per-plane index ---------------------------------------------


def _planes(index, plane_size):
    """The flat positions of index (N, C, *out) in an array of N*C planes of plane_size elements."""
    planes = math.prod(index.shape[:2])
    return (np.arange(planes, dtype=np.int64)[:, None] * plane_size
            + index.reshape(planes, math.prod(index.shape[2:]))).ravel()


def _gather(x, index):
    planes = math.prod(x.shape[:2])
    flat = x.reshape(planes, math.prod(x.shape[2:]))
    return np.take_along_axis(flat, index.reshape(planes, math.prod(index.shape[2:])), 1).reshape(index.shape)


def _scatter(values, index, shape):
    plane_size = math.prod(shape[2:])
    total = np.bincount(_planes(index, plane_size), weights=values.ravel(), minlength=math.prod(shape))
    return total.astype(values.dtype, copy=False).reshape(shape)


def plane_gather(x, index):
    return PlaneGather.apply(x, index=index) if isinstance(x, Tensor) else _gather(x, index)


def plane_scatter(values, index, shape):
    return PlaneScatter.apply(values, index=index, shape=shape) if isinstance(values, Tensor) else _scatter(
        values, index, shape)


class PlaneGather(Function):
    """x[n, c].flat[index[n, c, ...]]: the values max pooling chose."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.index, ctx.shape = index, x.shape
        return _gather(x, index)

    @staticmethod
    def backward(ctx, grad):
        return plane_scatter(grad, ctx.index, ctx.shape)


class PlaneScatter(Function):
    """zeros(shape) with values added at the flat per-plane positions index (repeats add up): PlaneGather's
    backward as an op, so that a recorded backward can be differentiated again."""

    @staticmethod
    def forward(ctx, values, index, shape):
        ctx.index = index
        return _scatter(values, index, shape)

    @staticmethod
    def backward(ctx, grad):
        return plane_gather(grad, ctx.index)


class MaxUnpool(Function):
    """zeros(shape) with values written (not added) at the flat per-plane positions index (F.max_unpool);
    the gradient of each value is the output gradient where it was written, as in PyTorch."""

    @staticmethod
    def forward(ctx, values, index, shape):
        ctx.index = index
        out = np.zeros(math.prod(shape), values.dtype)
        out[_planes(index, math.prod(shape[2:]))] = values.ravel()
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return plane_gather(grad, ctx.index)


# ---- choosing the maximum -------------------------------------------------------------------------
def _first_max(taps):
    """The number of the tap holding each window's maximum, over a list of equally shaped arrays: the first
    maximum in tap order, or the last nan (PyTorch's CPU kernels move on to a value that is larger, or nan).
    In arithmetic on small integers rather than masked assignments, which are several times slower."""
    best = taps[0]
    for values in taps[1:]:
        best = np.maximum(best, values)  # nan wins, as it does in PyTorch
    count = len(taps)
    code = np.min_scalar_type(2 * count)
    chosen = None
    for number, values in enumerate(taps):  # a tap equal to the maximum codes as its number, others higher
        candidate = np.not_equal(values, best).astype(code)
        candidate *= count
        candidate += code.type(number)
        chosen = candidate if chosen is None else np.minimum(chosen, candidate, out=chosen)
    if best.dtype.kind == "f" and np.isnan(best).any():  # nan equals nothing: find each window's last nan
        last = np.zeros(best.shape, code)
        for number, values in enumerate(taps):
            last = np.maximum(last, np.isnan(values).astype(code) * code.type(number + 1))
        chosen = np.where(np.isnan(best), last - 1, chosen)
    return chosen


def _flat(positions, spatial):
    """Per-plane flat indices from the input positions along each spatial axis."""
    flat = positions[0]
    for position, n in zip(positions[1:], spatial[1:]):
        flat = flat * n + position
    return flat


def _grid(values, axis, nd):
    """values along output axis `axis` of nd, shaped to broadcast against (N, C, *out)."""
    return values.reshape((-1,) + (1,) * (nd - 1 - axis))


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def max_pool_indices(x, kernel, stride, dilation, pairs, name):
    """The flat per-plane index of each window's maximum in x (N, C, *spatial), padded by `pairs`. A window
    whose only maxima are padding (all its values are the fill value) takes its first element inside the
    input, as PyTorch does."""
    nd, spatial = len(kernel), x.shape[2:]
    view = windows(constant_pad(x, pairs, _lowest(x.dtype)), kernel, stride, dilation)
    starts, first_valid = [], []
    for o, n, k, s, d, (lo, _) in zip(view.shape[2:2 + nd], spatial, kernel, stride, dilation, pairs):
        starts.append(np.arange(o) * s - lo)
        first_valid.append(starts[-1] - (np.minimum(starts[-1], 0) // d) * d)  # the first tap at or after 0
        if np.any((first_valid[-1] >= n) | (first_valid[-1] > starts[-1] + (k - 1) * d)):
            raise ShapeError(f"{name}: with kernel_size {kernel}, stride {stride}, dilation {dilation} and padding "
                             f"{tuple(lo for lo, _ in pairs)}, a window of the input of shape {x.shape} holds padding "
                             "only; use less padding or dilation")
    chosen = _first_max([view[(Ellipsis,) + tap] for tap in np.ndindex(*kernel)])
    if not any(lo > 0 or hi > 0 for lo, hi in pairs):  # every tap inside the input: its window's first
        # element plus the tap's offset, one lookup in a table of kernel taps (2.5x faster than per-axis positions)
        offsets = _flat([_grid(np.arange(k) * d, i, nd) for i, (k, d) in enumerate(zip(kernel, dilation))], spatial)
        return offsets.ravel().take(chosen) + _flat([_grid(a, i, nd) for i, a in enumerate(starts)], spatial)
    parts = np.unravel_index(chosen, kernel)
    positions = [_grid(a, i, nd) + part * d for i, (a, part, d) in enumerate(zip(starts, parts, dilation))]
    outside = np.zeros(chosen.shape, bool)
    for position, n in zip(positions, spatial):
        outside |= (position < 0) | (position >= n)
    if outside.any():
        positions = [np.where(outside, _grid(valid, i, nd), position)
                     for i, (valid, position) in enumerate(zip(first_valid, positions))]
    return _flat(positions, spatial)


def adaptive_ranges(size, out):
    """PyTorch's adaptive windows along an axis: [floor(i * size / out), ceil((i + 1) * size / out))."""
    i = np.arange(out)
    return i * size // out, -(-(i + 1) * size // out)


def adaptive_max_indices(x, out):
    """The flat per-plane index of the maximum of each adaptive window of x (N, C, *spatial)."""
    nd, sources = len(out), []
    for n, o in zip(x.shape[2:], out):
        starts, ends = adaptive_ranges(n, o)
        # windows padded to the widest by repeating their last element, which cannot change the first maximum
        sources.append(np.minimum(starts[:, None] + np.arange((ends - starts).max()), ends[:, None] - 1))
    kernel = tuple(source.shape[1] for source in sources)
    taps = [x[(Ellipsis,) + tuple(_grid(source[:, t], i, nd) for i, (source, t) in enumerate(zip(sources, numbers)))]
            for numbers in np.ndindex(*kernel)]
    parts = np.unravel_index(_first_max(taps), kernel)
    return _flat([source[_grid(np.arange(len(source)), i, nd), part]
                  for i, (source, part) in enumerate(zip(sources, parts))], x.shape[2:])


# ---- average pooling ------------------------------------------------------------------------------
def _window_sum(x, kernel, stride, pairs):
    view = windows(constant_pad(x, pairs), kernel, stride, (1,) * len(kernel))
    taps = np.ndindex(*kernel)
    total = view[(Ellipsis,) + next(taps)].copy()
    for tap in taps:
        total += view[(Ellipsis,) + tap]
    return total


def _average(x, kernel, stride, pairs, divisor):
    total = _window_sum(x, kernel, stride, pairs)
    if total.dtype.kind == "f":
        return total / divisor.astype(total.dtype)
    return (np.sign(total) * (np.abs(total) // divisor)).astype(total.dtype)  # truncated, as PyTorch divides integers


def _average_adjoint(grad, kernel, stride, pairs, divisor, size):
    scaled = grad / divisor.astype(grad.dtype)
    nd = len(kernel)
    columns = np.broadcast_to(np.expand_dims(scaled, tuple(range(2, 2 + nd))), grad.shape[:2] + kernel + grad.shape[2:])
    return fold(columns, size, kernel, stride, (1,) * nd, pairs)


def average(x, kernel, stride, pairs, divisor):
    if isinstance(x, Tensor):
        return AvgPool.apply(x, kernel=kernel, stride=stride, pairs=pairs, divisor=divisor)
    return _average(x, kernel, stride, pairs, divisor)


def avg_pool_adjoint(grad, kernel, stride, pairs, divisor, size):
    if isinstance(grad, Tensor):
        return AvgPoolAdjoint.apply(grad, kernel=kernel, stride=stride, pairs=pairs, divisor=divisor, size=size)
    return _average_adjoint(grad, kernel, stride, pairs, divisor, size)


class AvgPool(Function):
    """The sum over each window of x (N, C, *spatial), zero-padded by `pairs`, over `divisor` (an array of
    the output's spatial shape; inf where a window holds no input element, which averages to 0)."""

    @staticmethod
    def forward(ctx, x, kernel, stride, pairs, divisor):
        ctx.options = (kernel, stride, pairs, divisor, x.shape[2:])
        return _average(x, kernel, stride, pairs, divisor)

    @staticmethod
    def backward(ctx, grad):
        return avg_pool_adjoint(grad, *ctx.options)


class AvgPoolAdjoint(Function):
    """AvgPool's backward as an op, so that a recorded backward can be differentiated again."""

    @staticmethod
    def forward(ctx, grad, kernel, stride, pairs, divisor, size):
        ctx.options = (kernel, stride, pairs, divisor)
        return np.ascontiguousarray(_average_adjoint(grad, kernel, stride, pairs, divisor, size))

    @staticmethod
    def backward(ctx, grad):
        return average(grad, *ctx.options)


# ---- the functional forms -------------------------------------------------------------------------
def _pool_input(input, nd, name):
    x, unbatched = batched(input, nd, name)
    if 0 in x.shape[1:]:
        raise ShapeError(f"{name}: expected an input with non-empty channel and spatial axes, got shape {input.shape}")
    return x, unbatched


def _windows_geometry(name, nd, spatial, kernel_size, stride, padding, dilation, ceil_mode):
    """kernel, stride, dilation, the exact padding pairs and the output size of a pool, by PyTorch's rules."""
    kernel = as_tuple(kernel_size, nd, name, "kernel_size")
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) else as_tuple(
        stride, nd, name, "stride")
    padding, dilation = as_tuple(padding, nd, name, "padding"), as_tuple(dilation, nd, name, "dilation")
    for values, what in ((kernel, "kernel_size"), (stride, "stride"), (dilation, "dilation")):
        check_positive(values, name, what)
    if any(p < 0 or p > k // 2 for p, k in zip(padding, kernel)):
        raise ShapeError(f"{name}: padding {padding} must be non-negative and at most half the kernel size {kernel}")
    out, pairs = [], []
    for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation):
        span = n + 2 * p - d * (k - 1) - 1
        o = (span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (o - 1) * s >= n + p:  # the last window must start inside the input or the left padding
            o -= 1
        out.append(o)
        pairs.append((p, (o - 1) * s + d * (k - 1) + 1 - n - p))
    if min(out) < 1:
        raise ShapeError(f"{name}: input of spatial size {tuple(spatial)} with kernel_size {kernel}, stride {stride}, "
                         f"padding {padding} and dilation {dilation} gives the output size {tuple(out)}, which is "
                         "too small")
    return kernel, stride, dilation, tuple(pairs), tuple(out)


def max_pool(name, nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    x, unbatched = _pool_input(input, nd, name)
    kernel, stride, dilation, pairs, _ = _windows_geometry(name, nd, x.shape[2:], kernel_size, stride, padding,
                                                           dilation, ceil_mode)
    index = max_pool_indices(x._data, kernel, stride, dilation, pairs, name)
    return _with_indices(PlaneGather.apply(x, index=index), index, unbatched, return_indices)


def _with_indices(out, index, unbatched, return_indices):
    indices = Tensor._wrap(index)
    if unbatched:
        out, indices = out.squeeze(0), indices.squeeze(0)
    return (out, indices) if return_indices else out


def _divisor(spatial, kernel, stride, pairs, out, count_include_pad, divisor_override):
    """The divisor of each output element, PyTorch's: the window's size clipped to the padded input (or to
    the input without count_include_pad), or divisor_override; inf where a window holds no input element."""
    divisor, empty = np.ones((), np.int64), np.zeros((), bool)
    for i, (n, k, s, (p, _), o) in enumerate(zip(spatial, kernel, stride, pairs, out)):
        starts = np.arange(o) * s - p
        ends = np.minimum(starts + k, n + p)
        inside = np.minimum(ends, n) - np.maximum(starts, 0)
        shape = (-1,) + (1,) * (len(out) - 1 - i)
        divisor = divisor * (ends - starts if count_include_pad else inside).reshape(shape)
        empty = empty | (inside <= 0).reshape(shape)
    if divisor_override is not None:
        divisor = np.full(out, divisor_override, np.int64)
    return np.where(empty, np.inf, divisor.astype(np.float64)) if np.any(empty) else divisor.astype(np.float64)


def avg_pool(name, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    x, unbatched = _pool_input(input, nd, name)
    if x.dtype.kind not in "fi":
        raise TypeError(f"{name}: expected a floating point or signed integer input, got {x.dtype}")
    if divisor_override is not None and (not isinstance(divisor_override, (int, np.integer)) or divisor_override == 0):
        raise ShapeError(f"{name}: divisor_override must be a non-zero int, got {divisor_override!r}")
    kernel, stride, _, pairs, out = _windows_geometry(name, nd, x.shape[2:], kernel_size, stride, padding, 1, ceil_mode)
    divisor = _divisor(x.shape[2:], kernel, stride, pairs, out, count_include_pad, divisor_override)
    result = average(x, kernel, stride, pairs, divisor)
    return result.squeeze(0) if unbatched else result


def _adaptive_size(name, nd, spatial, output_size):
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) == 1:
        output_size *= nd
    if len(output_size) != nd:
        raise ShapeError(f"{name}: output_size must have {nd} entries, got {output_size}")
    out = tuple(n if o is None else int(o) for n, o in zip(spatial, output_size))
    if min(out) < 0:
        raise ShapeError(f"{name}: output_size must not be negative, got {output_size}")
    return out


def adaptive_avg_pool(name, nd, input, output_size):
    x, unbatched = _pool_input(input, nd, name)
    out = _adaptive_size(name, nd, x.shape[2:], output_size)
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating point input, got {x.dtype}")
    for axis, (n, o) in enumerate(zip(x.shape[2:], out), 2):
        if o == n:
            continue
        if o and n % o == 0:  # equal windows side by side: a mean over a new axis
            shape = x.shape
            x = x.reshape(shape[:axis] + (o, n // o) + shape[axis + 1:]).mean(axis + 1)
            continue
        starts, ends = adaptive_ranges(n, o)
        inside = (np.arange(n)[:, None] >= starts) & (np.arange(n)[:, None] < ends)
        weights = Tensor._wrap((inside / (ends - starts)).astype(x.dtype))  # (n, o): column j averages window j
        x = (x.swapaxes(axis, -1) @ weights).swapaxes(axis, -1)
    return x.squeeze(0) if unbatched else x


def adaptive_max_pool(name, nd, input, output_size, return_indices):
    x, unbatched = _pool_input(input, nd, name)
    out = _adaptive_size(name, nd, x.shape[2:], output_size)
    if min(out) < 1:
        raise ShapeError(f"{name}: output_size must be positive, got {output_size}")
    index = adaptive_max_indices(x._data, out)
    return _with_indices(PlaneGather.apply(x, index=index), index, unbatched, return_indices)


def max_unpool(name, nd, input, indices, kernel_size, stride, padding, output_size):
    x, unbatched = _pool_input(input, nd, name)
    index = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    index = index[None] if unbatched else index
    if index.shape != x.shape or index.dtype.kind not in "iu":
        raise ShapeError(f"{name}: indices must be integers of the input's shape {input.shape}, got "
                         f"{index.shape} {index.dtype}")
    kernel = as_tuple(kernel_size, nd, name, "kernel_size")
    stride = kernel if stride is None else as_tuple(stride, nd, name, "stride")
    padding = as_tuple(padding, nd, name, "padding")
    default = tuple((n - 1) * s - 2 * p + k for n, k, s, p in zip(x.shape[2:], kernel, stride, padding))
    if output_size is None:
        size = default
    else:
        size = tuple(output_size)[-nd:] if len(tuple(output_size)) in (nd, nd + 1, nd + 2) else None
        if size is None or any(not d - s < n < d + s for n, d, s in zip(size, default, stride)):
            raise ShapeError(f"{name}: output_size {output_size} must be within a stride {stride} of the default "
                             f"size {default}")
    plane = math.prod(size)
    if index.size and (index.min() < 0 or index.max() >= plane):
        raise IndexError(f"{name}: found an invalid max index (from {index.min()} to {index.max()}) for output "
                         f"planes of size {size}")
    out = MaxUnpool.apply(x, index=index, shape=x.shape[:2] + tuple(size))
    return out.squeeze(0) if unbatched else out


def lp_pool(name, nd, input, norm_type, kernel_size, stride, ceil_mode):
    """PyTorch's power-average pooling: (sum over the window of x**p) ** (1/p), as a composite."""
    kernel = as_tuple(kernel_size, nd, name, "kernel_size")
    out = avg_pool(name, nd, input ** norm_type, kernel, stride, 0, ceil_mode, True, None)
    return (out.sign() * out.abs().relu() * math.prod(kernel)) ** (1.0 / norm_type)
