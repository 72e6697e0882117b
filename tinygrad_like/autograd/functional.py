"""PyTorch's torch.autograd.functional: derivatives of a function of tensors, computed from its graph.

Each function takes `func` and its `inputs` (a Tensor or a tuple of Tensors) and returns results
shaped as PyTorch returns them: a tuple where the inputs (or outputs) were a tuple, else a single
Tensor. The inputs are taken as new leaves (with `create_graph=True`, inputs that require grad stay
connected to their graph), and the results are detached unless `create_graph=True`, which records
them so that they can be differentiated again. An input the outputs do not depend on gets a zero
result, or an error with `strict=True`. `vectorize` is accepted and ignored: the rows of a Jacobian
are computed one backward pass each. Forward-mode products come from reverse mode: `jvp` and `hvp`
use the double-backward trick (the vector-Jacobian product is linear in the vector, so
differentiating it with respect to the vector gives the Jacobian-vector product).
"""
import numpy as np

from tinygrad_like import engine
from tinygrad_like.factories import zeros_like
from tinygrad_like.grad_mode import enable_grad
from tinygrad_like.tensor import Tensor, stack

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]

_STRATEGIES = ("forward-mode", "reverse-mode")


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(*inputs), v^T J): the vector-Jacobian product, shaped like the inputs. `v` is shaped like
    the outputs; it may be omitted when func returns a single one-element tensor."""
    with enable_grad():
        inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs_are_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        if v is not None:
            v = _prepare(_as_tuple(v, "v", "vjp")[1], create_graph, need_graph=False)
            _validate_v(v, outputs, outputs_are_tuple)
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function returns a single "
                               "Tensor with a single element.")
        found = _fill_in_zeros(_grad(outputs, inputs, v, create_graph), inputs, strict, create_graph, "back")
    return (_unpack(_postprocess(outputs, create_graph), outputs_are_tuple),
            _unpack(_postprocess(found, create_graph), inputs_are_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(*inputs), J v): the Jacobian-vector product, shaped like the outputs. `v` is shaped like
    the inputs; it may be omitted for a single one-element input."""
    with enable_grad():
        inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        if v is not None:
            v = _prepare(_as_tuple(v, "v", "jvp")[1], create_graph, need_graph=False)
            _validate_v(v, inputs, inputs_are_tuple)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        outputs_are_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "outputs", strict)
        # u -> J^T u, recorded: it is linear in u, so its vector-Jacobian product with v is J v (at any u)
        u = tuple(zeros_like(out, requires_grad=True) for out in outputs)
        vector_jacobian = _grad(outputs, inputs, u, create_graph=True)
        _check_requires_grad(vector_jacobian, "grad_inputs", strict)
        found = _fill_in_zeros(_grad(vector_jacobian, u, v, create_graph), outputs, strict, create_graph,
                               "back_trick")
    return (_unpack(_postprocess(outputs, create_graph), outputs_are_tuple),
            _unpack(_postprocess(found, create_graph), outputs_are_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian: a Tensor of shape output.shape + input.shape for one input and one output, a tuple
    over the inputs or the outputs where one of them is a tuple, and a tuple (over outputs) of tuples
    (over inputs) where both are. One backward pass per output element, whatever `strategy` says."""
    if strategy not in _STRATEGIES:
        raise ValueError(f'jacobian(): strategy must be "forward-mode" or "reverse-mode", got {strategy!r}')
    with enable_grad():
        inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs_are_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function",
                                               "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        result = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]  # per input: the gradient of each element of `out`
            for k in range(out.numel()):
                one_hot = np.zeros(out.numel(), dtype=out.dtype)
                one_hot[k] = 1
                found = _grad((out,), inputs, (Tensor._wrap(one_hot.reshape(out.shape)),), create_graph,
                              retain_graph=True)
                for j, g in enumerate(found):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"Output {i} of the user-provided function is independent of "
                                               f"input {j}. This is not allowed in strict mode.")
                        g = zeros_like(inputs[j])
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(f"The jacobian of the user-provided function is independent of input "
                                           f"{j}. This is not allowed in strict mode when create_graph=True.")
                    rows[j].append(g)
            result.append(tuple(stack(row).reshape(tuple(out.shape) + tuple(inputs[j].shape))
                                for j, row in enumerate(rows)))
    return _unpack(_postprocess(tuple(result), create_graph), outputs_are_tuple, inputs_are_tuple)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a function returning one element: a Tensor of shape input.shape * 2 for one input,
    else a tuple of tuples, [i][j] of shape inputs[i].shape + inputs[j].shape."""
    inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def scalar_func(*args):
        out = func(*args)
        _check_requires_grad(_as_tuple(out, "outputs of the user-provided function", "hessian")[1], "outputs",
                             strict)
        if not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should contain a single "
                               "element")
        return out.reshape(())

    def gradient(*args):
        found = jacobian(scalar_func, args, create_graph=True)
        _check_requires_grad(found, "jacobian", strict)
        return found

    result = jacobian(gradient, inputs, create_graph, strict, vectorize, outer_jacobian_strategy)
    return _unpack(result, inputs_are_tuple, inputs_are_tuple)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(*inputs), v^T H) for a function returning one element; shaped like the inputs."""
    with enable_grad():
        inputs_are_tuple, inputs, v, outputs, gradient = _first_derivative(func, inputs, v, create_graph, strict,
                                                                          "vhp")
        found = _fill_in_zeros(_grad(gradient, inputs, v, create_graph), inputs, strict, create_graph,
                               "double_back")
    return _postprocess(outputs, create_graph)[0], _unpack(_postprocess(found, create_graph), inputs_are_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(*inputs), H v) for a function returning one element; shaped like the inputs. Computed by
    the double-backward trick (u -> H u differentiated with respect to u); for a twice continuously
    differentiable function it equals vhp, which takes one backward pass fewer."""
    with enable_grad():
        inputs_are_tuple, inputs, v, outputs, gradient = _first_derivative(func, inputs, v, create_graph, strict,
                                                                          "hvp")
        u = tuple(zeros_like(x, requires_grad=True) for x in inputs)
        hessian_u = _grad(gradient, inputs, u, create_graph=True)
        _check_requires_grad(hessian_u, "hessian", strict)
        found = _fill_in_zeros(_grad(hessian_u, u, v, create_graph), inputs, strict, create_graph,
                               "double_back_trick")
    return _postprocess(outputs, create_graph)[0], _unpack(_postprocess(found, create_graph), inputs_are_tuple)


def _first_derivative(func, inputs, v, create_graph, strict, name):
    """vhp's and hvp's common start: the inputs, v, func's one-element output and its recorded gradient."""
    inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", name)
    inputs = _prepare(inputs, create_graph, need_graph=True)
    if v is not None:
        v = _prepare(_as_tuple(v, "v", name)[1], create_graph, need_graph=False)
        _validate_v(v, inputs, inputs_are_tuple)
    elif len(inputs) != 1 or inputs[0].numel() != 1:
        raise RuntimeError("The vector v can only be None if the input to the user-provided function is a single "
                           "Tensor with a single element.")
    output = func(*inputs)
    outputs_are_tuple, outputs = _as_tuple(output, "outputs of the user-provided function", name)
    _check_requires_grad(outputs, "outputs", strict)
    if outputs_are_tuple:
        raise RuntimeError(f"The function given to {name} should return a single Tensor")
    if output.numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {name} should contain a single element")
    gradient = _grad(outputs, inputs, create_graph=True)
    _check_requires_grad(gradient, "jacobian", strict)
    return inputs_are_tuple, inputs, v, outputs, gradient


# ---- helpers (PyTorch's, with the same messages) ---------------------------------------------------------
def _as_tuple(x, what, name):
    """(whether x is a tuple, x as a tuple of Tensors)."""
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {what}"
            raise TypeError(f"The {what} given to {name} must be either a Tensor or a tuple of Tensors but {where} "
                            f"has type {type(item).__name__}.")
    return is_tuple, items


def _prepare(tensors, create_graph, need_graph):
    """New leaves (requiring grad when `need_graph`); with create_graph, a tensor in a graph stays
    connected to it through a view, so the results can be differentiated with respect to its leaves."""
    prepared = []
    for x in tensors:
        if create_graph and x.requires_grad:
            prepared.append(x.view_as(x))
        else:
            leaf = x.detach()
            prepared.append(leaf.requires_grad_() if need_graph else leaf)
    return tuple(prepared)


def _validate_v(v, like, like_is_tuple):
    if len(v) != len(like):
        if like_is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(like)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (vector, other) in enumerate(zip(v, like)):
        if vector.shape != other.shape:
            prefix = f"Entry {i} in " if like_is_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {other.shape} but got {vector.shape}.")


def _grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad over the outputs that require grad (None for every input when none does), None
    for inputs they do not depend on."""
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else grad_outputs
    pairs = [(out, g) for out, g in zip(outputs, grad_outputs) if out is not None and out.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return engine.grad([out for out, _ in pairs], list(inputs), [g for _, g in pairs], retain_graph=retain_graph,
                       create_graph=create_graph, allow_unused=True)


_INDEPENDENT = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in "
            "strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
                  "using the double backward trick to compute forward mode gradients. This is not allowed in "
                  "strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed "
                   "in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the "
                         "grad_jacobian. This is not allowed in strict mode as it prevents from using the double "
                         "backward trick to replace forward mode AD.",
}


def _fill_in_zeros(grads, like, strict, create_graph, stage):
    """Zeros for the inputs without a gradient, or, with `strict`, an error naming the first of them."""
    filled = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_INDEPENDENT[stage].format(i=i))
            g = zeros_like(like[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. This is "
                               "not allowed in strict mode when create_graph=True.")
        filled.append(g)
    return tuple(filled)


def _check_requires_grad(tensors, kind, strict):
    """With `strict`: every tensor must exist and be in a graph (`kind` says what they are)."""
    if not strict:
        return
    for i, x in enumerate(tensors):
        if x is None:
            raise RuntimeError(f"The output of the user-provided function is independent of input {i}. This is "
                               "not allowed in strict mode.")
        if not x.requires_grad:
            raise RuntimeError({
                "hessian": f"The hessian of the user-provided function with respect to input {i} is independent "
                           "of the input. This is not allowed in strict mode. You should ensure that your "
                           "function is thrice differentiable and that the hessian depends on the inputs.",
                "jacobian": "While computing the hessian, found that the jacobian of the user-provided function "
                            f"with respect to input {i} is independent of the input. This is not allowed in "
                            "strict mode. You should ensure that your function is twice differentiable and that "
                            "the jacobian depends on the inputs (this would be violated by a linear function for "
                            "example).",
                "grad_inputs": f"The gradient with respect to input {i} is independent of the inputs of the "
                               "user-provided function. This is not allowed in strict mode.",
                "outputs": f"Output {i} of the user-provided function does not require gradients. The outputs "
                           "must be computed in a differentiable manner from the input when running in strict "
                           "mode.",
            }[kind])


def _postprocess(results, create_graph):
    """The results (tuples of Tensors, maybe nested) detached from the graph unless create_graph."""
    if create_graph:
        return results
    return tuple(_postprocess(x, False) if isinstance(x, tuple) else x.detach() for x in results)


def _unpack(results, outer_is_tuple, inner_is_tuple=None):
    """Tuples where PyTorch returns tuples: the inner level (of nested results) kept only if
    `inner_is_tuple`, the outer only if `outer_is_tuple`."""
    if inner_is_tuple is False:
        results = tuple(inner[0] for inner in results)
    return results if outer_is_tuple else results[0]
