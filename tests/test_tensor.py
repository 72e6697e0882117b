"""Tensor construction, attributes, conversions, comparisons, dtype promotion, factories and the errors
users see from ops and shape methods."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Tensor
from tinygrad_like.testing import arrays, assert_close


# ---- construction -------------------------------------------------------------------------------------
@pytest.mark.parametrize("data, dtype", [
    (1.5, np.float32),
    ([1.0, 2.5], np.float32),
    ([[1, 2.5], [3, 4]], np.float32),  # mixed ints and floats are floats
    ([1, 2, 3], np.float32),  # torch.Tensor: Python data is float32 whatever its type
    (True, np.float32),
    ([True, False], np.float32),
    (np.arange(3.0), np.float64),  # numpy arrays keep their dtype
    (np.arange(3, dtype=np.int32), np.int32),
    (np.ones(2, dtype=np.float16), np.float16),
    (np.float64(2.0), np.float64),  # so do numpy scalars
    (np.float32(2.0), np.float32),
], ids=["float", "float_list", "mixed_list", "int_list", "bool", "bool_list", "float64_array", "int32_array",
        "float16_array", "float64_scalar", "float32_scalar"])
def test_default_dtypes_follow_pytorch(data, dtype):
    t = Tensor(data)
    assert t.dtype == dtype
    assert_close(t.numpy(), np.asarray(data).astype(dtype))
    assert not t.requires_grad and t.is_leaf and t.grad is None


@pytest.mark.parametrize("data, dtype", [
    (1.5, np.float32), ([1, 2.5], np.float32), (3, np.int64), ([1, 2, 3], np.int64), (True, np.bool_),
    ([True, False], np.bool_), (np.arange(3.0), np.float64), (np.float32(2.0), np.float32)])
def test_tensor_function_infers_the_dtype_as_pytorch(data, dtype):
    t = tl.tensor(data)
    assert t.dtype == dtype
    assert_close(t.numpy(), np.asarray(data).astype(dtype))


def test_tensor_of_a_python_int_is_an_error_naming_both_readings():
    with pytest.raises(TypeError, match=r"Tensor\(3\) is ambiguous.*tensor\(3\).*zeros\(3\)"):
        Tensor(3)


def test_dtype_argument():
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert Tensor(0.1, dtype=np.float64).item() == 0.1  # not rounded through float32 on the way
    assert Tensor(np.arange(3.0), dtype="float32").dtype == np.float32
    assert Tensor([1.7, -2.2], dtype=np.int32).tolist() == [1, -2]


def test_data_is_copied():
    source = np.array([1.0, 2.0])
    t = Tensor(source)
    source[0] = 99.0
    assert t.numpy()[0] == 1.0
    u = Tensor(t)
    t.numpy()[1] = 99.0
    assert u.numpy()[1] == 2.0


@pytest.mark.parametrize("data", [np.array([1, 2]), np.array(True), np.arange(3)], ids=["int", "bool", "int_array"])
def test_requires_grad_needs_floating_point_data(data):
    with pytest.raises(TypeError, match=r"only floating-point tensors can require grad.*(int64|bool)"):
        Tensor(data, requires_grad=True)


def test_non_numeric_data_is_rejected():
    for data in ["abc", None, [object()]]:
        with pytest.raises(TypeError, match="numeric"):
            Tensor(data)


# ---- attributes and conversions -------------------------------------------------------------------------
def test_shape_attributes():
    t = Tensor(np.zeros((2, 3, 4), dtype=np.float32))
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.numel() == 24 and t.nelement() == 24
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4 and t.dim() == 3
    assert t.shape.numel() == 24 and t.shape[1:] == (3, 4) and t.shape[1:].numel() == 12
    assert t.dtype == np.float32
    assert len(t) == 2
    assert Tensor(5.0).shape == () and Tensor(5.0).ndim == 0


def test_data_is_assignable():
    t = Tensor([1.0, 2.0], requires_grad=True)
    t.data = np.zeros((3, 2), dtype=np.float32)
    assert t.shape == (3, 2) and t.requires_grad


def test_numpy_and_array_protocol():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.numpy() is t.numpy()  # like PyTorch: numpy() shares the memory
    as_array = np.asarray(t)
    assert isinstance(as_array, np.ndarray) and as_array.dtype == np.float32
    assert_close(as_array, [[1.0, 2.0], [3.0, 4.0]])
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    copied = np.array(t)
    copied[0, 0] = 9.0
    assert t.numpy()[0, 0] == 1.0
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_item_and_python_number_conversions():
    assert Tensor([[2.5]]).item() == 2.5 and isinstance(Tensor([[2.5]]).item(), float)
    assert tl.tensor(3).item() == 3 and isinstance(tl.tensor(3).item(), int)
    assert float(Tensor(1.5)) == 1.5 and int(tl.tensor(7)) == 7 and bool(tl.tensor(True)) is True
    assert f"{Tensor([0.123456]):.3f}" == "0.123" and f"{tl.tensor(7):d}" == "7"
    assert [10, 20, 30][tl.tensor(2)] == 30 and abs(Tensor([-2.0])).item() == 2.0
    with pytest.raises(ValueError, match=r"one-element.*\(2,\)"):
        Tensor([1.0, 2.0]).item()


def test_len_and_iteration():
    t = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    rows = list(t)
    assert len(rows) == 3 and all(row.shape == (2,) for row in rows)
    assert_close(rows[2], [4.0, 5.0])
    sum(row.sum() for row in rows).backward()  # iteration is indexing: it differentiates
    assert_close(t.grad, np.ones((3, 2)))
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))


def test_repr():
    plain = repr(Tensor([1.0, 2.0]))
    assert plain.startswith("Tensor([1., 2.]") and "dtype" not in plain
    assert "dtype=float64" in repr(Tensor(np.array([1.0])))
    assert "dtype=int64" in repr(tl.tensor([1]))
    x = Tensor([1.0], requires_grad=True)
    assert "requires_grad=True" in repr(x)
    assert "grad_fn=Mul" in repr(x * 2)


def test_detach():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.numpy(), y.numpy())  # same data, like PyTorch
    out = (d * x).sum()
    out.backward()
    assert_close(x.grad, [2.0, 4.0])  # nothing flowed through the detached branch


def test_requires_grad_():
    x = Tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    y = Tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"only leaf tensors.*detach\(\)"):
        y.requires_grad_()
    assert y.detach().requires_grad_().requires_grad
    with pytest.raises(TypeError, match="floating-point"):
        tl.tensor([1]).requires_grad_()


def test_is_leaf():
    x = Tensor([1.0], requires_grad=True)
    assert x.is_leaf and not (x * 2).is_leaf
    assert (Tensor([1.0]) * 2).is_leaf  # nothing requires grad: no graph


@pytest.mark.parametrize("convert, dtype", [
    (Tensor.float, np.float32), (Tensor.double, np.float64), (Tensor.long, np.int64),
    (lambda t: t.astype(np.float16), np.float16), (lambda t: t.astype("int32"), np.int32),
], ids=["float", "double", "long", "astype_float16", "astype_int32"])
def test_dtype_conversions(convert, dtype):
    t = Tensor(np.array([1.5, -2.5, 3.0]))
    converted = convert(t)
    assert converted.dtype == dtype
    assert_close(converted.numpy(), np.array([1.5, -2.5, 3.0]).astype(dtype))
    assert t.dtype == np.float64  # not in place


# ---- comparisons ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"])
@pytest.mark.parametrize("other", [2.0, np.array([1.0, 2.0, 4.0]), "tensor"], ids=["scalar", "ndarray", "tensor"])
def test_comparisons_give_bool_tensors_outside_the_graph(op, other):
    values = np.array([1.0, 2.0, 3.0])
    other = Tensor(np.array([3.0, 2.0, 1.0])) if isinstance(other, str) else other
    x = Tensor(values, requires_grad=True)
    result = getattr(x, op)(other)
    assert isinstance(result, Tensor) and result.dtype == np.bool_
    assert not result.requires_grad and result.is_leaf
    expected = getattr(values, op)(other.numpy() if isinstance(other, Tensor) else other)
    assert np.array_equal(result.numpy(), expected)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@given(data=st.data(), values=arrays(min_value=-2, max_value=2).map(np.round))  # rounding makes ties common
def test_argmax_and_argmin_give_the_first_extreme_as_int64_outside_the_graph(name, data, values):
    axis = data.draw(st.none() | st.integers(-values.ndim, values.ndim - 1) if values.ndim else st.none())
    keepdims = data.draw(st.booleans())
    x = Tensor(values, requires_grad=True)
    result = getattr(x, name)(dim=axis, keepdim=keepdims) if data.draw(st.booleans()) else \
        getattr(x, name)(axis, keepdims)
    expected = getattr(np, name)(values, axis=axis, keepdims=keepdims)
    assert result.dtype == np.int64 and result.shape == expected.shape
    assert np.array_equal(result.numpy(), expected)
    assert not result.requires_grad and result.is_leaf
    np.testing.assert_array_equal(x.numpy(), values)


@pytest.mark.parametrize("call, error, message", [
    (lambda x: x.argmax(2), IndexError, r"argmax\(\): axis 2 is out of range for a tensor of shape \(0, 3\)"),
    (lambda x: x.argmin((0, 1)), TypeError, r"argmin\(\): axis must be one int or None, got \(0, 1\)"),
    (lambda x: x.argmax(), ValueError, r"argmax\(\): nothing to choose from along axis None of a tensor of "
                                        r"shape \(0, 3\)"),
    (lambda x: x.argmin(0), ValueError, r"argmin\(\): nothing to choose from along axis 0"),
])
def test_argmax_errors_name_the_call_the_axis_and_the_shape(call, error, message):
    with pytest.raises(error, match=message):
        call(Tensor(np.zeros((0, 3))))
    assert Tensor(np.zeros((0, 3))).argmax(1).shape == (0,)  # an empty result where the axis is not empty


def test_amax_and_amin_are_the_value_reductions():
    x = Tensor([[1.0, 4.0], [3.0, -2.0]], requires_grad=True)
    assert_close(x.amax(1), [4.0, 3.0])
    assert_close(x.amin(dim=0), [1.0, -2.0])
    x.amax().backward()
    assert_close(x.grad, [[0.0, 1.0], [0.0, 0.0]])


def test_tensors_hash_by_identity():
    a, b = Tensor([1.0]), Tensor([1.0])
    assert len({a, b}) == 2 and {a: 1}[a] == 1


# ---- dtype promotion (PyTorch's rules) -------------------------------------------------------------------
PROMOTIONS = {  # expression: the dtype of its result (F32, F64, I64: tensors of shape (3,))
    "F32 + 2.5": np.float32,  # a Python float does not widen a float32 tensor
    "2.5 * F32": np.float32,
    "F32 * np.float64(2.0)": np.float32,  # nor does a numpy float64 scalar
    "F32 - 3": np.float32,
    "F32 + np.array([1, 0, 1])": np.float32,  # an int64 array mask
    "F32 * np.array([True, False, True])": np.float32,  # a bool mask
    "F32 * Tensor(np.array([True, False, True]))": np.float32,
    "F32 + F64": np.float64,  # two dimensioned float tensors: the wider wins
    "np.ones(3) + F32": np.float64,  # a float64 array is a dimensioned float64 operand
    "F32 + Tensor(np.float64(2.0))": np.float32,  # a 0-d tensor ranks below a dimensioned one
    "Tensor(np.float32(1.0)) + Tensor(np.float64(2.0))": np.float64,  # two 0-d tensors
    "I64 * 2.5": np.float32,  # int tensor * Python float: the default float dtype
    "2.5 + I64": np.float32,
    "I64 + 2": np.int64,
    "I64 / 2": np.float32,  # true division of integers gives the default float dtype
    "1 / I64": np.float32,
    "I64 / I64": np.float32,
    "Tensor([True, False]) / 2": np.float32,
    "I64 / 2.0": np.float32,
    "I64 / F64": np.float64,
    "I64 * Tensor(np.float64(2.0))": np.float64,  # a 0-d float tensor lifts an int tensor
    "Tensor(np.ones(3, dtype=np.int32)) + 2": np.int32,
    "Tensor(np.ones(3, dtype=np.float16)) * 3.5": np.float16,
    "tl.tensor([True, False]) + 1": np.int64,
    "F32 ** 2": np.float32,
    "2 ** F32": np.float32,
    "F32.maximum(0.5)": np.float32,
    "F32.clip(np.float64(0.5))": np.float32,  # numpy scalar bounds count as Python numbers
    "F32.clamp(-1, np.float64(2.0))": np.float32,
    "F64.clip(np.float32(0.5))": np.float64,
    "tl.where(np.array([True, False, True]), F32, 0.0)": np.float32,
    "tl.cat([F32, F64])": np.float64,
    "tl.stack([F32, I64])": np.float32,
    "F32.var()": np.float32,
    "F32.mean()": np.float32,
    "F32.logsumexp()": np.float32,
}


@pytest.mark.parametrize("expression", PROMOTIONS)
def test_dtype_promotion(expression):
    names = dict(np=np, tl=tl, Tensor=Tensor, F32=Tensor(np.ones(3, dtype=np.float32)),
                 F64=Tensor(np.ones(3, dtype=np.float64)), I64=Tensor(np.ones(3, dtype=np.int64)))
    assert eval(expression, names).dtype == PROMOTIONS[expression]


def test_promotion_keeps_gradients_in_each_leafs_dtype():
    a = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    out = a * b
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    assert_close(a.grad, [3.0, 4.0])
    assert_close(b.grad, [1.0, 2.0])


# ---- errors from ops and shape methods ---------------------------------------------------------------------
@pytest.mark.parametrize("make, error, pattern", [
    (lambda: Tensor(np.ones((2, 3))) + Tensor(np.ones(4)), ValueError, r"Add: .*\(2, 3\) float64, \(4,\) float64"),
    (lambda: Tensor(np.ones((2, 3))) * np.ones(4), ValueError, r"Mul: .*\(2, 3\) float64, \(4,\) float64"),
    (lambda: Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5))), ValueError, r"MatMul: .*\(2, 3\) float64, \(4, 5\) float64"),
    (lambda: Tensor(np.ones((2, 3))).reshape(4, 2), ValueError, r"Reshape: .*\(2, 3\)"),
    (lambda: Tensor(np.ones((2, 3))).expand(4, 3), ValueError, r"Expand: .*\(2, 3\)"),
    (lambda: Tensor(np.ones((2, 3)))[5], IndexError, r"Getitem: .*\(2, 3\)"),
    (lambda: tl.cat([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))]), ValueError,
     r"Concatenate: .*\(2, 3\) float64, \(2, 4\) float64"),
    (lambda: Tensor(np.ones((2, 3))).sum(axis=2), ValueError, r"Sum: .*\(2, 3\)"),
    (lambda: Tensor(np.ones((2, 3))).transpose((0, 0)), ValueError, r"\(0, 0\) are not a permutation.*\(2, 3\)"),
    (lambda: Tensor(np.ones((2, 3))).transpose(0, 2), IndexError, r"swapaxes\(\): axis 2 .*\(2, 3\)"),
    (lambda: Tensor(np.ones((2, 3, 4))).transpose((1, 0)), ValueError, r"not a permutation"),
    (lambda: Tensor(np.ones((2, 3))).permute([0, 1], 2), TypeError, r"permute\(\): axes must be ints"),
    (lambda: Tensor(np.ones((1, 3))).squeeze(2), IndexError, r"axis 2 .*\(1, 3\)"),
    (lambda: Tensor(np.ones((1, 3))).squeeze(-3), IndexError, r"axis -3 .*\(1, 3\)"),
    (lambda: Tensor(np.ones((2, 3))).unsqueeze(3), IndexError, r"axis 3 .*\(2, 3\)"),
    (lambda: Tensor(np.ones((2, 3))).unsqueeze(-4), IndexError, r"axis -4 .*\(2, 3\)"),
    (lambda: Tensor(np.ones((2, 3))).flatten(2), IndexError, r"axis 2 .*\(2, 3\)"),
    (lambda: Tensor(np.ones((2, 3))).sum(axis=0, dim=1), TypeError, r"both axis=0 and dim=1"),
    (lambda: tl.cat([]), ValueError, r"cat\(\): needs at least one tensor"),
], ids=["add_broadcast", "mul_broadcast", "matmul", "reshape", "expand", "getitem", "cat", "sum_axis",
        "transpose_repeat", "transpose_out_of_range", "transpose_partial", "permute_not_ints", "squeeze_range",
        "squeeze_negative_range", "unsqueeze_range", "unsqueeze_negative_range", "flatten_range", "axis_and_dim",
        "cat_empty"])
def test_errors_name_the_op_and_the_inputs(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


# ---- factories -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, shape, fill", [
    (lambda: tl.zeros(2, 3), (2, 3), 0.0),
    (lambda: tl.zeros((2, 3)), (2, 3), 0.0),
    (lambda: tl.ones(4), (4,), 1.0),
    (lambda: tl.ones([1, 2]), (1, 2), 1.0),
    (lambda: tl.full((2, 2), 7.0), (2, 2), 7.0),
    (lambda: tl.zeros_like(Tensor(np.ones((3, 1), dtype=np.float32))), (3, 1), 0.0),
    (lambda: tl.ones_like(Tensor(np.ones((3, 1), dtype=np.float32))), (3, 1), 1.0),
], ids=["zeros_args", "zeros_tuple", "ones", "ones_list", "full", "zeros_like", "ones_like"])
def test_constant_factories(make, shape, fill):
    t = make()
    assert t.shape == shape and t.dtype == np.float32
    assert np.all(t.numpy() == fill) and not t.requires_grad


def test_factory_dtype_and_requires_grad():
    t = tl.zeros(2, dtype=np.float64, requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad and t.is_leaf
    assert tl.zeros_like(Tensor(np.ones(2, dtype=np.int32))).dtype == np.int32
    with pytest.raises(TypeError, match="floating-point"):
        tl.ones(2, dtype=np.int64, requires_grad=True)


def test_arange_dtypes():
    assert tl.arange(4).dtype == np.int64 and tl.arange(4).tolist() == [0, 1, 2, 3]
    floats = tl.arange(0.0, 1.0, 0.25)
    assert floats.dtype == np.float32  # PyTorch's default float dtype, like Tensor(1.5)
    assert_close(floats, np.array([0.0, 0.25, 0.5, 0.75], dtype=np.float32))
    assert tl.arange(3, dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("factory", [tl.rand, tl.randn])
def test_random_factories_are_seeded_by_manual_seed(factory):
    tl.manual_seed(7)
    first = factory(3, 4)
    tl.manual_seed(7)
    second = factory((3, 4))
    assert first.shape == (3, 4) and first.dtype == np.float32
    assert np.array_equal(first.numpy(), second.numpy())
    assert not np.array_equal(first.numpy(), factory(3, 4).numpy())
    assert factory(2, dtype=np.float64, requires_grad=True).requires_grad


def test_rand_is_in_the_unit_interval():
    tl.manual_seed(0)
    values = tl.rand(1000).numpy()
    assert values.min() >= 0.0 and values.max() < 1.0


# ---- float-valued functions of integer tensors, bare @no_grad, shape-argument errors -----------------
@pytest.mark.parametrize("function", ["exp", "log", "sqrt", "tanh", "sigmoid", "mean"])
def test_float_valued_functions_of_integer_tensors_are_float32_like_pytorch(function):
    values = np.array([1, 2, 3])
    result = getattr(Tensor(values), function)()
    assert result.dtype == np.float32
    expected = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "tanh": np.tanh,
                "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "mean": np.mean}[function](values.astype(np.float64))
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-6)


def test_no_grad_works_as_a_bare_decorator():
    @tl.no_grad
    def double(x):
        return x * 2

    x = Tensor([1.0], requires_grad=True)
    assert not double(x).requires_grad
    assert (x * 2).requires_grad  # the mode is restored after the call


@pytest.mark.parametrize("call, error, message", [
    (lambda t: t.swapaxes(0, 5), IndexError, r"swapaxes\(\): axis 5 is out of range.*\(2, 3\)"),
    (lambda t: t.expand(-1, 2, 3), ValueError, r"expand\(\): -1.*new leading axis.*\(2, 3\)"),
    (lambda t: t.expand(3), ValueError, r"expand\(\): shape \(3,\) has fewer axes.*\(2, 3\)"),
    (lambda t: t.flatten(1, 0), ValueError, r"flatten\(\): start_dim 1 comes after end_dim 0.*\(2, 3\)"),
])
def test_shape_argument_errors_name_the_call_and_the_shape(call, error, message):
    with pytest.raises(error, match=message):
        call(Tensor(np.ones((2, 3))))


def test_an_element_taken_without_a_graph_holds_an_array():
    element = Tensor(np.array([1.0, 2.0]))[0]
    assert type(element._data) is np.ndarray and element.shape == () and element.item() == 1.0


def test_where_of_two_python_numbers_takes_the_default_dtype():
    mask = tl.tensor([True, False])
    assert tl.where(mask, 1.0, 2.0).dtype == tl.float32
    assert tl.where(mask, 1, 2).dtype == tl.int64
    assert tl.where(mask, True, 2).dtype == tl.int64
    assert tl.where(mask, True, False).dtype == tl.bool
