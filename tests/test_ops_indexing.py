"""Gather, scatter and masks: gather, take_along_dim, take, index_select, scatter (src or value),
scatter_add, scatter_reduce, index_add, index_copy, index_fill, masked_select, masked_scatter, nonzero,
argwhere and where(condition); values against numpy or PyTorch's definition written as a loop,
gradients by gradcheck and gradgradcheck in float64, edge cases, errors, then PyTorch itself."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_like as tl
from tinygrad_like import ShapeError, Tensor
from tinygrad_like.testing import arrays, assert_close, shapes


# ---- PyTorch's definitions, element by element ------------------------------------------------------
def targets(dim, index):
    """(position in index, position it addresses in the tensor) for every element of index: out[p] =
    x[q] for gather, x[q] = src[p] for scatter."""
    for p in np.ndindex(index.shape):
        q = list(p)
        q[dim] = index[p]
        yield p, tuple(q)


def gather_reference(x, dim, index):
    out = np.zeros(index.shape, x.dtype)
    for p, q in targets(dim, index):
        out[p] = x[q]
    return out


NUMPY_REDUCTIONS = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}


def scatter_reference(x, dim, index, src, reduce=None, include_self=True):
    """scatter (reduce None: the last value written stays), scatter_add ("sum") and scatter_reduce: the
    values reaching each element collected, then reduced with numpy."""
    out, reached = x.copy(), {}
    for p, q in targets(dim, index):
        reached.setdefault(q, [x[q]] if include_self and reduce else []).append(src[p])
    for q, values in reached.items():
        out[q] = values[-1] if reduce is None else NUMPY_REDUCTIONS[reduce](values)
    return out


def along(dim, part, ndim):
    return (slice(None),) * dim + (part,) + (slice(None),) * (ndim - dim - 1)


def index_reference(x, dim, index, source, combine):
    """index_add / index_copy: slice i of source combined into slice index[i] of x along dim."""
    out = x.copy()
    for i, j in enumerate(index):
        out[along(dim, j, x.ndim)] = combine(out[along(dim, j, x.ndim)], source[along(dim, i, x.ndim)])
    return out


# ---- cases ----------------------------------------------------------------------------------------
@st.composite
def index_cases(draw, unique=False):
    """(x's shape, dim as given, dim as an axis, int64 index) under the gather/scatter rule: index has x's
    axes and is no larger along those other than dim. `unique`: no position repeats along dim within a
    line, so that a scatter writes each element at most once (PyTorch leaves the value written by
    repeats unspecified)."""
    shape = draw(shapes(min_dims=1, max_dims=2, max_side=3))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    axis = dim % len(shape)
    index_shape = [draw(st.integers(1, n)) for n in shape]
    if unique:
        index_shape[axis] = shape[axis]
        keys = draw(hnp.arrays(np.float64, tuple(index_shape), elements=st.floats(0, 1)))
        count = draw(st.integers(0, shape[axis]))
        index = np.argsort(keys, axis=axis, kind="stable")[along(axis, slice(count), len(shape))]
    else:
        index_shape[axis] = draw(st.integers(0, 4))
        index = draw(hnp.arrays(np.int64, tuple(index_shape), elements=st.integers(0, shape[axis] - 1)))
    return shape, dim, axis, index.astype(np.int64)


@st.composite
def vector_cases(draw, unique=False):
    """(x's shape, dim, axis, 1-d int64 index along dim) for index_select and the index_* family."""
    shape = draw(shapes(min_dims=1, max_dims=2, max_side=3))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    size = shape[dim]
    if unique:
        index = np.asarray(draw(st.permutations(range(size)))[:draw(st.integers(0, size))], dtype=np.int64)
    else:
        index = draw(hnp.arrays(np.int64, draw(st.integers(0, 4)), elements=st.integers(0, size - 1)))
    return shape, dim, dim % len(shape), index


def leaf(a):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def check(fn, reference, *inputs):
    """fn's value against the reference, then its first derivatives element by element and its second
    along random directions (fast mode: the whole file has about a second), by finite differences."""
    out = fn(*[Tensor(a) for a in inputs])
    assert_close(out, reference(*inputs), rtol=1e-12, atol=1e-12)  # sums in another order
    tensors = [leaf(a) for a in inputs]
    assert tl.gradcheck(fn, *tensors)
    # fast mode perturbs a 0-d input into a numpy scalar, which is no array: those go element by element
    assert tl.gradgradcheck(fn, *tensors, fast=out.ndim > 0 and all(np.ndim(a) for a in inputs))


# ---- gather and the selections --------------------------------------------------------------------
@given(case=index_cases(), data=st.data())
@settings(max_examples=8)
def test_gather(case, data):
    shape, dim, axis, index = case
    check(lambda x: x.gather(dim, Tensor(index)), lambda a: gather_reference(a, axis, index), data.draw(arrays(shape)))


@given(shape=shapes(min_dims=1, max_dims=2, max_side=3), data=st.data())
@settings(max_examples=8)
def test_take_along_dim_broadcasts_and_wraps_negative_indices(shape, data):
    axis = data.draw(st.integers(0, len(shape) - 1))
    index_shape = [n if data.draw(st.booleans()) else 1 for n in shape]  # broadcasting either way
    index_shape[axis] = data.draw(st.integers(0, 3))
    shape = [1 if index_shape[i] > 1 and data.draw(st.booleans()) and i != axis else n for i, n in enumerate(shape)]
    n = shape[axis]
    index = data.draw(hnp.arrays(np.int64, tuple(index_shape), elements=st.integers(-n, n - 1)))
    check(lambda x: x.take_along_dim(Tensor(index), axis - len(shape)),
          lambda a: np.take_along_axis(a, index, axis), data.draw(arrays(tuple(shape))))
    flat = data.draw(hnp.arrays(np.int64, shapes(0, 2, 0, 3), elements=st.integers(0, int(np.prod(shape)) - 1)))
    check(lambda x: tl.take_along_dim(x, Tensor(flat)), lambda a: a.reshape(-1)[flat.reshape(-1)],
          data.draw(arrays(tuple(shape))))


@given(a=arrays(max_dims=2, max_side=3), data=st.data())
@settings(max_examples=8)
def test_take_and_index_select(a, data):
    size = a.size
    index = data.draw(hnp.arrays(np.int64, shapes(0, 2, 0, 3), elements=st.integers(-size, size - 1)))
    check(lambda x: x.take(Tensor(index)), lambda a: a.reshape(-1)[index], a)
    dim = data.draw(st.integers(-max(a.ndim, 1), max(a.ndim, 1) - 1))
    length = a.shape[dim] if a.ndim else 1
    vector = data.draw(hnp.arrays(np.int64, st.integers(0, 4), elements=st.integers(0, length - 1)))
    if a.ndim == 0:  # a 0-d tensor is one element along dim 0, and stays 0-d
        vector = np.zeros(1, np.int64)
    check(lambda x: x.index_select(dim, Tensor(vector)), lambda a: np.take(a, vector, axis=dim) if a.ndim else a, a)


# ---- scatter and its relatives ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["scatter", "scatter_value", "scatter_add"])
@given(data=st.data())
@settings(max_examples=6)  # per parametrized op
def test_scatter(name, data):
    shape, dim, axis, index = data.draw(index_cases(unique=name != "scatter_add"))
    src_shape = tuple(n + data.draw(st.integers(0, 1)) for n in index.shape)  # src may be larger than index
    a, s = data.draw(arrays(shape)), data.draw(arrays(src_shape))
    i = Tensor(index)
    if name == "scatter":
        check(lambda x, src: x.scatter(dim, i, src), lambda a, s: scatter_reference(a, axis, index, s), a, s)
    elif name == "scatter_value":
        check(lambda x: x.scatter(dim, i, 1.5), lambda a: scatter_reference(a, axis, index, np.full(index.shape, 1.5)),
              a)
        check(lambda x: x.scatter(dim, i, value=-2),
              lambda a: scatter_reference(a, axis, index, np.full(index.shape, -2)), a)
    else:
        check(lambda x, src: x.scatter_add(dim, i, src), lambda a, s: scatter_reference(a, axis, index, s, "sum"), a, s)


def distinct_values(data, *shapes_, factors=False):
    """Arrays of values in [-3, 3] that all differ by at least 0.05 (no ties, so no kinks within
    gradcheck's eps), placed by a random permutation; with `factors`, magnitudes in [0.5, 1.5] of random
    sign (products stay of order 1)."""
    sizes = [int(np.prod(s)) for s in shapes_]
    ranks = np.asarray(data.draw(st.permutations(range(sum(sizes)))), dtype=np.float64)
    values = (0.5 + ranks / len(ranks)) * (-1.0) ** ranks if factors else -3 + 6 * ranks / len(ranks)
    return [part.reshape(s) for part, s in zip(np.split(values, np.cumsum(sizes)[:-1]), shapes_)]


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@given(data=st.data())
@settings(max_examples=6)  # per parametrized op
def test_scatter_reduce(reduce, data):
    shape, dim, axis, index = data.draw(index_cases())
    src_shape = tuple(n + data.draw(st.integers(0, 1)) for n in index.shape)
    include_self = data.draw(st.booleans())
    a, s = distinct_values(data, shape, src_shape, factors=reduce == "prod")
    i = Tensor(index)
    check(lambda x, src: x.scatter_reduce(dim, i, src, reduce, include_self=include_self),
          lambda a, s: scatter_reference(a, axis, index, s, reduce, include_self), a, s)


@pytest.mark.parametrize("name", ["index_add", "index_copy", "index_fill"])
@given(data=st.data())
@settings(max_examples=6)  # per parametrized op
def test_index_add_copy_fill(name, data):
    shape, dim, axis, index = data.draw(vector_cases(unique=name == "index_copy"))
    source_shape = tuple(index.size if d == axis else n for d, n in enumerate(shape))
    a, s = data.draw(arrays(shape)), data.draw(arrays(source_shape))
    i = Tensor(index)
    if name == "index_add":
        alpha = data.draw(st.sampled_from([1, -2.5]))
        check(lambda x, src: x.index_add(dim, i, src, alpha=alpha),
              lambda a, s: index_reference(a, axis, index, s, lambda old, new: old + alpha * new), a, s)
    elif name == "index_copy":
        check(lambda x, src: x.index_copy(dim, i, src), lambda a, s: index_reference(a, axis, index, s,
                                                                                       lambda old, new: new), a, s)
    else:
        filled = np.isin(np.arange(shape[axis]), index).reshape([-1 if d == axis else 1 for d in range(len(shape))])
        negative = Tensor(index - shape[axis])  # index_fill counts negative indices from the end
        check(lambda x, v: x.index_fill(dim, negative, v), lambda a, v: np.where(filled, v, a), a, np.asarray(0.5))
        check(lambda x: x.index_fill(dim, i, 2.0), lambda a: np.where(filled, 2.0, a), a)


@given(a=arrays(max_dims=2, max_side=3), data=st.data())
@settings(max_examples=8)
def test_masked_select_and_scatter(a, data):
    mask_shape = data.draw(hnp.broadcastable_shapes(a.shape, max_dims=3, max_side=3))
    mask = data.draw(hnp.arrays(np.bool_, mask_shape))
    shape = np.broadcast_shapes(a.shape, mask.shape)
    selected = lambda a: np.broadcast_to(a, shape)[np.broadcast_to(mask, shape)]  # noqa: E731
    check(lambda x: x.masked_select(Tensor(mask)), selected, a)
    count = int(np.broadcast_to(mask, shape).sum())
    s = data.draw(arrays((count + data.draw(st.integers(0, 2)),)))

    def scattered(a, s):
        out = np.array(np.broadcast_to(a, shape))
        out[np.broadcast_to(mask, shape)] = s[:count]
        return out
    check(lambda x, src: x.masked_scatter(Tensor(mask), src), scattered, a, s)


@given(a=hnp.arrays(np.float64, shapes(0, 3, 0, 3), elements=st.sampled_from([0.0, -0.0, 1.0, -2.0, np.nan, np.inf])))
@settings(max_examples=15)
def test_nonzero_argwhere_and_where(a):
    x = Tensor(a)
    expected = np.argwhere(a)
    for ours in (x.nonzero(), tl.nonzero(x), tl.argwhere(x)):
        assert ours.dtype == np.int64 and ours.shape == expected.shape and np.array_equal(ours.numpy(), expected)
    parts = x.nonzero(as_tuple=True)
    assert len(parts) == max(a.ndim, 1)
    for ours, theirs in zip(parts, np.nonzero(np.atleast_1d(a))):
        assert ours.dtype == np.int64 and np.array_equal(ours.numpy(), theirs)
    for ours, theirs in zip(tl.where(x), parts):
        assert np.array_equal(ours.numpy(), theirs.numpy())
    assert np.array_equal(tl.where(a != 0)[0].numpy(), parts[0].numpy())  # a plain array condition too


# ---- edge values, dtypes, in place ------------------------------------------------------------------
def test_zero_d_tensors_count_as_one_element():
    x = leaf(3.0)
    assert_close(x.gather(0, tl.tensor(0)), 3.0)
    assert x.gather(0, tl.tensor([0, 0])).shape == (2,)
    assert_close(x.scatter(0, tl.tensor(0), 5.0), 5.0)
    assert x.scatter(0, tl.tensor([0]), 5.0).shape == ()
    assert_close(x.scatter_add(0, tl.tensor([0, 0]), leaf([1.0, 2.0])), 6.0)
    assert_close(x.scatter_reduce(0, tl.tensor([0, 0]), leaf([1.0, 2.0]), "prod"), 6.0)
    assert_close(x.index_select(0, tl.tensor([0])), 3.0)
    assert x.index_select(0, tl.tensor([0])).shape == ()
    assert_close(x.index_add(0, tl.tensor([0]), leaf(2.0)), 5.0)
    assert_close(x.index_fill(0, tl.tensor([0]), 1.0), 1.0)
    assert x.index_copy(0, tl.tensor(0), leaf(4.0)).item() == 4.0
    assert_close(x.take(tl.tensor([[0, -1]])), [[3.0, 3.0]])
    assert x.take(tl.tensor(0)).shape == ()
    assert_close(x.masked_select(tl.tensor(True)), [3.0])
    assert x.masked_select(tl.tensor(False)).shape == (0,)
    assert_close(x.masked_scatter(tl.tensor([True, False]), leaf([7.0, 8.0])), [7.0, 3.0])
    assert x.nonzero().shape == (1, 0) and tl.tensor(0.0).nonzero().shape == (0, 0)
    assert [p.tolist() for p in x.nonzero(as_tuple=True)] == [[0]]
    assert_close(x.take_along_dim(tl.tensor([0, 0])), [3.0, 3.0])
    y = x * 2
    y.gather(0, tl.tensor([0, 0])).sum().backward()
    assert_close(x.grad, 4.0)


def test_empty_indices_and_tensors():
    x = leaf(np.arange(6.0).reshape(2, 3))
    empty = tl.zeros(2, 0, dtype=tl.int64)
    assert x.gather(1, empty).shape == (2, 0) and x.take(tl.zeros(0, dtype=tl.int64)).shape == (0,)
    assert_close(x.scatter(1, empty, 1.0), x)
    assert_close(x.scatter_add(1, empty, tl.zeros(2, 0, dtype=tl.float64)), x)
    assert_close(x.index_add(0, tl.zeros(0, dtype=tl.int64), tl.zeros(0, 3, dtype=tl.float64)), x)
    assert x.index_select(1, tl.zeros(0, dtype=tl.int64)).shape == (2, 0)
    assert x.masked_select(tl.zeros(3, dtype=tl.bool)).shape == (0,)
    (x.gather(1, empty).sum() + x.index_select(0, tl.tensor([1])).sum()).backward()
    assert_close(x.grad, [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    nothing = tl.zeros(0, 3)
    assert nothing.nonzero().shape == (0, 2) and nothing.index_select(1, tl.tensor([2])).shape == (0, 1)
    assert nothing.take(tl.zeros(0, dtype=tl.int64)).shape == (0,)


def test_repeated_indices_add_their_gradients():
    x = leaf([1.0, 2.0, 3.0])
    (x.gather(0, tl.tensor([2, 2, 0])) * tl.tensor([1.0, 10.0, 100.0], dtype=tl.float64)).sum().backward()
    assert_close(x.grad, [100.0, 0.0, 11.0])
    x.grad = None
    x.take(tl.tensor([-1, 2])).sum().backward()
    assert_close(x.grad, [0.0, 0.0, 2.0])
    src = leaf([5.0, 6.0])
    out = x.scatter(0, tl.tensor([1, 1]), src)  # which value stays is unspecified; both see the gradient
    assert out.numpy()[1] in (5.0, 6.0)
    (out * tl.tensor([1.0, 7.0, 1.0], dtype=tl.float64)).sum().backward()
    assert_close(src.grad, [7.0, 7.0])


def test_index_fill_value_gradient_counts_each_element_once():
    x, value = leaf(np.ones((2, 3))), leaf(0.0)
    out = x.index_fill(1, tl.tensor([0, -3, 2]), value)  # -3 is 0 again
    assert_close(out, [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    out.sum().backward()
    assert_close(value.grad, 4.0)
    assert_close(x.grad, [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])


def test_scatter_reduce_ties_zeros_and_extremes():
    x = leaf([2.0, 0.0, 5.0])
    src = leaf([2.0, 1.0, 2.0, 3.0])
    out = x.scatter_reduce(0, tl.tensor([0, 1, 0, 1]), src, "amax")
    assert_close(out, [2.0, 3.0, 5.0])
    out.sum().backward()
    assert_close(x.grad, [1 / 3, 0.0, 1.0])  # a three-way tie
    assert_close(src.grad, [1 / 3, 0.0, 1 / 3, 1.0])
    x, src = leaf([2.0, 0.0, 4.0]), leaf([0.0, 3.0, 0.0, 0.0])
    out = x.scatter_reduce(0, tl.tensor([0, 0, 2, 2]), src, "prod")
    assert_close(out, [0.0, 0.0, 0.0])
    out.backward(tl.tensor([1.0, 1.0, 1.0], dtype=tl.float64))
    assert_close(x.grad, [0.0, 1.0, 0.0])  # a zero factor: the product of the others
    assert_close(src.grad, [6.0, 0.0, 0.0, 0.0])  # only the single zero of element 0 sees the others' product
    x = leaf([0.0, 1.0])
    x.scatter_reduce(0, tl.tensor([0]), leaf([3.0]), "prod").sum().backward()
    assert_close(x.grad, [3.0, 1.0])
    ints = tl.tensor([5, -5, 7])
    assert ints.scatter_reduce(0, tl.tensor([0, 1, 1]), tl.tensor([2, -2, -1]), "mean").tolist() == [3, -3, 7]  # floor
    assert ints.scatter_reduce(0, tl.tensor([2]), tl.tensor([9]), "amin", include_self=False).tolist() == [5, -5, 9]
    f = tl.tensor([1.0, np.nan])
    assert np.isnan(f.scatter_reduce(0, tl.tensor([0]), tl.tensor([np.nan]), "amax").numpy()[0])
    assert_close(f.scatter_reduce(0, tl.tensor([0, 0]), tl.tensor([-np.inf, 4.0]), "amin", include_self=False)[0],
                 -np.inf)
    big = tl.tensor([1e300, -1e300], dtype=tl.float64)
    assert_close(big.scatter_reduce(0, tl.tensor([0, 0]), big, "mean"), [1e300 / 3, -1e300])


def test_scatter_reduce_prod_second_derivative_with_two_zeros_is_refused():
    x, src = leaf([2.0]), leaf([0.0, 0.0])
    out = x.scatter_reduce(0, tl.tensor([0, 0]), src, "prod")
    (gx, gsrc) = tl.autograd.grad(out.sum(), [x, src])
    assert_close(gsrc, [0.0, 0.0])
    with pytest.raises(RuntimeError, match=r"scatter_reduce\(\): the second derivative of reduce='prod'"):
        tl.autograd.grad(x.scatter_reduce(0, tl.tensor([0, 0]), src, "prod").sum(), [src], create_graph=True)


def test_dtypes_are_kept():
    f32, i64 = tl.tensor([[1.0, 2.0], [3.0, 4.0]]), tl.tensor([[1, 2], [3, 4]])
    index = tl.tensor([[1, 0]])
    for x in (f32, i64):
        for out in (x.gather(1, index), x.scatter(0, index, x[:1]), x.scatter(0, index, 3), x.scatter_add(0, index, x),
                    x.index_select(0, tl.tensor([1])), x.index_add(0, tl.tensor([1]), x[:1], alpha=2),
                    x.index_fill(1, tl.tensor([0]), 9), x.masked_select(x > 2), x.take(index),
                    x.masked_scatter(x > 2, x), x.take_along_dim(index, 1),
                    *(x.scatter_reduce(1, index, x, r) for r in NUMPY_REDUCTIONS)):
            assert out.dtype == x.dtype
    assert i64.scatter(0, index, 7.9)[0].tolist() == [1, 7]  # the value takes the tensor's dtype
    assert i64.index_add(0, tl.tensor([0]), i64[:1], alpha=2.5)[0].tolist() == [3, 6]
    assert f32.gather(1, tl.tensor([[1]], dtype=tl.int32)).item() == 2.0  # int32 indices where PyTorch takes them
    assert tl.tensor([True, False]).nonzero().tolist() == [[0]]


def test_in_place_variants_change_the_memory_and_join_the_graph():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 1
    memory = y.numpy()
    index = tl.tensor([2, 0])
    src = leaf([10.0, 20.0])
    y.scatter_(0, index, src).scatter_add_(0, tl.tensor([1]), src[:1]).index_add_(0, index, src, alpha=2)
    y.index_fill_(0, tl.tensor([1]), 0.5).masked_scatter_(tl.tensor([False, True, False]), src[1:])
    y.scatter_reduce_(0, tl.tensor([0, 0]), src, "amax").index_copy_(0, tl.tensor([1]), src[:1])
    assert y.numpy() is memory and y.grad_fn is not None
    assert_close(y, [60.0, 10.0, 30.0])
    y.sum().backward()
    assert_close(x.grad, [0.0, 0.0, 0.0])  # every element was overwritten
    assert_close(src.grad, [4.0, 3.0])
    y = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"scatter_\(\): a leaf tensor that requires grad"):
        y.scatter_(0, tl.tensor([0]), 5.0)
    z = tl.zeros(3)
    z.scatter_(0, tl.tensor([1]), value=4.0)
    assert z.tolist() == [0.0, 4.0, 0.0]
    with pytest.raises(ShapeError, match=r"masked_scatter_\(\): the result has shape \(2, 3\)"):
        z.masked_scatter_(tl.ones(2, 3, dtype=tl.bool), tl.ones(6))


def test_inputs_are_not_modified_and_gradients_are_not_aliased():
    a, s = np.arange(6.0).reshape(2, 3), np.ones((2, 3))
    x, src = leaf(a), leaf(s)
    for out in (x.scatter(1, tl.tensor([[0], [2]]), src), x.index_copy(0, tl.tensor([1]), src[:1]),
                x.scatter_reduce(1, tl.tensor([[0], [2]]), src, "sum"), x.masked_scatter(x > 2, src)):
        out.sum().backward()
    assert_close(x, a)
    assert_close(src, s)
    assert not np.shares_memory(x.grad.numpy(), src.grad.numpy())


# ---- errors ----------------------------------------------------------------------------------------
X = tl.arange(12.0).reshape(3, 4)
ERRORS = [  # (call, error type, the message's pattern)
    (lambda: X.gather(1, tl.tensor([[4]])), IndexError,
     r"gather\(\): index 4 is out of range for dimension 1 of size 4 \(tensor of shape \(3, 4\)\); valid indices are "
     r"0 to 3"),
    (lambda: X.gather(1, tl.tensor([[-1]])), IndexError, r"gather\(\): index -1 is out of range"),
    (lambda: X.gather(1, tl.tensor([[1.0]])), TypeError,
     r"gather\(\): index must be a tensor of int64 or int32, got float32; convert it with index.long\(\)"),
    (lambda: X.gather(1, tl.tensor([1])), ShapeError, r"gather\(\): index of shape \(1,\) must have as many axes"),
    (lambda: X.gather(1, tl.zeros(4, 1, dtype=tl.int64)), ShapeError,
     r"larger than the tensor of shape \(3, 4\) along an axis other than dim 1"),
    (lambda: X.gather(2, tl.zeros(1, 1, dtype=tl.int64)), IndexError, r"gather\(\): axis 2 is out of range"),
    (lambda: X.gather(0, tl.zeros(1, 1, dtype=tl.int64), sparse_grad=True), ValueError, r"sparse_grad"),
    (lambda: X.scatter(1, tl.tensor([[0, 1]]), tl.ones(1, 1)), ShapeError,
     r"scatter\(\): index of shape \(1, 2\) must have the axes of src, of shape \(1, 1\)"),
    (lambda: X.scatter(1, tl.tensor([[0]]), tl.ones(1, 1, dtype=tl.float64)), TypeError,
     r"scatter\(\): src has dtype float64 but the tensor has float32"),
    (lambda: X.scatter(1, tl.tensor([[0]])), TypeError, r"scatter\(\): give either src"),
    (lambda: X.scatter_add(0, tl.tensor([[3]]), tl.ones(1, 1)), IndexError,
     r"scatter_add\(\): index 3 is out of range"),
    (lambda: X.scatter_reduce(0, tl.tensor([[0]]), tl.ones(1, 1), "max"), ValueError,
     r"scatter_reduce\(\): reduce must be one of 'sum', 'prod', 'mean', 'amax', 'amin', got 'max'"),
    (lambda: X.index_select(1, tl.tensor([[1]])), ShapeError, r"index_select\(\): index must be 0-d or 1-d, got shape"),
    (lambda: X.index_select(1, tl.tensor([-1])), IndexError, r"index_select\(\): index -1 is out of range"),
    (lambda: tl.tensor(1.0).index_select(0, tl.tensor([0, 0])), ShapeError,
     r"index_select\(\): a 0-d tensor takes an index of one element, got 2"),
    (lambda: X.index_add(1, tl.tensor([0, 1]), tl.ones(3, 3)), ShapeError,
     r"index_add\(\): source of shape \(3, 3\) does not fit the tensor of shape \(3, 4\) with 2 indices along dim 1: "
     r"expected shape \(3, 2\)"),
    (lambda: X.index_add(1, tl.tensor([0]), tl.ones(3, 1, dtype=tl.int64)), TypeError,
     r"index_add\(\): source has dtype"),
    (lambda: X.index_copy(1, tl.tensor([0], dtype=tl.int32), tl.ones(3, 1)), TypeError,
     r"index_copy\(\): index must be a tensor of int64, got int32"),
    (lambda: X.index_fill(1, tl.tensor([4]), 0.0), IndexError,
     r"index_fill\(\): index 4 is out of range for dimension 1 of size 4 \(tensor of shape \(3, 4\)\); valid indices "
     r"are -4"),
    (lambda: X.index_fill(1, tl.tensor([0]), tl.ones(1)), ShapeError,
     r"index_fill\(\): value must be a number or a 0-d"),
    (lambda: X.take(tl.tensor([-13])), IndexError,
     r"take\(\): index -13 is out of range for the 12 elements of the flattened tensor"),
    (lambda: tl.zeros(0).take(tl.tensor([0])), IndexError, r"take\(\): cannot take elements from an empty tensor"),
    (lambda: X.take(tl.tensor([1], dtype=tl.int32)), TypeError,
     r"take\(\): index must be a tensor of int64, got int32"),
    (lambda: X.masked_select(tl.ones(4)), TypeError, r"masked_select\(\): mask must be a bool tensor, got float32"),
    (lambda: X.masked_select(tl.ones(3, dtype=tl.bool)), ShapeError,
     r"masked_select\(\): mask of shape \(3,\) does not broadcast with the tensor of shape \(3, 4\)"),
    (lambda: X.masked_scatter(X > 5, tl.ones(5)), ShapeError,
     r"masked_scatter\(\): the mask selects 6 elements but source \(shape \(5,\)\) has only 5"),
    (lambda: X.take_along_dim(tl.tensor([[1]], dtype=tl.int32), 1), TypeError,
     r"take_along_dim\(\): indices must be a tensor of int64, got int32"),
    (lambda: X.take_along_dim(tl.tensor([1]), 1), ShapeError, r"take_along_dim\(\): indices of shape \(1,\) must have"),
    (lambda: X.take_along_dim(tl.zeros(2, 1, dtype=tl.int64), 1), ShapeError,
     r"take_along_dim\(\): indices of shape \(2, 1\) do not broadcast with the tensor of shape \(3, 4\)"),
    (lambda: X.take_along_dim(tl.tensor([[4]]), 1), IndexError, r"take_along_dim\(\): index 4 is out of range"),
    (lambda: X.take_along_dim(tl.tensor([-1])), IndexError, r"take_along_dim\(\): index -1 is out of range"),
    (lambda: tl.where(X > 1, X), TypeError, r"where\(\): give condition, input and other, or condition alone"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_name_the_op_shapes_and_remedy(case):
    call, error, message = ERRORS[case]
    with pytest.raises(error, match=message):
        call()


# ---- against PyTorch ---------------------------------------------------------------------------------
def both(torch, a):
    """The same float64 values as a leaf of either framework."""
    return leaf(a), torch.tensor(a, requires_grad=True)


TORCH_CASES = {  # name: the same call in either framework, given the module, the input x, src and the dim
    "gather": lambda m, x, src, index, dim: x.gather(dim, index),
    "scatter": lambda m, x, src, index, dim: x.scatter(dim, index, src),
    "scatter_value": lambda m, x, src, index, dim: x.scatter(dim, index, value=-1.25),
    "scatter_add": lambda m, x, src, index, dim: x.scatter_add(dim, index, src),
    "take_along_dim": lambda m, x, src, index, dim: m.take_along_dim(x, index, dim),
    "take_along_dim_flat": lambda m, x, src, index, dim: m.take_along_dim(x, index),
    "take": lambda m, x, src, index, dim: x.take(index),
    **{f"scatter_reduce_{reduce}_{include}": (
        lambda m, x, src, index, dim, reduce=reduce, include=include:
        x.scatter_reduce(dim, index, src, reduce, include_self=include == "self"))
       for reduce in NUMPY_REDUCTIONS for include in ("self", "noself")},
}


@pytest.mark.torch
@pytest.mark.parametrize("name", TORCH_CASES)
@given(data=st.data())
@settings(max_examples=10)
def test_index_ops_match_pytorch(name, data):
    torch = pytest.importorskip("torch")
    shape, dim, axis, index = data.draw(index_cases(unique=name.startswith("scatter") and name[7:] in ("", "_value")))
    # src no larger than index: PyTorch's scatter backward fails otherwise ("invalid gradient ... got [1] but expected
    # shape compatible with [2]"); the tests above cover a larger src
    src_shape = index.shape
    # a few values repeat, so that the extremes tie, and zeros enter the products
    a, s = (data.draw(hnp.arrays(np.float64, sh, elements=st.sampled_from([0.0, 1.0, -2.0, 0.5, 3.0, -0.75])))
            for sh in (shape, src_shape))
    (x, tx), (src, tsrc) = both(torch, a), both(torch, s)
    try:
        theirs = TORCH_CASES[name](torch, tx, tsrc, torch.tensor(index), dim)
    except RuntimeError:  # take_along_dim's shapes need not broadcast: then both refuse
        with pytest.raises((RuntimeError, IndexError)):
            TORCH_CASES[name](tl, x, src, tl.tensor(index), dim)
        return
    ours = TORCH_CASES[name](tl, x, src, tl.tensor(index), dim)
    assert_close(ours, theirs.detach().numpy(), rtol=1e-12)
    upstream = np.cos(np.arange(ours.numel())).reshape(ours.shape)
    ours.backward(Tensor(upstream))
    theirs.backward(torch.tensor(upstream))
    for mine, their in ((x, tx), (src, tsrc)):
        if their.grad is not None:
            assert_close(mine.grad, their.grad.numpy(), rtol=1e-10, atol=1e-12, message=name)


@pytest.mark.torch
@given(data=st.data())
@settings(max_examples=20)
def test_vector_and_mask_ops_match_pytorch(data):
    torch = pytest.importorskip("torch")
    shape, dim, axis, index = data.draw(vector_cases(unique=True))
    a = data.draw(arrays(shape))
    source = data.draw(arrays(tuple(index.size if d == axis else n for d, n in enumerate(shape))))
    mask = data.draw(hnp.arrays(np.bool_, data.draw(hnp.broadcastable_shapes(a.shape, max_dims=3, max_side=3))))
    count = int(np.broadcast_to(mask, np.broadcast_shapes(a.shape, mask.shape)).sum())
    pool = data.draw(arrays((count + 1,)))
    calls = {
        "index_select": lambda m, x, s, v: x.index_select(dim, m.tensor(index)),
        "index_add": lambda m, x, s, v: x.index_add(dim, m.tensor(index), s, alpha=-1.5),
        "index_copy": lambda m, x, s, v: x.index_copy(dim, m.tensor(index), s),
        "index_fill": lambda m, x, s, v: x.index_fill(dim, m.tensor(index), v),  # PyTorch's backward fails on negatives
        "masked_select": lambda m, x, s, v: x.masked_select(m.tensor(mask)),
        "masked_scatter": lambda m, x, s, v: x.masked_scatter(m.tensor(mask), v * m.tensor(pool)),
    }
    for name, call in calls.items():
        (x, tx), (s, ts), (v, tv) = both(torch, a), both(torch, source), both(torch, np.asarray(0.5))
        ours, theirs = call(tl, x, s, v), call(torch, tx, ts, tv)
        assert_close(ours, theirs.detach().numpy(), rtol=1e-12, message=name)
        upstream = np.sin(np.arange(ours.numel()) + 1.0).reshape(ours.shape)
        ours.backward(Tensor(upstream))
        theirs.backward(torch.tensor(upstream))
        for mine, their in ((x, tx), (s, ts), (v, tv)):
            if their.grad is not None:
                assert_close(mine.grad, their.grad.numpy(), rtol=1e-10, atol=1e-12, message=name)


@pytest.mark.torch
@given(a=hnp.arrays(np.float64, shapes(0, 3, 0, 3), elements=st.sampled_from([0.0, -0.0, 2.0, np.nan])))
@settings(max_examples=20)
def test_nonzero_matches_pytorch(a):
    torch = pytest.importorskip("torch")
    t = torch.tensor(a)
    assert np.array_equal(tl.nonzero(Tensor(a)).numpy(), torch.nonzero(t).numpy())
    assert np.array_equal(tl.argwhere(Tensor(a)).numpy(), torch.argwhere(t).numpy())
    ours, theirs = tl.where(Tensor(a) != 0), torch.where(t != 0)
    assert len(ours) == len(theirs) and all(np.array_equal(p.numpy(), q.numpy()) for p, q in zip(ours, theirs))
