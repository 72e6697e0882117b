"""Chapter 12 of Grokking Deep Learning: the linear RNN on bAbI, from layers, against the notebook's code.

The published figures (`ch12_babi_rnn.BOOK_*`, quoted from the notebook) depend on a vocabulary order
that cannot be reproduced (see the module docstring): the whole run is compared with the documented
ranges and the published prediction table (marked slow); the updates themselves are compared with the
notebook's own numpy code on a small corpus.
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from test_nn import call_with_parameters
from tinygrad_like import GradcheckError, gradcheck
from tinygrad_like.book import ch12_babi_rnn as ch12
from tinygrad_like.book._common import BookLaggedGradientFunction, BookTapFunction
from tinygrad_like.nn import functional as F
from tinygrad_like.tensor import Tensor

CORPUS = ["1 Mary moved to the bathroom.\n", "2 John went to the hallway.\n", "3 Where is Mary? \tbathroom\t1\n",
          "4 Daniel went back to the hallway.\n", "5 Sandra moved to the garden.\n",
          "6 Where is Daniel? \thallway\t4\n"]


def _notebook(lines, iterations):
    """The chapter 12 notebook's numpy code (sorted vocabulary), except that `start -= ...` is written
    `start = start - ...`: in the notebook `start` is also the array its first layer keeps as the
    hidden state, so the in-place update leaks into that step's decoder and recurrent updates."""
    tokens = [line.lower().replace("\n", "").split(" ")[1:] for line in lines[0:1000]]
    vocab = sorted({word for sentence in tokens for word in sentence})
    word2index = {word: i for i, word in enumerate(vocab)}
    np.random.seed(1)
    embed = (np.random.rand(len(vocab), 10) - 0.5) * 0.1
    recurrent, start = np.eye(10), np.zeros(10)
    decoder = (np.random.rand(10, len(vocab)) - 0.5) * 0.1
    one_hot = np.eye(len(vocab))

    def softmax(x):
        e_x = np.exp(x - np.max(x))
        return e_x / e_x.sum(axis=0)

    for iteration in range(iterations):
        sent = [word2index[word] for word in tokens[iteration % len(tokens)][1:]]
        layers = [{"hidden": start}]
        for word in sent:
            layers.append({"pred": softmax(layers[-1]["hidden"].dot(decoder)),
                           "hidden": layers[-1]["hidden"].dot(recurrent) + embed[word]})
        for layer_idx in reversed(range(len(layers))):
            layer, target = layers[layer_idx], sent[layer_idx - 1]
            if layer_idx > 0:
                layer["output_delta"] = layer["pred"] - one_hot[target]
                new_hidden_delta = layer["output_delta"].dot(decoder.transpose())
                if layer_idx == len(layers) - 1:
                    layer["hidden_delta"] = new_hidden_delta
                else:
                    layer["hidden_delta"] = new_hidden_delta + layers[layer_idx + 1]["hidden_delta"].dot(recurrent.T)
            else:
                layer["hidden_delta"] = layers[layer_idx + 1]["hidden_delta"].dot(recurrent.transpose())
        alpha = 0.001
        start = start - layers[0]["hidden_delta"] * alpha / float(len(sent))
        for layer_idx, layer in enumerate(layers[1:]):
            decoder -= np.outer(layers[layer_idx]["hidden"], layer["output_delta"]) * alpha / float(len(sent))
            embed[sent[layer_idx]] -= layers[layer_idx]["hidden_delta"] * alpha / float(len(sent))
            recurrent -= np.outer(layers[layer_idx]["hidden"], layer["hidden_delta"]) * alpha / float(len(sent))
    return embed, recurrent, start, decoder


def test_book_gradients_update_the_weights_as_the_notebooks_code():
    model = ch12.run(CORPUS, iterations=40, progress=False).model
    embed, recurrent, start, decoder = _notebook(CORPUS, 40)
    np.testing.assert_allclose(model.embedding.weight.numpy(), embed, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(model.recurrent.weight.numpy(), recurrent.T, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(model.start.numpy(), start, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(model.decoder.weight.numpy(), decoder.T, rtol=1e-13, atol=1e-15)
    true = ch12.run(CORPUS, gradients="true", iterations=40, progress=False).model
    assert not np.allclose(true.embedding.weight.numpy(), embed, rtol=0, atol=1e-9)


def test_true_gradients_pass_gradcheck_and_the_books_do_not():
    words = np.array([3, 1, 4, 1, 5])
    for gradients, passes in (("true", True), ("book", False)):
        model = ch12.build(8, gradients=gradients)
        model.recurrent.weight.data = model.recurrent.weight.numpy() + 0.1 * np.random.default_rng(0).random((10, 10))
        parameters = [Tensor(p.numpy(), requires_grad=True) for p in model.parameters()]

        def loss(*values):
            return F.cross_entropy(call_with_parameters(model, words, values), Tensor(words), reduction="sum")
        if passes:
            assert gradcheck(loss, *parameters)
        else:
            with pytest.raises(GradcheckError):
                gradcheck(loss, *parameters)


def test_quirk_functions_keep_values_and_reroute_gradients():
    later, earlier = Tensor([[1.0, 2.0]], requires_grad=True), Tensor([[3.0, 4.0]], requires_grad=True)
    out = BookLaggedGradientFunction.apply(later, earlier)
    assert out.tolist() == [[3.0, 4.0]]
    (out * Tensor([[5.0, 6.0]])).sum().backward()
    assert later.grad.tolist() == [[5.0, 6.0]] and earlier.grad is None
    hidden, word = Tensor([[1.0, 2.0]], requires_grad=True), Tensor([[7.0, 8.0]], requires_grad=True)
    out = BookTapFunction.apply(hidden, word)
    assert out.tolist() == [[1.0, 2.0]]
    (out * Tensor([[5.0, 6.0]])).sum().backward()
    assert hidden.grad.tolist() == [[5.0, 6.0]] and word.grad.tolist() == [[5.0, 6.0]]


def test_tokens_vocabulary_and_table_format():
    tokens = ch12.book_tokens(CORPUS)
    assert tokens[2] == ["where", "is", "mary?", "\tbathroom\t1"]
    vocab = ch12.vocabulary(tokens)
    assert vocab == sorted(vocab) and len(vocab) == len(set(vocab))
    table = ch12.prediction_table(ch12.build(len(vocab)), tokens, {w: i for i, w in enumerate(vocab)}, sentence=4)
    assert table[0] == "['sandra', 'moved', 'to', 'the', 'garden.']" and len(table) == 5
    assert table[1].startswith("Prev Input:sandra      True:moved          Pred:")


def test_unknown_gradients_is_an_error():
    with pytest.raises(ValueError, match="ch12 LinearRNN: gradients must be one of book, true"):
        ch12.LinearRNN(5, gradients="exact")


@pytest.fixture(scope="module")
def babi_lines():
    """bAbI task 1's training lines, found as the library finds them; skips, naming the places, without."""
    try:
        return ch12.babi_lines()
    except FileNotFoundError as error:
        pytest.skip(str(error))


def test_first_perplexity_is_in_the_range_of_the_notebooks_code(babi_lines):
    first = ch12.run(babi_lines, iterations=1, progress=False).perplexities[0]
    assert ch12.FIRST_RANGE[0] <= first <= ch12.FIRST_RANGE[1]
    assert abs(first - ch12.BOOK_PERPLEXITY[0]) < 0.5
    assert ch12.rows(babi_lines, progress=False)[0].status == "yes"


def test_vocabulary_of_the_first_1000_lines_has_82_words(babi_lines):
    assert len(ch12.vocabulary(ch12.book_tokens(babi_lines))) == 82


@pytest.mark.slow
def test_whole_run_ends_in_the_range_with_the_published_table(babi_lines):
    result = ch12.run(babi_lines, progress=False)
    assert len(result.perplexities) == 30
    assert ch12.LAST_RANGE[0] <= result.perplexities[-1] <= ch12.LAST_RANGE[1]
    assert result.perplexities[10] < 25 < result.perplexities[5]  # the published curve's shape: 76 -> 18.8
    assert result.table == ch12.BOOK_TABLE


@pytest.mark.slow
def test_example_prints_a_first_perplexity_in_the_range(babi_lines, tmp_path):
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, str(root / "examples" / "ch12_babi_rnn.py")], capture_output=True,
                            text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    first = float(result.stdout.splitlines()[0].split("Perplexity:")[1])
    assert ch12.FIRST_RANGE[0] <= first <= ch12.FIRST_RANGE[1]
    assert result.stdout.splitlines()[1] == ch12.BOOK_TABLE[0]  # the table's sentence


@pytest.mark.torch
def test_true_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    words = np.array([3, 1, 4, 1, 5, 2])
    model = ch12.build(7, gradients="true")
    model.recurrent.weight.data = model.recurrent.weight.numpy() + 0.1 * np.random.default_rng(0).random((10, 10))
    theirs = {name: torch.tensor(p.numpy(), requires_grad=True) for name, p in model.named_parameters()}
    rows = theirs["embedding.weight"][torch.from_numpy(words)]
    hidden, before = theirs["start"].reshape(1, -1), []
    for t in range(len(words)):
        before.append(hidden)
        hidden = hidden @ theirs["recurrent.weight"].T + rows[t:t + 1]
    logits = torch.cat(before) @ theirs["decoder.weight"].T
    torch.nn.functional.cross_entropy(logits, torch.from_numpy(words), reduction="sum").backward()
    ch12.sentence_loss(model, words).backward()
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), theirs[name].grad.numpy(), rtol=1e-10, atol=1e-14)
