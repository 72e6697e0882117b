"""Module hooks with PyTorch's semantics: forward pre-hooks and forward hooks (order, replaced args and
outputs, kwargs), full backward hooks and backward pre-hooks (grad_input / grad_output, replacements),
handle removal; then the same programs run with torch (marked `torch`)."""
import numpy as np
import pytest

import tinygrad_like as tl
from tinygrad_like import Tensor, nn, no_grad
from tinygrad_like.testing import assert_close


def leaf(array):
    return Tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


class Scale(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor


class Pair(nn.Module):
    """Two tensor inputs and a number; two outputs."""

    def forward(self, x, y, c=1.0):
        return x * y * c, y * 3


# ---- forward hooks ----------------------------------------------------------------------------------------
def test_no_hook_state_until_a_hook_is_registered():
    module = Scale(2.0)
    module(Tensor([1.0]))
    assert "_hooks" not in module.__dict__


def test_call_order_across_nested_modules():
    calls = []
    inner, outer = Scale(2.0), None
    outer = nn.Sequential(inner)
    for name, module in (("outer", outer), ("inner", inner)):
        module.register_forward_pre_hook(lambda m, args, name=name: calls.append(f"{name} pre"))
        module.register_forward_hook(lambda m, args, out, name=name: calls.append(f"{name} forward"))
    outer(Tensor([1.0]))
    assert calls == ["outer pre", "inner pre", "inner forward", "outer forward"]


def test_hooks_run_in_registration_order_unless_prepended():
    calls = []
    module = Scale(2.0)
    module.register_forward_hook(lambda m, a, o: calls.append("first"))
    module.register_forward_hook(lambda m, a, o: calls.append("second"))
    module.register_forward_hook(lambda m, a, o: calls.append("prepended"), prepend=True)
    module(Tensor([1.0]))
    assert calls == ["prepended", "first", "second"]


def test_pre_hooks_replace_the_arguments_one_after_another():
    module = Scale(2.0)
    seen = []
    module.register_forward_pre_hook(lambda m, args: (args[0] + 1,))  # a tuple
    module.register_forward_pre_hook(lambda m, args: args[0] * 10)  # one value: wrapped in a tuple
    module.register_forward_hook(lambda m, args, out: seen.append((args[0].tolist(), out.tolist())))
    assert module(Tensor([1.0])).tolist() == [40.0]
    assert seen == [([20.0], [40.0])]  # the forward hook sees the arguments forward got


def test_forward_hooks_replace_the_output_one_after_another():
    module = Scale(2.0)
    module.register_forward_hook(lambda m, args, out: out + 1)
    module.register_forward_hook(lambda m, args, out: None)  # keeps it
    module.register_forward_hook(lambda m, args, out: out * 10)
    assert module(Tensor([1.0])).tolist() == [30.0]


def test_hooks_with_kwargs():
    module, seen = Pair(), []

    def pre(m, args, kwargs):
        return args, {**kwargs, "c": 5.0}

    module.register_forward_pre_hook(pre, with_kwargs=True)
    module.register_forward_hook(lambda m, args, kwargs, out: seen.append(kwargs), with_kwargs=True)
    out, _ = module(Tensor([1.0]), Tensor([2.0]), c=1.0)
    assert out.tolist() == [10.0] and seen == [{"c": 5.0}]


def test_a_pre_hook_with_kwargs_must_return_a_pair():
    module = Scale(2.0)
    module.register_forward_pre_hook(lambda m, args, kwargs: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"tuple \(args, kwargs\)"):
        module(Tensor([1.0]))


def test_handles_remove_their_hook_only():
    module, calls = Scale(2.0), []
    first = module.register_forward_hook(lambda m, a, o: calls.append(1))
    module.register_forward_hook(lambda m, a, o: calls.append(2))
    with module.register_forward_pre_hook(lambda m, a: calls.append(0)):
        module(Tensor([1.0]))
    first.remove()
    first.remove()  # a second remove() is harmless
    module(Tensor([1.0]))
    assert calls == [0, 1, 2, 2]


def test_hooks_leave_parameters_and_state_dict_alone():
    layer = nn.Linear(3, 2)
    before = list(layer.state_dict())
    layer.register_forward_hook(lambda m, a, o: None)
    layer.register_full_backward_hook(lambda m, gi, go: None)
    assert list(layer.state_dict()) == before and len(list(layer.parameters())) == 2


# ---- backward hooks ---------------------------------------------------------------------------------------
def test_backward_hook_sees_grad_input_and_grad_output_of_a_linear_layer(rng):
    tl.manual_seed(0)
    layer = nn.Linear(3, 2).double()
    seen = []
    layer.register_full_backward_hook(lambda m, grad_input, grad_output: seen.append((m, grad_input, grad_output)))
    x = leaf(rng.standard_normal((4, 3)))
    upstream = rng.standard_normal((4, 2))
    layer(x).backward(Tensor(upstream))
    ((module, grad_input, grad_output),) = seen
    assert module is layer and len(grad_input) == 1 and len(grad_output) == 1
    assert_close(grad_output[0], upstream)
    assert_close(grad_input[0], upstream @ layer.weight.numpy())
    assert_close(x.grad, grad_input[0])


def test_backward_hook_replaces_grad_input(rng):
    layer = nn.Linear(3, 2).double()
    layer.register_full_backward_hook(lambda m, grad_input, grad_output: (grad_input[0] * 10,))
    x = leaf(rng.standard_normal((4, 3)))
    layer(x).sum().backward()
    assert_close(x.grad, 10 * np.ones((4, 2)) @ layer.weight.numpy())
    assert_close(layer.weight.grad, np.ones((2, 4)) @ x.numpy())  # the parameters' gradients are unchanged


def test_backward_pre_hook_runs_first_and_replaces_grad_output(rng):
    layer, calls = nn.Linear(3, 2).double(), []
    layer.register_full_backward_hook(lambda m, gi, go: calls.append(("hook", go[0].tolist())))

    def pre_hook(module, grad_output):
        calls.append(("pre", grad_output[0].tolist()))
        return (grad_output[0] * 2,)

    layer.register_full_backward_pre_hook(pre_hook)
    x = leaf(rng.standard_normal((1, 3)))
    layer(x).sum().backward()
    assert calls == [("pre", [[1.0, 1.0]]), ("hook", [[2.0, 2.0]])]
    assert_close(layer.weight.grad, 2 * np.ones((2, 1)) @ x.numpy())
    assert_close(x.grad, 2 * np.ones((1, 2)) @ layer.weight.numpy())


def test_backward_hook_entries_for_several_inputs_and_outputs():
    module, seen = Pair(), []
    module.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    x, y = leaf([1.0, 2.0]), Tensor([3.0, 4.0], dtype=np.float64)  # y does not require grad
    out, other = module(x, y, 2.0)
    out.sum().backward()
    ((grad_input, grad_output),) = seen
    assert len(grad_input) == 3 and grad_input[2] is None  # one entry per positional argument
    assert_close(grad_input[0], [6.0, 8.0])
    assert_close(grad_input[1], [0.0, 0.0])  # an input not requiring grad gets zeros
    assert_close(grad_output[0], [1.0, 1.0]) and grad_output[1] is None  # an output without gradient: None


def test_backward_hook_when_no_input_requires_grad():
    layer, seen = nn.Linear(2, 1).double(), []
    layer.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    layer(Tensor(np.ones((1, 2)))).sum().backward()
    ((grad_input, grad_output),) = seen
    assert grad_input == (None,)
    assert_close(grad_output[0], [[1.0]])
    assert layer.weight.grad is not None


def test_backward_hook_that_returns_a_gradient_nobody_can_take():
    layer = nn.Linear(2, 1).double()
    layer.register_full_backward_hook(lambda m, gi, go: (tl.ones(1, 2),))
    with pytest.raises(RuntimeError, match="must return None"):
        layer(Tensor(np.ones((1, 2)))).sum().backward()


def test_backward_hook_returning_the_wrong_number_of_gradients():
    layer = nn.Linear(2, 1).double()
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="returned 2 entries for grad_input; return 1"):
        layer(leaf(np.ones((1, 2)))).sum().backward()


def test_backward_hooks_in_a_sequential_run_from_the_output_back(rng):
    first, second, calls = nn.Linear(3, 3).double(), nn.Linear(3, 1).double(), []
    model = nn.Sequential(first, nn.Tanh(), second)
    for name, module in (("first", first), ("second", second), ("model", model)):
        module.register_full_backward_hook(lambda m, gi, go, name=name: calls.append(name))
    model(leaf(rng.standard_normal((2, 3)))).sum().backward()
    assert calls == ["second", "first", "model"]


def test_no_backward_hook_without_a_graph(rng):
    layer, calls = nn.Linear(3, 1).double(), []
    layer.register_full_backward_hook(lambda m, gi, go: calls.append(1))
    with no_grad():
        out = layer(leaf(rng.standard_normal((2, 3))))
    assert not out.requires_grad and calls == []


def test_removed_backward_hook_is_not_called(rng):
    layer, calls = nn.Linear(3, 1).double(), []
    handle = layer.register_full_backward_hook(lambda m, gi, go: calls.append(1))
    handle.remove()
    x = leaf(rng.standard_normal((2, 3)))
    layer(x).sum().backward()
    assert calls == [] and x.grad is not None


def test_gradients_through_a_hooked_module_are_unchanged(rng):
    x = rng.standard_normal((4, 3))
    tl.manual_seed(1)
    plain = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    tl.manual_seed(1)
    hooked = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    for module in hooked.modules():
        module.register_full_backward_hook(lambda m, gi, go: None)
        module.register_full_backward_pre_hook(lambda m, go: None)
    grads = []
    for model in (plain, hooked):
        inputs = leaf(x)
        (model(inputs) ** 2).sum().backward()
        grads.append([inputs.grad.numpy()] + [p.grad.numpy() for p in model.parameters()])
    for a, b in zip(*grads):
        assert_close(a, b)


def test_an_in_place_change_of_a_hooked_input_is_refused(rng):
    relu = nn.ReLU(inplace=True)
    relu.register_full_backward_hook(lambda m, gi, go: None)
    with pytest.raises(RuntimeError, match="view"):
        relu(leaf(rng.standard_normal(3)) * 1)


# ---- against torch ----------------------------------------------------------------------------------------
def hooked_program(lib):
    """A two-layer model whose hooks log what they see and change some of it; the log and the gradients."""
    nn_ = lib.nn
    log = []
    lib.manual_seed(0)
    first, second = nn_.Linear(3, 4).double(), nn_.Linear(4, 2).double()
    model = nn_.Sequential(first, nn_.Tanh(), second)
    with lib.no_grad():
        for i, p in enumerate(model.parameters()):  # the same weights in both libraries
            p.copy_(lib.tensor(np.cos(np.arange(p.numel()) + i).reshape(tuple(p.shape))))

    def values(items):
        return [None if t is None else np.round(t.detach().numpy(), 12).tolist() for t in items]

    first.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    first.register_forward_hook(lambda m, args, out: log.append(("first forward", values(args), values([out]))))
    second.register_forward_hook(lambda m, args, out: out + 1)
    model.register_forward_hook(lambda m, args, out: log.append(("model forward", values([out]))))
    second.register_full_backward_pre_hook(lambda m, go: (go[0] * 3,))
    second.register_full_backward_hook(lambda m, gi, go: log.append(("second backward", values(gi), values(go))))
    first.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0.5,))
    model.register_full_backward_hook(lambda m, gi, go: log.append(("model backward", values(gi), values(go))))
    x = lib.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    (model(x) ** 2).sum().backward()
    return log, [values([x.grad])] + [values([p.grad]) for p in model.parameters()]


@pytest.mark.torch
def test_same_hook_calls_and_gradients_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = hooked_program(tl), hooked_program(torch)
    assert [entry[0] for entry in ours[0]] == [entry[0] for entry in theirs[0]]
    for a, b in zip(ours[0], theirs[0]):
        for x, y in zip(a[1:], b[1:]):
            np.testing.assert_allclose(np.array(x, dtype=float), np.array(y, dtype=float), rtol=1e-12, err_msg=a[0])
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(np.array(a, dtype=float), np.array(b, dtype=float), rtol=1e-12)


@pytest.mark.torch
def test_same_grad_input_entries_as_torch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tl, torch):

        class PairModule(lib.nn.Module):
            def forward(self, x, y, c=1.0):
                return x * y * c, y * 3

        module, seen = PairModule(), []
        module.register_full_backward_hook(lambda m, gi, go: seen.append(
            [None if g is None else g.tolist() for g in gi + go]))
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        out, _ = module(x, lib.tensor([3.0, 4.0], dtype=lib.float64), 2.0)
        out.sum().backward()
        results.append(seen)
    assert results[0] == results[1]
