"""Chapter 15 of Grokking Deep Learning: the spam classifier and federated averaging, on a synthetic corpus.

The book's Enron spam.txt/ham.txt are not available, so the runs are checked qualitatively on emails
the tests write; the figures reproducible without data (Bob's email) are checked against the book.
"""
import numpy as np
import pytest

from tinygrad_like import nn
from tinygrad_like.book import ch15_federated as ch15
from tinygrad_like.tensor import Tensor

SPAM_WORDS = ["free", "winner", "prize", "cash", "offer", "click", "viagra", "urgent"]
HAM_WORDS = ["meeting", "project", "report", "schedule", "team", "review", "budget", "lunch"]
COMMON = [f"w{i}" for i in range(60)]


def _write_corpus(directory, n=500, seed=0):
    """n spam and n ham emails: a few words of their kind among common words, one email per line,
    each line ending in " \\n" as the book's preprocessing (row[:-2]) expects."""
    rng = np.random.default_rng(seed)
    paths = []
    for name, marked in (("spam.txt", SPAM_WORDS), ("ham.txt", HAM_WORDS)):
        lines = []
        for _ in range(n):
            words = list(rng.choice(COMMON, 12)) + list(rng.choice(marked, 3))
            lines.append(" ".join(rng.permutation(words)) + " \n")
        (directory / name).write_text("".join(lines))
        paths.append(directory / name)
    return paths


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    spam, ham = _write_corpus(tmp_path_factory.mktemp("enron"))
    return ch15.load(spam, ham, test_size=100)


def test_preprocessing_is_the_notebooks(dataset):
    assert dataset.vocab == sorted(dataset.vocab) and ch15.UNKNOWN in dataset.vocab
    assert dataset.train_data.shape == (2 * 400, 500) and dataset.test_data.shape == (200, 500)
    assert dataset.train_target[:4, 0].tolist() == [1, 0, 1, 0]  # spam and ham alternate
    assert (dataset.train_data[0] == dataset.index[ch15.UNKNOWN]).sum() == 500 - len(set(dataset.train_data[0]) - {
        dataset.index[ch15.UNKNOWN]})
    long_email = {f"x{i}" for i in range(500)}
    assert ch15.Dataset([long_email] + [{"a"}] * 3, [{"b"}] * 3, test_size=1).to_indices([long_email]) == []
    assert ch15.emails(["b a b \n", "c \n"]) == [{"a", "b"}, {"c"}]


def test_plain_training_learns_the_planted_words(dataset):
    (first, _), (second, accuracy) = ch15.plain(dataset, passes=2)  # one batch of 500 per pass
    assert first == 0.25  # every email starts at (0.5 - target) ** 2 = 0.25, and the batch sum is / 500
    assert accuracy > 95 and 0 < second < 0.2
    weights = ch15.build(len(dataset.vocab))
    ch15.train(weights, dataset.train_data, dataset.train_target, dataset.index[ch15.UNKNOWN])
    values = {word: weights.weight.numpy()[dataset.index[word], 0] for word in SPAM_WORDS + HAM_WORDS}
    assert min(values[w] for w in SPAM_WORDS) > 0 > max(values[w] for w in HAM_WORDS)
    assert weights.weight.numpy()[dataset.index[ch15.UNKNOWN], 0] != 0  # trained after its last zeroing


def test_federated_averaging_learns_and_secret_sharing_changes_nothing(dataset):
    rounds = ch15.federated(dataset, rounds=2, share_size=300, batch_size=100)
    assert len(rounds) == 2 and all(len(losses) == 3 for losses, _ in rounds)
    assert rounds[1][1] >= rounds[0][1] and rounds[1][1] > 95
    secure = ch15.federated(dataset, rounds=2, aggregate=ch15.secure_average, share_size=300, batch_size=100)
    for (losses, accuracy), (secure_losses, secure_accuracy) in zip(rounds, secure):
        assert accuracy == secure_accuracy
        np.testing.assert_allclose(secure_losses, losses, rtol=1e-6)


def test_vocabulary_order_does_not_change_the_run(dataset, tmp_path):
    """The zero start makes the order of the vocabulary irrelevant (but for the order of sums): renaming
    the words so that they sort differently gives the same figures."""
    spam, ham = _write_corpus(tmp_path, n=150, seed=1)
    reference = ch15.load(spam, ham, test_size=50)
    for path in (spam, ham):
        path.write_text(" ".join(w if w == "\n" else "z" + w[::-1] for w in path.read_text().split(" ")))
    renamed = ch15.load(spam, ham, test_size=50)
    ranks = [renamed.index["z" + word[::-1]] for word in reference.vocab if word != ch15.UNKNOWN]
    assert ranks != sorted(ranks)  # the renaming reorders the vocabulary
    for (loss, accuracy), (loss2, accuracy2) in zip(ch15.plain(reference, 2), ch15.plain(renamed, 2)):
        assert accuracy == accuracy2 and loss == pytest.approx(loss2, rel=1e-12)


def test_bobs_email_leaks_its_words_as_the_book_shows():
    loss, changed = ch15.bobs_email()
    assert str(loss) == ch15.BOOK_BOB_LOSS
    assert sorted(changed) == sorted(ch15.BOOK_BOB_WORDS)
    loss, changed = ch15.bobs_email(vocab=sorted(COMMON + ch15.BOBS_EMAIL + [ch15.UNKNOWN]))
    assert str(loss) == "0.0005" and changed == sorted(ch15.BOBS_EMAIL)
    assert all(row.status == "yes" for row in ch15.rows_without_data())


def test_average_of_state_dicts_and_secure_sum():
    models = [nn.Embedding(4, 1, dtype=np.float64) for _ in range(3)]
    states = [m.state_dict() for m in models]
    mean = ch15.average_state_dicts(states)
    expected = (states[0]["weight"].numpy() + states[1]["weight"].numpy() + states[2]["weight"].numpy()) / 3
    np.testing.assert_array_equal(mean["weight"].numpy(), expected)
    np.testing.assert_allclose(ch15.secure_average(states)["weight"].numpy(), expected, rtol=0, atol=2 ** -31)
    values = [np.array([-2.5, 1e3, 0.0]), np.array([1.25, -7.0, 3.0])]
    np.testing.assert_array_equal(ch15.secure_sum(values), values[0] + values[1])  # exact in fixed point
    dealt = ch15.share(np.array([5.0]), 3, np.random.default_rng(0))
    assert len(dealt) == 3 and ch15.reveal(dealt[0] + dealt[1] + dealt[2])[0] == 5.0
    assert isinstance(ch15.predict(ch15.build(3), np.array([[0, 1]])), Tensor)


def test_missing_file_and_too_few_emails_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="spam.txt.*pass the path"):
        ch15.load(tmp_path / "spam.txt", tmp_path / "ham.txt")
    spam, ham = _write_corpus(tmp_path, n=30)
    with pytest.raises(ValueError, match="30 spam and 30 ham emails .* needs more than 1000"):
        ch15.load(spam, ham)


@pytest.mark.slow
def test_script_trains_plainly_and_federated_on_the_users_files(tmp_path, capsys):
    spam, ham = _write_corpus(tmp_path, n=2150)
    assert ch15.main(["--spam", str(spam), "--ham", str(ham)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("\tLoss:0.0005\n") and "The Answer: 8" in out
    accuracies = [float(line.split(": ")[1]) for line in out.splitlines() if "% Correct on Test Set" in line]
    assert len(accuracies) == 6 and min(accuracies[-1], accuracies[2]) > 95
    assert out.count("Starting Training Round...") == 3 and "\tStep 3: Send the model to Sue\n\tLoss:" in out


@pytest.mark.torch
def test_federated_average_loads_into_pytorch_and_predicts_the_same(dataset, torch):
    unknown = dataset.index[ch15.UNKNOWN]
    models = [ch15.train(ch15.build(len(dataset.vocab)), data, target, unknown, 100)[0]
              for data, target in ch15.shares(dataset, 300)]
    average = ch15.average_state_dicts([model.state_dict() for model in models])
    theirs = torch.nn.Embedding(len(dataset.vocab), 1, dtype=torch.float64)
    theirs.load_state_dict({key: torch.from_numpy(value.numpy().copy()) for key, value in average.items()})
    ours = ch15.build(len(dataset.vocab))
    ours.load_state_dict(average)
    expected = torch.sigmoid(theirs(torch.from_numpy(dataset.test_data)).sum(1)).detach().numpy()
    np.testing.assert_allclose(ch15.predict(ours, dataset.test_data).numpy(), expected, rtol=1e-12)
