"""Checking analytic gradients against central finite differences, for users' own tests.

`gradcheck(fn, inputs)` differentiates `sum(fn(*inputs) * v)` for a random upstream gradient `v`
(so every output element is weighed differently, unlike `.sum()`; for a function returning several
tensors, the sum of such terms) both ways and compares:
- element by element (the default): two forward passes per input element;
- along random directions (`fast=True`): `<grad, u>` against the numeric derivative along `u`, two
  forward passes per input, whatever its size.
It also checks that every gradient has its input's shape and dtype and that no input was modified.

`gradgradcheck(fn, inputs)` checks second derivatives the same way: its function is the gradient of
fn (the vector-Jacobian product for random `grad_outputs`), recorded with create_graph=True and
checked against finite differences of itself, with respect to the inputs and the grad_outputs.

Both take PyTorch's call forms, `gradcheck(fn, (a, b))`, `gradcheck(fn, a)` and `inputs=`, as well
as `gradcheck(fn, a, b)`.
"""
import numpy as np

from tinygrad_like.engine import grad
from tinygrad_like.grad_mode import enable_grad, is_grad_enabled, no_grad
from tinygrad_like.tensor import Tensor


class GradcheckError(AssertionError):
    """Analytic and numeric gradients disagree (an AssertionError, so pytest shows it as a failure)."""


def gradcheck(fn, *args, inputs=None, eps=1e-6, atol=1e-6, rtol=1e-6, raise_exception=True, nondet_tol=0.0,
              fast=False, fast_mode=False, seed=0):
    """Raise GradcheckError unless fn's analytic gradients match central finite differences.

    `inputs` are the arguments of `fn`: one tuple (or list) of them or a single tensor, as PyTorch's
    gradcheck takes them, or given one by one after fn. The float64 Tensors among them with
    requires_grad=True are checked, anything else is passed through unchanged. `fn` returns a Tensor
    or a tuple of Tensors (those not of a floating dtype, such as indices, are not differentiated).
    Returns True so that `assert gradcheck(...)` reads naturally; with raise_exception=False a
    mismatch returns False instead. `fast_mode` is PyTorch's name for `fast`. `nondet_tol` is accepted
    for PyTorch's signature: it bounds the differences between repeated backward passes, and here
    backward is deterministic.

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
    inputs = _read_inputs(args, inputs, "gradcheck")
    try:
        _gradcheck(fn, inputs, eps, atol, rtol, fast or fast_mode, np.random.default_rng(seed))
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(fn, *args, inputs=None, grad_outputs=None, eps=1e-6, atol=1e-6, rtol=1e-6, raise_exception=True,
                  nondet_tol=0.0, fast=False, fast_mode=False, seed=0):
    """Raise GradcheckError unless the gradients of fn's gradients match finite differences.

    The function checked is `inputs, grad_outputs -> gradients of fn's outputs (weighed by
    grad_outputs) with respect to the inputs that require grad`, computed with create_graph=True so
    that it can be differentiated, and compared by gradcheck with central differences of its values
    (computed without recording). Both the inputs and the grad_outputs that require grad are
    checked. `grad_outputs`, one per output of fn that requires grad, are random float64 tensors
    requiring grad unless given. A mismatch names an input of the checked function: fn's inputs
    first, then the grad_outputs.

    The call forms are PyTorch's `gradgradcheck(fn, inputs, grad_outputs=None, ...)`, with a tuple
    (or list) of inputs, and this module's `gradgradcheck(fn, a, b, ...)`, where every positional
    argument is an input: `gradgradcheck(fn, x, gy)` passes gy to fn; to give grad_outputs with a
    single tensor input, write `gradgradcheck(fn, (x,), (gy,))` or `grad_outputs=gy`. The other
    arguments are gradcheck's, with the same defaults.
    """
    if inputs is None and args and isinstance(args[0], (tuple, list)):  # PyTorch's (fn, inputs, grad_outputs)
        if len(args) > 2 or (len(args) == 2 and grad_outputs is not None):
            raise TypeError("gradgradcheck(): after a tuple of inputs only grad_outputs may follow")
        args, grad_outputs = args[:1], args[1] if len(args) == 2 else grad_outputs
    inputs = _read_inputs(args, inputs, "gradgradcheck")
    differentiable = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(seed + 1)  # not gradcheck's draws (seed) for the upstream gradients
        grad_outputs = [Tensor(rng.standard_normal(out.shape), requires_grad=True)
                        for out in _outputs(fn(*inputs)) if out.requires_grad]
    grad_outputs = list(_as_tuple(grad_outputs))
    count = len(inputs)

    def gradients(*values):
        record = is_grad_enabled()  # on in gradcheck's analytic pass; its numeric passes need only values
        args = list(values[:count])
        if not record:  # the perturbed inputs, and the caller's tensors: leaves of a graph of their own
            for i in differentiable:
                args[i] = Tensor._wrap(args[i]._data).requires_grad_()
        with enable_grad():
            outputs = [out for out in _outputs(fn(*args)) if out.requires_grad]
            found = grad(outputs, [args[i] for i in differentiable], list(values[count:]), create_graph=record,
                         allow_unused=True)
        return tuple(g for g in found if g is not None)

    return gradcheck(gradients, *inputs, *grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol, fast=fast or fast_mode, seed=seed)


def _read_inputs(args, inputs, name):
    if inputs is not None:
        if args:
            raise TypeError(f"{name}(): give the inputs either positionally or as inputs=, not both")
        return _as_tuple(inputs)
    if len(args) == 1 and isinstance(args[0], (tuple, list)):  # PyTorch's form: one tuple of inputs
        return tuple(args[0])
    return args


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(result):
    """fn's result as a tuple of Tensors."""
    outputs = _as_tuple(result)
    for out in outputs:
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck(): fn must return a Tensor or a tuple of Tensors, got {type(result).__name__}"
                            + (f" holding a {type(out).__name__}" if out is not result else ""))
    return outputs


def _gradcheck(fn, inputs, eps, atol, rtol, fast, rng):
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck(): no input is a Tensor with requires_grad=True, so there is nothing to check")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck(): input {i} is {inputs[i].dtype}; central differences with eps={eps} need "
                "float64 (in float32 their rounding error swamps the derivative); pass x.double()")
    originals = [x._data.copy() if isinstance(x, Tensor) else None for x in inputs]

    leaves = [Tensor(x._data, requires_grad=True) if i in checked else x for i, x in enumerate(inputs)]
    outputs = [out for out in _outputs(fn(*leaves)) if out.dtype.kind == "f"]  # indices have no gradient
    upstreams = [rng.standard_normal(out.shape) for out in outputs]
    differentiable = [(out, v.astype(out.dtype)) for out, v in zip(outputs, upstreams) if out.requires_grad]
    found = grad([out for out, _ in differentiable], [leaves[i] for i in checked], [v for _, v in differentiable],
                 allow_unused=True)
    analytic = {i: _analytic_grad(leaves[i], g, i) for i, g in zip(checked, found)}
    # fn gets copies of the checked inputs (here and in the numeric passes), so a modification shows only here
    _check_unmodified(leaves, originals)

    def objective(args):
        with no_grad():
            values = [out._data for out in _outputs(fn(*args)) if out.dtype.kind == "f"]
        return float(sum(np.sum(np.asarray(value, dtype=np.float64) * v) for value, v in zip(values, upstreams)))

    for i in checked:
        if fast:
            _check_direction(objective, inputs, i, analytic[i], rng, eps, atol, rtol)
        else:
            _check_elements(objective, inputs, i, analytic[i], eps, atol, rtol)
    _check_unmodified(inputs, originals)


def _check_unmodified(args, originals):
    for i, original in enumerate(originals):
        if original is not None and not np.array_equal(args[i]._data, original, equal_nan=True):
            raise GradcheckError(f"gradcheck(): fn modified input {i} in place")


def _analytic_grad(leaf, found, index):
    if found is None:
        return np.zeros_like(leaf._data)  # no path from this input to the output: the gradient is zero
    grad = found._data
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
    # np.asarray: numpy turns a 0-d result into a scalar, and ops take arrays
    plus = objective(_perturbed_args(inputs, index, np.asarray(data + eps * direction)))
    minus = objective(_perturbed_args(inputs, index, np.asarray(data - eps * direction)))
    numeric = (plus - minus) / (2 * eps)
    value = float(np.sum(analytic * direction))
    if not abs(value - numeric) <= atol + rtol * abs(numeric):
        raise GradcheckError(
            f"gradient mismatch for input {index} (shape {data.shape}) along a random direction u: "
            f"analytic <grad, u> = {value!r}, numeric derivative = {numeric!r} "
            f"(difference {value - numeric:.3g}; atol={atol}, rtol={rtol}); run without fast=True "
            "to find the element")
