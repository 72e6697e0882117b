"""autograd against PyTorch: higher-order gradients and the semantics of grad, backward and hooks.

Hessians, Hessian-vector products and third derivatives of the random graphs of
test_torch_differential.py (every op there, in float64) must agree with PyTorch's to ~1e-10, and so
must torch.autograd.functional's results, values and forms (a tuple or a single tensor, requires_grad).
The semantics are checked by running one program in both frameworks: tinygrad_like's namespace is
PyTorch's, so each scenario takes the module (`torch` or `tinygrad_like`) and returns what it saw.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_like as tl  # noqa: E402
import tinygrad_like.autograd  # noqa: E402,F401  (tl.autograd, as torch.autograd)
from tinygrad_like import Tensor, nn  # noqa: E402
from tinygrad_like.testing import assert_close  # noqa: E402
from test_torch_differential import OPS, apply_op, start  # noqa: E402

# torch warns that backward(create_graph=True) makes a reference cycle through .grad, which the tests here do on purpose
pytestmark = [pytest.mark.torch, pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")]

RTOL, ATOL = 1e-10, 1e-12


def same(ours, theirs, message=""):
    """Nested results (tuples, tensors, None, numbers, strings) equal in both frameworks."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, type(theirs)) and len(ours) == len(theirs), f"{message}: {ours!r} vs {theirs!r}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            same(a, b, f"{message}[{i}]")
    elif isinstance(theirs, torch.Tensor):
        assert isinstance(ours, Tensor), f"{message}: {type(ours).__name__} where torch has a tensor"
        assert tuple(ours.shape) == tuple(theirs.shape), f"{message}: shape {ours.shape} vs {tuple(theirs.shape)}"
        assert ours.requires_grad == theirs.requires_grad, f"{message}: requires_grad {ours.requires_grad}"
        assert_close(ours, theirs.detach().numpy(), rtol=RTOL, atol=ATOL, message=message)
    else:
        assert ours == theirs, f"{message}: {ours!r} vs {theirs!r}"


def both(scenario):
    """Run scenario(module) with tinygrad_like and with torch; compare what they return."""
    same(scenario(tl), scenario(torch), scenario.__name__)


# ---- second and third derivatives of random graphs --------------------------------------------------------
def values(tensor):
    """A tensor's values as an array (torch's zero gradients may be ZeroTensors, which need force=True)."""
    return tensor.detach().numpy(force=True) if isinstance(tensor, torch.Tensor) else tensor.numpy()


def weighted_losses(g):
    """(ours, theirs): the sum of all the graph's values, each weighted by a random array."""
    weights = [g.rng.standard_normal(ours.shape) for ours, _ in g.values]
    return [sum((pair[k] * (w if k == 0 else torch.from_numpy(w))).sum() for pair, w in zip(g.values, weights))
            for k in (0, 1)]


def random_graph(seed, steps):
    """test_torch_differential's random graph of `steps` ops, and its weighted losses."""
    g = start(seed)
    names = list(OPS)
    done = 0
    while done < steps:
        done += apply_op(g, names[g.rng.integers(len(names))])
        if np.abs(g.values[-1][0].numpy()).max(initial=0) > 1e3:  # magnitudes where 1e-10 is meaningful
            g.values.append((g.values[-1][0].tanh(), g.values[-1][1].tanh()))
    return g, weighted_losses(g)


def gradients(module, outputs, inputs, grad_outputs=None, create_graph=False):
    """autograd.grad over the outputs in a graph; zeros for inputs they do not reach."""
    pairs = [(out, v) for out, v in zip(outputs, grad_outputs or [None] * len(outputs)) if out.requires_grad]
    found = module.autograd.grad([out for out, _ in pairs], inputs, [v for _, v in pairs] if grad_outputs else None,
                                 retain_graph=True, create_graph=create_graph, allow_unused=True) if pairs else \
        [None] * len(inputs)
    return [module.zeros_like(x) if g is None else g for g, x in zip(found, inputs)]


def compare_hessians(g, losses):
    """The Hessian of the loss in all the graph's leaves, one row (a gradient of the gradient) at a time."""
    results = []
    for k, module in ((0, tl), (1, torch)):
        leaves = [pair[k] for pair in g.leaves]
        first = gradients(module, [losses[k]], leaves, create_graph=True)
        sizes = [x.numel() for x in leaves]
        rows = []
        for i in range(sum(sizes)):
            one_hot = np.split(np.eye(sum(sizes))[i], np.cumsum(sizes)[:-1])
            seeds = [module.tensor(part.reshape(x.shape)) for part, x in zip(one_hot, leaves)]
            rows.append(np.concatenate([values(r).ravel() for r in gradients(module, first, leaves, seeds)]))
        results.append(np.array(rows))
    ours, theirs = results
    assert np.all(np.isfinite(ours))
    assert_close(ours, theirs, rtol=1e-9, atol=1e-10, message=f"Hessian in {len(ours)} variables")


@pytest.mark.parametrize("name", OPS)
def test_hessian_of_each_op_alone(name):
    for seed in range(8):  # several shapes and option draws, until the op applies (as test_each_op_alone)
        g = start(1000 * seed + len(name))
        if apply_op(g, name):
            compare_hessians(g, weighted_losses(g))


@pytest.mark.parametrize("seed", range(40))
def test_hessians_of_random_graphs(seed):
    compare_hessians(*random_graph(seed, steps=4))


@pytest.mark.parametrize("seed", range(100, 160))
def test_hessian_vector_products_and_third_derivatives_of_random_graphs(seed):
    g, losses = random_graph(seed, steps=6)
    vectors = [g.rng.standard_normal(ours.shape) for ours, _ in g.leaves]
    directions = [g.rng.standard_normal(ours.shape) for ours, _ in g.leaves]
    results = []
    for k, module in ((0, tl), (1, torch)):
        leaves = [pair[k] for pair in g.leaves]
        first = gradients(module, [losses[k]], leaves, create_graph=True)
        hessian_v = gradients(module, first, leaves, [module.tensor(v) for v in vectors], create_graph=True)
        # the third derivative along u, v: the gradient of <H v, u>
        projection = sum((h * module.tensor(u)).sum() for h, u in zip(hessian_v, directions))
        third = gradients(module, [projection], leaves) if projection.requires_grad else \
            [module.zeros_like(x) for x in leaves]
        results.append([[values(x) for x in found] for found in (first, hessian_v, third)])
    for order, (ours, theirs) in enumerate(zip(*results), start=1):
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert np.all(np.isfinite(a))
            assert_close(a, b, rtol=1e-9, atol=1e-10, message=f"derivative of order {order}, leaf {i}")


# ---- autograd.functional -------------------------------------------------------------------------------------
def pair(rng, *shape):
    data = rng.uniform(-1, 1, shape)
    return Tensor(data), torch.tensor(data)


FUNCTIONS = {  # name: (function of the inputs, input shapes); the same code runs on both frameworks' tensors
    "vector": (lambda x: x.tanh() * x.sum(), [(3,)]),
    "matrix_to_vector": (lambda x: (x.exp() * x).sum(1), [(2, 3)]),
    "two_inputs": (lambda x, y: (x @ y).sigmoid(), [(2, 3), (3,)]),
    "two_outputs": (lambda x, y: (x * y.sum(), (x * x).exp()), [(3,), (2,)]),
    "unused_input": (lambda x, y: x.softmax(-1), [(3,), (2,)]),
}
SCALAR_FUNCTIONS = {
    "one_input": (lambda x: (x.exp() * x).sum(), [(3,)]),
    "two_inputs": (lambda x, y: (x.tanh() * y.sigmoid() ** 2).sum(), [(2, 2), (2, 2)]),
    "linear_in_y": (lambda x, y: ((x * x).log_softmax(0) * y).sum(), [(3,), (3,)]),
    "unused_input": (lambda x, y: (x ** 3).sum(), [(2,), (3,)]),
    "one_element_input": (lambda x: (x ** 4).sum() * x.exp().sum(), [(1,)]),
}


def arguments(rng, shapes, tuple_form):
    pairs = [pair(rng, *shape) for shape in shapes]
    if len(pairs) == 1 and not tuple_form:
        return pairs[0]
    return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)


def outputs_like(rng, fn, inputs):
    """(ours, theirs): random vectors shaped like fn's outputs (a tensor or a tuple, as fn returns)."""
    result = fn(*(inputs if isinstance(inputs, tuple) else (inputs,)))
    if isinstance(result, tuple):
        pairs = [pair(rng, *r.shape) for r in result]
        return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)
    return pair(rng, *result.shape)


@pytest.mark.parametrize("create_graph", [False, True], ids=["values", "create_graph"])
@pytest.mark.parametrize("tuple_form", [False, True], ids=["tensor", "tuple"])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_jacobian_vjp_jvp(name, tuple_form, create_graph):
    fn, shapes = FUNCTIONS[name]
    rng = np.random.default_rng(len(name))
    ours, theirs = arguments(rng, shapes, tuple_form)
    F, TF = tl.autograd.functional, torch.autograd.functional
    same(F.jacobian(fn, ours, create_graph=create_graph, vectorize=True),
         TF.jacobian(fn, theirs, create_graph=create_graph), "jacobian")
    v_ours, v_theirs = outputs_like(rng, fn, ours)
    same(F.vjp(fn, ours, v_ours, create_graph=create_graph), TF.vjp(fn, theirs, v_theirs, create_graph=create_graph),
         "vjp")
    u_ours, u_theirs = arguments(rng, shapes, tuple_form)
    same(F.jvp(fn, ours, u_ours, create_graph=create_graph), TF.jvp(fn, theirs, u_theirs, create_graph=create_graph),
         "jvp")


@pytest.mark.parametrize("create_graph", [False, True], ids=["values", "create_graph"])
@pytest.mark.parametrize("tuple_form", [False, True], ids=["tensor", "tuple"])
@pytest.mark.parametrize("name", SCALAR_FUNCTIONS)
def test_hessian_hvp_vhp(name, tuple_form, create_graph):
    fn, shapes = SCALAR_FUNCTIONS[name]
    rng = np.random.default_rng(len(name))
    ours, theirs = arguments(rng, shapes, tuple_form)
    F, TF = tl.autograd.functional, torch.autograd.functional
    same(F.hessian(fn, ours, create_graph=create_graph), TF.hessian(fn, theirs, create_graph=create_graph), "hessian")
    v_ours, v_theirs = arguments(rng, shapes, tuple_form)
    for product in ("hvp", "vhp"):
        same(getattr(F, product)(fn, ours, v_ours, create_graph=create_graph),
             getattr(TF, product)(fn, theirs, v_theirs, create_graph=create_graph), product)
    if name == "one_element_input" and not tuple_form:  # v may be left out: a one-element input
        same(F.hvp(fn, ours), TF.hvp(fn, theirs), "hvp without v")
        same(F.jvp(fn, ours), TF.jvp(fn, theirs), "jvp without v")
        same(F.vjp(fn, ours), TF.vjp(fn, theirs), "vjp without v")


def test_functional_results_stay_connected_to_inputs_in_a_graph():
    def scenario(T):
        x = T.tensor([0.5, -1.0, 2.0], dtype=T.float64, requires_grad=True)
        y = x * 2  # an input that is not a leaf: with create_graph the results depend on x through it
        hessian = T.autograd.functional.hessian(lambda t: (t ** 3).sum(), y, create_graph=True)
        _, product = T.autograd.functional.vhp(lambda t: (t.exp() * t).sum(), y, T.ones_like(y), create_graph=True)
        return T.autograd.grad((hessian.sum(), product.sum()), x), hessian.requires_grad

    both(scenario)


@pytest.mark.parametrize("call", [
    "F.jacobian(lambda a, b: a * 2, (x, y), strict=True)",
    "F.vjp(lambda a, b: a * 2, (x, y), x, strict=True)",
    "F.jvp(lambda a, b: a * 2, (x, y), (x, y), strict=True)",
    "F.hessian(lambda a: a.sum() * 2, x, strict=True)",
    "F.hvp(lambda a: a.sum() * 2, x, x, strict=True)",
    "F.vhp(lambda a: (a * a).sum(), x, y, strict=False)",  # v of the wrong shape
    "F.hessian(lambda a: a * 2, x)",  # not one element
    "F.vjp(lambda a: a * 2, x)",  # v needed
    "F.jacobian(lambda a: a.tolist(), x)",  # not a tensor
])
def test_functional_errors_match(call):
    def scenario(T):
        names = {"F": T.autograd.functional, "x": T.tensor([1.0, 2.0], dtype=T.float64),
                 "y": T.tensor([3.0], dtype=T.float64)}
        with pytest.raises(Exception) as caught:
            eval(call, names)
        return type(caught.value).__name__, str(caught.value).split(":")[0]

    ours, theirs = scenario(tl), scenario(torch)
    assert ours[0] == theirs[0], f"{call}: {ours} vs {theirs}"


# ---- autograd.grad -----------------------------------------------------------------------------------------------
def leaves(T, *arrays):
    return [T.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]


def test_grad_of_several_outputs_with_grad_outputs():
    def scenario(T):
        x, w = leaves(T, [[1.0, -2.0], [0.5, 3.0]], [0.3, -0.7])
        y1, y2 = (x * w).tanh(), (x @ w).exp()
        v1, v2 = T.tensor([[1.0, 2.0], [-1.0, 0.5]], dtype=T.float64), T.tensor([0.25, -2.0], dtype=T.float64)
        found = T.autograd.grad([y1, y2], [x, w], [v1, v2], retain_graph=True)
        single = T.autograd.grad(y2.sum(), w)  # inputs as one tensor: a 1-tuple
        return found, single, x.grad is None, w.grad is None  # grad() accumulates nothing

    both(scenario)


def test_grad_with_respect_to_a_non_leaf_and_of_a_leaf():
    def scenario(T):
        (x,) = leaves(T, [1.0, 2.0, 3.0])
        h = x * x
        y = h.tanh()
        return T.autograd.grad(y.sum(), [h, x], retain_graph=True), T.autograd.grad(x, x, T.ones_like(x))

    both(scenario)


def test_unused_inputs_and_missing_grad_outputs():
    def scenario(T):
        x, z = leaves(T, [1.0, 2.0], [3.0])
        y = x.exp()
        with pytest.raises(RuntimeError):
            T.autograd.grad(y.sum(), [x, z], retain_graph=True)  # z is not used
        unused = T.autograd.grad(y.sum(), [x, z], allow_unused=True, retain_graph=True)
        with pytest.raises(RuntimeError):
            T.autograd.grad(y, x, retain_graph=True)  # a non-scalar output needs grad_outputs
        with pytest.raises(RuntimeError):
            T.autograd.grad(y.detach().sum(), x)  # no graph
        return unused

    both(scenario)


def test_create_graph_gradients_are_in_the_graph():
    def scenario(T):
        (x,) = leaves(T, [0.5, -1.5])
        g, = T.autograd.grad((x ** 3).sum(), x, create_graph=True)
        h, = T.autograd.grad(g.sum(), x, create_graph=True)
        plain, = T.autograd.grad((x ** 3).sum(), x)
        return g, h, g.grad_fn is not None, plain.requires_grad

    both(scenario)


# ---- retain_graph ------------------------------------------------------------------------------------------------
def test_retain_graph():
    def scenario(T):
        (x,) = leaves(T, [0.5, -1.5])
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        y.backward()  # retained once: a second pass works and accumulates
        twice = x.grad.clone()
        with pytest.raises(RuntimeError, match="(?i)backward through the graph a second time|already freed"):
            y.backward()  # freed by the pass before
        z = (x.tanh() * x).sum()
        z.backward(create_graph=True)  # create_graph implies retain_graph
        z.backward()
        g, = T.autograd.grad((x * x.exp()).sum(), x)  # grad() frees too
        w = (x * x).sum()
        T.autograd.grad(w, x)
        with pytest.raises(RuntimeError):
            T.autograd.grad(w, x)
        return twice, x.grad.detach(), g

    both(scenario)


def test_backward_with_create_graph_accumulates_a_differentiable_grad():
    def scenario(T):
        (x,) = leaves(T, [0.5, -1.5, 2.0])
        (x ** 3).sum().backward(create_graph=True)
        first, requires = x.grad.detach().clone(), x.grad.requires_grad
        x.grad.sum().backward()  # adds the second derivative into x.grad
        return first, requires, x.grad.detach()

    both(scenario)


# ---- hooks ---------------------------------------------------------------------------------------------------------
def test_hooks_on_a_non_leaf_run_in_order_and_replace_the_gradient():
    def scenario(T):
        (x,) = leaves(T, [1.0, -2.0, 3.0])
        y = x * 2
        seen = []
        y.register_hook(lambda g: seen.append(("first", g.detach().numpy().tolist())))
        y.register_hook(lambda g: g * 10)
        y.register_hook(lambda g: seen.append(("third", g.detach().numpy().tolist())))
        removed = y.register_hook(lambda g: g * 0)
        removed.remove()
        (y * y).sum().backward()
        return seen, x.grad

    ours, theirs = scenario(tl), scenario(torch)
    assert ours[0] == theirs[0]
    same(ours[1], theirs[1], "x.grad")


def test_leaf_hooks_see_the_summed_gradient_and_replace_what_is_stored():
    def scenario(T):
        (x,) = leaves(T, [1.0, -2.0])
        calls = []
        x.register_hook(lambda g: calls.append(g.detach().numpy().tolist()))
        x.register_hook(lambda g: g + 1)
        (x * 3 + x.exp()).sum().backward()  # two uses of x: the hooks run once, on the sum
        return calls, x.grad

    ours, theirs = scenario(tl), scenario(torch)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=RTOL)
    same(ours[1], theirs[1], "x.grad")


def test_retain_grad_keeps_the_gradient_after_every_hook():
    def scenario(T):
        (x,) = leaves(T, [1.0, -2.0])
        y = x.exp()
        y.register_hook(lambda g: g * 2)
        y.retain_grad()
        y.register_hook(lambda g: g + 1)  # registered after retain_grad, still applied first (PyTorch 2)
        (y * y).sum().backward()
        return y.grad, x.grad

    both(scenario)


def test_hooks_see_gradients_in_the_graph_with_create_graph():
    def scenario(T):
        (x,) = leaves(T, [0.5, 2.0])
        y = x * x
        seen = []
        y.register_hook(lambda g: seen.append(g.requires_grad))
        x.register_hook(lambda g: g * x)  # a hook in the graph: its product is differentiated too
        g, = T.autograd.grad((y * y).sum(), x, create_graph=True)
        return seen, g, T.autograd.grad(g.sum(), x)

    both(scenario)


def test_hooks_of_a_chain_run_from_the_output_back():
    def scenario(T):
        a, b = leaves(T, [1.0], [2.0])
        calls = []
        h1 = a * b
        h2 = h1.exp()
        h3 = h2 * b
        for name, t in [("a", a), ("h1", h1), ("h2", h2), ("h3", h3)]:
            t.register_hook(lambda g, name=name: calls.append(name))
        h3.sum().backward()
        return calls

    both(scenario)


@pytest.mark.xfail(strict=True, reason="leaf hooks run after every node; PyTorch runs a leaf's hooks as soon as "
                                       "its gradient is complete (its AccumulateGrad node comes first)")
def test_a_leafs_hooks_run_as_soon_as_its_gradient_is_complete():
    def scenario(T):
        a, b = leaves(T, [1.0, 2.0], [3.0, 4.0])
        calls = []
        y = b * 2
        z = y * a  # a's gradient is complete once z's node has run, before y's
        for name, t in [("a", a), ("b", b), ("y", y), ("z", z)]:
            t.register_hook(lambda g, name=name: calls.append(name))
        z.sum().backward()
        return calls

    both(scenario)


# ---- backward(inputs=...) ------------------------------------------------------------------------------------------
def test_backward_accumulates_only_into_the_given_inputs():
    def scenario(T):
        x, w, b = leaves(T, [[1.0, 2.0]], [[0.5], [-1.0]], [0.25])
        h = x @ w
        y = (h + b).tanh().sum()
        y.backward(inputs=[w], retain_graph=True)
        after_one = (x.grad, w.grad.clone(), b.grad)
        y.backward(inputs=[w, b], retain_graph=True)  # accumulates into w, starts b
        y.backward(inputs=[h])  # a non-leaf in inputs gets a .grad
        return after_one, x.grad, w.grad, b.grad, h.grad

    both(scenario)


def test_autograd_backward_with_several_tensors():
    def scenario(T):
        (x,) = leaves(T, [1.0, -1.0])
        y1, y2 = x.exp(), (x * x).sum()
        T.autograd.backward([y1, y2], [T.tensor([1.0, 2.0], dtype=T.float64), None])
        return x.grad

    both(scenario)


# ---- a gradient penalty, end to end ----------------------------------------------------------------------------
def test_gradient_penalty_of_a_critic_matches_pytorch():
    tl.manual_seed(0)
    ours = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.numpy())) for k, v in ours.state_dict().items()})
    data = np.random.default_rng(0).standard_normal((5, 3))

    def penalty(T, critic):
        x = T.tensor(data, requires_grad=True)
        g, = T.autograd.grad(critic(x).sum(), x, create_graph=True)
        loss = ((g.pow(2).sum(1).sqrt() - 1) ** 2).mean()
        loss.backward()
        return loss, [p.grad for p in critic.parameters()]

    same(penalty(tl, ours), penalty(torch, theirs), "penalty")
