"""Pooling: max (PyTorch's indices and tie-breaking), average (ceil_mode, count_include_pad,
divisor_override), adaptive average and max, unpooling and power-average pooling; values against direct
numpy loops, gradients by gradcheck and gradgradcheck (float64), errors, the layers, and PyTorch."""
import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_like as tl
import tinygrad_like.nn.functional as F
from tinygrad_like import Tensor, nn
from tinygrad_like.testing import assert_close


# ---- references: loops over output positions with PyTorch's window rules ------------------------------
def output_size(n, k, s, p, d, ceil_mode):
    o = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    return o - 1 if ceil_mode and (o - 1) * s >= n + p else o


def max_pool_reference(x, kernel, stride, padding, dilation, ceil_mode):
    """Each window's first maximum (a later value wins only if larger, or nan) over the taps inside the input,
    and its flat index in the input plane; a window starts at its first tap inside the input."""
    spatial = x.shape[2:]
    out = [output_size(*args, ceil_mode) for args in zip(spatial, kernel, stride, padding, dilation)]
    values, indices = np.empty(x.shape[:2] + tuple(out)), np.empty(x.shape[:2] + tuple(out), np.int64)
    for position in itertools.product(*map(range, out)):
        best, chosen = None, None
        for tap in itertools.product(*map(range, kernel)):
            at = tuple(o * s - p + t * d for o, t, s, p, d in zip(position, tap, stride, padding, dilation))
            if not all(0 <= a < n for a, n in zip(at, spatial)):
                continue
            value, flat = x[(slice(None), slice(None)) + at], np.ravel_multi_index(at, spatial)
            if best is None:
                best, chosen = value.copy(), np.full(value.shape, flat)
            else:
                better = (value > best) | np.isnan(value)
                best, chosen = np.where(better, value, best), np.where(better, flat, chosen)
        if best is None:  # a window of padding only
            best, chosen = -np.inf, -1
        values[(Ellipsis,) + position], indices[(Ellipsis,) + position] = best, chosen
    return values, indices


def avg_pool_reference(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    spatial = x.shape[2:]
    out = [output_size(n, k, s, p, 1, ceil_mode) for n, k, s, p in zip(spatial, kernel, stride, padding)]
    result = np.zeros(x.shape[:2] + tuple(out))
    for position in itertools.product(*map(range, out)):
        starts = [o * s - p for o, s, p in zip(position, stride, padding)]
        ends = [min(a + k, n + p) for a, k, n, p in zip(starts, kernel, spatial, padding)]
        pool_size = math.prod(e - a for a, e in zip(starts, ends))
        inside = tuple(slice(max(a, 0), min(e, n)) for a, e, n in zip(starts, ends, spatial))
        count = math.prod(max(0, b.stop - b.start) for b in inside)
        if count == 0:
            continue
        divisor = divisor_override or (pool_size if count_include_pad else count)
        result[(Ellipsis,) + position] = x[(Ellipsis,) + inside].sum(axis=tuple(range(2, x.ndim))) / divisor
    return result


def adaptive_reference(x, out, reduce):
    """reduce (np.mean or a max with indices) over PyTorch's windows [floor(i*n/o), ceil((i+1)*n/o))."""
    spatial = x.shape[2:]
    values = np.empty(x.shape[:2] + tuple(out))
    indices = np.empty(x.shape[:2] + tuple(out), np.int64)
    for position in itertools.product(*map(range, out)):
        window = tuple(slice(i * n // o, -(-(i + 1) * n // o)) for i, n, o in zip(position, spatial, out))
        block = x[(Ellipsis,) + window].reshape(x.shape[:2] + (-1,))
        if reduce == "mean":
            values[(Ellipsis,) + position] = block.mean(-1)
            continue
        first = np.argmax(block, -1)  # no nan drawn: the first maximum
        values[(Ellipsis,) + position] = np.take_along_axis(block, first[..., None], -1)[..., 0]
        local = np.unravel_index(first, [w.stop - w.start for w in window])
        indices[(Ellipsis,) + position] = np.ravel_multi_index(
            tuple(w.start + i for w, i in zip(window, local)), spatial)
    return values, indices


# ---- strategies ------------------------------------------------------------------------------------------
@st.composite
def windows(draw, dilated=True):
    nd = draw(st.integers(1, 2))
    kernel = tuple(draw(st.lists(st.integers(1, 3), min_size=nd, max_size=nd)))
    stride = tuple(draw(st.lists(st.integers(1, 2), min_size=nd, max_size=nd)))
    dilation = tuple(draw(st.lists(st.integers(1, 2), min_size=nd, max_size=nd))) if dilated else (1,) * nd
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    size = tuple(draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), max(1, d * (k - 1) + 1 - 2 * p) + 2))
                 for k, d, p in zip(kernel, dilation, padding))
    return kernel, stride, padding, dilation, size, draw(st.booleans()), draw(st.integers(0, 2 ** 16))


def distinct(rng, shape):
    """Values without ties (max pooling is differentiable there), spaced well beyond gradcheck's step."""
    return rng.permutation(math.prod(shape)).reshape(shape) * 0.1 + rng.uniform(-0.01, 0.01, shape)


# ---- max pooling -------------------------------------------------------------------------------------------
@given(windows())
@settings(max_examples=15)
def test_max_pool_values_indices_and_gradients(case):
    kernel, stride, padding, dilation, size, ceil_mode, seed = case
    x = distinct(np.random.default_rng(seed), (2, 2) + size)
    assume(all(output_size(*a, ceil_mode) >= 1 for a in zip(size, kernel, stride, padding, dilation)))
    pool = getattr(F, f"max_pool{len(kernel)}d")
    values, indices = max_pool_reference(x, kernel, stride, padding, dilation, ceil_mode)
    try:
        out, index = pool(Tensor(x), kernel, stride, padding, dilation, ceil_mode=ceil_mode, return_indices=True)
    except tl.ShapeError as error:  # PyTorch returns an out-of-range index for a window of padding only
        assert "holds padding only" in str(error) and (indices < 0).any()
        return
    assert (indices >= 0).all()
    assert_close(out, values) and (index.numpy() == indices).all() and index.dtype == np.int64
    assert tl.gradcheck(lambda t: pool(t, kernel, stride, padding, dilation, ceil_mode=ceil_mode),
                        Tensor(x, requires_grad=True))


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    x = Tensor(np.ones((1, 1, 3, 4)), requires_grad=True)
    out, index = F.max_pool2d(x, 2, stride=1, return_indices=True)
    assert index.tolist() == [[[[0, 1, 2], [4, 5, 6]]]]  # each window's first element
    out.sum().backward()
    assert x.grad.tolist() == [[[[1.0, 1.0, 1.0, 0.0], [1.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]]
    x = Tensor(np.array([[[3.0, 1.0, 3.0, 2.0, 3.0]]]), requires_grad=True)  # overlapping windows share a maximum
    out, index = F.max_pool1d(x, 3, stride=1, return_indices=True)
    assert index.tolist() == [[[0, 2, 2]]]
    out.backward(Tensor(np.array([[[1.0, 10.0, 100.0]]])))
    assert x.grad.tolist() == [[[1.0, 0.0, 110.0, 0.0, 0.0]]]


def test_max_pool_nan_infinities_and_integers():
    nan, inf = np.nan, np.inf
    out, index = F.max_pool1d(Tensor(np.array([[[1.0, nan, nan, 2.0, -1.0, 5.0]]])), 3, return_indices=True)
    assert np.isnan(out.numpy()[0, 0, 0]) and out.numpy()[0, 0, 1] == 5.0
    assert index.tolist() == [[[2, 5]]]  # PyTorch takes the last nan of a window
    out, index = F.max_pool2d(Tensor(np.full((1, 1, 3, 3), -inf)), 2, padding=1, return_indices=True)
    assert index.tolist() == [[[[0, 1], [3, 4]]]]  # only -inf: the window's first element inside the input
    ints = tl.tensor([[[5, -3, 7, 7, -9, 2]]])
    out, index = F.max_pool1d(ints, 2, padding=1, return_indices=True)
    assert out.dtype == np.int64 and out.tolist() == [[[5, 7, 7, 2]]] and index.tolist() == [[[0, 2, 3, 5]]]


@pytest.mark.parametrize("name", ["max_pool2d", "adaptive_max_pool2d"])
def test_max_pool_second_derivatives(name, rng):
    x = Tensor(distinct(rng, (1, 2, 3, 3)), requires_grad=True)
    fn = (lambda t: F.max_pool2d(t, 2, stride=1) ** 2) if name == "max_pool2d" else (
        lambda t: F.adaptive_max_pool2d(t, 2) ** 2)
    assert tl.gradgradcheck(fn, x)


# ---- average pooling ---------------------------------------------------------------------------------------
@given(windows(dilated=False), st.booleans(), st.sampled_from([None, 1, 3]))
@settings(max_examples=15)
def test_avg_pool_values_and_gradients(case, count_include_pad, divisor_override):
    kernel, stride, padding, _, size, ceil_mode, seed = case
    assume(all(output_size(n, k, s, p, 1, ceil_mode) >= 1 for n, k, s, p in zip(size, kernel, stride, padding)))
    x = np.random.default_rng(seed).standard_normal((2, 2) + size)
    nd = len(kernel)
    extra = {} if nd == 1 else {"divisor_override": divisor_override}
    pool = getattr(F, f"avg_pool{nd}d")
    expected = avg_pool_reference(x, kernel, stride, padding, ceil_mode, count_include_pad,
                                  extra.get("divisor_override"))

    def fn(t):
        return pool(t, kernel, stride, padding, ceil_mode, count_include_pad, **extra)

    assert_close(fn(Tensor(x)), expected, rtol=1e-12, atol=1e-15)
    assert tl.gradcheck(fn, Tensor(x, requires_grad=True))


@pytest.mark.parametrize("options", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                     dict(kernel_size=(2, 3), count_include_pad=False, padding=1, divisor_override=2)])
def test_avg_pool_second_derivatives(options, rng):
    x = Tensor(rng.standard_normal((1, 1, 4, 4)), requires_grad=True)
    assert tl.gradgradcheck(lambda t: F.avg_pool2d(t, **options) ** 2, x)


def test_avg_pool_dtypes_and_integer_truncation():
    x = tl.arange(16).reshape(1, 1, 4, 4) - 5
    out = F.avg_pool2d(x, 3, padding=1)
    sums = F.avg_pool2d(x.double(), 3, padding=1, divisor_override=1).numpy()
    assert out.dtype == np.int64 and out.tolist() == np.trunc(sums / 9).astype(np.int64).tolist()  # towards zero
    assert F.avg_pool2d(tl.ones(1, 1, 4, 4), 2).dtype == np.float32
    assert F.adaptive_avg_pool2d(tl.ones(1, 3, 5, 5), 2).dtype == np.float32


# ---- adaptive pooling ----------------------------------------------------------------------------------------
@given(st.integers(1, 2), st.data())
@settings(max_examples=15)
def test_adaptive_pools_values_indices_and_gradients(nd, data):
    size = tuple(data.draw(st.lists(st.integers(1, 5), min_size=nd, max_size=nd)))
    out = tuple(data.draw(st.lists(st.integers(1, 4), min_size=nd, max_size=nd)))
    x = distinct(np.random.default_rng(data.draw(st.integers(0, 999))), (2, 1) + size)
    average, maximum = getattr(F, f"adaptive_avg_pool{nd}d"), getattr(F, f"adaptive_max_pool{nd}d")
    assert_close(average(Tensor(x), out), adaptive_reference(x, out, "mean")[0], rtol=1e-12)
    values, indices = adaptive_reference(x, out, "max")
    result, index = maximum(Tensor(x), out, return_indices=True)
    assert_close(result, values) and (index.numpy() == indices).all()
    assert tl.gradcheck(lambda t: average(t, out), Tensor(x, requires_grad=True))
    assert tl.gradcheck(lambda t: maximum(t, out), Tensor(x, requires_grad=True))


def test_adaptive_avg_pool_second_derivatives_none_sizes_and_unbatched(rng):
    x = Tensor(rng.standard_normal((1, 1, 5, 4)), requires_grad=True)
    assert tl.gradgradcheck(lambda t: F.adaptive_avg_pool2d(t, (3, 2)) ** 2, x)
    assert F.adaptive_avg_pool2d(x, (None, 3)).shape == (1, 1, 5, 3)
    assert F.adaptive_max_pool2d(x, (2, None)).shape == (1, 1, 2, 4)
    assert_close(F.adaptive_avg_pool2d(x[0], 1), x[0].mean((1, 2), keepdim=True), rtol=1e-12)
    assert F.adaptive_avg_pool2d(x, 0).shape == (1, 1, 0, 0)


# ---- unpooling, power-average pooling, unbatched and empty inputs ------------------------------------------
def test_max_unpool_inverts_max_pool_where_it_can(rng):
    x = Tensor(distinct(rng, (2, 3, 4, 5)), requires_grad=True)
    out, index = F.max_pool2d(x, 2, return_indices=True)
    restored = F.max_unpool2d(out, index, 2, output_size=(4, 5))
    kept = np.zeros(x.shape, bool)
    np.put_along_axis(kept.reshape(6, 20), index.numpy().reshape(6, -1), True, 1)
    assert_close(restored, np.where(kept, x.numpy(), 0.0))
    assert F.max_unpool2d(*F.max_pool2d(x[..., :4], 2, return_indices=True), 2).shape == (2, 3, 4, 4)
    assert tl.gradcheck(lambda t: F.max_unpool2d(t, index, 2, output_size=(4, 5)),
                        Tensor(out.numpy(), requires_grad=True))
    line, line_index = F.max_pool1d(Tensor(distinct(rng, (1, 2, 5))), 2, return_indices=True)
    assert tl.gradgradcheck(lambda t: F.max_unpool1d(t, line_index, 2, output_size=(5,)) ** 2,
                            Tensor(line.numpy(), requires_grad=True))
    with pytest.raises(IndexError, match="max_unpool2d: found an invalid max index"):
        F.max_unpool2d(out, index + 100, 2)


def test_lp_pool_is_the_power_mean_times_the_window_size(rng):
    x = rng.uniform(0.5, 2.0, (1, 2, 4, 4))
    expected = avg_pool_reference(x ** 3, (2, 2), (2, 2), (0, 0), False, True, None) * 4
    assert_close(F.lp_pool2d(Tensor(x), 3, 2), expected ** (1 / 3), rtol=1e-12)
    assert tl.gradcheck(lambda t: F.lp_pool1d(t, 2.0, 3, stride=1), Tensor(x[0], requires_grad=True))


@pytest.mark.parametrize("call", [lambda x: F.max_pool2d(x, 2), lambda x: F.avg_pool2d(x, 2, padding=1),
                                  lambda x: F.adaptive_avg_pool2d(x, 3), lambda x: F.adaptive_max_pool2d(x, 3),
                                  lambda x: F.lp_pool2d(x, 2, 2)])
def test_unbatched_and_empty_batch(call, rng):
    x = Tensor(rng.uniform(0.5, 1.5, (2, 3, 5, 4)), requires_grad=True)
    assert_close(call(x[0]), call(x)[0])
    empty = Tensor(np.zeros((0, 3, 5, 4)), requires_grad=True)
    out = call(empty)
    assert out.shape[:2] == (0, 3)
    out.sum().backward()
    assert empty.grad.shape == empty.shape


# ---- errors and layers -----------------------------------------------------------------------------------------
def _x(*shape):
    return tl.ones(*shape)


ERRORS = [
    (lambda: F.max_pool2d(_x(1, 1, 4, 4), 3, padding=2), "max_pool2d: padding \\(2, 2\\) must be non-negative"),
    (lambda: F.max_pool2d(_x(1, 1, 2, 2), 3), "max_pool2d: input of spatial size \\(2, 2\\) .* output size \\(0, 0\\)"),
    (lambda: F.max_pool2d(_x(1, 1, 2, 2), 2, stride=0), "max_pool2d: stride must be positive"),
    (lambda: F.max_pool2d(_x(2, 2), 2), "max_pool2d: expected a 3-D \\(unbatched\\) or 4-D \\(batched\\) input, got "
                                        "shape \\(2, 2\\)"),
    (lambda: F.max_pool2d(_x(1, 1, 0, 2), 2), "max_pool2d: expected an input with non-empty channel and spatial axes"),
    (lambda: F.max_pool1d(_x(1, 1, 1), 2, padding=1, dilation=2), "max_pool1d: .* a window .* holds padding only"),
    (lambda: F.avg_pool2d(_x(1, 1, 4, 4), 2, divisor_override=0), "avg_pool2d: divisor_override must be a non-zero int"),
    (lambda: F.avg_pool2d(_x(1, 1, 4, 4), (2, 2, 2)), "avg_pool2d: kernel_size must be an int or a tuple of 2 ints"),
    (lambda: F.adaptive_avg_pool2d(_x(1, 1, 4, 4), (2, 3, 4)), "adaptive_avg_pool2d: output_size must have 2 entries"),
    (lambda: F.adaptive_avg_pool2d(_x(1, 1, 0, 4), 2), "adaptive_avg_pool2d: expected an input with non-empty"),
    (lambda: F.adaptive_max_pool2d(_x(1, 1, 4, 4), 0), "adaptive_max_pool2d: output_size must be positive"),
    (lambda: F.max_unpool2d(_x(1, 1, 2, 2), tl.zeros(1, 1, 2, 1, dtype=tl.int64), 2), "max_unpool2d: indices must be"),
    (lambda: F.max_unpool2d(_x(1, 1, 2, 2), tl.zeros(1, 1, 2, 2, dtype=tl.int64), 2, output_size=(7, 7)),
     "max_unpool2d: output_size \\(7, 7\\) must be within a stride"),
]


@pytest.mark.parametrize("call, message", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_errors_name_the_op_and_the_shapes(call, message):
    with pytest.raises((ValueError, RuntimeError, TypeError, IndexError), match=message):
        call()


def test_layers_forward_the_functions_and_print_like_torch(rng):
    x = Tensor(distinct(rng, (2, 3, 6, 5)))
    out, index = nn.MaxPool2d(2, return_indices=True)(x)
    assert_close(out, F.max_pool2d(x, 2)) and (index.numpy() == F.max_pool2d(x, 2, return_indices=True)[1].numpy()).all()
    assert_close(nn.MaxUnpool2d(2)(out, index, output_size=x.shape), F.max_unpool2d(out, index, 2, output_size=(6, 5)))
    assert_close(nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)(x),
                 F.avg_pool2d(x, 3, 2, 1, True, False))
    assert_close(nn.AvgPool1d(2)(x[0]), F.avg_pool1d(x[0], 2))
    assert_close(nn.AdaptiveAvgPool2d((2, None))(x), F.adaptive_avg_pool2d(x, (2, 5)))
    assert_close(nn.AdaptiveMaxPool1d(2)(x[0]), F.adaptive_max_pool1d(x[0], 2))
    assert_close(nn.LPPool2d(2, 2)(x), F.lp_pool2d(x, 2, 2))
    volume = nn.Sequential(nn.MaxPool3d(2), nn.AvgPool3d(1), nn.AdaptiveAvgPool3d(1))
    assert volume(x.unsqueeze(0)).shape == (1, 2, 1, 1, 1)
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool1d(2)) == "AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))"
    assert repr(nn.AvgPool2d(2, divisor_override=3)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(nn.AdaptiveMaxPool2d((None, 3))) == "AdaptiveMaxPool2d(output_size=(None, 3))"
    assert repr(nn.MaxUnpool2d(2)) == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert repr(nn.LPPool2d(2, 3)) == "LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"


# ---- against PyTorch ---------------------------------------------------------------------------------------
def _torch():
    return pytest.importorskip("torch")


def _compare(ours, theirs, message="", exact=False):
    assert tuple(ours.shape) == tuple(theirs.shape), message
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), message
    if exact:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=message)
    else:
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=message)


def _run_both(ours_fn, theirs_fn, x, rng, message):
    """Values (and indices) and the input gradient of the same call in both frameworks."""
    torch = _torch()
    mine, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours_fn(mine), theirs_fn(theirs)
    if isinstance(expected, tuple):
        _compare(out[1], expected[1], message + " (indices)", exact=True)
        out, expected = out[0], expected[0]
    _compare(out, expected, message)
    g = rng.standard_normal(tuple(expected.shape))
    out.backward(Tensor(g))
    expected.backward(torch.tensor(g))
    _compare(mine.grad, theirs.grad, message + " (gradient)")


@pytest.mark.torch
def test_pools_match_torch_values_indices_and_gradients():
    torch = _torch()
    functional = torch.nn.functional
    rng = np.random.default_rng(3)
    for trial in range(24):
        nd = int(rng.integers(1, 4))
        kernel = tuple(int(k) for k in rng.integers(1, 4, nd))
        stride = tuple(int(s) for s in rng.integers(1, 3, nd))
        dilation = tuple(int(d) for d in rng.integers(1, 3, nd))
        padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
        ceil_mode = bool(trial % 2)
        size = tuple(int(d * (k - 1) + 1 + rng.integers(0, 3)) for k, d in zip(kernel, dilation))
        x = rng.standard_normal((int(rng.integers(1, 3)), 2) + size)
        if trial % 3 == 0:
            x = np.round(x)  # ties: PyTorch's first maximum
        args = (kernel, stride, padding, dilation, ceil_mode, True)
        if not (functional.max_pool1d if nd == 1 else getattr(functional, f"max_pool{nd}d"))(
                torch.tensor(x), *args)[1].lt(math.prod(size)).all():
            continue  # a window of padding only: PyTorch's index lies outside the input (ours raises)
        _run_both(lambda t: getattr(F, f"max_pool{nd}d")(t, *args),
                  lambda t: getattr(functional, f"max_pool{nd}d")(t, *args), x, rng, f"max_pool {args}")
        options = (kernel, stride, padding, ceil_mode, bool(trial % 3))
        divisor = {} if nd == 1 else {"divisor_override": [None, 2][trial % 2]}
        _run_both(lambda t: getattr(F, f"avg_pool{nd}d")(t, *options, **divisor),
                  lambda t: getattr(functional, f"avg_pool{nd}d")(t, *options, **divisor), x, rng,
                  f"avg_pool {options} {divisor}")
        out = tuple(int(o) for o in rng.integers(1, 5, nd))
        _run_both(lambda t: getattr(F, f"adaptive_avg_pool{nd}d")(t, out),
                  lambda t: getattr(functional, f"adaptive_avg_pool{nd}d")(t, out), x, rng, f"adaptive avg {out}")
        _run_both(lambda t: getattr(F, f"adaptive_max_pool{nd}d")(t, out, True),
                  lambda t: getattr(functional, f"adaptive_max_pool{nd}d")(t, out, True), x, rng, f"adaptive max {out}")


@pytest.mark.torch
def test_unpool_lp_pool_float32_and_layers_match_torch():
    torch = _torch()
    functional = torch.nn.functional
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 6, 7))
    pooled, index = functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    _run_both(lambda t: F.max_unpool2d(t, Tensor(index.numpy()), 2, output_size=(6, 7)),
              lambda t: functional.max_unpool2d(t, index, 2, output_size=(6, 7)), pooled.numpy(), rng, "max_unpool2d")
    positive = np.abs(x) + 0.5
    for norm_type in (1.0, 2.0, 3.5):
        _run_both(lambda t: F.lp_pool2d(t, norm_type, (2, 3), stride=2, ceil_mode=True),
                  lambda t: functional.lp_pool2d(t, norm_type, (2, 3), stride=2, ceil_mode=True), positive, rng,
                  f"lp_pool2d {norm_type}")
    single = x.astype(np.float32)
    for ours, theirs in [(nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
                         (nn.AvgPool2d(2, 1, 1, count_include_pad=False),
                          torch.nn.AvgPool2d(2, 1, 1, count_include_pad=False)),
                         (nn.AvgPool1d(3, ceil_mode=True), torch.nn.AvgPool1d(3, ceil_mode=True)),
                         (nn.AdaptiveAvgPool2d((4, None)), torch.nn.AdaptiveAvgPool2d((4, None))),
                         (nn.AdaptiveMaxPool2d(3), torch.nn.AdaptiveMaxPool2d(3)),
                         (nn.LPPool1d(2, 3), torch.nn.LPPool1d(2, 3)),
                         (nn.MaxPool1d(2, dilation=2), torch.nn.MaxPool1d(2, dilation=2))]:
        assert repr(ours) == repr(theirs)
        data = single[0] if "1d" in repr(ours) else single
        data = np.abs(data) if "LP" in repr(ours) else data
        out, expected = ours(Tensor(data)), theirs(torch.tensor(data))
        assert out.dtype == np.float32 and tuple(out.shape) == tuple(expected.shape)
        np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6, err_msg=repr(ours))
    ints = rng.integers(-20, 20, (1, 2, 5, 5))
    for call in (lambda f, t: f.max_pool2d(t, 2, return_indices=True)[0], lambda f, t: f.avg_pool2d(t, 3, padding=1),
                 lambda f, t: f.avg_pool2d(t, 2, ceil_mode=True, count_include_pad=False)):
        _compare(call(F, Tensor(ints)), call(functional, torch.tensor(ints)), "integers", exact=True)
