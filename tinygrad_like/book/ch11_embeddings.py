"""Grokking Deep Learning, chapter 11: word embeddings, learned from movie reviews.

Three pieces of the chapter 11 notebook, rebuilt from layers (float64):

1. **One-hot sentence encoding** (no data): the sum of the one-hot rows of 'the', 'cat', 'sat' is
   `Sent Encoding:[1 1 0 1]`, here an `nn.EmbeddingBag.from_pretrained(eye(4), mode="sum")`.

2. **The sentiment network**: each review is the set of its words; `nn.EmbeddingBag(V, 100,
   mode="sum")` adds their rows, a sigmoid, `nn.Linear(100, 1, bias=False)`, a sigmoid output trained
   on the binary cross-entropy (whose gradient is the notebook's `layer_2 - y`), SGD lr 0.01, one review
   at a time, 2 passes over all but the last 1000 reviews, tested on those. Weights: `np.random.seed(1)`,
   `0.2 * random((V, 100)) - 0.1` and `0.2 * random((100, 1)) - 0.1`. A review counts as right when
   |prediction - label| < 0.5; the notebook never resets its counts, so the second pass's training
   accuracy is over both passes. **Its quirk, kept:** the hidden delta leaves out the sigmoid's
   derivative (`layer_1_delta = layer_2_delta.dot(weights_1_2.T)`); `BookSigmoid` back-propagates
   that way (`layers="true"` uses `nn.Sigmoid`). Then `similar(word)` lists the 10 words whose rows
   are nearest (negative Euclidean distance, as the notebook's Counter.most_common ranks them).

3. **Filling in the blank** (word2vec-style, negative sampling): every word of every review (split on
   " ", so '' and '\\n' are words too), reviews shuffled with `random.seed(1)`; the hidden layer is the
   mean of the embeddings of the 2 words before and the 1 word after the target (the notebook's
   `review[target_i+1:min(len, target_i+window)]` takes one), the output the sigmoid of its dot
   products with the output rows of the target and 5 words drawn by frequency
   (`concatenated[(np.random.rand(5) * len(concatenated)).astype(int)]`), trained towards
   (1, 0, 0, 0, 0, 0) with lr 0.05, 2 passes. Weights: `np.random.seed(1)`,
   `(rand(V, 50) - 0.5) * 0.2` and `rand(V, 50) * 0`. **Its quirk, kept:** the mean's backward gives
   every context row the whole delta (the sum's gradient), `BookMeanFunction`. Then `analogy(positive,
   negative)`: the notebook "normalises" the rows by *multiplying* them by their squared norms
   (`normed_weights = weights * norms` with `norms = sum(weights ** 2, axis=1)`), scores the query
   against the un-normed rows and drops the best match; `analogy(..., book=False)` normalises to unit
   length and ranks by cosine similarity, leaving out the query's words.

**Row-sparse steps.** The notebook updates only the rows a step looked up (`weights_0_1[x] -= ...`).
An `nn.Embedding` step computes a dense (V, d) gradient and SGD then moves all V rows: 15-20 ms per
step with the 74,000-word IMDB vocabulary, days for the 11.5 million steps of the fill-in-the-blank
run. So training makes the looked-up rows the leaves of each step's graph and subtracts lr times
their gradients from those rows only (`row_sparse_step`): the same update, in the notebook's numpy
semantics (a row looked up twice in one step is updated once, where a dense gradient would add both
contributions). `model(...)` runs the same layers through the embedding modules.

**What can match.** The data (udacity's IMDB `reviews.txt` and `labels.txt`) could not be obtained:
pass your copies. The notebook's vocabulary is `list(set(...))`, whose order changes from process to
process, and the order decides which random row each word gets; we sort it. So no run can print the
book's figures (Training Accuracy 0.832 / 0.866, Test Accuracy 0.849, nearest words such as
('heart', -0.746...) for 'beautiful'); on the real data they can only be compared qualitatively
(test accuracy about 0.85; sentiment-coloured neighbours).
"""
import argparse
import math
import random
import sys
import time
from typing import NamedTuple

import numpy as np

from tinygrad_like import nn, no_grad
from tinygrad_like.book._common import (BookMeanFunction, BookSigmoid, Progress, Row, close_row, file_pair_or_exit,
                                        single_blas_thread)
from tinygrad_like.data import Vocabulary, load_reviews
from tinygrad_like.nn import functional as F
from tinygrad_like.tensor import Tensor

HIDDEN, ALPHA, ITERATIONS, TEST_REVIEWS = 100, 0.01, 2, 1000
BLANK_HIDDEN, BLANK_ALPHA, WINDOW, NEGATIVE = 50, 0.05, 2, 5
LAYERS = {"book": "the notebook's backward (no sigmoid derivative in the sentiment net, the sum's gradient "
                  "for the context mean)",
          "true": "nn.Sigmoid and the mean's true gradient"}

BOOK_SENT_ENCODING = "Sent Encoding:[1 1 0 1]"
# Printed only in the book (p.196): its notebook cell has no saved output.
BOOK_SENTIMENT = ["Iter:0 Progress:95.99% Training Accuracy:0.832%",
                  "Iter:1 Progress:95.99% Training Accuracy:0.8663333333333333%", "Test Accuracy:0.849"]
BOOK_SIMILAR_BEAUTIFUL = [("beautiful", -0.0), ("heart", -0.7461901055360456), ("captures", -0.7767713774499612)]
BOOK_SIMILAR_TERRIBLE = [("terrible", -0.0), ("boring", -0.7591663900380615), ("lame", -0.7732283645546325)]
BOOK_BLANK_TERRIBLE = [("terrible", -0.0), ("horrible", -3.488841411481131), ("bad", -4.0636425093941595)]
BOOK_ANALOGY = [("terrific", -210.46593317724228), ("perfect", -210.52652806032205)]


# ---- data -------------------------------------------------------------------------------------------------
def load(reviews_path, labels_path):
    """The user's reviews.txt and labels.txt (`tinygrad_like.data.load_reviews`: FileNotFoundError naming
    a missing file, ValueError for a count mismatch or a label other than positive/negative)."""
    return load_reviews(reviews_path, labels_path)


class SentimentData(NamedTuple):
    vocab: list  # sorted: the notebook's list(set(...)) varies from run to run
    reviews: list  # per review, its distinct word indices (sorted)
    targets: np.ndarray  # 1.0 for a positive review


def sentiment_data(raw_reviews, targets):
    """The notebook's preprocessing for the sentiment network: each review (a line of reviews.txt) the set
    of its non-empty words; `targets` 1 for positive, 0 for negative (`load(...).targets`)."""
    tokens = [set(review.split(" ")) for review in raw_reviews]
    vocab = Vocabulary(word for words in tokens for word in words if len(word) > 0)
    reviews = [sorted({vocab[word] for word in words if word in vocab}) for words in tokens]
    return SentimentData(vocab.itos, reviews, np.asarray(targets, dtype=np.float64))


class Corpus(NamedTuple):
    vocab: list
    reviews: list  # per review, the indices of all its words in order (shuffled as the notebook shuffles)
    concatenated: np.ndarray  # every word of every review, in file order: the negative samples' urn


def blank_data(raw_reviews, seed=1):
    """The notebook's preprocessing for filling in the blank: all words (split on " "), the reviews
    shuffled by `random.seed(seed); random.shuffle(...)` (Python's generator, not numpy's)."""
    tokens = [review.split(" ") for review in raw_reviews]
    vocab = Vocabulary(tokens)
    reviews = [[vocab[word] for word in words] for words in tokens]
    concatenated = np.array([i for review in reviews for i in review])
    random.Random(seed).shuffle(reviews)
    return Corpus(vocab.itos, reviews, concatenated)


# ---- the networks -----------------------------------------------------------------------------------------
class SentimentNet(nn.Module):
    """Embedding-bag sum, sigmoid, Linear(hidden, 1): the logit of a review's being positive."""

    def __init__(self, vocab_size, hidden=HIDDEN, layers="book"):
        super().__init__()
        if layers not in LAYERS:
            raise ValueError(f"ch11: layers must be one of {', '.join(LAYERS)}; got {layers!r}")
        self.embedding = nn.EmbeddingBag(vocab_size, hidden, mode="sum", dtype=np.float64)
        self.hidden = BookSigmoid() if layers == "book" else nn.Sigmoid()
        self.output = nn.Linear(hidden, 1, bias=False, dtype=np.float64)

    def head(self, bags):
        """From the summed rows (batch, hidden) to the logits (batch, 1)."""
        return self.output(self.hidden(bags))

    def forward(self, words):
        return self.head(self.embedding(Tensor(np.asarray(words).reshape(1, -1))))


class FillInTheBlank(nn.Module):
    """The mean of the context words' embeddings, dotted with the output rows of the candidate words."""

    def __init__(self, vocab_size, hidden=BLANK_HIDDEN, layers="book"):
        super().__init__()
        if layers not in LAYERS:
            raise ValueError(f"ch11: layers must be one of {', '.join(LAYERS)}; got {layers!r}")
        self.layers = layers
        self.embedding = nn.Embedding(vocab_size, hidden, dtype=np.float64)
        self.output = nn.Embedding(vocab_size, hidden, dtype=np.float64)

    def head(self, context_rows, candidate_rows):
        """The logits of the candidates (k,) from the context's rows (c, hidden) and theirs (k, hidden)."""
        hidden = BookMeanFunction.apply(context_rows) if self.layers == "book" else context_rows.mean(0)
        return candidate_rows @ hidden

    def forward(self, context, candidates):
        return self.head(self.embedding(Tensor(np.asarray(context))), self.output(Tensor(np.asarray(candidates))))


def sentiment_net(vocab_size, layers="book", seed=1):
    """The network with the notebook's starting weights (re-seeds numpy's global generator)."""
    np.random.seed(seed)
    model = SentimentNet(vocab_size, layers=layers)
    model.embedding.weight.data = 0.2 * np.random.random((vocab_size, HIDDEN)) - 0.1
    model.output.weight.data = (0.2 * np.random.random((HIDDEN, 1)) - 0.1).T
    return model


def fill_in_the_blank_net(vocab_size, layers="book", seed=1):
    """The network with the notebook's starting weights: `(rand(V, 50) - 0.5) * 0.2`, then `rand(V, 50) * 0`
    (a draw too, which moves the stream the negative samples come from)."""
    np.random.seed(seed)
    model = FillInTheBlank(vocab_size, layers=layers)
    model.embedding.weight.data = (np.random.rand(vocab_size, BLANK_HIDDEN) - 0.5) * 0.2
    model.output.weight.data = np.random.rand(vocab_size, BLANK_HIDDEN) * 0
    return model


def row_sparse_step(lookups, forward, lr, dense=()):
    """One SGD step that moves only the looked-up rows of the embedding tables. `lookups` is a list of
    (table, indices); the rows become the leaves of this step's graph, `forward(*rows)` returns
    (loss, output) built from them; then each table's rows move by -lr times their gradient, in numpy's
    `table[indices] -= ...` semantics (as the notebook updates them), and the `dense` parameters take a
    plain SGD step. Returns the output (computed before the step)."""
    rows = [Tensor(table.numpy()[indices], requires_grad=True) for table, indices in lookups]
    for parameter in dense:
        parameter.grad = None
    loss, output = forward(*rows)
    loss.backward()
    for (table, indices), leaf in zip(lookups, rows):
        table.numpy()[indices] -= leaf.grad.numpy() * lr
    for parameter in dense:
        parameter.numpy()[...] -= parameter.grad.numpy() * lr
    return output


# ---- training ---------------------------------------------------------------------------------------------
class SentimentRun(NamedTuple):
    lines: list  # the printed lines: one per pass, then the test accuracy
    train_accuracy: list  # per pass, cumulative as the notebook counts
    test_accuracy: float
    model: SentimentNet


def progress_text(i, total):
    """The notebook's progress, `str(i / total)[2:4] + '.' + [4:6]` (a fraction shown as a percentage)."""
    text = str(i / float(total))
    return text[2:4] + "." + text[4:6]


def train_sentiment(data, layers="book", iterations=ITERATIONS, test_size=TEST_REVIEWS, progress=True):
    """Train the sentiment network as the notebook does; returns its printed lines and accuracies."""
    model = sentiment_net(len(data.vocab), layers)
    training = len(data.reviews) - test_size
    correct, total, lines, accuracies = 0, 0, [], []
    last = None
    bar = Progress(iterations * training, "ch11 sentiment network", enabled=progress)
    with single_blas_thread():
        try:
            for iteration in range(iterations):
                for i in range(training):
                    y = Tensor(data.targets[i:i + 1, None])

                    def forward(rows, y=y):
                        logits = model.head(rows.sum(0, keepdim=True))
                        return F.binary_cross_entropy_with_logits(logits, y, reduction="sum"), logits.item()
                    logit = row_sparse_step([(model.embedding.weight, np.array(data.reviews[i], dtype=np.int64))],
                                            forward, ALPHA, dense=[model.output.weight])
                    correct += int(abs(1 / (1 + math.exp(-logit)) - data.targets[i]) < 0.5)
                    total += 1
                    if i % 10 == 9:
                        last = i
                    bar.update()
                accuracies.append(correct / float(total))
                shown = progress_text(last, len(data.reviews)) if last is not None else ""
                lines.append(f"Iter:{iteration} Progress:{shown}% Training Accuracy:{accuracies[-1]}%")
        finally:
            bar.close()
    test = sentiment_accuracy(model, data.reviews[training:], data.targets[training:])
    lines.append(f"Test Accuracy:{test}")
    return SentimentRun(lines, accuracies, test, model)


def sentiment_accuracy(model, reviews, targets):
    """The fraction of reviews whose prediction is within 0.5 of the label."""
    if not reviews:
        return 0.0
    with no_grad():
        hits = [abs(model(review).sigmoid().item() - target) < 0.5 for review, target in zip(reviews, targets)]
    return sum(hits) / float(len(hits))


def train_fill_in_the_blank(corpus, layers="book", iterations=2, progress=True, limit=None):
    """Train the fill-in-the-blank network as the notebook does (over the first `limit` reviews if given);
    returns the model. A target whose context is empty (a one-word review) is skipped: the notebook's
    mean of no rows would be nan and spoil every weight it touched."""
    reviews = corpus.reviews if limit is None else corpus.reviews[:limit]
    model = fill_in_the_blank_net(len(corpus.vocab), layers)
    target = Tensor(np.eye(NEGATIVE + 1)[0])
    bar = Progress(iterations * len(reviews), "ch11 fill in the blank", enabled=progress)
    with single_blas_thread():
        try:
            for review in reviews * iterations:
                for target_i in range(len(review)):
                    samples = [review[target_i]] + list(
                        corpus.concatenated[(np.random.rand(NEGATIVE) * len(corpus.concatenated)).astype("int")])
                    context = review[max(0, target_i - WINDOW):target_i] + review[target_i + 1:min(len(review),
                                                                                                   target_i + WINDOW)]
                    if not context:
                        continue
                    lookups = [(model.embedding.weight, np.array(context)), (model.output.weight, np.array(samples))]
                    row_sparse_step(lookups, lambda rows, candidates: (F.binary_cross_entropy_with_logits(
                        model.head(rows, candidates), target, reduction="sum"), None), BLANK_ALPHA)
                bar.update()
        finally:
            bar.close()
    return model


# ---- similar words and analogies ----------------------------------------------------------------------------
def _most_common(vocab, scores, count):
    """Counter(vocab -> score).most_common(count): highest first, ties in vocabulary order."""
    order = np.argsort(-scores, kind="stable")[:count]
    return [(vocab[i], float(scores[i])) for i in order]


def similar(weights, vocab, word, count=10):
    """The notebook's similar(): the `count` words with the nearest rows, scored -Euclidean distance."""
    weights = weights.numpy() if isinstance(weights, Tensor) else np.asarray(weights)
    target = weights[vocab.index(word)]
    return _most_common(vocab, -np.sqrt(np.sum((weights - target) ** 2, axis=1)), count)


def analogy(weights, vocab, positive=("terrible", "good"), negative=("bad",), book=True, count=9):
    """positive[0] - negative + positive[1] ~ ? (e.g. terrible - bad + good ~ terrific).

    book=True is the notebook's function: it multiplies each row by its *squared norm* (meant to
    normalise it), sums the query from those rows, scores it by -Euclidean distance against the
    un-normed rows and drops the best match (`most_common(10)[1:]`). book=False normalises the rows to
    unit length and ranks every other word by the cosine similarity to the query.
    """
    weights = weights.numpy() if isinstance(weights, Tensor) else np.asarray(weights)
    index = {word: i for i, word in enumerate(vocab)}
    if book:
        norms = np.sum(weights * weights, axis=1)[:, None]
        normed = weights * norms
        query = np.zeros(weights.shape[1])
        for word in positive:
            query += normed[index[word]]
        for word in negative:
            query -= normed[index[word]]
        return _most_common(vocab, -np.sqrt(np.sum((weights - query) ** 2, axis=1)), count + 1)[1:]
    unit = weights / np.maximum(np.linalg.norm(weights, axis=1, keepdims=True), 1e-12)
    query = sum(unit[index[word]] for word in positive) - sum(unit[index[word]] for word in negative)
    scores = unit @ (query / max(np.linalg.norm(query), 1e-12))
    scores[[index[word] for word in (*positive, *negative)]] = -np.inf
    return _most_common(vocab, scores, count)


def sentence_encoding():
    """Cell 3: the one-hot rows of 'the', 'cat', 'sat' summed by an EmbeddingBag holding eye(4)."""
    words = {"cat": 0, "the": 1, "dog": 2, "sat": 3}
    bag = nn.EmbeddingBag.from_pretrained(Tensor(np.eye(4)), mode="sum")
    encoding = bag(Tensor(np.array([[words["the"], words["cat"], words["sat"]]]))).numpy()[0]
    return "Sent Encoding:" + str(encoding.astype(int))


# ---- the demo's rows and the script ---------------------------------------------------------------------
def _words(pairs, count=3):
    return " ".join(word for word, _ in pairs[:count])


def rows_without_data():
    encoding = sentence_encoding()
    return [Row("ch11 one-hot sentence encoding", BOOK_SENT_ENCODING, encoding,
                "yes" if encoding == BOOK_SENT_ENCODING else "NO")]


def skipped_rows():
    return [Row("ch11 sentiment net, word embeddings", "IMDB reviews.txt / labels.txt", "-", "skipped")]


def rows_with_data(raw_reviews, targets, full=False, progress=True):
    """The sentiment network against the book's figures (a vocabulary-order-independent check: test
    accuracy within 0.02 of 0.849) and its nearest words; with `full`, the fill-in-the-blank network too."""
    data = sentiment_data(raw_reviews, targets)
    run = train_sentiment(data, progress=progress)
    weights = run.model.embedding.weight
    rows = [close_row("ch11 sentiment net: test accuracy", 0.849, run.test_accuracy, 0.02),
            Row("ch11 sentiment net: train accuracy (2 passes)", "0.832 0.8663",
                " ".join("%.4g" % a for a in run.train_accuracy), "n/a")]
    for word, book in (("beautiful", BOOK_SIMILAR_BEAUTIFUL), ("terrible", BOOK_SIMILAR_TERRIBLE)):
        if word in data.vocab:
            rows.append(Row(f"ch11 nearest to '{word}' (sentiment net)", _words(book),
                            _words(similar(weights, data.vocab, word)), "n/a"))
    if full:
        corpus = blank_data(raw_reviews)
        model = train_fill_in_the_blank(corpus, progress=progress)
        rows.append(Row("ch11 nearest to 'terrible' (fill in the blank)", _words(BOOK_BLANK_TERRIBLE),
                        _words(similar(model.embedding.weight, corpus.vocab, "terrible")), "n/a"))
        rows.append(Row("ch11 terrible - bad + good (book's analogy)", _words(BOOK_ANALOGY, 2),
                        _words(analogy(model.embedding.weight, corpus.vocab), 2), "n/a"))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description="Grokking Deep Learning chapter 11: word embeddings. Without data, "
                                     "the one-hot sentence encoding; with the IMDB reviews (not shipped: give your "
                                     "copies), the sentiment network, then the fill-in-the-blank network and "
                                     "analogies.")
    parser.add_argument("--reviews", metavar="FILE", help="udacity's IMDB reviews.txt (one review per line)")
    parser.add_argument("--labels", metavar="FILE", help="its labels.txt ('positive' or 'negative' per line)")
    parser.add_argument("--layers", choices=list(LAYERS), default="book",
                        help="; ".join(f"{name}: {what}" for name, what in LAYERS.items()) + " (default: book)")
    parser.add_argument("--blank-reviews", type=int, metavar="N",
                        help="train the fill-in-the-blank network on the first N (shuffled) reviews only (all "
                             "25,000 take about 20 minutes)")
    parser.add_argument("--no-blank", action="store_true", help="skip the fill-in-the-blank network")
    args = parser.parse_args(argv)
    start = time.time()
    raw = file_pair_or_exit(parser, load, args.reviews, args.labels, "--reviews FILE and --labels FILE")
    print(sentence_encoding())
    if raw is None:
        print("\nThe networks need the book's IMDB data: give --reviews FILE and --labels FILE.")
        return 0
    data = sentiment_data(raw.reviews, raw.targets)
    run = train_sentiment(data, args.layers)
    print("\n".join(run.lines))
    for word in ("beautiful", "terrible"):
        if word in data.vocab:
            print(similar(run.model.embedding.weight, data.vocab, word))
    if not args.no_blank:
        corpus = blank_data(raw.reviews)
        model = train_fill_in_the_blank(corpus, args.layers, limit=args.blank_reviews)
        weights = model.embedding.weight
        if "terrible" in corpus.vocab:
            print(similar(weights, corpus.vocab, "terrible"))
        for positive, negative in ((("terrible", "good"), ("bad",)), (("elizabeth", "he"), ("she",))):
            if all(word in corpus.vocab for word in positive + negative):
                print(analogy(weights, corpus.vocab, positive, negative))
                print(analogy(weights, corpus.vocab, positive, negative, book=False), "(unit rows, cosine)")
    print(f"({time.time() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
