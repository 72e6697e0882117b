"""Integer arithmetic with PyTorch's semantics: floor division, remainder (the divisor's sign, as
Python's %), fmod (the dividend's sign, as C's), division rounded toward zero or down, and the bitwise
ops and shifts. The divisions work on integer and floating-point arrays (bool has none, as in PyTorch);
integer division by zero raises, as PyTorch's does, where numpy would return 0 with a warning.
"""
import numpy as np

from tinygrad_like.ops.dispatch import raw
from tinygrad_like.ops.unary import _zero_gradient
from tinygrad_like.tensor import Function


class DtypeError(TypeError, NotImplementedError):
    """An op that does not exist for a dtype (bitwise ops of floats, floor division of bools): a
    TypeError, and the NotImplementedError that PyTorch raises for these."""


class IntegerDivisionByZero(ZeroDivisionError, RuntimeError):
    """Integer division by zero: Python's ZeroDivisionError, and a RuntimeError as PyTorch raises it."""


def _check_operands(name, a, b):
    if a.dtype.kind == "b":
        raise DtypeError(f"{name} is not implemented for bool tensors (PyTorch has none either); convert "
                         "them first, e.g. a.long()")
    if a.dtype.kind in "iu" and not b.all():
        raise IntegerDivisionByZero(f"{name}: ZeroDivisionError: integer division by zero (a {b.dtype} divisor "
                                    "has a zero element); divide floating-point tensors for inf and nan instead")


def floor_divide(a, b):
    """a / b rounded down, numpy's floor division (PyTorch's for integers and floats alike)."""
    # int MIN // -1 wraps around to MIN as in PyTorch; float division by zero gives inf or nan
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.floor_divide(a, b)


def trunc_divide(a, b):
    """a / b rounded toward zero: trunc(a / b) for floats (PyTorch's formula), exact for integers."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if a.dtype.kind == "f":
            return np.trunc(a / b)
        quotient, rest = np.divmod(a, b)
        # floor and trunc differ by one where the division is inexact and the signs differ
        return quotient + ((rest != 0) & ((a < 0) != (b < 0))).astype(quotient.dtype)


class FloorDivide(Function):
    """a // b. Like PyTorch, no derivative: backward raises (div(rounding_mode='floor') has zeros)."""

    @staticmethod
    def forward(ctx, a, b):
        _check_operands("floor_divide", a, b)
        return floor_divide(a, b)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("floor_divide (//): the derivative is not implemented, as in PyTorch; use "
                           "div(a, b, rounding_mode='floor'), the same values with a zero gradient, or detach() "
                           "the operands")


class RoundedDivide(Function):
    """div(a, b, rounding_mode='trunc' | 'floor'): piecewise constant, a zero gradient for both inputs."""

    @staticmethod
    def forward(ctx, a, b, rounding_mode):
        _check_operands(f"div(rounding_mode={rounding_mode!r})", a, b)
        return trunc_divide(a, b) if rounding_mode == "trunc" else floor_divide(a, b)

    @staticmethod
    def backward(ctx, grad):
        zero = _zero_gradient(ctx, grad)
        return (zero if ctx.needs_input_grad[0] else None,
                zero if ctx.needs_input_grad[1] else None)


def remainder(a, b):
    """a - b * floor(a / b), with b's sign. For floats PyTorch's formula, fmod(a, b) moved into b's sign:
    a zero result keeps a's sign (-4.0 % 2.0 is -0.0), where numpy and Python give b's."""
    if a.dtype.kind != "f":
        return np.remainder(a, b)
    mod = np.fmod(a, b)
    return np.where((mod != 0) & ((b < 0) != (mod < 0)), mod + b, mod)


class Remainder(Function):
    """a - b * floor(a / b), with b's sign (Python's %, torch.remainder). d/da = 1, d/db = -floor(a / b)."""

    quotient = staticmethod(floor_divide)
    compute = staticmethod(remainder)
    name = "remainder"

    @classmethod
    def forward(cls, ctx, a, b):
        _check_operands(cls.name, a, b)
        if ctx.needs_input_grad[1]:
            ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):  # float division by zero: nan, as in PyTorch
            return cls.compute(a, b)

    @classmethod
    def backward(cls, ctx, grad):
        grad_b = None
        if ctx.needs_input_grad[1]:
            a, b = ctx.saved_tensors
            grad_b = -grad * cls.quotient(raw(a), raw(b))  # the quotient is piecewise constant: no derivative
        return grad if ctx.needs_input_grad[0] else None, grad_b


class Fmod(Remainder):
    """a - b * trunc(a / b), with a's sign (C's fmod, torch.fmod). d/da = 1, d/db = -trunc(a / b)."""

    quotient = staticmethod(trunc_divide)
    compute = staticmethod(np.fmod)
    name = "fmod"


class Bitwise(Function):
    """A bitwise op of bool and integer tensors of one dtype; integer results stay outside the graph."""

    compute = None
    name = None
    kinds = "biu"  # the dtype kinds it exists for

    @classmethod
    def forward(cls, ctx, *arrays):
        dtype = arrays[0].dtype
        if dtype.kind not in cls.kinds:
            kinds = "integer" if cls.kinds == "iu" else "bool and integer"
            hint = "; compare first (x > 0) or use logical_and / logical_or / logical_not" if dtype.kind == "f" else ""
            raise DtypeError(f"{cls.name} is a bitwise operation on {kinds} tensors, not on {dtype} ones{hint}")
        return cls.compute(*arrays)


class BitwiseAnd(Bitwise):
    compute, name = staticmethod(np.bitwise_and), "&"


class BitwiseOr(Bitwise):
    compute, name = staticmethod(np.bitwise_or), "|"


class BitwiseXor(Bitwise):
    compute, name = staticmethod(np.bitwise_xor), "^"


class BitwiseNot(Bitwise):
    compute, name = staticmethod(np.invert), "~"


class LeftShift(Bitwise):
    """a << b; shifting by the width or more, or by a negative amount, gives 0 (numpy's and PyTorch's rule)."""

    compute, name, kinds = staticmethod(np.left_shift), "<<", "iu"


class RightShift(Bitwise):
    """a >> b, arithmetic (sign-filling); by the width or more, or a negative amount: 0 or -1."""

    compute, name, kinds = staticmethod(np.right_shift), ">>", "iu"
