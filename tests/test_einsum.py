"""einsum and the contractions built on it (tensordot, inner, dot, vdot) and outer, ger, kron: values against
numpy, gradients by gradcheck and gradgradcheck, PyTorch's parsing rules and errors, then PyTorch itself."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Tensor
from tinygrad_like.ops import einsum as einsum_module
from tinygrad_like.testing import arrays, assert_close, broadcastable_shapes


@st.composite
def equations(draw, letters="abcd", max_operands=3):
    """(equation, shapes): 1-3 operands with repeated labels, ellipses that broadcast, named dimensions of
    size 1 that broadcast, and an implicit or explicit output; shapes stay small for gradcheck."""
    sizes = {label: draw(st.integers(1, 3)) for label in letters}
    count = draw(st.integers(1, max_operands))
    terms = [draw(st.lists(st.sampled_from(letters), max_size=3)) for _ in range(count)]
    dots = draw(st.booleans())
    batch = draw(broadcastable_shapes(count, max_dims=1, max_side=2)) if dots else [()] * count
    shapes = []
    for term, extra in zip(terms, batch):
        ones = {label for label in term if draw(st.integers(0, 4)) == 0}  # size 1, broadcast against the others
        named = [1 if label in ones else sizes[label] for label in term]
        shapes.append(tuple(extra) + tuple(named))
    lhs = ",".join(("..." if dots else "") + "".join(term) for term in terms)
    if draw(st.booleans()):
        return lhs, shapes
    used = sorted(set("".join("".join(term) for term in terms)))
    output = draw(st.permutations(used))[:draw(st.integers(0, len(used)))]
    return lhs + "->" + ("..." if dots and draw(st.booleans()) else "") + "".join(output), shapes


def reference(equation, arrays_):
    """np.einsum after broadcasting named size-1 dimensions to their label's size (numpy does the ellipses)."""
    lhs = equation.split("->")[0].split(",")
    sizes = {}
    for term, a in zip(lhs, arrays_):
        named = term.replace("...", "")
        for label, size in zip(named, a.shape[a.ndim - len(named):]):
            sizes[label] = max(sizes.get(label, 1), size)
    full = []
    for term, a in zip(lhs, arrays_):
        named = term.replace("...", "")
        full.append(np.broadcast_to(a, a.shape[:a.ndim - len(named)] + tuple(sizes[label] for label in named)))
    lhs, arrow, rhs = equation.partition("->")
    if arrow and "..." in lhs and "..." not in rhs:  # numpy keeps the ellipsis axes; PyTorch sums them away
        out = np.einsum(f"{lhs}->...{rhs}", *full)
        return out.sum(axis=tuple(range(out.ndim - len(rhs))))
    return np.einsum(equation, *full)


@given(equation=equations(), data=st.data())
@settings(max_examples=15)
def test_random_equations_values_and_gradients(equation, data):
    equation, shapes = equation
    values = [data.draw(arrays(shape=shape)) for shape in shapes]
    tensors = [Tensor(v, requires_grad=True) for v in values]
    assert_close(tl.einsum(equation, *tensors), reference(equation, values), rtol=1e-12, atol=1e-12)
    assert tl.gradcheck(lambda *xs: tl.einsum(equation, *xs), *tensors)


@pytest.mark.parametrize("equation, shapes", [
    ("ij,jk->ik", [(2, 3), (3, 2)]), ("ii->i", [(3, 3)]), ("ii", [(2, 2)]), ("iij->ji", [(2, 2, 3)]),
    ("...ij,...jk", [(2, 1, 2), (1, 2, 3)]), ("ij,ij->ij", [(2, 1), (1, 3)]), ("ij,k->", [(2, 2), (3,)]),
    ("ij,jk,kl->il", [(2, 2), (2, 3), (3, 2)]), ("ij->ji", [(2, 3)])])
def test_second_derivatives(equation, shapes):
    rng = np.random.default_rng(0)
    tensors = [Tensor(rng.standard_normal(shape), requires_grad=True) for shape in shapes]
    assert tl.gradgradcheck(lambda *xs: tl.einsum(equation, *xs), *tensors)


def test_call_forms_and_implicit_output():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    expected = a @ b
    for result in [tl.einsum("ij,jk->ik", Tensor(a), Tensor(b)), tl.einsum("ij,jk", [Tensor(a), Tensor(b)]),
                   tl.einsum(" i j , j k -> i k ", (Tensor(a), Tensor(b))), tl.einsum("ij,jk", a, b),
                   tl.einsum(Tensor(a), [0, 1], Tensor(b), [1, 2], [0, 2]), tl.einsum(Tensor(a), [0, 1], Tensor(b), [1, 2])]:
        assert_close(result, expected, rtol=1e-12)
    x = rng.standard_normal((2, 3))
    assert_close(tl.einsum("zA", Tensor(x)), x.T)  # implicit: alphabetical, uppercase first
    assert_close(tl.einsum("b...a", Tensor(rng.standard_normal((2, 4, 3)))).shape == (4, 3, 2), True)
    c = rng.standard_normal((5, 2, 3))
    assert_close(tl.einsum(Tensor(c), [Ellipsis, 0, 1], Tensor(b), [1, 2], [Ellipsis, 0, 2]), c @ b, rtol=1e-12)
    assert_close(tl.einsum("...ij,jk->ik", Tensor(c), Tensor(b)), (c @ b).sum(0), rtol=1e-12)  # '...' summed
    assert_close(tl.einsum("ij->...ij", Tensor(a)), a)  # an output '...' with none in the inputs is empty
    assert_close(tl.einsum("", Tensor(np.array(2.5))), 2.5)
    assert_close(tl.einsum("->", Tensor(np.array(2.5))), 2.5)


def test_dtypes_and_edges():
    f = tl.ones(2, 3, requires_grad=True)
    out = tl.einsum("ij,kj->ik", f, tl.ones(4, 3))
    assert out.dtype == np.float32
    out.sum().backward()
    assert f.grad.dtype == np.float32 and f.grad.tolist() == [[4.0] * 3] * 2
    assert tl.einsum("i,i->", tl.tensor([1, 2]), tl.tensor([3, 4])).item() == 11
    assert tl.einsum("i,i->", tl.tensor([1, 2]), tl.tensor([3, 4])).dtype == np.int64
    empty = tl.einsum("ij,jk->ik", tl.zeros(0, 3), tl.ones(3, 2))
    assert empty.shape == (0, 2)
    assert tl.einsum("ij,jk->ik", tl.ones(2, 0), tl.ones(0, 3)).tolist() == [[0.0] * 3] * 2  # empty sum: zeros
    x = Tensor(np.zeros((3, 0)), requires_grad=True)
    tl.einsum("ij->j", x).sum().backward()
    assert x.grad.shape == (3, 0)
    huge = Tensor(np.array([1e300, -1e300]), requires_grad=True)
    assert_close(tl.einsum("i,i->i", huge, Tensor(np.array([1e-300, 1e-300]))), [1.0, -1.0])
    s = Tensor(np.array(3.0), requires_grad=True)
    tl.einsum(",i->i", s, tl.ones(4, dtype=tl.float64)).sum().backward()
    assert s.grad.item() == 4.0 and s.grad.shape == ()


def test_large_contractions_take_numpys_optimised_path_with_the_same_result():
    rng = np.random.default_rng(2)
    a, b, c = (rng.standard_normal((40, 40)) for _ in range(3))
    x = Tensor(a, requires_grad=True)
    out = tl.einsum("ij,jk,kl->il", x, Tensor(b), Tensor(c))
    assert_close(out, a @ b @ c, rtol=1e-10)
    out.backward(Tensor(np.ones((40, 40))))
    assert_close(x.grad, np.ones((40, 40)) @ (b @ c).T, rtol=1e-10)


def test_diagonal_gradients_need_free_letters():
    many = Tensor(np.ones((1,) * 49), requires_grad=True)  # 49 of numpy's 52 labels
    out = tl.einsum(einsum_module.LETTERS[:49] + ",zzzz->", many, Tensor(np.ones((2,) * 4), requires_grad=True))
    with pytest.raises(ValueError, match="too many labels to differentiate the diagonal of operand 1"):
        out.backward()


def test_a_view_result_guards_against_in_place_changes():
    y = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True) * 1
    z = tl.einsum("ij->ji", y)
    y.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.sum().backward()


@pytest.mark.parametrize("call, error, message", [
    (lambda: tl.einsum("ij,jk->ik", tl.ones(2, 3)), ValueError, r"names 2 operand\(s\) but 1 were given"),
    (lambda: tl.einsum("ijk,jk->ik", tl.ones(2, 3), tl.ones(3, 4)), ValueError,
     r"operand 0 of the equation 'ijk,jk->ik' has 3 subscript\(s\) for 2 dimension\(s\) \(shape \(2, 3\)\)"),
    (lambda: tl.einsum("ij,jk->ik", tl.ones(2, 3), tl.ones(4, 4)), RuntimeError,
     r"subscript 'j' has size 4 in operand 1 of equation 'ij,jk->ik' but size 3 before"),
    (lambda: tl.einsum("ii->i", tl.ones(1, 3)), RuntimeError, r"subscript 'i' is repeated in operand 0 .* sizes 1 and 3"),
    (lambda: tl.einsum("ij->ik", tl.ones(2, 3)), ValueError, r"output subscript 'k' .* is not a subscript of any operand"),
    (lambda: tl.einsum("ij->ii", tl.ones(2, 3)), ValueError, r"output subscript 'i' appears more than once"),
    (lambda: tl.einsum("i1->i", tl.ones(2, 3)), ValueError, r"invalid subscript '1' in operand 0 .* letters"),
    (lambda: tl.einsum("......->", tl.ones(2, 3)), ValueError, r"ellipsis must be exactly '...', once"),
    (lambda: tl.einsum("i->i->i", tl.ones(2)), ValueError, r"more than one '->'"),
    (lambda: tl.einsum("...i,...i->...", tl.ones(2, 3), tl.ones(4, 3)), RuntimeError, r"subscript .* size 4 .* size 2"),
    (lambda: tl.einsum("i,i", tl.ones(3), tl.ones(3, dtype=tl.float64)), TypeError, r"different dtypes \(float32, float64\)"),
    (lambda: tl.einsum("i->i"), ValueError, r"needs at least one operand"),
    (lambda: tl.einsum(), ValueError, r"give the equation and the operands"),
    (lambda: tl.einsum(tl.ones(2), [0, 99]), ValueError, r"sublist labels must be ints in \[0, 52\)"),
    (lambda: tl.tensordot(tl.ones(2, 3), tl.ones(4, 4), dims=1), RuntimeError, r"contracted dimensions must match"),
    (lambda: tl.tensordot(tl.ones(2, 3), tl.ones(3, 4), dims=-1), ValueError, r"dims must be >= 0"),
    (lambda: tl.tensordot(tl.ones(2, 3), tl.ones(3, 4), dims=3), RuntimeError, r"cannot contract 3 dimensions"),
    (lambda: tl.tensordot(tl.ones(2, 3), tl.ones(3, 4), dims=([0, 1], [0])), RuntimeError, r"contracted in pairs"),
    (lambda: tl.tensordot(tl.ones(2, 3), tl.ones(3, 4), dims=([5], [0])), IndexError, r"dimension 5 .* out of range"),
    (lambda: tl.tensordot(tl.ones(3), tl.ones(3, dtype=tl.float64), dims=1), TypeError, r"different dtypes"),
    (lambda: tl.dot(tl.ones(2, 2), tl.ones(2, 2)), RuntimeError, r"dot\(\): expects two 1-D tensors"),
    (lambda: tl.dot(tl.ones(3), tl.ones(4)), RuntimeError, r"sizes 3 and 4"),
    (lambda: tl.vdot(tl.ones(3), tl.ones(3, dtype=tl.float64)), TypeError, r"vdot\(\): both tensors must have the same dtype"),
    (lambda: tl.inner(tl.ones(2, 3), tl.ones(4, 2)), RuntimeError, r"inner\(\): the last dimensions must match"),
    (lambda: tl.outer(tl.ones(2, 2), tl.ones(2)), RuntimeError, r"outer\(\): expects two 1-D tensors"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


@given(a=arrays(shape=(2, 3)), b=arrays(shape=(3, 2)), v=arrays(shape=(3,)), w=arrays(shape=(3,)))
@settings(max_examples=4)  # (bi)linear in each operand: a few draws cover them
def test_products_values_and_gradients(a, b, v, w):
    A, B, V, W = (Tensor(x, requires_grad=True) for x in (a, b, v, w))
    cases = [(lambda p, q: tl.tensordot(p, q, dims=1), (A, B), np.tensordot(a, b, 1)),
             (lambda p, q: tl.tensordot(p, q, dims=([0], [1])), (A, B), np.tensordot(a, b, ([0], [1]))),
             (lambda p, q: tl.tensordot(p, q, dims=0), (V, W), np.multiply.outer(v, w)),
             (lambda p, q: tl.inner(p, q), (A, B.T), np.inner(a, b.T)), (lambda p, q: p.dot(q), (V, W), v @ w),
             (lambda p, q: tl.vdot(p, q), (V, W), v @ w), (lambda p, q: tl.outer(p, q), (V, W), np.outer(v, w)),
             (lambda p, q: p.ger(q), (V, W), np.outer(v, w)), (lambda p, q: tl.kron(p, q), (A, V), np.kron(a, v)),
             (lambda p, q: tl.kron(p, q), (A, B), np.kron(a, b))]
    for fn, operands, expected in cases:
        assert_close(fn(*operands), expected, rtol=1e-12, atol=1e-12)
        assert tl.gradcheck(fn, *operands)
    assert tl.gradgradcheck(lambda p, q: tl.tensordot(p, q, dims=1), A, B)


def test_products_dtypes_and_zero_dimensional_operands():
    assert tl.outer(tl.arange(3), tl.ones(2)).dtype == np.float32  # promotes, as multiplication
    assert tl.kron(tl.tensor([1, 2]), tl.tensor([[1.5]])).tolist() == [[1.5, 3.0]]
    assert tl.kron(tl.tensor(2.0), tl.ones(2, 3)).shape == (2, 3)
    assert tl.inner(tl.tensor(2), tl.ones(2, 3)).tolist() == [[2.0] * 3] * 2
    assert tl.dot(tl.tensor([1, 2]), tl.tensor([3, 4])).dtype == np.int64
    assert tl.tensordot(tl.ones(2, 1), tl.ones(3, 4), dims=1).tolist() == [[3.0] * 4] * 2  # size 1 broadcasts
    assert tl.tensordot(tl.ones(2, 3, 4), tl.ones(3, 4, 5), dims=tl.tensor(2)).shape == (2, 5)
    assert tl.tensordot(tl.ones(2, 3, 4), tl.ones(3, 4, 5), dims=[[1, 2], [0, 1]]).shape == (2, 5)
    assert tl.tensordot(tl.ones(2, 3, 4), tl.ones(3, 4, 5), dims=([-1], [1])).shape == (2, 3, 3, 5)
    assert tl.matmul(tl.ones(2, 3), tl.ones(3)).shape == (2,)
    assert einsum_module.Einsum.__name__ in tl.ops.__all__


# ---- against PyTorch --------------------------------------------------------------------------------
@pytest.mark.torch
@given(equation=equations(letters="abcAB"), data=st.data())
@settings(max_examples=25)
def test_random_equations_match_pytorch(equation, data):
    torch = pytest.importorskip("torch")
    equation, shapes = equation
    values = [data.draw(arrays(shape=shape)) for shape in shapes]
    ours = [Tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    out, expected = tl.einsum(equation, *ours), torch.einsum(equation, *theirs)
    assert_close(out, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = np.cos(np.arange(expected.numel())).reshape(tuple(expected.shape))
    out.backward(Tensor(upstream))
    expected.backward(torch.tensor(upstream))
    for x, t in zip(ours, theirs):
        assert_close(x.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("equation, shapes", [
    ("ij,jk->ik", [(2, 3), (4, 4)]), ("ii->i", [(1, 3)]), ("ij->ik", [(2, 3)]), ("ij->ii", [(2, 3)]),
    ("i1->i", [(2, 3)]), ("ijk,jk->ik", [(2, 3), (3, 4)]), ("...i,...i->...", [(2, 3), (4, 3)]),
    ("ij,ij->ij", [(2, 1), (1, 3)]), ("...ij,...jk", [(5, 1, 2, 3), (4, 3, 4)]), ("ii,i->i", [(1, 1), (3,)])])
def test_accepts_and_refuses_what_pytorch_does(equation, shapes):
    torch = pytest.importorskip("torch")
    try:
        expected = torch.einsum(equation, *[torch.ones(s, dtype=torch.float64) for s in shapes])
    except RuntimeError:
        with pytest.raises((ValueError, RuntimeError)):
            tl.einsum(equation, *[tl.ones(s, dtype=tl.float64) for s in shapes])
        return
    assert_close(tl.einsum(equation, *[tl.ones(s, dtype=tl.float64) for s in shapes]), expected.numpy())


@pytest.mark.torch
def test_products_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    a, b, v, w = rng.standard_normal((2, 3)), rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal(3)
    for name, args, kwargs in [("tensordot", (a, b.T), dict(dims=1)), ("tensordot", (a, b), dict(dims=([1], [1]))),
                               ("inner", (a, b), {}), ("dot", (v, w), {}), ("vdot", (v, w), {}), ("outer", (v, w), {}),
                               ("ger", (v, w), {}), ("kron", (a, b), {}), ("kron", (v, b), {})]:
        ours = [Tensor(x, requires_grad=True) for x in args]
        theirs = [torch.tensor(x, requires_grad=True) for x in args]
        out, expected = getattr(tl, name)(*ours, **kwargs), getattr(torch, name)(*theirs, **kwargs)
        assert out.dtype == np.float64 and out.shape == tuple(expected.shape), name
        assert_close(out, expected.detach().numpy(), rtol=1e-12, atol=1e-14, message=name)
        (out * out).sum().backward()
        (expected * expected).sum().backward()
        for x, t in zip(ours, theirs):
            assert_close(x.grad, t.grad.numpy(), rtol=1e-10, atol=1e-14, message=name)
    for name, args in [("outer", (np.arange(3), np.ones(2, np.float32))), ("kron", (np.arange(2), np.ones(2)))]:
        assert str(getattr(tl, name)(*map(tl.tensor, args)).dtype) == str(
            getattr(torch, name)(*map(torch.tensor, args)).dtype).removeprefix("torch.")
