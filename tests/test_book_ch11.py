"""Chapter 11 of Grokking Deep Learning: word embeddings, on a small corpus the tests write.

The book's IMDB reviews are not available and its vocabulary order cannot be reproduced, so the
networks are checked against the notebook's own numpy code (same updates to rounding) and
qualitatively (the sentiment net learns the planted labels, similar() finds planted synonyms).
"""
import math
import random

import numpy as np
import pytest

from tinygrad_like import GradcheckError, gradcheck
from tinygrad_like.book import ch11_embeddings as ch11
from tinygrad_like.book._common import BookMeanFunction, BookSigmoidFunction
from tinygrad_like.nn import functional as F
from tinygrad_like.tensor import Tensor

POSITIVE, NEGATIVE = ["good", "great", "excellent"], ["bad", "awful", "terrible"]
NEUTRAL = [f"n{i}" for i in range(30)]


def _reviews(count, seed=0):
    rng = np.random.default_rng(seed)
    reviews, labels = [], []
    for i in range(count):
        positive = i % 2 == 0
        words = list(rng.choice(NEUTRAL, 8)) + list(rng.choice(POSITIVE if positive else NEGATIVE, 2))
        reviews.append(" ".join(rng.permutation(words)) + " \n")
        labels.append(1 if positive else 0)
    return reviews, labels


def _blanks(count, seed=0):
    rng = np.random.default_rng(seed)
    return [f"the movie was {rng.choice(['good', 'great'])} and the {rng.choice(['tomato', 'potato'])} soup was "
            "hot \n" for _ in range(count)]


def test_sentence_encoding_is_the_books():
    assert ch11.sentence_encoding() == ch11.BOOK_SENT_ENCODING


def _notebook_sentiment(data, iterations, test_size):
    """The notebook's numpy sentiment network (cell 6) on preprocessed data; weights and printed accuracies."""
    np.random.seed(1)
    weights_0_1 = 0.2 * np.random.random((len(data.vocab), 100)) - 0.1
    weights_1_2 = 0.2 * np.random.random((100, 1)) - 0.1
    correct, total, accuracies = 0, 0, []
    for _ in range(iterations):
        for i in range(len(data.reviews) - test_size):
            x, y = data.reviews[i], data.targets[i]
            layer_1 = 1 / (1 + np.exp(-np.sum(weights_0_1[x], axis=0)))
            layer_2 = 1 / (1 + np.exp(-np.dot(layer_1, weights_1_2)))
            layer_2_delta = layer_2 - y
            layer_1_delta = layer_2_delta.dot(weights_1_2.T)
            weights_0_1[x] -= layer_1_delta * 0.01
            weights_1_2 -= np.outer(layer_1, layer_2_delta) * 0.01
            correct += int(np.abs(layer_2_delta[0]) < 0.5)
            total += 1
        accuracies.append(correct / float(total))
    return weights_0_1, weights_1_2, accuracies


def test_sentiment_network_steps_as_the_notebooks_code_and_learns():
    data = ch11.sentiment_data(*_reviews(300))
    run = ch11.train_sentiment(data, test_size=100, progress=False)
    weights_0_1, weights_1_2, accuracies = _notebook_sentiment(data, 2, 100)
    assert run.train_accuracy == accuracies
    np.testing.assert_allclose(run.model.embedding.weight.numpy(), weights_0_1, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(run.model.output.weight.numpy().T, weights_1_2, rtol=1e-12, atol=1e-14)
    assert run.test_accuracy >= 0.95 and run.lines[-1] == f"Test Accuracy:{run.test_accuracy}"
    assert run.lines[1].startswith("Iter:1 Progress:66.33% Training Accuracy:")  # i = 199 of 300
    nearest = [word for word, _ in ch11.similar(run.model.embedding.weight, data.vocab, "good", 3)]
    assert nearest[0] == "good" and set(nearest[1:]) <= set(POSITIVE) | set(NEUTRAL)


def _notebook_blank(corpus, iterations=2):
    """The notebook's fill-in-the-blank loop (cell 14) on the preprocessed corpus; the two weight tables."""
    np.random.seed(1)
    weights_0_1 = (np.random.rand(len(corpus.vocab), 50) - 0.5) * 0.2
    weights_1_2 = np.random.rand(len(corpus.vocab), 50) * 0
    layer_2_target = np.zeros(6)
    layer_2_target[0] = 1
    for review in corpus.reviews * iterations:
        for target_i in range(len(review)):
            samples = [review[target_i]] + list(
                corpus.concatenated[(np.random.rand(5) * len(corpus.concatenated)).astype("int").tolist()])
            context = review[max(0, target_i - 2):target_i] + review[target_i + 1:min(len(review), target_i + 2)]
            layer_1 = np.mean(weights_0_1[context], axis=0)
            layer_2 = 1 / (1 + np.exp(-layer_1.dot(weights_1_2[samples].T)))
            layer_2_delta = layer_2 - layer_2_target
            layer_1_delta = layer_2_delta.dot(weights_1_2[samples])
            weights_0_1[context] -= layer_1_delta * 0.05
            weights_1_2[samples] -= np.outer(layer_2_delta, layer_1) * 0.05
    return weights_0_1, weights_1_2


def test_fill_in_the_blank_steps_as_the_notebooks_code_and_finds_planted_synonyms():
    corpus = ch11.blank_data(_blanks(60))
    model = ch11.train_fill_in_the_blank(corpus, progress=False)
    weights_0_1, weights_1_2 = _notebook_blank(corpus)
    np.testing.assert_allclose(model.embedding.weight.numpy(), weights_0_1, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(model.output.weight.numpy(), weights_1_2, rtol=1e-11, atol=1e-13)
    assert ch11.similar(model.embedding.weight, corpus.vocab, "good", 2)[1][0] == "great"
    assert ch11.similar(model.embedding.weight, corpus.vocab, "potato", 2)[1][0] == "tomato"


def test_preprocessing_is_the_notebooks():
    data = ch11.sentiment_data(["a b a \n", "c  b \n"], [1, 0])
    assert data.vocab == ["\n", "a", "b", "c"] and data.reviews == [[0, 1, 2], [0, 2, 3]]
    assert data.targets.tolist() == [1.0, 0.0]
    corpus = ch11.blank_data(["x y \n", "y z x \n", "z \n"], seed=1)
    expected = [[1, 2, 0], [2, 3, 1, 0], [3, 0]]
    random.Random(1).shuffle(expected)
    assert corpus.vocab == ["\n", "x", "y", "z"] and corpus.reviews == expected
    assert corpus.concatenated.tolist() == [1, 2, 0, 2, 3, 1, 0, 3, 0]
    assert ch11.progress_text(23999, 25000) == "95.99"  # the book's last progress of a pass


def test_analogy_reproduces_the_notebooks_formula_and_the_fixed_one_works():
    vocab = ["king", "man", "woman", "queen", "apple", "car"]
    unit = {"king": [1, 1, 0, 0], "man": [1, 0, 0, 0], "woman": [0, 0, 1, 0], "queen": [0, 1, 1, 0],
            "apple": [0, 0, 0, 1], "car": [0.5, 0, 0, -1]}
    scale = np.array([3.0, 0.5, 2.0, 1.5, 1.0, 4.0])[:, None]
    weights = np.array([unit[w] for w in vocab], dtype=float) * scale
    assert ch11.analogy(weights, vocab, ["king", "woman"], ["man"], book=False)[0][0] == "queen"
    norms = np.sum(weights * weights, axis=1)
    query = (weights * norms[:, None])[[0, 2]].sum(0) - (weights * norms[:, None])[1]
    scores = {w: -math.sqrt(sum((weights[i] - query) ** 2)) for i, w in enumerate(vocab)}
    book = sorted(scores.items(), key=lambda item: item[1], reverse=True)[1:6]
    assert ch11.analogy(weights, vocab, ["king", "woman"], ["man"], count=5) == book


def test_quirk_layers_fail_gradcheck_and_the_true_ones_pass():
    x = Tensor(np.random.default_rng(0).normal(size=(3, 4)), requires_grad=True)
    with pytest.raises(GradcheckError):
        gradcheck(BookSigmoidFunction.apply, x)
    with pytest.raises(GradcheckError):
        gradcheck(BookMeanFunction.apply, x)
    assert gradcheck(lambda t: t.mean(0), x)
    assert BookMeanFunction.apply(x).tolist() == pytest.approx(x.numpy().mean(0).tolist(), rel=1e-15)
    true = ch11.FillInTheBlank(5, hidden=4, layers="true")
    rows, candidates = (Tensor(np.random.default_rng(s).normal(size=(k, 4)), requires_grad=True)
                        for s, k in ((1, 3), (2, 6)))
    assert gradcheck(true.head, rows, candidates)


def test_model_forward_is_the_training_steps_forward():
    data = ch11.sentiment_data(*_reviews(20))
    model = ch11.sentiment_net(len(data.vocab))
    rows = Tensor(model.embedding.weight.numpy()[data.reviews[3]])
    np.testing.assert_allclose(model(data.reviews[3]).numpy(), model.head(rows.sum(0, keepdim=True)).numpy(),
                               rtol=1e-14)


def test_user_files_load_with_errors_naming_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="reviews.txt"):
        ch11.load(tmp_path / "reviews.txt", tmp_path / "labels.txt")
    (tmp_path / "reviews.txt").write_text("a good b \nc bad \n")
    (tmp_path / "labels.txt").write_text("positive\nnegative\n")
    raw = ch11.load(tmp_path / "reviews.txt", tmp_path / "labels.txt")
    data = ch11.sentiment_data(raw.reviews, raw.targets)
    assert data.vocab == ["\n", "a", "b", "bad", "c", "good"] and data.targets.tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match="ch11: layers must be one of book, true"):
        ch11.SentimentNet(3, layers="exact")


@pytest.mark.slow
def test_script_runs_both_networks_on_the_users_files(tmp_path, capsys):
    reviews, labels = _reviews(1300)
    (tmp_path / "reviews.txt").write_text("".join(reviews))
    (tmp_path / "labels.txt").write_text("".join("positive\n" if label else "negative\n" for label in labels))
    assert ch11.main(["--reviews", str(tmp_path / "reviews.txt"), "--labels", str(tmp_path / "labels.txt"),
                      "--blank-reviews", "40"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ch11.BOOK_SENT_ENCODING
    assert out[1].startswith("Iter:0 Progress:") and out[2].startswith("Iter:1 Progress:")
    assert out[3].startswith("Test Accuracy:") and float(out[3].split(":")[1]) >= 0.95
    assert out[4].startswith("[('terrible', -0.0), (")  # similar('terrible') after the sentiment net
    with pytest.raises(SystemExit) as exit_:
        ch11.main(["--reviews", str(tmp_path / "reviews.txt")])
    assert exit_.value.code == 2 and "give both --reviews FILE and --labels FILE" in capsys.readouterr().err


@pytest.mark.torch
def test_true_sentiment_network_matches_pytorch():
    torch = pytest.importorskip("torch")
    data = ch11.sentiment_data(*_reviews(10))
    model = ch11.sentiment_net(len(data.vocab), layers="true")
    bag = torch.nn.EmbeddingBag.from_pretrained(torch.from_numpy(model.embedding.weight.numpy().copy()),
                                                freeze=False, mode="sum")
    weight = torch.tensor(model.output.weight.numpy(), requires_grad=True)
    words = data.reviews[0]
    theirs = torch.sigmoid(bag(torch.tensor([words]))) @ weight.T
    torch.nn.functional.binary_cross_entropy_with_logits(theirs, torch.ones(1, 1), reduction="sum").backward()
    ours = model(words)
    F.binary_cross_entropy_with_logits(ours, Tensor(np.ones((1, 1))), reduction="sum").backward()
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-13)
    np.testing.assert_allclose(model.embedding.weight.grad.numpy(), bag.weight.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(model.output.weight.grad.numpy(), weight.grad.numpy(), rtol=1e-12)
