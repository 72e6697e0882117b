"""Element-wise math primitives beyond the basic ones: exponentials and logarithms near 0, rounding,
reciprocals, nan_to_num, hypot and atan2. Gradients are PyTorch's."""
import math

import numpy as np

from tinygrad_like.ops.dispatch import raw, where
from tinygrad_like.tensor import Function

_LN2 = math.log(2.0)


def _zero_gradient(ctx, grad):
    """Rounding and sign are piecewise constant: zero gradient everywhere (PyTorch's zeros, also for an
    infinite or nan incoming gradient)."""
    return where(np.zeros(np.shape(raw(grad)), dtype=bool), grad, 0.0)


class Exp2(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.exp2(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved_tensors[0] * _LN2


class Log1p(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(x)

    @staticmethod
    def backward(ctx, grad):
        return grad / (ctx.saved_tensors[0] + 1)


class Expm1(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.expm1(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * (ctx.saved_tensors[0] + 1)


class Rsqrt(Function):
    @staticmethod
    def forward(ctx, x):
        out = 1 / np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return grad * (out * out * out) * -0.5


class Reciprocal(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.reciprocal(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return -grad * (out * out)


class Sign(Function):
    """-1, 0 or 1; 0 for nan, as in PyTorch (numpy gives nan)."""
    forward = staticmethod(lambda ctx, x: np.where(np.isnan(x), 0, np.sign(x)))
    backward = staticmethod(_zero_gradient)


class Floor(Function):
    forward = staticmethod(lambda ctx, x: np.floor(x))
    backward = staticmethod(_zero_gradient)


class Ceil(Function):
    forward = staticmethod(lambda ctx, x: np.ceil(x))
    backward = staticmethod(_zero_gradient)


class Trunc(Function):
    forward = staticmethod(lambda ctx, x: np.trunc(x))
    backward = staticmethod(_zero_gradient)


class Round(Function):
    """Halves to even, as numpy and PyTorch round."""

    @staticmethod
    def forward(ctx, x, decimals=0):
        return np.round(x, decimals)

    backward = staticmethod(_zero_gradient)


class NanToNum(Function):
    """nan, +inf and -inf replaced; the gradient passes where x is finite (PyTorch: grad * isfinite(x))."""

    @staticmethod
    def forward(ctx, x, nan=0.0, posinf=None, neginf=None):
        ctx.save_for_backward(x)
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad):
        return where(np.isfinite(raw(ctx.saved_tensors[0])), grad, 0.0)


class Hypot(Function):
    @staticmethod
    def forward(ctx, a, b):
        out = np.hypot(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        return (grad * a / out if ctx.needs_input_grad[0] else None,  # nan at (0, 0), as in PyTorch
                grad * b / out if ctx.needs_input_grad[1] else None)


class Atan2(Function):
    """atan2(y, x): the angle of the point (x, y)."""

    @staticmethod
    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return np.arctan2(y, x)

    @staticmethod
    def backward(ctx, grad):
        y, x = ctx.saved_tensors
        squared = x * x + y * y
        origin = raw(squared) == 0  # PyTorch's zero gradient at (0, 0)
        scaled = where(origin, 0.0, grad / where(origin, 1.0, squared))
        return (scaled * x if ctx.needs_input_grad[0] else None,
                -scaled * y if ctx.needs_input_grad[1] else None)
