"""Convolution, transposed convolution, padding and unfold/fold: values against direct numpy loops,
gradients by gradcheck and gradgradcheck (float64), errors, the layers, and PyTorch (marked torch)."""
import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_like as tl
import tinygrad_like.nn.functional as F
from tinygrad_like import Tensor, nn
from tinygrad_like.testing import assert_close

MODES = ("constant", "reflect", "replicate", "circular")


# ---- references: direct loops over output positions and kernel taps --------------------------------
def conv_reference(x, w, b, stride, pairs, dilation, groups):
    """PyTorch's convolution by its definition: padded input times weight, summed over each window."""
    xp = np.pad(x, [(0, 0), (0, 0)] + list(pairs))
    n, channels = x.shape[:2]
    out_channels, kernel = w.shape[0], w.shape[2:]
    size = [(m - d * (k - 1) - 1) // s + 1 for m, k, s, d in zip(xp.shape[2:], kernel, stride, dilation)]
    out = np.zeros((n, out_channels, *size))
    per_in, per_out = channels // groups, out_channels // groups
    for o in range(out_channels):
        group = slice(o // per_out * per_in, (o // per_out + 1) * per_in)
        for position in itertools.product(*map(range, size)):
            for tap in itertools.product(*map(range, kernel)):
                at = tuple(p * s + t * d for p, t, s, d in zip(position, tap, stride, dilation))
                out[(slice(None), o) + position] += xp[(slice(None), group) + at] @ w[(o, slice(None)) + tap]
    return out if b is None else out + b.reshape((-1,) + (1,) * len(kernel))


def transposed_reference(x, w, b, stride, padding, output_padding, dilation, groups):
    """PyTorch's transposed convolution by its definition: every input element scatters itself times the
    kernel into the (padded) output, which is then cropped."""
    n, in_channels = x.shape[:2]
    per_in, per_out, kernel = in_channels // groups, w.shape[1], w.shape[2:]
    size = [(m - 1) * s - 2 * p + d * (k - 1) + op + 1
            for m, k, s, p, op, d in zip(x.shape[2:], kernel, stride, padding, output_padding, dilation)]
    full = np.zeros((n, per_out * groups, *[m + 2 * p for m, p in zip(size, padding)]))
    for c in range(in_channels):
        group = slice(c // per_in * per_out, (c // per_in + 1) * per_out)
        for position in itertools.product(*map(range, x.shape[2:])):
            for tap in itertools.product(*map(range, kernel)):
                at = tuple(q * s + t * d for q, t, s, d in zip(position, tap, stride, dilation))
                if all(a < m for a, m in zip(at, full.shape[2:])):
                    full[(slice(None), group) + at] += np.outer(x[(slice(None), c) + position],
                                                                w[(c, slice(None)) + tap])
    out = full[(Ellipsis,) + tuple(slice(p, p + m) for p, m in zip(padding, size))]
    return out if b is None else out + b.reshape((-1,) + (1,) * len(kernel))


def unfold_reference(x, kernel, dilation, padding, stride):
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    size = [(m - d * (k - 1) - 1) // s + 1 for m, k, s, d in zip(xp.shape[2:], kernel, stride, dilation)]
    columns = []
    for position in itertools.product(*map(range, size)):
        starts = [p * s for p, s in zip(position, stride)]
        block = [xp[(slice(None), slice(None)) + tuple(a + t * d for a, t, d in zip(starts, tap, dilation))]
                 for tap in itertools.product(*map(range, kernel))]
        columns.append(np.stack(block, axis=2).reshape(x.shape[0], -1))  # (N, C*K), channel-major
    return np.stack(columns, axis=2)


def pad_reference(x, pad, mode):
    """numpy's np.pad for the positive widths, slicing for the negative ones; circular crops first (PyTorch
    wraps around what the crop leaves), the other modes pad first (their sources are the whole input)."""
    nd = len(pad) // 2
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(nd)][::-1]
    lead = [(0, 0)] * (x.ndim - nd)
    crop = (Ellipsis,) + tuple(slice(max(-lo, 0), m - max(-hi, 0)) for (lo, hi), m in zip(pairs, x.shape[x.ndim - nd:]))
    grow = lead + [(max(lo, 0), max(hi, 0)) for lo, hi in pairs]
    if mode == "circular":
        return np.pad(x[crop], grow, mode="wrap")
    padded = np.pad(x, grow, mode={"constant": "constant", "reflect": "reflect", "replicate": "edge"}[mode])
    return padded[(Ellipsis,) + tuple(slice(max(-lo, 0), m - max(-hi, 0))
                                      for (lo, hi), m in zip(pairs, padded.shape[x.ndim - nd:]))]


# ---- strategies --------------------------------------------------------------------------------------
@st.composite
def conv_cases(draw, transposed=False):
    nd = draw(st.integers(1, 2))
    groups = draw(st.integers(1, 2))
    per_in, per_out = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kernel = tuple(draw(st.lists(st.integers(1, 2), min_size=nd, max_size=nd)))
    stride = tuple(draw(st.lists(st.integers(1, 2), min_size=nd, max_size=nd)))
    dilation = tuple(draw(st.lists(st.integers(1, 2), min_size=nd, max_size=nd)))
    padding = tuple(draw(st.lists(st.integers(0, 1), min_size=nd, max_size=nd)))
    extent = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    size = tuple(draw(st.integers(max(1, e - 2 * p), max(1, e - 2 * p) + 2)) for e, p in zip(extent, padding))
    batch = draw(st.integers(0, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    channels, weight_shape = (per_out * groups, (per_out * groups, per_in)) if transposed else (
        per_in * groups, (per_out * groups, per_in))
    x = rng.standard_normal((batch, channels) + size)
    w = rng.standard_normal(weight_shape + kernel)
    b = rng.standard_normal(per_in * groups if transposed else per_out * groups) if draw(st.booleans()) else None
    return x, w, b, stride, padding, dilation, groups


def tensors(*arrays):
    return [None if a is None else Tensor(a, requires_grad=True) for a in arrays]


# ---- convolution -------------------------------------------------------------------------------------
@given(conv_cases())
@settings(max_examples=12)
def test_conv_matches_the_definition_and_its_gradients(case):
    x, w, b, stride, padding, dilation, groups = case
    conv = getattr(F, f"conv{x.ndim - 2}d")
    out = conv(*tensors(x, w, b), stride=stride, padding=padding, dilation=dilation, groups=groups)
    assert_close(out, conv_reference(x, w, b, stride, [(p, p) for p in padding], dilation, groups), rtol=1e-12,
                 atol=1e-12)
    leaves = tensors(x, w, b)
    assert tl.gradcheck(lambda *t: conv(*t, stride=stride, padding=padding, dilation=dilation, groups=groups),
                        *[t for t in leaves if t is not None])


@given(conv_cases(transposed=True), st.data())
@settings(max_examples=12)
def test_conv_transpose_matches_the_definition_and_its_gradients(case, data):
    x, w, b, stride, padding, dilation, groups = case
    nd = x.ndim - 2
    output_padding = tuple(data.draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    size = [(m - 1) * s - 2 * p + d * (k - 1) + op + 1
            for m, k, s, p, op, d in zip(x.shape[2:], w.shape[2:], stride, padding, output_padding, dilation)]
    assume(min(size) >= 1)
    conv_t = getattr(F, f"conv_transpose{nd}d")

    def fn(*t):
        return conv_t(*t, stride=stride, padding=padding, output_padding=output_padding, groups=groups,
                      dilation=dilation)

    assert_close(fn(*tensors(x, w, b)), transposed_reference(x, w, b, stride, padding, output_padding, dilation, groups),
                 rtol=1e-12, atol=1e-12)
    assert tl.gradcheck(fn, *[t for t in tensors(x, w, b) if t is not None])


def test_conv_transpose_is_the_input_gradient_of_conv(rng):
    x = Tensor(rng.standard_normal((2, 4, 5, 6)), requires_grad=True)
    w = Tensor(rng.standard_normal((6, 2, 3, 2)))
    out = F.conv2d(x, w, stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)
    g = rng.standard_normal(out.shape)
    out.backward(Tensor(g))
    transposed = F.conv_transpose2d(Tensor(g), w, stride=(2, 1), padding=(1, 0), output_padding=(0, 0), groups=2,
                                    dilation=(1, 2))
    assert_close(transposed, x.grad, rtol=1e-12, atol=1e-12)


SECOND_ORDER = {
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2), (1, 4, 3, 3), (2, 2, 2, 2), (2,)),
    "conv1d_dilated": (lambda x, w, b: F.conv1d(x, w, b, padding="same", dilation=2), (1, 2, 4), (3, 2, 2), (3,)),
    "conv_transpose2d": (lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, output_padding=1), (1, 2, 2, 2),
                         (2, 1, 2, 2), (1,)),
}


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_conv_second_derivatives(name, rng):
    fn, *shapes = SECOND_ORDER[name]
    inputs = [Tensor(rng.standard_normal(shape), requires_grad=True) for shape in shapes]
    assert tl.gradgradcheck(fn, *inputs)


def test_padding_strings_and_asymmetric_same(rng):
    x, w = rng.standard_normal((1, 1, 5)), rng.standard_normal((1, 1, 4))
    # 'same' with an even kernel: the odd one of the total padding 3 goes after
    assert_close(F.conv1d(Tensor(x), Tensor(w), padding="same"), conv_reference(x, w, None, (1,), [(1, 2)], (1,), 1),
                 rtol=1e-12)
    assert_close(F.conv1d(Tensor(x), Tensor(w), padding="valid"), conv_reference(x, w, None, (1,), [(0, 0)], (1,), 1),
                 rtol=1e-12)
    assert F.conv1d(Tensor(x), Tensor(w), padding="same", dilation=2).shape == (1, 1, 5)


def test_unbatched_empty_batch_and_dtypes(rng):
    w = Tensor(rng.standard_normal((3, 2, 2, 2)).astype(np.float32), requires_grad=True)
    x = Tensor(rng.standard_normal((2, 4, 4)).astype(np.float32), requires_grad=True)
    out = F.conv2d(x, w)
    assert out.shape == (3, 3, 3) and out.dtype == np.float32
    assert_close(out, F.conv2d(x.unsqueeze(0), w)[0])
    out.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32 and x.grad.shape == x.shape
    empty = Tensor(np.zeros((0, 2, 4, 4), np.float32), requires_grad=True)
    w.grad = None
    out = F.conv2d(empty, w, padding=1)
    assert out.shape == (0, 3, 5, 5)
    out.sum().backward()
    assert empty.grad.shape == (0, 2, 4, 4) and not w.grad.numpy().any()
    assert F.conv_transpose2d(Tensor(np.zeros((0, 3, 2, 2))), Tensor(np.ones((3, 1, 2, 2)))).shape == (0, 1, 3, 3)
    assert F.conv2d(tl.ones(1, 1, 3, 3, dtype=tl.int64), tl.ones(1, 1, 2, 2, dtype=tl.int64)).tolist() == [[[[4, 4],
                                                                                                          [4, 4]]]]


def test_conv_does_not_modify_or_alias_its_inputs(rng):
    x = Tensor(rng.standard_normal((1, 1, 1, 1)), requires_grad=True)
    w = Tensor(rng.standard_normal((1, 1, 1, 1)), requires_grad=True)
    before = x.numpy().copy()
    columns = F.unfold(x, 1)
    out = F.conv2d(x, w)
    assert not np.shares_memory(columns.numpy(), x.numpy()) and not np.shares_memory(out.numpy(), x.numpy())
    (out.sum() + columns.sum()).backward()
    assert (x.numpy() == before).all() and not np.shares_memory(x.grad.numpy(), w.grad.numpy())


# ---- padding -------------------------------------------------------------------------------------------
@given(st.sampled_from(MODES), st.integers(1, 2), st.data())
@settings(max_examples=15)
def test_pad_matches_numpy_and_its_gradients(mode, nd, data):
    size = tuple(data.draw(st.lists(st.integers(3, 4), min_size=nd, max_size=nd)))
    low = -1 if mode != "reflect" else 0
    pad = tuple(data.draw(st.lists(st.integers(low, 2), min_size=2 * nd, max_size=2 * nd)))
    if mode == "circular":  # it wraps around what the crops leave at most once
        kept = [n - max(-pad[-2 - 2 * i], 0) - max(-pad[-1 - 2 * i], 0) for i, n in enumerate(size[::-1])]
        assume(all(max(pad[-2 - 2 * i], pad[-1 - 2 * i]) <= k for i, k in enumerate(kept)))
    x = np.random.default_rng(data.draw(st.integers(0, 999))).standard_normal((2, 1) + size)
    assert_close(F.pad(Tensor(x), pad, mode), pad_reference(x, pad, mode))
    assert tl.gradcheck(lambda t: F.pad(t, pad, mode), Tensor(x, requires_grad=True))


@pytest.mark.parametrize("mode", MODES)
def test_pad_second_derivatives(mode, rng):
    x = Tensor(rng.standard_normal((1, 2, 3)), requires_grad=True)
    assert tl.gradgradcheck(lambda t: F.pad(t, (2, -1) if mode != "reflect" else (2, 1), mode) ** 2, x)


def test_pad_constant_values_crops_and_dtypes():
    x = tl.arange(6).reshape(2, 3)
    assert F.pad(x, (1, 1), value=7).tolist() == [[7, 0, 1, 2, 7], [7, 3, 4, 5, 7]]
    assert F.pad(x, (0, 0, -1, 1)).tolist() == [[3, 4, 5], [0, 0, 0]]
    assert F.pad(x, (-1, -1, -1, 0)).tolist() == [[4]] and F.pad(x, (-3, 0)).shape == (2, 0)
    assert F.pad(tl.arange(3), (1, 1), value=2.7).tolist() == [2, 0, 1, 2, 2]  # the value is cast, as in PyTorch
    assert F.pad(tl.ones(2, 2), (1, 1, 1, 1)).dtype == np.float32
    assert F.pad(tl.tensor(3.0), ()).item() == 3.0
    x = Tensor(np.arange(4.0), requires_grad=True)
    F.pad(x, (-1, 2)).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0]
    x = Tensor(np.arange(3.0).reshape(1, 3), requires_grad=True)
    F.pad(x, (2, 2), mode="replicate").sum().backward()
    assert x.grad.tolist() == [[3.0, 1.0, 3.0]]


# ---- unfold / fold -----------------------------------------------------------------------------------
@given(st.data())
@settings(max_examples=10)
def test_unfold_fold_match_the_definition_and_are_adjoint(data):
    kernel, dilation, padding, stride = (tuple(data.draw(st.lists(st.integers(lo, hi), min_size=2, max_size=2)))
                                         for lo, hi in ((1, 2), (1, 2), (0, 1), (1, 2)))
    size = tuple(data.draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), 4))
                 for k, d, p in zip(kernel, dilation, padding))
    rng = np.random.default_rng(data.draw(st.integers(0, 999)))
    x = rng.standard_normal((2, 2) + size)
    columns = F.unfold(Tensor(x), kernel, dilation, padding, stride)
    assert_close(columns, unfold_reference(x, kernel, dilation, padding, stride), rtol=1e-12)
    c = rng.standard_normal(columns.shape)
    folded = F.fold(Tensor(c), size, kernel, dilation, padding, stride)
    assert folded.shape == x.shape
    assert math.isclose(float((columns.numpy() * c).sum()), float((x * folded.numpy()).sum()), rel_tol=1e-12)
    assert tl.gradcheck(lambda t: F.unfold(t, kernel, dilation, padding, stride), Tensor(x, requires_grad=True))
    assert tl.gradcheck(lambda t: F.fold(t, size, kernel, dilation, padding, stride), Tensor(c, requires_grad=True))


def test_unfold_fold_second_derivatives_and_unbatched(rng):
    x = Tensor(rng.standard_normal((1, 1, 3, 3)), requires_grad=True)
    assert tl.gradgradcheck(lambda t: F.unfold(t, 2, padding=1, stride=2) ** 2, x)
    c = Tensor(rng.standard_normal((1, 4, 4)), requires_grad=True)
    assert tl.gradgradcheck(lambda t: F.fold(t, (3, 3), 2) ** 2, c)
    assert_close(F.unfold(x[0], 2), F.unfold(x, 2)[0]) and assert_close(F.fold(c[0], (3, 3), 2), F.fold(c, (3, 3), 2)[0])
    assert_close(nn.Fold((3, 3), 2)(nn.Unfold(2)(x)), F.fold(F.unfold(x, 2), (3, 3), 2))


# ---- errors --------------------------------------------------------------------------------------------
def _x(*shape):
    return tl.ones(*shape)


ERRORS = [
    (lambda: F.conv2d(_x(1, 3, 4, 4), _x(2, 2, 3, 3)), "conv2d: input of shape \\(1, 3, 4, 4\\) has 3 channels"),
    (lambda: F.conv2d(_x(1, 4, 4, 4), _x(3, 2, 3, 3), groups=2), "conv2d: the weight's 3 output channels"),
    (lambda: F.conv2d(_x(1, 4, 2, 2), _x(2, 4, 3, 3)), "conv2d: the padded input's spatial size \\(2, 2\\)"),
    (lambda: F.conv2d(_x(4, 2), _x(2, 4, 1, 1)), "conv2d: expected a 3-D \\(unbatched\\) or 4-D \\(batched\\) input"),
    (lambda: F.conv2d(_x(1, 4, 4, 4), _x(2, 4, 3)), "conv2d: weight must be a 4-D Tensor, got \\(2, 4, 3\\)"),
    (lambda: F.conv2d(_x(1, 4, 4, 4), _x(2, 4, 3, 3), stride=2, padding="same"), "padding='same' is not supported"),
    (lambda: F.conv2d(_x(1, 4, 4, 4), _x(2, 4, 3, 3), stride=0), "conv2d: stride must be positive"),
    (lambda: F.conv2d(_x(1, 4, 4, 4), _x(2, 4, 3, 3), padding=-1), "conv2d: padding must not be negative"),
    (lambda: F.conv2d(_x(1, 4, 4, 4), _x(2, 4, 3, 3), padding="full"), "conv2d: padding must be an int, a tuple"),
    (lambda: F.conv2d(_x(1, 4, 4, 4), _x(2, 4, 3, 3), stride=(1, 1, 1)), "conv2d: stride must be an int or a tuple of 2"),
    (lambda: F.conv2d(_x(1, 4, 4, 4), _x(2, 4, 3, 3), bias=_x(3)), "conv2d: bias must have shape \\(2,\\)"),
    (lambda: F.conv2d(_x(1, 4, 4, 4), tl.ones(2, 4, 3, 3, dtype=tl.float64)), "conv2d: input is float32 but the weight"),
    (lambda: F.conv2d(_x(1, 4, 4, 4), _x(2, 4, 3, 3), groups=0), "conv2d: groups must be a positive int"),
    (lambda: F.conv1d(_x(1, 2, 0), _x(1, 2, 1)), "conv1d: the padded input's spatial size \\(0,\\)"),
    (lambda: F.conv_transpose2d(_x(1, 4, 3, 3), _x(4, 2, 3, 3), stride=2, output_padding=2), "output_padding \\(2, 2\\)"),
    (lambda: F.conv_transpose2d(_x(1, 4, 1, 1), _x(4, 2, 3, 3), padding=2), "gives the output size \\(-1, -1\\)"),
    (lambda: F.conv_transpose2d(_x(1, 3, 3, 3), _x(4, 2, 3, 3)),
     "conv_transpose2d: input of shape \\(1, 3, 3, 3\\) has 3"),
    (lambda: F.unfold(_x(1, 1, 4, 4), 5), "unfold: input of shape \\(1, 1, 4, 4\\) .* has \\(0, 0\\) sliding blocks"),
    (lambda: F.unfold(_x(1, 1, 1, 4, 4), 2), "unfold: expected a 3-D \\(unbatched\\) or 4-D"),
    (lambda: F.fold(_x(1, 3, 9), (4, 4), 2), "fold: the input's axis 1 \\(3, input \\(1, 3, 9\\)\\)"),
    (lambda: F.fold(_x(1, 4, 8), (4, 4), 2), "fold: .* give 3 x 3 sliding blocks, but the input of shape \\(1, 4, 8\\)"),
    (lambda: F.pad(_x(1, 2, 3), (1,)), "pad\\(\\): the pad tuple has 1 entries"),
    (lambda: F.pad(_x(1, 2, 3), (1, 1) * 4), "pad\\(\\): 8 pad entries pad 4 axes, but the input of shape \\(1, 2, 3\\)"),
    (lambda: F.pad(_x(1, 2, 3), (-2, -2)), "pad\\(\\): pad \\(-2, -2\\) crops more than the input"),
    (lambda: F.pad(_x(1, 2, 3), (3, 0), mode="reflect"), "reflect padding must be smaller than the padded axis"),
    (lambda: F.pad(_x(1, 2, 3), (4, 0), mode="circular"), "would wrap around an axis of size 3 more than once"),
    (lambda: F.pad(_x(3), (1, 1), mode="reflect"), "mode 'reflect' pads the last 1, 2 or 3 axes"),
    (lambda: F.pad(_x(1, 0, 3), (1, 1), mode="replicate"), "needs non-empty non-batch axes"),
    (lambda: F.pad(_x(1, 2, 3), (1, 1), mode="reflect", value=1), "mode 'reflect' takes no value"),
    (lambda: F.pad(_x(1, 2, 3), (1, 1), mode="wrap"), "unrecognised padding mode 'wrap'"),
]


@pytest.mark.parametrize("call, message", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_errors_name_the_op_and_the_shapes(call, message):
    with pytest.raises((ValueError, RuntimeError, TypeError, NotImplementedError), match=message):
        call()


# ---- layers --------------------------------------------------------------------------------------------
def test_conv_layers_parameters_init_and_state_dict():
    tl.manual_seed(0)
    conv = nn.Conv2d(4, 6, (3, 2), groups=2)
    assert [name for name, _ in conv.named_parameters()] == ["weight", "bias"]
    assert conv.weight.shape == (6, 2, 3, 2) and conv.bias.shape == (6,) and conv.weight.dtype == np.float32
    bound = 1 / math.sqrt(2 * 3 * 2)  # PyTorch's kaiming_uniform_(a=sqrt(5)) and bias bound: 1/sqrt(fan_in)
    for p in (conv.weight, conv.bias):
        assert np.abs(p.numpy()).max() <= bound and np.abs(p.numpy()).max() > 0.5 * bound
    transposed = nn.ConvTranspose2d(4, 6, 3, groups=2, bias=False, dtype=tl.float64)
    assert transposed.weight.shape == (4, 3, 3, 3) and transposed.bias is None and transposed.weight.dtype == np.float64
    assert np.abs(transposed.weight.numpy()).max() <= 1 / math.sqrt(27)
    copy = nn.Conv2d(4, 6, (3, 2), groups=2)
    copy.load_state_dict(conv.state_dict())
    x = tl.randn(2, 4, 5, 5)
    assert_close(copy(x), conv(x))


def test_conv_layers_padding_modes_and_output_size(rng):
    x = Tensor(rng.standard_normal((1, 2, 5, 4)))
    for mode in ("reflect", "replicate", "circular"):
        layer = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode, dtype=tl.float64)
        expected = F.conv2d(F.pad(x, (2, 2, 1, 1), mode=mode), layer.weight, layer.bias)
        assert_close(layer(x), expected, rtol=1e-12)
    same = nn.Conv1d(1, 1, 4, padding="same", padding_mode="circular", dtype=tl.float64)
    line = Tensor(rng.standard_normal((1, 1, 6)))
    assert_close(same(line), F.conv1d(F.pad(line, (1, 2), mode="circular"), same.weight, same.bias), rtol=1e-12)
    up = nn.ConvTranspose2d(2, 4, 3, stride=2)
    small = tl.ones(1, 2, 3, 3)
    assert up(small).shape == (1, 4, 7, 7) and up(small, output_size=(8, 8)).shape == (1, 4, 8, 8)
    assert up(small, output_size=(1, 4, 8, 8)).shape == (1, 4, 8, 8)
    assert up(small[0], output_size=(8, 8)).shape == (4, 8, 8)
    with pytest.raises(ValueError, match="requested an output size of \\(9, 9\\), but valid sizes range from "
                                         "\\[7, 7\\] to \\[8, 8\\]"):
        up(small, output_size=(9, 9))


LAYER_ERRORS = [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), "in_channels \\(3\\) and out_channels \\(4\\) must be divisible by groups"),
    (lambda: nn.Conv2d(4, 4, 3, groups=0), "groups must be a positive integer"),
    (lambda: nn.Conv2d(2, 4, 3, padding="full"), "invalid padding string 'full'"),
    (lambda: nn.Conv2d(2, 4, 3, padding="same", stride=2), "padding='same' is not supported for strided"),
    (lambda: nn.Conv2d(2, 4, 3, padding_mode="wrap"), "padding_mode must be one of"),
    (lambda: nn.ConvTranspose2d(2, 4, 3, padding_mode="reflect"), 'Only "zeros" padding mode is supported'),
]


@pytest.mark.parametrize("call, message", LAYER_ERRORS, ids=[str(i) for i in range(len(LAYER_ERRORS))])
def test_layer_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_layer_reprs():
    assert repr(nn.Conv2d(1, 6, 5)) == "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))"
    assert repr(nn.Conv2d(2, 4, (3, 2), stride=2, padding=1, dilation=2, groups=2, bias=False, padding_mode="reflect")) \
        == ("Conv2d(2, 4, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), dilation=(2, 2), groups=2, bias=False, "
            "padding_mode=reflect)")
    assert repr(nn.Conv1d(1, 6, 3, padding="same")) == "Conv1d(1, 6, kernel_size=(3,), stride=(1,), padding=same)"
    assert repr(nn.ConvTranspose2d(2, 4, 3, stride=2, output_padding=1)) == (
        "ConvTranspose2d(2, 4, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))")
    assert repr(nn.Unfold(2)) == "Unfold(kernel_size=2, dilation=1, padding=0, stride=1)"
    assert repr(nn.Fold((4, 5), 2)) == "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)"


# ---- against PyTorch -------------------------------------------------------------------------------------
def _torch():
    return pytest.importorskip("torch")


def _compare(ours, theirs, message="", rtol=1e-10, atol=1e-10):
    assert tuple(ours.shape) == tuple(theirs.shape), message
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), message
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol, err_msg=message)


def _both(rng, *arrays):
    torch = _torch()
    return ([None if a is None else Tensor(a, requires_grad=True) for a in arrays],
            [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays])


def _run_both(ours_fn, theirs_fn, ours_in, theirs_in, rng, message):
    torch = _torch()
    out, expected = ours_fn(*ours_in), theirs_fn(*theirs_in)
    _compare(out, expected, message)
    g = rng.standard_normal(tuple(expected.shape))
    out.backward(Tensor(g))
    expected.backward(torch.tensor(g))
    for mine, theirs in zip(ours_in, theirs_in):
        if mine is not None:
            _compare(mine.grad, theirs.grad, message + " (gradient)")


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note that it copies the input for this
def test_conv_matches_torch_values_and_gradients():
    torch = _torch()
    rng = np.random.default_rng(5)
    for trial in range(24):
        nd, groups = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        per_in, per_out = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        kernel = tuple(int(k) for k in rng.integers(1, 4, nd))
        stride = tuple(int(s) for s in rng.integers(1, 3, nd))
        dilation = tuple(int(d) for d in rng.integers(1, 3, nd))
        padding = ["same", "valid", tuple(int(p) for p in rng.integers(0, 3, nd))][trial % 3]
        if padding == "same":
            stride = (1,) * nd
        size = tuple(int(d * (k - 1) + 1 + rng.integers(0, 3)) for k, d in zip(kernel, dilation))
        batch = () if trial % 4 == 0 else (int(rng.integers(0, 3)),)  # unbatched, or a batch of 0 to 2
        x = rng.standard_normal(batch + (per_in * groups,) + size)
        w, b = rng.standard_normal((per_out * groups, per_in) + kernel), rng.standard_normal(per_out * groups)
        args = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        ours_in, theirs_in = _both(rng, x, w, b if trial % 2 else None)
        _run_both(lambda *t: getattr(F, f"conv{nd}d")(*t, **args),
                  lambda *t: getattr(torch.nn.functional, f"conv{nd}d")(*t, **args), ours_in, theirs_in, rng, str(args))


@pytest.mark.torch
def test_conv_transpose_matches_torch_values_and_gradients():
    torch = _torch()
    rng = np.random.default_rng(6)
    for trial in range(20):
        nd, groups = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        per_in, per_out = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        kernel = tuple(int(k) for k in rng.integers(1, 4, nd))
        stride = tuple(int(s) for s in rng.integers(1, 3, nd))
        dilation = tuple(int(d) for d in rng.integers(1, 3, nd))
        padding = tuple(int(p) for p in rng.integers(0, 2, nd))
        output_padding = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
        size = tuple(int(n) for n in rng.integers(1, 4, nd))
        if min((n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, s, p, d, k, op in
               zip(size, stride, padding, dilation, kernel, output_padding)) < 1:
            continue
        x = rng.standard_normal((int(rng.integers(1, 3)), per_in * groups) + size)
        w, b = rng.standard_normal((per_in * groups, per_out) + kernel), rng.standard_normal(per_out * groups)
        args = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups, dilation=dilation)
        ours_in, theirs_in = _both(rng, x, w, b if trial % 2 else None)
        _run_both(lambda *t: getattr(F, f"conv_transpose{nd}d")(*t, **args),
                  lambda *t: getattr(torch.nn.functional, f"conv_transpose{nd}d")(*t, **args), ours_in, theirs_in, rng,
                  str(args))


@pytest.mark.torch
def test_pad_matches_torch_values_and_gradients():
    torch = _torch()
    rng = np.random.default_rng(7)
    for trial in range(40):
        mode, nd = MODES[trial % 4], int(rng.integers(1, 4))
        size = tuple(int(n) for n in rng.integers(3, 5, nd))
        x = rng.standard_normal((2, 2) + size)
        pad = tuple(int(p) for p in rng.integers(-1 if mode != "reflect" else 0, 3, 2 * nd))
        ours_in, theirs_in = _both(rng, x)
        _run_both(lambda t: F.pad(t, pad, mode), lambda t: torch.nn.functional.pad(t, pad, mode=mode), ours_in,
                  theirs_in, rng, f"{mode} {pad} {size}")
    _compare(F.pad(tl.arange(3), (1, 1), value=2.7), torch.nn.functional.pad(torch.arange(3), (1, 1), value=2.7))


@pytest.mark.torch
def test_unfold_fold_match_torch():
    torch = _torch()
    rng = np.random.default_rng(8)
    for trial in range(15):
        kernel, dilation = tuple(int(k) for k in rng.integers(1, 4, 2)), tuple(int(d) for d in rng.integers(1, 3, 2))
        padding, stride = tuple(int(p) for p in rng.integers(0, 2, 2)), tuple(int(s) for s in rng.integers(1, 3, 2))
        size = tuple(int(d * (k - 1) + 1 + rng.integers(0, 3)) for k, d in zip(kernel, dilation))
        x = rng.standard_normal((2, 3) + size)
        ours_in, theirs_in = _both(rng, x)
        _run_both(lambda t: F.unfold(t, kernel, dilation, padding, stride),
                  lambda t: torch.nn.functional.unfold(t, kernel, dilation, padding, stride), ours_in, theirs_in, rng,
                  "unfold")
        blocks = F.unfold(Tensor(x), kernel, dilation, padding, stride).shape[2]
        ours_in, theirs_in = _both(rng, rng.standard_normal((2, 3 * math.prod(kernel), blocks)))
        _run_both(lambda t: F.fold(t, size, kernel, dilation, padding, stride),
                  lambda t: torch.nn.functional.fold(t, size, kernel, dilation, padding, stride), ours_in, theirs_in,
                  rng, "fold")


@pytest.mark.torch
def test_conv_float32_and_layers_match_torch():
    torch = _torch()
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 4, 7, 6)).astype(np.float32)
    for ours_layer, theirs_layer in [
            (nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2),
             torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)),
            (nn.Conv2d(4, 2, (2, 3), padding="same", dilation=(2, 1), padding_mode="reflect"),
             torch.nn.Conv2d(4, 2, (2, 3), padding="same", dilation=(2, 1), padding_mode="reflect")),
            (nn.Conv2d(4, 3, 3, padding=2, padding_mode="circular", bias=False),
             torch.nn.Conv2d(4, 3, 3, padding=2, padding_mode="circular", bias=False)),
            (nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
             torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2))]:
        assert repr(ours_layer) == repr(theirs_layer)
        assert [(k, tuple(v.shape)) for k, v in ours_layer.state_dict().items()] == [
            (k, tuple(v.shape)) for k, v in theirs_layer.state_dict().items()]
        # a torch layer loaded with our weights gives our outputs, and ours loaded with torch's gives torch's
        theirs_layer.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours_layer.state_dict().items()})
        ours_in, theirs_in = [Tensor(x, requires_grad=True)], [torch.tensor(x, requires_grad=True)]
        out, expected = ours_layer(*ours_in), theirs_layer(*theirs_in)
        _compare(out, expected, repr(ours_layer), rtol=1e-4, atol=1e-5)
        out.sum().backward()
        expected.sum().backward()
        _compare(ours_in[0].grad, theirs_in[0].grad, "input gradient", rtol=1e-4, atol=1e-5)
        for name, parameter in ours_layer.named_parameters():
            _compare(parameter.grad, getattr(theirs_layer, name).grad, name, rtol=1e-4, atol=1e-4)
        with torch.no_grad():
            for p in theirs_layer.parameters():
                p.mul_(-0.5)
        ours_layer.load_state_dict({k: Tensor(v.numpy()) for k, v in theirs_layer.state_dict().items()})
        _compare(ours_layer(Tensor(x)), theirs_layer(torch.tensor(x)), "loaded from torch", rtol=1e-4, atol=1e-5)


@pytest.mark.torch
def test_conv_init_has_torch_bounds():
    torch = _torch()
    for ours, theirs in [(nn.Conv2d(3, 8, 5), torch.nn.Conv2d(3, 8, 5)),
                         (nn.ConvTranspose1d(6, 40, 3, groups=2), torch.nn.ConvTranspose1d(6, 40, 3, groups=2))]:
        fan_in, _ = torch.nn.init._calculate_fan_in_and_fan_out(theirs.weight)
        bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) and the bias's bound are both this
        for name in ("weight", "bias"):
            mine, reference = getattr(ours, name).numpy(), getattr(theirs, name).detach().numpy()
            assert mine.shape == reference.shape and np.abs(mine).max() <= bound
            assert np.abs(mine).max() > 0.8 * bound and np.abs(reference).max() <= bound, name
