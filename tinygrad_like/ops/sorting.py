"""Sorting and searching: sort, argsort, topk, kthvalue, unique, searchsorted and bucketize.

The order is computed on the array, by a stable sort (PyTorch's order for stable=True, and a valid one
for stable=False); the values are then taken from the input through Getitem, so that the gradient flows
to the elements selected and differentiates again. Indices, unique and the searches are integer
results outside the graph. NaN sorts as the largest value, as in PyTorch.
"""
import numpy as np

from tinygrad_like.ops.indexing import take_at
from tinygrad_like.tensor import ReturnTypes, ShapeError, Tensor, _axis_index, _wrap


def order(data, dim, descending=False):
    """The stable sorting permutation of an array along dim; descending keeps tied elements in their
    original order too (sorting the reversed array and reversing the result does)."""
    if not descending:
        return np.argsort(data, axis=dim, kind="stable")
    reversed_order = np.argsort(np.flip(data, dim), axis=dim, kind="stable")
    return data.shape[dim] - 1 - np.flip(reversed_order, dim)


def _dim(x, dim, name):
    return _axis_index(dim, max(x.ndim, 1), x.shape, name)  # a 0-d tensor takes dim 0 or -1, as in PyTorch


def _dim_for_k(x, dim, k, lowest, name):
    """dim as an index, after checking lowest <= k <= its size (topk counts from 0, kthvalue from 1)."""
    dim = _dim(x, dim, name)
    size = x.shape[dim] if x.ndim else 1
    if not lowest <= k <= size:
        raise ShapeError(f"{name}(): k={k} is out of range for dimension {dim} of size {size} (tensor of shape "
                         f"{x.shape}); k must be between {lowest} and {size}")
    return dim


def _first(x, name):
    """A 0-d tensor's sort, topk and kthvalue: its element (in the graph) at index 0."""
    return getattr(ReturnTypes, name)(x.clone(), _wrap(np.zeros((), np.int64)))


def sort(x, dim=-1, descending=False):
    dim = _dim(x, dim, "sort")
    if x.ndim == 0:
        return _first(x, "sort")
    indices = order(x._data, dim, descending)
    return ReturnTypes.sort(take_at(x, indices, dim), _wrap(indices))


def argsort(x, dim=-1, descending=False):
    dim = _dim(x, dim, "argsort")
    return _wrap(np.zeros((), np.int64) if x.ndim == 0 else order(x._data, dim, descending))


def topk(x, k, dim=-1, largest=True):
    """The k largest (smallest) elements along dim, sorted, with their indices; NaN counts as largest."""
    dim = _dim_for_k(x, dim, k, 0, "topk")
    if x.ndim == 0:  # PyTorch gives the element whatever k
        return _first(x, "topk")
    indices = order(x._data, dim, descending=largest)
    indices = indices[(slice(None),) * dim + (slice(k),)]
    return ReturnTypes.topk(take_at(x, indices, dim), _wrap(indices))


def kthvalue(x, k, dim=-1, keepdim=False):
    """The k-th smallest element along dim (k counts from 1) and its index."""
    dim = _dim_for_k(x, dim, k, 1, "kthvalue")
    if x.ndim == 0:
        return _first(x, "kthvalue")
    indices = order(x._data, dim)[(slice(None),) * dim + (slice(k - 1, k),)]
    values, indices = take_at(x, indices, dim), _wrap(indices)
    if not keepdim:
        values, indices = values.squeeze(dim), indices.squeeze(dim)
    return ReturnTypes.kthvalue(values, indices)


def unique(x, return_inverse=False, return_counts=False, dim=None):
    """The sorted distinct elements (slices along dim, if given), with the int64 inverse (where each
    element or slice went) and counts when asked for; NaNs are all distinct, as in PyTorch."""
    data = x._data
    if dim is not None:
        dim = _axis_index(dim, data.ndim, x.shape, "unique")
        if any(n == 0 for axis, n in enumerate(data.shape) if axis != dim):
            raise ShapeError(f"unique(): the tensor of shape {x.shape} has an empty axis other than dim {dim}, so "
                             "there are no slices to compare")
    values, inverse, counts = np.unique(data, return_inverse=True, return_counts=True, axis=dim,
                                        equal_nan=False)
    results = [_wrap(values)]
    if return_inverse:
        results.append(_wrap(inverse.astype(np.int64, copy=False)))
    if return_counts:
        results.append(_wrap(counts.astype(np.int64, copy=False)))
    return results[0] if len(results) == 1 else tuple(results)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """For each value of `input`, the index at which it would be inserted into `sorted_sequence` (along its
    last axis) to keep it sorted: before equal elements (side='left'), or after them (side='right' or
    right=True). An N-d sequence searches each row for the values of the matching row of `input`.
    int64 results (int32 with out_int32), outside the graph."""
    sequence = _array(sorted_sequence)
    if side not in (None, "left", "right"):
        raise ValueError(f"searchsorted(): side must be 'left' or 'right', got {side!r}")
    if side == "left" and right:
        raise ValueError("searchsorted(): side='left' and right=True ask for opposite sides; give one of them")
    right = right or side == "right"
    if sequence.ndim == 0:
        raise ShapeError("searchsorted(): sorted_sequence must have at least one dimension, got a 0-d tensor")
    scalar = not isinstance(input, (Tensor, np.ndarray))
    values = _array(input)
    if sequence.ndim > 1 and (scalar or values.shape[:-1] != sequence.shape[:-1]):
        raise ShapeError(f"searchsorted(): sorted_sequence of shape {sequence.shape} is 1-d or has the leading "
                         f"dimensions of input, which has shape {values.shape}; they differ")
    if sorter is not None:
        sorter = _array(sorter)
        if sorter.dtype != np.int64 or sorter.shape != sequence.shape:
            raise TypeError(f"searchsorted(): sorter must be an int64 tensor of the sequence's shape {sequence.shape}, "
                            f"got {sorter.dtype} of shape {sorter.shape}")
        sequence = np.take_along_axis(sequence, sorter, axis=-1)
    count = int(np.prod(sequence.shape[:-1]))  # rows searched, each for the values of its own row
    rows = sequence.reshape(count, sequence.shape[-1])
    found = _binary_search(rows, values.reshape(count, values.shape[-1]) if sequence.ndim > 1 else
                           values.reshape(1, values.size), right)
    return _wrap(found.reshape(values.shape).astype(np.int32 if out_int32 else np.int64, copy=False))


def _binary_search(rows, values, right):
    """PyTorch's binary search, vectorised over the values: for each row, the first position whose element
    is >= the value (> with `right`), the comparisons written as PyTorch's so that NaNs and unsorted
    rows give its answers."""
    size = rows.shape[1]
    start = np.zeros(values.shape, dtype=np.int64)
    end = np.full(values.shape, size, dtype=np.int64)
    while True:
        active = start < end
        if not active.any():
            return start
        middle = start + (end - start) // 2
        element = np.take_along_axis(rows, np.minimum(middle, size - 1), axis=1)
        after = ~(element > values) if right else ~(element >= values)  # the value goes after `element`
        start = np.where(active & after, middle + 1, start)
        end = np.where(active & ~after, middle, end)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """For each value, the index of its bucket between the 1-d sorted `boundaries`: i with
    boundaries[i-1] < v <= boundaries[i] (boundaries[i-1] <= v < boundaries[i] with right=True)."""
    if _array(boundaries).ndim != 1:
        raise ShapeError(f"bucketize(): boundaries must be 1-d, got shape {_array(boundaries).shape}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def _array(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)
