"""Grokking Deep Learning, chapter 15: a spam classifier, trained plainly and by federated averaging.

The model of the chapter 15 notebook, from layers (float64):

    model = nn.Embedding(V, 1)            # one weight per word, starting at zero
    prediction = model(indices).sum(1).sigmoid()        # (batch, 1): the summed weights of the words
    loss = nn.MSELoss(reduction="sum"); optim.SGD(lr=0.01), a new optimizer for every call of train()

Each email is the *set* of the words of its line (`set(row[:-2].split(" "))`, the file read as UTF-8
with undecodable bytes dropped, split into lines as Python's str.splitlines does); emails of 500
distinct words or more are dropped, the rest padded to 500 with "<unk>", whose weight is set back
to zero before every batch. The last 1000 spam and 1000 ham emails are the test set; training and
test sets alternate spam and ham (the shorter list repeated). Batches of 500, in order.

- `plain`: three passes over the training set, printing the loss and the test accuracy after each
  (the book prints Loss:0.037140416860871446 / % Correct on Test Set: 98.65, ... 99.45).
- `federated`: Bob, Alice and Sue hold the training emails [0:1000], [1000:2000] and [2000:]. Each
  round, each of them trains a copy of the model for one pass on their emails, and the model becomes
  the average of the three models' state_dicts (84.05%, 92.25%, 98.8% after three rounds).
- `bobs_email`: the chapter's warning that a model update leaks its data: one step on Bob's email
  "my computer password is pizza" changes exactly the weights of those five words (Loss:0.0005).
- `secure_sum`: instead of the book's Paillier encryption (the `phe` package, not a dependency), the
  three models are summed by additive secret sharing, in a few lines of numpy: each party splits its
  weights (as 32.32 fixed-point integers) into three random shares that sum to them modulo 2**64;
  each party adds up the shares it receives; only the sum of those sums, the total, is ever seen.
  The average it gives equals the plain average to 2**-32. (The book's secure-aggregation cell has a
  bug: it decrypts only Sue's model and divides it by 3, so its printed accuracies come from that.)

The book's data (the Enron spam.txt and ham.txt, preprocessed by the author) could not
be obtained: pass your copies' paths. With them, the run would match the book's figures exactly up to
float rounding (zero initial weights make the vocabulary's order matter only for summation order),
given the notebook's training loss divisor: its `train()` divides by a global `bs` (500 in the
author's session, the batch size), which the Bob example, a batch of one, shows (0.25 / 500 =
0.0005); `train(..., loss_divisor=500)` keeps that.
"""
import argparse
import copy
import sys
import time

import numpy as np

from tinygrad_like import nn, no_grad, optim
from tinygrad_like.book._common import Row, file_pair_or_exit, py3_str
from tinygrad_like.data import Vocabulary, load_spam_ham
from tinygrad_like.tensor import Tensor

EMAIL_LENGTH, TEST_EMAILS, BATCH_SIZE, ALPHA, BOOK_BS = 500, 1000, 500, 0.01, 500
UNKNOWN = "<unk>"
BOBS_EMAIL = ["my", "computer", "password", "is", "pizza"]

BOOK_PLAIN = [("0.037140416860871446", "98.65"), ("0.011258669226059114", "99.15"),
              ("0.008068268387986223", "99.45")]  # the book, p.285 (the notebook cell has no output)
BOOK_FEDERATED = [(("0.21908166249699718", "0.2937106899184867", "0.033339966977175894"), "84.05"),
                  (("0.06625367483630413", "0.09595374225556821", "0.020290247881140743"), "92.25"),
                  (("0.030819682914453833", "0.03580324891736099", "0.015368461608470256"), "98.8")]
BOOK_BOB_LOSS = "0.0005"
BOOK_BOB_WORDS = ["is", "pizza", "computer", "password", "my"]  # in that session's vocabulary order


# ---- data -------------------------------------------------------------------------------------------------
def emails(lines):
    """Each line as the set of its words, the notebook's `set(row[:-2].split(" "))` (the line's last two
    characters, a space and the newline in the book's files, cut off)."""
    return [set(row[:-2].split(" ")) for row in lines]


class Dataset:
    """The notebook's preprocessing of spam and ham emails (lists of word sets): vocabulary (sorted,
    with "<unk>"), indices padded to 500, the last 1000 of each kind held out, spam and ham alternating."""

    def __init__(self, spam, ham, test_size=TEST_EMAILS, length=EMAIL_LENGTH):
        vocab = Vocabulary([*spam, *ham, [UNKNOWN]])
        self.vocab, self.index = vocab.itos, vocab.stoi
        spam_idx, ham_idx = self.to_indices(spam, length), self.to_indices(ham, length)
        if min(len(spam_idx), len(ham_idx)) <= test_size:
            raise ValueError(f"ch15: {len(spam_idx)} spam and {len(ham_idx)} ham emails of fewer than {length} "
                             f"words; the notebook holds out the last {test_size} of each for testing, so each "
                             f"needs more than {test_size}")
        self.train_data, self.train_target = _alternate(spam_idx[:-test_size], ham_idx[:-test_size])
        self.test_data, self.test_target = _alternate(spam_idx[-test_size:], ham_idx[-test_size:])

    def to_indices(self, emails, length=EMAIL_LENGTH):
        """Emails of fewer than `length` words, each padded with "<unk>" to `length` (sorted: the
        notebook's order is its set's, which only changes the order of a sum)."""
        return [[self.index[word] for word in sorted(email)] + [self.index[UNKNOWN]] * (length - len(email))
                for email in emails if len(email) < length]


def _alternate(spam, ham):
    data, target = [], []
    for i in range(max(len(spam), len(ham))):
        data += [spam[i % len(spam)], ham[i % len(ham)]]
        target += [[1], [0]]
    return np.array(data), np.array(target, dtype=np.float64)


def load(spam_path, ham_path, test_size=TEST_EMAILS):
    """The Dataset of the user's spam.txt and ham.txt (the book's Enron files, read by
    `tinygrad_like.data.load_spam_ham` as the notebook reads them; a missing one is a FileNotFoundError
    naming it)."""
    mails = load_spam_ham(spam_path, ham_path)
    return Dataset(emails(mails.spam), emails(mails.ham), test_size)


# ---- the model ----------------------------------------------------------------------------------------------
def build(vocab_size):
    """Embedding(V, 1) with every weight zero (the notebook's `model.weight.data *= 0`)."""
    model = nn.Embedding(vocab_size, 1, dtype=np.float64)
    model.weight.data = np.zeros((vocab_size, 1))
    return model


def predict(model, indices):
    """The spam probability of each email: the sigmoid of its words' summed weights, shape (batch, 1)."""
    return model(Tensor(np.asarray(indices))).sum(1).sigmoid()


def train(model, data, target, unknown, batch_size=BATCH_SIZE, iterations=1, loss_divisor=BOOK_BS):
    """The notebook's train(): a new SGD(lr=0.01), passes over the data in batches, the "<unk>" weight
    (row `unknown`) zeroed before each batch; returns the model and, per pass, the printed loss (the
    summed squared error per email, averaged over the batches, divided by `loss_divisor`, the
    notebook's global `bs`, rather than by the batch size)."""
    criterion = nn.MSELoss(reduction="sum")
    optimizer = optim.SGD(model.parameters(), lr=ALPHA)
    n_batches = len(data) // batch_size
    printed = []
    for _ in range(iterations):
        total = 0.0
        for b in range(n_batches):
            model.weight.data[unknown] = 0.0
            batch = slice(b * batch_size, (b + 1) * batch_size)
            loss = criterion(predict(model, data[batch]), Tensor(target[batch]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() / loss_divisor
        printed.append(total / max(n_batches, 1))
    return model, printed


def test(model, data, target, unknown):
    """The fraction of emails classified right (probability above 0.5 for spam)."""
    model.weight.data[unknown] = 0.0
    with no_grad():
        return float(((predict(model, data).numpy() > 0.5) == target).mean())


def plain(dataset, passes=3, batch_size=BATCH_SIZE):
    """The notebook's plain training: one pass at a time, each followed by the test; (loss, accuracy %)."""
    model, unknown, result = build(len(dataset.vocab)), dataset.index[UNKNOWN], []
    for _ in range(passes):
        model, (loss,) = train(model, dataset.train_data, dataset.train_target, unknown, batch_size)
        result.append((loss, test(model, dataset.test_data, dataset.test_target, unknown) * 100))
    return result


def average_state_dicts(state_dicts):
    """The element-wise mean of models' state_dicts, summed in the given order (the notebook's
    `(bob + alice + sue) / 3`)."""
    return {key: sum((state[key] for state in state_dicts[1:]), state_dicts[0][key]) / len(state_dicts)
            for key in state_dicts[0]}


def shares(dataset, size=1000):
    """Bob's, Alice's and Sue's emails: training emails [0:1000], [1000:2000] and [2000:] (`size` 1000)."""
    data, target = dataset.train_data, dataset.train_target
    return [(data[:size], target[:size]), (data[size:2 * size], target[size:2 * size]),
            (data[2 * size:], target[2 * size:])]


def federated(dataset, rounds=3, aggregate=average_state_dicts, share_size=1000, batch_size=BATCH_SIZE):
    """Federated averaging; per round, the three printed losses and the test accuracy (%) of the average."""
    model, unknown, result = build(len(dataset.vocab)), dataset.index[UNKNOWN], []
    for _ in range(rounds):
        models, losses = [], []
        for data, target in shares(dataset, share_size):
            trained, (loss,) = train(copy.deepcopy(model), data, target, unknown, batch_size)
            models.append(trained)
            losses.append(loss)
        model.load_state_dict(aggregate([trained.state_dict() for trained in models]))
        result.append((losses, test(model, dataset.test_data, dataset.test_target, unknown) * 100))
    return result


def bobs_email(vocab=None):
    """The notebook's leak: one training step on Bob's email (a batch of one, spam target 0) from the zero
    model; returns the printed loss and the words whose weight changed, in vocabulary order. Any
    vocabulary holding Bob's words gives the same (by default his words and "<unk>")."""
    vocab = sorted(set(BOBS_EMAIL) | {UNKNOWN}) if vocab is None else list(vocab)
    index = {word: i for i, word in enumerate(vocab)}
    model = build(len(vocab))
    before = model.weight.numpy().copy()
    trained, (loss,) = train(copy.deepcopy(model), np.array([[index[word] for word in BOBS_EMAIL]]),
                             np.array([[0.0]]), index[UNKNOWN], batch_size=1)
    changed = [vocab[i] for i, delta in enumerate((trained.weight.numpy() - before)[:, 0]) if delta != 0]
    return loss, changed


# ---- secure aggregation by additive secret sharing ------------------------------------------------------------
FIXED_POINT = 2.0 ** 32  # 32.32 fixed point in uint64 arithmetic, which wraps modulo 2**64


def share(values, parties, rng):
    """`values` as fixed-point integers split into `parties` uniformly random uint64 shares that add up
    to them modulo 2**64; any parties - 1 of the shares say nothing about the values."""
    secret = np.round(np.asarray(values, dtype=np.float64) * FIXED_POINT).astype(np.int64).astype(np.uint64)
    pieces = [rng.integers(0, 2 ** 64, size=secret.shape, dtype=np.uint64, endpoint=False)
              for _ in range(parties - 1)]
    last = secret.copy()
    for piece in pieces:
        last -= piece  # wraps modulo 2**64
    return pieces + [last]


def reveal(total):
    """The fixed-point total as floats (the uint64 read as a signed integer)."""
    return total.astype(np.int64).astype(np.float64) / FIXED_POINT


def secure_sum(values_of_parties, seed=0):
    """The sum of the parties' arrays, computed from shares: party j receives the j-th share of everyone's
    values and adds them up; the sum of those partial sums is the total."""
    rng = np.random.default_rng(seed)
    parties = len(values_of_parties)
    dealt = [share(values, parties, rng) for values in values_of_parties]
    partial = [sum(dealt[owner][j] for owner in range(1, parties)) + dealt[0][j] for j in range(parties)]
    return reveal(sum(partial[1:], partial[0]))


def secure_average(state_dicts, seed=0):
    """`average_state_dicts` computed by `secure_sum`: the parties learn only the total."""
    return {key: Tensor(secure_sum([state[key].numpy() for state in state_dicts], seed) / len(state_dicts))
            for key in state_dicts[0]}


# ---- the demo's rows and the script -----------------------------------------------------------------------
def rows_without_data():
    """The rows that need no data: Bob's leaked email and the secure sum of 5 and 3."""
    loss, changed = bobs_email()
    answer = secure_sum([np.array([5.0]), np.array([3.0])])[0]
    return [Row("ch15 one step on Bob's email: loss", BOOK_BOB_LOSS, py3_str(loss),
                "yes" if py3_str(loss) == BOOK_BOB_LOSS else "NO"),
            Row("ch15 Bob's email: weights changed", " ".join(BOOK_BOB_WORDS), " ".join(changed),
                "yes (a set)" if sorted(changed) == sorted(BOOK_BOB_WORDS) else "NO"),
            Row("ch15 5 + 3 added as secrets", "The Answer: 8 (Paillier)", f"The Answer: {answer:g} (secret shares)",
                "yes" if answer == 8 else "NO")]


def skipped_rows():
    return [Row("ch15 spam classifier, federated", "Enron spam.txt / ham.txt", "-", "skipped")]


def rows_with_data(dataset):
    """The plain and federated runs against the book's figures (exact strings: the zero start makes
    the vocabulary order irrelevant but for the order of sums)."""
    rows = []
    for index, ((loss, accuracy), (book_loss, book_accuracy)) in enumerate(zip(plain(dataset), BOOK_PLAIN)):
        ours = f"{py3_str(loss)}; {py3_str(accuracy)}%"
        rows.append(Row(f"ch15 plain, pass {index + 1}: loss; test", f"{book_loss}; {book_accuracy}%", ours,
                        "yes" if ours == f"{book_loss}; {book_accuracy}%" else "NO"))
    for index, ((losses, accuracy), (book_losses, book_accuracy)) in enumerate(zip(federated(dataset), BOOK_FEDERATED)):
        ours = f"{' '.join(py3_str(loss) for loss in losses)}; {py3_str(accuracy)}%"
        book = f"{' '.join(book_losses)}; {book_accuracy}%"
        rows.append(Row(f"ch15 federated, round {index + 1}: Bob Alice Sue; test", book, ours,
                        "yes" if ours == book else "NO"))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description="Grokking Deep Learning chapter 15: a spam classifier "
                                     "(Embedding(V, 1) summed, sigmoid, MSE) trained plainly and by federated "
                                     "averaging; the leak of Bob's email; a secure sum by secret sharing.")
    parser.add_argument("--spam", metavar="FILE", help="the book's spam.txt (Enron spam, one email per line)")
    parser.add_argument("--ham", metavar="FILE", help="the book's ham.txt (Enron ham, one email per line)")
    args = parser.parse_args(argv)
    start = time.time()
    dataset = file_pair_or_exit(parser, load, args.spam, args.ham, "--spam FILE and --ham FILE")
    loss, changed = bobs_email()
    print(f"\tLoss:{py3_str(loss)}")
    print("\n".join(changed))
    print(f"The Answer: {secure_sum([np.array([5.0]), np.array([3.0])])[0]:g}")
    if dataset is None:
        print("\nThe spam classifier needs the book's Enron data: give --spam FILE and --ham FILE.")
        return 0
    for loss, accuracy in plain(dataset):
        print(f"\tLoss:{py3_str(loss)}\n% Correct on Test Set: {py3_str(accuracy)}")
    steps = ("Step 1: send the model to Bob", "Step 2: send the model to Alice", "Step 3: Send the model to Sue")
    for losses, accuracy in federated(dataset):
        print("Starting Training Round...")
        print("\n\n".join(f"\t{step}\n\tLoss:{py3_str(loss)}" for step, loss in zip(steps, losses)))
        print(f"\n\tAverage Everyone's New Models\n\t% Correct on Test Set: {py3_str(accuracy)}\n\nRepeat!!\n")
    print(f"({time.time() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
