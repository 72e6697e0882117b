"""Element-wise math: exp2, log1p, expm1, rsqrt, rounding, reciprocal, nan_to_num, lerp, hypot, atan2 and the
inverse and hyperbolic trigonometric functions; values against numpy, gradients by gradcheck, then PyTorch."""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Tensor
from tinygrad_like.testing import arrays, assert_close

# name: (our op, numpy's, a map of [-3, 3] into the domain away from poles and domain edges)
SMOOTH = {
    "exp2": (lambda t: t.exp2(), np.exp2, lambda a: a),
    "log1p": (lambda t: t.log1p(), np.log1p, lambda a: np.abs(a) - 0.9),
    "expm1": (lambda t: t.expm1(), np.expm1, lambda a: a),
    "rsqrt": (lambda t: t.rsqrt(), lambda a: 1 / np.sqrt(a), lambda a: np.abs(a) + 0.2),
    "reciprocal": (lambda t: t.reciprocal(), lambda a: 1 / a, lambda a: np.abs(a) + 0.2),
    "square": (lambda t: t.square(), np.square, lambda a: a),
    "frac": (lambda t: t.frac(), lambda a: a - np.trunc(a), lambda a: np.trunc(a) + 0.1 + 0.8 * (a - np.trunc(a))),
    "asin": (lambda t: t.asin(), np.arcsin, lambda a: a * 0.3),
    "acos": (lambda t: t.acos(), np.arccos, lambda a: a * 0.3),
    "atan": (lambda t: t.atan(), np.arctan, lambda a: a),
    "sinh": (lambda t: t.sinh(), np.sinh, lambda a: a),
    "cosh": (lambda t: t.cosh(), np.cosh, lambda a: a),
    "tanh": (lambda t: t.tanh(), np.tanh, lambda a: a),
    "asinh": (lambda t: t.asinh(), np.arcsinh, lambda a: a),
    "acosh": (lambda t: t.acosh(), np.arccosh, lambda a: np.abs(a) + 1.1),
    "atanh": (lambda t: t.atanh(), np.arctanh, lambda a: a * 0.3),
    "nan_to_num": (lambda t: t.nan_to_num(), np.nan_to_num, lambda a: a),
}
STEPS = {"sign": np.sign,  # no nan drawn
         "floor": np.floor, "ceil": np.ceil, "round": np.round, "trunc": np.trunc}
small = dict(max_dims=2, max_side=3)
pytestmark = pytest.mark.filterwarnings("ignore:.*encountered in:RuntimeWarning")  # nan and inf at domain edges, as numpy warns


@pytest.mark.parametrize("name", SMOOTH)
@given(a=arrays(**small))
@settings(max_examples=15)
def test_smooth_values_and_gradients(name, a):
    ours, reference, into_domain = SMOOTH[name]
    a = into_domain(a)
    assert_close(ours(Tensor(a)), reference(a), rtol=1e-12, atol=1e-14)
    x = Tensor(a, requires_grad=True)
    assert tl.gradcheck(ours, x)
    assert tl.gradgradcheck(ours, x)


@pytest.mark.parametrize("name", STEPS)
@given(a=arrays(**small))
@settings(max_examples=15)
def test_steps_values_and_zero_gradients(name, a):
    x = Tensor(a, requires_grad=True)
    y = getattr(x, name)()
    assert_close(y, STEPS[name](a))
    (y * 3).sum().backward()
    assert_close(x.grad, np.zeros_like(a))


@given(a=arrays(**small), data=st.data())
@settings(max_examples=15)
def test_binary_values_and_gradients(a, data):
    b = np.abs(data.draw(arrays(shape=a.shape))) + 0.3  # atan2 and hypot away from the origin
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    assert_close(x.atan2(y), np.arctan2(a, b), rtol=1e-12)
    assert_close(x.hypot(y), np.hypot(a, b), rtol=1e-12)
    w = data.draw(arrays(shape=a.shape, min_value=0.0, max_value=1.0))
    assert_close(x.lerp(y, Tensor(w)), a + w * (b - a), rtol=1e-12, atol=1e-14)
    for fn in (lambda p, q: p.atan2(q), lambda p, q: p.hypot(q), lambda p, q: p.lerp(q, 0.3),
               lambda p, q: p.lerp(q, p.sigmoid())):
        assert tl.gradcheck(fn, x, y)
        assert tl.gradgradcheck(fn, x, y)


def test_edge_values():
    inf, nan = np.inf, np.nan
    e = Tensor(np.array([0.0, -0.0, inf, -inf, nan, 1.0]))
    assert e.isinf().numpy().tolist() == [False, False, True, True, False, False]
    assert e.isnan().numpy().tolist() == [False, False, False, False, True, False]
    assert e.isfinite().numpy().tolist() == [True, True, False, False, False, True]
    assert e.isinf().dtype == np.bool_ and e.isnan().grad_fn is None
    assert_close(e.sign(), [0.0, 0.0, 1.0, -1.0, 0.0, 1.0])  # PyTorch's 0 for nan
    assert_close(e.exp2(), [1.0, 1.0, inf, 0.0, nan, 2.0])
    assert_close(e.expm1(), [0.0, 0.0, inf, -1.0, nan, np.e - 1])
    assert_close(e.atan(), [0.0, 0.0, np.pi / 2, -np.pi / 2, nan, np.pi / 4])
    assert_close(e.tanh(), [0.0, 0.0, 1.0, -1.0, nan, np.tanh(1.0)])
    with np.errstate(divide="ignore"):
        assert_close(e.reciprocal(), [inf, -inf, 0.0, -0.0, nan, 1.0])
        assert_close(Tensor([-1.0, 0.0]).log1p(), [-inf, 0.0])
    assert_close(e.nan_to_num(), [0.0, 0.0, np.finfo(np.float64).max, np.finfo(np.float64).min, 0.0, 1.0])
    assert_close(e.nan_to_num(nan=2.0, posinf=9.0, neginf=-9.0), [0.0, 0.0, 9.0, -9.0, 2.0, 1.0])
    assert_close(Tensor([0.5, 1.5, 2.5, -0.5, 1.25]).round(), [0.0, 2.0, 2.0, -0.0, 1.0])  # halves to even
    assert_close(Tensor([1.2345, 125.0]).round(decimals=2), [1.23, 125.0])
    assert_close(Tensor([1234.5]).round(decimals=-2), [1200.0])
    assert_close(Tensor([-2.5, 2.5]).frac(), [-0.5, 0.5])
    assert_close(tl.atan2(Tensor([0.0, 1.0, -1.0]), Tensor([-1.0, 0.0, 0.0])), [np.pi, np.pi / 2, -np.pi / 2])
    assert_close(tl.hypot(Tensor(np.array([1e200, 0.0])), Tensor(np.array([1e200, 0.0]))), [np.sqrt(2) * 1e200, 0.0])


def test_gradients_at_the_edges():
    x = Tensor(np.array([np.nan, np.inf, -np.inf, 2.0]), requires_grad=True)
    x.nan_to_num().sum().backward()
    assert_close(x.grad, [0.0, 0.0, 0.0, 1.0])  # passes only where x was finite
    x = Tensor(np.array([0.0, np.inf]), requires_grad=True)
    x.floor().backward(Tensor(np.array([np.inf, np.nan])))
    assert_close(x.grad, [0.0, 0.0])  # zeros, whatever comes in
    x = Tensor(np.array([0.0, 0.0]), requires_grad=True)
    x.sign().sum().backward()
    assert_close(x.grad, [0.0, 0.0])
    y, x = Tensor(np.zeros(2), requires_grad=True), Tensor(np.array([0.0, -1.0]), requires_grad=True)
    y.atan2(x).sum().backward()
    assert_close(y.grad, [0.0, -1.0])
    assert_close(x.grad, [0.0, 0.0])  # 0 at the origin, as in PyTorch


def test_dtypes_and_aliases():
    i = tl.tensor([1, 2, 4])
    for name in ["exp2", "log1p", "expm1", "rsqrt", "reciprocal", "asin", "atan", "sinh", "cosh", "asinh", "atanh"]:
        assert getattr(i, name)().dtype == np.float32, name
    assert i.atan2(i).dtype == np.float32 and i.hypot(i).dtype == np.float32
    for name in ["floor", "ceil", "trunc", "round", "sign", "square", "nan_to_num"]:
        assert getattr(i, name)().dtype == np.int64, name
    f = tl.tensor([0.25, 0.5])
    for name in ["exp2", "rsqrt", "floor", "round", "frac", "asin", "acosh", "sign", "nan_to_num", "square"]:
        assert getattr(f, name)().dtype == np.float32, name
    assert f.atan2(0.5).dtype == np.float32 and f.hypot(f).dtype == np.float32 and f.lerp(f, 0.5).dtype == np.float32
    assert_close(tl.arcsin(f), f.asin())
    assert_close(tl.arctanh(f), tl.atanh(f))
    assert_close(tl.arctan2(f, f), tl.atan2(f, f))
    assert_close(tl.fix(Tensor([-1.5])), [-1.0])
    assert_close(tl.lerp(f, tl.tensor([1.0, 1.0]), 0.5), [0.625, 0.75])


# ---- against PyTorch --------------------------------------------------------------------------------
UNARY_NAMES = ["exp2", "log1p", "expm1", "rsqrt", "reciprocal", "square", "frac", "asin", "acos", "atan", "sinh", "cosh",
               "tanh", "asinh", "acosh", "atanh", "sign", "floor", "ceil", "round", "trunc", "nan_to_num", "isinf",
               "isnan", "isfinite", "arcsin", "arccosh", "fix"]


@pytest.mark.torch
@given(a=arrays(max_value=4.0, min_value=-4.0))
def test_unary_match_pytorch(a):
    torch = pytest.importorskip("torch")
    a = np.concatenate([a.ravel(), [0.0, -0.0, 1.0, -1.0, 0.5, 2.5, np.inf, -np.inf, np.nan]])
    for name in UNARY_NAMES:
        x, t = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        with np.errstate(all="ignore"):
            ours, theirs = getattr(tl, name)(x), getattr(torch, name)(t)
            assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch.")), name
            assert_close(ours, theirs.detach().numpy(), rtol=1e-12, atol=1e-300, message=name)  # torch flushes subnormals
            if name.startswith("is"):
                continue
            ours.backward(Tensor(np.cos(np.arange(a.size))))
            theirs.backward(torch.tensor(np.cos(np.arange(a.size))))
            assert_close(x.grad, t.grad.numpy(), rtol=1e-10, atol=1e-300, message=name)
    ints = np.array([-3, 0, 2, 7])
    for name in UNARY_NAMES:
        if name in ("frac",):
            continue
        ours, theirs = getattr(tl, name)(tl.tensor(ints)), getattr(torch, name)(torch.tensor(ints))
        assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch.")), name
        with np.errstate(all="ignore"):
            assert_close(ours, theirs.numpy(), rtol=1e-6, message=name)


@pytest.mark.torch
@given(a=arrays(**small), data=st.data(), w=st.floats(-1, 2))
def test_binary_match_pytorch(a, data, w):
    torch = pytest.importorskip("torch")
    b = data.draw(arrays(shape=a.shape))
    a = np.concatenate([a.ravel(), [0.0, 1.0, -1.0, np.inf]])
    b = np.concatenate([b.ravel(), [0.0, 0.0, -1.0, 1.0]])
    for name, extra in [("atan2", ()), ("hypot", ()), ("lerp", (w,)), ("lerp", ("weight",)), ("arctan2", ())]:
        x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
        tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        ours_extra = tuple(Tensor(np.abs(np.sin(a))) if e == "weight" else e for e in extra)
        theirs_extra = tuple(torch.tensor(np.abs(np.sin(a))) if e == "weight" else e for e in extra)
        with np.errstate(all="ignore"):
            ours, theirs = getattr(tl, name)(x, y, *ours_extra), getattr(torch, name)(tx, ty, *theirs_extra)
            assert_close(ours, theirs.detach().numpy(), rtol=1e-12, atol=1e-14, message=name)
            ours.backward(Tensor(np.ones(a.size)))
            theirs.backward(torch.ones(a.size, dtype=torch.float64))
            assert_close(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-14, message=name)
            assert_close(y.grad, ty.grad.numpy(), rtol=1e-10, atol=1e-14, message=name)
