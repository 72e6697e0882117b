"""Embedding lookups: rows of a table picked by integer indices, with PyTorch's gradient options.

The gradient of a lookup adds each picked row's gradient into the table's gradient, repeats adding
up. Two ways of scattering rows were measured (numpy 2, one thread, float32): np.add.at walks the
elements one by one (about 7 ns each), while sorting the indices and summing each index's run with
np.add.reduceat (one pass over contiguous rows) costs a sort up front. add.at wins below about 2,000
scattered elements (a bAbI sentence, 6 x 10: 1.9 µs against 8.7) and for one-column tables; sorting
wins above (the character LSTM's 400 x 512: 0.41 ms against 1.5 ms). `scatter_rows` picks by that
size. Neither builds a one-hot matrix or a per-occurrence table.
"""
import numpy as np

from tinygrad_like.ops.dispatch import scatter_add
from tinygrad_like.tensor import Function, Tensor

_ADD_AT_BELOW = 2048  # scattered elements (rows x columns) under which np.add.at is faster than sorting


def scatter_rows(num_rows, index, rows):
    """zeros((num_rows, D)) with rows[k] added at row index[k] (index 1-D, rows (N, D)); repeats add up."""
    out = np.zeros((num_rows,) + rows.shape[1:], rows.dtype)
    if rows.size < _ADD_AT_BELOW or rows.ndim == 1 or rows.shape[1] == 1:
        np.add.at(out, index, rows)
        return out
    order = np.argsort(index, kind="stable")
    ordered = index[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    out[ordered[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    return out


class Embedding(Function):
    """weight[indices] for a table (num, D) and an integer array of indices (any shape): out has shape
    indices.shape + (D,). Backward scatters the rows' gradients into a table of weight's shape: none to
    row `padding_idx`, and with `scale_grad_by_freq` each row's divided by how often its index occurs in
    `indices`."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx=None, scale_grad_by_freq=False):
        ctx.indices, ctx.padding_idx, ctx.scale_grad_by_freq = indices, padding_idx, scale_grad_by_freq
        ctx.num_rows = weight.shape[0]
        return weight[indices]

    @staticmethod
    def backward(ctx, grad):
        index = ctx.indices.reshape(-1)
        rows = grad.reshape((index.size, grad.shape[-1]))
        if ctx.scale_grad_by_freq and index.size:
            counts = np.bincount(index, minlength=ctx.num_rows)
            rows = rows * (1 / counts[index]).astype(rows.dtype).reshape(-1, 1)
        if ctx.padding_idx is not None:
            keep = index != ctx.padding_idx
            if not keep.all():
                index, rows = index[keep], rows[keep]
        if isinstance(rows, Tensor):  # recorded: ScatterAdd, whose own backward gathers the rows again
            return scatter_add((ctx.num_rows, rows.shape[-1]), rows.dtype, index, rows)
        return scatter_rows(ctx.num_rows, index, rows)
