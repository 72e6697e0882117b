"""Padding of the trailing axes: constant (a negative count crops), reflect, replicate and circular.

Padding is linear, so its backward is its adjoint (PadAdjoint) and the adjoint's backward is padding
again: second derivatives come for free. Widths are `pairs`, one (before, after) per padded axis in
axis order (F.pad's tuple, last axis first, is turned around by the caller).
"""
import numpy as np

from tinygrad_like.tensor import Function, Tensor

MODES = ("constant", "reflect", "replicate", "circular")


def constant_pad(x, pairs, value=0):
    """x with `before` and `after` elements of `value` around each of its last len(pairs) axes; negative
    counts crop. Returns x itself, or a view of it, when nothing is added (convolutions read it, never
    write it)."""
    lead = x.ndim - len(pairs)
    if any(lo < 0 or hi < 0 for lo, hi in pairs):
        x = x[(Ellipsis,) + tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(pairs, x.shape[lead:]))]
    if all(lo <= 0 and hi <= 0 for lo, hi in pairs):
        return x
    shape = x.shape[:lead] + tuple(n + max(lo, 0) + max(hi, 0) for (lo, hi), n in zip(pairs, x.shape[lead:]))
    out = np.zeros(shape, x.dtype) if value == 0 else np.full(shape, value, x.dtype)
    out[(Ellipsis,) + tuple(slice(max(lo, 0), max(lo, 0) + n) for (lo, _), n in zip(pairs, x.shape[lead:]))] = x
    return out


def source_indices(n, lo, hi, mode):
    """The input position each output position copies along an axis of length n (non-constant modes)."""
    if mode == "circular":  # PyTorch crops first, then wraps around what is left
        start, stop = max(-lo, 0), n - max(-hi, 0)
        return start + np.arange(-max(lo, 0), stop - start + max(hi, 0)) % (stop - start)
    positions = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(positions, 0, n - 1)
    return (n - 1) - np.abs((n - 1) - np.abs(positions))  # reflect: mirrored at 0 and n - 1, edges not repeated


def _gather_adjoint(grad, index, n, axis):
    """The adjoint of np.take(x, index, axis) for x of length n along axis: each gradient slice added
    back into the position it was taken from (sorted, then summed with reduceat: no np.add.at)."""
    shape = grad.shape[:axis] + (n,) + grad.shape[axis + 1:]
    if index.size == 0:
        return np.zeros(shape, grad.dtype)
    order = np.argsort(index, kind="stable")
    ordered = index[order]
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    sums = np.add.reduceat(np.take(grad, order, axis), starts, axis)
    if len(starts) == n:  # every position was copied at least once: sums is the whole result
        return sums
    out = np.zeros(shape, grad.dtype)
    out[(slice(None),) * axis + (ordered[starts],)] = sums
    return out


def _pad_array(x, pairs, mode, value):
    if mode == "constant":
        return constant_pad(x, pairs, value)
    lead = x.ndim - len(pairs)
    for axis, (lo, hi) in enumerate(pairs, lead):
        if lo or hi:
            x = np.take(x, source_indices(x.shape[axis], lo, hi, mode), axis)
    return x


def _adjoint_array(grad, pairs, mode, shape):
    if mode == "constant":
        return constant_pad(grad, [(-lo, -hi) for lo, hi in pairs])
    lead = len(shape) - len(pairs)
    for axis, (lo, hi) in enumerate(pairs, lead):
        if lo or hi:
            grad = _gather_adjoint(grad, source_indices(shape[axis], lo, hi, mode), shape[axis], axis)
    return grad


def pad(x, pairs, mode="constant", value=0):
    """Padding of an array, or of a Tensor as a graph op (for the recorded backward of PadAdjoint)."""
    if isinstance(x, Tensor):
        return Pad.apply(x, pairs=pairs, mode=mode, value=value)
    return _pad_array(x, pairs, mode, value)


def pad_adjoint(grad, pairs, mode, shape):
    """Pad's gradient with respect to its input of `shape`: an array, or a Tensor as a graph op."""
    if isinstance(grad, Tensor):
        return PadAdjoint.apply(grad, pairs=pairs, mode=mode, shape=shape)
    return _adjoint_array(grad, pairs, mode, shape)


class Pad(Function):
    @staticmethod
    def forward(ctx, x, pairs, mode="constant", value=0):
        ctx.pairs, ctx.mode, ctx.shape = pairs, mode, x.shape
        out = _pad_array(x, pairs, mode, value)
        return out.copy() if out is x or out.base is not None else out  # a crop is a view: the output owns its memory

    @staticmethod
    def backward(ctx, grad):
        return pad_adjoint(grad, ctx.pairs, ctx.mode, ctx.shape)


class PadAdjoint(Function):
    """Pad's backward as an op, so that a recorded backward can be differentiated again."""

    @staticmethod
    def forward(ctx, grad, pairs, mode, shape):
        ctx.pairs, ctx.mode = pairs, mode
        out = _adjoint_array(grad, pairs, mode, shape)
        return out.copy() if out is grad or out.base is not None else out

    @staticmethod
    def backward(ctx, grad):
        return pad(grad, ctx.pairs, ctx.mode)


def pad_input(input, pad_widths, mode="constant", value=None):
    """F.pad: checks PyTorch's rules, then pads `input` (a Tensor)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): input must be a Tensor, got {type(input).__name__}")
    pad_widths = tuple(pad_widths)
    if not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in pad_widths):
        raise TypeError(f"pad(): pad must be a tuple of ints, got {pad_widths}")
    if len(pad_widths) % 2:
        raise ValueError(f"pad(): the pad tuple has {len(pad_widths)} entries; it needs a (before, after) pair per "
                         "padded axis, last axis first")
    if len(pad_widths) > 2 * input.ndim:
        raise ValueError(f"pad(): {len(pad_widths)} pad entries pad {len(pad_widths) // 2} axes, but the input of "
                         f"shape {input.shape} has only {input.ndim}")
    if mode not in MODES:
        raise NotImplementedError(f"pad(): unrecognised padding mode {mode!r}; use one of {MODES}")
    pairs = tuple((int(pad_widths[i]), int(pad_widths[i + 1])) for i in range(len(pad_widths) - 2, -1, -2))
    spatial = input.shape[input.ndim - len(pairs):]
    sizes = [n + lo + hi for (lo, hi), n in zip(pairs, spatial)]
    kept = [n - max(-lo, 0) - max(-hi, 0) for (lo, hi), n in zip(pairs, spatial)]  # what the crops leave
    if min(sizes, default=0) < 0 or mode in ("constant", "circular") and min(kept, default=0) < 0:
        raise ValueError(f"pad(): pad {pad_widths} crops more than the input of shape {input.shape} has "
                         f"(the result would have sizes {sizes})")
    if mode == "constant":
        return Pad.apply(input, pairs=pairs, mode=mode, value=0 if value is None else value)
    if value is not None and value != 0:
        raise ValueError(f"pad(): mode {mode!r} takes no value (got value={value}); values come from the input")
    if not 1 <= len(pairs) <= 3 or input.ndim not in (len(pairs) + 1, len(pairs) + 2):
        raise NotImplementedError(
            f"pad(): mode {mode!r} pads the last 1, 2 or 3 axes of an input with one or two more axes (channels, "
            f"and optionally a batch); got {len(pad_widths)} pad entries for an input of shape {input.shape}")
    if 0 in input.shape[1:]:
        raise ValueError(f"pad(): mode {mode!r} needs non-empty non-batch axes, got an input of shape {input.shape}")
    for (lo, hi), n in zip(pairs, spatial):
        if mode == "reflect" and max(lo, hi) >= n:
            raise ValueError(f"pad(): reflect padding must be smaller than the padded axis, got pad {pad_widths} "
                             f"for an input of shape {input.shape}; use mode='replicate' or 'circular' for more")
        kept = n - max(-lo, 0) - max(-hi, 0)  # circular wraps around what the negative pads leave
        if mode == "circular" and max(lo, hi) > kept:
            raise ValueError(f"pad(): circular padding of ({lo}, {hi}) would wrap around an axis of size {kept} more "
                             f"than once (input {input.shape}, pad {pad_widths})")
    return Pad.apply(input, pairs=pairs, mode=mode)
