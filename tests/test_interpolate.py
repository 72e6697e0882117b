"""nn.functional.interpolate and the Upsample modules: values against direct formulas (np.interp for the
linear modes, integer arithmetic for nearest, the cubic convolution kernel), gradcheck and gradgradcheck,
the scale_factor / size / recompute_scale_factor rules, non-finite inputs, errors, then PyTorch."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Tensor, nn
from tinygrad_like.nn import functional as F
from tinygrad_like.testing import arrays, assert_close

NDIM = {"nearest": (3, 4, 5), "nearest-exact": (3, 4, 5), "linear": (3,), "bilinear": (4,), "bicubic": (4,),
        "trilinear": (5,)}


def _source(n_in, n_out, align_corners, scale):
    """Where output position j samples the input, in input positions (PyTorch's documented mapping)."""
    j = np.arange(n_out, dtype=np.float64)
    if align_corners:
        return j * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    ratio = 1 / scale if scale else n_in / n_out
    return (j + 0.5) * ratio - 0.5


def _cubic(distance):
    """Keys' cubic convolution kernel with a = -0.75."""
    d, a = np.abs(distance), -0.75
    return np.where(d <= 1, ((a + 2) * d - (a + 3)) * d * d + 1,
                    np.where(d < 2, ((a * d - 5 * a) * d + 8 * a) * d - 4 * a, 0.0))


def reference_axis(x, axis, n_out, mode, align_corners, scale):
    n_in = x.shape[axis]
    moved = np.moveaxis(x, axis, -1)
    if mode == "nearest":  # floor(j * in / out) in exact integer arithmetic (sizes given)
        out = moved[..., np.minimum(np.arange(n_out) * n_in // n_out, n_in - 1)]
    elif mode == "nearest-exact":  # floor((j + 1/2) * in / out)
        out = moved[..., np.minimum((2 * np.arange(n_out) + 1) * n_in // (2 * n_out), n_in - 1)]
    elif mode == "bicubic":
        source = _source(n_in, n_out, align_corners, scale)
        start = np.floor(source)
        out = 0
        for offset in (-1, 0, 1, 2):
            taps = np.clip(start + offset, 0, n_in - 1).astype(int)
            out = out + moved[..., taps] * _cubic(source - (start + offset))
    elif n_out == n_in and not align_corners:
        out = moved  # PyTorch copies an unchanged size
    else:
        source = np.maximum(_source(n_in, n_out, align_corners, scale), 0)
        out = np.apply_along_axis(lambda row: np.interp(source, np.arange(n_in), row), -1, moved)
    return np.moveaxis(out, -1, axis)


def reference(x, sizes, mode, align_corners, scales):
    for axis in range(2, x.ndim):
        x = reference_axis(x, axis, sizes[axis - 2], mode, align_corners, scales[axis - 2])
    return x


@st.composite
def cases(draw, modes=tuple(NDIM)):
    """(mode, input shape, interpolate keyword arguments, output sizes, scales the kernel sees)."""
    mode = draw(st.sampled_from(modes))
    ndim = draw(st.sampled_from(NDIM[mode]))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + tuple(
        draw(st.integers(1, 4 if ndim < 5 else 2)) for _ in range(ndim - 2))
    options = {} if mode.startswith("nearest") else {"align_corners": draw(st.booleans())}
    if mode.startswith("nearest") or draw(st.booleans()):  # nearest by size: exact integer reference
        sizes = [draw(st.integers(1, 6 if ndim < 5 else 3)) for _ in shape[2:]]
        return mode, shape, dict(options, size=tuple(sizes)), sizes, [None] * len(sizes)
    factors = [draw(st.sampled_from([0.5, 1.0, 1.5, 1.7, 2.0, 2.5, 1 / 3])) for _ in shape[2:]]
    sizes = [math.floor(n * f) for n, f in zip(shape[2:], factors)]
    if min(sizes) < 1:
        factors, sizes = [2.0] * len(factors), [2 * n for n in shape[2:]]
    recompute = draw(st.booleans())
    options = dict(options, scale_factor=tuple(factors), recompute_scale_factor=recompute)
    return mode, shape, options, sizes, [None] * len(sizes) if recompute else factors


@given(case=cases(), data=st.data())
@settings(max_examples=12)
def test_values_and_gradients(case, data):
    mode, shape, options, sizes, scales = case
    a = data.draw(arrays(shape=shape))
    expected = reference(a, sizes, mode, options.get("align_corners"), scales)
    x = Tensor(a, requires_grad=True)
    assert_close(F.interpolate(x, mode=mode, **options), expected, rtol=1e-12, atol=1e-12)
    assert tl.gradcheck(lambda t: F.interpolate(t, mode=mode, **options), x)


@pytest.mark.parametrize("mode, shape, options", [
    ("nearest", (1, 2, 3), dict(scale_factor=2.5)), ("linear", (1, 1, 3), dict(size=5, align_corners=True)),
    ("bilinear", (1, 1, 2, 3), dict(scale_factor=(1.5, 0.7))), ("bicubic", (1, 1, 3, 2), dict(size=(4, 3))),
    ("trilinear", (1, 1, 2, 2, 2), dict(scale_factor=1.5))])
def test_second_derivatives(mode, shape, options):
    x = Tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    # linear in the input: the second derivative is zero, the gradient's gradient the resampling itself
    assert tl.gradgradcheck(lambda t: F.interpolate(t, mode=mode, **options) ** 2, x)


def test_scale_factor_maps_positions_unless_recomputed():
    a = np.arange(3.0).reshape(1, 1, 3) ** 2
    by_scale = F.interpolate(Tensor(a), scale_factor=1.7, mode="linear")
    by_size = F.interpolate(Tensor(a), size=5, mode="linear")
    recomputed = F.interpolate(Tensor(a), scale_factor=1.7, mode="linear", recompute_scale_factor=True)
    assert by_scale.shape == by_size.shape == (1, 1, 5)  # floor(3 * 1.7)
    assert_close(by_scale, reference(a, [5], "linear", False, [1.7]), rtol=1e-12)  # positions by 1 / 1.7
    assert_close(recomputed, by_size)  # positions by 3 / 5
    assert not np.allclose(by_scale.numpy(), by_size.numpy())
    # an unchanged size copies in the linear modes, whatever the scale factor says
    assert_close(F.interpolate(Tensor(a), scale_factor=1.2, mode="linear"), a)
    # nearest with an unchanged size still picks by the scale factor: 1 / 1.2 -> positions 0, 0, 1
    assert F.interpolate(Tensor(a), scale_factor=1.2).tolist() == [[[0.0, 0.0, 1.0]]]


def test_dtypes_edges_and_non_finite_values():
    x = tl.ones(1, 1, 2, 2, requires_grad=True)
    y = F.interpolate(x, scale_factor=2, mode="bilinear")
    assert y.dtype == np.float32 and y.shape == (1, 1, 4, 4)
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [[[[4.0, 4.0], [4.0, 4.0]]]]  # weights sum to 4
    image = tl.tensor(np.arange(4, dtype=np.uint8).reshape(1, 1, 2, 2))
    assert F.interpolate(image, size=(2, 4)).dtype == np.uint8
    assert F.interpolate(tl.zeros(0, 2, 3), size=4).shape == (0, 2, 4)  # an empty batch is fine
    row = np.array([[[1.0, np.inf, 3.0, 4.0]]])
    out = F.interpolate(Tensor(row), size=8, mode="linear").numpy()[0, 0]
    # the outputs with a tap on index 1, also of weight 0 (inf * 0 is nan, as in PyTorch)
    reads_inf = np.array([True, True, True, True, True, False, False, False])
    assert np.all(~np.isfinite(out) == reads_inf)
    assert_close(out[~reads_inf], reference(np.array([[[1.0, 0.0, 3.0, 4.0]]]), [8], "linear", False, [None])[0, 0][~reads_inf])
    g = Tensor(np.ones(8)).reshape(1, 1, 8)
    g._data[0, 0, 0] = np.inf
    x = Tensor(np.ones((1, 1, 4)), requires_grad=True)
    F.interpolate(x, size=8, mode="linear").backward(g)
    # output 0 reads index 0 with weight 1 and index 1 with weight 0: inf there, nan (inf * 0) at index 1 only
    assert np.isinf(x.grad.numpy()[0, 0, 0]) and np.isnan(x.grad.numpy()[0, 0, 1])
    assert np.all(np.isfinite(x.grad.numpy()[0, 0, 2:]))
    huge = Tensor(np.full((1, 1, 2), 1e308))
    assert_close(F.interpolate(huge, size=3, mode="linear"), np.full((1, 1, 3), 1e308))


def test_modules():
    x = Tensor(np.random.default_rng(1).standard_normal((1, 2, 3, 3)))
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.Upsample(size=(3, 4), mode="bilinear")) == "Upsample(size=(3, 4), mode='bilinear')"
    assert repr(nn.UpsamplingBilinear2d(scale_factor=2)) == "UpsamplingBilinear2d(scale_factor=2.0, mode='bilinear')"
    assert nn.Upsample(scale_factor=(2, 3)).scale_factor == (2.0, 3.0)
    assert_close(nn.Upsample(size=5, mode="bicubic", align_corners=True)(x),
                 F.interpolate(x, size=5, mode="bicubic", align_corners=True))
    assert_close(nn.UpsamplingNearest2d(scale_factor=2)(x), F.interpolate(x, scale_factor=2))
    assert_close(nn.UpsamplingBilinear2d(size=(4, 5))(x), F.interpolate(x, (4, 5), mode="bilinear", align_corners=True))
    assert list(nn.Upsample(scale_factor=2).parameters()) == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert_close(F.upsample_bilinear(x, scale_factor=2), F.interpolate(x, scale_factor=2, mode="bilinear",
                                                                            align_corners=True))
        assert_close(F.upsample_nearest(x, size=4), F.interpolate(x, size=4))
        assert_close(F.upsample(x, size=4, mode="bilinear"), F.interpolate(x, size=4, mode="bilinear"))


@pytest.mark.parametrize("call, error, message", [
    (lambda x: F.interpolate(x, size=4, align_corners=True), ValueError, r"align_corners can only be set"),
    (lambda x: F.interpolate(x, size=4, scale_factor=2), ValueError, r"give only one of size and scale_factor"),
    (lambda x: F.interpolate(x), ValueError, r"give size or scale_factor"),
    (lambda x: F.interpolate(x, size=4, recompute_scale_factor=True), ValueError, r"not meaningful"),
    (lambda x: F.interpolate(x, size=(4, 4)), ValueError, r"size=\(4, 4\) has 2 entries for the 1 spatial"),
    (lambda x: F.interpolate(x, size=4.0), TypeError, r"size must be an int or a tuple of ints"),
    (lambda x: F.interpolate(x, size=4, mode="bilinear"), NotImplementedError, r"needs a 4-D input"),
    (lambda x: F.interpolate(x, size=4, mode="area"), NotImplementedError, r"mode 'area' is not supported"),
    (lambda x: F.interpolate(x, size=4, mode="linear", antialias=True), NotImplementedError, r"antialias"),
    (lambda x: F.interpolate(x, size=0), RuntimeError, r"sizes must be positive.*output size \(0,\)"),
    (lambda x: F.interpolate(x, scale_factor=0.1), RuntimeError, r"sizes must be positive"),
    (lambda x: F.interpolate(tl.ones(2, 0, 3), size=4), RuntimeError, r"channels .* must be positive"),
    (lambda x: F.interpolate(tl.ones(1, 1, 3, dtype=tl.int64), size=4), TypeError, r"needs a floating-point input"),
    (lambda x: F.interpolate(tl.ones(3, 3), size=4), NotImplementedError, r"needs a 3-D or 4-D or 5-D input"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(tl.ones(1, 1, 3))


# ---- against PyTorch --------------------------------------------------------------------------------
def _torch_backward_differs(mode, options, shape, sizes):
    """PyTorch's nearest backward copies (out == in) or halves positions (out == 2 * in) where its forward
    picked by the given scale factor: there its gradient is not its forward's; ours is (gradcheck)."""
    by_scale = "scale_factor" in options and not options.get("recompute_scale_factor")
    return mode == "nearest" and by_scale and any(o in (n, 2 * n) for n, o in zip(shape[2:], sizes))


@pytest.mark.torch
@given(case=cases(), data=st.data())
@settings(max_examples=30)
def test_values_and_gradients_match_pytorch(case, data):
    torch = pytest.importorskip("torch")
    mode, shape, options, sizes, _ = case
    if "scale_factor" in options and mode.startswith("nearest"):
        options = dict(options, scale_factor=data.draw(st.sampled_from([1.3, 2.0, 2.3, 0.7, 1 / 3])))
        sizes = [math.floor(n * options["scale_factor"]) for n in shape[2:]]
        if min(sizes) < 1:
            return
    a = data.draw(arrays(shape=shape))
    x, t = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    out, expected = F.interpolate(x, mode=mode, **options), torch.nn.functional.interpolate(t, mode=mode, **options)
    assert_close(out, expected.detach().numpy(), rtol=1e-12, atol=1e-13)
    a32 = a.astype(np.float32)
    assert_close(F.interpolate(Tensor(a32), mode=mode, **options),
                 torch.nn.functional.interpolate(torch.tensor(a32), mode=mode, **options).numpy(), rtol=1e-5, atol=1e-6)
    if _torch_backward_differs(mode, options, shape, sizes):
        return
    upstream = np.cos(np.arange(expected.numel())).reshape(tuple(expected.shape))
    out.backward(Tensor(upstream))
    expected.backward(torch.tensor(upstream))
    assert_close(x.grad, t.grad.numpy(), rtol=1e-12, atol=1e-13)


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["nearest", "linear", "bicubic"])
def test_non_finite_values_match_pytorch(mode):
    torch = pytest.importorskip("torch")
    a = np.array([[[[1.0, np.inf, 3.0], [np.nan, 2.0, -np.inf]]]])
    options = {} if mode == "nearest" else {"align_corners": False}
    mode4 = "bilinear" if mode == "linear" else mode
    out = F.interpolate(Tensor(a), size=(3, 7), mode=mode4, **options).numpy()
    expected = torch.nn.functional.interpolate(torch.tensor(a), size=(3, 7), mode=mode4, **options).numpy()
    np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    x, t = Tensor(np.ones((1, 1, 2, 3)), requires_grad=True), torch.ones(1, 1, 2, 3, dtype=torch.float64, requires_grad=True)
    upstream = np.resize(a, (1, 1, 3, 7))  # the same non-finite values, as gradients
    F.interpolate(x, size=(3, 7), mode=mode4, **options).backward(Tensor(upstream))
    torch.nn.functional.interpolate(t, size=(3, 7), mode=mode4, **options).backward(torch.tensor(upstream))
    np.testing.assert_array_equal(np.isnan(x.grad.numpy()), np.isnan(t.grad.numpy()))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)


@pytest.mark.torch
def test_modules_match_pytorch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(2).standard_normal((2, 3, 4, 5))
    pairs = [(nn.Upsample(scale_factor=1.5, mode="bilinear"), torch.nn.Upsample(scale_factor=1.5, mode="bilinear")),
             (nn.Upsample(size=(3, 7), mode="nearest-exact"), torch.nn.Upsample(size=(3, 7), mode="nearest-exact")),
             (nn.UpsamplingNearest2d(scale_factor=2), torch.nn.UpsamplingNearest2d(scale_factor=2)),
             (nn.UpsamplingBilinear2d(size=(5, 9)), torch.nn.UpsamplingBilinear2d(size=(5, 9)))]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        assert_close(ours(Tensor(a)), theirs(torch.tensor(a)).numpy(), rtol=1e-12, atol=1e-13)
