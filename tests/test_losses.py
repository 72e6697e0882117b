"""Losses: values and gradients against numpy formulas (PyTorch's semantics), gradchecks over drawn
shapes and reductions, numerical stability at extreme inputs, dtypes, and errors for bad targets."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_like import Tensor, gradcheck, nn
from tinygrad_like.nn import functional as F
from tinygrad_like.testing import arrays, boolean_masks

REDUCTIONS = ["mean", "sum", "none"]
reductions = st.sampled_from(REDUCTIONS)


# ---- numpy references (PyTorch's definitions) -----------------------------------------------------
def reduce(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def log_softmax(x):
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def mse(x, y):
    return (x - y) ** 2


def l1(x, y):
    return np.abs(x - y)


def bce(p, y):
    # PyTorch clamps each log at -100, so p = 0 or 1 gives a loss of at most 100 per element
    with np.errstate(divide="ignore"):
        return -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log(1 - p), -100))


def bce_with_logits(x, y):
    # -[y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))] with log sigmoid(x) = -log(1 + e^-x)
    return y * np.logaddexp(0, -x) + (1 - y) * np.logaddexp(0, x)


def sigmoid(x):
    return 0.5 * (1 + np.tanh(x / 2))


def cross_entropy_indices(x, target):
    return -np.take_along_axis(log_softmax(x), target[..., None], axis=-1)[..., 0]


def cross_entropy_probabilities(x, target):
    return -(target * log_softmax(x)).sum(axis=-1)


def nll(x, target):
    return -np.take_along_axis(x, target[..., None], axis=-1)[..., 0]


def one_hot(target, classes):
    return np.eye(classes)[target]


RNG = np.random.default_rng(2024)
X = RNG.standard_normal((4, 3)) * 2
Y = RNG.standard_normal((4, 3))
P = RNG.uniform(0.05, 0.95, (4, 3))
Q = RNG.uniform(0, 1, (4, 3))
CLASSES = np.array([2, 0, 1, 2])
PROBS = np.exp(log_softmax(RNG.standard_normal((4, 3))))


# ---- forward values and gradients -----------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mse_loss_value_and_gradient(reduction, dtype):
    x = Tensor(X.astype(dtype), requires_grad=True)
    out = nn.MSELoss(reduction=reduction)(x, Tensor(Y.astype(dtype)))
    tol = dict(rtol=1e-6 if dtype == np.float32 else 1e-13)
    np.testing.assert_allclose(out.numpy(), reduce(mse(X, Y), reduction), **tol)
    out.sum().backward()
    scale = 1 / X.size if reduction == "mean" else 1
    np.testing.assert_allclose(x.grad.numpy(), 2 * (X - Y) * scale, **tol)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_loss_value_and_gradient(reduction):
    x = Tensor(X, requires_grad=True)
    out = nn.L1Loss(reduction=reduction)(x, Y)
    np.testing.assert_allclose(out.numpy(), reduce(l1(X, Y), reduction), rtol=1e-13)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.sign(X - Y) / (X.size if reduction == "mean" else 1), rtol=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_loss_value_and_gradient(reduction):
    p = Tensor(P, requires_grad=True)
    out = nn.BCELoss(reduction=reduction)(p, Q)
    np.testing.assert_allclose(out.numpy(), reduce(bce(P, Q), reduction), rtol=1e-13)
    out.sum().backward()
    scale = 1 / P.size if reduction == "mean" else 1
    np.testing.assert_allclose(p.grad.numpy(), (P - Q) / (P * (1 - P)) * scale, rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_loss_value_and_gradient(reduction):
    x = Tensor(X, requires_grad=True)
    out = nn.BCEWithLogitsLoss(reduction=reduction)(x, Q)
    np.testing.assert_allclose(out.numpy(), reduce(bce_with_logits(X, Q), reduction), rtol=1e-13)
    out.sum().backward()
    scale = 1 / X.size if reduction == "mean" else 1
    np.testing.assert_allclose(x.grad.numpy(), (sigmoid(X) - Q) * scale, rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_class_indices_value_and_gradient(reduction):
    x = Tensor(X, requires_grad=True)
    out = nn.CrossEntropyLoss(reduction=reduction)(x, Tensor(CLASSES))
    assert out.shape == ((4,) if reduction == "none" else ())
    np.testing.assert_allclose(out.numpy(), reduce(cross_entropy_indices(X, CLASSES), reduction), rtol=1e-13)
    out.sum().backward()
    scale = 1 / len(CLASSES) if reduction == "mean" else 1  # 'mean' averages over the batch
    softmax = np.exp(X) / np.exp(X).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(x.grad.numpy(), (softmax - one_hot(CLASSES, 3)) * scale, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_class_probabilities_value_and_gradient(reduction):
    x = Tensor(X, requires_grad=True)
    out = nn.CrossEntropyLoss(reduction=reduction)(x, PROBS)
    assert out.shape == ((4,) if reduction == "none" else ())
    # PyTorch: with probability targets, 'mean' also divides by the batch size, not by N * C
    np.testing.assert_allclose(out.numpy(), reduce(cross_entropy_probabilities(X, PROBS), reduction), rtol=1e-13)
    out.sum().backward()
    scale = 1 / 4 if reduction == "mean" else 1
    softmax = np.exp(X) / np.exp(X).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(x.grad.numpy(), (softmax - PROBS) * scale, rtol=1e-12, atol=1e-15)


def test_cross_entropy_of_one_sample_with_a_0d_target():
    logits = np.array([0.5, -1.0, 2.0])
    out = F.cross_entropy(Tensor(logits), np.array(1))
    assert out.shape == ()
    np.testing.assert_allclose(out.numpy(), np.log(np.exp(logits).sum()) - logits[1], rtol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_value_and_gradient(reduction):
    log_p = log_softmax(X)
    x = Tensor(log_p, requires_grad=True)
    out = nn.NLLLoss(reduction=reduction)(x, CLASSES)
    np.testing.assert_allclose(out.numpy(), reduce(nll(log_p, CLASSES), reduction), rtol=1e-14)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), -one_hot(CLASSES, 3) / (4 if reduction == "mean" else 1))
    single = F.nll_loss(Tensor(log_p[0]), np.array(2))
    np.testing.assert_allclose(single.numpy(), -log_p[0, 2])


def test_log_softmax_then_nll_equals_cross_entropy():
    ce = nn.CrossEntropyLoss()(Tensor(X), CLASSES)
    composed = nn.NLLLoss()(nn.LogSoftmax(dim=1)(Tensor(X)), CLASSES)
    np.testing.assert_allclose(ce.numpy(), composed.numpy(), rtol=1e-14)


@given(st.integers(0, 4), st.integers(1, 5), reductions, st.sampled_from([np.float32, np.float64]), st.data())
def test_cross_entropy_of_class_indices_is_log_softmax_then_nll_bit_for_bit(n, classes, reduction, dtype, data):
    """The common case runs as one node (ops.CrossEntropyLoss): the same values and gradients, to the bit, as
    the two nodes of log_softmax and nll_loss, for a batch (n of them, 0 included) and for one sample."""
    x = data.draw(arrays((n, classes), min_value=-30, max_value=30)).astype(dtype)
    target = np.array(data.draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)), dtype=np.int64)
    upstream = data.draw(arrays(() if reduction != "none" else (n,), min_value=-2, max_value=2)).astype(dtype)
    cases = [(x, target)] + ([(x[0], target[0])] if n else [])
    for logits, labels in cases:
        fused, composed = Tensor(logits, requires_grad=True), Tensor(logits, requires_grad=True)
        out = F.cross_entropy(fused, labels, reduction=reduction)
        assert type(out.grad_fn).__name__ == "CrossEntropyLoss"
        reference = F.nll_loss(F.log_softmax(composed, 1 if logits.ndim == 2 else 0), labels, reduction=reduction)
        assert out.dtype == dtype
        np.testing.assert_array_equal(out.numpy(), reference.numpy())
        seed = upstream if out.ndim == upstream.ndim else upstream[0]
        out.backward(seed)
        reference.backward(seed)
        np.testing.assert_array_equal(fused.grad.numpy(), composed.grad.numpy())


def test_mse_and_bce_with_logits_give_the_target_a_gradient_too():
    x, y = Tensor(X, requires_grad=True), Tensor(Q, requires_grad=True)
    F.mse_loss(x, y, reduction="sum").backward()
    np.testing.assert_allclose(y.grad.numpy(), -2 * (X - Q), rtol=1e-13)
    x, y = Tensor(X, requires_grad=True), Tensor(Q, requires_grad=True)
    F.binary_cross_entropy_with_logits(x, y, reduction="sum").backward()
    np.testing.assert_allclose(y.grad.numpy(), -X, rtol=1e-13)  # d/dy [-y log s - (1-y) log(1-s)] = -x


# ---- gradchecks over drawn shapes and reductions (float64) ----------------------------------------
batch_sizes = st.integers(1, 4)


def target_tensor(y):
    """Binary targets, gradchecked too when the eps-steps stay inside [0, 1] (hard 0/1 targets are
    valid inputs, but a step outside the unit interval is rightly rejected)."""
    return Tensor(y, requires_grad=bool(np.all((y > 1e-3) & (y < 1 - 1e-3))))
feature_sizes = st.integers(1, 4)


@given(batch_sizes, feature_sizes, reductions, st.data())
def test_mse_loss_gradcheck(n, f, reduction, data):
    x, y = data.draw(arrays((n, f))), data.draw(arrays((n, f)))
    assert gradcheck(nn.MSELoss(reduction=reduction), Tensor(x, requires_grad=True), Tensor(y, requires_grad=True))


@given(batch_sizes, feature_sizes, reductions, st.data())
def test_l1_loss_gradcheck_away_from_the_kink(n, f, reduction, data):
    x = data.draw(arrays((n, f)))
    gap = data.draw(arrays((n, f), min_value=0.05, max_value=2.0))  # |input - target| >= 0.05
    sign = np.where(data.draw(boolean_masks((n, f))), 1.0, -1.0)
    y = x + sign * gap
    assert gradcheck(nn.L1Loss(reduction=reduction), Tensor(x, requires_grad=True), Tensor(y, requires_grad=True))


@given(batch_sizes, feature_sizes, reductions, st.data())
def test_bce_loss_gradcheck(n, f, reduction, data):
    p = data.draw(arrays((n, f), min_value=0.02, max_value=0.98))  # eps-steps stay inside (0, 1)
    y = data.draw(arrays((n, f), min_value=0.0, max_value=1.0))
    assert gradcheck(nn.BCELoss(reduction=reduction), Tensor(p, requires_grad=True), target_tensor(y))


@given(batch_sizes, feature_sizes, reductions, st.data())
def test_bce_with_logits_loss_gradcheck(n, f, reduction, data):
    x = data.draw(arrays((n, f), min_value=-6, max_value=6))
    y = data.draw(arrays((n, f), min_value=0.0, max_value=1.0))
    loss = nn.BCEWithLogitsLoss(reduction=reduction)
    assert gradcheck(loss, Tensor(x, requires_grad=True), target_tensor(y))


@given(batch_sizes, st.integers(2, 5), reductions, st.data())
def test_cross_entropy_with_class_indices_gradcheck(n, classes, reduction, data):
    x = data.draw(arrays((n, classes)))
    target = np.array(data.draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)))
    assert gradcheck(nn.CrossEntropyLoss(reduction=reduction), Tensor(x, requires_grad=True), target)


@given(batch_sizes, st.integers(2, 5), reductions, st.data())
def test_cross_entropy_with_class_probabilities_gradcheck(n, classes, reduction, data):
    x = data.draw(arrays((n, classes)))
    weights = data.draw(arrays((n, classes), min_value=0.01, max_value=1.0))
    target = weights / weights.sum(axis=1, keepdims=True)
    assert gradcheck(nn.CrossEntropyLoss(reduction=reduction), Tensor(x, requires_grad=True),
                     Tensor(target, requires_grad=True))


@given(batch_sizes, st.integers(2, 5), reductions, st.data())
def test_nll_loss_gradcheck(n, classes, reduction, data):
    x = data.draw(arrays((n, classes)))
    target = np.array(data.draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)))
    assert gradcheck(nn.NLLLoss(reduction=reduction), Tensor(x, requires_grad=True), target)


# ---- numerical stability --------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_of_huge_logits_is_finite_and_exact(dtype):
    logits = Tensor(np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype=dtype), requires_grad=True)
    out = nn.CrossEntropyLoss(reduction="none")(logits, np.array([1, 0]))
    assert out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), [2e4, 2e4 + np.log(2)], rtol=1e-6)
    out.sum().backward()
    assert np.all(np.isfinite(logits.grad.numpy()))
    np.testing.assert_allclose(logits.grad.numpy(), [[1, -1, 0], [-1, 0.5, 0.5]], atol=1e-6)
    probabilities = Tensor(np.array([[1e4, -1e4]], dtype=dtype), requires_grad=True)
    soft = nn.CrossEntropyLoss()(probabilities, np.array([[0.25, 0.75]], dtype=dtype))
    np.testing.assert_allclose(soft.numpy(), 0.75 * 2e4, rtol=1e-6)
    soft.backward()
    np.testing.assert_allclose(probabilities.grad.numpy(), [[0.75, -0.75]], atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_of_huge_logits_is_finite_and_exact(dtype):
    x = Tensor(np.array([1e4, -1e4, 1e4, -1e4], dtype=dtype), requires_grad=True)
    y = np.array([0.0, 1.0, 1.0, 0.0], dtype=dtype)
    out = nn.BCEWithLogitsLoss(reduction="none")(x, y)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.numpy(), [1e4, 1e4, 0, 0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, -1, 0, 0])  # sigmoid(x) - y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_of_saturated_probabilities_is_finite_clamped_at_100(dtype):
    p = Tensor(np.array([0.0, 1.0, 0.0, 1.0], dtype=dtype), requires_grad=True)
    y = np.array([1.0, 0.0, 0.0, 1.0], dtype=dtype)
    out = nn.BCELoss(reduction="none")(p, y)
    assert out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), [100, 100, 0, 0], rtol=1e-6)
    np.testing.assert_allclose(nn.BCELoss()(p, y).numpy(), 50, rtol=1e-6)
    out.sum().backward()
    assert np.all(np.isfinite(p.grad.numpy()))
    # PyTorch: (p - y) / max(p (1 - p), 1e-12)
    np.testing.assert_allclose(p.grad.numpy(), [-1e12, 1e12, 0, 0], rtol=1e-6)


# ---- dtypes ---------------------------------------------------------------------------------------
LOSS_CASES = {
    "mse": (nn.MSELoss, X, Y),
    "l1": (nn.L1Loss, X, Y),
    "bce": (nn.BCELoss, P, Q),
    "bce_with_logits": (nn.BCEWithLogitsLoss, X, Q),
    "cross_entropy": (nn.CrossEntropyLoss, X, CLASSES),
    "cross_entropy_probabilities": (nn.CrossEntropyLoss, X, PROBS),
    "nll": (nn.NLLLoss, log_softmax(X), CLASSES),
}


@pytest.mark.parametrize("name", LOSS_CASES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_float32_stays_float32(name, reduction):
    loss, x, target = LOSS_CASES[name]
    x = Tensor(x.astype(np.float32), requires_grad=True)
    # a float64 target does not promote a float32 input either
    out = loss(reduction=reduction)(x, target)
    assert out.dtype == np.float32, f"{name}: the loss is {out.dtype}"
    out.sum().backward()
    assert x.grad.dtype == np.float32, f"{name}: the gradient is {x.grad.dtype}"


# ---- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("loss", [nn.MSELoss(), nn.L1Loss(), nn.BCELoss(), nn.BCEWithLogitsLoss()])
def test_elementwise_losses_reject_a_shape_mismatch_instead_of_broadcasting(loss):
    with pytest.raises(ValueError, match=r"input has shape \(4, 1\) but target has shape \(4,\)"):
        loss(Tensor(np.full((4, 1), 0.5)), np.full(4, 0.5))


def test_cross_entropy_rejects_a_shape_mismatch():
    with pytest.raises(ValueError, match=r"input has shape \(4, 3\) but target has shape \(4, 2\)"):
        nn.CrossEntropyLoss()(Tensor(X), PROBS[:, :2])
    with pytest.raises(ValueError, match=r"got input \(4, 3\) and target \(3,\)"):
        nn.CrossEntropyLoss()(Tensor(X), CLASSES[:3])
    with pytest.raises(ValueError, match=r"got input \(4, 3\) and target \(4, 1\)"):
        nn.NLLLoss()(Tensor(X), CLASSES[:, None])


def test_cross_entropy_normalises_a_3d_input_over_the_class_axis_1():
    # PyTorch reads (N, C, d) with the classes on axis 1: the same as moving them last and flattening
    x, target = RNG.standard_normal((2, 3, 4)), RNG.uniform(0, 1, (2, 3, 4))
    flat_x, flat_target = (a.transpose(0, 2, 1).reshape(8, 3) for a in (x, target))
    out = F.cross_entropy(Tensor(x), target, reduction="none")
    np.testing.assert_allclose(out.numpy(), cross_entropy_probabilities(flat_x, flat_target).reshape(2, 4), rtol=1e-13)


@pytest.mark.parametrize("loss", [nn.CrossEntropyLoss(), nn.NLLLoss()])
def test_class_index_out_of_range(loss):
    with pytest.raises(IndexError, match=r"indices must lie in \[0, 3\), got values from 0 to 3"):
        loss(Tensor(X), np.array([0, 1, 3, 2]))
    with pytest.raises(IndexError, match=r"indices must lie in \[0, 3\), got values from -1 to 2"):
        loss(Tensor(X), np.array([0, -1, 2, 2]))


def test_nll_loss_rejects_non_integer_class_indices():
    with pytest.raises(TypeError, match="indices must be integers, got float64"):
        nn.NLLLoss()(Tensor(X), CLASSES.astype(np.float64))


def test_bce_rejects_probabilities_and_targets_outside_the_unit_interval():
    with pytest.raises(ValueError, match=r"input must lie in \[0, 1\], got values from -0.5 to 0.5.*with_logits"):
        nn.BCELoss()(Tensor([0.5, -0.5]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"input must lie in \[0, 1\], got values from 0.5 to 1.5"):
        nn.BCELoss()(Tensor([0.5, 1.5]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"target must lie in \[0, 1\], got values from 0.0 to 2.0"):
        nn.BCELoss()(Tensor([0.5, 0.5]), np.array([0.0, 2.0]))
    with pytest.raises(ValueError, match=r"target must lie in \[0, 1\], got values from -1.0 to 1.0"):
        nn.BCEWithLogitsLoss()(Tensor([3.0, -3.0]), np.array([-1.0, 1.0]))
    with pytest.raises(ValueError, match=r"input must lie in \[0, 1\]"):
        nn.BCELoss()(Tensor([np.nan, 0.5]), np.array([0.0, 1.0]))


@pytest.mark.parametrize("loss", [nn.MSELoss, nn.L1Loss, nn.BCELoss, nn.BCEWithLogitsLoss, nn.CrossEntropyLoss,
                                  nn.NLLLoss])
def test_bad_reduction_string(loss):
    with pytest.raises(ValueError, match=r"reduction must be one of \('mean', 'sum', 'none'\), got 'avg'"):
        loss(reduction="avg")


@pytest.mark.parametrize("function, x, target", [
    (F.mse_loss, X, Y), (F.l1_loss, X, Y), (F.binary_cross_entropy, P, Q),
    (F.binary_cross_entropy_with_logits, X, Q), (F.cross_entropy, X, CLASSES), (F.nll_loss, X, CLASSES)])
def test_bad_reduction_string_in_the_functional_forms(function, x, target):
    with pytest.raises(ValueError, match=r"reduction must be one of .*got 'elementwise_mean'"):
        function(Tensor(x), target, reduction="elementwise_mean")


def test_loss_repr_shows_no_arguments_as_pytorch_does():
    assert repr(nn.CrossEntropyLoss(reduction="sum")) == "CrossEntropyLoss()"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
