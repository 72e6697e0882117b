"""Integer arithmetic, bitwise ops, comparisons and casts with PyTorch's semantics.

Values against Python's integer semantics (and float64 arithmetic; numpy's float32 for float32), every
result dtype against a table of PyTorch's promotion rules written out below, gradients by gradcheck,
the errors, then the same against PyTorch itself (values and dtypes over a grid of operand dtypes and
signs, gradients, casts, comparisons).
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_like as tl
from tinygrad_like import Tensor
from tinygrad_like.ops.integer import DtypeError, IntegerDivisionByZero
from tinygrad_like.testing import arrays, assert_close, broadcastable_shapes

INTS = ["uint8", "int8", "int16", "int32", "int64"]
FLOATS = ["float32", "float64"]
DTYPES = ["bool"] + INTS + FLOATS
small = dict(max_dims=2, max_side=3)


# ---- references: Python's integers, wrapped to a dtype's width -----------------------------------
def wrap(value, dtype):
    """A Python int as the fixed-width integer of `dtype` (two's complement wrap-around)."""
    bits = np.dtype(dtype).itemsize * 8
    value %= 2 ** bits
    return value - 2 ** bits if np.dtype(dtype).kind == "i" and value >= 2 ** (bits - 1) else value


def trunc_div(a, b):
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


def elementwise(function, dtype, *arrays):
    """function applied to the elements as Python numbers; integer results wrapped to dtype."""
    arrays = np.broadcast_arrays(*arrays)
    values = [function(*(x.item() for x in items)) for items in zip(*(a.ravel() for a in arrays))]
    if np.dtype(dtype).kind in "iu":
        values = [wrap(v, dtype) for v in values]
    return np.array(values, dtype=dtype).reshape(arrays[0].shape)


# name: (our op, Python's for integers and float64, numpy's float32 arithmetic for float32)
DIVISIONS = {
    "floor_divide": (lambda x, y: x // y, lambda a, b: a // b, np.floor_divide),
    "remainder": (lambda x, y: x % y, lambda a, b: a % b, np.remainder),
    "fmod": (lambda x, y: x.fmod(y), lambda a, b: a - b * trunc_div(a, b) if type(a) is int else math.fmod(a, b),
             np.fmod),
    "div_trunc": (lambda x, y: x.div(y, rounding_mode="trunc"),
                  lambda a, b: trunc_div(a, b) if type(a) is int else float(math.trunc(a / b)),
                  lambda a, b: np.trunc(a / b)),
    "div_floor": (lambda x, y: x.divide(y, rounding_mode="floor"), lambda a, b: a // b, np.floor_divide),
}


def values_of(dtype, nonzero=False):
    """Elements over a dtype's whole range (floats: float32-exact in [-100, 100]), zero excluded if asked."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        if nonzero:
            return st.tuples(st.booleans(), st.floats(0.25, 100, width=32)).map(lambda p: -p[1] if p[0] else p[1])
        return st.floats(-100, 100, width=32)
    info = np.iinfo(dtype)
    elements = st.integers(int(info.min), int(info.max))
    return elements.map(lambda v: v or 1) if nonzero else elements


@pytest.mark.parametrize("dtype", INTS + FLOATS)
@given(data=st.data())
@settings(max_examples=6)
def test_division_values_against_python(dtype, data):
    shape_a, shape_b = data.draw(broadcastable_shapes(**small))
    a = data.draw(hnp.arrays(dtype, shape_a, elements=values_of(dtype)))
    b = data.draw(hnp.arrays(dtype, shape_b, elements=values_of(dtype, nonzero=True)))
    for name, (ours, python, float32) in DIVISIONS.items():
        result = ours(Tensor(a), Tensor(b))
        expected = float32(a, b) if dtype == "float32" else elementwise(python, dtype, a, b)
        assert result.dtype == dtype and result.shape == np.broadcast_shapes(a.shape, b.shape), name
        assert_close(result, expected, rtol=1e-6 if dtype == "float32" else 0, message=name)


@pytest.mark.parametrize("dtype", ["bool"] + INTS)
@given(data=st.data())
@settings(max_examples=6)
def test_bitwise_values_against_python(dtype, data):
    shape_a, shape_b = data.draw(broadcastable_shapes(**small))
    elements = st.booleans() if dtype == "bool" else values_of(dtype)
    a, b = (data.draw(hnp.arrays(dtype, shape, elements=elements)) for shape in (shape_a, shape_b))
    x, y = Tensor(a), Tensor(b)
    for result, python in [(x & y, lambda p, q: p & q), (x | y, lambda p, q: p | q), (x ^ y, lambda p, q: p ^ q),
                           (x.bitwise_and(y), lambda p, q: p & q), (tl.bitwise_xor(x, y), lambda p, q: p ^ q)]:
        assert result.dtype == dtype
        np.testing.assert_array_equal(result.numpy(), elementwise(python, dtype, a, b))
    inverted = elementwise((lambda p: not p) if dtype == "bool" else (lambda p: ~p), dtype, a)
    np.testing.assert_array_equal((~x).numpy(), inverted)
    np.testing.assert_array_equal(x.bitwise_not().numpy(), inverted)
    if dtype == "bool":
        return
    bits = np.dtype(dtype).itemsize * 8
    low = 0 if dtype == "uint8" else -2
    shifts = data.draw(hnp.arrays(dtype, shape_b, elements=st.integers(low, bits + 2)))
    s = Tensor(shifts)
    # out-of-range shift amounts (negative, or the width and more) give 0 to the left and the sign to the right
    left = elementwise(lambda p, q: p << q if 0 <= q < bits else 0, dtype, a, shifts)
    right = elementwise(lambda p, q: p >> q if 0 <= q < bits else -(p < 0), dtype, a, shifts)
    for result, expected in [(x << s, left), (x.bitwise_left_shift(s), left), (x >> s, right),
                             (tl.bitwise_right_shift(x, s), right)]:
        assert result.dtype == dtype
        np.testing.assert_array_equal(result.numpy(), expected)


def test_python_scalars_on_either_side():
    x = tl.tensor([7, -7, 5])
    assert (x // 2).tolist() == [3, -4, 2] and (x % 2).tolist() == [1, 1, 1] and x.fmod(2).tolist() == [1, -1, 1]
    assert (20 // x).tolist() == [2, -3, 4] and (20 % x).tolist() == [6, -1, 0] and (-20 % x).tolist() == [1, -6, 0]
    assert tl.floor_divide(20, x).tolist() == [2, -3, 4] and tl.remainder(20, x).tolist() == [6, -1, 0]
    assert (x // 2.0).dtype == tl.float32 and (x // 2.0).tolist() == [3.0, -4.0, 2.0]
    assert (7.5 // x).tolist() == [1.0, -2.0, 1.0] and (7.5 % x).tolist() == [0.5, -6.5, 2.5]
    assert (6 & x).tolist() == [6, 0, 4] and (1 | x).tolist() == [7, -7, 5] and (1 ^ x).tolist() == [6, -8, 4]
    assert (1 << tl.tensor([0, 3])).tolist() == [1, 8] and (64 >> tl.tensor([0, 3])).tolist() == [64, 8]
    assert (x << 1).tolist() == [14, -14, 10] and (x >> 1).tolist() == [3, -4, 2]
    assert x.div(2).tolist() == [3.5, -3.5, 2.5] and x.true_divide(2).dtype == tl.float32
    assert x.mul(2).tolist() == x.multiply(2).tolist() == [14, -14, 10] and x.subtract(1).tolist() == [6, -8, 4]
    eight = tl.tensor(np.array([100, -100], np.int8))
    assert (eight + 300).tolist() == [-112, -56] and (eight & 300).tolist() == [36, 12]  # 300 wraps to 44 in int8
    assert (eight / 300).tolist() == pytest.approx([1 / 3, -1 / 3])  # true division: 300.0, not the wrapped 44
    assert (tl.tensor(np.array([200], np.uint8)) / -2).tolist() == [-100.0]


# ---- result dtypes: PyTorch's promotion rules, written out --------------------------------------
CATEGORY = {"bool": 0, "uint8": 1, "int8": 1, "int16": 1, "int32": 1, "int64": 1, "float32": 2, "float64": 2}
DEFAULT = {0: "bool", 1: "int64", 2: "float32"}  # what a Python bool, int and float are


def promote_types(p, q):
    """torch.promote_types for these dtypes: the higher category; within one the wider, uint8 with a
    signed int at least int16."""
    if CATEGORY[p] != CATEGORY[q]:
        return p if CATEGORY[p] > CATEGORY[q] else q
    if {p, q} == {"uint8", "int8"}:
        return "int16"
    return max(p, q, key=lambda d: (np.dtype(d).itemsize, d != "uint8"))


def result_type(a, b):
    """a, b: (dtype, priority) with priority 2 for a tensor with dimensions, 1 for a 0-d tensor, 0 for a
    Python number (its dtype its category's default). The higher priority decides, unless the lower one
    is of a higher category: then its dtype (a Python number's: the default) wins."""
    (p, rank_p), (q, rank_q) = a, b
    if rank_p == rank_q:
        return promote_types(p, q)
    (high, _), (low, _) = (a, b) if rank_p > rank_q else (b, a)
    return low if CATEGORY[low] > CATEGORY[high] else high


DIVIDING = {"floor_divide", "remainder", "fmod", "div_trunc", "div_floor"}
BITWISE = {"and", "or", "xor"}
SHIFTS = {"lshift", "rshift"}


def expected_dtype(op, a, b):
    """The dtype of op(a, b) in PyTorch, or the error it raises."""
    dtype = result_type(a, b)
    if op in ("lt", "eq", "ne", "ge"):
        return "bool"
    if op == "true_divide":
        return "float32" if CATEGORY[dtype] < 2 else dtype
    if op in DIVIDING and dtype == "bool" or op in BITWISE and CATEGORY[dtype] == 2:
        return DtypeError
    if op in SHIFTS and CATEGORY[dtype] != 1:
        return DtypeError
    return dtype


# the same expression in both frameworks: `lib` is tinygrad_like or torch
OPS = {"floor_divide": lambda x, y, lib: x // y, "remainder": lambda x, y, lib: lib.remainder(x, y),
       "fmod": lambda x, y, lib: lib.fmod(x, y), "div_trunc": lambda x, y, lib: lib.div(x, y, rounding_mode="trunc"),
       "div_floor": lambda x, y, lib: lib.div(x, y, rounding_mode="floor"), "true_divide": lambda x, y, lib: x / y,
       "and": lambda x, y, lib: x & y, "or": lambda x, y, lib: lib.bitwise_or(x, y), "xor": lambda x, y, lib: x ^ y,
       "lshift": lambda x, y, lib: x << y, "rshift": lambda x, y, lib: lib.bitwise_right_shift(x, y),
       "lt": lambda x, y, lib: x < y, "eq": lambda x, y, lib: x == y, "ne": lambda x, y, lib: x != y,
       "ge": lambda x, y, lib: x >= y}
PYTHON_NUMBERS = {"bool": True, "int64": 2, "float32": 2.0}  # by the dtype that stands for them


def operand(dtype, rank, values=(3, 1)):
    """A tensor of shape (2,) (rank 2), a 0-d tensor (rank 1) or a Python number (rank 0)."""
    if rank == 0:
        return PYTHON_NUMBERS[dtype]
    array = np.array(values).astype(dtype)
    return tl.tensor(array if rank == 2 else array[0])


def outcome(op, a, b):
    try:
        return np.dtype(OPS[op](a, b, tl).dtype).name
    except DtypeError:
        return DtypeError


@pytest.mark.parametrize("dtype", DTYPES)
def test_result_dtypes_follow_pytorchs_promotion(dtype):
    others = [(d, rank) for d in DTYPES for rank in (2, 1)] + [(d, 0) for d in PYTHON_NUMBERS]
    for other in others:
        for op in OPS:
            expected = expected_dtype(op, (dtype, 2), other)
            assert outcome(op, operand(dtype, 2), operand(*other)) == expected, (op, dtype, other)
            if other[1] < 2:  # the number or 0-d tensor first
                assert outcome(op, operand(*other), operand(dtype, 2)) == expected, (op, other, dtype)


# ---- gradients ------------------------------------------------------------------------------------
def away_from_steps(a, b):
    """(a, b) with b away from 0 and a / b at least 0.2 from an integer, where floor and trunc jump."""
    b = np.where(b < 0, -1.0, 1.0) * (np.abs(b) + 0.5)
    whole = np.floor(a)
    return b * (whole + 0.2 + 0.6 * (a - whole)), b


GRADIENT_OPS = [lambda x, y: x % y, lambda x, y: x.fmod(y), lambda x, y: x.div(y, rounding_mode="trunc"),
                lambda x, y: tl.div(x, y, rounding_mode="floor"), lambda x, y: tl.remainder(x, y) * y + x.fmod(y) * x]


@given(data=st.data())
@settings(max_examples=12)
def test_gradients_of_remainder_fmod_and_rounded_division(data):
    shape_a, shape_b = data.draw(broadcastable_shapes(**small))
    a, b = data.draw(arrays(shape_a)), data.draw(arrays(shape_b))
    a, b = away_from_steps(a, b)
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    for fn in GRADIENT_OPS:
        assert tl.gradcheck(fn, x, y)
        assert tl.gradgradcheck(fn, x, y)
    assert tl.gradcheck(lambda t: t % 0.75 + t.fmod(-0.75), Tensor(away_from_steps(a, np.full(1, 0.25))[0],
                                                                    requires_grad=True))


def test_gradient_formulas_and_zero_gradients():
    x = Tensor(np.array([7.5, -7.5, 1.0]), requires_grad=True)
    y = Tensor(np.array([2.0, 2.0, 0.0]), requires_grad=True)
    (x % y).sum().backward()
    assert_close(x.grad, [1.0, 1.0, 1.0])
    assert_close(y.grad, [-3.0, 4.0, -np.inf])  # -floor(x / y)
    x.grad = y.grad = None
    x.fmod(y).sum().backward()
    assert_close(x.grad, [1.0, 1.0, 1.0])
    assert_close(y.grad, [-3.0, 3.0, -np.inf])  # -trunc(x / y)
    for mode in ("trunc", "floor"):  # zeros, whatever comes in (PyTorch's too)
        x.grad = y.grad = None
        x.div(y, rounding_mode=mode).backward(Tensor(np.array([np.inf, np.nan, 1.0])))
        assert_close(x.grad, np.zeros(3))
        assert_close(y.grad, np.zeros(3))
    x.grad = None
    (x % 2).sum().backward()  # a Python divisor: the gradient flows to x only
    assert_close(x.grad, np.ones(3))
    floored = x // y
    assert_close(floored, [3.0, -4.0, np.inf]) and floored.requires_grad
    with pytest.raises(RuntimeError, match=r"floor_divide \(//\): the derivative is not implemented, as in "
                                           r"PyTorch; use div\(a, b, rounding_mode='floor'\)"):
        floored.sum().backward()


# ---- casts ------------------------------------------------------------------------------------------
CASTS = {"int": "int32", "long": "int64", "short": "int16", "char": "int8", "byte": "uint8", "bool": "bool",
         "half": "float16", "float": "float32", "double": "float64"}


@given(a=arrays(dtype=np.float32, min_value=-120.0, max_value=120.0, **small))
@settings(max_examples=12)
def test_casts_truncate_toward_zero(a):
    for name, dtype in CASTS.items():
        source = np.abs(a) if dtype == "uint8" else a  # a negative float to uint8 is undefined (in C and PyTorch)
        x = Tensor(source, requires_grad=True)
        result = getattr(x, name)()
        assert result.dtype == dtype, name
        if np.dtype(dtype).kind in "biu":
            expected = elementwise(bool if dtype == "bool" else math.trunc, dtype, source)
        else:
            expected = source.astype(dtype)
        np.testing.assert_array_equal(result.numpy(), expected, err_msg=name)
        # integer and bool results never require grad; floating ones are in the graph (float() is x itself)
        assert result.requires_grad == (np.dtype(dtype).kind == "f"), name
        assert (result.grad_fn is None) == (np.dtype(dtype).kind != "f" or dtype == "float32"), name
    x = Tensor(a, requires_grad=True)
    assert x.to(tl.int64).dtype == tl.int64 and x.to(np.int8).dtype == tl.int8
    assert x.to(dtype=tl.int16).dtype == tl.int16 and x.type(tl.uint8).dtype == tl.uint8
    assert not x.to(tl.int32).requires_grad and x.float() is x


def test_floating_casts_send_the_gradient_back_in_the_input_dtype():
    for source, target in [("float32", "double"), ("float64", "float"), ("float32", "half"), ("float64", "half")]:
        x = Tensor(np.array([1.5, -2.0], dtype=source), requires_grad=True)
        (getattr(x, target)() * Tensor(np.array([3.0, 0.25], dtype=CASTS[target]))).sum().backward()
        assert x.grad.dtype == source and x.grad.numpy().tolist() == [3.0, 0.25], (source, target)
    with pytest.raises(TypeError, match=r"bfloat16\(\): dtype 'bfloat16' does not exist in numpy, .* use float32 or "
                                        r"float16"):
        x.bfloat16()


# ---- comparisons and the ops that keep integer dtypes -------------------------------------------
COMPARISONS = {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal, "eq": np.equal,
               "ne": np.not_equal, "less": np.less, "less_equal": np.less_equal, "greater": np.greater,
               "greater_equal": np.greater_equal, "not_equal": np.not_equal}


@pytest.mark.parametrize("dtype", INTS)
@given(data=st.data())
@settings(max_examples=5)
def test_comparisons_of_integer_tensors(dtype, data):
    a = data.draw(hnp.arrays(dtype, data.draw(hnp.array_shapes(**small)), elements=values_of(dtype)))
    integer = data.draw(st.integers(-300, 300))  # out of range too: wraps around, as in PyTorch
    real = data.draw(st.floats(-300, 300, width=32))
    b = data.draw(hnp.arrays("float64", a.shape, elements=st.floats(-300, 300, width=32)))
    x = Tensor(a)
    for name, compare in COMPARISONS.items():
        method = getattr(x, name)
        cases = [(method(integer), compare(a, wrap(integer, dtype))),
                 (method(real), compare(a.astype(np.float32), np.float32(real))),  # in the default float dtype
                 (method(Tensor(b)), compare(a.astype(np.float64), b)), (getattr(tl, name)(x, x), compare(a, a))]
        for result, expected in cases:
            assert result.dtype == np.bool_ and not result.requires_grad, name
            np.testing.assert_array_equal(result.numpy(), expected, err_msg=name)
    assert ((x < integer).numpy() == (integer > x).numpy()).all() and ((x == x) == ~(x != x)).all()


def test_comparisons_promote_as_pytorch_does():
    big = tl.tensor([16777217])  # 2 ** 24 + 1: no float32
    assert (big == 16777216.0).item() and (big == Tensor([16777216.0])).item()  # compared in float32
    assert not (big == Tensor(np.array([16777216.0]))).item()  # in float64
    eight = tl.tensor(np.array([100], np.int8))
    assert not (eight < 200).item() and (eight == 356).item() and (eight < 200.5).item()  # 200 is -56 in int8
    assert (tl.tensor([1.0]) == None).tolist() == [False]  # noqa: E711 (non-numbers: numpy's reading)


@pytest.mark.parametrize("dtype", ["bool"] + INTS)
def test_integer_dtypes_kept(dtype):
    a = np.array([[3, 0], [1, 2]]).astype(dtype)
    x = Tensor(a)
    summed = "int64"
    kept = dtype
    checks = [(x.max(), kept, a.max()), (x.min(), kept, a.min()), (x.amax(0), kept, a.max(0)),
              (x.max(1).values, kept, a.max(1)), (x.sign(), kept, np.sign(a.astype(int)).astype(dtype)),
              (x.sum(), summed, a.astype(np.int64).sum()), (x.sum(1), summed, a.astype(np.int64).sum(1)),
              (x.clamp(0.5, 2), "float32", np.clip(a.astype(np.float32), 0.5, 2))]
    if dtype != "bool":
        checks += [(x.abs(), kept, np.abs(a)), (-x, kept, -a), (x.neg(), kept, -a),
                   (x.clamp(1, 2), kept, np.clip(a, 1, 2)), (x.clamp(max=1), kept, np.minimum(a, 1)),
                   (x.maximum(Tensor(a[::-1])), kept, np.maximum(a, a[::-1]))]
    else:
        checks += [(x.clamp(0, 1), "int64", a.astype(np.int64))]  # a Python int bound promotes bool to int64
    for result, dtype_expected, expected in checks:
        assert result.dtype == dtype_expected
        np.testing.assert_array_equal(result.numpy(), expected)


# ---- edge values ------------------------------------------------------------------------------------
def test_edge_values():
    for dtype in ["int8", "int16", "int32", "int64"]:
        low = np.iinfo(dtype).min
        x, minus_one = tl.tensor(np.array([low], dtype)), tl.tensor(np.array([-1], dtype))
        assert (x // minus_one).tolist() == [low] and (x % minus_one).tolist() == [0]  # wraps around, as in PyTorch
        assert x.fmod(minus_one).tolist() == [0] and x.div(minus_one, rounding_mode="trunc").tolist() == [low]
        assert x.abs().tolist() == [low] and (x >> 100).tolist() == [-1] and (x << -1).tolist() == [0]
    zero_d = tl.tensor(7) // tl.tensor(-2)
    assert zero_d.shape == () and zero_d.item() == -4 and (tl.tensor(7) % -2).item() == -1
    empty = tl.tensor(np.zeros((0, 3), np.int32))
    assert (empty // 2).shape == (0, 3) and (empty % tl.tensor(np.ones(3, np.int32))).dtype == tl.int32
    inf, nan = np.inf, np.nan
    a = Tensor(np.array([7.5, -7.5, 1.0, -1.0, 0.0, 5.0, -5.0, inf, -4.0, 4.0]))
    b = Tensor(np.array([2.0, 2.0, 0.0, 0.0, 0.0, inf, inf, 2.0, 2.0, -2.0]))
    assert_close(a // b, [3.0, -4.0, inf, -inf, nan, 0.0, -1.0, nan, -2.0, -2.0])
    assert_close(a % b, [1.5, 0.5, nan, nan, nan, 5.0, inf, nan, 0.0, 0.0])
    assert_close(a.fmod(b), [1.5, -1.5, nan, nan, nan, 5.0, -5.0, nan, 0.0, 0.0])
    assert_close(a.div(b, rounding_mode="trunc"), [3.0, -3.0, inf, -inf, nan, 0.0, -0.0, inf, -2.0, -2.0])
    # a zero remainder has the dividend's sign (PyTorch's rule; Python's and numpy's take the divisor's)
    assert np.signbit((a % b).numpy()[-2:]).tolist() == [True, False]
    assert np.signbit(a.fmod(b).numpy()[-2:]).tolist() == [True, False]
    big = [2 ** 62, -(2 ** 62) - 1]
    huge = tl.tensor(big)
    assert (huge // 3).tolist() == [v // 3 for v in big] and (huge % 3).tolist() == [v % 3 for v in big]
    assert (huge >> 61).tolist() == [2, -3] and (huge << 1).tolist() == [-(2 ** 63), 2 ** 63 - 2]


def test_in_place_variants():
    x = tl.tensor([7, -7, 12])
    alias = x
    x //= 2
    x %= 3
    assert x is alias and x.tolist() == [0, 2, 0]
    x.fmod_(tl.tensor([5, 5, 5])).bitwise_or_(4).bitwise_xor_(1)
    x &= 6
    x |= 8
    x ^= 1
    x <<= 2
    x >>= 1
    assert x.tolist() == [26, 30, 26]
    assert x.floor_divide_(3).remainder_(5).bitwise_and_(3).bitwise_not_().tolist() == [-4, -1, -4]
    assert x.bitwise_left_shift_(1).bitwise_right_shift_(2).tolist() == [-2, -1, -2]
    assert x.div_(2, rounding_mode="floor").tolist() == [-1, -1, -1] and x.dtype == tl.int64
    with pytest.raises(TypeError, match=r"floor_divide_\(\): the result type float32 cannot be stored in place in a "
                                        r"tensor of int64"):
        x //= 1.5


# ---- errors -------------------------------------------------------------------------------------------
def test_integer_division_by_zero_raises():
    x = tl.tensor([4, 5])
    for divide in [lambda: x // 0, lambda: x % tl.tensor([1, 0]), lambda: x.fmod(0), lambda: 7 // tl.tensor([0]),
                   lambda: x.div(tl.tensor(0), rounding_mode="trunc"), lambda: tl.div(x, 0, rounding_mode="floor"),
                   lambda: x.floor_divide_(0), lambda: tl.tensor(np.array([1], np.uint8)) % 256]:
        with pytest.raises(IntegerDivisionByZero, match=r"ZeroDivisionError: integer division by zero "
                                                        r"\(a (int64|uint8) divisor has a zero element\)"):
            divide()
    assert issubclass(IntegerDivisionByZero, RuntimeError) and issubclass(IntegerDivisionByZero, ZeroDivisionError)
    assert x.tolist() == [4, 5]
    with np.errstate(all="raise"):  # floats give inf and nan, as in PyTorch, without numpy's warnings
        assert_close(x // 0.0, [np.inf, np.inf])
        assert_close(x.float().div(0, rounding_mode="trunc"), [np.inf] * 2)
        assert_close(x % 0.0, [np.nan, np.nan])
        assert_close(x.float().fmod(0), [np.nan, np.nan])


@pytest.mark.parametrize("op, message", [
    (lambda x, b: x & x, r"BitwiseAnd: & is a bitwise operation on bool and integer tensors, not on float32 "
                         r"ones; compare first \(x > 0\) or use logical_and / logical_or / logical_not "
                         r"\[inputs: \(2,\) float32"),
    (lambda x, b: 1 | x, r"BitwiseOr: \| is a bitwise .* not on float32 ones"),
    (lambda x, b: x.double() ^ 1, r"BitwiseXor: \^ is a bitwise .* not on float64 ones"),
    (lambda x, b: ~x, r"BitwiseNot: ~ is a bitwise .* not on float32 ones"),
    (lambda x, b: tl.bitwise_not(x), r"BitwiseNot: ~ is a bitwise .* not on float32 ones"),
    (lambda x, b: b & 1.5, r"BitwiseAnd: & is a bitwise .* not on float32 ones"),
    (lambda x, b: x << 1, r"LeftShift: << is a bitwise operation on integer tensors, not on float32 ones"),
    (lambda x, b: 1 >> x, r"RightShift: >> is a bitwise operation on integer tensors, not on float32 ones"),
    (lambda x, b: b << b, r"LeftShift: << is a bitwise operation on integer tensors, not on bool ones \[inputs"),
    (lambda x, b: b >> True, r"RightShift: >> is a bitwise operation on integer tensors, not on bool ones"),
    (lambda x, b: b // b, r"FloorDivide: floor_divide is not implemented for bool tensors \(PyTorch has none "
                          r"either\); convert them first, e.g. a.long\(\)"),
    (lambda x, b: b % True, r"Remainder: remainder is not implemented for bool tensors"),
    (lambda x, b: b.fmod(b), r"Fmod: fmod is not implemented for bool tensors"),
    (lambda x, b: b.div(b, rounding_mode="floor"), r"RoundedDivide: div\(rounding_mode='floor'\) is not implemented "
                                                   r"for bool tensors"),
])
def test_dtype_errors(op, message):
    x, b = Tensor([1.5, 2.0]), tl.tensor([True, False])
    with pytest.raises(DtypeError, match=message) as caught:
        op(x, b)
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, NotImplementedError)


def test_argument_errors():
    with pytest.raises(tl.ShapeError, match=r"div\(\): rounding_mode must be None, 'trunc' or 'floor', got 'round'"):
        tl.tensor([1]).div(2, rounding_mode="round")
    with pytest.raises(RuntimeError, match="rounding_mode must be"):  # PyTorch raises a RuntimeError here
        tl.tensor([1]).divide(2, rounding_mode="ceil")
    with pytest.raises(TypeError, match="rounding_mode"):  # true_divide has none, as in PyTorch
        tl.tensor([1]).true_divide(2, rounding_mode="floor")


# ---- against PyTorch ------------------------------------------------------------------------------------
SIGNS = {"positive": (7, 3, 5, 2), "negative": (-7, -3, 5, -2), "zero": (0, 4, 0, 1)}
# each pair also runs with the operands swapped: zeros as dividends and as divisors
SIGN_PAIRS = [("positive", "positive"), ("positive", "negative"), ("negative", "negative"), ("negative", "zero")]


def make(lib, dtype, rank, values):
    """An operand of either framework: a tensor of `values` (rank 2), its first element as a 0-d tensor
    (rank 1) or a Python number with the first element's sign (rank 0)."""
    if rank == 0:
        return PYTHON_NUMBERS[dtype] * (-1 if values[0] < 0 and dtype != "bool" else 1)
    array = np.array(values).astype(dtype)
    return lib.tensor(array if rank == 2 else array[0])


def run(op, a, b, lib):
    """(dtype, values) or the kind of error: PyTorch's NotImplementedError and TypeError for a dtype an op
    lacks are our DtypeError; its RuntimeError('ZeroDivisionError') our IntegerDivisionByZero."""
    try:
        with np.errstate(all="ignore"):
            result = OPS[op](a, b, lib)
    except (DtypeError, NotImplementedError, TypeError):
        return "no such op for the dtype"
    except (IntegerDivisionByZero, RuntimeError) as error:
        assert "ZeroDivisionError" in str(error)
        return "integer division by zero"
    return str(result.dtype).removeprefix("torch."), np.asarray(result.numpy(), dtype=np.float64)


def same(ours, theirs):
    if isinstance(ours, str) or isinstance(theirs, str):
        return ours == theirs
    return ours[0] == theirs[0] and np.array_equal(ours[1], theirs[1], equal_nan=True)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_grid_of_dtypes_and_signs_matches_pytorch(dtype):
    """Every op with this dtype's tensor on either side of every other dtype's tensor, 0-d tensor and Python
    number, over positive, negative and zero operands (a zero divisor included)."""
    torch = pytest.importorskip("torch")
    others = [(d, rank) for d in DTYPES for rank in (2, 1)] + [(d, 0) for d in PYTHON_NUMBERS]
    for other, (sign, other_sign) in [(o, pair) for o in others for pair in SIGN_PAIRS]:
        values, other_values = SIGNS[sign], SIGNS[other_sign]
        for op in OPS:
            for specs in [((dtype, 2, values), (*other, other_values)), ((*other, other_values), (dtype, 2, values))]:
                if op == "fmod" and specs[0][1] == 0:
                    continue  # torch.fmod takes no Python number first
                ours = run(op, *(make(tl, *spec) for spec in specs), tl)
                theirs = run(op, *(make(torch, *spec) for spec in specs), torch)
                assert same(ours, theirs), (op, specs, ours, theirs)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", INTS + FLOATS)
@given(data=st.data())
@settings(max_examples=15)
def test_extreme_values_match_pytorch(dtype, data):
    torch = pytest.importorskip("torch")
    shape = data.draw(hnp.array_shapes(**small))
    a = data.draw(hnp.arrays(dtype, shape, elements=values_of(dtype)))
    b = data.draw(hnp.arrays(dtype, shape, elements=values_of(dtype, nonzero=True)))
    if dtype in ("int32", "int64"):  # PyTorch's trunc division of MIN by -1 is a crash (SIGFPE)
        b = np.where((a == np.iinfo(dtype).min) & (b == -1), 1, b).astype(dtype)
    ours, theirs = (Tensor(a), Tensor(b)), (torch.from_numpy(a.copy()), torch.from_numpy(b.copy()))
    for op in OPS:
        assert same(run(op, *ours, tl), run(op, *theirs, torch)), op
    if dtype in INTS:
        bits = np.dtype(dtype).itemsize * 8
        shifts = data.draw(hnp.arrays(dtype, shape, elements=st.integers(0 if dtype == "uint8" else -3, bits + 3)))
        for op in SHIFTS:
            theirs_shifted = run(op, theirs[0], torch.from_numpy(shifts.copy()), torch)
            assert same(run(op, ours[0], Tensor(shifts), tl), theirs_shifted), op
        np.testing.assert_array_equal((~ours[0]).numpy(), (~theirs[0]).numpy())


@pytest.mark.torch
@given(data=st.data())
@settings(max_examples=15)
def test_gradients_match_pytorch(data):
    torch = pytest.importorskip("torch")
    shape = data.draw(hnp.array_shapes(**small))
    # no subnormal divisors: PyTorch's vectorized fmod gives nan for them (numpy, and its scalar loop, the remainder)
    a = data.draw(arrays(shape)).ravel()
    b = data.draw(arrays(shape).map(lambda v: np.where(abs(v) < 1e-300, 0.0, v))).ravel()
    a, b = np.append(a, [1.0, 0.0, 3.0]), np.append(b, [0.0, 0.0, -1.5])  # divisions by zero, an exact one
    upstream = np.cos(np.arange(a.size))
    for op in ["remainder", "fmod", "div_trunc", "div_floor"]:
        x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
        tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        with np.errstate(all="ignore"):
            ours, theirs = OPS[op](x, y, tl), OPS[op](tx, ty, torch)
            assert_close(ours, theirs.detach().numpy(), rtol=1e-12, message=op)
            ours.backward(Tensor(upstream))
        theirs.backward(torch.tensor(upstream))
        assert_close(x.grad, tx.grad.numpy(), rtol=1e-12, message=op)
        assert_close(y.grad, ty.grad.numpy(), rtol=1e-12, message=op)
    for lib, x in [(torch, torch.tensor(a, requires_grad=True)), (tl, Tensor(a, requires_grad=True))]:
        with pytest.raises(RuntimeError, match="not implemented"):
            (x // 2).sum().backward()


@pytest.mark.torch
@pytest.mark.parametrize("source", FLOATS + ["float16"] + INTS + ["bool"])
def test_casts_match_pytorch(source):
    torch = pytest.importorskip("torch")
    if source in FLOATS + ["float16"]:
        values = np.array([2.7, -2.7, 0.5, -0.5, 0.0, -0.0, 100.9, -100.9, 127.0, 1.0, np.nan])
    else:
        values = np.array([0, 1, 5, 100, 127, 255, 3] if source == "uint8" else [0, 1, 5, 100, 127, -1, -100, 3])
    array = values.astype(source)
    for name, dtype in CASTS.items():
        kept = array
        if np.dtype(dtype).kind in "iu" and source in FLOATS + ["float16"]:  # nan, and negatives to uint8: undefined
            kept = array[~np.isnan(array) & ((array > -1) | (dtype != "uint8"))]
        ours, theirs = getattr(tl.tensor(kept), name)(), getattr(torch.from_numpy(kept.copy()), name)()
        assert str(theirs.dtype).removeprefix("torch.") == ours.dtype == dtype, (source, name)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=f"{source}.{name}()")
    x, t = tl.tensor([1.5, -2.5], requires_grad=True), torch.tensor([1.5, -2.5], requires_grad=True)
    for name in CASTS:
        assert getattr(x, name)().requires_grad == getattr(t, name)().requires_grad, name


def run_call(call, value):
    try:
        result = call(value)
    except (TypeError, NotImplementedError, RuntimeError):
        return "error"
    return str(result.dtype).removeprefix("torch."), np.asarray(result.numpy(), dtype=np.float64)


KEEPING_CALLS = {
    "abs": lambda v: v.abs(), "neg": lambda v: -v, "sign": lambda v: v.sign(), "clamp": lambda v: v.clamp(0, 2),
    "clamp_float": lambda v: v.clamp(-0.5, 1.5), "clamp_max": lambda v: v.clamp(max=1), "max": lambda v: v.max(),
    "min": lambda v: v.min(), "sum": lambda v: v.sum(), "sum_0": lambda v: v.sum(0), "max_1": lambda v: v.max(1).values,
    "amin": lambda v: v.amin(0), "lt": lambda v: v < 1, "eq_float": lambda v: v == 1.0,
    "ge_wrapped": lambda v: v.ge(200), "ne_double": lambda v: v.ne(v.double()),
    "less_equal": lambda v: v.less_equal(-1), "gt": lambda v: v > v.float(),
}


@pytest.mark.torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_integer_preserving_ops_and_comparisons_match_pytorch(dtype):
    torch = pytest.importorskip("torch")
    array = np.array([[3, 0], [1, 2]] if dtype in ("bool", "uint8") else [[3, -4], [0, 2]]).astype(dtype)
    for name, call in KEEPING_CALLS.items():
        if dtype == "bool" and name == "abs":
            continue  # PyTorch has no abs of bool; numpy's (the identity) is kept
        ours, theirs = run_call(call, tl.tensor(array)), run_call(call, torch.from_numpy(array.copy()))
        assert same(ours, theirs), (name, ours, theirs)
