"""Chapter 10 of Grokking Deep Learning on MNIST: the convolutional network from nn.Conv2d against the notebook.

The layer tests need no data. The runs on MNIST are marked `mnist`: the first rows against the rows of the
notebook's table quoted in `ch10_mnist.BOOK_ROWS`, the whole table against the book material's
`published/ch10_mnist_conv.txt` (skipped when that file is not beside the checkout).
"""
from pathlib import Path

import numpy as np
import pytest

from tinygrad_like import GradcheckError, gradcheck, nn, optim
from tinygrad_like.book import ch9_mnist, ch10_mnist
from tinygrad_like.book._common import BookTanhDropout
from tinygrad_like.tensor import Tensor

PUBLISHED = Path(__file__).resolve().parents[2] / "shared" / "book" / "published" / "ch10_mnist_conv.txt"


def _book_sections(images):
    """The notebook's windows: (batch * 625, 9), position-major, each 3x3 window flattened row by row."""
    layer_0 = images.reshape(images.shape[0], 28, 28)
    sects = [layer_0[:, row:row + 3, col:col + 3].reshape(-1, 1, 3, 3)
             for row in range(28 - 3) for col in range(28 - 3)]
    expanded_input = np.concatenate(sects, axis=1)
    return expanded_input.reshape(expanded_input.shape[0] * expanded_input.shape[1], -1)


def _numpy_notebook(images, labels, epochs, batch_size=128, alpha=2.0):
    """The chapter 10 notebook's own numpy code (training part), on any data."""
    kernels, weights_1_2 = ch10_mnist.book_weights()
    for _ in range(epochs):
        for i in range(len(images) // batch_size):
            start, end = i * batch_size, (i + 1) * batch_size
            flattened_input = _book_sections(images[start:end])
            kernel_output = flattened_input.dot(kernels)
            layer_1 = np.tanh(kernel_output.reshape(batch_size, -1))
            dropout_mask = np.random.randint(2, size=layer_1.shape)
            layer_1 *= dropout_mask * 2
            exp = np.exp(np.dot(layer_1, weights_1_2))
            layer_2 = exp / np.sum(exp, axis=1, keepdims=True)
            layer_2_delta = (labels[start:end] - layer_2) / (batch_size * layer_2.shape[0])
            layer_1_delta = layer_2_delta.dot(weights_1_2.T) * (1 - layer_1 ** 2)
            layer_1_delta *= dropout_mask
            weights_1_2 += alpha * layer_1.T.dot(layer_2_delta)
            k_update = flattened_input.T.dot(layer_1_delta.reshape(kernel_output.shape))
            kernels -= alpha * k_update  # the sign error
    return kernels, weights_1_2


def test_the_network_computes_the_notebooks_hidden_layer():
    rng = np.random.default_rng(0)
    images = rng.random((3, 784))
    model = ch10_mnist.build("book").eval()
    kernels, _ = ch10_mnist.book_weights()
    hidden = nn.Sequential(*list(model)[:3])(Tensor(images)).numpy()
    expected = _book_sections(images).dot(kernels).reshape(3, -1)
    np.testing.assert_allclose(hidden, expected, rtol=0, atol=1e-15)
    assert isinstance(model[3], BookTanhDropout) and model[1].weight.shape == (16, 1, 3, 3)


def test_layers_follow_the_notebooks_numpy_code_including_the_sign_error():
    rng = np.random.default_rng(1)
    images, labels = rng.random((256, 784)), np.eye(10)[rng.integers(0, 10, 256)]
    expected_kernels, expected_1_2 = _numpy_notebook(images, labels, epochs=2)
    model = ch10_mnist.build("book")
    optimizer = optim.SGD(model.parameters(), lr=ch10_mnist.ALPHA)
    for _ in range(2):
        ch9_mnist.train_epoch(model, optimizer, images, labels, ch10_mnist.BATCH_SIZE)
    kernels = model[1].weight.numpy().reshape(16, 9).T
    np.testing.assert_allclose(kernels, expected_kernels, rtol=0, atol=1e-13)
    np.testing.assert_allclose(model[-1].weight.numpy().T, expected_1_2, rtol=0, atol=1e-13)


def test_book_conv_negates_only_the_weight_gradient():
    rng = np.random.default_rng(2)
    x_data = rng.standard_normal((2, 1, 5, 5))
    grads = {}
    for name, layer_class in [("stock", nn.Conv2d), ("book", ch10_mnist.BookConv2d)]:
        nn_layer = layer_class(1, 2, 3, bias=False).double()
        nn_layer.weight.data = np.arange(18.0).reshape(2, 1, 3, 3) / 10
        x = Tensor(x_data, requires_grad=True)
        (nn_layer(x) ** 2).sum().backward()
        grads[name] = (x.grad.numpy(), nn_layer.weight.grad.numpy())
    np.testing.assert_array_equal(grads["book"][0], grads["stock"][0])
    np.testing.assert_array_equal(grads["book"][1], -grads["stock"][1])
    weight = Tensor(rng.standard_normal((2, 1, 3, 3)), requires_grad=True)
    with pytest.raises(GradcheckError):
        gradcheck(lambda w: ch10_mnist.F.conv2d(Tensor(x_data), ch10_mnist.NegatedGradient.apply(w)), weight)


def test_build_variants_and_errors():
    assert type(ch10_mnist.build("book")[1]) is ch10_mnist.BookConv2d
    assert type(ch10_mnist.build("true")[1]) is nn.Conv2d
    with pytest.raises(ValueError, match="ch10 build: kernels must be 'book' or 'true'"):
        ch10_mnist.build("ascent")


@pytest.mark.mnist
def test_first_rows_match_the_notebook(mnist_dir):
    rows = ch10_mnist.run("book", mnist_dir=mnist_dir, iterations=ch10_mnist.QUICK_ITERATIONS, progress=False)
    assert [ch10_mnist.format_row(row) for row in rows] == [ch10_mnist.BOOK_ROWS[i] for i in range(len(rows))]


@pytest.mark.mnist
def test_whole_table_matches_the_notebook_with_both_collapses(mnist_dir):
    if not PUBLISHED.exists():
        pytest.skip(f"the notebook's whole table is not at {PUBLISHED}")
    rows = [ch10_mnist.format_row(row) for row in ch10_mnist.run("book", mnist_dir=mnist_dir, progress=False)]
    assert rows == ch10_mnist.published_table(PUBLISHED)
    assert all(rows[i] == line for i, line in ch10_mnist.BOOK_ROWS.items())
