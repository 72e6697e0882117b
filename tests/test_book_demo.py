"""The main demo, `python -m tinygrad_like.book`: runs, prints the comparison table, every row matches."""
import os
import subprocess
import sys
from pathlib import Path

from tinygrad_like.book import figures
from tinygrad_like.book.__main__ import print_table
from tinygrad_like.book._common import Row

ROOT = Path(__file__).resolve().parents[1]


def test_demo_without_mnist(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-m", "tinygrad_like.book", "--no-mnist", "--no-progress",
                             "--titanic", str(ROOT.parent / "shared" / "data" / "titanic" / "train.csv"),
                             "--out", str(tmp_path / "figs")],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "network" in out and "the book's figure" in out and "match" in out
    assert "ch6 streetlight 3-4-1 ReLU" in out and "Error:1.50556226651e-05" in out
    assert " 0 do not" in out
    assert "--mnist DIR" in out  # says how to add MNIST
    if not figures.have_matplotlib():
        assert figures.PLOT_HINT in out


def test_table_layout():
    import io
    rows = [Row("net", "1.0", "1.0", "yes"), Row("a longer network name", "-", "0.5", "n/a")]
    buffer = io.StringIO()
    print_table(rows, buffer)
    lines = buffer.getvalue().splitlines()
    assert lines[0].split(" | ")[0].strip() == "network"
    bars = {tuple(i for i, c in enumerate(line) if c in "|+") for line in lines}
    assert len(bars) == 1  # the columns line up
    assert [line.split(" | ")[3].strip() for line in lines[2:]] == ["yes", "n/a"]


def test_weight_images_are_pngs_with_or_without_matplotlib(tmp_path):
    import numpy as np
    figures.write_png(tmp_path / "raw.png", figures.diverging_rgb(np.eye(28) - 0.5))
    figures.save_weight_images(np.random.default_rng(0).normal(size=(10, 784)), tmp_path / "w.png", digits=[2, 1])
    for name in ("raw.png", "w.png"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"IEND\xaeB`\x82")
