"""tinygrad_like: a small, fast, correct autograd framework on numpy.

The namespace is PyTorch's: `import tinygrad_like as torch` gives `torch.tensor`, the factories,
the dtypes, `torch.nn`, `torch.optim`, `torch.utils.data`, and the Tensor ops as functions.
"""
from types import ModuleType as _ModuleType

from numpy import dtype

from tinygrad_like import backends, cuda, nn, optim, utils
from tinygrad_like.device import device
from tinygrad_like.dtypes import (bool, cdouble, cfloat, complex64, complex128, double, float, float16, float32,
                                  float64, get_default_dtype, half, int, int8, int16, int32, int64, long,
                                  set_default_dtype, short, uint8)
from tinygrad_like.dtypes import _MISSING as _MISSING_DTYPES
from tinygrad_like.factories import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,
                                     linspace, logspace, multinomial, normal, ones, ones_like, rand, rand_like,
                                     randint, randint_like, randn, randn_like, randperm, tril_indices,
                                     triu_indices, zeros, zeros_like)
from tinygrad_like.functions import FUNCTIONS as _FUNCTIONS
from tinygrad_like.gradcheck import GradcheckError, gradcheck, gradgradcheck
from tinygrad_like.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from tinygrad_like.random import Generator, default_generator, initial_seed, manual_seed, seed
from tinygrad_like.serialization import load, save
from tinygrad_like.dlpack import from_dlpack
from tinygrad_like import onnx  # export(); the onnx package itself is imported only when exporting
from tinygrad_like.tensor import Function, ShapeError, Size, Tensor, cat, stack, where
from tinygrad_like.ops.einsum import einsum, tensordot  # functions only, as in PyTorch: no Tensor methods
from tinygrad_like.ops.sorting import bucketize, searchsorted  # functions only: their first argument is no tensor to sort
from tinygrad_like.tensor import std_mean, var_mean
from tinygrad_like.tensor import atleast_1d, atleast_2d, atleast_3d, column_stack, dstack, hstack, vstack

# Bound after the imports above, which load the submodule tinygrad_like.tensor: from here on the name
# is PyTorch's function (`from tinygrad_like.tensor import Tensor` still reads the submodule).
from tinygrad_like.factories import tensor
# The decorator of captured steps; likewise bound over its submodule (`from tinygrad_like.jit import JitError`).
from tinygrad_like.jit import jit


def is_tensor(obj):
    return isinstance(obj, Tensor)


# The Tensor ops as functions, where the name is not taken above (`where`, `cat` and the dtypes stay).
globals().update({name: function for name, function in _FUNCTIONS.items() if name not in globals()})

__version__ = "0.1.0"

# Everything public but the submodules, as PyTorch's __all__ lists its functions, dtypes and classes.
__all__ = sorted(name for name, value in globals().items()
                 if not name.startswith("_") and not isinstance(value, _ModuleType))


def __getattr__(name):
    """PyTorch's dtypes that numpy lacks fail with a message saying what to use instead."""
    if name in _MISSING_DTYPES:
        raise AttributeError(f"tinygrad_like has no {name}: numpy, on which tinygrad_like runs, has no such "
                             f"dtype; use {_MISSING_DTYPES[name]}")
    raise AttributeError(f"module 'tinygrad_like' has no attribute {name!r}")
