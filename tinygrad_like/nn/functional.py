"""Functional forms of the layers and losses (PyTorch's torch.nn.functional names and semantics)."""
import math
import warnings

import numpy as np

from tinygrad_like import ops
from tinygrad_like.engine import mark_modified
from tinygrad_like.random import dropout_mask
from tinygrad_like.tensor import ShapeError, Tensor, cat

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
    if not isinstance(input, Tensor):
        input = Tensor(input)
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


# ---- embeddings (the lookup primitive: ops/embedding.py) -------------------------------------------
def _check_indices(name, indices, size):
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be integers, got {indices.dtype}")
    if not indices.size:
        return
    low, high = _index_range(indices)
    if low < 0 or high >= size:
        raise IndexError(f"{name}: indices must lie in [0, {size}), got values from {low} to {high}")


def _index_range(indices):
    """The smallest and largest of a non-empty integer array."""
    if indices.size <= 64:  # a sentence's indices: Python's min and max of a short list beat two numpy reductions
        values = indices.ravel().tolist()
        return min(values), max(values)
    return indices.min(), indices.max()


def _table(name, weight):
    weight = _tensor(weight)
    if weight.ndim != 2:
        raise ShapeError(f"{name}: 'weight' must be 2-D (num_embeddings, embedding_dim), got shape {tuple(weight.shape)}")
    return weight


def _padding_index(name, padding_idx, size):
    """padding_idx in [0, size) (a negative one counts from the end, as in PyTorch), or None."""
    if padding_idx is None:
        return None
    if not -size <= padding_idx < size:
        raise ValueError(f"{name}: padding_idx must be within num_embeddings ({-size} to {size - 1}), got {padding_idx}")
    return int(padding_idx) % size


def _check_sparse(name, sparse):
    if sparse:
        raise NotImplementedError(f"{name}: sparse=True (sparse gradients) is not supported; the weight's gradient is "
                                  "a dense table: use sparse=False")


def _renorm(weight, index, max_norm, norm_type):
    """PyTorch's embedding_renorm_: each row looked up whose norm_type-norm exceeds max_norm is scaled in place
    by max_norm / (norm + 1e-7), outside the graph (a graph that saved the weight before cannot differentiate)."""
    data = weight._data
    rows = np.unique(index)
    norms = np.linalg.norm(data[rows], ord=norm_type, axis=1)
    over = norms > max_norm
    if over.any():
        rows = rows[over]
        data[rows] *= (max_norm / (norms[over] + 1e-7)).astype(data.dtype)[:, None]
        mark_modified(data)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """Rows of `weight` (num_embeddings, embedding_dim) picked by the integer `input` (any shape): shape
    input.shape + (embedding_dim,). Gradients of repeated indices add up; row `padding_idx` gets none.
    `max_norm`: the rows looked up whose `norm_type`-norm exceeds it are first rescaled to it, in place and
    without gradient, as in PyTorch. `scale_grad_by_freq`: each row's gradient is divided by how often its
    index occurs in `input`. Sparse gradients (`sparse=True`) are not supported."""
    index = np.asarray(input._data if isinstance(input, Tensor) else input)
    weight = _table("embedding", weight)
    _check_indices("embedding", index, weight.shape[0])
    padding_idx = _padding_index("embedding", padding_idx, weight.shape[0])
    _check_sparse("embedding", sparse)
    if max_norm is not None:
        _renorm(weight, index, max_norm, norm_type)
    return ops.Embedding.apply(weight, indices=index, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)


def _bags(input, offsets, include_last_offset):
    """(indices (N,), start of each bag) from a 2-D input (one bag per row) or a 1-D input and offsets."""
    index = np.asarray(input._data if isinstance(input, Tensor) else input)
    if index.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: if input is 2D, then offsets has to be None, as input is treated is a "
                             "mini-batch of fixed length sequences. However, found offsets of type "
                             f"{type(offsets).__name__}")
        return index.reshape(-1), np.arange(index.shape[0]) * index.shape[1]
    if index.ndim != 1:
        raise ValueError(f"embedding_bag: input has to be 1D or 2D Tensor, but got Tensor of dimension {index.ndim}")
    if offsets is None:
        raise ValueError("embedding_bag: offsets has to be a 1D Tensor but got None")
    offsets = np.asarray(offsets._data if isinstance(offsets, Tensor) else offsets)
    if offsets.ndim != 1 or (offsets.size and offsets.dtype.kind not in "iu"):
        raise ValueError(f"embedding_bag: offsets has to be a 1D Tensor of integers, got shape {offsets.shape} "
                         f"({offsets.dtype})")
    if offsets.size and offsets[0] != 0:
        raise ShapeError("embedding_bag: offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to "
                         f"start from position 0. However, got {offsets[0]}")
    if offsets.size and offsets[-1] > index.size:
        raise ShapeError(f"embedding_bag: offsets[-1] can not be greater than input's length {index.size} but got "
                         f"offsets[-1] of {offsets[-1]}")
    if np.any(np.diff(offsets) < 0):
        raise ShapeError(f"embedding_bag: offsets must be non-decreasing (each bag starts where the last ends), got "
                         f"{offsets.tolist()}")
    # As PyTorch's CPU kernel: with include_last_offset the last offset is not read; the last bag ends at N.
    return index, (offsets[:-1] if include_last_offset else offsets).astype(np.int64)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """The sum, mean or max of the embeddings of each bag of indices, without the (bags, length, D) lookup:
    `input` 2-D (B, N) (each row a bag) or 1-D with `offsets`, the start of each bag (with
    include_last_offset, offsets has one more element, the end). Empty bags give zeros; entries equal to
    `padding_idx` are left out (not counted in the mean). `per_sample_weights` (input's shape, mode "sum")
    scales each looked-up row. max: per dimension the largest value, the gradient going to the first
    entry that has it. max_norm, norm_type, scale_grad_by_freq as in `embedding`. Returns (B, D)."""
    weight = _table("embedding_bag", weight)
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"embedding_bag: mode has to be one of sum, mean or max, got {mode!r}")
    index, starts = _bags(input, offsets, include_last_offset)
    _check_indices("embedding_bag", index, weight.shape[0])
    padding_idx = _padding_index("embedding_bag", padding_idx, weight.shape[0])
    _check_sparse("embedding_bag", sparse)
    if per_sample_weights is not None:
        per_sample_weights = _tensor(per_sample_weights)
        if tuple(per_sample_weights.shape) != np.shape(input._data if isinstance(input, Tensor) else input):
            raise ValueError(f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is not None, "
                             f"then it must have the same shape as the input ({np.shape(_array_of(input))})")
        if mode != "sum":
            raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                      f"supported for mode='sum' (got mode='{mode}')")
        if per_sample_weights.dtype != weight.dtype:
            raise TypeError(f"embedding_bag: per_sample_weights is {per_sample_weights.dtype} but the weight is "
                            f"{weight.dtype}; convert one of them")
    if scale_grad_by_freq and mode == "max":
        raise ValueError("embedding_bag: max mode does not support scaling the gradient by the frequency")
    if max_norm is not None:
        _renorm(weight, index, max_norm, norm_type)
    lengths = np.diff(np.append(starts, index.size))
    bag_of = np.repeat(np.arange(starts.size), lengths)
    keep = None if padding_idx is None else index != padding_idx
    if keep is not None:
        index, bag_of = index[keep], bag_of[keep]
    counts = np.bincount(bag_of, minlength=starts.size)
    if mode == "max":
        return _bag_max(weight, index, bag_of, counts)
    rows = ops.Embedding.apply(weight, indices=index, scale_grad_by_freq=scale_grad_by_freq)
    if per_sample_weights is not None:
        sample_weights = per_sample_weights.reshape(-1)
        rows = rows * (sample_weights if keep is None else sample_weights[keep]).reshape(-1, 1)
    out = ops.SegmentSum.apply(rows, repeats=counts, axis=0)
    if mode == "mean":
        out = out / np.maximum(counts, 1).astype(weight.dtype).reshape(-1, 1)
    return out


def _array_of(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _bag_max(weight, index, bag_of, counts):
    """Per bag and dimension the largest of its rows' values: weight[best[b, d], d], best the first entry of
    bag b holding the maximum (as PyTorch picks it); 0 for an empty bag."""
    bags, dim = counts.size, weight.shape[1]
    position = np.arange(index.size) - (np.cumsum(counts) - counts)[bag_of]  # the entry's place in its bag
    slots = np.full((bags, max(int(counts.max(initial=0)), 1)), -1, np.int64)
    slots[bag_of, position] = index
    values = weight._data[np.maximum(slots, 0)]
    values[slots < 0] = -np.inf
    best = np.take_along_axis(slots, values.argmax(axis=1), axis=1)
    nonempty = (counts > 0).reshape(-1, 1)
    out = weight[np.where(nonempty, best, 0), np.arange(dim).reshape(1, -1)]
    return out if nonempty.all() else out.where(nonempty, 0)


def flatten(input, start_dim=1, end_dim=-1):
    return input.flatten(start_dim, end_dim)


# ---- normalization (one primitive, ops.Normalize, over the axes each layer reduces) ---------------
def _floating_input(name, input):
    input = _tensor(input)
    if input._data.dtype.kind != "f":
        raise TypeError(f"{name}: the input must be floating point, got {input.dtype}; convert it with "
                        ".float() or .double()")
    return input


def _check_like(name, input, shape, what, **tensors):
    """Each given tensor (weight, bias, running statistics) must have `shape` (`what` says why) and the
    input's dtype."""
    for key, tensor in tensors.items():
        if tensor is None:
            continue
        if tuple(tensor.shape) != tuple(shape):
            raise ShapeError(f"{name}: {key} has shape {tuple(tensor.shape)} but should have shape {tuple(shape)} "
                             f"({what}; input of shape {tuple(input.shape)})")
        if tensor.dtype != input.dtype:
            raise TypeError(f"{name}: the input is {input.dtype} but {key} is {tensor.dtype}; convert the input or "
                            "the module (.float() / .double())")


def _check_channels(name, input, **tensors):
    if input.ndim < 2:
        raise ShapeError(f"{name}: expected an input of shape (N, C, *) with at least 2 axes, got shape "
                         f"{tuple(input.shape)}")
    _check_like(name, input, input.shape[1:2], "one value per channel, axis 1 of the input", **tensors)


def _verify_batch_size(size):
    if math.prod(size[:1]) * math.prod(size[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {list(size)}")


def _channel_view(tensor, input):
    """A per-channel vector (C,) shaped to broadcast along axis 1 of an input (N, C, *)."""
    return tensor.reshape((-1,) + (1,) * (input.ndim - 2))


def _affine(out, weight, bias, view=lambda t: t):
    out = out if weight is None else out * view(weight)
    return out if bias is None else out + view(bias)


def _normalize_with(input, mean, var, weight, bias, eps):
    """(input - mean) / sqrt(var + eps) * weight + bias per channel, with given statistics (eval mode)."""
    scale = _affine((var + eps).rsqrt(), weight, None)  # a (C,) vector: one multiplication of the input
    return _affine(input - _channel_view(mean, input), scale, bias, lambda t: _channel_view(t, input))


def _update_running(buffer, value, momentum):
    """buffer = momentum * value + (1 - momentum) * buffer, in place and outside the graph, as PyTorch does."""
    data = buffer._data
    np.copyto(data, momentum * value + (1 - momentum) * data, casting="same_kind")
    mark_modified(data)


def _normalize_batch(input, axes, running_mean, running_var, weight, bias, momentum, eps):
    """Normalise over `axes` with the batch's statistics, then the per-channel affine; the running
    statistics, if given, move towards the batch's mean and UNBIASED variance (averaged over the
    samples when each sample has its own statistics: instance norm)."""
    statistics = None if running_mean is None else []
    out = ops.Normalize.apply(input, axes=axes, eps=eps, statistics=statistics)
    if statistics:
        mean, var = statistics
        count = input._data.size // mean.size  # the elements behind each statistic (> 1: checked by callers)
        channels = input.shape[1]
        _update_running(running_mean, mean.reshape(-1, channels).mean(axis=0), momentum)
        _update_running(running_var, (var * (count / (count - 1))).reshape(-1, channels).mean(axis=0), momentum)
    return _affine(out, weight, bias, lambda t: _channel_view(t, input))


def _check_eps(name, eps, training):
    if training and eps <= 0:
        raise ValueError(f"{name} eps must be positive during training, but got {eps}")
    if eps < 0:
        raise ValueError(f"{name} eps must be non-negative, but got {eps}")


def _checked_norm_input(name, input, running_mean, running_var, weight, bias, eps, batch_statistics):
    """batch_norm's and instance_norm's argument checks; the input as a floating tensor."""
    input = _floating_input(name, input)
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    _check_channels(name, input, running_mean=running_mean, running_var=running_var, weight=weight, bias=bias)
    _check_eps(name, eps, batch_statistics)
    return input


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (axis 1) of (N, C, *) over the batch and the other axes. In training the
    batch's statistics are used (biased variance) and the running ones, if given, updated in place
    with the unbiased variance; otherwise the running statistics are used."""
    input = _checked_norm_input("batch_norm", input, running_mean, running_var, weight, bias, eps, training)
    if training:
        _verify_batch_size(input.shape)
        axes = (0,) + tuple(range(2, input.ndim))
        return _normalize_batch(input, axes, running_mean, running_var, weight, bias, momentum, eps)
    if running_mean is None:
        raise RuntimeError("batch_norm: running_mean and running_var must be defined in evaluation mode "
                           "(training=False); pass them, or training=True to use the batch's statistics")
    return _normalize_with(input, running_mean, running_var, weight, bias, eps)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalise each channel of each sample of (N, C, *) over its own spatial axes; with
    use_input_stats=False, with the running statistics instead (which use_input_stats=True updates)."""
    input = _checked_norm_input("instance_norm", input, running_mean, running_var, weight, bias, eps, use_input_stats)
    if use_input_stats:
        if math.prod(input.shape[2:]) == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                             f"{list(input.shape)}")
        axes = tuple(range(2, input.ndim))
        return _normalize_batch(input, axes, running_mean, running_var, weight, bias, momentum, eps)
    if running_mean is None:
        raise RuntimeError("instance_norm: running_mean and running_var must be defined when use_input_stats is "
                           "False")
    return _normalize_with(input, running_mean, running_var, weight, bias, eps)


def _normalized_axes(name, input, normalized_shape):
    """The trailing axes that `normalized_shape` (an int or a sequence) names, checked against the input."""
    shape = ((int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer))
             else tuple(int(n) for n in normalized_shape))
    if not shape:
        raise ShapeError(f"{name}: normalized_shape must have at least one element, got {shape}")
    if len(shape) > input.ndim or tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise ShapeError(f"{name}: given normalized_shape={list(shape)}, expected an input of shape "
                         f"[*, {', '.join(map(str, shape))}], but got one of shape {list(input.shape)}")
    return shape, tuple(range(input.ndim - len(shape), input.ndim))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing axes `normalized_shape`; weight and bias have that shape."""
    input = _floating_input("layer_norm", input)
    shape, axes = _normalized_axes("layer_norm", input, normalized_shape)
    _check_like("layer_norm", input, shape, "normalized_shape", weight=weight, bias=bias)
    return _affine(ops.Normalize.apply(input, axes=axes, eps=eps), weight, bias)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Split the C channels of (N, C, *) into num_groups groups and normalise each group of each sample
    over its channels and spatial axes; weight and bias are per channel."""
    input = _floating_input("group_norm", input)
    if input.ndim < 2:
        raise ShapeError(f"group_norm: expected at least 2 dimensions for input tensor but received {input.ndim}")
    n, channels = input.shape[:2]
    if num_groups <= 0 or channels % num_groups:
        raise ShapeError(f"group_norm: expected the number of channels in input to be divisible by num_groups, "
                         f"but got input of shape {list(input.shape)} and num_groups={num_groups}")
    _verify_batch_size([n * channels // num_groups, num_groups] + list(input.shape[2:]))
    _check_like("group_norm", input, (channels,), "one value per channel, axis 1 of the input", weight=weight,
                bias=bias)
    groups = input.reshape(n, num_groups, channels // num_groups * math.prod(input.shape[2:]))
    out = ops.Normalize.apply(groups, axes=(2,), eps=eps).reshape(input.shape)
    return _affine(out, weight, bias, lambda t: _channel_view(t, input))


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) over the trailing axes `normalized_shape`, times weight; eps=None is the
    dtype's machine epsilon."""
    input = _floating_input("rms_norm", input)
    shape, axes = _normalized_axes("rms_norm", input, normalized_shape)
    _check_like("rms_norm", input, shape, "normalized_shape", weight=weight)
    eps = float(np.finfo(input.dtype).eps) if eps is None else eps
    return _affine(input * ((input * input).mean(axes, keepdims=True) + eps).rsqrt(), weight, None)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p, eps) along `dim`."""
    if out is not None:
        raise TypeError("normalize(): out= is not supported; assign the result instead")
    input = _floating_input("normalize", input)
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """input / (k + alpha * mean of the squares over `size` neighbouring channels) ** beta, the window
    zero-padded at the ends of the channel axis (axis 1)."""
    input = _floating_input("local_response_norm", input)
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected 3D or higher dimensionality input (got {input.ndim} "
                         "dimensions)")
    if input._data.size == 0:
        return input
    channels = input.shape[1]
    pads = [Tensor._wrap(np.zeros(input.shape[:1] + (n,) + input.shape[2:], input.dtype))
            for n in (size // 2, (size - 1) // 2)]
    squares = cat([pad for pad in pads[:1] if pad.shape[1]] + [input * input]
                  + [pad for pad in pads[1:] if pad.shape[1]], dim=1)
    window = squares[:, :channels]
    for start in range(1, size):
        window = window + squares[:, start:start + channels]
    return input / (window * (alpha / size) + k) ** beta


# ---- channel-wise (feature) and alpha dropout -----------------------------------------------------
_SELU_SATURATION = 1.7580993408473766  # SELU's scale * alpha: alpha dropout's value for a dropped unit


def _check_probability(p):
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise_dropout(name, input, p, training, inplace, draws, alpha=False):
    """PyTorch's dropout kernel: one keep-or-drop draw per element of the first `draws` axes (all of
    them: element-wise; the channels: feature dropout), shared along the rest. Kept units are scaled by
    1/(1-p); alpha=True sets dropped ones to SELU's saturation instead of 0, with the affine map that
    keeps a zero mean and unit variance."""
    _check_probability(p)
    input = _tensor(input)
    if not training or p == 0 or input._data.size == 0:
        return input
    if input._data.dtype.kind != "f":
        raise TypeError(f"{name}: the input must be floating point, got {input.dtype}; convert it with "
                        ".float() or .double()")
    if p == 1:
        def compute(x):
            return x * 0.0
    else:
        if input.ndim < draws:
            raise ShapeError(f"{name}: Feature dropout requires at least 2 dimensions in the input, got shape "
                             f"{tuple(input.shape)}")
        shape = tuple(input.shape[:draws]) + (1,) * (input.ndim - draws)
        if alpha:
            keep = (dropout_mask(shape, p, input.dtype) != 0).astype(input.dtype)
            a = 1 / math.sqrt((_SELU_SATURATION ** 2 * p + 1) * (1 - p))
            noise, shift = Tensor._wrap(keep * a), Tensor._wrap((keep - 1) * (_SELU_SATURATION * a)
                                                                + _SELU_SATURATION * a * p)

            def compute(x):
                return x * noise + shift
        else:
            noise = Tensor._wrap(dropout_mask(shape, p, input.dtype))

            def compute(x):
                return x * noise
    return input._inplace(name + "_", compute) if inplace else compute(input)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) with probability p, scaling the rest by 1/(1-p)."""
    _check_probability(p)
    input = _tensor(input)
    if input.ndim not in (2, 3):
        raise ShapeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
                         "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                         "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _noise_dropout("dropout1d", input, p, training, inplace, input.ndim - 1)


def _warn_channel_rank(input, spatial):
    """PyTorch's warning of dropout2d / dropout3d on a rank other than spatial + 1 or spatial + 2."""
    if input.ndim not in (spatial + 1, spatial + 2):
        warnings.warn(f"dropout{spatial}d: Received a {input.ndim}-D input to dropout{spatial}d, which is deprecated "
                      "and will result in an error in a future release. To retain the behavior and silence this "
                      f"warning, please use dropout instead. Note that dropout{spatial}d exists to provide "
                      f"channel-wise dropout on inputs with {spatial} spatial dimensions, a channel dimension, and "
                      f"an optional batch dimension (i.e. {spatial + 1}D or {spatial + 2}D inputs).", stacklevel=3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) with probability p, scaling the rest by 1/(1-p). As in
    PyTorch, a 3-D input is read as (N, C, L), with a warning, and other ranks warn."""
    _check_probability(p)
    input = _tensor(input)
    _warn_channel_rank(input, 2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", stacklevel=2)
    return _noise_dropout("dropout2d", input, p, training, inplace, 2)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p, scaling the rest by
    1/(1-p); other ranks warn, as in PyTorch."""
    _check_probability(p)
    input = _tensor(input)
    _warn_channel_rank(input, 3)
    return _noise_dropout("dropout3d", input, p, training, inplace, 2 if input.ndim == 5 else 1)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped units take SELU's saturation value and an affine map keeps the
    mean and variance."""
    input = _tensor(input)
    return _noise_dropout("alpha_dropout", input, p, training, inplace, input.ndim, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout of whole channels (axis 1)."""
    return _noise_dropout("feature_alpha_dropout", input, p, training, inplace, 2, alpha=True)


# ---- resampling (ops/interpolate.py) and attention ------------------------------------------------
_INTERPOLATION_NDIM = {"nearest": (3, 4, 5), "nearest-exact": (3, 4, 5), "linear": (3,), "bilinear": (4,),
                       "bicubic": (4,), "trilinear": (5,)}


def _per_axis(name, value, dims, input):
    if isinstance(value, (list, tuple)):
        if len(value) != dims:
            raise ValueError(f"interpolate: {name}={value!r} has {len(value)} entries for the {dims} spatial "
                             f"dimension(s) of an input of shape {input.shape} (N, C, d1, ...)")
        return list(value)
    return [value] * dims


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """Resize the spatial dimensions of an (N, C, d1[, d2[, d3]]) input, with PyTorch's positions and weights.

    mode: "nearest" (position floor(j * in / out), as PyTorch and OpenCV's INTER_NEAREST), "nearest-exact"
    (pixel centres), "linear" (3-D), "bilinear" (4-D), "bicubic" (4-D), "trilinear" (5-D). With
    align_corners=True the corner pixels' centres map onto each other, else the pixel areas do. Give size
    or scale_factor: a given scale_factor sizes the output as floor(in * scale) and also maps positions
    by 1 / scale_factor unless recompute_scale_factor=True (then by in / out, as with size).
    """
    input = _tensor(input)
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError("interpolate: align_corners can only be set with the interpolating modes linear, "
                             f"bilinear, bicubic and trilinear, not with mode={mode!r}")
    elif align_corners is None:
        align_corners = False
    dims = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: give only one of size and scale_factor")
    if size is None and scale_factor is None:
        raise ValueError("interpolate: give size or scale_factor")
    if recompute_scale_factor and size is not None:
        raise ValueError("interpolate: recompute_scale_factor is not meaningful with an explicit size")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True (low-pass filtering when downsampling) is not "
                                  "supported; resize without it")
    if mode not in _INTERPOLATION_NDIM:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported; use one of "
                                  f"{', '.join(_INTERPOLATION_NDIM)}")
    if input.ndim not in _INTERPOLATION_NDIM[mode]:
        needs = " or ".join(f"{n}-D" for n in _INTERPOLATION_NDIM[mode])
        raise NotImplementedError(f"interpolate: mode {mode!r} needs a {needs} input (N, C, d1, ...), got shape "
                                  f"{input.shape}")
    if size is not None:
        sizes = _per_axis("size", size, dims, input)
        if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in sizes):
            raise TypeError(f"interpolate: size must be an int or a tuple of ints, got {size!r}")
        scales = [None] * dims
    else:
        scales = [float(s) for s in _per_axis("scale_factor", scale_factor, dims, input)]
        sizes = [int(math.floor(n * s)) for n, s in zip(input.shape[2:], scales)]
        if recompute_scale_factor:  # positions from the sizes, as if size had been given
            scales = [None] * dims
    if any(n == 0 for n in input.shape[1:]) or any(n <= 0 for n in sizes):
        raise ShapeError(f"interpolate: the channels and the input and output sizes must be positive, got an input "
                         f"of shape {input.shape} and output size {tuple(sizes)}")
    kind = input.dtype.kind
    if not (kind == "f" or (input.dtype == np.uint8 and mode.startswith("nearest"))):
        raise TypeError(f"interpolate: mode {mode!r} needs a floating-point input{' (or uint8)' if mode.startswith('nearest') else ''}, "
                        f"got {input.dtype}; convert it with .float()")
    out = input
    for axis in reversed(range(2, input.ndim)):  # the last axis first
        index, weight = ops.interpolate.axis_taps(mode, input.shape[axis], sizes[axis - 2], align_corners,
                                                  scales[axis - 2], input.dtype)
        out = ops.Resample.apply(out, axis=axis, index=index, weight=weight)
    return out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated in PyTorch for interpolate(), which it calls."""
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated in PyTorch: interpolate(mode="nearest")."""
    warnings.warn("nn.functional.upsample_nearest is deprecated. Use nn.functional.interpolate instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated in PyTorch: interpolate(mode="bilinear", align_corners=True)."""
    warnings.warn("nn.functional.upsample_bilinear is deprecated. Use nn.functional.interpolate instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value over the last two dimensions, (..., L, E) queries
    against (..., S, E) keys and (..., S, Ev) values; scale defaults to 1 / sqrt(E).

    A bool attn_mask marks with True the pairs that take part; a float one is added to the scores;
    is_causal lets query i see keys 0..i. As in PyTorch, a query that sees no key (a row of -inf
    scores) gets zeros, and zero gradients, rather than nan. dropout_p drops attention weights (always:
    pass 0 in evaluation). enable_gqa lets the query heads (dimension -3) share key and value heads
    in groups.
    """
    query, key, value = (_tensor(x) for x in (query, key, value))
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise ShapeError(f"scaled_dot_product_attention: query, key and value need at least 2 dimensions (..., L, E), "
                         f"got shapes {query.shape}, {key.shape} and {value.shape}")
    if not query.dtype == key.dtype == value.dtype or query.dtype.kind != "f":
        raise TypeError(f"scaled_dot_product_attention: query, key and value must share one floating dtype, got "
                        f"{query.dtype}, {key.dtype} and {value.dtype}")
    if attn_mask is not None and is_causal:
        raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal=True, not both")
    if enable_gqa and key.shape[-3] != query.shape[-3]:
        heads, groups = key.shape[-3], query.shape[-3] // max(key.shape[-3], 1)
        if heads * groups != query.shape[-3] or value.shape[-3] != heads:
            raise ShapeError(f"scaled_dot_product_attention: enable_gqa needs the query heads (dimension -3, "
                             f"{query.shape[-3]}) to be a multiple of the key and value heads ({key.shape[-3]}, "
                             f"{value.shape[-3]})")
        key, value = (x.unsqueeze(-3).expand(x.shape[:-2] + (groups,) + x.shape[-2:])
                      .reshape(x.shape[:-3] + (heads * groups,) + x.shape[-2:]) for x in (key, value))
    length, source = query.shape[-2], key.shape[-2]
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query @ key.transpose(-2, -1) * scale
    if source == 0:  # no key to attend to: zeros (there is no softmax over nothing)
        return scores @ value
    if is_causal:
        scores = scores.masked_fill(~np.tril(np.ones((length, source), dtype=bool)), -math.inf)
    if attn_mask is not None:
        attn_mask = _tensor(attn_mask)
        if attn_mask.dtype == np.bool_:
            scores = scores.masked_fill(~attn_mask._data, -math.inf)
        elif attn_mask.dtype in (np.float32, query.dtype):
            scores = scores + attn_mask.astype(query.dtype)
        else:
            raise TypeError(f"scaled_dot_product_attention: attn_mask must be bool, float32 or the query's dtype "
                            f"({query.dtype}), got {attn_mask.dtype}")
    unseen = np.all(scores._data == -math.inf, axis=-1, keepdims=True)
    if unseen.any():  # softmax's nan would reach the gradients of the other rows through the matrix products
        weights = scores.masked_fill(unseen, 0.0).softmax(-1).masked_fill(unseen, 0.0)
    else:
        weights = scores.softmax(-1)
    if dropout_p > 0:
        weights = dropout(weights, dropout_p)
    return weights @ value


# ---- padding, convolution, unfold/fold and pooling (ops/pad.py, ops/conv.py, ops/pool.py) -----------
def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad) // 2 axes, `pad` = (before, after) pairs from the last axis on; modes
    constant (negative pads crop), reflect, replicate and circular."""
    return ops.pad.pad_input(input, pad, mode, value)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Convolution over (N, C, L) or (C, L) with weight (out_channels, C/groups, k); padding an int, a
    tuple, 'same' or 'valid'."""
    return ops.conv.convolution("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Convolution over (N, C, H, W) or (C, H, W) with weight (out_channels, C/groups, kh, kw)."""
    return ops.conv.convolution("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Convolution over (N, C, D, H, W) or (C, D, H, W) with weight (out_channels, C/groups, kd, kh, kw)."""
    return ops.conv.convolution("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The transposed convolution (the input-gradient of conv1d) with weight (C, out_channels/groups, k)."""
    return ops.conv.transposed_convolution("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding,
                                           groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The transposed convolution (the input-gradient of conv2d) with weight (C, out_channels/groups, kh, kw)."""
    return ops.conv.transposed_convolution("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding,
                                           groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The transposed convolution (the input-gradient of conv3d) with weight (C, out_channels/groups, *kernel)."""
    return ops.conv.transposed_convolution("conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding,
                                           groups, dilation)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: the sliding windows of (N, C, H, W) as the columns of (N, C*kh*kw, L)."""
    return ops.conv.unfold(input, kernel_size, dilation, padding, stride)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im: columns (N, C*kh*kw, L) summed into the sliding windows of (N, C, *output_size)."""
    return ops.conv.fold_columns(input, output_size, kernel_size, dilation, padding, stride)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Maximum over windows (padding counts as -inf); with return_indices, also each maximum's flat index in
    its input plane. The gradient goes to that one element."""
    return ops.pool.max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return ops.pool.max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return ops.pool.max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over windows; zero padding counts in the divisor with count_include_pad."""
    return ops.pool.avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return ops.pool.avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                             divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return ops.pool.avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                             divisor_override)


def adaptive_avg_pool1d(input, output_size):
    """Mean over PyTorch's adaptive windows [floor(i*n/out), ceil((i+1)*n/out))."""
    return ops.pool.adaptive_avg_pool("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    return ops.pool.adaptive_avg_pool("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    return ops.pool.adaptive_avg_pool("adaptive_avg_pool3d", 3, input, output_size)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Maximum over PyTorch's adaptive windows (with return_indices, also the flat indices)."""
    return ops.pool.adaptive_max_pool("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    return ops.pool.adaptive_max_pool("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    return ops.pool.adaptive_max_pool("adaptive_max_pool3d", 3, input, output_size, return_indices)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Max pooling's partial inverse: values written back at their indices, zeros elsewhere."""
    return ops.pool.max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return ops.pool.max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return ops.pool.max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding, output_size)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over the window of x**norm_type) ** (1/norm_type)."""
    return ops.pool.lp_pool("lp_pool1d", 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return ops.pool.lp_pool("lp_pool2d", 2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return ops.pool.lp_pool("lp_pool3d", 3, input, norm_type, kernel_size, stride, ceil_mode)


# ---- losses ---------------------------------------------------------------------------------------
def _legacy_reduction(size_average, reduce, reduction):
    """The reduction that PyTorch's deprecated size_average and reduce flags ask for when either is given
    (with PyTorch's deprecation warning); else `reduction`."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.")
    return reduction


def _loss_operands(name, input, target):
    """Input and target as tensors of one dtype and the same shape (no silent broadcasting)."""
    input, target = _tensor(input), _tensor(target)
    if input._data.shape != target._data.shape:
        raise ShapeError(f"{name}: input has shape {input.shape} but target has shape {target.shape}; they must "
                         "match (broadcasting them silently is a classic bug); reshape one of them")
    return input, target if target._data.dtype is input._data.dtype else target.astype(input.dtype)


def _as_input_dtype(tensor, input):
    return tensor if tensor._data.dtype is input._data.dtype else tensor.astype(input.dtype)


def _elementwise_weight(name, weight, input):
    """The `weight` of mse_loss, l1_loss and huber_loss: a tensor of the input's shape, as PyTorch requires."""
    weight = _tensor(weight)
    if weight._data.shape != input._data.shape:
        raise ShapeError(f"{name}: weight has shape {weight.shape} but input has shape {input.shape}; they must match")
    return _as_input_dtype(weight, input)


def _weighted_reduce(loss, weight, reduction):
    """PyTorch's weighted mse_loss and l1_loss: 'mean' divides by the sum of the weights."""
    if reduction == "mean":
        return loss.sum() / weight.sum()
    return loss.sum() if reduction == "sum" else loss


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """(input - target)^2, reduced; `weight` (the input's shape) weighs each term."""
    if size_average is not None or reduce is not None:  # a test, not a call: this ends every training step
        reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _loss_operands("mse_loss", input, target)
    _check_reduction("mse_loss", reduction)
    if weight is None:
        return ops.MSELoss.apply(input, target, reduction=reduction)
    weight = _elementwise_weight("mse_loss", weight, input)
    diff = input - target
    return _weighted_reduce(diff * diff * weight, weight, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|input - target|, reduced; `weight` (the input's shape) weighs each term."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _loss_operands("l1_loss", input, target)
    _check_reduction("l1_loss", reduction)
    if weight is None:
        return _reduce("l1_loss", (input - target).abs(), reduction)
    weight = _elementwise_weight("l1_loss", weight, input)
    return _weighted_reduce((input - target).abs() * weight, weight, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - beta / 2 (d = input - target); beta = 0 is l1_loss."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _loss_operands("smooth_l1_loss", input, target)
    _check_reduction("smooth_l1_loss", reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    return ops.SmoothL1Loss.apply(input, target, beta=float(beta), reduction=reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - delta / 2) (d = input - target): smooth_l1_loss
    times delta. `weight` (the input's shape) weighs each term; 'mean' stays the plain mean, as in PyTorch."""
    input, target = _loss_operands("huber_loss", input, target)
    _check_reduction("huber_loss", reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    if weight is None:
        return ops.HuberLoss.apply(input, target, delta=float(delta), reduction=reduction)
    loss = ops.HuberLoss.apply(input, target, delta=float(delta), reduction="none")
    return _reduce("huber_loss", loss * _elementwise_weight("huber_loss", weight, input), reduction)


def _check_unit_interval(name, what, tensor):
    data = tensor._data
    if data.size and not (data.min() >= 0 and data.max() <= 1):
        raise ValueError(f"{name}: {what} must lie in [0, 1], got values from {data.min()} to {data.max()}"
                         + ("; for unnormalised scores use binary_cross_entropy_with_logits" if what == "input" else ""))


def _constant(name, what, weight):
    """A weight PyTorch does not differentiate, as an array; one that requires grad is an error there too."""
    if isinstance(weight, Tensor):
        if weight.requires_grad:
            raise RuntimeError(f"{name}: {what} cannot require grad ({name} is not differentiable with respect to "
                               f"it, as in PyTorch); pass {what}.detach()")
        return weight._data
    return np.asarray(weight)


def _broadcast_weight(name, what, weight, input):
    """binary_cross_entropy's weight and pos_weight: constants that broadcast to the input's shape."""
    if weight is None:
        return None
    weight = _constant(name, what, weight)
    try:
        fits = np.broadcast_shapes(weight.shape, input._data.shape) == input._data.shape
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(f"{name}: {what} of shape {weight.shape} does not broadcast to the input's shape "
                         f"{input.shape}")
    return weight.astype(input.dtype, copy=False)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Cross-entropy between probabilities `input` and targets in [0, 1]; `weight` weighs each element."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _loss_operands("binary_cross_entropy", input, target)
    _check_unit_interval("binary_cross_entropy", "input", input)
    _check_unit_interval("binary_cross_entropy", "target", target)
    _check_reduction("binary_cross_entropy", reduction)
    weight = _broadcast_weight("binary_cross_entropy", "weight", weight, input)
    return ops.BCELoss.apply(input, target, reduction=reduction, weight=weight)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """binary_cross_entropy(sigmoid(input), target), stable for logits of any size; `weight` weighs each
    element, `pos_weight` (one per class, the last axis) the positive term of each class."""
    name = "binary_cross_entropy_with_logits"
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _loss_operands(name, input, target)
    _check_unit_interval(name, "target", target)
    _check_reduction(name, reduction)
    weight = _broadcast_weight(name, "weight", weight, input)
    pos_weight = _broadcast_weight(name, "pos_weight", pos_weight, input)
    return ops.BCEWithLogitsLoss.apply(input, target, reduction=reduction, weight=weight, pos_weight=pos_weight)


def _index_shape(shape):
    """The class-index target's shape for an input of `shape`: (N, d1, ...) for (N, C, d1, ...), () for
    one sample (C,)."""
    return tuple(shape[:1]) + tuple(shape[2:]) if len(shape) > 1 else ()


def _class_targets(name, input, target, ignore_index):
    """Class indices for input (N, C), (N, C, d1, ...) or one sample (C,), checked as PyTorch checks
    them: int64 (or uint8) of shape (N,), (N, d1, ...) or (), each in [0, C) or equal to ignore_index.
    Returns the indices and the mask of ignored entries (None when there are none)."""
    index = target._data if isinstance(target, Tensor) else np.asarray(target)
    shape = input._data.shape
    if input._data.dtype.kind != "f":
        raise TypeError(f"{name}: input must be floating point, got {input.dtype}; convert it with .float() or "
                        ".double()")
    if not shape or index.shape != _index_shape(shape):
        raise ShapeError(f"{name}: expected input (N, C) with target (N,), input (N, C, d1, ...) with target "
                         f"(N, d1, ...) or input (C,) with a 0-d target; got input {shape} and target {index.shape}")
    if index.dtype != np.int64 and index.dtype != np.uint8:
        raise TypeError(f"{name}: class indices must be integers, got {index.dtype}" + (
            "; PyTorch takes int64 (or uint8) only: convert them with .long()" if index.dtype.kind in "iu" else ""))
    classes = shape[1] if len(shape) > 1 else shape[0]
    if not index.size:
        return index, None
    low, high = _index_range(index)
    if not (low < 0 or high >= classes or 0 <= ignore_index < classes):
        return index, None  # the common case: two reductions, no mask
    ignored = index == ignore_index
    if ignored.any():
        counted = index[~ignored]
        low, high = (counted.min(), counted.max()) if counted.size else (0, 0)
    else:
        ignored = None
    if low < 0 or high >= classes:
        raise IndexError(f"{name}: class indices must lie in [0, {classes}), got values from {low} to {high}"
                         + (f" besides ignore_index={ignore_index}" if ignored is not None else ""))
    return index, ignored


def _class_weight(name, weight, input, class_axis):
    """nll_loss's and cross_entropy's weight: one constant per class, shape (C,)."""
    if weight is None:
        return None
    weight = _constant(name, "weight", weight)
    classes = input.shape[class_axis]
    if weight.shape != (classes,):
        raise ShapeError(f"{name}: weight must have one entry per class, shape ({classes},), got {weight.shape}")
    return weight.astype(input.dtype, copy=False)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood -input[target] of class indices `target` under log-probabilities `input`:
    (N, C) with target (N,), (N, C, d1, ...) with target (N, d1, ...), or (C,) with a 0-d target. Each
    term is weighed by weight[target]; targets equal to ignore_index are left out; 'mean' divides by the
    total weight of the rest (nan when all are ignored), as PyTorch does."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("nll_loss", reduction)
    input = _tensor(input)
    index, ignored = _class_targets("nll_loss", input, target, ignore_index)
    weight = _class_weight("nll_loss", weight, input, min(input.ndim - 1, 1))
    return ops.NLLLoss.apply(input, target=index, weight=weight, ignored=ignored, reduction=reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """Cross-entropy of unnormalised logits `input` (classes on axis 1, or (C,) for one sample) against
    class indices (nll_loss's shapes, weight and ignore_index) or class probabilities of the input's
    shape, with label smoothing as in PyTorch; the log-softmax is computed stably."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    input = _tensor(input)
    class_axis = 0 if input.ndim == 1 else 1
    target_data = target._data if isinstance(target, Tensor) else np.asarray(target)
    if input.ndim and target_data.shape == input._data.shape:
        return _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing,
                                            class_axis)
    if target_data.dtype.kind == "f" and input.ndim and target_data.shape != _index_shape(input._data.shape):
        raise ShapeError(f"cross_entropy: input has shape {input.shape} but target has shape {target_data.shape}; "
                         f"class probabilities must have the input's shape, class indices (int64) the shape "
                         f"{_index_shape(input._data.shape)}")
    index, ignored = _class_targets("cross_entropy", input, target_data, ignore_index)
    weight = _class_weight("cross_entropy", weight, input, class_axis)
    if weight is None and ignored is None and not label_smoothing and input.ndim <= 2:  # the common case, one node
        return ops.CrossEntropyLoss.apply(input, target=index, reduction=reduction)
    log_probabilities = input.log_softmax(class_axis)
    loss = ops.NLLLoss.apply(log_probabilities, target=index, weight=weight, ignored=ignored, reduction=reduction)
    if not label_smoothing:
        return loss
    return _smoothed(loss, log_probabilities, index, ignored, weight, class_axis, reduction, label_smoothing)


def _class_view(tensor, ndim, class_axis):
    """A per-class vector (C,) shaped to broadcast along the class axis of an input of `ndim` axes."""
    return tensor.reshape(tuple(-1 if axis == class_axis else 1 for axis in range(ndim)))


def _smoothed(loss, log_probabilities, index, ignored, weight, class_axis, reduction, label_smoothing):
    """PyTorch's label smoothing of class indices: (1 - s) nll + s / C times the (weighted) sum of
    -log-probabilities over the classes, reduced as the nll is ('mean' divides by the same total weight)."""
    classes = log_probabilities.shape[class_axis]
    if weight is not None:
        log_probabilities = log_probabilities * _class_view(weight, log_probabilities.ndim, class_axis)
    smooth = -log_probabilities.sum(class_axis)
    if ignored is not None:
        smooth = smooth.masked_fill(ignored, 0.0)
    if reduction == "mean":
        counted = np.ones(index.shape, smooth.dtype) if weight is None else weight[
            index if ignored is None else np.where(ignored, 0, index)]
        total = np.asarray((counted if ignored is None else np.where(ignored, 0, counted)).sum(), smooth.dtype)
        with np.errstate(invalid="ignore"):
            # nothing counted: nan, as in PyTorch; times inf rather than / 0, whose backward would warn
            smooth = smooth.sum() / total if total else smooth.sum() * np.asarray(np.inf, smooth.dtype)
    elif reduction == "sum":
        smooth = smooth.sum()
    return loss * (1 - label_smoothing) + smooth * (label_smoothing / classes)


def _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing, class_axis):
    """cross_entropy against class probabilities (a float target of the input's shape): -sum(target *
    log_softmax(input) * weight) over the classes; 'mean' divides by the number of samples, as PyTorch."""
    target = _tensor(target)
    if target._data.dtype.kind != "f":
        raise TypeError(f"cross_entropy: a target of the input's shape {input.shape} holds class probabilities and "
                        f"must be floating point, got {target.dtype}; class indices have the shape "
                        f"{_index_shape(input._data.shape)}")
    if ignore_index >= 0:
        raise ValueError(f"cross_entropy: ignore_index ({ignore_index}) is not supported for class-probability "
                         "targets; give those samples a zero weight or leave them out")
    target = _as_input_dtype(target, input)
    classes = input.shape[class_axis]
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    product = input.log_softmax(class_axis) * target
    if weight is not None:  # differentiable here, as in PyTorch
        weight = _as_input_dtype(_tensor(weight), input)
        if weight._data.shape != (classes,):
            raise ShapeError(f"cross_entropy: weight must have one entry per class, shape ({classes},), got "
                             f"{weight.shape}")
        product = product * _class_view(weight, input.ndim, class_axis)
    losses = -product.sum(class_axis)
    if reduction == "mean":
        return losses.sum() / (input._data.size // classes)
    return losses.sum() if reduction == "sum" else losses


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """The pointwise Kullback-Leibler divergence target * (log target - input) of log-probabilities
    `input` (0 where target is 0), or exp(target) * (target - input) with log_target=True. 'batchmean'
    divides the sum by the batch size (the divergence per sample); 'mean' divides by every element, and
    PyTorch warns about it."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"kl_div: reduction must be one of {_REDUCTIONS + ('batchmean',)}, got {reduction!r}")
    input, target = _loss_operands("kl_div", input, target)
    return ops.KLDivLoss.apply(input, target, log_target=bool(log_target), reduction=reduction)


def _floating_operand(x):
    x = _tensor(x)
    return x if x._data.dtype.kind == "f" else x.astype(np.float32)  # PyTorch's result dtype for integers


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2) / (max(|x1|, eps) max(|x2|, eps)) along `dim`, x1 and x2 broadcast together. Like
    PyTorch, each input is divided by its clamped norm first and the clamp has no gradient of its own."""
    x1, x2 = _floating_operand(x1), _floating_operand(x2)
    try:
        shape = np.broadcast_shapes(x1._data.shape, x2._data.shape)
    except ValueError:
        raise ShapeError(f"cosine_similarity: x1 of shape {x1.shape} and x2 of shape {x2.shape} do not "
                         "broadcast together") from None
    if not -len(shape) <= dim < max(len(shape), 1):
        raise IndexError(f"cosine_similarity: dim {dim} is out of range for inputs of shape {shape}")
    x1, x2 = (x if x._data.shape == shape else x.expand(shape) for x in (x1, x2))
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


def _clamped_norm(x, dim, eps):
    """max(|x|, eps) along dim (kept), differentiated as the norm itself: PyTorch clamps a clone of the norm
    in place under no_grad, so its backward never sees the clamp."""
    norm = x.norm(2, dim, keepdim=True)
    small = norm._data < eps
    if not small.any():
        return norm
    return norm + Tensor._wrap(np.where(small, eps - norm._data, 0).astype(norm.dtype))


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The p-norm of x1 - x2 + eps along the last axis (PyTorch adds eps to the difference, which keeps
    the norm's gradient finite for equal inputs); p = 0 counts the non-zero differences."""
    x1, x2 = _floating_operand(x1), _floating_operand(x2)
    diff = x1 - x2 + eps
    dim = max(x1.ndim, x2.ndim) - 1
    if p == 0:
        return diff.sign().abs().sum(dim, keepdim=keepdim)  # sign has a zero gradient, as the count should
    return diff.norm(p, dim, keepdim=keepdim)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(d(anchor, positive) - d(anchor, negative) + margin, 0) with d = pairwise_distance(p, eps); with
    swap=True the negative distance is the smaller of d(anchor, negative) and d(positive, negative)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("triplet_margin_loss", reduction)
    if margin <= 0:
        raise ValueError(f"triplet_margin_loss: margin must be greater than 0, got {margin}")
    anchor, positive, negative = _tensor(anchor), _tensor(positive), _tensor(negative)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise ShapeError(f"triplet_margin_loss: the anchor, positive and negative must have the same number of "
                         f"dimensions, got shapes {anchor.shape}, {positive.shape} and {negative.shape}")
    positive_distance = pairwise_distance(anchor, positive, p, eps)
    negative_distance = pairwise_distance(anchor, negative, p, eps)
    if swap:
        negative_distance = negative_distance.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce("triplet_margin_loss", (positive_distance + margin - negative_distance).clamp(min=0), reduction)


def _sign_target(name, target, shape):
    """The +1 / -1 target of the embedding and ranking losses as an array of `shape` (values only choose
    terms: no gradient)."""
    target = target._data if isinstance(target, Tensor) else np.asarray(target)
    if target.shape != tuple(shape):
        raise ShapeError(f"{name}: target has shape {target.shape} but should have shape {tuple(shape)}")
    return target


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(input1, input2) where target is 1 and max(0, cos - margin) where it is -1 (0 elsewhere),
    with cos along the last axis of (N, D) inputs and (N,) targets, or of (D,) inputs and a 0-d target."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("cosine_embedding_loss", reduction)
    input1, input2 = _floating_operand(input1), _floating_operand(input2)
    target_ndim = np.ndim(target._data if isinstance(target, Tensor) else target)
    if target_ndim > 1 or input1.ndim != target_ndim + 1 or input2.shape != input1.shape:
        raise ShapeError(f"cosine_embedding_loss: expected inputs (N, D) with a target (N,) or inputs (D,) with a "
                         f"0-d target; got inputs {input1.shape} and {input2.shape} and a target of {target_ndim} "
                         "dimensions")
    target = _sign_target("cosine_embedding_loss", target, input1.shape[:-1])
    dim = target_ndim
    eps = 1e-12  # PyTorch's, added to each squared norm
    cos = (input1 * input2).sum(dim) / (((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps)).sqrt()
    loss = (1 - cos).where(target == 1, 0.0) + (cos - margin).clamp(min=0).where(target == -1, 0.0)
    return _reduce("cosine_embedding_loss", loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -target * (input1 - input2) + margin): target 1 asks input1 to rank higher, -1 input2."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("margin_ranking_loss", reduction)
    input1, input2, target = _floating_operand(input1), _floating_operand(input2), _tensor(target)
    if not input1.shape == input2.shape == target.shape:
        raise ShapeError(f"margin_ranking_loss: input1, input2 and target must have the same shape, got "
                         f"{input1.shape}, {input2.shape} and {target.shape}")
    target = _as_input_dtype(target, input1)
    return _reduce("margin_ranking_loss", (-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """input where target is 1, max(0, margin - input) where it is -1 (other values take both terms)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction("hinge_embedding_loss", reduction)
    input = _floating_operand(input)
    target = _sign_target("hinge_embedding_loss", target, input.shape)
    loss = (margin - input).clamp(min=0).where(target != 1, 0.0) + input.where(target != -1, 0.0)
    return _reduce("hinge_embedding_loss", loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input)), computed as -logsigmoid(target * input): finite where PyTorch's
    log1p(exp(...)) overflows."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _loss_operands("soft_margin_loss", input, target)
    _check_reduction("soft_margin_loss", reduction)
    target = Tensor._wrap(_constant("soft_margin_loss", "target", target))
    return _reduce("soft_margin_loss", -ops.LogSigmoid.apply(input * target), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross-entropy of each of C labels (the last axis) with logits, weighed per class by `weight`
    and averaged over the labels: one loss per sample."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _loss_operands("multilabel_soft_margin_loss", input, target)
    _check_reduction("multilabel_soft_margin_loss", reduction)
    if input.ndim == 0:
        raise ShapeError("multilabel_soft_margin_loss: expected input (N, C) or (C,), got a 0-d input")
    loss = -(target * ops.LogSigmoid.apply(input) + (1 - target) * ops.LogSigmoid.apply(-input))
    if weight is not None:
        loss = loss * _as_input_dtype(_tensor(weight), input)
    return _reduce("multilabel_soft_margin_loss", loss.sum(-1) / input.shape[-1], reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Negative log-likelihood of a Poisson target with rate exp(input) (log_input=True: exp(input) -
    target * input) or rate input (input - target * log(input + eps)); full=True adds Stirling's
    approximation of log(target!) where target > 1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _loss_operands("poisson_nll_loss", input, target)
    _check_reduction("poisson_nll_loss", reduction)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):  # logs of targets <= 0, masked out as in PyTorch
            stirling = target * target.log() - target + 0.5 * (2 * np.pi * target).log()
        loss = loss + stirling.where(target._data > 1, 0.0)
    return _reduce("poisson_nll_loss", loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (log var + (input - target)^2 / var) (+ 0.5 log 2 pi with full=True) with var clamped at eps.
    `var` has the input's shape, or one axis of size 1 (or the last one missing) for a variance shared
    along it, or is a number. Like PyTorch, the clamp has no gradient of its own."""
    input = _tensor(input)
    target = _as_input_dtype(_tensor(target), input)
    try:
        fits = np.broadcast_shapes(target._data.shape, input._data.shape) == input._data.shape
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(f"gaussian_nll_loss: target of shape {target.shape} does not broadcast to the input's "
                         f"shape {input.shape}")
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError(f"gaussian_nll_loss: var must be non-negative, got {var}")
        var = Tensor._wrap(np.full(input._data.shape, var, input.dtype))
    else:
        var = _as_input_dtype(_tensor(var), input)
        if var._data.size and var._data.min() < 0:
            raise ValueError("gaussian_nll_loss: var has negative entries")
        if var.shape != input.shape:
            if var.shape == input.shape[:-1]:
                var = var.unsqueeze(-1)
            elif not (var.ndim == input.ndim and
                      sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
                raise ShapeError(f"gaussian_nll_loss: var of shape {var.shape} does not fit the input's shape "
                                 f"{input.shape}: give it the input's shape, or size 1 on one axis, or drop the "
                                 "last axis")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"gaussian_nll_loss: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    small = var._data < eps
    if small.any():
        var = var + Tensor._wrap(np.where(small, eps - var._data, 0).astype(var.dtype))
    diff = input - target
    loss = 0.5 * (var.log() + diff * diff / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce("gaussian_nll_loss", loss, reduction)


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
