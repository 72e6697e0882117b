"""The ONNX form of each built-in op: one small function per Function class, `exporter(g, node) -> name`.

`g` is the Builder (g.op adds a node, g.const an initializer, g.reduce / g.squeeze / g.unsqueeze hide the
opset's differences, g.target_shape / g.shape give shapes with their dynamic sizes read at run time);
`node.input(i)` is the ONNX name of the op's input i and `node.option(name)` what its forward saved on ctx.
Ops whose ONNX form is one node of the same inputs are in the tables at the top.
"""
import math

import numpy as np

from tinygrad_like import ops
from tinygrad_like.ops import pad as pad_ops
from tinygrad_like.ops import pool as pool_ops
from tinygrad_like.ops import rnn as rnn_ops
from tinygrad_like.onnx.exporter import INT64_MAX, INT64_MIN, RECORDED_CALLS, ExportError, exports

# ---- one ONNX node, same inputs ----------------------------------------------------------------------------
_SAME = {
    ops.Add: "Add", ops.Sub: "Sub", ops.Mul: "Mul", ops.Div: "Div", ops.Pow: "Pow", ops.Maximum: "Max",
    ops.Minimum: "Min", ops.MatMul: "MatMul", ops.Neg: "Neg", ops.Exp: "Exp", ops.Log: "Log", ops.Sqrt: "Sqrt",
    ops.Abs: "Abs", ops.Tanh: "Tanh", ops.Sigmoid: "Sigmoid", ops.Relu: "Relu", ops.Erf: "Erf",
    ops.Reciprocal: "Reciprocal", ops.Floor: "Floor", ops.Ceil: "Ceil", ops.Sin: "Sin", ops.Cos: "Cos",
    ops.Asin: "Asin", ops.Acos: "Acos", ops.Atan: "Atan", ops.Sinh: "Sinh", ops.Cosh: "Cosh", ops.Asinh: "Asinh",
    ops.Acosh: "Acosh", ops.Atanh: "Atanh",
    "tinygrad_like.book._common.BookReLUFunction": "Relu",  # relu forward (its backward is the book's)
}


def _same_inputs(op_type):
    def export(g, node):
        return g.op(op_type, *(node.input(i) for i in range(len(node.inputs))))
    return export


for _function, _op_type in _SAME.items():
    exports(_function)(_same_inputs(_op_type))


@exports(ops.Clone, "tinygrad_like.book.ch10_mnist.NegatedGradient")
def identity(g, node):
    return node.input(0)  # the same values (a copy, or an op that changes only the gradient)


@exports(ops.Cast)
def cast(g, node):
    return g.op("Cast", node.input(0), to=g.onnx.helper.np_dtype_to_tensor_dtype(node.output.dtype))


@exports(ops.Dropout, "tinygrad_like.book._common.BookDropoutFunction",
         "tinygrad_like.book._common.BookTanhDropoutFunction")
def dropout_in_training(g, node):
    raise ExportError(f"export: {node.describe()} is dropout in training mode, whose random mask an exported model "
                      "cannot reproduce; export() puts modules in eval mode, so call dropout through a module, or "
                      "pass training=self.training to F.dropout")


# ---- element-wise ops with options or several ONNX nodes ------------------------------------------------------
def _bound(g, value, dtype):
    return None if value is None else g.scalar(value, dtype)


@exports(ops.Clip)
def clip(g, node):
    low, high = node.option("bounds")
    dtype = node.output.dtype
    return g.op("Clip", node.input(0), _bound(g, low, dtype), _bound(g, high, dtype))


@exports(ops.Hardtanh)
def hardtanh(g, node):
    return clip(g, node)


_COMPARISONS = [("Greater", np.greater), ("Less", np.less), ("GreaterOrEqual", np.greater_equal),
                ("LessOrEqual", np.less_equal), ("Equal", np.equal)]


def _condition(g, node, i):
    """Input i, a bool condition. One computed from the input outside the graph (leaky_relu's and prelu's
    `x._data > 0`) is found again as a comparison with 0 of another input, or between two of them, or
    as isnan, checked on both passes; anything else cannot be exported."""
    value = node.inputs[i]
    if value.kind != "varying":
        return node.input(i)
    masks = value.data
    others = [v for j, v in enumerate(node.inputs) if j != i and v.kind != "varying" and v.dtype.kind == "f"]

    def explains(compute):
        with np.errstate(invalid="ignore"):
            results = [compute(k) for k in range(2)]
        return all(r.shape == m.shape and np.array_equal(r, m) for r, m in zip(results, masks))

    for v in others:
        if explains(lambda k: np.isnan(v.data[k])):
            return g.op("IsNaN", g.value_name(v))
        for op_type, compare in _COMPARISONS:
            if explains(lambda k: compare(v.data[k], 0)):
                return g.op(op_type, g.value_name(v), g.scalar(0, v.dtype))
    for v in others:
        for w in others:
            for op_type, compare in _COMPARISONS:
                if v is not w and explains(lambda k: compare(v.data[k], w.data[k])):
                    return g.op(op_type, g.value_name(v), g.value_name(w))
    raise node.varying_error(i)


@exports(ops.Where)
def where(g, node):
    return g.op("Where", _condition(g, node, 0), node.input(1), node.input(2))


@exports(ops.Exp2)
def exp2(g, node):
    return g.op("Pow", g.scalar(2, node.output.dtype), node.input(0))


@exports(ops.Log1p)
def log1p(g, node):
    return g.op("Log", g.op("Add", node.input(0), g.scalar(1, node.output.dtype)))


@exports(ops.Expm1)
def expm1(g, node):
    return g.op("Sub", g.op("Exp", node.input(0)), g.scalar(1, node.output.dtype))


@exports(ops.Rsqrt)
def rsqrt(g, node):
    return g.op("Reciprocal", g.op("Sqrt", node.input(0)))


@exports(ops.Sign)
def sign(g, node):
    x = node.input(0)  # 0 for nan, as in PyTorch
    return g.op("Where", g.op("IsNaN", x), g.scalar(0, node.output.dtype), g.op("Sign", x))


@exports(ops.Trunc)
def trunc(g, node):
    return _trunc(g, node.input(0))


def _trunc(g, x):
    return g.op("Mul", g.op("Sign", x), g.op("Floor", g.op("Abs", x)))


@exports(ops.Round)
def round_(g, node):
    decimals = node.option("decimals", 0)
    x, dtype = node.input(0), node.output.dtype
    if decimals == 0:
        return g.op("Round", x)
    # numpy's way: scale, round half to even, scale back (dividing for negative decimals)
    if decimals > 0:
        scale = g.scalar(10.0 ** decimals, dtype)
        return g.op("Div", g.op("Round", g.op("Mul", x, scale)), scale)
    scale = g.scalar(10.0 ** -decimals, dtype)
    return g.op("Mul", g.op("Round", g.op("Div", x, scale)), scale)


@exports(ops.NanToNum)
def nan_to_num(g, node):
    nan, posinf, neginf = (node.option(name) for name in ("nan", "posinf", "neginf"))
    dtype = node.output.dtype
    info = np.finfo(dtype)
    x = node.input(0)
    out = g.op("Where", g.op("IsInf", x, detect_negative=0), g.scalar(info.max if posinf is None else posinf, dtype), x)
    out = g.op("Where", g.op("IsInf", x, detect_positive=0), g.scalar(info.min if neginf is None else neginf, dtype),
               out)
    return g.op("Where", g.op("IsNaN", x), g.scalar(nan, dtype), out)


@exports(ops.Hypot)
def hypot(g, node):
    a, b = node.input(0), node.input(1)
    return g.op("Sqrt", g.op("Add", g.op("Mul", a, a), g.op("Mul", b, b)))


@exports(ops.Atan2)
def atan2(g, node):
    y, x = node.input(0), node.input(1)
    dtype = node.output.dtype
    zero = g.scalar(0, dtype)
    angle = g.op("Atan", g.op("Div", y, x))  # right for x > 0; x < 0 adds or takes pi, x = 0 is +-pi/2 or 0
    left = g.op("Where", g.op("GreaterOrEqual", y, zero), g.op("Add", angle, g.scalar(math.pi, dtype)),
                g.op("Sub", angle, g.scalar(math.pi, dtype)))
    axis = g.op("Where", g.op("Greater", y, zero), g.scalar(math.pi / 2, dtype),
                g.op("Where", g.op("Less", y, zero), g.scalar(-math.pi / 2, dtype), zero))
    return g.op("Where", g.op("Greater", x, zero), angle, g.op("Where", g.op("Less", x, zero), left, axis))


@exports(ops.FloorDivide)
def floor_divide(g, node):
    return g.op("Floor", g.op("Div", node.input(0), node.input(1)))


@exports(ops.RoundedDivide)
def rounded_divide(g, node):
    quotient = g.op("Div", node.input(0), node.input(1))
    return _trunc(g, quotient) if node.option("rounding_mode", "trunc") == "trunc" else g.op("Floor", quotient)


@exports(ops.Fmod)
def fmod(g, node):
    return g.op("Mod", node.input(0), node.input(1), fmod=1)


@exports(ops.Remainder)
def remainder(g, node):
    a, b = node.input(0), node.input(1)
    mod = g.op("Mod", a, b, fmod=1)  # then moved into b's sign, as ops.integer.remainder does
    zero = g.scalar(0, node.output.dtype)
    moves = g.op("And", g.op("Not", g.op("Equal", mod, zero)),
                 g.op("Xor", g.op("Less", b, zero), g.op("Less", mod, zero)))
    return g.op("Where", moves, g.op("Add", mod, b), mod)


# ---- activations --------------------------------------------------------------------------------------------
_SELU = (1.6732632423543772848170429916717, 1.0507009873554804934193349852946)


@exports(ops.Gelu)
def gelu(g, node):
    approximate = node.option("approximate")
    x, dtype = node.input(0), node.output.dtype
    if g.opset >= 20:
        return g.op("Gelu", x, approximate=approximate)
    if approximate == "tanh":
        cube = g.op("Mul", g.op("Mul", x, x), x)
        inner = g.op("Mul", g.op("Add", x, g.op("Mul", cube, g.scalar(0.044715, dtype))),
                     g.scalar(math.sqrt(2 / math.pi), dtype))
        half = g.op("Add", g.op("Tanh", inner), g.scalar(1, dtype))
    else:
        half = g.op("Add", g.op("Erf", g.op("Mul", x, g.scalar(1 / math.sqrt(2), dtype))), g.scalar(1, dtype))
    return g.op("Mul", g.op("Mul", x, half), g.scalar(0.5, dtype))


@exports(ops.Silu)
def silu(g, node):
    x = node.input(0)
    return g.op("Mul", x, g.op("Sigmoid", x))


@exports(ops.Elu)
def elu(g, node):
    alpha, scale, input_scale = node.option("constants")
    x, dtype = node.input(0), node.output.dtype
    if scale == 1 and input_scale == 1:
        return g.op("Elu", x, alpha=float(alpha))
    if (alpha, scale) == _SELU and input_scale == 1:
        return g.op("Selu", x, alpha=float(alpha), gamma=float(scale))
    if scale == 1 and input_scale == 1 / alpha:
        return g.op("Celu", x, alpha=float(alpha))
    negative = g.op("Mul", g.op("Sub", g.op("Exp", g.op("Mul", x, g.scalar(input_scale, dtype))),
                                g.scalar(1, dtype)), g.scalar(alpha * scale, dtype))
    return g.op("Where", g.op("Greater", x, g.scalar(0, dtype)), g.op("Mul", x, g.scalar(scale, dtype)), negative)


@exports(ops.Softplus)
def softplus(g, node):
    beta, threshold = node.option("constants")
    x, dtype = node.input(0), node.output.dtype
    scaled = g.op("Mul", x, g.scalar(beta, dtype)) if beta != 1 else x
    out = g.op("Softplus", scaled)
    if beta != 1:
        out = g.op("Div", out, g.scalar(beta, dtype))
    if math.isinf(threshold):
        return out
    return g.op("Where", g.op("Greater", scaled, g.scalar(threshold, dtype)), x, out)


@exports(ops.LogSigmoid)
def logsigmoid(g, node):
    return g.op("Neg", g.op("Softplus", g.op("Neg", node.input(0))))


@exports(ops.Mish)
def mish(g, node):
    x = node.input(0)
    if g.opset >= 18:
        return g.op("Mish", x)
    return g.op("Mul", x, g.op("Tanh", g.op("Softplus", x)))


@exports(ops.Hardsigmoid)
def hardsigmoid(g, node):
    return g.op("HardSigmoid", node.input(0), alpha=1 / 6, beta=0.5)


@exports(ops.Hardswish)
def hardswish(g, node):
    return g.op("HardSwish", node.input(0))


@exports(ops.Softmax)
def softmax(g, node):
    return g.op("Softmax", node.input(0), axis=int(node.option("axis")))


@exports(ops.LogSoftmax)
def log_softmax(g, node):
    return g.op("LogSoftmax", node.input(0), axis=int(node.option("axis")))


# ---- products and reductions ----------------------------------------------------------------------------------
@exports(ops.Linear, "tinygrad_like.book.ch8_mnist.BookBatchLinearFunction")
def linear(g, node):
    x, weight = node.input(0), node.input(1)
    bias = node.input(2) if len(node.inputs) > 2 else None
    if len(node.inputs[0].shape) == 2:  # weight stays (out, in), under its state-dict name
        return g.op("Gemm", x, weight, bias, transB=1)
    out = g.op("MatMul", x, g.op("Transpose", weight, perm=[1, 0]))
    return out if bias is None else g.op("Add", out, bias)


@exports(ops.Einsum)
def einsum(g, node):
    equation = ",".join(node.option("subscripts")) + "->" + node.option("output")
    return g.op("Einsum", *(node.input(i) for i in range(len(node.inputs))), equation=equation)


_REDUCTIONS = {ops.Sum: "ReduceSum", ops.Mean: "ReduceMean", ops.Max: "ReduceMax", ops.Min: "ReduceMin",
               ops.Prod: "ReduceProd", ops.VectorNorm: "ReduceL2"}


def _reduction(op_type):
    def export(g, node):
        return g.reduce(op_type, node.input(0), node.option("axis"), node.option("keepdims"))
    return export


for _function, _op_type in _REDUCTIONS.items():
    exports(_function)(_reduction(_op_type))


@exports(ops.Cumsum)
def cumsum(g, node):
    return g.op("CumSum", node.input(0), np.array(node.option("axis"), np.int64))


@exports(ops.Normalize)
def normalize(g, node):
    axes, eps = node.option("axes"), node.option("eps")
    x, value = node.input(0), node.inputs[0]
    ndim, dtype = len(value.shape), value.dtype
    trailing = sorted(a % ndim for a in axes) == list(range(ndim - len(axes), ndim))
    if trailing and g.opset >= 17 and not any(value.dynamic[ndim - len(axes):]):
        normalized = value.shape[ndim - len(axes):]
        return g.op("LayerNormalization", x, np.ones(normalized, dtype), np.zeros(normalized, dtype),
                    axis=ndim - len(axes), epsilon=float(eps))
    centred = g.op("Sub", x, g.reduce("ReduceMean", x, axes, True))
    variance = g.reduce("ReduceMean", g.op("Mul", centred, centred), axes, True)
    return g.op("Div", centred, g.op("Sqrt", g.op("Add", variance, g.scalar(eps, dtype))))


# ---- shapes and selections ------------------------------------------------------------------------------------
@exports(ops.Reshape)
def reshape(g, node):
    return g.op("Reshape", node.input(0), g.target_shape(node.output))


@exports(ops.Transpose)
def transpose(g, node):
    return g.op("Transpose", node.input(0), perm=[int(a) for a in node.option("axes")])


@exports(ops.Expand)
def expand(g, node):
    value, output = node.inputs[0], node.output
    lead = len(output.shape) - len(value.shape)
    sizes = []
    for axis, pair in enumerate(output.sizes):
        own = value.sizes[axis - lead] if axis >= lead else None
        # ONNX's Expand broadcasts both ways: 1 keeps an axis the input has (a dynamic one too)
        sizes.append((1, 1) if own == pair else pair)
    return g.op("Expand", node.input(0), g.shape(sizes))


@exports(ops.Concatenate)
def concatenate(g, node):
    return g.op("Concat", *(node.input(i) for i in range(len(node.inputs))), axis=int(node.option("axis")))


def _static_size(node, value, axis, what):
    if value.dynamic[axis]:
        raise ExportError(f"export: {node.describe()} {what} along axis {axis}, which is dynamic; pass dynamic_axes "
                          "without that axis")
    return value.shape[axis]


def _slice(g, x, starts, ends, axes, steps):
    return g.op("Slice", x, *(np.array(v, np.int64) for v in (starts, ends, axes, steps)))


@exports(ops.Flip)
def flip(g, node):
    dims = [int(d) for d in node.option("dims")]
    if not dims:
        return node.input(0)
    return _slice(g, node.input(0), [-1] * len(dims), [INT64_MIN] * len(dims), dims, [-1] * len(dims))


@exports(ops.Roll)
def roll(g, node):
    shifts, dims = node.option("shifts"), node.option("dims")
    x, value = node.input(0), node.inputs[0]
    if dims is None:  # the flattened tensor, rolled, in the original shape
        if any(value.dynamic):
            raise ExportError(f"export: {node.describe()} rolls the flattened tensor, which has a dynamic axis")
        flat = g.op("Reshape", x, np.array([-1], np.int64))
        return g.op("Reshape", _rolled(g, flat, shifts, 0, math.prod(value.shape)), g.target_shape(node.output))
    for shift, dim in zip(shifts, dims):
        x = _rolled(g, x, shift, dim, _static_size(node, value, dim, "rolls"))
    return x


def _rolled(g, x, shift, axis, size):
    cut = size - shift % size if size else 0
    if cut in (0, size):
        return x
    return g.op("Concat", _slice(g, x, [cut], [INT64_MAX], [axis], [1]), _slice(g, x, [0], [cut], [axis], [1]),
                axis=axis)


@exports(ops.Tile)
def tile(g, node):
    reps = [int(r) for r in node.option("reps")]
    x = g.unsqueeze(node.input(0), list(range(len(reps) - len(node.inputs[0].shape))))
    return g.op("Tile", x, np.array(reps, np.int64))


@exports(ops.RepeatInterleave)
def repeat_interleave(g, node):
    axis, repeats = node.option("axis"), node.option("repeats")
    size = _static_size(node, node.inputs[0], axis, "repeats elements")
    return g.op("Gather", node.input(0), np.repeat(np.arange(size), repeats).astype(np.int64), axis=axis)


@exports(ops.Resample)
def resample(g, node):
    """Interpolation: out[j] = sum over taps t of weight[j, t] * x[index[j, t]] along the axis."""
    axis, index, weight = (node.option(name) for name in ("axis", "index", "weight"))
    x, value = node.input(0), node.inputs[0]
    _static_size(node, value, axis, "resamples")
    shape = [1] * len(value.shape)
    shape[axis] = -1
    out = None
    for t in range(index.shape[1]):
        tap = g.op("Gather", x, index[:, t].astype(np.int64), axis=axis)
        if index.shape[1] > 1:
            tap = g.op("Mul", tap, weight[:, t].reshape(shape).astype(value.dtype))
        out = tap if out is None else g.op("Add", out, tap)
    return out


@exports("tinygrad_like.ops.embedding.Embedding")
def embedding(g, node):
    indices = node.input_option("indices")  # an integer input of the model, as usual
    if indices is None:
        indices = g.const(np.asarray(node.option("indices"), np.int64))
    return g.op("Gather", node.input(0), indices, axis=0)


@exports(ops.Getitem)
def getitem(g, node):
    x, value = node.input(0), node.inputs[0]
    embedding = node.input_option("index")  # the indices are an integer input: weight[indices]
    if embedding is not None:
        return g.op("Gather", x, embedding, axis=0)
    extreme = _arg_extreme(g, node)
    if extreme is not None:
        return extreme
    first, second = (_full_index(index if isinstance(index, tuple) else (index,), len(value.shape))
                     for index in node.options("index"))
    if not any(isinstance(part, (np.ndarray, bool, np.bool_)) for part in first + second):
        return _basic_index(g, x, _end_relative(node, value, first, second))
    index = node.option("index")
    parts = _full_index(index if isinstance(index, tuple) else (index,), len(value.shape))
    arrays = [i for i, part in enumerate(parts) if isinstance(part, (np.ndarray, bool, np.bool_))]
    if (len(arrays) == 1 and parts[arrays[0]].dtype.kind in "iu"
            and all(part == slice(None) for i, part in enumerate(parts) if i != arrays[0])):
        return g.op("Gather", x, parts[arrays[0]].astype(np.int64), axis=arrays[0])
    if any(value.dynamic):  # masks and several index arrays: positions in the flattened tensor, fixed sizes only
        raise ExportError(f"export: {node.describe()} indexes with masks or several index arrays a tensor with a "
                          "dynamic axis; pass dynamic_axes={} for fixed sizes, or index one axis at a time")
    positions = np.arange(math.prod(value.shape), dtype=np.int64).reshape(value.shape)[index]
    return g.op("Gather", g.op("Reshape", x, np.array([-1], np.int64)), positions)


def _arg_extreme(g, node):
    """max(dim) and min(dim) (and gather / take_along_dim of argmax or argmin): x indexed by the grid of
    every element's position with argmax(x, dim) along dim, which the forward computed from the data. It
    is found again as that (the indices of both passes checked) and exported as ArgMax + GatherElements,
    which pick the first of tied extremes, as numpy does."""
    first, second = node.ctx.index, node.twin.index
    if not (isinstance(first, tuple) and len(first) == len(node.inputs[0].shape) and len(second) == len(first)):
        return None
    passes = list(zip((first, second), node.inputs[0].data))
    for dim in range(len(first)):
        if not all(x.shape[dim] and _is_grid(index, dim) for index, x in passes):
            continue
        for op_type, arg in [("ArgMax", np.argmax), ("ArgMin", np.argmin)]:
            if all(np.array_equal(index[dim], arg(x, axis=dim, keepdims=True)) for index, x in passes):
                positions = g.op(op_type, node.input(0), axis=dim, keepdims=1)
                return g.op("GatherElements", node.input(0), positions, axis=dim)
    return None


def _is_grid(index, dim):
    """Is `index` numpy's advanced index of each element's own position along every axis but dim?"""
    if not all(isinstance(part, np.ndarray) and part.ndim == len(index) for part in index):
        return False
    shape = index[dim].shape
    return all(
        np.array_equal(part, np.arange(n).reshape([n if a == axis else 1 for a in range(len(shape))]))
        for axis, (part, n) in enumerate(zip(index, shape)) if axis != dim)


def _end_relative(node, value, first, second):
    """The basic index of the first pass, where an integer or a slice bound differs in the second by as much
    as its axis does counted from the end instead: x[:T] of a dynamic axis of T + 1 is x[:-1]."""
    if len(first) != len(second):
        node.option("index")  # raises: the index differs between the passes
    parts, axis = [], 0
    for a, b in zip(first, second):
        sizes = value.sizes[axis] if a is not None else None
        if isinstance(a, slice) and isinstance(b, slice) and a.step == b.step:
            a = slice(_from_end(node, a.start, b.start, sizes, False), _from_end(node, a.stop, b.stop, sizes, True),
                      a.step)
        elif _is_int(a) and _is_int(b):
            a = _from_end(node, int(a), int(b), sizes, False)
        elif not _same_part(a, b):
            node.option("index")
        parts.append(a)
        axis += a is not None
    return tuple(parts)


def _is_int(part):
    return isinstance(part, (int, np.integer)) and not isinstance(part, (bool, np.bool_))


def _from_end(node, a, b, sizes, stop):
    """A bound that is `a` in the first pass and `b` in the second, along an axis of sizes (n, m)."""
    if a == b:
        return a
    n, m = sizes
    if a is not None and b is not None and 0 <= a <= n and a - n == b - m:
        if a < n:
            return a - n
        if stop:
            return None  # the end in both passes
    node.option("index")  # raises: the bound follows no dynamic size


def _same_part(a, b):
    return type(a) is type(b) and (a == b if not isinstance(a, np.ndarray) else np.array_equal(a, b))


def _full_index(parts, ndim):
    """The index with its Ellipsis spelled out as full slices (and full slices for trailing axes)."""
    used = sum(part.ndim if isinstance(part, np.ndarray) and part.dtype == bool else 1
               for part in parts if part is not None and part is not Ellipsis)
    fill = (slice(None),) * (ndim - used)
    for i, part in enumerate(parts):
        if part is Ellipsis:
            return parts[:i] + fill + parts[i + 1:]
    return parts + fill


def _basic_index(g, x, parts):
    """Integers, slices and None: one Slice, a Squeeze of the integers' axes, an Unsqueeze for the Nones."""
    starts, ends, axes, steps, dropped, added = [], [], [], [], [], []
    axis = position = 0
    for part in parts:
        if part is None:
            added.append(position)
            position += 1
            continue
        if isinstance(part, slice):
            if part != slice(None):
                step = 1 if part.step is None else int(part.step)
                starts.append((0 if step > 0 else INT64_MAX) if part.start is None else int(part.start))
                ends.append((INT64_MAX if step > 0 else INT64_MIN) if part.stop is None else int(part.stop))
                axes.append(axis)
                steps.append(step)
            position += 1
        else:
            i = int(part)
            starts.append(i)
            ends.append(INT64_MAX if i == -1 else i + 1)
            axes.append(axis)
            steps.append(1)
            dropped.append(axis)
        axis += 1
    if axes:
        x = _slice(g, x, starts, ends, axes, steps)
    return g.unsqueeze(g.squeeze(x, dropped), added)


@exports(ops.Diagonal)
def diagonal(g, node):
    offset, dim1, dim2 = (node.option(name) for name in ("offset", "dim1", "dim2"))
    value = node.inputs[0]
    rows, columns = (_static_size(node, value, d, "takes a diagonal") for d in (dim1, dim2))
    rest = [a for a in range(len(value.shape)) if a not in (dim1, dim2)]
    moved = g.op("Transpose", node.input(0), perm=rest + [dim1, dim2])
    flat = g.op("Reshape", moved, g.shape([value.sizes[a] for a in rest] + [(rows * columns, rows * columns)]))
    length = node.output.shape[-1]
    start = offset if offset >= 0 else -offset * columns  # (0, offset) or (-offset, 0), then one row and column on
    return g.op("Gather", flat, (start + np.arange(length) * (columns + 1)).astype(np.int64), axis=len(rest))


@exports(ops.Unfold)
def unfold_windows(g, node):
    """Tensor.unfold: windows of `size` every `step` along dim, as a new last axis."""
    dim, size, step = (node.option(name) for name in ("dim", "size", "step"))
    value = node.inputs[0]
    count = node.output.shape[dim]
    _static_size(node, value, dim, "takes windows")
    positions = (np.arange(count)[:, None] * step + np.arange(size)).astype(np.int64)
    gathered = g.op("Gather", node.input(0), positions, axis=dim)  # (..., count, size, ...)
    order = list(range(len(value.shape) + 1))
    return g.op("Transpose", gathered, perm=order[:dim + 1] + order[dim + 2:] + [dim + 1])


# ---- padding, convolutions and pooling ----------------------------------------------------------------------
def _pad_trailing(g, x, pairs, value, dtype, rank):
    """x with (before, after) pairs around its last len(pairs) axes, negative counts cropping (Slice), the
    others filled with `value` (Pad)."""
    lead = rank - len(pairs)
    crops = [(axis, lo, hi) for axis, (lo, hi) in enumerate(pairs, lead) if lo < 0 or hi < 0]
    if crops:
        x = _slice(g, x, [max(-lo, 0) for _, lo, _ in crops], [hi if hi < 0 else INT64_MAX for _, _, hi in crops],
                   [axis for axis, _, _ in crops], [1] * len(crops))
    if any(lo > 0 or hi > 0 for lo, hi in pairs):
        before = [0] * lead + [max(lo, 0) for lo, _ in pairs]
        after = [0] * lead + [max(hi, 0) for _, hi in pairs]
        x = g.op("Pad", x, np.array(before + after, np.int64), g.scalar(value, dtype), mode="constant")
    return x


@exports(ops.Pad)
def pad(g, node):
    pairs, mode = node.option("pairs"), node.option("mode")
    value = node.inputs[0]
    if mode == "constant":
        return _pad_trailing(g, node.input(0), pairs, node.option("value"), value.dtype, len(value.shape))
    x, lead = node.input(0), len(value.shape) - len(pairs)
    for axis, (lo, hi) in enumerate(pairs, lead):  # reflect, replicate, circular: the positions each copies
        if lo or hi:
            size = _static_size(node, value, axis, f"pads ({mode})")
            x = g.op("Gather", x, pad_ops.source_indices(size, lo, hi, mode).astype(np.int64), axis=axis)
    return x


def _window_attributes(stride, dilation=None):
    attributes = {"strides": [int(s) for s in stride]}
    if dilation is not None:
        attributes["dilations"] = [int(d) for d in dilation]
    return attributes


def _transposed_pads(pairs):
    """ConvTranspose's pads and output_padding for (before, after) pairs whose `after` may be negative (an
    output longer than the windows reach: zeros there)."""
    return {"pads": [lo for lo, _ in pairs] + [max(hi, 0) for _, hi in pairs],
            "output_padding": [max(-hi, 0) for _, hi in pairs]}


@exports(ops.Conv)
def conv(g, node):
    geometry = node.option("geometry")
    value = node.inputs[0]
    x = _pad_trailing(g, node.input(0), geometry.padding, 0, value.dtype, len(value.shape))
    bias = node.input(2) if len(node.inputs) > 2 else None
    return g.op("Conv", x, node.input(1), bias, group=int(geometry.groups),
                kernel_shape=list(node.inputs[1].shape[2:]), **_window_attributes(geometry.stride, geometry.dilation))


@exports(ops.ConvInput)
def conv_transpose(g, node):
    geometry = node.option("geometry")
    bias = node.input(2) if len(node.inputs) > 2 else None
    return g.op("ConvTranspose", node.input(0), node.input(1), bias, group=int(geometry.groups),
                kernel_shape=list(node.inputs[1].shape[2:]), **_transposed_pads(geometry.padding),
                **_window_attributes(geometry.stride, geometry.dilation))


def _one_hot_kernel(channels, kernel, dtype):
    """(channels * K, 1, *kernel): output channel c * K + t picks tap t of channel c (F.unfold's row order)."""
    taps = math.prod(kernel)
    weight = np.zeros((channels * taps, 1) + tuple(kernel), dtype)
    weight.reshape(channels, taps, taps)[:, np.arange(taps), np.arange(taps)] = 1
    return weight


@exports(ops.Im2Col)
def im2col(g, node):
    """F.unfold as a grouped convolution with one-hot kernels, its (N, C*K, *blocks) output flattened."""
    kernel, stride, dilation, padding = (node.option(name) for name in ("kernel", "stride", "dilation", "padding"))
    value = node.inputs[0]
    channels = _static_size(node, value, 1, "unfolds channels")
    x = _pad_trailing(g, node.input(0), padding, 0, value.dtype, len(value.shape))
    blocks = g.op("Conv", x, _one_hot_kernel(channels, kernel, value.dtype), group=channels,
                  kernel_shape=list(kernel), **_window_attributes(stride, dilation))
    return g.op("Reshape", blocks, g.target_shape(node.output))


@exports(ops.Col2Im)
def col2im(g, node):
    """F.fold: the columns as (N, C*K, *blocks), summed into their windows by the transposed one-hot convolution."""
    size, kernel, stride, dilation, padding = (node.option(name) for name in
                                               ("size", "kernel", "stride", "dilation", "padding"))
    value = node.inputs[0]
    taps = math.prod(kernel)
    channels = _static_size(node, value, 1, "folds channels") // taps
    blocks = [(n + lo + hi - d * (k - 1) - 1) // s + 1 for n, (lo, hi), k, s, d in zip(size, padding, kernel, stride,
                                                                                     dilation)]
    columns = g.op("Reshape", node.input(0), g.shape(list(value.sizes[:2]) + [(b, b) for b in blocks]))
    return g.op("ConvTranspose", columns, _one_hot_kernel(channels, kernel, value.dtype), group=channels,
                kernel_shape=list(kernel), **_transposed_pads(padding), **_window_attributes(stride, dilation))


@exports(ops.AvgPool)
def avg_pool(g, node):
    """The window sums (AveragePool times the window size, over the explicitly zero-padded input) over the
    op's own divisor, which holds PyTorch's count_include_pad, ceil_mode and divisor_override rules."""
    kernel, stride, pairs, divisor = (node.option(name) for name in ("kernel", "stride", "pairs", "divisor"))
    value = node.inputs[0]
    x = _pad_trailing(g, node.input(0), pairs, 0, value.dtype, len(value.shape))
    mean = g.op("AveragePool", x, kernel_shape=list(kernel), **_window_attributes(stride))
    with np.errstate(divide="ignore"):
        scale = (math.prod(kernel) / divisor).astype(value.dtype)  # a window of padding only: divisor inf, 0
    return g.op("Mul", mean, scale)


RECORDED_CALLS.extend([(pool_ops, "max_pool_indices"), (pool_ops, "adaptive_max_indices")])


@exports(ops.PlaneGather)
def max_pool(g, node):
    """Max pooling: PlaneGather of the indices max_pool_indices chose from the data, whose arguments say
    the geometry (recorded while tracing)."""
    call = node.call("index")
    if call is None:
        raise ExportError(f"export: {node.describe()} gathers values by indices that no pooling function chose; "
                          "only max pooling's gather has an ONNX form")
    name, arguments = call
    x, value = node.input(0), node.inputs[0]
    if name == "max_pool_indices":
        lowest = -np.inf if value.dtype.kind == "f" else np.iinfo(value.dtype).min
        padded = _pad_trailing(g, x, arguments["pairs"], lowest, value.dtype, len(value.shape))
        return g.op("MaxPool", padded, kernel_shape=list(arguments["kernel"]),
                    **_window_attributes(arguments["stride"], arguments["dilation"]))
    for axis, out in enumerate(arguments["out"], 2):  # adaptive: the maximum is separable, one axis at a time
        size = _static_size(node, value, axis, "pools")
        starts, ends = pool_ops.adaptive_ranges(size, out)
        x = g.op("Concat", *(g.reduce("ReduceMax", _slice(g, x, [start], [end], [axis], [1]), [axis], True)
                             for start, end in zip(starts, ends)), axis=axis)
    return x


# ---- recurrent layers: ONNX's RNN, LSTM and GRU on the input projections -----------------------------------------
def _recurrent(g, node, op_type, gates, order, hidden_bias=None, **attributes):
    """ONNX's recurrent op on xg, the input projections (T, B, gates * H) the layer op receives: W is the
    identity, R the layer's W_hh, both with the gates in ONNX's order; its Y (T, 1, B, H) and final states."""
    xg, w_hh = node.inputs[0], node.inputs[2 if op_type != "LSTM" else 3]
    size = w_hh.shape[1]
    width = gates * size
    perm = np.concatenate([np.arange(k * size, (k + 1) * size) for k in order]).astype(np.int64)
    x = g.op("Gather", node.input(0), perm, axis=2)
    weight = np.eye(width, dtype=xg.dtype)[None]
    recurrence = g.unsqueeze(g.op("Gather", g.value_name(w_hh), perm, axis=0), [0])
    bias = None
    if hidden_bias is not None:
        bias = g.unsqueeze(g.op("Concat", np.zeros(width, xg.dtype), g.op("Gather", hidden_bias, perm, axis=0),
                                axis=0), [0])
    states = [g.unsqueeze(node.input(i), [0]) for i in (1, 2)[:2 if op_type == "LSTM" else 1]]
    direction = "reverse" if node.option("reverse", False) else "forward"
    return g.op(op_type, x, weight, recurrence, bias, None, *states, outputs=3 if op_type == "LSTM" else 2,
                hidden_size=size, direction=direction, **attributes)


@exports(rnn_ops.RNNLayer)
def rnn_layer(g, node):
    activation = "Relu" if node.option("nonlinearity", "tanh") == "relu" else "Tanh"
    y, _ = _recurrent(g, node, "RNN", 1, [0], activations=[activation])
    return g.squeeze(y, [1])


@exports(rnn_ops.LSTMLayer)
def lstm_layer(g, node):
    y, _, cell = _recurrent(g, node, "LSTM", 4, [0, 3, 1, 2])  # ONNX's gates i, o, f, c; PyTorch's i, f, g, o
    return g.op("Concat", g.squeeze(y, [1]), cell, axis=0)  # the layer op's (T + 1, B, H): outputs, then c


@exports(rnn_ops.GRULayer)
def gru_layer(g, node):
    hidden_bias = node.input(3) if len(node.inputs) > 3 else None
    # ONNX's gates z, r, h; PyTorch's r, z, n, whose n = tanh(xg_n + r * (h W_hn + b_hn)): linear_before_reset
    y, _ = _recurrent(g, node, "GRU", 3, [1, 0, 2], hidden_bias, linear_before_reset=1)
    return g.squeeze(y, [1])


# ---- writes into a copy: x[index] = value, scatter, index_add/copy/fill, diag_embed --------------------------------
def _positions(node, value, index, what):
    """The flat positions of a tensor of `value`'s (fixed) shape that `index` selects, in selection order."""
    if any(value.dynamic):
        raise ExportError(f"export: {node.describe()} {what} at positions of a tensor with a dynamic axis; pass "
                          "dynamic_axes={} for fixed sizes")
    return np.arange(math.prod(value.shape), dtype=np.int64).reshape(value.shape)[index]


def _scatter_flat(g, node, target, shape, positions, values, **attributes):
    """target (flattened) with values (broadcast to the positions' shape) written at the flat positions."""
    flat = g.op("Reshape", target, np.array([-1], np.int64))
    updates = g.op("Reshape", g.op("Expand", values, np.array(positions.shape, np.int64)), np.array([-1], np.int64))
    written = g.op("ScatterND", flat, positions.reshape(-1, 1), updates, **attributes)
    return g.op("Reshape", written, np.array(shape, np.int64))


@exports(ops.Setitem)
def setitem(g, node):
    """A copy of x with x[index] = value: where the value is one number and the index basic and whole along
    the dynamic axes, a mask chooses between them (any batch size); otherwise a ScatterND at the selected
    positions of the fixed shape, where the last of repeated positions wins, as in numpy."""
    x, value = node.inputs[0], node.inputs[1]
    index = node.option("index")
    parts = _full_index(index if isinstance(index, tuple) else (index,), len(x.shape))
    basic = all(part is None or isinstance(part, slice) or _is_int(part) for part in parts)
    if math.prod(value.shape) == 1 and basic and None not in parts:
        whole = [not x.dynamic[axis] or part == slice(None) for axis, part in enumerate(parts)]
        if all(whole):
            mask = np.zeros([1 if d else n for n, d in zip(x.shape, x.dynamic)], bool)
            mask[parts] = True
            scalar = g.op("Reshape", node.input(1), np.array([], np.int64))
            return g.op("Where", mask, scalar, node.input(0))
    positions = _positions(node, x, index, "writes")
    flat = positions.reshape(-1)
    last = len(flat) - 1 - np.unique(flat[::-1], return_index=True)[1]  # where each position is written last
    updates = g.op("Expand", node.input(1), np.array(positions.shape, np.int64))
    if len(last) < len(flat):
        updates = g.op("Gather", g.op("Reshape", updates, np.array([-1], np.int64)), np.sort(last).astype(np.int64))
        positions = flat[np.sort(last)]
    return _scatter_flat(g, node, node.input(0), x.shape, positions, updates)


@exports(ops.ScatterAdd)
def scatter_add(g, node):
    """zeros(shape) with the values added at [index], repeats adding up (scatter_add, index_add)."""
    shape, index = node.option("shape"), node.option("index")
    if g.opset < 16:
        raise ExportError(f"export: {node.describe()} needs ScatterND's reduction, from opset 16 on; pass "
                          "opset_version=16 or later")
    value = node.inputs[0]
    zeros = np.zeros(shape, value.dtype)
    positions = np.arange(zeros.size, dtype=np.int64).reshape(shape)[index]
    if any(value.dynamic):
        raise ExportError(f"export: {node.describe()} adds at positions of a tensor with a dynamic axis; pass "
                          "dynamic_axes={} for fixed sizes")
    return _scatter_flat(g, node, g.const(zeros), shape, positions, node.input(0), reduction="add")


@exports(ops.DiagonalScatter)
def diagonal_scatter(g, node):
    """zeros(shape) with the values on a diagonal (diag_embed)."""
    shape, offset, dim1, dim2 = (node.option(name) for name in ("shape", "offset", "dim1", "dim2"))
    value = node.inputs[0]
    if any(value.dynamic):
        raise ExportError(f"export: {node.describe()} builds diagonal matrices with a dynamic axis; pass "
                          "dynamic_axes={} for fixed sizes")
    zeros = np.zeros(shape, value.dtype)
    positions = np.diagonal(np.arange(zeros.size, dtype=np.int64).reshape(shape), offset, dim1, dim2)
    return _scatter_flat(g, node, g.const(zeros), shape, positions, node.input(0))
