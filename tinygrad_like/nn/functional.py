"""Functional forms of the layers and losses (PyTorch's torch.nn.functional names and semantics)."""
import numpy as np

from tinygrad_like import ops
from tinygrad_like.tensor import ShapeError, Tensor

_REDUCTIONS = ("mean", "sum", "none")


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _check_reduction(name, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(name, loss, reduction):
    _check_reduction(name, reduction)
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


# ---- layers ---------------------------------------------------------------------------------------
def linear(input, weight, bias=None):
    """input @ weight.T + bias, with weight of shape (out_features, in_features)."""
    input = _tensor(input)
    data, weight_data = input._data, weight._data
    if data.ndim == 0 or data.shape[-1] != weight_data.shape[-1]:
        raise ShapeError(f"linear: input of shape {input.shape} does not fit a weight of shape {weight.shape} "
                         f"(out_features, in_features): its last axis must have size {weight.shape[-1]}")
    if data.dtype is not weight_data.dtype and data.dtype != weight_data.dtype:  # identity first: == is slow
        raise TypeError(f"linear: input is {input.dtype} but the weight is {weight.dtype}; convert the input "
                        "(x.float() / x.double()) or the model (model.float() / model.double())")
    return ops.Linear.apply(input, weight) if bias is None else ops.Linear.apply(input, weight, bias)


def relu(input, inplace=False):
    return input.relu_() if inplace else input.relu()


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def softmax(input, dim=-1):
    return input.softmax(dim)


def log_softmax(input, dim=-1):
    return input.log_softmax(dim)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout); with
    inplace=True the result is written into `input`, which is returned (PyTorch's rules for in-place ops)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0:
        return input
    if input._data.dtype.kind != "f":
        raise TypeError(f"dropout: the input must be floating point, got {input.dtype}; convert it with "
                        ".float() or .double()")
    if inplace:
        return input._inplace("dropout_", lambda x: ops.Dropout.apply(x, p=p))
    return ops.Dropout.apply(input, p=p)


def _check_indices(name, indices, size):
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be integers, got {indices.dtype}")
    if indices.size and (indices.min() < 0 or indices.max() >= size):
        raise IndexError(f"{name}: indices must lie in [0, {size}), got values from {indices.min()} to "
                         f"{indices.max()}")


def embedding(indices, weight):
    """Rows of `weight` picked by integer `indices` (gradients of repeated indices add up)."""
    index = np.asarray(indices._data if isinstance(indices, Tensor) else indices)
    _check_indices("embedding", index, weight.shape[0])
    return weight[index]


def flatten(input, start_dim=1, end_dim=-1):
    return input.flatten(start_dim, end_dim)


# ---- losses ---------------------------------------------------------------------------------------
def _loss_operands(name, input, target):
    """Input and target as tensors of one dtype and the same shape (no silent broadcasting)."""
    input, target = _tensor(input), _tensor(target)
    if input._data.shape != target._data.shape:
        raise ShapeError(f"{name}: input has shape {input.shape} but target has shape {target.shape}; they must "
                         "match (broadcasting them silently is a classic bug); reshape one of them")
    return input, target if target._data.dtype is input._data.dtype else target.astype(input.dtype)


def mse_loss(input, target, reduction="mean"):
    input, target = _loss_operands("mse_loss", input, target)
    _check_reduction("mse_loss", reduction)
    return ops.MSELoss.apply(input, target, reduction=reduction)


def l1_loss(input, target, reduction="mean"):
    input, target = _loss_operands("l1_loss", input, target)
    return _reduce("l1_loss", (input - target).abs(), reduction)


def _check_unit_interval(name, what, tensor):
    data = tensor._data
    if data.size and not (data.min() >= 0 and data.max() <= 1):
        raise ValueError(f"{name}: {what} must lie in [0, 1], got values from {data.min()} to {data.max()}"
                         + ("; for unnormalised scores use binary_cross_entropy_with_logits" if what == "input" else ""))


def binary_cross_entropy(input, target, reduction="mean"):
    """Cross-entropy between probabilities `input` and targets in [0, 1]."""
    input, target = _loss_operands("binary_cross_entropy", input, target)
    _check_unit_interval("binary_cross_entropy", "input", input)
    _check_unit_interval("binary_cross_entropy", "target", target)
    _check_reduction("binary_cross_entropy", reduction)
    return ops.BCELoss.apply(input, target, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    """binary_cross_entropy(sigmoid(input), target), stable for logits of any size."""
    input, target = _loss_operands("binary_cross_entropy_with_logits", input, target)
    _check_unit_interval("binary_cross_entropy_with_logits", "target", target)
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    return ops.BCEWithLogitsLoss.apply(input, target, reduction=reduction)


def nll_loss(input, target, reduction="mean"):
    """Negative log-likelihood of class indices `target` (N,) under log-probabilities `input` (N, C)."""
    input = _tensor(input)
    index = np.asarray(target._data if isinstance(target, Tensor) else target)
    if input.ndim not in (1, 2) or index.shape != input.shape[:-1]:
        raise ShapeError(f"nll_loss: expected input (N, C) with target (N,) or input (C,) with a 0-d target; "
                         f"got input {input.shape} and target {index.shape}")
    _check_indices("nll_loss (class index)", index, input.shape[-1])
    picked = input[np.arange(index.shape[0]), index] if input.ndim == 2 else input[index]
    return _reduce("nll_loss", -picked, reduction)


def cross_entropy(input, target, reduction="mean"):
    """Cross-entropy of unnormalised logits `input` (N, C) or (C,) against class indices (N,) / () or
    class probabilities of the input's shape; the log-softmax is computed stably."""
    input = _tensor(input)
    if input.ndim not in (1, 2):
        # PyTorch reads (N, C, d1, ...) with the classes on axis 1; the softmax over the last axis below
        # would silently normalise over the wrong axis for probability targets, so refuse it
        raise ShapeError(f"cross_entropy: expected input (N, C) or (C,), got {input.shape}; for (N, C, d) "
                         "inputs move the class axis last and flatten to (N * d, C)")
    log_probabilities = input.log_softmax(-1)
    target_array = target._data if isinstance(target, Tensor) else np.asarray(target)
    if target_array.dtype.kind == "f":
        _, target = _loss_operands("cross_entropy", input, target)
        return _reduce("cross_entropy", -(target * log_probabilities).sum(-1), reduction)
    return nll_loss(log_probabilities, target_array, reduction)


# ---- activations ----------------------------------------------------------------------------------
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _activation(name, input, inplace, compute):
    """compute(input) as a new tensor, or written into `input` (returned) with inplace=True."""
    input = _tensor(input)
    if input._data.dtype.kind != "f":
        raise TypeError(f"{name}: the input must be floating point, got {input.dtype}; convert it with "
                        ".float() or .double()")
    return input._inplace(name + "_", compute) if inplace else compute(input)


def gelu(input, approximate="none"):
    """x * Phi(x) with Phi the standard normal CDF; approximate='tanh' uses the tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _activation("gelu", input, False, lambda x: ops.Gelu.apply(x, approximate=approximate))


def silu(input, inplace=False):
    """x * sigmoid(x)."""
    return _activation("silu", input, inplace, ops.Silu.apply)


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, else alpha * (exp(x) - 1)."""
    return _activation("elu", input, inplace, lambda x: ops.Elu.apply(x, alpha=alpha))


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalising constants."""
    return _activation("selu", input, inplace, lambda x: ops.Elu.apply(x, alpha=_SELU_ALPHA, scale=_SELU_SCALE))


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0")
    return _activation("celu", input, inplace, lambda x: ops.Elu.apply(x, alpha=alpha, input_scale=1 / alpha))


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    return _activation("softplus", input, False, lambda x: ops.Softplus.apply(x, beta=beta, threshold=threshold))


def softsign(input):
    """x / (1 + |x|)."""
    input = _tensor(input)
    return input / (input.abs() + 1)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, else negative_slope * x (the gradient at 0 is negative_slope)."""
    from tinygrad_like.tensor import where
    return _activation("leaky_relu", input, inplace, lambda x: where(x._data > 0, x, x * negative_slope))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clip(x, min_val, max_val), with gradient 0 at the bounds."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    return _activation("hardtanh", input, inplace, lambda x: ops.Hardtanh.apply(x, min_val=min_val, max_val=max_val))


def relu6(input, inplace=False):
    """clip(x, 0, 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input, inplace=False):
    """clip(x / 6 + 1/2, 0, 1)."""
    return _activation("hardsigmoid", input, inplace, ops.Hardsigmoid.apply)


def hardswish(input, inplace=False):
    """x * hardsigmoid(x)."""
    return _activation("hardswish", input, inplace, ops.Hardswish.apply)


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return _activation("mish", input, inplace, ops.Mish.apply)


def logsigmoid(input):
    """log(sigmoid(x)), stable for large |x|."""
    return _activation("logsigmoid", input, False, ops.LogSigmoid.apply)


def prelu(input, weight):
    """x for x > 0, else weight * x, with one weight per channel (axis 1) or a single one."""
    return _tensor(input).prelu(weight)
