"""Text data: a vocabulary with a fixed order, character and word tokens, the book's text data sets
(bAbI, the chapter 14 Shakespeare text, the chapter 11 reviews and the chapter 15 spam/ham mails) and
the batching of a long text into parallel streams for truncated backpropagation through time.

**Why the book's chapter 11-14 numbers cannot be reproduced exactly.** The book builds its
vocabularies as `list(set(tokens))`. A set of strings iterates in an order that depends on Python's
string hashing, which is randomised per process (PYTHONHASHSEED), so each run numbers the words
differently, and with the seeded random weights drawn in index order, each word gets a different
random row. The published perplexities, accuracies and nearest words are one draw of that order.
`Vocabulary` fixes the order (sorted, or first seen), which makes runs repeatable but cannot recover
the book's draw: compare with its figures by tolerance or range, not digit for digit.

bAbI and the Shakespeare text are looked for where MNIST is (`tinygrad_like.data.mnist.search_places`):
the argument, an environment variable, ./data/<name>, ../shared/data/<name>, the shared data beside a
source checkout, ~/.tinygrad_like/<name>. The reviews and the spam/ham mails are not distributed with
the book's data here: their loaders take the user's paths.
"""
import codecs
import re
from pathlib import Path
from typing import List, NamedTuple, Optional, Tuple

import numpy as np

from tinygrad_like.data.mnist import search, search_places

BABI_ENV_VAR = "TINYGRAD_LIKE_BABI"
SHAKESPEARE_ENV_VAR = "TINYGRAD_LIKE_SHAKESPEARE"
SHAKESPEARE_FILE = "shakespear.txt"  # the book's own spelling
_BABI_FILE = re.compile(r"qa(\d+)_(.+)_(train|test)\.txt$")


# ---- vocabulary and tokens ----------------------------------------------------------------------------
def char_tokens(text):
    """The characters of `text`, one token each (the book's chapter 14 model reads characters)."""
    return list(text)


def word_tokens(text, lower=True, sep=" "):
    """The words of `text` as the book splits them: lowercased (unless lower=False), newlines dropped, split on
    every single `sep` (so punctuation stays attached, "garden.", and two spaces give an empty token);
    sep=None splits on runs of whitespace instead."""
    text = text.lower() if lower else text
    return text.replace("\n", "").split(sep)


class Vocabulary:
    """Tokens numbered 0, 1, ... in a fixed order: `specials` first (e.g. "<unk>", "<pad>"), then the distinct
    tokens sorted (order="sorted", the default) or in the order first seen (order="first_seen"). Either is the
    same in every process, unlike the book's `list(set(tokens))` (see the module's docstring).

    `tokens` is an iterable of tokens (strings), or of sequences of tokens (sentences), which are flattened.
    With `unknown` (a token, added to the specials if missing) unseen tokens encode to its index; without,
    they raise KeyError.
    """

    def __init__(self, tokens=(), order="sorted", specials=(), unknown=None):
        if order not in ("sorted", "first_seen"):
            raise ValueError(f"Vocabulary: order must be 'sorted' or 'first_seen', got {order!r}")
        specials = list(specials) + ([unknown] if unknown is not None and unknown not in specials else [])
        seen = dict.fromkeys(specials)
        words = dict.fromkeys(token for token in _flatten(tokens) if token not in seen)
        self.itos = specials + (sorted(words) if order == "sorted" else list(words))
        self.stoi = {token: index for index, token in enumerate(self.itos)}
        self.unknown = unknown

    def __len__(self):
        return len(self.itos)

    def __contains__(self, token):
        return token in self.stoi

    def __iter__(self):
        return iter(self.itos)

    def __getitem__(self, token):
        """The index of `token` (of `unknown` for an unseen one, if set)."""
        index = self.stoi.get(token)
        if index is None:
            if self.unknown is None:
                raise KeyError(f"Vocabulary: {token!r} is not in the vocabulary of {len(self)} tokens (give "
                               "unknown='<unk>' to map unseen tokens to one index)")
            return self.stoi[self.unknown]
        return index

    def encode(self, tokens):
        """The indices of a sequence of tokens, as an int64 array."""
        return np.array([self[token] for token in tokens], dtype=np.int64)

    def decode(self, indices):
        """The tokens at `indices` (an iterable of ints or an integer array/tensor), as a list."""
        indices = np.asarray(getattr(indices, "_data", indices)).reshape(-1)
        return [self.itos[int(index)] for index in indices]

    def __repr__(self):
        head = ", ".join(repr(token) for token in self.itos[:5])
        return f"Vocabulary({len(self)} tokens: {head}{', ...' if len(self) > 5 else ''})"


def _flatten(tokens):
    for item in tokens:
        if isinstance(item, str):
            yield item
        else:
            yield from item


# ---- truncated backpropagation through time ---------------------------------------------------------------
def bptt_batches(indices, batch_size, window):
    """A long sequence of token indices cut as the book's chapter 14 does: into `batch_size` parallel
    streams (stream b is the b-th contiguous piece of the text), then into windows of `window` steps.
    Returns (inputs, targets), int arrays of shape (n_windows, window, batch_size), the targets being
    the inputs shifted one step on; what does not fill a whole window is dropped (99,993 characters,
    batch 16, window 25: 249 windows)."""
    indices = np.asarray(getattr(indices, "_data", indices)).reshape(-1)
    if batch_size < 1 or window < 1:
        raise ValueError(f"bptt_batches: batch_size and window must be positive, got {batch_size} and {window}")
    steps = indices.size // batch_size
    streams = indices[:steps * batch_size].reshape(batch_size, steps).T  # (time, stream)
    windows = max(steps - 1, 0) // window
    if windows == 0:
        raise ValueError(f"bptt_batches: {indices.size} tokens make {steps} steps per stream for {batch_size} "
                         f"streams, too few for one window of {window} steps plus its targets")
    inputs = streams[:-1][:windows * window].reshape(windows, window, batch_size)
    targets = streams[1:][:windows * window].reshape(windows, window, batch_size)
    return inputs, targets


# ---- files: reading with errors that name the file ---------------------------------------------------------
def _read_lines(path, what, encoding="utf-8", errors=None):
    """The lines of a file as readlines() gives them (newlines kept), or FileNotFoundError naming it. With
    `errors`, read through codecs as the book's chapter 15 reads its mails (no newline translation)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what}: {path} does not exist (or is not a file); pass the path of your copy")
    opened = open(path, encoding=encoding) if errors is None else codecs.open(str(path), "r", encoding, errors)
    with opened as file:
        return file.readlines()


def load_text(path, encoding="utf-8"):
    """The whole text of the file at `path` (FileNotFoundError naming it when absent)."""
    return "".join(_read_lines(path, "load_text", encoding))


# ---- bAbI --------------------------------------------------------------------------------------------------
class BabiLine(NamedTuple):
    """One line of a bAbI file: `id` restarts at 1 with each story; questions have an answer and the ids
    of their supporting facts; `raw` is the line as in the file, without its newline."""
    id: int
    text: str
    answer: Optional[str]
    supporting: Tuple[int, ...]
    raw: str


class BabiTask(NamedTuple):
    lines: List[BabiLine]  # in file order (the book trains on `[line.raw for line in lines[:1000]]`)
    stories: List[List[BabiLine]]
    path: Path


def babi_places():
    """Where `find_babi` looks when no directory is given, in order."""
    return search_places(BABI_ENV_VAR, "babi")


def _babi_files(directory):
    """{(task number, split): path} of the bAbI files in `directory` or its en/ subdirectory."""
    files = {}
    for folder in (directory / "en", directory):
        if folder.is_dir():
            for path in folder.iterdir():
                match = _BABI_FILE.match(path.name)
                if match:
                    files.setdefault((int(match.group(1)), match.group(3)), path)
    return files


def _babi_trouble(directory):
    if not directory.is_dir():
        return "no such directory"
    return None if _babi_files(directory) else "holds no bAbI files (qa<N>_<name>_<train|test>.txt, or en/ with them)"


def find_babi(directory=None):
    """The directory of the bAbI tasks (holding en/qa1_single-supporting-fact_train.txt and the others, or
    the files themselves): `directory` when given, else the first of `babi_places()` that holds them."""
    if directory is not None:
        trouble = _babi_trouble(Path(directory))
        if trouble is not None:
            raise FileNotFoundError(f"{directory}: {trouble}")
        return Path(directory)
    found, report = search(babi_places(), _babi_trouble)
    if found is None:
        raise FileNotFoundError("bAbI not found. Searched, in order:\n" + "\n".join(report)
                                + f"\nPut the tasks (bAbI v1.1, tasks_1-20_v1-2/en) in one of them or set "
                                  f"{BABI_ENV_VAR} to their directory.")
    return found


def load_babi(task, split="train", directory=None):
    """bAbI task `task` (1-20, or its name such as "single-supporting-fact") of `split` ("train" or
    "test"), parsed into lines and stories (see BabiLine)."""
    if split not in ("train", "test"):
        raise ValueError(f"load_babi: split must be 'train' or 'test', got {split!r}")
    directory = find_babi(directory)
    files = _babi_files(directory)
    names = {path.name.split("_", 1)[1].rsplit("_", 1)[0]: number for (number, _), path in files.items()}
    names.update({f"qa{number}": number for number, _ in files})
    number = names.get(task, task) if isinstance(task, str) else task
    path = files.get((number, split))
    if path is None:
        available = sorted({n for n, _ in files})
        raise FileNotFoundError(f"load_babi: no {split} file for task {task!r} in {directory} (tasks there: "
                                f"{available}, or by name: {sorted(names)})")
    lines = [_babi_line(raw.rstrip("\n"), path) for raw in _read_lines(path, "load_babi")]
    stories = []
    for line in lines:
        if line.id == 1 or not stories:
            stories.append([])
        stories[-1].append(line)
    return BabiTask(lines, stories, path)


def _babi_line(raw, path):
    number, _, rest = raw.partition(" ")
    if not number.isdigit():
        raise ValueError(f"{path}: a bAbI line starts with its number, got {raw!r}")
    text, answer, supporting = (rest.split("\t") + [None, ""])[:3] if "\t" in rest else (rest, None, "")
    return BabiLine(int(number), text.strip(), answer, tuple(int(i) for i in (supporting or "").split()), raw)


# ---- the Shakespeare text of chapter 14 -----------------------------------------------------------------------
def shakespeare_places():
    """Where `find_shakespeare` looks when no path is given, in order."""
    return search_places(SHAKESPEARE_ENV_VAR, "shakespeare")


def _shakespeare_trouble(directory):
    if directory.is_file():
        return None
    if not directory.is_dir():
        return "no such directory"
    return None if (directory / SHAKESPEARE_FILE).is_file() else f"no {SHAKESPEARE_FILE} in it"


def find_shakespeare(path=None):
    """The path of the book's chapter 14 text, shakespear.txt: `path` (the file or its directory) when given,
    else in the first of `shakespeare_places()` holding it."""
    if path is not None:
        trouble = _shakespeare_trouble(Path(path))
        if trouble is not None:
            raise FileNotFoundError(f"{path}: {trouble}")
        found = Path(path)
    else:
        found, report = search(shakespeare_places(), _shakespeare_trouble)
        if found is None:
            raise FileNotFoundError(f"{SHAKESPEARE_FILE} not found. Searched, in order:\n" + "\n".join(report)
                                    + f"\nIt is in the book's repository (iamtrask/Grokking-Deep-Learning); put it in "
                                      f"one of them or set {SHAKESPEARE_ENV_VAR} to its directory.")
    return found if found.is_file() else found / SHAKESPEARE_FILE


def load_shakespeare(path=None):
    """The chapter 14 corpus as one string (99,993 characters, 62 distinct)."""
    return load_text(find_shakespeare(path))


# ---- the user's data: chapter 11 reviews, chapter 15 spam and ham ------------------------------------------------
class Reviews(NamedTuple):
    reviews: List[str]  # one per line, as readlines() gives them (the book splits these on " ")
    labels: List[str]  # "positive" / "negative", newlines stripped
    targets: np.ndarray  # 1 for "positive", else 0 (the book's target_dataset)


def load_reviews(reviews_path, labels_path):
    """The book's chapter 11 data: reviews.txt (one review per line) and labels.txt (one "positive" or
    "negative" per line), from the user's files; FileNotFoundError names a missing one, ValueError a count
    mismatch."""
    reviews = _read_lines(reviews_path, "load_reviews (reviews.txt)")
    labels = [label.rstrip("\n") for label in _read_lines(labels_path, "load_reviews (labels.txt)")]
    if len(reviews) != len(labels):
        raise ValueError(f"load_reviews: {reviews_path} has {len(reviews)} reviews but {labels_path} has "
                         f"{len(labels)} labels; the files must have one line each per review")
    unexpected = sorted(set(labels) - {"positive", "negative"})
    if unexpected:
        raise ValueError(f"load_reviews: {labels_path} holds labels other than 'positive' and 'negative': "
                         f"{unexpected[:5]}")
    return Reviews(reviews, labels, np.array([label == "positive" for label in labels], dtype=np.int64))


class SpamHam(NamedTuple):
    spam: List[str]  # one mail per line, as the book reads them (utf-8, undecodable bytes dropped)
    ham: List[str]


def load_spam_ham(spam_path, ham_path):
    """The book's chapter 15 data, spam.txt and ham.txt (one mail per line), read as the book does
    (codecs, utf-8, errors ignored), from the user's files; FileNotFoundError names a missing one."""
    return SpamHam(_read_lines(spam_path, "load_spam_ham (spam.txt)", errors="ignore"),
                   _read_lines(ham_path, "load_spam_ham (ham.txt)", errors="ignore"))


def default_babi_dir():
    """`find_babi()`'s directory, or None where it would raise."""
    return search(babi_places(), _babi_trouble)[0]


__all__ = ["BABI_ENV_VAR", "SHAKESPEARE_ENV_VAR", "BabiLine", "BabiTask", "Reviews", "SpamHam", "Vocabulary",
           "babi_places", "bptt_batches", "char_tokens", "default_babi_dir", "find_babi", "find_shakespeare",
           "load_babi", "load_reviews", "load_shakespeare", "load_spam_ham", "load_text", "shakespeare_places",
           "word_tokens"]
