"""The Tensor, and Function: the protocol in which every differentiable op is written.

A Function subclass pairs `forward(ctx, *arrays, **options) -> ndarray` with
`backward(ctx, grad) -> one gradient per input`. `Function.apply(*tensors)` runs forward on the
tensors' arrays and, when an input requires grad, records the call (the Function instance itself is
the `ctx`) as the node that produced the result. `Tensor.backward` hands the graph to `engine`.
"""
import functools
import itertools

import numpy as np

from tinygrad_like import engine
from tinygrad_like.grad_mode import GradMode


class Function:
    """Base class of differentiable ops, for the built-in primitives and for users' own.

    Subclass it with two static methods and call it with `MyOp.apply(*tensors, **options)`::

        class Cube(Function):
            @staticmethod
            def forward(ctx, x):              # numpy arrays in, one numpy array out
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, grad):          # one gradient per forward input, None where there is none
                (x,) = ctx.saved_tensors
                return 3 * x ** 2 * grad

    A gradient may have the broadcast shape of the output: the engine sums it to the input's shape.
    Backward must not modify `grad` or the saved arrays in place.
    """

    parents = ()  # the input tensors; None once backward() has freed the node
    needs_input_grad = ()  # per input: does it require grad?
    saved_tensors = ()  # what forward saved with save_for_backward (numpy arrays)
    returns_new_arrays = False  # set per subclass below; read by the engine

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A user's backward may return an array its node holds (a saved input, say), which the engine must
        # copy before it can become a .grad. The built-in ops return new arrays or views of `grad`, so the
        # engine skips that check (a few microseconds per node) for them.
        cls.returns_new_arrays = cls.__module__.startswith("tinygrad_like.ops.")

    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays

    @staticmethod
    def forward(ctx, *arrays, **options):
        raise NotImplementedError("a Function subclass must define @staticmethod forward(ctx, *arrays)")

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("a Function subclass must define @staticmethod backward(ctx, grad)")

    @classmethod
    def apply(cls, *inputs, **options):
        for x in inputs:
            if not isinstance(x, Tensor):
                inputs = tuple(x if isinstance(x, Tensor) else Tensor(x) for x in inputs)
                break
        ctx = cls()
        try:
            if len(inputs) == 2:  # unrolled for the common arities: this runs for every op
                a, b = inputs
                ctx.needs_input_grad = needs = (a.requires_grad, b.requires_grad)
                data = cls.forward(ctx, a._data, b._data, **options) if options else cls.forward(ctx, a._data, b._data)
            elif len(inputs) == 1:
                a = inputs[0]
                ctx.needs_input_grad = needs = (a.requires_grad,)
                data = cls.forward(ctx, a._data, **options) if options else cls.forward(ctx, a._data)
            else:
                ctx.needs_input_grad = needs = tuple([t.requires_grad for t in inputs])
                data = cls.forward(ctx, *[t._data for t in inputs], **options)
        except (ValueError, TypeError, IndexError) as error:
            raise _op_error(cls, error, inputs) from error
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        out = _new_tensor(Tensor)  # _wrap(data), inlined
        out._data = data
        out.grad = None
        if True in needs and GradMode.enabled and data.dtype.kind == "f":
            ctx.parents = inputs
            ctx.sequence = _next_sequence()  # creation order: the engine's topological order
            out._ctx = ctx
            out.requires_grad = True
        else:
            out._ctx = None
            out.requires_grad = False
        return out


def _op_error(op, error, inputs):
    shapes = ", ".join(f"{t.shape} {t.dtype}" for t in inputs)
    message = f"{op.__name__}: {error} [inputs: {shapes}]"
    try:
        return type(error)(message)
    except Exception:  # an exception type whose constructor takes other arguments
        return ValueError(message)


from tinygrad_like import ops  # noqa: E402  (the ops subclass Function, defined above)

_next_sequence = itertools.count().__next__
_MATRIX_IDENTITY_PAIRS = ((0, 1), (0, -1), (-2, 1), (-2, -1))  # transpose(0, 1) of a matrix, spelt four ways
_PYTHON_REALS = (int, float)
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_DEFAULT_DTYPE = {0: np.dtype(bool), 1: np.dtype(np.int64), 2: np.dtype(np.float32), 3: np.dtype(np.complex64)}


def _wrap(data):
    """A Tensor around an existing ndarray, without copying or checks (for ops and the engine)."""
    tensor = _new_tensor(Tensor)
    tensor._data = data
    tensor.grad = None
    tensor.requires_grad = False
    tensor._ctx = None
    return tensor


_new_tensor = object.__new__


class Tensor:
    """An n-dimensional array that can record the operations applied to it and differentiate them.

    `Tensor(data, requires_grad=False, dtype=None)`: Python floats become float32, ints int64 and
    bools bool (PyTorch's defaults); numpy arrays keep their dtype. The data is always copied.
    Only floating-point tensors can require grad.
    """

    __slots__ = ("_data", "grad", "requires_grad", "_ctx", "__weakref__")
    __array_ufunc__ = None  # makes numpy defer `ndarray + Tensor` to Tensor.__radd__
    __hash__ = object.__hash__  # identity hashing, although == is element-wise

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data._data
        if dtype is not None or isinstance(data, (np.ndarray, np.generic)):
            array = np.array(data, dtype=dtype)
        else:
            array = np.array(data)
            if array.dtype == np.float64:
                array = array.astype(np.float32)
        if array.dtype.kind not in "biufc":
            raise TypeError(f"Tensor(): cannot make a numeric tensor from data of dtype {array.dtype}; "
                            "pass numbers, (equal-length) nested lists of numbers or a numeric ndarray")
        self._data = array
        self.grad = None
        self._ctx = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_()

    _wrap = staticmethod(_wrap)

    # ---- attributes -----------------------------------------------------------------------------
    @property
    def data(self):
        """PyTorch's `.data`: a tensor outside the graph that shares this one's memory (writes show here)."""
        return _wrap(self._data)

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    shape = property(lambda self: self._data.shape)
    ndim = property(lambda self: self._data.ndim)
    dtype = property(lambda self: self._data.dtype)
    size = property(lambda self: self._data.size, doc="number of elements (numpy's meaning)")
    is_leaf = property(lambda self: self._ctx is None, doc="created by the user, not by an op")
    T = property(lambda self: self.transpose())

    def numel(self):
        return self._data.size

    def numpy(self):
        return self._data

    def tolist(self):
        return self._data.tolist()

    def item(self):
        if self._data.size != 1:
            raise ValueError(f"item(): only a one-element tensor converts to a Python number; this one has "
                             f"shape {self.shape}")
        return self._data.item()

    def __array__(self, dtype=None, copy=None):
        return np.array(self._data, dtype=dtype, copy=copy)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __repr__(self):
        body = np.array2string(self._data, separator=", ", prefix="Tensor(")
        extras = "" if self.dtype == np.float32 else f", dtype={self.dtype}"
        if self._ctx is not None:
            extras += f", grad_fn={type(self._ctx).__name__}"
        elif self.requires_grad:
            extras += ", requires_grad=True"
        return f"Tensor({body}{extras})"

    # ---- autograd -------------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's `.grad`; `gradient` seeds a non-scalar self.

        The graph's saved arrays are freed afterwards unless `retain_graph=True`.
        """
        engine.backward(self, gradient, retain_graph)

    def detach(self):
        """The same data, cut from the graph."""
        return Tensor._wrap(self._data)

    def requires_grad_(self, requires_grad=True):
        if not self.is_leaf:
            raise RuntimeError("requires_grad_(): only leaf tensors can change it; call .detach() first to "
                               "get a leaf with the same data")
        if requires_grad and self._data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require grad, but this one is {self.dtype}; "
                            "create it with float data or dtype=np.float32 / np.float64")
        self.requires_grad = requires_grad
        return self

    # ---- dtype conversion -----------------------------------------------------------------------
    def astype(self, dtype):
        dtype = np.dtype(dtype)
        return self if dtype == self._data.dtype else ops.Cast.apply(self, dtype=dtype)

    def float(self):
        return self.astype(np.float32)

    def double(self):
        return self.astype(np.float64)

    def long(self):
        return self.astype(np.int64)

    # ---- arithmetic -----------------------------------------------------------------------------
    def __add__(self, other):
        return ops.Add.apply(*_operands(self, other))

    def __radd__(self, other):
        return ops.Add.apply(*_operands(other, self))

    def __sub__(self, other):
        return ops.Sub.apply(*_operands(self, other))

    def __rsub__(self, other):
        return ops.Sub.apply(*_operands(other, self))

    def __mul__(self, other):
        return ops.Mul.apply(*_operands(self, other))

    def __rmul__(self, other):
        return ops.Mul.apply(*_operands(other, self))

    def __truediv__(self, other):
        return ops.Div.apply(*_division_operands(self, other))

    def __rtruediv__(self, other):
        return ops.Div.apply(*_division_operands(other, self))

    def __pow__(self, exponent):
        return ops.Pow.apply(*_operands(self, exponent))

    def __rpow__(self, base):
        return ops.Pow.apply(*_operands(base, self))

    def __matmul__(self, other):
        return ops.MatMul.apply(*_operands(self, other))

    def __rmatmul__(self, other):
        return ops.MatMul.apply(*_operands(other, self))

    def __neg__(self):
        return ops.Neg.apply(self)

    add, sub, mul, div, pow, matmul, neg = __add__, __sub__, __mul__, __truediv__, __pow__, __matmul__, __neg__

    def maximum(self, other):
        return ops.Maximum.apply(*_operands(self, other))

    def minimum(self, other):
        return ops.Minimum.apply(*_operands(self, other))

    def where(self, condition, other):
        """PyTorch's `x.where(condition, y)`: x where condition holds, else y."""
        return where(condition, self, other)

    # ---- comparisons (results are bool tensors, outside the graph) ------------------------------
    def __lt__(self, other):
        return Tensor._wrap(self._data < _array(other))

    def __le__(self, other):
        return Tensor._wrap(self._data <= _array(other))

    def __gt__(self, other):
        return Tensor._wrap(self._data > _array(other))

    def __ge__(self, other):
        return Tensor._wrap(self._data >= _array(other))

    def __eq__(self, other):
        return Tensor._wrap(self._data == _array(other))

    def __ne__(self, other):
        return Tensor._wrap(self._data != _array(other))

    # ---- element-wise functions -----------------------------------------------------------------
    def exp(self):
        return ops.Exp.apply(_floating(self))

    def log(self):
        return ops.Log.apply(_floating(self))

    def sqrt(self):
        return ops.Sqrt.apply(_floating(self))

    def abs(self):
        return ops.Abs.apply(self)

    def tanh(self):
        return ops.Tanh.apply(_floating(self))

    def sigmoid(self):
        return ops.Sigmoid.apply(_floating(self))

    def relu(self):
        return ops.Relu.apply(self)

    def clip(self, min=None, max=None):
        """Limit values to [min, max] (either may be None); the gradient flows where min <= x <= max."""
        if min is None and max is None:
            raise ValueError("clip(): give at least one of min and max")
        return ops.Clip.apply(self, min=min, max=max)

    clamp = clip

    # ---- reductions -----------------------------------------------------------------------------
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.Sum.apply(self, axis=_axis(axis, dim), keepdims=_keepdims(keepdims, keepdim))

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.Mean.apply(_floating(self), axis=_axis(axis, dim), keepdims=_keepdims(keepdims, keepdim))

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.Max.apply(self, axis=_axis(axis, dim), keepdims=_keepdims(keepdims, keepdim))

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.Min.apply(self, axis=_axis(axis, dim), keepdims=_keepdims(keepdims, keepdim))

    amax, amin = max, min  # PyTorch's names for the values-only reductions

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """int64 indices of the first maximum along one axis (of the flattened tensor if None); no graph."""
        return self._arg_reduction(np.argmax, "argmax", _axis(axis, dim), _keepdims(keepdims, keepdim))

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """int64 indices of the first minimum along one axis (of the flattened tensor if None); no graph."""
        return self._arg_reduction(np.argmin, "argmin", _axis(axis, dim), _keepdims(keepdims, keepdim))

    def _arg_reduction(self, reducer, name, axis, keepdims):
        if axis is not None:
            if not isinstance(axis, (int, np.integer)):
                raise TypeError(f"{name}(): axis must be one int or None, got {axis!r} (tensor of shape {self.shape})")
            axis = _axis_index(axis, self.ndim, self.shape, name)
        if (self._data.size if axis is None else self.shape[axis]) == 0:
            raise ValueError(f"{name}(): nothing to choose from along axis {axis} of a tensor of shape {self.shape}")
        return Tensor._wrap(np.asarray(reducer(self._data, axis=axis, keepdims=keepdims), dtype=np.int64))

    def var(self, axis=None, keepdims=False, correction=1, *, dim=None, keepdim=None, ddof=None):
        """Variance; like PyTorch the default is unbiased (correction=1); numpy's `ddof` is an alias."""
        axis, keepdims = _axis(axis, dim), _keepdims(keepdims, keepdim)
        correction = correction if ddof is None else ddof
        centred = self - self.mean(axis, keepdims=True)
        squares = (centred * centred).sum(axis, keepdims=keepdims)
        return squares / (self._data.size // max(squares._data.size, 1) - correction)

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """log(sum(exp(x))) along axes, finite for large inputs.

        Composite: shifting by the (constant) maximum does not change the value or the gradient.
        """
        axis, keepdims = _axis(axis, dim), _keepdims(keepdims, keepdim)
        shift = self._data.max(axis=axis, keepdims=True)
        shift = Tensor._wrap(np.where(np.isfinite(shift), shift, 0))  # all -inf rows: avoid inf - inf
        out = (self - shift).exp().sum(axis, keepdims=True).log() + shift
        return out if keepdims else out.squeeze(axis)

    def softmax(self, axis=-1, *, dim=None):
        return ops.Softmax.apply(self, axis=_axis(axis, dim, default=-1))

    def log_softmax(self, axis=-1, *, dim=None):
        return ops.LogSoftmax.apply(self, axis=_axis(axis, dim, default=-1))

    # ---- shape ----------------------------------------------------------------------------------
    def reshape(self, *shape):
        return ops.Reshape.apply(self, shape=_shape_arg(shape))

    view = reshape

    def transpose(self, *axes):
        """Permute axes like numpy: no argument reverses them; else a full permutation (or one tuple).

        To swap two axes of a higher-dimensional tensor (PyTorch's transpose) use `swapaxes(a, b)`.
        `transpose(0, 1)` of a matrix is an error: numpy reads it as the identity, PyTorch as a swap.
        """
        if not axes:
            return self._permute(tuple(range(self.ndim))[::-1], "transpose")
        if self.ndim == 2 and axes in _MATRIX_IDENTITY_PAIRS:
            raise ValueError(f"transpose{axes} of a 2-D tensor (shape {self.shape}) is ambiguous: numpy keeps the "
                             "axes in order, PyTorch swaps them; write .T or swapaxes(0, 1) to swap them, "
                             "permute(0, 1) to keep them")
        return self._permute(_shape_arg(axes), "transpose")

    def permute(self, *axes):
        """Reorder the axes by a full permutation, given as ints or one tuple (numpy and PyTorch agree)."""
        return self._permute(_shape_arg(axes), "permute")

    def _permute(self, axes, name):
        if not all(isinstance(a, (int, np.integer)) for a in axes):
            raise TypeError(f"{name}(): axes must be ints (or one tuple of ints), got {axes}")
        normalised = tuple(a % self.ndim if -self.ndim <= a < self.ndim else a for a in axes)
        if sorted(normalised) != list(range(self.ndim)):
            raise ValueError(f"{name}(): axes {axes} are not a permutation of the {self.ndim} axes of a "
                             f"tensor of shape {self.shape}; to swap two axes use swapaxes(a, b)")
        return ops.Transpose.apply(self, axes=normalised)

    def swapaxes(self, axis1, axis2):
        axis1, axis2 = (_axis_index(a, self.ndim, self.shape, "swapaxes") for a in (axis1, axis2))
        axes = list(range(self.ndim))
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        return self._permute(axes, "swapaxes")

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        start = _axis_index(start_dim, self.ndim, self.shape, "flatten")
        end = _axis_index(end_dim, self.ndim, self.shape, "flatten")
        if start > end:
            raise ValueError(f"flatten(): start_dim {start_dim} comes after end_dim {end_dim} for a tensor of "
                             f"shape {self.shape}")
        shape = self.shape
        return self.reshape(shape[:start] + (-1,) + shape[end + 1:])

    def squeeze(self, axis=None, *, dim=None):
        axis = _axis(axis, dim)
        shape = self.shape
        if axis is None:
            return self.reshape(tuple(n for n in shape if n != 1))
        axes = {_axis_index(a, self.ndim, shape, "squeeze") for a in (axis if isinstance(axis, tuple) else (axis,))}
        if any(shape[a] != 1 for a in axes):
            raise ValueError(f"squeeze(): axis {axis} of a tensor of shape {shape} does not have size 1")
        return self.reshape(tuple(n for i, n in enumerate(shape) if i not in axes))

    def unsqueeze(self, dim):
        shape = self.shape
        dim = _axis_index(dim, self.ndim + 1, shape, "unsqueeze")  # the new axis may also go last
        return self.reshape(shape[:dim] + (1,) + shape[dim:])

    def expand(self, *shape):
        """Broadcast to `shape` (-1 keeps a size), without copying; like PyTorch's expand."""
        shape = _shape_arg(shape)
        if len(shape) < self.ndim:
            raise ValueError(f"expand(): shape {shape} has fewer axes than the tensor's shape {self.shape}")
        own = (None,) * (len(shape) - self.ndim) + self.shape
        if any(size == -1 and mine is None for size, mine in zip(shape, own)):
            raise ValueError(f"expand(): -1 (keep the size) cannot stand for a new leading axis; shape {shape}, "
                             f"tensor shape {self.shape}")
        shape = tuple(mine if size == -1 else size for size, mine in zip(shape, own))
        return ops.Expand.apply(self, shape=shape)

    def __getitem__(self, index):
        if type(index) is not slice:  # a slice (a batch) needs no conversion
            index = _index(index)
        if self.requires_grad and GradMode.enabled:
            return ops.Getitem.apply(self, index=index)
        try:  # nothing to differentiate (e.g. slicing a batch out of the data): no graph node needed
            return _wrap(self._data[index])
        except (IndexError, ValueError, TypeError) as error:
            raise _op_error(ops.Getitem, error, (self,)) from error


# ---- module-level functions ---------------------------------------------------------------------
def cat(tensors, axis=0, *, dim=None):
    """Join tensors along an existing axis."""
    tensors = _common_dtype(tensors, "cat")
    return ops.Concatenate.apply(*tensors, axis=_axis(axis, dim, default=0))


def stack(tensors, axis=0, *, dim=None):
    """Join tensors along a new axis."""
    axis = _axis(axis, dim, default=0)
    return cat([t.unsqueeze(axis) for t in _common_dtype(tensors, "stack")], axis)


def where(condition, a, b):
    """Elements of `a` where `condition` holds, else of `b` (all three broadcast)."""
    condition = Tensor._wrap(np.asarray(_array(condition), dtype=bool))
    return ops.Where.apply(condition, *_operands(a, b))


# ---- helpers ------------------------------------------------------------------------------------
def _array(x):
    return x._data if isinstance(x, Tensor) else x


def _operands(a, b):
    """Both operands as Tensors of one dtype, by PyTorch's promotion rules.

    A category (bool < int < float) decides first. Within it, a tensor with dimensions outranks a 0-d
    one, which outranks a Python number: `float32_tensor * 2.0`, `* np.float64(2)` and `* int64_mask`
    all stay float32.
    """
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            if a._data.dtype == b._data.dtype:
                return a, b
        elif type(b) in _PYTHON_REALS and a._data.dtype.kind == "f":  # the common `x * 0.5`
            return a, _wrap(np.asarray(b, a._data.dtype))
    elif type(a) in _PYTHON_REALS and isinstance(b, Tensor) and b._data.dtype.kind == "f":
        return _wrap(np.asarray(a, b._data.dtype)), b
    dtype = _result_dtype(a, b)
    return _as_tensor(a, dtype), _as_tensor(b, dtype)


def _division_operands(a, b):
    """`_operands`, then float32 for integers and bools: true division gives the default float dtype
    (PyTorch's rule; numpy's would be float64)."""
    a, b = _operands(a, b)
    if a._data.dtype.kind in "biu":
        return a.astype(np.float32), b.astype(np.float32)
    return a, b


def _rank(x, data):
    if isinstance(x, (bool, int, float, complex)):
        return 0
    return 1 if data.ndim == 0 else 2


def _result_dtype(a, b):
    a_data, b_data = np.asarray(_array(a)), np.asarray(_array(b))
    a_rank, b_rank = _rank(a, a_data), _rank(b, b_data)
    a_category, b_category = _CATEGORY[a_data.dtype.kind], _CATEGORY[b_data.dtype.kind]
    if a_rank == b_rank:
        return _promote(a_data.dtype, b_data.dtype)
    (strong, strong_category), (weak, weak_category, weak_rank) = (
        ((a_data, a_category), (b_data, b_category, b_rank)) if a_rank > b_rank
        else ((b_data, b_category), (a_data, a_category, a_rank)))
    if weak_category <= strong_category:
        return strong.dtype
    return _DEFAULT_DTYPE[weak_category] if weak_rank == 0 else weak.dtype


def _promote(a, b):
    """The dtype of combining two dtypes of equal rank: the higher category's, else numpy's promotion."""
    a_category, b_category = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if a_category == b_category:
        return np.promote_types(a, b)
    return a if a_category > b_category else b


def _as_tensor(x, dtype):
    if isinstance(x, Tensor):
        return x.astype(dtype)
    return Tensor._wrap(np.asarray(x, dtype=dtype))


def _common_dtype(tensors, name):
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError(f"{name}(): needs at least one tensor")
    dtype = functools.reduce(_promote, [t.dtype for t in tensors])
    return [t.astype(dtype) for t in tensors]


def _floating(tensor):
    """Integer and bool tensors as float32 for the float-valued functions (PyTorch's result dtype)."""
    return tensor if tensor._data.dtype.kind == "f" else tensor.astype(np.float32)


def _axis_index(axis, ndim, shape, name):
    """`axis` as an index in range(ndim); out of range is an error, not a silent wrap-around (`% ndim`)."""
    if not -ndim <= axis < ndim:
        raise IndexError(f"{name}(): axis {axis} is out of range for a tensor of shape {shape} "
                         f"(valid axes: {-ndim} to {ndim - 1})")
    return axis % ndim


def _axis(axis, dim, default=None):
    """numpy's `axis` or PyTorch's alias `dim`. `default` is the signature's default for `axis`: an axis
    left at it is no conflict, so `softmax(dim=0)` and `cat(tensors, dim=1)` work."""
    if dim is not None:
        if axis is not None and axis != default and axis != dim:
            raise TypeError(f"got both axis={axis} and dim={dim}; they are the same argument, give one")
        axis = dim
    return tuple(axis) if isinstance(axis, list) else axis


def _keepdims(keepdims, keepdim):
    return keepdims if keepdim is None else keepdim


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return shape


def _index(index):
    """Tensors and lists inside an index become ndarrays (numpy treats both as advanced indices)."""
    if isinstance(index, tuple):
        return tuple(_index(part) for part in index)
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, list):
        return np.asarray(index)
    return index
