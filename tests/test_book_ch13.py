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


# ---- the RNN on bAbI ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def babi_lines():
    """bAbI task 1's training lines, found as the library finds them; skips, naming the places, without."""
    from tinygrad_like.data import load_babi
    try:
        return [line.raw for line in load_babi(1, "train").lines]
    except FileNotFoundError as error:
        pytest.skip(str(error))


def test_babi_rnn_data_is_the_notebooks(babi_lines):
    vocab, data = ch13.babi_rnn_data(babi_lines)
    assert len(vocab) == 83 and data.shape == (1000, 6)
    assert vocab.decode(data[0]) == ["-", "mary", "moved", "to", "the", "bathroom."]
    assert vocab.decode(data[2]) == ["-", "-", "where", "is", "mary?", "\tbathroom\t1"]


def test_babi_rnn_first_row_is_in_the_range_of_the_notebooks_reruns(babi_lines):
    rows = ch13.rnn_rows(babi_lines)
    assert len(rows) == 1 and rows[0].status == "yes"
    result = ch13.babi_rnn(babi_lines, iterations=1)
    assert result.lines[0] == f"Loss: {result.losses[0]} % Correct: {result.correct[0]}"
    assert result.prediction[0] == ch13.BOOK_RNN_PREDICTION[0] and result.prediction[1] == ch13.BOOK_RNN_PREDICTION[1]


def test_book_rnn_cell_is_the_books_formula_and_its_gradients_are_right():
    np.random.seed(0)
    cell = ch13.BookRNNCell(3, 4, 5)
    x, h = np.random.default_rng(0).normal(size=(2, 3)), np.random.default_rng(1).normal(size=(2, 4))
    output, hidden = cell(Tensor(x), Tensor(h))
    w_ih, w_hh, w_ho = (layer.weight.numpy().T for layer in (cell.w_ih, cell.w_hh, cell.w_ho))
    expected = 1 / (1 + np.exp(-(x @ w_ih + h @ w_hh)))
    np.testing.assert_allclose(hidden.numpy(), expected, rtol=1e-14)
    np.testing.assert_allclose(output.numpy(), expected @ w_ho, rtol=1e-13)
    inputs = [Tensor(np.random.default_rng(s).normal(size=(2, 3)), requires_grad=True) for s in range(3)]

    def last_step_loss(*xs):  # the chapter's loss: the last output's cross-entropy only
        state = cell.init_hidden(2)
        for step in xs:
            out, state = cell(step, state)
        return F.cross_entropy(out, Tensor(np.array([1, 4])), reduction="sum")
    assert gradcheck(last_step_loss, *inputs)


def test_tanh_cell_holds_the_books_draws_in_nn_rnncell():
    np.random.seed(0)
    cell = ch13.TanhRNNCell(3, 4, 5)
    np.random.seed(0)
    w_ih = np.random.randn(3, 4) * np.sqrt(2 / 3)
    np.testing.assert_array_equal(cell.cell.weight_ih.numpy(), w_ih.T)
    assert cell.cell.bias_hh.numpy().tolist() == [0.0] * 4
    with pytest.raises(ValueError, match="cell must be one of book, tanh"):
        ch13.babi_rnn(["1 a b c d e"], cell="lstm")


@pytest.mark.slow
def test_babi_rnn_learns_to_the_published_accuracy(babi_lines):
    first, last, prediction = ch13.rnn_rows(babi_lines, full=True)
    assert first.status == last.status == "yes" and prediction.status == "n/a"
    assert last.ours.split("; ")[1] in ("0.35", "0.36", "0.37")


@pytest.mark.slow
def test_script_with_rnn_prints_five_rows_and_the_books_context(babi_lines, capsys):
    assert ch13.main(["--rnn"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("Loss: ") and " % Correct: " in line for line in out) == 5
    assert ch13.BOOK_RNN_PREDICTION[0] in out and ch13.BOOK_RNN_PREDICTION[1] in out
