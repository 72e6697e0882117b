"""Convolution, and the window machinery it shares with unfold/fold and the pools.

`windows` views (N, C, *spatial) as (N, C, *out, *kernel) without copying; `im2col` copies that view
into a matrix and `fold` (col2im) is its adjoint, adding columns back into the windows tap by tap (a
strided slice per kernel tap: no np.add.at). A convolution is one matrix product of the weight with
im2col's matrix, and each of its gradients is one product more:

- Conv(x, w, b): the convolution (PyTorch's, a cross-correlation);
- ConvInput(g, w, b): its gradient with respect to the input, which is also the transposed convolution;
- ConvWeight(x, g): its gradient with respect to the weight.

Each differentiates into the other two, so a recorded backward can be differentiated again.

A Geometry holds the stride, dilation and groups and, per spatial axis, the padding (before, after)
chosen so that the windows cover the padded input exactly: padded = (out - 1) * stride +
dilation * (kernel - 1) + 1. `after` may be below the user's padding, even negative: trailing input
elements that no window reaches are cropped, and get a zero gradient.
"""
import collections
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from tinygrad_like.ops.pad import constant_pad
from tinygrad_like.tensor import Function, ShapeError, Tensor

Geometry = collections.namedtuple("Geometry", "stride dilation padding groups")
KEEP_COLUMNS_BYTES = 32 << 20  # Conv keeps its im2col matrix for the weight's gradient up to this size


# ---- windows --------------------------------------------------------------------------------------
def exact_padding(size, kernel, stride, dilation, before, after):
    """The number of windows along an axis of `size` padded by (before, after), and the padding that
    covers exactly them."""
    extent = dilation * (kernel - 1) + 1
    out = (size + before + after - extent) // stride + 1
    return out, (before, (out - 1) * stride + extent - size - before)


def windows(x, kernel, stride, dilation, writeable=False, start=None):
    """The view (..., *out, ..., *kernel) of x (..., *spatial, ...) whose element [..., o, ..., t] is
    x[..., o * stride + t * dilation, ...] (per spatial axis); no copy. The spatial axes begin at `start`,
    by default they are the last len(kernel)."""
    nd = len(kernel)
    start = x.ndim - nd if start is None else start
    end = start + nd
    spatial, steps = x.shape[start:end], x.strides[start:end]
    out = tuple((n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(spatial, kernel, stride, dilation))
    return as_strided(x, x.shape[:start] + out + x.shape[end:] + tuple(kernel),
                      x.strides[:start] + tuple(a * s for a, s in zip(steps, stride)) + x.strides[end:]
                      + tuple(a * d for a, d in zip(steps, dilation)), writeable=writeable)


def im2col(x, kernel, stride, dilation, padding, batch_first):
    """The windows of x (N, C, *spatial), zero-padded by `padding`, copied into a matrix: (N, C*K, L)
    with batch_first (F.unfold's layout), else (C*K, N*L), the layout of the convolution's products
    (K kernel taps, L windows per image)."""
    nd = len(kernel)
    view = windows(constant_pad(x, padding), kernel, stride, dilation)
    n, c = x.shape[:2]
    taps, out = tuple(range(2 + nd, 2 + 2 * nd)), tuple(range(2, 2 + nd))
    rows, length = c * math.prod(kernel), math.prod(view.shape[2:2 + nd])
    if batch_first:
        return view.transpose((0, 1) + taps + out).reshape(n, rows, length)
    return view.transpose((1,) + taps + (0,) + out).reshape(rows, n * length)


def fold(columns, size, kernel, stride, dilation, padding):
    """col2im, the adjoint of im2col: columns (N, C, *kernel, *out), of any strides (a view, or a
    broadcast), added into the windows of a zero (N, C, *padded) array, which is then cropped to
    (N, C, *size). One strided addition per kernel tap."""
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(size, padding))
    # numpy adds fastest along a long innermost axis: the batch's, when a row of windows is shorter
    batch_last = columns.shape[0] > columns.shape[-1]
    if batch_last:
        columns = np.moveaxis(columns, 0, -1)  # (C, *kernel, *out, N)
        out = np.zeros(columns.shape[:1] + padded + columns.shape[-1:], columns.dtype)
        view = windows(out, kernel, stride, dilation, writeable=True, start=1)
        source = (slice(None),)
    else:
        out = np.zeros(columns.shape[:2] + padded, columns.dtype)
        view = windows(out, kernel, stride, dilation, writeable=True)
        source = (slice(None), slice(None))
    if view.size:
        for tap in np.ndindex(*kernel):
            target = view[(Ellipsis,) + tap]  # the windows do not overlap within one tap
            target += columns[source + tap]
    if batch_last:
        return np.ascontiguousarray(constant_pad(np.moveaxis(out, -1, 0), [(-lo, -hi) for lo, hi in padding]))
    return constant_pad(out, [(-lo, -hi) for lo, hi in padding])


# ---- the three products ---------------------------------------------------------------------------
def _rows(a):
    """(N, C, *spatial) as the (C, N*L) matrix of the products."""
    return np.swapaxes(a, 0, 1).reshape(a.shape[1], -1)


def _unrows(matrix, n, spatial):
    """A (C, N*L) product back to a C-contiguous (N, C, *spatial) array."""
    return np.ascontiguousarray(np.swapaxes(matrix.reshape((matrix.shape[0], n) + spatial), 0, 1))


def _grouped(matrix, groups):
    return matrix.reshape(groups, matrix.shape[0] // groups, matrix.shape[-1])


def output_spatial(size, kernel, geometry):
    return tuple((n + lo + hi - d * (k - 1) - 1) // s + 1
                 for n, k, s, d, (lo, hi) in zip(size, kernel, geometry.stride, geometry.dilation, geometry.padding))


def input_spatial(out, kernel, geometry):
    return tuple((o - 1) * s + d * (k - 1) + 1 - lo - hi
                 for o, k, s, d, (lo, hi) in zip(out, kernel, geometry.stride, geometry.dilation, geometry.padding))


def _columns(x, kernel, geometry):
    return im2col(x, kernel, geometry.stride, geometry.dilation, geometry.padding, batch_first=False)


def _convolve(columns, w, b, n, out, geometry):
    """w (O, C/groups, *kernel) times the columns (C*K, N*L), plus b: the (N, O, *out) convolution."""
    groups = geometry.groups
    product = np.matmul(_grouped(w.reshape(w.shape[0], -1), groups), _grouped(columns, groups))
    product = product.reshape(w.shape[0], -1)
    if b is not None:
        product += b[:, None]  # a fresh array
    return _unrows(product, n, out)


def _transpose(rows, w, b, n, out, geometry):
    """The transposed product: w's transpose times the gradient's rows (O, N*L), folded back into the
    (N, C, *size) input (plus b per channel)."""
    groups, kernel = geometry.groups, w.shape[2:]
    columns = np.matmul(_grouped(w.reshape(w.shape[0], -1), groups).transpose(0, 2, 1), _grouped(rows, groups))
    channels = groups * w.shape[1]
    columns = np.moveaxis(columns.reshape((channels,) + kernel + (n,) + out), 1 + len(kernel), 0)
    result = fold(columns, input_spatial(out, kernel, geometry), kernel, geometry.stride, geometry.dilation,
                  geometry.padding)
    if b is not None:
        result = result + b.reshape((-1,) + (1,) * len(kernel))
    return result


def _weight_product(rows, columns, w_shape, geometry):
    """The gradient's rows (O, N*L) times the columns' transpose: the weight's gradient."""
    groups = geometry.groups
    return np.matmul(_grouped(rows, groups), _grouped(columns, groups).transpose(0, 2, 1)).reshape(w_shape)


def _bias_gradient(grad):
    return grad.sum((0,) + tuple(range(2, grad.ndim)))


class Conv(Function):
    """The convolution of x (N, C, *spatial) with w (O, C/groups, *kernel), plus b (O,) if given."""

    @staticmethod
    def forward(ctx, x, w, b=None, geometry=None):
        needs = ctx.needs_input_grad  # keep only what the needed gradients read, as PyTorch does
        ctx.geometry, ctx.w_shape = geometry, w.shape
        out = output_spatial(x.shape[2:], w.shape[2:], geometry)
        columns = _columns(x, w.shape[2:], geometry)
        # The weight's gradient reads the columns again: kept, unless they are large (then recomputed, as
        # PyTorch does), which saves an im2col and the fresh pages of its large temporary array.
        keep = needs[1] and columns.nbytes <= KEEP_COLUMNS_BYTES
        ctx.save_for_backward(x if needs[1] else None, w if needs[0] else None, columns if keep else None)
        return _convolve(columns, w, b, x.shape[0], out, geometry)

    @staticmethod
    def backward(ctx, grad):
        x, w, columns = ctx.saved_tensors
        needs, geometry, kernel = ctx.needs_input_grad, ctx.geometry, ctx.w_shape[2:]
        if isinstance(grad, Tensor):  # recorded: the two products as ops, differentiable again
            grad_x = ConvInput.apply(grad, w, geometry=geometry) if needs[0] else None
            grad_w = ConvWeight.apply(x, grad, geometry=geometry, kernel=kernel) if needs[1] else None
        else:  # one copy of the gradient as a matrix serves both products
            rows, n, out = _rows(grad), grad.shape[0], grad.shape[2:]
            grad_x = _transpose(rows, w, None, n, out, geometry) if needs[0] else None
            if needs[1]:
                columns = _columns(x, kernel, geometry) if columns is None else columns
            grad_w = _weight_product(rows, columns, ctx.w_shape, geometry) if needs[1] else None
        grad_b = _bias_gradient(grad) if len(needs) > 2 and needs[2] else None
        return (grad_x, grad_w, grad_b)[:len(needs)]


class ConvInput(Function):
    """The gradient of Conv with respect to its input as an op: the transposed convolution of g
    (N, O, *out) with w (O, C/groups, *kernel), plus b (C,) if given."""

    @staticmethod
    def forward(ctx, g, w, b=None, geometry=None):
        needs = ctx.needs_input_grad
        ctx.save_for_backward(g if needs[1] else None, w if needs[0] else None)
        ctx.geometry, ctx.w_shape = geometry, w.shape
        return np.ascontiguousarray(_transpose(_rows(g), w, b, g.shape[0], g.shape[2:], geometry))

    @staticmethod
    def backward(ctx, grad):
        g, w = ctx.saved_tensors
        needs, geometry, kernel = ctx.needs_input_grad, ctx.geometry, ctx.w_shape[2:]
        if isinstance(grad, Tensor):
            grad_g = Conv.apply(grad, w, geometry=geometry) if needs[0] else None
            grad_w = ConvWeight.apply(grad, g, geometry=geometry, kernel=kernel) if needs[1] else None
        else:  # the gradient's columns serve both products
            columns = _columns(grad, kernel, geometry)
            out = output_spatial(grad.shape[2:], kernel, geometry)
            grad_g = _convolve(columns, w, None, grad.shape[0], out, geometry) if needs[0] else None
            grad_w = _weight_product(_rows(g), columns, ctx.w_shape, geometry) if needs[1] else None
        grad_b = _bias_gradient(grad) if len(needs) > 2 and needs[2] else None
        return (grad_g, grad_w, grad_b)[:len(needs)]


class ConvWeight(Function):
    """The gradient of Conv with respect to its weight as an op: x (N, C, *spatial) correlated with the
    output gradient g (N, O, *out), giving (O, C/groups, *kernel)."""

    @staticmethod
    def forward(ctx, x, g, geometry, kernel):
        needs = ctx.needs_input_grad
        ctx.save_for_backward(x if needs[1] else None, g if needs[0] else None)
        ctx.geometry, ctx.n, ctx.out = geometry, x.shape[0], g.shape[2:]
        w_shape = (g.shape[1], x.shape[1] // geometry.groups) + tuple(kernel)
        return _weight_product(_rows(g), _columns(x, kernel, geometry), w_shape, geometry)

    @staticmethod
    def backward(ctx, grad):
        x, g = ctx.saved_tensors
        needs, geometry = ctx.needs_input_grad, ctx.geometry
        if isinstance(grad, Tensor):
            grad_x = ConvInput.apply(g, grad, geometry=geometry) if needs[0] else None
            grad_g = Conv.apply(x, grad, geometry=geometry) if needs[1] else None
        else:
            grad_x = _transpose(_rows(g), grad, None, ctx.n, ctx.out, geometry) if needs[0] else None
            grad_g = (_convolve(_columns(x, grad.shape[2:], geometry), grad, None, ctx.n, ctx.out, geometry)
                      if needs[1] else None)
        return grad_x, grad_g


# ---- unfold / fold as ops -------------------------------------------------------------------------
def _unfold(x, kernel, stride, dilation, padding):
    if isinstance(x, Tensor):
        return Im2Col.apply(x, kernel=kernel, stride=stride, dilation=dilation, padding=padding)
    return im2col(x, kernel, stride, dilation, padding, batch_first=True)


def _fold(columns, size, kernel, stride, dilation, padding):
    if isinstance(columns, Tensor):
        return Col2Im.apply(columns, size=size, kernel=kernel, stride=stride, dilation=dilation, padding=padding)
    n, out = columns.shape[0], output_spatial(size, kernel, Geometry(stride, dilation, padding, 1))
    return fold(columns.reshape((n, -1) + tuple(kernel) + out), size, kernel, stride, dilation, padding)


class Im2Col(Function):
    """im2col as an op: (N, C, *size) to the (N, C*K, L) columns of its windows (F.unfold)."""

    @staticmethod
    def forward(ctx, x, kernel, stride, dilation, padding):
        ctx.options = (x.shape[2:], kernel, stride, dilation, padding)
        out = im2col(x, kernel, stride, dilation, padding, batch_first=True)
        return out.copy() if np.may_share_memory(out, x) else out  # a 1x1 kernel's columns are x itself

    @staticmethod
    def backward(ctx, grad):
        return _fold(grad, *ctx.options)


class Col2Im(Function):
    """col2im as an op: (N, C*K, L) columns summed into the windows of (N, C, *size) (F.fold)."""

    @staticmethod
    def forward(ctx, columns, size, kernel, stride, dilation, padding):
        ctx.options = (kernel, stride, dilation, padding)
        return np.ascontiguousarray(_fold(columns, size, kernel, stride, dilation, padding))

    @staticmethod
    def backward(ctx, grad):
        return _unfold(grad, *ctx.options)


# ---- argument checks shared by the functional forms -----------------------------------------------
def as_tuple(value, nd, name, what):
    """An int, or a sequence of one or nd ints, as a tuple of nd ints (PyTorch's expansion)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * nd
    try:
        items = tuple(value)
    except TypeError:
        raise TypeError(f"{name}: {what} must be an int or a tuple of {nd} ints, got {value!r}") from None
    if len(items) == 1:
        items *= nd
    if len(items) != nd or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items):
        raise ShapeError(f"{name}: {what} must be an int or a tuple of {nd} ints, got {value!r}")
    return tuple(int(v) for v in items)


def check_positive(values, name, what):
    if min(values, default=1) <= 0:
        raise ShapeError(f"{name}: {what} must be positive, got {values}")


def batched(input, nd, name, unbatched_ok=True):
    """input with a batch axis, and whether one was added (PyTorch takes unbatched inputs too)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim == nd + 2:
        return input, False
    if input.ndim == nd + 1 and unbatched_ok:
        return input.unsqueeze(0), True
    raise ShapeError(f"{name}: expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input, got shape "
                     f"{input.shape}")


def _check_operands(name, input, weight, bias, nd, out_channels):
    if not isinstance(weight, Tensor) or weight.ndim != nd + 2:
        raise ShapeError(f"{name}: weight must be a {nd + 2}-D Tensor, got "
                         f"{weight.shape if isinstance(weight, Tensor) else type(weight).__name__}")
    for what, tensor in (("weight", weight), ("bias", bias)):
        if tensor is not None and tensor.dtype != input.dtype:
            raise TypeError(f"{name}: input is {input.dtype} but the {what} is {tensor.dtype}; convert the input "
                            "(x.float() / x.double()) or the model (model.float() / model.double())")
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ShapeError(f"{name}: bias must have shape ({out_channels},) for a weight of shape {weight.shape}, "
                         f"got {bias.shape}")


def convolution(name, nd, input, weight, bias, stride, padding, dilation, groups):
    """F.conv1d/2d/3d: checks PyTorch's rules and applies Conv."""
    x, unbatched = batched(input, nd, name)
    out_channels = weight.shape[0] if isinstance(weight, Tensor) else 0
    _check_operands(name, x, weight, bias, nd, out_channels)
    stride, dilation = as_tuple(stride, nd, name, "stride"), as_tuple(dilation, nd, name, "dilation")
    check_positive(stride, name, "stride")
    check_positive(dilation, name, "dilation")
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise ShapeError(f"{name}: groups must be a positive int, got {groups!r}")
    channels, kernel = x.shape[1], weight.shape[2:]
    if out_channels == 0 or out_channels % groups:
        raise ShapeError(f"{name}: the weight's {out_channels} output channels (weight {weight.shape}) must be a "
                         f"positive multiple of groups={groups}")
    if channels != weight.shape[1] * groups:
        raise ShapeError(f"{name}: input of shape {input.shape} has {channels} channels, but a weight of shape "
                         f"{weight.shape} with groups={groups} expects {weight.shape[1] * groups}")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"{name}: padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
        if padding == "same" and max(stride) > 1:
            raise ValueError(f"{name}: padding='same' is not supported for strided convolutions (stride {stride})")
        # 'same': the odd one of an even total goes after, as in PyTorch
        pairs = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) if padding == "same" else (0, 0)
                 for k, d in zip(kernel, dilation)]
    else:
        padding = as_tuple(padding, nd, name, "padding")
        if min(padding) < 0:
            raise ShapeError(f"{name}: padding must not be negative, got {padding}")
        pairs = [(p, p) for p in padding]
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pairs))
    extent = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < e for p, e in zip(padded, extent)):
        raise ShapeError(f"{name}: the padded input's spatial size {padded} (input {input.shape}) is smaller than "
                         f"the kernel's extent {extent} (weight {weight.shape}, dilation {dilation}); pad more, or "
                         "use a smaller kernel")
    pairs = tuple(exact_padding(n, k, s, d, lo, hi)[1]
                  for n, k, s, d, (lo, hi) in zip(x.shape[2:], kernel, stride, dilation, pairs))
    geometry = Geometry(stride, dilation, pairs, int(groups))
    out = Conv.apply(x, weight, geometry=geometry) if bias is None else Conv.apply(x, weight, bias, geometry=geometry)
    return out.squeeze(0) if unbatched else out


def transposed_output_size(size, kernel, stride, padding, output_padding, dilation):
    return tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1
                 for n, k, s, p, op, d in zip(size, kernel, stride, padding, output_padding, dilation))


def transposed_convolution(name, nd, input, weight, bias, stride, padding, output_padding, groups, dilation):
    """F.conv_transpose1d/2d/3d: the input-gradient of the convolution with the same arguments (ConvInput)."""
    x, unbatched = batched(input, nd, name)
    out_channels = weight.shape[1] * groups if isinstance(weight, Tensor) and weight.ndim > 1 else 0
    _check_operands(name, x, weight, bias, nd, out_channels)
    stride, dilation = as_tuple(stride, nd, name, "stride"), as_tuple(dilation, nd, name, "dilation")
    padding = as_tuple(padding, nd, name, "padding")
    output_padding = as_tuple(output_padding, nd, name, "output_padding")
    check_positive(stride, name, "stride")
    check_positive(dilation, name, "dilation")
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise ShapeError(f"{name}: groups must be a positive int, got {groups!r}")
    if min(padding) < 0 or min(output_padding) < 0:
        raise ShapeError(f"{name}: padding {padding} and output_padding {output_padding} must not be negative")
    if x.shape[1] != weight.shape[0] or weight.shape[0] % groups:
        raise ShapeError(f"{name}: input of shape {input.shape} has {x.shape[1]} channels, but a weight of shape "
                         f"{weight.shape} (in_channels, out_channels/groups, *kernel) expects {weight.shape[0]}, a "
                         f"multiple of groups={groups}")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        raise ShapeError(f"{name}: output_padding {output_padding} must be smaller than either stride {stride} or "
                         f"dilation {dilation}")
    kernel = weight.shape[2:]
    if 0 in x.shape[2:]:
        raise ShapeError(f"{name}: expected an input with non-empty spatial axes, got shape {input.shape}")
    size = transposed_output_size(x.shape[2:], kernel, stride, padding, output_padding, dilation)
    if min(size) < 1:
        raise ShapeError(f"{name}: input of shape {input.shape} with weight {weight.shape}, stride {stride}, padding "
                         f"{padding}, dilation {dilation} and output_padding {output_padding} gives the output size "
                         f"{size}, which is too small")
    geometry = Geometry(stride, dilation, tuple((p, p - op) for p, op in zip(padding, output_padding)), int(groups))
    out = (ConvInput.apply(x, weight, geometry=geometry) if bias is None
           else ConvInput.apply(x, weight, bias, geometry=geometry))
    return out.squeeze(0) if unbatched else out


def unfold(input, kernel_size, dilation, padding, stride):
    """F.unfold: (N, C, H, W) to the (N, C*kh*kw, L) columns of its sliding windows."""
    x, unbatched = batched(input, 2, "unfold")
    kernel, dilation, padding, stride = (as_tuple(v, 2, "unfold", what) for v, what in (
        (kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"), (stride, "stride")))
    _check_window_arguments("unfold", kernel, dilation, padding, stride)
    pairs, blocks = _block_padding(x.shape[2:], kernel, dilation, padding, stride)
    if min(blocks) < 1 or 0 in x.shape[1:]:
        raise ShapeError(f"unfold: input of shape {input.shape} with kernel_size {kernel}, dilation {dilation}, "
                         f"padding {padding} and stride {stride} has {blocks} sliding blocks; each must be at least 1")
    out = Im2Col.apply(x, kernel=kernel, stride=stride, dilation=dilation, padding=pairs)
    return out.squeeze(0) if unbatched else out


def fold_columns(input, output_size, kernel_size, dilation, padding, stride):
    """F.fold: (N, C*kh*kw, L) columns summed into the sliding windows of (N, C, *output_size)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"fold: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (2, 3):
        raise ShapeError(f"fold: expected a 2-D (unbatched) or 3-D (batched) input of columns, got shape {input.shape}")
    unbatched = input.ndim == 2
    columns = input.unsqueeze(0) if unbatched else input
    size, kernel, dilation, padding, stride = (as_tuple(v, 2, "fold", what) for v, what in (
        (output_size, "output_size"), (kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"),
        (stride, "stride")))
    _check_window_arguments("fold", kernel, dilation, padding, stride)
    taps = math.prod(kernel)
    if columns.shape[1] % taps:
        raise ShapeError(f"fold: the input's axis 1 ({columns.shape[1]}, input {input.shape}) must be divisible by "
                         f"the product of kernel_size {kernel}")
    pairs, blocks = _block_padding(size, kernel, dilation, padding, stride)
    if min(blocks) < 1 or columns.shape[2] != math.prod(blocks):
        raise ShapeError(f"fold: output_size {size}, kernel_size {kernel}, dilation {dilation}, padding {padding} "
                         f"and stride {stride} give {' x '.join(map(str, blocks))} sliding blocks, but the input of "
                         f"shape {input.shape} has {columns.shape[2]}")
    out = Col2Im.apply(columns, size=size, kernel=kernel, stride=stride, dilation=dilation, padding=pairs)
    return out.squeeze(0) if unbatched else out


def _check_window_arguments(name, kernel, dilation, padding, stride):
    for values, what in ((kernel, "kernel_size"), (dilation, "dilation"), (stride, "stride")):
        check_positive(values, name, what)
    if min(padding) < 0:
        raise ShapeError(f"{name}: padding must not be negative, got {padding}")


def _block_padding(size, kernel, dilation, padding, stride):
    """The exact padding pairs and the number of sliding blocks per axis."""
    pairs, blocks = [], []
    for n, k, d, p, s in zip(size, kernel, dilation, padding, stride):
        count, pair = exact_padding(n, k, s, d, p, p)
        blocks.append(count)
        pairs.append(pair)
    return tuple(pairs), tuple(blocks)
