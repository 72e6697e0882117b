"""Tests of examples/custom_layer.py, written the way we suggest users test their own layers and ops:
gradcheck in float64 over hypothesis-drawn inputs, values against a numpy formula, and a short run."""
import pathlib
import sys

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_like import Tensor, gradcheck
from tinygrad_like.testing import arrays, tensors

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "examples"))
from custom_layer import GatedLinear, gated_linear, main, softplus  # noqa: E402


# ---- the Function -----------------------------------------------------------------------------------
@given(tensors(min_value=-30, max_value=30))
def test_softplus_gradcheck(x):
    assert gradcheck(softplus, x)


@given(arrays(min_value=-30, max_value=30))
def test_softplus_values(x):
    np.testing.assert_allclose(softplus(Tensor(x)).numpy(), np.log1p(np.exp(x)), rtol=1e-12)


def test_softplus_is_finite_for_huge_inputs_and_keeps_float32():
    x = Tensor(np.array([-1e4, -30.0, 0.0, 100.0, 1e4], dtype=np.float32), requires_grad=True)
    y = softplus(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), [0.0, np.exp(-30.0), np.log(2), 100.0, 1e4], rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, np.exp(-30.0), 0.5, 1.0, 1.0], rtol=1e-6)  # sigmoid(x)


# ---- the Module -------------------------------------------------------------------------------------
@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.data())
def test_gated_linear_gradcheck(batch, in_features, out_features, data):
    x = data.draw(tensors((batch, in_features)))
    weight = data.draw(tensors((2 * out_features, in_features)))
    bias = data.draw(tensors((2 * out_features,)))
    assert gradcheck(gated_linear, x, weight, bias)  # with respect to the input and both parameters
    layer = GatedLinear(in_features, out_features).double()  # the Module, in float64 for gradcheck
    assert gradcheck(layer, x)


def test_gated_linear_module_matches_its_formula_and_registers_its_parameters():
    layer = GatedLinear(3, 2)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    w1, w2 = layer.weight.numpy()[:2], layer.weight.numpy()[2:]
    b1, b2 = layer.bias.numpy()[:2], layer.bias.numpy()[2:]
    expected = (x @ w1.T + b1) / (1 + np.exp(-(x @ w2.T + b2)))
    out = layer(Tensor(x))
    assert out.shape == (4, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)


# ---- the example end to end -------------------------------------------------------------------------
def test_main_trains_the_tiny_model():
    losses = main(verbose=False)
    assert losses[0] > 1.0  # y = x1 * x2 on [-2, 2]^2 has variance 16/9
    assert losses[-1] < 5e-3  # the bound the example's docstring states
    assert all(np.isfinite(losses))
