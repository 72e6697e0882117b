"""Losses fused into single nodes where that matters for speed or numerical stability.

Each takes `reduction` = 'mean' | 'sum' | 'none' and returns the gradient for both input and target.
"""
import numpy as np

from tinygrad_like.ops.dispatch import clamp_min, log, raw, sigmoid
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
        return grad / size if reduction == "mean" else grad
    return float(grad) / size if reduction == "mean" else float(grad)


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


class BCEWithLogitsLoss(Function):
    """Binary cross-entropy of sigmoid(x) against y, computed as max(x, 0) - x*y + log(1 + exp(-|x|)),
    which is finite for logits of any size (the naive log(sigmoid(x)) is -inf for x < -40 or so)."""

    @staticmethod
    def forward(ctx, logits, target, reduction="mean"):
        ctx.reduction = reduction
        ctx.save_for_backward(logits, target)
        loss = np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits)))
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        logits, target = ctx.saved_tensors
        scale = _reduction_scale(grad, raw(logits).size, ctx.reduction)
        probabilities = sigmoid(logits)
        return ((probabilities - target) * scale,
                -logits * scale if ctx.needs_input_grad[1] else None)


def _clamped_log(x):
    """max(log x, -100), PyTorch's clamp. Clamping the log (not x at e^-100, a float64 scalar that promoted
    float32 losses to float64 and is subnormal in float32) keeps the dtype; log(0) = -inf is expected."""
    with np.errstate(divide="ignore"):
        return clamp_min(log(x), -100)


class BCELoss(Function):
    """Binary cross-entropy of probabilities, with PyTorch's clamps: each log term is at least -100
    and the gradient's denominator p(1-p) at least 1e-12, so saturated probabilities stay finite."""

    @staticmethod
    def forward(ctx, probabilities, target, reduction="mean"):
        log_p = _clamped_log(probabilities)
        log_not_p = _clamped_log(1 - probabilities)
        ctx.reduction = reduction
        ctx.save_for_backward(probabilities, target)
        return _reduce(-(target * log_p + (1 - target) * log_not_p), reduction)

    @staticmethod
    def backward(ctx, grad):
        p, target = ctx.saved_tensors
        scale = _reduction_scale(grad, raw(p).size, ctx.reduction)
        grad_p = scale * (p - target) / clamp_min(p * (1 - p), 1e-12)
        grad_target = scale * (_clamped_log(1 - p) - _clamped_log(p)) if ctx.needs_input_grad[1] else None
        return grad_p, grad_target
