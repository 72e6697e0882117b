"""Embedding and EmbeddingBag: lookup tables with PyTorch's arguments, initialisation (N(0, 1), the
padding row zeroed), state_dict keys and reprs; thin Modules over nn.functional's embedding and
embedding_bag."""
import numpy as np

from tinygrad_like.device import check_device
from tinygrad_like.dtypes import get_default_dtype, to_dtype
from tinygrad_like.engine import mark_modified
from tinygrad_like.nn import functional as F
from tinygrad_like.nn import init
from tinygrad_like.nn.module import Module
from tinygrad_like.nn.parameter import Parameter
from tinygrad_like.tensor import ShapeError, Tensor


def _weight(name, num_embeddings, embedding_dim, weight, freeze, device, dtype):
    """A new (num_embeddings, embedding_dim) Parameter, or one on the memory of the given `weight` (as
    PyTorch's, whose Parameter shares the tensor's storage: training changes the tensor passed in)."""
    check_device(device, name)
    if weight is None:
        dtype = get_default_dtype() if dtype is None else to_dtype(dtype, name)
        return Parameter(np.empty((num_embeddings, embedding_dim), dtype), requires_grad=not freeze)
    data = weight._data if isinstance(weight, Tensor) else np.asarray(weight)
    if data.shape != (num_embeddings, embedding_dim):
        raise ShapeError(f"{name}: Shape of weight {data.shape} does not match num_embeddings and embedding_dim "
                         f"({num_embeddings}, {embedding_dim})")
    parameter = Parameter(data[:0], requires_grad=not freeze)  # requires_grad_ checks the dtype
    parameter._data = data
    return parameter


def _pretrained(name, embeddings):
    if np.ndim(embeddings._data if isinstance(embeddings, Tensor) else embeddings) != 2:
        raise ValueError(f"{name}.from_pretrained: Embeddings parameter is expected to be 2-dimensional, got shape "
                         f"{np.shape(embeddings)}")
    return tuple(np.shape(embeddings))


class Embedding(Module):
    """A lookup table of num_embeddings vectors of size embedding_dim, initialised N(0, 1). The input is an
    integer tensor of any shape; the output has its shape + (embedding_dim,). padding_idx: that row starts
    at zero and gets no gradient. max_norm / norm_type: rows looked up with a larger norm are rescaled to
    max_norm in place first. scale_grad_by_freq: gradients divided by the indices' frequency in the batch.
    sparse=True is not supported (the gradient is a dense table)."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        F._check_sparse("Embedding", sparse)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = F._padding_index("Embedding", padding_idx, num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        self.weight = _weight_of(self, _weight, _freeze, device, dtype)
        if _weight is None:
            self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight)
        _zero_padding_row(self)

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        text += f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        text += f", max_norm={self.max_norm}" if self.max_norm is not None else ""
        text += f", norm_type={self.norm_type}" if self.norm_type != 2 else ""
        text += f", scale_grad_by_freq={self.scale_grad_by_freq}" if self.scale_grad_by_freq is not False else ""
        text += ", sparse=True" if self.sparse is not False else ""
        return text

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An Embedding whose weight is `embeddings` (2-D; its memory is shared, as in PyTorch), frozen
        (requires_grad=False) unless freeze=False. The padding row is left as given."""
        rows, cols = _pretrained("Embedding", embeddings)
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse, _weight=embeddings,
                   _freeze=freeze)


class EmbeddingBag(Module):
    """Sums, means or maxima of bags of embeddings (see nn.functional.embedding_bag), without the lookup of
    every bag's rows: forward(input, offsets=None, per_sample_weights=None) with input 2-D (one bag per
    row) or 1-D with offsets. Weight N(0, 1), the padding row zeroed; its entries are left out of bags."""

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                 mode="mean", sparse=False, _weight=None, include_last_offset=False, padding_idx=None, device=None,
                 dtype=None):
        super().__init__()
        F._check_sparse("EmbeddingBag", sparse)
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"EmbeddingBag: mode has to be one of sum, mean or max, got {mode!r}")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        self.mode, self.sparse, self.include_last_offset = mode, sparse, include_last_offset
        self.padding_idx = F._padding_index("EmbeddingBag", padding_idx, num_embeddings)
        self.weight = _weight_of(self, _weight, False, device, dtype)
        if _weight is None:
            self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight)
        _zero_padding_row(self)

    def forward(self, input, offsets=None, per_sample_weights=None):
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                               self.mode, self.sparse, per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        text += f", max_norm={self.max_norm}" if self.max_norm is not None else ""
        text += f", norm_type={self.norm_type}" if self.norm_type != 2 else ""
        text += f", scale_grad_by_freq={self.scale_grad_by_freq}" if self.scale_grad_by_freq is not False else ""
        text += f", mode={self.mode!r}"
        text += f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return text

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                        mode="mean", sparse=False, include_last_offset=False, padding_idx=None):
        """An EmbeddingBag on `embeddings` (2-D, memory shared), frozen unless freeze=False."""
        rows, cols = _pretrained("EmbeddingBag", embeddings)
        bag = cls(rows, cols, max_norm, norm_type, scale_grad_by_freq, mode, sparse, embeddings, include_last_offset,
                  padding_idx)
        bag.weight.requires_grad = not freeze
        return bag


def _weight_of(module, weight, freeze, device, dtype):
    return _weight(type(module).__name__, module.num_embeddings, module.embedding_dim, weight, freeze, device, dtype)


def _zero_padding_row(module):
    if module.padding_idx is not None:
        module.weight._data[module.padding_idx] = 0
        mark_modified(module.weight._data)
