"""nn.utils: gradient clipping by norm and by value, and parameters as one vector; then against torch
(marked `torch`)."""
import warnings

import numpy as np
import pytest

import tinygrad_like as tl
from tinygrad_like import Tensor, nn
from tinygrad_like.nn.utils import (clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm,
                                    parameters_to_vector, vector_to_parameters)
from tinygrad_like.testing import assert_close

SHAPES = [(3, 4), (5,), ()]
NORM_TYPES = [2.0, 1, 3.5, float("inf"), float("-inf"), 0]


def with_grads(grads, dtype=np.float32):
    """Parameters whose .grad are the given arrays."""
    parameters = []
    for g in grads:
        p = nn.Parameter(np.zeros(np.shape(g), dtype=dtype))
        p.grad = Tensor(np.asarray(g, dtype=dtype))
        parameters.append(p)
    return parameters


def random_grads(rng, scale=1.0):
    return [scale * rng.standard_normal(shape) for shape in SHAPES]


def norm(values, norm_type):
    flat = np.concatenate([np.ravel(v) for v in values])
    return np.linalg.norm(flat, norm_type)


@pytest.mark.parametrize("norm_type", NORM_TYPES[:5])
def test_total_norm_is_the_norm_of_all_gradient_elements(norm_type, rng):
    grads = random_grads(rng)
    total = get_total_norm([Tensor(g) for g in grads], norm_type)
    assert isinstance(total, Tensor) and total.shape == () and total.dtype == np.float64
    assert_close(total, norm(grads, norm_type), rtol=1e-12)


def test_total_norm_of_order_zero_counts_the_tensors_with_a_non_zero_element():
    # The norm of the tensors' norms, as PyTorch computes it: not the count of non-zero elements
    assert get_total_norm([Tensor([0.0, 2.0, 3.0]), Tensor([0.0]), Tensor([1.0])], 0).item() == 2.0


@pytest.mark.parametrize("norm_type", NORM_TYPES[:4])
def test_clip_grad_norm_scales_the_gradients_in_place(norm_type, rng):
    grads = random_grads(rng, scale=10.0)
    parameters = with_grads(grads, np.float64)
    grad_tensors = [p.grad for p in parameters]
    total = clip_grad_norm_(parameters, max_norm=1.5, norm_type=norm_type)
    assert_close(total, norm(grads, norm_type), rtol=1e-12)
    assert [p.grad for p in parameters] == grad_tensors  # the same tensors, changed in place
    coefficient = 1.5 / (norm(grads, norm_type) + 1e-6)
    for p, g in zip(parameters, grads):
        assert_close(p.grad, g * coefficient, rtol=1e-12)
    assert_close(norm([p.grad.numpy() for p in parameters], norm_type), 1.5, rtol=1e-5)


def test_gradients_within_the_norm_are_unchanged(rng):
    grads = random_grads(rng, scale=0.01)
    parameters = with_grads(grads)
    clip_grad_norm_(parameters, max_norm=100.0)
    for p, g in zip(parameters, grads):
        assert_close(p.grad, g.astype(np.float32))


def test_clip_grad_norm_of_a_model_from_its_parameters_generator(rng):
    model = nn.Linear(4, 3)
    (model(Tensor(rng.standard_normal((8, 4)).astype(np.float32))) * 100).sum().backward()
    before = [p.grad.numpy().copy() for p in model.parameters()]
    total = clip_grad_norm_(model.parameters(), 1.0)  # a generator, read twice inside
    assert total.dtype == np.float32
    assert_close(total, norm(before, 2), rtol=1e-5)
    assert_close(norm([p.grad.numpy() for p in model.parameters()], 2), 1.0, rtol=1e-5)


def test_parameters_without_grad_are_skipped_and_a_single_tensor_is_accepted(rng):
    with_grad, without = with_grads([[3.0, 4.0]])[0], nn.Parameter(np.ones(2, dtype=np.float32))
    total = clip_grad_norm_([with_grad, without], 1.0)
    assert_close(total, 5.0) and without.grad is None
    assert_close(with_grad.grad, [0.6, 0.6 * 4 / 3], rtol=1e-5)
    single = with_grads([[0.0, 10.0]])[0]
    clip_grad_value_(single, 1.0)
    assert_close(single.grad, [0.0, 1.0])


def test_no_gradients_give_a_zero_norm():
    assert clip_grad_norm_([nn.Parameter(np.ones(2))], 1.0).item() == 0.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert clip_grad_norm_((p for p in []), 1.0).item() == 0.0
    assert "empty generator" in str(caught[0].message)


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_error_if_nonfinite(bad):
    parameters = with_grads([[1.0, bad]])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(parameters, 1.0, error_if_nonfinite=True)
    with np.errstate(invalid="ignore"):  # the gradients become NaN (inf * 0), as in PyTorch
        clip_grad_norm_(parameters, 1.0)  # allowed by default


def test_clip_grads_with_norm_uses_the_given_norm():
    (p,) = with_grads([[3.0, 4.0]], np.float64)
    clip_grads_with_norm_([p], 1.0, Tensor(np.float64(10.0)))
    assert_close(p.grad, [0.3, 0.4], rtol=1e-6)


def test_clip_grad_value_clamps_in_place(rng):
    grads = random_grads(rng, scale=3.0)
    parameters = with_grads(grads, np.float64)
    grad_tensors = [p.grad for p in parameters]
    assert clip_grad_value_(parameters, 0.5) is None
    assert [p.grad for p in parameters] == grad_tensors
    for p, g in zip(parameters, grads):
        assert_close(p.grad, np.clip(g, -0.5, 0.5))


def test_clipping_happens_outside_the_graph(rng):
    x = Tensor(rng.standard_normal(3), requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)  # x.grad is in a graph
    clip_grad_norm_([x], 0.1)
    clip_grad_value_([x], 0.01)
    assert np.abs(x.grad.numpy()).max() <= 0.01


def test_parameters_to_vector_and_back(rng):
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vector = parameters_to_vector(model.parameters())
    expected = np.concatenate([p.numpy().ravel() for p in model.parameters()])
    assert vector.shape == (11,)
    assert_close(vector, expected)
    new = Tensor(np.arange(11, dtype=np.float32))
    vector_to_parameters(new, model.parameters())
    assert_close(parameters_to_vector(model.parameters()), np.arange(11))
    assert_close(model[0].weight, np.arange(6).reshape(2, 3))
    assert np.shares_memory(model[0].weight.numpy(), new.numpy())  # as in PyTorch: .data becomes a view of vec
    assert_close(model(Tensor(np.ones((1, 3), dtype=np.float32))), [[8 * (0 + 1 + 2 + 6) + 9 * (3 + 4 + 5 + 7) + 10]])


def test_parameters_to_vector_is_differentiable(rng):
    parameters = [nn.Parameter(rng.standard_normal(shape)) for shape in [(2, 2), (3,)]]
    (parameters_to_vector(parameters) ** 2).sum().backward()
    for p in parameters:
        assert_close(p.grad, 2 * p.numpy())


def test_vector_to_parameters_wants_a_tensor():
    with pytest.raises(TypeError, match="expected Tensor, but got: ndarray"):
        vector_to_parameters(np.zeros(3), [nn.Parameter(np.zeros(3))])


def test_reachable_as_in_pytorch():
    assert tl.nn.utils.clip_grad_norm_ is clip_grad_norm_


# ---- against torch ----------------------------------------------------------------------------------------
@pytest.mark.torch
@pytest.mark.parametrize("norm_type", NORM_TYPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [0.01, 10.0])
def test_clip_grad_norm_matches_torch(norm_type, dtype, scale, rng):
    torch = pytest.importorskip("torch")
    grads = [g.astype(dtype) for g in random_grads(rng, scale)]
    ours = with_grads(grads, dtype)
    theirs = [torch.zeros(g.shape, dtype=torch.from_numpy(np.zeros(1, dtype)).dtype, requires_grad=True) for g in grads]
    for p, g in zip(theirs, grads):
        p.grad = torch.from_numpy(np.array(g))
    total_ours = clip_grad_norm_(ours, 1.0, norm_type)
    total_theirs = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type)
    tolerance = dict(rtol=1e-6) if dtype == np.float32 else dict(rtol=1e-14)
    assert total_ours.dtype == total_theirs.numpy().dtype
    np.testing.assert_allclose(total_ours.numpy(), total_theirs.numpy(), **tolerance)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tolerance)


@pytest.mark.torch
def test_clip_grad_value_and_vectors_match_torch(rng):
    torch = pytest.importorskip("torch")
    grads = random_grads(rng, 3.0)
    ours = with_grads(grads, np.float64)
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, g in zip(theirs, grads):
        p.grad = torch.from_numpy(np.array(g))
    clip_grad_value_(ours, 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    np.testing.assert_array_equal(parameters_to_vector(ours).numpy(),
                                  torch.nn.utils.parameters_to_vector(theirs).detach().numpy())
    vector = np.arange(18, dtype=np.float64)
    vector_to_parameters(Tensor(vector), ours)
    torch.nn.utils.vector_to_parameters(torch.from_numpy(vector), theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.numpy(), b.detach().numpy())
