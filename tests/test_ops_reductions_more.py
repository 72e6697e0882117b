"""Reductions beyond sum/mean/amax: prod, median and nanmedian, mode, aminmax, nansum, nanmean,
count_nonzero, sum/mean dtypes and the module functions var_mean / std_mean. Values against numpy or a
direct formula, gradients by gradcheck and gradgradcheck (prod also with zeros), edge values, dtypes
and errors, then PyTorch."""
import collections
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Tensor
from tinygrad_like.testing import arrays, assert_close, shapes

small = dict(min_dims=1, max_dims=3, max_side=3)


@st.composite
def with_zeros(draw, **options):
    """A float64 array with some elements set to exactly zero (none, one or several per group)."""
    a = draw(arrays(**options))
    mask = draw(arrays(shape=a.shape, min_value=0.0, max_value=1.0)) < 0.3
    # Tiny non-zero values become zeros too: there the out / x formulas (PyTorch's as well) lose their second
    # derivatives to cancellation.
    return np.where(mask | (np.abs(a) < 0.1), 0.0, a)


def dim_or_none(data, a):
    return data.draw(st.none() | st.integers(-max(a.ndim, 1), max(a.ndim, 1) - 1))


def distinct(data, shape):
    """float64 values of `shape` at least 0.5 apart (ties are kinks, which gradcheck must avoid)."""
    size = int(np.prod(shape))
    order = np.array(data.draw(st.permutations(range(size))), dtype=np.float64).reshape(shape)
    return (order - size / 2) * 0.5 + data.draw(st.floats(0.0, 0.4))


def lane_reference(a, dim, pick):
    """(values, indices) of pick(lane) -> index applied to every 1-d lane of `a` along `dim`."""
    moved = np.moveaxis(a, dim, -1)
    indices = np.zeros(moved.shape[:-1], np.int64)
    for at in np.ndindex(moved.shape[:-1]):
        indices[at] = pick(list(moved[at]))
    return np.take_along_axis(moved, indices[..., None], -1)[..., 0], indices


def median_index(lane):
    """PyTorch's median(dim): the first nan, else the ((n - 1) // 2)-th in order of (value, position)."""
    if any(np.isnan(lane)):
        return next(i for i, v in enumerate(lane) if np.isnan(v))
    return sorted(range(len(lane)), key=lambda i: (lane[i], i))[(len(lane) - 1) // 2]


def nanmedian_index(lane):
    kept = [i for i in range(len(lane)) if not np.isnan(lane[i])]
    return sorted(kept, key=lambda i: (lane[i], i))[(len(kept) - 1) // 2] if kept else 0


def mode_index(lane):
    """The smallest of the most frequent values, at its last position."""
    counts = collections.Counter(lane)
    value = min(v for v in counts if counts[v] == max(counts.values()))
    return max(i for i, v in enumerate(lane) if v == value)


# ---- prod --------------------------------------------------------------------------------------------------
@given(data=st.data())
@settings(max_examples=10)
def test_prod_values_gradients_and_second_derivatives(data):
    a = data.draw(with_zeros(min_dims=0, max_dims=3, max_side=3))
    dim, keepdim = dim_or_none(data, a), data.draw(st.booleans())
    fn = (lambda t: t.prod()) if dim is None else (lambda t: t.prod(dim, keepdim))
    expected = np.prod(a) if dim is None or a.ndim == 0 else np.prod(a, axis=dim, keepdims=keepdim)
    assert_close(fn(Tensor(a)), expected, rtol=1e-12)
    x = Tensor(a, requires_grad=True)
    assert tl.gradcheck(fn, x)
    assert tl.gradgradcheck(fn, x)  # also at zeros


def test_prod_gradient_at_zeros():
    for a in ([2.0, 0.0, 3.0, 4.0], [2.0, 0.0, 3.0, 0.0], [0.0, 0.0, 0.0], [0.0], [1.5, 2.0, 4.0]):
        a = np.array(a)
        x = Tensor(a, requires_grad=True)
        x.prod().backward(Tensor(np.array(2.0)))
        others = [2.0 * np.prod(np.delete(a, k)) for k in range(a.size)]  # d prod / d x_k, times 2
        assert_close(x.grad, others, rtol=1e-12)
    x = Tensor(np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 3.0]]), requires_grad=True)
    x.prod(1).sum().backward()
    assert_close(x.grad, [[6.0, 0.0, 0.0], [0.0, 0.0, 0.0], [6.0, 3.0, 2.0]])
    x.grad = None
    x.prod(axis=(0, 1)).backward()  # numpy's tuple of axes
    assert_close(x.grad, np.zeros((3, 3)))


def test_prod_dtypes_and_empty_inputs():
    assert tl.tensor([[1, 2], [3, 4]], dtype=tl.int32).prod().dtype == np.int64
    assert tl.tensor([True, True]).prod().tolist() == 1 and tl.tensor([True]).prod().dtype == np.int64
    assert tl.tensor([200, 2], dtype=tl.uint8).prod().item() == 400
    assert tl.tensor([1.5, 2.0]).prod(0, dtype=tl.float64).dtype == np.float64
    assert tl.tensor([1.5, 2.5]).prod(dtype=tl.int64).item() == 2  # cast first, as PyTorch
    assert tl.tensor([1.5, 2.0]).prod().dtype == np.float32
    x = Tensor(np.zeros((0, 2)), requires_grad=True)
    out = x.prod(0)
    assert_close(out, [1.0, 1.0])
    out.sum().backward()
    assert x.grad.shape == (0, 2)
    assert tl.tensor(3.0).prod(0).shape == () and tl.tensor(3.0).prod(-1, keepdim=True).shape == ()


# ---- median, nanmedian, mode -------------------------------------------------------------------------------
def tied(options=small):
    """Arrays of few distinct values (many ties)."""
    return arrays(**options, min_value=-2, max_value=2).map(np.round)


@pytest.mark.parametrize("name, pick", [("median", median_index), ("nanmedian", nanmedian_index),
                                        ("mode", mode_index)])
@given(data=st.data())
@settings(max_examples=10)
def test_selections_along_a_dim(name, pick, data):
    a = data.draw(tied())
    if name != "mode" and data.draw(st.booleans()):
        a = np.where(data.draw(arrays(shape=a.shape, min_value=0, max_value=1)) < 0.3, np.nan, a)
    dim, keepdim = data.draw(st.integers(-a.ndim, a.ndim - 1)), data.draw(st.booleans())
    values, indices = getattr(Tensor(a), name)(dim, keepdim)
    expected_values, expected_indices = lane_reference(a, dim, pick)
    if keepdim:
        expected_values, expected_indices = np.expand_dims(expected_values, dim), np.expand_dims(expected_indices, dim)
    assert_close(values, expected_values)
    assert_close(indices, expected_indices)
    assert indices.dtype == np.int64 and type(getattr(tl, name)(Tensor(a), dim)).__name__ == name
    x = Tensor(a, requires_grad=True)
    getattr(x, name)(dim, keepdim).values.backward(Tensor(np.ones(values.shape)))
    chosen = np.zeros(a.shape)
    np.put_along_axis(chosen, np.expand_dims(expected_indices, dim) if not keepdim else expected_indices, 1.0, dim)
    assert_close(x.grad, chosen)  # the gradient goes to the chosen index only


@pytest.mark.parametrize("name", ["median", "nanmedian", "mode"])
@given(data=st.data())
@settings(max_examples=10)
def test_selections_gradcheck(name, data):
    a = distinct(data, data.draw(shapes(**small)))
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    x = Tensor(a, requires_grad=True)
    assert tl.gradcheck(lambda t: getattr(t, name)(dim).values, x)
    assert tl.gradgradcheck(lambda t: getattr(t, name)(dim).values, x)
    if name != "mode":
        assert tl.gradcheck(lambda t: getattr(t, name)(), x)


@given(a=tied(dict(min_dims=0, max_dims=3, max_side=3)))
@settings(max_examples=10)
def test_global_median_is_the_lower_median_and_ties_share_the_gradient(a):
    x = Tensor(a, requires_grad=True)
    out = x.median()
    expected = np.sort(a, axis=None)[(a.size - 1) // 2]
    assert out.shape == () and out.item() == expected
    out.backward()
    assert_close(x.grad, (a == expected) / np.sum(a == expected))
    assert x.nanmedian().item() == expected


def test_median_and_nanmedian_with_nans_and_empty_inputs():
    nan = np.nan
    a = np.array([[1.0, nan, 2.0, nan], [3.0, 1.0, 2.0, 0.0]])
    x = Tensor(a, requires_grad=True)
    out = x.median()
    assert np.isnan(out.item())
    out.backward()
    assert_close(x.grad, [[0.0, 0.5, 0.0, 0.5], [0.0] * 4])  # a nan median: the nans share the gradient
    assert x.nanmedian().item() == 1.0
    values, indices = x.median(1)
    assert_close(values, [nan, 1.0])
    assert indices.tolist() == [1, 1]
    values, indices = Tensor(np.array([[nan, nan], [nan, 4.0]])).nanmedian(1)
    assert_close(values, [nan, 4.0])
    assert indices.tolist() == [0, 1]
    assert np.isnan(Tensor(np.zeros(0)).median().item()) and np.isnan(tl.tensor([nan]).nanmedian().item())
    values, indices = Tensor(np.zeros((2, 0))).median(0)
    assert values.shape == indices.shape == (0,)
    values, indices = tl.tensor(5.0).median(0, keepdim=True)
    assert values.shape == indices.shape == () and values.item() == 5.0 and indices.item() == 0
    ints = tl.tensor([[3, 1, 2, 4]])
    assert ints.median().item() == 2 and ints.median().dtype == np.int64 and ints.median(1).values.tolist() == [2]
    assert ints.mode(keepdim=True).indices.shape == (1, 1)


def test_mode():
    a = np.array([[5.0, 2.0, 2.0, 7.0, 2.0, 1.0, 1.0], [3.0, 1.0, 3.0, 1.0, 0.0, 4.0, 4.0]])
    values, indices = Tensor(a).mode()  # dim=-1 by default
    assert values.tolist() == [2.0, 1.0] and indices.tolist() == [4, 3]  # smallest of the most frequent, last index
    values, indices = tl.mode(Tensor(a), 0)
    assert values.tolist() == [3.0, 1.0, 2.0, 1.0, 0.0, 1.0, 1.0] and indices.tolist() == [1, 1, 0, 1, 1, 0, 0]
    values, indices = tl.tensor(2.5).mode()
    assert values.shape == () and values.item() == 2.5 and indices.item() == 0


# ---- aminmax, nansum, nanmean, count_nonzero ----------------------------------------------------------------
@given(data=st.data())
@settings(max_examples=10)
def test_aminmax(data):
    a = data.draw(arrays(min_dims=0, max_dims=3, max_side=3))
    dim, keepdim = dim_or_none(data, a), data.draw(st.booleans())
    low, high = tl.aminmax(Tensor(a), dim=dim, keepdim=keepdim)
    axis = None if a.ndim == 0 else dim
    assert_close(low, np.min(a, axis=axis, keepdims=keepdim))
    assert_close(high, np.max(a, axis=axis, keepdims=keepdim))
    x = Tensor(distinct(data, a.shape), requires_grad=True)
    assert tl.gradcheck(lambda t: tuple(t.aminmax(dim=dim, keepdim=keepdim)), x)


def test_aminmax_ties_share_the_gradient():
    x = Tensor(np.array([[1.0, 3.0, 3.0], [1.0, 1.0, 2.0]]), requires_grad=True)
    low, high = x.aminmax(dim=1)
    (low.sum() * 2 + high.sum()).backward()
    assert_close(x.grad, [[2.0, 0.5, 0.5], [1.0, 1.0, 1.0]])
    result = x.aminmax()
    assert type(result).__name__ == "aminmax" and result.min.item() == 1.0 and result.max.item() == 3.0


@given(data=st.data())
@settings(max_examples=10)
def test_nansum_nanmean(data):
    a = data.draw(arrays(**small))
    a = np.where(data.draw(arrays(shape=a.shape, min_value=0, max_value=1)) < 0.3, np.nan, a)
    dim, keepdim = dim_or_none(data, a), data.draw(st.booleans())
    x = Tensor(a, requires_grad=True)
    assert_close(x.nansum(dim, keepdim), np.nansum(a, axis=dim, keepdims=keepdim), rtol=1e-12, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy warns of a group of nans
        expected = np.nanmean(a, axis=dim, keepdims=keepdim)
    out = x.nanmean(dim, keepdim)
    assert_close(out, expected, rtol=1e-12, atol=1e-12)
    out.sum().backward()
    kept = ~np.isnan(a)
    count = np.sum(kept, axis=dim, keepdims=True)
    assert_close(x.grad, np.where(kept, 1 / np.maximum(count, 1), 0.0), rtol=1e-12)  # nans get no gradient


def test_nan_reductions_dtypes_and_gradcheck():
    ints = tl.tensor([[1, 2], [3, 4]], dtype=tl.int32)
    assert ints.nansum().dtype == np.int64 and ints.nansum().item() == 10
    assert ints.nanmean(dtype=tl.float64).item() == 2.5
    assert tl.tensor([1.0, np.nan]).nansum(dtype=tl.float64).dtype == np.float64
    assert np.isnan(tl.tensor([np.nan, np.nan]).nanmean().item())
    x = Tensor(np.array([[0.5, -1.0, 2.0], [1.0, 3.0, -2.0]]), requires_grad=True)
    for fn in (lambda t: t.nansum(1), lambda t: t.nanmean(0, keepdim=True)):
        assert tl.gradcheck(fn, x)
        assert tl.gradgradcheck(fn, x)


@given(data=st.data())
@settings(max_examples=10)
def test_count_nonzero(data):
    a = data.draw(tied(dict(min_dims=0, max_dims=3, max_side=3)))
    dims = [None] + list(range(-a.ndim, a.ndim)) + ([(0, -1)] if a.ndim > 1 else [])
    for dim in dims:
        out = tl.count_nonzero(Tensor(a), dim)
        assert out.dtype == np.int64
        assert_close(out, np.count_nonzero(a, axis=dim))
    assert tl.tensor(0.0).count_nonzero(0).item() == 0


# ---- sum and mean dtypes, var_mean and std_mean ----------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int16", "int32", "int64"])
def test_sum_of_bools_and_integers_is_int64(dtype):
    a = np.array([[1, 0, 1], [1, 1, 0]]).astype(dtype)
    assert tl.tensor(a).sum().dtype == np.int64 and tl.tensor(a).sum().item() == 4
    assert tl.tensor(a).sum(0).tolist() == [2, 1, 1]
    assert tl.tensor(a).sum(dtype=tl.float32).dtype == np.float32


def test_sum_and_mean_dtype_keyword():
    x = Tensor(np.array([1.5, 2.5], np.float32), requires_grad=True)
    total = x.sum(dtype=tl.float64)
    assert total.dtype == np.float64
    total.backward()
    assert x.grad.dtype == np.float32
    assert tl.tensor([1.5, 2.5]).sum(dtype=tl.int64).item() == 3
    assert tl.tensor([1, 2]).mean(dtype=tl.float64).dtype == np.float64
    assert tl.mean(tl.tensor([[1.0, 2.0]]), dim=1, dtype=tl.float64).tolist() == [1.5]
    with pytest.raises(TypeError, match=r"mean\(\): needs a floating dtype, got int64"):
        tl.tensor([1.0, 2.0]).mean(dtype=tl.int64)


@pytest.mark.parametrize("name, reference", [("var_mean", np.var), ("std_mean", np.std)])
@given(data=st.data())
@settings(max_examples=10)
def test_var_mean_std_mean(name, reference, data):
    a = data.draw(arrays(min_dims=1, max_dims=3, max_side=3, min_side=2))
    dim, keepdim = dim_or_none(data, a), data.draw(st.booleans())
    correction = data.draw(st.sampled_from([0, 1]))
    fn = getattr(tl, name)
    first, mean = fn(Tensor(a), dim, correction=correction, keepdim=keepdim)
    assert_close(first, reference(a, axis=dim, ddof=correction, keepdims=keepdim), rtol=1e-10, atol=1e-12)
    assert_close(mean, np.mean(a, axis=dim, keepdims=keepdim), rtol=1e-12, atol=1e-12)
    assert_close(fn(Tensor(a), dim, bool(correction), keepdim)[0], first, rtol=1e-12)  # unbiased=
    assume(name == "var_mean" or np.all(np.ptp(a, axis=dim) > 1e-3))  # std's kink at 0
    x = Tensor(a, requires_grad=True)
    assert tl.gradcheck(lambda t: fn(t, dim, correction=correction), x)


def test_var_mean_forms():
    a = np.array([[1.0, 2.0, 4.0], [0.0, 1.0, 5.0]])
    variance, mean = tl.var_mean(Tensor(a), False)  # PyTorch's old var_mean(input, unbiased)
    assert_close(variance, np.var(a))
    assert_close(mean, np.mean(a))
    pair = tl.std_mean(a.tolist(), dim=1)
    assert type(pair) is tuple and pair[0].dtype == np.float32
    with pytest.raises(TypeError, match=r"std_mean\(\): give either unbiased or correction"):
        tl.std_mean(Tensor(a), 0, True, correction=0)


@pytest.mark.parametrize("call, error, message", [
    (lambda x: x.median(dim=1), IndexError, r"median\(\): nothing to choose from along axis 1 of a tensor of shape \(2, 0\)"),
    (lambda x: x.mode(), IndexError, r"mode\(\): nothing to choose from along axis 1"),
    (lambda x: x.aminmax(), IndexError, r"aminmax\(\): nothing to reduce along the tensor of shape \(2, 0\)"),
    (lambda x: x.aminmax(dim=1), IndexError, r"aminmax\(\): nothing to reduce along axis 1"),
    (lambda x: x.median((0, 1)), TypeError, r"median\(\): dim must be one int"),
    (lambda x: x.prod(2), IndexError, r"prod\(\): axis 2 is out of range for a tensor of shape \(2, 0\)"),
    (lambda x: x.count_nonzero(-3), IndexError, r"count_nonzero\(\): axis -3 is out of range"),
    (lambda x: x.long().nanmean(), TypeError, r"nanmean\(\): needs a floating dtype, got int64"),
    (lambda x: x.long().median(), ValueError, r"median\(\): an empty int64 tensor has no median"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(Tensor(np.zeros((2, 0))))


# ---- against PyTorch ----------------------------------------------------------------------------------------
def values_of(t):
    return t.detach().numpy() if hasattr(t, "detach") else t.numpy()


def assert_same(ours, theirs, name):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), name
        if hasattr(theirs, "_fields") or type(theirs).__module__ == "torch.return_types":
            assert type(ours).__name__ == type(theirs).__name__, name
        for a, b in zip(ours, theirs):
            assert_same(a, b, name)
        return
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch.")), name
    assert_close(ours, values_of(theirs), rtol=1e-12, atol=1e-300, message=name)


CALLS = {  # name: (arguments with a dim, arguments without)
    "prod": lambda d, k: ((d, k), ()), "median": lambda d, k: ((d, k), ()), "nanmedian": lambda d, k: ((d, k), ()),
    "mode": lambda d, k: ((d, k), ()), "nansum": lambda d, k: ((d, k), ()), "nanmean": lambda d, k: ((d, k), ()),
    "count_nonzero": lambda d, k: ((d,), ()), "sum": lambda d, k: ((d, k), ()), "mean": lambda d, k: ((d, k), ()),
}


@pytest.mark.torch
@given(data=st.data())
@settings(max_examples=25)
def test_match_pytorch(data):
    torch = pytest.importorskip("torch")
    a = data.draw(arrays(min_dims=0, max_dims=3, max_side=4, min_value=-2, max_value=2).map(np.round)
                  | with_zeros(min_dims=0, max_dims=3, max_side=4))
    if data.draw(st.booleans()):
        a = np.where(data.draw(arrays(shape=a.shape, min_value=0, max_value=1)) < 0.2, np.nan, a)
    dim, keepdim = data.draw(st.integers(-max(a.ndim, 1), max(a.ndim, 1) - 1)), data.draw(st.booleans())
    for name, arguments in CALLS.items():
        for args in arguments(dim, keepdim):
            if name == "mode" and (np.isnan(a).any() or (a.ndim and a.shape[dim] > 16)):
                continue  # PyTorch's mode is unspecified with nans and sorts longer lanes unstably
            x, t = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
            with np.errstate(all="ignore"):
                ours, theirs = getattr(tl, name)(x, *args), getattr(torch, name)(t, *args)
            # Groups of nans only: PyTorch's nanmedian index there is arbitrary (nans are unordered in its
            # nth_element) and its nanmean gradient nan, where ours is 0.
            nans = np.isnan(a).all(axis=dim if args and a.ndim else None, keepdims=bool(args) and keepdim)
            if name == "nanmedian" and args and np.any(nans):
                assert_same(ours.values, theirs.values, name)
                assert_close(ours.indices.numpy()[~nans], theirs.indices.numpy()[~nans])
            else:
                assert_same(ours, theirs, f"{name}{args}")
            ours, theirs = (ours[0], theirs[0]) if isinstance(theirs, tuple) else (ours, theirs)
            if ours.requires_grad and not (name in ("nanmean", "nanmedian") and np.any(nans)):
                g = np.cos(np.arange(ours.numel()) + 0.5).reshape(ours.shape)
                with np.errstate(all="ignore"):
                    ours.backward(Tensor(g))
                theirs.backward(torch.tensor(g))
                assert_close(x.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12, message=f"{name}{args}")
    if a.size:
        assert_same(tl.aminmax(Tensor(a)), torch.aminmax(torch.tensor(a)), "aminmax")
        if a.ndim == 0 or a.shape[dim]:
            assert_same(tl.aminmax(Tensor(a), dim=dim, keepdim=keepdim),
                        torch.aminmax(torch.tensor(a), dim=dim, keepdim=keepdim), "aminmax(dim)")


@pytest.mark.torch
@given(data=st.data())
@settings(max_examples=15)
def test_prod_second_derivatives_match_pytorch(data):
    torch = pytest.importorskip("torch")
    a = data.draw(with_zeros(min_dims=1, max_dims=2, max_side=4))
    dim = data.draw(st.none() | st.integers(-a.ndim, a.ndim - 1))
    x, t = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ours_out, theirs_out = (x.prod(), t.prod()) if dim is None else (x.prod(dim), t.prod(dim))
    g = np.sin(np.arange(ours_out.numel()) + 1.0).reshape(ours_out.shape)
    v, u = Tensor(g, requires_grad=True), torch.tensor(g, requires_grad=True)
    (ours,) = tl.autograd.grad(ours_out, x, v, create_graph=True)
    (theirs,) = torch.autograd.grad(theirs_out, t, u, create_graph=True)
    assert_close(ours, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    (ours * ours.sin()).sum().backward()
    (theirs * theirs.sin()).sum().backward()
    assert_close(v.grad, u.grad.numpy(), rtol=1e-10, atol=1e-12)
    if t.grad is None:  # the gradient of a one-element product does not depend on x
        assert x.grad is None or not x.grad.numpy().any()
    else:
        assert_close(x.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float32"])
def test_dtypes_match_pytorch(dtype):
    torch = pytest.importorskip("torch")
    a = np.array([[1, 0, 2], [3, 1, 1]]).astype(dtype)
    for name, args in [("sum", ()), ("sum", (1,)), ("prod", ()), ("prod", (0,)), ("nansum", ()), ("median", ()),
                       ("median", (1,)), ("mode", (0,)), ("count_nonzero", ()), ("aminmax", ())]:
        if dtype == "bool" and name in ("median", "mode", "aminmax"):
            continue  # PyTorch has no median, mode or aminmax of bools
        assert_same(getattr(tl, name)(tl.tensor(a), *args), getattr(torch, name)(torch.tensor(a), *args), name)


@pytest.mark.torch
def test_var_mean_std_mean_match_pytorch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(3).normal(size=(3, 4))
    for fn in ("var_mean", "std_mean"):
        for args, kwargs in [((), {}), ((1,), {}), ((0, True), {}), ((1, False, True), {}), ((False,), {}),
                             (((0, 1),), {"correction": 0}), ((1,), {"correction": 2, "keepdim": True})]:
            assert_same(getattr(tl, fn)(Tensor(a), *args, **kwargs), getattr(torch, fn)(torch.tensor(a), *args, **kwargs),
                        f"{fn}{args}{kwargs}")
