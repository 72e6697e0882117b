"""Losses fused into single nodes where that matters for speed or numerical stability.

Each takes `reduction` = 'mean' | 'sum' | 'none' and returns the gradient for both input and target
(NLLLoss's target is a constant option: class indices have no gradient).
"""
import numpy as np

from tinygrad_like.ops.dispatch import clamp_min, exp, log, raw, scatter_add, sigmoid, where
from tinygrad_like.tensor import Function, Tensor


def _reduce(loss, reduction):
    if reduction == "mean":
        return np.asarray(loss.sum() / loss.size)  # what ndarray.mean computes, without its Python overhead
    if reduction == "sum":
        return np.asarray(loss.sum())
    return loss


def _reduction_scale(grad, size, reduction):
    """The upstream gradient as a per-element factor of the unreduced loss: for a scalar loss a Python
    float (one cheap multiplication that keeps the loss's dtype), else the gradient array (or Tensor, in
    a recorded backward, where the upstream gradient may itself be differentiated)."""
    if reduction == "none" or isinstance(grad, Tensor):
        return grad / (size or 1) if reduction == "mean" else grad  # size 0: an empty gradient, any factor
    return float(grad) / (size or 1) if reduction == "mean" else float(grad)


def _log_sigmoid(x):
    """log(sigmoid(x)) without overflow, for arrays and (in a recorded backward) Tensors."""
    if isinstance(x, Tensor):
        from tinygrad_like.ops.activation import LogSigmoid
        return LogSigmoid.apply(x)
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


class MSELoss(Function):
    """(input - target)^2, reduced. One node instead of three: it ends most of the book's networks."""

    @staticmethod
    def forward(ctx, input, target, reduction="mean"):
        diff = input - target
        ctx.reduction = reduction
        # diff for the fast path; the inputs for a recorded backward, which must reach them through it
        ctx.save_for_backward(input, target, diff)
        if reduction == "none":
            return diff * diff
        squares = np.vdot(diff, diff)  # the sum of squares in one BLAS call, without a squared copy
        return np.asarray(squares / diff.size if reduction == "mean" else squares)

    @staticmethod
    def backward(ctx, grad):
        input, target, diff = ctx.saved_tensors
        if isinstance(input, Tensor):  # recorded: the difference of the tensors, not the saved constant
            diff = input - target
        grad_input = diff * (2 * _reduction_scale(grad, raw(diff).size, ctx.reduction))
        return grad_input, -grad_input if ctx.needs_input_grad[1] else None


class SmoothL1Loss(Function):
    """0.5 d^2 / beta where |d| < beta, else |d| - beta / 2, with d = input - target (beta > 0)."""

    @staticmethod
    def forward(ctx, input, target, beta=1.0, reduction="mean"):
        diff = input - target
        ctx.beta, ctx.reduction = beta, reduction
        ctx.save_for_backward(input, target, diff)
        absolute = np.abs(diff)
        return _reduce(np.where(absolute < beta, 0.5 * diff * diff / beta, absolute - 0.5 * beta), reduction)

    @staticmethod
    def backward(ctx, grad):
        input, target, diff = ctx.saved_tensors
        if isinstance(input, Tensor):
            diff = input - target
        d, beta = raw(diff), ctx.beta
        # PyTorch's slope: d / beta up to |d| = beta inclusive, the sign of d beyond
        grad_input = where(np.abs(d) <= beta, diff / beta, np.sign(d)) * _reduction_scale(grad, d.size, ctx.reduction)
        return grad_input, -grad_input if ctx.needs_input_grad[1] else None


class HuberLoss(Function):
    """0.5 d^2 where |d| < delta, else delta (|d| - delta / 2), with d = input - target (delta > 0)."""

    @staticmethod
    def forward(ctx, input, target, delta=1.0, reduction="mean"):
        diff = input - target
        ctx.delta, ctx.reduction = delta, reduction
        ctx.save_for_backward(input, target, diff)
        absolute = np.abs(diff)
        return _reduce(np.where(absolute < delta, 0.5 * diff * diff, delta * (absolute - 0.5 * delta)), reduction)

    @staticmethod
    def backward(ctx, grad):
        input, target, diff = ctx.saved_tensors
        if isinstance(input, Tensor):
            diff = input - target
        d, delta = raw(diff), ctx.delta
        slope = where(np.abs(d) <= delta, diff, delta * np.sign(d))  # PyTorch's: d up to |d| = delta inclusive
        grad_input = slope * _reduction_scale(grad, d.size, ctx.reduction)
        return grad_input, -grad_input if ctx.needs_input_grad[1] else None


class BCEWithLogitsLoss(Function):
    """Binary cross-entropy of sigmoid(x) against y, computed as max(x, 0) - x*y + log(1 + exp(-|x|)),
    which is finite for logits of any size (the naive log(sigmoid(x)) is -inf for x < -40 or so).

    `pos_weight` (broadcast against the target, one per class on the last axis) weighs the positive term:
    PyTorch's (1 - y) x - (1 + (pos_weight - 1) y) log sigmoid(x). `weight` multiplies each element's loss.
    Both are constants (PyTorch does not differentiate them either)."""

    @staticmethod
    def forward(ctx, logits, target, reduction="mean", weight=None, pos_weight=None):
        ctx.reduction, ctx.weight, ctx.pos_weight = reduction, weight, pos_weight
        ctx.save_for_backward(logits, target)
        softplus_of_minus_abs = np.log1p(np.exp(-np.abs(logits)))
        if pos_weight is None:
            loss = np.maximum(logits, 0) - logits * target + softplus_of_minus_abs
        else:
            log_weight = (pos_weight - 1) * target + 1
            loss = (1 - target) * logits - log_weight * (np.minimum(logits, 0) - softplus_of_minus_abs)
        return _reduce(loss if weight is None else loss * weight, reduction)

    @staticmethod
    def backward(ctx, grad):
        logits, target = ctx.saved_tensors
        scale = _reduction_scale(grad, raw(logits).size, ctx.reduction)
        if ctx.weight is not None:
            scale = scale * ctx.weight
        pos_weight = ctx.pos_weight
        if pos_weight is None:
            return ((sigmoid(logits) - target) * scale,
                    -logits * scale if ctx.needs_input_grad[1] else None)
        positive = pos_weight * target
        grad_logits = ((positive - target + 1) * sigmoid(logits) - positive) * scale
        grad_target = None
        if ctx.needs_input_grad[1]:  # log(1 - s) - pos_weight log(s), both as log-sigmoids
            grad_target = (_log_sigmoid(-logits) - pos_weight * _log_sigmoid(logits)) * scale
        return grad_logits, grad_target


def _clamped_log(x):
    """max(log x, -100), PyTorch's clamp. Clamping the log (not x at e^-100, a float64 scalar that promoted
    float32 losses to float64 and is subnormal in float32) keeps the dtype; log(0) = -inf is expected."""
    with np.errstate(divide="ignore"):
        return clamp_min(log(x), -100)


class BCELoss(Function):
    """Binary cross-entropy of probabilities, with PyTorch's clamps: each log term is at least -100
    and the gradient's denominator p(1-p) at least 1e-12, so saturated probabilities stay finite.
    `weight` (a constant, as in PyTorch) multiplies each element's loss."""

    @staticmethod
    def forward(ctx, probabilities, target, reduction="mean", weight=None):
        log_p = _clamped_log(probabilities)
        log_not_p = _clamped_log(1 - probabilities)
        ctx.reduction, ctx.weight = reduction, weight
        ctx.save_for_backward(probabilities, target)
        loss = -(target * log_p + (1 - target) * log_not_p)
        return _reduce(loss if weight is None else loss * weight, reduction)

    @staticmethod
    def backward(ctx, grad):
        p, target = ctx.saved_tensors
        scale = _reduction_scale(grad, raw(p).size, ctx.reduction)
        if ctx.weight is not None:
            scale = scale * ctx.weight
        grad_p = scale * (p - target) / clamp_min(p * (1 - p), 1e-12)
        grad_target = scale * (_clamped_log(1 - p) - _clamped_log(p)) if ctx.needs_input_grad[1] else None
        return grad_p, grad_target


class NLLLoss(Function):
    """-input[target] for each sample, picked on the class axis (1; 0 for one unbatched sample of shape
    (C,)) and weighed by weight[target]; entries marked `ignored` count for nothing. 'mean' divides by
    the total weight of the counted entries (their number without a weight), so all ignored gives nan.

    `target` (integer class indices, already checked), `weight` (C,) and `ignored` are constants."""

    @staticmethod
    def forward(ctx, input, target, weight=None, ignored=None, reduction="mean"):
        if ignored is not None:
            target = np.where(ignored, 0, target)  # any valid class: the picked value is discarded
        if input.ndim == 2:
            index = (np.arange(target.shape[0]), target)
        elif input.ndim == 1:
            index = (target,)
        else:  # (N, C, d1, ...): the sample and position grids around the class indices
            grid = np.ogrid[tuple(slice(n) for n in target.shape)]
            index = (grid[0], target, *grid[1:])
        picked = input[index]
        ctx.index, ctx.input_shape, ctx.target_shape, ctx.dtype = index, input.shape, target.shape, input.dtype
        if weight is None and ignored is None:  # the common case: a Python float as the backward's factor
            count = np.size(picked)
            ctx.scale = -1.0 / count if reduction == "mean" and count else -1.0
            if reduction == "none":
                return -picked
            total = picked.sum()
            if reduction == "sum":
                return np.asarray(-total)
            return np.asarray(-total / count) if count else np.full((), np.nan, input.dtype)  # an empty batch
        weights = np.ones(target.shape, input.dtype) if weight is None else weight[target]
        if ignored is not None:
            weights = np.where(ignored, 0, weights)
        with np.errstate(invalid="ignore"):  # -inf * 0 at an ignored entry, replaced below
            losses = -picked * weights
        if ignored is not None:
            losses = np.where(ignored, 0, losses)
        if reduction == "none":
            ctx.scale = -weights
            return losses
        if reduction == "sum":
            ctx.scale = -weights
            return np.asarray(losses.sum())
        total = weights.sum()
        with np.errstate(divide="ignore", invalid="ignore"):  # no counted weight: nan, as in PyTorch
            ctx.scale = -weights / total
            if ignored is not None:
                ctx.scale = np.where(ignored, 0, ctx.scale)  # ignored entries get no gradient, never nan
            return np.asarray(losses.sum() / total)

    @staticmethod
    def backward(ctx, grad):
        values = grad * ctx.scale
        if isinstance(values, Tensor):  # recorded: a differentiable scatter (its backward picks again)
            if values.shape != ctx.target_shape:  # a reduced loss's scalar factor, one per sample
                values = values.expand(ctx.target_shape)
            return scatter_add(ctx.input_shape, ctx.dtype, ctx.index, values)
        out = np.zeros(ctx.input_shape, ctx.dtype)
        out[ctx.index] = values  # each sample picks one position: plain assignment is the scatter-add
        return out


class CrossEntropyLoss(Function):
    """-log_softmax(input)[target] in one node, for logits (N, C) or one sample (C,) against class indices
    `target` (a constant option, already checked) without weight, ignored entries or label smoothing
    (those take LogSoftmax and NLLLoss). The arithmetic is those two ops', so the values and gradients
    are theirs bit for bit; one node instead of two, and no scattered (N, C) gradient between them."""

    @staticmethod
    def forward(ctx, input, target, reduction="mean"):
        axis = 0 if input.ndim == 1 else 1
        shifted = input - np.maximum.reduce(input, axis=axis, keepdims=True)
        log_probabilities = shifted - np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True))
        index = (np.arange(target.shape[0]), target) if input.ndim == 2 else (target,)
        ctx.index, ctx.axis, ctx.reduction, ctx.target_shape = index, axis, reduction, target.shape
        ctx.save_for_backward(input, log_probabilities)
        picked = log_probabilities[index]
        count = np.size(picked)
        ctx.scale = -1.0 / count if reduction == "mean" and count else -1.0  # NLLLoss's factor
        if reduction == "none":
            return -picked
        if reduction == "sum":
            return np.asarray(-picked.sum())
        return np.asarray(-picked.sum() / count) if count else np.full((), np.nan, input.dtype)  # an empty batch

    @staticmethod
    def backward(ctx, grad):
        input, log_probabilities = ctx.saved_tensors
        values = grad * ctx.scale  # NLLLoss's gradient at the picked entries, per sample
        if isinstance(grad, Tensor):  # recorded: LogSoftmax's and NLLLoss's backward as Tensor ops
            if values.shape != ctx.target_shape:
                values = values.expand(ctx.target_shape)
            picked = scatter_add(input.shape, input.dtype, ctx.index, values)
            return picked - exp(input.log_softmax(ctx.axis)) * picked.sum(axis=ctx.axis, keepdims=True)
        # reduction 'none' gives one factor per sample, which multiplies its row
        column = np.expand_dims(values, ctx.axis) if isinstance(values, np.ndarray) and values.ndim else values
        grad_input = np.exp(log_probabilities) * -column  # LogSoftmax's backward, -(e * v), off the picked entries
        grad_input[ctx.index] += values  # and v - e * v at them
        return grad_input


class KLDivLoss(Function):
    """target * (log target - input) pointwise, 0 where target is 0 (PyTorch's xlogy(target, target)),
    or exp(target) * (target - input) with log_target=True. 'batchmean' divides the sum by the batch
    size input.shape[0]."""

    @staticmethod
    def forward(ctx, input, target, log_target=False, reduction="mean"):
        ctx.log_target, ctx.reduction, ctx.shape = log_target, reduction, input.shape
        ctx.save_for_backward(input if ctx.needs_input_grad[1] else None, target)  # input: the target's gradient
        if log_target:
            loss = np.exp(target) * (target - input)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):  # log 0 is discarded; log of t < 0 is nan
                loss = np.where(target == 0, 0, target * np.log(target)) - target * input
        if reduction == "batchmean":
            return np.asarray(loss.sum() / (input.shape[0] if input.ndim else 1))
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved_tensors
        shape = ctx.shape
        if ctx.reduction == "batchmean":
            scale = _reduction_scale(grad, shape[0] if shape else 1, "mean")
        else:
            scale = _reduction_scale(grad, int(np.prod(shape)), ctx.reduction)
        if ctx.log_target:
            probabilities = exp(target)
            return (-probabilities * scale if ctx.needs_input_grad[0] else None,
                    probabilities * (target - input + 1) * scale if ctx.needs_input_grad[1] else None)
        grad_target = None
        if ctx.needs_input_grad[1]:
            # xlogy's: log t + t / t - input, which is nan at t = 0 (PyTorch's gradient there)
            nonzero = raw(target) != 0
            with np.errstate(invalid="ignore"):
                grad_target = where(nonzero, log(where(nonzero, target, 1.0)) + 1 - input, float("nan")) * scale
        return -target * scale if ctx.needs_input_grad[0] else None, grad_target
