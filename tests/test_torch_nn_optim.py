"""Differential tests against PyTorch: layers, losses, optimizers, schedulers and state-dict names.

Skipped when torch is not installed. Both sides start from the same weights; float64 throughout
unless a test is about float32, so the comparisons can be tight.
"""
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_like as tl
from tinygrad_like import Tensor, nn, optim

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

REDUCTIONS = ["mean", "sum", "none"]


def to_torch(array, requires_grad=False):
    return torch.from_numpy(np.array(array)).requires_grad_(requires_grad)


def copy_weights(ours, theirs):
    """Give a torch module the values of our module's parameters (same names, same layouts)."""
    with torch.no_grad():
        for name, value in theirs.named_parameters():
            value.copy_(torch.from_numpy(dict(ours.named_parameters())[name].numpy().copy()))


def assert_matches(ours, theirs, rtol=1e-12, atol=1e-14, what=""):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    ours = ours.numpy() if isinstance(ours, Tensor) else ours
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs PyTorch's {theirs.shape}"
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype} vs PyTorch's {theirs.dtype}"
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=what)


# ---- Linear and the other layers ------------------------------------------------------------------
@pytest.mark.parametrize("batch", [(), (5,), (2, 3)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_forward_and_backward(batch, bias, dtype):
    tl.manual_seed(0)
    ours = nn.Linear(4, 3, bias=bias).to(dtype)
    theirs = torch.nn.Linear(4, 3, bias=bias, dtype=torch.float32 if dtype == np.float32 else torch.float64)
    copy_weights(ours, theirs)
    x = np.random.default_rng(1).standard_normal(batch + (4,)).astype(dtype)
    upstream = np.random.default_rng(2).standard_normal(batch + (3,)).astype(dtype)
    x_ours, x_theirs = Tensor(x, requires_grad=True), to_torch(x, requires_grad=True)
    out_ours, out_theirs = ours(x_ours), theirs(x_theirs)
    out_ours.backward(upstream)
    out_theirs.backward(to_torch(upstream))
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    assert_matches(out_ours, out_theirs, what="output", **tol)
    assert_matches(x_ours.grad, x_theirs.grad, what="input grad", **tol)
    assert_matches(ours.weight.grad, theirs.weight.grad, what="weight grad", **tol)
    if bias:
        assert_matches(ours.bias.grad, theirs.bias.grad, what="bias grad", **tol)


@pytest.mark.parametrize("ours, theirs", [
    (nn.ReLU(), torch.nn.ReLU()), (nn.Sigmoid(), torch.nn.Sigmoid()), (nn.Tanh(), torch.nn.Tanh()),
    (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)), (nn.Softmax(dim=-1), torch.nn.Softmax(dim=-1)),
    (nn.LogSoftmax(dim=0), torch.nn.LogSoftmax(dim=0)), (nn.Flatten(), torch.nn.Flatten()),
    (nn.Flatten(0, 1), torch.nn.Flatten(0, 1)), (nn.Identity(), torch.nn.Identity()),
    (nn.Dropout(0.5).eval(), torch.nn.Dropout(0.5).eval()),
], ids=lambda m: repr(m).replace("\n", ""))
def test_activation_and_shape_layers(ours, theirs):
    x = np.random.default_rng(3).standard_normal((3, 4, 2)) * 4
    x[np.abs(x) < 1e-3] = 0.5  # away from ReLU's kink
    upstream = np.random.default_rng(4).standard_normal(theirs(to_torch(x)).shape)
    x_ours, x_theirs = Tensor(x, requires_grad=True), to_torch(x, requires_grad=True)
    out_ours, out_theirs = ours(x_ours), theirs(x_theirs)
    out_ours.backward(upstream)
    out_theirs.backward(to_torch(upstream))
    assert_matches(out_ours, out_theirs, what="output")
    assert_matches(x_ours.grad, x_theirs.grad, what="input grad")


def test_embedding_forward_and_backward_with_repeated_indices():
    ours = nn.Embedding(6, 3).double()
    theirs = torch.nn.Embedding(6, 3, dtype=torch.float64)
    copy_weights(ours, theirs)
    indices = np.array([[1, 4, 1], [0, 1, 5]])
    upstream = np.random.default_rng(5).standard_normal((2, 3, 3))
    out_ours, out_theirs = ours(indices), theirs(torch.from_numpy(indices))
    out_ours.backward(upstream)
    out_theirs.backward(to_torch(upstream))
    assert_matches(out_ours, out_theirs, what="output")
    assert_matches(ours.weight.grad, theirs.weight.grad, what="weight grad")


# ---- losses ---------------------------------------------------------------------------------------
RNG = np.random.default_rng(6)
LOGITS = RNG.standard_normal((5, 4)) * 3
REAL_TARGET = RNG.standard_normal((5, 4))
PROBABILITIES = RNG.uniform(0.01, 0.99, (5, 4))
SOFT_LABELS = RNG.uniform(0, 1, (5, 4))
HARD_LABELS = (SOFT_LABELS > 0.5).astype(np.float64)
CLASSES = np.array([3, 0, 1, 3, 2])
CLASS_PROBABILITIES = np.exp(LOGITS[::-1]) / np.exp(LOGITS[::-1]).sum(axis=1, keepdims=True)
LOG_PROBABILITIES = LOGITS - np.log(np.exp(LOGITS).sum(axis=1, keepdims=True))

LOSS_CASES = {
    "mse": (nn.MSELoss, torch.nn.MSELoss, LOGITS, REAL_TARGET),
    "l1": (nn.L1Loss, torch.nn.L1Loss, LOGITS, REAL_TARGET),
    "bce_soft": (nn.BCELoss, torch.nn.BCELoss, PROBABILITIES, SOFT_LABELS),
    "bce_hard": (nn.BCELoss, torch.nn.BCELoss, PROBABILITIES, HARD_LABELS),
    "bce_saturated": (nn.BCELoss, torch.nn.BCELoss, np.array([0.0, 1.0, 0.0, 1.0, 0.5]),
                      np.array([1.0, 0.0, 0.0, 1.0, 1.0])),
    "bce_with_logits": (nn.BCEWithLogitsLoss, torch.nn.BCEWithLogitsLoss, LOGITS, SOFT_LABELS),
    "bce_with_logits_huge": (nn.BCEWithLogitsLoss, torch.nn.BCEWithLogitsLoss, np.array([1e4, -1e4, 1e4, -30.0]),
                             np.array([0.0, 1.0, 1.0, 0.3])),
    "cross_entropy_indices": (nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss, LOGITS, CLASSES),
    "cross_entropy_probabilities": (nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss, LOGITS, CLASS_PROBABILITIES),
    "cross_entropy_huge": (nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss,
                           np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]]), np.array([1, 2])),
    "cross_entropy_single": (nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss, LOGITS[0], np.array(2)),
    "nll": (nn.NLLLoss, torch.nn.NLLLoss, LOG_PROBABILITIES, CLASSES),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", LOSS_CASES)
def test_loss_values_and_gradients(name, reduction):
    ours_class, theirs_class, x, target = LOSS_CASES[name]
    target_grad = target.dtype.kind == "f" and name not in ("bce_saturated", "bce_hard")
    x_ours, x_theirs = Tensor(x, requires_grad=True), to_torch(x, requires_grad=True)
    t_ours = Tensor(target, requires_grad=target_grad)
    t_theirs = torch.from_numpy(np.array(target)).requires_grad_(target_grad)
    out_ours = ours_class(reduction=reduction)(x_ours, t_ours)
    out_theirs = theirs_class(reduction=reduction)(x_theirs, t_theirs)
    assert_matches(out_ours, out_theirs, what="loss")
    upstream = np.random.default_rng(7).standard_normal(out_theirs.shape)
    out_ours.backward(upstream)
    out_theirs.backward(to_torch(upstream))
    assert np.all(np.isfinite(x_ours.grad.numpy()))
    # Saturated BCE divides by max(p(1-p), 1e-12); PyTorch's 1e-12 is a C float (9.99999996e-13), a
    # relative difference of 4e-9 that only this clamp exposes
    rtol = 1e-8 if name == "bce_saturated" else 1e-12
    assert_matches(x_ours.grad, x_theirs.grad, rtol=rtol, what="input grad")
    if target_grad:
        assert_matches(t_ours.grad, t_theirs.grad, what="target grad")


@pytest.mark.parametrize("name", ["mse", "l1", "bce_soft", "bce_saturated", "bce_with_logits", "cross_entropy_indices",
                                  "cross_entropy_probabilities", "nll"])
def test_loss_values_and_gradients_in_float32(name):
    ours_class, theirs_class, x, target = LOSS_CASES[name]
    x = x.astype(np.float32)
    target = target.astype(np.float32) if target.dtype.kind == "f" else target
    x_ours, x_theirs = Tensor(x, requires_grad=True), to_torch(x, requires_grad=True)
    out_ours = ours_class()(x_ours, Tensor(target))
    out_theirs = theirs_class()(x_theirs, torch.from_numpy(np.array(target)))
    out_ours.backward()
    out_theirs.backward()
    assert_matches(out_ours, out_theirs, rtol=1e-5, atol=1e-6, what="loss")
    assert_matches(x_ours.grad, x_theirs.grad, rtol=1e-5, atol=1e-6, what="input grad")


# ---- optimizers -----------------------------------------------------------------------------------
def twin_models(seed=0):
    tl.manual_seed(seed)
    ours = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    copy_weights(ours, theirs)
    return ours, theirs


OPTIMIZER_CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.2)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, weight_decay=0.1)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.05, betas=(0.85, 0.95), weight_decay=0.3)),
]


@pytest.mark.parametrize("name, options", OPTIMIZER_CASES, ids=lambda c: str(c))
def test_optimizer_parameter_trajectories(name, options):
    ours, theirs = twin_models()
    opt_ours = getattr(optim, name)(ours.parameters(), **options)
    opt_theirs = getattr(torch.optim, name)(theirs.parameters(), **options)
    rng = np.random.default_rng(8)
    for step in range(10):
        x, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
        for model, opt, wrap, loss in ((ours, opt_ours, Tensor, nn.MSELoss()),
                                       (theirs, opt_theirs, to_torch, torch.nn.MSELoss())):
            opt.zero_grad()
            loss(model(wrap(x)), wrap(y)).backward()
            opt.step()
        for (key, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert_matches(a, b, rtol=1e-10, atol=1e-13, what=f"step {step + 1}: {key}")
    # the per-parameter state has PyTorch's names and values
    state_ours, state_theirs = opt_ours.state_dict()["state"], opt_theirs.state_dict()["state"]
    # plain SGD keeps no buffers: PyTorch lists no entry, we list an empty one per parameter
    state_ours = {index: buffers for index, buffers in state_ours.items() if buffers}
    assert sorted(state_ours) == sorted(state_theirs)
    for index, buffers in state_theirs.items():
        assert sorted(state_ours[index]) == sorted(buffers)
        for key, value in buffers.items():
            if key == "step":
                assert state_ours[index][key] == int(value)
            else:
                assert_matches(state_ours[index][key], value, rtol=1e-10, atol=1e-13, what=key)


@pytest.mark.parametrize("scheduler, options", [("StepLR", dict(step_size=3, gamma=0.5)),
                                                ("ExponentialLR", dict(gamma=0.8))])
def test_scheduler_learning_rates(scheduler, options):
    ours, theirs = twin_models()
    opt_ours, opt_theirs = optim.SGD(ours.parameters(), lr=0.2), torch.optim.SGD(theirs.parameters(), lr=0.2)
    s_ours = getattr(optim.lr_scheduler, scheduler)(opt_ours, **options)
    s_theirs = getattr(torch.optim.lr_scheduler, scheduler)(opt_theirs, **options)
    for _ in range(10):
        assert s_ours.get_last_lr() == pytest.approx(s_theirs.get_last_lr(), rel=1e-14)
        opt_ours.step()
        opt_theirs.step()
        s_ours.step()
        s_theirs.step()


# ---- state dicts and printing ---------------------------------------------------------------------
def test_state_dict_keys_equal_pytorchs_for_an_equivalent_model():
    shared = nn.Linear(4, 4)
    ours = nn.Sequential(nn.Flatten(), nn.Linear(8, 4), nn.ReLU(), nn.Sequential(shared, nn.Tanh(), shared),
                         nn.Linear(4, 2, bias=False), nn.Embedding(3, 2))
    torch_shared = torch.nn.Linear(4, 4)
    theirs = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 4), torch.nn.ReLU(),
                                 torch.nn.Sequential(torch_shared, torch.nn.Tanh(), torch_shared),
                                 torch.nn.Linear(4, 2, bias=False), torch.nn.Embedding(3, 2))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [name for name, _ in ours.named_parameters()] == [name for name, _ in theirs.named_parameters()]
    assert [tuple(v.shape) for v in ours.state_dict().values()] == [tuple(v.shape) for v in
                                                                    theirs.state_dict().values()]
    named = OrderedDict([("encoder", nn.Linear(2, 3)), ("act", nn.Sigmoid()), ("decoder", nn.Linear(3, 2))])
    torch_named = OrderedDict([("encoder", torch.nn.Linear(2, 3)), ("act", torch.nn.Sigmoid()),
                               ("decoder", torch.nn.Linear(3, 2))])
    assert list(nn.Sequential(named).state_dict()) == list(torch.nn.Sequential(torch_named).state_dict())


def test_pytorch_weights_load_into_our_model_and_back():
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1)).double()
    ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1)).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(9).standard_normal((5, 3))
    assert_matches(ours(Tensor(x)), theirs(to_torch(x)), what="output")
    back = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1)).double()
    back.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    assert torch.equal(back(to_torch(x)), theirs(to_torch(x)))


@pytest.mark.parametrize("change", ["missing", "unexpected", "size mismatch"])
def test_a_bad_state_dict_raises_the_exception_type_pytorch_raises(change):
    ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1)).double()
    state = {k: v.numpy().copy() for k, v in theirs.state_dict().items()}
    if change == "missing":
        del state["2.bias"]
    elif change == "unexpected":
        state["3.weight"] = np.zeros((1, 1))
    else:
        state["0.weight"] = np.zeros((4, 2))
    with pytest.raises(RuntimeError) as torch_error:
        theirs.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    with pytest.raises(type(torch_error.value)):
        ours.load_state_dict(state)
    if change == "size mismatch":  # an error with strict=False too, in both
        with pytest.raises(RuntimeError):
            theirs.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)
        with pytest.raises(RuntimeError):
            ours.load_state_dict(state, strict=False)


def test_repr_equals_pytorchs():
    ours = nn.Sequential(nn.Flatten(), nn.Linear(8, 4), nn.ReLU(),
                         nn.Sequential(nn.Linear(4, 4, bias=False), nn.Tanh(), nn.Softmax(dim=1)),
                         nn.Embedding(3, 2), nn.Sigmoid(), nn.LogSoftmax(dim=-1), nn.Identity())
    theirs = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 4), torch.nn.ReLU(),
                                 torch.nn.Sequential(torch.nn.Linear(4, 4, bias=False), torch.nn.Tanh(),
                                                     torch.nn.Softmax(dim=1)),
                                 torch.nn.Embedding(3, 2), torch.nn.Sigmoid(), torch.nn.LogSoftmax(dim=-1),
                                 torch.nn.Identity())
    assert repr(ours) == repr(theirs)

    def with_extra(base):
        class Block(base):
            def __init__(self, linear):
                super().__init__()
                self.proj = linear

            def extra_repr(self):
                return "heads=2"

        return Block

    assert repr(with_extra(nn.Module)(nn.Linear(2, 2))) == repr(with_extra(torch.nn.Module)(torch.nn.Linear(2, 2)))
