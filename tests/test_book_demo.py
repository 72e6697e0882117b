"""The main demo, `python -m tinygrad_like.book`: runs, prints the comparison table, every row matches."""
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_data import write_idx, write_mnist
from tinygrad_like.book import __main__ as demo
from tinygrad_like.book import ch3_prediction, ch4_gradient_descent, ch5_multiple, ch6_streetlight, figures
from tinygrad_like.book._common import STATUSES, Row
from tinygrad_like.book.__main__ import print_table, summary
from tinygrad_like.data import mnist as mnist_module

ROOT = Path(__file__).resolve().parents[1]
FOUR_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def run_demo(*args, cwd, status=0):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-m", "tinygrad_like.book", "--no-progress", *args],
                            cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == status, result.stdout + result.stderr
    return result


def assert_fits_in_100_columns(result):
    for line in (result.stdout + result.stderr).splitlines():
        assert len(line) <= 100, line


def test_demo_without_mnist(tmp_path):
    result = run_demo("--no-mnist", "--out", str(tmp_path / "figs"), cwd=tmp_path)
    out = result.stdout
    assert "network" in out and "the book's figure" in out and "match" in out
    assert "ch6 streetlight 3-4-1 ReLU" in out and "Error:1.50556226651e-05" in out
    assert " 0 do not" in out
    assert "ch8" not in out and "MNIST" not in out  # --no-mnist: neither rows nor a note
    if not figures.have_matplotlib():
        assert figures.PLOT_HINT in out
    assert_fits_in_100_columns(result)


@pytest.mark.mnist
def test_demo_on_mnist_fits_in_100_columns(tmp_path, mnist_dir):
    result = run_demo("--mnist", str(mnist_dir), "--no-figures", cwd=tmp_path)
    assert "ch8 plain I:10" in result.stdout and " 0 do not" in result.stdout
    assert_fits_in_100_columns(result)


@pytest.mark.parametrize("option, given", [("--mnist", "nowhere"), ("--titanic", "nowhere.csv")])
def test_a_path_given_that_holds_no_data_is_a_usage_error(tmp_path, option, given):
    result = run_demo(option, str(tmp_path / given), cwd=tmp_path, status=2)
    error = next(line for line in result.stderr.splitlines() if "error:" in line)
    assert str(tmp_path / given) in error
    if option == "--mnist":
        assert all(name in error for name in FOUR_FILES)
    assert result.stdout == ""  # stopped before running anything


def test_a_truncated_mnist_file_is_reported_and_the_table_finished(tmp_path):
    write_mnist(tmp_path / "mnist")
    images = (tmp_path / "mnist" / "t10k-images-idx3-ubyte").read_bytes()
    write_idx(tmp_path / "mnist" / "t10k-images-idx3-ubyte", images[:-10])
    result = run_demo("--mnist", str(tmp_path / "mnist"), "--no-figures", cwd=tmp_path, status=1)
    out = " ".join(result.stdout.split())  # the note is wrapped
    assert "Traceback" not in result.stderr
    assert "Error:1.50556226651e-05" in out and "rows match" in out  # the rest of the table, and the summary
    assert "truncated IDX file: the header declares shape (2, 28, 28), i.e. 1568 bytes of data, but the file " \
           "holds 1558; re-download or re-extract it" in out
    assert "ch5 and ch8-10 on MNIST | the notebook's tables | - | skipped" in out and "ch8 plain I:0" not in out
    assert_fits_in_100_columns(result)


def test_mnist_env_var_naming_no_mnist_is_reported_with_every_place(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TINYGRAD_LIKE_MNIST", "/nonexistent")
    monkeypatch.delenv("TINYGRAD_LIKE_TITANIC", raising=False)
    monkeypatch.setattr(mnist_module, "_CHECKOUT", tmp_path / "not-a-checkout")
    assert demo.main(["--no-figures", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "MNIST not found. Searched, in order:\n  $TINYGRAD_LIKE_MNIST (/nonexistent): no such directory\n" in out
    words = " ".join(out.split())  # long lines are wrapped
    assert f"~/.tinygrad_like/mnist ({tmp_path / '.tinygrad_like' / 'mnist'}): no such directory" in words
    assert "Titanic train.csv not found" in words
    # the MNIST tables, the post's 73.2% and chapters 11 and 15 on the user's IMDB and Enron files are skipped
    assert "2 have no figure in the source; 4 skipped" in words
    assert max(len(line) for line in out.splitlines()) <= 100


def test_help_lists_the_places_searched(capsys):
    with pytest.raises(SystemExit):
        demo.main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for place in ("$TINYGRAD_LIKE_MNIST", "./data/mnist", "../shared/data/mnist", "~/.tinygrad_like/mnist",
                  "$TINYGRAD_LIKE_TITANIC", "./data/titanic/train.csv", "~/.tinygrad_like/titanic/train.csv"):
        assert place in help_text


def test_summary_counts_each_status_from_the_rows():
    rows = [Row("a", "1", "1", "yes"), Row("b", "1", "1.5", "yes (±1)"), Row("c", "1", "2", "NO"),
            Row("d", "-", "3", "n/a"), Row("e", "73.2%", "-", "skipped")]
    assert summary(rows) == ("2 of 5 rows match; 1 do not; 1 have no figure in the source; "
                             "1 skipped (their data was not found or cannot be read: see below).")
    assert summary(rows[:4]) == "2 of 4 rows match; 1 do not; 1 have no figure in the source."


@pytest.mark.parametrize("module", [ch3_prediction, ch4_gradient_descent, ch5_multiple, ch6_streetlight])
def test_every_row_has_a_known_status(module):
    assert {row.status for row in module.rows()} <= set(STATUSES)


def test_table_layout():
    rows = [Row("net", "1.0", "1.0", "yes"), Row("a longer network name", "-", "0.5", "n/a")]
    buffer = io.StringIO()
    print_table(rows, buffer)
    lines = buffer.getvalue().splitlines()
    assert lines[0].split(" | ")[0].strip() == "network"
    bars = {tuple(i for i, c in enumerate(line) if c in "|+") for line in lines}
    assert len(bars) == 1  # the columns line up
    assert [line.split(" | ")[3].strip() for line in lines[2:]] == ["yes", "n/a"]


def test_long_rows_wrap_within_100_columns_and_keep_every_word():
    book = "Error:5.40820802026e-06 Prediction:0.797674444578"
    rows = [Row("ch5 freezing one weight (frozen parameter): last Weights " * 2, book, book, "yes (±5e-12)"),
            Row("short", "1", "2", "NO")]
    buffer = io.StringIO()
    print_table(rows, buffer)
    lines = buffer.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 100
    assert len({tuple(i for i, c in enumerate(line) if c in "|+") for line in lines}) == 1
    columns = list(zip(*(line.ljust(100).split(" | ") for line in lines[2:-1])))  # the first row's lines
    assert [" ".join(" ".join(cell.strip() for cell in column).split()) for column in columns] == \
        [" ".join(rows[0].network.split()), book, book, "yes (±5e-12)"]
    assert "Prediction:0.797674444578" in buffer.getvalue()  # a word is never cut


def test_weight_images_are_pngs_with_or_without_matplotlib(tmp_path):
    import numpy as np
    figures.write_png(tmp_path / "raw.png", figures.diverging_rgb(np.eye(28) - 0.5))
    figures.save_weight_images(np.random.default_rng(0).normal(size=(10, 784)), tmp_path / "w.png", digits=[2, 1])
    for name in ("raw.png", "w.png"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"IEND\xaeB`\x82")
