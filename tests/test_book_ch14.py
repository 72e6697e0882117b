"""Chapter 14 of Grokking Deep Learning: exploding and vanishing gradients, the character LSTM and RNN.

Expectations are the notebooks' printouts (`ch14_lstm.BOOK_*`, quoted from the published notebooks).
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_like.book import ch14_lstm as ch14
from tinygrad_like.nn import functional as F
from tinygrad_like.tensor import Tensor


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


# ---- the character models ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shakespeare():
    """The chapter's text, found as the library finds it; skips, naming the places searched, without."""
    from tinygrad_like.data import load_shakespeare
    try:
        return load_shakespeare()
    except FileNotFoundError as error:
        pytest.skip(str(error))


def test_lstm_first_window_prints_the_books_line(shakespeare):
    run = ch14.train_lstm(shakespeare, windows=1, progress=False)
    assert run.lines[0].startswith(ch14.BOOK_LSTM_FIRST + " - ")
    assert len(run.samples[0]) == ch14.SAMPLE_LENGTH
    data = ch14.corpus(shakespeare)
    assert len(data.vocab) == 62 and data.inputs.shape == (249, 25, 16)
    assert ch14.corpus(shakespeare, ch14.RNN_BATCH, ch14.RNN_BPTT).inputs.shape == (195, 16, 32)


def _book_lstm_step(gates, x, h, c):
    """The book's LSTMCell.forward in numpy, with its separate (in, out) gate matrices."""
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))
    f = sigmoid(x @ gates["xf"][0] + gates["xf"][1] + h @ gates["hf"])
    i = sigmoid(x @ gates["xi"][0] + gates["xi"][1] + h @ gates["hi"])
    o = sigmoid(x @ gates["xo"][0] + gates["xo"][1] + h @ gates["ho"])
    g = np.tanh(x @ gates["xc"][0] + gates["xc"][1] + h @ gates["hc"])
    c = f * c + i * g
    return o * np.tanh(c), c


def test_lstm_holds_the_books_draws_in_pytorchs_gate_order():
    size, vocab = 4, 5
    model = ch14.build_lstm(vocab, size=size)
    np.random.seed(0)  # the notebook's draws, in its order, with its ids
    embedding = (np.random.rand(vocab, size) - 0.5) / size
    np.random.randint(0, 10 ** 9)
    gates = {}
    for name in ("xf", "xi", "xo", "xc", "hf", "hi", "ho", "hc"):
        weight = np.random.randn(size, size) * np.sqrt(2.0 / size)
        np.random.randint(0, 10 ** 9, size=2 if name[0] == "x" else 1)
        gates[name] = (weight, np.zeros(size)) if name[0] == "x" else weight
    np.testing.assert_array_equal(model.embedding.weight.numpy(), embedding)
    np.testing.assert_array_equal(model.cell.weight_ih.numpy()[size:2 * size], gates["xf"][0].T)  # forget gate
    np.testing.assert_array_equal(model.cell.weight_hh.numpy()[2 * size:3 * size], gates["hc"].T)  # cell gate
    assert not model.cell.bias_hh.requires_grad and not model.decoder.weight.numpy().any()
    h, c = (state.numpy() for state in model.init_hidden(2))
    assert h[:, 0].tolist() == [1, 1] and c[:, 1:].sum() == 0
    x = model.embedding.weight.numpy()[[1, 3]]
    logits, (h_new, c_new) = model(Tensor(np.array([1, 3])), model.init_hidden(2))
    expected_h, expected_c = _book_lstm_step(gates, x, h, c)
    np.testing.assert_allclose(h_new.numpy(), expected_h, rtol=1e-13)
    np.testing.assert_allclose(c_new.numpy(), expected_c, rtol=1e-13)
    assert not logits.numpy().any()  # the zeroed decoder: a uniform first prediction


def test_our_lstm_gradients_pass_gradcheck_through_several_steps():
    assert ch14.lstm_gradients_check(steps=3)


TEXT = "the cat sat on the mat.\n" * 40


def test_rnn_backpropagates_only_the_last_step_as_the_notebooks_loop():
    run = ch14.train_rnn(TEXT, windows=1, progress=False, size=8)
    data = ch14.corpus(TEXT, ch14.RNN_BATCH, ch14.RNN_BPTT)
    embedding, model = ch14.build_rnn(len(data.vocab), size=8)  # the same starting weights
    hidden = model.init_hidden(ch14.RNN_BATCH)
    for t in range(ch14.RNN_BPTT):
        logits, hidden = model(embedding(Tensor(data.inputs[0, t])), hidden)
    last = F.cross_entropy(logits, Tensor(data.targets[0, -1])).item()
    assert run.curve[(0, 1)] == pytest.approx(np.exp(last), rel=1e-12)
    assert run.lines[0].startswith(" Iter:0 - Batch 1/")


def test_sampling_is_the_notebooks_first_index_above_a_uniform_draw():
    data = ch14.corpus(TEXT, ch14.RNN_BATCH, ch14.RNN_BPTT)
    embedding, model = ch14.build_rnn(len(data.vocab), size=8)
    np.random.seed(3)
    text = ch14.sampled_text(embedding, model, data.vocab, 3, "t")
    np.random.seed(3)
    hidden, char, expected = model.init_hidden(1), data.vocab["t"], ""
    for _ in range(3):
        logits, hidden = model(embedding(Tensor(np.array([char]))), hidden)
        distribution = np.exp(logits.numpy()[0] * 10) / np.exp(logits.numpy()[0] * 10).sum()
        char = int((distribution > np.random.rand()).argmax())
        expected += data.vocab.itos[char]
    assert text == expected


def _parameter_change(clip):
    text = "To be, or not to be.\n" * 100
    start = [p.numpy().copy() for p in ch14.build_lstm(len(set(text)), size=8).parameters()]
    run = ch14.train_lstm(text, windows=1, progress=False, clip=clip, size=8)
    return np.sqrt(sum(((p.numpy() - s) ** 2).sum() for p, s in zip(run.model.parameters(), start)))


def test_lstm_steps_are_clipped_to_the_gradient_norm_limit():
    assert _parameter_change(1e-3) <= ch14.ALPHA * 1e-3 * (1 + 1e-9)
    assert _parameter_change(None) > 10 * ch14.ALPHA * 1e-3


def _run_example(*args):
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, str(root / "examples" / "ch14_lstm.py"), *args], capture_output=True,
                          text=True, env=env, timeout=600)


@pytest.mark.slow
def test_example_prints_the_exploding_demo_and_the_books_first_lstm_line(shakespeare, tmp_path):
    result = _run_example()
    assert result.returncode == 0, result.stderr
    assert "\n".join(ch14.BOOK_SIGMOID_GRADIENTS) in result.stdout
    assert ch14.BOOK_LSTM_FIRST + " - " in result.stdout
    missing = _run_example("--shakespeare", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "nowhere: no such directory" in missing.stderr


@pytest.mark.slow
def test_one_epoch_of_exact_gradients_learns_faster_than_the_books_truncated_ones(shakespeare):
    lstm = ch14.train_lstm(shakespeare, progress=False)
    assert len(lstm.lines) == 249 and lstm.curve[(0, 1)] == ch14.BOOK_LSTM_CURVE[(0, 1)]
    assert lstm.curve[(0, 249)] < ch14.BOOK_LSTM_CURVE[(0, 249)]  # 19.23 in the book
    text = ch14.greedy_text(lstm.model, lstm.vocab, 200, "\n")
    assert " the " in text or " and " in text  # English words after one epoch
    rnn = ch14.train_rnn(shakespeare, progress=False)
    assert len(rnn.lines) == 20 and rnn.curve[(0, 191)] < ch14.BOOK_RNN_CURVE[(0, 191)]  # 148.0 in the book


@pytest.mark.torch
def test_lstm_state_dict_trains_the_same_window_in_pytorch(torch):
    """The chapter's CharLSTM, its state_dict loaded into PyTorch's Embedding, LSTMCell and Linear: the
    same summed loss over a window and the same gradients (the frozen bias_hh excepted)."""
    text = "To be, or not to be, that is the question.\n" * 20
    data = ch14.corpus(text)
    model = ch14.build_lstm(len(data.vocab), size=6)
    rng = np.random.default_rng(0)
    model.decoder.weight.data = rng.normal(0, 0.3, model.decoder.weight.shape)  # not the zero start: a real test
    embedding = torch.nn.Embedding(len(data.vocab), 6, dtype=torch.float64)
    cell = torch.nn.LSTMCell(6, 6, dtype=torch.float64)
    decoder = torch.nn.Linear(6, len(data.vocab), bias=False, dtype=torch.float64)
    state = {name: torch.from_numpy(value.numpy().copy()) for name, value in model.state_dict().items()}
    for prefix, theirs in (("embedding.", embedding), ("cell.", cell), ("decoder.", decoder)):
        theirs.load_state_dict({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)})
    ours_state, (h, c) = model.init_hidden(16), (torch.from_numpy(s.numpy().copy()) for s in model.init_hidden(16))
    ours_loss, theirs_loss = None, 0
    for t in range(ch14.LSTM_BPTT):
        logits, ours_state = model(Tensor(data.inputs[0, t]), ours_state)
        step = F.cross_entropy(logits, Tensor(data.targets[0, t]), reduction="sum")
        ours_loss = step if ours_loss is None else step + ours_loss
        h, c = cell(embedding(torch.from_numpy(data.inputs[0, t])), (h, c))
        theirs_loss = theirs_loss + torch.nn.functional.cross_entropy(decoder(h), torch.from_numpy(data.targets[0, t]),
                                                                      reduction="sum")
    ours_loss.backward()
    theirs_loss.backward()
    assert ours_loss.item() == pytest.approx(theirs_loss.item(), rel=1e-12)
    modules = (("embedding.", embedding), ("cell.", cell), ("decoder.", decoder))
    theirs_grads = {f"{prefix}{name}": p.grad.numpy() for prefix, module in modules
                    for name, p in module.named_parameters()}
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            np.testing.assert_allclose(parameter.grad.numpy(), theirs_grads[name], rtol=1e-9, atol=1e-12)
