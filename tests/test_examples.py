"""Each example script runs as `python examples/<name>.py` and prints its key figure from the sources."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SHARED_DATA = ROOT.parent / "shared" / "data"
MNIST_DIR = SHARED_DATA / "mnist"
TITANIC_CSV = SHARED_DATA / "titanic" / "train.csv"


def run_example(name, *args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, str(EXAMPLES / name), *args], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


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
])
def test_example_prints_the_books_figure(name, expected, tmp_path):
    out = run_example(name, cwd=tmp_path)
    for text in expected:
        assert text in out


@pytest.mark.skipif(not TITANIC_CSV.is_file(), reason=f"Titanic train.csv not found at {TITANIC_CSV}")
def test_titanic_example(tmp_path):
    assert "652/891 = 73.2%" in run_example("alammar_titanic.py", "--titanic", str(TITANIC_CSV), cwd=tmp_path)


@pytest.mark.parametrize("name", ["ch8_mnist.py", "ch5_mnist_weights.py"])
def test_mnist_examples_without_data_say_how_to_get_it(name, tmp_path):
    out = run_example(name, "--mnist", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert "MNIST not found" in out and "download" in out


@pytest.mark.skipif(not MNIST_DIR.is_dir(), reason=f"MNIST not found in {MNIST_DIR}")
def test_ch8_example_first_row(tmp_path):
    out = run_example("ch8_mnist.py", "--mnist", str(MNIST_DIR), "--iterations", "1", cwd=tmp_path)
    assert "I:0 Train-Err:0.722 Train-Acc:0.537 Test-Err:0.601 Test-Acc:0.6488" in out


@pytest.mark.skipif(not MNIST_DIR.is_dir(), reason=f"MNIST not found in {MNIST_DIR}")
def test_ch5_weights_example_writes_pngs(tmp_path):
    out = run_example("ch5_mnist_weights.py", "--mnist", str(MNIST_DIR), "--out", str(tmp_path / "figs"), cwd=tmp_path)
    assert "test accuracy" in out
    assert (tmp_path / "figs" / "ch5_weights_2_and_1.png").read_bytes().startswith(b"\x89PNG")
