"""Activations of nn.functional and their modules: values against a math reference, gradients
(gradcheck, gradgradcheck for the smooth ones) in float64, huge inputs, and PyTorch itself where installed."""
import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Tensor, nn
from tinygrad_like.nn import functional as F
from tinygrad_like.ops.activation import erf
from tinygrad_like.testing import arrays, assert_close

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _softplus(v, beta=1.0, threshold=20.0):
    return v if v * beta > threshold else math.log1p(math.exp(-abs(v * beta))) / beta + max(v * beta, 0) / beta


# name: (our function, scalar math reference, kinks (gradcheck stays away), smooth)
CASES = {
    "gelu": (F.gelu, lambda v: v * 0.5 * math.erfc(-v / math.sqrt(2)), [], True),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"),
                  lambda v: 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3))), [], True),
    "silu": (F.silu, lambda v: v / (1 + math.exp(-v)), [], True),
    "elu": (lambda x: F.elu(x, 0.7), lambda v: v if v > 0 else 0.7 * math.expm1(v), [0.0], False),
    "selu": (F.selu, lambda v: SELU_SCALE * (v if v > 0 else SELU_ALPHA * math.expm1(v)), [0.0], False),
    "celu": (lambda x: F.celu(x, 1.5), lambda v: max(0, v) + min(0, 1.5 * math.expm1(v / 1.5)), [0.0], True),
    "softplus": (lambda x: F.softplus(x, beta=2.0, threshold=4.0), lambda v: _softplus(v, 2.0, 4.0), [2.0], False),
    "softsign": (F.softsign, lambda v: v / (1 + abs(v)), [], True),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), lambda v: v if v > 0 else 0.1 * v, [0.0], False),
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 2.0), lambda v: min(max(v, -0.5), 2.0), [-0.5, 2.0], False),
    "relu6": (F.relu6, lambda v: min(max(v, 0.0), 6.0), [0.0, 6.0], False),
    "hardsigmoid": (F.hardsigmoid, lambda v: min(max(v / 6 + 0.5, 0.0), 1.0), [-3.0, 3.0], False),
    "hardswish": (F.hardswish, lambda v: v * min(max(v / 6 + 0.5, 0.0), 1.0), [-3.0, 3.0], False),
    "mish": (F.mish, lambda v: v * math.tanh(_softplus(v, 1.0, math.inf)), [], True),
    "logsigmoid": (F.logsigmoid, lambda v: -_softplus(-v, 1.0, math.inf), [], True),
    "prelu": (lambda x: F.prelu(x, Tensor(np.array([0.3], dtype=x.dtype))), lambda v: v if v > 0 else 0.3 * v, [0.0], False),
}
# celu's second derivative jumps at 0 (0 to 1/alpha); softsign's too: both only once differentiable there
SMOOTH_KINKS = {"celu": [0.0], "softsign": [0.0]}


@pytest.mark.parametrize("name", sorted(CASES))
@given(data=arrays(min_value=-8.0, max_value=8.0, max_dims=2))
def test_values_and_gradients(name, data):
    function, reference, kinks, smooth = CASES[name]
    assume(all(np.all(np.abs(data - k) > 1e-3) for k in kinks + SMOOTH_KINKS.get(name, [])))
    expected = np.vectorize(reference, otypes=[np.float64])(data) if data.size else data
    assert_close(function(Tensor(data)).numpy(), expected, rtol=1e-12, atol=1e-14)
    x = Tensor(data, requires_grad=True)
    assert tl.gradcheck(function, x, atol=1e-6, rtol=1e-6)
    if smooth or name in ("elu", "selu", "softplus"):
        assert tl.gradgradcheck(function, x, atol=1e-6, rtol=1e-6)


def test_erf_matches_math():
    xs = np.concatenate([np.linspace(-7, 7, 2801), [0.0, -0.0, 1e-300, 30.0, -30.0, np.inf, -np.inf]])
    expected = np.array([math.erf(v) for v in xs])
    assert np.max(np.abs(erf(xs) - expected)) <= 4e-16 + 2e-15 * np.max(np.abs(expected))
    assert np.isnan(erf(np.array([np.nan])))[0] and erf(np.float32([0.5])).dtype == np.float32


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_inputs_stay_finite(name, dtype):
    function = CASES[name][0]
    x = Tensor(np.array([-1e4, -1e3, -50.0, 50.0, 1e3, 1e4], dtype=dtype), requires_grad=True)
    y = function(x)
    assert y.dtype == dtype and np.all(np.isfinite(y.numpy()))
    y.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_kink_gradients():
    def grad(function, value):
        x = Tensor(np.array([value]), requires_grad=True)
        function(x).sum().backward()
        return x.grad.numpy()[0]
    assert grad(F.relu6, 0.0) == 0 and grad(F.relu6, 6.0) == 0 and grad(F.hardtanh, 1.0) == 0
    assert grad(F.hardsigmoid, 3.0) == 0 and grad(F.hardswish, -3.0) == 0 and grad(F.hardswish, 3.0) == 1
    assert grad(lambda x: F.leaky_relu(x, 0.2), 0.0) == 0.2 and grad(lambda x: F.elu(x, 0.5), 0.0) == 0.5
    assert grad(lambda x: F.softplus(x, threshold=1.0), 1.0) == pytest.approx(1 / (1 + math.exp(-1)))


def test_modules_reprs_and_inplace():
    assert repr(nn.GELU()) == "GELU(approximate='none')" and repr(nn.SiLU(True)) == "SiLU(inplace=True)"
    assert repr(nn.ELU(0.5, True)) == "ELU(alpha=0.5, inplace=True)" and repr(nn.ReLU6()) == "ReLU6()"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)" and repr(nn.PReLU(3)) == "PReLU(num_parameters=3)"
    assert repr(nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    x = Tensor(np.array([-2.0, 0.5, 7.0]))
    y = nn.ReLU6(inplace=True)(x)
    assert y is x and x.numpy().tolist() == [0.0, 0.5, 6.0]
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(x, approximate="fast")


def test_prelu_module():
    model = nn.PReLU(3, init=0.1)
    assert [name for name, _ in model.named_parameters()] == ["weight"] and model.weight.shape == (3,)
    x = Tensor(np.random.default_rng(0).standard_normal((2, 3, 4)), requires_grad=True)
    model.double()
    assert tl.gradcheck(lambda x, w: F.prelu(x, w), x, model.weight)
    assert_close(model(x).numpy(), np.where(x.numpy() > 0, x.numpy(), 0.1 * x.numpy()))
    assert_close(x.prelu(model.weight).numpy(), model(x).numpy())
    with pytest.raises(ValueError, match="prelu"):
        F.prelu(Tensor(np.ones((2, 4))), model.weight)


# ---- against PyTorch -----------------------------------------------------------------------------------
TORCH_CALLS = {  # name: (call on our F, call on torch's F)
    "gelu": lambda F, x: F.gelu(x), "gelu_tanh": lambda F, x: F.gelu(x, approximate="tanh"),
    "silu": lambda F, x: F.silu(x), "elu": lambda F, x: F.elu(x, 0.7), "selu": lambda F, x: F.selu(x),
    "celu": lambda F, x: F.celu(x, 1.5), "softplus": lambda F, x: F.softplus(x, 2.0, 4.0),
    "softplus_default": lambda F, x: F.softplus(x), "softsign": lambda F, x: F.softsign(x),
    "leaky_relu": lambda F, x: F.leaky_relu(x, 0.1), "hardtanh": lambda F, x: F.hardtanh(x, -0.5, 2.0),
    "relu6": lambda F, x: F.relu6(x), "hardsigmoid": lambda F, x: F.hardsigmoid(x),
    "hardswish": lambda F, x: F.hardswish(x), "mish": lambda F, x: F.mish(x), "logsigmoid": lambda F, x: F.logsigmoid(x),
}
TORCH_POINTS = np.array([-1e4, -1e3, -40.0, -20.0, -6.0, -3.0, -2.0, -1.0, -0.5, -1e-8, 0.0, 1e-8, 0.5, 1.0, 2.0,
                         3.0, 6.0, 10.0, 20.0, 40.0, 1e3, 1e4])


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(TORCH_CALLS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_against_torch(name, dtype):
    torch = pytest.importorskip("torch")
    data = np.concatenate([TORCH_POINTS, np.random.default_rng(1).uniform(-8, 8, 200)]).astype(dtype)
    x = Tensor(data.copy(), requires_grad=True)
    y = TORCH_CALLS[name](F, x)
    tx = torch.tensor(data.copy(), requires_grad=True)
    ty = TORCH_CALLS[name](torch.nn.functional, tx)
    weights = np.linspace(0.5, 1.5, data.size).astype(dtype)
    (y * Tensor(weights)).sum().backward()
    (ty * torch.tensor(weights)).sum().backward()
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == "float64" else dict(rtol=2e-6, atol=1e-5)
    assert y.dtype == getattr(np, dtype)
    assert_close(y.numpy(), ty.detach().numpy(), **tol)
    assert_close(x.grad.numpy(), tx.grad.numpy(), **tol)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "silu", "elu", "selu", "celu", "softplus", "mish", "logsigmoid",
                                  "hardswish", "softsign"])
def test_second_derivatives_against_torch(name):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(2).uniform(-5, 5, 50)
    x = Tensor(data.copy(), requires_grad=True)
    (g,) = tl.autograd.grad(TORCH_CALLS[name](F, x).sum(), x, create_graph=True)
    (g * g).sum().backward()
    tx = torch.tensor(data.copy(), requires_grad=True)
    (tg,) = torch.autograd.grad(TORCH_CALLS[name](torch.nn.functional, tx).sum(), tx, create_graph=True)
    (tg * tg).sum().backward()
    assert_close(g.detach().numpy(), tg.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert_close(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-10)


MODULES = ["GELU()", "GELU(approximate='tanh')", "SiLU()", "SiLU(inplace=True)", "ELU()", "ELU(alpha=0.5, inplace=True)",
           "SELU()", "CELU(alpha=2.0)", "Softplus()", "Softplus(beta=2, threshold=10)", "Softsign()", "LeakyReLU()",
           "LeakyReLU(0.2, True)", "Hardtanh()", "Hardtanh(-2, 3)", "ReLU6()", "ReLU6(inplace=True)", "Hardswish()",
           "Hardsigmoid()", "Mish()", "LogSigmoid()", "PReLU()", "PReLU(4, 0.1)"]


@pytest.mark.torch
@pytest.mark.parametrize("expression", MODULES)
def test_modules_against_torch(expression):
    torch = pytest.importorskip("torch")
    ours, theirs = eval("nn." + expression), eval("torch.nn." + expression)
    assert repr(ours) == repr(theirs)
    data = np.random.default_rng(3).standard_normal((2, 4, 3)).astype(np.float32)
    if isinstance(ours, nn.PReLU):
        ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
        assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
        theirs.load_state_dict({k: torch.tensor(np.asarray(v.numpy() if hasattr(v, "numpy") else v))
                                for k, v in ours.state_dict().items()})
    assert_close(ours(Tensor(data.copy())).numpy(), theirs(torch.tensor(data.copy())).detach().numpy(),
                 rtol=2e-6, atol=1e-6)
