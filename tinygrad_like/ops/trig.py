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


def _sqrt(x):
    return x.sqrt() if isinstance(x, Tensor) else np.sqrt(x)


def _sinh(x):
    return x.sinh() if isinstance(x, Tensor) else np.sinh(x)


def _cosh(x):
    return x.cosh() if isinstance(x, Tensor) else np.cosh(x)


class Asin(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsin(x)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.saved_tensors[0]
        return grad / _sqrt(1 - x * x)


class Acos(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arccos(x)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.saved_tensors[0]
        return -grad / _sqrt(1 - x * x)


class Atan(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.saved_tensors[0]
        return grad / (x * x + 1)


class Sinh(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sinh(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * _cosh(ctx.saved_tensors[0])


class Cosh(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cosh(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * _sinh(ctx.saved_tensors[0])


class Asinh(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsinh(x)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.saved_tensors[0]
        return grad / _sqrt(x * x + 1)


class Acosh(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arccosh(x)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.saved_tensors[0]
        return grad / _sqrt(x * x - 1)


class Atanh(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctanh(x)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.saved_tensors[0]
        return grad / (1 - x * x)
