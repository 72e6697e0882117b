"""Reductions over numpy-style axes (None, an int or a tuple), with or without keepdims."""
import numpy as np

from tinygrad_like.ops.dispatch import broadcast_array, expand_dims, raw
from tinygrad_like.tensor import Function


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


class Max(Function):
    """Maximum over axes; tied maxima share the gradient equally (like PyTorch's amax)."""

    reducer = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx, x, axis=None, keepdims=False):
        out = np.asarray(cls.reducer(x, axis=axis, keepdims=keepdims))
        ctx.axis, ctx.keepdims = axis, keepdims
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = (raw(a) for a in ctx.saved_tensors)  # which elements won: a constant of the graph
        out = _grad_to_input_shape(out, x.ndim, ctx.axis, ctx.keepdims)
        grad = _grad_to_input_shape(grad, x.ndim, ctx.axis, ctx.keepdims)
        winners = x == out
        return winners * (grad / winners.sum(axis=ctx.axis, keepdims=True))


class Min(Max):
    reducer = staticmethod(np.min)
