"""Shape ops: flip, roll, repeat / tile, repeat_interleave, diagonal / diag / diag_embed, unfold, split / chunk /
tensor_split / unbind, narrow, movedim, unflatten, flatten, rot90, broadcast_to, atleast_nd and the stacks.
Values against numpy (or a direct formula), gradients by gradcheck and gradgradcheck, edge cases and errors, then
PyTorch."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Tensor
from tinygrad_like.testing import arrays, assert_close

small = dict(max_dims=3, max_side=3)


def draw_array(data, min_dims=0, max_dims=3):
    return data.draw(arrays(min_dims=min_dims, max_dims=max_dims, max_side=3))


def draw_dim(data, ndim):
    return data.draw(st.integers(-ndim, ndim - 1))


def draw_dims(data, ndim, min_size=0, max_size=None):
    """Distinct dims, some given negative."""
    chosen = data.draw(st.lists(st.integers(0, ndim - 1), unique=True, min_size=min_size,
                                max_size=ndim if max_size is None else max_size))
    return [d - ndim if data.draw(st.booleans()) else d for d in chosen]


def windows_reference(a, dim, size, step):
    """unfold by its definition: window k is elements k * step ... k * step + size - 1 along dim, last."""
    dim %= a.ndim
    count = (a.shape[dim] - size) // step + 1
    return np.stack([np.moveaxis(np.take(a, np.arange(k * step, k * step + size), axis=dim), dim, -1)
                     for k in range(count)], axis=dim)


def diag_embed_reference(a, offset, dim1, dim2):
    size = a.shape[-1] + abs(offset)
    out = np.zeros(a.shape[:-1] + (size, size))
    for index in np.ndindex(a.shape[:-1]):
        out[index] = np.diag(a[index], offset)
    return np.moveaxis(out, (-2, -1), (dim1, dim2))


# name: data -> (array, our function of a Tensor, numpy's value)
def case_flip(data):
    a = draw_array(data)
    dims = draw_dims(data, a.ndim) if a.ndim else data.draw(st.sampled_from([[], [0], [-1]]))
    return a, lambda t: t.flip(dims), np.flip(a, dims) if a.ndim else a


def case_fliplr_flipud(data):
    a = draw_array(data, min_dims=2)
    return a, lambda t: t.fliplr() * 2 + t.flipud(), np.fliplr(a) * 2 + np.flipud(a)


def case_roll(data):
    a = draw_array(data)
    if a.ndim == 0 or data.draw(st.booleans()):
        shift = data.draw(st.integers(-5, 5))
        return a, lambda t: t.roll(shift), np.roll(a, shift)
    dims = data.draw(st.lists(st.integers(-a.ndim, a.ndim - 1), min_size=1, max_size=3))  # repeats add up
    shifts = data.draw(st.lists(st.integers(-5, 5), min_size=len(dims), max_size=len(dims)))
    return a, lambda t: t.roll(shifts, dims), np.roll(a, shifts, dims)


def case_repeat(data):
    a = draw_array(data)
    sizes = data.draw(st.lists(st.integers(0, 2), min_size=a.ndim, max_size=a.ndim + 2))
    return a, lambda t: t.repeat(*sizes) if sizes else t.repeat(()), np.tile(a, sizes)


def case_tile(data):
    a = draw_array(data)
    dims = tuple(data.draw(st.lists(st.integers(1, 2), max_size=a.ndim + 1)))
    return a, lambda t: t.tile(dims), np.tile(a, dims)


def case_repeat_interleave_int(data):
    a = draw_array(data)
    repeats = data.draw(st.integers(0, 3))
    dim = None if a.ndim == 0 or data.draw(st.booleans()) else draw_dim(data, a.ndim)
    return a, lambda t: t.repeat_interleave(repeats, dim), np.repeat(a, repeats, dim)


def case_repeat_interleave_counts(data):
    a = draw_array(data, min_dims=1)
    dim = draw_dim(data, a.ndim)
    counts = data.draw(st.lists(st.integers(0, 3), min_size=a.shape[dim], max_size=a.shape[dim]))
    return a, lambda t: t.repeat_interleave(tl.tensor(counts), dim=dim), np.repeat(a, counts, dim)


def case_diagonal(data):
    a = draw_array(data, min_dims=2)
    dim1, dim2 = draw_dims(data, a.ndim, min_size=2, max_size=2)
    offset = data.draw(st.integers(-3, 3))
    return a, lambda t: t.diagonal(offset, dim1, dim2), np.diagonal(a, offset, dim1, dim2)


def case_diag(data):
    a = draw_array(data, min_dims=1, max_dims=2)
    k = data.draw(st.integers(-3, 3))
    return a, lambda t: t.diag(k), np.diag(a, k)


def case_diag_embed(data):
    a = draw_array(data, min_dims=1, max_dims=2)
    dim1, dim2 = draw_dims(data, a.ndim + 1, min_size=2, max_size=2)
    offset = data.draw(st.integers(-2, 2))
    return a, lambda t: t.diag_embed(offset, dim1, dim2), diag_embed_reference(a, offset, dim1, dim2)


def case_unfold(data):
    a = draw_array(data, min_dims=1)
    dim = draw_dim(data, a.ndim)
    size, step = data.draw(st.integers(0, a.shape[dim])), data.draw(st.integers(1, 3))
    return a, lambda t: t.unfold(dim, size, step), windows_reference(a, dim, size, step)


def case_split(data):
    a = draw_array(data, min_dims=1)
    dim = draw_dim(data, a.ndim)
    length = a.shape[dim]
    if data.draw(st.booleans()):
        size = data.draw(st.integers(1, 4))
        return a, lambda t: t.split(size, dim), np.split(a, range(size, length, size), dim)
    cuts = sorted(data.draw(st.lists(st.integers(0, length), max_size=3)))
    sizes = np.diff([0, *cuts, length]).tolist()
    return a, lambda t: t.split(sizes, dim=dim), np.split(a, cuts, dim)


def case_chunk(data):
    a = draw_array(data, min_dims=1)
    dim, chunks = draw_dim(data, a.ndim), data.draw(st.integers(1, 4))
    size = -(-a.shape[dim] // chunks)
    return a, lambda t: t.chunk(chunks, dim), np.split(a, range(size, a.shape[dim], size), dim)


def case_tensor_split(data):
    a = draw_array(data, min_dims=1)
    dim = draw_dim(data, a.ndim)
    if data.draw(st.booleans()):
        sections = data.draw(st.integers(1, 4))
        return a, lambda t: t.tensor_split(sections, dim), np.array_split(a, sections, dim)
    indices = data.draw(st.lists(st.integers(-4, 4), max_size=3))  # unsorted and negative: Python slices
    return a, lambda t: t.tensor_split(indices, dim), np.split(a, indices, dim)


def case_unbind(data):
    a = draw_array(data, min_dims=1)
    dim = draw_dim(data, a.ndim)
    return a, lambda t: t.unbind(dim), [np.take(a, i, dim) for i in range(a.shape[dim])]


def case_narrow(data):
    a = draw_array(data, min_dims=1)
    dim = draw_dim(data, a.ndim)
    length = a.shape[dim]
    first = data.draw(st.integers(0, length))
    count = data.draw(st.integers(0, length - first))
    start = first - length if first < length and data.draw(st.booleans()) else first  # from the end
    return a, lambda t: t.narrow(dim, start, count), np.take(a, np.arange(first, first + count), dim)


def case_movedim(data):
    a = draw_array(data, min_dims=1)
    source = draw_dims(data, a.ndim, min_size=1)
    destination = draw_dims(data, a.ndim, min_size=len(source), max_size=len(source))
    name = data.draw(st.sampled_from(["movedim", "moveaxis"]))
    return a, lambda t: getattr(t, name)(source, destination), np.moveaxis(a, source, destination)


def case_unflatten(data):
    a = draw_array(data, min_dims=1)
    dim = draw_dim(data, a.ndim)
    length = a.shape[dim]
    first = data.draw(st.sampled_from([k for k in range(1, length + 1) if length % k == 0]))
    sizes = [first, length // first]
    if data.draw(st.booleans()):
        sizes[data.draw(st.integers(0, 1))] = -1
    shape = a.shape[:dim % a.ndim] + (first, length // first) + a.shape[dim % a.ndim + 1:]
    return a, lambda t: t.unflatten(dim, sizes), a.reshape(shape)


def case_flatten(data):
    a = draw_array(data, min_dims=1)
    start, end = sorted(data.draw(st.lists(st.integers(0, a.ndim - 1), min_size=2, max_size=2)))
    shape = a.shape[:start] + (-1,) + a.shape[end + 1:]
    return a, lambda t: t.flatten(start - a.ndim, end), a.reshape(shape)


def case_rot90(data):
    a = draw_array(data, min_dims=2)
    dims = draw_dims(data, a.ndim, min_size=2, max_size=2)
    k = data.draw(st.integers(-5, 5))
    return a, lambda t: t.rot90(k, dims), np.rot90(a, k, axes=dims)


def case_broadcast_to(data):
    a = draw_array(data)
    lead = data.draw(st.lists(st.integers(1, 3), max_size=2))
    shape = lead + [data.draw(st.integers(1, 3)) if n == 1 else n for n in a.shape]
    target = [-1 if i >= len(lead) and data.draw(st.booleans()) and a.shape[i - len(lead)] == n else n
              for i, n in enumerate(shape)]
    return a, lambda t: t.broadcast_to(target), np.broadcast_to(a, shape)


def case_stacks(data):
    a = draw_array(data, max_dims=2)
    b = data.draw(arrays(shape=a.shape))
    name = data.draw(st.sampled_from(["hstack", "vstack", "dstack", "column_stack"]))
    return a, lambda t: getattr(tl, name)([t, Tensor(b) * t, t]), getattr(np, name)([a, b * a, a])


def case_atleast(data):
    a = draw_array(data)
    name = data.draw(st.sampled_from(["atleast_1d", "atleast_2d", "atleast_3d"]))
    return a, lambda t: getattr(tl, name)(t, t * 2), getattr(np, name)(a, a * 2)


CASES = {name.removeprefix("case_"): case for name, case in list(globals().items()) if name.startswith("case_")}


@pytest.mark.parametrize("name", CASES)
@given(data=st.data())
@settings(max_examples=7)
def test_values_and_gradients(name, data):
    a, ours, expected = CASES[name](data)
    result = ours(Tensor(a))
    if isinstance(expected, (list, tuple)):
        assert isinstance(result, tuple) and len(result) == len(expected)
        for piece, reference in zip(result, expected):
            assert_close(piece, reference)
    else:
        assert_close(result, expected)
    assert tl.gradcheck(ours, Tensor(a, requires_grad=True))


# Each primitive's second derivatives, and through it the backward of its backward (SegmentSum,
# DiagonalScatter, UnfoldBackward): a function per primitive on a (3, 4) input.
PRIMITIVES = {
    "flip": lambda t: t.flip(0, -1),
    "roll": lambda t: t.roll((1, -2), (0, 1)),
    "roll_flat": lambda t: t.roll(5),
    "tile": lambda t: t.repeat(2, 1, 2),
    "repeat_interleave": lambda t: t.repeat_interleave(2, dim=1),
    "repeat_interleave_counts": lambda t: t.repeat_interleave(tl.tensor([0, 2, 1]), dim=0),
    "diagonal": lambda t: t.diagonal(1),
    "diag_embed": lambda t: t.diag_embed(-1),
    "unfold": lambda t: t.unfold(1, 3, 1),
}


@pytest.mark.parametrize("name", PRIMITIVES)
def test_second_derivatives(name):
    x = Tensor(np.random.default_rng(0).uniform(-2, 2, (3, 4)), requires_grad=True)
    fn = PRIMITIVES[name]
    assert tl.gradgradcheck(lambda t: fn(t) * fn(t), x)  # squared: the second derivative is not zero


# ---- edge cases ---------------------------------------------------------------------------------------
def test_zero_dim_tensors():
    s = Tensor(np.array(2.5), requires_grad=True)
    for y in [s.flip(0), s.flip(()), s.flip(-1), s.roll(3), s.repeat(()), s.tile(()), s.movedim(0, -1),
              s.flatten(), s.flatten(-1, 0), tl.atleast_1d(s)]:
        assert y.numpy().tolist() in (2.5, [2.5])
    assert s.repeat(2, 1).shape == (2, 1) and s.repeat_interleave(3).tolist() == [2.5] * 3
    assert s.unfold(0, 1, 1).tolist() == [2.5] and s.unfold(-1, 0, 2).shape == (0,)
    assert tl.atleast_2d(s).shape == (1, 1) and tl.atleast_3d(s).shape == (1, 1, 1)
    assert s.broadcast_to(2, 2).tolist() == [[2.5, 2.5], [2.5, 2.5]]
    assert tl.hstack([s, s]).tolist() == [2.5, 2.5] and tl.vstack([s, s]).shape == (2, 1)
    assert tl.column_stack([s, s]).shape == (1, 2)
    assert tl.gradcheck(lambda t: t.flip(0) * t.repeat(3) + t.roll(1) + t.unfold(0, 1, 1), s)


def test_empty_tensors():
    e = Tensor(np.zeros((0, 3)), requires_grad=True)
    assert e.roll(1, 0).shape == (0, 3) and e.roll(2).shape == (0, 3) and e.flip(0, 1).shape == (0, 3)
    assert e.flatten(1).shape == (0, 3) and Tensor(np.zeros((0, 2, 3))).flatten(1).shape == (0, 6)
    assert e.repeat(2, 2).shape == (0, 6) and e.repeat_interleave(2, 0).shape == (0, 3)
    assert [p.shape for p in e.split(0)] == [(0, 3)] and [p.shape for p in e.split(2)] == [(0, 3)]
    assert [p.shape for p in e.chunk(3)] == [(0, 3)] * 3 and e.unbind(0) == ()
    assert e.unfold(0, 0, 1).shape == (1, 3, 0) and e.unflatten(0, (0, 5)).shape == (0, 5, 3)
    assert e.diagonal().shape == (0,) and e.narrow(0, 0, 0).shape == (0, 3)
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.diagonal(5).shape == (0,) and x.diagonal(-2).shape == (0,) and x.repeat(0, 1).shape == (0, 3)
    assert tl.gradcheck(lambda t: (t.diagonal(5).sum() + t.repeat(0, 2).sum() + t.unfold(1, 0, 1).sum()) * t, x)
    counts = tl.tensor([0, 0])  # every run empty: the output is empty, the gradient 0
    y = x.repeat_interleave(counts, dim=0)
    assert y.shape == (0, 3)
    y.sum().backward()
    assert_close(x.grad, np.zeros((2, 3)))


def test_unfold_gradient_counts_the_windows_holding_each_element():
    x = Tensor(np.zeros(7), requires_grad=True)
    x.unfold(0, 3, 2).sum().backward()  # windows 0-2, 2-4, 4-6: elements 2 and 4 are in two
    count = [sum(k * 2 <= i < k * 2 + 3 for k in range(3)) for i in range(7)]
    assert_close(x.grad, np.array(count, dtype=float))
    x.grad = None
    x.unfold(0, 2, 3).sum().backward()  # gaps: element 2 and 5 in no window
    assert_close(x.grad, [1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0])


def test_repeat_interleave_counts_and_the_counts_form():
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    y = x.repeat_interleave(tl.tensor([3, 0]), dim=1)
    assert y.tolist() == [[1.0, 1.0, 1.0], [3.0, 3.0, 3.0]]
    (y * Tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
    assert_close(x.grad, [[3.0, 0.0], [12.0, 0.0]])
    assert x.repeat_interleave(tl.tensor([2]), dim=0).shape == (4, 2)  # one count for all
    assert x.repeat_interleave(tl.tensor(2)).shape == (8,)
    assert tl.repeat_interleave(tl.tensor([1, 0, 2])).tolist() == [0, 2, 2]
    assert x.repeat_interleave(2, 0, output_size=4).shape == (4, 2)


def test_dtypes_are_kept():
    i = tl.tensor([[1, 2, 3], [4, 5, 6]])
    for y in [i.flip(0), i.roll(1), i.repeat(2, 1), i.repeat_interleave(2), i.diagonal(), i.diag(), i.diag_embed(),
              i.unfold(1, 2, 1), i.narrow(1, 0, 2), i.movedim(0, 1), i.unflatten(1, (3, 1)), i.rot90(),
              i.broadcast_to(2, 2, 3), i.split(1)[0], tl.hstack([i, i])]:
        assert y.dtype == np.int64
    f = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    outputs = [f.flip(0), f.roll(1), f.repeat(2, 1), f.repeat_interleave(tl.tensor([1, 2]), 0), f.diagonal(),
               f.diag_embed(), f.unfold(1, 2, 1), f.rot90(), f.tensor_split(2)[0]]
    assert all(y.dtype == np.float32 for y in outputs)
    sum(y.sum() for y in outputs).backward()
    assert f.grad.dtype == np.float32
    assert tl.hstack([tl.tensor([1]), tl.tensor([1.5])]).dtype == np.float32  # promoted as cat does


def test_views_and_copies_as_in_pytorch():
    x = Tensor(np.arange(9.0).reshape(3, 3))
    d = x.diagonal()
    d.mul_(10)  # diagonal is a view: the matrix changes
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 40.0, 5.0], [6.0, 7.0, 80.0]]
    y = x.flip(0)
    y.add_(1)  # flip, roll, diag and repeat copy: the source stays
    x.diag().add_(1)
    x.roll(1).add_(1)
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 40.0, 5.0], [6.0, 7.0, 80.0]]
    w = Tensor(np.ones((2, 2)), requires_grad=True)
    h = w * 1
    v = h.diagonal()
    with pytest.raises(RuntimeError, match="is a view of another tensor in the graph"):
        v.add_(1)
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation: Diagonal"):
        v.sum().backward()


def test_pieces_share_the_gradient_and_are_tuples():
    x = Tensor(np.arange(10.0), requires_grad=True)
    pieces = x.split([2, 3, 5])
    assert isinstance(pieces, tuple) and [p.shape for p in pieces] == [(2,), (3,), (5,)]
    (pieces[0].sum() * 1 + pieces[2].sum() * 3).backward()
    assert_close(x.grad, [1.0, 1.0, 0.0, 0.0, 0.0, 3.0, 3.0, 3.0, 3.0, 3.0])
    assert [p.shape for p in x.chunk(4)] == [(3,), (3,), (3,), (1,)]
    assert [p.shape for p in x.chunk(6)] == [(2,)] * 5  # fewer pieces than asked for
    assert [p.shape for p in x.tensor_split(4)] == [(3,), (3,), (2,), (2,)]
    assert [p.shape for p in x.tensor_split(tl.tensor([3, 8]))] == [(3,), (5,), (2,)]
    assert [p.shape for p in x.tensor_split(tl.tensor(3))] == [(4,), (3,), (3,)]
    assert [p.shape for p in x.split(split_size=4)] == [(4,), (4,), (2,)]
    assert x.narrow(0, tl.tensor(2), 3).tolist() == [2.0, 3.0, 4.0]  # a tensor start, as PyTorch allows


def test_numpy_axis_aliases():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert x.flip(axis=1).tolist() == x.flip(1).tolist() and x.roll(1, axis=1).tolist() == x.roll(1, 1).tolist()
    assert x.split(1, axis=1)[2].tolist() == [[2.0], [5.0]] and len(x.unbind(axis=1)) == 3
    assert tl.flip(x, dims=[0]).tolist() == x.flip(0).tolist() and tl.tile(x, dims=(2,)).shape == (2, 6)


ShapeError = tl.ShapeError
# (call on the module m and the tensor x of shape (2, 3), our error, our message)
ERRORS = [
    (lambda m, x: x.flip(0, -2), ShapeError, r"flip\(\): dims \(0, -2\) name an axis more than once"),
    (lambda m, x: x.flip(2), IndexError, r"flip\(\): axis 2 is out of range for a tensor of shape \(2, 3\)"),
    (lambda m, x: x.flip(0.5), TypeError, r"flip\(\): dims must be an int, got 0.5"),
    (lambda m, x: x.flip(), TypeError, r"flip\(\): missing dims"),
    (lambda m, x: x[0].fliplr(), ShapeError, r"fliplr\(\): needs a tensor of at least 2 dims, got shape \(3,\)"),
    (lambda m, x: x.roll((1, 2)), ShapeError, r"roll\(\): without dims, shifts must be one int"),
    (lambda m, x: x.roll((1, 2), 0), ShapeError, r"roll\(\): shifts \(1, 2\) and dims \(0,\) must have one shift per"),
    (lambda m, x: x[0, 0].roll(1, 0), IndexError, r"roll\(\): axis 0 is out of range for a tensor of shape \(\)"),
    (lambda m, x: x.repeat(2), ShapeError, r"repeat\(\): 1 sizes \(2,\) for a tensor of shape \(2, 3\)"),
    (lambda m, x: x.repeat(2, -1), ShapeError, r"repeat\(\): sizes \(2, -1\) must not be negative"),
    (lambda m, x: x.repeat_interleave(-1), ShapeError, r"repeat_interleave\(\): repeats must not be negative"),
    (lambda m, x: x.repeat_interleave(m.tensor([1, 2, 3]), 0), ShapeError,
     r"repeat_interleave\(\): 3 repeats for the 2 elements along dim 0 of a tensor of shape \(2, 3\)"),
    (lambda m, x: x.repeat_interleave(m.tensor([1.0, 2.0]), 0), TypeError, r"repeats must be an int or .* float32"),
    (lambda m, x: x.repeat_interleave(2, 0, output_size=3), ShapeError, r"output_size=3, but the repeats give 4"),
    (lambda m, x: m.repeat_interleave(x), TypeError, r"a tensor of counts must be a 1-d integer tensor"),
    (lambda m, x: x.diagonal(0, 1, -1), ShapeError, r"diagonal\(\): dim1 1 and dim2 -1 name the same axis"),
    (lambda m, x: x[0].diagonal(), IndexError, r"diagonal\(\): axis 1 is out of range for a tensor of shape \(3,\)"),
    (lambda m, x: x.unsqueeze(0).diag(), ShapeError, r"diag\(\): needs a vector or a matrix, got shape \(1, 2, 3\)"),
    (lambda m, x: x.diag_embed(0, 1, -2), ShapeError, r"diag_embed\(\): dim1 1 and dim2 -2 name the same axis"),
    (lambda m, x: x.unfold(1, 4, 1), ShapeError, r"unfold\(\): windows of size 4 and step 1 do not fit dimension 1 "
                                              r"\(length 3\) of a tensor of shape \(2, 3\)"),
    (lambda m, x: x.unfold(1, 1, 0), ShapeError, r"unfold\(\): windows of size 1 and step 0 do not fit"),
    (lambda m, x: x.split([1, 1], 1), ShapeError, r"split\(\): sizes \[1, 1\] must be non-negative and add up to 3"),
    (lambda m, x: x.split(0, 1), ShapeError, r"split\(\): split_size 0 for dim 1 of length 3"),
    (lambda m, x: x[0, 0].split(1), ShapeError, r"split\(\): needs a tensor of at least 1 dim, got a 0-d one"),
    (lambda m, x: x.chunk(0), ShapeError, r"chunk\(\): chunks must be positive, got 0"),
    (lambda m, x: x.tensor_split(0), ShapeError, r"tensor_split\(\): the number of sections must be positive, got 0"),
    (lambda m, x: x.tensor_split(m.tensor([1.5])), TypeError, r"tensor_split\(\): a tensor of indices or sections"),
    (lambda m, x: x[0, 0].unbind(), ShapeError, r"unbind\(\): needs a tensor of at least 1 dim"),
    (lambda m, x: x.narrow(1, 2, 2), ShapeError, r"narrow\(\): start 2 \+ length 2 goes past the end of dim 1 "
                                              r"\(length 3\) of a tensor of shape \(2, 3\)"),
    (lambda m, x: x.narrow(1, 0, -1), ShapeError, r"narrow\(\): start 0 \+ length -1"),
    (lambda m, x: x.narrow(1, 4, 0), IndexError, r"narrow\(\): start 4 is out of range for dim 1 of length 3"),
    (lambda m, x: x[0, 0].narrow(0, 0, 1), ShapeError, r"narrow\(\): cannot narrow a 0-d tensor"),
    (lambda m, x: x.movedim((0, 0), (0, 1)), ShapeError, r"movedim\(\): source \[0, 0\] and destination \[0, 1\]"),
    (lambda m, x: x.movedim((0, 1), 0), ShapeError, r"movedim\(\): source \[0, 1\] and destination \[0\] must be"),
    (lambda m, x: x.unflatten(1, (2, 2)), ShapeError,
     r"unflatten\(\): sizes \[2, 2\] do not multiply up to 3, the length of dim 1 of a tensor of shape \(2, 3\)"),
    (lambda m, x: x.unflatten(1, (-1, -1)), ShapeError, r"unflatten\(\): sizes \[-1, -1\] do not multiply up to 3"),
    (lambda m, x: x.unflatten(1, ()), ShapeError, r"unflatten\(\): sizes \[\] do not multiply up to 3"),
    (lambda m, x: x.unflatten(1, (-1, 2)), ShapeError, r"unflatten\(\): sizes \[-1, 2\] do not multiply up to 3"),
    (lambda m, x: x[:, :0].unflatten(1, (-1, 0)), ShapeError, r"unflatten\(\): sizes \[-1, 0\] do not multiply up"),
    (lambda m, x: x.flatten(1, 0), ShapeError, r"flatten\(\): start_dim 1 comes after end_dim 0"),
    (lambda m, x: x[0, 0].flatten(1), IndexError, r"flatten\(\): axis 1 is out of range for a tensor of shape \(\)"),
    (lambda m, x: x.rot90(1, (0, -2)), ShapeError, r"rot90\(\): dims \(0, -2\) name the same axis twice"),
    (lambda m, x: x[0].rot90(), ShapeError, r"rot90\(\): needs two dims of a tensor of at least 2 dims"),
    (lambda m, x: x.broadcast_to(2, 4), ShapeError, r"broadcast_to\(\): a tensor of shape \(2, 3\) cannot be broadcast "
                                                 r"to \(2, 4\)"),
    (lambda m, x: x.broadcast_to(3), ShapeError, r"broadcast_to\(\): a tensor of shape \(2, 3\) cannot be broadcast"),
    (lambda m, x: m.hstack(x), TypeError, r"hstack\(\): expects a list or tuple of tensors, got a Tensor"),
    (lambda m, x: m.vstack([]), ValueError, r"vstack\(\): expects at least one tensor, got an empty list"),
]


@pytest.mark.parametrize("call, error, message", ERRORS)
def test_errors_name_the_op_the_shape_and_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call(tl, Tensor(np.arange(6.0).reshape(2, 3)))


# ---- against PyTorch --------------------------------------------------------------------------------
# The same expression in both frameworks: m is the module (tinygrad_like or torch), x the tensor.
TORCH_CASES = [
    ((2, 3, 4), lambda m, x: x.flip(0, -1)), ((2, 3), lambda m, x: m.flip(x, [1])), ((3, 4), lambda m, x: x.fliplr()),
    ((3, 4), lambda m, x: m.flipud(x)), ((), lambda m, x: x.flip(0)),
    ((2, 3, 4), lambda m, x: x.roll((1, -5), (0, 2))), ((2, 3), lambda m, x: x.roll(4)),
    ((2, 3), lambda m, x: m.roll(x, (1, 1), (1, 1))), ((), lambda m, x: x.roll(2)),
    ((2, 3), lambda m, x: x.repeat(2, 1, 3)), ((), lambda m, x: x.repeat(4)), ((2, 3), lambda m, x: m.tile(x, (2,))),
    ((2, 3, 2), lambda m, x: x.tile(2, 1)),
    ((2, 3), lambda m, x: x.repeat_interleave(3)), ((2, 3), lambda m, x: m.repeat_interleave(x, 2, dim=-1)),
    ((2, 3), lambda m, x: x.repeat_interleave(m.tensor([2, 0, 3]), dim=1)),
    ((4,), lambda m, x: x.repeat_interleave(m.tensor([1]), dim=0)), ((), lambda m, x: x.repeat_interleave(2)),
    ((3, 4), lambda m, x: x.diagonal()), ((3, 4), lambda m, x: x.diagonal(2)), ((3, 4), lambda m, x: x.diagonal(-2)),
    ((2, 3, 4), lambda m, x: x.diagonal(1, 2, 0)), ((2, 3, 4), lambda m, x: m.diagonal(x, -1, dim1=-1, dim2=1)),
    ((3, 4), lambda m, x: x.diag()), ((3, 4), lambda m, x: x.diag(-1)), ((3,), lambda m, x: x.diag(2)),
    ((3,), lambda m, x: m.diag(x, -1)), ((2, 3), lambda m, x: x.diag_embed()),
    ((2, 3), lambda m, x: x.diag_embed(1, 0, 2)), ((2, 3), lambda m, x: m.diag_embed(x, -2, 2, 0)),
    ((7,), lambda m, x: x.unfold(0, 3, 2)), ((2, 5), lambda m, x: x.unfold(-1, 2, 1)),
    ((2, 5, 2), lambda m, x: x.unfold(1, 2, 4)), ((2, 3), lambda m, x: x.unfold(1, 0, 1)),
    ((), lambda m, x: x.unfold(0, 1, 1)),
    ((5, 2), lambda m, x: x.split(2)), ((2, 5), lambda m, x: m.split(x, [1, 0, 4], 1)),
    ((5,), lambda m, x: x.chunk(3)), ((6,), lambda m, x: x.chunk(4)), ((2, 5), lambda m, x: m.chunk(x, 2, dim=1)),
    ((7,), lambda m, x: x.tensor_split(3)), ((7, 2), lambda m, x: x.tensor_split([5, 1, 9])),
    ((7,), lambda m, x: m.tensor_split(x, [-2])), ((3, 4), lambda m, x: x.unbind(1)), ((3,), lambda m, x: m.unbind(x)),
    ((3, 4), lambda m, x: x.narrow(1, -3, 2)), ((3, 4), lambda m, x: m.narrow(x, 0, 3, 0)),
    ((2, 3, 4), lambda m, x: x.movedim(0, 2)), ((2, 3, 4), lambda m, x: m.movedim(x, (0, 1), (2, 0))),
    ((2, 3, 4), lambda m, x: x.moveaxis([-1, 0], [0, -1])), ((), lambda m, x: x.movedim(0, -1)),
    ((2, 6), lambda m, x: x.unflatten(1, (3, -1))), ((2, 6), lambda m, x: m.unflatten(x, -1, (2, 1, 3))),
    ((0, 2), lambda m, x: x.unflatten(0, (0, 5))),
    ((), lambda m, x: x.flatten()), ((), lambda m, x: x.flatten(-1, 0)), ((2, 3, 4), lambda m, x: x.flatten(1)),
    ((0, 2, 3), lambda m, x: m.flatten(x, 1)), ((2, 3, 4), lambda m, x: x.flatten(0, -2)),
    ((2, 3), lambda m, x: x.rot90()), ((2, 3), lambda m, x: x.rot90(2)), ((2, 3), lambda m, x: m.rot90(x, -1)),
    ((2, 3, 4), lambda m, x: x.rot90(3, [2, 0])), ((2, 3), lambda m, x: x.rot90(0)),
    ((3,), lambda m, x: x.broadcast_to(2, 3)), ((3, 1), lambda m, x: m.broadcast_to(x, (2, -1, 4))),
    ((), lambda m, x: m.atleast_1d(x)), ((3,), lambda m, x: m.atleast_2d(x)), ((3,), lambda m, x: m.atleast_3d(x)),
    ((2, 3), lambda m, x: m.atleast_3d(x)), ((2,), lambda m, x: m.atleast_1d(x, x * 2)),
    ((3,), lambda m, x: m.hstack([x, x * 2])), ((), lambda m, x: m.hstack((x, x))),
    ((2, 3), lambda m, x: m.hstack([x, x])),
    ((3,), lambda m, x: m.vstack([x, x])), ((), lambda m, x: m.vstack([x, x])), ((3,), lambda m, x: m.dstack([x, x])),
    ((2, 3), lambda m, x: m.dstack([x, x])), ((3,), lambda m, x: m.column_stack([x, x])),
    ((), lambda m, x: m.column_stack([x, x])), ((2, 3), lambda m, x: m.column_stack([x, x[:, 0]])),
]


def _pieces(result):
    return result if isinstance(result, tuple) else (result,)


@pytest.mark.torch
@pytest.mark.parametrize("case", range(len(TORCH_CASES)))
def test_match_pytorch(case):
    torch = pytest.importorskip("torch")
    shape, expression = TORCH_CASES[case]
    a = np.random.default_rng(case).uniform(-2, 2, shape)
    x, t = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ours, theirs = _pieces(expression(tl, x)), _pieces(expression(torch, t))
    assert len(ours) == len(theirs)
    for o, p in zip(ours, theirs):
        assert str(o.dtype) == str(p.dtype).removeprefix("torch.") and o.shape == tuple(p.shape)
        assert_close(o, p.detach().numpy())
    weights = [np.cos(np.arange(p.numel()) + 1.0).reshape(tuple(p.shape)) for p in theirs]
    sum((o * Tensor(w)).sum() for o, w in zip(ours, weights)).backward()
    sum((p * torch.tensor(w)).sum() for p, w in zip(theirs, weights)).backward()
    assert_close(x.grad, t.grad.numpy(), rtol=1e-12, atol=1e-14)
    ints = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)  # integer tensors keep their dtype
    for o, p in zip(_pieces(expression(tl, tl.tensor(ints))), _pieces(expression(torch, torch.tensor(ints)))):
        assert o.dtype == np.int64 and str(p.dtype) == "torch.int64" and o.tolist() == p.tolist()


@pytest.mark.torch
@pytest.mark.parametrize("call", [call for call, _, _ in ERRORS])
def test_bad_arguments_fail_in_pytorch_too(call):
    torch = pytest.importorskip("torch")
    with pytest.raises((RuntimeError, IndexError, TypeError, ValueError, NotImplementedError)):
        call(torch, torch.arange(6.0).reshape(2, 3))


# The hypothesis cases whose function calls only Tensor methods run unchanged on torch tensors.
METHOD_CASES = ["flip", "fliplr_flipud", "roll", "repeat", "tile", "repeat_interleave_int", "diagonal", "diag",
                "diag_embed", "unfold", "split", "chunk", "tensor_split", "unbind", "narrow", "movedim", "unflatten",
                "flatten", "rot90", "broadcast_to"]


@pytest.mark.torch
@pytest.mark.parametrize("name", METHOD_CASES)
@given(data=st.data())
@settings(max_examples=15)
def test_random_cases_match_pytorch(name, data):
    torch = pytest.importorskip("torch")
    a, fn, _ = CASES[name](data)
    x, t = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ours, theirs = _pieces(fn(x)), _pieces(fn(t))
    assert [o.shape for o in ours] == [tuple(p.shape) for p in theirs]
    for o, p in zip(ours, theirs):
        assert_close(o, p.detach().numpy())
    weights = [np.sin(np.arange(p.numel()) + 1.0).reshape(tuple(p.shape)) for p in theirs]
    if theirs:  # unbind of an empty dim gives no piece to differentiate
        sum((o * Tensor(w)).sum() for o, w in zip(ours, weights)).backward()
        sum((p * torch.tensor(w)).sum() for p, w in zip(theirs, weights)).backward()
        assert_close(x.grad, t.grad.numpy(), rtol=1e-12, atol=1e-14)
