"""scaled_dot_product_attention and nn.MultiheadAttention: values against direct numpy formulas, gradcheck
and gradgradcheck, masks (bool, float, causal, fully masked rows), parameters and initialisation, errors,
then PyTorch (values and gradients, its state dicts loaded both ways, every mask kind)."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Tensor, nn
from tinygrad_like.nn import functional as F
from tinygrad_like.nn.attention import multi_head_attention_forward
from tinygrad_like.testing import arrays, assert_close


def softmax_rows(scores):
    """softmax over the last axis; rows of -inf only give zeros (PyTorch's attention convention)."""
    hidden = np.all(scores == -np.inf, axis=-1, keepdims=True)
    shifted = np.exp(scores - np.where(hidden, 0, scores.max(-1, keepdims=True)))
    return np.where(hidden, 0, shifted / np.where(hidden, 1, shifted.sum(-1, keepdims=True)))


def attention_reference(q, k, v, mask=None, causal=False, scale=None):
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if causal:
        scores = np.where(np.tril(np.ones(scores.shape[-2:], bool)), scores, -np.inf)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf) if mask.dtype == bool else scores + mask
    return softmax_rows(scores) @ v


@st.composite
def attention_inputs(draw):
    batch = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))
    length, source, features, values = (draw(st.integers(1, 3)) for _ in range(4))
    q, k = draw(arrays(shape=batch + (length, features))), draw(arrays(shape=batch + (source, features)))
    v = draw(arrays(shape=batch + (source, values)))
    kind = draw(st.sampled_from(["none", "bool", "float", "causal"]))
    mask = None
    if kind == "bool":  # may hide every key from some query
        mask = draw(arrays(shape=(length, source))) > -1
    elif kind == "float":
        mask = draw(arrays(shape=(length, source)))
    scale = draw(st.sampled_from([None, 0.5]))
    return q, k, v, mask, kind == "causal", scale


@given(inputs=attention_inputs())
@settings(max_examples=12)
def test_attention_values_and_gradients(inputs):
    q, k, v, mask, causal, scale = inputs
    tensors = [Tensor(x, requires_grad=True) for x in (q, k, v)]

    def attend(*xs):
        return F.scaled_dot_product_attention(*xs, attn_mask=mask, is_causal=causal, scale=scale)

    assert_close(attend(*tensors), attention_reference(q, k, v, mask, causal, scale), rtol=1e-12, atol=1e-12)
    assert tl.gradcheck(attend, *tensors)


def test_attention_second_derivatives():
    rng = np.random.default_rng(0)
    q, k, v = (Tensor(rng.standard_normal(shape), requires_grad=True) for shape in [(2, 3), (3, 3), (3, 2)])
    mask = np.array([[True, False, True], [False, False, False]])  # the second query sees nothing
    assert tl.gradgradcheck(lambda *xs: F.scaled_dot_product_attention(*xs, attn_mask=mask), q, k, v)
    assert tl.gradgradcheck(lambda *xs: F.scaled_dot_product_attention(*xs, is_causal=True), q, k, v)


def test_fully_masked_queries_get_zeros_and_zero_gradients():
    rng = np.random.default_rng(1)
    q, k, v = (Tensor(rng.standard_normal(shape), requires_grad=True) for shape in [(2, 3, 4), (2, 5, 4), (2, 5, 2)])
    mask = np.ones((3, 5), bool)
    mask[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert np.all(out.numpy()[:, 1] == 0) and np.all(np.isfinite(out.numpy()))
    out.sum().backward()
    assert np.all(q.grad.numpy()[:, 1] == 0) and np.all(np.isfinite(k.grad.numpy()))
    float_mask = np.where(mask, 0.0, -np.inf)
    assert_close(F.scaled_dot_product_attention(q, k, v, attn_mask=float_mask), out)
    no_keys = F.scaled_dot_product_attention(q, k[:, :0], v[:, :0])
    assert no_keys.shape == (2, 3, 2) and np.all(no_keys.numpy() == 0)


def test_attention_options():
    rng = np.random.default_rng(2)
    q, k, v = rng.standard_normal((1, 4, 3, 2)), rng.standard_normal((1, 2, 5, 2)), rng.standard_normal((1, 2, 5, 3))
    grouped = F.scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), enable_gqa=True)
    assert_close(grouped, attention_reference(q, np.repeat(k, 2, axis=1), np.repeat(v, 2, axis=1)), rtol=1e-12)
    q32 = tl.randn(2, 3, 4)
    assert F.scaled_dot_product_attention(q32, q32, q32, attn_mask=tl.zeros(3, 3)).dtype == np.float32
    tl.manual_seed(0)
    dropped = F.scaled_dot_product_attention(q32, q32, q32, dropout_p=0.5)
    tl.manual_seed(0)
    assert_close(F.scaled_dot_product_attention(q32, q32, q32, dropout_p=0.5), dropped)
    assert not np.allclose(dropped.numpy(), F.scaled_dot_product_attention(q32, q32, q32).numpy())


@pytest.mark.parametrize("call, error, message", [
    (lambda x: F.scaled_dot_product_attention(x[0, 0, 0], x, x), RuntimeError, r"at least 2 dimensions"),
    (lambda x: F.scaled_dot_product_attention(x, x.double(), x), TypeError, r"share one floating dtype"),
    (lambda x: F.scaled_dot_product_attention(x, x, x, attn_mask=tl.zeros(3, 3), is_causal=True), ValueError,
     r"give attn_mask or is_causal=True, not both"),
    (lambda x: F.scaled_dot_product_attention(x, x, x, attn_mask=tl.zeros(3, 3, dtype=tl.int64)), TypeError,
     r"attn_mask must be bool, float32 or the query's dtype \(float32\), got int64"),
    (lambda x: F.scaled_dot_product_attention(x, x[:, :2, :, :], x, enable_gqa=True), RuntimeError,
     r"enable_gqa needs the query heads"),
    (lambda x: F.scaled_dot_product_attention(x, x[..., :2], x), RuntimeError, r"MatMul"),
])
def test_attention_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(tl.ones(1, 3, 3, 4))


# ---- MultiheadAttention ----------------------------------------------------------------------------------
def mha_reference(module, query, key, value, mask=None):
    """Multi-head attention from its definition (unbatched (L, E) inputs, float additive mask (L, S))."""
    params = {name: p.numpy() for name, p in module.named_parameters()}
    E, H = module.embed_dim, module.num_heads
    weights = np.split(params["in_proj_weight"], 3) if "in_proj_weight" in params else [
        params["q_proj_weight"], params["k_proj_weight"], params["v_proj_weight"]]
    biases = np.split(params["in_proj_bias"], 3)
    q, k, v = (x @ w.T + b for x, w, b in zip((query, key, value), weights, biases))
    heads = []
    for h in range(H):
        part = slice(h * E // H, (h + 1) * E // H)
        scores = q[:, part] @ k[:, part].T / math.sqrt(E // H) + (0 if mask is None else mask)
        heads.append(softmax_rows(scores))
    output = np.concatenate([w @ v[:, h * E // H:(h + 1) * E // H] for h, w in enumerate(heads)], axis=1)
    return output @ params["out_proj.weight"].T + params["out_proj.bias"], np.mean(heads, axis=0)


def test_parameters_and_initialisation():
    tl.manual_seed(0)
    m = nn.MultiheadAttention(8, 2)
    assert list(m.state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert m.in_proj_weight.shape == (24, 8) and m.in_proj_weight.dtype == np.float32
    bound = math.sqrt(6 / (8 + 24))  # xavier_uniform_ over (3E, E)
    assert 0.8 * bound < np.abs(m.in_proj_weight.numpy()).max() <= bound
    assert np.all(m.in_proj_bias.numpy() == 0) and np.all(m.out_proj.bias.numpy() == 0)
    assert np.abs(m.out_proj.weight.numpy()).max() <= 1 / math.sqrt(8)  # nn.Linear's initialisation
    assert repr(m) == ("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, "
                       "out_features=8, bias=True)\n)")
    m = nn.MultiheadAttention(4, 1, bias=False, add_bias_kv=True, kdim=3, vdim=5, dtype=tl.float64)
    assert {name: tuple(p.shape) for name, p in m.named_parameters()} == {
        "q_proj_weight": (4, 4), "k_proj_weight": (4, 3), "v_proj_weight": (4, 5), "bias_k": (1, 1, 4),
        "bias_v": (1, 1, 4), "out_proj.weight": (4, 4)}
    assert m.in_proj_weight is None and m.in_proj_bias is None and m.out_proj.bias is None
    assert m.bias_k.dtype == np.float64


def test_values_against_the_definition_and_shapes():
    rng = np.random.default_rng(3)
    m = nn.MultiheadAttention(4, 2, kdim=3, vdim=2, dtype=tl.float64)
    m.in_proj_bias.data = Tensor(rng.standard_normal(12))  # nonzero biases take part too
    m.out_proj.bias.data = Tensor(rng.standard_normal(4))
    query, key, value = rng.standard_normal((3, 4)), rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    mask = rng.standard_normal((3, 5))
    out, weights = m(Tensor(query), Tensor(key), Tensor(value), attn_mask=Tensor(mask))
    expected, expected_weights = mha_reference(m, query, key, value, mask)
    assert_close(out, expected, rtol=1e-12, atol=1e-12)
    assert_close(weights, expected_weights, rtol=1e-12, atol=1e-12)
    batched = m(Tensor(query[:, None]), Tensor(key[:, None]), Tensor(value[:, None]), attn_mask=Tensor(mask),
                average_attn_weights=False)
    assert batched[0].shape == (3, 1, 4) and batched[1].shape == (1, 2, 3, 5)
    assert_close(batched[1].numpy().mean(1)[0], expected_weights, rtol=1e-12)
    m.batch_first = True
    out, none = m(Tensor(query[None]), Tensor(key[None]), Tensor(value[None]), attn_mask=Tensor(mask),
                  need_weights=False)
    assert none is None and out.shape == (1, 3, 4)
    assert_close(out[0], expected, rtol=1e-12, atol=1e-12)


def test_gradients():
    rng = np.random.default_rng(4)
    E, H = 4, 2
    q, k, v = (Tensor(rng.standard_normal(shape), requires_grad=True) for shape in [(2, 1, E), (3, 1, E), (3, 1, E)])
    w, b = Tensor(rng.standard_normal((3 * E, E)) * 0.5, requires_grad=True), Tensor(rng.standard_normal(3 * E), requires_grad=True)
    out_w, out_b = Tensor(rng.standard_normal((E, E)), requires_grad=True), Tensor(rng.standard_normal(E), requires_grad=True)
    bias_k, bias_v = Tensor(rng.standard_normal((1, 1, E)), requires_grad=True), Tensor(rng.standard_normal((1, 1, E)), requires_grad=True)
    mask = np.array([[False, True, False], [False, False, False]])

    def attend(q, k, v, w, b, out_w, out_b, bias_k, bias_v):
        out, weights = multi_head_attention_forward(q, k, v, E, H, w, b, bias_k, bias_v, True, 0.0, out_w, out_b,
                                                    attn_mask=mask)
        return out, weights

    assert tl.gradcheck(attend, q, k, v, w, b, out_w, out_b, bias_k, bias_v, fast=True)
    assert tl.gradgradcheck(lambda q, k: attend(q, k, v, w, b, out_w, out_b, bias_k, bias_v)[0], q, k, fast=True)


def test_masks():
    rng = np.random.default_rng(5)
    m = nn.MultiheadAttention(4, 2, dtype=tl.float64)
    x = Tensor(rng.standard_normal((3, 2, 4)))
    padding = np.array([[False, False, True], [False, True, True]])
    as_float = np.where(padding, -np.inf, 0.0)
    for need_weights in (True, False):
        by_bool = m(x, x, x, key_padding_mask=padding, need_weights=need_weights)
        by_float = m(x, x, x, key_padding_mask=as_float, need_weights=need_weights)
        assert_close(by_bool[0], by_float[0])
    causal = np.triu(np.ones((3, 3), bool), 1)
    assert_close(m(x, x, x, attn_mask=causal, is_causal=True, need_weights=False)[0], m(x, x, x, attn_mask=causal)[0])
    hidden = np.ones((2, 3), bool)
    hidden[0] = False
    out, weights = m(x, x, x, key_padding_mask=hidden)  # batch 1 sees no key: nan with need_weights, as PyTorch
    assert np.all(np.isnan(out.numpy()[:, 1])) and np.all(np.isnan(weights.numpy()[1]))
    out, _ = m(x, x, x, key_padding_mask=hidden, need_weights=False)  # through scaled_dot_product_attention
    assert np.all(out.numpy()[:, 1] == m.out_proj.bias.numpy())
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask is deprecated"):
        m(x, x, x, key_padding_mask=padding, attn_mask=np.zeros((3, 3)))


def test_state_dict_round_trip():
    tl.manual_seed(1)
    a, b = nn.MultiheadAttention(4, 2, add_bias_kv=True), nn.MultiheadAttention(4, 2, add_bias_kv=True)
    x = tl.randn(3, 1, 4)
    b.load_state_dict(a.state_dict())
    assert_close(b(x, x, x)[0], a(x, x, x)[0])


@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.MultiheadAttention(5, 2), ValueError, r"embed_dim \(5\) must be divisible by num_heads \(2\)"),
    (lambda: nn.MultiheadAttention(0, 2), ValueError, r"must be greater than 0"),
    (lambda: nn.MultiheadAttention(4, 2)(tl.ones(3, 4), tl.ones(3, 1, 4), tl.ones(3, 1, 4)), RuntimeError,
     r"must all be batched \(3-D: L, N, E\) or unbatched"),
    (lambda: nn.MultiheadAttention(4, 2)(tl.ones(3, 1, 6), tl.ones(3, 1, 6), tl.ones(3, 1, 6)), RuntimeError,
     r"expected embedding dimension 4, got 6"),
    (lambda: nn.MultiheadAttention(4, 2)(tl.ones(3, 1, 4), tl.ones(2, 1, 4), tl.ones(2, 1, 4), attn_mask=tl.zeros(3, 3)),
     RuntimeError, r"2-D attn_mask is \(3, 3\), but should be \(3, 2\)"),
    (lambda: nn.MultiheadAttention(4, 2)(tl.ones(3, 1, 4), tl.ones(2, 1, 4), tl.ones(2, 1, 4),
                                         key_padding_mask=tl.zeros(1, 3, dtype=tl.bool)), RuntimeError,
     r"key_padding_mask must have shape \(N, S\) = \(1, 2\)"),
    (lambda: nn.MultiheadAttention(4, 2)(tl.ones(3, 1, 4), tl.ones(3, 1, 4), tl.ones(3, 1, 4), is_causal=True),
     ValueError, r"is_causal=True is a hint"),
    (lambda: nn.MultiheadAttention(4, 2)(tl.ones(3, 1, 4), tl.ones(3, 1, 4), tl.ones(3, 1, 4),
                                         attn_mask=tl.zeros(3, 3, dtype=tl.int64)), TypeError, r"must be bool or floating"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---- against PyTorch --------------------------------------------------------------------------------
@pytest.mark.torch
@given(inputs=attention_inputs())
@settings(max_examples=25)
def test_attention_matches_pytorch(inputs):
    torch = pytest.importorskip("torch")
    q, k, v, mask, causal, scale = inputs
    ours = [Tensor(x, requires_grad=True) for x in (q, k, v)]
    theirs = [torch.tensor(x, requires_grad=True) for x in (q, k, v)]
    out = F.scaled_dot_product_attention(*ours, attn_mask=mask, is_causal=causal, scale=scale)
    expected = torch.nn.functional.scaled_dot_product_attention(
        *theirs, attn_mask=None if mask is None else torch.tensor(mask), is_causal=causal, scale=scale)
    assert_close(out, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = np.cos(np.arange(expected.numel())).reshape(tuple(expected.shape))
    out.backward(Tensor(upstream))
    expected.backward(torch.tensor(upstream))
    for x, t in zip(ours, theirs):
        assert_close(x.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


L, S, N, H = 3, 5, 2, 2
PADDING = np.zeros((N, S), bool)
PADDING[0, 1] = PADDING[1, 4] = True
CAUSAL = np.triu(np.ones((L, S), bool), 1)
SQUARE_CAUSAL = np.triu(np.ones((L, L), bool), 1)
FLOAT_MASK = np.random.default_rng(6).standard_normal((L, S))
PER_HEAD = np.random.default_rng(7).standard_normal((N * H, L, S))
HIDDEN = np.zeros((N, S), bool)
HIDDEN[1] = True  # the second sequence sees no key
CONFIGS = {
    "plain": {}, "batch_first": dict(batch_first=True), "kdim_vdim": dict(kdim=3, vdim=6),
    "bias_kv": dict(add_bias_kv=True), "zero_attn": dict(add_zero_attn=True), "no_bias": dict(bias=False),
    "unbatched": dict(batched=False, am=CAUSAL, kpm=PADDING[0]), "self": dict(self_attention=True),
    "padding": dict(kpm=PADDING), "bool_mask": dict(am=CAUSAL), "float_mask": dict(am=FLOAT_MASK),
    "per_head_mask": dict(am=PER_HEAD), "both_masks": dict(kpm=PADDING, am=CAUSAL),
    "float_both": dict(kpm=np.where(PADDING, -1e9, 0.0), am=FLOAT_MASK),
    "everything": dict(kpm=PADDING, am=CAUSAL, add_bias_kv=True, add_zero_attn=True, kdim=3, vdim=2),
    "causal_hint": dict(am=SQUARE_CAUSAL, S=L, is_causal=True),
    "causal_hint_padding": dict(am=SQUARE_CAUSAL, S=L, is_causal=True, kpm=np.zeros((N, L), bool)),
    "per_head_weights": dict(average_attn_weights=False), "hidden": dict(kpm=HIDDEN),
    "fast_path": dict(self_attention=True, batch_first=True, S=L, am=SQUARE_CAUSAL, no_grad=True),
    "training_dropout_zero": dict(training=True),
}


@pytest.mark.torch
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("name", CONFIGS)
def test_multihead_attention_matches_pytorch(name, need_weights):
    torch = pytest.importorskip("torch")
    config = dict(CONFIGS[name])
    length, source = L, config.pop("S", S)
    batched, self_attention = config.pop("batched", True), config.pop("self_attention", False)
    kpm, am, no_grad = config.pop("kpm", None), config.pop("am", None), config.pop("no_grad", False)
    call = dict(need_weights=need_weights, average_attn_weights=config.pop("average_attn_weights", True),
                is_causal=config.pop("is_causal", False))
    training = config.pop("training", False)
    theirs = torch.nn.MultiheadAttention(4, H, dtype=torch.float64, **config)
    ours = nn.MultiheadAttention(4, H, dtype=tl.float64, **config)
    ours.load_state_dict({key: tl.tensor(value.numpy()) for key, value in theirs.state_dict().items()})
    if not training:
        theirs.eval()
        ours.eval()
    rng = np.random.default_rng(8)

    def shape(n, features):
        if not batched:
            return (n, features)
        return (N, n, features) if config.get("batch_first") else (n, N, features)

    arrays_ = [rng.standard_normal(shape(length, 4)), rng.standard_normal(shape(source, config.get("kdim", 4))),
               rng.standard_normal(shape(source, config.get("vdim", 4)))]
    if self_attention:
        arrays_ = [arrays_[0]] * 3
    ours_in = [Tensor(a, requires_grad=True) for a in arrays_[:1 if self_attention else 3]]
    theirs_in = [torch.tensor(a, requires_grad=not no_grad) for a in arrays_[:1 if self_attention else 3]]
    if self_attention:
        ours_in, theirs_in = ours_in * 3, theirs_in * 3
    masks = dict(key_padding_mask=kpm, attn_mask=am)
    with torch.no_grad() if no_grad else torch.enable_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn of mismatched mask dtypes
        expected, expected_weights = theirs(*theirs_in, **{k: None if m is None else torch.tensor(m)
                                                         for k, m in masks.items()}, **call)
        out, weights = ours(*ours_in, **{k: None if m is None else tl.tensor(m) for k, m in masks.items()}, **call)
    if name == "hidden" and not need_weights:  # PyTorch's fast path would give nan here, its slow path zeros
        assert np.all(np.isfinite(out.numpy()))
    assert_close(out, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert (weights is None) == (expected_weights is None)
    if weights is not None:
        assert_close(weights, expected_weights.detach().numpy(), rtol=1e-10, atol=1e-12)
    if no_grad or name == "hidden":  # nan rows: their gradients are nan in both
        return
    upstream = np.cos(np.arange(expected.numel())).reshape(tuple(expected.shape))
    out.backward(Tensor(upstream))
    expected.backward(torch.tensor(upstream))
    parameters = dict(ours.named_parameters())
    for key, parameter in theirs.named_parameters():
        assert_close(parameters[key].grad, parameter.grad.numpy(), rtol=1e-9, atol=1e-11, message=key)
    for x, t in zip(ours_in, theirs_in):
        assert_close(x.grad, t.grad.numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.torch
def test_state_dicts_load_both_ways_and_initialisation_matches_pytorch():
    torch = pytest.importorskip("torch")
    for options in [{}, dict(kdim=3, vdim=5, add_bias_kv=True), dict(bias=False)]:
        theirs, ours = torch.nn.MultiheadAttention(6, 3, **options), nn.MultiheadAttention(6, 3, **options)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for key, value in theirs.state_dict().items():
            ours_value = ours.state_dict()[key]
            assert ours_value.shape == tuple(value.shape) and ours_value.dtype == np.float32
            assert np.all(ours_value.numpy() == 0) == bool(torch.all(value == 0)), key  # the zeroed biases
        theirs.load_state_dict({key: torch.tensor(value.numpy()) for key, value in ours.state_dict().items()})
        x = np.random.default_rng(9).standard_normal((4, 2, 6)).astype(np.float32)
        key = np.random.default_rng(10).standard_normal((5, 2, options.get("kdim", 6))).astype(np.float32)
        value = np.random.default_rng(11).standard_normal((5, 2, options.get("vdim", 6))).astype(np.float32)
        expected = theirs(torch.tensor(x), torch.tensor(key), torch.tensor(value))
        out = ours(Tensor(x), Tensor(key), Tensor(value))
        assert_close(out[0], expected[0].detach().numpy(), rtol=1e-5, atol=1e-6)
        assert_close(out[1], expected[1].detach().numpy(), rtol=1e-5, atol=1e-6)
