"""Element-wise primitives. Inputs may broadcast; the engine sums gradients back to each input's shape."""
import numpy as np

from tinygrad_like.ops.dispatch import log, raw, stable_sigmoid, where
from tinygrad_like.random import dropout_mask
from tinygrad_like.tensor import Function


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, -grad if ctx.needs_input_grad[1] else None


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        needs = ctx.needs_input_grad  # keep only what the needed gradients read, as PyTorch does
        ctx.save_for_backward(a if needs[1] else None, b if needs[0] else None)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (grad * b if ctx.needs_input_grad[0] else None,
                grad * a if ctx.needs_input_grad[1] else None)


class Dropout(Function):
    """x * mask, the mask 0 with probability p and 1/(1-p) elsewhere (inverted dropout).

    One node with its mask drawn inside, rather than a mask tensor times x, because dropout sits in
    every hidden layer of the networks it is used in.
    """

    @staticmethod
    def forward(ctx, x, p):
        mask = dropout_mask(x.shape, p, x.dtype)
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved_tensors[0]


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        out = a / b
        ctx.save_for_backward(b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        b, out = ctx.saved_tensors
        grad_a = grad / b
        return grad_a, -grad_a * out if ctx.needs_input_grad[1] else None  # d(a/b)/db = -(a/b)/b


class Pow(Function):
    @staticmethod
    def forward(ctx, base, exponent):
        out = base ** exponent
        ctx.save_for_backward(base, exponent, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        base, exponent, out = ctx.saved_tensors
        grad_base = grad_exponent = None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # the masked elements below
            if ctx.needs_input_grad[0]:  # x ** 0 is constant: gradient 0, not 0 * inf at x = 0 (PyTorch's rule)
                exponent_data = raw(exponent)
                constant = exponent_data == 0
                safe_base = base
                if exponent_data is not exponent:  # recorded, to be differentiated again
                    if exponent.requires_grad:
                        # Where x ** (y - 1) is finite the term is exactly 0 at y = 0 anyway: masking it only
                        # where that overflows (x = 0 or tiny) keeps its derivative in y, x ** -1, which
                        # PyTorch's rule sets to 0.
                        constant = constant & ~np.isfinite(raw(base) ** (exponent_data - 1))
                    safe_base = where(constant, 1.0, base)  # masked, x ** (y - 1) = inf would send back 0 * inf
                grad_base = where(constant, 0.0, grad * exponent * safe_base ** (exponent - 1))
            if ctx.needs_input_grad[1]:  # 0 ** y for y >= 0 is 0 or 1 around y: gradient 0, not 0 * -inf
                flat = (raw(base) == 0) & (raw(exponent) >= 0)
                grad_exponent = where(flat, 0.0, grad * out * log(where(flat, 1.0, base)))
        return grad_base, grad_exponent


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved_tensors[0]


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, grad):
        return grad / ctx.saved_tensors[0]


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad / (2 * ctx.saved_tensors[0])


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * np.sign(raw(ctx.saved_tensors[0]))  # 0 at the kink, as in PyTorch


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return grad * (1 - out * out)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        out = stable_sigmoid(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return grad * out * (1 - out)


class Relu(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # sign(out) is the mask out > 0 in out's own dtype (out >= 0): a same-dtype product costs half of
        # a product with a bool mask. A NaN output sends NaN back, as the NaN loss above it does anyway.
        return grad * np.sign(raw(ctx.saved_tensors[0]))


class Clip(Function):
    @staticmethod
    def forward(ctx, x, min=None, max=None):
        ctx.save_for_backward(x)
        ctx.bounds = min, max
        out = np.clip(x, min, max)
        # numpy scalar bounds (np.float64(0.5)) would widen a float32 x; like Python numbers they must not
        return out if out.dtype == x.dtype or x.dtype.kind != "f" else out.astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        x = raw(ctx.saved_tensors[0])
        low, high = ctx.bounds
        inside = np.ones(x.shape, dtype=bool)
        if low is not None:
            inside &= x >= low
        if high is not None:
            inside &= x <= high
        return grad * inside


class Maximum(Function):
    """Element-wise maximum; at ties each input gets half the gradient (PyTorch's convention)."""

    pick = staticmethod(np.maximum)
    winner_of_a = staticmethod(np.greater)

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a, b)
        return cls.pick(a, b)

    @classmethod
    def backward(cls, ctx, grad):
        a, b = (raw(x) for x in ctx.saved_tensors)
        grad_a = where(cls.winner_of_a(a, b), grad, where(a == b, grad * 0.5, 0.0))
        return grad_a, grad - grad_a


class Minimum(Maximum):
    pick = staticmethod(np.minimum)
    winner_of_a = staticmethod(np.less)


class Where(Function):
    """where(condition, a, b); the condition gets no gradient."""

    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.save_for_backward(condition)
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        condition = raw(ctx.saved_tensors[0])
        return (None,
                where(condition, grad, 0.0) if ctx.needs_input_grad[1] else None,
                where(condition, 0.0, grad) if ctx.needs_input_grad[2] else None)


class Cast(Function):
    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad  # the engine casts gradients to their input's dtype
