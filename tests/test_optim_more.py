"""Adagrad, Adadelta, Adamax, NAdam, RAdam, LBFGS, Adam's amsgrad and the learning-rate schedulers.

Each alone: a few steps worked by hand (scalar Python from the published update rules) on 0-d and
vector parameters in float64 and float32, state dicts through tl.save/tl.load, lr sequences by hand.
Against PyTorch (marked `torch`, skipped without it): parameter trajectories over 60 steps for drawn
hyper-parameters, state names and values, and every scheduler's lr sequence over 120 steps.
"""
import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Tensor, nn, optim
from tinygrad_like.optim import lr_scheduler as schedulers


# ---- a problem with parameter-dependent gradients, and the update rules by hand -------------------
def loss_of(params):
    """sum(3 (p - 0.5)^2 + p^4) over every element: gradient 6 (p - 0.5) + 4 p^3."""
    return sum((3 * (p - 0.5) ** 2 + p ** 4).sum() for p in params)


def grad_of(p):
    return 6 * (p - 0.5) + 4 * p ** 3


def adagrad_by_hand(p, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    total = initial_accumulator_value
    for t in itertools.count(1):
        g = grad_of(p) + weight_decay * p
        total += g * g
        p -= lr / (1 + (t - 1) * lr_decay) * g / (math.sqrt(total) + eps)
        yield p


def adadelta_by_hand(p, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    square_avg = acc_delta = 0.0
    while True:
        g = grad_of(p) + weight_decay * p
        square_avg = rho * square_avg + (1 - rho) * g * g
        delta = math.sqrt(acc_delta + eps) / math.sqrt(square_avg + eps) * g
        acc_delta = rho * acc_delta + (1 - rho) * delta * delta
        p -= lr * delta
        yield p


def adamax_by_hand(p, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    (b1, b2), m, u = betas, 0.0, 0.0
    for t in itertools.count(1):
        g = grad_of(p) + weight_decay * p
        m = b1 * m + (1 - b1) * g
        u = max(b2 * u, abs(g) + eps)
        p -= lr / (1 - b1 ** t) * m / u
        yield p


def nadam_by_hand(p, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                  decoupled_weight_decay=False):
    (b1, b2), m, v, mu_product = betas, 0.0, 0.0, 1.0
    for t in itertools.count(1):
        g = grad_of(p)
        if decoupled_weight_decay:
            p *= 1 - lr * weight_decay
        else:
            g += weight_decay * p
        mu, mu_next = (b1 * (1 - 0.5 * 0.96 ** (k * momentum_decay)) for k in (t, t + 1))
        mu_product *= mu
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        d = math.sqrt(v / (1 - b2 ** t)) + eps
        p -= lr * (1 - mu) / (1 - mu_product) * g / d + lr * mu_next / (1 - mu_product * mu_next) * m / d
        yield p


def radam_by_hand(p, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False):
    (b1, b2), m, v = betas, 0.0, 0.0
    rho_inf = 2 / (1 - b2) - 1
    for t in itertools.count(1):
        g = grad_of(p)
        if decoupled_weight_decay:
            p *= 1 - lr * weight_decay
        else:
            g += weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho_t > 5:
            r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            p -= lr * m_hat * r * math.sqrt(1 - b2 ** t) / (math.sqrt(v) + eps)
        else:
            p -= lr * m_hat
        yield p


def adam_by_hand(p, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, decoupled=False):
    (b1, b2), m, v, v_max = betas, 0.0, 0.0, 0.0
    for t in itertools.count(1):
        g = grad_of(p)
        if decoupled:
            p *= 1 - lr * weight_decay
        else:
            g += weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_max = max(v_max, v)
        p -= lr / (1 - b1 ** t) * m / (math.sqrt(v_max if amsgrad else v) / math.sqrt(1 - b2 ** t) + eps)
        yield p


BY_HAND = [
    (optim.Adagrad, dict(lr=0.1), adagrad_by_hand),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.3, eps=1e-6),
     adagrad_by_hand),
    (optim.Adadelta, dict(), adadelta_by_hand),
    (optim.Adadelta, dict(lr=0.5, rho=0.7, eps=1e-4, weight_decay=0.2), adadelta_by_hand),
    (optim.Adamax, dict(lr=0.05), adamax_by_hand),
    (optim.Adamax, dict(lr=0.05, betas=(0.5, 0.8), eps=1e-3, weight_decay=0.1), adamax_by_hand),
    (optim.NAdam, dict(lr=0.05), nadam_by_hand),
    (optim.NAdam, dict(lr=0.05, betas=(0.8, 0.9), momentum_decay=0.02, weight_decay=0.1), nadam_by_hand),
    (optim.NAdam, dict(lr=0.05, weight_decay=0.3, decoupled_weight_decay=True), nadam_by_hand),
    (optim.RAdam, dict(lr=0.05), radam_by_hand),  # rho_t <= 5 for these first steps: momentum SGD
    (optim.RAdam, dict(lr=0.05, betas=(0.9, 0.6), weight_decay=0.1), radam_by_hand),  # rectified from step 2
    (optim.RAdam, dict(lr=0.05, betas=(0.9, 0.6), weight_decay=0.3, decoupled_weight_decay=True), radam_by_hand),
    (optim.Adam, dict(lr=0.05, betas=(0.5, 0.6), amsgrad=True), adam_by_hand),
    (optim.AdamW, dict(lr=0.05, betas=(0.5, 0.6), amsgrad=True),
     lambda p, **o: adam_by_hand(p, weight_decay=1e-2, decoupled=True, **o)),
]
START = [1.3, [1.0, -0.7, 0.2, 0.5]]  # a 0-d parameter and a vector


def label(case):
    optimizer_class, options = case[:2]
    return optimizer_class.__name__ + "(" + ",".join(f"{k}={v}" for k, v in options.items()) + ")"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("optimizer_class, options, by_hand", BY_HAND, ids=[label(case) for case in BY_HAND])
def test_a_few_steps_by_hand(optimizer_class, options, by_hand, dtype):
    params = [nn.Parameter(np.array(value, dtype=dtype)) for value in START]
    optimizer = optimizer_class(params, **options)
    expected = [[by_hand(float(x), **options) for x in np.ravel(value)] for value in START]
    for step in range(1, 5):
        optimizer.zero_grad()
        loss_of(params).backward()
        optimizer.step()
        for p, elements, value in zip(params, expected, START):
            assert p.dtype == dtype and p.shape == np.shape(value)
            want = np.reshape([next(element) for element in elements], np.shape(value))
            np.testing.assert_allclose(p.numpy(), want, rtol=1e-12 if dtype == np.float64 else 2e-6, atol=1e-14,
                                       err_msg=f"step {step}")
    for state in optimizer.state.values():  # buffers keep the parameters' dtype
        assert all(v.dtype == dtype for v in state.values() if isinstance(v, np.ndarray))


def test_adam_without_amsgrad_keeps_no_maximum():
    p = nn.Parameter(np.array([1.0, 2.0]))
    optimizer = optim.Adam([p], lr=0.1)
    loss_of([p]).backward()
    optimizer.step()
    assert sorted(optimizer.state[p]) == ["exp_avg", "exp_avg_sq", "step"]
    assert optimizer.param_groups[0]["amsgrad"] is False and optim.AdamW([p]).defaults["amsgrad"] is False


def test_adagrad_has_state_for_every_parameter_before_any_step():
    a, b = nn.Parameter(np.zeros(2, dtype=np.float32)), nn.Parameter(np.zeros(()))
    optimizer = optim.Adagrad([a], initial_accumulator_value=0.25)
    optimizer.add_param_group({"params": [b], "initial_accumulator_value": 2.0})
    assert sorted(optimizer.state_dict()["state"]) == [0, 1]
    np.testing.assert_array_equal(optimizer.state[a]["sum"], np.full(2, 0.25, dtype=np.float32))
    assert optimizer.state[a]["sum"].dtype == np.float32 and optimizer.state[b]["sum"] == 2.0
    assert optimizer.state[a]["step"] == 0


# ---- bookkeeping shared by all ----------------------------------------------------------------------
ALL_OPTIMIZERS = [
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
    (optim.Adadelta, dict(weight_decay=0.1)),
    (optim.Adamax, dict(lr=0.05, weight_decay=0.1)),
    (optim.NAdam, dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    (optim.RAdam, dict(lr=0.05, betas=(0.9, 0.6), weight_decay=0.1)),
    (optim.Adam, dict(lr=0.05, amsgrad=True)),
    (optim.LBFGS, dict(lr=0.5, max_iter=3, history_size=2)),
    (optim.LBFGS, dict(max_iter=3, line_search_fn="strong_wolfe")),
]


def take_steps(params, optimizer, steps):
    def closure():
        optimizer.zero_grad()
        loss = loss_of(params)
        loss.backward()
        return loss

    for _ in range(steps):
        if isinstance(optimizer, optim.LBFGS):
            optimizer.step(closure)
        else:
            closure()
            optimizer.step()


@pytest.mark.parametrize("optimizer_class, options", ALL_OPTIMIZERS, ids=[label(case) for case in ALL_OPTIMIZERS])
def test_state_dict_round_trip_through_save_and_load(optimizer_class, options, tmp_path):
    params = [nn.Parameter(np.array(value, dtype=np.float32)) for value in START]
    optimizer = optimizer_class(params, **options)
    take_steps(params, optimizer, 3)
    tl.save(optimizer.state_dict(), tmp_path / "optimizer.npz")
    tl.save([p.detach() for p in params], tmp_path / "params.npz")
    take_steps(params, optimizer, 4)  # the original goes on...

    restored = [nn.Parameter(p.numpy()) for p in tl.load(tmp_path / "params.npz")]
    fresh = optimizer_class(restored, lr=1.0)  # ...the copy starts from the checkpoint, its lr included
    fresh.load_state_dict(tl.load(tmp_path / "optimizer.npz"))
    assert fresh.param_groups[0]["lr"] == options.get("lr", 1.0)
    take_steps(restored, fresh, 4)
    for p, q in zip(params, restored):
        assert q.dtype == np.float32
        np.testing.assert_array_equal(q.numpy(), p.numpy())
    assert sorted(fresh.state_dict()["state"][0]) == sorted(optimizer.state_dict()["state"][0])


@pytest.mark.parametrize("optimizer_class, options", ALL_OPTIMIZERS, ids=[label(case) for case in ALL_OPTIMIZERS])
def test_a_step_stamps_the_parameters_as_modified_in_place(optimizer_class, options):
    params = [nn.Parameter(np.array(value)) for value in START]
    optimizer = optimizer_class(params, **options)
    saved_before = (params[1] * params[1]).sum()  # a graph that saved the parameter's values
    take_steps(params, optimizer, 1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        saved_before.backward()


@pytest.mark.parametrize("optimizer_class, options", ALL_OPTIMIZERS[:6], ids=[label(c) for c in ALL_OPTIMIZERS[:6]])
def test_step_with_a_closure_returns_its_loss(optimizer_class, options):
    params = [nn.Parameter(np.array(value)) for value in START]
    optimizer = optimizer_class(params, **options)

    def closure():
        optimizer.zero_grad()
        loss = loss_of(params)
        loss.backward()
        return loss

    with tl.no_grad():  # the closure records its graph all the same, as in PyTorch
        loss = optimizer.step(closure)
    assert loss.item() == pytest.approx(loss_of([np.array(v) for v in START]))
    assert optimizer.step() is None


@pytest.mark.parametrize("optimizer_class, options, message", [
    (optim.Adagrad, dict(lr=-0.1), "Adagrad: lr, lr_decay, weight_decay, initial_accumulator_value and eps must"),
    (optim.Adagrad, dict(initial_accumulator_value=-1.0), "initial_accumulator_value=-1.0"),
    (optim.Adadelta, dict(rho=1.5), r"Adadelta: need lr, eps, weight_decay >= 0 and rho in \[0, 1\]"),
    (optim.Adamax, dict(betas=(0.9, 1.0)), r"Adamax: need lr, eps, weight_decay >= 0 and betas in \[0, 1\)"),
    (optim.NAdam, dict(momentum_decay=-1e-3), "NAdam: need lr, eps, weight_decay, momentum_decay >= 0"),
    (optim.RAdam, dict(eps=-1.0), r"RAdam: need lr, eps, weight_decay >= 0 and betas in \[0, 1\)"),
    (optim.LBFGS, dict(lr=-1.0), "LBFGS: lr must be >= 0"),
    (optim.LBFGS, dict(line_search_fn="armijo"), "line_search_fn must be None or 'strong_wolfe', got 'armijo'"),
])
def test_invalid_hyper_parameters(optimizer_class, options, message):
    with pytest.raises(ValueError, match=message):
        optimizer_class([nn.Parameter(np.zeros(2))], **options)


# ---- LBFGS --------------------------------------------------------------------------------------------
def quadratic_closure(optimizer, p, curvature=4.0, minimum=0.75):
    calls = []

    def closure():
        calls.append(p.item())
        optimizer.zero_grad()
        loss = curvature / 2 * (p - minimum) ** 2
        loss.backward()
        return loss

    return closure, calls


def test_lbfgs_by_hand_a_gradient_step_then_the_secant_step_to_the_minimum():
    # f = 2 (p - 0.75)^2 from p = 2: g = 5, so the first step is min(1, 1/|g|) * lr = 0.2 along -g, to p = 1;
    # there g = 1, and the curvature pair (s = -1, y = -4) gives H = 1/4: Newton's step, onto 0.75
    p = nn.Parameter(np.array(2.0))
    optimizer = optim.LBFGS([p], max_iter=2, max_eval=3)  # the default max_eval, 2, would stop after one
    closure, calls = quadratic_closure(optimizer, p)
    loss = optimizer.step(closure)
    assert loss.item() == pytest.approx(2 * 1.25 ** 2) and calls == [2.0, 1.0]  # the last point is not evaluated
    assert p.item() == pytest.approx(0.75, rel=1e-15)
    state = optimizer.state[p]
    assert state["n_iter"] == 2 and state["func_evals"] == 2 and state["H_diag"] == pytest.approx(0.25)
    assert state["ro"] == [pytest.approx(1 / 4)] and state["t"] == 1


def test_lbfgs_stops_at_a_small_gradient_without_moving():
    p = nn.Parameter(np.array(0.75 + 1e-9))
    optimizer = optim.LBFGS([p])
    closure, calls = quadratic_closure(optimizer, p)
    optimizer.step(closure)
    assert calls == [0.75 + 1e-9] and p.item() == 0.75 + 1e-9  # |g| = 4e-9 <= tolerance_grad


def test_lbfgs_strong_wolfe_step_meets_both_conditions():
    # a 1-D function whose first trial step overshoots into a steep wall, so the search has to zoom
    p = nn.Parameter(np.array(-1.0))
    optimizer = optim.LBFGS([p], lr=10, max_iter=1, max_eval=25, line_search_fn="strong_wolfe")

    def f(x):
        return x ** 4 + x

    def closure():
        optimizer.zero_grad()
        loss = f(p)
        loss.backward()
        return loss

    start, g = -1.0, 4 * (-1.0) ** 3 + 1  # g = -3: the direction is d = 3, the first trial t = min(1, 1/3) * 10
    d = -g
    optimizer.step(closure)
    assert optimizer.state[p]["func_evals"] > 2  # it zoomed
    t, x = optimizer.state[p]["t"], p.item()
    assert x == pytest.approx(start + t * d)
    assert f(x) <= f(start) + 1e-4 * t * g * d  # sufficient decrease
    assert abs((4 * x ** 3 + 1) * d) <= 0.9 * abs(g * d)  # a small slope (the strong curvature condition)


def test_lbfgs_takes_one_parameter_group():
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [nn.Parameter(np.zeros(1))]}, {"params": [nn.Parameter(np.zeros(1))]}])


def test_lbfgs_minimizes_a_float32_model_with_parameters_of_several_shapes():
    params = [nn.Parameter(np.array(value, dtype=np.float32)) for value in START]
    optimizer = optim.LBFGS(params, line_search_fn="strong_wolfe")
    take_steps(params, optimizer, 3)
    for p in params:  # the minimum of 3 (p - 0.5)^2 + p^4: 6 (p - 0.5) + 4 p^3 = 0, to float32's resolution
        assert p.dtype == np.float32
        np.testing.assert_allclose(grad_of(p.numpy().astype(np.float64)), 0, atol=1e-4)
    state = optimizer.state[params[0]]
    assert state["d"].dtype == state["prev_flat_grad"].dtype == np.float32 and state["d"].shape == (5,)


# ---- schedulers alone -------------------------------------------------------------------------------
def make_optimizer(lrs=(0.1, 0.03), optimizer_class=optim.SGD, **options):
    groups = [{"params": [nn.Parameter(np.zeros(2))], "lr": lr} for lr in lrs]
    return optimizer_class(groups, lr=lrs[0], **options)


def lr_sequence(scheduler, steps, metrics=None):
    """The lrs of each epoch (as get_last_lr() gives them), stepping the optimizer first as one should."""
    seen = [scheduler.get_last_lr()]
    for epoch in range(steps):
        scheduler.optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[epoch])
        seen.append(scheduler.get_last_lr())
        assert seen[-1] == [group["lr"] for group in scheduler.optimizer.param_groups]
    return np.array(seen)


@pytest.mark.parametrize("make, expected", [
    (lambda o: schedulers.MultiStepLR(o, milestones=[2, 4, 4], gamma=0.5), [1, 1, .5, .5, .125, .125]),
    (lambda o: schedulers.ConstantLR(o, factor=0.5, total_iters=3), [.5, .5, .5, 1, 1, 1]),
    (lambda o: schedulers.LinearLR(o, start_factor=0.25, total_iters=3), [.25, .5, .75, 1, 1, 1]),
    (lambda o: schedulers.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=4), [1, .75, .5, .25, 0, 0]),
    (lambda o: schedulers.CosineAnnealingLR(o, T_max=2), [1, .5, 0, .5, 1, .5]),
    (lambda o: schedulers.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2),  # restarts at 2 and 6
     [1, .5, 1, (1 + math.cos(math.pi / 4)) / 2, .5, (1 - math.cos(math.pi / 4)) / 2]),
    (lambda o: schedulers.LambdaLR(o, lambda epoch: 1 / (epoch + 1)), [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 6]),
    (lambda o: schedulers.MultiplicativeLR(o, lambda epoch: 0.5), [1, .5, .25, .125, .0625, .03125]),
    (lambda o: schedulers.SequentialLR(o, [schedulers.ConstantLR(o, factor=0.1, total_iters=9),
                                           schedulers.ExponentialLR(o, gamma=0.5)], milestones=[2]),
     [.1, .1, 1, .5, .25, .125]),
    (lambda o: schedulers.ChainedScheduler([schedulers.ConstantLR(o, factor=0.1, total_iters=2),
                                            schedulers.ExponentialLR(o, gamma=0.5)]),
     [.1, .05, .25, .125, .0625, .03125]),
], ids=["MultiStepLR", "ConstantLR", "LinearLR", "LinearLR-down", "CosineAnnealingLR", "WarmRestarts", "LambdaLR",
        "MultiplicativeLR", "SequentialLR", "ChainedScheduler"])
def test_lr_sequences_by_hand(make, expected):
    optimizer = make_optimizer(lrs=(1.0, 0.5))
    seen = lr_sequence(make(optimizer), 5)
    np.testing.assert_allclose(seen, np.outer(expected, [1.0, 0.5]), rtol=1e-12, atol=1e-15)


def test_one_cycle_by_hand_with_momentum_cycling():
    optimizer = make_optimizer(lrs=(0.1,), momentum=0.9)
    scheduler = schedulers.OneCycleLR(optimizer, max_lr=1.0, total_steps=11, pct_start=0.5,
                                      anneal_strategy="linear", div_factor=10, final_div_factor=100)
    momenta = [optimizer.param_groups[0]["momentum"]]
    lrs = [scheduler.get_last_lr()[0]]
    for _ in range(10):
        optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
        momenta.append(optimizer.param_groups[0]["momentum"])
    # up from 1/10 to 1 over steps 0 to 4.5, down to 1/1000 at step 10; the momentum the other way
    np.testing.assert_allclose(lrs[:5], 0.1 + 0.9 * np.arange(5) / 4.5, rtol=1e-12)
    np.testing.assert_allclose(momenta[:5], 0.95 - 0.1 * np.arange(5) / 4.5, rtol=1e-12)
    np.testing.assert_allclose(lrs[5:], 1 + (0.001 - 1) * (np.arange(5, 11) - 4.5) / 5.5, rtol=1e-12)
    np.testing.assert_allclose(momenta[5:], 0.85 + 0.1 * (np.arange(5, 11) - 4.5) / 5.5, rtol=1e-12)
    scheduler.step()  # step 11: past the last phase's end, as in PyTorch
    with pytest.raises(ValueError, match="Tried to step 12 times. The specified number of total steps is 11"):
        scheduler.step()


def test_one_cycle_cycles_beta1_of_an_optimizer_with_betas():
    optimizer = make_optimizer(lrs=(0.1,), optimizer_class=optim.NAdam, betas=(0.9, 0.99))
    schedulers.OneCycleLR(optimizer, max_lr=0.5, total_steps=20)
    assert optimizer.param_groups[0]["betas"] == (0.95, 0.99)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        schedulers.OneCycleLR(make_optimizer(optimizer_class=optim.Adagrad), max_lr=0.5, total_steps=20)


def test_reduce_lr_on_plateau_by_hand():
    optimizer = make_optimizer(lrs=(1.0, 0.5))
    scheduler = schedulers.ReduceLROnPlateau(optimizer, factor=0.5, patience=1, cooldown=1, min_lr=[0.2, 0.0])
    losses = [5, 4, 4, 4, 4, 4, 4, 3, 3, 3]
    # the second bad epoch in a row halves the lr (epochs 4, 7, 10); the epoch after a reduction is a
    # cooldown, whose bad epochs (5) and improvements (8) leave the count at 0; min_lr stops the first group
    seen = lr_sequence(scheduler, len(losses), losses)[1:]
    np.testing.assert_allclose(seen[:, 0], [1, 1, 1, .5, .5, .5, .25, .25, .25, .2])
    np.testing.assert_allclose(seen[:, 1], [.5, .5, .5, .25, .25, .25, .125, .125, .125, .0625])
    assert scheduler.best == 3 and scheduler.num_bad_epochs == 0 and scheduler.cooldown_counter == 1


def test_reduce_lr_on_plateau_thresholds():
    def lr_after(metrics, **options):
        optimizer = make_optimizer(lrs=(1.0,))
        scheduler = schedulers.ReduceLROnPlateau(optimizer, patience=0, **options)
        return lr_sequence(scheduler, len(metrics), metrics)[-1, 0]

    assert lr_after([1.0, 0.99995]) == pytest.approx(0.1)  # less than 1e-4 better (relative): not an improvement
    assert lr_after([1.0, 0.9998]) == 1.0
    assert lr_after([1.0, 0.95], threshold=0.1, threshold_mode="abs") == pytest.approx(0.1)
    assert lr_after([1.0, 1.5], mode="max") == 1.0
    assert lr_after([1.0, 1.2], mode="max", threshold=0.5, threshold_mode="abs") == pytest.approx(0.1)
    assert lr_after([1.0, 2.0], min_lr=1.0 - 1e-9) == 1.0  # a change smaller than eps is skipped
    with pytest.raises(ValueError, match="factor should be < 1.0"):
        schedulers.ReduceLROnPlateau(make_optimizer(), factor=1.0)


def test_closed_forms_of_step_with_an_epoch():
    optimizer = make_optimizer(lrs=(1.0,))
    cases = [(schedulers.StepLR(optimizer, step_size=2, gamma=0.5), 5, 0.25),
             (schedulers.MultiStepLR(optimizer, milestones=[1, 3, 3], gamma=0.5), 3, 0.125),
             (schedulers.ExponentialLR(optimizer, gamma=0.5), 3, 0.125),
             (schedulers.LinearLR(optimizer, start_factor=0.5, total_iters=4), 2, 0.75),
             (schedulers.ConstantLR(optimizer, factor=0.5, total_iters=4), 4, 1.0),
             (schedulers.CosineAnnealingLR(optimizer, T_max=4), 2, 0.5)]
    for scheduler, epoch, expected in cases:
        with pytest.warns(UserWarning, match=r"step\(epoch\) is deprecated"):
            scheduler.step(epoch)
        assert scheduler.get_last_lr() == [pytest.approx(expected, rel=1e-12)] and scheduler.last_epoch == epoch


def test_warm_restarts_take_fractional_epochs():
    optimizer = make_optimizer(lrs=(1.0,))
    scheduler = schedulers.CosineAnnealingWarmRestarts(optimizer, T_0=2, T_mult=2, eta_min=0.1)
    # periods [0, 2), [2, 6), [6, 14): (epoch, epochs into the period, its length)
    for epoch, into, period in [(0.5, 0.5, 2), (2.0, 0, 4), (5.0, 3, 4), (6.5, 0.5, 8)]:
        scheduler.step(epoch)
        expected = 0.1 + 0.9 * (1 + math.cos(math.pi * into / period)) / 2
        assert scheduler.get_last_lr() == [pytest.approx(expected, rel=1e-12)] and scheduler.T_i == period
    assert scheduler.last_epoch == 6 and scheduler.T_i == 8


SCHEDULERS = {
    "StepLR": lambda o: schedulers.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda o: schedulers.MultiStepLR(o, milestones=[2, 5, 5]),
    "ConstantLR": lambda o: schedulers.ConstantLR(o, factor=0.5, total_iters=4),
    "LinearLR": lambda o: schedulers.LinearLR(o, start_factor=0.2, total_iters=6),
    "ExponentialLR": lambda o: schedulers.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda o: schedulers.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
    "CosineAnnealingWarmRestarts": lambda o: schedulers.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
    "LambdaLR": lambda o: schedulers.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1 / (1 + e)]),
    "MultiplicativeLR": lambda o: schedulers.MultiplicativeLR(o, lambda e: 0.95),
    "OneCycleLR": lambda o: schedulers.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=30, three_phase=True),
    "ReduceLROnPlateau": lambda o: schedulers.ReduceLROnPlateau(o, patience=1, cooldown=1),
    "SequentialLR": lambda o: schedulers.SequentialLR(o, [schedulers.LinearLR(o, total_iters=3),
                                                          schedulers.MultiStepLR(o, [4, 6])], milestones=[5]),
    "ChainedScheduler": lambda o: schedulers.ChainedScheduler([schedulers.StepLR(o, step_size=2),
                                                               schedulers.CosineAnnealingLR(o, T_max=5)]),
}
PLATEAU_LOSSES = [3.0, 2.0, 2.0, 2.5, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4]


@pytest.mark.parametrize("name", SCHEDULERS)
def test_scheduler_state_dict_round_trip_through_save_and_load(name, tmp_path):
    metrics = PLATEAU_LOSSES if name == "ReduceLROnPlateau" else None
    optimizer = make_optimizer(momentum=0.9)
    scheduler = SCHEDULERS[name](optimizer)
    lr_sequence(scheduler, 7, metrics)
    tl.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, tmp_path / "checkpoint.npz")
    expected = lr_sequence(scheduler, 12, metrics and metrics[7:])

    checkpoint = tl.load(tmp_path / "checkpoint.npz")
    fresh_optimizer = make_optimizer(momentum=0.9)
    fresh = SCHEDULERS[name](fresh_optimizer)
    fresh_optimizer.load_state_dict(checkpoint["optimizer"])  # the learning rates live there, as in PyTorch
    fresh.load_state_dict(checkpoint["scheduler"])
    assert [g["lr"] for g in fresh_optimizer.param_groups] == [g["lr"] for g in checkpoint["optimizer"]["param_groups"]]
    np.testing.assert_array_equal(lr_sequence(fresh, 12, metrics and metrics[7:]), expected)


def test_scheduler_errors():
    optimizer = make_optimizer()
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        schedulers.StepLR([], step_size=1)
    with pytest.raises(KeyError, match=r"'initial_lr' is not specified in param_groups\[0\]"):
        schedulers.ExponentialLR(make_optimizer(), gamma=0.5, last_epoch=3)
    with pytest.raises(ValueError, match="lr_lambda has 1 values, the optimizer has 2 parameter groups"):
        schedulers.LambdaLR(optimizer, [lambda e: 1.0])
    with pytest.raises(ValueError, match="one milestone fewer than schedulers"):
        schedulers.SequentialLR(optimizer, [schedulers.StepLR(optimizer, 2)], milestones=[3])
    with pytest.raises(ValueError, match="does not support ReduceLROnPlateau"):
        schedulers.ChainedScheduler([schedulers.ReduceLROnPlateau(optimizer)])
    with pytest.raises(ValueError, match="belong to the same optimizer"):
        schedulers.ChainedScheduler([schedulers.StepLR(optimizer, 2), schedulers.StepLR(make_optimizer(), 2)])
    with pytest.raises(ValueError, match="give total_steps, or epochs and steps_per_epoch"):
        schedulers.OneCycleLR(optimizer, max_lr=1.0, epochs=3)
    with pytest.raises(ValueError, match="expected a positive integer T_0"):
        schedulers.CosineAnnealingWarmRestarts(optimizer, T_0=0)


# ---- against PyTorch ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def torch():
    torch = pytest.importorskip("torch")
    # PyTorch keeps its step counters and NAdam's mu_product as scalars of the default dtype, float32
    # unless told otherwise; float64 ones make the float64 comparisons exact to rounding
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(previous)


RNG = np.random.default_rng(7)
X, Y = RNG.standard_normal((8, 3)), RNG.standard_normal((8, 2))
MLP_START = [RNG.standard_normal((3, 4)) * 0.5, RNG.standard_normal(4) * 0.1, RNG.standard_normal((4, 2)) * 0.5,
             np.array(1.2)]  # two layers and a 0-d output scale


def mlp_loss(W1, b1, W2, scale, x, y):
    return ((((x @ W1 + b1).tanh() @ W2) * scale - y) ** 2).mean()


def twin_runs(torch, name, options, dtype=np.float64, steps=60):
    """Yield both frameworks' parameters after each of `steps` steps on the MLP, and the optimizers."""
    ours = [nn.Parameter(a.astype(dtype)) for a in MLP_START]
    theirs = [torch.tensor(a.astype(dtype), requires_grad=True) for a in MLP_START]
    ours_opt, theirs_opt = getattr(optim, name)(ours, **options), getattr(torch.optim, name)(theirs, **options)
    data = [(Tensor(X.astype(dtype)), Tensor(Y.astype(dtype))), (torch.from_numpy(X.astype(dtype)),
                                                                 torch.from_numpy(Y.astype(dtype)))]
    for step in range(steps):
        for params, opt, (x, y) in zip((ours, theirs), (ours_opt, theirs_opt), data):
            opt.zero_grad()
            mlp_loss(*params, x, y).backward()
            opt.step()
        yield step, ours, [p.detach().numpy() for p in theirs], ours_opt, theirs_opt


def assert_same_parameters(ours, theirs, step, rtol, atol):
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a.numpy(), b, rtol=rtol, atol=atol, err_msg=f"step {step + 1}, parameter {i}")


def assert_same_state(ours_opt, theirs_opt, rtol=1e-6, atol=1e-12):
    ours, theirs = ours_opt.state_dict(), theirs_opt.state_dict()
    assert sorted(ours["state"]) == sorted(theirs["state"])
    for index, buffers in theirs["state"].items():
        assert sorted(ours["state"][index]) == sorted(buffers)
        for key, value in buffers.items():
            mine = ours["state"][index][key]
            if key in ("step", "n_iter", "func_evals"):
                assert mine == int(value)
            elif hasattr(value, "numpy"):
                np.testing.assert_allclose(mine, value.numpy(), rtol=rtol, atol=atol, err_msg=key)
    for group, their_group in zip(ours["param_groups"], theirs["param_groups"]):
        for key, value in group.items():
            assert their_group[key] == value, key


betas = st.tuples(st.sampled_from([0.5, 0.8, 0.9]), st.sampled_from([0.5, 0.9, 0.99, 0.999]))
lrs = st.sampled_from([1e-3, 0.005, 0.02])
decays = st.sampled_from([0.0, 0.01, 0.1])
OPTIMIZER_SETTINGS = {
    "Adagrad": st.fixed_dictionaries({"lr": lrs, "lr_decay": st.sampled_from([0.0, 0.01, 0.1]), "weight_decay": decays,
                                      "initial_accumulator_value": st.sampled_from([0.0, 0.1, 1.0]),
                                      "eps": st.sampled_from([1e-10, 1e-6])}),
    "Adadelta": st.fixed_dictionaries({"lr": st.sampled_from([0.1, 0.5, 1.0]), "rho": st.sampled_from([0.5, 0.9, 0.95]),
                                       "eps": st.sampled_from([1e-6, 1e-4]), "weight_decay": decays}),
    "Adamax": st.fixed_dictionaries({"lr": lrs, "betas": betas, "eps": st.sampled_from([1e-8, 1e-4]),
                                     "weight_decay": decays}),
    "NAdam": st.fixed_dictionaries({"lr": lrs, "betas": betas, "weight_decay": decays,
                                    "momentum_decay": st.sampled_from([0.0, 4e-3, 0.02]),
                                    "decoupled_weight_decay": st.booleans()}),
    "RAdam": st.fixed_dictionaries({"lr": lrs, "betas": betas, "weight_decay": decays,
                                    "decoupled_weight_decay": st.booleans()}),
    "Adam": st.fixed_dictionaries({"lr": lrs, "betas": betas, "weight_decay": decays, "amsgrad": st.just(True)}),
    "AdamW": st.fixed_dictionaries({"lr": lrs, "betas": betas, "weight_decay": decays, "amsgrad": st.just(True)}),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", OPTIMIZER_SETTINGS)
def test_trajectories_match_pytorch_in_float64(torch, name):
    @settings(max_examples=6)
    @given(OPTIMIZER_SETTINGS[name])
    def check(options):
        for step, ours, theirs, ours_opt, theirs_opt in twin_runs(torch, name, options):
            assert_same_parameters(ours, theirs, step, rtol=1e-6, atol=1e-9)
        assert_same_state(ours_opt, theirs_opt)

    check()


FLOAT32_CASES = [("Adagrad", dict(lr=0.05, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
                 ("Adadelta", dict(lr=0.5, weight_decay=0.01)),
                 ("Adamax", dict(lr=0.01, weight_decay=0.01)),
                 ("NAdam", dict(lr=0.01, weight_decay=0.01, decoupled_weight_decay=True)),
                 ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.01)),
                 ("Adam", dict(lr=0.01, amsgrad=True)),
                 ("AdamW", dict(lr=0.01, amsgrad=True))]


@pytest.mark.torch
@pytest.mark.parametrize("name, options", FLOAT32_CASES, ids=[name for name, _ in FLOAT32_CASES])
def test_trajectories_match_pytorch_in_float32(torch, name, options):
    for step, ours, theirs, ours_opt, theirs_opt in twin_runs(torch, name, options, dtype=np.float32):
        assert_same_parameters(ours, theirs, step, rtol=2e-5, atol=2e-6)
    assert_same_state(ours_opt, theirs_opt, rtol=1e-4, atol=1e-5)


RNG_LOGISTIC = np.random.default_rng(5)
FEATURES, TARGETS = RNG_LOGISTIC.standard_normal((16, 4)), (RNG_LOGISTIC.random((16, 3)) < 0.5).astype(float)
LOGISTIC_START = [RNG_LOGISTIC.standard_normal((4, 3)), RNG_LOGISTIC.standard_normal(3), np.array(0.8)]


def logistic_loss(W, b, c, x, y):
    """Logistic regression with weight decay (strictly convex: one minimum, so that the two runs stay
    together instead of drifting apart along a flat valley)."""
    z = x @ W + b + c
    return ((1 + z.exp()).log() - y * z).mean() + 0.05 * ((W * W).sum() + (b * b).sum() + c * c)


LBFGS_CASES = [dict(max_iter=1), dict(lr=0.5, max_iter=3, history_size=3), dict(lr=0.2, max_iter=4, max_eval=6),
               dict(max_iter=1, max_eval=10, line_search_fn="strong_wolfe"),
               dict(lr=0.3, max_iter=5, history_size=2, line_search_fn="strong_wolfe"),
               dict(max_iter=20, tolerance_grad=1e-5, tolerance_change=1e-7, line_search_fn="strong_wolfe")]


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("options", LBFGS_CASES, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_lbfgs_matches_pytorch(torch, options, dtype):
    ours = [nn.Parameter(a.astype(dtype)) for a in LOGISTIC_START]
    theirs = [torch.tensor(a.astype(dtype), requires_grad=True) for a in LOGISTIC_START]
    ours_opt, theirs_opt = optim.LBFGS(ours, **options), torch.optim.LBFGS(theirs, **options)
    x, y = Tensor(FEATURES.astype(dtype)), Tensor(TARGETS.astype(dtype))
    x_torch, y_torch = torch.from_numpy(FEATURES.astype(dtype)), torch.from_numpy(TARGETS.astype(dtype))

    def closure(params, opt, x, y):
        def evaluate():
            opt.zero_grad()
            loss = logistic_loss(*params, x, y)
            loss.backward()
            return loss
        return evaluate

    ours_closure, theirs_closure = closure(ours, ours_opt, x, y), closure(theirs, theirs_opt, x_torch, y_torch)
    for step in range(50):
        ours_loss, theirs_loss = ours_opt.step(ours_closure), theirs_opt.step(theirs_closure)
        if dtype == np.float64:
            assert ours_loss.item() == pytest.approx(theirs_loss.item(), rel=1e-10)
            assert_same_parameters(ours, [p.detach().numpy() for p in theirs], step, rtol=1e-6, atol=1e-9)
        elif step < 5:  # float32: the same steps until the loss reaches float32's resolution near the minimum
            assert_same_parameters(ours, [p.detach().numpy() for p in theirs], step, rtol=1e-4, atol=1e-5)
    if dtype == np.float64:
        assert_same_state(ours_opt, theirs_opt)
    else:
        assert ours_loss.item() == pytest.approx(theirs_loss.item(), rel=1e-6)
        assert_same_parameters(ours, [p.detach().numpy() for p in theirs], step, rtol=1e-2, atol=1e-3)
        assert sorted(ours_opt.state_dict()["state"][0]) == sorted(theirs_opt.state_dict()["state"][0])


# schedulers: both frameworks' lr sequences over 120 steps, from the same two-group SGD (or Adam)
def both(torch, make, lrs=(0.1, 0.03), optimizer="SGD", **options):
    ours_params = [{"params": [nn.Parameter(np.zeros(2))], "lr": lr} for lr in lrs]
    theirs_params = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    ours_opt = getattr(optim, optimizer)(ours_params, lr=lrs[0], **options)
    theirs_opt = getattr(torch.optim, optimizer)(theirs_params, lr=lrs[0], **options)
    return make(schedulers, ours_opt), make(torch.optim.lr_scheduler, theirs_opt)


def assert_same_sequence(ours, theirs, steps=120, metrics=None, group_keys=("lr",)):
    for epoch in range(steps + 1):
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12, abs=1e-15), f"epoch {epoch}"
        for mine, their_group in zip(ours.optimizer.param_groups, theirs.optimizer.param_groups):
            for key in group_keys:
                assert mine[key] == pytest.approx(their_group[key], rel=1e-12, abs=1e-15), f"{key}, epoch {epoch}"
        if epoch < steps:
            for scheduler in (ours, theirs):
                scheduler.optimizer.step()
                scheduler.step() if metrics is None else scheduler.step(metrics[epoch])


TORCH_SCHEDULERS = [
    lambda s, o: s.StepLR(o, step_size=7, gamma=0.7),
    lambda s, o: s.MultiStepLR(o, milestones=[10, 30, 30, 80], gamma=0.5),
    lambda s, o: s.ConstantLR(o),
    lambda s, o: s.ConstantLR(o, factor=0.2, total_iters=40),
    lambda s, o: s.LinearLR(o),
    lambda s, o: s.LinearLR(o, start_factor=0.9, end_factor=0.05, total_iters=100),
    lambda s, o: s.ExponentialLR(o, gamma=0.97),
    lambda s, o: s.CosineAnnealingLR(o, T_max=25),
    lambda s, o: s.CosineAnnealingLR(o, T_max=40, eta_min=0.005),
    lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=10),
    lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-3),
    lambda s, o: s.LambdaLR(o, lambda epoch: 1 / (1 + 0.1 * epoch)),
    lambda s, o: s.LambdaLR(o, [lambda epoch: 0.99 ** epoch, lambda epoch: (epoch % 10 + 1) / 10]),
    lambda s, o: s.MultiplicativeLR(o, lambda epoch: 0.98 if epoch % 3 else 1.01),
    lambda s, o: s.OneCycleLR(o, max_lr=0.5, total_steps=120),
    lambda s, o: s.OneCycleLR(o, max_lr=[1.0, 0.2], epochs=12, steps_per_epoch=10, pct_start=0.25,
                              anneal_strategy="linear", div_factor=10.0, final_div_factor=100.0),
    lambda s, o: s.OneCycleLR(o, max_lr=0.3, total_steps=121, three_phase=True, cycle_momentum=False),
    lambda s, o: s.SequentialLR(o, [s.LinearLR(o, start_factor=0.01, total_iters=10), s.CosineAnnealingLR(o, 50)],
                                milestones=[10]),
    lambda s, o: s.SequentialLR(o, [s.ConstantLR(o, factor=0.5, total_iters=5), s.ExponentialLR(o, gamma=0.95),
                                    s.StepLR(o, step_size=10)], milestones=[5, 60]),
    lambda s, o: s.SequentialLR(o, [s.MultiplicativeLR(o, lambda e: 0.9), s.LambdaLR(o, lambda e: 1 / (e + 1))],
                                milestones=[20]),
    lambda s, o: s.ChainedScheduler([s.ConstantLR(o, factor=0.1, total_iters=3), s.ExponentialLR(o, gamma=0.98)]),
    lambda s, o: s.ChainedScheduler([s.LinearLR(o, start_factor=0.3, total_iters=20), s.MultiStepLR(o, [40, 90]),
                                     s.CosineAnnealingLR(o, T_max=30)], optimizer=o),
    lambda s, o: s.ChainedScheduler([s.SequentialLR(o, [s.ConstantLR(o, total_iters=4), s.StepLR(o, 9)], [15]),
                                     s.ExponentialLR(o, gamma=0.99)]),
]


@pytest.mark.torch
@pytest.mark.parametrize("make", TORCH_SCHEDULERS, ids=[f"case{i}" for i in range(len(TORCH_SCHEDULERS))])
def test_scheduler_lr_sequences_match_pytorch(torch, make):
    assert_same_sequence(*both(torch, make, momentum=0.9), group_keys=("lr", "momentum"))


@pytest.mark.torch
@pytest.mark.parametrize("optimizer, options, key", [("SGD", dict(momentum=0.5), "momentum"),
                                                     ("SGD", dict(), "momentum"),
                                                     ("Adam", dict(), "betas"), ("RAdam", dict(), "betas")])
@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_cycles_momentum_as_pytorch(torch, optimizer, options, key, three_phase):
    def make(s, o):
        return s.OneCycleLR(o, max_lr=[0.4, 0.1], total_steps=120, pct_start=0.4, three_phase=three_phase,
                            base_momentum=[0.8, 0.7], max_momentum=0.92)

    assert_same_sequence(*both(torch, make, optimizer=optimizer, **options), group_keys=("lr", key))


@pytest.mark.torch
@pytest.mark.parametrize("options", [dict(), dict(patience=3, factor=0.5), dict(mode="max", patience=2, cooldown=3),
                                     dict(threshold=0.05, threshold_mode="abs", patience=1, min_lr=[0.01, 0.02]),
                                     dict(mode="max", threshold=0.01, factor=0.3, cooldown=1, patience=0, eps=1e-3),
                                     dict(patience=0, factor=0.5, min_lr=0.004)])
def test_reduce_lr_on_plateau_matches_pytorch(torch, options):
    # a noisy falling loss with plateaus; for mode "max" its negative (a score that rises)
    rng = np.random.default_rng(3)
    losses = np.repeat(np.exp(-np.arange(30) / 8), 5)[:150] + 0.01 * rng.standard_normal(150).round(1)
    metrics = -losses if options.get("mode") == "max" else losses
    ours, theirs = both(torch, lambda s, o: s.ReduceLROnPlateau(o, **options))
    assert_same_sequence(ours, theirs, steps=150, metrics=list(metrics))
    assert (ours.best, ours.num_bad_epochs, ours.cooldown_counter) == (theirs.best, theirs.num_bad_epochs,
                                                                      theirs.cooldown_counter)


CHECKPOINT_CASES = [(make, None) for make in TORCH_SCHEDULERS[::3]] + [
    (lambda s, o: s.ReduceLROnPlateau(o, patience=2), [1 / (1 + epoch // 7) for epoch in range(100)])]


@pytest.mark.torch
@pytest.mark.parametrize("make, metrics", CHECKPOINT_CASES, ids=[f"case{i}" for i in range(len(CHECKPOINT_CASES))])
def test_scheduler_checkpoint_continues_as_pytorch(torch, make, metrics, tmp_path):
    ours, theirs = both(torch, make, momentum=0.9)
    assert_same_sequence(ours, theirs, steps=37, metrics=metrics)
    tl.save({"optimizer": ours.optimizer.state_dict(), "scheduler": ours.state_dict()}, tmp_path / "checkpoint.npz")
    checkpoint = tl.load(tmp_path / "checkpoint.npz")
    restored_optimizer = make_optimizer(momentum=0.9)
    restored = make(schedulers, restored_optimizer)
    restored_optimizer.load_state_dict(checkpoint["optimizer"])
    restored.load_state_dict(checkpoint["scheduler"])
    assert_same_sequence(restored, theirs, steps=60, metrics=metrics and metrics[37:])


@pytest.mark.torch
def test_closed_forms_match_pytorch(torch):
    for make in TORCH_SCHEDULERS[:9]:
        ours, theirs = both(torch, make)
        for epoch in [3, 17, 10, 0, 64, 119]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                ours.step(epoch)
                theirs.step(epoch)
            assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12, abs=1e-15)
    ours, theirs = both(torch, lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=3, eta_min=0.001))
    for epoch in np.arange(0, 120, 0.37):  # fractional epochs, as in per-batch stepping
        ours.step(float(epoch))
        theirs.step(float(epoch))
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12, abs=1e-15)
        assert (ours.T_i, ours.last_epoch) == (theirs.T_i, theirs.last_epoch)
