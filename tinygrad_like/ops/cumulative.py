"""Cumulative ops along one axis: cumsum, cumprod and logcumsumexp, and the indices of the running
maximum and minimum (cummax / cummin gather their values with take_along_dim, like max(dim)).

Each backward is written once for arrays and Tensors, so second derivatives work; its cumulative
sums and products are these same ops (the `cumsum` / `cumprod` / `logcumsumexp` methods that
ndarray, or the Tensor, has).
"""
import numpy as np

from tinygrad_like.ops.dispatch import exp, expand_dims, log, raw, where
from tinygrad_like.tensor import Function, Tensor


def _reverse(x, axis):
    """x reversed along `axis` (a slice, so it works on arrays and, differentiably, on Tensors)."""
    return x[(slice(None),) * axis + (slice(None, None, -1),)]


def _reversed_cumsum(x, axis):
    """out[k] = sum of x[k:] along axis: the adjoint of cumsum."""
    return _reverse(_reverse(x, axis).cumsum(axis), axis)


def _logcumsumexp(x, axis):
    return x.logcumsumexp(axis) if isinstance(x, Tensor) else np.logaddexp.accumulate(x, axis=axis)


class Cumsum(Function):
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return np.cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return _reversed_cumsum(grad, ctx.axis)


class _SavedScan(Function):
    """A running `scan` along one axis whose backward needs its input and its output (cumprod,
    logcumsumexp)."""

    scan = None

    @classmethod
    def forward(cls, ctx, x, axis):
        out = cls.scan(x, axis=axis)
        ctx.axis = axis
        ctx.save_for_backward(x, out)
        return out


class Cumprod(_SavedScan):
    """Running product. Its gradient, sum over j >= k of grad[j] * prod(x[i] for i <= j, i != k), is
    computed as PyTorch does: reversed_cumsum(grad * out) / x without zeros; with zeros, from the first
    zero of each lane on (the entries after it get 0), or, when the backward is recorded, with the
    products that leave one factor out, whose derivative is the second derivative also at zeros."""

    scan = staticmethod(np.cumprod)

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        axis = ctx.axis
        if x.shape[axis] <= 1:
            return grad
        zeros = raw(x) == 0
        if not zeros.any():
            return _reversed_cumsum(grad * out, axis) / x
        if isinstance(grad, Tensor) or isinstance(x, Tensor):
            return _products_leaving_one_out(x, grad, axis)
        return _gradient_with_zeros(x, grad, out, zeros, axis)


def _gradient_with_zeros(x, grad, out, zeros, axis):
    """Cumprod's gradient on arrays with zeros, in O(n) per lane as PyTorch computes it (so also with its
    infinities and nans): before the lane's first zero z the no-zero formula holds (out is 0 from z on); at
    z it is out[z - 1] times the sum over z <= j < (the second zero) of grad[j] * prod(x[z + 1:j + 1]);
    after z every product contains x[z] = 0."""
    x, grad, out, zeros = (np.moveaxis(a, axis, -1) for a in (x, grad, out, zeros))
    seen = np.cumsum(zeros, axis=-1)  # zeros up to and including each position
    before, first = seen == 0, zeros & (seen == 1)
    result = _reversed_cumsum(np.where(before, grad * out, 0), x.ndim - 1) / np.where(before, x, 1)
    after_first = np.cumprod(np.where((seen == 1) & ~first, x, 1), axis=-1)
    at_first = np.sum(after_first * np.where(seen == 1, grad, 0), axis=-1, keepdims=True)
    z = first.argmax(axis=-1, keepdims=True)
    at_first = at_first * np.where(z == 0, 1, np.take_along_axis(out, np.maximum(z - 1, 0), axis=-1))
    result = np.where(first, at_first, np.where(before, result, 0))
    return np.moveaxis(result, -1, axis)


def _products_leaving_one_out(x, grad, axis):
    """Cumprod's gradient as a function of x that holds at zeros too, in O(n^2) per lane:
    leave_out[k, j] = prod(x[i] for i <= j, i != k), summed against grad[j] over j >= k."""
    x, grad = x.swapaxes(axis, -1), grad.swapaxes(axis, -1)
    n = x.shape[-1]
    leave_out = where(np.eye(n, dtype=bool), 1.0, expand_dims(x, -2)).cumprod(-1)  # (..., k, j)
    later = np.triu(np.ones((n, n), dtype=bool))  # j >= k
    return where(later, leave_out * expand_dims(grad, -2), 0.0).sum(-1).swapaxes(axis, -1)


class Logcumsumexp(_SavedScan):
    """log(cumsum(exp(x))), computed by numpy's logaddexp.accumulate: finite for large inputs, -inf
    where every input so far is -inf."""

    scan = staticmethod(np.logaddexp.accumulate)

    @staticmethod
    def backward(ctx, grad):
        # grad_x[k] = sum over j >= k of grad[j] * exp(x[k] - out[j]), in log space and split by the sign
        # of grad so that no exp overflows (PyTorch's formula, with its nan where out[j] is -inf).
        x, out = ctx.saved_tensors
        g = raw(grad)
        lowest = float(np.finfo(g.dtype).min)
        terms = []
        with np.errstate(over="ignore", invalid="ignore"):  # lowest - out may round to -inf, which exp takes to 0
            for chosen, signed in ((g > 0, grad), (g < 0, -grad)):
                log_grad = where(chosen, log(where(chosen, signed, 1.0)), lowest)  # the inner where keeps log finite
                terms.append(exp(_reverse(_logcumsumexp(_reverse(log_grad - out, ctx.axis), ctx.axis), ctx.axis) + x))
        return terms[0] - terms[1]


def running_extreme_indices(x, axis, accumulate):
    """int64 indices of the elements that cummax (accumulate=np.maximum.accumulate) or cummin take along
    `axis`: at each position the last element equal to the running extreme so far, or the last nan once
    there is one (PyTorch's choice)."""
    taken = x == accumulate(x, axis=axis)
    if x.dtype.kind in "fc":
        taken |= np.isnan(x)
    positions = np.arange(x.shape[axis], dtype=np.int64).reshape((-1,) + (1,) * (x.ndim - 1 - axis))
    return np.maximum.accumulate(np.where(taken, positions, 0), axis=axis)
