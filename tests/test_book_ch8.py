"""Chapter 8 of Grokking Deep Learning on MNIST: our layer-built networks against the published notebook.

The expectations are the tables printed in the book's published chapter 8 notebook, hard-coded.
The runs on MNIST, first rows (I:0, I:10) and whole tables alike, are
marked `mnist` (minutes; `pytest -m mnist`). The layer tests at the top need no data.
"""
import io

import numpy as np
import pytest

from tinygrad_like import GradcheckError, gradcheck, nn, optim
from tinygrad_like.book import ch8_mnist
from tinygrad_like.book._common import (BookDropout, BookReLU, BookReLUFunction, Progress, book_linear,
                                        rows_as_tensors)
from tinygrad_like.tensor import Tensor

PUBLISHED_PLAIN = [
    "I:0 Train-Err:0.722 Train-Acc:0.537 Test-Err:0.601 Test-Acc:0.6488",
    "I:10 Train-Err:0.312 Train-Acc:0.901 Test-Err:0.420 Test-Acc:0.8114",
    "I:20 Train-Err:0.260 Train-Acc:0.93 Test-Err:0.414 Test-Acc:0.8111",
    "I:30 Train-Err:0.232 Train-Acc:0.946 Test-Err:0.417 Test-Acc:0.8066",
    "I:40 Train-Err:0.215 Train-Acc:0.956 Test-Err:0.426 Test-Acc:0.8019",
    "I:50 Train-Err:0.204 Train-Acc:0.966 Test-Err:0.437 Test-Acc:0.7982",
    "I:60 Train-Err:0.194 Train-Acc:0.967 Test-Err:0.448 Test-Acc:0.7921",
    "I:70 Train-Err:0.186 Train-Acc:0.975 Test-Err:0.458 Test-Acc:0.7864",
    "I:80 Train-Err:0.179 Train-Acc:0.979 Test-Err:0.466 Test-Acc:0.7817",
    "I:90 Train-Err:0.172 Train-Acc:0.981 Test-Err:0.474 Test-Acc:0.7758",
    "I:100 Train-Err:0.166 Train-Acc:0.984 Test-Err:0.482 Test-Acc:0.7706",
    "I:110 Train-Err:0.161 Train-Acc:0.984 Test-Err:0.489 Test-Acc:0.7686",
    "I:120 Train-Err:0.157 Train-Acc:0.986 Test-Err:0.496 Test-Acc:0.766",
    "I:130 Train-Err:0.153 Train-Acc:0.99 Test-Err:0.502 Test-Acc:0.7622",
    "I:140 Train-Err:0.149 Train-Acc:0.991 Test-Err:0.508 Test-Acc:0.758",
    "I:150 Train-Err:0.145 Train-Acc:0.991 Test-Err:0.513 Test-Acc:0.7558",
    "I:160 Train-Err:0.141 Train-Acc:0.992 Test-Err:0.518 Test-Acc:0.7553",
    "I:170 Train-Err:0.138 Train-Acc:0.992 Test-Err:0.524 Test-Acc:0.751",
    "I:180 Train-Err:0.135 Train-Acc:0.995 Test-Err:0.528 Test-Acc:0.7505",
    "I:190 Train-Err:0.132 Train-Acc:0.995 Test-Err:0.533 Test-Acc:0.7482",
    "I:200 Train-Err:0.130 Train-Acc:0.998 Test-Err:0.538 Test-Acc:0.7464",
    "I:210 Train-Err:0.127 Train-Acc:0.998 Test-Err:0.544 Test-Acc:0.7446",
    "I:220 Train-Err:0.125 Train-Acc:0.998 Test-Err:0.552 Test-Acc:0.7416",
    "I:230 Train-Err:0.123 Train-Acc:0.998 Test-Err:0.560 Test-Acc:0.7372",
    "I:240 Train-Err:0.121 Train-Acc:0.998 Test-Err:0.569 Test-Acc:0.7344",
    "I:250 Train-Err:0.120 Train-Acc:0.999 Test-Err:0.577 Test-Acc:0.7316",
    "I:260 Train-Err:0.118 Train-Acc:0.999 Test-Err:0.585 Test-Acc:0.729",
    "I:270 Train-Err:0.117 Train-Acc:0.999 Test-Err:0.593 Test-Acc:0.7259",
    "I:280 Train-Err:0.115 Train-Acc:0.999 Test-Err:0.600 Test-Acc:0.723",
    "I:290 Train-Err:0.114 Train-Acc:0.999 Test-Err:0.607 Test-Acc:0.7196",
    "I:300 Train-Err:0.113 Train-Acc:0.999 Test-Err:0.614 Test-Acc:0.7183",
    "I:310 Train-Err:0.112 Train-Acc:0.999 Test-Err:0.622 Test-Acc:0.7165",
    "I:320 Train-Err:0.111 Train-Acc:0.999 Test-Err:0.629 Test-Acc:0.7133",
    "I:330 Train-Err:0.110 Train-Acc:0.999 Test-Err:0.637 Test-Acc:0.7125",
    "I:340 Train-Err:0.109 Train-Acc:1.0 Test-Err:0.645 Test-Acc:0.71",
    "I:349 Train-Err:0.108 Train-Acc:1.0 Test-Err:0.653 Test-Acc:0.7073",
]
PUBLISHED_DROPOUT = [
    "I:0 Test-Err:0.641 Test-Acc:0.6333 Train-Err:0.891 Train-Acc:0.413",
    "I:10 Test-Err:0.458 Test-Acc:0.787 Train-Err:0.472 Train-Acc:0.764",
    "I:20 Test-Err:0.415 Test-Acc:0.8133 Train-Err:0.430 Train-Acc:0.809",
    "I:30 Test-Err:0.421 Test-Acc:0.8114 Train-Err:0.415 Train-Acc:0.811",
    "I:40 Test-Err:0.419 Test-Acc:0.8112 Train-Err:0.413 Train-Acc:0.827",
    "I:50 Test-Err:0.409 Test-Acc:0.8133 Train-Err:0.392 Train-Acc:0.836",
    "I:60 Test-Err:0.412 Test-Acc:0.8236 Train-Err:0.402 Train-Acc:0.836",
    "I:70 Test-Err:0.412 Test-Acc:0.8033 Train-Err:0.383 Train-Acc:0.857",
    "I:80 Test-Err:0.410 Test-Acc:0.8054 Train-Err:0.386 Train-Acc:0.854",
    "I:90 Test-Err:0.411 Test-Acc:0.8144 Train-Err:0.376 Train-Acc:0.868",
    "I:100 Test-Err:0.411 Test-Acc:0.7903 Train-Err:0.369 Train-Acc:0.864",
    "I:110 Test-Err:0.411 Test-Acc:0.8003 Train-Err:0.371 Train-Acc:0.868",
    "I:120 Test-Err:0.402 Test-Acc:0.8046 Train-Err:0.353 Train-Acc:0.857",
    "I:130 Test-Err:0.408 Test-Acc:0.8091 Train-Err:0.352 Train-Acc:0.867",
    "I:140 Test-Err:0.405 Test-Acc:0.8083 Train-Err:0.355 Train-Acc:0.885",
    "I:150 Test-Err:0.404 Test-Acc:0.8107 Train-Err:0.342 Train-Acc:0.883",
    "I:160 Test-Err:0.399 Test-Acc:0.8146 Train-Err:0.361 Train-Acc:0.876",
    "I:170 Test-Err:0.404 Test-Acc:0.8074 Train-Err:0.344 Train-Acc:0.889",
    "I:180 Test-Err:0.399 Test-Acc:0.807 Train-Err:0.333 Train-Acc:0.892",
    "I:190 Test-Err:0.407 Test-Acc:0.8066 Train-Err:0.335 Train-Acc:0.898",
    "I:200 Test-Err:0.405 Test-Acc:0.8036 Train-Err:0.347 Train-Acc:0.893",
    "I:210 Test-Err:0.405 Test-Acc:0.8034 Train-Err:0.336 Train-Acc:0.894",
    "I:220 Test-Err:0.402 Test-Acc:0.8067 Train-Err:0.325 Train-Acc:0.896",
    "I:230 Test-Err:0.404 Test-Acc:0.8091 Train-Err:0.321 Train-Acc:0.894",
    "I:240 Test-Err:0.415 Test-Acc:0.8091 Train-Err:0.332 Train-Acc:0.898",
    "I:250 Test-Err:0.395 Test-Acc:0.8182 Train-Err:0.320 Train-Acc:0.899",
    "I:260 Test-Err:0.390 Test-Acc:0.8204 Train-Err:0.321 Train-Acc:0.899",
    "I:270 Test-Err:0.382 Test-Acc:0.8194 Train-Err:0.312 Train-Acc:0.906",
    "I:280 Test-Err:0.396 Test-Acc:0.8208 Train-Err:0.317 Train-Acc:0.9",
    "I:290 Test-Err:0.399 Test-Acc:0.8181 Train-Err:0.301 Train-Acc:0.908",
]
PUBLISHED_BATCH = [
    "I:0 Test-Err:0.815 Test-Acc:0.3832 Train-Err:1.284 Train-Acc:0.165",
    "I:10 Test-Err:0.568 Test-Acc:0.7173 Train-Err:0.591 Train-Acc:0.672",
    "I:20 Test-Err:0.510 Test-Acc:0.7571 Train-Err:0.532 Train-Acc:0.729",
    "I:30 Test-Err:0.485 Test-Acc:0.7793 Train-Err:0.498 Train-Acc:0.754",
    "I:40 Test-Err:0.468 Test-Acc:0.7877 Train-Err:0.489 Train-Acc:0.749",
    "I:50 Test-Err:0.458 Test-Acc:0.793 Train-Err:0.468 Train-Acc:0.775",
    "I:60 Test-Err:0.452 Test-Acc:0.7995 Train-Err:0.452 Train-Acc:0.799",
    "I:70 Test-Err:0.446 Test-Acc:0.803 Train-Err:0.453 Train-Acc:0.792",
    "I:80 Test-Err:0.451 Test-Acc:0.7968 Train-Err:0.457 Train-Acc:0.786",
    "I:90 Test-Err:0.447 Test-Acc:0.795 Train-Err:0.454 Train-Acc:0.799",
    "I:100 Test-Err:0.448 Test-Acc:0.793 Train-Err:0.447 Train-Acc:0.796",
    "I:110 Test-Err:0.441 Test-Acc:0.7943 Train-Err:0.426 Train-Acc:0.816",
    "I:120 Test-Err:0.442 Test-Acc:0.7966 Train-Err:0.431 Train-Acc:0.813",
    "I:130 Test-Err:0.441 Test-Acc:0.7906 Train-Err:0.434 Train-Acc:0.816",
    "I:140 Test-Err:0.447 Test-Acc:0.7874 Train-Err:0.437 Train-Acc:0.822",
    "I:150 Test-Err:0.443 Test-Acc:0.7899 Train-Err:0.414 Train-Acc:0.823",
    "I:160 Test-Err:0.438 Test-Acc:0.797 Train-Err:0.427 Train-Acc:0.811",
    "I:170 Test-Err:0.440 Test-Acc:0.7884 Train-Err:0.418 Train-Acc:0.828",
    "I:180 Test-Err:0.436 Test-Acc:0.7935 Train-Err:0.407 Train-Acc:0.834",
    "I:190 Test-Err:0.434 Test-Acc:0.7935 Train-Err:0.410 Train-Acc:0.831",
    "I:200 Test-Err:0.435 Test-Acc:0.7972 Train-Err:0.416 Train-Acc:0.829",
    "I:210 Test-Err:0.434 Test-Acc:0.7923 Train-Err:0.409 Train-Acc:0.83",
    "I:220 Test-Err:0.433 Test-Acc:0.8032 Train-Err:0.396 Train-Acc:0.832",
    "I:230 Test-Err:0.431 Test-Acc:0.8036 Train-Err:0.393 Train-Acc:0.853",
    "I:240 Test-Err:0.430 Test-Acc:0.8047 Train-Err:0.397 Train-Acc:0.844",
    "I:250 Test-Err:0.429 Test-Acc:0.8028 Train-Err:0.386 Train-Acc:0.843",
    "I:260 Test-Err:0.431 Test-Acc:0.8038 Train-Err:0.394 Train-Acc:0.843",
    "I:270 Test-Err:0.428 Test-Acc:0.8014 Train-Err:0.384 Train-Acc:0.845",
    "I:280 Test-Err:0.430 Test-Acc:0.8067 Train-Err:0.401 Train-Acc:0.846",
    "I:290 Test-Err:0.428 Test-Acc:0.7975 Train-Err:0.383 Train-Acc:0.851",
]
# The book has no run with the true ReLU derivative; these rows are from the book's numpy code with
# relu2deriv = (output > 0), run independently of this project.
NUMPY_TRUE_RELU_PLAIN = {0: "I:0 Train-Err:0.729 Train-Acc:0.527 Test-Err:0.593 Test-Acc:0.6493",
                         10: "I:10 Train-Err:0.198 Train-Acc:0.94 Test-Err:0.321 Test-Acc:0.8559",
                         349: "I:349 Train-Err:0.003 Train-Acc:0.999 Test-Err:0.355 Test-Acc:0.829"}


# ---- the book's layers, no data needed ------------------------------------------------------------------
def test_book_relu_fails_gradcheck_and_nn_relu_passes():
    x = Tensor(np.array([[-1.5, -0.3, 0.4, 2.0]]), requires_grad=True)
    assert gradcheck(nn.ReLU(), x)
    with pytest.raises(GradcheckError):
        gradcheck(BookReLU(), x)
    with pytest.raises(GradcheckError):
        gradcheck(BookReLUFunction.apply, x)  # the Function itself: backward passes grad where relu's slope is 0


def test_book_relu_forward_is_relu_backward_is_identity():
    x = Tensor(np.array([[-1.5, 0.4]]), requires_grad=True)
    y = BookReLU()(x)
    np.testing.assert_array_equal(y.numpy(), [[0.0, 0.4]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 1.0]])


def test_book_dropout_draws_numpys_legacy_masks_and_back_propagates_the_mask_only():
    layer = BookDropout()
    np.random.seed(3)
    expected_mask = np.random.randint(2, size=(1, 6))
    np.random.seed(3)
    x = Tensor(np.arange(1.0, 7.0).reshape(1, 6), requires_grad=True)
    y = layer(x)
    np.testing.assert_array_equal(y.numpy(), x.numpy() * expected_mask * 2)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), expected_mask)  # the book's quirk: mask, not mask * 2
    layer.eval()
    state = np.random.get_state()[1].copy()
    assert layer(x) is x and np.array_equal(np.random.get_state()[1], state)  # eval: identity, no draw


def test_book_batch_linear_backward_reads_the_updated_weight_where_linear_raises():
    weights = np.array([[0.5, -1.0], [2.0, 0.25], [-0.5, 1.5]])  # the book's (in, out) layout
    x_data = np.array([[1.0, 2.0, -1.0]])
    gradients = {}
    for name, layer_class in [("stock", nn.Linear), ("book", ch8_mnist.BookBatchLinear)]:
        layer = book_linear(weights, layer_class)
        x = Tensor(x_data, requires_grad=True)
        loss = layer(x).sum()
        loss.backward(retain_graph=True)
        gradients[name] = x.grad.numpy().copy()
        optimizer = optim.SGD(layer.parameters(), lr=0.1)
        optimizer.step()  # changes the weight in place after the forward pass
        optimizer.zero_grad()
        x.grad = None
        if name == "stock":
            with pytest.raises(RuntimeError, match="modified by an in-place operation"):
                loss.backward()
            continue
        loss.backward()  # the same graph again: through the updated weight, as the notebook's loop does
        updated = layer.weight.numpy()
        np.testing.assert_array_equal(x.grad.numpy(), np.ones((1, 2)) @ updated)
        assert not np.allclose(x.grad.numpy(), np.ones((1, 2)) @ weights.T)  # not forward's weight
        fresh = book_linear(updated.T)  # a new forward pass with the stock layer gives the same gradients
        x_fresh = Tensor(x_data, requires_grad=True)
        fresh(x_fresh).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), x_fresh.grad.numpy())
        np.testing.assert_array_equal(layer.weight.grad.numpy(), fresh.weight.grad.numpy())
    np.testing.assert_array_equal(gradients["book"], gradients["stock"])  # before any change: the same


def test_book_batch_linear_is_linears_gradient_while_the_weight_is_unchanged():
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    weight = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    assert gradcheck(ch8_mnist.BookBatchLinearFunction.apply, x, weight)


def test_only_the_batch_network_uses_book_batch_linear():
    for kind in ch8_mnist.SETUPS:
        linears = [layer for layer in ch8_mnist.build(kind) if isinstance(layer, nn.Linear)]
        assert len(linears) == 2
        assert all(isinstance(layer, ch8_mnist.BookBatchLinear) == (kind == "batch") for layer in linears)


def _numpy_book_loop(images, labels, setup, epochs):
    """The notebook's own numpy code (per image), on any data."""
    weights_0_1, weights_1_2 = ch8_mnist.book_weights(setup.hidden_size)
    for _ in range(epochs):
        for i in range(len(images)):
            layer_0 = images[i:i + 1]
            layer_1 = (np.dot(layer_0, weights_0_1) >= 0) * np.dot(layer_0, weights_0_1)
            if setup.dropout:
                dropout_mask = np.random.randint(2, size=layer_1.shape)
                layer_1 *= dropout_mask * 2
            layer_2 = np.dot(layer_1, weights_1_2)
            layer_2_delta = labels[i:i + 1] - layer_2
            layer_1_delta = layer_2_delta.dot(weights_1_2.T) * (layer_1 >= 0)
            if setup.dropout:
                layer_1_delta *= dropout_mask
            weights_1_2 += setup.alpha * layer_1.T.dot(layer_2_delta)
            weights_0_1 += setup.alpha * layer_0.T.dot(layer_1_delta)
    return weights_0_1, weights_1_2


@pytest.mark.parametrize("kind", ["plain", "dropout"])
def test_layers_reproduce_the_notebooks_numpy_code_bit_for_bit(kind):
    rng = np.random.default_rng(0)
    images, labels = rng.random((60, 784)), np.eye(10)[rng.integers(0, 10, 60)]
    setup = ch8_mnist.SETUPS[kind]
    expected_0_1, expected_1_2 = _numpy_book_loop(images, labels, setup, epochs=2)
    model = ch8_mnist.build(kind)
    optimizer = optim.SGD(model.parameters(), lr=setup.alpha)
    for _ in range(2):
        ch8_mnist.train_epoch(model, optimizer, images, labels, setup, rows_as_tensors(images), rows_as_tensors(labels))
    np.testing.assert_array_equal(model[0].weight.numpy().T, expected_0_1)
    np.testing.assert_array_equal(model[-1].weight.numpy().T, expected_1_2)


def test_batch_quirk_matches_the_notebooks_loop():
    rng = np.random.default_rng(1)
    images, labels = rng.random((200, 784)), np.eye(10)[rng.integers(0, 10, 200)]
    setup = ch8_mnist.SETUPS["batch"]
    weights_0_1, weights_1_2 = ch8_mnist.book_weights(setup.hidden_size)
    for start in range(0, 200, 100):  # the notebook's code, with its indentation
        layer_0 = images[start:start + 100]
        layer_1 = (np.dot(layer_0, weights_0_1) >= 0) * np.dot(layer_0, weights_0_1)
        dropout_mask = np.random.randint(2, size=layer_1.shape)
        layer_1 *= dropout_mask * 2
        layer_2 = np.dot(layer_1, weights_1_2)
        for k in range(100):
            layer_2_delta = (labels[start:start + 100] - layer_2) / 100
            layer_1_delta = layer_2_delta.dot(weights_1_2.T) * (layer_1 >= 0)
            layer_1_delta *= dropout_mask
            weights_1_2 += setup.alpha * layer_1.T.dot(layer_2_delta)
            weights_0_1 += setup.alpha * layer_0.T.dot(layer_1_delta)
    model = ch8_mnist.build("batch")
    ch8_mnist.train_epoch(model, optim.SGD(model.parameters(), lr=setup.alpha), images, labels, setup)
    # (label - output) / 100 vs the loss's 0.01 * (output - label): equal to rounding, not to the bit
    np.testing.assert_allclose(model[0].weight.numpy().T, weights_0_1, rtol=0, atol=1e-13)
    np.testing.assert_allclose(model[-1].weight.numpy().T, weights_1_2, rtol=0, atol=1e-13)


def test_row_format_is_the_notebooks():
    row = ch8_mnist.Epoch(349, 0.10812345, 1.0, 0.65399, 0.7073)
    assert ch8_mnist.format_row("plain", row) == "I:349 Train-Err:0.108 Train-Acc:1.0 Test-Err:0.653 Test-Acc:0.7073"
    assert ch8_mnist.format_row("dropout", row) == "I:349 Test-Err:0.653 Test-Acc:0.7073 Train-Err:0.108 Train-Acc:1.0"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_result_printed_during_a_run_starts_its_own_line():
    """The progress line on a terminal is rewritten in place ('\\r', no newline); a row printed
    meanwhile must not land at its end."""
    terminal = Terminal()
    bar = Progress(3, "ch8 plain", stream=terminal)
    bar.update()
    with bar.paused():
        terminal.write("I:0 Train-Err:0.722\n")
    bar.update()
    bar.close()
    before, row, after = terminal.getvalue().partition("I:0 Train-Err:0.722\n")
    assert "[" in before and before.endswith("\r") and before.rsplit("\r", 2)[-2].strip() == ""  # line erased
    assert "2/3" in after  # the bar comes back after the row


def test_run_pauses_the_progress_bar_for_each_row(monkeypatch):
    events = []

    class Recorder(Progress):
        def paused(self):
            events.append("paused")
            return super().paused()

    monkeypatch.setattr(ch8_mnist, "Progress", Recorder)
    rng = np.random.default_rng(0)
    images, test_images = rng.random((3, 784)), rng.random((2, 784))
    data = (images, np.eye(10)[[1, 2, 3]], test_images, np.eye(10)[[4, 5]])
    ch8_mnist.run("plain", data=data, iterations=11, progress=False, on_row=lambda kind, row: events.append("row"))
    assert events == ["paused", "row", "paused", "row"]  # rows I:0 and I:10


# ---- on MNIST -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mnist(mnist_dir):
    from tinygrad_like.data import book_mnist
    return book_mnist(mnist_dir)


def _lines(kind, data, relu="book", iterations=None):
    return [ch8_mnist.format_row(kind, row)
            for row in ch8_mnist.run(kind, relu, data, iterations=iterations, progress=False)]


@pytest.mark.mnist
def test_plain_first_rows(mnist):
    assert _lines("plain", mnist, iterations=11) == PUBLISHED_PLAIN[:2]


@pytest.mark.mnist
def test_dropout_first_rows(mnist):
    assert _lines("dropout", mnist, iterations=11) == PUBLISHED_DROPOUT[:2]


@pytest.mark.mnist
def test_batch_first_row(mnist):
    assert _lines("batch", mnist, iterations=1) == PUBLISHED_BATCH[:1]


@pytest.mark.mnist
def test_true_relu_first_rows(mnist):
    assert _lines("plain", mnist, relu="true", iterations=11) == [NUMPY_TRUE_RELU_PLAIN[0], NUMPY_TRUE_RELU_PLAIN[10]]


@pytest.mark.mnist
def test_plain_whole_table(mnist):
    assert _lines("plain", mnist) == PUBLISHED_PLAIN


@pytest.mark.mnist
def test_dropout_whole_table(mnist):
    assert _lines("dropout", mnist) == PUBLISHED_DROPOUT


@pytest.mark.mnist
def test_batch_whole_table(mnist):
    assert _lines("batch", mnist) == PUBLISHED_BATCH


@pytest.mark.mnist
def test_true_relu_learns_better_than_the_books(mnist):
    lines = _lines("plain", mnist, relu="true")
    assert lines[-1] == NUMPY_TRUE_RELU_PLAIN[349]
    assert "Test-Acc:0.829" in lines[-1] and "Test-Acc:0.7073" in PUBLISHED_PLAIN[-1]
