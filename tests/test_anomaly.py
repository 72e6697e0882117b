"""Anomaly detection: backward names the first op whose gradient holds NaN or Inf and the line of this
file that created it; the mode's context manager, decorator and switch forms; nothing when off."""
import sys
import threading

import numpy as np
import pytest

import tinygrad_like as tl
from tinygrad_like import Function, Tensor, anomaly, autograd
from tinygrad_like.autograd import detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly
from tinygrad_like.ops import dispatch

pytestmark = [pytest.mark.filterwarnings("ignore:Anomaly detection is on"),
              pytest.mark.filterwarnings("ignore::RuntimeWarning")]  # numpy's, for the planted NaNs and Infs


def here():
    """The caller's line number."""
    return sys._getframe(1).f_lineno


def masked_sqrt_deep(x):
    """20 ops, a where-masked sqrt of negative values in the middle: the forward values stay finite, and
    Sqrt's backward is the first to make a NaN (0 / (2 * nan)). Returns the loss and the sqrt's line."""
    h = x
    for _ in range(3):
        h = (h * 1.5).tanh() + h  # keeps the signs of x
    s, line = h.sqrt(), here()
    h = tl.where(h > 0, s, 0.0)
    for _ in range(4):
        h = h * 2.0 + 1.0
    return h.sum(), line


@pytest.fixture(autouse=True)
def anomaly_off_after():
    yield
    assert not is_anomaly_enabled(), "a test left anomaly detection on"


@pytest.mark.parametrize("create_graph", [False, True])
def test_nan_deep_in_the_graph_is_reported_at_its_op_and_line(create_graph):
    x = Tensor(np.array([-1.0, 2.0, -0.5]), requires_grad=True)
    with detect_anomaly():
        loss, line = masked_sqrt_deep(x)
        with pytest.raises(RuntimeError) as error:
            loss.backward(create_graph=create_graph)
    message = str(error.value)
    assert message.startswith("Function 'SqrtBackward' returned nan values in its 0th output")
    assert "its inputs: (3,) float64" in message
    assert f"test_anomaly.py, line {line}, in masked_sqrt_deep: s, line = h.sqrt(), here()" in message
    assert "Traceback of the forward call" in message and "test_nan_deep_in_the_graph" in message  # the caller too


def test_inf_is_reported():
    x = Tensor(np.zeros(2), requires_grad=True)
    with detect_anomaly():
        y, line = (x * x).sqrt(), here()  # sqrt's gradient at 0: 1 / 0
        with pytest.raises(RuntimeError, match=rf"'SqrtBackward' returned inf values(.|\n)*line {line}\b"):
            (y * 3.0).sum().backward()


def test_log_of_zero_times_zero():
    x = Tensor(np.array([0.0, 1.0]), requires_grad=True)
    with detect_anomaly():
        y, line = x.log(), here()
        with pytest.raises(RuntimeError, match=rf"'LogBackward' returned nan values(.|\n)*line {line}\b"):
            (y * 0.0).sum().backward()  # Mul passes 0 on; Log's backward makes 0 / 0


def test_off_the_nan_propagates_silently():
    x = Tensor(np.array([-1.0, 2.0, -0.5]), requires_grad=True)
    loss, _ = masked_sqrt_deep(x)
    loss.backward()
    assert np.isnan(x.grad.numpy()[[0, 2]]).all() and np.isfinite(x.grad.numpy()[1])


def test_free_when_off_function_apply_is_restored():
    plain = Function.__dict__["apply"]
    with detect_anomaly():
        assert Function.__dict__["apply"] is not plain and anomaly.enabled
        with pytest.raises(ZeroDivisionError):
            with set_detect_anomaly(False):
                assert Function.__dict__["apply"] is plain
                1 / 0
        assert Function.__dict__["apply"] is not plain
    assert Function.__dict__["apply"] is plain and not anomaly.enabled
    y = Tensor([1.0], requires_grad=True) * 2
    assert not hasattr(y.grad_fn, "forward_stack")  # nothing recorded while off


def test_decorator():
    @detect_anomaly()
    def train_step(x):
        assert is_anomaly_enabled()
        loss, _ = masked_sqrt_deep(x)
        loss.backward()

    with pytest.raises(RuntimeError, match="SqrtBackward"):
        train_step(Tensor(np.array([-1.0, 2.0]), requires_grad=True))
    assert not is_anomaly_enabled()


def test_detect_anomaly_warns_that_it_is_slow():
    with pytest.warns(UserWarning, match="Anomaly detection is on"):
        detect_anomaly()
    assert not is_anomaly_enabled()  # made, not entered


def test_set_detect_anomaly_call_context_and_nesting():
    set_detect_anomaly(True)
    try:
        assert is_anomaly_enabled() and is_anomaly_check_nan_enabled()
        with set_detect_anomaly(False):
            assert not is_anomaly_enabled()
            with detect_anomaly(check_nan=False):
                assert is_anomaly_enabled() and not is_anomaly_check_nan_enabled()
            assert not is_anomaly_enabled() and is_anomaly_check_nan_enabled()
        assert is_anomaly_enabled()
    finally:
        set_detect_anomaly(False)
    assert not is_anomaly_enabled()


def test_the_mode_is_global_as_in_pytorch():
    seen = []
    with detect_anomaly():
        thread = threading.Thread(target=lambda: seen.append(is_anomaly_enabled()))
        thread.start()
        thread.join()
    assert seen == [True]


def test_check_nan_false_records_without_checking():
    x = Tensor(np.array([-1.0, 2.0]), requires_grad=True)
    with detect_anomaly(check_nan=False):
        loss, _ = masked_sqrt_deep(x)
        loss.backward()
    assert np.isnan(x.grad.numpy()[0])


def test_forward_outside_the_mode_says_so():
    x = Tensor(np.array([-1.0, 2.0]), requires_grad=True)
    loss, _ = masked_sqrt_deep(x)
    with detect_anomaly():
        with pytest.raises(RuntimeError, match="SqrtBackward(.|\n)*No forward trace: Sqrt was created while"):
            loss.backward()


def test_a_gradient_the_engine_drops_is_not_checked():
    class ScaleBy(Function):
        @staticmethod
        def forward(ctx, x, factor):
            ctx.save_for_backward(factor)
            return x * factor

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.saved_tensors[0], np.full(2, np.nan)  # the factor requires no grad

    x = Tensor(np.ones(2), requires_grad=True)
    with detect_anomaly():
        ScaleBy.apply(x, Tensor(np.array([2.0, 3.0]))).sum().backward()
    assert x.grad.numpy().tolist() == [2.0, 3.0]


def test_a_seed_with_nan_is_named():
    y = Tensor(np.ones(2), requires_grad=True) * 2
    with detect_anomaly():
        with pytest.raises(RuntimeError, match=r"the gradient given for the tensor of shape \(2,\) holds nan"):
            y.backward(np.array([np.nan, 1.0]))


def test_an_error_in_backward_warns_with_the_forward_trace():
    class Broken(Function):
        @staticmethod
        def forward(ctx, x):
            return x.copy()

        @staticmethod
        def backward(ctx, grad):
            raise ValueError("broken backward")

    x = Tensor(np.ones(2), requires_grad=True)
    with detect_anomaly():
        y, line = Broken.apply(x), here()
        with pytest.warns(UserWarning, match=rf"Error detected in Broken.backward(.|\n)*line {line}\b"):
            with pytest.raises(ValueError, match="broken backward"):
                y.sum().backward()


class Softplus(Function):
    """log(1 + e^x), with a backward written for both ndarrays and recorded Tensors."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.logaddexp(0, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (1 + dispatch.exp(-x))  # at x = -1000: grad / inf, finite; its own derivative is not


def test_second_order_nan_names_the_node_the_first_backward_made():
    x = Tensor(np.array([-1000.0, 0.0]), requires_grad=True)
    with detect_anomaly():
        y, line = Softplus.apply(x), here()
        (g,) = autograd.grad(y.sum(), x, create_graph=True)  # sigmoid(x): finite
        assert np.isfinite(g.numpy()).all()
        with pytest.raises(RuntimeError) as error:
            g.sum().backward()  # Exp's backward: 0 * exp(1000) = 0 * inf
    message = str(error.value)
    assert message.startswith("Function 'ExpBackward' returned nan values")
    assert "It was created by the backward of Softplus: Softplus was created at" in message
    assert f"test_anomaly.py, line {line}, in test_second_order_nan" in message
