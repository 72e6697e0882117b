"""Dataset, TensorDataset and DataLoader, with PyTorch's semantics, over numpy arrays or Tensors."""
import math

import numpy as np


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
            if not (isinstance(tensor, np.ndarray) or _is_tensor(tensor)):
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


class DataLoader:
    """Batches of a data set, as PyTorch's DataLoader.

    Iterating yields one batch per `batch_size` items: for a TensorDataset a tuple gathered from
    each array at once, otherwise the items stacked field by field (an item that is a tuple gives a
    tuple of stacked fields). Batches hold Tensors where the data does, numpy arrays otherwise,
    and are copies. The last, smaller batch is dropped when `drop_last`. With `shuffle`, every
    epoch (every `iter`) draws a new permutation from `numpy.random.default_rng(seed)`, created
    once, so a seed fixes the whole sequence of epochs.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self._rng = np.random.default_rng(seed)

    def __len__(self):
        """The number of batches per epoch."""
        size = len(self.dataset)
        return size // self.batch_size if self.drop_last else math.ceil(size / self.batch_size)

    def __iter__(self):
        size = len(self.dataset)
        order = self._rng.permutation(size) if self.shuffle else np.arange(size)
        # Gathering with an index array is the fast path, unless a subclass redefines item access.
        gather = type(self.dataset).__getitem__ is TensorDataset.__getitem__
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            indices = order[start:start + self.batch_size]
            yield self.dataset[indices] if gather else _collate([self.dataset[int(i)] for i in indices])


def _collate(items):
    """One batch from a list of items: tuples (and lists) field by field, the rest stacked."""
    first = items[0]
    if isinstance(first, (tuple, list)):
        return tuple(_collate(list(field)) for field in zip(*items))
    if _is_tensor(first):
        return _tensor_class()(np.stack([item._data for item in items]))
    return np.stack([np.asarray(item) for item in items])


def _take(tensor, index):
    if isinstance(tensor, np.ndarray):
        return tensor[index]
    # A data set's Tensors are data, not graph nodes: index the array and wrap it again.
    return _tensor_class()(np.asarray(tensor._data[index]))


def _is_tensor(value):
    return not isinstance(value, (np.ndarray, np.generic, int, float)) and isinstance(value, _tensor_class())


def _tensor_class():
    # Imported on use, so that loading numpy data never needs the engine and no import cycle can form.
    from tinygrad_like.tensor import Tensor
    return Tensor
