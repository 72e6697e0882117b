"""Gradients of gradients: every op's recorded backward is differentiated again and checked.

gradgradcheck differentiates the vector-Jacobian product `x, v -> (d fn / dx)^T v`, recorded with
create_graph=True, and compares the result with central finite differences of that product (float64,
gradcheck's tolerances) with respect to both x and v. The ops and their input strategies are those of
test_ops_gradients.py (its tables are reused, so an op added there is checked here too), on smaller
shapes: a check takes two backward passes per input element. Inputs are kept away from kinks as
there (and with `assume` where a draw cannot be shifted), never by looser tolerances. Linear ops
(movement, indexing, joining, sums) are squared after the op, so that their recorded backward also
carries a gradient that depends on x. A few ops are checked to the third order, by gradgradcheck of
their recorded gradient; and the functional API (jacobian, hessian, jvp, vjp, hvp, vhp) is checked
against itself and against finite differences.
"""
import operator

import numpy as np
import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_like as tl
from tinygrad_like import Function, GradcheckError, Tensor, autograd, gradgradcheck, nn
from tinygrad_like.autograd import functional
from tinygrad_like.nn import functional as F
from tinygrad_like.testing import (arrays, assert_close, axes, basic_indices, boolean_masks, broadcastable_shapes,
                                   integer_array_indices, shapes)
from test_ops_gradients import (BINARY, MATMUL_FORMS, SCALAR_FORMS, UNARY, away_from_zero, distinct_arrays,
                                off_grid, on_grid, positive, reduced_count)

SMALL = dict(max_dims=3, max_side=3)  # at most 27 elements an input: gradgradcheck is two backward passes each
FLAT = dict(max_dims=2, max_side=3)  # for element-wise ops, which treat every element alike
# Each backward once: the method spellings (x.add(y)) run the operators' ops, and of the forms with a number
# those that only add or multiply by a constant are the binary ops again.
BINARY_OPS = [name for name in BINARY if not name.startswith("method_")]
SCALAR_OPS = ["1.5 - x", "x / 1.5", "1.5 / x", "x ** 2", "x ** 3", "x ** 2.5", "x ** -1.5", "x ** 0.5", "2.0 ** x",
              "0.5 ** x", "x.maximum(0.0)", "x.minimum(1.0)"]


def leaf(array):
    return Tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def check(fn, *arrays_, **options):
    """gradgradcheck of fn on float64 leaves made from `arrays_` (with random grad_outputs)."""
    assert gradgradcheck(fn, *[leaf(a) for a in arrays_], **options)


def squared(op):
    return lambda *xs: op(*xs) ** 2


# ---- element-wise ops --------------------------------------------------------------------------------------
# One draw checks every op of a table (note() names the op of a failure): hypothesis' overhead per draw is
# more than a small check costs.
@given(data=st.data())
def test_binary_ops_with_broadcasting(data):
    shape_a, shape_b = data.draw(broadcastable_shapes(max_side=2))
    a, b = data.draw(arrays(shape_a)), data.draw(arrays(shape_b))
    for name in BINARY_OPS:
        fn, _, fix_a, fix_b = BINARY[name]
        note(name)
        check(fn, fix_a(a), fix_b(b))


@given(a=arrays(**FLAT))
def test_ops_with_python_scalars(a):
    for form in SCALAR_OPS:
        fn, fix = SCALAR_FORMS[form]
        note(form)
        check(fn, fix(a))


@given(a=arrays(**FLAT))
def test_unary_ops(a):
    for name, (fn, _, fix) in UNARY.items():
        note(name)
        check(fn, fix(a))


@given(data=st.data())
def test_where_with_broadcasting(data):
    shape_c, shape_a, shape_b = data.draw(broadcastable_shapes(num_shapes=3, max_side=2))
    condition = data.draw(boolean_masks(shape_c))
    check(lambda x, y: tl.where(condition, x * x, y.tanh()), data.draw(arrays(shape_a)), data.draw(arrays(shape_b)))


# ---- pow where the base is 0 --------------------------------------------------------------------------------
def with_zeros(data, a):
    """`a` with some elements drawn to be exactly 0."""
    return np.where(data.draw(boolean_masks(a.shape)), 0.0, a)


@given(data=st.data())
def test_pow_of_a_base_with_zeros_and_integer_exponents(data):
    # x ** n is a polynomial for n = 0, 1, 2, 3, smooth at 0 to every order: the rule "gradient 0 where
    # the exponent is 0" (not 0 * inf at x = 0) must hold for the derivatives of the gradient as well
    base = with_zeros(data, data.draw(arrays(**SMALL)))
    exponent = data.draw(st.integers(0, 3))
    check(lambda x: x ** exponent, base)
    exponents = data.draw(arrays(base.shape, min_value=0, max_value=3)).round()
    check(lambda x: x ** exponents, base)


@given(data=st.data())
def test_pow_of_a_zero_base_with_tensor_exponents(data):
    # 0 ** y is 0 for every y > 0: its derivatives in y are 0 (not 0 * log 0), at every order
    shape_base, shape_exponent = data.draw(broadcastable_shapes(max_side=3))
    base = with_zeros(data, positive(data.draw(arrays(shape_base))))
    exponent = positive(data.draw(arrays(shape_exponent))) - 0.25  # at least 0.25: 0 ** y is smooth there
    check(lambda y: Tensor(base) ** y, exponent)
    check(lambda y: Tensor(base) ** y.tanh().abs(), exponent + 0.25)  # an exponent computed in the graph


# ---- reductions ----------------------------------------------------------------------------------------------
REDUCTIONS = {  # linear ones squared
    "sum": lambda x, axis, keepdims: x.sum(axis, keepdims) ** 2,
    "mean": lambda x, axis, keepdims: x.mean(axis, keepdims) ** 2,
    "amax": lambda x, axis, keepdims: x.amax(axis, keepdims) ** 2,
    "amin": lambda x, axis, keepdims: x.amin(axis, keepdims) ** 2,
    "logsumexp": lambda x, axis, keepdims: x.logsumexp(axis, keepdims),
}


@given(data=st.data())
def test_reductions_over_axes(data):
    a = data.draw(distinct_arrays(**SMALL))  # amax and amin without ties
    axis, keepdims = data.draw(axes(a.ndim)), data.draw(st.booleans())
    for name, op in REDUCTIONS.items():
        note(name)
        check(lambda x: op(x, axis, keepdims), a)
    correction = data.draw(st.sampled_from([0, 1]))
    count = reduced_count(a.shape, axis)
    note(f"var and std, correction={correction}")
    if count > correction:
        check(lambda x: x.var(axis, keepdims, correction), a)
    if count > 1:  # one element has variance 0, where sqrt has its kink; distinct elements, at least 1/64
        check(lambda x: x.std(axis, keepdims, correction), a)


@given(data=st.data())
def test_max_and_min_along_a_dim(data):
    a = data.draw(distinct_arrays(min_dims=1, **SMALL))
    dim, keepdim = data.draw(st.integers(-a.ndim, a.ndim - 1)), data.draw(st.booleans())
    for name in ("max", "min"):
        note(name)
        check(lambda x: getattr(x, name)(dim, keepdim).values ** 2, a)
        check(lambda x: getattr(x, name)(dim, keepdim), a)  # (values, indices): the int64 indices are left out


@given(data=st.data())
def test_softmax_family(data):
    a = data.draw(arrays(min_dims=1, **SMALL))
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    check(lambda x: x.softmax(axis), a)
    check(lambda x: x.log_softmax(axis), a)


# ---- movement, indexing, joining ----------------------------------------------------------------------------
@given(data=st.data())
def test_reshape_transpose_permute(data):
    a = data.draw(arrays(**SMALL))
    perm = data.draw(st.permutations(range(a.ndim)))
    check(squared(lambda x: x.reshape(-1)), a)
    check(squared(lambda x: x.reshape(a.shape[::-1])), a)
    check(squared(lambda x: x.permute(*perm)), a)
    check(squared(lambda x: x.T), a)
    if a.ndim:
        first, second = data.draw(st.tuples(*[st.integers(-a.ndim, a.ndim - 1)] * 2))
        check(squared(lambda x: x.transpose(first, second)), a)


@given(data=st.data())
def test_flatten_squeeze_unsqueeze(data):
    a = data.draw(arrays(min_dims=1, max_dims=3, max_side=2))
    start = data.draw(st.integers(0, a.ndim - 1))
    end = data.draw(st.integers(start, a.ndim - 1))
    check(squared(lambda x: x.flatten(start, end)), a)
    check(squared(lambda x: x.squeeze()), a)
    dim = data.draw(st.integers(-a.ndim - 1, a.ndim))
    check(squared(lambda x: x.unsqueeze(dim)), a)


@given(data=st.data())
def test_expand(data):
    a = data.draw(arrays(max_dims=2, max_side=3))
    leading = data.draw(shapes(max_dims=1, max_side=3))
    target = leading + tuple(data.draw(st.integers(1, 3)) if n == 1 else n for n in a.shape)
    check(squared(lambda x: x.expand(*target)), a)


@given(data=st.data())
def test_getitem_basic_indices(data):
    a = data.draw(arrays(**SMALL))
    index = data.draw(basic_indices(a.shape))
    check(squared(lambda x: x[index]), a)


@given(data=st.data())
def test_getitem_integer_arrays_with_repeats(data):
    a = data.draw(arrays(min_dims=1, **SMALL))
    index = data.draw(integer_array_indices(a.shape, max_length=4))
    index = index[:data.draw(st.integers(1, len(index)))]
    check(squared(lambda x: x[index]), a)


@given(data=st.data())
def test_getitem_boolean_masks(data):
    a = data.draw(arrays(min_dims=1, **SMALL))
    mask = data.draw(boolean_masks(a.shape[:data.draw(st.integers(1, a.ndim))]))
    check(squared(lambda x: x[mask]), a)


@given(data=st.data())
def test_setitem(data):
    a = data.draw(arrays(min_dims=1, **SMALL))
    index = data.draw(st.one_of(basic_indices(a.shape), boolean_masks(a.shape)))
    selected = a[index].shape
    assume(np.prod(selected) > 0)  # the engine cannot yet sum a gradient of size 0 to a value's shape
    value = data.draw(arrays(selected[data.draw(st.integers(0, len(selected))):]))  # broadcasts to the selection

    def assign(x, v):
        y = x.clone()
        y[index] = v.tanh()
        return y * x

    check(assign, a, value)


@given(data=st.data())
def test_cat_and_stack(data):
    base = data.draw(shapes(min_dims=1, max_dims=2, max_side=3))
    axis = data.draw(st.integers(-len(base), len(base) - 1))
    sizes = data.draw(st.lists(st.integers(1, 2), min_size=1, max_size=3))
    parts = [data.draw(arrays(base[:axis % len(base)] + (n,) + base[axis % len(base) + 1:])) for n in sizes]
    check(squared(lambda *xs: tl.cat(xs, axis)), *parts)
    same = [data.draw(arrays(base)) for _ in sizes]
    check(squared(lambda *xs: tl.stack(xs, axis)), *same)


# ---- products --------------------------------------------------------------------------------------------------
@given(data=st.data())
def test_matmul_in_every_rank_combination(data):
    batch_a, batch_b = data.draw(broadcastable_shapes(max_dims=1, max_side=2))
    m, k, n = data.draw(st.tuples(*[st.integers(1, 3)] * 3))
    for form, (make_shapes, _) in MATMUL_FORMS.items():
        shape_a, shape_b = make_shapes(batch_a, batch_b, m, k, n)
        note(form)
        check(operator.matmul, data.draw(arrays(shape_a)), data.draw(arrays(shape_b)))


@given(data=st.data())
def test_linear(data):
    out_features = data.draw(st.integers(1, 3))
    for x_shape in [(3,), (2, 3), (2, 2, 3)]:
        x, weight = data.draw(arrays(x_shape)), data.draw(arrays((out_features, 3)))
        note(f"input of shape {x_shape}")
        check(lambda *args: F.linear(*args).tanh(), x, weight)
        check(lambda *args: F.linear(*args).tanh(), x, weight, data.draw(arrays((out_features,))))


# ---- losses ------------------------------------------------------------------------------------------------------
REDUCTION = st.sampled_from(["mean", "sum", "none"])


@given(data=st.data(), reduction=REDUCTION)
def test_mse_and_l1_losses(data, reduction):
    shape = data.draw(shapes(max_dims=2, max_side=3))
    a, b = data.draw(arrays(shape)), data.draw(arrays(shape))
    check(lambda x, y: F.mse_loss(x, y, reduction=reduction), a, b)
    check(lambda x, y: F.l1_loss(x, y, reduction=reduction), off_grid(a), on_grid(b))  # |x - y| >= 1/8


@given(data=st.data(), reduction=REDUCTION)
def test_binary_cross_entropy_losses(data, reduction):
    shape = data.draw(shapes(max_dims=2, max_side=3))
    inside = arrays(shape, min_value=0.05, max_value=0.95)  # targets too: a finite difference must stay in [0, 1]
    probabilities, target = data.draw(inside), data.draw(inside)
    check(lambda p, t: F.binary_cross_entropy(p, t, reduction=reduction), probabilities, target)
    check(lambda z, t: F.binary_cross_entropy_with_logits(z, t, reduction=reduction), data.draw(arrays(shape)), target)


@given(data=st.data(), reduction=REDUCTION)
def test_cross_entropy_and_nll(data, reduction):
    batch = data.draw(st.sampled_from([(), (1,), (3,)]))
    classes = data.draw(st.integers(1, 4))
    logits = data.draw(arrays(batch + (classes,)))
    labels = data.draw(hnp.arrays(np.int64, batch, elements=st.integers(0, classes - 1)))
    check(lambda z: F.cross_entropy(z, labels, reduction=reduction), logits)
    check(lambda z: F.nll_loss(z, labels, reduction=reduction), logits)
    probabilities = data.draw(arrays(logits.shape, min_value=0, max_value=1))
    check(lambda z, p: F.cross_entropy(z, p, reduction=reduction), logits, probabilities)


@given(a=arrays(**SMALL), p=st.sampled_from([0.25, 0.5, 0.7]), seed=st.integers(0, 2 ** 16))
def test_dropout_with_a_fixed_mask(a, p, seed):
    def dropped(x):
        tl.manual_seed(seed)  # the same mask in every pass gradgradcheck makes
        return F.dropout(x * x, p)

    check(dropped, a)


# ---- composed networks --------------------------------------------------------------------------------------
def mlp(x, w1, b1, w2, b2):
    return F.linear(F.linear(x, w1, b1).tanh(), w2, b2)


@given(data=st.data())
def test_mlp_with_a_loss_in_every_argument(data):
    batch, n_in, hidden, n_out = data.draw(st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
                                                     st.integers(1, 2)))
    shapes_ = [(batch, n_in), (hidden, n_in), (hidden,), (n_out, hidden), (n_out,), (batch, n_out)]
    x, w1, b1, w2, b2, y = (data.draw(arrays(shape, min_value=-1, max_value=1)) for shape in shapes_)
    check(lambda *args: F.mse_loss(mlp(*args[:5]), args[5]), x, w1, b1, w2, b2, y)


@given(x=arrays((3, 2), min_value=-1, max_value=1), y=arrays((3, 1), min_value=-1, max_value=1))
def test_sequential_mlp_with_a_loss(x, y):
    tl.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    check(lambda inputs, target: F.mse_loss(model(inputs), target), x, y)
    check(lambda inputs: F.binary_cross_entropy_with_logits(model(inputs), (y > 0).astype(np.float64)), x)


class Rational(Function):
    """x * w / (1 + x^2), a user's op whose backward uses only operators, so that it works on arrays
    (the fast path) and on Tensors (recorded with create_graph=True) alike."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x * w / (1 + x * x)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        denominator = 1 + x * x
        return grad * w * (1 - x * x) / (denominator * denominator), grad * x / denominator


class RationalLayer(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.linear = nn.Linear(features, features)
        self.w = nn.Parameter(np.linspace(0.5, 1.5, features))

    def forward(self, x):
        return Rational.apply(self.linear(x), self.w)


class TanhAndExp(autograd.Function):
    """PyTorch's Function protocol (Tensors in forward and backward), with two outputs."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.tanh(), x.exp()

    @staticmethod
    def backward(ctx, grad_tanh, grad_exp):
        (x,) = ctx.saved_tensors
        t = x.tanh()
        return grad_tanh * (1 - t * t) + grad_exp * x.exp()


@given(x=arrays((2, 3), min_value=-2, max_value=2), w=arrays((3,), min_value=-2, max_value=2))
def test_custom_functions_with_an_operator_backward(x, w):
    check(Rational.apply, x, w)
    tl.manual_seed(0)
    layer = RationalLayer(3).double()
    check(lambda inputs: layer(inputs).tanh().sum(), x)
    check(TanhAndExp.apply, x)
    check(lambda a: TanhAndExp.apply(a)[1] * a, x)  # one output used: the other's gradient is None


def test_second_derivatives_through_a_cast():
    # float32 inside: gradgradcheck's finite differences would drown in float32 rounding, so compare with
    # the exact derivatives of sum(x^3) (Cast's backward casts the gradient back, a Cast op when recorded)
    x = leaf([0.5, -1.5, 2.0])
    g, = autograd.grad((x.float() ** 3).sum(), x, create_graph=True)
    assert g.dtype == np.float64
    assert_close(g, 3 * x.numpy() ** 2, rtol=1e-6)
    assert_close(autograd.grad(g.sum(), x)[0], 6 * x.numpy(), rtol=1e-6)


def test_a_backward_that_leaves_the_graph_is_an_error_when_recorded():
    class NumpyRelu(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.maximum(x, 0)

        @staticmethod
        def backward(ctx, grad):
            return np.where(ctx.saved_tensors[0] > 0, grad, 0)  # np.where turns Tensors into arrays

    class NumpySquare(NumpyRelu):
        @staticmethod
        def backward(ctx, grad):
            return 2 * np.multiply(ctx.saved_tensors[0], grad)  # a ufunc refuses Tensors

    x = leaf([0.5, -1.0])
    NumpyRelu.apply(x).sum().backward()  # arrays only: fine
    assert_close(x.grad, [1.0, 0.0])
    with pytest.raises(TypeError, match="create_graph=True turned a tensor of shape .* into a numpy array"):
        autograd.grad(NumpyRelu.apply(x).sum(), x, create_graph=True)
    with pytest.raises(TypeError, match="does not support ufuncs"):
        autograd.grad(NumpySquare.apply(x).sum(), x, create_graph=True)


def test_a_wrong_second_derivative_is_caught():
    class WrongSquare(Function):  # its gradient is right, but 2 * x.detach() hides x from the second derivative
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2 * (x.detach() if isinstance(x, Tensor) else x)

    x = leaf([0.5, -1.0, 2.0])
    assert tl.gradcheck(WrongSquare.apply, x)
    with pytest.raises(GradcheckError, match="input 0"):
        gradgradcheck(WrongSquare.apply, x)
    assert gradgradcheck(WrongSquare.apply, x, raise_exception=False) is False


# ---- third order -----------------------------------------------------------------------------------------------
def recorded_gradient(fn):
    """(x, v) -> (d fn / dx)^T v, recorded: gradgradcheck of it checks fn's third derivatives."""
    return lambda x, v: autograd.grad(fn(x), x, v, create_graph=True)[0]


THIRD_ORDER = {
    "tanh": (Tensor.tanh, lambda a: a),
    "sigmoid": (Tensor.sigmoid, lambda a: a),
    "exp": (Tensor.exp, lambda a: a),
    "log": (Tensor.log, positive),
    "sqrt": (Tensor.sqrt, positive),
    "reciprocal": (lambda x: 1 / x, away_from_zero),
    "pow": (lambda x: x ** 3.5, positive),
    "softmax": (lambda x: x.softmax(-1), lambda a: a),
    "log_softmax": (lambda x: x.log_softmax(-1), lambda a: a),
    "std": (lambda x: x.std(0), lambda a: np.stack([a, -a])),  # pairs apart, unless a is near 0: see below
    "matmul_chain": (lambda x: (x @ x.T).tanh() @ x, lambda a: a.reshape(len(a), -1)),
}


@given(a=arrays(min_dims=1, max_dims=2, max_side=3, min_value=-2, max_value=2))
def test_third_derivatives(a):
    for name, (fn, fix) in THIRD_ORDER.items():
        x = fix(a)
        if name == "std" and np.any(np.abs(a) < 0.1):  # a variance near 0, where sqrt has its kink
            continue
        shape = np.shape(fn(leaf(x)))
        v = np.sin(np.arange(1.0, np.prod(shape) + 1)).reshape(shape)  # weights of the outputs, all different
        note(name)
        check(recorded_gradient(fn), x, v)


def test_derivatives_of_x_cubed_to_the_fourth_order():
    x = leaf([-1.5, 0.0, 2.0])
    g1, = autograd.grad((x ** 3).sum(), x, create_graph=True)
    g2, = autograd.grad(g1.sum(), x, create_graph=True)
    g3, = autograd.grad(g2.sum(), x, create_graph=True)
    g4, = autograd.grad(g3.sum(), x, allow_unused=True)
    assert_close(g1, 3 * x.numpy() ** 2)
    assert_close(g2, 6 * x.numpy())
    assert_close(g3, [6.0, 6.0, 6.0])
    assert g4 is None or np.all(g4.numpy() == 0)  # the third derivative is a constant


# ---- fixed second derivatives ----------------------------------------------------------------------------------
@pytest.mark.parametrize("g, second_derivative", [
    (Tensor.exp, np.exp),
    (Tensor.sqrt, lambda s: -0.25 * s ** -1.5),
    (Tensor.tanh, lambda s: -2 * np.tanh(s) / np.cosh(s) ** 2),
    (Tensor.sigmoid, lambda s: np.exp(-s) * (np.exp(-s) - 1) / (1 + np.exp(-s)) ** 3),
    (lambda s: 1.5 / s, lambda s: 3 / s ** 3),
    (lambda s: s ** 3, lambda s: 6 * s),
    (lambda s: 2.0 ** s, lambda s: np.log(2) ** 2 * 2 ** s),
], ids=["exp", "sqrt", "tanh", "sigmoid", "div", "pow", "pow_exponent"])
def test_second_derivatives_through_an_op_on_a_0d_tensor(g, second_derivative):
    # numpy returns a scalar, not a 0-d array, for 0-d operands; an op that saved it as its output had its
    # output taken for a constant by a recorded backward (the second derivative missed the op's own term)
    x = leaf([0.3, 0.5, 0.9])
    s = x.numpy().sum()
    assert_close(functional.hessian(lambda t: g(t.sum()), x), np.full((3, 3), second_derivative(s)), rtol=1e-12)


def test_the_mixed_derivative_of_pow_at_a_zero_exponent():
    # d/dy d/dx x ** y = d/dy (y * x ** (y - 1)) = 1 / x at y = 0; PyTorch's rule (the base's gradient is 0 where
    # y = 0) would make it 0. Only at x = 0 is the gradient masked.
    x, y = leaf([0.5, 2.0, 0.0]), leaf([0.0, 0.0, 0.0])
    gx, = autograd.grad((x ** y).sum(), x, create_graph=True)
    assert_close(gx, [0.0, 0.0, 0.0])
    assert_close(autograd.grad(gx.sum(), y)[0], [2.0, 0.5, 0.0])


# ---- the functional API -------------------------------------------------------------------------------------------
def smooth(x, y):
    return ((x.tanh() * y.sum()).exp() + x * y ** 2).sum()


@given(x=arrays((3,), min_value=-1, max_value=1), y=arrays((3,), min_value=-1, max_value=1),
       u=arrays((3,)), w=arrays((3,)))
def test_hessian_and_its_products_agree(x, y, u, w):
    x, y, u, w = (Tensor(a) for a in (x, y, u, w))
    blocks = functional.hessian(smooth, (x, y))
    full = np.block([[b.numpy() for b in row] for row in blocks])
    assert_close(full, full.T, rtol=1e-12, atol=1e-12)  # symmetric
    product = full @ np.concatenate([u.numpy(), w.numpy()])
    for name in ("hvp", "vhp"):
        value, (hx, hy) = getattr(functional, name)(smooth, (x, y), (u, w))
        assert_close(value, smooth(x, y), rtol=1e-12)
        assert_close(np.concatenate([hx.numpy(), hy.numpy()]), product, rtol=1e-10, atol=1e-12)
    assert gradgradcheck(smooth, leaf(x.numpy()), leaf(y.numpy()))


def vector_function(x, y):
    return (x * y).tanh(), x.exp().sum() * y


@given(x=arrays((3,), min_value=-1, max_value=1), y=arrays((3,), min_value=-1, max_value=1),
       u=arrays((3,)), w=arrays((3,)))
def test_jacobian_and_its_products_agree(x, y, u, w):
    x, y, u, w = (Tensor(a) for a in (x, y, u, w))
    (j00, j01), (j10, j11) = functional.jacobian(vector_function, (x, y))
    jacobian = np.block([[j00.numpy(), j01.numpy()], [j10.numpy(), j11.numpy()]])
    _, (out0, out1) = functional.jvp(vector_function, (x, y), (u, w))
    assert_close(np.concatenate([out0.numpy(), out1.numpy()]), jacobian @ np.concatenate([u.numpy(), w.numpy()]),
                 rtol=1e-10, atol=1e-12)
    _, (in0, in1) = functional.vjp(vector_function, (x, y), (u, w))
    assert_close(np.concatenate([in0.numpy(), in1.numpy()]), np.concatenate([u.numpy(), w.numpy()]) @ jacobian,
                 rtol=1e-10, atol=1e-12)


def test_functional_results_with_create_graph_can_be_differentiated():
    x = leaf([0.5, -1.0])
    hessian = functional.hessian(lambda t: (t ** 4).sum(), x, create_graph=True)
    assert_close(hessian, np.diag(12 * x.numpy() ** 2))
    third, = autograd.grad(hessian.sum(), x)
    assert_close(third, 24 * x.numpy())
    assert not functional.hessian(lambda t: (t ** 4).sum(), x).requires_grad
    _, product = functional.hvp(lambda t: (t ** 4).sum(), x, Tensor([1.0, 2.0]), create_graph=True)
    assert_close(autograd.grad(product.sum(), x)[0], 24 * x.numpy() * [1.0, 2.0])


def test_functional_inputs_without_influence_get_zeros_or_a_strict_error():
    x, y = Tensor([1.0, 2.0]), Tensor([3.0])
    jx, jy = functional.jacobian(lambda a, b: a * 2, (x, y))
    assert_close(jy, np.zeros((2, 1)))
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is independent of input 1"):
        functional.jacobian(lambda a, b: a * 2, (x, y), strict=True)
    with pytest.raises(RuntimeError, match="jacobian of the user-provided function with respect to input 0 is "
                                           "independent of the input"):
        functional.hessian(lambda a: a.sum() * 2, x, strict=True)
    assert_close(functional.hessian(lambda a: a.sum() * 2, x), np.zeros((2, 2)))
