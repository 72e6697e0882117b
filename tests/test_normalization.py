"""Normalization layers (batch, instance, layer, group, RMS, local response norm, normalize), channel-wise and
alpha dropout, and Unflatten: values against direct numpy formulas, float64 gradcheck and gradgradcheck,
running statistics, buffers and state dicts, errors and dtypes; then PyTorch itself (marked torch)."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Tensor, nn
from tinygrad_like.nn import functional as F
from tinygrad_like.testing import arrays, assert_close

EPS = 1e-5


# ---- references: the textbook formulas, with numpy's (biased) var ---------------------------------
def reference_norm(x, axes, eps=EPS):
    return (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


def channel(v, ndim):
    return v.reshape((-1,) + (1,) * (ndim - 2))


def reference(kind, x, weight, bias, groups, k):
    """(expected output, our function of (x, weight, bias)) for one kind of normalization."""
    ndim = x.ndim
    if kind == "layer":
        out = reference_norm(x, tuple(range(ndim - k, ndim)))
        out = out if weight is None else out * weight
        out = out if bias is None else out + bias
        return out, lambda t, w, b: F.layer_norm(t, x.shape[ndim - k:], w, b)
    if kind == "batch":
        out = reference_norm(x, (0,) + tuple(range(2, ndim)))
        function = lambda t, w, b: F.batch_norm(t, None, None, w, b, training=True)  # noqa: E731
    elif kind == "instance":
        out = reference_norm(x, tuple(range(2, ndim)))
        function = lambda t, w, b: F.instance_norm(t, weight=w, bias=b)  # noqa: E731
    else:
        grouped = x.reshape(x.shape[0], groups, -1)
        out = reference_norm(grouped, (2,)).reshape(x.shape)
        function = lambda t, w, b: F.group_norm(t, groups, w, b)  # noqa: E731
    out = out if weight is None else out * channel(weight, ndim)
    out = out if bias is None else out + channel(bias, ndim)
    return out, function


@st.composite
def norm_cases(draw, kind):
    """(x, weight, bias, groups, k): shapes (N, C, *spatial) that the kind accepts in training, values
    spread apart (a random offset per element, a multiple of 7) so that no group is near-constant,
    where the gradients would be ill-conditioned for finite differences."""
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    spatial = draw(st.lists(st.integers(1, 3), max_size=2))
    shape = (n, c, *spatial)
    size = math.prod(shape)
    groups = draw(st.sampled_from([g for g in range(1, c + 1) if c % g == 0]))
    k = draw(st.integers(1, len(shape)))
    per_statistic = {"batch": size // c, "instance": math.prod(spatial), "group": size // (n * groups),
                     "layer": math.prod(shape[len(shape) - k:])}[kind]
    assume(per_statistic > 1)
    a = draw(arrays(shape=shape))
    offsets = np.array(draw(st.permutations(range(size))), dtype=np.float64).reshape(shape)
    x = a + 7 * offsets
    affine_shape = shape[len(shape) - k:] if kind == "layer" else (c,)
    weight = draw(st.none() | arrays(shape=affine_shape, min_value=0.5, max_value=2.0))
    bias = draw(st.none() | arrays(shape=affine_shape))
    return x, weight, bias, groups, k


KINDS = ["batch", "instance", "layer", "group"]


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
@settings(max_examples=10)
def test_values_and_gradients(kind, data):
    x, weight, bias, groups, k = data.draw(norm_cases(kind))
    expected, function = reference(kind, x, weight, bias, groups, k)
    w = None if weight is None else Tensor(weight, requires_grad=True)
    b = None if bias is None else Tensor(bias, requires_grad=True)
    assert_close(function(Tensor(x), w, b), expected, rtol=1e-9, atol=1e-9)
    assert tl.gradcheck(function, Tensor(x, requires_grad=True), w, b)


SECOND_ORDER = {
    "batch": lambda t, w, b: F.batch_norm(t, None, None, w, b, training=True),
    "instance": lambda t, w, b: F.instance_norm(t, weight=w, bias=b),
    "layer": lambda t, w, b: F.layer_norm(t, (3,), w[:3], b[:3]),
    "group": lambda t, w, b: F.group_norm(t, 2, w, b),
}


@pytest.mark.parametrize("kind", KINDS)
def test_second_derivatives(kind):
    rng = np.random.default_rng(3)
    x, w, b = (Tensor(rng.normal(size=shape), requires_grad=True) for shape in [(2, 4, 3), (4,), (4,)])
    assert tl.gradgradcheck(SECOND_ORDER[kind], x, w, b)


def test_other_normalizations_values_and_gradients():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 5, 3))
    w = rng.uniform(0.5, 2, size=3)
    rms = x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-6) * w
    assert_close(F.rms_norm(Tensor(x), 3, Tensor(w), eps=1e-6), rms, rtol=1e-12)
    assert_close(F.rms_norm(Tensor(x), (3,)), x / np.sqrt((x * x).mean(-1, keepdims=True) + np.finfo(float).eps),
                 rtol=1e-12)
    assert_close(F.normalize(Tensor(x)), x / np.linalg.norm(x, axis=1, keepdims=True), rtol=1e-12)
    assert_close(F.normalize(Tensor(x), p=1, dim=-1), x / np.abs(x).sum(-1, keepdims=True), rtol=1e-12)
    squares = np.pad(x * x, ((0, 0), (1, 1), (0, 0)))  # size 3: one zero channel on each side
    window = (squares[:, :-2] + squares[:, 1:-1] + squares[:, 2:]) / 3
    assert_close(F.local_response_norm(Tensor(x), 3, alpha=0.5, beta=0.6, k=2.0), x / (2.0 + 0.5 * window) ** 0.6,
                 rtol=1e-12)
    functions = [lambda t, v: F.rms_norm(t, (3,), v), lambda t, v: F.normalize(t, dim=2) * v,
                 lambda t, v: F.normalize(t, p=3, dim=1) * v,
                 lambda t, v: F.local_response_norm(t, 4, alpha=0.3, beta=0.7) * v]
    for function in functions:
        args = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
        assert tl.gradcheck(function, *args)
        assert tl.gradgradcheck(function, *args)


def test_edge_values():
    # Far from 0: two-pass statistics keep the variance that E[x^2] - E[x]^2 would cancel away.
    rng = np.random.default_rng(5)
    noise = rng.normal(size=(8, 3))
    assert_close(F.batch_norm(Tensor(noise + 1e10), None, None, training=True), reference_norm(noise, (0,)),
                 rtol=1e-5, atol=1e-5)
    assert_close(F.layer_norm(Tensor(noise * 1e150), 3), reference_norm(noise, (1,), eps=0), rtol=1e-12, atol=1e-12)
    # A constant channel: zeros, and the finite gradient (g - mean(g)) / sqrt(eps) of the centring
    x = Tensor(np.ones((4, 2)), requires_grad=True)
    out = F.batch_norm(x, None, None, training=True)
    assert_close(out, np.zeros((4, 2)))
    g = rng.normal(size=(4, 2))
    out.backward(Tensor(g))
    assert_close(x.grad, (g - g.mean(axis=0)) / np.sqrt(EPS), rtol=1e-12)
    # Empty batches and groups: empty results, running statistics unchanged (as in PyTorch)
    bn = nn.BatchNorm1d(3)
    for shape in [(0, 3), (2, 3, 0)]:
        x = Tensor(np.zeros(shape), requires_grad=True)
        out = bn.double()(x)
        assert out.shape == shape
        out.sum().backward()
        assert x.grad.shape == shape
    assert_close(bn.running_mean, np.zeros(3))
    assert_close(bn.running_var, np.ones(3))
    assert int(bn.num_batches_tracked) == 2
    assert F.layer_norm(Tensor(np.zeros((0, 3))), 3).shape == (0, 3)
    # normalize: the zero vector stays zero, divided by eps (the clamped norm, whose gradient is 0), as in PyTorch
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    out = F.normalize(x)
    out.sum().backward()
    assert_close(out, np.zeros((2, 3)))
    assert_close(x.grad, np.full((2, 3), 1e12))


# ---- running statistics, modes, buffers ----------------------------------------------------------
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_running_statistics(momentum):
    rng = np.random.default_rng(6)
    bn = nn.BatchNorm2d(3, momentum=momentum, dtype=tl.float64)
    mean, var = np.zeros(3), np.ones(3)
    batches = [rng.normal(2.0, 3.0, size=(4, 3, 2, 2)) for _ in range(4)]
    for step, x in enumerate(batches, 1):
        bn(Tensor(x))
        factor = 1 / step if momentum is None else momentum  # None: the plain average of the batches
        mean = (1 - factor) * mean + factor * x.mean(axis=(0, 2, 3))
        var = (1 - factor) * var + factor * x.var(axis=(0, 2, 3), ddof=1)  # unbiased, as PyTorch keeps it
        assert_close(bn.running_mean, mean, rtol=1e-12)
        assert_close(bn.running_var, var, rtol=1e-12)
        assert bn.num_batches_tracked.item() == step
    bn.eval()
    x = rng.normal(size=(2, 3, 2, 2))
    bn.weight.data = Tensor(np.array([1.0, 2.0, 3.0]))
    bn.bias.data = Tensor(np.array([0.5, 0.0, -0.5]))
    expected = (x - channel(mean, 4)) / np.sqrt(channel(var, 4) + EPS) * channel(np.array([1.0, 2, 3]), 4)
    assert_close(bn(Tensor(x)), expected + channel(np.array([0.5, 0.0, -0.5]), 4), rtol=1e-12)
    assert bn.num_batches_tracked.item() == 4  # eval mode tracks nothing
    bn.reset_running_stats()
    assert_close(bn.running_mean, np.zeros(3))
    assert_close(bn.running_var, np.ones(3))
    assert bn.num_batches_tracked.item() == 0 and bn.weight.numpy().tolist() == [1.0, 2.0, 3.0]
    bn.reset_parameters()
    assert bn.weight.numpy().tolist() == [1.0] * 3 and bn.bias.numpy().tolist() == [0.0] * 3


def test_modes_affine_and_untracked():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(5, 2, 3))
    plain = nn.BatchNorm1d(2, affine=False, track_running_stats=False).double()
    assert plain.weight is plain.bias is plain.running_mean is plain.running_var is None
    assert list(plain.state_dict()) == [] and list(plain.buffers()) == [] and list(plain.parameters()) == []
    assert_close(plain(Tensor(x)), reference_norm(x, (0, 2)), rtol=1e-10)
    assert_close(plain.eval()(Tensor(x)), reference_norm(x, (0, 2)), rtol=1e-10)  # batch statistics in eval too
    no_bias = nn.BatchNorm1d(2, bias=False)
    assert no_bias.bias is None and list(no_bias.state_dict()) == ["weight", "running_mean", "running_var",
                                                                     "num_batches_tracked"]
    # Instance norm with running statistics: each sample's statistics, averaged over the batch, update them
    inorm = nn.InstanceNorm1d(2, track_running_stats=True, affine=True).double()
    assert_close(inorm(Tensor(x)), reference_norm(x, (2,)), rtol=1e-10)
    assert_close(inorm.running_mean, 0.1 * x.mean(axis=2).mean(axis=0), rtol=1e-12)
    assert_close(inorm.running_var, 0.9 + 0.1 * x.var(axis=2, ddof=1).mean(axis=0), rtol=1e-12)
    assert int(inorm.num_batches_tracked) == 0  # instance norm does not count batches, as in PyTorch
    inorm.eval()
    expected = (x - channel(inorm.running_mean.numpy(), 3)) / np.sqrt(channel(inorm.running_var.numpy(), 3) + EPS)
    assert_close(inorm(Tensor(x)), expected, rtol=1e-12)
    assert_close(nn.InstanceNorm2d(5).double()(Tensor(x)), reference_norm(x, (1, 2)), rtol=1e-10)  # no batch axis


def test_buffers_move_and_persist():
    bn = nn.BatchNorm3d(2)
    assert [name for name, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert bn.running_mean.dtype == np.float32 and bn.num_batches_tracked.dtype == np.int64
    state = bn.state_dict()
    bn.double()
    assert bn.running_var.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
    bn.float()
    bn.register_buffer("scratch", Tensor(np.zeros(2, np.float32)), persistent=False)
    assert "scratch" not in bn.state_dict() and any(b is bn.scratch for b in bn.buffers())
    bn(Tensor(np.random.default_rng(8).normal(size=(2, 2, 2, 2, 2)).astype(np.float32)))
    assert state["num_batches_tracked"].item() == 1  # a state_dict shares the buffers' memory, as PyTorch's
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                        "1.running_var", "1.num_batches_tracked"]
    copy = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    model(Tensor(np.ones((4, 3), np.float32)) + tl.randn(4, 3))
    copy.load_state_dict(model.state_dict())
    assert int(copy[1].num_batches_tracked) == 1
    assert_close(copy[1].running_var, model[1].running_var)


def test_float32_is_preserved():
    rng = np.random.default_rng(9)
    x = Tensor(rng.normal(size=(3, 4, 5)).astype(np.float32), requires_grad=True)
    modules = [nn.BatchNorm1d(4), nn.InstanceNorm1d(4, affine=True), nn.LayerNorm(5), nn.GroupNorm(2, 4),
               nn.RMSNorm([4, 5]), nn.LocalResponseNorm(2)]
    for module in modules:
        for mode in (True, False):
            module.train(mode)
            x.grad = None
            out = module(x)
            assert out.dtype == np.float32, module
            out.sum().backward()
            assert x.grad.dtype == np.float32 and all(p.grad.dtype == np.float32 for p in module.parameters())
    assert modules[0].running_var.dtype == np.float32
    assert F.normalize(x).dtype == np.float32 and F.dropout1d(x).dtype == np.float32


def test_errors():
    x = Tensor(np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training, got input size"):
        nn.BatchNorm1d(3)(x)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        F.group_norm(Tensor(np.zeros((1, 2))), 2)
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        nn.InstanceNorm1d(3)(Tensor(np.zeros((2, 3, 1))))
    nn.BatchNorm1d(3).eval()(x)  # one sample is fine with running statistics
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(Tensor(np.zeros((2, 3, 4))))
    with pytest.raises(RuntimeError, match=r"running_mean has shape \(2,\) but should have shape \(3,\)"):
        F.batch_norm(Tensor(np.zeros((4, 3))), Tensor(np.zeros(2)), Tensor(np.ones(2)), training=True)
    with pytest.raises(TypeError, match="the input is float64 but running_mean is float32"):
        nn.BatchNorm1d(3)(Tensor(np.zeros((4, 3))))
    with pytest.raises(ValueError, match="both be None or neither"):
        F.batch_norm(Tensor(np.zeros((4, 3))), Tensor(np.zeros(3)), None, training=True)
    with pytest.raises(RuntimeError, match="must be defined in evaluation mode"):
        F.batch_norm(Tensor(np.zeros((4, 3))), None, None)
    with pytest.raises(ValueError, match="eps must be positive during training"):
        F.batch_norm(Tensor(np.zeros((4, 3))), None, None, training=True, eps=0)
    with pytest.raises(TypeError, match="floating point"):
        F.layer_norm(tl.tensor([[1, 2]]), 2)
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4\], expected an input of shape \[\*, 4\]"):
        nn.LayerNorm(4)(Tensor(np.zeros((2, 3))))
    with pytest.raises(RuntimeError, match=r"weight has shape \(2,\) but should have shape \(3,\)"):
        F.layer_norm(Tensor(np.zeros((2, 3))), 3, weight=Tensor(np.ones(2)))
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F.group_norm(Tensor(np.zeros((2, 3))), 2)
    with pytest.raises(ValueError, match=r"num_channels \(3\) must be divisible by num_groups \(2\)"):
        nn.GroupNorm(2, 3)
    with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match num_features \(3\)"):
        nn.InstanceNorm1d(3, affine=True)(Tensor(np.zeros((2, 4, 5))))
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm1d(3)(Tensor(np.zeros((2, 4, 5))))
    with pytest.raises(ValueError, match="3D or higher"):
        F.local_response_norm(Tensor(np.zeros((2, 3))), 2)
    with pytest.raises(RuntimeError, match="cuda"):
        nn.LayerNorm(3, device="cuda")


# ---- channel-wise and alpha dropout --------------------------------------------------------------
@pytest.mark.parametrize("function, shape, draws", [
    (F.dropout1d, (6, 50, 3), 2), (F.dropout1d, (50, 3), 1), (F.dropout2d, (6, 50, 2, 2), 2),
    (F.dropout3d, (6, 50, 2, 1, 2), 2), (F.dropout3d, (50, 2, 1, 2), 1)])
def test_channel_dropout(function, shape, draws):
    tl.manual_seed(0)
    x = Tensor(np.random.default_rng(10).uniform(1, 2, size=shape), requires_grad=True)
    out = function(x, p=0.3)
    kept = out.numpy() != 0
    per_channel = kept.reshape(shape[:draws] + (-1,))
    assert np.all(per_channel.all(-1) | ~per_channel.any(-1))  # a channel is kept or dropped whole
    assert abs(1 - per_channel[..., 0].mean() - 0.3) < 0.1
    assert_close(out.numpy()[kept], x.numpy()[kept] / 0.7, rtol=1e-12)
    out.backward(Tensor(np.ones(shape)))
    assert_close(x.grad, kept / 0.7, rtol=1e-12)
    assert function(x, p=0.3, training=False) is x and function(x, p=0.0) is x
    assert_close(function(x, p=1.0), np.zeros(shape))
    y = x.detach().clone()
    assert function(y, p=0.3, inplace=True) is y and np.all((y.numpy() == 0) | np.isclose(y.numpy() * 0.7, x.numpy()))


def test_dropout_modules_rank_rules_and_errors():
    for cls, shape in [(nn.Dropout1d, (2, 3, 4)), (nn.Dropout2d, (2, 3, 4, 4)), (nn.Dropout3d, (2, 3, 4, 4, 4)),
                       (nn.AlphaDropout, (2, 3)), (nn.FeatureAlphaDropout, (2, 3, 4))]:
        module = cls(0.2, inplace=True)
        assert repr(module) == f"{cls.__name__}(p=0.2, inplace=True)"
        x = Tensor(np.ones(shape))
        assert module.eval()(x) is x
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
            cls(1.5)
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D input"):
        F.dropout1d(Tensor(np.ones((2, 3, 4, 4))))
    with pytest.warns(UserWarning, match="assuming that channel-wise 1D dropout"):
        F.dropout2d(Tensor(np.ones((2, 3, 4))))
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        F.dropout2d(Tensor(np.ones((2, 3))))
    with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d"):
        F.dropout3d(Tensor(np.ones((2, 3, 4))))
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="Feature dropout requires at least 2"):
        F.dropout2d(Tensor(np.ones(3)))
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.alpha_dropout(Tensor(np.ones(3)), p=-0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.dropout2d(Tensor(np.ones((2, 3, 4, 4))))  # the documented ranks do not warn
        F.dropout3d(Tensor(np.ones((3, 4, 4, 4))))


def test_alpha_dropout_keeps_mean_and_variance():
    tl.manual_seed(1)
    a = 1 / math.sqrt((1.7580993408473766 ** 2 * 0.2 + 1) * 0.8)
    x = Tensor(np.random.default_rng(11).standard_normal(200_000), requires_grad=True)
    out = F.alpha_dropout(x, 0.2, training=True)
    dropped = np.isclose(out.numpy(), -1.7580993408473766 * a * 0.8)
    assert abs(dropped.mean() - 0.2) < 0.01
    assert_close(out.numpy()[~dropped], a * x.numpy()[~dropped] + 1.7580993408473766 * a * 0.2, rtol=1e-12)
    assert abs(out.numpy().mean()) < 0.01 and abs(out.numpy().std() - 1) < 0.01
    out.sum().backward()
    assert_close(x.grad, np.where(dropped, 0.0, a), rtol=1e-12)
    assert F.alpha_dropout(x, 0.2) is x  # training=False by default, as in PyTorch
    channels = F.feature_alpha_dropout(Tensor(np.zeros((4, 30, 5))), 0.5, training=True).numpy()
    assert np.all(channels == channels[..., :1])


# ---- Unflatten -----------------------------------------------------------------------------------
def test_unflatten():
    x = Tensor(np.arange(24.0).reshape(2, 12), requires_grad=True)
    out = nn.Unflatten(1, (2, -1, 3))(x)
    assert_close(out, np.arange(24.0).reshape(2, 2, 2, 3))
    out.sum().backward()
    assert_close(x.grad, np.ones((2, 12)))
    model = nn.Sequential(nn.Linear(6, 6), nn.Unflatten(-1, [3, 2]))
    assert model(tl.randn(4, 6)).shape == (4, 3, 2)
    assert repr(model[1]) == "Unflatten(dim=-1, unflattened_size=[3, 2])"
    with pytest.raises(TypeError, match="found element of type float at pos 1"):
        nn.Unflatten(1, (2, 3.0))
    with pytest.raises(TypeError, match="must be a tuple of ints, but found type int"):
        nn.Unflatten(1, 6)
    for sizes in [(5, 2), (-1, -1), (), (0, -1)]:
        with pytest.raises(RuntimeError, match="multiply up to the size of dim 1"):
            nn.Unflatten(1, sizes)(x)


# ---- PyTorch ---------------------------------------------------------------------------------------
def _torch(array, requires_grad=False):
    torch = pytest.importorskip("torch")
    return torch.tensor(array, requires_grad=requires_grad)


def _state_to_torch(module):
    torch = pytest.importorskip("torch")
    return {key: torch.from_numpy(value.numpy().copy()) for key, value in module.state_dict().items()}


@pytest.mark.torch
@pytest.mark.parametrize("name, kwargs, shape", [
    ("BatchNorm1d", {}, (6, 3)), ("BatchNorm1d", dict(momentum=None), (5, 3, 4)),
    ("BatchNorm2d", dict(momentum=0.3, eps=1e-3), (4, 3, 2, 3)), ("BatchNorm3d", dict(affine=False), (2, 3, 2, 2, 2)),
    ("BatchNorm2d", dict(track_running_stats=False), (4, 3, 2, 2)), ("BatchNorm1d", dict(bias=False), (4, 3)),
    ("InstanceNorm1d", dict(affine=True, track_running_stats=True), (4, 3, 5)),
    ("InstanceNorm2d", dict(momentum=None, track_running_stats=True), (3, 3, 4)),
    ("InstanceNorm3d", {}, (2, 3, 2, 2, 2))])
def test_running_statistics_against_torch(name, kwargs, shape):
    """Training steps (with SGD on the affine parameters) and eval steps of the same layer in both
    frameworks: outputs, input and parameter gradients, running statistics, num_batches_tracked."""
    torch = pytest.importorskip("torch")
    ours = getattr(nn, name)(3, **kwargs).double()
    theirs = getattr(torch.nn, name)(3, **kwargs).double()
    rng = np.random.default_rng(12)
    for step in range(8):
        training = step % 3 != 2
        ours.train(training), theirs.train(training)
        x = rng.normal(1.5, 2.0, size=shape)
        grad = rng.normal(size=shape)
        ours_x, theirs_x = Tensor(x, requires_grad=True), _torch(x, requires_grad=True)
        ours_out, theirs_out = ours(ours_x), theirs(theirs_x)
        assert_close(ours_out, theirs_out.detach().numpy(), rtol=1e-10, atol=1e-12)
        ours_out.backward(Tensor(grad))
        theirs_out.backward(_torch(grad))
        assert_close(ours_x.grad, theirs_x.grad.numpy(), rtol=1e-9, atol=1e-12)
        for (key, p), q in zip(ours.named_parameters(), theirs.parameters()):
            assert_close(p.grad, q.grad.numpy(), rtol=1e-9, atol=1e-12, message=key)
            p.data = Tensor(p.numpy() - 0.1 * p.grad.numpy())
            p.grad = None
            with torch.no_grad():
                q -= 0.1 * q.grad
            q.grad = None
        ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
        assert list(ours_state) == list(theirs_state)
        for key in ours_state:
            assert ours_state[key].dtype == np.dtype(str(theirs_state[key].dtype).removeprefix("torch."))
            assert_close(ours_state[key], theirs_state[key].numpy(), rtol=1e-12, atol=1e-14, message=key)


@pytest.mark.torch
def test_state_dict_round_trips_with_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(13)
    theirs = torch.nn.BatchNorm2d(3)
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 2.0), theirs.bias.normal_()
    for _ in range(3):
        theirs(torch.randn(4, 3, 2, 2) * 2 + 1)
    ours = nn.BatchNorm2d(3)
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    assert int(ours.num_batches_tracked) == 3
    x = rng.normal(size=(2, 3, 4, 4)).astype(np.float32)
    theirs.eval(), ours.eval()
    assert_close(ours(Tensor(x)), theirs(_torch(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    ours.train()
    for _ in range(2):
        ours(Tensor(rng.normal(size=(4, 3, 2, 2)).astype(np.float32)))
    ours.weight.data = Tensor(rng.uniform(0.5, 2, size=3).astype(np.float32))
    back = torch.nn.BatchNorm2d(3)
    back.load_state_dict(_state_to_torch(ours))
    assert int(back.num_batches_tracked) == 5
    back.eval(), ours.eval()
    assert_close(back(_torch(x)).detach().numpy(), ours(Tensor(x)), rtol=1e-5, atol=1e-6)
    for name, kwargs in [("LayerNorm", (3,)), ("GroupNorm", (1, 3)), ("RMSNorm", (3,))]:
        assert list(getattr(nn, name)(*kwargs).state_dict()) == list(getattr(torch.nn, name)(*kwargs).state_dict())


@pytest.mark.torch
@pytest.mark.parametrize("expression", [
    lambda F, x, w, b: F.layer_norm(x, (4, 5), None, None, 1e-3),
    lambda F, x, w, b: F.layer_norm(x, (5,), w[:5], b[:5]),
    lambda F, x, w, b: F.group_norm(x, 2, w[:4], b[:4], 1e-4),
    lambda F, x, w, b: F.group_norm(x, 4, w[:4], None),
    lambda F, x, w, b: F.instance_norm(x, weight=w[:4], bias=b[:4]),
    lambda F, x, w, b: F.batch_norm(x, None, None, w[:4], b[:4], training=True),
    lambda F, x, w, b: F.rms_norm(x, (5,), w[:5]),
    lambda F, x, w, b: F.rms_norm(x, (4, 5), None, 0.1),
    lambda F, x, w, b: F.normalize(x, dim=2) * w[:5],
    lambda F, x, w, b: F.normalize(x, p=1.0, dim=1),
    lambda F, x, w, b: F.local_response_norm(x, 3, alpha=0.2, beta=0.8, k=1.5) * w[:5],
    lambda F, x, w, b: F.local_response_norm(x.reshape(3, 4, 5, 1), 2, alpha=0.4) * b[:1],
])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_functionals_against_torch(expression, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(14)
    arrays_ = [rng.normal(0.5, 2, size=(3, 4, 5)).astype(dtype), rng.uniform(0.5, 2, size=5).astype(dtype),
               rng.normal(size=5).astype(dtype)]
    ours = [Tensor(a, requires_grad=True) for a in arrays_]
    theirs = [_torch(a, requires_grad=True) for a in arrays_]
    ours_out, theirs_out = expression(F, *ours), expression(torch.nn.functional, *theirs)
    tolerance = dict(rtol=1e-10, atol=1e-12) if dtype == "float64" else dict(rtol=2e-5, atol=2e-5)
    assert ours_out.dtype == np.dtype(dtype)
    assert_close(ours_out, theirs_out.detach().numpy(), **tolerance)
    grad = rng.normal(size=ours_out.shape).astype(dtype)
    ours_out.backward(Tensor(grad))
    theirs_out.backward(torch.tensor(grad))
    for a, b in zip(ours, theirs):
        expected = np.zeros(a.shape, dtype) if b.grad is None else b.grad.numpy()
        actual = np.zeros(a.shape, dtype) if a.grad is None else a.grad.numpy()
        assert actual.dtype == np.dtype(dtype)
        assert_close(actual, expected, **tolerance)


@pytest.mark.torch
def test_second_derivatives_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(15)
    x, w = rng.normal(size=(3, 4, 2)), rng.uniform(0.5, 2, size=4)
    for expression in [lambda F, x, w: F.batch_norm(x, None, None, w, None, training=True),
                       lambda F, x, w: F.group_norm(x, 2, w)]:
        results = []
        for framework, make in [(tl, Tensor), (torch, torch.tensor)]:
            functional = F if framework is tl else torch.nn.functional
            xt, wt = make(x, requires_grad=True), make(w, requires_grad=True)
            out = expression(functional, xt, wt)
            (gx,) = framework.autograd.grad((out ** 3).sum(), xt, create_graph=True)
            (gw,) = framework.autograd.grad((gx * gx).sum(), wt)
            results.append((np.asarray(gx.detach().numpy()), np.asarray(gw.numpy())))
        for ours, theirs in zip(*results):
            assert_close(ours, theirs, rtol=1e-9, atol=1e-12)


@pytest.mark.torch
def test_modules_match_torch_reprs_and_dropout_values():
    torch = pytest.importorskip("torch")
    pairs = [("BatchNorm2d", (3,)), ("BatchNorm1d", (3,), dict(momentum=None, bias=False)),
             ("InstanceNorm1d", (3,)), ("LayerNorm", ([2, 3],), dict(bias=False)), ("GroupNorm", (2, 4)),
             ("RMSNorm", (3,)), ("LocalResponseNorm", (2,)), ("Dropout3d", (0.1,)), ("AlphaDropout", (0.2,)),
             ("Unflatten", (1, (2, 3)))]
    for name, args, *kwargs in pairs:
        kwargs = kwargs[0] if kwargs else {}
        assert repr(getattr(nn, name)(*args, **kwargs)) == repr(getattr(torch.nn, name)(*args, **kwargs))
    # alpha dropout: dropped units take one value, kept ones an affine map of x; both as PyTorch's
    x = np.random.default_rng(16).normal(size=4000)
    maps = []
    for out in (F.alpha_dropout(Tensor(x), 0.3, training=True).numpy(),
                torch.nn.functional.alpha_dropout(torch.tensor(x), 0.3, training=True).numpy()):
        values, counts = np.unique(out, return_counts=True)
        dropped = out == values[np.argmax(counts)]
        assert abs(dropped.mean() - 0.3) < 0.05
        maps.append((out[dropped][0], *np.polyfit(x[~dropped], out[~dropped], 1)))
    assert_close(np.array(maps[0]), np.array(maps[1]), rtol=1e-10)
