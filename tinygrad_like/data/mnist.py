"""MNIST (LeCun, Cortes, Burges) from the original IDX files, and the book's preprocessing.

Also where the data sets are looked for (`search_places`), the one search order that the loaders,
the demo, the examples, the benchmarks and the tests all use.
"""
import gzip
import os
from pathlib import Path
from typing import NamedTuple, Optional

import numpy as np

MNIST_FILES = {  # MNIST field -> file name, without ".gz"
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# md5 of each published file as downloaded (.gz) and decompressed, checked against the originals
MNIST_MD5 = {
    "train-images-idx3-ubyte": ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "6bbc9ace898e44ae57da46a324031adb"),
    "train-labels-idx1-ubyte": ("d53e105ee54ea40749a09fcbcd1e9432", "a25bea736e30d166cdddb491f175f624"),
    "t10k-images-idx3-ubyte": ("9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea"),
    "t10k-labels-idx1-ubyte": ("ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637"),
}
MIRRORS = (  # any one serves the four .gz files; the original site does not always answer
    "https://ossci-datasets.s3.amazonaws.com/mnist/  (the mirror torchvision downloads from)",
    "https://storage.googleapis.com/cvdf-datasets/mnist/  (Google's, used by TensorFlow)",
    "http://yann.lecun.com/exdb/mnist/  (the original site, not always reachable)",
)
ENV_VAR = "TINYGRAD_LIKE_MNIST"
DOWNLOAD_HINT = ("Download the four .gz files from any of\n" + "".join(f"  {url}\n" for url in MIRRORS)
                 + "and keep them, gzipped or not, in one directory. Their md5 sums (`md5sum FILE`):\n"
                 + f"  {'file':<23}  {'as downloaded (.gz)':<32}  decompressed\n"
                 + "\n".join(f"  {name:<23}  {gz}  {raw}" for name, (gz, raw) in MNIST_MD5.items()))

_GZIP_MAGIC = b"\x1f\x8b"
_UBYTE = 0x08  # the IDX type code of unsigned bytes, the only one MNIST uses
_FILE_LIST = ", ".join(MNIST_FILES.values())
# The repository this package runs from, if it is a source checkout rather than an installed copy
_CHECKOUT = Path(__file__).resolve().parents[2]


class MNIST(NamedTuple):
    """The four MNIST arrays; `load_mnist` fills it with uint8 arrays, `book_mnist` with float64."""
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


# ---- where the data sets are ------------------------------------------------------------------------
def search_places(env_var, relative):
    """Where a data set is looked for when no path is given, in order, as (label, path) pairs:

    1. the environment variable `env_var` (path None when it is not set),
    2. ./data/<relative>, then ../shared/data/<relative>, both relative to the current directory,
    3. <checkout>/../shared/data/<relative> when this package runs from a source checkout, so that
       a checkout beside the shared data finds it from any directory,
    4. ~/.tinygrad_like/<relative>.
    """
    value = os.environ.get(env_var)
    places = [(f"${env_var}", Path(value) if value else None),
              (f"./data/{relative}", Path("data", relative)),
              (f"../shared/data/{relative}", Path("..", "shared", "data", relative))]
    if (_CHECKOUT / "pyproject.toml").is_file():
        beside = _CHECKOUT.parent / "shared" / "data" / relative
        places.append((str(beside), beside))
    places.append((f"~/.tinygrad_like/{relative}", Path.home() / ".tinygrad_like" / relative))
    return places


def search_order(env_var, relative):
    """The places of `search_places` as one line of text, for help messages."""
    return ", ".join(label for label, _ in search_places(env_var, relative))


def search(places, problem):
    """The first path of `places` where `problem(path)` finds nothing wrong, made absolute (it stays
    right if the working directory changes), and the lines of a report naming every place tried
    before it with what was wrong there (a place met twice, e.g. from the checkout itself, once)."""
    report, tried = [], set()
    for label, path in places:
        absolute = None if path is None else os.path.abspath(path)
        if absolute in tried:
            continue
        tried.add(absolute)
        trouble = "not set" if path is None else problem(path)
        if trouble is None:
            return Path(absolute), report
        where = label if absolute in (None, label) else f"{label} ({absolute})"
        report.append(f"  {where}: {trouble}")
    return None, report


def mnist_places():
    """Where `find_mnist` looks when no directory is given, in order (see `search_places`)."""
    return search_places(ENV_VAR, "mnist")


def find_mnist(directory=None) -> Path:
    """The directory to read MNIST from: `directory` when given, else the first of `mnist_places()`
    that holds all four files (each raw or .gz).

    Raises FileNotFoundError naming the given directory and what it lacks, or, without one, every
    place searched and what each lacks; both say where to download the files.
    """
    if directory is not None:
        trouble = _mnist_trouble(Path(directory))
        if trouble is not None:
            raise FileNotFoundError(f"{directory}: {trouble}; expected a directory holding {_FILE_LIST} "
                                    f"(each raw or .gz).\n{DOWNLOAD_HINT}")
        return Path(directory)
    found, report = search(mnist_places(), _mnist_trouble)
    if found is None:
        raise FileNotFoundError("MNIST not found. Searched, in order:\n" + "\n".join(report)
                                + f"\nPut {_FILE_LIST} in one of them or set {ENV_VAR} to their directory.\n"
                                + DOWNLOAD_HINT)
    return found


def default_mnist_dir() -> Optional[Path]:
    """`find_mnist()`'s directory (the first of `mnist_places()` holding the four files), or None
    where it would raise."""
    found, _ = search(mnist_places(), _mnist_trouble)
    return found


def _mnist_trouble(directory):
    """What keeps `directory` from being an MNIST directory, or None when it holds all four files."""
    if not directory.is_dir():
        return "no such directory"
    missing = [name for name in MNIST_FILES.values() if _mnist_file(directory, name) is None]
    if len(missing) == len(MNIST_FILES):
        return "holds no MNIST files"
    if missing:
        return f"missing MNIST file(s) {', '.join(missing)} (with or without .gz)"
    return None


def read_idx(path, ndim: Optional[int] = None) -> np.ndarray:
    """The uint8 array stored in an IDX file, gzipped or not (told apart by content, not name).

    With `ndim`, the magic number must be that of an `ndim`-dimensional unsigned-byte file
    (0x00000803 for MNIST images, 0x00000801 for labels). Raises FileNotFoundError for a missing
    file and ValueError, naming the file and the problem, for anything malformed.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"{path}: truncated IDX file: {len(data)} bytes, shorter than the 4-byte magic number")
    zeros, type_code, file_ndim = data[:2], data[2], data[3]
    if zeros != b"\0\0" or (ndim is not None and file_ndim != ndim):
        expected = "0x000008nn (nn: the number of dimensions)" if ndim is None else f"0x000008{ndim:02x}"
        raise ValueError(f"{path}: bad magic number 0x{data[:4].hex()}, expected {expected} for an IDX file "
                         "of unsigned bytes; is it the right file?")
    if type_code != _UBYTE:
        raise ValueError(f"{path}: IDX data type code 0x{type_code:02x}, but only 0x08 (unsigned byte) is "
                         "supported, which is what MNIST uses")
    header_size = 4 + 4 * file_ndim
    if len(data) < header_size:
        raise ValueError(f"{path}: truncated IDX header: {file_ndim} dimension sizes need {header_size} bytes, "
                         f"the file has {len(data)}")
    shape = tuple(int(size) for size in np.frombuffer(data, dtype=">u4", count=file_ndim, offset=4))
    expected_size, found_size = int(np.prod(shape)), len(data) - header_size
    if found_size != expected_size:
        problem = "truncated" if found_size < expected_size else "over-long"
        raise ValueError(f"{path}: {problem} IDX file: the header declares shape {shape}, i.e. {expected_size} "
                         f"bytes of data, but the file holds {found_size}; re-download or re-extract it")
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(shape)


def _read_bytes(path):
    """The file's contents, decompressed if gzipped, as a bytearray so that arrays on it are writable."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such IDX file")
    with open(path, "rb") as file:
        data = bytearray(file.read())
    if data[:2] != _GZIP_MAGIC:
        return data
    try:
        return bytearray(gzip.decompress(data))
    except (OSError, EOFError) as error:  # BadGzipFile is an OSError; a cut-off stream raises EOFError
        raise ValueError(f"{path}: corrupt gzip data ({error}); re-download the file") from None


def _mnist_file(directory, name):
    """The raw file if it exists (no decompression needed), else the .gz one, else None."""
    for candidate in (directory / name, directory / (name + ".gz")):
        if candidate.is_file():
            return candidate
    return None


def load_mnist(directory=None) -> MNIST:
    """MNIST from `directory` (default: the first of `mnist_places()` holding it) as uint8 arrays.

    The directory holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
    t10k-labels-idx1-ubyte, each raw or with .gz (the raw one is used when both exist). Images come
    out shaped (N, 28, 28), labels (N,). Raises FileNotFoundError when files are missing (see
    `find_mnist`) and ValueError when a file is malformed or images and labels disagree.
    """
    directory = find_mnist(directory)
    paths = {field: _mnist_file(directory, name) for field, name in MNIST_FILES.items()}
    arrays = {}
    for split in ("train", "test"):
        images_path, labels_path = paths[f"{split}_images"], paths[f"{split}_labels"]
        images, labels = read_idx(images_path, ndim=3), read_idx(labels_path, ndim=1)
        if images.shape[1:] != (28, 28):
            raise ValueError(f"{images_path}: images of {images.shape[1]}x{images.shape[2]} pixels, "
                             "expected MNIST's 28x28")
        if len(images) != len(labels):
            raise ValueError(f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} "
                             "labels; the counts must agree (are the files from the same set?)")
        if labels.size and labels.max() > 9:
            raise ValueError(f"{labels_path}: label {labels.max()} found, expected digits 0-9")
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = images, labels
    return MNIST(**arrays)


def book_mnist(directory=None, n_train: int = 1000) -> MNIST:
    """MNIST preprocessed as in Grokking Deep Learning, chapter 8.

    The first `n_train` training images and all 10000 test images, flattened to 784 float64 pixels
    in [0, 1] (`x_train[0:1000].reshape(1000, 28*28) / 255`), with one-hot float64 labels of shape
    (n, 10). Returns `MNIST(x_train, y_train, x_test, y_test)`, which unpacks as a 4-tuple.
    """
    mnist = load_mnist(directory)
    if not 1 <= n_train <= len(mnist.train_images):
        raise ValueError(f"n_train={n_train}: must be between 1 and {len(mnist.train_images)}, "
                         "the number of training images")
    return MNIST(_flatten(mnist.train_images[:n_train]), _one_hot(mnist.train_labels[:n_train]),
                 _flatten(mnist.test_images), _one_hot(mnist.test_labels))


def _flatten(images):
    return images.reshape(len(images), -1) / 255


def _one_hot(labels):
    return np.eye(10)[labels]
