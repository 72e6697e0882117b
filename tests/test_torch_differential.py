"""Differential tests against PyTorch: random graphs of ops, run in both frameworks in float64.

Each seed builds a graph: a few leaves of mutually broadcastable shapes, then a chain of random ops
(element-wise, broadcasting binary ops, reductions over random axes, softmax family, shape ops,
indexing, joining, matmul and the fused Linear, which bring their own weight leaves). The forward
values of every intermediate result and the gradients of every leaf must agree to ~1e-10.
Ops with a restricted domain get their input mapped into it (log(x*x + 0.5), a / (b*b + 0.5)).
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_like as tl  # noqa: E402
from tinygrad_like import Tensor, ops  # noqa: E402
from tinygrad_like.testing import assert_close  # noqa: E402

pytestmark = pytest.mark.torch

RTOL, ATOL = 1e-10, 1e-12


def same(fn):
    """One lambda for both frameworks, where their APIs agree."""
    return fn, fn


class Graph:
    """Pairs (ours, theirs) of tensors built side by side."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.leaves, self.values = [], []

    def leaf(self, shape):
        data = self.rng.uniform(-2.0, 2.0, shape)
        pair = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        self.leaves.append(pair)
        return pair

    def constant(self, array):
        return array, torch.from_numpy(np.array(array))

    def pick(self):
        """A recent value, more often the latest."""
        return self.values[-1 - min(int(self.rng.exponential(1.0)), len(self.values) - 1)]

    def push(self, ours, theirs):
        self.values.append((ours, theirs))

    def axis(self, ndim):
        return int(self.rng.integers(-ndim, ndim))

    def axes(self, ndim):
        kind = self.rng.integers(3)
        if kind == 0 or ndim == 0:
            return None
        if kind == 1:
            return self.axis(ndim)
        count = int(self.rng.integers(1, ndim + 1))
        return tuple(int(a) for a in self.rng.choice(ndim, count, replace=False))


def all_dims(axis, ndim):
    return tuple(range(ndim)) if axis is None else axis


# ---- the ops: each takes the graph and returns (ours, theirs) or None when it does not apply -------------
def unary(ours, theirs=None):
    theirs = ours if theirs is None else theirs
    return lambda g, x: (ours(x[0]), theirs(x[1]))


ELEMENTWISE = {
    "neg": unary(lambda t: -t),
    "exp": unary(lambda t: (t.tanh() * 2).exp()),
    "log": unary(lambda t: (t * t + 0.5).log()),
    "sqrt": unary(lambda t: (t * t + 0.5).sqrt()),
    "abs": unary(lambda t: t.abs()),
    "tanh": unary(lambda t: t.tanh()),
    "sigmoid": unary(lambda t: t.sigmoid()),
    "relu": unary(lambda t: t.relu()),
    "clamp": unary(lambda t: t.clamp(-0.5, 0.8)),
    "clamp_min": unary(lambda t: t.clamp(min=-0.3)),
    "scalar_arithmetic": unary(lambda t: (1.5 - t) * 0.7 + t / 3 - 2 * t),
    "reciprocal": unary(lambda t: 1.5 / (t * t + 0.5)),
    "square_cube": unary(lambda t: t ** 2 - 0.1 * t ** 3),
    "fractional_power": unary(lambda t: (t * t + 0.5) ** 1.5 + (t * t + 0.5) ** -0.5),
    "exponential_base": unary(lambda t: 2.0 ** t.tanh()),
    "cast_round_trip": unary(lambda t: t.float().double() * t),
}


def op_reduce(name):
    def build(g, x):
        ndim = x[0].ndim
        axis, keepdim = g.axes(ndim), bool(g.rng.integers(2))
        ours = getattr(x[0], name)(dim=axis, keepdim=keepdim)
        theirs = getattr(x[1], name)(dim=all_dims(axis, ndim) if name in ("amax", "amin") else axis, keepdim=keepdim)
        return ours, theirs
    return build


def op_max_min_dim(name):
    """PyTorch's max(dim) / min(dim): values (the gradient to the chosen index) and int64 indices."""
    def build(g, x):
        if x[0].ndim == 0:
            return None
        dim, keepdim = g.axis(x[0].ndim), bool(g.rng.integers(2))
        ours, theirs = getattr(x[0], name)(dim, keepdim), getattr(x[1], name)(dim, keepdim)
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
        return ours.values, theirs.values
    return build


def op_var(g, x):
    ndim = x[0].ndim
    axis, keepdim, correction = g.axes(ndim), bool(g.rng.integers(2)), int(g.rng.integers(2))
    count = x[0].numel() // max(1, np.sum(np.zeros(x[0].shape), axis=axis).size)
    name = ["var", "std"][g.rng.integers(2)]
    if count <= correction:
        return None
    if name == "std" and np.min(np.std(x[0].numpy(), axis=axis), initial=1.0) < 1e-3:
        return None  # std's gradient at a zero spread is nan in both frameworks
    return (getattr(x[0], name)(dim=axis, keepdim=keepdim, correction=correction),
            getattr(x[1], name)(dim=axis, keepdim=keepdim, correction=correction))


def op_softmax_family(name):
    def build(g, x):
        if x[0].ndim == 0:
            return None
        axis = g.axis(x[0].ndim)
        return getattr(x[0], name)(dim=axis), getattr(x[1], name)(dim=axis)
    return build


def op_logsumexp(g, x):
    ndim = x[0].ndim
    if ndim == 0:
        return None
    axis, keepdim = g.axes(ndim), bool(g.rng.integers(2))
    return x[0].logsumexp(dim=axis, keepdim=keepdim), x[1].logsumexp(dim=all_dims(axis, ndim), keepdim=keepdim)


def op_reshape(g, x):
    shape = x[0].shape
    target = [shape[::-1], (-1,), (1,) + shape, (x[0].numel(), 1)][g.rng.integers(4)]
    return x[0].reshape(*target), x[1].reshape(target)


def op_permute(g, x):
    perm = [int(p) for p in g.rng.permutation(x[0].ndim)]
    return x[0].permute(*perm), x[1].permute(perm)


def op_transpose_all(g, x):
    return x[0].T if x[0].ndim == 2 else x[0].transpose(), x[1].permute(list(reversed(range(x[1].ndim))))


def op_swapaxes(g, x):
    if x[0].ndim == 0:
        return None
    a, b = g.axis(x[0].ndim), g.axis(x[0].ndim)
    return x[0].swapaxes(a, b), x[1].swapaxes(a, b)


def op_transpose_two(g, x):
    """PyTorch's transpose(dim0, dim1) and t(): a swap of two axes."""
    if x[0].ndim == 0:
        return None
    if x[0].ndim <= 2 and g.rng.integers(2):
        return x[0].t(), x[1].t()
    a, b = g.axis(x[0].ndim), g.axis(x[0].ndim)
    return x[0].transpose(a, b), x[1].transpose(a, b)


def op_squeeze_any(g, x):
    """squeeze(dim) of an axis of any size: PyTorch leaves an axis whose size is not 1."""
    if x[0].ndim == 0:
        return None
    dim = g.axis(x[0].ndim)
    return x[0].squeeze(dim), x[1].squeeze(dim)


def op_flatten(g, x):
    ndim = x[0].ndim
    if ndim == 0:
        return None
    start = int(g.rng.integers(ndim))
    end = int(g.rng.integers(start, ndim))
    return x[0].flatten(start, end), x[1].flatten(start, end)


def op_unsqueeze_squeeze(g, x):
    dim = int(g.rng.integers(-x[0].ndim - 1, x[0].ndim + 1))
    grown = x[0].unsqueeze(dim), x[1].unsqueeze(dim)
    if g.rng.integers(2):
        return grown
    return grown[0].squeeze(dim), grown[1].squeeze(dim)


def op_expand(g, x):
    size = int(g.rng.integers(1, 4))
    target = (size,) + tuple(int(g.rng.integers(1, 4)) if n == 1 else n for n in x[0].shape)
    return x[0].expand(*target), x[1].expand(*target)


def op_getitem(g, x):
    shape = x[0].shape
    if not shape:
        return None
    kind = g.rng.integers(4)
    if kind == 0:  # basic slicing
        index = (slice(int(g.rng.integers(shape[0])), None),) + (Ellipsis,) + ((0,) if len(shape) > 1 else ())
        return x[0][index], x[1][index]
    if kind == 1:  # integer array with repeats
        index = g.rng.integers(-shape[0], shape[0], size=int(g.rng.integers(1, 6)))
        return x[0][index], x[1][torch.from_numpy(index)]
    if kind == 2:  # boolean mask
        mask = np.asarray(g.rng.random(shape) < 0.6)
        mask.flat[int(g.rng.integers(mask.size))] = True  # never empty: the mean of nothing is nan
        return x[0][mask], x[1][torch.from_numpy(mask)]
    if len(shape) >= 3 and g.rng.integers(2):  # an integer, a slice, then an index array: PyTorch's order
        index = np.array([shape[2] - 1, 0, shape[2] - 1])
        return x[0][0, :, index], x[1][0, :, torch.from_numpy(index)]
    index = np.array([[0, 0], [shape[0] - 1, 0]])  # 2-D integer array
    return x[0][index], x[1][torch.from_numpy(index)]


def op_cat_stack(g, x):
    partner = unary(lambda t: t.tanh() * 2)(g, x)
    if x[0].ndim and g.rng.integers(2):
        axis = g.axis(x[0].ndim)
        return tl.cat([x[0], partner[0]], dim=axis), torch.cat([x[1], partner[1]], dim=axis)
    axis = int(g.rng.integers(-x[0].ndim - 1, x[0].ndim + 1))
    return tl.stack([x[0], partner[0], x[0]], axis), torch.stack([x[1], partner[1], x[1]], axis)


def op_matmul(g, x):
    """x @ W or W @ x with a new weight leaf W of a shape that fits (1-D, 2-D or batched)."""
    shape = x[0].shape
    if not shape:
        return None
    n = int(g.rng.integers(1, 4))
    if g.rng.integers(2):
        k = shape[-1]
        w = g.leaf([(k,), (k, n), (2, k, n)][g.rng.integers(3 if len(shape) >= 2 else 2)])
        return x[0] @ w[0], x[1] @ w[1]
    k = shape[-2] if len(shape) >= 2 else shape[0]
    w = g.leaf([(k,), (n, k)][g.rng.integers(2)])
    return w[0] @ x[0], w[1] @ x[1]


def op_linear(g, x):
    shape = x[0].shape
    if not shape or len(shape) > 3:
        return None
    weight = g.leaf((int(g.rng.integers(1, 4)), shape[-1]))
    if g.rng.integers(2):
        bias = g.leaf((weight[0].shape[0],))
        return (ops.Linear.apply(x[0], weight[0], bias[0]),
                torch.nn.functional.linear(x[1], weight[1], bias[1]))
    return ops.Linear.apply(x[0], weight[0]), torch.nn.functional.linear(x[1], weight[1])


BINARY = {  # on two values whose shapes broadcast
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 0.5),
    "pow": lambda a, b: (a * a + 0.5) ** b.tanh(),
    "maximum": lambda a, b: a.maximum(b),
    "minimum": lambda a, b: a.minimum(b),
}


def op_binary(name):
    def build(g, x):
        others = [v for v in g.values if _broadcasts(v[0].shape, x[0].shape)]
        y = others[g.rng.integers(len(others))]
        first, second = (x, y) if g.rng.integers(2) else (y, x)
        return BINARY[name](first[0], second[0]), BINARY[name](first[1], second[1])
    return build


def op_where(g, x):
    others = [v for v in g.values if _broadcasts(v[0].shape, x[0].shape)]
    y = others[g.rng.integers(len(others))]
    mask = np.asarray(g.rng.random(np.broadcast_shapes(x[0].shape, y[0].shape)) < 0.5)
    return tl.where(mask, x[0], y[0]), torch.where(torch.from_numpy(mask), x[1], y[1])


def _broadcasts(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


OPS = {
    **ELEMENTWISE,
    **{f"reduce_{name}": op_reduce(name) for name in ["sum", "mean", "amax", "amin"]},
    "max_dim": op_max_min_dim("max"),
    "min_dim": op_max_min_dim("min"),
    "transpose_two": op_transpose_two,
    "squeeze_any": op_squeeze_any,
    "var": op_var,
    "softmax": op_softmax_family("softmax"),
    "log_softmax": op_softmax_family("log_softmax"),
    "logsumexp": op_logsumexp,
    "reshape": op_reshape,
    "permute": op_permute,
    "transpose_all": op_transpose_all,
    "swapaxes": op_swapaxes,
    "flatten": op_flatten,
    "unsqueeze_squeeze": op_unsqueeze_squeeze,
    "expand": op_expand,
    "getitem": op_getitem,
    "cat_stack": op_cat_stack,
    "matmul": op_matmul,
    "linear": op_linear,
    "where": op_where,
    **{f"binary_{name}": op_binary(name) for name in BINARY},
}


# ---- running a graph in both frameworks ------------------------------------------------------------------
def start(seed):
    g = Graph(seed)
    shapes = [tuple(int(n) for n in s) for s in _broadcastable(g.rng, int(g.rng.integers(1, 4)))]
    for shape in shapes:
        g.values.append(g.leaf(shape))
    return g


def _broadcastable(rng, count):
    """`count` shapes that broadcast: each drops some leading axes of a common shape and sets some sizes to 1."""
    full = rng.integers(1, 4, size=int(rng.integers(0, 4)))
    shapes = []
    for _ in range(count):
        shape = full[int(rng.integers(0, len(full) + 1)):].copy()
        shape[rng.random(len(shape)) < 0.3] = 1
        shapes.append(shape)
    return shapes


def apply_op(g, name):
    result = OPS[name](g, g.pick())
    if result is not None:
        ours, theirs = result
        assert tuple(ours.shape) == tuple(theirs.shape), f"{name}: shape {ours.shape} vs torch {tuple(theirs.shape)}"
        g.push(ours, theirs)
    return result is not None


def finish_and_compare(g):
    """Forward values of everything, then gradients of every leaf for a random weighting of all values."""
    for i, (ours, theirs) in enumerate(g.values):
        assert ours.dtype == np.float64 and np.all(np.isfinite(ours.numpy())), f"value {i}"  # no vacuous nan == nan
        assert_close(ours, theirs.detach().numpy(), rtol=RTOL, atol=ATOL, message=f"value {i}")
    weights = [g.rng.standard_normal(ours.shape) for ours, _ in g.values]
    loss = sum((ours * w).sum() for (ours, _), w in zip(g.values, weights))
    torch_loss = sum((theirs * torch.from_numpy(w)).sum() for (_, theirs), w in zip(g.values, weights))
    assert_close(loss, torch_loss.detach().numpy(), rtol=RTOL, atol=ATOL, message="loss")
    loss.backward()
    torch_loss.backward()
    for i, (ours, theirs) in enumerate(g.leaves):
        expected = np.zeros(ours.shape) if theirs.grad is None else theirs.grad.numpy()
        actual = np.zeros(ours.shape) if ours.grad is None else ours.grad.numpy()
        assert np.all(np.isfinite(actual)), f"gradient of leaf {i}"
        assert_close(actual, expected, rtol=RTOL, atol=ATOL, message=f"gradient of leaf {i} {ours.shape}")


@pytest.mark.parametrize("name", OPS)
def test_each_op_alone(name):
    for seed in range(8):  # several shapes and option draws, until the op applies
        g = start(1000 * seed + len(name))
        if apply_op(g, name):
            finish_and_compare(g)


@pytest.mark.parametrize("seed", range(150))
def test_random_graph(seed):
    g = start(seed)
    names = list(OPS)
    steps = 0
    while steps < 6:
        if apply_op(g, names[g.rng.integers(len(names))]):
            steps += 1
        if np.abs(g.values[-1][0].numpy()).max(initial=0) > 1e3:  # keep magnitudes where 1e-10 is meaningful
            g.values.append((g.values[-1][0].tanh(), g.values[-1][1].tanh()))
    finish_and_compare(g)


# ---- dtype promotion ------------------------------------------------------------------------------------
PROMOTION_OPERANDS = {  # name: numpy data; the same data becomes a tensor in each framework
    "F16": np.ones(3, dtype=np.float16), "F32": np.ones(3, dtype=np.float32), "F64": np.ones(3),
    "I32": np.ones(3, dtype=np.int32), "I64": np.ones(3, dtype=np.int64), "B": np.array([True, False, True]),
    "S32": np.array(2.0, dtype=np.float32), "S64": np.array(2.0), "SI64": np.array(2),
}
PROMOTION_EXPRESSIONS = [
    "F32 + 2.5", "2.5 * F32", "F32 - 3", "F32 * True", "F32 * I64", "I64 * F32", "F32 * B", "F32 + F64",
    "F32 + S64", "S64 + F32", "S32 + S64", "F16 * 3.5", "F16 + F32", "F16 * SI64", "I64 * 2.5", "2.5 + I64",
    "I64 + 2", "I32 + 2", "I32 + I64", "I32 * S64", "I64 * SI64", "B + 1", "B * 2.5", "B + B * 1",
    "I64 / 2", "1 / I64", "I64 / I64", "I32 / 2", "B / 2", "I64 / F64", "F16 / 2", "F32 ** 2", "2 ** F32",
    "F32 ** S64", "2.0 ** I64", "F32 - I64 * 2", "SI64 - S32",
]


@pytest.mark.parametrize("expression", PROMOTION_EXPRESSIONS)
def test_dtype_promotion_matches_pytorch(expression):
    ours = eval(expression, {name: Tensor(data) for name, data in PROMOTION_OPERANDS.items()})
    theirs = eval(expression, {name: torch.from_numpy(data.copy()) for name, data in PROMOTION_OPERANDS.items()})
    assert ours.dtype == torch.empty(0, dtype=theirs.dtype).numpy().dtype
    assert_close(ours.numpy().astype(np.float64), theirs.double().numpy())


# ---- argmax / argmin ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (0, False), (1, True), (-1, False), (2, True)])
def test_argmax_and_argmin_match_pytorch_including_ties(name, dim, keepdim):
    data = np.random.default_rng(5).integers(-2, 3, (4, 3, 5)).astype(np.float64)  # many ties
    ours = getattr(Tensor(data), name)(dim=dim, keepdim=keepdim)
    theirs = getattr(torch.from_numpy(data), name)(dim=dim, keepdim=keepdim)
    assert ours.dtype == np.int64 and ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ---- transpose of a matrix: the spellings both frameworks read alike ------------------------------------
@pytest.mark.parametrize("spelling", ["x.transpose(1, 0)", "x.transpose(-1, -2)", "x.T", "x.swapaxes(0, 1)",
                                      "x.permute(0, 1)", "x.permute(1, 0)"])
def test_matrix_transposes_match_pytorch(spelling):
    data = np.arange(6.0).reshape(2, 3)
    ours, theirs = eval(spelling, {"x": Tensor(data)}), eval(spelling, {"x": torch.from_numpy(data)})
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (-2, -1), (0, 0)])
def test_transpose_of_a_matrix_swaps_as_in_pytorch(dims):
    data = np.arange(4.0).reshape(2, 2)  # square: a silent identity would give the right shape
    np.testing.assert_array_equal(Tensor(data).transpose(*dims).numpy(), torch.from_numpy(data).transpose(*dims).numpy())
