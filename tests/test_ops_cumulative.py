"""Cumulative ops: cumsum, cumprod, logcumsumexp, cummax and cummin. Values against numpy or a direct
formula, gradients by gradcheck and gradgradcheck (cumprod also with zeros), edge values, dtypes and
errors, then PyTorch."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Tensor
from tinygrad_like.testing import arrays, assert_close

small = dict(min_dims=1, max_dims=3, max_side=3)


def lanes(a, axis):
    """Each 1-d lane of `a` along `axis`, with the index that puts a lane's values back."""
    moved = np.moveaxis(a, axis, -1)
    for lane in np.ndindex(moved.shape[:-1]):
        yield moved[lane], lane


def running_extreme(a, axis, greater):
    """cummax (greater) or cummin values and indices by PyTorch's loop: an element equal to the running
    extreme, or a nan, takes its place."""
    values, indices = np.moveaxis(a.copy(), axis, -1), np.zeros(np.moveaxis(a, axis, -1).shape, np.int64)
    for lane, at in lanes(a, axis):
        best, where_best = lane[0], 0
        for j, v in enumerate(lane):
            if np.isnan(v) or (not np.isnan(best) and (v >= best if greater else v <= best)):
                best, where_best = v, j
            values[at + (j,)], indices[at + (j,)] = best, where_best
    return np.moveaxis(values, -1, axis), np.moveaxis(indices, -1, axis)


def cumprod_gradient(a, g, axis):
    """d/dx_k of sum(g * cumprod(x)): sum over j >= k of g[j] * prod(x[i] for i <= j, i != k), by brute force."""
    out = np.moveaxis(np.zeros_like(a), axis, -1)
    g = np.moveaxis(g, axis, -1)
    for lane, at in lanes(a, axis):
        for k, j in itertools.product(range(len(lane)), repeat=2):
            if j >= k:
                out[at + (k,)] += g[at + (j,)] * np.prod([lane[i] for i in range(j + 1) if i != k])
    return np.moveaxis(out, -1, axis)


@st.composite
def with_zeros(draw, **options):
    """A float64 array with some elements set to exactly zero (none, one or several per lane)."""
    a = draw(arrays(**options))
    mask = draw(arrays(shape=a.shape, dtype=np.float64, min_value=0.0, max_value=1.0)) < 0.3
    # Tiny non-zero values become zeros too: there the out / x formulas (PyTorch's as well) lose their second
    # derivatives to cancellation.
    return np.where(mask | (np.abs(a) < 0.1), 0.0, a)


def distinct(data, shape):
    """float64 values of `shape` at least 0.5 apart (ties are kinks, which gradcheck must avoid)."""
    size = int(np.prod(shape))
    order = np.array(data.draw(st.permutations(range(size))), dtype=np.float64).reshape(shape)
    return (order - size / 2) * 0.5 + data.draw(st.floats(0.0, 0.4))


def axis_of(data, a):
    return data.draw(st.integers(-max(a.ndim, 1), max(a.ndim, 1) - 1))


# ---- values and gradients -------------------------------------------------------------------------------
SMOOTH = {  # name: (our op, a reference formula)
    "cumsum": (lambda t, d: t.cumsum(d), lambda a, d: np.cumsum(a, axis=d)),
    "cumprod": (lambda t, d: t.cumprod(d), lambda a, d: np.cumprod(a, axis=d)),
    "logcumsumexp": (lambda t, d: t.logcumsumexp(d), lambda a, d: np.log(np.cumsum(np.exp(a), axis=d))),
}


@pytest.mark.parametrize("name", SMOOTH)
@given(data=st.data())
@settings(max_examples=10)
def test_values_gradients_and_second_derivatives(name, data):
    ours, reference = SMOOTH[name]
    a = data.draw(with_zeros(**small) if name == "cumprod" else arrays(**small))
    dim = axis_of(data, a)
    assert_close(ours(Tensor(a), dim), reference(a, dim), rtol=1e-12, atol=1e-12)
    x = Tensor(a, requires_grad=True)
    assert tl.gradcheck(lambda t: ours(t, dim), x)
    assert tl.gradgradcheck(lambda t: ours(t, dim), x)  # for cumprod also at zeros


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@given(data=st.data())
@settings(max_examples=10)
def test_running_extremes(name, data):
    a = data.draw(arrays(**small, min_value=-2, max_value=2).map(np.round))  # many ties
    dim = axis_of(data, a)
    values, indices = getattr(Tensor(a), name)(dim)
    expected_values, expected_indices = running_extreme(a, dim, greater=name == "cummax")
    assert_close(values, expected_values)
    assert_close(indices, expected_indices)
    assert indices.dtype == np.int64 and type(getattr(tl, name)(Tensor(a), dim)).__name__ == name
    assert values.shape == indices.shape == a.shape
    x = Tensor(distinct(data, a.shape), requires_grad=True)
    assert tl.gradcheck(lambda t: getattr(t, name)(dim).values, x)
    assert tl.gradgradcheck(lambda t: getattr(t, name)(dim)[0], x)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_running_extremes_route_the_gradient_to_the_chosen_elements(name):
    sign = 1.0 if name == "cummax" else -1.0
    a = sign * np.array([[1.0, 3.0, 3.0, 2.0, 3.0, np.nan, 5.0], [2.0, 2.0, 1.0, 2.0, 0.0, 4.0, 4.0]])
    x = Tensor(a, requires_grad=True)
    values, indices = getattr(x, name)(1)
    g = np.arange(1.0, 15.0).reshape(2, 7)
    values.backward(Tensor(g))
    expected = np.zeros_like(a)
    np.add.at(expected, (np.arange(2)[:, None], indices.numpy()), g)  # each output's gradient to its index
    assert_close(x.grad, expected)
    assert indices.tolist()[0] == [0, 1, 2, 2, 4, 5, 5]  # ties: the last one; then the nan stays


def test_cumprod_gradient_with_one_and_several_zeros():
    g = np.array([1.0, -2.0, 0.5, 3.0, 1.5])
    for a in ([2.0, 0.0, 3.0, 4.0, 0.5], [2.0, 0.0, 3.0, 0.0, 5.0], [0.0, 0.0, 0.0, 2.0, 1.0],
              [1.5, 2.0, 3.0, 4.0, 0.0], [0.0, 3.0, 0.5, 2.0, 1.0]):
        a = np.array(a)
        x = Tensor(a, requires_grad=True)
        x.cumprod(0).backward(Tensor(g))
        assert_close(x.grad, cumprod_gradient(a, g, 0), rtol=1e-12)
        (first,) = tl.autograd.grad(x.cumprod(0), x, Tensor(g), create_graph=True)  # the recorded formula
        assert_close(first, x.grad, rtol=1e-12)
    a = np.array([[0.0, 2.0, 0.0], [1.0, 0.0, 3.0], [2.0, 5.0, 0.0]])
    g = np.cos(np.arange(9.0)).reshape(3, 3)
    for dim in (0, 1):
        x = Tensor(a, requires_grad=True)
        x.cumprod(dim).backward(Tensor(g))
        assert_close(x.grad, cumprod_gradient(a, g, dim), rtol=1e-12)


def test_logcumsumexp_is_stable():
    x = Tensor(np.array([1e3, 1e3, -1e3, 1e3 + 2]), requires_grad=True)
    out = x.logcumsumexp(0)
    assert_close(out, [1e3, 1e3 + np.log(2), 1e3 + np.log(2), 1e3 + 2 + np.log1p(2 * np.exp(-2.0))], rtol=1e-14)
    out.backward(Tensor(np.array([1.0, -1.0, 2.0, 0.5])))
    assert np.all(np.isfinite(x.grad.numpy()))
    assert tl.gradcheck(lambda t: t.logcumsumexp(0), Tensor(np.array([700.0, 702.0, 699.0]), requires_grad=True))
    inf = np.inf
    assert_close(Tensor(np.array([-inf, -inf, 0.0, -inf])).logcumsumexp(0), [-inf, -inf, 0.0, 0.0])
    x = Tensor(np.array([0.0, -inf, 1.0]), requires_grad=True)
    x.logcumsumexp(0).sum().backward()
    assert_close(x.grad, [2 + 1 / (1 + np.e), 0.0, np.e / (1 + np.e)], rtol=1e-12)  # -inf gets 0
    assert Tensor(np.array([1e3], np.float32)).logcumsumexp(0).dtype == np.float32


def test_zero_dimensional_and_empty_inputs():
    for dim in (0, -1):
        for name in ("cumsum", "cumprod", "logcumsumexp"):
            x = Tensor(np.array(1.5), requires_grad=True)
            out = getattr(x, name)(dim)
            assert out.shape == () and out.item() == 1.5
            out.backward()
            assert x.grad.item() == 1.0
        for name in ("cummax", "cummin"):
            values, indices = getattr(tl.tensor(2.5), name)(dim)
            assert values.shape == indices.shape == () and values.item() == 2.5 and indices.item() == 0
    for name in ("cumsum", "cumprod", "logcumsumexp"):
        x = Tensor(np.zeros((0, 3)), requires_grad=True)
        out = getattr(x, name)(0)
        assert out.shape == (0, 3)
        out.sum().backward()
        assert x.grad.shape == (0, 3)
        assert getattr(Tensor(np.zeros((2, 0))), name)(0).shape == (2, 0)
    values, indices = Tensor(np.zeros((0, 2))).cummax(0)
    assert values.shape == indices.shape == (0, 2) and indices.dtype == np.int64


def test_dtypes():
    ints, bools = tl.tensor([[1, 2], [3, 4]], dtype=tl.int32), tl.tensor([True, False, True])
    for name in ("cumsum", "cumprod"):
        assert getattr(ints, name)(1).dtype == np.int64 and getattr(bools, name)(0).dtype == np.int64
        assert getattr(tl.tensor([1, 2], dtype=tl.uint8), name)(0).dtype == np.int64
        assert getattr(ints, name)(0, dtype=tl.float64).dtype == np.float64
        assert getattr(tl.tensor([1.0, 2.0]), name)(0).dtype == np.float32
    assert ints.cumsum(0).tolist() == [[1, 2], [4, 6]] and bools.cumsum(0).tolist() == [1, 1, 2]
    assert tl.tensor([1.5, 2.5]).cumsum(0, dtype=tl.int64).tolist() == [1, 3]  # cast first, as PyTorch
    x = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    y = x.cumprod(0, dtype=tl.float64)
    y.sum().backward()
    assert y.dtype == np.float64 and x.grad.dtype == np.float32
    values, indices = ints.cummax(0)
    assert values.dtype == np.int32 and indices.dtype == np.int64
    assert bools.cummax(0).indices.tolist() == [0, 0, 2] and bools.cummin(0).values.dtype == np.bool_
    assert_close(tl.cumsum(Tensor([1.0, 2.0]), dim=0), [1.0, 3.0])
    assert_close(Tensor([[1.0, 2.0]]).cumsum(axis=1), [[1.0, 3.0]])  # numpy's name


@pytest.mark.parametrize("call, error, message", [
    (lambda x: x.cumsum(), TypeError, r"cumsum\(\): missing the axis"),
    (lambda x: x.cumprod(2), IndexError, r"cumprod\(\): axis 2 is out of range for a tensor of shape \(2, 2\)"),
    (lambda x: x.cummax((0, 1)), TypeError, r"cummax\(\): dim must be one int"),
    (lambda x: x.cummin(-3), IndexError, r"cummin\(\): axis -3 is out of range"),
    (lambda x: x.long().logcumsumexp(0), TypeError, r"logcumsumexp\(\): expects a floating-point tensor, got int64"),
    (lambda x: x.cumsum(0, dtype="text"), TypeError, "cumsum"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(Tensor(np.ones((2, 2))))


@pytest.mark.parametrize("shape", [(2, 3), (2, 1)])
def test_inputs_are_not_modified_and_gradients_are_not_shared(shape):
    a = np.array([[1.0, 0.0, 2.0], [3.0, 1.0, 0.5]])[:, :shape[1]]
    for name in ("cumsum", "cumprod", "logcumsumexp", "cummax"):
        x = Tensor(a.copy(), requires_grad=True)
        out = getattr(x, name)(1)
        out = out[0] if isinstance(out, tuple) else out
        g = Tensor(np.ones(shape))
        out.backward(g)
        assert_close(x, a)
        assert not np.shares_memory(x.grad.numpy(), g.numpy()) and not np.shares_memory(x.grad.numpy(), a)


# ---- against PyTorch ----------------------------------------------------------------------------------
def special_values(a, data):
    """a with some elements replaced by zeros, ties, infinities and nans."""
    choices = np.array([0.0, 1.0, -1.0, np.inf, -np.inf, np.nan])
    mask = data.draw(arrays(shape=a.shape, min_value=0.0, max_value=1.0)) < 0.3
    picks = data.draw(arrays(shape=a.shape, min_value=0.0, max_value=5.99)).astype(int)
    return np.where(mask, choices[picks], a)


@pytest.mark.torch
@given(data=st.data())
@settings(max_examples=30)
def test_match_pytorch(data):
    torch = pytest.importorskip("torch")
    a = data.draw(arrays(min_dims=0, max_dims=3, max_side=4))
    if data.draw(st.booleans()):
        a = special_values(a, data)
    dim = axis_of(data, a)
    g = np.cos(np.arange(a.size)).reshape(a.shape)
    for name in ("cumsum", "cumprod", "logcumsumexp", "cummax", "cummin"):
        x, t = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        with np.errstate(all="ignore"):
            ours, theirs = getattr(tl, name)(x, dim), getattr(torch, name)(t, dim)
            if name in ("cummax", "cummin"):
                assert type(ours).__name__ == type(theirs).__name__
                assert_close(ours.indices, theirs.indices.numpy(), message=name)
                ours, theirs = ours.values, theirs.values
            assert_close(ours, theirs.detach().numpy(), rtol=1e-12, atol=1e-300, message=name)
            ours.backward(Tensor(g))
            theirs.backward(torch.tensor(g))
        assert_close(x.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12, message=name)


@pytest.mark.torch
@given(data=st.data())
@settings(max_examples=12)
def test_second_derivatives_match_pytorch(data):
    torch = pytest.importorskip("torch")
    a = data.draw(with_zeros(min_dims=1, max_dims=2, max_side=4))
    dim = axis_of(data, a)
    g = np.sin(np.arange(a.size) + 1.0).reshape(a.shape)
    for name in ("cumsum", "cumprod", "logcumsumexp"):
        x, t = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        v, u = Tensor(g, requires_grad=True), torch.tensor(g, requires_grad=True)
        (ours,) = tl.autograd.grad(getattr(x, name)(dim), x, v, create_graph=True)
        (theirs,) = torch.autograd.grad(getattr(t, name)(dim), t, u, create_graph=True)
        (ours * ours.sin()).sum().backward()
        (theirs * theirs.sin()).sum().backward()
        assert_close(v.grad, u.grad.numpy(), rtol=1e-10, atol=1e-12, message=name)
        if t.grad is None:  # cumsum's gradient does not depend on x
            assert x.grad is None or not x.grad.numpy().any()
        else:
            assert_close(x.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12, message=name)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float32"])
def test_dtypes_match_pytorch(dtype):
    torch = pytest.importorskip("torch")
    a = np.array([[1, 0, 2], [3, 1, 1]]).astype(dtype)
    for name in ("cumsum", "cumprod", "cummax", "cummin"):
        ours, theirs = getattr(tl, name)(tl.tensor(a), 1), getattr(torch, name)(torch.tensor(a), 1)
        if name in ("cummax", "cummin"):
            assert_close(ours.indices, theirs.indices.numpy())
            ours, theirs = ours.values, theirs.values
        assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch.")), name
        assert_close(ours, theirs.numpy(), message=name)
