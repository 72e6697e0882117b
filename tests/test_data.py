"""Tests of tinygrad_like.data: the IDX/MNIST and Titanic loaders, the embedded data sets, batching."""
import gzip
import hashlib
import os
import struct

import numpy as np
import pytest

from tinygrad_like import Generator, data
from tinygrad_like.data import (DataLoader, Dataset, TensorDataset, book_mnist, default_mnist_dir,
                                default_titanic_csv, find_mnist, find_titanic_csv, load_mnist, load_titanic,
                                mnist_places, read_idx, titanic_places)
from tinygrad_like.data import mnist as mnist_module

FOUR_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


# ---- IDX files ------------------------------------------------------------------------------------
def idx_bytes(array, type_code=0x08):
    """An IDX file's bytes: two zero bytes, type code, number of dimensions, sizes, data."""
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx(path, content, gz=False):
    """Write IDX bytes (or an array, encoded) to `path`, gzipped with a .gz suffix when `gz`."""
    if isinstance(content, np.ndarray):
        content = idx_bytes(content)
    if gz:
        path = path.with_name(path.name + ".gz")
        content = gzip.compress(content)
    path.write_bytes(content)
    return path


def images(count, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(count, 28, 28), dtype=np.uint8)


def write_mnist(directory, train=3, test=2, gz=False):
    """A tiny MNIST directory, returning the arrays written."""
    directory.mkdir(exist_ok=True)
    arrays = {"train-images-idx3-ubyte": images(train, seed=1), "train-labels-idx1-ubyte": np.arange(train) % 10,
              "t10k-images-idx3-ubyte": images(test, seed=2), "t10k-labels-idx1-ubyte": (np.arange(test) + 5) % 10}
    for name, array in arrays.items():
        write_idx(directory / name, array.astype(np.uint8), gz=gz)
    return list(arrays.values())


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trips_raw_and_gzip(tmp_path, gz):
    array = images(4)
    path = write_idx(tmp_path / "images", array, gz=gz)
    result = read_idx(path, ndim=3)
    assert result.dtype == np.uint8 and result.shape == (4, 28, 28)
    np.testing.assert_array_equal(result, array)
    result[0, 0, 0] = 1  # writable, unlike an array over the file's bytes


def test_read_idx_detects_gzip_by_content_not_name(tmp_path):
    labels = np.array([3, 1, 4], dtype=np.uint8)
    path = tmp_path / "labels"  # gzipped, yet without .gz (as some browsers save it)
    path.write_bytes(gzip.compress(idx_bytes(labels)))
    np.testing.assert_array_equal(read_idx(path), labels)


def test_read_idx_reads_any_rank_without_ndim(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "cube", array)), array)


def test_read_idx_wrong_rank_for_expected_magic(tmp_path):
    path = write_idx(tmp_path / "labels", np.zeros(5, dtype=np.uint8))
    with pytest.raises(ValueError) as error:
        read_idx(path, ndim=3)
    message = str(error.value)
    assert str(path) in message and "0x00000801" in message and "expected 0x00000803" in message


def test_read_idx_bad_magic(tmp_path):
    path = tmp_path / "not-idx"
    path.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(ValueError, match="bad magic number 0x504b0304") as error:
        read_idx(path)
    assert str(path) in str(error.value)


def test_read_idx_unsupported_type_code(tmp_path):
    path = write_idx(tmp_path / "floats", idx_bytes(np.zeros(4), type_code=0x0D))
    with pytest.raises(ValueError, match=r"type code 0x0d.*0x08 \(unsigned byte\)") as error:
        read_idx(path, ndim=1)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_truncated_data(tmp_path, gz):
    content = idx_bytes(images(2))[:-10]
    path = write_idx(tmp_path / "images", content, gz=gz)
    with pytest.raises(ValueError) as error:
        read_idx(path, ndim=3)
    message = str(error.value)
    assert str(path) in message and "truncated" in message and "1568 bytes" in message and "1558" in message


def test_read_idx_over_long_data(tmp_path):
    path = write_idx(tmp_path / "labels", idx_bytes(np.arange(5)) + b"\0\0\0")
    with pytest.raises(ValueError, match=r"over-long.*shape \(5,\).*5 bytes.*holds 8") as error:
        read_idx(path, ndim=1)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("content", [b"\0\0", b"\0\0\x08\x03\0\0\0\x02"], ids=["no magic", "short header"])
def test_read_idx_truncated_header(tmp_path, content):
    path = write_idx(tmp_path / "images", content)
    with pytest.raises(ValueError, match="truncated IDX") as error:
        read_idx(path)
    assert str(path) in str(error.value)


def test_read_idx_corrupt_gzip(tmp_path):
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(idx_bytes(images(2)))[:-20])  # the stream is cut off
    with pytest.raises(ValueError, match="corrupt gzip data") as error:
        read_idx(path)
    assert str(path) in str(error.value)


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such IDX file") as error:
        read_idx(tmp_path / "nothing-here")
    assert "nothing-here" in str(error.value)


# ---- load_mnist on synthetic files ----------------------------------------------------------------
@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_synthetic(tmp_path, gz):
    expected = write_mnist(tmp_path / "mnist", gz=gz)
    mnist = load_mnist(tmp_path / "mnist")
    assert mnist._fields == ("train_images", "train_labels", "test_images", "test_labels")
    for array, wanted in zip(mnist, expected):
        assert array.dtype == np.uint8
        np.testing.assert_array_equal(array, wanted)


def test_load_mnist_prefers_the_raw_file(tmp_path):
    directory = tmp_path / "mnist"
    write_mnist(directory, gz=True)
    raw_labels = np.array([9, 9, 9], dtype=np.uint8)
    write_idx(directory / "train-labels-idx1-ubyte", raw_labels)
    np.testing.assert_array_equal(load_mnist(directory).train_labels, raw_labels)


def test_load_mnist_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        load_mnist(tmp_path / "absent")
    message = str(error.value)
    assert f"{tmp_path / 'absent'}: no such directory" in message
    assert all(name in message for name in FOUR_FILES)
    assert "Download the four .gz files" in message


def test_the_download_hint_names_several_sources_and_every_md5():
    hint = mnist_module.DOWNLOAD_HINT
    assert len(mnist_module.MIRRORS) >= 3
    for source in ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/",
                   "http://yann.lecun.com/exdb/mnist/"):
        assert source in hint
    assert set(mnist_module.MNIST_MD5) == set(FOUR_FILES)
    for name, (gz_md5, raw_md5) in mnist_module.MNIST_MD5.items():
        assert f"{name}  {gz_md5}  {raw_md5}".replace(name, name.ljust(23)) in hint
    assert mnist_module.MNIST_MD5["train-images-idx3-ubyte"][0] == "f68b3c2dcbeaaa9fbdd348bbdeb94873"  # torchvision's
    assert max(len(line) for line in hint.splitlines()) <= 100


def test_load_mnist_missing_file(tmp_path):
    directory = tmp_path / "mnist"
    write_mnist(directory)
    (directory / "t10k-images-idx3-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match=r"missing MNIST file\(s\) t10k-images-idx3-ubyte \(") as error:
        load_mnist(directory)
    assert str(directory) in str(error.value) and "Download" in str(error.value)


def test_load_mnist_count_mismatch(tmp_path):
    directory = tmp_path / "mnist"
    write_mnist(directory, train=3)
    write_idx(directory / "train-labels-idx1-ubyte", np.arange(4, dtype=np.uint8))
    with pytest.raises(ValueError, match="holds 3 images but .*train-labels-idx1-ubyte holds 4 labels"):
        load_mnist(directory)


def test_load_mnist_image_size(tmp_path):
    directory = tmp_path / "mnist"
    write_mnist(directory)
    write_idx(directory / "t10k-images-idx3-ubyte", np.zeros((2, 32, 32), dtype=np.uint8))
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte: images of 32x32 pixels, expected MNIST's 28x28"):
        load_mnist(directory)


def test_load_mnist_label_out_of_range(tmp_path):
    directory = tmp_path / "mnist"
    write_mnist(directory)
    write_idx(directory / "t10k-labels-idx1-ubyte", np.array([1, 10], dtype=np.uint8))
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte: label 10 found, expected digits 0-9"):
        load_mnist(directory)


def test_load_mnist_swapped_files_fail_on_magic(tmp_path):
    directory = tmp_path / "mnist"
    write_mnist(directory)
    (directory / "train-images-idx3-ubyte").rename(directory / "kept")
    (directory / "train-labels-idx1-ubyte").rename(directory / "train-images-idx3-ubyte")
    (directory / "kept").rename(directory / "train-labels-idx1-ubyte")
    with pytest.raises(ValueError, match="images-idx3-ubyte: bad magic number 0x00000801, expected 0x00000803"):
        load_mnist(directory)


def test_book_mnist_synthetic(tmp_path):
    train_images, train_labels, test_images, test_labels = write_mnist(tmp_path / "mnist", train=5, test=3)
    x_train, y_train, x_test, y_test = book_mnist(tmp_path / "mnist", n_train=4)
    assert x_train.shape == (4, 784) and x_test.shape == (3, 784)
    assert y_train.shape == (4, 10) and y_test.shape == (3, 10)
    assert all(array.dtype == np.float64 for array in (x_train, y_train, x_test, y_test))
    np.testing.assert_array_equal(x_train, train_images[:4].reshape(4, 784) / 255)
    np.testing.assert_array_equal(y_train.argmax(axis=1), train_labels[:4])
    np.testing.assert_array_equal(y_test.sum(axis=1), 1)
    np.testing.assert_array_equal(y_test.argmax(axis=1), test_labels)


@pytest.mark.parametrize("n_train", [0, 6])
def test_book_mnist_n_train_range(tmp_path, n_train):
    write_mnist(tmp_path / "mnist", train=5)
    with pytest.raises(ValueError, match=f"n_train={n_train}: must be between 1 and 5"):
        book_mnist(tmp_path / "mnist", n_train=n_train)


# ---- where the data is looked for ----------------------------------------------------------------
@pytest.fixture
def isolated_places(tmp_path, monkeypatch):
    """A working directory, home and source checkout with none of the places searched for data."""
    work = tmp_path / "project" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TINYGRAD_LIKE_MNIST", raising=False)
    monkeypatch.delenv("TINYGRAD_LIKE_TITANIC", raising=False)
    monkeypatch.setattr(mnist_module, "_CHECKOUT", tmp_path / "not-a-checkout")
    return tmp_path


def place_labels(places):
    return [label for label, _ in places]


def test_the_places_searched_in_order(isolated_places, monkeypatch):
    assert place_labels(mnist_places()) == ["$TINYGRAD_LIKE_MNIST", "./data/mnist", "../shared/data/mnist",
                                            "~/.tinygrad_like/mnist"]
    checkout = isolated_places / "elsewhere" / "checkout"
    checkout.mkdir(parents=True)
    (checkout / "pyproject.toml").touch()
    monkeypatch.setattr(mnist_module, "_CHECKOUT", checkout)
    beside_checkout = str(isolated_places / "elsewhere" / "shared" / "data" / "mnist")
    assert place_labels(mnist_places())[3] == beside_checkout  # after the current directory's, before home
    assert place_labels(titanic_places()) == ["$TINYGRAD_LIKE_TITANIC", "./data/titanic/train.csv",
                                              "../shared/data/titanic/train.csv",
                                              str(isolated_places / "elsewhere" / "shared" / "data" / "titanic" /
                                                  "train.csv"),
                                              "~/.tinygrad_like/titanic/train.csv"]


def test_find_mnist_none_found_lists_every_place(isolated_places):
    assert default_mnist_dir() is None
    with pytest.raises(FileNotFoundError) as error:
        load_mnist()
    message = str(error.value)
    assert message.startswith("MNIST not found. Searched, in order:\n  $TINYGRAD_LIKE_MNIST: not set\n")
    for label, path in mnist_places()[1:]:
        assert f"  {label} ({os.path.abspath(path)}): no such directory" in message
    assert "Download the four .gz files" in message


def test_a_place_met_twice_is_searched_and_reported_once(isolated_places, monkeypatch):
    checkout = isolated_places / "project" / "work"  # so ../shared/data/mnist is the one beside the checkout
    (checkout / "pyproject.toml").touch()
    monkeypatch.setattr(mnist_module, "_CHECKOUT", checkout)
    assert len(mnist_places()) == 5
    with pytest.raises(FileNotFoundError) as error:
        find_mnist()
    assert str(error.value).count(str(isolated_places / "project" / "shared" / "data" / "mnist")) == 1


def test_find_mnist_order(isolated_places, monkeypatch):
    checkout = isolated_places / "elsewhere" / "checkout"
    checkout.mkdir(parents=True)
    (checkout / "pyproject.toml").touch()
    monkeypatch.setattr(mnist_module, "_CHECKOUT", checkout)
    home = isolated_places / "home" / ".tinygrad_like" / "mnist"
    beside_checkout = isolated_places / "elsewhere" / "shared" / "data" / "mnist"
    shared = isolated_places / "project" / "shared" / "data" / "mnist"
    local = isolated_places / "project" / "work" / "data" / "mnist"
    chosen = isolated_places / "chosen"
    monkeypatch.setenv("TINYGRAD_LIKE_MNIST", str(chosen))
    found = []
    for directory in (home, beside_checkout, shared, local, chosen):  # each new one comes earlier in the order
        directory.mkdir(parents=True)
        assert default_mnist_dir() == (found[-1] if found else None)  # a directory without the files is passed over
        write_mnist(directory)
        found.append(default_mnist_dir())
    assert found == [home, beside_checkout, shared, local, chosen]  # absolute paths
    assert find_mnist(home) == home  # a directory given comes first of all


def test_find_mnist_skips_an_env_directory_without_mnist_and_names_it(isolated_places, monkeypatch):
    monkeypatch.setenv("TINYGRAD_LIKE_MNIST", "/nonexistent")
    with pytest.raises(FileNotFoundError, match=r"\$TINYGRAD_LIKE_MNIST \(/nonexistent\): no such directory"):
        find_mnist()
    empty = isolated_places / "empty"
    empty.mkdir()
    monkeypatch.setenv("TINYGRAD_LIKE_MNIST", str(empty))
    with pytest.raises(FileNotFoundError, match=rf"\$TINYGRAD_LIKE_MNIST \({empty}\): holds no MNIST files"):
        find_mnist()
    local = isolated_places / "project" / "work" / "data" / "mnist"
    local.parent.mkdir()
    write_mnist(local)
    assert default_mnist_dir() == local


@pytest.mark.parametrize("make", ["nothing", "empty directory", "three files"])
def test_find_mnist_given_a_directory_without_mnist_names_it_and_the_four_files(tmp_path, make):
    directory = tmp_path / "mnist"
    if make != "nothing":
        directory.mkdir()
    if make == "three files":
        write_mnist(directory)
        (directory / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError) as error:
        find_mnist(directory)
    first_line = str(error.value).splitlines()[0]
    assert first_line.startswith(f"{directory}: ")
    assert all(name in first_line for name in FOUR_FILES)


def test_load_mnist_uses_the_default_directory(isolated_places, monkeypatch):
    expected = write_mnist(isolated_places / "chosen")
    monkeypatch.setenv("TINYGRAD_LIKE_MNIST", str(isolated_places / "chosen"))
    np.testing.assert_array_equal(load_mnist().test_labels, expected[3])


def test_find_titanic_csv_order_and_report(isolated_places, monkeypatch):
    with pytest.raises(FileNotFoundError) as error:
        load_titanic()
    message = str(error.value)
    assert message.startswith("Titanic train.csv not found. Searched, in order:\n  $TINYGRAD_LIKE_TITANIC: not set\n")
    assert message.count(": no such file") == len(titanic_places()) - 1
    home = isolated_places / "home" / ".tinygrad_like" / "titanic" / "train.csv"
    local = isolated_places / "project" / "work" / "data" / "titanic" / "train.csv"
    chosen = isolated_places / "chosen.csv"
    monkeypatch.setenv("TINYGRAD_LIKE_TITANIC", str(chosen))
    found = []
    for path in (home, local, chosen):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(TITANIC_HEADER + TITANIC_ROWS)
        found.append(default_titanic_csv())
    assert found == [home, local, chosen]
    assert load_titanic().features.shape == (5, 2)


def test_find_titanic_csv_given_a_directory_or_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"{tmp_path}: a directory, not the train.csv file in it"):
        find_titanic_csv(tmp_path)
    with pytest.raises(FileNotFoundError, match=f"{tmp_path / 'train.csv'}: no such file; expected Kaggle's"):
        find_titanic_csv(tmp_path / "train.csv")


# ---- the real MNIST files ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_mnist(mnist_dir):
    return load_mnist(mnist_dir)


def test_real_mnist_files_have_the_published_md5s(mnist_dir):
    """The sums the download hint gives are those of the real files, as downloaded and decompressed."""
    for name, (gz_md5, raw_md5) in mnist_module.MNIST_MD5.items():
        raw, gz = mnist_dir / name, mnist_dir / (name + ".gz")
        if gz.is_file():
            content = gz.read_bytes()
            assert hashlib.md5(content).hexdigest() == gz_md5, gz
            assert hashlib.md5(gzip.decompress(content)).hexdigest() == raw_md5, gz
        if raw.is_file():
            assert hashlib.md5(raw.read_bytes()).hexdigest() == raw_md5, raw


def test_real_mnist_shapes_and_known_values(real_mnist):
    assert [array.shape for array in real_mnist] == [(60000, 28, 28), (60000,), (10000, 28, 28), (10000,)]
    assert all(array.dtype == np.uint8 for array in real_mnist)
    assert real_mnist.train_labels[0] == 5 and real_mnist.test_labels[0] == 7
    assert real_mnist.train_images.min() == 0 and real_mnist.train_images.max() == 255
    # the published class counts
    assert np.bincount(real_mnist.train_labels).tolist() == [5923, 6742, 5958, 6131, 5842,
                                                             5421, 5918, 6265, 5851, 5949]
    assert np.bincount(real_mnist.test_labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_real_book_mnist(real_mnist, mnist_dir):
    x_train, y_train, x_test, y_test = book_mnist(mnist_dir)
    assert x_train.shape == (1000, 784) and y_train.shape == (1000, 10)
    assert x_test.shape == (10000, 784) and y_test.shape == (10000, 10)
    np.testing.assert_array_equal(x_train * 255, real_mnist.train_images[:1000].reshape(1000, 784))
    np.testing.assert_array_equal(y_train.argmax(axis=1), real_mnist.train_labels[:1000])
    np.testing.assert_array_equal(y_test.argmax(axis=1), real_mnist.test_labels)
    assert x_test.max() == 1.0 and x_test.min() == 0.0


# ---- Titanic ----------------------------------------------------------------------------------------
TITANIC_HEADER = "PassengerId,Survived,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n"
TITANIC_ROWS = ('1,0,3,"Braund, Mr. Owen Harris",male,22,1,0,A/5 21171,7.25,,S\n'
                '2,1,1,"Cumings, Mrs. John Bradley",female,38,1,0,PC 17599,71.2833,C85,C\n'
                '3,1,3,"Heikkinen, Miss. Laina",female,,0,0,STON/O2. 3101282,7.925,,S\n'
                '4,0,3,"Allen, Mr. William Henry",male,0.42,0,0,373450,8.05,,S\n'
                '5,0,3,"Moran, Mr. James",male,,0,0,330877,8.4583,,Q\n')


@pytest.fixture
def titanic_csv(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text(TITANIC_HEADER + TITANIC_ROWS)
    return path


@pytest.mark.parametrize("missing_age, filled", [
    ("median", 22.0), ("mean", (22 + 38 + 0.42) / 3), ("zero", 0.0), (31.5, 31.5), (np.float32(2.0), 2.0)])
def test_load_titanic_fills_missing_ages(titanic_csv, missing_age, filled):
    features, survived = load_titanic(titanic_csv, missing_age=missing_age)
    assert features.dtype == np.float64 and survived.dtype == np.float64
    np.testing.assert_allclose(features, [[22, 0], [38, 1], [filled, 1], [0.42, 0], [filled, 0]])
    np.testing.assert_array_equal(survived, [[0], [1], [1], [0], [0]])


def test_load_titanic_default_is_median(titanic_csv):
    np.testing.assert_array_equal(load_titanic(titanic_csv).features, load_titanic(titanic_csv, "median").features)


def test_load_titanic_drop_and_nan(titanic_csv):
    dropped = load_titanic(titanic_csv, missing_age="drop")
    np.testing.assert_array_equal(dropped.features, [[22, 0], [38, 1], [0.42, 0]])
    np.testing.assert_array_equal(dropped.survived, [[0], [1], [0]])
    kept = load_titanic(titanic_csv, missing_age=float("nan"))
    assert np.isnan(kept.features[:, 0]).tolist() == [False, False, True, False, True]


@pytest.mark.parametrize("policy", ["average", None, True, [1.0]])
def test_load_titanic_rejects_unknown_policies(titanic_csv, policy):
    with pytest.raises(ValueError, match="expected one of drop, mean, median, zero or a number"):
        load_titanic(titanic_csv, missing_age=policy)


def test_load_titanic_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file; expected Kaggle's Titanic train.csv") as error:
        load_titanic(tmp_path / "train.csv")
    assert str(tmp_path / "train.csv") in str(error.value)


def test_load_titanic_missing_columns(tmp_path):
    path = tmp_path / "test.csv"  # Kaggle's test.csv has no Survived column
    path.write_text("PassengerId,Pclass,Name,Sex,SibSp\n892,3,\"Kelly, Mr. James\",male,0\n")
    with pytest.raises(ValueError, match=r"missing column\(s\) Survived, Age; found \['PassengerId'") as error:
        load_titanic(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("row, problem", [
    ('6,0,3,"X",M,30,0,0,1,1,,S', "line 7: Sex 'M', expected 'male' or 'female'"),
    ('6,0,3,"X",male,thirty,0,0,1,1,,S', "line 7: Age 'thirty' is not a number"),
    ('6,,3,"X",male,30,0,0,1,1,,S', "line 7: Survived '', expected 0 or 1"),
])
def test_load_titanic_bad_values_name_the_line(titanic_csv, row, problem):
    titanic_csv.write_text(TITANIC_HEADER + TITANIC_ROWS + row + "\n")
    with pytest.raises(ValueError, match=problem):
        load_titanic(titanic_csv)


def test_load_titanic_without_any_age(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("Survived,Sex,Age\n1,female,\n")
    with pytest.raises(ValueError, match="no known ages, so missing_age='mean' has nothing to average"):
        load_titanic(path, missing_age="mean")
    np.testing.assert_array_equal(load_titanic(path, missing_age="zero").features, [[0, 1]])


def test_real_titanic_counts(titanic_train_csv):
    features, survived = load_titanic(titanic_train_csv, missing_age=float("nan"))
    assert features.shape == (891, 2) and survived.shape == (891, 1)
    assert np.isnan(features[:, 0]).sum() == 177
    assert features[:, 1].sum() == 314 and survived.sum() == 342  # women; survivors
    np.testing.assert_array_equal(features[:3], [[22, 0], [38, 1], [26, 1]])  # the post's first rows
    assert load_titanic(titanic_train_csv, missing_age="drop").features.shape == (714, 2)
    assert np.count_nonzero(load_titanic(titanic_train_csv).features[:, 0] == 28.0) == 177 + 25  # median 28


def test_real_titanic_reproduces_the_posts_accuracy(titanic_train_csv):
    """The post's weights score 73.20% = 213/291 on the rows after its 600 training rows when
    passengers without an age are predicted not to survive (nan ages); a fill scores 215/291."""
    def held_out_correct(missing_age):
        features, survived = load_titanic(titanic_train_csv, missing_age=missing_age)
        logits = features @ data.TITANIC_POST_WEIGHTS + data.TITANIC_POST_BIAS
        with np.errstate(invalid="ignore"):
            predicted = 1 / (1 + np.exp(-logits)) > 0.5
        correct = predicted == survived[:, 0].astype(bool)
        return int(correct[data.TITANIC_POST_TRAIN_ROWS:].sum())

    assert held_out_correct(float("nan")) == 213 and round(213 / 291, 4) == 0.7320
    assert held_out_correct("median") == held_out_correct("zero") == 215


# ---- embedded data sets: the seeds' own numbers come out of them -----------------------------------
EMBEDDED_ARRAYS = [name for name in data.embedded.__all__ if isinstance(getattr(data, name), np.ndarray)]


@pytest.mark.parametrize("name", EMBEDDED_ARRAYS)
def test_embedded_arrays_are_read_only_float64(name):
    array = getattr(data, name)
    assert array.dtype == np.float64
    with pytest.raises(ValueError, match="read-only"):
        array[(0,) * array.ndim] = 42.0


def test_embedded_baseball_tables():
    np.testing.assert_array_equal(data.BASEBALL_INPUTS, [[8.5, 0.65, 1.2], [9.5, 0.8, 1.3], [9.9, 0.8, 0.5],
                                                         [9.0, 0.9, 1.0]])
    np.testing.assert_array_equal(data.BASEBALL_TARGETS, [[0.1, 1, 0.1], [0, 1, 0], [0, 0, 0.1], [0.1, 1, 0.2]])


def test_chapter3_predictions():
    first_game = data.BASEBALL_INPUTS[0]
    assert data.CH3_NUMBER_OF_TOES[0] * data.CH3_WEIGHT == pytest.approx(0.85)
    assert first_game @ data.CH3_MULTI_INPUT_WEIGHTS == pytest.approx(0.98)
    np.testing.assert_allclose(data.WLREC[0] * data.MULTI_OUTPUT_WEIGHTS, [0.195, 0.13, 0.585])  # the table
    np.testing.assert_allclose(data.MULTI_IO_WEIGHTS @ first_game, [0.555, 0.98, 0.965])
    hidden = data.CH3_INPUT_HIDDEN_WEIGHTS @ first_game
    np.testing.assert_allclose(data.CH3_HIDDEN_PREDICTION_WEIGHTS @ hidden, [0.2135, 0.145, 0.5065])


def gradient_descent_predictions(problem):
    weight, predictions = problem.weight, []
    for _ in range(problem.iterations):
        prediction = problem.input * weight
        predictions.append(prediction)
        weight -= problem.step * (prediction - problem.goal_pred) * problem.input
    return predictions


@pytest.mark.parametrize("problem, first, last", [
    (data.CH4_GRADIENT_DESCENT, [0.25, 0.3875, 0.490625], [0.79586567925, 0.796899259437, 0.797674444578]),
    (data.CH4_DIVERGENCE, [1.0, 0.2, 2.6], [-25828031.8, 77484098.6, -232452292.6]),
    (data.CH4_ALPHA, [1.0, 0.92, 0.872], [0.800033853319, 0.800020311991, 0.800012187195]),
], ids=["gradient descent", "divergence", "alpha"])
def test_chapter4_gradient_descent_prints(problem, first, last):
    predictions = gradient_descent_predictions(problem)
    np.testing.assert_allclose(predictions[:3] + predictions[-3:], first + last, rtol=1e-11)


def test_chapter4_overshoot():
    assert gradient_descent_predictions(data.CH4_OVERSHOOT)[:2] == pytest.approx([0.0, 0.968])


def test_chapter4_hot_and_cold_reaches_the_goal():
    problem, weight = data.CH4_HOT_AND_COLD, data.CH4_HOT_AND_COLD.weight
    for _ in range(problem.iterations):
        prediction = problem.input * weight
        up_error = (problem.goal_pred - problem.input * (weight + problem.step)) ** 2
        down_error = (problem.goal_pred - problem.input * (weight - problem.step)) ** 2
        weight += problem.step if up_error < down_error else -problem.step
    assert (prediction - problem.goal_pred) ** 2 == pytest.approx(1.07995057925e-27, rel=1e-9)


def test_chapter4_and_5_first_game_deltas():
    single = data.CH4_FIRST_GAME
    assert single.input * (single.input * single.weight - single.goal_pred) == pytest.approx(-1.275)
    first_game = data.BASEBALL_INPUTS[0]
    delta = first_game @ data.CH5_MULTI_INPUT_WEIGHTS - data.WIN[0]
    assert delta == pytest.approx(-0.14)
    np.testing.assert_allclose(delta * first_game, [-1.19, -0.091, -0.168])  # printed without the minus


def test_chapter6_streetlights_errors():
    weights, errors = data.CH6_WEIGHTS.copy(), []
    for _ in range(40):
        errors.append(0.0)
        for lights, walk in zip(data.STREETLIGHTS, data.WALK_VS_STOP):
            prediction = lights @ weights
            errors[-1] += (walk - prediction) ** 2
            weights -= 0.1 * lights * (prediction - walk)
    np.testing.assert_allclose(errors[:2] + errors[-2:], [2.6561231104, 0.962870177672, 0.000614343567483,
                                                          0.000533736773285], rtol=1e-11)
    assert np.argmax(weights) == 1  # the middle light


def test_chapter6_deep_network_errors():
    """The 3-layer network's printed errors, with the book's seed and initialisation."""
    np.random.seed(1)
    weights_0_1 = 2 * np.random.random((3, 4)) - 1
    weights_1_2 = 2 * np.random.random((4, 1)) - 1
    printed = []
    for iteration in range(60):
        error = 0.0
        for i in range(len(data.DEEP_STREETLIGHTS)):
            layer_0, goal = data.DEEP_STREETLIGHTS[i:i + 1], data.DEEP_WALK_VS_STOP[i:i + 1]
            layer_1 = np.maximum(layer_0 @ weights_0_1, 0)
            layer_2 = layer_1 @ weights_1_2
            error += np.sum((layer_2 - goal) ** 2)
            layer_2_delta = layer_2 - goal
            layer_1_delta = layer_2_delta @ weights_1_2.T * (layer_1 > 0)
            weights_1_2 -= 0.2 * layer_1.T @ layer_2_delta
            weights_0_1 -= 0.2 * layer_0.T @ layer_1_delta
        if iteration % 10 == 9:
            printed.append(error)
    np.testing.assert_allclose(printed, [0.634231159844, 0.358384076763, 0.0830183113303, 0.0064670549571,
                                         0.000329266900075, 1.50556226651e-05], rtol=1e-10)


def test_deep_streetlights_have_no_single_light_correlation():
    walk = data.DEEP_WALK_VS_STOP[:, 0]
    for light in data.DEEP_STREETLIGHTS.T:
        assert light.std() == 0 or abs(np.corrcoef(light, walk)[0, 1]) < 1e-12
    np.testing.assert_array_equal(walk, np.logical_xor(data.DEEP_STREETLIGHTS[:, 0], data.DEEP_STREETLIGHTS[:, 1]))


def test_alammar_house_prices():
    assert data.HOUSE_PRICES.sum() / data.HOUSE_AREAS.sum() == pytest.approx(180, abs=0.05)  # "$180 per sq ft"
    errors = data.HOUSE_AREAS * data.HOUSE_PRICE_PER_SQFT - data.HOUSE_PRICES / 1000
    np.testing.assert_allclose(np.round(errors ** 2), [449, 1756, 3969])  # the post's error table
    assert round(np.mean(errors ** 2)) == 2058
    np.testing.assert_array_equal(data.HOUSES_AREA_BATHROOMS[:3, 0], data.HOUSE_AREAS)  # the first 3 houses
    np.testing.assert_array_equal(data.HOUSES_PRICES[:3], data.HOUSE_PRICES)
    assert data.HOUSES_AREA_BATHROOMS.shape == (10, 2) and data.HOUSES_GOOD.sum() == 7


def test_alammar_softmax_table():
    for logits, printed in data.SOFTMAX_TABLE:
        softmax = np.exp(logits) / np.exp(logits).sum()
        if logits.tolist() == [1, 0, 1]:  # the printed values are softmax([0, 1, 2])
            softmax = np.exp([0, 1, 2]) / np.exp([0, 1, 2]).sum()
        np.testing.assert_allclose(printed, softmax, atol=0.01)


# ---- Dataset, TensorDataset, DataLoader -------------------------------------------------------------
def features_and_labels(size=10):
    return np.arange(size * 2, dtype=np.float64).reshape(size, 2), np.arange(size) % 3


def test_tensor_dataset_indexing():
    x, y = features_and_labels()
    dataset = TensorDataset(x, y)
    assert len(dataset) == 10
    item = dataset[3]
    assert isinstance(item, tuple) and len(item) == 2
    np.testing.assert_array_equal(item[0], x[3])
    assert item[1] == y[3]


def test_tensor_dataset_size_mismatch():
    with pytest.raises(ValueError, match=r"same size in their first dimension, got sizes \[10, 9\]"):
        TensorDataset(np.zeros((10, 2)), np.zeros(9))


@pytest.mark.parametrize("arguments, error, message", [
    ((), ValueError, "at least one"),
    ((np.float64(1.0),), TypeError, "argument 0 is a float64; expected numpy arrays or Tensors"),
    ((np.zeros(3), [1, 2, 3]), TypeError, "argument 1 is a list"),
    ((np.array(1.0),), ValueError, "argument 0 is 0-dimensional"),
])
def test_tensor_dataset_rejects_bad_arguments(arguments, error, message):
    with pytest.raises(error, match=message):
        TensorDataset(*arguments)


@pytest.mark.parametrize("drop_last, sizes", [(False, [3, 3, 3, 1]), (True, [3, 3, 3])])
def test_data_loader_batches_in_order(drop_last, sizes):
    x, y = features_and_labels()
    loader = DataLoader(TensorDataset(x, y), batch_size=3, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(batches) == len(sizes)
    assert [len(batch_x) for batch_x, _ in batches] == sizes
    count = sum(sizes)
    np.testing.assert_array_equal(np.concatenate([batch_x for batch_x, _ in batches]), x[:count])
    np.testing.assert_array_equal(np.concatenate([batch_y for _, batch_y in batches]), y[:count])


@pytest.mark.parametrize("size, batch_size, drop_last, expected", [
    (10, 5, False, 2), (10, 5, True, 2), (11, 5, False, 3), (11, 5, True, 2), (4, 5, True, 0), (0, 5, False, 0)])
def test_data_loader_len(size, batch_size, drop_last, expected):
    loader = DataLoader(TensorDataset(np.zeros((size, 1))), batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == expected == len(list(loader))


def test_data_loader_batches_are_copies():
    x, _ = features_and_labels()
    (batch,) = next(iter(DataLoader(TensorDataset(x), batch_size=4)))
    batch[:] = -1
    assert x.min() == 0


def seeded(seed):
    return Generator().manual_seed(seed)


def epoch_orders(loader, epochs=3):
    """Per epoch, the order of the dataset's rows (labels are the row numbers)."""
    return [np.concatenate([batch_y for _, batch_y in loader]).tolist() for _ in range(epochs)]


def test_data_loader_shuffle_is_reproducible_and_new_each_epoch():
    x, y = np.arange(20, dtype=np.float64)[:, None] * 10, np.arange(20)
    orders = epoch_orders(DataLoader(TensorDataset(x, y), batch_size=6, shuffle=True, generator=seeded(7)))
    assert orders == epoch_orders(DataLoader(TensorDataset(x, y), batch_size=6, shuffle=True, generator=seeded(7)))
    assert orders != epoch_orders(DataLoader(TensorDataset(x, y), batch_size=6, shuffle=True, generator=seeded(8)))
    assert all(sorted(order) == list(range(20)) for order in orders)  # every row once per epoch
    assert orders[0] != orders[1] and orders[1] != orders[2] and orders[0] != list(range(20))
    for batch_x, batch_y in DataLoader(TensorDataset(x, y), batch_size=6, shuffle=True, generator=seeded(7)):
        np.testing.assert_array_equal(batch_x[:, 0], batch_y * 10)  # rows stay paired


class Squares(Dataset):
    """A data set computed per item, as (features, label) pairs."""

    def __init__(self, size):
        self.size = size

    def __getitem__(self, index):
        return np.array([index, index ** 2], dtype=np.float64), index % 2

    def __len__(self):
        return self.size


def test_data_loader_stacks_items_of_other_datasets():
    batches = list(DataLoader(Squares(5), batch_size=2))
    assert len(batches) == 3
    features, labels = batches[1]
    np.testing.assert_array_equal(features, [[2, 4], [3, 9]])
    np.testing.assert_array_equal(labels, [0, 1])
    np.testing.assert_array_equal(batches[2][0], [[4, 16]])


def test_data_loader_respects_an_overridden_getitem():
    class Doubled(TensorDataset):
        def __getitem__(self, index):
            assert isinstance(index, int)  # item by item, as a Dataset
            return tuple(2 * value for value in super().__getitem__(index))

    (batch,) = next(iter(DataLoader(Doubled(np.arange(6.0)), batch_size=4)))
    np.testing.assert_array_equal(batch, [0, 2, 4, 6])


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True, None])
def test_data_loader_rejects_bad_batch_sizes(batch_size):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DataLoader(Squares(3), batch_size=batch_size)


def test_dataset_base_class_requires_the_protocol():
    with pytest.raises(NotImplementedError, match="Dataset must define __len__"):
        len(Dataset())


def test_data_loader_over_tensors():
    Tensor = pytest.importorskip("tinygrad_like.tensor").Tensor
    x, y = features_and_labels(7)
    dataset = TensorDataset(Tensor(x), Tensor(y.astype(np.float64)))
    item_x, item_y = dataset[2]
    assert isinstance(item_x, Tensor) and isinstance(item_y, Tensor)
    np.testing.assert_array_equal(item_x.numpy(), x[2])
    batches = list(DataLoader(dataset, batch_size=3, shuffle=True, generator=seeded(0)))
    assert [batch_x.shape for batch_x, _ in batches] == [(3, 2), (3, 2), (1, 2)]
    for batch_x, batch_y in batches:
        assert isinstance(batch_x, Tensor) and isinstance(batch_y, Tensor)
        assert batch_x.dtype == np.float64 and not batch_x.requires_grad
        np.testing.assert_array_equal(batch_x.numpy(), x[(batch_x.numpy()[:, 0] / 2).astype(int)])
        np.testing.assert_array_equal(batch_y.numpy(), y[(batch_x.numpy()[:, 0] / 2).astype(int)])


def test_data_loader_stacks_tensor_items():
    Tensor = pytest.importorskip("tinygrad_like.tensor").Tensor

    class TensorSquares(Squares):
        def __getitem__(self, index):
            features, label = super().__getitem__(index)
            return Tensor(features), label

    features, labels = next(iter(DataLoader(TensorSquares(3), batch_size=3)))
    assert isinstance(features, Tensor) and isinstance(labels, Tensor)  # Python ints too, as in PyTorch
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(features.numpy(), [[0, 0], [1, 1], [2, 4]])
