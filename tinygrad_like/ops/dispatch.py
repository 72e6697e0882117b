"""The few functions a backward needs beyond operators and the methods ndarray and Tensor share
(reshape, transpose, swapaxes, sum, astype, .T, indexing, @).

A backward is written once. On the fast path its gradients and saved values are ndarrays and these
are numpy's functions; when `backward(create_graph=True)` records the backward pass, some of them are
Tensors and these are the framework's differentiable ops, so the gradient can be differentiated again.
"""
import numpy as np

from tinygrad_like.tensor import Tensor, _wrap


def raw(x):
    """The array behind x: for masks and signs, whose derivative is zero (a constant in a recorded graph)."""
    return x._data if isinstance(x, Tensor) else x


def stable_sigmoid(x):
    """1 / (1 + exp(-x)) of an array without overflow: exp of a non-positive number never overflows,
    and e / (1 + e) keeps the tiny values of very negative x."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, e) / (1 + e)


def exp(x):
    return x.exp() if isinstance(x, Tensor) else np.exp(x)


def log(x):
    return x.log() if isinstance(x, Tensor) else np.log(x)


def sqrt(x):
    return x.sqrt() if isinstance(x, Tensor) else np.sqrt(x)


def sin(x):
    return x.sin() if isinstance(x, Tensor) else np.sin(x)


def cos(x):
    return x.cos() if isinstance(x, Tensor) else np.cos(x)


def sinh(x):
    return x.sinh() if isinstance(x, Tensor) else np.sinh(x)


def cosh(x):
    return x.cosh() if isinstance(x, Tensor) else np.cosh(x)


def tanh(x):
    return x.tanh() if isinstance(x, Tensor) else np.tanh(x)


def sigmoid(x):
    return x.sigmoid() if isinstance(x, Tensor) else stable_sigmoid(x)


def clamp_min(x, low):
    return x.clamp(min=low) if isinstance(x, Tensor) else np.maximum(x, low)


def where(condition, a, b):
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        from tinygrad_like.tensor import where as tensor_where
        return tensor_where(raw(condition), a, b)
    return np.where(condition, a, b)


def expand_dims(x, axis):
    if isinstance(x, Tensor):
        return x.reshape(np.expand_dims(np.empty(x.shape, dtype=bool), axis).shape)
    return np.expand_dims(x, axis)


def broadcast_array(x, shape):
    """x broadcast to `shape` as an array of its own (a broadcast view could become a .grad, which an
    optimizer then updates in place)."""
    if isinstance(x, Tensor):
        return x.expand(shape)
    out = np.empty(shape, x.dtype)
    out[...] = x
    return out


def split(x, points, axis):
    """x cut along `axis` at the offsets `points`, as views (slicing: np.split costs several µs more)."""
    bounds = [0, *points, x.shape[axis]]
    prefix = (slice(None),) * (axis % x.ndim)
    return tuple(x[prefix + (slice(start, stop),)] for start, stop in zip(bounds[:-1], bounds[1:]))


def scatter_add(shape, dtype, index, values):
    """zeros(shape) with values added at x[index] (repeated indices add up): Getitem's backward."""
    if isinstance(values, Tensor):
        from tinygrad_like.ops.movement import ScatterAdd
        return ScatterAdd.apply(values, shape=shape, index=index)
    out = np.zeros(shape, dtype=dtype)
    if _may_repeat(index):
        np.add.at(out, index, values)  # an index may repeat: every occurrence adds its gradient
    else:
        out[index] = values
    return out


def _may_repeat(index):
    """Whether `index` holds an integer array (whose entries may repeat); basic slices first, the common case."""
    if type(index) is slice or type(index) is int:
        return False
    for part in index if type(index) is tuple else (index,):
        if isinstance(part, np.ndarray) and part.dtype.kind in "iu":
            return True
    return False


def put(x, index, value):
    """A copy of x with x[index] = value."""
    if isinstance(x, Tensor) or isinstance(value, Tensor):
        from tinygrad_like.ops.movement import Setitem
        x = x if isinstance(x, Tensor) else _wrap(x)
        value = value if isinstance(value, Tensor) else _wrap(np.asarray(value, x.dtype))
        return Setitem.apply(x, value, index=index)
    out = x.copy()
    out[index] = value
    return out
