"""Channel-wise and alpha dropout layers (PyTorch's names and arguments), thin Modules over nn.functional."""
from tinygrad_like.nn import functional as F
from tinygrad_like.nn.module import Module


class _DropoutNd(Module):
    function = None  # the nn.functional form, set by the subclasses

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return self.function(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_DropoutNd):
    """Zeroes whole channels of (N, C, L) or (C, L) in training, scaling the rest by 1/(1-p)."""

    function = staticmethod(F.dropout1d)


class Dropout2d(_DropoutNd):
    """Zeroes whole channels of (N, C, H, W) in training, scaling the rest by 1/(1-p)."""

    function = staticmethod(F.dropout2d)


class Dropout3d(_DropoutNd):
    """Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) in training, scaling the rest by 1/(1-p)."""

    function = staticmethod(F.dropout3d)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps SELU's zero mean and unit variance (dropped units take SELU's saturation)."""

    function = staticmethod(F.alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """AlphaDropout of whole channels (axis 1)."""

    function = staticmethod(F.feature_alpha_dropout)
