"""conv-forward: one convolution layer's forward pass under no_grad, batch 256, float32, in GFLOP/s.

nn.Conv2d(64, 64, 3, padding=1) (with its bias) on (256, 64, 16, 16) inputs: the shape of a middle
layer of a small CIFAR-style network, about 4.8 GFLOP per pass, so that the matrix product dominates
and the rate can be read against numpy's. The numpy baseline is the convolution written by hand:
the zero-padded input's sliding windows copied into one (C*3*3, N*H*W) matrix (channel and tap
major, so that the copy reads rows of the image), one product with the (64, C*3*3) weight, plus the
bias; its (N, 64, H, W) result is a transposed view of that product (no copy).
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from benchmarks import cnn, harness
from benchmarks.harness import Runner, Setup, Workload

BATCH, CHANNELS, OUT_CHANNELS, SIZE, KERNEL, PADDING = 256, 64, 64, 16, 3, 1


def setup(seed, n_samples=None):
    """Weights in PyTorch's default initialisation and inputs in [-1, 1); `n_samples` (the guard's)
    makes a smaller batch."""
    rng = np.random.default_rng(seed)
    batch = min(n_samples, BATCH) if n_samples else BATCH
    shape = (OUT_CHANNELS, CHANNELS, KERNEL, KERNEL)
    bound = 1 / np.sqrt(np.prod(shape[1:]))
    params = [(cnn.torch_init(rng, shape, np.float32), rng.uniform(-bound, bound, OUT_CHANNELS).astype(np.float32))]
    x = rng.uniform(-1, 1, (batch, CHANNELS, SIZE, SIZE)).astype(np.float32)
    return Setup(params=params, x=x, y=None, batch=batch, lr=0.0, seed=seed)


def flops(setup):
    """2 x the multiply-adds of the convolution (the bias's additions left out)."""
    out = SIZE + 2 * PADDING - KERNEL + 1
    return 2.0 * setup.batch * out * out * OUT_CHANNELS * CHANNELS * KERNEL * KERNEL


def numpy_runner(setup, deterministic):
    weight, bias = (a.copy() for a in setup.params[0])
    matrix, column_bias = weight.reshape(OUT_CHANNELS, -1), bias[:, None]
    images, batch, starts = setup.x, setup.batch, setup.batch_starts()
    pad = ((0, 0), (0, 0), (PADDING, PADDING), (PADDING, PADDING))

    def step():
        start = next(starts)
        x = np.pad(images[start:start + batch], pad)
        view = sliding_window_view(x, (KERNEL, KERNEL), axis=(2, 3))  # (N, C, H, W, 3, 3)
        n, c, h, w = view.shape[:4]
        columns = view.transpose(1, 4, 5, 0, 2, 3).reshape(c * KERNEL * KERNEL, n * h * w)
        out = matrix.dot(columns)
        out += column_bias
        return out.reshape(OUT_CHANNELS, n, h, w).transpose(1, 0, 2, 3)

    return Runner(step, harness.numpy_value, lambda: [weight.copy(), bias.copy()])


def layer(nn):
    """The nn.Conv2d of `nn` (tinygrad_like.nn or torch.nn), in eval mode."""
    return nn.Conv2d(CHANNELS, OUT_CHANNELS, KERNEL, padding=PADDING).eval()


def tinygrad_like_runner(setup, deterministic):
    from tinygrad_like import nn

    conv = layer(nn)
    conv.weight._data[...], conv.bias._data[...] = setup.params[0]
    return harness.no_grad_runner("tinygrad_like", setup, conv)


def torch_runner(setup, deterministic):
    torch = harness.torch_or_none()
    conv = layer(torch.nn)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(setup.params[0][0]))
        conv.bias.copy_(torch.from_numpy(setup.params[0][1]))
    return harness.no_grad_runner("torch", setup, conv)


WORKLOAD = Workload(
    name="conv-forward",
    description="Conv2d(64, 64, 3, padding=1) on (256, 64, 16, 16), forward only under no_grad, float32; "
                "GFLOP/s beside numpy's sliding windows + GEMM",
    target=None,
    setup=setup,
    builders={"numpy": numpy_runner, "tinygrad_like": tinygrad_like_runner, "torch": torch_runner},
    steps=12,
    rounds_factor=2,
    kind="inference",
    guard_samples=4,
    flops=flops,
)
