"""Chapter 14 of Grokking Deep Learning: exploding and vanishing gradients, the character LSTM and RNN.

Expectations are the notebooks' printouts (`ch14_lstm.BOOK_*`, quoted from the published notebooks).
"""
import numpy as np
import pytest

from tinygrad_like.book import ch14_lstm as ch14


def test_sigmoid_recurrence_prints_the_notebooks_rows():
    activations, gradients = ch14.exploding_sigmoid()
    assert ch14.printed(activations) == ch14.BOOK_SIGMOID_ACTIVATIONS
    assert ch14.printed(gradients) == ch14.BOOK_SIGMOID_GRADIENTS


def test_relu_recurrence_prints_the_rows_of_the_cells_second_run():
    activations, gradients = ch14.exploding_relu()
    assert ch14.printed(activations) == ch14.BOOK_RELU_ACTIVATIONS
    assert ch14.printed(gradients) == ch14.BOOK_RELU_GRADIENTS
    once, _ = ch14.run_recurrence(ch14.exploding_sigmoid()[0][0], lambda x: x.relu())
    assert str(once[0]) == "[4.8135251  4.72615519]"  # the first run's first row, where the second starts


def _notebook_backprop(activations, kind):
    """The notebook's hand-written backward loop over its saved activations."""
    weights = np.array(ch14.RECURRENT_WEIGHTS)
    gradient, printed = np.ones_like(activations[-1]), []
    for activation in reversed(activations):
        local = activation * (1 - activation) if kind == "sigmoid" else (activation > 0)
        gradient = (local * gradient).dot(weights.T)
        printed.append(gradient)
    return printed


@pytest.mark.parametrize("kind", ["sigmoid", "relu"])
def test_autograd_gradients_are_the_notebooks_hand_written_ones(kind):
    start = np.random.default_rng(3).uniform(-1, 1, 2)
    activation = (lambda x: x.sigmoid()) if kind == "sigmoid" else (lambda x: x.relu())
    activations, gradients = ch14.run_recurrence(start, activation, steps=6)
    for ours, book in zip(gradients, _notebook_backprop(activations, kind)):
        np.testing.assert_allclose(ours, book, rtol=1e-13)


def test_exploding_rows_all_match():
    rows = ch14.exploding_rows()
    assert len(rows) == 4 and all(row.status == "yes" for row in rows)
