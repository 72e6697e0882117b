"""Tensor methods in PyTorch's meaning: each checked alone, then against PyTorch itself where installed."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Tensor, nn
from tinygrad_like.testing import arrays, assert_close


# ---- alone ---------------------------------------------------------------------------------------------
def test_shape_queries():
    t = Tensor(np.zeros((2, 3, 4)))
    assert isinstance(t.size(), tuple) and t.size() == t.shape == (2, 3, 4)
    assert t.size(0) == 2 and t.size(-1) == 4 and t.dim() == 3 and t.numel() == t.nelement() == 24
    with pytest.raises(IndexError, match=r"size\(\): axis 3 is out of range"):
        t.size(3)


def test_new_tensors_take_this_dtype():
    t = Tensor(np.zeros(2))  # float64
    assert t.new_zeros(2, 3).dtype == np.float64 and t.new_zeros((2, 3)).shape == (2, 3)
    assert t.new_ones(3).numpy().tolist() == [1.0, 1.0, 1.0]
    assert t.new_full((2,), 7).numpy().tolist() == [7.0, 7.0]
    assert t.new_tensor([1, 2]).dtype == np.float64 and t.new_empty(4).shape == (4,)
    assert t.new_zeros(2, dtype=tl.int64).dtype == np.int64


def test_conversions_and_devices():
    t = Tensor([1.5, -2.0])
    assert t.float().dtype == np.float32 and t.double().dtype == np.float64 and t.half().dtype == np.float16
    assert t.long().numpy().tolist() == [1, -2] and t.int().dtype == np.int32 and t.bool().dtype == np.bool_
    assert t.to(tl.float64).dtype == np.float64 and t.to("cpu") is t and t.to(tl.device("cpu"), tl.int64).dtype == np.int64
    assert t.to(Tensor(np.zeros(1))).dtype == np.float64 and t.type_as(tl.tensor([1])).dtype == np.int64
    assert t.type() == "torch.FloatTensor" and t.double().type() == "torch.DoubleTensor"
    assert t.type(tl.float64).dtype == np.float64 and t.cpu() is t and str(t.device) == "cpu"
    for move in [lambda: t.to("cuda"), lambda: t.cuda(), lambda: nn.Linear(1, 1).cuda()]:
        with pytest.raises(RuntimeError, match="runs on the CPU only"):
            move()
    model = nn.Linear(2, 2).to("cpu")
    assert model.to(tl.float64).weight.dtype == np.float64


def test_clone_is_a_copy_in_the_graph():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x.clone()
    assert y.numpy() is not x.numpy() and y.grad_fn is not None
    (y * 3).sum().backward()
    assert_close(x.grad, [3.0, 3.0])
    assert Tensor(np.ones((2, 3))).T.contiguous().numpy().flags.c_contiguous


def test_shape_errors_are_value_and_runtime_errors():
    makers = [lambda: Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5))),
              lambda: Tensor(np.ones((2, 3))).reshape(4, 2),
              lambda: tl.cat([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))]),
              lambda: nn.functional.mse_loss(Tensor(np.ones(3)), Tensor(np.ones(4))),
              lambda: Tensor(np.ones(3)).mm(Tensor(np.ones(3)))]
    for make in makers:
        for kind in (ValueError, RuntimeError):
            with pytest.raises(kind):
                make()


def test_integers_beside_index_arrays_keep_pytorch_axis_order():
    a = np.arange(2 * 3 * 4 * 5.0).reshape(2, 3, 4, 5)
    t = Tensor(a, requires_grad=True)
    picked = t[0, :, [1, 3]]  # numpy: (2, 3); PyTorch: (3, 2)
    assert picked.shape == (3, 2, 5)
    assert_close(picked, a[0][:, [1, 3]])
    assert_close(t[1, [0, 2], :, 4], a[1][[0, 2], :, 4])  # adjacent: the same in both
    assert_close(t[..., 1, [0, 2]], a[..., 1, :][..., [0, 2]])
    picked.sum().backward()
    expected = np.zeros_like(a)
    expected[0, :, [1, 3]] = 1
    assert_close(t.grad, expected)
    target = Tensor(a.copy())
    with pytest.raises(IndexError, match=r"x\[0\]\[:, \[1, 2\]\] = v"):
        target[0, :, [1, 3]] = 0.0
    target[0][:, [1, 3]] = 0.0  # the two-step spelling changes the tensor through the view
    assert_close(target, np.where(expected == 1, 0.0, a))


@given(a=arrays(min_dims=1), data=st.data())
def test_squeeze_leaves_axes_of_other_sizes(a, data):
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    expected = np.squeeze(a, dim) if a.shape[dim] == 1 else a
    assert Tensor(a).squeeze(dim).shape == expected.shape


def test_0d_tensors_accept_axis_0_and_minus_1():
    t = Tensor(np.array(2.0))
    for dim in (0, -1):
        assert t.squeeze(dim).shape == () and t.transpose(dim, dim).shape == ()
        expected = {"sum": 2.0, "mean": 2.0, "amax": 2.0, "amin": 2.0, "logsumexp": 2.0, "softmax": 1.0,
                    "log_softmax": 0.0}
        for reduce, value in expected.items():
            assert_close(getattr(t, reduce)(dim), value)
        assert t.argmax(dim).item() == 0 and t.argmin(dim).item() == 0
        values, indices = t.max(dim)
        assert values.item() == 2.0 and indices.item() == 0 and t.min(dim).values.item() == 2.0


@given(data=st.data())
def test_clamp_with_tensor_bounds_sends_the_gradient_to_the_bound_taken(data):
    a = data.draw(arrays())
    low = data.draw(arrays(shape=a.shape)) - 0.5
    high = low + data.draw(arrays(shape=a.shape, min_value=0.1, max_value=2.0))
    assume(np.all(np.abs(a - low) > 1e-3) and np.all(np.abs(a - high) > 1e-3))  # away from the kinks
    x, lo, hi = (Tensor(v, requires_grad=True) for v in (a, low, high))
    assert_close(x.clamp(lo, hi), np.clip(a, low, high))
    assert tl.gradcheck(lambda x, lo, hi: x.clamp(lo, hi), x, lo, hi, rtol=1e-6, atol=1e-9)
    assert tl.gradcheck(lambda x, lo: x.clamp(min=lo), x, lo, rtol=1e-6, atol=1e-9)


def test_log10_and_log2():
    x = Tensor(np.array([1.0, 10.0, 8.0]), requires_grad=True)
    assert_close(x.log10(), np.log10([1.0, 10.0, 8.0]))
    assert_close(x.log2(), np.log2([1.0, 10.0, 8.0]))
    x.log10().sum().backward()
    assert_close(x.grad, 1 / (np.array([1.0, 10.0, 8.0]) * np.log(10)))


# ---- against PyTorch -----------------------------------------------------------------------------------
@pytest.mark.torch
@given(a=arrays(min_dims=1, max_dims=4), data=st.data())
def test_methods_match_pytorch(a, data):
    torch = pytest.importorskip("torch")
    ours, theirs = Tensor(a), torch.from_numpy(a.copy())
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    other = data.draw(st.integers(-a.ndim, a.ndim - 1))
    assert ours.size() == tuple(theirs.size()) and ours.size(dim) == theirs.size(dim)
    assert ours.dim() == theirs.dim() and ours.nelement() == theirs.nelement()
    assert_close(ours.transpose(dim, other), theirs.transpose(dim, other).numpy())
    assert_close(ours.squeeze(dim), theirs.squeeze(dim).numpy())
    if a.shape[dim]:
        values, indices = ours.max(dim)
        expected = theirs.max(dim)
        assert_close(values, expected.values.numpy())
        np.testing.assert_array_equal(indices.numpy(), expected.indices.numpy())
    if a.ndim <= 2:
        assert_close(ours.t(), theirs.t().numpy())
    assert ours.type() == theirs.type()
    if a.size > 1:
        assert_close(ours.std(dim), theirs.std(dim).numpy(), rtol=1e-10, atol=1e-12)
        assert_close(ours.std(), theirs.std().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.torch
def test_variance_with_correction_at_least_n_matches_pytorch():
    torch = pytest.importorskip("torch")
    data = np.array([1.0, 2.0, 3.0])
    for correction in (3, 5):
        assert_close(Tensor(data).var(correction=correction), torch.from_numpy(data).var(correction=correction).numpy())
    empty = np.zeros((0, 2))
    assert_close(Tensor(empty).var(0), torch.from_numpy(empty).var(0).numpy())


@pytest.mark.torch
def test_mixed_integer_and_array_indices_match_pytorch():
    torch = pytest.importorskip("torch")
    a = np.arange(2 * 3 * 4 * 5.0).reshape(2, 3, 4, 5)
    ours, theirs = Tensor(a), torch.from_numpy(a)
    for index in [(0, slice(None), [1, 3]), (slice(None), 1, slice(None), [0, 4, 4]), (1, [0, 2], slice(1, 3), 2),
                  (Ellipsis, 1, [0, 2]), (0, None, slice(None), [1, 2])]:
        theirs_index = tuple(torch.tensor(part) if isinstance(part, list) else part for part in index)
        assert_close(ours[index], theirs[theirs_index].numpy())


@pytest.mark.torch
def test_in_place_semantics_match_pytorch():
    """A step of manual SGD under no_grad, in-place ops in a graph, and the version-counter error."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x0, w0 = rng.standard_normal((4, 3)), rng.standard_normal(3)
    results = []
    for lib, make in [(tl, lambda a: tl.tensor(a, requires_grad=True)),
                      (torch, lambda a: torch.tensor(a, requires_grad=True))]:
        w = make(w0)
        x = lib.tensor(x0)
        for _ in range(3):
            h = x * w
            h.add_(1.0)
            h.mul_(x)
            h.tanh_()
            loss = h.sum()
            loss.backward()
            with lib.no_grad():
                w -= 0.1 * w.grad
                w.grad.zero_()
        results.append(w.detach().numpy().copy())
        y = make(w0).exp()
        y.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation|modified by an in-place operation"):
            y.sum().backward()
    assert_close(results[0], results[1], rtol=1e-12, atol=1e-12)


# ---- ops PyTorch programs reach for: trigonometry, norms, triangles, masks, logic ---------------------
SMOOTH = {
    "sin": (lambda t: t.sin(), np.sin),
    "cos": (lambda t: t.cos(), np.cos),
    "tan": (lambda t: (t * 0.4).tan(), lambda a: np.tan(a * 0.4)),  # |0.4 x| < 1.2: away from the poles
    "norm": (lambda t: t.norm(), lambda a: np.sqrt(np.sum(a * a))),
    "norm_p1": (lambda t: (t + 5).norm(p=1), lambda a: np.sum(np.abs(a + 5))),
    "norm_p3": (lambda t: (t + 5).norm(p=3), lambda a: np.sum(np.abs(a + 5) ** 3) ** (1 / 3)),
}


@pytest.mark.parametrize("name", SMOOTH)
@given(a=arrays(max_value=3.0))
def test_smooth_ops_values_and_gradients(name, a):
    ours, reference = SMOOTH[name]
    assume(name != "norm" or np.sum(a * a) > 1e-6)  # away from the norm's kink at 0
    assert_close(ours(Tensor(a)), reference(a), rtol=1e-10, atol=1e-12)
    assert tl.gradcheck(ours, Tensor(a, requires_grad=True))


@given(a=arrays(min_dims=1), data=st.data())
def test_norm_over_dims_and_its_gradient_at_zero(a, data):
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    keepdim = data.draw(st.booleans())
    assert_close(Tensor(a).norm(dim=dim, keepdim=keepdim), np.linalg.norm(a, axis=dim, keepdims=keepdim))
    zero = Tensor(np.zeros(3), requires_grad=True)
    zero.norm().backward()
    assert_close(zero.grad, [0.0, 0.0, 0.0])  # PyTorch's subgradient, not nan


@pytest.mark.parametrize("p", [0, 0.5, 1.5, 3, -1, -0.5, float("inf"), float("-inf")])
def test_p_norms_with_zeros_count_and_take_no_gradient_at_them(p):
    data = np.array([[1.0, 0.0, -2.0], [0.0, 0.0, 3.0], [0.0, 0.0, 0.0], [0.5, 2.0, -1.5]])
    x = Tensor(data, requires_grad=True)
    y = x.norm(p, dim=1)
    size = np.abs(data)
    if p == 0:
        expected = (size > 0).sum(axis=1)
    elif np.isinf(p):
        expected = size.max(axis=1) if p > 0 else size.min(axis=1)
    else:
        with np.errstate(divide="ignore"):
            expected = np.sum(size ** p, axis=1) ** (1 / p)
    assert_close(y, expected)
    y.sum().backward()
    grad = x.grad.numpy()
    assert np.all(np.isfinite(grad)) and np.all(grad[data == 0] == 0)  # PyTorch's 0 where x is 0, not nan
    if p != 0:  # the count has no slope
        assert tl.gradcheck(lambda t: t.norm(p, dim=1), Tensor(data[3:], requires_grad=True))


@given(a=arrays(min_dims=2), diagonal=st.integers(-2, 2))
def test_triangles_and_masked_fill(a, diagonal):
    assert_close(Tensor(a).tril(diagonal), np.tril(a, diagonal))
    assert_close(Tensor(a).triu(diagonal), np.triu(a, diagonal))
    x = Tensor(a, requires_grad=True)
    assert tl.gradcheck(lambda t: t.tril(diagonal) * 2 + t.triu(diagonal), x)
    mask = a > 0
    assert_close(Tensor(a).masked_fill(Tensor(mask), -1.0), np.where(mask, -1.0, a))
    assert tl.gradcheck(lambda t: t.masked_fill(Tensor(mask), 0.5), x)
    filled = Tensor(a.copy())
    filled.masked_fill_(Tensor(mask), 0.0)
    assert_close(filled, np.where(mask, 0.0, a))


def test_logic_and_comparisons():
    a, b = tl.tensor([True, False, True]), tl.tensor([True, True, False])
    assert (a & b).tolist() == [True, False, False] and (a | b).tolist() == [True, True, True]
    assert (a ^ b).tolist() == [False, True, True] and (~a).tolist() == [False, True, False]
    assert a.logical_and(b).tolist() == [True, False, False] and a.logical_not().tolist() == [False, True, False]
    assert a.any().item() and not a.all().item() and a.all(dim=0).shape == ()
    assert (tl.tensor([[1, 0], [1, 1]]) > 0).all(dim=1).tolist() == [False, True]
    x = Tensor([1.0, 2.0])
    assert x.equal(Tensor([1.0, 2.0])) and not x.equal(Tensor([1.0, 2.5])) and not x.equal(Tensor([1.0]))
    assert x.allclose(x + 1e-9) and not x.allclose(x + 1e-3) and x.isclose(Tensor([1.0, 3.0])).tolist() == [True, False]
    with pytest.raises(TypeError, match=r"& is a bitwise operation on bool and integer tensors.*float32"):
        x & x
    with pytest.raises(tl.ShapeError, match=r"bmm\(\): .*3-D"):
        x.bmm(x)
    batch = Tensor(np.ones((2, 3, 4)))
    assert batch.bmm(Tensor(np.ones((2, 4, 5)))).shape == (2, 3, 5)


@pytest.mark.torch
def test_new_ops_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 4))
    mask = a > 0.3
    cases = [lambda m, t: t.sin(), lambda m, t: t.cos(), lambda m, t: t.tan(), lambda m, t: t.norm(),
             lambda m, t: t.norm(dim=1), lambda m, t: t.norm(p=1, dim=0, keepdim=True), lambda m, t: t.norm(p=3),
             lambda m, t: t.norm(p=0.5, dim=1), lambda m, t: t.norm(p=-1, dim=0), lambda m, t: t.norm(p=float("-inf")),
             lambda m, t: t.masked_fill(m.from_numpy(mask) if m is torch else Tensor(mask), 0.0).norm(p=0.5, dim=1),
             lambda m, t: t.masked_fill(m.from_numpy(mask) if m is torch else Tensor(mask), 0.0).norm(p=-1, dim=1),
             lambda m, t: t.tril(-1), lambda m, t: t.triu(1),
             lambda m, t: t.masked_fill(m.from_numpy(mask) if m is torch else Tensor(mask), 2.0)]
    for case in cases:
        ours, theirs = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        out_ours, out_theirs = case(tl, ours), case(torch, theirs)
        assert_close(out_ours, out_theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
        (out_ours * out_ours).sum().backward()
        (out_theirs * out_theirs).sum().backward()
        assert_close(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@given(a=arrays(min_dims=2, max_dims=2, max_side=3))
def test_second_derivatives_of_these_ops(a):
    """Their backward, recorded with create_graph=True, differentiates again (gradgradcheck, float64)."""
    assume(np.sum(a * a) > 1e-3)  # the 2-norm's kink at 0
    mask = Tensor(a > 0)
    cases = [lambda t: t.sin(), lambda t: t.cos(), lambda t: (t * 0.4).tan(), lambda t: t.norm(),
             lambda t: t.norm(dim=1, keepdim=True) if np.all(np.sum(a * a, axis=1) > 1e-3) else t.sin(),
             lambda t: (t + 5).norm(p=3), lambda t: t.tril() ** 2, lambda t: t.masked_fill(mask, 0.5) ** 2]
    for case in cases:
        assert tl.gradgradcheck(case, Tensor(a, requires_grad=True))
