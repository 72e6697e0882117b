"""Sorting and searching: sort, argsort, msort, topk, kthvalue, unique, searchsorted and bucketize;
values and indices against numpy and a stable sort written out, ties and NaN, gradients by gradcheck
and gradgradcheck in float64, edge cases, errors, then PyTorch itself."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_like as tl
from tinygrad_like import ShapeError, Tensor
from tinygrad_like.testing import shapes

# few distinct values, so that ties are common; NaN, infinities, signed zeros and huge magnitudes among them
TIED = st.sampled_from([0.0, -0.0, 1.0, -2.5, 3.0, 1e300, -np.inf, np.inf, np.nan])


def stable_order(line, descending):
    """The stable sorting permutation of a 1-d array, NaN as the largest value (PyTorch's order)."""
    def key(i):
        v = line[i]
        return (1, 0.0) if math.isnan(v) else (0, v)
    return np.asarray(sorted(range(len(line)), key=key, reverse=descending), dtype=np.int64)  # reverse stays stable


def reference_order(a, axis, descending=False):
    if a.size == 0:
        return np.zeros(a.shape, np.int64)
    return np.apply_along_axis(stable_order, axis, a, descending)


def assert_same(actual, expected):
    actual = actual.numpy() if isinstance(actual, Tensor) else actual
    assert actual.shape == expected.shape and np.array_equal(actual, expected, equal_nan=True), (actual, expected)


@st.composite
def tied_cases(draw):
    a = draw(hnp.arrays(np.float64, shapes(1, 2, 0, 4), elements=TIED))
    dim = draw(st.integers(-a.ndim, a.ndim - 1))
    return a, dim, dim % a.ndim


# ---- values and indices ----------------------------------------------------------------------------
@given(case=tied_cases(), data=st.data())
@settings(max_examples=15)
def test_sort_argsort_msort_topk_kthvalue_values(case, data):
    a, dim, axis = case
    x = Tensor(a)
    for descending in (False, True):
        order = reference_order(a, axis, descending)
        values, indices = x.sort(dim, descending=descending, stable=True)
        assert_same(indices, order)
        assert_same(values, np.take_along_axis(a, order, axis))
        assert_same(x.argsort(dim, descending, stable=True), order)
        assert_same(tl.sort(x, dim=dim, descending=descending).values, np.take_along_axis(a, order, axis))
    assert_same(tl.msort(x), np.take_along_axis(a, reference_order(a, 0), 0))
    size = a.shape[axis]
    k = data.draw(st.integers(0, size))
    for largest in (True, False):
        values, indices = x.topk(k, dim, largest=largest)
        best = np.take_along_axis(a, reference_order(a, axis, largest), axis)
        assert_same(values, best[(slice(None),) * axis + (slice(k),)])
        assert_same(np.take_along_axis(a, indices.numpy(), axis), values.numpy())  # tied elements: any of them
        assert np.all(np.diff(np.sort(indices.numpy(), axis), axis=axis) != 0)  # k different elements
    if size:
        k = data.draw(st.integers(1, size))
        keepdim = data.draw(st.booleans())
        values, indices = x.kthvalue(k, dim, keepdim)
        expected = np.take_along_axis(a, reference_order(a, axis), axis)[(slice(None),) * axis + (slice(k - 1, k),)]
        assert_same(values, expected if keepdim else expected.squeeze(axis))
        assert_same(np.take_along_axis(a, indices.numpy() if keepdim else np.expand_dims(indices.numpy(), axis), axis),
                    expected)
        assert indices.dtype == np.int64 and type(x.kthvalue(k, dim)).__name__ == "kthvalue"


@given(data=st.data())
@settings(max_examples=8)
def test_gradients_reach_the_selected_elements(data):
    shape = data.draw(shapes(1, 2, 1, 3))
    size = int(np.prod(shape))
    a = (np.asarray(data.draw(st.permutations(range(size))), dtype=np.float64) * 6 / size - 3).reshape(shape)  # no ties
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[dim]
    k, descending = data.draw(st.integers(1, n)), data.draw(st.booleans())
    calls = [lambda t: t.sort(dim, descending), lambda t: t.topk(k, dim, largest=descending),
             lambda t: t.kthvalue(k, dim)]
    for call in calls:
        x = Tensor(a, requires_grad=True)
        assert tl.gradcheck(call, x)
        assert tl.gradgradcheck(call, x, fast=True)


def test_tied_gradients_go_to_the_returned_indices():
    a = np.array([[2.0, 1.0, 2.0, 2.0], [np.nan, 0.0, -0.0, np.nan]])
    upstream = np.array([[1.0, 10.0, 100.0, 1000.0], [2.0, 20.0, 200.0, 2000.0]])
    for call in (lambda t: t.sort(1, descending=True), lambda t: t.sort(1), lambda t: t.topk(4, 1)):
        x = Tensor(a, requires_grad=True)
        values, indices = call(x)
        values.backward(Tensor(upstream))
        assert_same(np.take_along_axis(x.grad.numpy(), indices.numpy(), 1), upstream)  # a valid assignment
    x = Tensor(a, requires_grad=True)
    values, indices = x.topk(2, 1, largest=False)
    values.sum().backward()
    assert x.grad.numpy().sum() == 4.0 and np.array_equal(np.take_along_axis(x.grad.numpy(), indices.numpy(), 1),
                                                          np.ones((2, 2)))


def test_edge_cases_and_dtypes():
    x = Tensor(np.array(3.0), requires_grad=True)
    for result in (x.sort(), x.topk(1), x.topk(0), x.kthvalue(1), x.sort(0, True)):
        assert result.values.shape == () and result.indices.shape == () and result.indices.item() == 0
        assert result.values.item() == 3.0
    x.sort().values.backward()
    assert x.grad.item() == 1.0
    assert x.argsort().shape == () and x.unique().tolist() == [3.0]
    empty = tl.zeros(0, 3)
    assert empty.sort(0).values.shape == (0, 3) and empty.sort(0).indices.dtype == np.int64
    assert empty.topk(0, 0).values.shape == (0, 3) and empty.argsort(1).shape == (0, 3)
    f32 = tl.tensor([[3.0, 1.0, 2.0]])
    ints, flags = tl.tensor([3, 1, 2]), tl.tensor([True, False, True])
    for t in (f32, ints, flags):
        assert t.sort().values.dtype == t.dtype and t.topk(1).values.dtype == t.dtype
        assert t.argsort().dtype == np.int64 and t.unique().dtype == t.dtype
    assert ints.sort(descending=True).values.tolist() == [3, 2, 1] and flags.sort().indices.tolist() == [1, 0, 2]
    assert ints.kthvalue(2).values.item() == 2 and flags.topk(2).indices.tolist() == [0, 2]
    assert type(f32.sort()).__name__ == "sort" and type(f32.topk(1)).__name__ == "topk"
    assert f32.sort(axis=1).indices.tolist() == [[1, 2, 0]]
    assert f32.kthvalue(1, axis=1, keepdims=True).values.shape == (1, 1)
    big = tl.tensor([1e308, -1e308, np.inf, -np.inf, 5e-324], dtype=tl.float64)
    assert big.sort().indices.tolist() == [3, 1, 4, 0, 2]


# ---- unique -----------------------------------------------------------------------------------------
@given(a=hnp.arrays(np.float64, shapes(0, 2, 0, 4), elements=TIED), data=st.data())
@settings(max_examples=15)
def test_unique(a, data):
    x = Tensor(a)
    values, inverse, counts = x.unique(return_inverse=True, return_counts=True)
    expected, expected_inverse, expected_counts = np.unique(a, return_inverse=True, return_counts=True,
                                                            equal_nan=False)
    assert_same(values, expected)  # sorted; every NaN its own value
    assert inverse.dtype == counts.dtype == np.int64 and inverse.shape == a.shape
    assert_same(inverse, expected_inverse)
    assert_same(counts, expected_counts)
    assert_same(tl.unique(x, sorted=False), expected)
    assert_same(x.unique(return_counts=True)[1], expected_counts)
    if a.ndim == 2 and a.size:
        dim = data.draw(st.integers(-2, 1))
        rows, inverse, counts = x.unique(dim=dim, return_inverse=True, return_counts=True)
        expected, expected_inverse, expected_counts = np.unique(a, return_inverse=True, return_counts=True, axis=dim)
        assert_same(rows, expected)
        assert_same(inverse, expected_inverse)
        assert_same(counts, expected_counts)
        assert_same(np.take(rows.numpy(), inverse.numpy(), axis=dim), a)


# ---- searchsorted and bucketize ---------------------------------------------------------------------
@given(data=st.data())
@settings(max_examples=15)
def test_searchsorted_and_bucketize(data):
    rows = data.draw(st.sampled_from([(), (2,), (2, 2)]))
    sequence = np.sort(data.draw(hnp.arrays(np.float64, rows + (data.draw(st.integers(0, 5)),),
                                            elements=st.integers(-3, 3).map(float))), axis=-1)
    values = data.draw(hnp.arrays(np.float64, rows + (data.draw(st.integers(0, 3)),),
                                  elements=st.floats(-4, 4).map(lambda v: round(v * 2) / 2)))
    count = int(np.prod(rows))  # each row of the sequence searched for the values of the same row
    lines, wanted = sequence.reshape(count, sequence.shape[-1]), values.reshape(count, values.shape[-1])
    for side in ("left", "right"):
        expected = np.stack([np.searchsorted(s, v, side=side) for s, v in zip(lines, wanted)]).reshape(values.shape)
        found = tl.searchsorted(Tensor(sequence), Tensor(values), side=side)
        assert found.dtype == np.int64 and np.array_equal(found.numpy(), expected)
        by_right = tl.searchsorted(Tensor(sequence), Tensor(values), right=side == "right")
        assert np.array_equal(by_right.numpy(), expected)
        assert tl.searchsorted(Tensor(sequence), Tensor(values), out_int32=True, side=side).dtype == np.int32
        shuffle = np.argsort(np.asarray(data.draw(st.permutations(range(sequence.shape[-1])))))
        unsorted = np.take_along_axis(sequence, np.broadcast_to(np.argsort(shuffle), sequence.shape), -1)
        sorter = Tensor(np.ascontiguousarray(np.broadcast_to(shuffle, sequence.shape)))
        assert np.array_equal(tl.searchsorted(Tensor(unsorted), Tensor(values), side=side, sorter=sorter).numpy(),
                              expected)
        if not rows:
            assert np.array_equal(tl.bucketize(Tensor(values), Tensor(sequence), right=side == "right").numpy(),
                                  expected)
            assert tl.bucketize(1.0, Tensor(sequence)).item() == np.searchsorted(sequence, 1.0)


def test_searchsorted_scalars_dtypes_and_nan():
    seq = tl.tensor([1, 3, 3, 5])
    assert tl.searchsorted(seq, 3).shape == () and tl.searchsorted(seq, 3).item() == 1
    assert tl.searchsorted(seq, tl.tensor(3.5)).item() == 3  # int sequence, float values
    assert tl.searchsorted(seq, tl.tensor([[0, 6]])).tolist() == [[0, 4]]
    assert tl.bucketize(tl.tensor([3, 4]), seq, out_int32=True).tolist() == [1, 3]
    with_nan = tl.tensor([1.0, 2.0, np.nan])  # PyTorch's comparisons: a NaN never compares >= (found by its search)
    assert tl.searchsorted(with_nan, tl.tensor([np.nan, 3.0, 0.0])).tolist() == [3, 3, 0]
    assert tl.searchsorted(tl.zeros(0), tl.tensor([1.0])).tolist() == [0]
    assert tl.searchsorted(seq, tl.tensor([3])).requires_grad is False


ERRORS = [
    (lambda: tl.tensor([1.0, 2.0]).sort(1), IndexError,
     r"sort\(\): axis 1 is out of range for a tensor of shape \(2,\)"),
    (lambda: tl.tensor(1.0).argsort(2), IndexError, r"argsort\(\): axis 2 is out of range"),
    (lambda: tl.tensor([1.0, 2.0]).topk(3), ShapeError,
     r"topk\(\): k=3 is out of range for dimension 0 of size 2 \(tensor of shape \(2,\)\); k must be between 0 and 2"),
    (lambda: tl.tensor([1.0, 2.0]).topk(-1), ShapeError, r"topk\(\): k=-1 is out of range"),
    (lambda: tl.tensor([1.0, 2.0]).kthvalue(0), ShapeError, r"kthvalue\(\): k=0 is out of range .* between 1 and 2"),
    (lambda: tl.zeros(2, 0).kthvalue(1), ShapeError, r"kthvalue\(\): k=1 is out of range for dimension 1 of size 0"),
    (lambda: tl.tensor([1.0]).sort(dim=0, axis=-1), TypeError, r"got both axis=0 and dim=-1"),
    (lambda: tl.zeros(2, 0).unique(dim=0), ShapeError, r"unique\(\): the tensor of shape \(2, 0\) has an empty axis"),
    (lambda: tl.tensor(1.0).unique(dim=0), IndexError, r"unique\(\): axis 0 is out of range"),
    (lambda: tl.searchsorted(tl.tensor([1.0]), tl.tensor([1.0]), side="left", right=True), ValueError,
     r"searchsorted\(\): side='left' and right=True ask for opposite sides"),
    (lambda: tl.searchsorted(tl.tensor([1.0]), tl.tensor([1.0]), side="up"), ValueError, r"side must be 'left' or"),
    (lambda: tl.searchsorted(tl.tensor(1.0), tl.tensor([1.0])), ShapeError, r"at least one dimension, got a 0-d"),
    (lambda: tl.searchsorted(tl.ones(2, 3), tl.ones(3, 1)), ShapeError,
     r"sorted_sequence of shape \(2, 3\) is 1-d or has the leading dimensions of input, which has shape \(3, 1\)"),
    (lambda: tl.searchsorted(tl.ones(2, 3), 1.0), ShapeError, r"leading dimensions of input, which has shape \(\)"),
    (lambda: tl.searchsorted(tl.ones(3), tl.ones(1), sorter=tl.tensor([0, 1, 2], dtype=tl.int32)), TypeError,
     r"sorter must be an int64 tensor of the sequence's shape \(3,\), got int32"),
    (lambda: tl.bucketize(tl.ones(2), tl.ones(2, 2)), ShapeError, r"bucketize\(\): boundaries must be 1-d, got shape"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_name_the_op_shapes_and_remedy(case):
    call, error, message = ERRORS[case]
    with pytest.raises(error, match=message):
        call()


# ---- against PyTorch -----------------------------------------------------------------------------------
def same_as_torch(ours, theirs):
    if isinstance(theirs, tuple):
        assert type(ours).__name__ == type(theirs).__name__ or not hasattr(theirs, "_fields")
        assert len(ours) == len(theirs)
        for mine, their in zip(ours, theirs):
            same_as_torch(mine, their)
        return
    theirs = theirs.detach()
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch.")) and ours.shape == tuple(theirs.shape)
    assert np.array_equal(ours.numpy(), theirs.numpy(), equal_nan=True)


@pytest.mark.torch
@given(case=tied_cases(), data=st.data())
@settings(max_examples=30)
def test_sorting_matches_pytorch(case, data):
    torch = pytest.importorskip("torch")
    a, dim, axis = case
    x, t = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    for descending in (False, True):  # stable: values and indices both
        same_as_torch(x.sort(dim, descending, stable=True), t.sort(stable=True, dim=dim, descending=descending))
        same_as_torch(tl.argsort(x, dim, descending, stable=True),
                      torch.argsort(t, dim=dim, descending=descending, stable=True))
    same_as_torch(tl.msort(x), torch.msort(t))
    k = data.draw(st.integers(0, a.shape[axis]))
    for largest in (True, False):  # ties in any order: the values
        same_as_torch(x.topk(k, dim, largest).values, t.topk(k, dim, largest).values)
    if a.shape[axis]:
        k = max(k, 1)
        same_as_torch(x.kthvalue(k, dim, True).values, t.kthvalue(k, dim, True).values)
    same_as_torch(tl.unique(x, return_inverse=True, return_counts=True),
                  torch.unique(t, return_inverse=True, return_counts=True))
    if a.ndim == 2 and a.size and not np.isnan(a).any():  # PyTorch's order of slices with NaNs is no sort order
        same_as_torch(tl.unique(x, dim=dim, return_inverse=True, return_counts=True),
                      torch.unique(t.detach(), dim=dim, return_inverse=True, return_counts=True))
    # the stable sort's gradient: its indices are determined, ties or not
    upstream = np.cos(np.arange(a.size)).reshape(a.shape)
    x.sort(dim, stable=True).values.backward(Tensor(upstream))
    t.sort(dim=dim, stable=True).values.backward(torch.tensor(upstream))
    same_as_torch(x.grad, t.grad)


@pytest.mark.torch
@given(data=st.data())
@settings(max_examples=30)
def test_searches_match_pytorch(data):
    torch = pytest.importorskip("torch")
    rows = data.draw(st.sampled_from([(), (2,)]))
    # unsorted sequences and NaNs too: PyTorch's binary search gives some answer there, and ours the same
    sequence = data.draw(hnp.arrays(np.float64, rows + (data.draw(st.integers(1, 5)),), elements=TIED))
    if data.draw(st.booleans()):
        sequence = np.sort(sequence, axis=-1)
    values = data.draw(hnp.arrays(np.float64, rows + (data.draw(st.integers(0, 3)),), elements=TIED))
    right, out_int32 = data.draw(st.booleans()), data.draw(st.booleans())
    same_as_torch(tl.searchsorted(Tensor(sequence), Tensor(values), right=right, out_int32=out_int32),
                  torch.searchsorted(torch.tensor(sequence), torch.tensor(values), right=right, out_int32=out_int32))
    sorter = np.argsort(sequence, axis=-1, kind="stable")
    same_as_torch(tl.searchsorted(Tensor(sequence), Tensor(values), side="right" if right else "left",
                                  sorter=Tensor(sorter)),
                  torch.searchsorted(torch.tensor(sequence), torch.tensor(values), side="right" if right else "left",
                                     sorter=torch.tensor(sorter)))
    if not rows:
        same_as_torch(tl.bucketize(Tensor(values), Tensor(sequence), right=right),
                      torch.bucketize(torch.tensor(values), torch.tensor(sequence), right=right))
        same_as_torch(tl.searchsorted(Tensor(sequence), 1.0), torch.searchsorted(torch.tensor(sequence), 1.0))


@pytest.mark.torch
def test_distinct_topk_and_kthvalue_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).permutation(12).reshape(3, 4) / 3.0
    for call in (lambda m, t: t.topk(2, 1)[0], lambda m, t: t.topk(3, 0, largest=False)[0],
                 lambda m, t: t.kthvalue(2, 1)[0], lambda m, t: m.msort(t), lambda m, t: t.sort(0, True)[0]):
        x, t = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        ours, theirs = call(tl, x), call(torch, t)
        same_as_torch(ours, theirs)
        upstream = np.sin(np.arange(ours.numel()) + 1.0).reshape(ours.shape)
        ours.backward(Tensor(upstream))
        theirs.backward(torch.tensor(upstream))
        same_as_torch(x.grad, t.grad)
