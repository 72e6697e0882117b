"""Normalisation over axes, the one primitive batch, layer, group and instance norm share: they differ
only in the axes they reduce (and in how nn.functional broadcasts their affine parameters)."""
import numpy as np

from tinygrad_like.ops.dispatch import sqrt
from tinygrad_like.tensor import Function


def _moments(x, axes):
    """(mean, x - mean, biased variance) over `axes` (kept), for an array or a Tensor. Two passes (the
    mean, then the squares of the centred values) keep the variance accurate for data far from 0, where
    E[x^2] - E[x]^2 cancels catastrophically."""
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    return mean, centred, (centred * centred).mean(axis=axes, keepdims=True)


class Normalize(Function):
    """(x - mean) / sqrt(var + eps) over `axes` (a tuple), with the biased variance, as every
    normalisation layer of PyTorch normalises. `statistics`, a list, receives the (mean, biased
    variance) arrays, reduced axes kept, for callers that keep running statistics (nothing for an
    empty x)."""

    @staticmethod
    def forward(ctx, x, axes, eps, statistics=None):
        ctx.axes, ctx.eps = axes, eps
        if x.size == 0:  # nothing to normalise (and numpy would warn about empty means)
            ctx.rstd = None
            return x.copy()
        mean, centred, var = _moments(x, axes)
        rstd = 1 / np.sqrt(var + eps)
        if statistics is not None:
            statistics.extend((mean, var))
        out = centred * rstd
        ctx.rstd = rstd
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        if ctx.rstd is None:  # an empty input: an empty gradient
            return grad
        # rstd * (grad - mean(grad) - out * mean(grad * out)): the two means remove the components
        # that the centring and the scaling take out of x.
        x, out = ctx.saved_tensors
        axes = ctx.axes
        # A recorded backward takes rstd as a function of x (the saved array would be a constant there).
        rstd = ctx.rstd if isinstance(x, np.ndarray) else 1 / sqrt(_moments(x, axes)[2] + ctx.eps)
        return rstd * (grad - grad.mean(axis=axes, keepdims=True) - out * (grad * out).mean(axis=axes, keepdims=True))
