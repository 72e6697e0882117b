"""Each example script runs as `python examples/<name>.py` and prints its key figure from the sources.

A fresh interpreter per run costs about half a second, so the script runs are marked `slow` (CI runs
them with `-m slow`; the runs on MNIST are marked `mnist`); the book modules they call are tested in
process in the test_book_* files."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_data import write_idx, write_mnist
from tinygrad_like.book import ch5_mnist_weights, ch8_mnist, ch9_mnist, ch10_mnist
from tinygrad_like.data import mnist as mnist_module

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
FOUR_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def run_example(name, *args, cwd, status=0):
    """The script's output; its exit status must be `status` (its stdout is then returned, or the whole
    result when `status` is not 0)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, str(EXAMPLES / name), *args], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == status, result.stdout + result.stderr
    return result.stdout if status == 0 else result


@pytest.mark.parametrize("name, expected", [
    ("ch3_prediction.py", ["one input: 0.85", "predicting on predictions: [0.2135, 0.145, 0.5065]"]),
    ("ch4_gradient_descent.py", ["Error:1.07995057925e-27 Prediction:0.8",
                                 "Error:5.40820802026e-06 Prediction:0.797674444578",
                                 "Error:5.40340687069e+16 Prediction:-232452292.6",
                                 "Error:1.48527717099e-10 Prediction:0.800012187195"]),
    ("ch5_multiple.py", ["Weight_Deltas:\n[-1.189999999999999, -0.09099999999999994, -0.16799999999999987]",
                         "Weights:[0.293825, 0.25655, 0.868475]"]),
    ("ch6_streetlight.py", ["Error:2.6561231104", "Error:0.634231159844", "Error:1.50556226651e-05"]),
    ("alammar_houses.py", ["Average: 2,058", "MSE = 447.29"]),
    pytest.param("ch11_embeddings.py", ["Sent Encoding:[1 1 0 1]"], marks=pytest.mark.slow),
    pytest.param("ch13_framework.py", ["[0.58128304]", "[0.00889602]", "[1.06372865]", "[0.07387834]",
                                       "1.38850324349284", "[2. 2. 2. 2. 2.]"], marks=pytest.mark.slow),
    pytest.param("ch15_federated.py", ["\tLoss:0.0005", "The Answer: 8"], marks=pytest.mark.slow),
])
@pytest.mark.slow
def test_example_prints_the_books_figure(name, expected, tmp_path):
    out = run_example(name, cwd=tmp_path)
    for text in expected:
        assert text in out


def table(out):
    """The rows of numbers an example prints under its header line."""
    rows = [line.split() for line in out.splitlines()[1:]]
    return [[float(cell) for cell in cells] for cells in rows if cells and cells[0].isdigit()]


@pytest.mark.slow
def test_gradient_penalty_example_brings_the_generator_to_the_data(tmp_path):
    rows = table(run_example("gradient_penalty.py", cwd=tmp_path))
    estimates, penalties, gaps = ([row[i] for row in rows] for i in (1, 2, 3))
    assert gaps[-1] < gaps[0] / 10  # the generator's mean moved onto the data's
    assert estimates[-1] < max(estimates) / 5  # the critic's Wasserstein estimate rose, then fell with the gap
    assert max(penalties[1:]) < 0.01  # the penalty keeps the critic's input gradients near norm 1


@pytest.mark.slow
def test_newton_example_converges_quadratically(tmp_path):
    out = run_example("newton.py", cwd=tmp_path)
    norms = [row[2] for row in table(out)]
    assert len(norms) <= 8 and norms[-1] < 1e-12
    assert all(later < earlier ** 1.5 for earlier, later in zip(norms[2:], norms[3:]))  # roughly squared each step
    assert "weights: [" in out


@pytest.mark.slow
def test_maml_example_learns_to_adapt_in_one_step(tmp_path):
    rows = table(run_example("maml.py", cwd=tmp_path))
    first, last = rows[0], rows[-1]
    assert last[0] == 1000
    assert last[2] < first[2] / 5  # after one inner step on held-out tasks
    assert last[2] < last[1] / 3  # the step itself does the work: before it, no curve fits every task


@pytest.mark.slow
def test_titanic_example(tmp_path, titanic_train_csv):
    assert "652/891 = 73.2%" in run_example("alammar_titanic.py", "--titanic", str(titanic_train_csv), cwd=tmp_path)


@pytest.mark.slow
def test_titanic_example_given_a_missing_file_is_a_usage_error(tmp_path):
    result = run_example("alammar_titanic.py", "--titanic", str(tmp_path / "nowhere.csv"), cwd=tmp_path, status=2)
    assert f"{tmp_path / 'nowhere.csv'}: no such file" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ch8_mnist.py", "ch9_mnist.py", "ch10_mnist.py", "ch5_mnist_weights.py"])
def test_mnist_examples_given_a_directory_without_mnist_stop_with_a_usage_error(name, tmp_path):
    result = run_example(name, "--mnist", str(tmp_path / "nowhere"), cwd=tmp_path, status=2)
    first_line = next(line for line in result.stderr.splitlines() if "error:" in line)
    assert str(tmp_path / "nowhere") in first_line and all(file in first_line for file in FOUR_FILES)
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/" in result.stderr and result.stdout == ""


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ch8_mnist.py", "ch5_mnist_weights.py"])
def test_mnist_examples_report_a_truncated_file_without_a_traceback(name, tmp_path):
    write_mnist(tmp_path / "mnist")
    images = (tmp_path / "mnist" / "train-images-idx3-ubyte").read_bytes()
    write_idx(tmp_path / "mnist" / "train-images-idx3-ubyte", images[:-100])
    result = run_example(name, "--mnist", str(tmp_path / "mnist"), cwd=tmp_path, status=1)
    assert "truncated IDX file" in result.stderr and "re-download or re-extract" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("module", [ch8_mnist, ch9_mnist, ch10_mnist, ch5_mnist_weights])
def test_mnist_examples_without_data_anywhere_list_every_place_searched(module, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TINYGRAD_LIKE_MNIST", str(tmp_path / "typo"))
    monkeypatch.setattr(mnist_module, "_CHECKOUT", tmp_path / "not-a-checkout")
    with pytest.raises(SystemExit) as exit_:
        module.main([])
    assert exit_.value.code == 1
    message = capsys.readouterr().err
    assert f"$TINYGRAD_LIKE_MNIST ({tmp_path / 'typo'}): no such directory" in message
    for label, _ in mnist_module.mnist_places()[1:]:
        assert f"  {label} (" in message
    assert "--mnist DIR" in message


@pytest.mark.slow
@pytest.mark.parametrize("name, variable, data", [("ch8_mnist.py", "$TINYGRAD_LIKE_MNIST", "mnist"),
                                                   ("ch5_mnist_weights.py", "$TINYGRAD_LIKE_MNIST", "mnist"),
                                                   ("alammar_titanic.py", "$TINYGRAD_LIKE_TITANIC", "titanic/train.csv")])
def test_help_lists_the_places_searched(name, variable, data, tmp_path):
    help_text = " ".join(run_example(name, "--help", cwd=tmp_path).split())  # argparse wraps the lines
    for place in (variable, f"./data/{data}", f"../shared/data/{data}", f"~/.tinygrad_like/{data}"):
        assert place in help_text
    assert "default_mnist_dir" not in help_text  # a function's name tells a user nothing


@pytest.mark.slow
def test_ch8_help_gives_the_defaults_it_uses_and_documents_full(tmp_path):
    help_text = " ".join(run_example("ch8_mnist.py", "--help", cwd=tmp_path).split())
    assert "--full" in help_text and "350 iterations for plain" in help_text
    assert "default: 11 for plain, 11 for dropout, 1 for batch" in help_text  # what a run without options does


@pytest.mark.mnist
def test_ch8_example_first_row(tmp_path, mnist_dir):
    out = run_example("ch8_mnist.py", "--mnist", str(mnist_dir), "--iterations", "1", cwd=tmp_path)
    assert "I:0 Train-Err:0.722 Train-Acc:0.537 Test-Err:0.601 Test-Acc:0.6488" in out


@pytest.mark.mnist
def test_ch8_example_runs_the_first_rows_by_default(tmp_path, mnist_dir):
    title, *rows, timing = run_example("ch8_mnist.py", "--mnist", str(mnist_dir), cwd=tmp_path).splitlines()
    assert rows == [" I:0 Train-Err:0.722 Train-Acc:0.537 Test-Err:0.601 Test-Acc:0.6488",
                    " I:10 Train-Err:0.312 Train-Acc:0.901 Test-Err:0.420 Test-Acc:0.8114"]


@pytest.mark.slow
def test_ch5_weights_example_writes_pngs(tmp_path, mnist_dir):
    out = run_example("ch5_mnist_weights.py", "--mnist", str(mnist_dir), "--out", str(tmp_path / "figs"), cwd=tmp_path)
    assert "test accuracy" in out
    assert (tmp_path / "figs" / "ch5_weights_2_and_1.png").read_bytes().startswith(b"\x89PNG")
