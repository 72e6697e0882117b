"""Primitives that move, select or join elements without arithmetic."""
import numpy as np

from tinygrad_like.ops.dispatch import put, scatter_add, split
from tinygrad_like.tensor import Function


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
        ctx.split_points = np.cumsum([a.shape[axis] for a in arrays[:-1]])
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return split(grad, ctx.split_points, ctx.axis)
