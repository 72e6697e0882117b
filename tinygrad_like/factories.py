"""Tensor constructors (PyTorch names); default dtype float32."""
import numpy as np

from tinygrad_like.random import generator
from tinygrad_like.tensor import Tensor, _shape_arg


def _make(array, requires_grad):
    return Tensor._wrap(array).requires_grad_(requires_grad)


def zeros(*shape, dtype=np.float32, requires_grad=False):
    return _make(np.zeros(_shape_arg(shape), dtype=dtype), requires_grad)


def ones(*shape, dtype=np.float32, requires_grad=False):
    return _make(np.ones(_shape_arg(shape), dtype=dtype), requires_grad)


def full(shape, fill_value, dtype=np.float32, requires_grad=False):
    return _make(np.full(shape, fill_value, dtype=dtype), requires_grad)


def zeros_like(tensor, requires_grad=False):
    return _make(np.zeros_like(tensor._data), requires_grad)


def ones_like(tensor, requires_grad=False):
    return _make(np.ones_like(tensor._data), requires_grad)


def arange(start, stop=None, step=1, dtype=None):
    array = np.arange(start, stop, step, dtype=dtype)
    if dtype is None and array.dtype == np.float64:  # float arguments: the default float32, as in PyTorch
        array = array.astype(np.float32)
    return Tensor._wrap(array)


def rand(*shape, dtype=np.float32, requires_grad=False):
    """Uniform samples from [0, 1)."""
    return _make(generator().random(_shape_arg(shape)).astype(dtype), requires_grad)


def randn(*shape, dtype=np.float32, requires_grad=False):
    """Standard normal samples."""
    return _make(generator().standard_normal(_shape_arg(shape)).astype(dtype), requires_grad)
