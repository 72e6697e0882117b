"""PyTorch's dtype names as numpy dtype objects, and `to_dtype`, which reads any dtype argument.

`tinygrad_like.float32` is `np.dtype("float32")`, so `t.dtype == tinygrad_like.float32` holds and
the same object can be given to numpy. The names `float`, `int` and `bool` are PyTorch's
(`torch.float` is float32 and `torch.int` int32): this module rebinds those builtins at its end,
and its functions reach the builtins through `builtins.`.
"""
import builtins

import numpy as np

float32 = np.dtype("float32")
float64 = np.dtype("float64")
float16 = np.dtype("float16")
complex64 = np.dtype("complex64")
complex128 = np.dtype("complex128")
int64 = np.dtype("int64")
int32 = np.dtype("int32")
int16 = np.dtype("int16")
int8 = np.dtype("int8")
uint8 = np.dtype("uint8")
double, half, long, short = float64, float16, int64, int16
cfloat, cdouble = complex64, complex128

# PyTorch's names, as `dtype=` strings ("float32" or "torch.float32"); they win over numpy's
# readings of the same strings ("float" is float32 here, float64 for numpy).
_BY_NAME = {
    "float32": float32, "float": float32, "float64": float64, "double": float64, "float16": float16,
    "half": float16, "complex64": complex64, "cfloat": complex64, "complex128": complex128,
    "cdouble": complex128, "int64": int64, "long": int64, "int32": int32, "int": int32, "int16": int16,
    "short": int16, "int8": int8, "uint8": uint8, "bool": np.dtype(builtins.bool),
}
# Python's types as `dtype=` arguments, as PyTorch reads them (`torch.zeros(2, dtype=float)` is float64).
_BY_PYTHON_TYPE = {builtins.float: float64, builtins.int: int64, builtins.bool: np.dtype(builtins.bool),
                   builtins.complex: complex128}
# PyTorch dtypes numpy has no type for.
_MISSING = {"bfloat16": "float32 or float16", "complex32": "complex64", "chalf": "complex64"}


def to_dtype(spec, op_name):
    """The numpy dtype that a `dtype=` argument of `op_name` names; None stays None.

    Accepts this module's names (`tinygrad_like.float32`), numpy dtypes and types (`np.float32`),
    Python's `float`, `int`, `bool` and `complex` (float64, int64, bool, complex128, as PyTorch
    reads them) and strings ("float32", "torch.float32").
    """
    if spec is None or isinstance(spec, np.dtype) and spec.kind in "biufc":
        return spec
    if isinstance(spec, type) and spec in _BY_PYTHON_TYPE:
        return _BY_PYTHON_TYPE[spec]
    if isinstance(spec, str):
        name = spec.removeprefix("torch.")
        if name in _MISSING:
            raise TypeError(f"{op_name}(): dtype {spec!r} does not exist in numpy, on which tinygrad_like "
                            f"runs; use {_MISSING[name]}")
        if name in _BY_NAME:
            return _BY_NAME[name]
    if isinstance(spec, str) or isinstance(spec, type) and issubclass(spec, np.generic):  # "f4", np.float32
        try:
            dtype = np.dtype(spec)
        except TypeError:
            dtype = None
        if dtype is not None and dtype.kind in "biufc":
            return dtype
    raise TypeError(f"{op_name}(): dtype={spec!r} is not a numeric dtype; use one of tinygrad_like.float32, "
                    "float64, float16, int64, int32, int16, int8, uint8, bool, complex64, complex128 "
                    "(numpy's dtypes work too)")


def get_default_dtype():
    """The dtype of floating-point tensors made from Python floats and of the float factories."""
    return float32


def set_default_dtype(d):
    """Only float32, the default, is supported: Tensor and the factories are fixed to it."""
    if to_dtype(d, "set_default_dtype") != float32:
        raise NotImplementedError("set_default_dtype(): tinygrad_like's default dtype is float32 only; pass "
                                  "dtype=tinygrad_like.float64 to the tensors and factories that need it")


# PyTorch's names that shadow builtins here (see the module docstring).
float = float32
int = int32
bool = np.dtype(builtins.bool)
