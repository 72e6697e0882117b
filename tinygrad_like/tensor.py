"""The Tensor, and Function: the protocol in which every differentiable op is written.

A Function subclass pairs `forward(ctx, *arrays, **options) -> ndarray` with
`backward(ctx, grad) -> one gradient per input`. `Function.apply(*tensors)` runs forward on the
tensors' arrays and, when an input requires grad, records the call (the Function instance itself is
the `ctx`) as the node that produced the result. `Tensor.backward` hands the graph to `engine`.
"""
import builtins
import collections
import functools
import weakref

import numpy as np

from tinygrad_like import engine
from tinygrad_like.device import CPU, check_device
from tinygrad_like.device import device as Device
from tinygrad_like.dtypes import to_dtype
from tinygrad_like.grad_mode import GradMode
from tinygrad_like.random import numpy_generator


class ShapeError(ValueError, RuntimeError):
    """A shape or value mismatch: a ValueError for numpy-minded callers and a RuntimeError for code
    written for PyTorch, which raises RuntimeError for these."""


class Size(tuple):
    """A shape (PyTorch's torch.Size): a tuple that also counts its elements; it prints as a tuple."""

    __slots__ = ()

    def numel(self):
        return int(np.prod(self, dtype=np.int64))

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item


class RemovableHandle:
    """What register_hook and the module hooks return: remove() unregisters the hook."""

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


class ReturnTypes:
    """The named pairs PyTorch's max(dim) / min(dim) return."""

    max = collections.namedtuple("max", ["values", "indices"])
    min = collections.namedtuple("min", ["values", "indices"])
    sort = collections.namedtuple("sort", ["values", "indices"])
    topk = collections.namedtuple("topk", ["values", "indices"])
    kthvalue = collections.namedtuple("kthvalue", ["values", "indices"])
    cummax = collections.namedtuple("cummax", ["values", "indices"])
    cummin = collections.namedtuple("cummin", ["values", "indices"])
    median = collections.namedtuple("median", ["values", "indices"])
    nanmedian = collections.namedtuple("nanmedian", ["values", "indices"])
    mode = collections.namedtuple("mode", ["values", "indices"])
    aminmax = collections.namedtuple("aminmax", ["min", "max"])


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
    retained = None  # weakref to the output tensor when it called retain_grad()
    hooks = None  # the output tensor's register_hook functions
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
                inputs = tuple(x if isinstance(x, Tensor) else _wrap(infer_array(x)) for x in inputs)
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
        if type(data) is not np.ndarray:  # numpy's result for 0-d operands is a scalar
            scalar, data = data, np.asarray(data)
            if ctx.saved_tensors:  # a saved output must be the output's array: a recorded backward finds it so
                ctx.saved_tensors = tuple(data if saved is scalar else saved for saved in ctx.saved_tensors)
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


def _keep_old_values(node, start, tensor, old):
    """In the nodes an in-place op on `tensor` just created (those numbered after `start`), `tensor` as an
    input means its old value: point them at `old`, and let them keep a copy of the memory they saved
    from it, which is about to be overwritten."""
    memory, copy = tensor._data, None
    stack = [node]
    while stack:
        ctx = stack.pop()
        ctx.parents = tuple(old if parent is tensor else parent for parent in ctx.parents)
        if any(array is memory for array in ctx.saved_tensors):
            copy = memory.copy() if copy is None else copy
            ctx.saved_tensors = tuple(copy if array is memory else array for array in ctx.saved_tensors)
        stack += [p._ctx for p in ctx.parents if p._ctx is not None and p._ctx.sequence > start]


def to_arguments(args, dtype=None, device=None):
    """The dtype that PyTorch's to(dtype | device | (device, dtype) | tensor) asks for (None: keep it),
    after checking the device."""
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, (str, Device)):
            device = arg
        else:
            dtype = arg
    check_device(device, "to")
    return None if dtype is None else to_dtype(dtype, "to")


def _op_error(op, error, inputs):
    shapes = ", ".join(f"{t.shape} {t.dtype}" for t in inputs)
    message = f"{op.__name__}: {error} [inputs: {shapes}]"
    if type(error) is ValueError:
        return ShapeError(message)
    try:
        return type(error)(message)
    except Exception:  # an exception type whose constructor takes other arguments
        return ValueError(message)


from tinygrad_like import ops  # noqa: E402  (the ops subclass Function, defined above)

_next_sequence = engine.next_sequence
_PYTHON_REALS = (int, float)
_TYPE_NAMES = {np.dtype(name): f"{kind}Tensor" for name, kind in [
    ("float32", "Float"), ("float64", "Double"), ("float16", "Half"), ("int64", "Long"), ("int32", "Int"),
    ("int16", "Short"), ("int8", "Char"), ("uint8", "Byte"), ("bool", "Bool")]}
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_DEFAULT_DTYPE = {0: np.dtype(bool), 1: np.dtype(np.int64), 2: np.dtype(np.float32), 3: np.dtype(np.complex64)}


def infer_array(data, dtype=None):
    """`data` as a new ndarray with PyTorch's `torch.tensor` dtype inference: Python floats float32,
    ints int64, bools bool; numpy arrays and scalars keep their dtype unless `dtype` is given."""
    if isinstance(data, Tensor):
        data = data._data
    array = np.array(data)
    if array.dtype.kind in "biufc":
        if dtype is not None:
            array = array.astype(dtype, copy=False)
        elif array.dtype == np.float64 and not isinstance(data, (np.ndarray, np.generic)):
            array = array.astype(np.float32)
        elif array.dtype == np.complex128 and not isinstance(data, (np.ndarray, np.generic)):
            array = array.astype(np.complex64)
    if array.dtype.kind not in "biufc":
        raise TypeError(f"tensor(): cannot make a numeric tensor from data of dtype {array.dtype}; "
                        "pass numbers, (equal-length) nested lists of numbers or a numeric ndarray")
    return array


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

    `Tensor(data, requires_grad=False, dtype=None)` is PyTorch's `torch.Tensor(data)`: Python numbers
    and lists become float32 whatever their type (`tensor(data)` infers int64 and bool as well); numpy
    arrays keep their dtype. The data is always copied. Only floating-point tensors can require grad.
    """

    __slots__ = ("_data", "grad", "requires_grad", "_ctx", "__weakref__")
    __array_ufunc__ = None  # makes numpy defer `ndarray + Tensor` to Tensor.__radd__
    __hash__ = object.__hash__  # identity hashing, although == is element-wise

    def __init__(self, data, requires_grad=False, dtype=None):
        if type(data) is int:
            raise TypeError(f"Tensor({data}) is ambiguous: PyTorch reads it as an uninitialised tensor of {data} "
                            f"elements; write tensor({data}) for the number, or zeros({data}) / empty({data})")
        python_data = dtype is None and not isinstance(data, (Tensor, np.ndarray, np.generic))
        self._data = infer_array(data, np.float32 if python_data else to_dtype(dtype, "Tensor"))
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

    shape = property(lambda self: Size(self._data.shape))
    ndim = property(lambda self: self._data.ndim)
    dtype = property(lambda self: self._data.dtype)
    is_leaf = property(lambda self: self._ctx is None, doc="created by the user, not by an op")
    grad_fn = property(lambda self: self._ctx, doc="the node that produced this tensor (None for a leaf)")
    T = property(lambda self: self._permute(tuple(range(self.ndim))[::-1], "T"))
    mT = property(lambda self: self.transpose(-2, -1))

    def size(self, dim=None):
        """PyTorch's size(): the shape, or one axis's length (`numel()` counts the elements)."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_axis_index(dim, self.ndim, self.shape, "size")]

    def dim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    def numpy(self):
        if engine.recorder is not None:  # a step being captured must not read values (see jit.py)
            engine.recorder.read(self, "numpy()")
        return self._data

    def tolist(self):
        if engine.recorder is not None:
            engine.recorder.read(self, "tolist()")
        return self._data.tolist()

    def item(self):
        if engine.recorder is not None:  # also for bool(), float(), int(), f"{t:.3f}" and indexing with t
            engine.recorder.read(self, "item()")
        if self._data.size != 1:
            raise ShapeError(f"item(): only a one-element tensor converts to a Python number; this one has "
                             f"shape {self.shape}")
        return self._data.item()

    # ---- the array protocols: numpy's __array__ and DLPack (zero-copy exchange with torch, jax, ...) ----
    def __array__(self, dtype=None, copy=None):
        """numpy 2's protocol: copy=None shares the memory when no conversion is needed, copy=True always
        copies, copy=False never does (and raises when the dtype asks for a conversion)."""
        self._check_leaves_graph("numpy array")
        if engine.recorder is not None:
            engine.recorder.read(self, "np.asarray()")
        if copy is False and dtype is not None and np.dtype(dtype) != self._data.dtype:
            raise ValueError(f"__array__(copy=False): a {self.dtype} tensor of shape {self.shape} cannot become "
                             f"{np.dtype(dtype)} without a copy; pass copy=None (np.asarray) to allow one")
        return np.array(self._data, dtype=dtype, copy=copy)

    def __dlpack__(self, stream=None, *, max_version=None, dl_device=None, copy=None):
        """A DLPack capsule of this tensor's memory (numpy's, so the consumer shares it). As in PyTorch, a
        tensor that requires grad is refused: the consumer would silently leave the graph."""
        self._check_leaves_graph("DLPack capsule")
        if engine.recorder is not None:  # another library reads the values, as np.asarray() does
            engine.recorder.read(self, "__dlpack__()")
        if self.requires_grad:
            raise BufferError(f"__dlpack__: this tensor (shape {self.shape}) requires grad, and a DLPack consumer "
                              "cannot follow the graph; export tensor.detach() instead")
        # only the arguments given: numpy 1.x's __dlpack__ takes `stream` alone
        options = {name: value for name, value in [("stream", stream), ("max_version", max_version),
                                                   ("dl_device", dl_device), ("copy", copy)] if value is not None}
        return self._data.__dlpack__(**options)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()  # (kDLCPU, 0): numpy's memory

    def _check_leaves_graph(self, what):
        if engine._GraphMode.depth:
            raise TypeError(f"a backward recorded with create_graph=True turned a tensor of shape {self.shape} into a "
                            f"{what}, which would drop it from the recorded graph; write the backward with "
                            "operators, Tensor methods and tinygrad_like.ops.dispatch")

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        return bool(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "biu":
            raise TypeError(f"only integer tensors of one element can be used as an index, not {self.dtype}")
        return int(self.item())

    def __format__(self, spec):
        if self._data.size == 1 and spec:  # f"{loss:.4f}" on a one-element tensor, as in PyTorch
            return format(self.item(), spec)
        return format(repr(self), spec)

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
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (only the `inputs`' if given); `gradient`
        seeds a non-scalar self.

        The graph's saved arrays are freed afterwards unless `retain_graph=True` (the default with
        `create_graph=True`, which records the backward itself so that the gradients can be
        differentiated again).
        """
        engine.backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self):
        """The same data (shared memory), cut from the graph."""
        return Tensor._wrap(self._data)

    def detach_(self):
        self._ctx = None
        self.requires_grad = False
        return self

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in `.grad` after backward (leaves keep theirs anyway)."""
        if not self.requires_grad:
            raise RuntimeError(f"retain_grad(): this tensor (shape {self.shape}) does not require grad")
        if self._ctx is not None:
            self._ctx.retained = weakref.ref(self)
            if self._ctx.hooks is None:  # the engine looks at a node's hooks first, then at `retained`
                self._ctx.hooks = []

    def register_hook(self, hook):
        """Call hook(grad) whenever the gradient with respect to this tensor is computed; a hook that
        returns a tensor replaces the gradient. Returns a handle whose remove() unregisters it."""
        if not self.requires_grad:
            raise RuntimeError(f"register_hook(): this tensor (shape {self.shape}) does not require grad, so no "
                               "gradient is ever computed for it")
        if self._ctx is None:
            hooks = engine.leaf_hooks(self)
        else:
            if self._ctx.hooks is None:
                self._ctx.hooks = []
            hooks = self._ctx.hooks
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def clone(self):
        """A copy of the data, in the graph: the gradient flows back to this tensor."""
        return ops.Clone.apply(self)

    def contiguous(self):
        return self if self._data.flags.c_contiguous else self.clone()

    def requires_grad_(self, requires_grad=True):
        if not self.is_leaf:
            raise RuntimeError("requires_grad_(): only leaf tensors can change it; call .detach() first to "
                               "get a leaf with the same data")
        if requires_grad and self._data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require grad, but this one is {self.dtype}; "
                            "create it with float data or dtype=np.float32 / np.float64")
        self.requires_grad = requires_grad
        return self

    # ---- dtype and device conversion ------------------------------------------------------------
    device = CPU  # numpy computes on the CPU only
    is_cuda = False

    def astype(self, dtype):
        dtype = to_dtype(dtype, "astype")
        return self if dtype == self._data.dtype else ops.Cast.apply(self, dtype=dtype)

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False):
        """PyTorch's to(): `to(dtype)`, `to(device)`, `to(device, dtype)`, `to(other_tensor)`; only the
        CPU exists, so a device is checked and otherwise changes nothing."""
        dtype = to_arguments(args, dtype, device)
        result = self if dtype is None else self.astype(dtype)
        return result.clone() if copy and result is self else result

    def cpu(self):
        return self

    def cuda(self, device=None, non_blocking=False):
        check_device("cuda", "cuda")

    def type(self, dtype=None):
        """The PyTorch type name (e.g. 'torch.FloatTensor') without an argument, else a conversion."""
        if dtype is None:
            return f"torch.{_TYPE_NAMES.get(self.dtype, self.dtype.name)}"
        return self.astype(dtype)

    def float(self):
        return self.astype(np.float32)

    def double(self):
        return self.astype(np.float64)

    def long(self):
        return self.astype(np.int64)

    def int(self):
        return self.astype(np.int32)

    def bool(self):
        return self.astype(np.bool_)

    def half(self):
        return self.astype(np.float16)

    def short(self):
        return self.astype(np.int16)

    def char(self):
        return self.astype(np.int8)

    def byte(self):
        return self.astype(np.uint8)

    def bfloat16(self):
        return self.astype(to_dtype("bfloat16", "bfloat16"))  # raises: numpy has no bfloat16

    def type_as(self, other):
        return self.astype(other.dtype)

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

    mul, pow, matmul, neg = __mul__, __pow__, __matmul__, __neg__
    multiply, true_divide, negative = mul, __truediv__, neg

    def add(self, other, *, alpha=1):
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        return self - (other if alpha == 1 else other * alpha)

    subtract = sub

    # ---- integer division, remainders, bitwise ops and shifts (ops/integer.py) ---------------------
    def div(self, other, *, rounding_mode=None):
        """self / other: true division (integers give float32), or rounded with rounding_mode "trunc"
        (toward zero) or "floor" (down), which keep integer dtypes and have a zero gradient."""
        if rounding_mode is None:
            return ops.Div.apply(*_division_operands(self, other))
        if rounding_mode not in ("trunc", "floor"):
            raise ShapeError(f"div(): rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")
        return ops.RoundedDivide.apply(*_operands(self, other), rounding_mode=rounding_mode)

    divide = div

    def __floordiv__(self, other):
        return ops.FloorDivide.apply(*_operands(self, other))

    def __rfloordiv__(self, other):
        return ops.FloorDivide.apply(*_operands(other, self))

    def __mod__(self, other):
        return ops.Remainder.apply(*_operands(self, other))

    def __rmod__(self, other):
        return ops.Remainder.apply(*_operands(other, self))

    floor_divide, remainder = __floordiv__, __mod__

    def fmod(self, other):
        """The remainder of division rounded toward zero: it has self's sign (C's fmod); % has other's."""
        return ops.Fmod.apply(*_operands(self, other))

    def __and__(self, other):
        return ops.BitwiseAnd.apply(*_operands(self, other))

    def __rand__(self, other):
        return ops.BitwiseAnd.apply(*_operands(other, self))

    def __or__(self, other):
        return ops.BitwiseOr.apply(*_operands(self, other))

    def __ror__(self, other):
        return ops.BitwiseOr.apply(*_operands(other, self))

    def __xor__(self, other):
        return ops.BitwiseXor.apply(*_operands(self, other))

    def __rxor__(self, other):
        return ops.BitwiseXor.apply(*_operands(other, self))

    def __invert__(self):
        return ops.BitwiseNot.apply(self)

    def __lshift__(self, other):
        return ops.LeftShift.apply(*_operands(self, other))

    def __rlshift__(self, other):
        return ops.LeftShift.apply(*_operands(other, self))

    def __rshift__(self, other):
        return ops.RightShift.apply(*_operands(self, other))

    def __rrshift__(self, other):
        return ops.RightShift.apply(*_operands(other, self))

    bitwise_and, bitwise_or, bitwise_xor, bitwise_not = __and__, __or__, __xor__, __invert__
    bitwise_left_shift, bitwise_right_shift = __lshift__, __rshift__

    def floor_divide_(self, other):
        return self._inplace("floor_divide_", lambda x: x // other)

    def remainder_(self, other):
        return self._inplace("remainder_", lambda x: x % other)

    def fmod_(self, other):
        return self._inplace("fmod_", lambda x: x.fmod(other))

    def bitwise_and_(self, other):
        return self._inplace("bitwise_and_", lambda x: x & other)

    def bitwise_or_(self, other):
        return self._inplace("bitwise_or_", lambda x: x | other)

    def bitwise_xor_(self, other):
        return self._inplace("bitwise_xor_", lambda x: x ^ other)

    def bitwise_not_(self):
        return self._inplace("bitwise_not_", lambda x: ~x)

    def bitwise_left_shift_(self, other):
        return self._inplace("bitwise_left_shift_", lambda x: x << other)

    def bitwise_right_shift_(self, other):
        return self._inplace("bitwise_right_shift_", lambda x: x >> other)

    __ifloordiv__, __imod__ = floor_divide_, remainder_
    __iand__, __ior__, __ixor__ = bitwise_and_, bitwise_or_, bitwise_xor_
    __ilshift__, __irshift__ = bitwise_left_shift_, bitwise_right_shift_

    def bmm(self, other):
        if self.ndim != 3 or _ndim(other) != 3:
            raise ShapeError(f"bmm(): both operands must be batches of matrices (3-D), got shapes {self.shape} and "
                             f"{_shape(other)}; use matmul (@) for other shapes")
        return self @ other

    def mm(self, other):
        if self.ndim != 2 or _ndim(other) != 2:
            raise ShapeError(f"mm(): both operands must be matrices, got shapes {self.shape} and {_shape(other)}; "
                             "use matmul (@) for other shapes")
        return self @ other

    # ---- vector and tensor products (the contractions are einsums: ops/einsum.py) -----------------
    def dot(self, other):
        """The dot product of two 1-D tensors of one size and dtype."""
        return ops.einsum.dot(self, other)

    def vdot(self, other):
        """dot() with the first vector conjugated, which for real dtypes is dot()."""
        return ops.einsum.dot(self, other, name="vdot")

    def inner(self, other):
        """Sums of products over the last dimension, of shape self.shape[:-1] + other.shape[:-1]
        (self * other when one is 0-d)."""
        return ops.einsum.inner(self, other)

    def outer(self, other):
        """out[i, j] = self[i] * other[j] for 1-D tensors (dtypes promote, as in multiplication)."""
        if self.ndim != 1 or _ndim(other) != 1:
            raise ShapeError(f"outer(): expects two 1-D tensors, got shapes {self.shape} and {_shape(other)}")
        return self.reshape(-1, 1) * other

    ger = outer

    def kron(self, other):
        """The Kronecker product: the blocks self[i, j, ...] * other, the operand with fewer dimensions
        padded with leading ones (dtypes promote)."""
        other = other if isinstance(other, Tensor) else _wrap(infer_array(other))
        ndim = builtins.max(self.ndim, other.ndim)
        a_shape = (1,) * (ndim - self.ndim) + self.shape
        b_shape = (1,) * (ndim - other.ndim) + other.shape
        a = self.reshape(tuple(n for size in a_shape for n in (size, 1)))
        b = other.reshape(tuple(n for size in b_shape for n in (1, size)))
        return (a * b).reshape(tuple(m * n for m, n in zip(a_shape, b_shape)))

    def __abs__(self):
        return self.abs()

    # ---- in-place ops (PyTorch's semantics: the memory is changed, views and .data see it) -------
    def _inplace(self, name, compute):
        """Store compute(self) into this tensor's memory, recording the op when a graph is built.

        As in PyTorch: a leaf that requires grad may only be changed under no_grad(); a tensor in the
        graph gets the op as its new producer; a node that saved the old values raises in backward.
        """
        start = _next_sequence()  # the nodes the op creates are numbered after this
        old = self
        if GradMode.enabled and self.requires_grad:  # an op on a tensor in the graph
            if self._ctx is None:
                raise RuntimeError(f"{name}(): a leaf tensor that requires grad (shape {self.shape}) cannot be "
                                   "changed in place while gradients are recorded; do it under no_grad() (an "
                                   "optimizer update), or assign to .data")
            if self._data.base is not None:
                raise RuntimeError(f"{name}(): this tensor (shape {self.shape}) is a view of another tensor in the "
                                   "graph; an in-place change of a view is not differentiated here: use the "
                                   "out-of-place op, or .clone() the view first")
        if GradMode.enabled:  # the op may join the graph through another operand
            old = _wrap(self._data)  # stands for the values before the change, at self's place in the graph
            old._ctx, old.requires_grad = self._ctx, self.requires_grad
        result = compute(old)
        data = result._data
        if data.shape != self._data.shape:
            raise ShapeError(f"{name}(): the result has shape {data.shape} but an in-place op must keep the "
                             f"tensor's shape {self.shape}")
        if not np.can_cast(data.dtype, self._data.dtype, "same_kind"):
            raise TypeError(f"{name}(): the result type {data.dtype} cannot be stored in place in a tensor of "
                            f"{self.dtype}; convert the tensor first (x = x.float())")
        node = result._ctx
        if node is not None:
            _keep_old_values(node, start, self, old)
        if engine.recorder is not None:  # a step being captured: the copy is one of its operations
            engine.recorder.copyto(self._data, data)
        np.copyto(self._data, data, casting="same_kind")
        engine.mark_modified(self._data)
        if node is not None:
            self._ctx, self.requires_grad = node, True
        return self

    def add_(self, other, *, alpha=1):
        return self._inplace("add_", lambda x: x.add(other, alpha=alpha))

    def sub_(self, other, *, alpha=1):
        return self._inplace("sub_", lambda x: x.sub(other, alpha=alpha))

    def mul_(self, other):
        return self._inplace("mul_", lambda x: x * other)

    def div_(self, other, *, rounding_mode=None):
        return self._inplace("div_", lambda x: x.div(other, rounding_mode=rounding_mode))

    def pow_(self, exponent):
        return self._inplace("pow_", lambda x: x ** exponent)

    def neg_(self):
        return self._inplace("neg_", lambda x: -x)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return self._inplace("addcmul_", lambda x: x + value * tensor1 * tensor2)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return self._inplace("addcdiv_", lambda x: x + value * tensor1 / tensor2)

    def clamp_(self, min=None, max=None):
        return self._inplace("clamp_", lambda x: x.clamp(min, max))

    clip_ = clamp_

    def exp_(self):
        return self._inplace("exp_", lambda x: x.exp())

    def log_(self):
        return self._inplace("log_", lambda x: x.log())

    def sqrt_(self):
        return self._inplace("sqrt_", lambda x: x.sqrt())

    def abs_(self):
        return self._inplace("abs_", lambda x: x.abs())

    def relu_(self):
        return self._inplace("relu_", lambda x: x.relu())

    def sigmoid_(self):
        return self._inplace("sigmoid_", lambda x: x.sigmoid())

    def tanh_(self):
        return self._inplace("tanh_", lambda x: x.tanh())

    def copy_(self, src):
        """Copy `src` (broadcast to this shape, cast to this dtype) into this tensor's memory."""
        src = src if isinstance(src, Tensor) else _wrap(np.asarray(src))
        return self._inplace("copy_", lambda x: src.astype(x.dtype).expand(x.shape))

    def fill_(self, value):
        return self._inplace("fill_", lambda x: _wrap(np.full(x.shape, _array(value), x.dtype)))

    def zero_(self):
        return self.fill_(0)

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        draw = numpy_generator(generator, "uniform_").uniform(a, b, self.shape)
        return self._inplace("uniform_", lambda x: _wrap(draw.astype(x.dtype)))

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        draw = numpy_generator(generator, "normal_").normal(mean, std, self.shape)
        return self._inplace("normal_", lambda x: _wrap(draw.astype(x.dtype)))

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __setitem__(self, index, value):
        index = _index(index)
        if type(index) is tuple and _mixes_integers_and_arrays(index):
            raise IndexError("assigning through integers mixed with index arrays (x[0, :, [1, 2]] = v) is not "
                             "supported: numpy and PyTorch lay out the selection differently; index in two steps, "
                             "x[0][:, [1, 2]] = v")
        value = value if isinstance(value, Tensor) else _wrap(np.asarray(value))
        self._inplace("__setitem__", lambda x: ops.Setitem.apply(x, value.astype(x.dtype), index=index))

    def maximum(self, other):
        return ops.Maximum.apply(*_operands(self, other))

    def minimum(self, other):
        return ops.Minimum.apply(*_operands(self, other))

    def where(self, condition, other):
        """PyTorch's `x.where(condition, y)`: x where condition holds, else y."""
        return where(condition, self, other)

    # ---- logic (results outside the graph; the bitwise ops &, |, ^, ~ are with the integer ops) ------
    def logical_and(self, other):
        return _wrap(np.logical_and(self._data, _array(other)))

    def logical_or(self, other):
        return _wrap(np.logical_or(self._data, _array(other)))

    def logical_xor(self, other):
        return _wrap(np.logical_xor(self._data, _array(other)))

    def logical_not(self):
        return _wrap(np.logical_not(self._data))

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _wrap(np.all(self._data, axis=_axis(axis, dim), keepdims=_keepdims(keepdim, keepdims)))

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _wrap(np.any(self._data, axis=_axis(axis, dim), keepdims=_keepdims(keepdim, keepdims)))

    def equal(self, other):
        """True when both have the same shape and elements (PyTorch's torch.equal: a Python bool)."""
        other = _array(other)
        return self.shape == np.shape(other) and bool(np.array_equal(self._data, other))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _wrap(np.isclose(self._data, _array(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return bool(np.allclose(self._data, _array(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    # ---- comparisons (results are bool tensors, outside the graph) ------------------------------
    def __lt__(self, other):
        return _compare(self, other, np.less)

    def __le__(self, other):
        return _compare(self, other, np.less_equal)

    def __gt__(self, other):
        return _compare(self, other, np.greater)

    def __ge__(self, other):
        return _compare(self, other, np.greater_equal)

    def __eq__(self, other):
        return _compare(self, other, np.equal)

    def __ne__(self, other):
        return _compare(self, other, np.not_equal)

    lt, le, gt, ge, eq, ne = __lt__, __le__, __gt__, __ge__, __eq__, __ne__
    less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne

    # ---- element-wise functions -----------------------------------------------------------------
    def exp(self):
        return ops.Exp.apply(_floating(self))

    def log(self):
        return ops.Log.apply(_floating(self))

    def sin(self):
        return ops.Sin.apply(_floating(self))

    def cos(self):
        return ops.Cos.apply(_floating(self))

    def tan(self):
        return self.sin() / self.cos()

    def asin(self):
        return ops.Asin.apply(_floating(self))

    def acos(self):
        return ops.Acos.apply(_floating(self))

    def atan(self):
        return ops.Atan.apply(_floating(self))

    def sinh(self):
        return ops.Sinh.apply(_floating(self))

    def cosh(self):
        return ops.Cosh.apply(_floating(self))

    def asinh(self):
        return ops.Asinh.apply(_floating(self))

    def acosh(self):
        return ops.Acosh.apply(_floating(self))

    def atanh(self):
        return ops.Atanh.apply(_floating(self))

    def atan2(self, other):
        """The angle of the point (other, self), in (-pi, pi]."""
        y, x = _operands(self, other)
        return ops.Atan2.apply(_floating(y), _floating(x))

    arcsin, arccos, arctan, arcsinh, arccosh, arctanh, arctan2 = asin, acos, atan, asinh, acosh, atanh, atan2

    def exp2(self):
        return ops.Exp2.apply(_floating(self))

    def log1p(self):
        """log(1 + x), accurate for small x."""
        return ops.Log1p.apply(_floating(self))

    def expm1(self):
        """exp(x) - 1, accurate for small x."""
        return ops.Expm1.apply(_floating(self))

    def rsqrt(self):
        return ops.Rsqrt.apply(_floating(self))

    def reciprocal(self):
        return ops.Reciprocal.apply(_floating(self))

    def square(self):
        return self * self

    def sign(self):
        """-1, 0 or 1 (0 for nan, as in PyTorch); zero gradient."""
        return self.clone() if self._data.dtype.kind == "b" else ops.Sign.apply(self)  # bool: itself, as in PyTorch

    def floor(self):
        return self.clone() if self._data.dtype.kind in "iub" else ops.Floor.apply(self)

    def ceil(self):
        return self.clone() if self._data.dtype.kind in "iub" else ops.Ceil.apply(self)

    def trunc(self):
        return self.clone() if self._data.dtype.kind in "iub" else ops.Trunc.apply(self)

    fix = trunc

    def round(self, decimals=0):
        """Round half to even, to `decimals` places (may be negative); zero gradient."""
        return self.clone() if self._data.dtype.kind in "iub" else ops.Round.apply(self, decimals=decimals)

    def frac(self):
        """x - trunc(x), with the sign of x; gradient 1."""
        return self - self.trunc()

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """nan, inf and -inf replaced (the infinities by default with the dtype's largest and smallest finite
        values); the gradient is 0 at the replaced elements."""
        return ops.NanToNum.apply(self, nan=nan, posinf=posinf, neginf=neginf)

    def isinf(self):
        return _wrap(np.isinf(self._data))

    def isnan(self):
        return _wrap(np.isnan(self._data))

    def isfinite(self):
        return _wrap(np.isfinite(self._data))

    def lerp(self, end, weight):
        """self + weight * (end - self); weight a number or a tensor. Computed from the nearer end, as in
        PyTorch: exact at weight 1, and lerp(inf, 1, 0.5) is inf, not nan."""
        difference = end - self
        near_start = np.abs(_array(weight)) < 0.5
        if np.all(near_start):
            return self + weight * difference
        near_end = end - difference * (1 - weight)
        return near_end if not np.any(near_start) else where(near_start, self + weight * difference, near_end)

    def hypot(self, other):
        """sqrt(self**2 + other**2) without overflow or underflow in between."""
        a, b = _operands(self, other)
        return ops.Hypot.apply(_floating(a), _floating(b))

    def log10(self):
        return self.log() * (1 / np.log(10))

    def log2(self):
        return self.log() * (1 / np.log(2))

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

    def prelu(self, weight):
        """x for x > 0, else weight * x; weight has one element or one per channel (axis 1)."""
        weight = weight if isinstance(weight, Tensor) else Tensor(weight)
        if weight.ndim != 1 or weight.shape[0] not in (1, self.shape[1] if self.ndim >= 2 else 1):
            raise ValueError(f"prelu: weight of shape {weight.shape} does not fit an input of shape {self.shape}: "
                             "give one element, or one per channel (axis 1)")
        if self.ndim >= 2:
            weight = weight.reshape((weight.shape[0],) + (1,) * (self.ndim - 2))
        elif self.ndim == 0:
            weight = weight.reshape(())
        return where(self._data > 0, self, weight * self)

    def clip(self, min=None, max=None):
        """Limit values to [min, max] (either may be None, or a tensor broadcasting against this one); the
        gradient flows to x where min <= x <= max, else to the bound that was taken."""
        if min is None and max is None:
            raise ValueError("clip(): give at least one of min and max")
        if isinstance(min, (Tensor, np.ndarray)) or isinstance(max, (Tensor, np.ndarray)):
            out = self if min is None else where(_array(self < min), min, self)
            return out if max is None else where(_array(self > max), max, out)
        if self._data.dtype.kind in "biu":  # PyTorch's promotion: a float bound gives float32, an int one bool int64
            for bound in (min, max):
                if bound is not None:
                    self = self.astype(_result_dtype(self, bound))
        return ops.Clip.apply(self, min=min, max=max)

    clamp = clip

    # ---- reductions -----------------------------------------------------------------------------
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None, dtype=None):
        """Sum over axes; bool and integer tensors sum to int64 (PyTorch's rule), `dtype` casts first."""
        return ops.Sum.apply(self._accumulated(dtype, "sum"), axis=_axis(axis, dim),
                             keepdims=_keepdims(keepdims, keepdim))

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None, dtype=None):
        """Mean over axes; `dtype` (a floating dtype) casts first."""
        return ops.Mean.apply(_floating(self) if dtype is None else self._floating_dtype(dtype, "mean"),
                              axis=_axis(axis, dim), keepdims=_keepdims(keepdims, keepdim))

    def amax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Maximum over axes (None, an int or a tuple); tied maxima share the gradient equally."""
        return ops.Max.apply(self, axis=_axis(axis, dim), keepdims=_keepdims(keepdims, keepdim))

    def amin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.Min.apply(self, axis=_axis(axis, dim), keepdims=_keepdims(keepdims, keepdim))

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """PyTorch's max: `max()` the largest value; `max(dim)` the pair (values, indices) along `dim`,
        the gradient going to the chosen index; `max(other)` the element-wise maximum."""
        return self._extreme(dim, keepdim, axis, keepdims, "max")

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """PyTorch's min: `min()`, the pair (values, indices) of `min(dim)`, or `min(other)`."""
        return self._extreme(dim, keepdim, axis, keepdims, "min")

    def _extreme(self, dim, keepdim, axis, keepdims, name):
        if isinstance(dim, Tensor):
            return self.maximum(dim) if name == "max" else self.minimum(dim)
        dim, keepdim = _axis(axis, dim), _keepdims(keepdim, keepdims)
        if dim is None:
            return self.amax() if name == "max" else self.amin()
        if not isinstance(dim, (int, np.integer)):
            raise TypeError(f"{name}(dim): dim must be one int (a tuple of axes: use a{name}), got {dim!r}")
        indices = self.argmax(dim, keepdim=True) if name == "max" else self.argmin(dim, keepdim=True)
        values = self.take_along_dim(indices, dim)
        if not keepdim:
            values, indices = values.squeeze(dim), indices.squeeze(dim)
        return ReturnTypes.max(values, indices) if name == "max" else ReturnTypes.min(values, indices)

    def norm(self, p="fro", dim=None, keepdim=False):
        """The vector p-norm over `dim` (all elements if None); "fro" and 2 are the 2-norm, whose gradient
        is 0 where the norm is 0, as in PyTorch."""
        if p in ("fro", 2):
            return ops.VectorNorm.apply(_floating(self), axis=_axis(None, dim), keepdims=keepdim)
        dim = _axis(None, dim)
        if p == float("inf"):
            return self.abs().amax(dim, keepdim)
        if p == float("-inf"):
            return self.abs().amin(dim, keepdim)
        if p == 0:  # the count of non-zero entries; sign's zero gradient is PyTorch's
            return self.abs().sign().sum(dim, keepdim)
        if p == 1:
            return self.abs().sum(dim, keepdim)
        size = self.abs()
        zero = size == 0
        # a zero adds 0 ** p (0, or inf for p < 0) as a constant: the slope of |x| ** p at 0 is infinite
        # for p < 1, where PyTorch's gradient is 0
        powered = where(zero, 0.0 if p > 0 else float("inf"), where(zero, 1.0, size) ** p)
        return powered.sum(dim, keepdim) ** (1.0 / p)

    def tril(self, diagonal=0):
        """The lower triangle of the last two axes (the rest zero)."""
        return where(np.tril(np.ones(self.shape[-2:], dtype=bool), diagonal), self, 0)

    def triu(self, diagonal=0):
        return where(np.triu(np.ones(self.shape[-2:], dtype=bool), diagonal), self, 0)

    def masked_fill(self, mask, value):
        """`value` where `mask` (broadcast) holds, else this tensor's elements; the gradient flows to the rest."""
        return where(mask, value, self)

    def masked_fill_(self, mask, value):
        return self._inplace("masked_fill_", lambda x: x.masked_fill(mask, value))

    # ---- gather, scatter and masks (ops/indexing.py); sorting and searching (ops/sorting.py) ----------
    def take_along_dim(self, indices, dim=None):
        """Elements at int64 `indices` along `dim` (numpy's take_along_axis; negative indices count from the
        end), the tensor and indices broadcast along the other axes; with dim=None the flattened tensor's
        elements at the flattened indices. Repeated indices add up their gradients."""
        return ops.indexing.take_along_dim(self, indices, dim)

    def gather(self, dim, index, *, sparse_grad=False):
        """out[i][j] = self[index[i][j]][j] for dim=0 (self[i][index[i][j]] for dim=1, ...): index has this
        tensor's axes and is no larger along those other than dim. The gradient is scattered back."""
        return ops.indexing.gather(self, dim, index, sparse_grad)

    def take(self, index):
        """The flattened tensor's elements at int64 `index` (negative ones count from the end), in index's shape."""
        return ops.indexing.take(self, index)

    def index_select(self, dim, index):
        """The slices along `dim` at the positions of the 1-d `index`."""
        return ops.indexing.index_select(self, dim, index)

    def scatter(self, dim, index, src=None, *, value=None):
        """A copy with src[i][j] written to [index[i][j]][j] for dim=0 (and so on), or the number `value`
        written there. The gradient reaches this tensor where nothing was written and src where it was
        read. With repeated indices the value written is one of those scattered there, as in PyTorch."""
        if (src is None) == (value is None):
            raise TypeError("scatter(): give either src (a tensor) or value (a number)")
        return ops.indexing.scatter(self, dim, index, value if src is None else src)

    def scatter_(self, dim, index, src=None, *, value=None):
        return self._inplace("scatter_", lambda x: x.scatter(dim, index, src, value=value))

    def scatter_add(self, dim, index, src):
        """A copy with src's elements added at `index` along `dim` (the positions as in scatter); repeated
        indices add up."""
        return ops.indexing.scatter_add_along(self, dim, index, src)

    def scatter_add_(self, dim, index, src):
        return self._inplace("scatter_add_", lambda x: x.scatter_add(dim, index, src))

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        """A copy with src's elements reduced into the elements at `index` along `dim` by reduce ("sum",
        "prod", "mean", "amax" or "amin"), starting from this tensor's value (include_self) or without it.
        Gradients as PyTorch's: tied extremes share theirs equally."""
        return ops.indexing.scatter_reduce(self, dim, index, src, reduce, include_self)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return self._inplace("scatter_reduce_",
                             lambda x: x.scatter_reduce(dim, index, src, reduce, include_self=include_self))

    def index_add(self, dim, index, source, *, alpha=1):
        """A copy with alpha * source's slices added at the 1-d `index` along `dim`; repeats add up."""
        return ops.indexing.index_add(self, dim, index, source, alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._inplace("index_add_", lambda x: x.index_add(dim, index, source, alpha=alpha))

    def index_copy(self, dim, index, source):
        """A copy with source's slices written at the 1-d int64 `index` along `dim`."""
        return ops.indexing.index_copy(self, dim, index, source)

    def index_copy_(self, dim, index, source):
        return self._inplace("index_copy_", lambda x: x.index_copy(dim, index, source))

    def index_fill(self, dim, index, value):
        """A copy with the slices at the 1-d int64 `index` along `dim` set to `value` (a number or a 0-d tensor)."""
        return ops.indexing.index_fill(self, dim, index, value)

    def index_fill_(self, dim, index, value):
        return self._inplace("index_fill_", lambda x: x.index_fill(dim, index, value))

    def masked_select(self, mask):
        """The elements where the bool `mask` holds (the two broadcast), as a 1-d tensor."""
        return ops.indexing.masked_select(self, mask)

    def masked_scatter(self, mask, source):
        """A copy (broadcast with the bool `mask`) with source's leading elements written, in order, where
        mask holds."""
        return ops.indexing.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask, source):
        return self._inplace("masked_scatter_", lambda x: x.masked_scatter(mask, source))

    def nonzero(self, *, as_tuple=False):
        """int64 indices of the non-zero elements, shape (count, ndim); with as_tuple one 1-d tensor per axis."""
        return ops.indexing.nonzero(self, as_tuple)

    def argwhere(self):
        return ops.indexing.nonzero(self)

    def sort(self, dim=-1, descending=False, stable=False, *, axis=None):
        """The pair (values, indices) of the elements sorted along `dim`, NaN last (first if descending).
        The sort is stable whatever `stable` says; the gradient goes to the elements' places."""
        return ops.sorting.sort(self, _axis(dim, axis, default=-1), descending)

    def argsort(self, dim=-1, descending=False, stable=False, *, axis=None):
        """int64 indices that sort the tensor along `dim` (stable); no graph."""
        return ops.sorting.argsort(self, _axis(dim, axis, default=-1), descending)

    def msort(self):
        return self.sort(0).values

    def topk(self, k, dim=-1, largest=True, sorted=True, *, axis=None):
        """The pair (values, indices) of the k largest (smallest with largest=False) elements along `dim`,
        always sorted; NaN counts as the largest. The gradient goes to the elements selected."""
        return ops.sorting.topk(self, k, _axis(dim, axis, default=-1), largest)

    def kthvalue(self, k, dim=-1, keepdim=False, *, axis=None, keepdims=None):
        """The pair (values, indices) of the k-th smallest element along `dim`, k counting from 1."""
        return ops.sorting.kthvalue(self, k, _axis(dim, axis, default=-1), _keepdims(keepdim, keepdims))

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct elements (slices along `dim`, if given), always sorted, and the int64 inverse and
        counts when asked for; no graph."""
        return ops.sorting.unique(self, return_inverse, return_counts, dim)

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
            axis = _axis_index(axis, builtins.max(self.ndim, 1), self.shape, name)  # 0-d: 0 and -1, as PyTorch
            if self.ndim == 0:
                axis = None
        if (self._data.size if axis is None else self.shape[axis]) == 0:
            raise ValueError(f"{name}(): nothing to choose from along axis {axis} of a tensor of shape {self.shape}")
        return Tensor._wrap(np.asarray(reducer(self._data, axis=axis, keepdims=keepdims), dtype=np.int64))

    def var(self, axis=None, keepdims=False, correction=1, *, dim=None, keepdim=None, ddof=None, unbiased=None):
        """Variance; like PyTorch the default is unbiased (correction=1); numpy's `ddof` is an alias.

        Divides by max(0, N - correction), as PyTorch does: inf (or nan) rather than a negative variance."""
        axis, keepdims = _axis(axis, dim), _keepdims(keepdims, keepdim)
        if unbiased is not None:
            correction = int(unbiased)
        correction = correction if ddof is None else ddof
        centred = self - self.mean(axis, keepdims=True)
        squares = (centred * centred).sum(axis, keepdims=keepdims)
        count = self._data.size // squares._data.size if squares._data.size else 0
        with np.errstate(divide="ignore", invalid="ignore"):
            return squares / np.asarray(builtins.max(0, count - correction), squares.dtype)

    def std(self, axis=None, keepdims=False, correction=1, *, dim=None, keepdim=None, ddof=None, unbiased=None):
        """Standard deviation, unbiased by default as in PyTorch."""
        return self.var(axis, keepdims, correction, dim=dim, keepdim=keepdim, ddof=ddof, unbiased=unbiased).sqrt()

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

    # ---- cumulative ops and value-selecting reductions (PyTorch's signatures; axis/keepdims also work) ----
    def cumsum(self, dim=None, *, dtype=None, axis=None):
        """Running sum along `dim`; bool and integer tensors accumulate in int64, `dtype` casts first."""
        return self._cumulative(ops.Cumsum, "cumsum", _axis(axis, dim), self._accumulated(dtype, "cumsum"))

    def cumprod(self, dim=None, *, dtype=None, axis=None):
        """Running product along `dim` (int64 for bool and integer tensors); the gradient is exact at zeros."""
        return self._cumulative(ops.Cumprod, "cumprod", _axis(axis, dim), self._accumulated(dtype, "cumprod"))

    def logcumsumexp(self, dim=None, *, axis=None):
        """log(cumsum(exp(x))) along `dim`, finite for large inputs; -inf where every input so far is -inf."""
        if self._data.dtype.kind != "f":
            raise TypeError(f"logcumsumexp(): expects a floating-point tensor, got {self.dtype}; convert it first "
                            "(x.float())")
        return self._cumulative(ops.Logcumsumexp, "logcumsumexp", _axis(axis, dim), self)

    def cummax(self, dim=None, *, axis=None):
        """(values, indices): the running maximum along `dim` and where each value was taken (the last of
        tied maxima, or the last nan once there is one); the gradient goes to those elements."""
        return self._running_extreme(np.maximum.accumulate, "cummax", _axis(axis, dim))

    def cummin(self, dim=None, *, axis=None):
        """(values, indices) of the running minimum along `dim`, as cummax."""
        return self._running_extreme(np.minimum.accumulate, "cummin", _axis(axis, dim))

    def prod(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        """Product over `dim` (all elements if None), int64 for bool and integer tensors, `dtype` casts
        first. At zeros the gradient is PyTorch's: a lone zero gets the product of the others, the rest 0."""
        return ops.Prod.apply(self._accumulated(dtype, "prod"), axis=self._reduction_axes(_axis(axis, dim), "prod"),
                              keepdims=_keepdims(keepdim, keepdims))

    def median(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """PyTorch's median: `median()` the lower median of all elements (nan if one is nan), tied elements
        sharing the gradient; `median(dim)` the pair (values, indices), the gradient going to the index."""
        return self._median("median", _axis(axis, dim), _keepdims(keepdim, keepdims))

    def nanmedian(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """median that leaves nans out (nan only where everything is nan)."""
        return self._median("nanmedian", _axis(axis, dim), _keepdims(keepdim, keepdims))

    def mode(self, dim=-1, keepdim=False, *, axis=None, keepdims=None):
        """(values, indices): the most frequent value along `dim` (the smallest of equally frequent ones) and
        its last position, as PyTorch's; the gradient goes to that position."""
        return self._selection("mode", _axis(axis, dim, default=-1), _keepdims(keepdim, keepdims),
                               ops.reduce.mode_indices)

    def aminmax(self, *, dim=None, keepdim=False, axis=None, keepdims=None):
        """(min, max) over `dim` (all elements if None); tied extremes share the gradient, as in amin / amax."""
        axis, keepdim = _axis(axis, dim), _keepdims(keepdim, keepdims)
        if axis is not None:
            axis = None if self.ndim == 0 else self._one_axis(axis, "aminmax")
        if (self._data.size if axis is None else self.shape[axis]) == 0:
            raise IndexError(f"aminmax(): nothing to reduce along {'the tensor' if axis is None else f'axis {axis}'} "
                             f"of shape {self.shape}; the min and max of no elements are undefined")
        return ReturnTypes.aminmax(self.amin(axis, keepdim), self.amax(axis, keepdim))

    def nansum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        """Sum counting nans as zero (they get no gradient); dtypes as sum."""
        x = self._accumulated(dtype, "nansum")
        if x._data.dtype.kind == "f":
            x = where(np.isnan(x._data), 0.0, x)
        return x.sum(_axis(axis, dim), _keepdims(keepdim, keepdims))

    def nanmean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        """Mean of the non-nan elements (nan where there are none); nans get no gradient. Floating tensors
        only, as in PyTorch (or give a floating `dtype`)."""
        x = self._floating_dtype(dtype, "nanmean")
        axis, keepdim = _axis(axis, dim), _keepdims(keepdim, keepdims)
        missing = np.isnan(x._data)
        count = np.sum(~missing, axis=axis, keepdims=keepdim)
        mean = where(missing, 0.0, x).sum(axis, keepdim) / _wrap(np.asarray(np.maximum(count, 1), dtype=x.dtype))
        return mean if count.all() else where(count == 0, np.nan, mean)  # nan for a group of nans

    def count_nonzero(self, dim=None, *, axis=None):
        """The number of non-zero elements over `dim` (an int or a tuple; all if None), as int64."""
        axis = self._reduction_axes(_axis(axis, dim), "count_nonzero")
        return _wrap(np.asarray(np.count_nonzero(self._data, axis=axis), dtype=np.int64))

    def _accumulated(self, dtype, name):
        """The operand of a sum or product: cast to `dtype` if given, else int64 for bool and integer
        tensors (PyTorch's rule), floating tensors as they are."""
        if dtype is not None:
            return self.astype(to_dtype(dtype, name))
        return self.astype(np.int64) if self._data.dtype.kind in "biu" else self

    def _floating_dtype(self, dtype, name):
        """This tensor cast to `dtype` (its own if None), which must be floating (mean's rule in PyTorch)."""
        dtype = self.dtype if dtype is None else to_dtype(dtype, name)
        if dtype.kind != "f":
            raise TypeError(f"{name}(): needs a floating dtype, got {dtype}; pass dtype=float32 or convert the "
                            "tensor first (x.float())")
        return self.astype(dtype)

    def _one_axis(self, axis, name):
        """`axis` (one int, required) as an index; a 0-d tensor accepts 0 and -1, as in PyTorch."""
        if axis is None:
            raise TypeError(f"{name}(): missing the axis to work along; call {name}(dim)")
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise TypeError(f"{name}(): dim must be one int, got {axis!r} (tensor of shape {self.shape})")
        return _axis_index(axis, builtins.max(self.ndim, 1), self.shape, name)

    def _reduction_axes(self, axis, name):
        """None, an int or a tuple of ints, checked and made non-negative; None for a 0-d tensor."""
        if axis is None:
            return None
        axes = tuple(self._one_axis(a, name) for a in (axis if isinstance(axis, tuple) else (axis,)))
        if self.ndim == 0:
            return None
        return axes if isinstance(axis, tuple) else axes[0]

    def _cumulative(self, op, name, axis, x):
        axis = self._one_axis(axis, name)
        if x.ndim == 0:  # along axis 0 of a 0-d tensor: the one element, its gradient passed on (as PyTorch)
            return x.clone()
        return op.apply(x, axis=axis)

    def _running_extreme(self, accumulate, name, axis):
        axis = self._one_axis(axis, name)
        x = self.reshape(1) if self.ndim == 0 else self
        indices = ops.cumulative.running_extreme_indices(x._data, axis, accumulate)
        values, indices = x.take_along_dim(indices, axis), _wrap(indices)
        if self.ndim == 0:
            values, indices = values.reshape(()), indices.reshape(())
        return getattr(ReturnTypes, name)(values, indices)

    def _median(self, name, axis, keepdim):
        if axis is None:
            if self._data.size == 0 and self._data.dtype.kind != "f":
                raise ShapeError(f"{name}(): an empty {self.dtype} tensor has no median (nan needs a floating dtype)")
            return ops.Median.apply(self, ignore_nan=name == "nanmedian")
        return self._selection(name, axis, keepdim,
                               lambda data, axis: ops.reduce.median_indices(data, axis, name == "nanmedian"))

    def _selection(self, name, axis, keepdim, find_indices):
        """(values, indices) of a reduction that picks one element along `axis`, the indices found by
        find_indices(array, axis) with the axis kept; the values are gathered, so the gradient goes there."""
        axis = self._one_axis(axis, name)
        x = self.reshape(1) if self.ndim == 0 else self
        if x.shape[axis] == 0:
            raise IndexError(f"{name}(): nothing to choose from along axis {axis} of a tensor of shape {self.shape}")
        indices = find_indices(x._data, axis)
        values, indices = x.take_along_dim(indices, axis), _wrap(indices)
        if self.ndim == 0:
            values, indices = values.reshape(()), indices.reshape(())
        elif not keepdim:
            values, indices = values.squeeze(axis), indices.squeeze(axis)
        return getattr(ReturnTypes, name)(values, indices)

    # ---- shape ----------------------------------------------------------------------------------
    def reshape(self, *shape):
        return ops.Reshape.apply(self, shape=_shape_arg(shape))

    view = reshape

    def transpose(self, *axes):
        """PyTorch's `transpose(dim0, dim1)` swaps two axes. numpy's spellings that cannot be read that
        way also work: no argument reverses the axes, a tuple (or three or more axes) permutes them."""
        if len(axes) == 2 and all(isinstance(a, (int, np.integer)) for a in axes):
            return self.swapaxes(*axes)
        if not axes:
            return self._permute(tuple(range(self.ndim))[::-1], "transpose")
        return self._permute(_shape_arg(axes), "transpose")

    swapdims = transpose

    def t(self):
        """The transpose of a matrix (a 0-d or 1-d tensor is returned as it is), as in PyTorch."""
        if self.ndim > 2:
            raise ShapeError(f"t(): expects a tensor of at most 2 axes, got shape {self.shape}; use transpose(a, b)")
        return self if self.ndim < 2 else self.swapaxes(0, 1)

    def permute(self, *axes):
        """Reorder the axes by a full permutation, given as ints or one tuple (numpy and PyTorch agree)."""
        return self._permute(_shape_arg(axes), "permute")

    def _permute(self, axes, name):
        if not all(isinstance(a, (int, np.integer)) for a in axes):
            raise TypeError(f"{name}(): axes must be ints (or one tuple of ints), got {axes}")
        normalised = tuple(a % self.ndim if -self.ndim <= a < self.ndim else a for a in axes)
        if sorted(normalised) != list(range(self.ndim)):
            raise ShapeError(f"{name}(): axes {axes} are not a permutation of the {self.ndim} axes of a "
                             f"tensor of shape {self.shape}; to swap two axes use swapaxes(a, b)")
        return ops.Transpose.apply(self, axes=normalised)

    def swapaxes(self, axis1, axis2):
        ndim = builtins.max(self.ndim, 1)  # a 0-d tensor accepts axis 0 / -1, as in PyTorch
        axis1, axis2 = (_axis_index(a, ndim, self.shape, "swapaxes") for a in (axis1, axis2))
        if self.ndim == 0:
            return self.reshape(())
        axes = list(range(self.ndim))
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        return self._permute(axes, "swapaxes")

    def flatten(self, start_dim=0, end_dim=-1):
        ndim = builtins.max(self.ndim, 1)  # a 0-d tensor accepts dims 0 / -1 and becomes 1-d, as in PyTorch
        start = _axis_index(start_dim, ndim, self.shape, "flatten")
        end = _axis_index(end_dim, ndim, self.shape, "flatten")
        if self.ndim == 0:
            return self.reshape(1)
        if start > end:
            raise ShapeError(f"flatten(): start_dim {start_dim} comes after end_dim {end_dim} for a tensor of "
                             f"shape {self.shape}")
        shape = self.shape
        # The length is counted, not left to -1, which numpy cannot infer next to a zero-length axis.
        return self.reshape(shape[:start] + (shape[start:end + 1].numel(),) + shape[end + 1:])

    def squeeze(self, axis=None, *, dim=None):
        axis = _axis(axis, dim)
        shape = self.shape
        if axis is None:
            return self.reshape(tuple(n for n in shape if n != 1))
        ndim = builtins.max(self.ndim, 1)  # a 0-d tensor accepts axis 0 / -1, as in PyTorch
        axes = {_axis_index(a, ndim, shape, "squeeze") for a in (axis if isinstance(axis, tuple) else (axis,))}
        # As in PyTorch, an axis whose size is not 1 stays.
        return self.reshape(tuple(n for i, n in enumerate(shape) if i not in axes or n != 1))

    def unsqueeze(self, dim):
        shape = self.shape
        dim = _axis_index(dim, self.ndim + 1, shape, "unsqueeze")  # the new axis may also go last
        return self.reshape(shape[:dim] + (1,) + shape[dim:])

    def expand(self, *shape):
        """Broadcast to `shape` (-1 keeps a size), without copying; like PyTorch's expand."""
        shape = _shape_arg(shape)
        if len(shape) < self.ndim:
            raise ShapeError(f"expand(): shape {shape} has fewer axes than the tensor's shape {self.shape}")
        own = (None,) * (len(shape) - self.ndim) + self.shape
        if any(size == -1 and mine is None for size, mine in zip(shape, own)):
            raise ShapeError(f"expand(): -1 (keep the size) cannot stand for a new leading axis; shape {shape}, "
                             f"tensor shape {self.shape}")
        shape = tuple(mine if size == -1 else size for size, mine in zip(shape, own))
        return ops.Expand.apply(self, shape=shape)

    def expand_as(self, other):
        return self.expand(other.shape)

    def view_as(self, other):
        return self.reshape(other.shape)

    reshape_as = view_as

    # ---- shape: flips, rolls, repeats, diagonals, windows and pieces (PyTorch's signatures) ----------
    def flip(self, *args, dims=None, axis=None):
        """The elements in reverse order along `dims` (ints, or one sequence of them); a copy, as in PyTorch."""
        dims = _dim_list(self, _int_args(args, _axis(axis, dims), "flip", "dims"), "flip")
        return ops.Flip.apply(self, dims=dims if self.ndim else ())

    def fliplr(self):
        """Columns in reverse order: flip(1) of a tensor of at least 2 dims."""
        if self.ndim < 2:
            raise ShapeError(f"fliplr(): needs a tensor of at least 2 dims, got shape {self.shape}")
        return self.flip(1)

    def flipud(self):
        """Rows in reverse order: flip(0) of a tensor of at least 1 dim."""
        if self.ndim < 1:
            raise ShapeError(f"flipud(): needs a tensor of at least 1 dim, got shape {self.shape}")
        return self.flip(0)

    def roll(self, shifts, dims=None, *, axis=None):
        """Elements shifted cyclically by `shifts` along `dims` (an int or one shift per dim); without dims,
        the flattened tensor is rolled and the shape restored."""
        dims = _axis(axis, dims)
        shifts = _int_args((shifts,), None, "roll", "shifts")
        if dims is None:
            if len(shifts) != 1:
                raise ShapeError(f"roll(): without dims, shifts must be one int, got {shifts} (tensor of shape "
                                 f"{self.shape}); give dims, one per shift")
            return ops.Roll.apply(self, shifts=shifts[0], dims=None)
        dims = _int_args((dims,), None, "roll", "dims")
        if len(shifts) != len(dims) or not dims:
            raise ShapeError(f"roll(): shifts {shifts} and dims {dims} must have one shift per dim (tensor of shape "
                             f"{self.shape})")
        dims = tuple(_axis_index(d, self.ndim, self.shape, "roll") for d in dims)
        return ops.Roll.apply(self, shifts=shifts, dims=dims)

    def repeat(self, *sizes):
        """The tensor tiled sizes[i] times along each axis (numpy's tile); sizes beyond the tensor's dims
        add leading axes."""
        sizes = _int_args(sizes, None, "repeat", "sizes")
        if len(sizes) < self.ndim:
            raise ShapeError(f"repeat(): {len(sizes)} sizes {sizes} for a tensor of shape {self.shape}; give at "
                             f"least one per dim ({self.ndim}), or use tile()")
        if any(n < 0 for n in sizes):
            raise ShapeError(f"repeat(): sizes {sizes} must not be negative (tensor of shape {self.shape})")
        return ops.Tile.apply(self, reps=sizes)

    def tile(self, *args, dims=None):
        """repeat(), where fewer dims than the tensor has repeat its last axes (leading ones are 1)."""
        dims = _int_args(args, dims, "tile", "dims")
        return self.repeat((1,) * (self.ndim - len(dims)) + dims)

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None, axis=None):
        """Each element repeated `repeats` times along `dim` (of the flattened tensor if None); `repeats` is an
        int or an integer tensor with one count per element (or one count for all). Without repeats the
        tensor holds the counts: `repeat_interleave(counts)` repeats arange(len(counts))."""
        if repeats is None:
            if self.ndim != 1 or self.dtype.kind not in "iu":
                raise TypeError(f"repeat_interleave(): a tensor of counts must be a 1-d integer tensor, got shape "
                                f"{self.shape} {self.dtype}")
            return Tensor._wrap(np.arange(self.shape[0])).repeat_interleave(self, output_size=output_size)
        dim = _axis(axis, dim)
        x = self.reshape(-1) if dim is None else self
        dim = 0 if dim is None else _axis_index(dim, self.ndim, self.shape, "repeat_interleave")
        length = x.shape[dim]
        if isinstance(repeats, (Tensor, np.ndarray)):
            counts = np.asarray(_array(repeats))
            if counts.dtype.kind not in "iu" or counts.ndim > 1:
                raise TypeError(f"repeat_interleave(): repeats must be an int or a 0-d or 1-d integer tensor, got "
                                f"shape {counts.shape} {counts.dtype}")
            if counts.size != 1 and counts.shape != (length,):
                raise ShapeError(f"repeat_interleave(): {counts.size} repeats for the {length} elements along dim "
                                 f"{dim} of a tensor of shape {x.shape}; give one count per element, or one in all")
            repeats = int(counts.reshape(())) if counts.size == 1 else counts.astype(np.int64)
        else:
            repeats = _integer(repeats, "repeat_interleave", "repeats")
        if np.any(np.asarray(repeats) < 0):
            raise ShapeError(f"repeat_interleave(): repeats must not be negative, got {repeats}")
        total = repeats * length if isinstance(repeats, int) else int(repeats.sum())
        if output_size is not None and output_size != total:
            raise ShapeError(f"repeat_interleave(): output_size={output_size}, but the repeats give {total} "
                             f"elements along dim {dim} of a tensor of shape {x.shape}")
        return ops.RepeatInterleave.apply(x, repeats=repeats, axis=dim)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The `offset` diagonal (above the main one if > 0, below if < 0) over dims dim1 and dim2, which
        go; the diagonal becomes the last axis. A view, as in PyTorch: writes to it change this tensor."""
        dim1, dim2 = self._diagonal_dims(dim1, dim2, self.ndim, "diagonal")
        return ops.Diagonal.apply(self, offset=_integer(offset, "diagonal", "offset"), dim1=dim1, dim2=dim2)

    def diag(self, diagonal=0):
        """A vector's square matrix with the vector on the `diagonal` (0: the main one), or a copy of a
        matrix's `diagonal` as a vector."""
        diagonal = _integer(diagonal, "diag", "diagonal")
        if self.ndim == 1:
            return self.diag_embed(diagonal, 0, 1)
        if self.ndim != 2:
            raise ShapeError(f"diag(): needs a vector or a matrix, got shape {self.shape}; use diagonal() or "
                             "diag_embed() for batches")
        return ops.Diagonal.apply(self, offset=diagonal, dim1=0, dim2=1, copy=True)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        """Square matrices, over the new dims dim1 and dim2, whose `offset` diagonal holds the last axis."""
        offset = _integer(offset, "diag_embed", "offset")
        dim1, dim2 = self._diagonal_dims(dim1, dim2, self.ndim + 1, "diag_embed")
        size = self.shape[-1] + abs(offset)
        rest = iter(self.shape[:-1])
        shape = tuple(size if i in (dim1, dim2) else next(rest) for i in range(self.ndim + 1))
        return ops.DiagonalScatter.apply(self, shape=shape, offset=offset, dim1=dim1, dim2=dim2)

    def _diagonal_dims(self, dim1, dim2, ndim, name):
        dims = tuple(_axis_index(_integer(d, name, "dim"), ndim, self.shape, name) for d in (dim1, dim2))
        if dims[0] == dims[1]:
            raise ShapeError(f"{name}(): dim1 {dim1} and dim2 {dim2} name the same axis (tensor of shape "
                             f"{self.shape}); give two different dims")
        return dims

    def unfold(self, dimension, size, step):
        """The windows of `size` elements starting every `step` along `dimension`, which becomes the number
        of windows; a new last axis holds each window. A view; overlaps add up in the gradient."""
        ndim = builtins.max(self.ndim, 1)
        dim = _axis_index(_integer(dimension, "unfold", "dimension"), ndim, self.shape, "unfold")
        size, step = _integer(size, "unfold", "size"), _integer(step, "unfold", "step")
        length = self.shape[dim] if self.ndim else 1
        if step <= 0 or size < 0 or size > length:
            raise ShapeError(f"unfold(): windows of size {size} and step {step} do not fit dimension {dimension} "
                             f"(length {length}) of a tensor of shape {self.shape}; size must be between 0 and "
                             "the length, step positive")
        if self.ndim == 0:  # PyTorch gives the one window without a count axis
            return self.reshape(1)[:size]
        return ops.Unfold.apply(self, dim=dim, size=size, step=step)

    def split(self, split_size_or_sections=None, dim=0, *, split_size=None, axis=None):
        """A tuple of pieces along `dim`: of `split_size` elements each (the last may be shorter), or of the
        sizes in a list, which must add up to the dim's length."""
        if (split_size_or_sections is None) == (split_size is None):
            raise TypeError("split(): give split_size_or_sections (an int or a list of ints), once")
        spec = split_size if split_size_or_sections is None else split_size_or_sections
        dim = self._piece_dim(_axis(dim, axis, default=0), "split")
        length = self.shape[dim]
        if isinstance(spec, (list, tuple)):
            sizes = _int_args((spec,), None, "split", "sizes")
            if any(n < 0 for n in sizes) or sum(sizes) != length:
                raise ShapeError(f"split(): sizes {list(sizes)} must be non-negative and add up to {length}, the "
                                 f"length of dim {dim} of a tensor of shape {self.shape}")
        else:
            size = _integer(spec, "split", "split_size")
            if size < 0 or size == 0 and length:
                raise ShapeError(f"split(): split_size {size} for dim {dim} of length {length} (tensor of shape "
                                 f"{self.shape}); give a positive size (0 only for an empty dim)")
            count = builtins.max(-(-length // size), 1) if size else 1
            sizes = (size,) * (count - 1) + (length - size * (count - 1),)
        bounds = np.cumsum((0,) + sizes).tolist()
        return self._pieces(dim, [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])])

    def chunk(self, chunks, dim=0, *, axis=None):
        """split() into `chunks` pieces of ceil(length / chunks) elements: the last may be shorter, and there
        may be fewer pieces than asked for."""
        chunks = _integer(chunks, "chunk", "chunks")
        dim = self._piece_dim(_axis(dim, axis, default=0), "chunk")
        if chunks <= 0:
            raise ShapeError(f"chunk(): chunks must be positive, got {chunks} (tensor of shape {self.shape})")
        length = self.shape[dim]
        if length == 0:  # every piece is empty: as many as asked for
            return self._pieces(dim, [slice(0, 0)] * chunks)
        return self.split(-(-length // chunks), dim)

    def tensor_split(self, indices_or_sections=None, dim=0, *, sections=None, indices=None, axis=None):
        """A tuple of pieces along `dim`: `sections` (an int) pieces whose lengths differ by at most one, the
        longer first, or the pieces between `indices` (a list, sliced as Python slices)."""
        given = [arg for arg in (indices_or_sections, sections, indices) if arg is not None]
        if len(given) != 1:
            raise TypeError("tensor_split(): give one of indices_or_sections, sections and indices")
        spec = given[0]
        dim = self._piece_dim(_axis(dim, axis, default=0), "tensor_split")
        if isinstance(spec, (Tensor, np.ndarray)):
            array = np.asarray(_array(spec))
            if array.dtype.kind not in "iu" or array.ndim > 1:
                raise TypeError(f"tensor_split(): a tensor of indices or sections must be a 0-d or 1-d integer "
                                f"tensor, got shape {array.shape} {array.dtype}")
            spec = array.tolist()
        if isinstance(spec, (list, tuple)) or indices is not None:
            cuts = list(_int_args((spec,), None, "tensor_split", "indices"))
            return self._pieces(dim, [slice(a, b) for a, b in zip([0] + cuts, cuts + [None])])
        count, length = _integer(spec, "tensor_split", "sections"), self.shape[dim]
        if count <= 0:
            raise ShapeError(f"tensor_split(): the number of sections must be positive, got {count} (tensor of "
                             f"shape {self.shape})")
        base, extra = divmod(length, count)
        bounds = np.cumsum([0] + [base + 1] * extra + [base] * (count - extra)).tolist()
        return self._pieces(dim, [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])])

    def unbind(self, dim=0, *, axis=None):
        """The slices along `dim`, which goes, as a tuple."""
        dim = self._piece_dim(_axis(dim, axis, default=0), "unbind")
        return self._pieces(dim, range(self.shape[dim]))

    def _piece_dim(self, dim, name):
        if self.ndim == 0:
            raise ShapeError(f"{name}(): needs a tensor of at least 1 dim, got a 0-d one")
        return _axis_index(_integer(dim, name, "dim"), self.ndim, self.shape, name)

    def _pieces(self, dim, parts):
        lead = (slice(None),) * dim
        return tuple(self[lead + (part,)] for part in parts)

    def narrow(self, dim, start, length):
        """`length` elements from `start` (negative counts from the end) along `dim`; a view."""
        if self.ndim == 0:
            raise ShapeError("narrow(): cannot narrow a 0-d tensor")
        dim = _axis_index(_integer(dim, "narrow", "dim"), self.ndim, self.shape, "narrow")
        start, length = _integer(start, "narrow", "start"), _integer(length, "narrow", "length")
        size = self.shape[dim]
        if not -size <= start <= size:
            raise IndexError(f"narrow(): start {start} is out of range for dim {dim} of length {size} (tensor of "
                             f"shape {self.shape}); valid starts: {-size} to {size}")
        start %= builtins.max(size, 1)
        if length < 0 or start + length > size:
            raise ShapeError(f"narrow(): start {start} + length {length} goes past the end of dim {dim} (length "
                             f"{size}) of a tensor of shape {self.shape}; the length must be between 0 and "
                             f"{size - start}")
        return self[(slice(None),) * dim + (slice(start, start + length),)]

    def movedim(self, source, destination):
        """The dims `source` (an int or a sequence) moved to the places `destination`, the others keeping
        their order."""
        ndim = builtins.max(self.ndim, 1)
        source, destination = ([_axis_index(d, ndim, self.shape, "movedim") for d in
                                _int_args((dims,), None, "movedim", what)]
                               for dims, what in ((source, "source"), (destination, "destination")))
        if len(source) != len(destination) or len(set(source)) < len(source) or \
                len(set(destination)) < len(destination):
            raise ShapeError(f"movedim(): source {source} and destination {destination} must be as many dims, "
                             f"each once (tensor of shape {self.shape})")
        if self.ndim == 0:
            return self.reshape(())
        order = [d for d in range(self.ndim) if d not in source]
        for target, dim in sorted(zip(destination, source)):
            order.insert(target, dim)
        return self._permute(tuple(order), "movedim")

    moveaxis = movedim

    def unflatten(self, dim, sizes):
        """Dim `dim` split into several of `sizes` (one may be -1, inferred), whose product is its length."""
        dim = _axis_index(_integer(dim, "unflatten", "dim"), self.ndim, self.shape, "unflatten")
        sizes = _int_args((sizes,), None, "unflatten", "sizes")
        length, known = self.shape[dim], int(np.prod([n for n in sizes if n != -1], dtype=np.int64))
        inferred = sizes.count(-1) == 1 and known and length % known == 0
        if not sizes or any(n < -1 for n in sizes) or sizes.count(-1) > 1 or \
                (known != length if -1 not in sizes else not inferred):
            raise ShapeError(f"unflatten(): sizes {list(sizes)} do not multiply up to {length}, the length of dim "
                             f"{dim} of a tensor of shape {self.shape} (one size may be -1)")
        sizes = tuple(length // known if n == -1 else n for n in sizes)
        return self.reshape(self.shape[:dim] + sizes + self.shape[dim + 1:])

    def rot90(self, k=1, dims=(0, 1)):
        """Rotated by 90 degrees k times, from the first dim of `dims` towards the second."""
        dims = _int_args((dims,), None, "rot90", "dims")
        if len(dims) != 2 or self.ndim < 2:
            raise ShapeError(f"rot90(): needs two dims of a tensor of at least 2 dims, got dims {dims} and shape "
                             f"{self.shape}")
        first, second = (_axis_index(d, self.ndim, self.shape, "rot90") for d in dims)
        if first == second:
            raise ShapeError(f"rot90(): dims {dims} name the same axis twice (tensor of shape {self.shape})")
        k = _integer(k, "rot90", "k") % 4
        if k == 0:
            return self.clone()
        if k == 2:
            return self.flip(first, second)
        return self.flip(second if k == 1 else first).swapaxes(first, second)

    def broadcast_to(self, *args, size=None):
        """The tensor broadcast to shape `size` (-1 keeps a dim's size), without copying."""
        shape = _int_args(args, size, "broadcast_to", "size")
        own = (None,) * (len(shape) - self.ndim) + self.shape
        if len(shape) < self.ndim or any(mine is not None and target not in (mine, -1) and mine != 1
                                         for target, mine in zip(shape, own)):
            raise ShapeError(f"broadcast_to(): a tensor of shape {self.shape} cannot be broadcast to {shape}; each "
                             "dim must match the target's, or be 1")
        return self.expand(shape)

    # ---- new tensors like this one (PyTorch's new_*: this dtype unless given) ----------------------
    def new_tensor(self, data, dtype=None, requires_grad=False):
        return Tensor(np.asarray(_array(data), dtype=dtype or self.dtype), requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False):
        return Tensor(np.full(_shape_arg((size,)), fill_value, dtype=dtype or self.dtype), requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, requires_grad=False):
        return self.new_full(_shape_arg(size), 0, dtype, requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False):
        return self.new_full(_shape_arg(size), 1, dtype, requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad=False):
        return self.new_full(_shape_arg(size), 0, dtype, requires_grad)

    def __getitem__(self, index):
        if type(index) is not slice:  # a slice (a batch) needs no conversion
            index = _index(index)
            if type(index) is tuple and _mixes_integers_and_arrays(index):
                # PyTorch applies integers first (their axes go), then the index arrays in place; numpy
                # would move the arrays' axes to the front.
                basic = tuple(slice(None) if _is_advanced(part) else part for part in index)
                rest = tuple(part if _is_advanced(part) or part is Ellipsis else slice(None)
                             for part in index if not _is_integer(part))
                return self[basic][rest]
        if self.requires_grad and GradMode.enabled or engine.recorder is not None:  # (a captured step: an op)
            return ops.Getitem.apply(self, index=index)
        try:  # nothing to differentiate (e.g. slicing a batch out of the data): no graph node needed
            out = self._data[index]
            return _wrap(out if type(out) is np.ndarray else np.asarray(out))  # an element is a numpy scalar
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


# ---- at least n dims, and the numpy-style stacks built on them and cat (PyTorch's rules) ----------------
def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (0-d becomes (1,)); one tensor gives one back, several a tuple."""
    return _at_least(tensors, 1)


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims: 0-d becomes (1, 1), (n,) becomes (1, n)."""
    return _at_least(tensors, 2)


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims: 0-d becomes (1, 1, 1), (n,) (1, n, 1) and (m, n) (m, n, 1)."""
    return _at_least(tensors, 3)


def hstack(tensors):
    """Join along dim 1, or along dim 0 when the tensors are vectors (0-d ones count as vectors)."""
    tensors = atleast_1d(_stack_args(tensors, "hstack"))
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Join along dim 0 after atleast_2d: vectors become rows."""
    return cat(atleast_2d(_stack_args(tensors, "vstack")), 0)


def dstack(tensors):
    """Join along dim 2 after atleast_3d."""
    return cat(atleast_3d(_stack_args(tensors, "dstack")), 2)


def column_stack(tensors):
    """Join along dim 1, vectors (and 0-d tensors) becoming columns."""
    tensors = _stack_args(tensors, "column_stack")
    return cat([_as_tensor_argument(t).reshape(-1, 1) if _ndim(t) <= 1 else t for t in tensors], 1)


def _stack_args(tensors, name):
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): expects a list or tuple of tensors, got a {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{name}(): expects at least one tensor, got an empty {type(tensors).__name__}")
    return list(tensors)


def _as_tensor_argument(t):
    return t if isinstance(t, Tensor) else _wrap(infer_array(t))


def _at_least(tensors, ndim):
    one = len(tensors) == 1 and not isinstance(tensors[0], (list, tuple))
    if len(tensors) == 1 and not one:  # one list or tuple of tensors
        tensors = tensors[0]
    out = []
    for t in map(_as_tensor_argument, tensors):
        if t.ndim < ndim:
            shape = t.shape
            t = t.reshape((1,) * ndim if t.ndim == 0 else (1,) + shape + (1,) * (ndim - 2) if t.ndim == 1
                          else shape + (1,))
        out.append(t)
    return out[0] if one else tuple(out)


def where(condition, a=None, b=None):
    """Elements of `a` where `condition` holds, else of `b` (all three broadcast). `where(condition)`
    alone is `nonzero(condition, as_tuple=True)`, as in PyTorch."""
    if b is None:  # one test on the common path
        if a is not None:
            raise TypeError("where(): give condition, input and other, or condition alone (its nonzero indices)")
        return ops.indexing.nonzero(_array(condition), as_tuple=True)
    condition = Tensor._wrap(np.asarray(_array(condition), dtype=bool))
    return ops.Where.apply(condition, *_operands(a, b))


# ---- variance or deviation with the mean (functions in PyTorch, not Tensor methods) -----------------
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """The pair (variance, mean) over `dim` (an int, a tuple or None for all), PyTorch's torch.var_mean:
    unbiased (correction=1) unless `correction` or `unbiased` says otherwise; var_mean(x, False) is
    PyTorch's old spelling of unbiased=False."""
    input, dim, correction = _moment_arguments(input, _axis(axis, dim), unbiased, correction, "var_mean")
    keepdim = _keepdims(keepdim, keepdims)
    return input.var(dim, keepdim, correction), input.mean(dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """The pair (standard deviation, mean) over `dim`, PyTorch's torch.std_mean; arguments as var_mean."""
    input, dim, correction = _moment_arguments(input, _axis(axis, dim), unbiased, correction, "std_mean")
    keepdim = _keepdims(keepdim, keepdims)
    return input.std(dim, keepdim, correction), input.mean(dim, keepdim)


def _moment_arguments(input, dim, unbiased, correction, name):
    if isinstance(dim, bool):  # var_mean(x, False): the overload whose one argument is `unbiased`
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}(): give either unbiased or correction, not both (unbiased=True is correction=1)")
    correction = (1 if unbiased is None else int(unbiased)) if correction is None else correction
    return (input if isinstance(input, Tensor) else _wrap(infer_array(input))), dim, correction


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
            if a._data.dtype is b._data.dtype or a._data.dtype == b._data.dtype:  # identity first: == is slow
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
    x, y = _operands(a, b)
    if x._data.dtype.kind in "biu":  # cast the operands themselves: uint8_tensor / -2 divides by -2.0, not by 254
        float32 = _DEFAULT_DTYPE[2]
        return _as_tensor(a, float32), _as_tensor(b, float32)
    return x, y


def _rank(x, data):
    if isinstance(x, (bool, int, float, complex)):
        return 0
    return 1 if data.ndim == 0 else 2


def _result_dtype(a, b):
    a_data, b_data = np.asarray(_array(a)), np.asarray(_array(b))
    a_rank, b_rank = _rank(a, a_data), _rank(b, b_data)
    a_category, b_category = _CATEGORY[a_data.dtype.kind], _CATEGORY[b_data.dtype.kind]
    if a_rank == b_rank:  # two Python numbers (where(mask, 1.0, 2.0)) give the default dtype, as in PyTorch
        return _promote(a_data.dtype, b_data.dtype) if a_rank else _DEFAULT_DTYPE[max(a_category, b_category)]
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
    if type(x) is int and dtype.kind in "iu":  # out of the dtype's range it wraps around, as in PyTorch
        return Tensor._wrap(np.array(x).astype(dtype))  # (numpy raises: int8_tensor + 300)
    return Tensor._wrap(np.asarray(x, dtype=dtype))


def _common_dtype(tensors, name):
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError(f"{name}(): needs at least one tensor")
    dtypes = [t._data.dtype for t in tensors]
    if all(dtype is dtypes[0] for dtype in dtypes):
        return tensors
    dtype = functools.reduce(_promote, dtypes)
    return [t.astype(dtype) for t in tensors]


def _compare(a, b, compare):
    """A comparison's bool tensor, outside the graph. Numbers and tensors meet in PyTorch's promoted dtype
    (`int8_tensor < 200` compares in int8, `int64_tensor == 2.0` in float32, where numpy would widen);
    anything else (None) is left to numpy."""
    if isinstance(b, Tensor):
        if a._data.dtype != b._data.dtype:
            a, b = _operands(a, b)
        return _wrap(compare(a._data, b._data))
    if type(b) in _PYTHON_REALS and a._data.dtype.kind == "f":  # the common `x > 0.5`: numpy reads b in x's dtype too
        return _wrap(compare(a._data, b))
    if isinstance(b, (int, float, np.ndarray, np.generic)):
        a, b = _operands(a, b)
        b = b._data
    return _wrap(compare(a._data, b))


def _ndim(x):
    return np.ndim(_array(x))


def _shape(x):
    return np.shape(_array(x))




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


# ---- arguments of the shape ops (flip, roll, repeat, split, ...) ------------------------------------
def _integer(value, name, what):
    """An int argument; a one-element integer tensor counts (PyTorch accepts them), a float or bool does not."""
    if isinstance(value, Tensor) and value._data.dtype.kind in "iu" and value._data.size == 1:
        return int(value._data.item())
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    raise TypeError(f"{name}(): {what} must be an int, got {value!r}")


def _int_args(args, keyword, name, what):
    """A tuple of ints given as ints (varargs), as one sequence (or integer tensor) of them, or as the
    keyword `what`."""
    if keyword is not None:
        if args:
            raise TypeError(f"{name}(): {what} given both as arguments and as {what}=")
        args = (keyword,)
    if not args:
        raise TypeError(f"{name}(): missing {what}")
    if len(args) == 1:
        only = args[0]
        if isinstance(only, Tensor) and only.ndim == 1:
            only = only._data.tolist()
        if isinstance(only, (tuple, list, np.ndarray)):
            args = tuple(only)
    return tuple(_integer(value, name, what) for value in args)


def _dim_list(tensor, dims, name):
    """`dims` normalised to range(ndim) (a 0-d tensor accepts 0 and -1), each at most once."""
    ndim = builtins.max(tensor.ndim, 1)
    normalised = tuple(_axis_index(d, ndim, tensor.shape, name) for d in dims)
    if len(set(normalised)) < len(normalised):
        raise ShapeError(f"{name}(): dims {dims} name an axis more than once (tensor of shape {tensor.shape}); "
                         "give each dim once")
    return normalised


def _is_integer(part):
    return isinstance(part, (int, np.integer)) and not isinstance(part, bool)


def _is_advanced(part):
    return isinstance(part, np.ndarray) and part.ndim > 0


def _mixes_integers_and_arrays(index):
    return any(_is_integer(part) for part in index) and any(_is_advanced(part) for part in index)


def _index(index):
    """Tensors and lists inside an index become ndarrays (numpy treats both as advanced indices)."""
    if isinstance(index, tuple):
        return tuple(_index(part) for part in index)
    if isinstance(index, Tensor):
        return index._data if index._data.ndim else index._data.item()
    if isinstance(index, list):
        return np.asarray(index)
    return index
