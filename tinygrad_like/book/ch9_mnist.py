"""Grokking Deep Learning, chapter 9: the MNIST network upgraded to a tanh hidden layer and a softmax output.

The network of the book's published chapter 9 notebook, rebuilt from layers:

    nn.Sequential(nn.Linear(784, 100, bias=False), BookTanhDropout(), nn.Linear(100, 10, bias=False))
    loss: cross-entropy of the softmax, summed over the batch and divided by batch_size ** 2
    optim.SGD(lr=2), batches of 100 (10 per iteration, in order), 300 iterations

on the first 1000 training images (pixels / 255), tested on all 10000 test images after every
iteration, printed every 10th. The weights are the notebook's draws (`np.random.seed(1)`, then
`0.02 * np.random.random((784, 100)) - 0.01` and `0.2 * np.random.random((100, 10)) - 0.1`), and the
dropout masks come from the same legacy global generator, one (100, 100) draw per batch, so the run
reproduces the notebook's table row by row:

    I:0 Test-Acc:0.394 Train-Acc:0.156
    ...
    I:290 Test-Acc:0.8701 Train-Acc:0.94

**Two quirks of the notebook, both needed for the published numbers:**
- The hidden delta is `layer_2_delta.dot(weights_1_2.T) * tanh2deriv(layer_1)` with
  `tanh2deriv(out) = 1 - out ** 2`, but `layer_1` has by then been multiplied in place by
  `dropout_mask * 2`: the derivative is taken on the doubled activation, `1 - 4 tanh(z) ** 2` for a
  kept unit (negative where |tanh z| > 1/2), instead of the true `2 (1 - tanh(z) ** 2)`. Then the
  delta is multiplied by the mask (not by mask * 2, as in chapter 8's dropout). `BookTanhDropout` is
  that pair of layers with that backward; `tinygrad_like.gradcheck` rejects it. With the true
  gradient and the same masks (`layers="true"`) the first row is already different (I:0 Test-Acc
  0.5647, not 0.394); `layers="stock"` (`nn.Tanh`, `nn.Dropout`) is the network as a user writes it.
- The output delta is `(labels - softmax) / (batch_size * batch_size)`: the gradient of the summed
  cross-entropy divided by 10000, where the mean would divide by 100. That is the loss below, not a
  custom layer: with lr 2 it is mean cross-entropy with lr 0.02.
"""
import argparse
import sys
import time
from typing import NamedTuple

import numpy as np

from tinygrad_like import manual_seed, nn, no_grad, optim
from tinygrad_like.book._common import (MNIST_HELP, BookDropout, BookTanhDropout, Progress, book_linear,
                                        mnist_or_exit, py3_str, single_blas_thread)
from tinygrad_like.data import book_mnist
from tinygrad_like.nn import functional as F
from tinygrad_like.tensor import Tensor

ALPHA, ITERATIONS, HIDDEN_SIZE, BATCH_SIZE = 2.0, 300, 100, 100
QUICK_ITERATIONS = 1  # the first printed row, I:0, for a quick check

# The published notebook's table (Chapter 9 notebook of the book's repository), row by row.
BOOK_TABLE = """\
I:0 Test-Acc:0.394 Train-Acc:0.156
I:10 Test-Acc:0.6867 Train-Acc:0.723
I:20 Test-Acc:0.7025 Train-Acc:0.732
I:30 Test-Acc:0.734 Train-Acc:0.763
I:40 Test-Acc:0.7663 Train-Acc:0.794
I:50 Test-Acc:0.7913 Train-Acc:0.819
I:60 Test-Acc:0.8102 Train-Acc:0.849
I:70 Test-Acc:0.8228 Train-Acc:0.864
I:80 Test-Acc:0.831 Train-Acc:0.867
I:90 Test-Acc:0.8364 Train-Acc:0.885
I:100 Test-Acc:0.8407 Train-Acc:0.883
I:110 Test-Acc:0.845 Train-Acc:0.891
I:120 Test-Acc:0.8481 Train-Acc:0.901
I:130 Test-Acc:0.8505 Train-Acc:0.901
I:140 Test-Acc:0.8526 Train-Acc:0.905
I:150 Test-Acc:0.8555 Train-Acc:0.914
I:160 Test-Acc:0.8577 Train-Acc:0.925
I:170 Test-Acc:0.8596 Train-Acc:0.918
I:180 Test-Acc:0.8619 Train-Acc:0.933
I:190 Test-Acc:0.863 Train-Acc:0.933
I:200 Test-Acc:0.8642 Train-Acc:0.926
I:210 Test-Acc:0.8653 Train-Acc:0.931
I:220 Test-Acc:0.8668 Train-Acc:0.93
I:230 Test-Acc:0.8672 Train-Acc:0.937
I:240 Test-Acc:0.8681 Train-Acc:0.938
I:250 Test-Acc:0.8687 Train-Acc:0.937
I:260 Test-Acc:0.8684 Train-Acc:0.945
I:270 Test-Acc:0.8703 Train-Acc:0.951
I:280 Test-Acc:0.8699 Train-Acc:0.949
I:290 Test-Acc:0.8701 Train-Acc:0.94
""".splitlines()


class Epoch(NamedTuple):
    """One printed row: the test accuracy after iteration I and the training accuracy measured during it."""
    iteration: int
    test_accuracy: float
    train_accuracy: float


def book_weights(seed=1):
    """The notebook's initial weights, (784, 100) and (100, 10); re-seeds numpy's global RNG."""
    np.random.seed(seed)
    weights_0_1 = 0.02 * np.random.random((784, HIDDEN_SIZE)) - 0.01
    weights_1_2 = 0.2 * np.random.random((HIDDEN_SIZE, 10)) - 0.1
    return weights_0_1, weights_1_2


LAYERS = {"book": "the notebook's backward pass (BookTanhDropout)",
          "true": "nn.Tanh and the notebook's dropout masks with the true gradient",
          "stock": "nn.Tanh and nn.Dropout(0.5) (tinygrad_like's generator)"}
# No book figure exists for the true gradient; the book's numpy code with the true tanh and dropout
# derivatives (an independent numpy run, same masks) prints this first row.
TRUE_GRADIENT_REFERENCE = "I:0 Test-Acc:0.5647 Train-Acc:0.268"


def build(layers="book", seed=1):
    """The notebook's network with its starting weights; `layers` picks the hidden layers (see LAYERS).

    "book" reproduces the published table; "true" differs from it only by the gradient (same masks,
    drawn by `BookDropout(book_backward=False)`); "stock" is what a user would write, with dropout masks
    from tinygrad_like's generator seeded with `seed`."""
    weights_0_1, weights_1_2 = book_weights(seed)
    if layers == "book":
        hidden = [BookTanhDropout()]
    elif layers == "true":
        hidden = [nn.Tanh(), BookDropout(book_backward=False)]
    elif layers == "stock":
        manual_seed(seed)
        hidden = [nn.Tanh(), nn.Dropout(0.5)]
    else:
        raise ValueError(f"ch9 build: layers must be one of {', '.join(LAYERS)}; got {layers!r}")
    return nn.Sequential(book_linear(weights_0_1), *hidden, book_linear(weights_1_2))


def format_row(row):
    """A row exactly as the notebook prints it (without the leading newline)."""
    return f"I:{row.iteration} Test-Acc:{py3_str(row.test_accuracy)} Train-Acc:{py3_str(row.train_accuracy)}"


def accuracy(model, images, labels, chunk=None):
    """The fraction of images whose largest output is the label, without dropout (the softmax would not
    change the argmax, so the notebooks' test passes skip it); `chunk` images per forward pass if given."""
    model.eval()
    chunk = chunk or len(images)
    correct = 0
    with no_grad():
        for start in range(0, len(images), chunk):
            output = model(Tensor(images[start:start + chunk])).numpy()
            correct += int((output.argmax(axis=1) == labels[start:start + chunk].argmax(axis=1)).sum())
    model.train()
    return correct / len(images)


def train_epoch(model, optimizer, images, labels, batch_size=BATCH_SIZE):
    """One pass over the training images in batches, in order; returns the number classified correctly."""
    correct = 0
    for start in range(0, len(images) // batch_size * batch_size, batch_size):
        x, y = Tensor(images[start:start + batch_size]), labels[start:start + batch_size]
        logits = model(x)
        correct += int((logits.numpy().argmax(axis=1) == y.argmax(axis=1)).sum())
        # the notebook's output delta: (labels - softmax) / (batch_size * batch_size)
        loss = F.cross_entropy(logits, Tensor(y), reduction="sum") / (batch_size * batch_size)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return correct


def run(layers="book", data=None, mnist_dir=None, iterations=None, progress=True, on_row=None):
    """Train the notebook's network; returns the rows it prints (a list of Epoch).

    `data`: a `book_mnist(...)` tuple (if None, loaded from `mnist_dir` or the first place
    `tinygrad_like.data.find_mnist` searches that holds MNIST). `iterations`: stop early (1 runs I:0).
    `on_row(row)` is called as each row is ready.
    """
    data = data if data is not None else book_mnist(mnist_dir)
    total = ITERATIONS if iterations is None else min(iterations, ITERATIONS)
    return train_and_test(build(layers), data, total, f"ch9 ({layers} layers)", printed=lambda j: j % 10 == 0,
                          progress=progress, on_row=on_row)


def train_and_test(model, data, iterations, description, printed, batch_size=BATCH_SIZE, test_chunk=None,
                   progress=True, on_row=None):
    """The training loop of the chapter 9 and 10 notebooks: SGD(lr=ALPHA), `iterations` passes over the
    training images, then the test accuracy; a row for each iteration j with `printed(j)`."""
    images, labels, test_images, test_labels = data
    optimizer = optim.SGD(model.parameters(), lr=ALPHA)
    bar = Progress(iterations, description, enabled=progress)
    result = []
    with single_blas_thread():
        try:
            for j in range(iterations):
                correct = train_epoch(model, optimizer, images, labels, batch_size)
                if printed(j):
                    row = Epoch(j, accuracy(model, test_images, test_labels, test_chunk), correct / len(images))
                    result.append(row)
                    if on_row is not None:
                        with bar.paused():
                            on_row(row)
                bar.update()
        finally:
            bar.close()
    return result


def add_length_options(parser, quick, quick_rows, total):
    """A table script's --iterations N (default `quick`, which prints `quick_rows`) or --full (`total`)."""
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--iterations", type=int, metavar="N",
                        help=f"stop after this many iterations (default: {quick}, {quick_rows})")
    length.add_argument("--full", action="store_true", help=f"run the book's whole table: {total} iterations")


def print_table(parser, args, run, network, quick):
    """A table script's main() after parsing: `run(network, mnist, ...)` on the MNIST of --mnist for
    --iterations (default `quick`) or --full, each row printed as it comes, then the time taken; 0."""
    data = mnist_or_exit(parser, args.mnist)
    start = time.time()
    iterations = None if args.full else (args.iterations if args.iterations is not None else quick)
    run(network, data, iterations=iterations, on_row=lambda row: print(format_row(row), flush=True))
    print(f"({time.time() - start:.1f} s)")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description="Grokking Deep Learning chapter 9 on MNIST (tanh, softmax, dropout), "
                                     "as the notebook prints it. By default only the first row (seconds); --full "
                                     "runs the whole table.")
    parser.add_argument("--mnist", metavar="DIR", help=MNIST_HELP)
    parser.add_argument("--layers", choices=list(LAYERS), default="book",
                        help="; ".join(f"{name}: {what}" for name, what in LAYERS.items()) + " (default: book)")
    add_length_options(parser, QUICK_ITERATIONS, "the row I:0", ITERATIONS)
    args = parser.parse_args(argv)
    return print_table(parser, args, run, args.layers, QUICK_ITERATIONS)


if __name__ == "__main__":
    sys.exit(main())
