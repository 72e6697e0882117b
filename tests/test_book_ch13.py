"""Chapter 13 of Grokking Deep Learning: the toy runs of the book's own framework, from our layers.

Every expectation is the chapter notebook's printout (`ch13_framework.BOOK`, quoted from the notebook;
the book prints the same), never our own output.
"""
import numpy as np
import pytest

from tinygrad_like import GradcheckError, gradcheck
from tinygrad_like.book import ch13_framework as ch13
from tinygrad_like.book._common import BookCrossEntropy, BookCrossEntropyFunction, book_tensor_ids
from tinygrad_like.nn import functional as F
from tinygrad_like.tensor import Tensor


@pytest.mark.parametrize("name", list(ch13.RUNS))
def test_toy_run_prints_the_books_losses(name):
    printed = ch13.toy_run(name)
    assert len(printed) == 10
    assert ch13.matches_book(name, printed)
    if name not in ch13.FULL_PRECISION:
        assert printed == ch13.BOOK[name]


def test_full_precision_comparison_allows_the_last_bits_only():
    book = ch13.BOOK["crossentropy"]
    assert ch13.matches_book("crossentropy", book)
    last_bits = [str(float(np.nextafter(float(value), 2.0))) for value in book]
    assert ch13.matches_book("crossentropy", last_bits)
    off = list(book)
    off[5] = repr(float(book[5]) * (1 + 1e-12))
    assert not ch13.matches_book("crossentropy", off)
    assert not ch13.matches_book("crossentropy", book[:-1])


def test_index_select_gradient_counts_each_pick():
    assert ch13.index_select_gradient() == ch13.BOOK_INDEX_SELECT_GRAD


def test_tensor_ids_consume_the_stream_as_the_books_tensor_does():
    np.random.seed(0)
    book_tensor_ids(3)
    ours = np.random.rand()
    np.random.seed(0)
    for _ in range(3):
        np.random.randint(0, 100000)
    assert ours == np.random.rand()
    np.random.seed(0)
    book_tensor_ids(1, high=10 ** 9)
    after_big = np.random.rand()
    np.random.seed(0)
    np.random.randint(0, 10 ** 9)
    assert after_big == np.random.rand()


def test_without_the_id_draws_the_weights_are_not_the_books():
    np.random.seed(0)
    book_tensor_ids(2)
    layer = ch13.book_linear(2, 3)
    np.random.seed(0)
    without_ids = np.random.randn(2, 3) * np.sqrt(2.0 / 2)
    np.random.seed(0)
    np.random.randint(0, 100000, size=2)
    with_ids = np.random.randn(2, 3) * np.sqrt(2.0 / 2)
    np.testing.assert_array_equal(layer.weight.numpy(), with_ids.T)
    assert not np.allclose(with_ids, without_ids)
    assert layer.bias.numpy().tolist() == [0.0, 0.0, 0.0]


def test_book_cross_entropy_prints_the_mean_and_steps_on_the_sum():
    rng = np.random.default_rng(0)
    logits_data, target = rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    logits = Tensor(logits_data, requires_grad=True)
    loss = BookCrossEntropy()(logits, Tensor(target))
    softmax = np.exp(logits_data) / np.exp(logits_data).sum(1, keepdims=True)
    assert loss.item() == pytest.approx(-np.log(softmax[np.arange(4), target]).mean(), rel=1e-15)
    loss.backward()
    np.testing.assert_allclose(logits.grad.numpy(), softmax - np.eye(3)[target], rtol=1e-14)
    true = Tensor(logits_data, requires_grad=True)
    F.cross_entropy(true, Tensor(target)).backward()
    np.testing.assert_allclose(logits.grad.numpy(), 4 * true.grad.numpy(), rtol=1e-12)  # batch x the mean's


def test_gradcheck_rejects_the_book_cross_entropy_for_a_batch_but_not_for_one_row():
    rng = np.random.default_rng(1)
    batch = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    with pytest.raises(GradcheckError):
        gradcheck(lambda x: BookCrossEntropyFunction.apply(x, target=np.array([1, 0, 3])), batch)
    row = Tensor(rng.standard_normal((1, 4)), requires_grad=True)
    assert gradcheck(lambda x: BookCrossEntropyFunction.apply(x, target=np.array([2])), row)


def test_unknown_run_is_an_error_naming_the_runs():
    with pytest.raises(ValueError, match="ch13 toy run: name must be one of numpy, autograd"):
        ch13.toy_run("lstm")
