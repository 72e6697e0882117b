"""Grokking Deep Learning, chapter 10: a convolutional network on MNIST.

The network of the book's published chapter 10 notebook, rebuilt from layers:

    crop to the top-left 27x27 pixels            the notebook's windows start at rows and columns 0..24
    BookConv2d(1, 16, 3, bias=False)             16 3x3 kernels: (N, 16, 25, 25)
    permute to (N, 25, 25, 16), flatten          the notebook's hidden order: position-major, kernel-minor
    BookTanhDropout()                            tanh, dropout, and chapter 9's backward quirk
    nn.Linear(10000, 10, bias=False)
    loss: cross-entropy of the softmax, summed over the batch and divided by batch_size ** 2
    optim.SGD(lr=2), batches of 128 (7 per iteration: images 0-895), 300 iterations

on the first 1000 training images (pixels / 255), tested on all 10000 test images after every
iteration, each row printed. The notebook's draws come from `np.random.seed(1)`: the kernels
`0.02 * np.random.random((9, 16)) - 0.01` (one column per kernel, the 3x3 window flattened row by
row), then `0.2 * np.random.random((10000, 10)) - 0.1`, then one dropout mask per batch. The run
reproduces the notebook's 300 rows, including both collapses of the test accuracy:

    I:0 Test-Acc:0.0288 Train-Acc:0.055
    I:13 Test-Acc:0.4473 Train-Acc:0.286
    I:19 Test-Acc:0.0127 Train-Acc:0.026
    I:38 Test-Acc:0.7491 Train-Acc:0.55
    I:45 Test-Acc:0.2052 Train-Acc:0.174
    I:299 Test-Acc:0.8774 Train-Acc:0.814

**The collapses come from a sign error in the notebook** (reported on the book's repository, issues
#55 and #65; the printed book has the same line): the deltas it back-propagates are minus the
gradient, and it updates `weights_1_2 += alpha * ...` (descent) but `kernels -= alpha * k_update`,
which is gradient *ascent* on the kernels. `BookConv2d` reproduces that: an `nn.Conv2d` whose weight
gradient is negated (`NegatedGradient`), so that the optimizer's descent step is the notebook's ascent.
`kernels="true"` uses the stock `nn.Conv2d`: no collapse, and a better curve. The hidden layer has
chapter 9's quirks too (`BookTanhDropout`, the loss divided by the batch size squared).
"""
import argparse
import sys
from pathlib import Path

import numpy as np

from tinygrad_like import nn
from tinygrad_like.book._common import MNIST_HELP, BookTanhDropout, book_linear
from tinygrad_like.book.ch9_mnist import format_row  # noqa: F401  (ch10_mnist.format_row: its rows are printed as ch9's)
from tinygrad_like.book.ch9_mnist import add_length_options, print_table, train_and_test
from tinygrad_like.data import book_mnist
from tinygrad_like.nn import functional as F
from tinygrad_like.tensor import Function

ALPHA, ITERATIONS, BATCH_SIZE, KERNELS, KERNEL_SIZE = 2.0, 300, 128, 16, 3
WINDOWS = 28 - KERNEL_SIZE  # the notebook's `range(28 - kernel_rows)`: 25 window positions per axis
HIDDEN_SIZE = WINDOWS * WINDOWS * KERNELS  # 10000
QUICK_ITERATIONS = 2  # the first printed rows, I:0 and I:1, for a quick check
TEST_CHUNK = 1000  # test images per forward pass: the window view of all 10000 would be 450 MB

# Rows of the published notebook's table (Chapter 10 notebook of the book's repository): the first
# nine and the last three (the rows the printed book shows) and both collapses. The whole table is
# `published/ch10_mnist_conv.txt` of the book's material; `published_table()` reads it.
BOOK_ROWS = """\
I:0 Test-Acc:0.0288 Train-Acc:0.055
I:1 Test-Acc:0.0273 Train-Acc:0.037
I:2 Test-Acc:0.028 Train-Acc:0.037
I:3 Test-Acc:0.0292 Train-Acc:0.04
I:4 Test-Acc:0.0339 Train-Acc:0.046
I:5 Test-Acc:0.0478 Train-Acc:0.068
I:6 Test-Acc:0.076 Train-Acc:0.083
I:7 Test-Acc:0.1316 Train-Acc:0.096
I:8 Test-Acc:0.2137 Train-Acc:0.127
I:13 Test-Acc:0.4473 Train-Acc:0.286
I:19 Test-Acc:0.0127 Train-Acc:0.026
I:38 Test-Acc:0.7491 Train-Acc:0.55
I:45 Test-Acc:0.2052 Train-Acc:0.174
I:297 Test-Acc:0.8774 Train-Acc:0.816
I:298 Test-Acc:0.8774 Train-Acc:0.804
I:299 Test-Acc:0.8774 Train-Acc:0.814
""".splitlines()
BOOK_ROWS = {int(line.split()[0][2:]): line for line in BOOK_ROWS}


def published_table(path):
    """The notebook's whole table (300 lines) from the book material's `ch10_mnist_conv.txt` at `path`."""
    return Path(path).read_text().splitlines()


class NegatedGradient(Function):
    """Identity forward; backward returns minus the gradient (the notebook's kernel-update sign error)."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad):
        return -grad


class BookConv2d(nn.Conv2d):
    """`nn.Conv2d` with the chapter 10 notebook's sign error: the weight's gradient is negated, so an
    optimizer's descent step moves the kernels uphill, as `kernels -= alpha * k_update` does there.
    The input's gradient is the true one (the notebook computes none: the convolution is the first layer)."""

    def forward(self, x):
        return F.conv2d(x, NegatedGradient.apply(self.weight), self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


class BookWindows(nn.Module):
    """(N, 784) pixels -> (N, 1, 27, 27): the image, cropped to the pixels the notebook's windows cover."""

    def forward(self, x):
        covered = WINDOWS + KERNEL_SIZE - 1
        return x.reshape(-1, 1, 28, 28)[:, :, :covered, :covered]


class KernelMinor(nn.Module):
    """(N, 16, 25, 25) -> (N, 10000) in the notebook's order: hidden unit (row * 25 + column) * 16 + kernel."""

    def forward(self, x):
        return x.permute(0, 2, 3, 1).flatten(1)


def book_weights(seed=1):
    """The notebook's initial kernels (9, 16) and weights (10000, 10); re-seeds numpy's global RNG."""
    np.random.seed(seed)
    kernels = 0.02 * np.random.random((KERNEL_SIZE * KERNEL_SIZE, KERNELS)) - 0.01
    weights_1_2 = 0.2 * np.random.random((HIDDEN_SIZE, 10)) - 0.1
    return kernels, weights_1_2


def build(kernels="book", seed=1):
    """The notebook's network with its starting weights. `kernels="book"` has the notebook's sign error
    (`BookConv2d`); `kernels="true"` the stock `nn.Conv2d`."""
    if kernels not in ("book", "true"):
        raise ValueError(f"ch10 build: kernels must be 'book' or 'true'; got {kernels!r}")
    book_kernels, weights_1_2 = book_weights(seed)
    conv = (BookConv2d if kernels == "book" else nn.Conv2d)(1, KERNELS, KERNEL_SIZE, bias=False).double()
    # the notebook's column k is kernel k's 3x3 window, row by row: PyTorch's (16, 1, 3, 3) weight
    conv.weight.data = book_kernels.T.reshape(KERNELS, 1, KERNEL_SIZE, KERNEL_SIZE)
    return nn.Sequential(BookWindows(), conv, KernelMinor(), BookTanhDropout(), book_linear(weights_1_2))


def run(kernels="book", data=None, mnist_dir=None, iterations=None, progress=True, on_row=None):
    """Train the notebook's network; returns its rows (a list of ch9_mnist.Epoch, one per iteration).

    `data`: a `book_mnist(...)` tuple (if None, loaded from `mnist_dir` or the first place
    `tinygrad_like.data.find_mnist` searches that holds MNIST). `iterations`: stop early.
    `on_row(row)` is called as each row is ready.
    """
    data = data if data is not None else book_mnist(mnist_dir)
    total = ITERATIONS if iterations is None else min(iterations, ITERATIONS)
    return train_and_test(build(kernels), data, total, f"ch10 ({kernels} kernels)", printed=lambda j: True,
                          batch_size=BATCH_SIZE, test_chunk=TEST_CHUNK, progress=progress, on_row=on_row)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Grokking Deep Learning chapter 10 on MNIST (a convolutional net), "
                                     "as the notebook prints it. By default only the first rows (seconds); --full "
                                     "runs the whole table (minutes).")
    parser.add_argument("--mnist", metavar="DIR", help=MNIST_HELP)
    parser.add_argument("--kernels", choices=["book", "true"], default="book",
                        help="book (default): the notebook's sign error, gradient ascent on the kernels "
                        "(BookConv2d); true: nn.Conv2d, descent")
    add_length_options(parser, QUICK_ITERATIONS, "the rows I:0 and I:1", ITERATIONS)
    args = parser.parse_args(argv)
    return print_table(parser, args, run, args.kernels, QUICK_ITERATIONS)


if __name__ == "__main__":
    sys.exit(main())
