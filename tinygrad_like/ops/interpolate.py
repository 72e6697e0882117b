"""Resampling along one axis at a time: the primitive of nn.functional.interpolate.

Every mode is separable: along an axis, output position j reads a few input positions index[j, t] with
weights weight[j, t] (1 tap for nearest, 2 for linear, 4 for cubic), computed by `axis_taps` with
PyTorch's formulas and float precision, so that the positions and weights are PyTorch's (exactly; the
cubic weights in float32 to a few units in the last place). The
resampling is linear in the input, so its gradient is the transposed resampling: each output's
gradient scattered back onto its taps, weighted.
"""
import math

import numpy as np

from tinygrad_like.tensor import Function, Tensor

_CUBIC_A = -0.75  # PyTorch's (and OpenCV's) cubic convolution coefficient


def _fma(a, x, c):
    """a * x + c rounded once, as the fused multiply-add PyTorch's float64 kernels compile to on x86-64: a is
    split into halves whose products with the half-integers x are exact."""
    high = (np.float64(a).view(np.int64) & ~np.int64((1 << 27) - 1)).view(np.float64)
    return (high * x + c) + (a - high) * x


def axis_taps(mode, in_size, out_size, align_corners, scale, dtype):
    """PyTorch's source positions (int64) and weights (`dtype`), each of shape (out_size, taps), along one
    axis for interpolate's `mode` ("nearest", "nearest-exact", "bicubic", or a linear mode, which is the
    same along every axis). `scale` is the scale factor the kernel receives (None when the output size
    was given or the scale recomputed): PyTorch then maps positions by in_size / out_size, else by
    1 / scale."""
    j = np.arange(out_size)
    if mode in ("nearest", "nearest-exact"):
        # float32 whatever the dtype, as PyTorch computes nearest positions
        ratio = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(in_size) / np.float32(out_size)
        if mode == "nearest":
            source = np.floor(j.astype(np.float32) * ratio)
        else:  # pixel centres: floor((j + 0.5) * ratio), the product in double and then rounded to float
            source = np.floor(((j + 0.5) * np.float64(ratio)).astype(np.float32))
        index = np.minimum(source.astype(np.int64), in_size - 1)[:, None]
        return index, np.ones((out_size, 1), dtype)
    real = np.float64 if np.dtype(dtype) == np.float64 else np.float32  # PyTorch's accumulation type
    if align_corners:
        ratio = real(in_size - 1) / real(out_size - 1) if out_size > 1 else real(0)
        source = real(ratio) * j.astype(real)
    else:
        ratio = real(1.0 / scale) if scale is not None and scale > 0 else real(in_size) / real(out_size)
        if real is np.float32:  # (j + 0.5) is a double in PyTorch's expression, so the float32 result is rounded once
            source = (np.float64(ratio) * (j + 0.5) - 0.5).astype(np.float32)
        else:
            source = _fma(ratio, j + 0.5, -0.5)
        if mode != "bicubic":  # linear modes clamp at 0; cubic reads the (clamped) position -1 instead
            source = np.maximum(source, real(0))
    start = np.minimum(np.floor(source.astype(np.float32)).astype(np.int64), in_size - 1)
    t = np.clip(source - start.astype(real), real(0), real(1)).astype(real)
    if mode == "bicubic":
        index = np.clip(start[:, None] + np.arange(-1, 3), 0, in_size - 1)
        weight = np.stack([_cubic_far(t + 1), _cubic_near(t), _cubic_near(1 - t), _cubic_far(2 - t)], axis=1)
        return index, weight.astype(dtype)
    if out_size == in_size:  # PyTorch copies when the size is unchanged (whatever a scale factor says)
        return j[:, None].repeat(2, 1), np.stack([np.ones(out_size, dtype), np.zeros(out_size, dtype)], axis=1)
    index = np.stack([start, start + (start < in_size - 1)], axis=1)
    weight = np.stack([1 - t, t], axis=1)
    return index, weight.astype(dtype)


def _cubic_near(x):  # |x| <= 1
    a = _CUBIC_A
    return ((a + 2) * x - (a + 3)) * x * x + 1


def _cubic_far(x):  # 1 < |x| < 2
    a = _CUBIC_A
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def _matrix(index, weight, size):
    """The resampling as a dense (out, in) matrix: taps on one position add up."""
    matrix = np.zeros((index.shape[0], size), weight.dtype)
    np.add.at(matrix, (np.arange(index.shape[0])[:, None], index), weight)
    return matrix


def _along(x, matrix, axis):
    """matrix applied along `axis` of x (array or Tensor): out[..., j, ...] = sum_k matrix[j, k] x[..., k, ...]."""
    if axis == x.ndim - 1:
        return x @ matrix.T
    shape = tuple(x.shape)
    rows, columns = math.prod(shape[:axis]), math.prod(shape[axis + 1:])
    out = matrix @ x.reshape((rows, shape[axis], columns))
    return out.reshape(shape[:axis] + (matrix.shape[0],) + shape[axis + 1:])


def _gather(x, axis, index, weight):
    """sum over taps of weight * x[index], each tap read directly (PyTorch's arithmetic)."""
    shape = [1] * x.ndim
    shape[axis] = -1
    with np.errstate(invalid="ignore"):  # inf * 0 is nan here, as in PyTorch
        out = np.take(x, index[:, 0], axis=axis) * weight[:, 0].reshape(shape)
        for t in range(1, index.shape[1]):
            out += np.take(x, index[:, t], axis=axis) * weight[:, t].reshape(shape)
    return out


def _scatter(grad, axis, index, weight, size):
    """The transpose of _gather: each gradient, weighted, added onto its taps."""
    shape = [1] * grad.ndim
    shape[axis] = -1
    out_shape = list(grad.shape)
    out_shape[axis] = size
    out = np.zeros(out_shape, grad.dtype)
    target = np.moveaxis(out, axis, 0)  # a view: np.add.at adds into `out`
    with np.errstate(invalid="ignore"):  # inf * 0 is nan here, as in PyTorch
        for t in range(index.shape[1]):
            np.add.at(target, index[:, t], np.moveaxis(grad * weight[:, t].reshape(shape), axis, 0))
    return out


class Resample(Function):
    """out[..., j, ...] = sum_t weight[j, t] * x[..., index[j, t], ...] along `axis`.

    A dense (out, in) matrix product when the values are finite (BLAS: faster than gathering taps up to
    large sizes); with inf or nan the taps are read one by one, so that a non-finite value reaches only
    the outputs that read it, as in PyTorch (a matrix product would multiply it by the zeros as well).
    """

    @staticmethod
    def forward(ctx, x, axis, index, weight):
        ctx.axis, ctx.index, ctx.weight, ctx.size = axis, index, weight, x.shape[axis]
        if index.shape[1] == 1:  # nearest: the picked positions, copied
            return np.take(x, index[:, 0], axis=axis)
        if np.isfinite(x).all():
            return _along(x, _matrix(index, weight, x.shape[axis]), axis)
        return _gather(x, axis, index, weight)

    @staticmethod
    def backward(ctx, grad):
        if isinstance(grad, Tensor) or np.isfinite(grad).all():  # a recorded backward: matrix products of Tensors
            return _along(grad, _matrix(ctx.index, ctx.weight, ctx.size).T, ctx.axis)
        return _scatter(grad, ctx.axis, ctx.index, ctx.weight, ctx.size)
