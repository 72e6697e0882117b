"""lenet: LeNet-5 on MNIST-shaped images, one training step, timed against PyTorch on one thread.

    Conv2d(1, 6, 5, padding=2) -> ReLU -> MaxPool2d(2)     (N, 6, 14, 14)
    Conv2d(6, 16, 5) -> ReLU -> MaxPool2d(2)               (N, 16, 5, 5)
    Flatten -> Linear(400, 120) -> ReLU -> Linear(120, 84) -> ReLU -> Linear(84, 10)
    mean cross-entropy on int labels, SGD, batch 64, float32

The target is PyTorch's step on one thread (`baseline="torch"`, `threads=1`: numpy's BLAS, and so
tinygrad_like, get one thread too). The numpy step is written by hand for reference, channels-last
(N, H, W, C) so that each convolution is the sliding windows copied into one matrix and one product,
max pooling a reshape and a max, its gradient an equality mask, and the second convolution's input
gradient one product and a strided addition per kernel tap (col2im). The first Linear's weight is
kept with its columns in (h, w, c) order to read the channels-last features.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from benchmarks import cnn, harness
from benchmarks.harness import Runner, Setup, Workload

BATCH, LR, N_SAMPLES, CLASSES = 64, 0.05, 1024, 10
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
    """2x2 max pooling of a channels-last (N, H, W, C) array, H and W even."""
    n, h, w, c = a.shape
    return a.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def _pool_relu_backward(activation, pooled, grad):
    """The gradient of relu-then-pool at the pre-pool activation: the pooled gradient goes where the
    activation equals its window's maximum (ties cannot differ from PyTorch's choice of the first:
    a window's tied maxima are positive with probability 0, and relu's zero gradient covers zeros)."""
    n, h, w, c = activation.shape
    windows = activation.reshape(n, h // 2, 2, w // 2, 2, c)
    at_max = (windows == pooled[:, :, None, :, None, :]) & (windows > 0)
    return (at_max * grad[:, :, None, :, None, :]).reshape(activation.shape)


def numpy_runner(setup, deterministic):
    (w1, b1), (w2, b2), *linear = [(w.copy(), b.copy()) for w, b in setup.params]
    kernels = [np.ascontiguousarray(w.reshape(w.shape[0], -1).T) for w in (w1, w2)]  # (C*k*k, O)
    conv_biases = [b1, b2]
    c, h, w = POOLED
    weights = [np.ascontiguousarray(w.T) for w, _ in linear]  # (in, out)
    weights[0] = np.ascontiguousarray(linear[0][0].reshape(-1, c, h, w).transpose(2, 3, 1, 0).reshape(c * h * w, -1))
    biases = [b for _, b in linear]
    images, labels, lr, batch, starts = setup.x, setup.y, setup.lr, setup.batch, setup.batch_starts()
    rows = np.arange(batch)
    k = CONVS[0][2]

    def conv(x, index):
        """x (N, H, W, C) -> the columns (N*out*out, C*k*k) in PyTorch's (c, i, j) order, and the convolution."""
        view = sliding_window_view(x, (k, k), axis=(1, 2))  # (N, out, out, C, k, k)
        columns = view.reshape(-1, view.shape[3] * k * k)
        out = columns.dot(kernels[index])
        out += conv_biases[index]
        return columns, np.maximum(out, 0).reshape(view.shape[:3] + (-1,))

    def step():
        start = next(starts)
        pad = CONVS[0][3]
        x = np.pad(images[start:start + batch, 0], ((0, 0), (pad, pad), (pad, pad)))[..., None]
        columns_1, relu_1 = conv(x, 0)  # (N, 28, 28, 6)
        pool_1 = _pool(relu_1)  # (N, 14, 14, 6)
        columns_2, relu_2 = conv(pool_1, 1)  # (N, 10, 10, 16)
        pool_2 = _pool(relu_2)  # (N, 5, 5, 16)
        layers = [pool_2.reshape(batch, -1)]
        for i, (weight, bias) in enumerate(zip(weights, biases)):
            out = layers[-1].dot(weight)
            out += bias
            layers.append(np.maximum(out, 0) if i < len(weights) - 1 else out)
        logits, target = layers[-1], labels[start:start + batch]
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(total[:, 0]) - shifted[rows, target])
        delta = exp / total  # d(mean cross-entropy)/d(logits) = (softmax - one_hot) / batch
        delta[rows, target] -= 1
        delta /= batch
        updates = []
        for i in range(len(weights) - 1, -1, -1):
            updates += [(weights[i], layers[i].T.dot(delta)), (biases[i], delta.sum(axis=0))]
            delta = delta.dot(weights[i].T)
            if i:
                delta *= layers[i] > 0
        delta = _pool_relu_backward(relu_2, pool_2, delta.reshape(pool_2.shape)).reshape(-1, POOLED[0])
        updates += [(kernels[1], columns_2.T.dot(delta)), (conv_biases[1], delta.sum(axis=0))]
        # the second convolution's input gradient: one product, then col2im tap by tap
        taps = delta.dot(kernels[1].T).reshape(relu_2.shape[:3] + (pool_1.shape[3], k, k))
        grad_pool_1 = np.zeros(pool_1.shape, pool_1.dtype)
        out = relu_2.shape[1]
        for i in range(k):
            for j in range(k):
                grad_pool_1[:, i:i + out, j:j + out] += taps[..., i, j]
        delta = _pool_relu_backward(relu_1, pool_1, grad_pool_1).reshape(-1, CONVS[0][1])
        updates += [(kernels[0], columns_1.T.dot(delta)), (conv_biases[0], delta.sum(axis=0))]
        for param, grad in updates:
            param -= lr * grad
        return loss

    def current():
        conv_weights = [kernel.T.reshape(o, i, k, k) for kernel, (i, o, _, _) in zip(kernels, CONVS)]
        first = weights[0].reshape(h, w, c, -1).transpose(3, 2, 0, 1).reshape(-1, c * h * w)
        linear_weights = [first] + [weight.T for weight in weights[1:]]
        return [a.copy() for pair in zip(conv_weights + linear_weights, conv_biases + biases) for a in pair]

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
    import tinygrad_like as tl
    from tinygrad_like import nn, optim
    from tinygrad_like.nn import functional as F

    model = network(nn)
    for parameter, value in zip(model.parameters(), (a for pair in setup.params for a in pair)):
        parameter._data[...] = value
    opt = optim.SGD(model.parameters(), lr=setup.lr)
    X, Y = tl.Tensor(setup.x), tl.Tensor(setup.y)
    batch, starts = setup.batch, setup.batch_starts()

    def step():
        start = next(starts)
        x, y = X[start:start + batch], Y[start:start + batch]
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return Runner(step, harness.tinygrad_like_value, lambda: harness.tinygrad_like_weights(model),
                  parts=dict(model=model, optimizer=opt, loss=F.cross_entropy, x=X, y=Y, batch=batch))


def torch_runner(setup, deterministic):
    torch = harness.torch_or_none()
    F = torch.nn.functional

    model = network(torch.nn)
    with torch.no_grad():
        for parameter, value in zip(model.parameters(), (a for pair in setup.params for a in pair)):
            parameter.copy_(torch.from_numpy(value))
    opt = torch.optim.SGD(model.parameters(), lr=setup.lr)
    X, Y = torch.from_numpy(setup.x), torch.from_numpy(setup.y)
    batch, starts = setup.batch, setup.batch_starts()

    def step():
        start = next(starts)
        x, y = X[start:start + batch], Y[start:start + batch]
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return Runner(step, harness.torch_value, lambda: harness.torch_weights(model),
                  parts=dict(model=model, optimizer=opt, loss=F.cross_entropy, x=X, y=Y, batch=batch))


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
