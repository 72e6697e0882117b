"""Convolution layers and Unfold/Fold (PyTorch's names, arguments, weight layouts, initialisation,
state_dict names and reprs), thin Modules over nn.functional."""
import math

import numpy as np

from tinygrad_like.device import check_device
from tinygrad_like.dtypes import get_default_dtype, to_dtype
from tinygrad_like.nn import functional as F
from tinygrad_like.nn import init
from tinygrad_like.nn.module import Module
from tinygrad_like.nn.parameter import Parameter
from tinygrad_like.ops.conv import as_tuple

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """The parameters and checks Conv and ConvTranspose share. The weight is (out_channels,
    in_channels/groups, *kernel_size), or (in_channels, out_channels/groups, *kernel_size) when
    transposed; weight and bias start uniform in +-1/sqrt(fan_in), PyTorch's kaiming_uniform_(a=sqrt(5))."""

    nd = 0

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed, output_padding,
                 groups, bias, padding_mode, device, dtype):
        super().__init__()
        name = type(self).__name__
        check_device(device, name)
        dtype = get_default_dtype() if dtype is None else to_dtype(dtype, name)
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must be "
                             f"divisible by groups ({groups})")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = as_tuple(kernel_size, self.nd, name, "kernel_size")
        self.stride = as_tuple(stride, self.nd, name, "stride")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: invalid padding string {padding!r}, should be 'same' or 'valid'")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = as_tuple(padding, self.nd, name, "padding")
        self.dilation = as_tuple(dilation, self.nd, name, "dilation")
        self.transposed = transposed
        self.output_padding = as_tuple(output_padding, self.nd, name, "output_padding")
        self.groups, self.padding_mode = groups, padding_mode
        shape = ((in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups))
        self.weight = Parameter(np.empty(shape + self.kernel_size, dtype))
        self.bias = Parameter(np.empty(out_channels, dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in else 0
            init.uniform_(self.bias, -bound, bound)

    def _padding_pairs(self):
        """F.pad's tuple (last axis first) for a padding_mode other than zeros; 'same' puts the odd one of an
        even total after, as PyTorch does."""
        if self.padding == "same":
            totals = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
            pairs = [(t // 2, t - t // 2) for t in totals]
        elif self.padding == "valid":
            pairs = [(0, 0)] * self.nd
        else:
            pairs = [(p, p) for p in self.padding]
        return tuple(v for pair in reversed(pairs) for v in pair)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self.nd:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.nd:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self.nd:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class _Conv(_ConvNd):
    function = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0, groups, bias,
                         padding_mode, device, dtype)

    def forward(self, input):
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._padding_pairs(), mode=self.padding_mode)
            return self.function(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return self.function(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv1d(_Conv):
    nd, function = 1, staticmethod(F.conv1d)


class Conv2d(_Conv):
    nd, function = 2, staticmethod(F.conv2d)


class Conv3d(_Conv):
    nd, function = 3, staticmethod(F.conv3d)


class _ConvTranspose(_ConvNd):
    function = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple, got {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, True, output_padding,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        return self.function(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                   self.groups, self.dilation)

    def _output_padding(self, input, output_size):
        """output_padding, or the one that gives `output_size` (spatial, or with the leading axes)."""
        if output_size is None:
            return self.output_padding
        output_size = tuple(int(n) for n in output_size)
        leading = input.ndim - self.nd
        if len(output_size) == leading + self.nd:
            output_size = output_size[leading:]
        if len(output_size) != self.nd:
            raise ValueError(f"{type(self).__name__}: output_size must have {self.nd} or {leading + self.nd} "
                             f"elements, got {output_size}")
        smallest = [(n - 1) * s - 2 * p + d * (k - 1) + 1 for n, s, p, d, k in zip(
            input.shape[leading:], self.stride, self.padding, self.dilation, self.kernel_size)]
        largest = [low + s - 1 for low, s in zip(smallest, self.stride)]
        if any(not low <= n <= high for n, low, high in zip(output_size, smallest, largest)):
            raise ValueError(f"{type(self).__name__}: requested an output size of {output_size}, but valid sizes "
                             f"range from {smallest} to {largest} (for an input of {tuple(input.shape[leading:])})")
        return tuple(n - low for n, low in zip(output_size, smallest))


class ConvTranspose1d(_ConvTranspose):
    nd, function = 1, staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    nd, function = 2, staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    nd, function = 3, staticmethod(F.conv_transpose3d)


class Unfold(Module):
    """The sliding windows of (N, C, H, W) as the columns of (N, C*kh*kw, L) (F.unfold)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")


class Fold(Module):
    """Columns (N, C*kh*kw, L) summed into the sliding windows of (N, C, *output_size) (F.fold)."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
