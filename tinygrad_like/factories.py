"""Tensor constructors with PyTorch's names, signatures and dtype rules; default dtype float32.

Each takes `dtype=` (anything `dtypes.to_dtype` reads), `device=` (the CPU only) and `requires_grad=`
where PyTorch's does, and the random ones `generator=`.
"""
import math

import numpy as np

from tinygrad_like.device import check_device
from tinygrad_like.dtypes import float32, int64, to_dtype
from tinygrad_like.random import numpy_generator
from tinygrad_like.tensor import Tensor, _shape_arg, infer_array

# The dtype PyTorch gives a Python number of each kind (`full((2,), 4)` is int64, `full((2,), 4.)` float32).
_NUMBER_DTYPE = {"b": np.dtype(bool), "i": int64, "u": int64, "f": float32, "c": np.dtype(np.complex64)}


def _make(array, requires_grad):
    return Tensor._wrap(array).requires_grad_(requires_grad)


def _checked(op_name, dtype, device, default=float32):
    """The dtype for `op_name`'s arguments, after checking the device."""
    check_device(device, op_name)
    dtype = to_dtype(dtype, op_name)
    return default if dtype is None else dtype


def _size(op_name, shape, size):
    """`zeros(2, 3)`, `zeros((2, 3))` or `zeros(size=(2, 3))` as a shape tuple."""
    if size is not None:
        if shape:
            raise TypeError(f"{op_name}(): give the size once, as positional arguments or as size=")
        shape = (size,)
    return _shape_arg(shape)


def _number_dtype(value, op_name):
    kind = np.asarray(value._data if isinstance(value, Tensor) else value).dtype.kind
    if kind not in _NUMBER_DTYPE:
        raise TypeError(f"{op_name}(): expected a number, got {value!r}")
    return _NUMBER_DTYPE[kind]


def _floating(op_name, dtype):
    if dtype.kind != "f":
        raise TypeError(f"{op_name}(): draws floating-point numbers, so dtype must be a float dtype, got {dtype}")
    return dtype


def _as_tensor_input(value):
    return value if isinstance(value, Tensor) else tensor(value)


# ---- from data ----------------------------------------------------------------------------------
def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of `data`: Python floats become float32, ints int64, bools bool;
    numpy arrays and tensors keep their dtype (PyTorch's `torch.tensor`)."""
    check_device(device, "tensor")
    return _make(infer_array(data, to_dtype(dtype, "tensor")), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """`data` as a tensor, sharing memory with a tensor or numpy array of the same dtype, else a copy."""
    check_device(device, "as_tensor")
    dtype = to_dtype(dtype, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None or dtype == data.dtype else data.astype(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or dtype == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype)


def from_numpy(ndarray):
    """A tensor sharing `ndarray`'s memory: writes to either show in both."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy(): expected a numpy.ndarray, got {type(ndarray).__name__}; for other data "
                        "use tinygrad_like.tensor(data)")
    if ndarray.dtype.kind not in "biufc":
        raise TypeError(f"from_numpy(): the array's dtype {ndarray.dtype} is not numeric")
    return Tensor._wrap(ndarray)


# ---- filled -------------------------------------------------------------------------------------
def zeros(*shape, size=None, dtype=None, device=None, requires_grad=False):
    dtype = _checked("zeros", dtype, device)
    return _make(np.zeros(_size("zeros", shape, size), dtype=dtype), requires_grad)


def ones(*shape, size=None, dtype=None, device=None, requires_grad=False):
    dtype = _checked("ones", dtype, device)
    return _make(np.ones(_size("ones", shape, size), dtype=dtype), requires_grad)


def empty(*shape, size=None, dtype=None, device=None, requires_grad=False):
    """Uninitialised memory, as in PyTorch: write every element before reading it."""
    dtype = _checked("empty", dtype, device)
    return _make(np.empty(_size("empty", shape, size), dtype=dtype), requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """`fill_value` everywhere; without dtype, the dtype of the value's kind (bool, int64, float32)."""
    dtype = _checked("full", dtype, device, default=_number_dtype(fill_value, "full"))
    return _make(np.full(_shape_arg((size,)), np.asarray(fill_value), dtype=dtype), requires_grad)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False):
    input = _as_tensor_input(input)
    dtype = _checked("zeros_like", dtype, device, default=input.dtype)
    return _make(np.zeros(input.shape, dtype=dtype), requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False):
    input = _as_tensor_input(input)
    dtype = _checked("ones_like", dtype, device, default=input.dtype)
    return _make(np.ones(input.shape, dtype=dtype), requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False):
    input = _as_tensor_input(input)
    dtype = _checked("empty_like", dtype, device, default=input.dtype)
    return _make(np.empty(input.shape, dtype=dtype), requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):
    """`fill_value` converted to input's dtype (`full_like(int_tensor, 2.7)` holds 2s, as in PyTorch)."""
    input = _as_tensor_input(input)
    dtype = _checked("full_like", dtype, device, default=input.dtype)
    return _make(np.full(input.shape, np.asarray(fill_value), dtype=dtype), requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    dtype = _checked("eye", dtype, device)
    return _make(np.eye(n, m, dtype=dtype), requires_grad)


# ---- ranges -------------------------------------------------------------------------------------
def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """`arange(end)` or `arange(start, end, step)`: int64 from integers, float32 when any is a float.

    The values are computed in float64 and then converted, so float steps do not accumulate float32
    rounding. For an integer dtype the arguments are truncated to integers first, as in PyTorch. A step
    whose sign leads away from `end` is an error (numpy would return nothing).
    """
    if end is None:
        start, end = 0, start
    start, end, step = (value.item() if isinstance(value, Tensor) else value for value in (start, end, step))
    default = int64 if all(_number_dtype(v, "arange") == int64 for v in (start, end, step)) else float32
    dtype = _checked("arange", dtype, device, default=default)
    if dtype.kind in "iu":
        start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange(): the step {step} leads away from end={end} starting at {start}; "
                           "flip the step's sign or swap start and end")
    exact = all(isinstance(value, int) for value in (start, end, step))
    array = np.arange(start, end, step, dtype=np.int64 if exact else np.float64)
    return _make(array.astype(dtype, copy=False), requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """`steps` values from `start` to `end`, both included, evenly spaced."""
    dtype = _checked("linspace", dtype, device)
    start, end, step = _ends_and_step("linspace", start, end, steps, dtype)
    if dtype.kind == "f":  # PyTorch's step is in the result's dtype for floats (float64 for integers)
        step = dtype.type(step)
    return _make(_spaced(start, end, step, steps, dtype).astype(dtype), requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """`base ** linspace(start, end, steps)` in float64, then in the dtype: PyTorch's exponents (not
    fused) and the C library's pow (numpy's vectorised power differs in the last bit)."""
    dtype = _checked("logspace", dtype, device)
    start, end, step = _ends_and_step("logspace", start, end, steps, dtype)
    index = np.arange(steps)
    exponents = np.where(index < steps // 2, start + step * index, end - step * (steps - 1 - index))
    return _make(np.array([math.pow(base, e) for e in exponents.tolist()]).astype(dtype), requires_grad)


def _ends_and_step(op_name, start, end, steps, dtype):
    """PyTorch's ends and step: the ends in the result's dtype, the step their difference over
    steps - 1, in float64."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"{op_name}(): steps must be a non-negative integer, got {steps!r}")
    if steps == 1:  # only the start, not rounded to the dtype first
        return start, start, 0.0
    if dtype.kind in "iu":
        start, end = int(start), int(end)
    elif dtype.kind == "f":
        start, end = dtype.type(start), dtype.type(end)
    return start, end, np.float64(end - start) / (steps - 1)


def _spaced(start, end, step, steps, dtype):
    """PyTorch's values: the first half counted up from start, the second half down from end, so
    that both ends are exact. PyTorch's compiled `start + step * i` rounds once (a fused multiply-add)
    except in float16, where each operation rounds to float16."""
    index = np.arange(steps)
    if dtype == np.float16:
        index, start, end, step = index.astype(np.float16), np.float16(start), np.float16(end), np.float16(step)
        return np.where(index < steps // 2, start + step * index, end - step * (steps - 1 - index))
    start, end, step = np.float64(start), np.float64(end), np.float64(step)
    return np.where(index < steps // 2, _fused_multiply_add(step, index, start),
                    _fused_multiply_add(-step, steps - 1 - index, end))


def _fused_multiply_add(a, b, c):
    """a * b + c in float64 with (nearly always) one rounding: Dekker's exact product a * b = p + e,
    then Knuth's exact sum p + c = s + t, and s + (t + e) rounded once more."""
    p = a * b
    a_high, a_low = _split(a)
    b_high, b_low = _split(np.float64(b))
    e = ((a_high * b_high - p) + a_high * b_low + a_low * b_high) + a_low * b_low
    s = p + c
    z = s - p
    t = (p - (s - z)) + (c - z)
    return s + (t + e)


def _split(x):
    """x = high + low, each with at most 26 significant bits (Veltkamp's splitting)."""
    scaled = 134217729.0 * x  # 2**27 + 1
    high = scaled - (scaled - x)
    return high, x - high


def tril_indices(row, col, offset=0, *, dtype=None, device=None):
    """The (row, column) indices of the lower triangle of a row x col matrix, as a 2 x N tensor."""
    dtype = _checked("tril_indices", dtype, device, default=int64)
    return Tensor._wrap(np.stack(np.tril_indices(row, offset, col)).astype(dtype))


def triu_indices(row, col, offset=0, *, dtype=None, device=None):
    """The (row, column) indices of the upper triangle of a row x col matrix, as a 2 x N tensor."""
    dtype = _checked("triu_indices", dtype, device, default=int64)
    return Tensor._wrap(np.stack(np.triu_indices(row, offset, col)).astype(dtype))


# ---- random -------------------------------------------------------------------------------------
def rand(*shape, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples from [0, 1)."""
    dtype = _floating("rand", _checked("rand", dtype, device))
    rng = numpy_generator(generator, "rand")
    return _make(rng.random(_size("rand", shape, size)).astype(dtype), requires_grad)


def randn(*shape, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples."""
    dtype = _floating("randn", _checked("randn", dtype, device))
    rng = numpy_generator(generator, "randn")
    return _make(rng.standard_normal(_size("randn", shape, size)).astype(dtype), requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers from [low, high): `randint(high, size)` or `randint(low, high, size)`; int64."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    if high is None or size is None:
        raise TypeError("randint(): give high and size: randint(high, size) or randint(low, high, size)")
    if low >= high:
        raise RuntimeError(f"randint(): expects low < high, got low={low}, high={high}")
    dtype = _checked("randint", dtype, device, default=int64)
    rng = numpy_generator(generator, "randint")
    return _make(rng.integers(low, high, _shape_arg((size,)), dtype=np.int64).astype(dtype), requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0 .. n-1."""
    dtype = _checked("randperm", dtype, device, default=int64)
    rng = numpy_generator(generator, "randperm")
    return _make(rng.permutation(n).astype(dtype), requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Normal samples. With tensors for mean and/or std, one sample per element of their broadcast
    shape, in their dtype; with two numbers, `size` gives the shape (PyTorch's four forms)."""
    rng = numpy_generator(generator, "normal")
    tensors = [value for value in (mean, std) if isinstance(value, Tensor)]
    if tensors:
        if size is not None or dtype is not None:
            raise TypeError("normal(): size= and dtype= go with a number mean and std; with tensors the "
                            "shape and dtype are theirs")
        dtype = np.result_type(*[t.dtype for t in tensors])
        if dtype.kind != "f":
            raise TypeError(f"normal(): mean and std tensors must be floating-point, got {dtype}")
        check_device(device, "normal")
        mean, std = (value._data if isinstance(value, Tensor) else value for value in (mean, std))
        shape = np.broadcast_shapes(np.shape(mean), np.shape(std))
    else:
        if size is None:
            raise TypeError("normal(): with a number mean and std, give size=, e.g. normal(0.0, 1.0, (2, 3))")
        dtype = _floating("normal", _checked("normal", dtype, device))
        shape = _shape_arg((size,))
    if np.any(np.asarray(std) < 0):
        raise RuntimeError(f"normal(): expects std >= 0, got {std}")
    return _make(rng.normal(mean, std, shape).astype(dtype), requires_grad)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Indices of categories drawn with probabilities proportional to `input`'s non-negative weights
    (a vector, or one distribution per row of a matrix); int64."""
    weights = _as_tensor_input(input)._data
    if weights.ndim not in (1, 2):
        raise RuntimeError(f"multinomial(): input must be 1- or 2-dimensional, got shape {weights.shape}")
    if weights.dtype.kind != "f":
        raise RuntimeError(f"multinomial(): input must hold floating-point weights, got {weights.dtype}")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial(): num_samples must be positive, got {num_samples}")
    if not replacement and num_samples > weights.shape[-1]:
        raise RuntimeError(f"multinomial(): cannot draw {num_samples} samples without replacement from "
                           f"{weights.shape[-1]} categories")
    rows = np.atleast_2d(weights).astype(np.float64)
    if not np.all(np.isfinite(rows) & (rows >= 0)):
        raise RuntimeError("multinomial(): the weights must be finite and non-negative")
    if np.any(rows.sum(axis=1) <= 0):
        raise RuntimeError("multinomial(): every distribution needs a positive sum of weights")
    rng = numpy_generator(generator, "multinomial")
    if replacement:  # the first category whose cumulative weight exceeds a uniform draw below the total
        cumulative = np.cumsum(rows, axis=1)
        draws = rng.random((len(rows), num_samples)) * cumulative[:, -1:]
        samples = np.stack([np.searchsorted(c, d, side="right") for c, d in zip(cumulative, draws)])
    else:  # the largest weight / Exp(1) keys: weighted sampling without replacement, as PyTorch does it
        keys = rows / rng.exponential(size=rows.shape)
        samples = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    return Tensor._wrap(samples.reshape(weights.shape[:-1] + (num_samples,)).astype(np.int64))


# ---- random, shaped like a tensor ---------------------------------------------------------------
def rand_like(input, *, generator=None, dtype=None, device=None, requires_grad=False):
    input = _as_tensor_input(input)
    dtype = input.dtype if dtype is None else dtype
    return rand(input.shape, generator=generator, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(input, *, generator=None, dtype=None, device=None, requires_grad=False):
    input = _as_tensor_input(input)
    dtype = input.dtype if dtype is None else dtype
    return randn(input.shape, generator=generator, dtype=dtype, device=device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """`randint_like(input, high)` or `randint_like(input, low, high)`, in input's dtype."""
    if high is None:
        low, high = 0, low
    input = _as_tensor_input(input)
    dtype = input.dtype if dtype is None else dtype
    return randint(low, high, input.shape, generator=generator, dtype=dtype, device=device,
                   requires_grad=requires_grad)
