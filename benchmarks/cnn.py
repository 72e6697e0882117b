"""cnn: the book's chapter 10 convolutional network, one training step with the true gradient.

    crop the 28x28 image to its top-left 27x27 pixels   (the book's windows start at rows/columns 0..24)
    Conv2d(1, 16, 3, bias=False)                        16 3x3 kernels: (N, 16, 25, 25)
    permute to kernel-minor, flatten, tanh              (N, 10000), hidden unit (row * 25 + column) * 16 + kernel
    Dropout(0.5)
    Linear(10000, 10, bias=False)
    mean cross-entropy on int labels, SGD, batch 128, float32

The book's own code has two quirks (chapter 9's tanh derivative, and gradient ascent on the kernels,
see tinygrad_like.book.ch10_mnist); this workload times the stock layers. The numpy baseline is the
step written by hand, vectorized: the sliding windows copied into a (N*625, 9) matrix and one product
with the (9, 16) kernels give the hidden layer directly in kernel-minor order, the kernels' gradient
is one product more, and the input needs no gradient. tinygrad_like and PyTorch run the same small
Module (an nn.Conv2d, a permute, nn.Dropout, nn.Linear) with F.cross_entropy.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from benchmarks import harness, mlp
from benchmarks.harness import Runner, Setup, Workload

KERNELS, KERNEL_SIZE, CROP, CLASSES = 16, 3, 27, 10
WINDOWS = CROP - KERNEL_SIZE + 1  # 25 window positions per axis
TAPS = KERNEL_SIZE * KERNEL_SIZE
HIDDEN = WINDOWS * WINDOWS * KERNELS  # 10000
BATCH, LR, DROPOUT, N_SAMPLES = 128, 0.01, 0.5, 1024


def mnist_shaped(rng, n, dtype):
    """n images (n, 784) with pixels in [0, 1) and int64 labels: the first MNIST training images when
    `mlp.use_real_mnist` was called, else random MNIST-shaped data."""
    if mlp.data_source() == "mnist":
        from tinygrad_like.data import load_mnist
        mnist = load_mnist(mlp._DATA["directory"])
        return ((mnist.train_images[:n].reshape(n, 784) / 255).astype(dtype),
                mnist.train_labels[:n].astype(np.int64))
    return rng.random((n, 784)).astype(dtype), rng.integers(0, CLASSES, n)


def torch_init(rng, shape, dtype):
    """PyTorch's default initialisation of a Conv2d or Linear weight: uniform in +-1/sqrt(fan_in)."""
    bound = 1 / np.sqrt(np.prod(shape[1:]))
    return rng.uniform(-bound, bound, shape).astype(dtype)


def setup(seed, n_samples=None):
    rng = np.random.default_rng(seed)
    n = max(n_samples or N_SAMPLES, BATCH)
    params = [(torch_init(rng, (KERNELS, 1, KERNEL_SIZE, KERNEL_SIZE), np.float32), None),
              (torch_init(rng, (CLASSES, HIDDEN), np.float32), None)]
    x, y = mnist_shaped(rng, n, np.float32)
    return Setup(params=params, x=x, y=y, batch=BATCH, lr=LR, seed=seed)


def training_flops(setup):
    """2 x the multiply-adds of the products: the convolution and its kernels' gradient, the Linear
    layer and both of its gradients."""
    conv, linear = WINDOWS * WINDOWS * TAPS * KERNELS, HIDDEN * CLASSES
    return 2.0 * setup.batch * (2 * conv + 3 * linear)


# ---- numpy ----------------------------------------------------------------------------------------
def numpy_runner(setup, deterministic):
    kernels = np.ascontiguousarray(setup.params[0][0].reshape(KERNELS, TAPS).T)  # (9, 16): kernel k in column k
    weights = np.ascontiguousarray(setup.params[1][0].T)  # (10000, 10)
    rng = harness.seeded_rng(setup, "numpy")
    images, labels, lr, batch, starts = setup.x, setup.y, setup.lr, setup.batch, setup.batch_starts()
    p = 0.0 if deterministic else DROPOUT
    rows = np.arange(batch)

    def step():
        nonlocal kernels, weights  # updated in place
        start = next(starts)
        pixels = images[start:start + batch].reshape(batch, 28, 28)[:, :CROP, :CROP]
        columns = sliding_window_view(pixels, (KERNEL_SIZE, KERNEL_SIZE), axis=(1, 2)).reshape(-1, TAPS)
        hidden = np.tanh(columns.dot(kernels)).reshape(batch, HIDDEN)  # kernel-minor already
        if p:
            mask = mlp.dropout_mask(rng, hidden.shape, p, hidden.dtype)
            dropped = hidden * mask
        else:
            dropped = hidden
        logits = dropped.dot(weights)
        target = labels[start:start + batch]
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(total[:, 0]) - shifted[rows, target])
        delta = exp / total  # d(mean cross-entropy)/d(logits) = (softmax - one_hot) / batch
        delta[rows, target] -= 1
        delta /= batch
        hidden_delta = delta.dot(weights.T)
        if p:
            hidden_delta *= mask
        hidden_delta *= 1 - hidden * hidden  # tanh's derivative
        weights -= lr * dropped.T.dot(delta)
        kernels -= lr * columns.T.dot(hidden_delta.reshape(-1, KERNELS))
        return loss

    def current():
        return [kernels.T.reshape(KERNELS, 1, KERNEL_SIZE, KERNEL_SIZE).copy(), weights.T.copy()]

    return Runner(step, harness.numpy_value, current)


# ---- tinygrad_like and torch: the same user code --------------------------------------------------
def network(nn, deterministic):
    """The chapter 10 network as a Module of `nn` (tinygrad_like.nn or torch.nn)."""

    class ConvNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, KERNELS, KERNEL_SIZE, bias=False)
            self.dropout = nn.Identity() if deterministic else nn.Dropout(DROPOUT)
            self.fc = nn.Linear(HIDDEN, CLASSES, bias=False)

        def forward(self, x):
            pixels = x.reshape(-1, 1, 28, 28)[:, :, :CROP, :CROP]
            hidden = self.conv(pixels).permute(0, 2, 3, 1).flatten(1).tanh()
            return self.fc(self.dropout(hidden))

    return ConvNet()


def tinygrad_like_runner(setup, deterministic):
    from tinygrad_like import nn
    from tinygrad_like.nn import functional as F

    harness.seeded_rng(setup, "tinygrad_like")
    model = network(nn, deterministic)
    harness.load_values("tinygrad_like", model.parameters(), [weight for weight, _ in setup.params])
    return harness.sgd_runner("tinygrad_like", setup, model, F.cross_entropy)


def torch_runner(setup, deterministic):
    torch = harness.torch_or_none()

    harness.seeded_rng(setup, "torch")
    model = network(torch.nn, deterministic)
    harness.load_values("torch", model.parameters(), [weight for weight, _ in setup.params])
    return harness.sgd_runner("torch", setup, model, torch.nn.functional.cross_entropy)


WORKLOAD = Workload(
    name="cnn",
    description="the book's ch10 CNN: crop 27x27, Conv2d(1,16,3) kernel-minor, tanh, dropout 0.5, "
                "Linear(10000,10), batch 128, float32, cross-entropy, SGD",
    target=1.1,
    setup=setup,
    builders={"numpy": numpy_runner, "tinygrad_like": tinygrad_like_runner, "torch": torch_runner},
    steps=60,
    has_dropout=True,
    guard_samples=BATCH,  # one batch, three times: the guard stays well under a second
    guard_epochs=3,
    flops=training_flops,
)
