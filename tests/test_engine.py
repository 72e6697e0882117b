"""The engine's invariants: no mutation, no aliasing, exact leaf shapes and dtypes, diamonds, the
backward() API (seeds, deep graphs, retain_graph, freeing), grad modes, and users' own Functions."""
import gc
import subprocess
import sys
import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Function, Tensor, enable_grad, gradcheck, is_grad_enabled, no_grad, ops, set_grad_enabled
from tinygrad_like.testing import assert_close


def leaf(array, dtype=np.float64):
    return Tensor(np.asarray(array, dtype=dtype), requires_grad=True)


def graph_nodes(root):
    """Every Function node behind `root` (walked before backward frees the graph)."""
    nodes, stack, seen = [], [root._ctx], set()
    while stack:
        ctx = stack.pop()
        if ctx is None or id(ctx) in seen:
            continue
        seen.add(id(ctx))
        nodes.append(ctx)
        stack.extend(parent._ctx for parent in ctx.parents)
    return nodes


def graph_tensors(root):
    """`root` and every tensor that went into it."""
    tensors = {id(root): root}
    for ctx in graph_nodes(root):
        tensors.update((id(t), t) for t in ctx.parents)
    return list(tensors.values())


def assert_no_aliasing(tensors, extra_arrays=()):
    """No leaf's .grad shares memory with another .grad, with any tensor's data, or with `extra_arrays`."""
    grads = [t for t in tensors if t.grad is not None]
    assert grads, "nothing to check: no tensor has a gradient"
    for i, t in enumerate(grads):
        for other in grads[i + 1:]:
            assert not np.shares_memory(t.grad.numpy(), other.grad.numpy()), "two .grad arrays share memory"
        for other in tensors:
            assert not np.shares_memory(t.grad.numpy(), other.numpy()), "a .grad shares memory with a tensor's data"
        for array in extra_arrays:
            assert not np.shares_memory(t.grad.numpy(), array), "a .grad shares memory with the seed gradient"


# ---- one graph per op, used by the invariant tests below --------------------------------------------
# a: (2, 3) with values in (0.5, 2), b: (3,) with values in (0.5, 2) -- away from every kink and pole.
OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b,
    "pow_scalar": lambda a, b: a ** 2 + 2.0 ** b,
    "reflected_scalars": lambda a, b: 1.5 - a / 2 + 3 / b,
    "neg": lambda a, b: -a + b,
    "matmul": lambda a, b: a @ b,
    "matmul_2d": lambda a, b: a.T @ a + b,
    "exp_log_sqrt": lambda a, b: a.exp() + b.log() + a.sqrt(),
    "abs_tanh_sigmoid_relu": lambda a, b: (a - 1.25).abs() + a.tanh() + b.sigmoid() + (b - 1.25).relu(),
    "clip": lambda a, b: a.clip(0.75, 1.75) + b.clamp(min=1.0),
    "maximum_minimum": lambda a, b: a.maximum(b + 0.01) + a.minimum(b - 0.01),
    "where": lambda a, b: tl.where(a > 1.0, a, b),
    "sum_mean": lambda a, b: a.sum(0) + b.mean() + a.sum(),
    "max_min": lambda a, b: a.amax(1, keepdims=True) + b.min() + a.max(dim=0).values,
    "var": lambda a, b: a.var(0) + b.var(correction=0),
    "reshape_transpose": lambda a, b: a.reshape(3, 2).T + a.transpose().transpose(1, 0) + b,
    "flatten_squeeze_unsqueeze": lambda a, b: a.flatten() + tl.cat([b.unsqueeze(0).squeeze(0)] * 2),
    "expand": lambda a, b: a + b.reshape(1, 3).expand(2, 3),
    "getitem": lambda a, b: a[0] + a[:, 1].sum() + b[[0, 0, 2]] + a[a > 1.0].sum(),
    "cat_stack": lambda a, b: tl.cat([a, b.reshape(1, 3)]) + tl.stack([b, b * 2]).sum(0),
    "softmax": lambda a, b: a.softmax(1) + b.log_softmax() + a.logsumexp(0),
    "linear": lambda a, b: ops.Linear.apply(b, a, b[:2]) + ops.Linear.apply(a, a),
    "cast": lambda a, b: a.astype(np.float64).astype(a.dtype) * b,
}


def op_inputs(dtype):
    rng = np.random.default_rng(0)
    return leaf(rng.uniform(0.5, 2.0, (2, 3)), dtype), leaf(rng.uniform(0.5, 2.0, 3), dtype)


class Probe(Function):
    """Identity that hands a gradient of its own to the ops below and remembers it (to check they keep it intact)."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        ctx.sent = np.random.default_rng(1).standard_normal(grad.shape)
        ctx.sent_copy = ctx.sent.copy()
        return ctx.sent


@pytest.mark.parametrize("name", OPS)
def test_ops_never_mutate_their_inputs_or_the_incoming_gradient(name):
    a, b = op_inputs(np.float64)
    before = a.numpy().copy(), b.numpy().copy()
    out = Probe.apply(OPS[name](a, b))
    out.backward(np.ones(out.shape))
    assert np.array_equal(a.numpy(), before[0]) and np.array_equal(b.numpy(), before[1])
    probe = out._ctx
    assert np.array_equal(probe.sent, probe.sent_copy), "a backward modified the gradient it was given"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", OPS)
def test_leaf_grads_have_their_leafs_shape_and_dtype_end_to_end(name, dtype):
    a, b = op_inputs(dtype)
    out = OPS[name](a, b)
    for t in graph_tensors(out) if name != "cast" else [out]:  # only casts may change the dtype on the way
        if t.dtype.kind == "f":
            assert t.dtype == dtype, f"an intermediate result is {t.dtype} in a {np.dtype(dtype)} graph"
    out.backward(np.ones(out.shape))
    for t in (a, b):
        assert t.grad is not None
        assert t.grad.shape == t.shape and t.grad.dtype == dtype
        assert not t.grad.requires_grad and t.grad.is_leaf


@pytest.mark.parametrize("name", OPS)
def test_gradients_never_alias_each_other_or_any_data(name):
    a, b = op_inputs(np.float64)
    out = OPS[name](a, b)
    tensors = graph_tensors(out)
    seed = np.ones(out.shape)
    out.backward(seed)
    assert_no_aliasing(tensors, [seed])


# ---- aliasing: the cases where a gradient could be handed on as it is ---------------------------------
class ReturnsSavedInput(Function):
    """A (mathematically wrong) backward returning the array it saved: the engine must not store it as is."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return ctx.saved_tensors[0]


class ReturnsSavedInputsSwapped(Function):
    """d(a*b)/da = b, d(a*b)/db = a for an upstream gradient of ones: returns the saved arrays themselves."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return b, a


ALIASING_GRAPHS = {  # name: (shapes of the leaves, graph)
    "a + b": ([(2, 3), (2, 3)], lambda a, b: a + b),
    "x + x": ([(2, 3)], lambda x: x + x),
    "a + b.reshape": ([(6,), (2, 3)], lambda a, b: a + b.reshape(6)),
    "a + b.expand(same shape)": ([(2, 3), (2, 3)], lambda a, b: a + b.expand(2, 3)),
    "a.T + b.T": ([(2, 3), (2, 3)], lambda a, b: a.T + b.T),
    "cat of two leaves": ([(2, 3), (1, 3)], lambda a, b: tl.cat([a, b])),
    "stack of two leaves": ([(3,), (3,)], lambda a, b: tl.stack([a, b])),
    "a.double() + b": ([(3,), (3,)], lambda a, b: a.double() + b),
    "custom returning its saved input": ([(3,)], lambda x: ReturnsSavedInput.apply(x)),
    "custom returning a saved view": ([(2, 3)], lambda x: ReturnsSavedInput.apply(x.reshape(6))),
    "custom returning a non-leaf's data": ([(3,)], lambda x: ReturnsSavedInput.apply(x + 0.0)),
    "custom returning the other input": ([(3,), (3,)], lambda a, b: ReturnsSavedInputsSwapped.apply(a, b)),
}


@pytest.mark.parametrize("name", ALIASING_GRAPHS)
def test_gradients_handed_on_unchanged_are_copied_before_they_become_a_grad(name):
    leaf_shapes, graph = ALIASING_GRAPHS[name]
    leaves = [leaf(np.arange(np.prod(s), dtype=np.float64).reshape(s) + 1) for s in leaf_shapes]
    out = graph(*leaves)
    tensors = graph_tensors(out)
    seed = np.ones(out.shape)
    out.backward(seed)
    assert_no_aliasing(tensors, [seed])
    # what the invariant is for: updating one gradient in place (as optimizers do) changes nothing else
    snapshot = {id(t): (t.numpy().copy(), None if t.grad is None else t.grad.numpy().copy()) for t in tensors}
    leaves[0].grad.data += 100.0
    for t in tensors:
        data, grad = snapshot[id(t)]
        assert np.array_equal(t.numpy(), data)
        if grad is not None and t is not leaves[0]:
            assert np.array_equal(t.grad.numpy(), grad)


def test_explicit_seed_is_copied():
    x = leaf([1.0, 2.0])
    seed = np.array([3.0, 4.0])
    x.backward(seed)  # the root is the leaf itself: its gradient is the seed
    seed[:] = 0.0
    assert_close(x.grad, [3.0, 4.0])
    y = leaf([1.0, 2.0])
    (y + 0).backward(seed)
    assert not np.shares_memory(y.grad.numpy(), seed)


# ---- broadcasting is undone centrally ---------------------------------------------------------------
@pytest.mark.parametrize("bias_shape, expected", [
    ((3,), lambda g: g.sum(axis=0)),
    ((1, 3), lambda g: g.sum(axis=0, keepdims=True)),
    ((4, 1), lambda g: g.sum(axis=1, keepdims=True)),
    ((), lambda g: g.sum()),
    ((1,), lambda g: g.sum().reshape(1)),
    ((1, 1, 3), lambda g: g.sum(axis=(0, 1)).reshape(1, 1, 3)),
    ((2, 1, 1), lambda g: g.sum(axis=(1, 2)).reshape(2, 1, 1)),
])
def test_broadcast_bias_gets_its_gradient_summed_to_its_shape(bias_shape, expected, rng):
    x, bias = leaf(rng.standard_normal((4, 3))), leaf(rng.standard_normal(bias_shape))
    out = x + bias
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    assert bias.grad.shape == bias_shape
    assert_close(bias.grad, expected(upstream))
    assert_close(x.grad, upstream.reshape(-1, 4, 3).sum(axis=0))


def test_broadcast_weight_of_a_product(rng):
    x, w = leaf(rng.standard_normal((4, 3))), leaf(rng.standard_normal(3))
    upstream = rng.standard_normal((4, 3))
    (x * w).backward(upstream)
    assert_close(w.grad, (upstream * x.numpy()).sum(axis=0))
    assert_close(x.grad, upstream * w.numpy())


# ---- diamonds -----------------------------------------------------------------------------------------
CONSUMERS = {  # name: (use of the shared non-leaf h, d(use.sum())/dh as numpy)
    "square": (lambda h: h * h, lambda h: 2 * h),
    "exp": (lambda h: h.exp(), np.exp),
    "sum": (lambda h: h.sum(), np.ones_like),
    "first": (lambda h: h[0], lambda h: np.eye(1, h.size).ravel()),
    "scaled": (lambda h: 3.0 * h, lambda h: np.full_like(h, 3.0)),
    "cubed_chain": (lambda h: (h * h) * h, lambda h: 3 * h * h),
    "reused_twice": (lambda h: h * 2 + h, lambda h: np.full_like(h, 3.0)),
}


@given(order=st.lists(st.sampled_from(sorted(CONSUMERS)), min_size=1, max_size=6))
def test_a_non_leaf_used_several_times_gets_the_sum_of_all_gradients(order):
    x_data = np.array([0.3, -0.7, 1.1])
    x = leaf(x_data)
    h = x.tanh()  # the shared non-leaf
    total = None
    for name in order:  # whatever the order of use
        term = CONSUMERS[name][0](h).sum()
        total = term if total is None else total + term
    total.backward()
    h_data = np.tanh(x_data)
    dh = sum(CONSUMERS[name][1](h_data) for name in order)
    assert_close(x.grad, dh * (1 - h_data ** 2), rtol=1e-12)


def test_diamond_whose_branches_reconverge_at_different_depths():
    x = leaf([0.5, 2.0])
    h = x * 3.0
    z = ((h * h) * h + h.exp() * h).sum()  # d/dh = 3h^2 + e^h (1 + h)
    z.backward()
    hv = 3.0 * x.numpy()
    assert_close(x.grad, 3.0 * (3 * hv ** 2 + np.exp(hv) * (1 + hv)), rtol=1e-12)


def test_a_leaf_used_many_times():
    x = leaf([1.0, -2.0])
    total = x * 0
    for i in range(1, 51):
        total = total + x * float(i) + (x if i % 2 else -x)
    total.sum().backward()
    assert_close(x.grad, np.full(2, sum(range(1, 51)) + 0.0))


def test_exponentially_many_paths_are_not_walked_one_by_one():
    x = leaf([1.0])
    y = x
    for _ in range(60):  # 2**60 paths from y to x through 60 nodes
        y = y + y
    y.backward()
    assert x.grad.numpy()[0] == 2.0 ** 60


# ---- backward(): seeds and errors -----------------------------------------------------------------------
def test_implicit_seed_only_for_one_element_tensors():
    x = leaf(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match=r"one-element.*\(2, 3\)"):
        (x * 2).backward()
    y = leaf(np.ones((1, 1)))
    (y * 2).backward()  # one element, though not 0-d
    assert_close(y.grad, [[2.0]])


def test_explicit_seed_of_the_wrong_shape_names_both_shapes():
    x = leaf(np.ones((2, 3)))
    with pytest.raises((ValueError, RuntimeError), match=r"\(3,\).*\(2, 3\)"):
        (x * 2).backward(np.ones(3))


@pytest.mark.parametrize("seed", [np.array([1.0, 2.0]), [1.0, 2.0], Tensor([1.0, 2.0])], ids=["ndarray", "list", "Tensor"])
def test_explicit_seed_may_be_any_array_like(seed):
    x = leaf([1.0, 1.0])
    (x * 3).backward(seed)
    assert_close(x.grad, [3.0, 6.0])


def test_backward_on_a_tensor_without_grad_is_a_clear_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0, 2.0]).sum().backward()
    x = leaf([1.0])
    with no_grad():
        y = x * 2
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_a_leaf_can_be_the_root():
    x = leaf(3.0)
    x.backward()
    assert_close(x.grad, 1.0)


def test_deep_chain_backpropagates_without_recursion():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    y.backward()
    assert_close(x.grad, [1.00001 ** 100_000], rtol=1e-9)


def test_deep_chain_with_retain_graph_twice_and_then_freed():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    assert_close(x.grad, [2.0])
    del y
    gc.collect()  # tearing down a retained 100,000-node chain must not overflow the C stack either


def test_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    assert_close(x.grad, [2.0, 4.0])
    y.backward()
    assert_close(x.grad, [4.0, 8.0])
    (x * 3.0).sum().backward()  # a new graph adds to the same .grad
    assert_close(x.grad, [7.0, 11.0])


def test_second_backward_through_a_freed_graph_asks_for_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        y.backward()


def test_backward_through_a_shared_part_freed_by_another_backward():
    x = leaf([1.0, 2.0])
    h = x.exp()
    (h * 2).sum().backward()  # frees h's node too
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        (h * 3).sum().backward()


def test_backward_frees_the_graph_unless_retained():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    nodes = graph_nodes(y)
    assert any(node.saved_tensors for node in nodes)
    y.backward(retain_graph=True)
    assert all(node.saved_tensors is not None and node.parents is not None for node in nodes)
    y.backward()
    assert all(node.saved_tensors is None for node in nodes)
    assert all(node.parents is None for node in nodes)


# ---- grad modes -------------------------------------------------------------------------------------------
def assert_recorded(t, recorded):
    assert t.requires_grad is recorded
    assert t.is_leaf is (not recorded)


def test_no_grad_context_manager():
    x = leaf([1.0, 2.0])
    with no_grad():
        assert not is_grad_enabled()
        y = x * 2 + x.exp()
        z = tl.cat([x, y]).sum()
    assert is_grad_enabled()
    assert_recorded(y, False)
    assert_recorded(z, False)
    assert_recorded(x * 2, True)


def test_no_grad_decorator_and_nesting():
    x = leaf([1.0])

    @no_grad()
    def inference(t, depth):
        assert not is_grad_enabled()
        with no_grad():
            out = t * 2
        assert not is_grad_enabled()  # leaving the inner block keeps the outer one's mode
        return inference(out, depth - 1) if depth else out

    assert inference.__name__ == "inference"
    assert_recorded(inference(x, 3), False)
    assert is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = leaf([1.0, 2.0])
    with no_grad():
        with enable_grad():
            assert is_grad_enabled()
            y = (x * x).sum()
        assert not is_grad_enabled()
        assert_recorded(x * 2, False)
    assert_recorded(y, True)
    y.backward()
    assert_close(x.grad, [2.0, 4.0])

    @enable_grad()
    def train_step(t):
        return t * 3

    with no_grad():
        assert_recorded(train_step(x), True)


def test_grad_modes_are_restored_after_exceptions():
    with pytest.raises(KeyError):
        with no_grad():
            raise KeyError("boom")
    assert is_grad_enabled()
    with no_grad():
        with pytest.raises(KeyError):
            with enable_grad():
                raise KeyError("boom")
        assert not is_grad_enabled()

    @no_grad()
    def failing():
        raise ValueError("boom")

    with pytest.raises(ValueError):
        failing()
    assert is_grad_enabled()


def test_leaves_made_under_no_grad_still_require_grad():
    with no_grad():
        w = Tensor([1.0, 2.0], requires_grad=True)
    assert w.requires_grad and w.is_leaf
    (w * 2).sum().backward()
    assert_close(w.grad, [2.0, 2.0])


def test_set_grad_enabled_as_a_call_and_as_a_context_manager():
    x = leaf([1.0, 2.0])
    set_grad_enabled(False)
    try:
        assert not is_grad_enabled()
        assert_recorded(x * 2, False)
    finally:
        set_grad_enabled(True)
    assert_recorded(x * 2, True)
    for mode in (False, True):
        with no_grad():
            with set_grad_enabled(mode):
                assert is_grad_enabled() is mode
                assert_recorded(x * 2, mode)
            assert not is_grad_enabled()  # the enclosing mode is back
    with pytest.raises(TypeError, match=r"set_grad_enabled\(\): mode must be a bool, got str"):
        set_grad_enabled("no")
    assert is_grad_enabled()

    @set_grad_enabled(False)
    def inference(t):
        assert not is_grad_enabled()
        return t * 2

    assert is_grad_enabled()  # decorating changed nothing outside the function
    assert inference.__name__ == "inference"
    assert_recorded(inference(x), False)
    assert is_grad_enabled()
    with no_grad():
        assert_recorded(set_grad_enabled(True)(lambda t: t * 2)(x), True)
        assert not is_grad_enabled()


def run_in_thread(function):
    results, errors = [], []

    def target():
        try:
            results.append(function())
        except BaseException as error:  # re-raised in the test's thread
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return results[0]


def test_grad_mode_is_per_thread():
    x = leaf([1.0, 2.0])
    with no_grad():  # a new thread starts with recording on, whatever this thread's mode
        assert run_in_thread(lambda: (is_grad_enabled(), (x * 2).requires_grad)) == (True, True)

    inside, go_on = threading.Event(), threading.Event()

    def inference():
        with no_grad():
            inside.set()
            go_on.wait(10)
            return (x * 2).requires_grad

    results = []
    thread = threading.Thread(target=lambda: results.append(inference()))
    thread.start()
    assert inside.wait(10)
    recorded_here = x * 2  # while the other thread sits inside its no_grad block
    go_on.set()
    thread.join()
    assert results == [False]
    assert_recorded(recorded_here, True)
    assert is_grad_enabled()


# ---- users' own Functions ---------------------------------------------------------------------------------
class ScaledProduct(Function):
    """scale * a * b, with `scale` a keyword option of forward."""

    @staticmethod
    def forward(ctx, a, b, scale=1.0):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return scale * a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ctx.asked = ctx.needs_input_grad
        return (grad * ctx.scale * b if ctx.needs_input_grad[0] else None,
                grad * ctx.scale * a if ctx.needs_input_grad[1] else None)


def test_custom_function_with_keyword_options_gradchecks(rng):
    a, b = leaf(rng.standard_normal((2, 3))), leaf(rng.standard_normal(3))
    out = ScaledProduct.apply(a, b, scale=2.5)
    assert_close(out, 2.5 * a.numpy() * b.numpy())
    assert gradcheck(lambda x, y: ScaledProduct.apply(x, y, scale=2.5), a, b)


@pytest.mark.parametrize("requires", [(True, False), (False, True), (True, True)], ids=["a_only", "b_only", "both"])
def test_custom_function_sees_which_inputs_need_grad(requires):
    a = Tensor([1.0, 2.0], requires_grad=requires[0])
    b = Tensor([3.0, 4.0], requires_grad=requires[1])
    out = ScaledProduct.apply(a, b, scale=2.0)
    assert out._ctx.needs_input_grad == requires
    out.sum().backward()
    assert out._ctx is not None and out._ctx.asked == requires
    assert (a.grad is not None) is requires[0] and (b.grad is not None) is requires[1]
    if requires[0]:
        assert_close(a.grad, 2.0 * b.numpy())
    if requires[1]:
        assert_close(b.grad, 2.0 * a.numpy())


class GreedyProduct(ScaledProduct):
    """Ignores needs_input_grad and returns both gradients anyway."""

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * a


def test_gradients_for_inputs_that_need_none_are_dropped():
    a, b = leaf([1.0, 2.0]), Tensor([3.0, 4.0])
    GreedyProduct.apply(a, b).sum().backward()
    assert b.grad is None and not b.requires_grad
    assert_close(a.grad, [3.0, 4.0])


class Inspect(Function):
    @staticmethod
    def forward(ctx, *arrays):
        ctx.types = [(type(x), x.dtype) for x in arrays]
        return sum(arrays)

    @staticmethod
    def backward(ctx, grad):
        return (grad,) * len(ctx.types)


def test_apply_turns_arrays_and_python_scalars_into_tensors():
    x = leaf([1.0, 2.0])
    out = Inspect.apply(x, np.array([10.0, 20.0]), 2.5, 3)
    assert isinstance(out, Tensor)
    assert out._ctx.types == [(np.ndarray, np.float64), (np.ndarray, np.float64), (np.ndarray, np.float32),
                              (np.ndarray, np.int64)]
    assert all(isinstance(p, Tensor) for p in out._ctx.parents)
    assert_close(out, [16.5, 27.5])
    out.sum().backward()
    assert_close(x.grad, [1.0, 1.0])


def test_apply_records_nothing_without_a_float_result_or_an_input_needing_grad():
    out = Inspect.apply(Tensor([1.0]), Tensor([2.0]))
    assert_recorded(out, False)
    assert out._ctx is None

    class ArgMax(Function):
        @staticmethod
        def forward(ctx, x):
            return np.argmax(x)

    index = ArgMax.apply(leaf([1.0, 3.0, 2.0]))
    assert index.dtype.kind == "i" and index.item() == 1
    assert_recorded(index, False)


def test_forward_may_return_python_numbers():
    class Total(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.shape = x.shape
            return float(x.sum())

        @staticmethod
        def backward(ctx, grad):
            return np.broadcast_to(grad, ctx.shape)

    x = leaf([1.0, 2.0])
    out = Total.apply(x)
    assert isinstance(out.numpy(), np.ndarray) and out.shape == ()
    out.backward()
    assert_close(x.grad, [1.0, 1.0])


def test_function_without_forward_or_backward():
    with pytest.raises(NotImplementedError, match="forward"):
        Function.apply(leaf([1.0]))

    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    with pytest.raises(NotImplementedError, match="backward"):
        NoBackward.apply(leaf([1.0])).sum().backward()


class WrongCount(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad


class WrongShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return np.ones(4)


def test_custom_backward_with_the_wrong_number_of_gradients():
    with pytest.raises(RuntimeError, match=r"WrongCount\.backward returned 1 gradient\(s\) for 2 input"):
        WrongCount.apply(leaf([1.0]), leaf([2.0])).sum().backward()


def test_custom_backward_with_a_gradient_of_the_wrong_shape():
    with pytest.raises(RuntimeError, match=r"WrongShape\.backward.*\(4,\).*input 0.*\(2, 3\)"):
        WrongShape.apply(leaf(np.ones((2, 3)))).sum().backward()


def test_custom_forward_errors_name_the_function_and_inputs():
    class Picky(Function):
        @staticmethod
        def forward(ctx, x):
            raise ValueError("x must be positive")

    with pytest.raises(ValueError, match=r"Picky: x must be positive.*\(2,\) float64"):
        Picky.apply(leaf([1.0, -1.0]))


def test_gradients_of_empty_tensors_unbroadcast():
    """A zero-size gradient with added leading axes (reshape to (-1, 0) would be ambiguous)."""
    x = Tensor(np.zeros(0), requires_grad=True)
    x.expand(0, 0).sum().backward()
    assert x.grad.shape == (0,)
    y = Tensor(np.zeros((0, 3)), requires_grad=True)
    (y * Tensor(np.ones((2, 0, 3)))).sum().backward()
    assert y.grad.shape == (0, 3)


def test_a_hooked_leaf_outliving_the_interpreter_does_not_complain(tmp_path):
    script = tmp_path / "exit.py"
    script.write_text("import tinygrad_like as tl\nx = tl.zeros(2, requires_grad=True)\n"
                      "x.register_hook(lambda g: g)\n")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == ""
