"""lenet: LeNet-5 on MNIST-shaped images, one training step, timed against PyTorch on one thread.

    Conv2d(1, 6, 5, padding=2) -> ReLU -> MaxPool2d(2)     (N, 6, 14, 14)
    Conv2d(6, 16, 5) -> ReLU -> MaxPool2d(2)               (N, 16, 5, 5)
    Flatten -> Linear(400, 120) -> ReLU -> Linear(120, 84) -> ReLU -> Linear(84, 10)
    mean cross-entropy on int labels, SGD, batch 64, float32

The target is PyTorch's step on one thread (`baseline="torch"`, `threads=1`: numpy's BLAS, and so
tinygrad_like, get one thread too). The numpy step is written by hand for reference, its activations
channel-major (C, N, H, W): each convolution is the sliding windows copied into one matrix and one
product whose result is already in that layout, max pooling the maximum of four strided taps, its
gradient the first tap equal to it, and the second convolution's input gradient one product and a
strided addition per kernel tap (col2im).
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from benchmarks import cnn, harness
from benchmarks.harness import Runner, Setup, Workload

BATCH, LR, N_SAMPLES, CLASSES = 64, 0.1, 1024, 10
CONVS = ((1, 6, 5, 2), (6, 16, 5, 0))  # in channels, out channels, kernel size, padding
LINEARS = ((400, 120), (120, 84), (84, CLASSES))
POOLED = (16, 5, 5)  # the second pool's output (C, H, W): the first Linear's 400 inputs


def setup(seed, n_samples=None):
    rng = np.random.default_rng(seed)
    n = max(n_samples or N_SAMPLES, BATCH)
    params = []
    for shape in [(o, i, k, k) for i, o, k, _ in CONVS] + [(o, i) for i, o in LINEARS]:
        bound = 1 / np.sqrt(np.prod(shape[1:]))  # PyTorch's default bias: the weight's bound
        params.append((cnn.torch_init(rng, shape, np.float32), rng.uniform(-bound, bound, shape[0]).astype(np.float32)))
    x, y = cnn.mnist_shaped(rng, n, np.float32)
    return Setup(params=params, x=x.reshape(n, 1, 28, 28), y=y, batch=BATCH, lr=LR, seed=seed)


def training_flops(setup):
    """2 x the multiply-adds of the products: every layer's forward and weight gradient, and the input
    gradient of every layer but the first (the images need none)."""
    conv = [o * 28 * 28 * i * k * k for i, o, k, _ in CONVS[:1]] + [16 * 10 * 10 * 6 * 25]
    linear = [i * o for i, o in LINEARS]
    return 2.0 * setup.batch * (2 * conv[0] + 3 * conv[1] + 3 * sum(linear))


# ---- numpy ----------------------------------------------------------------------------------------
def _pool(a):
    """2x2 max pooling over the last two axes (both even): the maximum of four strided taps."""
    return np.maximum(np.maximum(a[..., 0::2, 0::2], a[..., 0::2, 1::2]),
                      np.maximum(a[..., 1::2, 0::2], a[..., 1::2, 1::2]))


def _pool_relu_backward(activation, pooled, grad):
    """The gradient of relu-then-pool at the pre-pool activation: each window's pooled gradient goes to the
    first of its taps (in row-major order, as PyTorch chooses) that equals the maximum, and nowhere when the
    maximum is 0 (relu's gradient there is 0). Real images have ties: their empty background."""
    grad = grad * (pooled > 0)
    out = np.empty_like(activation)
    taken = np.zeros(pooled.shape, bool)
    for i in (0, 1):
        for j in (0, 1):
            hit = activation[..., i::2, j::2] == pooled
            hit &= ~taken
            taken |= hit
            np.multiply(hit, grad, out=out[..., i::2, j::2])
    return out


def _columns(x, k):
    """The windows of x (C, N, H, W) copied into the (C*k*k, N*out*out) matrix, rows in PyTorch's weight order."""
    view = sliding_window_view(x, (k, k), axis=(2, 3))  # (C, N, out, out, k, k)
    return view.transpose(0, 4, 5, 1, 2, 3).reshape(x.shape[0] * k * k, -1)


def numpy_runner(setup, deterministic):
    """Channel-major (C, N, H, W) activations: a convolution is the weight (O, C*k*k) times the columns,
    and its (O, N*out*out) product is already the next layer's layout."""
    params = [(w.reshape(w.shape[0], -1).copy(), b.copy()) for w, b in setup.params]  # weights (out, in)
    images, labels, lr, batch, starts = setup.x, setup.y, setup.lr, setup.batch, setup.batch_starts()
    rows = np.arange(batch)
    (_, _, k, pad), _ = CONVS

    def step():
        start = next(starts)
        (w1, b1), (w2, b2), *linear = params
        x = np.pad(images[start:start + batch].reshape(1, batch, 28, 28), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        columns_1 = _columns(x, k)  # (25, N*784)
        relu_1 = np.maximum(w1.dot(columns_1) + b1[:, None], 0).reshape(-1, batch, 28, 28)
        pool_1 = _pool(relu_1)  # (6, N, 14, 14)
        columns_2 = _columns(pool_1, k)  # (150, N*100)
        relu_2 = np.maximum(w2.dot(columns_2) + b2[:, None], 0).reshape(-1, batch, 10, 10)
        pool_2 = _pool(relu_2)  # (16, N, 5, 5)
        layers = [pool_2.transpose(1, 0, 2, 3).reshape(batch, -1)]  # PyTorch's flatten order (c, h, w)
        for i, (weight, bias) in enumerate(linear):
            out = layers[-1].dot(weight.T)
            out += bias
            layers.append(np.maximum(out, 0) if i < len(linear) - 1 else out)
        logits, target = layers[-1], labels[start:start + batch]
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(total[:, 0]) - shifted[rows, target])
        delta = exp / total  # d(mean cross-entropy)/d(logits) = (softmax - one_hot) / batch
        delta[rows, target] -= 1
        delta /= batch
        grads = []
        for i in range(len(linear) - 1, -1, -1):
            weight = linear[i][0]
            grads += [delta.sum(axis=0), delta.T.dot(layers[i])]
            delta = delta.dot(weight)
            if i:
                delta *= layers[i] > 0
        delta = delta.reshape(batch, *POOLED).transpose(1, 0, 2, 3)
        delta = _pool_relu_backward(relu_2, pool_2, delta).reshape(POOLED[0], -1)  # (16, N*100)
        grads += [delta.sum(axis=1), delta.dot(columns_2.T)]
        # the second convolution's input gradient: one product, then col2im, one strided addition per tap
        taps = w2.T.dot(delta).reshape(pool_1.shape[0], k, k, batch, 10, 10)
        grad_pool_1 = np.zeros(pool_1.shape, pool_1.dtype)
        for i in range(k):
            for j in range(k):
                grad_pool_1[:, :, i:i + 10, j:j + 10] += taps[:, i, j]
        delta = _pool_relu_backward(relu_1, pool_1, grad_pool_1).reshape(pool_1.shape[0], -1)  # (6, N*784)
        grads += [delta.sum(axis=1), delta.dot(columns_1.T)]
        for param, grad in zip([a for pair in params for a in pair], reversed(grads)):
            param -= lr * grad
        return loss

    def current():
        shapes = [a.shape for pair in setup.params for a in pair]
        return [a.reshape(shape).copy() for a, shape in zip([a for pair in params for a in pair], shapes)]

    return Runner(step, harness.numpy_value, current)


# ---- tinygrad_like and torch: the same user code --------------------------------------------------
def network(nn):
    """LeNet-5 as an nn.Sequential of `nn` (tinygrad_like.nn or torch.nn)."""
    (c0, c1, k, pad), (_, c2, _, _) = CONVS
    layers = [nn.Conv2d(c0, c1, k, padding=pad), nn.ReLU(), nn.MaxPool2d(2),
              nn.Conv2d(c1, c2, k), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten()]
    for i, (fan_in, fan_out) in enumerate(LINEARS):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(LINEARS) - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def tinygrad_like_runner(setup, deterministic):
    from tinygrad_like import nn
    from tinygrad_like.nn import functional as F

    model = network(nn)
    harness.load_values("tinygrad_like", model.parameters(), [a for pair in setup.params for a in pair])
    return harness.sgd_runner("tinygrad_like", setup, model, F.cross_entropy)


def torch_runner(setup, deterministic):
    torch = harness.torch_or_none()

    model = network(torch.nn)
    harness.load_values("torch", model.parameters(), [a for pair in setup.params for a in pair])
    return harness.sgd_runner("torch", setup, model, torch.nn.functional.cross_entropy)


WORKLOAD = Workload(
    name="lenet",
    description="LeNet-5: conv 5x5 (1->6, pad 2), relu, maxpool 2, conv 5x5 (6->16), relu, maxpool 2, "
                "400-120-84-10, batch 64, float32, cross-entropy, SGD; one thread",
    target=1.0,
    baseline="torch",
    threads=1,
    setup=setup,
    builders={"numpy": numpy_runner, "tinygrad_like": tinygrad_like_runner, "torch": torch_runner},
    steps=100,
    guard_samples=BATCH,
    guard_epochs=3,
    flops=training_flops,
)
