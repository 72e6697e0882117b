"""PyTorch's `torch.utils` names: `tinygrad_like.utils.data`."""
from tinygrad_like.utils import data

__all__ = ["data"]
