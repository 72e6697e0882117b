"""Every differentiable op: forward values against numpy, gradients against finite differences.

All inputs are float64 (gradcheck's requirement). Inputs are drawn by hypothesis over shapes,
broadcasting, axes and indices; where an op has a kink (relu, abs, clip bounds, maximum/max ties) the
inputs are shifted away from it, so finite differences never straddle one.
"""
import operator

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Tensor, gradcheck, ops
from tinygrad_like.testing import (arrays, assert_close, axes, basic_indices, boolean_masks, broadcastable_shapes,
                                   integer_array_indices, shapes)


# ---- helpers ------------------------------------------------------------------------------------
# gradcheck's defaults, spelt out: central differences on these smooth float64 functions are good to
# ~1e-9, and a gradient that is 0.1% off must fail.
GRAD_ATOL, GRAD_RTOL = 1e-6, 1e-6


def leaf(array):
    return Tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def check(fn, reference, *arrays_):
    """fn on float64 leaves made from `arrays_` matches numpy's `reference` on the arrays, and gradchecks."""
    inputs = [leaf(a) for a in arrays_]
    out = fn(*inputs)
    expected = np.asarray(reference(*[np.array(a, dtype=np.float64) for a in arrays_]))
    assert isinstance(out, Tensor)
    assert out.dtype == np.float64
    assert_close(out, expected, rtol=1e-10, atol=1e-12)
    assert out.requires_grad and not out.is_leaf
    assert gradcheck(fn, *inputs, atol=GRAD_ATOL, rtol=GRAD_RTOL)


def off_grid(a):
    """Odd multiples of 1/8: every value is at least 1/8 from each multiple of 1/4 (0, the clip bounds used
    below, and the values of `on_grid`), so no kink lies within a finite-difference step."""
    return np.floor(np.asarray(a, dtype=np.float64) * 4) / 4 + 0.125


def on_grid(a):
    return np.round(np.asarray(a, dtype=np.float64) * 4) / 4


def positive(a):
    return np.abs(a) + 0.5


def away_from_zero(a):
    return np.where(a < 0, a - 0.5, a + 0.5)


def identity(a):
    return a


def distinct_arrays(**shape_options):
    """Arrays whose elements are pairwise at least 0.25 apart (max/min without ties), in random order."""
    def build(shape):
        size = int(np.prod(shape))
        return st.permutations(range(size)).map(
            lambda order: (np.array(order, dtype=np.float64).reshape(shape) - size / 2) * 0.25)
    return shapes(**shape_options).flatmap(build)


def reduced_count(shape, axis):
    if axis is None:
        return int(np.prod(shape))
    axis = axis if isinstance(axis, tuple) else (axis,)
    return int(np.prod([shape[a] for a in axis]))


# ---- element-wise binary ops, with broadcasting -------------------------------------------------
BINARY = {  # name: (op on tensors, numpy reference, fix-up of a, fix-up of b)
    "add": (operator.add, np.add, identity, identity),
    "sub": (operator.sub, np.subtract, identity, identity),
    "mul": (operator.mul, np.multiply, identity, identity),
    "div": (operator.truediv, np.divide, identity, away_from_zero),
    "pow": (operator.pow, np.power, positive, identity),  # a tensor exponent needs a positive base
    "method_add": (Tensor.add, np.add, identity, identity),
    "method_sub": (Tensor.sub, np.subtract, identity, identity),
    "method_mul": (Tensor.mul, np.multiply, identity, identity),
    "method_div": (Tensor.div, np.divide, identity, away_from_zero),
    "method_pow": (Tensor.pow, np.power, positive, identity),
    "maximum": (Tensor.maximum, np.maximum, off_grid, on_grid),
    "minimum": (Tensor.minimum, np.minimum, off_grid, on_grid),
}


@pytest.mark.parametrize("name", BINARY)
@given(data=st.data())
def test_binary_op_with_broadcasting(name, data):
    fn, reference, fix_a, fix_b = BINARY[name]
    shape_a, shape_b = data.draw(broadcastable_shapes())
    a, b = fix_a(data.draw(arrays(shape_a))), fix_b(data.draw(arrays(shape_b)))
    check(fn, reference, a, b)


SCALAR_FORMS = {  # each works on a Tensor and on an ndarray alike, so the numpy reference is the same lambda
    "x + 2.5": (lambda x: x + 2.5, identity),
    "2.5 + x": (lambda x: 2.5 + x, identity),
    "x - 1.5": (lambda x: x - 1.5, identity),
    "1.5 - x": (lambda x: 1.5 - x, identity),
    "x * -2": (lambda x: x * -2, identity),
    "-2 * x": (lambda x: -2 * x, identity),
    "x / 1.5": (lambda x: x / 1.5, identity),
    "1.5 / x": (lambda x: 1.5 / x, away_from_zero),
    "x ** 2": (lambda x: x ** 2, identity),
    "x ** 3": (lambda x: x ** 3, identity),
    "x ** 2.5": (lambda x: x ** 2.5, positive),
    "x ** -1.5": (lambda x: x ** -1.5, positive),
    "x ** 0.5": (lambda x: x ** 0.5, positive),
    "2.0 ** x": (lambda x: 2.0 ** x, identity),
    "0.5 ** x": (lambda x: 0.5 ** x, identity),
    "x * np.float64(3)": (lambda x: x * np.float64(3), identity),
    "np.float64(3) - x": (lambda x: np.float64(3) - x, identity),
    "-x": (lambda x: -x, identity),
    "x.neg()": (lambda x: x.neg() if isinstance(x, Tensor) else -x, identity),
    "x.maximum(0.0)": (lambda x: x.maximum(0.0) if isinstance(x, Tensor) else np.maximum(x, 0.0), off_grid),
    "x.minimum(1.0)": (lambda x: x.minimum(1.0) if isinstance(x, Tensor) else np.minimum(x, 1.0), off_grid),
}


@pytest.mark.parametrize("form", SCALAR_FORMS)
@given(a=arrays())
def test_op_with_python_scalar(form, a):
    fn, fix = SCALAR_FORMS[form]
    check(fn, fn, fix(a))


REFLECTED_WITH_ARRAY = {  # numpy array on the left: numpy must defer to the Tensor's reflected method
    "add": (operator.add, identity, identity),
    "sub": (operator.sub, identity, identity),
    "mul": (operator.mul, identity, identity),
    "div": (operator.truediv, identity, away_from_zero),
    "pow": (operator.pow, positive, identity),
}


@pytest.mark.parametrize("name", REFLECTED_WITH_ARRAY)
@given(data=st.data())
def test_reflected_op_with_numpy_array_on_the_left(name, data):
    op, fix_constant, fix_x = REFLECTED_WITH_ARRAY[name]
    shape_c, shape_x = data.draw(broadcastable_shapes())
    constant = fix_constant(data.draw(arrays(shape_c)))
    check(lambda x: op(constant, x), lambda x: op(constant, x), fix_x(data.draw(arrays(shape_x))))


# ---- element-wise unary ops ---------------------------------------------------------------------
UNARY = {  # name: (op, numpy reference, fix-up of the input)
    "neg": (operator.neg, np.negative, identity),
    "exp": (Tensor.exp, np.exp, identity),
    "log": (Tensor.log, np.log, positive),
    "sqrt": (Tensor.sqrt, np.sqrt, positive),
    "abs": (Tensor.abs, np.abs, off_grid),
    "tanh": (Tensor.tanh, np.tanh, identity),
    "sigmoid": (Tensor.sigmoid, lambda a: 1 / (1 + np.exp(-a)), identity),
    "relu": (Tensor.relu, lambda a: np.where(a > 0, a, 0.0), off_grid),
    "clip": (lambda x: x.clip(-1.0, 1.5), lambda a: np.minimum(np.maximum(a, -1.0), 1.5), off_grid),
    "clip_min": (lambda x: x.clip(min=-0.5), lambda a: np.maximum(a, -0.5), off_grid),
    "clip_max": (lambda x: x.clip(max=0.5), lambda a: np.minimum(a, 0.5), off_grid),
    "clamp": (lambda x: x.clamp(min=-1.0, max=1.0), lambda a: np.minimum(np.maximum(a, -1.0), 1.0), off_grid),
}


@pytest.mark.parametrize("name", UNARY)
@given(a=arrays())
def test_unary_op(name, a):
    fn, reference, fix = UNARY[name]
    check(fn, reference, fix(a))


def test_clip_passes_gradient_only_inside_the_bounds():
    x = leaf([-2.0, -0.5, 0.5, 2.0])
    x.clip(-1.0, 1.0).backward(np.array([1.0, 2.0, 3.0, 4.0]))
    assert_close(x.grad, [0.0, 2.0, 3.0, 0.0])


def test_clip_needs_a_bound():
    with pytest.raises(ValueError, match="at least one of min and max"):
        leaf([1.0]).clip()


@given(data=st.data())
def test_where_with_broadcasting(data):
    shape_c, shape_a, shape_b = data.draw(broadcastable_shapes(num_shapes=3))
    condition = data.draw(boolean_masks(shape_c))
    a, b = data.draw(arrays(shape_a)), data.draw(arrays(shape_b))
    check(lambda x, y: tl.where(condition, x, y), lambda x, y: np.where(condition, x, y), a, b)
    check(lambda x, y: x.where(Tensor(condition), y), lambda x, y: np.where(condition, x, y), a, b)
    check(lambda x: tl.where(condition, x, 0.5), lambda x: np.where(condition, x, 0.5), a)


# ---- reductions -------------------------------------------------------------------------------------
REDUCTIONS = {  # name: (numpy reference, input strategy)
    "sum": (np.sum, arrays()),
    "mean": (np.mean, arrays()),
    "amax": (np.max, distinct_arrays()),
    "amin": (np.min, distinct_arrays()),
}


@pytest.mark.parametrize("name", REDUCTIONS)
@given(data=st.data())
def test_reduction_over_axes(name, data):
    reference, inputs = REDUCTIONS[name]
    a = data.draw(inputs)
    axis, keepdims = data.draw(axes(a.ndim)), data.draw(st.booleans())
    expected = lambda x: reference(x, axis=axis, keepdims=keepdims)  # noqa: E731
    check(lambda x: getattr(x, name)(axis, keepdims), expected, a)
    check(lambda x: getattr(x, name)(axis=axis, keepdims=keepdims), expected, a)
    check(lambda x: getattr(x, name)(dim=axis, keepdim=keepdims), expected, a)  # PyTorch's spelling


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_with_a_list_of_axes(name):
    a = np.arange(24.0).reshape(2, 3, 4)
    check(lambda x: getattr(x, name)([0, -1]), lambda x: REDUCTIONS[name][0](x, axis=(0, 2)), a)


@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_amin_share_the_gradient_between_ties(name):
    x = leaf([[1.0, 1.0, -1.0], [2.0, -1.0, -1.0]])
    sign = 1 if name == "amax" else -1  # amin(-x) picks the maxima of x
    getattr(x * sign, name)(axis=1).backward(np.array([6.0, 3.0]))
    assert_close(x.grad, np.array([[3.0, 3.0, 0.0], [3.0, 0.0, 0.0]]) * sign)
    y = leaf([[1.0, 1.0, -1.0], [2.0, -1.0, -1.0]])
    getattr(y, name)().backward()
    assert_close(y.grad, [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]] if name == "amax" else [[0, 0, 1 / 3], [0, 1 / 3, 1 / 3]])


@pytest.mark.parametrize("name", ["max", "min"])
@given(data=st.data())
def test_max_min_along_a_dim_return_values_and_indices(name, data):
    a = data.draw(distinct_arrays(min_dims=1))
    dim, keepdim = data.draw(st.integers(-a.ndim, a.ndim - 1)), data.draw(st.booleans())
    reference, arg = (np.max, np.argmax) if name == "max" else (np.min, np.argmin)
    values, indices = getattr(Tensor(a), name)(dim, keepdim)
    assert_close(indices, np.expand_dims(arg(a, axis=dim), dim) if keepdim else arg(a, axis=dim))
    assert indices.dtype == np.int64
    check(lambda x: getattr(x, name)(dim=dim, keepdim=keepdim).values,
          lambda x: reference(x, axis=dim, keepdims=keepdim), a)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_along_a_dim_send_the_gradient_to_the_chosen_index(name):
    x = leaf([[1.0, 1.0, -1.0], [2.0, -1.0, -1.0]])
    sign = 1 if name == "max" else -1
    result = getattr(x * sign, name)(dim=1)
    assert_close(result.indices, [0, 0])  # the first of tied extremes, as PyTorch's CPU kernels pick
    result.values.backward(np.array([6.0, 3.0]))
    assert_close(x.grad, np.array([[6.0, 0.0, 0.0], [3.0, 0.0, 0.0]]) * sign)  # only the chosen index
    assert_close(getattr(x, name)(), 2.0 if name == "max" else -1.0)
    assert_close(getattr(x, name)(Tensor(np.zeros(3))), np.maximum(x.numpy(), 0) if name == "max"
                 else np.minimum(x.numpy(), 0))
    with pytest.raises(TypeError, match=rf"{name}\(dim\): dim must be one int.*a{name}"):
        getattr(x, name)(dim=(0, 1))


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_split_ties_evenly(name):
    a, b = leaf([1.0, 2.0, 3.0]), leaf([1.0, 0.0, 4.0])
    getattr(a, name)(b).backward(np.array([2.0, 2.0, 2.0]))
    a_wins = [1.0, 2.0, 0.0] if name == "maximum" else [1.0, 0.0, 2.0]
    assert_close(a.grad, a_wins)
    assert_close(b.grad, 2.0 - np.array(a_wins))


@given(data=st.data())
def test_var_with_correction(data):
    a = data.draw(arrays())
    axis, keepdims = data.draw(axes(a.ndim)), data.draw(st.booleans())
    correction = data.draw(st.sampled_from([0, 1, 2]))
    assume(reduced_count(a.shape, axis) > correction)
    expected = lambda x: np.var(x, axis=axis, keepdims=keepdims, ddof=correction)  # noqa: E731
    check(lambda x: x.var(axis, keepdims, correction), expected, a)
    check(lambda x: x.var(axis=axis, keepdims=keepdims, ddof=correction), expected, a)  # numpy's spelling
    check(lambda x: x.var(dim=axis, keepdim=keepdims, correction=correction), expected, a)


def test_var_is_unbiased_by_default():
    a = np.array([[1.0, 2.0, 4.0], [0.0, -3.0, 5.0]])
    check(lambda x: x.var(), lambda x: np.sum((x - x.mean()) ** 2) / 5, a)
    check(lambda x: x.var(1), lambda x: np.sum((x - x.mean(1, keepdims=True)) ** 2, axis=1) / 2, a)


# ---- softmax family ---------------------------------------------------------------------------------
def softmax_reference(a, axis):
    e = np.exp(a)  # inputs within [-3, 3]: no shift needed in the reference
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax_reference(a, axis):
    return a - np.log(np.exp(a).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("name, reference", [("softmax", softmax_reference), ("log_softmax", log_softmax_reference)])
@given(data=st.data())
def test_softmax_family(name, reference, data):
    a = data.draw(arrays(min_dims=1))
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    check(lambda x: getattr(x, name)(axis), lambda x: reference(x, axis), a)
    check(lambda x: getattr(x, name)(dim=axis), lambda x: reference(x, axis), a)
    if axis in (-1, a.ndim - 1):
        check(lambda x: getattr(x, name)(), lambda x: reference(x, -1), a)


@given(data=st.data())
def test_logsumexp(data):
    a = data.draw(arrays())
    axis, keepdims = data.draw(axes(a.ndim)), data.draw(st.booleans())
    expected = lambda x: np.log(np.exp(x).sum(axis=axis, keepdims=keepdims))  # noqa: E731
    check(lambda x: x.logsumexp(axis, keepdims), expected, a)
    check(lambda x: x.logsumexp(dim=axis, keepdim=keepdims), expected, a)


def test_softmax_family_is_finite_for_huge_logits():
    a = np.array([[1000.0, 1000.0], [-1000.0, 0.0]])
    assert_close(leaf(a).softmax(-1), [[0.5, 0.5], [0.0, 1.0]])
    assert_close(leaf(a).log_softmax(-1), [[-np.log(2), -np.log(2)], [-1000.0, 0.0]])
    assert_close(leaf(a).logsumexp(1), [1000.0 + np.log(2), 0.0])
    with np.errstate(divide="ignore"):  # log(0) is the right answer for a row of -inf
        assert_close(leaf(np.full(3, -np.inf)).logsumexp(), -np.inf)


# ---- matrix products --------------------------------------------------------------------------------
MATMUL_FORMS = {  # name: (shapes from batch shapes (ba, bb) and sizes m, k, n), einsum reference
    "1d@1d": (lambda ba, bb, m, k, n: ((k,), (k,)), "i,i->"),
    "1d@2d": (lambda ba, bb, m, k, n: ((k,), (k, n)), "i,ij->j"),
    "2d@1d": (lambda ba, bb, m, k, n: ((m, k), (k,)), "ij,j->i"),
    "2d@2d": (lambda ba, bb, m, k, n: ((m, k), (k, n)), "ij,jk->ik"),
    "batched": (lambda ba, bb, m, k, n: (ba + (m, k), bb + (k, n)), "...ij,...jk->...ik"),
    "nd@1d": (lambda ba, bb, m, k, n: (ba + (m, k), (k,)), "...ij,j->...i"),
    "1d@nd": (lambda ba, bb, m, k, n: ((k,), bb + (k, n)), "i,...ij->...j"),
}


@pytest.mark.parametrize("form", MATMUL_FORMS)
@given(data=st.data())
def test_matmul(form, data):
    make_shapes, subscripts = MATMUL_FORMS[form]
    batch_a, batch_b = data.draw(broadcastable_shapes(min_dims=0, max_dims=2, max_side=3))
    m, k, n = data.draw(st.tuples(*[st.integers(1, 4)] * 3))
    shape_a, shape_b = make_shapes(batch_a, batch_b, m, k, n)
    a, b = data.draw(arrays(shape_a)), data.draw(arrays(shape_b))
    reference = lambda x, y: np.einsum(subscripts, x, y)  # noqa: E731
    check(operator.matmul, reference, a, b)
    check(Tensor.matmul, reference, a, b)
    check(lambda y: a @ y, lambda y: reference(a, y), b)  # ndarray @ Tensor: numpy defers to __rmatmul__


@given(st.sampled_from([np.float32, np.float64]), st.lists(st.integers(1, 3), max_size=2),
       st.tuples(*[st.integers(1, 70)] * 3), st.sampled_from(["C", "F", "T"]), st.sampled_from(["C", "F", "T"]),
       st.integers(0, 2 ** 32 - 1))
def test_products_take_dot_or_matmul_and_give_matmuls_bits(dtype, leading, sizes, layout_a, layout_b, seed):
    """ops.linalg._product picks ndarray.dot or np.matmul by layout (takes_dot): a matrix product gives
    np.matmul's bits, for C- and F-ordered operands and transposed views ("T"). An operand of more than two
    dimensions is multiplied as one matrix of its rows (np.matmul's own loop over the leading axes may round
    differently: equal to about an ulp)."""
    from tinygrad_like.ops.linalg import _product
    m, k, n = sizes
    rng = np.random.default_rng(seed)

    def operand(shape, layout):
        values = rng.standard_normal(shape).astype(dtype)
        if layout == "T":  # a transposed view of a C-ordered array
            return np.ascontiguousarray(np.swapaxes(values, -1, -2)).swapaxes(-1, -2)
        return np.asarray(values, order=layout)

    a, b = operand((*leading, m, k), layout_a), operand((k, n), layout_b)
    product = _product(a, b)
    if not leading:
        np.testing.assert_array_equal(product, np.matmul(a, b))
        return
    rows = _product(a.reshape(-1, k), b)
    np.testing.assert_array_equal(product, rows.reshape(*leading, m, n))
    np.testing.assert_allclose(product, np.matmul(a, b), rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("x_shape", [(3,), (2, 3), (2, 4, 3)], ids=["1d", "2d", "3d"])
@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "no_bias"])
@given(data=st.data())
def test_fused_linear(x_shape, with_bias, data):
    out_features = data.draw(st.integers(1, 4))
    x, weight = data.draw(arrays(x_shape)), data.draw(arrays((out_features, x_shape[-1])))
    if with_bias:
        bias = data.draw(arrays((out_features,)))
        check(ops.Linear.apply, lambda x, w, b: np.einsum("...i,oi->...o", x, w) + b, x, weight, bias)
    else:
        check(ops.Linear.apply, lambda x, w: np.einsum("...i,oi->...o", x, w), x, weight)


# ---- movement ops -----------------------------------------------------------------------------------
@given(data=st.data())
def test_reshape(data):
    a = data.draw(arrays())
    targets = [(a.size,), a.shape[::-1], (1,) + a.shape + (1,), (-1,), (a.size, 1)]
    targets.append(() if a.size == 1 else (-1, a.shape[-1]))
    target = data.draw(st.sampled_from(targets))
    expected_shape = tuple(a.size // max(1, -int(np.prod(target))) if n == -1 else n for n in target)
    reference = lambda x: x.reshape(expected_shape)  # noqa: E731
    check(lambda x: x.reshape(*target), reference, a)
    check(lambda x: x.reshape(target), reference, a)
    check(lambda x: x.view(list(target)), reference, a)


@given(data=st.data())
def test_transpose_and_permute(data):
    a = data.draw(arrays())
    perm = data.draw(st.permutations(range(a.ndim)))
    signed = tuple(p - a.ndim if negative else p for p, negative in zip(perm, data.draw(
        st.lists(st.booleans(), min_size=a.ndim, max_size=a.ndim))))
    expected = lambda x: np.transpose(x, perm)  # noqa: E731
    if a.ndim != 2:  # two ints are PyTorch's swap of two axes (test_swapaxes)
        check(lambda x: x.transpose(*signed), expected, a)
    check(lambda x: x.transpose(signed), expected, a)
    check(lambda x: x.permute(*perm), expected, a)
    check(lambda x: x.transpose(), lambda x: np.transpose(x), a)
    check(lambda x: x.T, lambda x: np.transpose(x), a)


@given(data=st.data())
def test_swapaxes(data):
    a = data.draw(arrays(min_dims=1))
    first, second = data.draw(st.tuples(*[st.integers(-a.ndim, a.ndim - 1)] * 2))
    check(lambda x: x.swapaxes(first, second), lambda x: np.swapaxes(x, first, second), a)
    check(lambda x: x.transpose(first, second), lambda x: np.swapaxes(x, first, second), a)  # PyTorch's transpose


@given(data=st.data())
def test_flatten(data):
    a = data.draw(arrays(min_dims=1))
    start = data.draw(st.integers(0, a.ndim - 1))
    end = data.draw(st.integers(start, a.ndim - 1))
    merged = a.shape[:start] + (int(np.prod(a.shape[start:end + 1])),) + a.shape[end + 1:]
    check(lambda x: x.flatten(start, end), lambda x: x.reshape(merged), a)
    check(lambda x: x.flatten(start - a.ndim, end - a.ndim), lambda x: x.reshape(merged), a)
    check(lambda x: x.flatten(), lambda x: x.ravel(), a)


@given(a=arrays(max_side=2), data=st.data())
def test_squeeze(a, data):
    check(lambda x: x.squeeze(), np.squeeze, a)
    ones = [i for i, n in enumerate(a.shape) if n == 1]
    if ones:
        chosen = tuple(data.draw(st.lists(st.sampled_from(ones), min_size=1, unique=True)))
        signed = tuple(i - a.ndim for i in chosen)
        check(lambda x: x.squeeze(chosen), lambda x: np.squeeze(x, chosen), a)
        check(lambda x: x.squeeze(dim=signed[0]), lambda x: np.squeeze(x, chosen[0]), a)


@given(a=arrays(), data=st.data())
def test_unsqueeze(a, data):
    dim = data.draw(st.integers(-a.ndim - 1, a.ndim))
    check(lambda x: x.unsqueeze(dim), lambda x: np.expand_dims(x, dim), a)


@given(data=st.data())
def test_expand(data):
    a = data.draw(arrays())
    leading = data.draw(shapes(max_dims=2, max_side=3))
    grown = tuple(data.draw(st.integers(1, 3)) if n == 1 else n for n in a.shape)
    target = leading + grown
    check(lambda x: x.expand(*target), lambda x: np.broadcast_to(x, target), a)
    keep = leading + tuple(-1 if n == g else g for n, g in zip(a.shape, grown))  # -1 keeps a size
    check(lambda x: x.expand(keep), lambda x: np.broadcast_to(x, target), a)


# ---- indexing ---------------------------------------------------------------------------------------
@given(data=st.data())
def test_getitem_basic_indices(data):
    a = data.draw(arrays())
    index = data.draw(basic_indices(a.shape))
    check(lambda x: x[index], lambda x: x[index], a)


def counts_of(index, shape):
    """How often each element of an array of `shape` is picked by integer arrays on its leading axes."""
    counts = np.zeros(shape)
    for position in zip(*[part.ravel() for part in np.broadcast_arrays(*index)]):
        counts[tuple(int(p) % n for p, n in zip(position, shape))] += 1
    return counts


@given(data=st.data())
def test_getitem_integer_arrays_accumulate_repeats(data):
    a = data.draw(arrays(min_dims=1))
    index = data.draw(integer_array_indices(a.shape))
    index = index[:data.draw(st.integers(1, len(index)))]  # index the leading axes only, sometimes
    check(lambda x: x[index], lambda x: x[index], a)
    x = leaf(a)
    x[index].sum().backward()
    assert_close(x.grad, counts_of(index, a.shape))


def test_getitem_repeated_indices_count_explicitly():
    x = leaf(np.arange(5.0))
    x[[0, 2, 2, 4, 2]].backward(np.ones(5))
    assert_close(x.grad, [1.0, 0.0, 3.0, 0.0, 1.0])
    y = leaf(np.zeros((3, 2)))
    y[tl.tensor([2, 2]), 1].sum().backward()
    assert_close(y.grad, [[0.0, 0.0], [0.0, 0.0], [0.0, 2.0]])


@given(data=st.data())
def test_getitem_boolean_masks(data):
    a = data.draw(arrays(min_dims=1))
    leading = data.draw(st.integers(1, a.ndim))
    mask = data.draw(boolean_masks(a.shape[:leading]))
    check(lambda x: x[mask], lambda x: x[mask], a)
    check(lambda x: x[Tensor(mask)], lambda x: x[mask], a)


# ---- joining ----------------------------------------------------------------------------------------
@given(data=st.data())
def test_cat(data):
    base = data.draw(shapes(min_dims=1))
    axis = data.draw(st.integers(-len(base), len(base) - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=4))
    parts = [data.draw(arrays(base[:axis % len(base)] + (n,) + base[axis % len(base) + 1:])) for n in sizes]
    reference = lambda *xs: np.concatenate(xs, axis=axis)  # noqa: E731
    check(lambda *xs: tl.cat(xs, axis), reference, *parts)
    check(lambda *xs: tl.cat(list(xs), dim=axis), reference, *parts)


@given(data=st.data())
def test_stack(data):
    shape = data.draw(shapes())
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    parts = data.draw(st.lists(arrays(shape), min_size=1, max_size=4))
    reference = lambda *xs: np.stack(xs, axis=axis)  # noqa: E731
    check(lambda *xs: tl.stack(xs, axis), reference, *parts)
    check(lambda *xs: tl.stack(list(xs), dim=axis), reference, *parts)


# ---- dtype conversion -------------------------------------------------------------------------------
@pytest.mark.parametrize("start, convert, middle", [
    (np.float32, Tensor.double, np.float64),
    (np.float64, Tensor.float, np.float32),
    (np.float32, lambda t: t.astype(np.float64), np.float64),
    (np.float64, lambda t: t.astype("float32"), np.float32),
], ids=["double", "float", "astype_float64", "astype_float32"])
def test_cast_gives_the_gradient_in_the_inputs_dtype(start, convert, middle):
    x = Tensor(np.array([1.0, -2.0, 3.0], dtype=start), requires_grad=True)
    y = convert(x)
    assert y.dtype == middle and not y.is_leaf
    (y * np.array([0.5, 2.0, -1.0], dtype=middle)).sum().backward()
    assert x.grad.dtype == start and x.grad.shape == x.shape
    assert_close(x.grad, np.array([0.5, 2.0, -1.0], dtype=start))


def test_cast_to_the_same_dtype_is_the_tensor_itself():
    x = leaf([1.0])
    assert x.double() is x
    assert x.astype(np.float64) is x

