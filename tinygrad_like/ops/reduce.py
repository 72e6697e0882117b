"""Reductions over numpy-style axes (None, an int or a tuple), with or without keepdims."""
import numpy as np

from tinygrad_like.ops.dispatch import broadcast_array, expand_dims, raw
from tinygrad_like.tensor import Function, Tensor


def _grad_to_input_shape(grad, ndim, axis, keepdims):
    """Re-insert the reduced axes (when keepdims=False) so the gradient broadcasts against the input."""
    if keepdims:
        return grad
    if axis is None:
        return grad.reshape((1,) * ndim)
    return expand_dims(grad, axis)


class Sum(Function):
    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return np.asarray(x.sum(axis=axis, keepdims=keepdims))

    @staticmethod
    def backward(ctx, grad):
        return broadcast_array(_grad_to_input_shape(grad, len(ctx.shape), ctx.axis, ctx.keepdims), ctx.shape)


class Mean(Sum):
    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        total = Sum.forward(ctx, x, axis, keepdims)
        ctx.count = x.size // total.size if total.size else 0
        return total / ctx.count

    @staticmethod
    def backward(ctx, grad):
        return Sum.backward(ctx, grad / ctx.count)


class _SavedReduction(Function):
    """A reduction by `reducer` whose backward needs its input and its output (Max, Min, Prod)."""

    reducer = None

    @classmethod
    def forward(cls, ctx, x, axis=None, keepdims=False):
        out = np.asarray(cls.reducer(x, axis=axis, keepdims=keepdims))
        ctx.axis, ctx.keepdims = axis, keepdims
        ctx.save_for_backward(x, out)
        return out


class Max(_SavedReduction):
    """Maximum over axes; tied maxima share the gradient equally (like PyTorch's amax)."""

    reducer = staticmethod(np.max)

    @staticmethod
    def backward(ctx, grad):
        return _evenly_distribute(ctx, grad)


class Min(Max):
    reducer = staticmethod(np.min)


def _evenly_distribute(ctx, grad):
    """The gradient of a reduction that picks a value (amax, amin, median()): shared equally by the
    elements equal to it, or by the nans when it is nan (PyTorch's evenly_distribute_backward)."""
    x, out = (raw(a) for a in ctx.saved_tensors)  # which elements won: a constant of the graph
    out = _grad_to_input_shape(out, x.ndim, ctx.axis, ctx.keepdims)
    grad = _grad_to_input_shape(grad, x.ndim, ctx.axis, ctx.keepdims)
    winners = (x == out) | (np.isnan(x) & np.isnan(out)) if x.dtype.kind == "f" else x == out
    return winners * (grad / winners.sum(axis=ctx.axis, keepdims=True))


class Prod(_SavedReduction):
    """Product over axes. The gradient of an element is the product of the others in its group: out / x
    without zeros; with zeros, the products of the elements before and after it, so that only a lone zero
    gets one, and so that the recorded backward is differentiable at zeros too (as PyTorch computes it)."""

    reducer = staticmethod(np.prod)

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        if x.ndim == 0:  # the product of one element is that element (PyTorch passes grad on, also for nan)
            return grad
        grad = _grad_to_input_shape(grad, x.ndim, ctx.axis, ctx.keepdims)
        if x.size == 0:
            return broadcast_array(grad, x.shape)
        zeros = np.count_nonzero(raw(x) == 0)
        if not zeros:
            return grad * _grad_to_input_shape(out, x.ndim, ctx.axis, ctx.keepdims) / x
        if zeros > 1 and ctx.axis is None and not isinstance(grad, Tensor):
            return np.zeros(x.shape, grad.dtype)  # every product of the others has a zero (PyTorch's shortcut)
        return grad * _product_of_the_others(x, ctx.axis)


def _product_of_the_others(x, axis):
    """For each element, the product of the other elements of its group along the reduced axes: the
    product of those before it times that of those after it (cumulative products, no division)."""
    reduced = tuple(range(x.ndim)) if axis is None else tuple(a % x.ndim for a in np.atleast_1d(axis))
    kept = tuple(a for a in range(x.ndim) if a not in reduced)
    order = kept + reduced
    moved = x.transpose(order)
    lanes = moved.reshape(moved.shape[:len(kept)] + (int(np.prod([x.shape[a] for a in reduced])),))
    ones = np.ones(lanes.shape[:-1] + (1,), dtype=raw(x).dtype)
    before = _concatenate([ones, lanes[..., :-1]]).cumprod(-1)
    after = _concatenate([ones, lanes[..., :0:-1]]).cumprod(-1)[..., ::-1]
    return (before * after).reshape(moved.shape).transpose(tuple(np.argsort(order)))


def _concatenate(parts):
    """The parts joined along their last axis (arrays, or Tensors when the backward is recorded)."""
    if any(isinstance(part, Tensor) for part in parts):
        from tinygrad_like.tensor import cat
        return cat(parts, -1)
    return np.concatenate(parts, axis=-1)


class Median(Function):
    """The lower median of all elements (PyTorch's median(), or nanmedian() with ignore_nan: the median of
    the non-nan elements); nan for an empty tensor. Ties share the gradient equally, as in PyTorch."""

    @staticmethod
    def forward(ctx, x, ignore_nan=False):
        ordered = np.sort(x, axis=None)  # nans last
        nans = int(np.isnan(ordered).sum()) if x.dtype.kind == "f" else 0
        if x.size == 0:
            out = np.asarray(np.nan, dtype=x.dtype)
        elif nans and not ignore_nan:
            out = np.asarray(ordered[-1])
        else:
            out = np.asarray(ordered[max(x.size - nans - 1, 0) // 2])
        ctx.axis, ctx.keepdims = None, False
        ctx.save_for_backward(x, out)
        return out

    backward = staticmethod(_evenly_distribute)


def median_indices(x, axis, ignore_nan=False):
    """int64 indices (keeping `axis`) of the lower median along `axis`, as PyTorch's median(dim) picks it:
    the ((n - 1) // 2)-th element in stable sorted order (ties: by position), or the first nan; with
    ignore_nan (nanmedian) the median of the non-nan elements, the first nan for a lane of nans."""
    order = np.argsort(x, axis=axis, kind="stable")  # nans last, in order
    n = x.shape[axis]
    nan = np.isnan(x) if x.dtype.kind == "f" else np.zeros(x.shape, dtype=bool)
    if ignore_nan:
        rank = np.maximum(n - nan.sum(axis=axis, keepdims=True) - 1, 0) // 2
        return np.take_along_axis(order, rank, axis=axis)
    median = np.take_along_axis(order, np.full(order.shape[:axis] + (1,) + order.shape[axis + 1:], (n - 1) // 2),
                                axis=axis)
    return np.where(nan.any(axis=axis, keepdims=True), nan.argmax(axis=axis, keepdims=True), median)


def mode_indices(x, axis):
    """int64 indices (keeping `axis`) of the mode along `axis` as PyTorch computes it: the smallest of the
    most frequent values, at its last position."""
    order = np.argsort(x, axis=axis, kind="stable")
    ordered = np.take_along_axis(x, order, axis=axis)
    n = x.shape[axis]
    positions = np.arange(n).reshape((-1,) + (1,) * (x.ndim - 1 - axis))
    starts = np.ones(x.shape, dtype=bool)  # where a run of equal values begins in sorted order
    later, earlier = ((slice(None),) * axis + (part,) for part in (slice(1, None), slice(None, -1)))
    starts[later] = ordered[later] != ordered[earlier]
    run_length = positions - np.maximum.accumulate(np.where(starts, positions, 0), axis=axis) + 1
    # The first position where a run reaches the largest length ends the longest run of the smallest value.
    return np.take_along_axis(order, run_length.argmax(axis=axis, keepdims=True), axis=axis)
