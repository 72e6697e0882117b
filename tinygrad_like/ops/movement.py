"""Primitives that move, select or join elements without arithmetic."""
import itertools

import numpy as np

from tinygrad_like.ops.dispatch import put, scatter_add, split
from tinygrad_like.tensor import Function, Tensor


def _save_if_view(ctx, x, out):
    """A view's backward does not read x, but x changed in place would change the view unseen by the
    graph: saving x lets backward detect that (the engine checks saved arrays for in-place changes)."""
    if out.base is not None:
        ctx.save_for_backward(x)
    return out


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return _save_if_view(ctx, x, x.reshape(shape))

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.input_shape)


class Transpose(Function):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return _save_if_view(ctx, x, x.transpose(axes))

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(tuple(np.argsort(ctx.axes)))


class Expand(Function):
    @staticmethod
    def forward(ctx, x, shape):
        return _save_if_view(ctx, x, np.broadcast_to(x, shape))

    @staticmethod
    def backward(ctx, grad):
        return grad  # the engine sums it back to the input's shape


class Getitem(Function):
    """x[index] for basic slices, integer arrays (repeats accumulate) and boolean masks."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.input_shape, ctx.input_dtype, ctx.index = x.shape, x.dtype, index
        return _save_if_view(ctx, x, x[index])

    @staticmethod
    def backward(ctx, grad):
        return scatter_add(ctx.input_shape, ctx.input_dtype, ctx.index, grad)


class ScatterAdd(Function):
    """zeros(shape) with `values` added at [index], repeats adding up: Getitem's backward as an op, so
    that a recorded backward can be differentiated again (its own backward is Getitem's forward)."""

    @staticmethod
    def forward(ctx, values, shape, index):
        ctx.index = index
        return scatter_add(shape, values.dtype, index, values)

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.index]


class Setitem(Function):
    """A copy of x with x[index] = value (value broadcast to the selection); the in-place form is
    Tensor.__setitem__."""

    @staticmethod
    def forward(ctx, x, value, index):
        ctx.index = index
        out = x.copy()
        out[index] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_x = put(grad, ctx.index, 0)  # overwritten elements do not reach the output
        return grad_x, grad[ctx.index]  # the engine sums the value's gradient over its broadcasting


class Concatenate(Function):
    @staticmethod
    def forward(ctx, *arrays, axis=0):
        ctx.axis = axis
        ctx.split_points = list(itertools.accumulate(a.shape[axis] for a in arrays[:-1]))
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return split(grad, ctx.split_points, ctx.axis)


# ---- flips, rolls, repeats, diagonals and sliding windows ------------------------------------------------
# Each backward is written once: on arrays it calls numpy, on Tensors (a recorded backward) an op doing the
# same, whose own backward is the forward here, so that the gradient can be differentiated again.
def _is_tensor(x):
    return isinstance(x, Tensor)


class Flip(Function):
    """x reversed along `dims` (normalised, distinct); a copy, as PyTorch's flip is."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.flip(x, dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return Flip.apply(grad, dims=ctx.dims) if _is_tensor(grad) else np.flip(grad, ctx.dims)


class Roll(Function):
    """x shifted cyclically by `shifts` along `dims`; with dims None the flattened x is rolled by one shift."""

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return np.roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, grad):
        back = -ctx.shifts if ctx.dims is None else tuple(-s for s in ctx.shifts)
        return Roll.apply(grad, shifts=back, dims=ctx.dims) if _is_tensor(grad) else np.roll(grad, back, ctx.dims)


class Tile(Function):
    """x repeated `reps[i]` times along each axis, len(reps) >= x.ndim (PyTorch's repeat, numpy's tile)."""

    @staticmethod
    def forward(ctx, x, reps):
        ctx.input_shape, ctx.reps = x.shape, reps
        return np.tile(x, reps)

    @staticmethod
    def backward(ctx, grad):
        # Output axis i holds reps[i] copies of input axis i: split it in (copy, element) and sum the copies.
        shape = (1,) * (len(ctx.reps) - len(ctx.input_shape)) + ctx.input_shape
        split = tuple(n for pair in zip(ctx.reps, shape) for n in pair)
        return grad.reshape(split).sum(axis=tuple(range(0, len(split), 2))).reshape(ctx.input_shape)


def _repeat_interleave(x, repeats, axis):
    return RepeatInterleave.apply(x, repeats=repeats, axis=axis) if _is_tensor(x) else np.repeat(x, repeats, axis)


def _segment_sums(x, repeats, axis):
    """Sums of consecutive runs of x along `axis`, run i of length repeats[i] (0 gives 0)."""
    out = np.zeros(x.shape[:axis] + (len(repeats),) + x.shape[axis + 1:], x.dtype)
    nonempty = repeats > 0
    if nonempty.any():  # reduceat cannot sum an empty run: those stay 0
        starts = (np.cumsum(repeats) - repeats)[nonempty]
        out[(slice(None),) * axis + (nonempty,)] = np.add.reduceat(x, starts, axis=axis)
    return out


class RepeatInterleave(Function):
    """Each element of x along `axis` repeated: `repeats` is an int, or an int64 array of one count per element."""

    @staticmethod
    def forward(ctx, x, repeats, axis):
        ctx.input_shape, ctx.repeats, ctx.axis = x.shape, repeats, axis
        return np.repeat(x, repeats, axis)

    @staticmethod
    def backward(ctx, grad):
        shape, axis, repeats = ctx.input_shape, ctx.axis, ctx.repeats
        if isinstance(repeats, int):  # equal runs: one more axis to sum over
            return grad.reshape(shape[:axis] + (shape[axis], repeats) + shape[axis + 1:]).sum(axis=axis + 1)
        return SegmentSum.apply(grad, repeats=repeats, axis=axis) if _is_tensor(grad) else \
            _segment_sums(grad, repeats, axis)


class SegmentSum(Function):
    """Sums of consecutive runs along `axis` whose lengths are `repeats`: RepeatInterleave's backward as an
    op (its own backward is RepeatInterleave's forward)."""

    @staticmethod
    def forward(ctx, x, repeats, axis):
        ctx.repeats, ctx.axis = repeats, axis
        return _segment_sums(x, repeats, axis)

    @staticmethod
    def backward(ctx, grad):
        return _repeat_interleave(grad, ctx.repeats, ctx.axis)


def _diagonal_view(a, offset, dim1, dim2):
    """The diagonal of `a` over axes dim1, dim2 as a last axis, laid out as np.diagonal's, but a view that
    is writable when `a` is (np.diagonal's is read-only): writes go to `a`, as through PyTorch's view."""
    a = np.moveaxis(a, (dim1, dim2), (-2, -1))
    a = a[..., :, offset:] if offset >= 0 else a[..., -offset:, :]
    length = min(a.shape[-2], a.shape[-1])
    strides = a.strides[:-2] + (a.strides[-2] + a.strides[-1],)  # one step along both axes at once
    return np.lib.stride_tricks.as_strided(a, a.shape[:-2] + (length,), strides)


def _diagonal(x, offset, dim1, dim2):
    return Diagonal.apply(x, offset=offset, dim1=dim1, dim2=dim2) if _is_tensor(x) else \
        _diagonal_view(x, offset, dim1, dim2)


class Diagonal(Function):
    """The `offset` diagonal over axes dim1 != dim2 (normalised) as a last axis; a view of x, or a copy."""

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2, copy=False):
        ctx.input_shape, ctx.diagonal = x.shape, (offset, dim1, dim2)
        out = _diagonal_view(x, offset, dim1, dim2)
        return out.copy() if copy else _save_if_view(ctx, x, out)

    @staticmethod
    def backward(ctx, grad):
        offset, dim1, dim2 = ctx.diagonal
        if _is_tensor(grad):
            return DiagonalScatter.apply(grad, shape=ctx.input_shape, offset=offset, dim1=dim1, dim2=dim2)
        return _diagonal_scatter(grad, ctx.input_shape, offset, dim1, dim2)


def _diagonal_scatter(values, shape, offset, dim1, dim2):
    out = np.zeros(shape, values.dtype)
    _diagonal_view(out, offset, dim1, dim2)[...] = values
    return out


class DiagonalScatter(Function):
    """zeros(shape) with `values` on the `offset` diagonal over axes dim1, dim2: diag_embed, and Diagonal's
    backward as an op (its own backward is Diagonal's forward)."""

    @staticmethod
    def forward(ctx, values, shape, offset, dim1, dim2):
        ctx.diagonal = (offset, dim1, dim2)
        return _diagonal_scatter(values, shape, offset, dim1, dim2)

    @staticmethod
    def backward(ctx, grad):
        return _diagonal(grad, *ctx.diagonal)


def _windows(x, dim, size, step):
    """Read-only view of the windows: axis `dim` counts them, a new last axis holds each one."""
    windows = np.lib.stride_tricks.sliding_window_view(x, size, axis=dim)
    return windows if step == 1 else windows[(slice(None),) * dim + (slice(None, None, step),)]


class Unfold(Function):
    """Windows of `size` elements every `step` along `dim` (PyTorch's Tensor.unfold); a view of x."""

    @staticmethod
    def forward(ctx, x, dim, size, step):
        ctx.input_shape, ctx.window = x.shape, (dim, size, step)
        return _save_if_view(ctx, x, _windows(x, dim, size, step))

    @staticmethod
    def backward(ctx, grad):
        if _is_tensor(grad):
            return UnfoldBackward.apply(grad, shape=ctx.input_shape, dim=ctx.window[0], size=ctx.window[1],
                                        step=ctx.window[2])
        return _sum_windows(grad, ctx.input_shape, *ctx.window)


def _sum_windows(grad, shape, dim, size, step):
    """zeros(shape) with each window of `grad` added back where it came from: overlaps add up."""
    out = np.zeros(shape, grad.dtype)
    count, lead = grad.shape[dim], (slice(None),) * dim
    if size <= count:  # element j of every window in one strided slice; one slice holds no position twice
        for j in range(size):
            out[lead + (slice(j, j + step * (count - 1) + 1, step),)] += grad[..., j]
    else:
        for k in range(count):
            out[lead + (slice(k * step, k * step + size),)] += np.moveaxis(grad[lead + (k,)], -1, dim)
    return out


class UnfoldBackward(Function):
    """The windows in `grad` summed back into zeros(shape): Unfold's backward as an op (its own backward is
    Unfold's forward)."""

    @staticmethod
    def forward(ctx, grad, shape, dim, size, step):
        ctx.window = (dim, size, step)
        return _sum_windows(grad, shape, dim, size, step)

    @staticmethod
    def backward(ctx, grad):
        if _is_tensor(grad):
            dim, size, step = ctx.window
            return Unfold.apply(grad, dim=dim, size=size, step=step)
        return _windows(grad, *ctx.window).copy()  # the view overlaps and is read-only: no .grad may be one
