"""Matrix products."""
import numpy as np

from tinygrad_like.ops.dispatch import expand_dims, raw, where
from tinygrad_like.tensor import Function, Tensor


def takes_dot(a, b):
    """Whether a @ b (arrays, b 2-D) should take ndarray.dot rather than np.matmul: the same bits, about a
    microsecond less per call, which is most of a small product's time.

    ndarray.dot for a C-contiguous matrix `a`; it also calls BLAS when the inner dimension is 1 (a
    one-sample weight gradient), where np.matmul loops in C, several times slower. And for two
    matrices with every dimension above 1, each C- or F-contiguous, of one float dtype (the transposed
    `a` of a weight gradient x.T @ grad): there numpy's matmul loop (umath/matmul) and dot
    (common/cblasfuncs.c) make the same call, cblas_?gemm(RowMajor, the same transpositions, leading
    dimensions, alpha 1 and beta 0), or both the same ?syrk for a matrix times its transpose. np.matmul
    for the rest: other ranks, strided operands, dimensions of 1 off the C-contiguous path."""
    if a.ndim != 2:
        return False
    if a.flags.c_contiguous:
        return True
    return (b.ndim == 2 and a.flags.f_contiguous and min(a.shape + b.shape) > 1 and a.dtype == b.dtype
            and a.dtype in _BLAS_FLOATS and (b.flags.c_contiguous or b.flags.f_contiguous))


_BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _product(a, b):
    """a @ b for a 2-D b, by the faster of numpy's two routes (see takes_dot). An `a` of more than two
    dimensions (a sequence's (T, B, features)) is multiplied as one matrix of all its rows: np.matmul
    would call BLAS once per (B, features) matrix, 2-4x slower on a recurrent layer's input projection."""
    if type(a) is not np.ndarray:  # a Tensor, in a recorded backward (where b is one too)
        return a @ b
    if a.ndim == 2 and a.flags.c_contiguous:  # takes_dot's first case, without the call: most products
        return a.dot(b)
    if a.ndim > 2:
        return _product(a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + b.shape[-1:])
    return a.dot(b) if takes_dot(a, b) else np.matmul(a, b)


class MatMul(Function):
    """a @ b with numpy's rules: 1-D operands are promoted to matrices, leading axes broadcast."""

    @staticmethod
    def forward(ctx, a, b):
        needs = ctx.needs_input_grad  # keep only what the needed gradients read, as PyTorch does
        ctx.save_for_backward(a if needs[1] else None, b if needs[0] else None)
        ctx.ndims = a.ndim, b.ndim
        return _product(a, b) if b.ndim == 2 else np.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        a_ndim, b_ndim = ctx.ndims
        if a_ndim == 2 and b_ndim == 2:  # the common case, without the promotions below
            return (_product(grad, b.T) if ctx.needs_input_grad[0] else None,
                    _product(a.T, grad) if ctx.needs_input_grad[1] else None)
        grad2 = grad  # with the axes that promoting 1-D operands to matrices added
        if a_ndim == 1:
            grad2 = expand_dims(grad2, -2 if b_ndim > 1 else -1)
        if b_ndim == 1:
            grad2 = expand_dims(grad2, -1)
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            b2 = b[:, None] if b_ndim == 1 else b
            grad_a = grad2 @ b2.swapaxes(-1, -2)
            grad_a = grad_a[..., 0, :] if a_ndim == 1 else grad_a
        if ctx.needs_input_grad[1]:
            a2 = a[None, :] if a_ndim == 1 else a
            grad_b = a2.swapaxes(-1, -2) @ grad2
            grad_b = grad_b[..., :, 0] if b_ndim == 1 else grad_b
        return grad_a, grad_b  # broadcast batch axes are summed away by the engine


class VectorNorm(Function):
    """The 2-norm over axes; its gradient x / norm is 0 where the norm is 0 (PyTorch's subgradient)."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        out = np.sqrt(np.sum(x * x, axis=axis, keepdims=True))
        ctx.save_for_backward(x, out)
        ctx.axis, ctx.keepdims = axis, keepdims
        return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        if isinstance(x, Tensor):  # recorded: the norm as a function of x (the saved one has kept dims)
            out = VectorNorm.apply(x, axis=ctx.axis, keepdims=True)
        if not ctx.keepdims:
            grad = expand_dims(grad, ctx.axis) if ctx.axis is not None else grad.reshape((1,) * x.ndim)
        return grad * x / where(raw(out) == 0, 1.0, out)  # where the norm is 0, x is 0 too


class Linear(Function):
    """x @ weight.T + bias in one node (PyTorch's weight layout (out_features, in_features)).

    Fused because it is the body of every dense layer: one node instead of three halves the
    per-layer overhead on small networks.
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        needs = ctx.needs_input_grad  # keep only what the needed gradients read, as PyTorch does
        ctx.save_for_backward(x if needs[1] else None, weight if needs[0] else None)
        ctx.weight_is_column_major = weight.flags.f_contiguous
        out = _product(x, weight.T)
        if bias is not None:
            out += bias  # `out` is a fresh array
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_x = _product(grad, weight) if needs[0] else None
        if grad.ndim != 2:  # the rows of all leading axes, for the weight's and the bias's gradients
            grad = grad.reshape(-1, grad.shape[-1])
        grad_weight = None
        if needs[1]:
            x = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
            # in the weight's memory layout, so that an optimizer's in-place update runs contiguously
            grad_weight = _product(x.T, grad).T if ctx.weight_is_column_major else _product(grad.T, x)
        grad_bias = None
        if len(needs) > 2 and needs[2]:
            grad_bias = grad.sum(axis=0) if type(grad) is not np.ndarray else np.add.reduce(grad, axis=0)
        return (grad_x, grad_weight, grad_bias)[:len(needs)]
