"""The losses' options and the remaining losses: class weights, ignore_index, (N, C, d1, ...) and
unbatched inputs, label smoothing and class-probability targets of nll_loss and cross_entropy; weight
and pos_weight of the binary cross-entropies; smooth_l1, huber, kl_div, the embedding, ranking and
margin losses, the Poisson and Gaussian likelihoods, cosine_similarity and pairwise_distance.

Values against numpy formulas and gradchecks (float64) on drawn shapes and options, gradgradchecks of
the smooth ones, edge values, errors, the modules, and differential tests against PyTorch (marked
torch) over every combination of options.
"""
import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_like as tl
from tinygrad_like import Tensor, nn
from tinygrad_like.nn import functional as F
from tinygrad_like.testing import arrays, assert_close, shapes

REDUCTIONS = ["mean", "sum", "none"]
GAP = 1e-3  # how far drawn inputs stay from a kink: far beyond gradcheck's eps (1e-6)


# ---- numpy references (PyTorch's definitions) -----------------------------------------------------
def reduce(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def log_softmax(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def log_sigmoid(x):
    return -np.logaddexp(0, -x)


def class_axis(x):
    return 0 if x.ndim == 1 else 1


def class_view(weight, x):
    shape = [1] * x.ndim
    shape[class_axis(x)] = -1
    return weight.reshape(shape)


def nll_reference(x, target, weight, ignore_index, reduction):
    axis = class_axis(x)
    counted = target != ignore_index
    safe = np.where(counted, target, 0)
    picked = np.take_along_axis(x, np.expand_dims(safe, axis), axis).squeeze(axis)
    weights = (np.ones(x.shape[axis]) if weight is None else weight)[safe] * counted
    losses = -picked * weights
    if reduction == "mean":
        return losses.sum() / weights.sum()
    return losses.sum() if reduction == "sum" else losses


def cross_entropy_reference(x, target, weight, ignore_index, reduction, smoothing):
    axis = class_axis(x)
    log_p = log_softmax(x, axis)
    nll = nll_reference(log_p, target, weight, ignore_index, reduction)
    if not smoothing:
        return nll
    classes = x.shape[axis]
    weight = np.ones(classes) if weight is None else weight
    counted = target != ignore_index
    smooth = -(log_p * class_view(weight, x)).sum(axis) * counted
    if reduction == "mean":
        smooth = smooth.sum() / (weight[np.where(counted, target, 0)] * counted).sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - smoothing) * nll + smoothing / classes * smooth


def cross_entropy_probabilities_reference(x, p, weight, reduction, smoothing):
    axis = class_axis(x)
    classes = x.shape[axis]
    p = p * (1 - smoothing) + smoothing / classes
    product = log_softmax(x, axis) * p * (1 if weight is None else class_view(weight, x))
    losses = -product.sum(axis)
    if reduction == "mean":
        return losses.sum() / (x.size / classes)
    return losses.sum() if reduction == "sum" else losses


def bce_reference(p, y, weight):
    loss = -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log1p(-p), -100))
    return loss if weight is None else loss * weight


def bce_with_logits_reference(x, y, weight, pos_weight):
    log_weight = 1 if pos_weight is None else (pos_weight - 1) * y + 1
    loss = (1 - y) * x - log_weight * log_sigmoid(x)
    return loss if weight is None else loss * weight


def smooth_l1_reference(d, beta):
    return np.abs(d) if beta == 0 else np.where(np.abs(d) < beta, 0.5 * d * d / beta, np.abs(d) - 0.5 * beta)


def huber_reference(d, delta):
    return np.where(np.abs(d) < delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))


def kl_reference(x, t, log_target):
    if log_target:
        return np.exp(t) * (t - x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t == 0, 0, t * np.log(t)) - t * x


def cosine_reference(a, b, dim, eps):
    a, b = np.broadcast_arrays(a, b)
    norm_a = np.maximum(np.sqrt((a * a).sum(dim, keepdims=True)), eps)
    norm_b = np.maximum(np.sqrt((b * b).sum(dim, keepdims=True)), eps)
    return ((a / norm_a) * (b / norm_b)).sum(dim)


def distance_reference(a, b, p, eps, keepdim=False):
    d = np.abs(a - b + eps)
    if p == np.inf:
        return d.max(-1, keepdims=keepdim)
    return (d ** p).sum(-1, keepdims=keepdim) ** (1 / p)


def poisson_reference(x, t, log_input, full, eps=1e-8):
    loss = np.exp(x) - t * x if log_input else x - t * np.log(x + eps)
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):
            stirling = t * np.log(t) - t + 0.5 * np.log(2 * np.pi * t)
        loss = loss + np.where(t > 1, stirling, 0)
    return loss


def gaussian_reference(x, t, var, full, eps=1e-6):
    var = np.maximum(var, eps)
    loss = 0.5 * (np.log(var) + (x - t) ** 2 / var)
    return loss + 0.5 * np.log(2 * np.pi) if full else loss


# ---- drawn inputs --------------------------------------------------------------------------------
@st.composite
def class_shapes(draw):
    """(C,), (N, C) or (N, C, d1[, d2]) with small sides."""
    classes = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["one sample", "batch", "spatial"]))
    if kind == "one sample":
        return (classes,)
    batch = draw(st.integers(1, 3))
    extra = draw(shapes(min_dims=1, max_dims=2, max_side=2)) if kind == "spatial" else ()
    return (batch, classes) + tuple(extra)


def index_shape(shape):
    return shape[:1] + shape[2:] if len(shape) > 1 else ()


def draw_class_targets(data, shape):
    """Class indices for an input of `shape`, an ignore_index and entries set to it (never all of them)."""
    classes = shape[class_axis(np.empty(shape))]
    target = data.draw(hnp.arrays(np.int64, index_shape(shape), elements=st.integers(0, classes - 1)))
    ignore_index = data.draw(st.sampled_from([-100, 0, classes - 1]))
    mask = data.draw(hnp.arrays(np.bool_, target.shape))
    target = np.where(mask, ignore_index, target) if ignore_index == -100 else target
    assume(np.any(target != ignore_index))
    return target, ignore_index


def draw_weight(data, classes):
    return data.draw(st.none() | arrays((classes,), min_value=0.2, max_value=2.0))


def constant(weight):
    return None if weight is None else Tensor(weight)


def leaf(array):
    return Tensor(array, requires_grad=True)


# ---- one case per loss: (function of the differentiated tensors, those tensors, the numpy value) -----
def case_nll_loss(data, reduction):
    shape = data.draw(class_shapes())
    x = data.draw(arrays(shape))
    target, ignore_index = draw_class_targets(data, shape)
    weight = draw_weight(data, shape[class_axis(x)])

    def fn(x):
        return F.nll_loss(x, target, weight=constant(weight), ignore_index=ignore_index, reduction=reduction)
    return fn, (leaf(x),), nll_reference(x, target, weight, ignore_index, reduction)


def case_cross_entropy(data, reduction):
    shape = data.draw(class_shapes())
    x = data.draw(arrays(shape))
    target, ignore_index = draw_class_targets(data, shape)
    weight = draw_weight(data, shape[class_axis(x)])
    smoothing = data.draw(st.sampled_from([0.0, 0.1, 0.5]))

    def fn(x):
        return F.cross_entropy(x, Tensor(target), weight=constant(weight), ignore_index=ignore_index,
                               reduction=reduction, label_smoothing=smoothing)
    return fn, (leaf(x),), cross_entropy_reference(x, target, weight, ignore_index, reduction, smoothing)


def case_cross_entropy_probabilities(data, reduction):
    shape = data.draw(class_shapes())
    x, p = data.draw(arrays(shape)), data.draw(arrays(shape, min_value=0.0, max_value=1.0))
    weight = draw_weight(data, shape[class_axis(x)])
    smoothing = data.draw(st.sampled_from([0.0, 0.2]))
    inputs = (leaf(x), leaf(p)) + (() if weight is None else (leaf(weight),))  # the weight is differentiable here

    def fn(x, p, *weight):
        return F.cross_entropy(x, p, weight=weight[0] if weight else None, reduction=reduction,
                               label_smoothing=smoothing)
    return fn, inputs, cross_entropy_probabilities_reference(x, p, weight, reduction, smoothing)


def draw_elementwise_weight(data, shape):
    """None, one weight per class (the last axis) or one per element."""
    kind = data.draw(st.sampled_from(["none", "class", "element"]))
    if kind == "none" or (kind == "class" and not shape):
        return None
    return data.draw(arrays(shape[-1:] if kind == "class" else shape, min_value=0.2, max_value=2.0))


def case_binary_cross_entropy(data, reduction):
    shape = data.draw(shapes(max_dims=2, max_side=3))
    p = data.draw(arrays(shape, min_value=0.02, max_value=0.98))
    y = data.draw(arrays(shape, min_value=0.02, max_value=0.98))  # eps-steps stay inside [0, 1]
    weight = draw_elementwise_weight(data, shape)

    def fn(p, y):
        return F.binary_cross_entropy(p, y, weight=constant(weight), reduction=reduction)
    return fn, (leaf(p), leaf(y)), reduce(bce_reference(p, y, weight), reduction)


def case_binary_cross_entropy_with_logits(data, reduction):
    shape = data.draw(shapes(max_dims=2, max_side=3))
    x = data.draw(arrays(shape, min_value=-6, max_value=6))
    y = data.draw(arrays(shape, min_value=0.02, max_value=0.98))
    weight = draw_elementwise_weight(data, shape)
    pos_weight = data.draw(st.none() | arrays(shape[-1:], min_value=0.2, max_value=3.0))

    def fn(x, y):
        return F.binary_cross_entropy_with_logits(x, y, weight=constant(weight), reduction=reduction,
                                                  pos_weight=constant(pos_weight))
    return fn, (leaf(x), leaf(y)), reduce(bce_with_logits_reference(x, y, weight, pos_weight), reduction)


def draw_differences(data, shape, kinks):
    """input, target whose differences stay GAP away from each kink (|input - target| = k)."""
    x, y = data.draw(arrays(shape)), data.draw(arrays(shape))
    for k in kinks:
        assume(np.all(np.abs(np.abs(x - y) - k) > GAP))
    return x, y


def case_smooth_l1_loss(data, reduction):
    beta = data.draw(st.sampled_from([0.0, 0.5, 1.0, 2.0]))
    x, y = draw_differences(data, data.draw(shapes(max_dims=2, max_side=3)), [beta])

    def fn(x, y):
        return F.smooth_l1_loss(x, y, reduction=reduction, beta=beta)
    return fn, (leaf(x), leaf(y)), reduce(smooth_l1_reference(x - y, beta), reduction)


def case_huber_loss(data, reduction):
    delta = data.draw(st.sampled_from([0.5, 1.0, 2.0]))
    shape = data.draw(shapes(max_dims=2, max_side=3))
    x, y = draw_differences(data, shape, [delta])
    weight = data.draw(st.none() | arrays(shape, min_value=0.2, max_value=2.0))
    inputs = (leaf(x), leaf(y)) + (() if weight is None else (leaf(weight),))

    def fn(x, y, *weight):
        return F.huber_loss(x, y, reduction=reduction, delta=delta, weight=weight[0] if weight else None)
    loss = huber_reference(x - y, delta) * (1 if weight is None else weight)
    return fn, inputs, reduce(loss, reduction)


def case_weighted_mse_and_l1_loss(data, reduction):
    shape = data.draw(shapes(max_dims=2, max_side=3))
    x, y = draw_differences(data, shape, [0])
    weight = data.draw(arrays(shape, min_value=0.2, max_value=2.0))

    def fn(x, y, weight):
        return (F.mse_loss(x, y, reduction=reduction, weight=weight),
                F.l1_loss(x, y, reduction=reduction, weight=weight))

    def weighted(loss):  # PyTorch: 'mean' divides by the sum of the weights
        return (loss * weight).sum() / weight.sum() if reduction == "mean" else reduce(loss * weight, reduction)
    return fn, (leaf(x), leaf(y), leaf(weight)), (weighted((x - y) ** 2), weighted(np.abs(x - y)))


def case_kl_div(data, reduction):
    reduction = data.draw(st.sampled_from([reduction, "batchmean"]))
    log_target = data.draw(st.booleans())
    shape = data.draw(shapes(max_dims=2, max_side=3))
    x = data.draw(arrays(shape))
    t = data.draw(arrays(shape, min_value=-3 if log_target else 0.05, max_value=1.0))

    def fn(x, t):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch's note on 'mean'
            return F.kl_div(x, t, reduction=reduction, log_target=log_target)
    loss = kl_reference(x, t, log_target)
    expected = loss.sum() / (x.shape[0] if x.ndim else 1) if reduction == "batchmean" else reduce(loss, reduction)
    return fn, (leaf(x), leaf(t)), expected


def case_cosine_similarity(data, reduction):
    shape_a, shape_b = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3,
                                                                   max_side=3)).input_shapes
    a, b = data.draw(arrays(shape_a)), data.draw(arrays(shape_b))
    ndim = max(len(shape_a), len(shape_b))
    dim = data.draw(st.integers(-ndim, ndim - 1))
    full = np.broadcast_shapes(shape_a, shape_b)
    for x in (a, b):  # norms away from the eps clamp
        assume(np.all(np.sqrt((np.broadcast_to(x, full) ** 2).sum(dim)) > 0.1))

    def fn(a, b):
        return F.cosine_similarity(a, b, dim=dim)
    return fn, (leaf(a), leaf(b)), cosine_reference(a, b, dim, 1e-8)


def case_pairwise_distance(data, reduction):
    shape = data.draw(shapes(min_dims=1, max_dims=2, max_side=3))
    a, b = data.draw(arrays(shape)), data.draw(arrays(shape))
    p = data.draw(st.sampled_from([1, 1.5, 2, 3]))
    keepdim = data.draw(st.booleans())
    assume(np.all(np.abs(a - b + 1e-6) > GAP))  # |.| has a kink at 0

    def fn(a, b):
        return F.pairwise_distance(a, b, p=p, keepdim=keepdim)
    return fn, (leaf(a), leaf(b)), distance_reference(a, b, p, 1e-6, keepdim)


def case_triplet_margin_loss(data, reduction):
    shape = data.draw(shapes(min_dims=1, max_dims=2, max_side=3))
    anchor, positive, negative = (data.draw(arrays(shape)) for _ in range(3))
    margin, p, swap = data.draw(st.sampled_from([0.5, 1.0, 2.0])), data.draw(st.sampled_from([1, 2, 3])), \
        data.draw(st.booleans())
    for u, v in [(anchor, positive), (anchor, negative), (positive, negative)]:
        assume(np.all(np.abs(u - v + 1e-6) > GAP))
    d_pos, d_neg = distance_reference(anchor, positive, p, 1e-6), distance_reference(anchor, negative, p, 1e-6)
    if swap:
        d_swap = distance_reference(positive, negative, p, 1e-6)
        assume(np.all(np.abs(d_neg - d_swap) > GAP))
        d_neg = np.minimum(d_neg, d_swap)
    assume(np.all(np.abs(margin + d_pos - d_neg) > GAP))

    def fn(anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=margin, p=p, swap=swap, reduction=reduction)
    expected = reduce(np.maximum(margin + d_pos - d_neg, 0), reduction)
    return fn, (leaf(anchor), leaf(positive), leaf(negative)), expected


def case_cosine_embedding_loss(data, reduction):
    batch = data.draw(st.sampled_from([(), (1,), (3,)]))
    a, b = data.draw(arrays(batch + (3,))), data.draw(arrays(batch + (3,)))
    target = data.draw(hnp.arrays(np.int64, batch, elements=st.sampled_from([1, -1, 0])))
    margin = data.draw(st.sampled_from([0.0, 0.5, -0.3]))
    assume(np.all(np.linalg.norm(a, axis=-1) > 0.1) and np.all(np.linalg.norm(b, axis=-1) > 0.1))
    cos = (a * b).sum(-1) / np.sqrt(((a * a).sum(-1) + 1e-12) * ((b * b).sum(-1) + 1e-12))
    assume(np.all(np.abs(cos - margin) > GAP))

    def fn(a, b):
        return F.cosine_embedding_loss(a, b, Tensor(target), margin=margin, reduction=reduction)
    loss = np.where(target == 1, 1 - cos, 0) + np.where(target == -1, np.maximum(cos - margin, 0), 0)
    return fn, (leaf(a), leaf(b)), reduce(loss, reduction)


def case_margin_ranking_loss(data, reduction):
    shape = data.draw(shapes(max_dims=2, max_side=3))
    a, b = data.draw(arrays(shape)), data.draw(arrays(shape))
    target = np.where(data.draw(hnp.arrays(np.bool_, shape)), 1.0, -1.0)
    margin = data.draw(st.sampled_from([0.0, 0.5]))
    assume(np.all(np.abs(-target * (a - b) + margin) > GAP))

    def fn(a, b, target):
        return F.margin_ranking_loss(a, b, target, margin=margin, reduction=reduction)
    return fn, (leaf(a), leaf(b), leaf(target)), reduce(np.maximum(-target * (a - b) + margin, 0), reduction)


def case_hinge_embedding_loss(data, reduction):
    shape = data.draw(shapes(max_dims=2, max_side=3))
    x = data.draw(arrays(shape))
    target = data.draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([1.0, -1.0, 0.5])))
    margin = data.draw(st.sampled_from([1.0, 0.5, -0.5]))
    assume(np.all(np.abs(margin - x) > GAP))

    def fn(x):
        return F.hinge_embedding_loss(x, target, margin=margin, reduction=reduction)
    loss = np.where(target != 1, np.maximum(margin - x, 0), 0) + np.where(target != -1, x, 0)
    return fn, (leaf(x),), reduce(loss, reduction)


def case_soft_margin_loss(data, reduction):
    shape = data.draw(shapes(max_dims=2, max_side=3))
    x = data.draw(arrays(shape))
    target = np.where(data.draw(hnp.arrays(np.bool_, shape)), 1.0, -1.0)

    def fn(x):  # the target has no gradient, as in PyTorch
        return F.soft_margin_loss(x, target, reduction=reduction)
    return fn, (leaf(x),), reduce(np.log1p(np.exp(-target * x)), reduction)


def case_multilabel_soft_margin_loss(data, reduction):
    shape = data.draw(shapes(min_dims=1, max_dims=2, max_side=3))
    x, y = data.draw(arrays(shape)), data.draw(arrays(shape, min_value=0.0, max_value=1.0))
    weight = data.draw(st.none() | arrays(shape[-1:], min_value=0.2, max_value=2.0))
    inputs = (leaf(x), leaf(y)) + (() if weight is None else (leaf(weight),))

    def fn(x, y, *weight):
        return F.multilabel_soft_margin_loss(x, y, weight=weight[0] if weight else None, reduction=reduction)
    loss = -(y * log_sigmoid(x) + (1 - y) * log_sigmoid(-x)) * (1 if weight is None else weight)
    return fn, inputs, reduce(loss.sum(-1) / shape[-1], reduction)


def case_poisson_nll_loss(data, reduction):
    log_input, full = data.draw(st.booleans()), data.draw(st.booleans())
    shape = data.draw(shapes(max_dims=2, max_side=3))
    x = data.draw(arrays(shape, min_value=-2 if log_input else 0.1, max_value=2.0))
    t = data.draw(arrays(shape, min_value=0.05, max_value=4.0))
    assume(not full or np.all(np.abs(t - 1) > GAP))  # Stirling's term starts (with a jump) at target 1

    def fn(x, t):
        return F.poisson_nll_loss(x, t, log_input=log_input, full=full, reduction=reduction)
    return fn, (leaf(x), leaf(t)), reduce(poisson_reference(x, t, log_input, full), reduction)


def case_gaussian_nll_loss(data, reduction):
    shape = data.draw(shapes(min_dims=1, max_dims=3, max_side=3))
    x, t = data.draw(arrays(shape)), data.draw(arrays(shape))
    var_kind = data.draw(st.sampled_from(["same", "last missing", "one axis 1", "number"]))
    full = data.draw(st.booleans())
    if var_kind == "number":
        var = data.draw(st.floats(0.1, 3.0))
        inputs, var_array = (leaf(x), leaf(t)), var
    else:
        axis = data.draw(st.integers(0, len(shape) - 1))
        var_shape = {"same": shape, "last missing": shape[:-1],
                     "one axis 1": shape[:axis] + (1,) + shape[axis + 1:]}[var_kind]
        var = data.draw(arrays(var_shape, min_value=0.1, max_value=3.0))
        inputs = (leaf(x), leaf(t), leaf(var))
        var_array = var[..., None] if var_kind == "last missing" else var

    def fn(x, t, *var_tensor):
        return F.gaussian_nll_loss(x, t, var_tensor[0] if var_tensor else var, full=full, reduction=reduction)
    return fn, inputs, reduce(gaussian_reference(x, t, var_array, full), reduction)


CASES = {name[len("case_"):]: case for name, case in globals().items() if name.startswith("case_")}
# second derivatives: all but the piecewise-linear ones (whose second derivative is 0 and checked by the rest)
SMOOTH = ["cross_entropy", "cross_entropy_probabilities", "binary_cross_entropy", "binary_cross_entropy_with_logits",
          "smooth_l1_loss", "huber_loss", "kl_div", "cosine_similarity", "pairwise_distance", "triplet_margin_loss",
          "cosine_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss", "poisson_nll_loss",
          "gaussian_nll_loss"]


@pytest.mark.parametrize("name", CASES)
@settings(max_examples=6)
@given(data=st.data(), reduction=st.sampled_from(REDUCTIONS))
def test_value_and_gradcheck(name, data, reduction):
    fn, inputs, expected = CASES[name](data, reduction)
    outputs = fn(*inputs)
    for out, value in zip(outputs if isinstance(outputs, tuple) else (outputs,),
                          expected if isinstance(expected, tuple) else (expected,)):
        assert out.dtype == np.float64
        assert_close(out, np.asarray(value), rtol=1e-10, atol=1e-12, message=name)
    assert tl.gradcheck(fn, *inputs)


@pytest.mark.parametrize("name", SMOOTH)
@settings(max_examples=2)
@given(data=st.data(), reduction=st.sampled_from(REDUCTIONS))
def test_gradgradcheck(name, data, reduction):
    fn, inputs, _ = CASES[name](data, reduction)
    assert tl.gradgradcheck(fn, *inputs)


# ---- edge values ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1e3, 1e4, 1e30])
def test_cross_entropy_options_stay_finite_for_huge_logits(dtype, scale):
    x = np.array([[1.0, -1.0, 0.0], [-1.0, 1.0, 1.0]]) * scale
    logits = Tensor(x.astype(dtype), requires_grad=True)
    out = F.cross_entropy(logits, np.array([1, 0]), weight=Tensor(np.array([1.0, 2.0, 0.5], dtype)),
                          reduction="sum", label_smoothing=0.1)
    assert out.dtype == dtype
    expected = cross_entropy_reference(x, np.array([1, 0]), np.array([1.0, 2.0, 0.5]), -100, "sum", 0.1)
    assert_close(out, expected, rtol=1e-6)
    out.backward()
    assert np.all(np.isfinite(logits.grad.numpy()))
    soft = F.cross_entropy(logits, np.array([[0.2, 0.8, 0.0], [0.0, 0.5, 0.5]], dtype), label_smoothing=0.3)
    assert np.isfinite(soft.item())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1e3, 1e4])
def test_bce_with_logits_pos_weight_stays_finite_and_exact_for_huge_logits(dtype, scale):
    x = Tensor(np.array([1.0, -1.0, 1.0, -1.0], dtype) * scale, requires_grad=True)
    y = Tensor(np.array([0.0, 1.0, 1.0, 0.0], dtype), requires_grad=True)
    pos_weight, weight = np.array([2.0, 3.0, 0.5, 4.0], dtype), np.array([1.0, 0.5, 2.0, 1.0], dtype)
    out = F.binary_cross_entropy_with_logits(x, y, weight=Tensor(weight), pos_weight=Tensor(pos_weight),
                                             reduction="none")
    assert out.dtype == dtype
    # a wrong sign costs |x|, times pos_weight for a missed positive; a right one costs nothing
    assert_close(out, np.array([scale, 3 * 0.5 * scale, 0, 0]), rtol=1e-6)
    out.sum().backward()
    assert_close(x.grad, np.array([1.0, -1.5, 0.0, 0.0]), atol=1e-6)
    assert np.all(np.isfinite(y.grad.numpy()))


@pytest.mark.parametrize("loss", [F.soft_margin_loss, F.multilabel_soft_margin_loss])
def test_logit_losses_stay_finite_for_huge_inputs(loss):
    x = Tensor(np.array([[1e4, -1e4]]), requires_grad=True)
    out = loss(x, np.array([[-1.0, 1.0]]) if loss is F.soft_margin_loss else np.array([[0.0, 1.0]]),
               reduction="sum")
    assert_close(out, 2e4 if loss is F.soft_margin_loss else 1e4)
    out.backward()
    assert np.all(np.isfinite(x.grad.numpy()))


@pytest.mark.parametrize("loss", [F.nll_loss, F.cross_entropy])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_all_targets_ignored(loss, smoothing):
    options = {} if loss is F.nll_loss else {"label_smoothing": smoothing}
    x = Tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    target = np.full(3, -100)
    assert np.isnan(loss(x, target, **options).item())  # 0 / 0, as in PyTorch
    assert loss(x, target, reduction="sum", **options).item() == 0
    assert_close(loss(x, target, reduction="none", **options), np.zeros(3))
    loss(x, target, **options).backward()  # PyTorch's gradient: zeros, not nan
    assert_close(x.grad, np.zeros((3, 4)))


def test_ignore_index_inside_the_class_range_and_uint8_targets():
    x = np.random.default_rng(1).standard_normal((4, 3))
    target = np.array([0, 2, 1, 2], dtype=np.uint8)
    out = F.cross_entropy(Tensor(x), target, ignore_index=2, reduction="none")
    assert_close(out, cross_entropy_reference(x, target.astype(np.int64), None, 2, "none", 0.0), rtol=1e-13)
    assert out.numpy()[1] == 0 and out.numpy()[3] == 0


def test_kl_div_of_zero_targets_contributes_nothing():
    x = Tensor(np.array([-1.0, -2.0, -0.5]), requires_grad=True)
    t = Tensor(np.array([0.0, 0.5, 0.5]), requires_grad=True)
    out = F.kl_div(x, t, reduction="none")
    assert_close(out, [0.0, 0.5 * np.log(0.5) + 1.0, 0.5 * np.log(0.5) + 0.25], rtol=1e-14)
    out.sum().backward()
    assert_close(x.grad, [0.0, -0.5, -0.5])
    # PyTorch's xlogy gradient: log t + t / t - input, nan at t = 0
    assert np.isnan(t.grad.numpy()[0]) and np.all(np.isfinite(t.grad.numpy()[1:]))
    assert_close(F.kl_div(x.detach(), Tensor(np.zeros(3)), reduction="sum"), 0.0)


def test_kl_div_batchmean_divides_by_the_batch_and_mean_warns():
    x, t = np.log(np.full((2, 4), 0.25)), np.full((2, 4), 0.25)
    assert_close(F.kl_div(Tensor(x), t, reduction="batchmean"), 0.0, atol=1e-15)
    x = np.random.default_rng(2).standard_normal((2, 4))
    assert_close(F.kl_div(Tensor(x), t, reduction="batchmean"), kl_reference(x, t, False).sum() / 2, rtol=1e-14)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(Tensor(x), t)


def test_losses_of_unbatched_inputs():
    x = np.array([0.5, -1.0, 2.0])
    out = F.cross_entropy(Tensor(x), np.array(1), weight=Tensor(np.array([1.0, 3.0, 1.0])), reduction="none")
    assert out.shape == () and math.isclose(out.item(), 3 * (np.log(np.exp(x).sum()) - x[1]), rel_tol=1e-14)
    assert F.cosine_embedding_loss(Tensor(x), Tensor(-x), np.array(1), reduction="none").shape == ()
    assert F.triplet_margin_loss(Tensor(x), Tensor(x + 1), Tensor(x - 2)).shape == ()
    assert F.pairwise_distance(Tensor(x), Tensor(x + 1)).shape == ()


def test_cosine_similarity_clamps_the_norm_without_a_gradient_of_its_own():
    a = Tensor(np.array([[1e-10, 2e-10], [1.0, 2.0]]), requires_grad=True)
    b = Tensor(np.array([[1.0, 1.0], [3.0, -1.0]]), requires_grad=True)
    out = F.cosine_similarity(a, b)
    assert_close(out, cosine_reference(a.numpy(), b.numpy(), 1, 1e-8), rtol=1e-14)
    out.sum().backward()
    # d/da of sum(a / n(a) * b / |b|) with n(a) = max(|a|, eps) but dn/da = a / |a| (the clamp is a constant)
    a0, b0, eps = a.numpy()[0], b.numpy()[0], 1e-8
    unit_b, norm_a = b0 / np.linalg.norm(b0), np.linalg.norm(a0)
    expected = unit_b / eps - (a0 @ unit_b) / eps ** 2 * a0 / norm_a
    assert_close(a.grad.numpy()[0], expected, rtol=1e-10)


def test_pairwise_distance_p0_counts_and_keepdim():
    a, b = np.array([[1.0, 2.0, 3.0]]), np.array([[1.0 + 1e-6, 0.0, 3.0]])
    assert_close(F.pairwise_distance(Tensor(a), Tensor(b), p=0), [3.0])  # a - b + eps is 2e-6 - 1e-6, not 0
    assert F.pairwise_distance(Tensor(a), Tensor(b), keepdim=True).shape == (1, 1)
    assert_close(F.pairwise_distance(Tensor(a), Tensor(b), p=float("inf")), [2.0 + 1e-6], rtol=1e-14)


def test_gaussian_nll_loss_clamps_var_without_a_gradient_of_its_own():
    var = Tensor(np.array([1e-8, 0.5]), requires_grad=True)
    out = F.gaussian_nll_loss(Tensor(np.array([0.3, 0.2])), np.array([0.1, 0.0]), var, reduction="sum")
    out.backward()
    eps, d2 = 1e-6, np.array([0.04, 0.04])
    assert_close(out, gaussian_reference(np.array([0.3, 0.2]), np.array([0.1, 0.0]), var.numpy(), False).sum())
    assert_close(var.grad, 0.5 * (1 / np.array([eps, 0.5]) - d2 / np.array([eps, 0.5]) ** 2), rtol=1e-10)


def test_huber_is_delta_times_smooth_l1_and_beta_0_is_l1():
    x, y = np.random.default_rng(3).standard_normal((2, 5)) * 2
    for delta in [0.5, 2.0]:
        assert_close(F.huber_loss(Tensor(x), y, delta=delta),
                     delta * F.smooth_l1_loss(Tensor(x), y, beta=delta).numpy(), rtol=1e-13)
    assert_close(F.smooth_l1_loss(Tensor(x), y, beta=0.0), np.abs(x - y).mean(), rtol=1e-14)


def test_smooth_l1_and_huber_gradients_at_the_kinks_are_pytorchs():
    x = Tensor(np.array([-1.0, 0.0, 1.0, 2.0]), requires_grad=True)
    F.smooth_l1_loss(x, np.zeros(4), reduction="sum").backward()
    assert_close(x.grad, [-1.0, 0.0, 1.0, 1.0])
    x.grad = None
    F.huber_loss(x, np.zeros(4), reduction="sum", delta=1.0).backward()
    assert_close(x.grad, [-1.0, 0.0, 1.0, 1.0])


def test_empty_batch():
    out = F.cross_entropy(Tensor(np.zeros((0, 3)), requires_grad=True), np.zeros(0, np.int64))
    assert np.isnan(out.item())
    assert F.cross_entropy(Tensor(np.zeros((0, 3))), np.zeros(0, np.int64), reduction="sum").item() == 0


def test_inputs_are_not_modified_and_gradients_not_aliased():
    x = np.random.default_rng(4).standard_normal((3, 4))
    target, weight = np.array([0, -100, 3]), np.array([1.0, 2.0, 3.0, 4.0])
    copies = x.copy(), target.copy(), weight.copy()
    logits = Tensor(x, requires_grad=True)
    F.cross_entropy(logits, target, weight=Tensor(weight), label_smoothing=0.1).backward()
    for original, copy in zip((logits.numpy(), target, weight), copies):
        np.testing.assert_array_equal(original, copy)
    assert not np.shares_memory(logits.grad.numpy(), x)


# ---- dtypes ---------------------------------------------------------------------------------------
RNG = np.random.default_rng(2025)
X, Y = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
P, Q = RNG.uniform(0.05, 0.95, (3, 4)), RNG.uniform(0, 1, (3, 4))
SIGNS = np.array([1.0, -1.0, 1.0])


def f32(array):
    """A float32 operand: a float64 tensor would promote the loss, in PyTorch too."""
    return Tensor(array.astype(np.float32))


FLOAT_CASES = {
    "nll_weighted": lambda x: F.nll_loss(x, np.array([0, -100, 3]), weight=Tensor(np.arange(1.0, 5.0))),
    "cross_entropy_smoothed": lambda x: F.cross_entropy(x, np.array([0, 1, 3]), label_smoothing=0.1),
    "cross_entropy_spatial": lambda x: F.cross_entropy(x.reshape(3, 2, 2), np.array([[0, 1], [1, 1], [0, 0]])),
    "cross_entropy_probabilities": lambda x: F.cross_entropy(x, Q, weight=Tensor(np.arange(1.0, 5.0))),
    "bce_weighted": lambda x: F.binary_cross_entropy(x.sigmoid(), Q, weight=Tensor(np.arange(1.0, 5.0))),
    "bce_with_logits_pos_weight": lambda x: F.binary_cross_entropy_with_logits(
        x, Q, weight=Tensor(P), pos_weight=Tensor(np.arange(1.0, 5.0))),
    "smooth_l1": lambda x: F.smooth_l1_loss(x, Y, beta=0.5),
    "huber_weighted": lambda x: F.huber_loss(x, Y, delta=0.5, weight=Tensor(P)),
    "mse_weighted": lambda x: F.mse_loss(x, Y, weight=Tensor(P)),
    "kl_div": lambda x: F.kl_div(x, Q, reduction="batchmean"),
    "kl_div_log_target": lambda x: F.kl_div(x, Y, reduction="sum", log_target=True),
    "cosine_similarity": lambda x: F.cosine_similarity(x, f32(Y)).sum(),
    "triplet": lambda x: F.triplet_margin_loss(x, f32(Y), f32(P), swap=True),
    "cosine_embedding": lambda x: F.cosine_embedding_loss(x, f32(Y), SIGNS, margin=0.1),
    "margin_ranking": lambda x: F.margin_ranking_loss(x, f32(Y), np.sign(P - 0.5), margin=0.2),
    "hinge_embedding": lambda x: F.hinge_embedding_loss(x, np.sign(P - 0.5)),
    "soft_margin": lambda x: F.soft_margin_loss(x, np.sign(P - 0.5)),
    "multilabel_soft_margin": lambda x: F.multilabel_soft_margin_loss(x, Q, weight=Tensor(np.arange(1.0, 5.0))),
    "poisson_full": lambda x: F.poisson_nll_loss(x, Q * 4, full=True),
    "gaussian": lambda x: F.gaussian_nll_loss(x, Y, Tensor(P[:, :1]), full=True),
    "gaussian_number_var": lambda x: F.gaussian_nll_loss(x, Y, 0.5),
}


@pytest.mark.parametrize("name", FLOAT_CASES)
def test_float32_stays_float32(name):
    x = Tensor(X.astype(np.float32), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # float32 constants: no overflow or promotion warnings either
        out = FLOAT_CASES[name](x)
    assert out.dtype == np.float32, f"{name}: the loss is {out.dtype}"
    out.backward()
    assert x.grad.dtype == np.float32, f"{name}: the gradient is {x.grad.dtype}"
    assert np.all(np.isfinite(x.grad.numpy()))


# ---- errors ---------------------------------------------------------------------------------------
ERRORS = [
    (lambda: F.cross_entropy(Tensor(X), np.array([0.0, 1.0, 2.0])), TypeError,
     r"cross_entropy: class indices must be integers, got float64"),
    (lambda: F.nll_loss(Tensor(X), np.array([0, 1, 2], np.int32)), TypeError,
     r"nll_loss: class indices must be integers, got int32; PyTorch takes int64 \(or uint8\) only"),
    (lambda: F.cross_entropy(Tensor(X), np.zeros((3, 4), np.int64)), TypeError,
     r"cross_entropy: a target of the input's shape \(3, 4\) holds class probabilities and must be floating"),
    (lambda: F.cross_entropy(Tensor(X.reshape(3, 2, 2)), np.zeros((3,), np.int64)), ValueError,
     r"cross_entropy: expected .*got input \(3, 2, 2\) and target \(3,\)"),
    (lambda: F.nll_loss(Tensor(X), np.array([0, 1, 4])), IndexError,
     r"nll_loss: class indices must lie in \[0, 4\), got values from 0 to 4"),
    (lambda: F.nll_loss(Tensor(X), np.array([0, -100, -1])), IndexError,
     r"got values from -1 to 0 besides ignore_index=-100"),
    (lambda: F.nll_loss(Tensor(X), np.array([0, 1, 2]), weight=Tensor(np.ones(3))), ValueError,
     r"nll_loss: weight must have one entry per class, shape \(4,\), got \(3,\)"),
    (lambda: F.nll_loss(Tensor(X), np.array([0, 1, 2]), weight=Tensor(np.ones(4), requires_grad=True)),
     RuntimeError, r"nll_loss: weight cannot require grad"),
    (lambda: F.nll_loss(Tensor(np.arange(4)), np.array(1)), TypeError, r"nll_loss: input must be floating point"),
    (lambda: F.cross_entropy(Tensor(X), np.array([0, 1, 2]), label_smoothing=1.5), ValueError,
     r"label_smoothing must be between 0.0 and 1.0, got 1.5"),
    (lambda: F.cross_entropy(Tensor(X), Q, ignore_index=1), ValueError,
     r"ignore_index \(1\) is not supported for class-probability targets"),
    (lambda: F.binary_cross_entropy_with_logits(Tensor(X), Q, pos_weight=Tensor(np.ones(3))), ValueError,
     r"pos_weight of shape \(3,\) does not broadcast to the input's shape \(3, 4\)"),
    (lambda: F.binary_cross_entropy(Tensor(P), Q, weight=Tensor(np.ones(4), requires_grad=True)), RuntimeError,
     r"binary_cross_entropy: weight cannot require grad"),
    (lambda: F.soft_margin_loss(Tensor(X), Tensor(Y, requires_grad=True)), RuntimeError,
     r"soft_margin_loss: target cannot require grad"),
    (lambda: F.mse_loss(Tensor(X), Y, weight=Tensor(np.ones(4))), ValueError,
     r"mse_loss: weight has shape \(4,\) but input has shape \(3, 4\)"),
    (lambda: F.smooth_l1_loss(Tensor(X), Y, beta=-1.0), ValueError, r"smooth_l1_loss: beta must be non-negative"),
    (lambda: F.huber_loss(Tensor(X), Y, delta=0.0), ValueError, r"huber_loss: delta must be positive"),
    (lambda: F.huber_loss(Tensor(X), Y[:, :2]), ValueError, r"huber_loss: input has shape \(3, 4\) but target"),
    (lambda: F.kl_div(Tensor(X), Q, reduction="avg"), ValueError, r"kl_div: reduction must be one of .*batchmean"),
    (lambda: F.cross_entropy(Tensor(X), np.array([0, 1, 2]), reduction="batchmean"), ValueError,
     r"cross_entropy: reduction must be one of"),
    (lambda: F.triplet_margin_loss(Tensor(X), Tensor(Y), Tensor(P), margin=0), ValueError,
     r"triplet_margin_loss: margin must be greater than 0, got 0"),
    (lambda: F.triplet_margin_loss(Tensor(X), Tensor(Y), Tensor(P[0])), ValueError,
     r"triplet_margin_loss: the anchor, positive and negative must have the same number of dimensions"),
    (lambda: F.cosine_embedding_loss(Tensor(X), Tensor(Y), np.ones((3, 1))), ValueError,
     r"cosine_embedding_loss: expected inputs \(N, D\) with a target \(N,\)"),
    (lambda: F.margin_ranking_loss(Tensor(X), Tensor(Y), np.ones(4)), ValueError,
     r"margin_ranking_loss: input1, input2 and target must have the same shape"),
    (lambda: F.hinge_embedding_loss(Tensor(X), np.ones(4)), ValueError,
     r"hinge_embedding_loss: target has shape \(4,\) but should have shape \(3, 4\)"),
    (lambda: F.gaussian_nll_loss(Tensor(X), Y, Tensor(-P)), ValueError, r"gaussian_nll_loss: var has negative"),
    (lambda: F.gaussian_nll_loss(Tensor(X), Y, -1.0), ValueError, r"var must be non-negative, got -1.0"),
    (lambda: F.gaussian_nll_loss(Tensor(X), Y, Tensor(P[:2, :2])), ValueError,
     r"gaussian_nll_loss: var of shape \(2, 2\) does not fit the input's shape \(3, 4\)"),
    (lambda: F.gaussian_nll_loss(Tensor(X), Y, 1.0, reduction="avg"), ValueError,
     r"gaussian_nll_loss: reduction must be one of"),
    (lambda: F.cosine_similarity(Tensor(X), Tensor(Y[:, :3])), ValueError,
     r"cosine_similarity: x1 of shape \(3, 4\) and x2 of shape \(3, 3\) do not broadcast"),
    (lambda: F.cosine_similarity(Tensor(X), Tensor(Y), dim=2), IndexError, r"cosine_similarity: dim 2 is out of range"),
    (lambda: nn.TripletMarginLoss(margin=-1.0), ValueError, r"TripletMarginLoss: margin must be greater than 0"),
    (lambda: nn.KLDivLoss(reduction="avg"), ValueError, r"KLDivLoss: reduction must be one of"),
    (lambda: nn.HuberLoss(reduction="batchmean"), ValueError, r"HuberLoss: reduction must be one of"),
]


@pytest.mark.parametrize("index", range(len(ERRORS)))
def test_errors_name_the_op_and_the_problem(index):
    call, error, message = ERRORS[index]
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("size_average, reduce, expected", [
    (None, False, "none"), (False, None, "sum"), (True, True, "mean"), (False, False, "none")])
def test_deprecated_size_average_and_reduce_map_as_in_pytorch(size_average, reduce, expected):
    x, target = Tensor(X), np.array([0, 1, 3])
    with pytest.warns(UserWarning, match=f"please use reduction='{expected}' instead"):
        out = F.cross_entropy(x, target, size_average=size_average, reduce=reduce)
    assert_close(out, F.cross_entropy(x, target, reduction=expected))
    with pytest.warns(UserWarning):
        assert nn.MSELoss(size_average=size_average, reduce=reduce).reduction == expected


# ---- modules --------------------------------------------------------------------------------------
W4 = Tensor(np.array([1.0, 2.0, 0.5, 1.0]))
CLASS_TARGET = np.array([0, 3, 1])
MODULES = [  # (a module with options other than the defaults, its arguments, the functional form with those options)
    (nn.CrossEntropyLoss(W4, ignore_index=3, reduction="sum", label_smoothing=0.2), (X, CLASS_TARGET),
     lambda x, t: F.cross_entropy(x, t, W4, ignore_index=3, reduction="sum", label_smoothing=0.2)),
    (nn.NLLLoss(W4, ignore_index=0, reduction="none"), (X, CLASS_TARGET),
     lambda x, t: F.nll_loss(x, t, W4, ignore_index=0, reduction="none")),
    (nn.BCELoss(Tensor(P), reduction="sum"), (P, Q),
     lambda p, q: F.binary_cross_entropy(p, q, Tensor(P), reduction="sum")),
    (nn.BCEWithLogitsLoss(Tensor(P), pos_weight=W4), (X, Q),
     lambda x, q: F.binary_cross_entropy_with_logits(x, q, Tensor(P), pos_weight=W4)),
    (nn.SmoothL1Loss(beta=0.5), (X, Y), lambda x, y: F.smooth_l1_loss(x, y, beta=0.5)),
    (nn.HuberLoss(delta=0.5), (X, Y), lambda x, y: F.huber_loss(x, y, delta=0.5)),
    (nn.KLDivLoss(reduction="batchmean", log_target=True), (X, Y),
     lambda x, y: F.kl_div(x, y, reduction="batchmean", log_target=True)),
    (nn.PoissonNLLLoss(log_input=False, full=True, eps=0.5), (P, Q * 4),
     lambda x, t: F.poisson_nll_loss(x, t, log_input=False, full=True, eps=0.5)),
    (nn.GaussianNLLLoss(full=True, eps=0.1), (X, Y, P),
     lambda x, y, v: F.gaussian_nll_loss(x, y, v, full=True, eps=0.1)),
    (nn.SoftMarginLoss(reduction="sum"), (X, np.sign(Y)), lambda x, y: F.soft_margin_loss(x, y, reduction="sum")),
    (nn.MultiLabelSoftMarginLoss(W4), (X, Q), lambda x, q: F.multilabel_soft_margin_loss(x, q, W4)),
    (nn.TripletMarginLoss(margin=0.5, p=1, eps=0.1, swap=True), (X, Y, P),
     lambda a, b, c: F.triplet_margin_loss(a, b, c, margin=0.5, p=1, eps=0.1, swap=True)),
    (nn.CosineEmbeddingLoss(margin=0.1), (X, Y, SIGNS), lambda a, b, t: F.cosine_embedding_loss(a, b, t, margin=0.1)),
    (nn.MarginRankingLoss(0.2), (X, Y, np.sign(P - 0.5)), lambda a, b, t: F.margin_ranking_loss(a, b, t, 0.2)),
    (nn.HingeEmbeddingLoss(0.5), (X, np.sign(Y)), lambda x, t: F.hinge_embedding_loss(x, t, 0.5)),
    (nn.CosineSimilarity(dim=0, eps=0.5), (X, Y * 0.1), lambda a, b: F.cosine_similarity(a, b, 0, 0.5)),
    (nn.PairwiseDistance(p=3, eps=0.1, keepdim=True), (X, Y), lambda a, b: F.pairwise_distance(a, b, 3, 0.1, True)),
]


@pytest.mark.parametrize("index", range(len(MODULES)))
def test_modules_pass_their_options_to_the_functional_forms(index):
    module, args, function = MODULES[index]
    args = [Tensor(a) if a.dtype.kind == "f" else a for a in args]
    assert_close(module(*args), function(*args), rtol=0)


def test_module_attributes_are_pytorchs():
    module = nn.CrossEntropyLoss(W4, ignore_index=3, reduction="sum", label_smoothing=0.2)
    assert module.weight is W4 and (module.ignore_index, module.reduction, module.label_smoothing) == (3, "sum", 0.2)
    distance = nn.PairwiseDistance(p=3, keepdim=True)
    assert (distance.norm, distance.eps, distance.keepdim) == (3, 1e-6, True)  # PyTorch keeps p as .norm
    triplet = nn.TripletMarginLoss(margin=0.5, p=1, swap=True)
    assert (triplet.margin, triplet.p, triplet.eps, triplet.swap) == (0.5, 1, 1e-6, True)


def test_weights_are_buffers_in_the_state_dict_as_in_pytorch():
    weight = Tensor(np.array([1.0, 2.0, 3.0]))
    assert list(nn.CrossEntropyLoss(weight=weight).state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    assert list(nn.BCEWithLogitsLoss(weight, pos_weight=weight).state_dict()) == ["weight", "pos_weight"]
    assert list(nn.MultiLabelSoftMarginLoss(weight).state_dict()) == ["weight"]
    assert list(nn.NLLLoss(weight).buffers())[0] is weight
    assert list(nn.NLLLoss(weight).parameters()) == []
    assert repr(nn.TripletMarginLoss(margin=2.0)) == "TripletMarginLoss()"


# ---- against PyTorch ------------------------------------------------------------------------------
def run_both(ours, theirs, arrays_, differentiable, rng):
    """ours(*tinygrad_like tensors) and theirs(*torch tensors) on the same arrays: values and the
    gradients of the `differentiable` inputs for a random upstream gradient, compared to 1e-10."""
    import torch  # the torch fixture of the calling test has imported it (or skipped)
    mine = [Tensor(a, requires_grad=d) for a, d in zip(arrays_, differentiable)]
    reference = [torch.tensor(a, requires_grad=d) for a, d in zip(arrays_, differentiable)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn alike about kl_div's 'mean'
        out, expected = ours(*mine), theirs(*reference)
    assert_close(out, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = rng.standard_normal(out.shape)
    if any(differentiable):
        with np.errstate(divide="ignore", invalid="ignore"):  # the nan gradients both give (log 0 at a target 0)
            (out * Tensor(upstream)).sum().backward()
        (expected * torch.tensor(upstream)).sum().backward()
    for a, b, d in zip(mine, reference, differentiable):
        if d:  # PyTorch leaves the gradient of a zero derivative (norm p=0) undefined: None
            assert_close(a.grad, np.zeros(a.shape) if b.grad is None else b.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.torch
def test_nll_and_cross_entropy_match_torch_for_every_option(torch):
    tf = torch.nn.functional
    rng = np.random.default_rng(10)
    for shape, weighted, ignore_index, reduction, smoothing, probabilities in itertools.product(
            [(4,), (5, 4), (3, 4, 2), (2, 4, 2, 3)], [False, True], [-100, 1, "ignored entries"], REDUCTIONS,
            [0.0, 0.3], [False, True]):
        x = rng.standard_normal(shape) * 3
        weight = rng.uniform(0.2, 2.0, 4) if weighted else None
        if probabilities:
            if ignore_index != -100:
                continue  # PyTorch refuses ignore_index >= 0 here; checked in test_errors
            target = rng.uniform(0, 1, shape)
            arrays_, differentiable = [x, target] + ([weight] if weighted else []), [True, True, weighted]

            def ours(x, t, *w):
                return F.cross_entropy(x, t, weight=w[0] if w else None, reduction=reduction,
                                       label_smoothing=smoothing)

            def theirs(x, t, *w):
                return tf.cross_entropy(x, t, weight=w[0] if w else None, reduction=reduction,
                                        label_smoothing=smoothing)
            run_both(ours, theirs, arrays_, differentiable[:len(arrays_)], rng)
            continue
        target = rng.integers(0, 4, shape[:1] + shape[2:] if len(shape) > 1 else ())
        index = -100 if ignore_index == "ignored entries" else ignore_index
        if ignore_index == "ignored entries":
            target = np.where(rng.uniform(size=target.shape) < 0.4, -100, target)
        for ours_fn, theirs_fn, options in [(F.cross_entropy, tf.cross_entropy, {"label_smoothing": smoothing}),
                                            (F.nll_loss, tf.nll_loss, {})]:
            if ours_fn is F.nll_loss and smoothing:
                continue

            def ours(x):
                return ours_fn(x, Tensor(target), weight=None if weight is None else Tensor(weight),
                               ignore_index=index, reduction=reduction, **options)

            def theirs(x):
                return theirs_fn(x, torch.tensor(target), weight=None if weight is None else torch.tensor(weight),
                                 ignore_index=index, reduction=reduction, **options)
            run_both(ours, theirs, [x], [True], rng)


@pytest.mark.torch
def test_binary_cross_entropies_match_torch_for_every_option(torch):
    tf = torch.nn.functional
    rng = np.random.default_rng(11)
    for shape, weight_kind, pos_weighted, reduction in itertools.product(
            [(5,), (3, 4), (2, 3, 4)], [None, "class", "element"], [False, True], REDUCTIONS):
        x, y = rng.standard_normal(shape) * 4, rng.uniform(0, 1, shape)
        weight = None if weight_kind is None else rng.uniform(0.2, 2, shape[-1:] if weight_kind == "class" else shape)
        pos_weight = rng.uniform(0.2, 3, shape[-1:]) if pos_weighted else None

        def constants(module, array):
            return None if array is None else (Tensor(array) if module is F else torch.tensor(array))

        def logits_loss(functional, module):
            return lambda x, y: functional(x, y, weight=constants(module, weight), reduction=reduction,
                                           pos_weight=constants(module, pos_weight))
        run_both(logits_loss(F.binary_cross_entropy_with_logits, F),
                 logits_loss(tf.binary_cross_entropy_with_logits, tf), [x, y], [True, True], rng)
        if not pos_weighted:
            p = rng.uniform(0.02, 0.98, shape)
            run_both(lambda p, y: F.binary_cross_entropy(p, y, weight=constants(F, weight), reduction=reduction),
                     lambda p, y: tf.binary_cross_entropy(p, y, weight=constants(tf, weight), reduction=reduction),
                     [p, y], [True, True], rng)


@pytest.mark.torch
def test_elementwise_losses_match_torch_for_every_option(torch):
    tf = torch.nn.functional
    rng = np.random.default_rng(12)
    for shape, reduction in itertools.product([(), (5,), (3, 4)], REDUCTIONS):
        x, y = rng.standard_normal(shape) * 2, rng.standard_normal(shape) * 2
        weight = rng.uniform(0.2, 2, shape)
        for beta in [0.0, 0.5, 1.0, 2.0]:
            run_both(lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=beta),
                     lambda a, b: tf.smooth_l1_loss(a, b, reduction=reduction, beta=beta), [x, y], [True, True], rng)
        for delta, weighted in itertools.product([0.5, 1.0, 2.0], [False, True]):
            run_both(lambda a, b, *w: F.huber_loss(a, b, reduction=reduction, delta=delta, weight=w[0] if w else None),
                     lambda a, b, *w: tf.huber_loss(a, b, reduction=reduction, delta=delta, weight=w[0] if w else None),
                     [x, y] + ([weight] if weighted else []), [True, True, True][:2 + weighted], rng)
        for ours, theirs in [(F.mse_loss, tf.mse_loss), (F.l1_loss, tf.l1_loss)]:
            run_both(lambda a, b, w: ours(a, b, reduction=reduction, weight=w),
                     lambda a, b, w: theirs(a, b, reduction=reduction, weight=w), [x, y, weight], [True] * 3, rng)
        for kl_reduction, log_target in itertools.product(REDUCTIONS + ["batchmean"], [False, True]):
            t = rng.standard_normal(shape) if log_target else np.where(rng.uniform(size=shape) < 0.3, 0.0,
                                                                        rng.uniform(0.05, 1, shape))
            run_both(lambda a, b: F.kl_div(a, b, reduction=kl_reduction, log_target=log_target),
                     lambda a, b: tf.kl_div(a, b, reduction=kl_reduction, log_target=log_target),
                     [x, t], [True, True], rng)
        signs = np.where(rng.uniform(size=shape) < 0.5, 1.0, -1.0)
        run_both(lambda a, b: F.soft_margin_loss(a, b, reduction=reduction),
                 lambda a, b: tf.soft_margin_loss(a, b, reduction=reduction), [x, signs], [True, False], rng)
        for margin in [1.0, 0.5, -0.5]:
            hinge_target = np.where(rng.uniform(size=shape) < 0.2, 0.0, signs)
            run_both(lambda a: F.hinge_embedding_loss(a, hinge_target, margin=margin, reduction=reduction),
                     lambda a: tf.hinge_embedding_loss(a, torch.tensor(hinge_target), margin=margin,
                                                       reduction=reduction), [x], [True], rng)
            run_both(lambda a, b, t: F.margin_ranking_loss(a, b, t, margin=margin, reduction=reduction),
                     lambda a, b, t: tf.margin_ranking_loss(a, b, t, margin=margin, reduction=reduction),
                     [x, y, signs], [True, True, True], rng)
        for log_input, full, eps in itertools.product([True, False], [False, True], [1e-8, 0.5]):
            rate = x if log_input else np.abs(x) + 0.1
            counts = np.floor(np.abs(y) * 2) + rng.uniform(0.05, 0.95, shape) * (rng.uniform(size=shape) < 0.5)
            run_both(lambda a, b: F.poisson_nll_loss(a, b, log_input=log_input, full=full, eps=eps,
                                                     reduction=reduction),
                     lambda a, b: tf.poisson_nll_loss(a, b, log_input=log_input, full=full, eps=eps,
                                                      reduction=reduction), [rate, counts], [True, True], rng)


@pytest.mark.torch
def test_multilabel_and_gaussian_losses_match_torch_for_every_option(torch):
    tf = torch.nn.functional
    rng = np.random.default_rng(13)
    for shape, weighted, reduction in itertools.product([(4,), (3, 4)], [False, True], REDUCTIONS):
        x, y = rng.standard_normal(shape) * 3, rng.uniform(0, 1, shape)
        arrays_ = [x, y] + ([rng.uniform(0.2, 2, 4)] if weighted else [])
        run_both(lambda a, b, *w: F.multilabel_soft_margin_loss(a, b, weight=w[0] if w else None, reduction=reduction),
                 lambda a, b, *w: tf.multilabel_soft_margin_loss(a, b, weight=w[0] if w else None, reduction=reduction),
                 arrays_, [True] * len(arrays_), rng)
    for var_shape, full, eps, reduction in itertools.product([(3, 4, 2), (3, 4), (3, 1, 2), (1, 4, 2), "number"],
                                                             [False, True], [1e-6, 0.3], REDUCTIONS):
        x, t = rng.standard_normal((3, 4, 2)), rng.standard_normal((3, 4, 2))
        if var_shape == "number":
            run_both(lambda a, b: F.gaussian_nll_loss(a, b, 0.7, full=full, eps=eps, reduction=reduction),
                     lambda a, b: tf.gaussian_nll_loss(a, b, 0.7, full=full, eps=eps, reduction=reduction),
                     [x, t], [True, True], rng)
            continue
        var = np.where(rng.uniform(size=var_shape) < 0.2, 1e-8, rng.uniform(0.1, 2, var_shape))  # some clamped
        run_both(lambda a, b, v: F.gaussian_nll_loss(a, b, v, full=full, eps=eps, reduction=reduction),
                 lambda a, b, v: tf.gaussian_nll_loss(a, b, v, full=full, eps=eps, reduction=reduction),
                 [x, t, var], [True, True, True], rng)


@pytest.mark.torch
def test_distances_and_embedding_losses_match_torch_for_every_option(torch):
    tf = torch.nn.functional
    rng = np.random.default_rng(14)
    for shape in [(4,), (3, 4)]:
        a, b, c = (rng.standard_normal(shape) for _ in range(3))
        tiny = np.where(np.arange(shape[-1]) == 0, 1e-10, 0.0) * np.ones(shape)  # a norm below the eps clamp
        for dim, first, eps in itertools.product(range(-len(shape), len(shape)), [a, tiny], [1e-8, 0.5]):
            run_both(lambda u, v: F.cosine_similarity(u, v, dim=dim, eps=eps),
                     lambda u, v: tf.cosine_similarity(u, v, dim=dim, eps=eps), [first, b], [True, True], rng)
        for p, keepdim, eps in itertools.product([1, 1.5, 2, 3, np.inf, 0], [False, True], [1e-6, 0.1]):
            run_both(lambda u, v: F.pairwise_distance(u, v, p=p, eps=eps, keepdim=keepdim),
                     lambda u, v: tf.pairwise_distance(u, v, p=p, eps=eps, keepdim=keepdim), [a, b], [True, True], rng)
        for margin, p, eps, swap, reduction in itertools.product([0.5, 3.0], [1, 2, 3], [1e-6, 0.1], [False, True],
                                                                 REDUCTIONS):
            run_both(lambda u, v, w: F.triplet_margin_loss(u, v, w, margin=margin, p=p, eps=eps, swap=swap,
                                                           reduction=reduction),
                     lambda u, v, w: tf.triplet_margin_loss(u, v, w, margin=margin, p=p, eps=eps, swap=swap,
                                                            reduction=reduction), [a, b, c], [True] * 3, rng)
        target = np.array([1, -1, 0])[:shape[0]] if len(shape) > 1 else np.array(-1)
        for margin, reduction in itertools.product([0.0, 0.3, -0.5], REDUCTIONS):
            run_both(lambda u, v: F.cosine_embedding_loss(u, v, target, margin=margin, reduction=reduction),
                     lambda u, v: tf.cosine_embedding_loss(u, v, torch.tensor(target), margin=margin,
                                                           reduction=reduction), [a, b], [True, True], rng)


@pytest.mark.torch
def test_deprecated_flags_and_uint8_targets_match_torch(torch):
    tf = torch.nn.functional
    rng = np.random.default_rng(15)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    target = np.array([0, 3, 1], np.uint8)
    for size_average, reduce in itertools.product([None, True, False], [None, True, False]):
        flags = {"size_average": size_average, "reduce": reduce}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # both warn that the flags are deprecated
            run_both(lambda a: F.cross_entropy(a, Tensor(target), **flags),
                     lambda a: tf.cross_entropy(a, torch.tensor(target), **flags), [x], [True], rng)
            run_both(lambda a, b: F.kl_div(a, b, **flags), lambda a, b: tf.kl_div(a, b, **flags),
                     [x, np.abs(y)], [True, True], rng)
            run_both(lambda a, b: F.smooth_l1_loss(a, b, **flags), lambda a, b: tf.smooth_l1_loss(a, b, **flags),
                     [x, y], [True, True], rng)
            assert nn.NLLLoss(**flags).reduction == torch.nn.NLLLoss(**flags).reduction


@pytest.mark.torch
def test_loss_modules_match_torch_signatures_and_state_dicts(torch):
    import inspect
    for name in ["NLLLoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss", "MSELoss", "L1Loss", "SmoothL1Loss",
                 "HuberLoss", "KLDivLoss", "CosineEmbeddingLoss", "MarginRankingLoss", "TripletMarginLoss",
                 "HingeEmbeddingLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss", "PoissonNLLLoss",
                 "GaussianNLLLoss", "CosineSimilarity", "PairwiseDistance"]:
        ours, theirs = getattr(nn, name), getattr(torch.nn, name)
        expected = [(p.name, p.kind, p.default) for p in inspect.signature(theirs.__init__).parameters.values()]
        assert [(p.name, p.kind, p.default) for p in inspect.signature(ours.__init__).parameters.values()] == expected
        assert repr(ours()) == repr(theirs())
        attributes = {k for k in vars(theirs()) if not k.startswith("_") and k != "training"}
        assert all(hasattr(ours(), k) and getattr(ours(), k) == getattr(theirs(), k) for k in attributes), name
    for name in ["nll_loss", "cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss",
                 "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "cosine_embedding_loss", "margin_ranking_loss",
                 "triplet_margin_loss", "hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
                 "poisson_nll_loss", "gaussian_nll_loss"]:
        parameters = inspect.signature(getattr(torch.nn.functional, name)).parameters.values()
        expected = [(p.name, p.default) for p in parameters]
        assert [(p.name, p.default) for p in inspect.signature(getattr(F, name)).parameters.values()] == expected, name
    weight = np.array([1.0, 2.0, 3.0])
    for name, kwargs in [("CrossEntropyLoss", {"weight": weight}), ("BCEWithLogitsLoss", {"pos_weight": weight}),
                         ("BCELoss", {"weight": weight}), ("MultiLabelSoftMarginLoss", {"weight": weight})]:
        ours = getattr(nn, name)(**{k: Tensor(v) for k, v in kwargs.items()}).state_dict()
        theirs = getattr(torch.nn, name)(**{k: torch.tensor(v) for k, v in kwargs.items()}).state_dict()
        assert list(ours) == list(theirs)
        for key in ours:
            np.testing.assert_array_equal(ours[key].numpy(), theirs[key].numpy())
