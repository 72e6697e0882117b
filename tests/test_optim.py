"""Optimizers and schedulers against hand-written numpy versions of PyTorch's published update rules,
their bookkeeping (zero_grad, param groups, state dicts, buffer ownership), and small models training."""
import math

import numpy as np
import pytest

import tinygrad_like as tl
from tinygrad_like import Tensor, nn, optim
from tinygrad_like.optim.lr_scheduler import ExponentialLR, StepLR


# ---- numpy references: the formulas of PyTorch's documentation ------------------------------------
class ReferenceSGD:
    """torch.optim.SGD:
        g = grad + weight_decay * p
        if momentum: b = g at the first step, else b = momentum * b + (1 - dampening) * g
                     g = g + momentum * b if nesterov else b
        p = p - lr * g
    """

    def __init__(self, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        self.lr, self.momentum, self.dampening = lr, momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov
        self.buffers = {}

    def step(self, params, grads):
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            g = g + self.weight_decay * p
            if self.momentum:
                if i not in self.buffers:
                    self.buffers[i] = g
                else:
                    self.buffers[i] = self.momentum * self.buffers[i] + (1 - self.dampening) * g
                g = g + self.momentum * self.buffers[i] if self.nesterov else self.buffers[i]
            out.append(p - self.lr * g)
        return out


class ReferenceAdam:
    """torch.optim.Adam (L2 weight decay) and, with decoupled=True, torch.optim.AdamW:
        AdamW: p = p - lr * weight_decay * p          Adam: g = grad + weight_decay * p
        m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
        m_hat = m / (1 - b1^t);  v_hat = v / (1 - b2^t)
        p = p - lr * m_hat / (sqrt(v_hat) + eps)
    """

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        self.weight_decay, self.decoupled = weight_decay, decoupled
        self.m, self.v, self.t = {}, {}, 0

    def step(self, params, grads):
        self.t += 1
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            if self.decoupled:
                p = p - self.lr * self.weight_decay * p
            else:
                g = g + self.weight_decay * p
            self.m[i] = self.b1 * self.m.get(i, 0) + (1 - self.b1) * g
            self.v[i] = self.b2 * self.v.get(i, 0) + (1 - self.b2) * g * g
            m_hat = self.m[i] / (1 - self.b1 ** self.t)
            v_hat = self.v[i] / (1 - self.b2 ** self.t)
            out.append(p - self.lr * m_hat / (np.sqrt(v_hat) + self.eps))
        return out


# ---- a test problem with parameter-dependent gradients --------------------------------------------
K = np.array([[1.0, 3.0, 0.5], [2.0, 0.25, 4.0]])
D = np.array([0.5, -1.5])
START = [np.array([[0.3, -0.2, 0.8], [-1.0, 0.5, 0.1]]), np.array([0.7, -0.4])]


def make_params():
    return [nn.Parameter(a.copy()) for a in START]


def loss_of(params):
    """sum(K * W^2) + sum(D * b) + sum(b^3): gradient 2 K W and D + 3 b^2."""
    weight, bias = params
    return (Tensor(K) * weight * weight).sum() + (Tensor(D) * bias).sum() + (bias * bias * bias).sum()


def numpy_grads(params):
    weight, bias = params
    return [2 * K * weight, D + 3 * bias ** 2]


def run_ours(optimizer_class, steps, **options):
    params = make_params()
    optimizer = optimizer_class(params, **options)
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss_of(params).backward()
        optimizer.step()
        trajectory.append([p.numpy().copy() for p in params])
    return trajectory


def run_reference(reference, steps):
    params = [a.copy() for a in START]
    trajectory = []
    for _ in range(steps):
        params = reference.step(params, numpy_grads(params))
        trajectory.append(params)
    return trajectory


def assert_same_trajectory(ours, reference):
    for step, (a, b) in enumerate(zip(ours, reference)):
        for p, q in zip(a, b):
            np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-14, err_msg=f"step {step + 1}")


SGD_OPTIONS = [
    dict(lr=0.05),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.8, nesterov=True),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.03, momentum=0.9, weight_decay=0.05, nesterov=True),
    dict(lr=0.03, momentum=0.5, dampening=0.5, weight_decay=0.2),
]


@pytest.mark.parametrize("options", SGD_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_sgd_matches_pytorchs_update_rule(options):
    assert_same_trajectory(run_ours(optim.SGD, 10, **options), run_reference(ReferenceSGD(**options), 10))


ADAM_OPTIONS = [
    dict(lr=0.01),
    dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.1, betas=(0.0, 0.5)),
]


@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_adam_matches_pytorchs_update_rule(options):
    assert_same_trajectory(run_ours(optim.Adam, 10, **options), run_reference(ReferenceAdam(**options), 10))


@pytest.mark.parametrize("options", [dict(lr=0.01), dict(lr=0.02, weight_decay=0.5), dict(lr=0.05, weight_decay=0.0)])
def test_adamw_matches_pytorchs_decoupled_update_rule(options):
    reference = ReferenceAdam(decoupled=True, **{"weight_decay": 1e-2, **options})
    assert_same_trajectory(run_ours(optim.AdamW, 10, **options), run_reference(reference, 10))


def test_adam_first_step_moves_each_coordinate_by_about_lr():
    # bias correction: m_hat = g and sqrt(v_hat) = |g| at t = 1, so the step is lr * g / (|g| + eps)
    g = np.array([1e-3, 5.0, -300.0])
    p = nn.Parameter(np.zeros(3))
    opt = optim.Adam([p], lr=0.1)
    (p * Tensor(g)).sum().backward()
    opt.step()
    np.testing.assert_allclose(p.numpy(), -0.1 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_adam_and_adamw_differ_only_with_weight_decay():
    plain = run_ours(optim.Adam, 5, lr=0.01, weight_decay=0.3)
    decoupled = run_ours(optim.AdamW, 5, lr=0.01, weight_decay=0.3)
    assert not np.allclose(plain[-1][0], decoupled[-1][0])
    same_a = run_ours(optim.Adam, 5, lr=0.01)
    same_b = run_ours(optim.AdamW, 5, lr=0.01, weight_decay=0.0)
    for a, b in zip(same_a[-1], same_b[-1]):
        np.testing.assert_array_equal(a, b)
    assert optim.AdamW(make_params()).defaults["weight_decay"] == 1e-2  # PyTorch's default


# ---- bookkeeping ----------------------------------------------------------------------------------
def test_optimizer_zero_grad_set_to_none_and_to_zeros():
    params = make_params()
    opt = optim.SGD(params, lr=0.1)
    loss_of(params).backward()
    opt.zero_grad(set_to_none=False)
    for p in params:
        assert p.grad is not None and p.grad.shape == p.shape and not np.any(p.grad.numpy())
    loss_of(params).backward()  # accumulates into the zeros: exactly one gradient
    for p, g in zip(params, numpy_grads(START)):
        np.testing.assert_allclose(p.grad.numpy(), g, rtol=1e-15)
    opt.zero_grad()
    assert all(p.grad is None for p in params)


@pytest.mark.parametrize("optimizer_class, options", [(optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
                                                       (optim.Adam, dict(lr=0.1, weight_decay=0.1)),
                                                       (optim.AdamW, dict(lr=0.1))])
def test_parameters_without_a_gradient_are_skipped(optimizer_class, options):
    used, unused = nn.Parameter(np.array([1.0, 2.0])), nn.Parameter(np.array([3.0, 4.0]))
    opt = optimizer_class([used, unused], **options)
    for _ in range(2):
        opt.zero_grad()
        (used * used).sum().backward()
        opt.step()
    np.testing.assert_array_equal(unused.numpy(), [3.0, 4.0])  # not even weight decay touches it
    assert unused.grad is None and unused not in opt.state
    assert not np.array_equal(used.numpy(), [1.0, 2.0])


def test_plain_and_momentum_groups_in_one_sgd_follow_their_own_rules():
    # plain SGD groups take a stateless path; a momentum group beside them keeps its buffers
    plain, heavy = nn.Parameter(np.array([1.0, -2.0])), nn.Parameter(np.array([0.5]))
    opt = optim.SGD([{"params": [plain]}, {"params": [heavy], "momentum": 0.9}], lr=0.1)
    plain_reference, heavy_reference = ReferenceSGD(lr=0.1), ReferenceSGD(lr=0.1, momentum=0.9)
    expected_plain, expected_heavy = [plain.numpy().copy()], [heavy.numpy().copy()]
    for _ in range(3):
        opt.zero_grad()
        (plain * plain).sum().add((heavy * heavy * heavy).sum()).backward()
        expected_plain = plain_reference.step(expected_plain, [2 * expected_plain[0]])
        expected_heavy = heavy_reference.step(expected_heavy, [3 * expected_heavy[0] ** 2])
        opt.step()
        np.testing.assert_allclose(plain.numpy(), expected_plain[0], rtol=1e-12)
        np.testing.assert_allclose(heavy.numpy(), expected_heavy[0], rtol=1e-12)
    assert plain not in opt.state and "momentum_buffer" in opt.state[heavy]


def test_add_param_group_with_its_own_learning_rate():
    first, second = nn.Parameter(np.array([1.0])), nn.Parameter(np.array([1.0]))
    opt = optim.SGD([first], lr=0.1, momentum=0.0)
    opt.add_param_group({"params": [second], "lr": 0.01})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert opt.param_groups[1]["momentum"] == 0.0  # the other hyper-parameters come from the defaults
    (first * 2 + second * 2).sum().backward()
    opt.step()
    np.testing.assert_allclose(first.numpy(), [1 - 0.1 * 2])
    np.testing.assert_allclose(second.numpy(), [1 - 0.01 * 2])
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [first]})


def test_groups_given_to_the_constructor():
    a, b = nn.Parameter(np.array([1.0])), nn.Parameter(np.array([1.0]))
    opt = optim.Adam([{"params": [a]}, {"params": b, "lr": 0.5, "betas": (0.5, 0.5)}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["betas"] == (0.9, 0.999)
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["params"] == [b]
    (a + b).sum().backward()
    opt.step()
    np.testing.assert_allclose([a.numpy()[0], b.numpy()[0]], [0.9, 0.5], rtol=1e-6)


@pytest.mark.parametrize("optimizer_class, options", [
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.Adam, dict(lr=0.05, weight_decay=0.01)),
    (optim.AdamW, dict(lr=0.05, weight_decay=0.1)),
])
def test_state_dict_round_trip_continues_identically(optimizer_class, options):
    params = make_params()
    opt = optimizer_class(params, **options)

    def train(params, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            loss_of(params).backward()
            opt.step()

    train(params, opt, 3)
    saved_state, saved_values = opt.state_dict(), [p.numpy().copy() for p in params]
    assert sorted(saved_state) == ["param_groups", "state"]
    assert saved_state["param_groups"][0]["params"] == [0, 1]
    assert sorted(saved_state["state"]) == [0, 1]
    train(params, opt, 4)  # the original goes on...

    restored = [nn.Parameter(v) for v in saved_values]
    fresh = optimizer_class(restored, lr=1.0)  # ...the copy starts from the checkpoint, other lr included
    fresh.load_state_dict(saved_state)
    assert fresh.param_groups[0]["lr"] == options["lr"]
    train(restored, fresh, 4)
    for p, q in zip(params, restored):
        np.testing.assert_array_equal(q.numpy(), p.numpy())


def test_state_dict_is_a_snapshot_and_loading_copies():
    params = make_params()
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    loss_of(params).backward()
    opt.step()
    saved = opt.state_dict()
    snapshot = saved["state"][0]["momentum_buffer"].copy()
    loss_of(params).backward()
    opt.step()
    np.testing.assert_array_equal(saved["state"][0]["momentum_buffer"], snapshot)  # not a live view
    opt.load_state_dict(saved)
    buffer = opt.state[params[0]]["momentum_buffer"]
    assert not np.shares_memory(buffer, saved["state"][0]["momentum_buffer"])


def test_load_state_dict_rejects_a_different_layout():
    opt = optim.SGD(make_params(), lr=0.1)
    other = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match=r"a group has 1 parameter\(s\) in the checkpoint but 2 here"):
        opt.load_state_dict(other.state_dict())
    other.add_param_group({"params": [nn.Parameter(np.zeros(1))]})
    with pytest.raises(ValueError, match=r"the checkpoint has 2 parameter group\(s\), this optimizer has 1"):
        opt.load_state_dict(other.state_dict())


@pytest.mark.parametrize("optimizer_class, options, buffers", [
    (optim.SGD, dict(lr=0.1, momentum=0.9), ["momentum_buffer"]),
    (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.5, nesterov=False), ["momentum_buffer"]),
    (optim.Adam, dict(lr=0.1), ["exp_avg", "exp_avg_sq"]),
])
def test_optimizer_buffers_never_alias_the_gradient(optimizer_class, options, buffers):
    params = make_params()
    opt = optimizer_class(params, **options)
    loss_of(params).backward()
    opt.step()
    for p in params:
        state = opt.state[p]
        for name in buffers:
            assert not np.shares_memory(state[name], p.grad.numpy()), name
            before = state[name].copy()
            p.grad.data *= 3.0  # a user (or a clipping utility) scaling the gradient in place...
            p.grad.data += 1.0
            np.testing.assert_array_equal(state[name], before)  # ...must not change the optimizer's state
    grads_before = [p.grad.numpy().copy() for p in params]
    for p in params:
        for name in buffers:
            opt.state[p][name] += 5.0  # and the reverse
    for p, g in zip(params, grads_before):
        np.testing.assert_array_equal(p.grad.numpy(), g)


# ---- schedulers -----------------------------------------------------------------------------------
def test_step_lr_sequence():
    opt = optim.SGD(make_params(), lr=0.1)
    scheduler = StepLR(opt, step_size=3, gamma=0.5)
    lrs = []
    for _ in range(8):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    np.testing.assert_allclose(lrs, [0.1 * 0.5 ** (epoch // 3) for epoch in range(8)], rtol=1e-15)
    assert scheduler.get_last_lr() == [pytest.approx(0.1 * 0.5 ** 2, rel=1e-15)]


def test_exponential_lr_sequence_for_every_group():
    a, b = nn.Parameter(np.zeros(1)), nn.Parameter(np.zeros(1))
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    scheduler = ExponentialLR(opt, gamma=0.9)
    seen = []
    for _ in range(6):
        seen.append([g["lr"] for g in opt.param_groups])
        scheduler.step()
    expected = [[0.1 * 0.9 ** epoch, 0.5 * 0.9 ** epoch] for epoch in range(6)]
    np.testing.assert_allclose(seen, expected, rtol=1e-14)


def test_the_scheduled_learning_rate_is_the_one_used():
    p = nn.Parameter(np.array([0.0]))
    opt = optim.SGD([p], lr=1.0)
    scheduler = StepLR(opt, step_size=1, gamma=0.1)
    for _ in range(3):
        opt.zero_grad()
        (p * 1.0).sum().backward()  # gradient 1: each step moves p by -lr
        opt.step()
        scheduler.step()
    np.testing.assert_allclose(p.numpy(), [-(1.0 + 0.1 + 0.01)], rtol=1e-14)


def test_scheduler_state_dict_round_trip():
    opt = optim.SGD(make_params(), lr=0.1)
    scheduler = StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        scheduler.step()
    saved = scheduler.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 3
    opt2 = optim.SGD(make_params(), lr=0.1)
    restored = StepLR(opt2, step_size=2, gamma=0.5)
    opt2.load_state_dict(opt.state_dict())  # the learning rates live in the optimizer's state, as in PyTorch
    restored.load_state_dict(saved)
    restored.step()
    scheduler.step()
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] == pytest.approx(0.025, rel=1e-15)


# ---- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("options, message", [
    (dict(lr=-0.1), "lr, momentum and weight_decay must be >= 0"),
    (dict(lr=0.1, momentum=-0.5), "lr, momentum and weight_decay must be >= 0"),
    (dict(lr=0.1, weight_decay=-1e-4), "lr, momentum and weight_decay must be >= 0"),
    (dict(lr=0.1, nesterov=True), "Nesterov momentum needs momentum > 0 and dampening = 0"),
    (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov momentum needs"),
])
def test_sgd_rejects_invalid_hyper_parameters(options, message):
    with pytest.raises(ValueError, match=message):
        optim.SGD(make_params(), **options)


@pytest.mark.parametrize("optimizer_class", [optim.Adam, optim.AdamW])
@pytest.mark.parametrize("options", [dict(lr=-1e-3), dict(eps=-1e-8), dict(weight_decay=-0.1),
                                     dict(betas=(1.0, 0.999)), dict(betas=(0.9, 1.0)), dict(betas=(-0.1, 0.9))])
def test_adam_rejects_invalid_hyper_parameters(optimizer_class, options):
    with pytest.raises(ValueError, match=f"{optimizer_class.__name__}: need lr, eps, weight_decay >= 0 and betas "
                                         r"in \[0, 1\)"):
        optimizer_class(make_params(), **options)


@pytest.mark.parametrize("optimizer_class", [optim.SGD, optim.Adam, optim.AdamW])
def test_empty_parameter_list_is_an_error(optimizer_class):
    with pytest.raises(ValueError, match=f"{optimizer_class.__name__} got an empty parameter list"):
        optimizer_class([], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optimizer_class(nn.ReLU().parameters(), lr=0.1)  # a model without parameters


def test_only_leaf_tensors_can_be_optimized():
    p = nn.Parameter(np.ones(2))
    with pytest.raises(TypeError, match="can only optimize leaf Tensors.*got a non-leaf Tensor"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match="got ndarray"):
        optim.SGD([np.ones(2)], lr=0.1)


# ---- small models train ---------------------------------------------------------------------------
XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float32)


@pytest.mark.parametrize("activation, optimizer", [("tanh", "adam"), ("relu", "adam"), ("tanh", "sgd")])
def test_xor_trains_to_near_zero_loss(activation, optimizer):
    tl.manual_seed(0)
    act = nn.Tanh() if activation == "tanh" else nn.ReLU()
    model = nn.Sequential(nn.Linear(2, 8), act, nn.Linear(8, 1))
    opt = (optim.Adam(model.parameters(), lr=0.05) if optimizer == "adam"
           else optim.SGD(model.parameters(), lr=0.2, momentum=0.9))
    loss_fn = nn.MSELoss()
    x, y = Tensor(XOR_X), Tensor(XOR_Y)
    for _ in range(500):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    assert loss.dtype == np.float32
    final = loss_fn(model(x), y).item()
    assert final < 1e-3, final
    np.testing.assert_allclose(model(x).numpy(), XOR_Y, atol=0.1)


def test_streetlight_network_from_the_book_trains():
    # Grokking Deep Learning, chapter 6: which light patterns mean "walk"
    lights = np.array([[1, 0, 1], [0, 1, 1], [0, 0, 1], [1, 1, 1]], dtype=np.float32)
    walk_vs_stop = np.array([[1], [1], [0], [0]], dtype=np.float32)
    tl.manual_seed(0)  # a seed whose initial ReLUs are not dead (as in the book, some seeds do not train)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.MSELoss(reduction="sum")  # the book's summed squared error
    x, y = Tensor(lights), Tensor(walk_vs_stop)
    for _ in range(300):
        opt.zero_grad()
        error = loss_fn(model(x), y)
        error.backward()
        opt.step()
    assert error.item() < 1e-3, error.item()
    np.testing.assert_allclose(model(x).numpy(), walk_vs_stop, atol=0.05)
    assert math.isfinite(error.item())
