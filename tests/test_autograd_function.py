"""tinygrad_like.autograd.Function, PyTorch's custom-op API on Tensors.

The Functions are PyTorch's documentation examples (Exp, LinearFunction in both styles, MulConstant)
and a few more for several outputs, mark_non_differentiable, set_materialize_grads and mark_dirty.
Their class bodies are written once, in `define(lib)`, and run with tinygrad_like here and with torch
in the differential tests at the end. First derivatives are gradchecked in float64; second ones come
from a backward recorded with create_graph=True, differentiated again, and are compared with central
differences of the first derivative (and with analytic values where they are simple).
"""
from types import SimpleNamespace

import numpy as np
import pytest

import tinygrad_like as tl
from tinygrad_like import Tensor, autograd, gradcheck, no_grad
from tinygrad_like.autograd import Function
from tinygrad_like.testing import assert_close


def define(lib):
    """The example Functions, subclassing lib.autograd.Function (lib is tinygrad_like or torch)."""

    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result = i.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    class LinearFunction(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input, weight, bias=None):
            ctx.save_for_backward(input, weight, bias)
            output = input.mm(weight.t())
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        @staticmethod
        def backward(ctx, grad_output):
            input, weight, bias = ctx.saved_tensors
            grad_input = grad_weight = grad_bias = None
            if ctx.needs_input_grad[0]:
                grad_input = grad_output.mm(weight)
            if ctx.needs_input_grad[1]:
                grad_weight = grad_output.t().mm(input)
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)
            return grad_input, grad_weight, grad_bias  # a trailing None when called without bias

    class LinearSetupContext(lib.autograd.Function):
        """The same, in PyTorch's other style: forward without ctx, and setup_context."""

        @staticmethod
        def forward(input, weight, bias=None):
            output = input @ weight.T
            if bias is not None:
                output = output + bias
            return output

        @staticmethod
        def setup_context(ctx, inputs, output):
            input, weight, bias = inputs
            ctx.save_for_backward(input, weight, bias)

        @staticmethod
        def backward(ctx, grad_output):
            input, weight, bias = ctx.saved_tensors
            grad_bias = grad_output.sum(0) if bias is not None else None
            return grad_output @ weight, grad_output.T @ input, grad_bias

    class MulConstant(lib.autograd.Function):
        @staticmethod
        def forward(ctx, tensor, constant):
            ctx.constant = constant  # a non-tensor argument: an attribute, and a None gradient
            return tensor * constant

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * ctx.constant, None

    class ExpAndSquare(lib.autograd.Function):
        """Two outputs; backward gets both gradients."""

        @staticmethod
        def forward(ctx, x):
            e = x.exp()
            ctx.save_for_backward(x, e)
            return e, x * x

        @staticmethod
        def backward(ctx, grad_e, grad_square):
            x, e = ctx.saved_tensors
            return grad_e * e + grad_square * 2 * x

    class Sort(lib.autograd.Function):
        """Sorted values and their indices (non-differentiable) of a 1-d tensor."""

        @staticmethod
        def forward(ctx, x):
            indices = lib.tensor(np.argsort(x.numpy(), kind="stable"))
            ctx.mark_non_differentiable(indices)
            ctx.save_for_backward(indices)
            return x[indices], indices

        @staticmethod
        def backward(ctx, grad_values, grad_indices):
            (indices,) = ctx.saved_tensors
            inverse = lib.tensor(np.argsort(indices.numpy()))
            return grad_values[inverse]

    class Halves(lib.autograd.Function):
        """The two halves of a 1-d tensor, squared; without materialized gradients."""

        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            ctx.save_for_backward(x)
            ctx.half = x.shape[0] // 2
            return x[:ctx.half] ** 2, x[ctx.half:] ** 2

        @staticmethod
        def backward(ctx, grad_first, grad_second):
            (x,) = ctx.saved_tensors
            ctx.received = (grad_first is not None, grad_second is not None)
            zeros = x.new_zeros(ctx.half)
            first = zeros if grad_first is None else grad_first * 2 * x[:ctx.half]
            second = x.new_zeros(x.shape[0] - ctx.half) if grad_second is None else grad_second * 2 * x[ctx.half:]
            return lib.cat([first, second])

    class DoubleInPlace(lib.autograd.Function):
        """Multiplies its input by 2 in place (mark_dirty)."""

        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * 2

    return SimpleNamespace(**{cls.__name__: cls for cls in (Exp, LinearFunction, LinearSetupContext, MulConstant,
                                                              ExpAndSquare, Sort, Halves, DoubleInPlace)})


F = define(tl)


def leaf(array, dtype=np.float64):
    return Tensor(np.asarray(array, dtype=dtype), requires_grad=True)


def random_leaf(rng, *shape):
    return leaf(rng.standard_normal(shape))


def assert_second_derivatives(fn, *inputs, seed=0, eps=1e-6, atol=1e-6, rtol=1e-6):
    """d/dx <grad_x sum(fn(x) * w), v> for random w and v: by differentiating the backward recorded with
    create_graph=True, and by central differences of the plain (first-order) gradient."""
    rng = np.random.default_rng(seed)
    w = Tensor(rng.standard_normal(fn(*inputs).shape))
    vs = [Tensor(rng.standard_normal(x.shape)) for x in inputs]

    def gradient_along_v(args, create_graph):
        grads = autograd.grad((fn(*args) * w).sum(), args, create_graph=create_graph, allow_unused=True)
        return sum((g * v).sum() for g, v in zip(grads, vs) if g is not None)

    analytic = autograd.grad(gradient_along_v(inputs, True), inputs, allow_unused=True)
    for i, x in enumerate(inputs):
        for position in np.ndindex(x.shape):
            values = []
            for step in (eps, -eps):
                data = x.numpy().copy()
                data[position] += step
                args = [leaf(data) if j == i else arg for j, arg in enumerate(inputs)]
                values.append(gradient_along_v(args, False).item())
            numeric = (values[0] - values[1]) / (2 * eps)
            value = 0.0 if analytic[i] is None else analytic[i].numpy()[position]
            assert abs(value - numeric) <= atol + rtol * abs(numeric), (i, position, value, numeric)


# ---- PyTorch's documentation examples ---------------------------------------------------------------------
def test_exp_values_gradient_and_second_derivative(rng):
    x = random_leaf(rng, 2, 3)
    y = F.Exp.apply(x)
    assert isinstance(y, Tensor) and y.requires_grad and type(y.grad_fn).__name__ == "Exp"
    assert_close(y, np.exp(x.numpy()))
    (first,) = autograd.grad(y.sum(), x, create_graph=True)
    assert_close(first, np.exp(x.numpy()))
    (second,) = autograd.grad(first.sum(), x)
    assert_close(second, np.exp(x.numpy()))
    assert gradcheck(F.Exp.apply, x)
    assert_second_derivatives(F.Exp.apply, x)


@pytest.mark.parametrize("function", ["LinearFunction", "LinearSetupContext"])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_function_with_optional_bias(function, with_bias, rng):
    linear = getattr(F, function).apply
    x, weight, bias = random_leaf(rng, 4, 3), random_leaf(rng, 2, 3), random_leaf(rng, 2)
    args = (x, weight, bias) if with_bias else (x, weight)
    expected = x.numpy() @ weight.numpy().T + (bias.numpy() if with_bias else 0)
    assert_close(linear(*args), expected)
    assert gradcheck(linear, *args)
    assert_second_derivatives(linear, *args)


def test_linear_function_skips_the_gradients_not_needed(rng):
    x, weight = random_leaf(rng, 4, 3), Tensor(rng.standard_normal((2, 3)))
    F.LinearFunction.apply(x, weight).sum().backward()
    assert x.grad is not None and weight.grad is None


def test_mul_constant_takes_a_number_and_returns_none_for_it(rng):
    x = random_leaf(rng, 3)
    assert_close(F.MulConstant.apply(x, 2.5), 2.5 * x.numpy())
    assert gradcheck(lambda t: F.MulConstant.apply(t, 2.5), x)
    (first,) = autograd.grad(F.MulConstant.apply(x, 2.5).sum(), x, create_graph=True)
    assert_close(first, np.full(3, 2.5))
    assert not first.requires_grad  # the gradient is constant in x: nothing to differentiate again


def test_two_outputs_get_their_gradients_in_one_backward(rng):
    x = random_leaf(rng, 3)
    e, square = F.ExpAndSquare.apply(x)
    assert type(e.grad_fn).__name__ == type(square.grad_fn).__name__ == "ExpAndSquare"
    assert_close(e, np.exp(x.numpy()))
    assert_close(square, x.numpy() ** 2)
    (3 * e.sum() + square.sum()).backward()
    assert_close(x.grad, 3 * np.exp(x.numpy()) + 2 * x.numpy())
    assert gradcheck(lambda t: (lambda a, b: a * 3 + b * b)(*F.ExpAndSquare.apply(t)), x)
    assert_second_derivatives(lambda t: (lambda a, b: a * 3 + b * b)(*F.ExpAndSquare.apply(t)), x)


def test_an_unused_output_gets_zeros_by_default(rng):
    x = random_leaf(rng, 3)
    e, _ = F.ExpAndSquare.apply(x)
    e.sum().backward()
    assert_close(x.grad, np.exp(x.numpy()))


def test_outputs_used_in_separate_backward_passes(rng):
    x = random_leaf(rng, 3)
    e, square = F.ExpAndSquare.apply(x)
    e.sum().backward(retain_graph=True)
    assert_close(x.grad, np.exp(x.numpy()))
    x.grad = None
    square.sum().backward()  # the first pass's gradient of e is not carried over
    assert_close(x.grad, 2 * x.numpy())


def test_hooks_and_retain_grad_on_one_of_several_outputs(rng):
    x = random_leaf(rng, 3)
    e, square = F.ExpAndSquare.apply(x)
    square.retain_grad()
    seen = []
    e.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    (e.sum() + square.sum()).backward()
    assert_close(seen[0], np.ones(3))
    assert_close(square.grad, np.ones(3))
    assert_close(x.grad, 10 * np.exp(x.numpy()) + 2 * x.numpy())


def test_mark_non_differentiable_sort():
    x = leaf([3.0, 1.0, 2.0])
    values, indices = F.Sort.apply(x)
    assert values.requires_grad and not indices.requires_grad
    assert indices.tolist() == [1, 2, 0]
    assert_close(values, [1.0, 2.0, 3.0])
    values.backward(Tensor([10.0, 20.0, 30.0], dtype=np.float64))
    assert_close(x.grad, [30.0, 10.0, 20.0])
    assert gradcheck(lambda t: F.Sort.apply(t)[0], leaf([0.3, -1.2, 2.5, 0.9]))


def test_an_integer_output_is_not_differentiable():
    class ArgMaxAndDouble(Function):
        @staticmethod
        def forward(ctx, x):
            return x.argmax(), x * 2

        @staticmethod
        def backward(ctx, grad_index, grad_double):
            ctx.grad_index = grad_index
            return grad_double * 2

    x = leaf([1.0, 3.0])
    index, double = ArgMaxAndDouble.apply(x)
    assert not index.requires_grad and double.requires_grad
    double.sum().backward()
    assert_close(x.grad, [2.0, 2.0])
    assert double.grad_fn.grad_index.tolist() == 0  # materialized: zeros of the output's shape and dtype


def test_set_materialize_grads_false_passes_none_for_unused_outputs(rng):
    x = random_leaf(rng, 5)
    first, second = F.Halves.apply(x)
    first.sum().backward()
    assert first.grad_fn.received == (True, False)
    assert_close(x.grad, np.concatenate([2 * x.numpy()[:2], np.zeros(3)]))
    assert gradcheck(lambda t: (lambda a, b: a.sum() + (b * b).sum())(*F.Halves.apply(t)), x)


def test_mark_dirty_makes_the_changed_input_the_output(rng):
    a = random_leaf(rng, 3)
    x = a * 1
    y = F.DoubleInPlace.apply(x)
    assert y is x and type(x.grad_fn).__name__ == "DoubleInPlace"
    assert_close(x, 2 * a.numpy())
    (x * x).sum().backward()
    assert_close(a.grad, 8 * a.numpy())


def test_mark_dirty_refuses_a_leaf_that_requires_grad():
    with pytest.raises(RuntimeError, match=r"DoubleInPlace\.forward changed a leaf tensor"):
        F.DoubleInPlace.apply(leaf([1.0]))


def test_mark_dirty_of_a_tensor_not_returned():
    class Forgetful(Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x + 1

    with pytest.raises(RuntimeError, match=r"Forgetful\.forward: ctx.mark_dirty\(\)"):
        Forgetful.apply(leaf([1.0]) * 1)


# ---- the calling convention -------------------------------------------------------------------------------
class Recorder(Function):
    """Records what forward and backward see."""

    @staticmethod
    def forward(ctx, x, y, scale, *, offset=0.0):
        ctx.forward_grad_mode = tl.is_grad_enabled()
        ctx.scale = scale
        ctx.save_for_backward(x, None, y)
        return x * y * scale + offset

    @staticmethod
    def backward(ctx, grad_output):
        x, nothing, y = ctx.saved_tensors
        ctx.backward_grad_mode = tl.is_grad_enabled()
        ctx.seen = (ctx.needs_input_grad, nothing, type(grad_output))
        return grad_output * y * ctx.scale, grad_output * x * ctx.scale, None


def test_forward_runs_under_no_grad_and_backward_too_unless_recorded(rng):
    x, y = random_leaf(rng, 3), Tensor(rng.standard_normal(3))
    out = Recorder.apply(x, y, 2.0, offset=1.0)
    assert_close(out, x.numpy() * y.numpy() * 2 + 1)
    ctx = out.grad_fn.ctx  # the FunctionCtx (its attributes also read through grad_fn)
    out.sum().backward()
    assert ctx.forward_grad_mode is False and ctx.backward_grad_mode is False
    assert ctx.seen == ((True, False, False), None, Tensor)
    assert_close(x.grad, 2 * y.numpy())
    out = Recorder.apply(x, y, 2.0)
    autograd.grad(out.sum(), x, create_graph=True)
    assert out.grad_fn.backward_grad_mode is True


def test_apply_records_nothing_under_no_grad_or_without_inputs_needing_grad(rng):
    x = random_leaf(rng, 3)
    with no_grad():
        out = F.Exp.apply(x)
    assert not out.requires_grad and out.grad_fn is None
    out = F.Exp.apply(Tensor(rng.standard_normal(3)))
    assert not out.requires_grad and out.grad_fn is None


def test_an_input_returned_as_is_becomes_a_view_of_it(rng):
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * 3

    a = random_leaf(rng, 3)
    x = a * 1
    producer = x.grad_fn
    y = Identity.apply(x)
    assert y is not x and x.grad_fn is producer and np.shares_memory(y.numpy(), x.numpy())
    y.sum().backward(retain_graph=True)
    assert_close(a.grad, [3.0, 3.0, 3.0])
    with pytest.raises(RuntimeError, match="view"):
        y.mul_(2)


def test_a_backward_returning_a_broadcast_shape_is_summed(rng):
    class AddBias(Function):
        @staticmethod
        def forward(ctx, x, bias):
            return x + bias

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output, grad_output  # the bias's gradient is left with x's shape

    x, bias = random_leaf(rng, 4, 3), random_leaf(rng, 3)
    AddBias.apply(x, bias).sum().backward()
    assert_close(bias.grad, [4.0, 4.0, 4.0])
    assert gradcheck(AddBias.apply, x, bias)


def test_a_saved_tensor_from_outside_keeps_its_graph(rng):
    class ScaleBy(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(weight)  # not an input: saved with its own graph
            return x * weight

        @staticmethod
        def backward(ctx, grad_output):
            (w,) = ctx.saved_tensors
            return grad_output * w

    x, weight = random_leaf(rng, 3), random_leaf(rng, 3)
    (first,) = autograd.grad(ScaleBy.apply(x).sum(), x, create_graph=True)
    (second,) = autograd.grad(first.sum(), weight)
    assert_close(second, np.ones(3))


def test_a_saved_input_changed_in_place_afterwards_is_an_error(rng):
    a = random_leaf(rng, 3)
    x = a * 1
    y = F.ExpAndSquare.apply(x)[1]
    x.mul_(2)
    with pytest.raises(RuntimeError, match="ExpAndSquare saved an array.*changed in place"):
        y.sum().backward()


def test_third_derivative_of_a_tensor_op_backward(rng):
    x = random_leaf(rng, 3)
    (first,) = autograd.grad(F.Exp.apply(x).sum(), x, create_graph=True)
    (second,) = autograd.grad(first.sum(), x, create_graph=True)
    (third,) = autograd.grad(second.sum(), x)
    assert_close(third, np.exp(x.numpy()))


def test_a_backward_that_leaves_the_graph_is_refused_when_recorded(rng):
    class NumpyExp(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.exp()

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return Tensor(np.exp(np.asarray(x)) * np.asarray(grad_output))

    x = random_leaf(rng, 3)
    NumpyExp.apply(x).sum().backward()  # on arrays' terms, fine without create_graph
    assert_close(x.grad, np.exp(x.numpy()))
    with pytest.raises(TypeError, match="create_graph=True turned a tensor"):
        autograd.grad(NumpyExp.apply(x).sum(), x, create_graph=True)


# ---- errors name the Function -----------------------------------------------------------------------------
def make(backward, forward=lambda ctx, x, c=None: x * 2):
    return type("Faulty", (Function,), {"forward": staticmethod(forward), "backward": staticmethod(backward)})


@pytest.mark.parametrize("backward, args, message", [
    (lambda ctx, g: g, (2.0,), r"Faulty\.backward returned 1 gradient\(s\) for the 2 argument\(s\)"),
    (lambda ctx, g: (g, None, g), (), r"Faulty\.backward returned 3 gradient\(s\) for the 1 argument\(s\)"),
    (lambda ctx, g: (g, g), (2.0,), r"Faulty\.backward returned a gradient for argument 1 of forward, which is not "
                                    r"a Tensor"),
    (lambda ctx, g: tl.ones(4, dtype=tl.float64), (), r"Faulty\.backward returned a gradient of shape \(4,\) for "
                                                      r"argument 0 of shape \(2, 3\)"),
], ids=["too_few", "extra_not_none", "non_tensor_argument", "shape"])
def test_backward_errors_name_the_function(backward, args, message):
    out = make(backward).apply(leaf(np.ones((2, 3))), *args)
    with pytest.raises(RuntimeError, match=message):
        out.sum().backward()


def test_trailing_nones_beyond_the_arguments_are_allowed():
    x = leaf([1.0, 2.0])
    make(lambda ctx, g: (g * 2, None, None)).apply(x).sum().backward()
    assert_close(x.grad, [2.0, 2.0])


def test_a_gradient_that_is_not_a_tensor():
    out = make(lambda ctx, g: np.ones(2)).apply(leaf([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"Faulty\.backward returned a ndarray as the gradient of argument 0"):
        out.sum().backward()


def test_ctx_misuse():
    def save_a_number(ctx, x):
        ctx.save_for_backward(x, 3)
        return x * 2

    with pytest.raises(TypeError, match="save_for_backward.*argument 1 is a int"):
        make(lambda ctx, g: g, save_a_number).apply(leaf([1.0]))

    def read_saved_in_forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.saved_tensors[0]

    with pytest.raises(RuntimeError, match="saved_tensors can only be read in backward"):
        make(lambda ctx, g: g, read_saved_in_forward).apply(leaf([1.0]))


def test_a_freed_graph_is_named_by_the_function(rng):
    y = F.Exp.apply(random_leaf(rng, 2))
    y.sum().backward()
    with pytest.raises(RuntimeError, match="reached a Exp node whose graph was already freed"):
        y.sum().backward()


def test_anomaly_detection_names_the_function():
    class InfiniteSlope(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output / (x * 0)

    with pytest.warns(UserWarning, match="Anomaly detection is on"), autograd.detect_anomaly():
        y = InfiniteSlope.apply(leaf([1.0, 2.0]))
        with np.errstate(divide="ignore"), pytest.raises(RuntimeError, match="Function 'InfiniteSlopeBackward' "
                                                                              "returned inf values"):
            y.sum().backward()


def test_missing_forward_or_backward():
    with pytest.raises(NotImplementedError, match="forward"):
        Function.apply(leaf([1.0]))

    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    with pytest.raises(NotImplementedError, match="backward"):
        NoBackward.apply(leaf([1.0])).sum().backward()


def test_the_array_based_function_is_unchanged():
    assert tl.Function is not Function and tl.autograd.Function is Function


# ---- against torch.autograd.Function ----------------------------------------------------------------------
def torch_cases():
    """(name, function of the Functions namespace and the inputs, input shapes)."""
    return [
        ("Exp", lambda f, x: f.Exp.apply(x), [(2, 3)]),
        ("LinearFunction", lambda f, x, w, b: f.LinearFunction.apply(x, w, b), [(4, 3), (2, 3), (2,)]),
        ("LinearFunction_no_bias", lambda f, x, w: f.LinearFunction.apply(x, w), [(4, 3), (2, 3)]),
        ("LinearSetupContext", lambda f, x, w, b: f.LinearSetupContext.apply(x, w, b), [(4, 3), (2, 3), (2,)]),
        ("MulConstant", lambda f, x: f.MulConstant.apply(x, -1.5), [(3,)]),
        ("ExpAndSquare", lambda f, x: (lambda a, b: a * 3 + b * b)(*f.ExpAndSquare.apply(x)), [(3,)]),
        ("ExpAndSquare_one_output", lambda f, x: f.ExpAndSquare.apply(x)[0] ** 2, [(3,)]),
        ("Sort", lambda f, x: f.Sort.apply(x)[0] ** 3, [(5,)]),
        ("Halves", lambda f, x: f.Halves.apply(x)[1] ** 2, [(5,)]),
        ("DoubleInPlace", lambda f, x: f.DoubleInPlace.apply(x * 1) ** 2, [(3,)]),
    ]


@pytest.mark.torch
@pytest.mark.parametrize("name, fn, shapes", torch_cases(), ids=[case[0] for case in torch_cases()])
def test_same_class_bodies_as_torch(name, fn, shapes):
    torch = pytest.importorskip("torch")
    ours, theirs = define(tl), define(torch)
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    results = []
    for lib, functions in ((tl, ours), (torch, theirs)):
        inputs = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
        out = fn(functions, *inputs)
        upstream = lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))
        firsts = lib.autograd.grad((out * upstream).sum(), inputs, create_graph=True)
        seconds = [None] * len(inputs)
        if any(g.requires_grad for g in firsts):  # else the gradient is constant (MulConstant)
            seconds = lib.autograd.grad(sum((g * g).sum() for g in firsts), inputs, allow_unused=True)
        results.append([out] + list(firsts) + [lib.zeros_like(x) if s is None else s for s, x in zip(seconds, inputs)])
    for what, a, b in zip(["output"] + [f"grad {i}" for i in range(len(shapes))]
                          + [f"second-order grad {i}" for i in range(len(shapes))], *results):
        assert a.requires_grad == b.requires_grad, f"{name}: {what} requires grad: {a.requires_grad}"
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12, err_msg=f"{name}: {what}")


@pytest.mark.torch
def test_same_materialized_and_missing_gradients_as_torch():
    torch = pytest.importorskip("torch")
    seen = {}
    for lib in (tl, torch):
        functions = define(lib)
        x = lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=lib.float64, requires_grad=True)
        first, _ = functions.Halves.apply(x)
        first.sum().backward()
        seen[lib.__name__] = (first.grad_fn.received, x.grad.tolist())
    assert seen["tinygrad_like"] == seen["torch"]
