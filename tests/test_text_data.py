"""tinygrad_like.data's text support: Vocabulary (a fixed order), character and word tokens, the truncated-BPTT
batching of chapter 14, and the loaders (bAbI, the Shakespeare text, reviews/labels, spam/ham) on small files the
tests write, then on ../shared/data when it is there."""
import numpy as np
import pytest

from tinygrad_like import data
from tinygrad_like.data import mnist as mnist_module
from tinygrad_like.data import text as text_module

STORY = ["1 Mary moved to the bathroom.", "2 John went to the hallway.", "3 Where is Mary? \tbathroom\t1",
         "1 Sandra travelled to the office.", "2 Where is Sandra? \toffice\t1"]


def write_babi(directory, task=1, name="single-supporting-fact", split="train", lines=STORY):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"qa{task}_{name}_{split}.txt"
    path.write_text("".join(line + "\n" for line in lines))
    return path


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """No data set anywhere the loaders look: an empty working directory, home and checkout."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(text_module.BABI_ENV_VAR, raising=False)
    monkeypatch.delenv(text_module.SHAKESPEARE_ENV_VAR, raising=False)
    monkeypatch.setattr(mnist_module, "_CHECKOUT", tmp_path / "not-a-checkout")
    return tmp_path


# ---- vocabulary and tokens ----------------------------------------------------------------------
def test_vocabulary_orders_specials_unknown_and_round_trips():
    sentences = [["the", "cat", "sat"], ["the", "dog"]]
    vocab = data.Vocabulary(sentences)
    assert vocab.itos == ["cat", "dog", "sat", "the"] and len(vocab) == 4 and "dog" in vocab
    assert data.Vocabulary(sentences, order="first_seen").itos == ["the", "cat", "sat", "dog"]
    assert data.Vocabulary(["b", "a", "b"], specials=["<pad>"], unknown="<unk>").itos == ["<pad>", "<unk>", "a", "b"]
    encoded = vocab.encode(["the", "dog"])
    assert encoded.dtype == np.int64 and encoded.tolist() == [3, 1]
    assert vocab.decode(encoded) == ["the", "dog"] and vocab.decode(np.array([[0]])) == ["cat"]
    with pytest.raises(KeyError, match="'bird' is not in the vocabulary of 4 tokens"):
        vocab["bird"]
    assert data.Vocabulary(sentences, unknown="<unk>")["bird"] == 0
    assert repr(vocab) == "Vocabulary(4 tokens: 'cat', 'dog', 'sat', 'the')"
    with pytest.raises(ValueError, match="order must be 'sorted' or 'first_seen'"):
        data.Vocabulary([], order="random")


def test_the_order_does_not_depend_on_the_order_of_the_tokens():
    """Sorted, unlike the book's list(set(...)), whose order follows the process's string hashing."""
    words = "mary moved to the bathroom john went hallway where is sandra office garden".split()
    assert data.Vocabulary(words).itos == data.Vocabulary(words[::-1]).itos == sorted(words)


def test_char_and_word_tokens_split_as_the_book():
    assert data.char_tokens("ab c") == ["a", "b", " ", "c"]
    assert data.word_tokens("3 Where is Mary? \tbathroom\t1\n") == ["3", "where", "is", "mary?", "\tbathroom\t1"]
    assert data.word_tokens("A  b", lower=False) == ["A", "", "b"]
    assert data.word_tokens("A  b\tc", sep=None) == ["a", "b", "c"]


def test_bptt_batches_are_the_books_parallel_streams():
    indices = np.arange(1003)
    inputs, targets = data.bptt_batches(indices, batch_size=4, window=10)
    # the book: reshape(batch_size, n_batches).transpose(), inputs [0:-1], targets [1:], whole windows only
    n_batches = 1003 // 4
    streams = indices[:n_batches * 4].reshape(4, n_batches).T
    windows = (n_batches - 1) // 10
    assert inputs.shape == targets.shape == (windows, 10, 4)
    np.testing.assert_array_equal(inputs, streams[:-1][:windows * 10].reshape(windows, 10, 4))
    np.testing.assert_array_equal(targets[:, :-1], inputs[:, 1:])
    np.testing.assert_array_equal(inputs[1, 0], inputs[0, -1] + 1)  # windows continue each stream
    np.testing.assert_array_equal(inputs[0, 0], [0, 250, 500, 750])  # stream b starts at the b-th quarter
    with pytest.raises(ValueError, match="too few for one window of 10 steps"):
        data.bptt_batches(np.arange(40), 4, 10)


# ---- bAbI ---------------------------------------------------------------------------------------
def test_load_babi_parses_lines_stories_answers_and_supporting_facts(tmp_path):
    write_babi(tmp_path / "en")
    write_babi(tmp_path / "en", split="test", lines=STORY[:3])
    task = data.load_babi(1, directory=tmp_path)
    assert [line.raw for line in task.lines] == STORY and task.path.name == "qa1_single-supporting-fact_train.txt"
    question = task.lines[2]
    assert (question.id, question.text, question.answer, question.supporting) == (3, "Where is Mary?", "bathroom", (1,))
    assert task.lines[0].answer is None and task.lines[0].supporting == ()
    assert [len(story) for story in task.stories] == [3, 2]
    assert len(data.load_babi("single-supporting-fact", "test", tmp_path).lines) == 3
    assert data.load_babi("qa1", directory=tmp_path / "en").path == task.path  # the en/ folder itself works too


def test_load_babi_errors_name_what_is_missing(tmp_path, nowhere, monkeypatch):
    write_babi(tmp_path / "babi" / "en")
    with pytest.raises(FileNotFoundError, match=r"no test file for task 1 .* \(tasks there: \[1\]"):
        data.load_babi(1, "test", tmp_path / "babi")
    with pytest.raises(FileNotFoundError, match="no train file for task 'counting'"):
        data.load_babi("counting", directory=tmp_path / "babi")
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        data.load_babi(1, "valid", tmp_path / "babi")
    with pytest.raises(FileNotFoundError, match="holds no bAbI files"):
        data.load_babi(1, directory=tmp_path)
    with pytest.raises(FileNotFoundError, match=r"bAbI not found. Searched, in order:\n  \$TINYGRAD_LIKE_BABI: not set"):
        data.load_babi(1)
    monkeypatch.setenv(text_module.BABI_ENV_VAR, str(tmp_path / "babi"))
    assert data.load_babi(1).path.parent == tmp_path / "babi" / "en"
    write_babi(tmp_path / "bad", lines=["Mary moved."])
    with pytest.raises(ValueError, match="a bAbI line starts with its number"):
        data.load_babi(1, directory=tmp_path / "bad")


def test_babi_is_found_in_data_beside_the_working_directory(tmp_path, nowhere):
    write_babi(tmp_path / "data" / "babi" / "en")
    assert data.find_babi() == tmp_path / "data" / "babi"


def test_the_shared_babi_task_1_has_the_books_82_words():
    directory = data.default_babi_dir()
    if directory is None:
        pytest.skip("bAbI not found where tinygrad_like.data looks (../shared/data/babi, $TINYGRAD_LIKE_BABI, ...)")
    task = data.load_babi(1, "train")
    assert len(task.lines) == 3000 and task.lines[0].raw == "1 Mary moved to the bathroom."
    tokens = [data.word_tokens(line.raw)[1:] for line in task.lines[:1000]]  # the book's chapter 12 tokens
    assert len(data.Vocabulary(tokens)) == 82
    assert all(len(story) > 1 and story[0].id == 1 for story in task.stories)
    assert len(data.load_babi(20, "test").lines) > 0


# ---- the Shakespeare text and plain text files ----------------------------------------------------
def test_load_shakespeare_from_a_path_a_directory_or_the_environment(tmp_path, nowhere, monkeypatch):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "shakespear.txt").write_text("To be, or not to be:\nthat is the question.\n")
    assert data.load_shakespeare(folder / "shakespear.txt").startswith("To be, or not")
    assert data.load_shakespeare(folder) == data.load_text(folder / "shakespear.txt")
    with pytest.raises(FileNotFoundError, match="shakespear.txt not found. Searched, in order"):
        data.load_shakespeare()
    monkeypatch.setenv(text_module.SHAKESPEARE_ENV_VAR, str(folder))
    assert data.find_shakespeare() == folder / "shakespear.txt"
    with pytest.raises(FileNotFoundError, match="no shakespear.txt in it"):
        data.find_shakespeare(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"load_text: .*missing.txt does not exist"):
        data.load_text(tmp_path / "missing.txt")


def test_the_shared_shakespeare_text_makes_the_books_249_windows():
    try:
        path = data.find_shakespeare()
    except FileNotFoundError as error:
        pytest.skip(f"the chapter 14 text is not where tinygrad_like.data looks: {str(error).splitlines()[0]}")
    raw = data.load_shakespeare(path)
    assert len(raw) == 99993 and raw.startswith("That, poor contempt, or claim'd thou slept so faithful,")
    vocab = data.Vocabulary(data.char_tokens(raw))
    assert len(vocab) == 62
    inputs, targets = data.bptt_batches(vocab.encode(raw), batch_size=16, window=25)
    assert inputs.shape == (249, 25, 16)


# ---- the user's files: reviews and labels, spam and ham -------------------------------------------
def test_load_reviews_pairs_reviews_with_labels_and_names_missing_files(tmp_path):
    reviews, labels = tmp_path / "reviews.txt", tmp_path / "labels.txt"
    reviews.write_text("a great film \nterrible acting \n")
    labels.write_text("positive\nnegative\n")
    loaded = data.load_reviews(reviews, labels)
    assert loaded.reviews == ["a great film \n", "terrible acting \n"] and loaded.labels == ["positive", "negative"]
    assert loaded.targets.tolist() == [1, 0]
    with pytest.raises(FileNotFoundError, match=r"load_reviews \(labels.txt\): .*nolabels.txt does not exist"):
        data.load_reviews(reviews, tmp_path / "nolabels.txt")
    with pytest.raises(FileNotFoundError, match=r"load_reviews \(reviews.txt\)"):
        data.load_reviews(tmp_path / "missing.txt", labels)
    labels.write_text("positive\n")
    with pytest.raises(ValueError, match="has 2 reviews but .* has 1 labels"):
        data.load_reviews(reviews, labels)
    labels.write_text("positive\nneutral\n")
    with pytest.raises(ValueError, match="labels other than 'positive' and 'negative': \\['neutral'\\]"):
        data.load_reviews(reviews, labels)


def test_load_spam_ham_reads_as_the_book_dropping_undecodable_bytes(tmp_path):
    spam, ham = tmp_path / "spam.txt", tmp_path / "ham.txt"
    spam.write_bytes(b"win money now \xff\r\nfree pizza \r\n")
    ham.write_bytes(b"meeting at noon \r\n")
    loaded = data.load_spam_ham(spam, ham)
    assert loaded.spam == ["win money now \r\n", "free pizza \r\n"] and loaded.ham == ["meeting at noon \r\n"]
    assert [set(row[:-2].split(" ")) for row in loaded.ham] == [{"meeting", "at", "noon", ""}]  # the book's split
    with pytest.raises(FileNotFoundError, match=r"load_spam_ham \(ham.txt\): .*absent.txt does not exist"):
        data.load_spam_ham(spam, tmp_path / "absent.txt")
