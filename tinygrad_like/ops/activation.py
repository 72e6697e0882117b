"""Activation primitives that need a fused forward/backward for stability or PyTorch's kink gradients.

The simple piecewise-linear activations (leaky_relu, softsign, prelu) are composites in nn.functional.
Each backward is written once for arrays and Tensors (see ops/dispatch.py), so second derivatives work.
"""
import math

import numpy as np

from tinygrad_like.ops.dispatch import exp, raw, sigmoid, stable_sigmoid, tanh, where
from tinygrad_like.tensor import Function, Tensor

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_INV_SQRT_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_GELU_K = math.sqrt(2 / math.pi)
_GELU_C = 0.044715
_ONE_SIXTH_F32 = float(np.float32(1 / 6))


# ---- numpy kernels ---------------------------------------------------------------------------------
def _erfc_large(a):
    """erfc(a) for a >= 2: the continued fraction exp(-a^2)/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a + ...))))
    evaluated from a fixed depth (converged to float64 precision for a >= 2)."""
    f = a.copy()
    for k in range(120, 0, -1):
        f = a + (k / 2) / f
    return np.exp(-a * a) / (math.sqrt(math.pi) * f)


def _erf_small(a):
    """erf(a) for 0 <= a < 2: 2/sqrt(pi) exp(-a^2) sum_n (2a^2)^n a / (1*3*...*(2n+1)), all terms positive."""
    term = a.copy()
    total = a.copy()
    two_a2 = 2 * a * a
    for n in range(1, 80):
        term = term * two_a2 / (2 * n + 1)
        total += term
    return _TWO_OVER_SQRT_PI * np.exp(-a * a) * total


def _erf_parts(x):
    """(erf(x), erfc(x)) in float64, both accurate to a few ulps (erfc also in the far tail)."""
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    large = a >= 2
    small_a = np.where(large, 0.0, a)
    large_a = np.where(large, a, 2.0)
    erf_a = np.where(large, 0.0, _erf_small(small_a))
    erfc_a = np.where(large, _erfc_large(large_a), 1.0 - erf_a)
    erf_a = np.where(large, 1.0 - erfc_a, erf_a)
    erf = np.where(x < 0, -erf_a, erf_a)
    erfc = np.where(x < 0, 2.0 - erfc_a, erfc_a)
    erf = np.where(np.isnan(x), np.nan, erf)
    return erf, np.where(np.isnan(x), np.nan, erfc)


def erf(x):
    """The error function of an array, element-wise, in x's floating dtype."""
    x = np.asarray(x)
    return _erf_parts(x)[0].astype(x.dtype if x.dtype.kind == "f" else np.float64)


def normal_cdf(x):
    """Phi(x) = erfc(-x/sqrt(2))/2, which keeps its tiny values for very negative x."""
    return 0.5 * _erf_parts(-np.asarray(x, dtype=np.float64) * _INV_SQRT_2)[1]


def softplus_array(x):
    """log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|))."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _cast(out, x):
    out = np.asarray(out)
    return out.astype(x.dtype, copy=False) if out.dtype != x.dtype else out


# ---- helpers for backward, on arrays or Tensors --------------------------------------------------------
def _softplus(x):
    return Softplus.apply(x) if isinstance(x, Tensor) else softplus_array(x)


def _normal_cdf(x):
    return 0.5 * (1 + Erf.apply(x * _INV_SQRT_2)) if isinstance(x, Tensor) else _cast(normal_cdf(x), x)


# ---- primitives ---------------------------------------------------------------------------------------
class Erf(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erf(x)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.saved_tensors[0]
        return grad * (_TWO_OVER_SQRT_PI * exp(-(x * x)))


class Gelu(Function):
    """x * Phi(x) ('none') or its tanh approximation ('tanh')."""

    @staticmethod
    def forward(ctx, x, approximate="none"):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            return 0.5 * x * (1 + np.tanh(_GELU_K * (x + _GELU_C * x * x * x)))
        return _cast(x * normal_cdf(x), x)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.saved_tensors[0]
        if ctx.approximate == "tanh":
            t = tanh(_GELU_K * (x + _GELU_C * x * x * x))
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (_GELU_K * (1 + 3 * _GELU_C * x * x)))
        return grad * (_normal_cdf(x) + x * (_INV_SQRT_2PI * exp(-0.5 * (x * x))))


class Silu(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * stable_sigmoid(x)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.saved_tensors[0]
        s = sigmoid(x)
        return grad * (s * (1 + x * (1 - s)))


class Elu(Function):
    """scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1)): elu, selu and celu."""

    @staticmethod
    def forward(ctx, x, alpha=1.0, scale=1.0, input_scale=1.0):
        ctx.save_for_backward(x)
        ctx.constants = alpha, scale, input_scale
        negative = alpha * np.expm1(np.minimum(x, 0) * input_scale)
        return _cast(scale * np.where(x > 0, x, negative), x)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.saved_tensors[0]
        alpha, scale, input_scale = ctx.constants
        # x <= 0 takes the exponential branch's slope (alpha * input_scale at 0), as PyTorch does
        inner = (x.clamp(max=0) if isinstance(x, Tensor) else np.minimum(x, 0)) * input_scale
        negative = grad * ((scale * alpha * input_scale) * exp(inner))
        return where(raw(x) > 0, grad * scale, negative)


class Softplus(Function):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""

    @staticmethod
    def forward(ctx, x, beta=1.0, threshold=float("inf")):
        ctx.save_for_backward(x)
        ctx.constants = beta, threshold
        bx = x * beta
        return _cast(np.where(bx > threshold, x, softplus_array(bx) / beta), x)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.saved_tensors[0]
        beta, threshold = ctx.constants
        bx = x * beta
        return where(raw(bx) > threshold, grad, grad * sigmoid(bx))


class LogSigmoid(Function):
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _cast(np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))), x)

    @staticmethod
    def backward(ctx, grad):
        return grad * sigmoid(-ctx.saved_tensors[0])


class Mish(Function):
    """x * tanh(softplus(x))."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _cast(x * np.tanh(softplus_array(x)), x)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.saved_tensors[0]
        t = tanh(_softplus(x))
        return grad * (t + x * (1 - t * t) * sigmoid(x))


class Hardtanh(Function):
    """clip(x, min_val, max_val); the gradient is 1 strictly inside and 0 at and beyond the bounds."""

    @staticmethod
    def forward(ctx, x, min_val=-1.0, max_val=1.0):
        ctx.save_for_backward(x)
        ctx.bounds = min_val, max_val
        return _cast(np.clip(x, min_val, max_val), x)

    @staticmethod
    def backward(ctx, grad):
        x = raw(ctx.saved_tensors[0])
        low, high = ctx.bounds
        return grad * ((x > low) & (x < high)).astype(x.dtype)


class Hardsigmoid(Function):
    """clip(x / 6 + 1/2, 0, 1); the gradient is 1/6 strictly inside (-3, 3), else 0 (1/6 rounded to
    float32 in every dtype, as PyTorch's gradient has it)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _cast(np.clip(x / 6 + 0.5, 0, 1), x)

    @staticmethod
    def backward(ctx, grad):
        x = raw(ctx.saved_tensors[0])
        return grad * (((x > -3) & (x < 3)) * _ONE_SIXTH_F32).astype(x.dtype)


class Hardswish(Function):
    """x * hardsigmoid(x); slope x/3 + 1/2 on (-3, 3), 0 at -3 and below, 1 at 3 and above (PyTorch's)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _cast(x * np.clip(x / 6 + 0.5, 0, 1), x)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.saved_tensors[0]
        r = raw(x)
        middle = grad * (x / 3 + 0.5)
        return where(r <= -3, grad * 0, where(r < 3, middle, grad))
