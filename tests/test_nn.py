"""nn: Module registration and traversal, state dicts, containers, layers, init, and gradchecks.

Expected values come from numpy formulas written here (PyTorch's semantics), never from our own output.
"""
import math
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Tensor, gradcheck, nn
from tinygrad_like.nn import functional as F
from tinygrad_like.nn import init
from tinygrad_like.testing import arrays, assert_close, tensors


# ---- helpers --------------------------------------------------------------------------------------
def call_with_parameters(module, x, params):
    """module(x) computed with `params` standing in for its parameters (named_parameters order).

    gradcheck hands its function fresh leaves (and perturbed copies), so a module's own Parameters
    must be swapped out for them; the swap writes the instance attributes that forward() reads and
    leaves the registries alone, and is undone afterwards.
    """
    swapped = []
    for (name, _), value in zip(module.named_parameters(), params):
        *path, attribute = name.split(".")
        owner = module
        for part in path:
            owner = getattr(owner, part)
        swapped.append((owner, attribute, owner.__dict__[attribute]))
        owner.__dict__[attribute] = value
    try:
        return module(x)
    finally:
        for owner, attribute, original in reversed(swapped):
            owner.__dict__[attribute] = original


def gradcheck_module(module, x):
    """gradcheck of module(x) with respect to the input and every parameter (module in float64)."""
    params = [Tensor(p.numpy(), requires_grad=True) for p in module.parameters()]
    return gradcheck(lambda x, *ps: call_with_parameters(module, x, ps), x, *params)


class TwoLayers(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Linear(3, 4)
        self.layers = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 2)])
        self.scale = nn.Parameter(np.ones(2, dtype=np.float32))

    def forward(self, x):
        x = self.first(x).relu()
        for layer in self.layers:
            x = layer(x)
        return x * self.scale


# ---- Module: registration -------------------------------------------------------------------------
def test_attribute_assignment_registers_parameters_and_modules_but_not_plain_tensors():
    model = TwoLayers()
    model.constant = Tensor([1.0, 2.0])  # a plain Tensor is not a parameter
    model.note = "text"
    names = [name for name, _ in model.named_parameters()]
    assert names == ["scale", "first.weight", "first.bias", "layers.0.weight", "layers.0.bias",
                     "layers.1.weight", "layers.1.bias"]
    assert [name for name, _ in model.named_children()] == ["first", "layers"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())


def test_a_plain_python_list_of_modules_is_not_registered_but_a_module_list_is():
    class Holder(nn.Module):
        def __init__(self, wrap):
            super().__init__()
            layers = [nn.Linear(2, 2), nn.Linear(2, 2)]
            self.layers = nn.ModuleList(layers) if wrap else layers

    assert len(list(Holder(wrap=False).parameters())) == 0
    assert len(list(Holder(wrap=True).parameters())) == 4


def test_reassigning_an_attribute_keeps_its_position_and_replaces_the_object():
    model = TwoLayers()
    new_first = nn.Linear(3, 4)
    model.first = new_first
    model.scale = nn.Parameter(np.full(2, 3.0, dtype=np.float32))
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["scale", "first.weight", "first.bias"]
    assert model.first is new_first
    assert dict(model.named_parameters())["first.weight"] is new_first.weight
    np.testing.assert_array_equal(dict(model.named_parameters())["scale"].numpy(), [3.0, 3.0])


def test_deleting_or_setting_to_none_unregisters():
    model = TwoLayers()
    del model.first
    model.scale = None
    assert [name for name, _ in model.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    assert [name for name, _ in model.named_children()] == ["layers"]


def test_overwriting_a_parameter_with_a_plain_value_is_an_error_as_in_pytorch():
    model = TwoLayers()
    with pytest.raises(TypeError, match=r"cannot assign a float to parameter 'scale'.*Parameter or None"):
        model.scale = 2.0
    assert "scale" in dict(model.named_parameters())


def test_assigning_before_super_init_is_a_clear_error():
    class Forgetful(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(np.zeros(2))

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\).*super\(\).__init__\(\).*Forgetful"):
        Forgetful()


def test_forward_must_be_defined():
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="NoForward must define forward"):
        NoForward()(Tensor([1.0]))


def test_named_parameters_use_pytorch_dotted_names_for_sequential():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1, bias=False))
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight"]
    assert [p.shape for p in model.parameters()] == [(3, 2), (3,), (1, 3)]
    assert [name for name, _ in model.named_parameters(prefix="net")] == ["net.0.weight", "net.0.bias",
                                                                          "net.2.weight"]
    assert list(model.parameters(recurse=False)) == []


def test_shared_parameters_and_modules_are_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.modules())) == 3  # the Sequential, the Linear once, the Tanh
    # like PyTorch, the state dict names every path to a shared tensor
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]

    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder, self.decoder = nn.Linear(3, 3), nn.Linear(3, 3)
            self.decoder.weight = self.encoder.weight

    assert [name for name, _ in Tied().named_parameters()] == ["encoder.weight", "encoder.bias", "decoder.bias"]


def test_children_and_modules():
    inner = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid())
    outer = nn.Sequential(nn.Linear(2, 2), inner)
    assert list(outer.children()) == [outer[0], inner]
    assert list(outer.modules()) == [outer, outer[0], inner, inner[0], inner[1]]
    assert [name for name, _ in outer.named_modules()] == ["", "0", "1", "1.0", "1.1"]


def test_train_and_eval_set_the_flag_recursively_and_return_self():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5), nn.ReLU()))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    assert model.train() is model
    assert all(m.training for m in model.modules())
    model[1].train(False)
    assert [m.training for m in model.modules()] == [True, True, False, False, False]


def _backward_once(model):
    model(Tensor(np.ones((2, 3), dtype=np.float32))).sum().backward()


def test_module_zero_grad_set_to_none():
    model = TwoLayers()
    _backward_once(model)
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_module_zero_grad_keeping_zero_arrays():
    model = TwoLayers()
    _backward_once(model)
    model.zero_grad(set_to_none=False)
    for p in model.parameters():
        assert p.grad is not None and p.grad.shape == p.shape and p.grad.dtype == p.dtype
        assert not np.any(p.grad.numpy())


# ---- Module: state dicts --------------------------------------------------------------------------
def test_state_dict_holds_detached_values_of_parameters_and_persistent_buffers():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    model[0].register_buffer("running_mean", Tensor(np.zeros(3, dtype=np.float32)))
    model[2].register_buffer("cache", Tensor(np.ones(1, dtype=np.float32)), persistent=False)
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "0.running_mean", "2.weight", "2.bias"]
    assert not any(t.requires_grad for t in state.values())
    np.testing.assert_array_equal(state["0.weight"].numpy(), model[0].weight.numpy())
    assert [name for name, _ in model.named_buffers()] == ["0.running_mean", "2.cache"]
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_register_buffer_rules():
    module = nn.Identity()
    module.register_buffer("counter", Tensor(np.array([0], dtype=np.int64)))
    module.counter = Tensor(np.array([5], dtype=np.int64))  # reassigning keeps it a buffer
    assert [name for name, _ in module.named_buffers()] == ["counter"]
    np.testing.assert_array_equal(module.state_dict()["counter"].numpy(), [5])
    with pytest.raises(TypeError, match="buffer 'counter' must be a Tensor or None, got list"):
        module.counter = [1]
    with pytest.raises(TypeError, match=r"register_buffer\('b'\): expected a Tensor or None, got ndarray"):
        module.register_buffer("b", np.zeros(2))


def test_load_state_dict_copies_values_into_a_fresh_model():
    tl.manual_seed(1)
    source = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    target = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = Tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    assert not np.array_equal(source(x).numpy(), target(x).numpy())
    result = target.load_state_dict(source.state_dict())
    assert result == ([], []) and result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(target(x).numpy(), source(x).numpy())
    # a copy: changing the source afterwards leaves the target alone
    source[0].weight.data += 1
    assert not np.array_equal(target[0].weight.numpy(), source[0].weight.numpy())


def test_load_state_dict_accepts_numpy_arrays_and_keeps_the_model_dtype():
    model = nn.Linear(2, 2)
    weight = np.arange(4.0).reshape(2, 2)  # float64 values into a float32 model
    model.load_state_dict({"weight": weight, "bias": np.array([1.0, -1.0])})
    assert model.weight.dtype == np.float32 and model.bias.dtype == np.float32
    np.testing.assert_array_equal(model.weight.numpy(), weight.astype(np.float32))


def test_load_state_dict_strict_reports_missing_and_unexpected_keys():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    state = dict(model.state_dict())
    del state["2.bias"]
    state["3.weight"] = np.zeros((1, 1), dtype=np.float32)
    with pytest.raises(RuntimeError) as caught:
        model.load_state_dict(state)
    message = str(caught.value)
    assert "missing keys: ['2.bias']" in message
    assert "unexpected keys: ['3.weight']" in message
    assert "strict=False" in message


def test_load_state_dict_non_strict_returns_the_key_lists_and_loads_the_rest():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    old_bias = model[2].bias.numpy().copy()
    state = {"0.weight": np.full((2, 2), 7.0), "0.bias": np.full(2, 8.0), "2.weight": np.full((1, 2), 9.0),
             "extra": np.zeros(3)}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert missing == ["2.bias"] and unexpected == ["extra"]
    np.testing.assert_array_equal(model[0].weight.numpy(), np.full((2, 2), 7.0))
    np.testing.assert_array_equal(model[0].bias.numpy(), np.full(2, 8.0))
    np.testing.assert_array_equal(model[2].weight.numpy(), np.full((1, 2), 9.0))
    np.testing.assert_array_equal(model[2].bias.numpy(), old_bias)


@pytest.mark.parametrize("strict", [True, False])
def test_load_state_dict_shape_mismatch_names_the_key_and_both_shapes(strict):
    model = nn.Sequential(nn.Linear(3, 2))
    original = model[0].weight.numpy().copy()
    state = {"0.weight": np.zeros((2, 4), dtype=np.float32), "0.bias": np.zeros(2, dtype=np.float32)}
    with pytest.raises(RuntimeError, match=r"size mismatch for 0\.weight: checkpoint has shape \(2, 4\), "
                                       r"the model has \(2, 3\)"):
        model.load_state_dict(state, strict=strict)
    np.testing.assert_array_equal(model[0].weight.numpy(), original)  # nothing half-loaded


# ---- Module: repr ---------------------------------------------------------------------------------
def test_repr_of_a_small_sequential_is_pytorchs_text():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1, bias=False), nn.Sigmoid())
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Linear(in_features=4, out_features=1, bias=False)\n"
        "  (3): Sigmoid()\n"
        ")")


def test_repr_of_nested_containers_indents_each_level():
    model = nn.Sequential(nn.Flatten(), nn.Sequential(nn.Dropout(0.25), nn.Softmax(dim=1)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Flatten(start_dim=1, end_dim=-1)\n"
        "  (1): Sequential(\n"
        "    (0): Dropout(p=0.25, inplace=False)\n"
        "    (1): Softmax(dim=1)\n"
        "  )\n"
        ")")


def test_repr_of_a_module_with_extra_repr_and_children_follows_pytorch():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Embedding(5, 2)

        def extra_repr(self):
            return "scale=2"

    # PyTorch puts the extra_repr on its own line above the children
    assert repr(Scaled()) == "Scaled(\n  scale=2\n  (inner): Embedding(5, 2)\n)"


# ---- Module: dtype conversion ---------------------------------------------------------------------
def test_to_double_and_float_convert_parameters_and_grads_in_place():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    model[0].register_buffer("steps", Tensor(np.array([3], dtype=np.int64)))
    model[0].register_buffer("stats", Tensor(np.zeros(3, dtype=np.float32)))
    _ = model(Tensor(np.ones((1, 2), dtype=np.float32))).sum().backward()
    params = list(model.parameters())
    values = [p.numpy().copy() for p in params]
    assert model.double() is model
    assert list(model.parameters()) == params  # the same Parameter objects
    for p, value in zip(params, values):
        assert p.dtype == np.float64 and p.grad.dtype == np.float64
        np.testing.assert_array_equal(p.numpy(), value.astype(np.float64))
    assert model[0].stats.dtype == np.float64
    assert model[0].steps.dtype == np.int64  # integer buffers are not floating point: untouched
    out = model(Tensor(np.ones((1, 2))))
    assert out.dtype == np.float64
    model.float()
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in params)
    model.to(np.float64)
    assert all(p.dtype == np.float64 for p in params)


# ---- Sequential and ModuleList --------------------------------------------------------------------
def test_sequential_indexing_slicing_len_iteration():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid()]
    model = nn.Sequential(*layers)
    assert len(model) == 4
    assert model[0] is layers[0] and model[-1] is layers[3] and model[-2] is layers[2]
    assert list(model) == layers
    head = model[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    tail = model[2:]
    assert [name for name, _ in tail.named_parameters()] == ["2.weight", "2.bias"]  # names kept, as in PyTorch
    x = Tensor(np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32))
    np.testing.assert_array_equal(tail(head(x)).numpy(), model(x).numpy())
    with pytest.raises(IndexError):
        model[4]


def test_sequential_forward_applies_the_modules_in_order():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    w, b = model[0].weight.numpy(), model[0].bias.numpy()
    x = np.array([[1.0, -2.0], [0.5, 0.25]], dtype=np.float32)
    np.testing.assert_allclose(model(Tensor(x)).numpy(), np.maximum(x @ w.T + b, 0), rtol=1e-6)


def test_sequential_append_and_add_module_take_part_in_forward():
    model = nn.Sequential(nn.Identity())
    assert model.append(nn.ReLU()) is model
    model.add_module("negate", nn.Linear(1, 1, bias=False))
    model.negate.weight.numpy()[...] = -1
    assert len(model) == 3 and list(model)[-1] is model.negate
    np.testing.assert_array_equal(model(Tensor([[-2.0], [3.0]])).numpy(), [[0.0], [-3.0]])
    assert [name for name, _ in model.named_parameters()] == ["negate.weight"]


def test_sequential_from_an_ordered_dict_uses_its_names():
    model = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 3)), ("act", nn.Tanh()), ("out", nn.Linear(3, 1))]))
    assert [name for name, _ in model.named_parameters()] == ["hidden.weight", "hidden.bias", "out.weight",
                                                              "out.bias"]
    assert model[1] is model.act and len(model) == 3


def test_module_list_indexing_slicing_setitem_and_registration():
    layers = [nn.Linear(1, 1) for _ in range(3)]
    items = nn.ModuleList(layers[:2])
    assert items.append(layers[2]) is items
    assert len(items) == 3 and list(items) == layers
    assert items[-1] is layers[2]
    part = items[1:]
    assert isinstance(part, nn.ModuleList) and list(part) == layers[1:]
    assert [name for name, _ in part.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    replacement = nn.Linear(1, 1)
    items[0] = replacement
    assert [name for name, _ in items.named_parameters()][:2] == ["0.weight", "0.bias"]
    assert items[0] is replacement and dict(items.named_parameters())["0.weight"] is replacement.weight
    items.extend([nn.Tanh()])
    assert len(items) == 4 and [name for name, _ in items.named_children()] == ["0", "1", "2", "3"]


# ---- Linear ---------------------------------------------------------------------------------------
def test_linear_layout_and_bias_false():
    layer = nn.Linear(5, 3)
    assert layer.weight.shape == (3, 5) and layer.bias.shape == (3,)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    assert isinstance(layer.weight, nn.Parameter)
    no_bias = nn.Linear(5, 3, bias=False)
    assert no_bias.bias is None
    assert [name for name, _ in no_bias.named_parameters()] == ["weight"]
    assert list(no_bias.state_dict()) == ["weight"]
    assert nn.Linear(2, 2, dtype=np.float64).weight.dtype == np.float64


def test_linear_default_init_is_uniform_within_one_over_sqrt_in_features():
    tl.manual_seed(0)
    layer = nn.Linear(400, 1000)
    bound = 1 / math.sqrt(400)
    for values, closeness in ((layer.weight.numpy().ravel(), 0.999), (layer.bias.numpy(), 0.98)):
        assert np.all(np.abs(values) <= bound)
        assert values.max() > closeness * bound and values.min() < -closeness * bound
        assert abs(values.mean()) < 0.05 * bound
    weights = layer.weight.numpy().ravel()  # 400,000 draws: a uniform distribution has std bound/sqrt(3)
    assert abs(weights.std() / (bound / math.sqrt(3)) - 1) < 0.01
    counts, _ = np.histogram(weights, bins=10, range=(-bound, bound))
    np.testing.assert_allclose(counts / weights.size, 0.1, atol=0.003)  # about 20 standard errors
    biases = layer.bias.numpy()
    assert abs(biases.std() / (bound / math.sqrt(3)) - 1) < 0.1


@given(st.sampled_from([(), (4,), (2, 3)]), st.integers(1, 4), st.integers(1, 4), st.booleans(),
       st.randoms(use_true_random=False))
def test_linear_forward_is_x_times_weight_transposed_plus_bias(batch, in_features, out_features, bias, random):
    tl.manual_seed(random.randint(0, 1000))
    layer = nn.Linear(in_features, out_features, bias=bias)
    x = np.random.default_rng(random.randint(0, 1000)).standard_normal(batch + (in_features,)).astype(np.float32)
    expected = x @ layer.weight.numpy().T + (layer.bias.numpy() if bias else 0)
    out = layer(Tensor(x))
    assert out.shape == batch + (out_features,) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_linear_backward_matches_the_matrix_formulas():
    rng = np.random.default_rng(3)
    layer = nn.Linear(3, 2).double()
    x = Tensor(rng.standard_normal((2, 4, 3)), requires_grad=True)
    upstream = rng.standard_normal((2, 4, 2))
    layer(x).backward(upstream)
    w = layer.weight.numpy()
    np.testing.assert_allclose(x.grad.numpy(), upstream @ w)
    np.testing.assert_allclose(layer.weight.grad.numpy(), np.einsum("bno,bni->oi", upstream, x.numpy()))
    np.testing.assert_allclose(layer.bias.grad.numpy(), upstream.sum(axis=(0, 1)))


@pytest.mark.parametrize("batch", [1, 7])
def test_linear_weight_gradient_has_the_weights_memory_layout_whichever_it_is(batch):
    # The default weight is column-major (weight.T contiguous: the fast product); a user may assign a
    # row-major one. Either way the gradient matches it, so the optimizer's in-place update is contiguous.
    layer = nn.Linear(6, 4).double()
    assert layer.weight.numpy().T.flags.c_contiguous
    rng = np.random.default_rng(0)
    x, upstream = rng.standard_normal((batch, 6)), rng.standard_normal((batch, 4))
    for weight in (layer.weight.numpy(), np.ascontiguousarray(layer.weight.numpy())):
        layer.weight.data = weight
        layer.weight.grad = None
        layer(Tensor(x)).backward(upstream)
        grad = layer.weight.grad.numpy()
        assert grad.flags.f_contiguous == weight.flags.f_contiguous and grad.flags.c_contiguous == weight.flags.c_contiguous
        np.testing.assert_allclose(grad, upstream.T @ x)


def test_load_state_dict_and_dtype_conversion_keep_a_linear_weights_layout():
    layer = nn.Linear(5, 3)
    source = nn.Linear(5, 3)
    layer.load_state_dict({k: np.ascontiguousarray(v) for k, v in source.state_dict().items()})
    np.testing.assert_array_equal(layer.weight.numpy(), source.weight.numpy())
    assert layer.weight.numpy().T.flags.c_contiguous
    assert layer.double().weight.numpy().T.flags.c_contiguous


def test_linear_rejects_a_wrong_input_size_naming_the_shapes():
    layer = nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"input of shape \(5, 4\) does not fit a weight of shape \(2, 3\).*size 3"):
        layer(Tensor(np.zeros((5, 4), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"input of shape \(\)"):
        layer(Tensor(np.float32(1.0)))


def test_linear_rejects_a_dtype_mismatch_naming_the_dtypes():
    layer = nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r"input is float64 but the weight is float32.*double\(\)"):
        layer(Tensor(np.zeros((1, 3))))
    with pytest.raises(TypeError, match=r"input is int64 but the weight is float32"):
        layer(Tensor(np.array([[1, 2, 3]])))


@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.booleans(), st.data())
def test_linear_gradcheck(batch, in_features, out_features, bias, data):
    layer = nn.Linear(in_features, out_features, bias=bias).double()
    x = data.draw(tensors((batch, in_features)))
    assert gradcheck_module(layer, x)


# ---- activations and shape layers -----------------------------------------------------------------
def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("layer, formula", [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), np.tanh),
    (nn.Softmax(dim=0), lambda x: _softmax(x, 0)),
    (nn.Softmax(dim=-1), lambda x: _softmax(x, -1)),
    (nn.LogSoftmax(dim=1), lambda x: np.log(_softmax(x, 1))),
    (nn.LogSoftmax(dim=0), lambda x: np.log(_softmax(x, 0))),
    (nn.Identity(), lambda x: x),
], ids=["relu", "sigmoid", "tanh", "softmax0", "softmax-1", "logsoftmax1", "logsoftmax0", "identity"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_values(layer, formula, dtype):
    x = np.random.default_rng(5).standard_normal((3, 4, 2)) * 3
    out = layer(Tensor(x.astype(dtype)))
    assert out.dtype == dtype and out.shape == x.shape
    np.testing.assert_allclose(out.numpy(), formula(x), rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)


def test_softmax_of_large_logits_is_finite():
    out = nn.Softmax(dim=-1)(Tensor(np.array([[1e4, 0.0, -1e4]], dtype=np.float32)))
    np.testing.assert_array_equal(out.numpy(), [[1.0, 0.0, 0.0]])
    log = nn.LogSoftmax(dim=-1)(Tensor(np.array([[1e4, 0.0]], dtype=np.float32)))
    np.testing.assert_array_equal(log.numpy(), [[0.0, -1e4]])


@pytest.mark.parametrize("start, end, shape", [(1, -1, (2, 60)), (0, -1, (120,)), (1, 2, (2, 12, 5)),
                                               (0, 1, (6, 4, 5)), (-2, -1, (2, 3, 20)), (2, 2, (2, 3, 4, 5))])
def test_flatten_start_and_end_dims(start, end, shape):
    x = np.arange(120.0).reshape(2, 3, 4, 5)
    layer = nn.Flatten(start, end)
    out = layer(Tensor(x))
    assert out.shape == shape
    np.testing.assert_array_equal(out.numpy(), x.reshape(shape))
    assert nn.Flatten()(Tensor(x)).shape == (2, 60)  # PyTorch's default keeps the batch axis


def _away_from_zero(a, gap=1e-2):
    """Shift values away from ReLU's kink at 0 (central differences straddling it are wrong)."""
    return np.where(a >= 0, a + gap, a - gap)


@given(st.sampled_from(["relu", "sigmoid", "tanh", "softmax", "log_softmax", "flatten", "identity"]),
       st.data())
def test_activation_and_shape_layers_gradcheck(name, data):
    x = data.draw(arrays(min_dims=2, max_dims=3))
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    layer = {"relu": nn.ReLU(), "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "softmax": nn.Softmax(dim),
             "log_softmax": nn.LogSoftmax(dim), "flatten": nn.Flatten(0, dim), "identity": nn.Identity()}[name]
    if name == "relu":
        x = _away_from_zero(x)
    assert gradcheck(layer, Tensor(x, requires_grad=True))


@given(st.integers(1, 3), st.sampled_from([2, 3]), st.sampled_from(["tanh", "relu", "sigmoid"]), st.data())
def test_small_sequential_model_gradcheck_in_float64(batch, hidden, activation, data):
    tl.manual_seed(data.draw(st.integers(0, 100)))
    act = {"tanh": nn.Tanh(), "relu": nn.ReLU(), "sigmoid": nn.Sigmoid()}[activation]
    model = nn.Sequential(nn.Linear(3, hidden), act, nn.Linear(hidden, 2), nn.LogSoftmax(dim=1)).double()
    x = data.draw(tensors((batch, 3)))
    if activation == "relu":  # keep the hidden pre-activations away from the kink
        pre = model[0](Tensor(x.numpy())).numpy()
        assume(np.all(np.abs(pre) > 1e-3))
    assert gradcheck_module(model, x)


# ---- Dropout --------------------------------------------------------------------------------------
def test_dropout_in_eval_mode_is_the_identity():
    layer = nn.Dropout(0.7).eval()
    x = Tensor(np.random.default_rng(0).standard_normal((50, 50)).astype(np.float32))
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_zeros_a_fraction_p_and_scales_the_rest_by_exactly_one_over_one_minus_p(p, dtype):
    tl.manual_seed(42)
    n = 200_000
    x = np.random.default_rng(1).uniform(1, 2, n).astype(dtype)  # no zeros in the input
    out = nn.Dropout(p)(Tensor(x))
    assert out.dtype == dtype and out.shape == x.shape
    dropped = out.numpy() == 0
    # the dropped fraction is a binomial proportion: allow 6 standard errors
    assert abs(dropped.mean() - p) < 6 * math.sqrt(p * (1 - p) / n)
    kept = ~dropped
    np.testing.assert_array_equal(out.numpy()[kept], x[kept] * dtype(1 / (1 - p)))


@pytest.mark.parametrize("p", [0.5, 0.25, 2 ** -12, 1 / 3, 0.9, 1e-6])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_mask_drops_a_fraction_p_whether_p_takes_8_16_or_32_bits(p, dtype):
    from tinygrad_like.random import dropout_mask
    tl.manual_seed(5)
    n = 1_000_000
    mask = dropout_mask((1000, n // 1000), p, dtype)
    assert mask.dtype == dtype and mask.shape == (1000, n // 1000)
    assert set(np.unique(mask)) <= {0, dtype(1 / (1 - p))}
    for part in (mask, mask[:500], mask[500:]):  # the whole mask and each half: fresh bits everywhere
        dropped = part == 0
        assert abs(dropped.mean() - p) < 6 * math.sqrt(p * (1 - p) / part.size)


def test_dropout_rejects_integer_input_instead_of_scaling_by_a_truncated_factor():
    with pytest.raises(TypeError, match="dropout: the input must be floating point, got int64"):
        nn.Dropout(0.1)(Tensor(np.arange(10)))


def test_dropout_edge_cases_p_zero_and_p_one():
    x = Tensor(np.random.default_rng(0).standard_normal(1000), requires_grad=True)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).numpy(), x.numpy())
    out = nn.Dropout(1.0)(x)
    np.testing.assert_array_equal(out.numpy(), np.zeros(1000))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(1000))  # zeros, not NaN from 1/(1-p)
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="p must be in \\[0, 1\\]"):
            nn.Dropout(bad)


def test_dropout_is_reproducible_under_manual_seed():
    x = Tensor(np.ones(500, dtype=np.float32))
    layer = nn.Dropout(0.5)
    tl.manual_seed(7)
    first, second = layer(x).numpy(), layer(x).numpy()
    assert not np.array_equal(first, second)  # a fresh mask each call
    tl.manual_seed(7)
    np.testing.assert_array_equal(layer(x).numpy(), first)
    np.testing.assert_array_equal(layer(x).numpy(), second)


def test_dropout_gradient_flows_only_through_kept_elements():
    tl.manual_seed(3)
    x = Tensor(np.random.default_rng(2).uniform(1, 2, (40, 30)), requires_grad=True)
    out = nn.Dropout(0.4)(x)
    upstream = np.random.default_rng(4).standard_normal(x.shape)
    out.backward(upstream)
    kept = out.numpy() != 0
    np.testing.assert_array_equal(x.grad.numpy()[~kept], 0)
    np.testing.assert_allclose(x.grad.numpy()[kept], upstream[kept] / 0.6, rtol=1e-15)


@given(st.sampled_from([0.2, 0.5]), st.integers(0, 1000), st.data())
def test_dropout_gradcheck_with_a_fixed_mask(p, seed, data):
    layer = nn.Dropout(p)
    x = data.draw(tensors(min_dims=1, max_dims=3))

    def fn(x):
        tl.manual_seed(seed)  # the same mask at every evaluation
        return layer(x)

    assert gradcheck(fn, x)


# ---- Embedding ------------------------------------------------------------------------------------
def test_embedding_looks_up_rows():
    tl.manual_seed(0)
    table = nn.Embedding(6, 3)
    assert table.weight.shape == (6, 3) and table.weight.dtype == np.float32
    indices = np.array([[0, 5, 2], [2, 2, 1]])
    out = table(Tensor(indices))
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.numpy(), table.weight.numpy()[indices])
    np.testing.assert_array_equal(table([4]).numpy(), table.weight.numpy()[[4]])


def test_embedding_gradient_accumulates_over_repeated_indices():
    table = nn.Embedding(5, 2).double()
    indices = np.array([1, 3, 1, 1, 0])
    upstream = np.random.default_rng(0).standard_normal((5, 2))
    table(indices).backward(upstream)
    expected = np.zeros((5, 2))
    for row, index in enumerate(indices):
        expected[index] += upstream[row]
    np.testing.assert_allclose(table.weight.grad.numpy(), expected, rtol=1e-15)
    np.testing.assert_array_equal(table.weight.grad.numpy()[[2, 4]], 0)


def test_embedding_rejects_bad_indices():
    table = nn.Embedding(4, 2)
    with pytest.raises(IndexError, match=r"indices must lie in \[0, 4\), got values from 0 to 4"):
        table(np.array([0, 4]))
    with pytest.raises(IndexError, match=r"got values from -1 to 2"):
        table(np.array([2, -1]))
    with pytest.raises(TypeError, match="indices must be integers, got float64"):
        table(np.array([0.0, 1.0]))
    with pytest.raises(TypeError, match="indices must be integers, got float32"):
        table(Tensor([1.0]))


@given(st.integers(2, 5), st.integers(1, 3), st.data())
def test_embedding_gradcheck(num, dim, data):
    indices = np.array(data.draw(st.lists(st.integers(0, num - 1), min_size=1, max_size=6)))  # repeats likely
    weight = data.draw(tensors((num, dim)))
    assert gradcheck(lambda w: F.embedding(indices, w), weight)


# ---- nn.init --------------------------------------------------------------------------------------
def test_calculate_gain_table():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3, rel=1e-15)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2), rel=1e-15)
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)), rel=1e-15)
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04), rel=1e-15)
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


def _big(shape=(300, 200)):
    return Tensor(np.zeros(shape))


def _assert_uniform(values, bound):
    # the exact bound: nothing beyond it, and (with >= 25,000 draws) the extremes within 0.1% of it
    assert np.all(np.abs(values) <= bound)
    assert values.max() > 0.999 * bound and values.min() < -0.999 * bound
    assert abs(values.std() / (bound / math.sqrt(3)) - 1) < 0.02


def _assert_normal(values, std):
    assert abs(values.mean()) < 0.02 * std
    assert abs(values.std() / std - 1) < 0.02
    assert abs(np.mean(np.abs(values) > 2 * std) - 0.0455) < 0.005  # a normal's two-sigma tail mass


def test_uniform_normal_constant_zeros_ones():
    t = _big()
    assert init.uniform_(t, -2.0, 3.0) is t
    assert t.numpy().min() >= -2 and t.numpy().max() < 3 and abs(t.numpy().mean() - 0.5) < 0.03
    init.normal_(t, 1.5, 0.5)
    assert abs(t.numpy().mean() - 1.5) < 0.01 and abs(t.numpy().std() / 0.5 - 1) < 0.02
    np.testing.assert_array_equal(init.constant_(t, 0.25).numpy(), 0.25)
    np.testing.assert_array_equal(init.zeros_(t).numpy(), 0)
    np.testing.assert_array_equal(init.ones_(t).numpy(), 1)


def test_initialisers_write_in_place_and_keep_the_dtype():
    layer = nn.Linear(4, 3)
    data = layer.weight.numpy()
    init.xavier_normal_(layer.weight)
    assert layer.weight.numpy() is data and data.dtype == np.float32


@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_xavier_glorot_bounds_and_std(gain):
    t = _big((300, 200))  # fan_out 300, fan_in 200
    init.xavier_uniform_(t, gain=gain)
    _assert_uniform(t.numpy().ravel(), gain * math.sqrt(6 / 500))
    init.xavier_normal_(t, gain=gain)
    _assert_normal(t.numpy().ravel(), gain * math.sqrt(2 / 500))
    assert init.glorot_uniform_ is init.xavier_uniform_ and init.glorot_normal_ is init.xavier_normal_


@pytest.mark.parametrize("mode, fan", [("fan_in", 200), ("fan_out", 300)])
@pytest.mark.parametrize("nonlinearity, a, gain", [("relu", 0, math.sqrt(2)), ("leaky_relu", 0.1, math.sqrt(2 / 1.01)),
                                                    ("leaky_relu", 0, math.sqrt(2)), ("linear", 0, 1.0)])
def test_kaiming_he_bounds_and_std(mode, fan, nonlinearity, a, gain):
    t = _big((300, 200))
    init.kaiming_uniform_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    _assert_uniform(t.numpy().ravel(), gain * math.sqrt(3 / fan))
    init.kaiming_normal_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    _assert_normal(t.numpy().ravel(), gain / math.sqrt(fan))
    assert init.he_uniform_ is init.kaiming_uniform_ and init.he_normal_ is init.kaiming_normal_


def test_fans_of_a_convolution_kernel_count_the_receptive_field():
    t = Tensor(np.zeros((64, 16, 5, 5)))  # (out, in, kh, kw): fan_in 16*25 = 400, fan_out 64*25 = 1600
    init.kaiming_uniform_(t, nonlinearity="relu")
    _assert_uniform(t.numpy().ravel(), math.sqrt(2) * math.sqrt(3 / 400))
    init.xavier_uniform_(t)
    _assert_uniform(t.numpy().ravel(), math.sqrt(6 / 2000))


def test_fan_based_initialisers_need_two_dimensions_and_a_valid_mode():
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(5,\)"):
        init.xavier_uniform_(Tensor(np.zeros(5)))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.kaiming_normal_(_big((3, 3)), mode="fan_avg")


@pytest.mark.parametrize("initialiser", [init.uniform_, init.normal_, init.xavier_uniform_, init.xavier_normal_,
                                         init.kaiming_uniform_, init.kaiming_normal_])
def test_initialisers_are_reproducible_under_manual_seed(initialiser):
    a, b = _big((6, 5)), _big((6, 5))
    tl.manual_seed(11)
    initialiser(a)
    tl.manual_seed(11)
    initialiser(b)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    initialiser(b)
    assert not np.array_equal(a.numpy(), b.numpy())


def test_layers_are_reproducible_under_manual_seed():
    tl.manual_seed(5)
    first = nn.Sequential(nn.Linear(3, 4), nn.Embedding(3, 2))
    tl.manual_seed(5)
    second = nn.Sequential(nn.Linear(3, 4), nn.Embedding(3, 2))
    for (name, a), (_, b) in zip(first.state_dict().items(), second.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    assert_close(first[0].weight, second[0].weight, rtol=0)
