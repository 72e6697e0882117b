"""Dataset, TensorDataset, Subset, random_split and DataLoader, with PyTorch's semantics, over numpy
arrays or Tensors."""
import itertools
import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from tinygrad_like.random import numpy_generator
from tinygrad_like.tensor import Tensor


class Dataset:
    """A map-style data set: subclasses define `__getitem__(index)` and `__len__()`."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Numpy arrays or Tensors indexed together along their first dimension.

    `dataset[i]` is the tuple `(tensors[0][i], tensors[1][i], ...)`; an index may also be a slice
    or an integer array. Items are of the type given: Tensors (not requiring grad) or arrays.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one array or Tensor")
        for position, tensor in enumerate(tensors):
            if not isinstance(tensor, (np.ndarray, Tensor)):
                raise TypeError(f"TensorDataset: argument {position} is a {type(tensor).__name__}; "
                                "expected numpy arrays or Tensors")
            if tensor.ndim == 0:
                raise ValueError(f"TensorDataset: argument {position} is 0-dimensional; it needs a first "
                                 "dimension to index")
        sizes = [tensor.shape[0] for tensor in tensors]
        if len(set(sizes)) > 1:
            raise ValueError(f"TensorDataset: all arguments need the same size in their first dimension, "
                             f"got sizes {sizes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(_take(tensor, index) for tensor in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The items of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=None):
    """Non-overlapping random Subsets of the given lengths, or of fractions of the data set that sum
    to 1 (the items left by rounding down are dealt out one by one from the first subset on, as in
    PyTorch). The permutation comes from `generator` (default: tinygrad_like's default generator)."""
    size = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for position, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"random_split(): fraction at index {position} is not between 0 and 1")
        counts = [math.floor(size * fraction) for fraction in lengths]
        for position in range(size - sum(counts)):
            counts[position % len(counts)] += 1
        for position, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"random_split(): length of split at index {position} is 0; this results in "
                              "an empty dataset", stacklevel=2)
        lengths = counts
    if sum(lengths) != size:
        raise ValueError(f"random_split(): the lengths {list(lengths)} sum to {sum(lengths)}, not to the data "
                         f"set's length {size}; give lengths that sum to it, or fractions that sum to 1")
    order = numpy_generator(generator, "random_split").permutation(size).tolist()
    return [Subset(dataset, order[end - length:end]) for end, length in zip(itertools.accumulate(lengths), lengths)]


class DataLoader:
    """Batches of a data set, as PyTorch's DataLoader.

    Iterating yields one batch per `batch_size` items, made by `collate_fn` (default: `default_collate`,
    PyTorch's rules: numbers, numpy arrays and Tensors become Tensors, tuples a list of fields). A
    TensorDataset, or a Subset of one, is gathered with one index array per field instead of item by
    item. The last, smaller batch is dropped when `drop_last`. With `shuffle`, every epoch (every
    `iter`) draws a new permutation from `generator`, or from the default generator, which
    `tinygrad_like.manual_seed` reseeds. Batches are loaded in this process: `num_workers` and
    `pin_memory` are accepted and change nothing (PyTorch's workers give the same batches).
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, *, num_workers=0, collate_fn=None, pin_memory=False,
                 drop_last=False, generator=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative integer, got {num_workers!r}")
        numpy_generator(generator, "DataLoader")  # checks the type now rather than at the first epoch
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self.drop_last = drop_last
        self.generator = generator

    def __len__(self):
        """The number of batches per epoch."""
        size = len(self.dataset)
        return size // self.batch_size if self.drop_last else math.ceil(size / self.batch_size)

    def __iter__(self):
        size = len(self.dataset)
        order = numpy_generator(self.generator, "DataLoader").permutation(size) if self.shuffle else np.arange(size)
        gather = self.collate_fn is default_collate and _gatherable(self.dataset)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            indices = order[start:start + self.batch_size]
            if gather:
                yield _gather(self.dataset, indices)
            else:
                yield self.collate_fn([self.dataset[int(i)] for i in indices])


def default_collate(batch):
    """One batch from a list of items, by PyTorch's rules: Tensors and numpy arrays are stacked into a
    Tensor (keeping their dtype), Python ints become an int64 Tensor, floats float64, bools bool;
    strings stay a list; dicts, named tuples and sequences are collated field by field (a tuple gives
    a list of fields)."""
    first = batch[0]
    if isinstance(first, Tensor):
        return Tensor._wrap(np.stack([item._data for item in batch]))
    if isinstance(first, (np.ndarray, np.generic)) and not isinstance(first, (str, bytes)):
        return Tensor._wrap(_numeric(np.stack(batch)))
    if isinstance(first, (bool, int, float)):
        return Tensor._wrap(np.array(batch, dtype=_PYTHON_NUMBER_DTYPE[type(first)]))
    if isinstance(first, (str, bytes)):
        return batch
    if isinstance(first, Mapping):
        return {key: default_collate([item[key] for item in batch]) for key in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # a named tuple keeps its type
        return type(first)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(first, Sequence):
        if any(len(item) != len(first) for item in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of equal size")
        return [default_collate(field) for field in zip(*batch)]  # fields are tuples, as in PyTorch
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(first)}")


# PyTorch's collate: Python ints are int64, floats float64 (not the default float32), bools bool.
_PYTHON_NUMBER_DTYPE = {bool: np.dtype(bool), int: np.dtype(np.int64), float: np.dtype(np.float64)}


def _numeric(array):
    if array.dtype.kind not in "biufc":
        raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                        f"found numpy arrays of {array.dtype}")
    return array


def _gatherable(dataset):
    """Whether a batch of `dataset` can be gathered with one index array per field."""
    if isinstance(dataset, Subset) and type(dataset).__getitem__ is Subset.__getitem__:
        return _gatherable(dataset.dataset)
    return type(dataset).__getitem__ is TensorDataset.__getitem__  # not when a subclass redefines it


def _gather(dataset, indices):
    if isinstance(dataset, Subset):
        return _gather(dataset.dataset, np.asarray(dataset.indices)[indices])
    # Indexing with an integer array copies, so the batch never shares memory with the data set.
    return [Tensor._wrap(_numeric(_array(field)[indices])) for field in dataset.tensors]


def _array(field):
    return field._data if isinstance(field, Tensor) else field


def _take(tensor, index):
    if isinstance(tensor, np.ndarray):
        return tensor[index]
    # A data set's Tensors are data, not graph nodes: index the array and wrap it again.
    return Tensor(np.asarray(tensor._data[index]))
