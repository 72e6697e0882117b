"""MNIST (LeCun, Cortes, Burges) from the original IDX files, and the book's preprocessing."""
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
ENV_VAR = "TINYGRAD_LIKE_MNIST"
DOWNLOAD_HINT = ("MNIST can be downloaded from the original distribution (http://yann.lecun.com/exdb/mnist/, "
                 "4 files, gzipped or not) and put in that directory")

_GZIP_MAGIC = b"\x1f\x8b"
_UBYTE = 0x08  # the IDX type code of unsigned bytes, the only one MNIST uses


class MNIST(NamedTuple):
    """The four MNIST arrays; `load_mnist` fills it with uint8 arrays, `book_mnist` with float64."""
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def default_mnist_dir() -> Optional[Path]:
    """The first existing directory of, in order:

    1. the environment variable TINYGRAD_LIKE_MNIST (skipped when it names no directory),
    2. ./data/mnist, then ../shared/data/mnist (both relative to the current directory),
    3. ~/.tinygrad_like/mnist;

    or None when none exists. `load_mnist()` without a directory uses it.
    """
    for candidate in _default_candidates():
        if candidate.is_dir():
            return candidate
    return None


def _default_candidates():
    from_env = [Path(os.environ[ENV_VAR])] if os.environ.get(ENV_VAR) else []
    return from_env + [Path("data/mnist"), Path("../shared/data/mnist"), Path.home() / ".tinygrad_like" / "mnist"]


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
    """MNIST from `directory` (default: `default_mnist_dir()`) as uint8 arrays.

    The directory holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
    t10k-labels-idx1-ubyte, each raw or with .gz (the raw one is used when both exist). Images come
    out shaped (N, 28, 28), labels (N,). Raises FileNotFoundError when files are missing and
    ValueError when a file is malformed or images and labels disagree.
    """
    directory = _mnist_directory(directory)
    paths = {field: _mnist_file(directory, name) for field, name in MNIST_FILES.items()}
    missing = [MNIST_FILES[field] for field, path in paths.items() if path is None]
    if missing:
        raise FileNotFoundError(f"{directory}: missing MNIST file(s) {', '.join(missing)} (with or without .gz); "
                                f"expected all of {', '.join(MNIST_FILES.values())}. {DOWNLOAD_HINT}.")
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


def _mnist_directory(directory):
    if directory is None:
        directory = default_mnist_dir()
        if directory is None:
            searched = ", ".join(str(path) for path in _default_candidates())
            raise FileNotFoundError(f"no MNIST directory given and none found (searched {searched}; set "
                                    f"{ENV_VAR} to choose one). {DOWNLOAD_HINT}.")
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: no such MNIST directory; expected one holding "
                                f"{', '.join(MNIST_FILES.values())}. {DOWNLOAD_HINT}.")
    return directory


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
