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
        return self._data

    def tolist(self):
        return self._data.tolist()

    def item(self):
        if self._data.size != 1:
            raise ShapeError(f"item(): only a one-element tensor converts to a Python number; this one has "
                             f"shape {self.shape}")
        return self._data.item()

    def __array__(self, dtype=None, copy=None):
        if engine._GraphMode.depth:
            raise TypeError(f"a backward recorded with create_graph=True turned a tensor of shape {self.shape} into a "
                            "numpy array, which would drop it from the recorded graph; write the backward with "
                            "operators, Tensor methods and tinygrad_like.ops.dispatch")
        return np.array(self._data, dtype=dtype, copy=copy)

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

    mul, div, pow, matmul, neg = __mul__, __truediv__, __pow__, __matmul__, __neg__
    multiply, divide, true_divide, negative = mul, div, div, neg

    def add(self, other, *, alpha=1):
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        return self - (other if alpha == 1 else other * alpha)

    subtract = sub

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

    def div_(self, other):
        return self._inplace("div_", lambda x: x / other)

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

    # ---- logic (results outside the graph) --------------------------------------------------------
    def __and__(self, other):
        return _wrap(self._data & _logic_operand(other, "&"))

    def __or__(self, other):
        return _wrap(self._data | _logic_operand(other, "|"))

    def __xor__(self, other):
        return _wrap(self._data ^ _logic_operand(other, "^"))

    def __invert__(self):
        return _wrap(~_logic_operand(self, "~"))

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

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
        return ops.Sign.apply(self)

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
        return ops.Clip.apply(self, min=min, max=max)

    clamp = clip

    # ---- reductions -----------------------------------------------------------------------------
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.Sum.apply(self, axis=_axis(axis, dim), keepdims=_keepdims(keepdims, keepdim))

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.Mean.apply(_floating(self), axis=_axis(axis, dim), keepdims=_keepdims(keepdims, keepdim))

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
        if p == 1:
            return self.abs().sum(dim, keepdim)
        return (self.abs() ** p).sum(dim, keepdim) ** (1.0 / p)

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

    def take_along_dim(self, indices, dim):
        """Elements at `indices` along `dim` (numpy's take_along_axis); repeated indices add gradients."""
        indices = _array(indices)
        dim = _axis_index(dim, builtins.max(self.ndim, 1), self.shape, "take_along_dim")
        if self.ndim == 0:  # dim 0 / -1 of a 0-d tensor, as PyTorch allows: the one element
            return self
        grid = list(np.ogrid[tuple(slice(n) for n in indices.shape)])
        grid[dim] = indices
        return self[tuple(grid)]

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
        if self.ndim == 0:
            return self.reshape(1)
        start = _axis_index(start_dim, self.ndim, self.shape, "flatten")
        end = _axis_index(end_dim, self.ndim, self.shape, "flatten")
        if start > end:
            raise ShapeError(f"flatten(): start_dim {start_dim} comes after end_dim {end_dim} for a tensor of "
                             f"shape {self.shape}")
        shape = self.shape
        return self.reshape(shape[:start] + (-1,) + shape[end + 1:])

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


def _logic_operand(x, op):
    data = _array(x)
    if np.asarray(data).dtype.kind not in "biu":
        raise TypeError(f"{op} is a bitwise operation on bool and integer tensors, got {np.asarray(data).dtype}; "
                        "compare first (x > 0) or use logical_and / logical_or")
    return data


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
