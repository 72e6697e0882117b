"""The public testing toolkit: gradcheck must pass correct gradients and catch wrong ones, and the
hypothesis strategies in tinygrad_like.testing must produce what they promise."""
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_like import Function, GradcheckError, Tensor, gradcheck, gradgradcheck
from tinygrad_like.testing import (arrays, assert_close, axes, basic_indices, boolean_masks, broadcastable_shapes,
                                   integer_array_indices, shapes, tensors)


def leaf(array):
    return Tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


class Square(Function):
    """x**2 with a backward that can be broken on purpose: scaled by `factor` at the elements `where`."""

    @staticmethod
    def forward(ctx, x, factor=1.0, where=None):
        ctx.save_for_backward(x)
        ctx.factor, ctx.where = factor, where
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        result = 2 * x * grad
        if ctx.where is None:
            return result * ctx.factor
        result[ctx.where] *= ctx.factor
        return result


class Product(Function):
    """a * b whose gradient for b is scaled by `factor_b`."""

    @staticmethod
    def forward(ctx, a, b, factor_b=1.0):
        ctx.save_for_backward(a, b)
        ctx.factor_b = factor_b
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * a * ctx.factor_b


def mismatch(error):
    """(input index, element, analytic, numeric) parsed from an element-wise GradcheckError message."""
    found = re.search(r"input (\d+) \(shape \([\d, ]*\)\) at element \(([\d, ]*)\): analytic (\S+), numeric (\S+) ",
                      str(error))
    assert found, f"unexpected message: {error}"
    element = tuple(int(i) for i in found.group(2).split(",") if i.strip())
    return int(found.group(1)), element, float(found.group(3)), float(found.group(4))


# ---- gradcheck passes correct gradients -------------------------------------------------------------------
@pytest.mark.parametrize("fast", [False, True], ids=["elements", "fast"])
def test_passes_correct_gradients(fast, rng):
    x, y = leaf(rng.standard_normal((2, 3))), leaf(rng.standard_normal(3))
    assert gradcheck(lambda a: Square.apply(a), x, fast=fast) is True
    assert gradcheck(lambda a, b: (a * b).tanh().sum(0) + b.exp(), x, y, fast=fast) is True
    constant = Tensor(rng.standard_normal(3))  # not requiring grad: passed through, not checked
    assert gradcheck(lambda a, c, scale: a * c * scale, x, constant, 2.5, fast=fast)


def test_inputs_without_a_path_to_the_output_have_zero_gradient():
    x, y = leaf([1.0, 2.0]), leaf([3.0])
    assert gradcheck(lambda a, b: a * 2, x, y)
    assert gradcheck(lambda a: Tensor([1.0, 2.0]), x)  # an output with no graph at all


# ---- gradcheck catches wrong gradients ------------------------------------------------------------------
def test_wrong_backward_names_input_element_and_both_values():
    x = leaf([0.5, -1.0, 2.0])
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda a: Square.apply(a, factor=0.5), x)
    assert isinstance(caught.value, AssertionError)  # pytest reports it as a failed assertion
    index, element, analytic, numeric = mismatch(caught.value)
    assert (index, element) == (0, (0,))
    assert numeric != 0 and analytic == pytest.approx(numeric * 0.5, rel=1e-6)  # the bug halves the gradient


def test_names_the_element_of_a_single_wrong_entry():
    x = leaf(np.arange(1.0, 7.0).reshape(2, 3))
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda a: Square.apply(a, factor=3.0, where=(1, 2)), x)
    index, element, analytic, numeric = mismatch(caught.value)
    assert (index, element) == (0, (1, 2))
    assert analytic == pytest.approx(3 * numeric, rel=1e-6)


def test_names_the_wrong_input():
    a, b = leaf([1.0, 2.0]), leaf([3.0, -4.0])
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, y: Product.apply(x, y, factor_b=-1.0), a, b)
    index, element, analytic, numeric = mismatch(caught.value)
    assert (index, element) == (1, (0,))
    assert analytic == pytest.approx(-numeric, rel=1e-6)


def test_fast_mode_catches_the_same_bug():
    x = leaf([0.5, -1.0, 2.0])
    with pytest.raises(GradcheckError, match=r"input 0 .*random direction.*analytic <grad, u> = \S+, numeric "
                                             r"derivative = \S+"):
        gradcheck(lambda a: Square.apply(a, factor=0.5), x, fast=True)
    with pytest.raises(GradcheckError, match=r"input 1 .*direction"):
        gradcheck(lambda p, q: Product.apply(p, q, factor_b=-1.0), leaf([1.0, 2.0]), leaf([3.0, -4.0]), fast=True)


def test_fast_mode_hands_a_0d_input_to_forward_as_an_array():
    class ArrayOnly(Function):
        @staticmethod
        def forward(ctx, x):
            assert type(x) is np.ndarray, type(x)  # the protocol: forward gets arrays, never numpy scalars
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            return 2 * grad * ctx.saved_tensors[0]

    assert gradcheck(ArrayOnly.apply, leaf(1.5), fast=True)


def test_a_missing_gradient_is_caught():
    class Forgetful(Product):
        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            return grad * b, None

    with pytest.raises(GradcheckError, match=r"input 1 .*analytic 0\.0"):
        gradcheck(Forgetful.apply, leaf([1.0, 2.0]), leaf([3.0, 4.0]))


@pytest.mark.parametrize("fast", [False, True], ids=["elements", "fast"])
def test_the_defaults_catch_a_backward_that_is_0_05_percent_off(fast):
    x = leaf([0.5, -1.0, 2.0])
    off = lambda a: Square.apply(a, factor=1.0005)  # noqa: E731
    with pytest.raises(GradcheckError, match=r"atol=1e-06, rtol=1e-06"):
        gradcheck(off, x, fast=fast)
    assert gradcheck(off, x, atol=1e-5, rtol=1e-3, fast=fast)  # PyTorch's defaults let it through


def test_tolerances_are_honoured():
    x = leaf([0.5, -1.0, 2.0])
    slightly_off = lambda a: Square.apply(a, factor=1 + 1e-4)  # noqa: E731
    assert gradcheck(slightly_off, x, rtol=1e-3)
    with pytest.raises(GradcheckError, match=r"atol=1e-09, rtol=1e-06"):
        gradcheck(slightly_off, x, rtol=1e-6, atol=1e-9)


class WrongShape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = shape
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return np.full(ctx.shape, 2.0)


def test_gradient_of_a_wrong_shape_is_detected():
    with pytest.raises((GradcheckError, RuntimeError), match=r"WrongShape.*\(4,\).*\(3,\)"):
        gradcheck(lambda a: WrongShape.apply(a, shape=(4,)), leaf([1.0, 2.0, 3.0]))
    # a shape that broadcasting could have produced is summed by the engine: then the values are wrong
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(lambda a: WrongShape.apply(a, shape=(2, 3)), leaf([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("fast", [False, True], ids=["elements", "fast"])
@pytest.mark.parametrize("values", [[1.0], [1.0, 2.0, 3.0]], ids=["one_element", "three_elements"])
def test_fn_that_modifies_its_input_is_detected(values, fast):
    def sloppy(a):
        out = a + 2  # Add saves nothing, so backward itself has nothing to object to
        a.data += 1.0  # in place, behind the graph's back
        return out

    with pytest.raises(GradcheckError, match="modified input 0 in place"):
        gradcheck(sloppy, leaf(values), fast=fast)


def test_fn_that_modifies_an_unchecked_input_is_detected():
    def sloppy(a, c):
        c.data *= 2.0
        return a * 2

    with pytest.raises(GradcheckError, match="modified input 1 in place"):
        gradcheck(sloppy, leaf([1.0, 2.0]), Tensor([1.0, 1.0]))


def test_float32_inputs_are_refused():
    with pytest.raises(TypeError, match=r"input 0 is float32.*float64"):
        gradcheck(lambda a: a * 2, Tensor(np.ones(2, dtype=np.float32), requires_grad=True))


def test_nothing_to_check_and_non_tensor_results_are_errors():
    with pytest.raises(ValueError, match="nothing to check"):
        gradcheck(lambda a: a * 2, Tensor(np.ones(2)))
    with pytest.raises(TypeError, match="must return a Tensor or a tuple of Tensors, got float"):
        gradcheck(lambda a: 1.0, leaf([1.0]))


def test_gradcheck_leaves_the_callers_tensors_alone():
    x = leaf([1.0, 2.0])
    gradcheck(lambda a: (a * a).sum(), x)
    assert x.grad is None and x.is_leaf
    assert_close(x, [1.0, 2.0])


# ---- PyTorch's call forms and results ---------------------------------------------------------------------
def test_pytorchs_call_forms(rng):
    a, b = leaf(rng.standard_normal((2, 3))), leaf(rng.standard_normal(3))
    fn = lambda x, y: (x * y).tanh()  # noqa: E731
    assert gradcheck(fn, (a, b), eps=1e-6, atol=1e-5, rtol=1e-3)  # one tuple of inputs
    assert gradcheck(fn, [a, b])
    assert gradcheck(fn, inputs=(a, b), raise_exception=True, nondet_tol=0.0)
    assert gradcheck(lambda x: x.exp(), a)  # one tensor
    assert gradcheck(lambda x, scale: x * scale, (a, 2.5))  # a non-tensor in the tuple is passed through
    assert gradcheck(fn, a, b, fast_mode=True)  # PyTorch's name for fast=True
    with pytest.raises(TypeError, match="either positionally or as inputs="):
        gradcheck(fn, a, inputs=(b,))


def test_raise_exception_false_returns_false():
    x = leaf([0.5, -1.0, 2.0])
    assert gradcheck(lambda a: Square.apply(a, factor=0.5), x, raise_exception=False) is False
    assert gradcheck(lambda a: Square.apply(a), (x,), raise_exception=False) is True


def test_functions_returning_several_tensors(rng):
    a, b = leaf(rng.standard_normal((2, 3))), leaf(rng.standard_normal(3))
    assert gradcheck(lambda x, y: (x * y, y.exp(), x.sum(0)), a, b)
    assert gradcheck(lambda x: x.max(1), (a,))  # (values, indices): the int64 indices are not differentiated
    with pytest.raises(GradcheckError, match="input 1"):  # a wrong gradient reaching b through the second output
        gradcheck(lambda x, y: (x.exp(), Product.apply(x, y, factor_b=1.01)), a, leaf(rng.standard_normal((2, 3))))
    with pytest.raises(TypeError, match="a Tensor or a tuple of Tensors, got tuple holding a float"):
        gradcheck(lambda x: (x, 1.0), a)


class DetachedGrad(Function):
    """x**2 whose backward is right in value but, recorded, hides its dependence on x or on the
    upstream gradient (a detach(), as a careless backward might write): only gradgradcheck sees it."""

    @staticmethod
    def forward(ctx, x, hide):
        ctx.save_for_backward(x)
        ctx.hide = hide
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if isinstance(x, Tensor):  # recorded with create_graph=True
            x, grad = (x.detach(), grad) if ctx.hide == "x" else (x, grad.detach())
        return 2 * x * grad


@pytest.mark.parametrize("hide, wrong_input", [("x", 0), ("grad", 1)])
def test_gradgradcheck_catches_a_backward_that_is_not_differentiable(hide, wrong_input):
    x = leaf([0.5, -1.0, 2.0])
    fn = lambda a: DetachedGrad.apply(a, hide=hide)  # noqa: E731
    assert gradcheck(fn, x)
    # the checked function's inputs are fn's inputs, then the grad_outputs
    with pytest.raises(GradcheckError, match=rf"input {wrong_input} "):
        gradgradcheck(fn, x)


def test_gradgradcheck_call_forms(rng):
    a, b = leaf(rng.standard_normal((2, 3))), leaf(rng.standard_normal(3))
    fn = lambda x, y: (x * y).tanh() * y  # noqa: E731
    v = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    assert gradgradcheck(fn, (a, b))
    assert gradgradcheck(fn, (a, b), (v,), eps=1e-6, atol=1e-5, rtol=1e-3)  # PyTorch's positional grad_outputs
    assert gradgradcheck(fn, (a, b), v)
    assert gradgradcheck(fn, a, b, grad_outputs=[v], raise_exception=True, nondet_tol=0.0)  # this module's form
    assert gradgradcheck(fn, inputs=[a, b], grad_outputs=Tensor(rng.standard_normal((2, 3))))  # v not checked
    assert gradgradcheck(lambda x: x.tanh(), a, fast_mode=True)
    assert gradgradcheck(lambda x, y: (x * y, (x * x).sum(1), y.exp()), a, b)  # several outputs
    with pytest.raises(TypeError, match="only grad_outputs may follow"):
        gradgradcheck(fn, (a, b), (v,), (v,))
    with pytest.raises(ValueError, match="2 grad_outputs for 1 outputs"):
        gradgradcheck(fn, (a, b), (v, v))
    assert gradgradcheck(lambda x: DetachedGrad.apply(x, hide="x"), (a,), raise_exception=False) is False


def test_gradgradcheck_leaves_the_callers_tensors_alone():
    x = leaf([1.0, 2.0])
    assert gradgradcheck(lambda a: (a * a * a).sum(), x)
    assert x.grad is None and x.is_leaf
    assert_close(x, [1.0, 2.0])


# ---- the hypothesis strategies ------------------------------------------------------------------------------
bounds = st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(1, 3), st.integers(0, 2)).map(
    lambda b: dict(min_dims=b[0], max_dims=b[0] + b[1], min_side=b[2], max_side=b[2] + b[3]))


@given(options=bounds, data=st.data())
def test_shapes_are_within_bounds(options, data):
    shape = data.draw(shapes(**options))
    assert isinstance(shape, tuple)
    assert options["min_dims"] <= len(shape) <= options["max_dims"]
    assert all(options["min_side"] <= n <= options["max_side"] for n in shape)


@given(data=st.data(), dtype=st.sampled_from([np.float64, np.float32]),
       low=st.sampled_from([-3.0, 0.1, 1e-3]), width=st.sampled_from([0.5, 2.7]))
def test_arrays_have_the_dtype_shape_and_bounds(data, dtype, low, width):
    shape = data.draw(shapes())
    a = data.draw(arrays(shape, dtype=dtype, min_value=low, max_value=low + width))
    assert isinstance(a, np.ndarray) and a.dtype == dtype and a.shape == shape
    assert np.all(np.isfinite(a)) and np.all(a >= low) and np.all(a <= low + width)
    b = data.draw(arrays(dtype=dtype, max_dims=2, max_side=3))  # a shape drawn by the strategy itself
    assert b.ndim <= 2 and all(n <= 3 for n in b.shape)


@given(t=tensors(), u=tensors(dtype=np.float32, requires_grad=False, min_value=0.5, max_value=1.0, min_dims=1))
def test_tensors_are_ready_for_gradcheck(t, u):
    assert isinstance(t, Tensor) and t.requires_grad and t.is_leaf and t.dtype == np.float64
    assert np.all(np.abs(t.numpy()) <= 3.0)
    assert not u.requires_grad and u.dtype == np.float32 and u.ndim >= 1
    assert np.all((u.numpy() >= 0.5) & (u.numpy() <= 1.0))


@given(data=st.data(), count=st.integers(1, 4))
def test_broadcastable_shapes_really_broadcast(data, count):
    result = data.draw(broadcastable_shapes(num_shapes=count, max_dims=3, max_side=4))
    assert len(result) == count and all(isinstance(s, tuple) for s in result)
    assert all(len(s) <= 3 and all(1 <= n <= 4 for n in s) for s in result)
    np.broadcast_shapes(*result)  # raises if they do not broadcast
    np.broadcast(*[np.zeros(s) for s in result])


@given(data=st.data(), allow_none=st.booleans())
def test_axes_are_valid(data, allow_none):
    shape = data.draw(shapes())
    axis = data.draw(axes(len(shape), allow_none=allow_none))
    if axis is None:
        assert allow_none
    elif isinstance(axis, tuple):
        assert len(set(a % len(shape) for a in axis)) == len(axis)  # no axis twice
    else:
        assert -len(shape) <= axis < len(shape)
    np.sum(np.zeros(shape), axis=axis)  # numpy accepts it


@given(data=st.data())
def test_basic_indices_index(data):
    shape = data.draw(shapes())
    index = data.draw(basic_indices(shape))
    array = np.arange(float(np.prod(shape))).reshape(shape)
    result = array[index]
    assert np.isscalar(result) or np.shares_memory(result, array) or result.size == 0  # basic: a view


@given(data=st.data())
def test_integer_array_indices_index(data):
    shape = data.draw(shapes(min_dims=1))
    index = data.draw(integer_array_indices(shape, max_length=5))
    assert isinstance(index, tuple) and 1 <= len(index) <= len(shape)
    for part, n in zip(index, shape):
        assert part.dtype.kind == "i" and np.all((-n <= part) & (part < n))
        assert 1 <= part.ndim <= 2 and all(side <= 5 for side in part.shape)
    np.zeros(shape)[index]


@given(data=st.data())
def test_boolean_masks_have_the_shape(data):
    shape = data.draw(shapes())
    mask = data.draw(boolean_masks(shape))
    assert mask.dtype == np.bool_ and mask.shape == shape
    assert np.zeros(shape)[mask].shape == (int(mask.sum()),)


def test_assert_close():
    assert_close(Tensor([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]), rtol=1e-7)
    assert_close(np.array([1.0]), Tensor([1.05]), rtol=0.1)
    assert_close([0.0], [1e-9], atol=1e-8)
    with pytest.raises(AssertionError, match="Mismatched elements: 1 / 2"):
        assert_close(Tensor([1.0, 2.0]), [1.0, 2.1])
    with pytest.raises(AssertionError, match=r"weights shapes differ: \(2,\) vs expected \(1, 2\)"):
        assert_close(np.ones(2), np.ones((1, 2)), message="weights")  # broadcastable is not enough
    with pytest.raises(AssertionError, match="loss"):
        assert_close(1.0, 2.0, message="loss")


def test_without_hypothesis_the_import_error_says_what_to_install():
    # a fresh interpreter in which hypothesis cannot be imported (None in sys.modules blocks the import)
    code = "import sys; sys.modules['hypothesis'] = None; import tinygrad_like.testing"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "ImportError: tinygrad_like.testing needs hypothesis: pip install hypothesis" in last_line
    assert "pip install -e '.[dev]'" in last_line  # what works from a checkout, where the package is not on an index
