"""tinygrad_like: a small, fast, correct autograd framework on numpy."""
from tinygrad_like.factories import arange, full, ones, ones_like, rand, randn, zeros, zeros_like
from tinygrad_like.gradcheck import GradcheckError, gradcheck
from tinygrad_like.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from tinygrad_like.random import manual_seed
from tinygrad_like.serialization import load, save
from tinygrad_like.tensor import Function, Tensor, cat, stack, where

__version__ = "0.1.0"

__all__ = ["Function", "GradcheckError", "Tensor", "arange", "cat", "enable_grad", "full", "gradcheck",
           "is_grad_enabled", "load", "manual_seed", "no_grad", "ones", "ones_like", "rand", "randn", "save",
           "set_grad_enabled", "stack", "where", "zeros", "zeros_like"]
