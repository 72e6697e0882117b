"""Chapter 9 of Grokking Deep Learning on MNIST: our layer-built network against the published notebook.

The expectation is the table printed in the book's published chapter 9 notebook (`ch9_mnist.BOOK_TABLE`,
quoted from the notebook). The runs on MNIST, the first row and the whole table, are marked `mnist`
(`pytest -m mnist`). The layer tests need no data.
"""
import numpy as np
import pytest

from tinygrad_like import GradcheckError, gradcheck, nn, optim
from tinygrad_like.book import ch9_mnist
from tinygrad_like.book._common import BookDropout, BookTanhDropout, BookTanhDropoutFunction
from tinygrad_like.tensor import Tensor


def _masked_tanh(mask):
    return lambda z: BookTanhDropoutFunction.apply(z, mask=mask)


def test_book_tanh_dropout_takes_the_derivative_on_the_doubled_activation():
    z_data = np.array([[-1.5, -0.2, 0.0, 0.3, 0.9, 2.0]])
    mask = np.array([[1, 0, 1, 1, 0, 1]])
    z = Tensor(z_data, requires_grad=True)
    out = BookTanhDropoutFunction.apply(z, mask=mask)
    np.testing.assert_array_equal(out.numpy(), np.tanh(z_data) * mask * 2)
    out.sum().backward()
    doubled = np.tanh(z_data) * mask * 2
    np.testing.assert_array_equal(z.grad.numpy(), (1 - doubled ** 2) * mask)  # the notebook's tanh2deriv
    true = 2 * (1 - np.tanh(z_data) ** 2) * mask
    kept = mask.astype(bool)
    assert not np.allclose(z.grad.numpy()[kept], true[kept])  # 1 - 4 tanh^2 is not 2 (1 - tanh^2)
    assert (z.grad.numpy()[kept] < 0).any()  # negative where |tanh z| > 1/2


def test_gradcheck_rejects_the_book_layer_and_accepts_the_true_pair():
    rng = np.random.default_rng(3)
    z = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    mask = rng.integers(0, 2, (3, 4))
    mask[0, 0] = 1
    with pytest.raises(GradcheckError):
        gradcheck(_masked_tanh(mask), z)
    true_pair = nn.Sequential(nn.Tanh(), BookDropout(book_backward=False))

    def same_mask_every_call(x):
        np.random.seed(5)
        return true_pair(x)

    assert gradcheck(same_mask_every_call, z)


def test_eval_mode_is_tanh_and_draws_nothing():
    layer = BookTanhDropout().eval()
    x = Tensor(np.array([[-2.0, 0.5, 3.0]]))
    state = np.random.get_state()[1].copy()
    np.testing.assert_array_equal(layer(x).numpy(), np.tanh(x.numpy()))
    assert np.array_equal(np.random.get_state()[1], state)


def _numpy_notebook(images, labels, epochs, batch_size=100, alpha=2.0):
    """The chapter 9 notebook's own numpy code, on any data; returns the weights and the correct counts."""
    weights_0_1, weights_1_2 = ch9_mnist.book_weights()
    counts = []
    for _ in range(epochs):
        correct = 0
        for i in range(len(images) // batch_size):
            start, end = i * batch_size, (i + 1) * batch_size
            layer_0 = images[start:end]
            layer_1 = np.tanh(np.dot(layer_0, weights_0_1))
            dropout_mask = np.random.randint(2, size=layer_1.shape)
            layer_1 *= dropout_mask * 2
            exp = np.exp(np.dot(layer_1, weights_1_2))
            layer_2 = exp / np.sum(exp, axis=1, keepdims=True)
            correct += int((np.argmax(layer_2, axis=1) == np.argmax(labels[start:end], axis=1)).sum())
            layer_2_delta = (labels[start:end] - layer_2) / (batch_size * layer_2.shape[0])
            layer_1_delta = layer_2_delta.dot(weights_1_2.T) * (1 - layer_1 ** 2)
            layer_1_delta *= dropout_mask
            weights_1_2 += alpha * layer_1.T.dot(layer_2_delta)
            weights_0_1 += alpha * layer_0.T.dot(layer_1_delta)
        counts.append(correct)
    return weights_0_1, weights_1_2, counts


def test_layers_follow_the_notebooks_numpy_code():
    rng = np.random.default_rng(0)
    images, labels = rng.random((300, 784)), np.eye(10)[rng.integers(0, 10, 300)]
    expected_0_1, expected_1_2, expected_counts = _numpy_notebook(images, labels, epochs=3)
    model = ch9_mnist.build("book")
    optimizer = optim.SGD(model.parameters(), lr=ch9_mnist.ALPHA)
    counts = [ch9_mnist.train_epoch(model, optimizer, images, labels) for _ in range(3)]
    assert counts == expected_counts
    # the notebook's unshifted softmax and (label - p) / 10000 against log-softmax's p - label: rounding only
    np.testing.assert_allclose(model[0].weight.numpy().T, expected_0_1, rtol=0, atol=1e-14)
    np.testing.assert_allclose(model[-1].weight.numpy().T, expected_1_2, rtol=0, atol=1e-14)


def test_build_variants_and_errors():
    assert isinstance(ch9_mnist.build("book")[1], BookTanhDropout)
    assert [type(layer) for layer in ch9_mnist.build("true")[1:3]] == [nn.Tanh, BookDropout]
    assert [type(layer) for layer in ch9_mnist.build("stock")[1:3]] == [nn.Tanh, nn.Dropout]
    first, last = ch9_mnist.build()[0], ch9_mnist.build()[-1]
    assert first.weight.shape == (100, 784) and last.weight.shape == (10, 100) and first.bias is None
    with pytest.raises(ValueError, match="ch9 build: layers must be one of book, true, stock"):
        ch9_mnist.build("relu")


@pytest.mark.mnist
def test_first_rows_match_the_notebook_and_the_true_gradient_reference(mnist_dir):
    book = ch9_mnist.run("book", mnist_dir=mnist_dir, iterations=1, progress=False)
    assert [ch9_mnist.format_row(row) for row in book] == ch9_mnist.BOOK_TABLE[:1]
    true = ch9_mnist.run("true", mnist_dir=mnist_dir, iterations=1, progress=False)
    assert ch9_mnist.format_row(true[0]) == ch9_mnist.TRUE_GRADIENT_REFERENCE


@pytest.mark.mnist
def test_whole_table_matches_the_notebook(mnist_dir):
    rows = [ch9_mnist.format_row(row) for row in ch9_mnist.run("book", mnist_dir=mnist_dir, progress=False)]
    assert len(rows) == 30
    assert rows == ch9_mnist.BOOK_TABLE


@pytest.mark.mnist
def test_stock_layers_learn_a_curve_of_their_own(mnist_dir):
    rows = ch9_mnist.run("stock", mnist_dir=mnist_dir, progress=False)
    assert len(rows) == 30
    assert [ch9_mnist.format_row(row) for row in rows] != ch9_mnist.BOOK_TABLE
    assert rows[-1].test_accuracy > 0.85  # the true gradient learns as well as the book's run
