"""In-place ops with PyTorch's semantics: shared memory, augmented assignment in place, and the version
check that makes backward raise when a tensor it saved was changed, instead of a wrong gradient."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Tensor, gradcheck, nn, optim
from tinygrad_like.testing import assert_close

MODIFIED = "modified by an in-place operation"


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


# ---- memory: .data, detach, views, augmented assignment ---------------------------------------------
def test_data_and_detach_share_memory_with_the_tensor():
    x = leaf([1.0, 2.0])
    x.data.add_(1)
    assert_close(x, [2.0, 3.0])
    x.detach()[0] = 10.0
    assert_close(x, [10.0, 3.0])
    x.data.zero_()
    assert_close(x, [0.0, 0.0])
    assert x.data.requires_grad is False and x.data.grad_fn is None


def test_augmented_assignment_is_in_place_as_in_pytorch():
    x = Tensor(np.array([1.0, 2.0]))
    alias = x
    x += 1
    x *= 3
    x -= Tensor(np.array([1.0, 1.0]))
    x /= 2
    assert x is alias
    assert_close(alias, [2.5, 4.0])


def test_manual_sgd_under_no_grad_updates_the_parameter_itself():
    w = leaf([1.0, -2.0])
    params = [w]
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with tl.no_grad():
            for p in params:
                p -= 0.25 * p.grad  # rebinding here would train nothing, silently
                p.grad.zero_()
    assert params[0] is w
    assert_close(w, np.array([1.0, -2.0]) * 0.5 ** 3)


def test_in_place_methods_give_the_out_of_place_values():
    a = np.array([[0.5, -1.5, 2.0], [3.0, -0.25, 1.0]])
    b = np.array([2.0, 4.0, 0.5])
    cases = {
        "add_": (lambda t: t.add_(Tensor(b), alpha=2), a + 2 * b),
        "sub_": (lambda t: t.sub_(Tensor(b)), a - b),
        "mul_": (lambda t: t.mul_(Tensor(b)), a * b),
        "div_": (lambda t: t.div_(2.0), a / 2),
        "pow_": (lambda t: t.pow_(2), a ** 2),
        "neg_": (lambda t: t.neg_(), -a),
        "clamp_": (lambda t: t.clamp_(-1, 1), np.clip(a, -1, 1)),
        "abs_": (lambda t: t.abs_(), np.abs(a)),
        "exp_": (lambda t: t.exp_(), np.exp(a)),
        "tanh_": (lambda t: t.tanh_(), np.tanh(a)),
        "sigmoid_": (lambda t: t.sigmoid_(), 1 / (1 + np.exp(-a))),
        "relu_": (lambda t: t.relu_(), np.maximum(a, 0)),
        "fill_": (lambda t: t.fill_(7), np.full_like(a, 7)),
        "zero_": (lambda t: t.zero_(), np.zeros_like(a)),
        "copy_": (lambda t: t.copy_(Tensor(b)), np.broadcast_to(b, a.shape)),
        "addcmul_": (lambda t: t.addcmul_(Tensor(b), Tensor(b), value=0.5), a + 0.5 * b * b),
        "addcdiv_": (lambda t: t.addcdiv_(Tensor(b), Tensor(b + 1), value=2), a + 2 * b / (b + 1)),
        "setitem": (lambda t: t.__setitem__((0, slice(1, None)), 9.0), np.where([[0, 1, 1], [0, 0, 0]], 9.0, a)),
    }
    for name, (change, expected) in cases.items():
        t = Tensor(a.copy())
        memory = t.numpy()
        result = change(t)
        assert result is None or result is t, name
        assert t.numpy() is memory, name  # the same memory, changed
        assert_close(t, expected, rtol=1e-12, atol=1e-12)


def test_random_fills_use_the_generator_and_keep_shape_and_dtype():
    tl.manual_seed(0)
    t = tl.zeros(1000)
    t.uniform_(-2, 3)
    assert t.dtype == np.float32 and -2 <= t.numpy().min() and t.numpy().max() < 3
    t.normal_(5.0, 0.1)
    assert abs(t.numpy().mean() - 5.0) < 0.02 and abs(t.numpy().std() - 0.1) < 0.02


def test_in_place_errors_name_the_op_and_what_to_do():
    with pytest.raises(tl.ShapeError, match=r"add_\(\): .*shape \(2, 3\).*keep the tensor's shape \(3,\)"):
        Tensor(np.zeros(3)).add_(Tensor(np.zeros((2, 3))))
    with pytest.raises(TypeError, match=r"add_\(\): .*float32 cannot be stored in place in a tensor of int64"):
        tl.tensor([1, 2]).add_(0.5)
    w = leaf([1.0])
    with pytest.raises(RuntimeError, match=r"mul_\(\): a leaf tensor that requires grad .*no_grad\(\)"):
        w.mul_(2)
    with tl.no_grad():
        w.mul_(2)  # an optimizer's update
    assert_close(w, [2.0])


# ---- the version check ----------------------------------------------------------------------------
def test_changing_a_saved_input_makes_backward_raise_naming_the_op():
    x = leaf([1.0, 2.0])
    h = x * 1.0
    y = h * h  # Mul saves h
    h.data.add_(1)
    with pytest.raises(RuntimeError, match=rf"{MODIFIED}: Mul saved an array of shape \(2,\)"):
        y.sum().backward()


def test_changing_a_saved_output_makes_backward_raise():
    x = leaf([1.0, 2.0])
    y = x.exp()  # Exp saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match=rf"{MODIFIED}: Exp"):
        y.sum().backward()


def test_changing_an_unsaved_input_is_fine_as_in_pytorch():
    x = leaf([1.0, 2.0])
    h = x * 1.0
    y = h + 3  # Add saves nothing
    h.data.add_(100)
    y.sum().backward()
    assert_close(x.grad, [1.0, 1.0])


def test_an_optimizer_step_between_forward_and_backward_raises():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))  # the second layer keeps its weight for backward
    opt = optim.SGD(model.parameters(), lr=0.1)
    model(Tensor(np.ones((1, 2), np.float32))).sum().backward()
    loss = model(Tensor(np.ones((1, 2), np.float32))).sum()
    opt.step()  # changes the weight that the new graph saved
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_changing_the_base_of_a_view_in_the_graph_raises():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    h = x * 2
    row = h[0]  # a view of h
    with tl.no_grad():
        h.mul_(3)
    with pytest.raises(RuntimeError, match=rf"{MODIFIED}: Getitem"):
        row.sum().backward()


@given(saved_op=st.sampled_from(["mul", "exp", "add", "sigmoid", "matmul"]), change=st.booleans(),
       which=st.sampled_from(["input", "output"]))
def test_the_version_check_fires_exactly_when_a_saved_array_was_changed(saved_op, change, which):
    x = leaf([[0.5, -1.0], [2.0, 0.25]])
    h = x * 1.0
    y = {"mul": lambda: h * h, "exp": lambda: h.exp(), "add": lambda: h + 1.0, "sigmoid": lambda: h.sigmoid(),
         "matmul": lambda: h @ h}[saved_op]()
    saves = {"mul": {"input"}, "exp": {"output"}, "add": set(), "sigmoid": {"output"}, "matmul": {"input"}}[saved_op]
    if change:
        (h if which == "input" else y).data.add_(1)
    if change and which in saves:
        with pytest.raises(RuntimeError, match=MODIFIED):
            y.sum().backward()
    else:
        y.sum().backward()
        assert x.grad is not None


# ---- in-place ops recorded in the graph -------------------------------------------------------------
def test_in_place_ops_on_graph_tensors_are_differentiated():
    def composed(x, w):
        h = x * w
        h.add_(w)  # h = x*w + w
        h.mul_(h)  # squared: the old h must have been kept
        h.sigmoid_()
        h[0] = 0.5 * x[0]  # an element replaced
        return h

    x, w = leaf([0.3, -0.7, 1.1]), leaf([0.5, 2.0, -1.0])
    assert gradcheck(composed, x, w, rtol=1e-6, atol=1e-9)


def test_in_place_add_of_a_tensor_that_requires_grad_joins_the_graph():
    w = leaf([2.0, 3.0])
    acc = Tensor(np.zeros(2))
    acc += w * w
    assert acc.requires_grad and acc.grad_fn is not None
    acc.sum().backward()
    assert_close(w.grad, [4.0, 6.0])


def test_in_place_change_of_a_view_in_the_graph_is_refused():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    h = x * 2
    with pytest.raises(RuntimeError, match=r"mul_\(\): .*view of another tensor in the graph.*clone\(\)"):
        h[0].mul_(3)
    row = h[0].clone()
    row.mul_(3)
    row.sum().backward()
    assert_close(x.grad, [[6.0, 6.0], [0.0, 0.0]])


# ---- gradients: ndarrays of the parameter's shape, for 0-d parameters too -----------------------------
OPTIMIZERS = {
    "sgd": lambda p: optim.SGD(p, lr=0.1),
    "sgd_momentum": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
    "nesterov": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "adam": lambda p: optim.Adam(p, lr=0.1),
    "adamw": lambda p: optim.AdamW(p, lr=0.1),
}


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS.values(), ids=OPTIMIZERS)
@given(start=st.floats(-3, 3), targets=st.lists(st.floats(-3, 3), min_size=1, max_size=4))
def test_a_0d_parameter_trains_like_a_one_element_parameter(make_optimizer, start, targets):
    """Broadcast 0-d parameters once got numpy-scalar gradients, which a momentum buffer then copied."""
    y = Tensor(np.array(targets))
    runs = []
    for shape in [(), (1,)]:
        p = nn.Parameter(Tensor(np.full(shape, start)))
        opt = make_optimizer([p])
        for _ in range(4):
            opt.zero_grad()
            loss = ((p - y) ** 2).sum()
            loss.backward()
            assert type(p.grad.numpy()) is np.ndarray and p.grad.shape == shape
            opt.step()
        runs.append(p.numpy().item())
    assert runs[0] == pytest.approx(runs[1], rel=1e-12, abs=1e-12)


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = leaf([1.0, 2.0])
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    assert_close(h.grad, [6.0, 12.0])
    assert_close(x.grad, [18.0, 36.0])
