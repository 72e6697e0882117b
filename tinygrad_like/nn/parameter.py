"""Parameter: a Tensor that a Module registers and an optimizer updates."""
from tinygrad_like.tensor import Tensor


class Parameter(Tensor):
    """A leaf Tensor that requires grad (unless told otherwise) and is listed by Module.parameters()."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
