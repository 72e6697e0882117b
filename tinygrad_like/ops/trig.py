"""Trigonometric primitives."""
import numpy as np

from tinygrad_like.tensor import Function, Tensor


def _sin(x):
    return x.sin() if isinstance(x, Tensor) else np.sin(x)


def _cos(x):
    return x.cos() if isinstance(x, Tensor) else np.cos(x)


class Sin(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * _cos(ctx.saved_tensors[0])


class Cos(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, grad):
        return -grad * _sin(ctx.saved_tensors[0])
