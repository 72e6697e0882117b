"""Gradient clipping, PyTorch's torch.nn.utils.clip_grad: the parameters' .grad tensors are changed in
place (outside the graph), and norms are computed in the gradients' dtype, as PyTorch computes them.

`foreach` is accepted for PyTorch's signatures; numpy has one implementation.
"""
import types
import warnings

import numpy as np

from tinygrad_like.grad_mode import no_grad
from tinygrad_like.tensor import Tensor, _wrap


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The `norm_type`-norm of the tensors' elements taken as one vector (the norm of their norms), a
    0-d Tensor; `norm_type` may be inf, -inf or 0 (the count of non-zero elements)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor(0.0)
    norms = [_vector_norm(t._data, norm_type) for t in tensors]
    total = _vector_norm(np.stack(norms), norm_type)  # stack promotes mixed dtypes, as torch.stack does
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    return _wrap(total)


def _vector_norm(array, norm_type):
    return np.asarray(np.linalg.norm(array.ravel(), norm_type))  # numpy's norm keeps float32 in float32


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients by min(max_norm / (total_norm + 1e-6), 1), given their total norm."""
    parameters = [parameters] if isinstance(parameters, Tensor) else parameters
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    # Multiplied even by a coefficient of 1, as PyTorch does: the same arithmetic gives the same values.
    coefficient = _wrap(np.minimum(float(max_norm) / (total + 1e-6), 1.0))
    with no_grad():
        for g in grads:
            g.mul_(coefficient)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the parameters' gradients in place so that their total norm (get_total_norm) is at most
    max_norm; returns the total norm before clipping, a 0-d Tensor."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)  # read twice below: a generator (model.parameters()) would run out
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    total = get_total_norm([p.grad for p in parameters if p.grad is not None], norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    parameters = [parameters] if isinstance(parameters, Tensor) else parameters
    clip_value = float(clip_value)
    with no_grad():
        for p in parameters:
            if p.grad is not None:
                p.grad.clamp_(-clip_value, clip_value)
