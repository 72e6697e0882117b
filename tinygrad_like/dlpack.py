"""from_dlpack: a Tensor sharing the memory of any DLPack producer (torch, numpy, jax, cupy on the CPU, ...).

The exchange is numpy's (np.from_dlpack): no copy, so writes through either side show in the other, as
with PyTorch's torch.from_dlpack. Only CPU memory can be shared, since numpy computes on the CPU.
"""
import numpy as np

from tinygrad_like.tensor import Tensor


class _Capsule:
    """A bare DLPack capsule (the legacy form of the protocol, which torch.from_dlpack also accepts) behind
    the __dlpack__ / __dlpack_device__ pair numpy asks for. A capsule can be consumed only once."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, stream=None, **_):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)  # kDLCPU: the only memory numpy can read; numpy refuses anything else itself


def from_dlpack(ext_tensor):
    """A Tensor viewing the memory of `ext_tensor` (an object with __dlpack__, or a DLPack capsule)."""
    if not hasattr(ext_tensor, "__dlpack__"):
        if type(ext_tensor).__name__ != "PyCapsule":
            raise TypeError(f"from_dlpack(): expects an object with __dlpack__ (a torch tensor, a numpy array, ...) "
                            f"or a DLPack capsule, got a {type(ext_tensor).__name__}")
        ext_tensor = _Capsule(ext_tensor)
    try:
        return Tensor._wrap(np.from_dlpack(ext_tensor))
    except (RuntimeError, BufferError) as error:  # a dtype numpy lacks (bfloat16), GPU memory, a tensor in a graph
        raise type(error)(f"from_dlpack(): numpy cannot share this {type(ext_tensor).__name__}'s memory ({error}); "
                          "on the producer's side, detach it, move it to the CPU or convert it to a numpy dtype "
                          "(e.g. t.detach().cpu().float())") from error
