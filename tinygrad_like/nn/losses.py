"""Loss modules; reduction = 'mean' | 'sum' | 'none' as in PyTorch."""
from tinygrad_like.nn import functional as F
from tinygrad_like.nn.module import Module


class _Loss(Module):
    function = None  # the nn.functional form, set by each subclass

    def __init__(self, reduction="mean"):
        super().__init__()
        F._check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def forward(self, input, target):
        return type(self).function(input, target, reduction=self.reduction)

    def extra_repr(self):  # PyTorch shows a loss's reduction only when it is not the default
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    function = staticmethod(F.mse_loss)


class L1Loss(_Loss):
    function = staticmethod(F.l1_loss)


class BCELoss(_Loss):
    function = staticmethod(F.binary_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    function = staticmethod(F.binary_cross_entropy_with_logits)


class CrossEntropyLoss(_Loss):
    function = staticmethod(F.cross_entropy)


class NLLLoss(_Loss):
    function = staticmethod(F.nll_loss)
