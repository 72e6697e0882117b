"""Gather, scatter and masks: ops that pick elements out by index tensors or masks, or write them back.

Most are composites of Getitem, ScatterAdd and Setitem (ops/movement.py), whose gradients are scatters
and gathers in turn, so they differentiate to any order; ScatterReduce is the one primitive of their
own. Each op checks its indices first, so that a bad one fails naming the op, the shapes and the
valid range rather than with numpy's message about some intermediate array.
"""
import numpy as np

from tinygrad_like.ops.dispatch import put, raw, scatter_add, where
from tinygrad_like.ops.movement import ScatterAdd, Setitem
from tinygrad_like.tensor import Function, ShapeError, Tensor, _axis_index, _wrap

_LONG = ("int64",)
_LONG_OR_INT = ("int64", "int32")
REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


# ---- checks and positions ----------------------------------------------------------------------
def _indices(index, name, dtypes=_LONG_OR_INT, what="index"):
    """The array of an index tensor whose dtype PyTorch accepts for this op."""
    array = index._data if isinstance(index, Tensor) else np.asarray(index)
    if array.dtype.name not in dtypes:
        raise TypeError(f"{name}(): {what} must be a tensor of {' or '.join(dtypes)}, got {array.dtype}; "
                        f"convert it with {what}.long()")
    return array


def _in_range(index, size, name, dim, shape, negatives=False):
    """index with its values checked to lie in [0, size), or in [-size, size) when `negatives` count from
    the end (then returned wrapped into [0, size))."""
    low = -size if negatives else 0
    if index.size and (index.min() < low or index.max() >= size):
        bad = index[(index < low) | (index >= size)].flat[0]
        place = f"dimension {dim} of size {size}" if dim is not None else f"the {size} elements of the flattened tensor"
        raise IndexError(f"{name}(): index {bad} is out of range for {place} (tensor of shape {shape}); valid "
                         f"indices are {low} to {size - 1}")
    return np.where(index < 0, index + size, index) if negatives and index.size and index.min() < 0 else index


def _same_dtype(x, other, name, what):
    if x.dtype != other.dtype:
        raise TypeError(f"{name}(): {what} has dtype {other.dtype} but the tensor has {x.dtype}; they must be equal, "
                        f"convert with {what}.to(tensor.dtype)")


def _vector(index, name):
    """A 0-d or 1-d index as 1-d (index_select and the index_* family take a vector of positions)."""
    if index.ndim > 1:
        raise ShapeError(f"{name}(): index must be 0-d or 1-d, got shape {index.shape}")
    return index.reshape(-1)


def _at_least_1d(x):
    """A 0-d tensor as one of shape (1,): PyTorch's gather/scatter family treat it as a 1-d tensor."""
    return x.reshape(1) if x.ndim == 0 else x


def _like(shape, out):
    return out.reshape(shape) if out.shape != shape else out


def _grid(index, dim):
    """numpy's advanced index of the positions gather and scatter address: `index` along dim, and each
    element's own position along every other axis."""
    ndim = index.ndim
    grid = [np.arange(n).reshape([n if axis == i else 1 for axis in range(ndim)]) for i, n in enumerate(index.shape)]
    grid[dim] = index
    return tuple(grid)


def _along(dim, index, ndim):
    """numpy's index of the slices at `index` along dim."""
    return (slice(None),) * dim + (index,) + (slice(None),) * (ndim - dim - 1)


def _positions(name, x, dim, index, src=None):
    """Check PyTorch's gather/scatter rule (index has as many axes as x, a 0-d tensor counting as one
    axis, is no larger than x along the other axes nor than src along any, and points inside x) and
    return dim and the grid of positions in x (made at least 1-d)."""
    shape, index_shape = x.shape or (1,), index.shape or (1,)
    dim = _axis_index(dim, len(shape), x.shape, name)
    if len(index_shape) != len(shape):
        raise ShapeError(f"{name}(): index of shape {index.shape} must have as many axes as the tensor of shape "
                         f"{x.shape}")
    if any(n > m for axis, (n, m) in enumerate(zip(index_shape, shape)) if axis != dim):
        raise ShapeError(f"{name}(): index of shape {index.shape} is larger than the tensor of shape {x.shape} "
                         f"along an axis other than dim {dim}")
    if src is not None:
        src_shape = src.shape or (1,)
        if len(src_shape) != len(shape) or any(n > m for n, m in zip(index_shape, src_shape)):
            raise ShapeError(f"{name}(): index of shape {index.shape} must have the axes of src, of shape "
                             f"{src.shape}, and be no larger along any")
    index = _in_range(index.reshape(index_shape), shape[dim], name, dim, x.shape)
    return dim, _grid(index, dim)


def _corner(src, shape):
    """The part of src that a scatter with an index of `shape` reads: src[:shape[0], :shape[1], ...]."""
    src = _at_least_1d(src)
    return src if src.shape == shape else src[tuple(slice(n) for n in shape)]


def _as_tensor(value):
    return value if isinstance(value, Tensor) else _wrap(np.asarray(value))


# ---- gather and take ----------------------------------------------------------------------------
def gather(x, dim, index, sparse_grad=False):
    if sparse_grad:
        raise ValueError("gather(): sparse_grad=True asks for a sparse gradient, and tinygrad_like has only dense "
                         "ones; leave it False")
    index = _indices(index, "gather")
    dim, grid = _positions("gather", x, dim, index)
    return _like(index.shape, _at_least_1d(x)[grid])


def take_along_dim(x, indices, dim=None):
    """x's elements at `indices` along dim (negative ones counting from the end), x and indices
    broadcast along the other axes; with dim=None, x's flattened elements at the flattened indices."""
    indices = _indices(indices, "take_along_dim", _LONG, "indices")
    if dim is None:
        flat = _in_range(indices.reshape(-1), x.numel(), "take_along_dim", None, x.shape)
        return x.reshape(-1)[flat]
    x1, indices1 = _at_least_1d(x), indices.reshape(indices.shape or (1,))  # 0-d: its one element
    dim = _axis_index(dim, x1.ndim, x.shape, "take_along_dim")
    if indices1.ndim != x1.ndim:
        raise ShapeError(f"take_along_dim(): indices of shape {indices.shape} must have as many axes as the tensor "
                         f"of shape {x.shape}")
    try:
        common = list(np.broadcast_shapes(x1.shape[:dim] + (1,) + x1.shape[dim + 1:],
                                          indices1.shape[:dim] + (1,) + indices1.shape[dim + 1:]))
    except ValueError:
        raise ShapeError(f"take_along_dim(): indices of shape {indices.shape} do not broadcast with the tensor of "
                         f"shape {x.shape} along the axes other than dim {dim}") from None
    common[dim] = x1.shape[dim]
    if tuple(common) != x1.shape:
        x1 = x1.expand(tuple(common))
    common[dim] = indices1.shape[dim]
    indices1 = _in_range(np.broadcast_to(indices1, common), x1.shape[dim], "take_along_dim", dim, x.shape,
                         negatives=True)
    out = x1[_grid(indices1, dim)]
    return _like(indices.shape, out) if x.ndim == 0 else out


def take_at(x, indices, dim):
    """x[indices] along dim for indices already checked (those sort and topk computed): the values whose
    gradient flows back to the elements they came from."""
    return x[_grid(indices, dim)]


def take(x, index):
    index = _indices(index, "take", _LONG)
    if x.numel() == 0 and index.size:
        raise IndexError(f"take(): cannot take elements from an empty tensor (shape {x.shape})")
    flat = _in_range(index.reshape(-1), x.numel(), "take", None, x.shape, negatives=True)
    return x.reshape(-1)[flat].reshape(index.shape)


def index_select(x, dim, index):
    index = _vector(_indices(index, "index_select"), "index_select")
    x1 = _at_least_1d(x)
    dim = _axis_index(dim, x1.ndim, x.shape, "index_select")
    if x.ndim == 0 and index.size != 1:
        raise ShapeError(f"index_select(): a 0-d tensor takes an index of one element, got {index.size}")
    index = _in_range(index, x1.shape[dim], "index_select", dim, x.shape)
    out = x1[_along(dim, index, x1.ndim)]
    return _like((), out) if x.ndim == 0 else out


# ---- scatter --------------------------------------------------------------------------------------
def scatter(x, dim, index, src):
    """A copy of x with src's elements (or the number src) written at index along dim: PyTorch's
    scatter. The gradient reaches x where nothing was written and src where it was read."""
    index = _indices(index, "scatter")
    if isinstance(src, (Tensor, np.ndarray)):
        src = _as_tensor(src)
        _same_dtype(x, src, "scatter", "src")
        dim, grid = _positions("scatter", x, dim, index, src)
        values = _corner(src, grid[dim].shape)
    else:
        dim, grid = _positions("scatter", x, dim, index)
        values = _wrap(np.asarray(src, x.dtype))  # a number takes x's dtype, as in PyTorch
    return _like(x.shape, Setitem.apply(_at_least_1d(x), values, index=grid))


def scatter_add_along(x, dim, index, src):
    """PyTorch's scatter_add: x with src's elements added at index along dim, repeats adding up."""
    index = _indices(index, "scatter_add")
    src = _as_tensor(src)
    _same_dtype(x, src, "scatter_add", "src")
    dim, grid = _positions("scatter_add", x, dim, index, src)
    x1 = _at_least_1d(x)
    return _like(x.shape, x1 + ScatterAdd.apply(_corner(src, grid[dim].shape), shape=x1.shape, index=grid))


def scatter_reduce(x, dim, index, src, reduce, include_self=True):
    if reduce not in REDUCTIONS:
        raise ValueError(f"scatter_reduce(): reduce must be one of {', '.join(map(repr, REDUCTIONS))}, got {reduce!r}")
    index = _indices(index, "scatter_reduce")
    src = _as_tensor(src)
    _same_dtype(x, src, "scatter_reduce", "src")
    dim, grid = _positions("scatter_reduce", x, dim, index, src)
    out = ScatterReduce.apply(_at_least_1d(x), _corner(src, grid[dim].shape), index=grid, reduce=reduce,
                              include_self=bool(include_self))
    return _like(x.shape, out)


def _reduce_into(x, src, index, reduce, include_self):
    """numpy: x with src reduced into it at the advanced index `index`; also the count of values that
    reached each element (x's own included), which mean divides by."""
    out = x.copy()
    if not include_self:
        out[index] = _IDENTITY[reduce](x.dtype)
    with np.errstate(invalid="ignore"):  # a nan reaching amax / amin wins, as in PyTorch
        _UFUNC[reduce].at(out, index, src)
    if reduce != "mean":
        return out, None
    count = np.full(x.shape, int(include_self), dtype=np.int64)
    np.add.at(count, index, 1)
    count = np.maximum(count, 1)  # elements nothing reached keep their value
    if out.dtype.kind in "iub":
        return np.floor_divide(out, count).astype(out.dtype, copy=False), None  # PyTorch floors integer means
    count = count.astype(out.dtype)  # the gradients divide by it and keep the dtype
    return out / count, count


def _extreme_identity(dtype, low):
    if dtype.kind == "f":
        return -np.inf if low else np.inf
    if dtype.kind == "b":
        return not low
    info = np.iinfo(dtype)
    return info.min if low else info.max


_UFUNC = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}
_IDENTITY = {"sum": lambda dtype: 0, "mean": lambda dtype: 0, "prod": lambda dtype: 1,
             "amax": lambda dtype: _extreme_identity(dtype, True),
             "amin": lambda dtype: _extreme_identity(dtype, False)}


def _scatter_reduced(x, src, index, reduce, include_self):
    """x with src reduced into it, for arrays on the fast path and through ScatterReduce for Tensors (in a
    recorded backward), so that prod's gradient differentiates again."""
    if isinstance(x, Tensor) or isinstance(src, Tensor):
        return ScatterReduce.apply(_as_tensor(x), _as_tensor(src), index=index, reduce=reduce,
                                   include_self=include_self)
    return _reduce_into(x, src, index, reduce, include_self)[0]


class ScatterReduce(Function):
    """x with the values reduced into it at an advanced index (sum, prod, mean, amax or amin), the
    elements reached starting from x's own value (include_self) or from the reduction's identity.
    Gradients are PyTorch's: tied extremes share the gradient equally, a product with one zero still
    passes the product of the others to that zero."""

    @staticmethod
    def forward(ctx, x, src, index, reduce, include_self):
        out, count = _reduce_into(x, src, index, reduce, include_self)
        ctx.index, ctx.reduce, ctx.include_self, ctx.count = index, reduce, include_self, count
        if reduce in ("prod", "amax", "amin"):
            ctx.save_for_backward(x, src, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        index, reduce = ctx.index, ctx.reduce
        if reduce == "sum":
            grad_x, grad_src = grad, grad[index]
        elif reduce == "mean":
            grad_x = grad / ctx.count
            grad_src = grad[index] / ctx.count[index]
        elif reduce == "prod":
            grad_x, grad_src = _prod_gradients(ctx, grad)
        else:  # amax, amin: the elements equal to the result share its gradient
            x, src, out = (raw(a) for a in ctx.saved_tensors)
            x_won = (x == out).astype(out.dtype)
            src_won = (src == out[index]).astype(out.dtype)
            shared = grad / (x_won + scatter_add(out.shape, out.dtype, index, src_won))
            grad_x, grad_src = x_won * shared, src_won * shared[index]
        if not ctx.include_self:
            grad_x = put(grad_x, index, 0)  # x's elements that were reached did not enter the result
        return (grad_x if ctx.needs_input_grad[0] else None, grad_src if ctx.needs_input_grad[1] else None)


def _prod_gradients(ctx, grad):
    """d out / d x = the product of the other factors, computed without dividing by a zero."""
    x, src, out = ctx.saved_tensors
    index, include_self = ctx.index, ctx.include_self
    x_zero = raw(x) == 0
    x_nonzero = where(x_zero, 1.0, x)
    grad_x = grad * _scatter_reduced(x_nonzero, src, index, "prod", include_self) / x_nonzero
    src_zero = raw(src) == 0
    zeros_reaching = scatter_add(out.shape, np.int64, index, src_zero.astype(np.int64))[index]
    if isinstance(grad, Tensor) and (zeros_reaching > 1).any():
        raise RuntimeError("scatter_reduce(): the second derivative of reduce='prod' is not implemented for src "
                           "when more than one zero of src reaches the same element (as in PyTorch)")
    single_zero = src_zero & (zeros_reaching == 1)
    others = _scatter_reduced(x, where(single_zero, 1.0, src), index, "prod", include_self)
    grad_src = where(single_zero, (grad * others)[index], (grad * out)[index] / where(src_zero, 1.0, src))
    return grad_x, grad_src


def index_add(x, dim, index, source, alpha=1):
    """x with alpha * source's slices added at index along dim, repeats adding up."""
    index, source = _index_and_source("index_add", x, dim, index, source, _LONG_OR_INT)
    dim = _axis_index(dim, max(x.ndim, 1), x.shape, "index_add")
    if alpha != 1:
        source = source * _wrap(np.asarray(alpha, source.dtype))  # alpha takes x's dtype, as in PyTorch
    x1 = _at_least_1d(x)
    return _like(x.shape, x1 + ScatterAdd.apply(source, shape=x1.shape, index=_along(dim, index, x1.ndim)))


def index_copy(x, dim, index, source):
    """x with source's slices copied to index along dim."""
    index, source = _index_and_source("index_copy", x, dim, index, source, _LONG)
    dim = _axis_index(dim, max(x.ndim, 1), x.shape, "index_copy")
    x1 = _at_least_1d(x)
    return _like(x.shape, Setitem.apply(x1, source, index=_along(dim, index, x1.ndim)))


def _index_and_source(name, x, dim, index, source, dtypes):
    """The checked index (in range along dim) and source (at least 1-d) of index_add and index_copy:
    source has x's axes and shape but along dim, where it has one slice per index."""
    index = _vector(_indices(index, name, dtypes), name)
    source = _as_tensor(source)
    _same_dtype(x, source, name, "source")
    x1, source1 = _at_least_1d(x), _at_least_1d(source)
    dim = _axis_index(dim, x1.ndim, x.shape, name)
    expected = x1.shape[:dim] + (index.size,) + x1.shape[dim + 1:]
    if source.ndim != x.ndim or source1.shape != expected:
        raise ShapeError(f"{name}(): source of shape {source.shape} does not fit the tensor of shape {x.shape} with "
                         f"{index.size} indices along dim {dim}: expected shape {expected}")
    return _in_range(index, x1.shape[dim], name, dim, x.shape), source1


def index_fill(x, dim, index, value):
    """x with the slices at index along dim set to value (a number or a 0-d tensor, which gets the sum of
    their gradient)."""
    index = _vector(_indices(index, "index_fill", _LONG), "index_fill")
    x1 = _at_least_1d(x)
    dim = _axis_index(dim, x1.ndim, x.shape, "index_fill")
    index = np.unique(_in_range(index, x1.shape[dim], "index_fill", dim, x.shape, negatives=True))
    if isinstance(value, Tensor):
        if value.ndim:
            raise ShapeError(f"index_fill(): value must be a number or a 0-d tensor, got shape {value.shape}")
        value = value.astype(x.dtype)
    else:
        value = _wrap(np.asarray(value, x.dtype))
    return _like(x.shape, Setitem.apply(x1, value, index=_along(dim, index, x1.ndim)))


# ---- masks ----------------------------------------------------------------------------------------
def _mask_for(x, mask, name):
    """The bool mask and x broadcast together (the mask's array, x as a Tensor)."""
    mask = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if mask.dtype != np.bool_:
        raise TypeError(f"{name}(): mask must be a bool tensor, got {mask.dtype}; compare first (x > 0) or "
                        "convert it with mask.bool()")
    try:
        shape = np.broadcast_shapes(x.shape, mask.shape)
    except ValueError:
        raise ShapeError(f"{name}(): mask of shape {mask.shape} does not broadcast with the tensor of shape "
                         f"{x.shape}") from None
    return (x if x.shape == shape else x.expand(shape)), np.broadcast_to(mask, shape)


def masked_select(x, mask):
    x, mask = _mask_for(x, mask, "masked_select")
    return x[mask]


def masked_scatter(x, mask, source):
    """x (broadcast with mask) with source's leading elements written, in order, where mask holds."""
    x, mask = _mask_for(x, mask, "masked_scatter")
    source = _as_tensor(source)
    _same_dtype(x, source, "masked_scatter", "source")
    count = int(np.count_nonzero(mask))
    if source.numel() < count:
        raise ShapeError(f"masked_scatter(): the mask selects {count} elements but source (shape {source.shape}) has "
                         f"only {source.numel()}")
    return Setitem.apply(x, source.reshape(-1)[:count], index=mask)


# ---- nonzero ----------------------------------------------------------------------------------------
def nonzero(x, as_tuple=False):
    """The indices of the non-zero elements: int64 of shape (count, ndim), or one 1-d tensor per axis
    (a 0-d tensor counting as 1-d), outside the graph."""
    data = raw(x) if isinstance(x, Tensor) else np.asarray(x)
    if as_tuple:
        return tuple(_wrap(axis.astype(np.int64, copy=False)) for axis in np.nonzero(np.atleast_1d(data)))
    return _wrap(np.argwhere(data).astype(np.int64, copy=False))
