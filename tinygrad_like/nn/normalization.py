"""Normalization layers (PyTorch's names, arguments, parameters, buffers and state_dict keys), thin
Modules over nn.functional."""
import numbers
import warnings

import numpy as np

from tinygrad_like.device import check_device
from tinygrad_like.dtypes import get_default_dtype, to_dtype
from tinygrad_like.grad_mode import no_grad
from tinygrad_like.nn import functional as F
from tinygrad_like.nn import init
from tinygrad_like.nn.module import Module
from tinygrad_like.nn.parameter import Parameter
from tinygrad_like.tensor import Tensor


def _factory_dtype(name, device, dtype):
    check_device(device, name)
    return get_default_dtype() if dtype is None else to_dtype(dtype, name)


def _affine_parameters(module, shape, dtype, affine, bias):
    """weight (ones) and bias (zeros) of `shape`, or None, as PyTorch registers them."""
    module.weight = Parameter(np.ones(shape, dtype)) if affine else None
    module.bias = Parameter(np.zeros(shape, dtype)) if affine and bias else None


def _reset_affine(module):
    if module.weight is not None:
        init.ones_(module.weight)
    if getattr(module, "bias", None) is not None:  # RMSNorm has no bias
        init.zeros_(module.bias)


class _NormBase(Module):
    """Batch and instance norm: per-channel weight and bias, and the running statistics as buffers
    (running_mean zeros, running_var ones, num_batches_tracked an int64 count), None when not tracked."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        dtype = _factory_dtype(type(self).__name__, device, dtype)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine_parameters(self, (num_features,), dtype, affine, bias)
        tracked = track_running_stats
        self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype)) if tracked else None)
        self.register_buffer("running_var", Tensor(np.ones(num_features, dtype)) if tracked else None)
        self.register_buffer("num_batches_tracked", Tensor(np.array(0, np.int64)) if tracked else None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            with no_grad():  # in place, as PyTorch: a state_dict taken earlier sees the reset
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        _reset_affine(self)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            # momentum None: the cumulative average of all batches so far
            factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        # Batch statistics in training, and in eval mode when no running statistics are kept.
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        # The buffers are passed when they are updated (training and tracked) or used (eval).
        passed = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if passed else None, self.running_var if passed else None,
                            self.weight, self.bias, use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L)."""

    def _check_input_dim(self, input):
        if input.ndim not in (2, 3):
            raise ValueError(f"{type(self).__name__}: expected 2D or 3D input (got {input.ndim}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W)."""

    def _check_input_dim(self, input):
        if input.ndim != 4:
            raise ValueError(f"{type(self).__name__}: expected 4D input (got {input.ndim}D input)")


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W)."""

    def _check_input_dim(self, input):
        if input.ndim != 5:
            raise ValueError(f"{type(self).__name__}: expected 5D input (got {input.ndim}D input)")


class _InstanceNorm(_NormBase):
    """Instance norm: no affine parameters and no running statistics by default (PyTorch's defaults).
    An input without the batch axis is normalised as a batch of one."""

    spatial_dims = None  # set by the subclasses

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input):
        no_batch = self.spatial_dims + 1
        if input.ndim not in (no_batch, no_batch + 1):
            raise ValueError(f"{type(self).__name__}: expected {no_batch}D or {no_batch + 1}D input (got "
                             f"{input.ndim}D input)")
        feature_dim = input.ndim - no_batch
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"{type(self).__name__}: expected input's size at dim={feature_dim} to match "
                                 f"num_features ({self.num_features}), but got: {input.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You can silence this "
                          "warning by not passing in num_features, which is not used because affine=False",
                          stacklevel=2)
        batched = input if feature_dim else input.unsqueeze(0)
        out = F.instance_norm(batched, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats,
                              0.0 if self.momentum is None else self.momentum, self.eps)
        return out if feature_dim else out.squeeze(0)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) or (C, L)."""

    spatial_dims = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) or (C, H, W)."""

    spatial_dims = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of (N, C, D, H, W) or (C, D, H, W)."""

    spatial_dims = 3


def _shape_tuple(normalized_shape):
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(normalized_shape)


class LayerNorm(Module):
    """Normalization over the trailing axes `normalized_shape`, with a weight (ones) and a bias (zeros) of
    that shape when elementwise_affine."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        dtype = _factory_dtype("LayerNorm", device, dtype)
        self.normalized_shape, self.eps = _shape_tuple(normalized_shape), eps
        self.elementwise_affine = elementwise_affine
        _affine_parameters(self, self.normalized_shape, dtype, elementwise_affine, bias)

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalization of groups of channels (axis 1) of each sample, with per-channel weight and bias."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        dtype = _factory_dtype("GroupNorm", device, dtype)
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        _affine_parameters(self, (num_channels,), dtype, affine, bias)

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """x / sqrt(mean(x^2) + eps) over the trailing axes `normalized_shape`, times a weight (ones);
    eps=None is the input dtype's machine epsilon."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        dtype = _factory_dtype("RMSNorm", device, dtype)
        self.normalized_shape, self.eps = _shape_tuple(normalized_shape), eps
        self.elementwise_affine = elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, dtype)) if elementwise_affine else None

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class LocalResponseNorm(Module):
    """Normalization of each channel by its `size` neighbours across channels (axis 1)."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
