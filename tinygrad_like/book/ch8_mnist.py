"""Grokking Deep Learning, chapter 8: a 3-layer network on MNIST, overfitting, dropout and mini-batches.

The networks are those of the book's published chapter 8 notebook, rebuilt from layers:

    plain    nn.Sequential(nn.Linear(784, 40, bias=False), BookReLU(), nn.Linear(40, 10, bias=False))
             alpha 0.005, 350 iterations, one image at a time
    dropout  nn.Sequential(nn.Linear(784, 100, bias=False), BookReLU(), BookDropout(),
                           nn.Linear(100, 10, bias=False))
             alpha 0.005, 300 iterations, one image at a time
    batch    the dropout network with BookBatchLinear for nn.Linear (see below),
             alpha 0.001, 300 iterations, batches of 100

on the first 1000 training images (pixels / 255) with one-hot labels, tested on all 10000 test
images. The weights are the notebook's draws (`np.random.seed(1)`, then
`0.2 * np.random.random((784, hidden)) - 0.1` and `0.2 * np.random.random((hidden, 10)) - 0.1`),
and the dropout masks come from the same legacy global generator in the same order, so the runs
reproduce the notebook's tables row by row, e.g. the plain network's

    I:0 Train-Err:0.722 Train-Acc:0.537 Test-Err:0.601 Test-Acc:0.6488
    ...
    I:349 Train-Err:0.108 Train-Acc:1.0 Test-Err:0.653 Test-Acc:0.7073

Every update is `loss.backward()` and an `optim.SGD(lr=alpha)` step, with
`loss = 0.5 * mse_loss(output, label, reduction="sum")` whose gradient is the book's
`layer_2_delta` (the printed Err is the unhalved sum of squares, averaged over the images).

**The book's ReLU has a bug, and we reproduce it on purpose.** The notebook back-propagates through
the hidden layer with `relu2deriv(layer_1)`, where `relu2deriv = lambda x: x >= 0` is applied to the
relu's *output*. An output is never negative, so the factor is always 1: the published network
learns as if its hidden layer were linear (the forward pass does apply the relu). `BookReLU` is that
layer — relu forward, gradient passed through unchanged — and is what reproduces the published
tables. Its backward is not the derivative of its forward, and `tinygrad_like.gradcheck` says so.
`relu="true"` uses the correct `nn.ReLU` instead (the notebook with `relu2deriv = x > 0`), which
learns a different and better curve: the plain network ends at Test-Acc 0.829 instead of 0.7073.

Two more quirks of the notebook, both kept (both are needed for the published numbers):
- dropout's backward multiplies by the mask, not by mask * 2 as the forward does (`BookDropout`);
- in the batch network, the delta and weight updates sit inside the `for k in range(batch_size)`
  loop that counts correct predictions: every batch is applied 100 times, with the delta from the
  one forward pass and the hidden delta recomputed through the updated second-layer weights. Here
  that is 100 `loss.backward(retain_graph=True)` + `optimizer.step()` on one forward graph, with
  `BookBatchLinear` layers: the stock Linear op (like PyTorch's) refuses to differentiate through a
  weight that an optimizer step changed after the forward pass, while `BookBatchLinear`'s backward
  reads the weight as the previous step left it, as the notebook's `layer_2_delta.dot(weights_1_2.T)`
  does. The effective learning rate is about 0.1, not 0.001.

The test pass runs all 10000 images as one batch (the notebook goes one image at a time); the
printed figures are the same.
"""
import argparse
import sys
import time
from typing import NamedTuple

import numpy as np

from tinygrad_like import nn, no_grad, optim
from tinygrad_like.book._common import (MNIST_HELP, BookDropout, BookReLU, Progress, book_linear, mnist_or_exit,
                                        py3_str, rows_as_tensors, single_blas_thread, truncated)
from tinygrad_like.data import book_mnist
from tinygrad_like.nn import functional as F
from tinygrad_like.tensor import Function, Tensor


class Setup(NamedTuple):
    hidden_size: int
    alpha: float
    iterations: int
    batch_size: int  # 1: one image at a time
    dropout: bool


SETUPS = {
    "plain": Setup(hidden_size=40, alpha=0.005, iterations=350, batch_size=1, dropout=False),
    "dropout": Setup(hidden_size=100, alpha=0.005, iterations=300, batch_size=1, dropout=True),
    "batch": Setup(hidden_size=100, alpha=0.001, iterations=300, batch_size=100, dropout=True),
}
# The first printed rows only, for a quick check: I:0 and I:10 (I:0 for the slower mini-batch net)
QUICK_ITERATIONS = {"plain": 11, "dropout": 11, "batch": 1}
TITLES = {"plain": "3-layer net (784-40-10)", "dropout": "dropout net (784-100-10)",
          "batch": "mini-batch dropout net (784-100-10, batches of 100)"}

# The published notebook's tables (Chapter 8 notebook of the book's repository), row by row.
BOOK_TABLES = {
    "plain": """\
I:0 Train-Err:0.722 Train-Acc:0.537 Test-Err:0.601 Test-Acc:0.6488
I:10 Train-Err:0.312 Train-Acc:0.901 Test-Err:0.420 Test-Acc:0.8114
I:20 Train-Err:0.260 Train-Acc:0.93 Test-Err:0.414 Test-Acc:0.8111
I:30 Train-Err:0.232 Train-Acc:0.946 Test-Err:0.417 Test-Acc:0.8066
I:40 Train-Err:0.215 Train-Acc:0.956 Test-Err:0.426 Test-Acc:0.8019
I:50 Train-Err:0.204 Train-Acc:0.966 Test-Err:0.437 Test-Acc:0.7982
I:60 Train-Err:0.194 Train-Acc:0.967 Test-Err:0.448 Test-Acc:0.7921
I:70 Train-Err:0.186 Train-Acc:0.975 Test-Err:0.458 Test-Acc:0.7864
I:80 Train-Err:0.179 Train-Acc:0.979 Test-Err:0.466 Test-Acc:0.7817
I:90 Train-Err:0.172 Train-Acc:0.981 Test-Err:0.474 Test-Acc:0.7758
I:100 Train-Err:0.166 Train-Acc:0.984 Test-Err:0.482 Test-Acc:0.7706
I:110 Train-Err:0.161 Train-Acc:0.984 Test-Err:0.489 Test-Acc:0.7686
I:120 Train-Err:0.157 Train-Acc:0.986 Test-Err:0.496 Test-Acc:0.766
I:130 Train-Err:0.153 Train-Acc:0.99 Test-Err:0.502 Test-Acc:0.7622
I:140 Train-Err:0.149 Train-Acc:0.991 Test-Err:0.508 Test-Acc:0.758
I:150 Train-Err:0.145 Train-Acc:0.991 Test-Err:0.513 Test-Acc:0.7558
I:160 Train-Err:0.141 Train-Acc:0.992 Test-Err:0.518 Test-Acc:0.7553
I:170 Train-Err:0.138 Train-Acc:0.992 Test-Err:0.524 Test-Acc:0.751
I:180 Train-Err:0.135 Train-Acc:0.995 Test-Err:0.528 Test-Acc:0.7505
I:190 Train-Err:0.132 Train-Acc:0.995 Test-Err:0.533 Test-Acc:0.7482
I:200 Train-Err:0.130 Train-Acc:0.998 Test-Err:0.538 Test-Acc:0.7464
I:210 Train-Err:0.127 Train-Acc:0.998 Test-Err:0.544 Test-Acc:0.7446
I:220 Train-Err:0.125 Train-Acc:0.998 Test-Err:0.552 Test-Acc:0.7416
I:230 Train-Err:0.123 Train-Acc:0.998 Test-Err:0.560 Test-Acc:0.7372
I:240 Train-Err:0.121 Train-Acc:0.998 Test-Err:0.569 Test-Acc:0.7344
I:250 Train-Err:0.120 Train-Acc:0.999 Test-Err:0.577 Test-Acc:0.7316
I:260 Train-Err:0.118 Train-Acc:0.999 Test-Err:0.585 Test-Acc:0.729
I:270 Train-Err:0.117 Train-Acc:0.999 Test-Err:0.593 Test-Acc:0.7259
I:280 Train-Err:0.115 Train-Acc:0.999 Test-Err:0.600 Test-Acc:0.723
I:290 Train-Err:0.114 Train-Acc:0.999 Test-Err:0.607 Test-Acc:0.7196
I:300 Train-Err:0.113 Train-Acc:0.999 Test-Err:0.614 Test-Acc:0.7183
I:310 Train-Err:0.112 Train-Acc:0.999 Test-Err:0.622 Test-Acc:0.7165
I:320 Train-Err:0.111 Train-Acc:0.999 Test-Err:0.629 Test-Acc:0.7133
I:330 Train-Err:0.110 Train-Acc:0.999 Test-Err:0.637 Test-Acc:0.7125
I:340 Train-Err:0.109 Train-Acc:1.0 Test-Err:0.645 Test-Acc:0.71
I:349 Train-Err:0.108 Train-Acc:1.0 Test-Err:0.653 Test-Acc:0.7073
""".splitlines(),
    "dropout": """\
I:0 Test-Err:0.641 Test-Acc:0.6333 Train-Err:0.891 Train-Acc:0.413
I:10 Test-Err:0.458 Test-Acc:0.787 Train-Err:0.472 Train-Acc:0.764
I:20 Test-Err:0.415 Test-Acc:0.8133 Train-Err:0.430 Train-Acc:0.809
I:30 Test-Err:0.421 Test-Acc:0.8114 Train-Err:0.415 Train-Acc:0.811
I:40 Test-Err:0.419 Test-Acc:0.8112 Train-Err:0.413 Train-Acc:0.827
I:50 Test-Err:0.409 Test-Acc:0.8133 Train-Err:0.392 Train-Acc:0.836
I:60 Test-Err:0.412 Test-Acc:0.8236 Train-Err:0.402 Train-Acc:0.836
I:70 Test-Err:0.412 Test-Acc:0.8033 Train-Err:0.383 Train-Acc:0.857
I:80 Test-Err:0.410 Test-Acc:0.8054 Train-Err:0.386 Train-Acc:0.854
I:90 Test-Err:0.411 Test-Acc:0.8144 Train-Err:0.376 Train-Acc:0.868
I:100 Test-Err:0.411 Test-Acc:0.7903 Train-Err:0.369 Train-Acc:0.864
I:110 Test-Err:0.411 Test-Acc:0.8003 Train-Err:0.371 Train-Acc:0.868
I:120 Test-Err:0.402 Test-Acc:0.8046 Train-Err:0.353 Train-Acc:0.857
I:130 Test-Err:0.408 Test-Acc:0.8091 Train-Err:0.352 Train-Acc:0.867
I:140 Test-Err:0.405 Test-Acc:0.8083 Train-Err:0.355 Train-Acc:0.885
I:150 Test-Err:0.404 Test-Acc:0.8107 Train-Err:0.342 Train-Acc:0.883
I:160 Test-Err:0.399 Test-Acc:0.8146 Train-Err:0.361 Train-Acc:0.876
I:170 Test-Err:0.404 Test-Acc:0.8074 Train-Err:0.344 Train-Acc:0.889
I:180 Test-Err:0.399 Test-Acc:0.807 Train-Err:0.333 Train-Acc:0.892
I:190 Test-Err:0.407 Test-Acc:0.8066 Train-Err:0.335 Train-Acc:0.898
I:200 Test-Err:0.405 Test-Acc:0.8036 Train-Err:0.347 Train-Acc:0.893
I:210 Test-Err:0.405 Test-Acc:0.8034 Train-Err:0.336 Train-Acc:0.894
I:220 Test-Err:0.402 Test-Acc:0.8067 Train-Err:0.325 Train-Acc:0.896
I:230 Test-Err:0.404 Test-Acc:0.8091 Train-Err:0.321 Train-Acc:0.894
I:240 Test-Err:0.415 Test-Acc:0.8091 Train-Err:0.332 Train-Acc:0.898
I:250 Test-Err:0.395 Test-Acc:0.8182 Train-Err:0.320 Train-Acc:0.899
I:260 Test-Err:0.390 Test-Acc:0.8204 Train-Err:0.321 Train-Acc:0.899
I:270 Test-Err:0.382 Test-Acc:0.8194 Train-Err:0.312 Train-Acc:0.906
I:280 Test-Err:0.396 Test-Acc:0.8208 Train-Err:0.317 Train-Acc:0.9
I:290 Test-Err:0.399 Test-Acc:0.8181 Train-Err:0.301 Train-Acc:0.908
""".splitlines(),
    "batch": """\
I:0 Test-Err:0.815 Test-Acc:0.3832 Train-Err:1.284 Train-Acc:0.165
I:10 Test-Err:0.568 Test-Acc:0.7173 Train-Err:0.591 Train-Acc:0.672
I:20 Test-Err:0.510 Test-Acc:0.7571 Train-Err:0.532 Train-Acc:0.729
I:30 Test-Err:0.485 Test-Acc:0.7793 Train-Err:0.498 Train-Acc:0.754
I:40 Test-Err:0.468 Test-Acc:0.7877 Train-Err:0.489 Train-Acc:0.749
I:50 Test-Err:0.458 Test-Acc:0.793 Train-Err:0.468 Train-Acc:0.775
I:60 Test-Err:0.452 Test-Acc:0.7995 Train-Err:0.452 Train-Acc:0.799
I:70 Test-Err:0.446 Test-Acc:0.803 Train-Err:0.453 Train-Acc:0.792
I:80 Test-Err:0.451 Test-Acc:0.7968 Train-Err:0.457 Train-Acc:0.786
I:90 Test-Err:0.447 Test-Acc:0.795 Train-Err:0.454 Train-Acc:0.799
I:100 Test-Err:0.448 Test-Acc:0.793 Train-Err:0.447 Train-Acc:0.796
I:110 Test-Err:0.441 Test-Acc:0.7943 Train-Err:0.426 Train-Acc:0.816
I:120 Test-Err:0.442 Test-Acc:0.7966 Train-Err:0.431 Train-Acc:0.813
I:130 Test-Err:0.441 Test-Acc:0.7906 Train-Err:0.434 Train-Acc:0.816
I:140 Test-Err:0.447 Test-Acc:0.7874 Train-Err:0.437 Train-Acc:0.822
I:150 Test-Err:0.443 Test-Acc:0.7899 Train-Err:0.414 Train-Acc:0.823
I:160 Test-Err:0.438 Test-Acc:0.797 Train-Err:0.427 Train-Acc:0.811
I:170 Test-Err:0.440 Test-Acc:0.7884 Train-Err:0.418 Train-Acc:0.828
I:180 Test-Err:0.436 Test-Acc:0.7935 Train-Err:0.407 Train-Acc:0.834
I:190 Test-Err:0.434 Test-Acc:0.7935 Train-Err:0.410 Train-Acc:0.831
I:200 Test-Err:0.435 Test-Acc:0.7972 Train-Err:0.416 Train-Acc:0.829
I:210 Test-Err:0.434 Test-Acc:0.7923 Train-Err:0.409 Train-Acc:0.83
I:220 Test-Err:0.433 Test-Acc:0.8032 Train-Err:0.396 Train-Acc:0.832
I:230 Test-Err:0.431 Test-Acc:0.8036 Train-Err:0.393 Train-Acc:0.853
I:240 Test-Err:0.430 Test-Acc:0.8047 Train-Err:0.397 Train-Acc:0.844
I:250 Test-Err:0.429 Test-Acc:0.8028 Train-Err:0.386 Train-Acc:0.843
I:260 Test-Err:0.431 Test-Acc:0.8038 Train-Err:0.394 Train-Acc:0.843
I:270 Test-Err:0.428 Test-Acc:0.8014 Train-Err:0.384 Train-Acc:0.845
I:280 Test-Err:0.430 Test-Acc:0.8067 Train-Err:0.401 Train-Acc:0.846
I:290 Test-Err:0.428 Test-Acc:0.7975 Train-Err:0.383 Train-Acc:0.851
""".splitlines(),
}

# No book figures exist for the true ReLU derivative; these rows come from the book's numpy code
# with `relu2deriv = lambda x: x > 0` (an independent numpy run), for comparison.
TRUE_RELU_REFERENCE = {
    "plain": ["I:0 Train-Err:0.729 Train-Acc:0.527 Test-Err:0.593 Test-Acc:0.6493",
              "I:10 Train-Err:0.198 Train-Acc:0.94 Test-Err:0.321 Test-Acc:0.8559",
              "I:349 Train-Err:0.003 Train-Acc:0.999 Test-Err:0.355 Test-Acc:0.829"],
    "dropout": ["I:0 Test-Err:0.638 Test-Acc:0.6325 Train-Err:0.902 Train-Acc:0.395",
                "I:10 Test-Err:0.371 Test-Acc:0.8314 Train-Err:0.392 Train-Acc:0.819",
                "I:290 Test-Err:0.291 Test-Acc:0.8734 Train-Err:0.156 Train-Acc:0.985"],
    "batch": ["I:0 Test-Err:0.824 Test-Acc:0.3752 Train-Err:1.286 Train-Acc:0.151",
              "I:10 Test-Err:0.543 Test-Acc:0.7264 Train-Err:0.583 Train-Acc:0.66",
              "I:290 Test-Err:0.282 Test-Acc:0.8758 Train-Err:0.224 Train-Acc:0.953"],
}



class Epoch(NamedTuple):
    """One printed row: the training figures of iteration I (measured while training it) and the
    test figures after it."""
    iteration: int
    train_error: float
    train_accuracy: float
    test_error: float
    test_accuracy: float


class BookBatchLinearFunction(Function):
    """x @ weight.T (2-D x) whose backward uses the weight's values at backward time, not forward's.

    The stock Linear op saves the weight, and backward raises if the weight was changed in place
    after the forward pass (an optimizer step), since its gradient would then mix two weights.
    The notebook's batch loop makes exactly that mix: it back-propagates the same forward pass 100
    times, each time through `weights_1_2` as the previous update left it. So this op does not save
    the weight; backward reads it through its input tensor (`ctx.parents[1]`). With no change in
    between, the gradient is Linear's (gradcheck passes); after a change it is not the gradient of
    the forward pass that ran, which is the notebook's behaviour and the point of the op.
    """

    @staticmethod
    def forward(ctx, x, weight):
        ctx.save_for_backward(x)  # not the weight: backward must see its current values
        return x.dot(weight.T)  # the notebook's layer_1.dot(weights_1_2)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        weight = ctx.parents[1].numpy()  # the live array, as the latest optimizer step left it
        grad_x = grad.dot(weight) if ctx.needs_input_grad[0] else None  # layer_2_delta.dot(weights_1_2.T)
        # layer_1.T.dot(layer_2_delta), transposed to the weight's (out, in) shape
        grad_weight = x.T.dot(grad).T if ctx.needs_input_grad[1] else None
        return grad_x, grad_weight


class BookBatchLinear(nn.Linear):
    """A bias-free `nn.Linear` for the batch network's repeated backward passes: see
    `BookBatchLinearFunction`. Only `build("batch")` uses it; the other networks run one backward
    per forward pass and use the stock layer."""

    def __init__(self, in_features, out_features, bias=False, dtype=np.float32):
        if bias:
            raise ValueError("BookBatchLinear has no bias (the notebook's layers have none)")
        super().__init__(in_features, out_features, bias=False, dtype=dtype)

    def forward(self, x):
        return BookBatchLinearFunction.apply(x, self.weight)


def book_weights(hidden_size, seed=1):
    """The notebook's initial weights, (784, hidden) and (hidden, 10); re-seeds numpy's global RNG."""
    np.random.seed(seed)
    weights_0_1 = 0.2 * np.random.random((784, hidden_size)) - 0.1
    weights_1_2 = 0.2 * np.random.random((hidden_size, 10)) - 0.1
    return weights_0_1, weights_1_2


def build(kind="plain", relu="book", seed=1):
    """The network of `kind` with the notebook's starting weights (drawn with `np.random.seed(seed)`)."""
    setup = SETUPS[kind]
    weights_0_1, weights_1_2 = book_weights(setup.hidden_size, seed)
    # the batch loop differentiates each forward pass 100 times through updated weights (see train_epoch)
    linear = nn.Linear if setup.batch_size == 1 else BookBatchLinear
    layers = [book_linear(weights_0_1, linear), BookReLU() if relu == "book" else nn.ReLU()]
    if setup.dropout:
        layers.append(BookDropout())
    layers.append(book_linear(weights_1_2, linear))
    return nn.Sequential(*layers)


def printed(kind, iteration):
    """Does the notebook print a row after this iteration?"""
    last = SETUPS[kind].iterations - 1
    return iteration % 10 == 0 or (kind == "plain" and iteration == last)


def format_row(kind, row):
    """A row exactly as the notebook prints it (without the leading space / newline)."""
    train = f"Train-Err:{truncated(row.train_error)} Train-Acc:{py3_str(row.train_accuracy)}"
    test = f"Test-Err:{truncated(row.test_error)} Test-Acc:{py3_str(row.test_accuracy)}"
    return f"I:{row.iteration} " + (f"{train} {test}" if kind == "plain" else f"{test} {train}")


def evaluate(model, images, labels):
    """(summed squared error / n, accuracy) over a data set, without dropout."""
    model.eval()
    with no_grad():
        output = model(Tensor(images)).numpy()
    model.train()
    per_image = ((output - labels) ** 2).sum(axis=1)
    error = 0.0
    for value in per_image:  # accumulated image by image, as the notebook does
        error += value
    correct = int((output.argmax(axis=1) == labels.argmax(axis=1)).sum())
    return error / len(images), correct / len(images)


def train_epoch(model, optimizer, images, labels, setup, image_rows=None, label_rows=None):
    """One pass over the training images as the notebook makes it; returns (error sum, correct count)."""
    error, correct = 0.0, 0
    if setup.batch_size == 1:
        for x, y, label in zip(image_rows, label_rows, labels):
            output = model(x)
            squared_error = F.mse_loss(output, y, reduction="sum")
            optimizer.zero_grad()
            (0.5 * squared_error).backward()
            optimizer.step()
            error += squared_error.item()
            correct += int(output.numpy().argmax() == label.argmax())
        return error, correct
    size = setup.batch_size
    for start in range(0, len(images) // size * size, size):
        x, y = Tensor(images[start:start + size]), Tensor(labels[start:start + size])
        output = model(x)
        squared_error = F.mse_loss(output, y, reduction="sum")
        error += squared_error.item()
        correct += int((output.numpy().argmax(axis=1) == labels[start:start + size].argmax(axis=1)).sum())
        loss = 0.5 * squared_error / size  # the notebook's delta: (label - output) / batch_size
        # The notebook's indentation quirk: the update runs once per image of the batch, each backward
        # pass through the weights as the previous step left them (the model's BookBatchLinear layers)
        for k in range(size):
            optimizer.zero_grad()
            loss.backward(retain_graph=k < size - 1)
            optimizer.step()
    return error, correct


def run(kind="plain", relu="book", data=None, mnist_dir=None, iterations=None, progress=True, on_row=None):
    """Train the notebook's `kind` network; returns the rows it prints (a list of Epoch).

    `data`: a `book_mnist(...)` tuple (if None, loaded from `mnist_dir` or the first place
    `tinygrad_like.data.find_mnist` searches that holds MNIST).
    `iterations`: stop early (e.g. 11 for the rows I:0 and I:10); the row schedule stays the book's.
    `on_row(kind, row)` is called as each row is ready (e.g. to print it).
    """
    setup = SETUPS[kind]
    images, labels, test_images, test_labels = data if data is not None else book_mnist(mnist_dir)
    model = build(kind, relu)
    optimizer = optim.SGD(model.parameters(), lr=setup.alpha)
    image_rows = rows_as_tensors(images) if setup.batch_size == 1 else None
    label_rows = rows_as_tensors(labels) if setup.batch_size == 1 else None
    total = setup.iterations if iterations is None else min(iterations, setup.iterations)
    bar = Progress(total, f"ch8 {kind} ({relu} relu)", enabled=progress)
    result = []
    with single_blas_thread():  # small products: BLAS threads only cost time
        try:
            for j in range(total):
                error, correct = train_epoch(model, optimizer, images, labels, setup, image_rows, label_rows)
                if printed(kind, j):
                    test_error, test_accuracy = evaluate(model, test_images, test_labels)
                    row = Epoch(j, error / len(images), correct / len(images), test_error, test_accuracy)
                    result.append(row)
                    if on_row is not None:
                        with bar.paused():
                            on_row(kind, row)
                bar.update()
        finally:
            bar.close()
    return result


def figures(mnist_dir=None, kinds=tuple(SETUPS), relu="book", iterations=None, progress=False):
    """The printed rows of each network, kind -> list of lines as the notebook prints them."""
    data = book_mnist(mnist_dir)
    return {kind: [format_row(kind, row) for row in run(kind, relu, data, iterations=iterations, progress=progress)]
            for kind in kinds}


def main(argv=None):
    parser = argparse.ArgumentParser(description="Grokking Deep Learning chapter 8 on MNIST, as the notebook prints "
                                     "it. By default only the first rows of each table (seconds); --full runs them all.")
    parser.add_argument("--mnist", metavar="DIR", help=MNIST_HELP)
    parser.add_argument("--kind", choices=list(SETUPS) + ["all"], default="plain",
                        help="which network: " + "; ".join(f"{kind}: {TITLES[kind]}" for kind in SETUPS)
                        + " (default: plain)")
    parser.add_argument("--relu", choices=["book", "true"], default="book",
                        help="book (default): the notebook's relu, whose gradient ignores the relu; true: nn.ReLU")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--iterations", type=int, metavar="N",
                        help="stop after this many iterations (default: " + ", ".join(
                            f"{count} for {kind}" for kind, count in QUICK_ITERATIONS.items())
                        + ", which print the rows I:0 and I:10, or I:0)")
    length.add_argument("--full", action="store_true",
                        help="run the book's whole tables: " + ", ".join(
                            f"{setup.iterations} iterations for {kind}" for kind, setup in SETUPS.items())
                        + " (minutes each)")
    args = parser.parse_args(argv)
    data = mnist_or_exit(parser, args.mnist)
    for kind in SETUPS if args.kind == "all" else [args.kind]:
        iterations = args.iterations if args.iterations is not None else QUICK_ITERATIONS[kind]
        print(f"== {TITLES[kind]}, {args.relu} relu")
        start = time.time()
        run(kind, args.relu, data, iterations=None if args.full else iterations,
            on_row=lambda kind, row: print((" " if kind == "plain" else "") + format_row(kind, row), flush=True))
        print(f"({time.time() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
