"""`python -m tinygrad_like.book`: every network of the book and the posts, the source's figures beside ours.

Runs chapters 3-6 and Alammar's posts (seconds), then chapter 8 on MNIST when the files are found
(`--mnist DIR`, or `tinygrad_like.data.default_mnist_dir()`): by default only the first rows of each
of the notebook's tables (I:0 and I:10; I:0 for the mini-batch net), about half a minute; `--full`
runs the whole tables (350 / 300 iterations: several minutes each; BLAS runs on one thread during them). Prints one table
(network | the book's figure | ours | match) and saves PNGs into `--out` (default ./book_figures):
learning curves, the chapter 5 weight images and a diagram of each network (matplotlib and tqdm are
the optional extra `pip install 'tinygrad_like[plot]'`).
"""
import argparse
import re
import sys
import time
from pathlib import Path

from tinygrad_like import nn
from tinygrad_like.book import (alammar_houses, alammar_titanic, ch3_prediction, ch4_gradient_descent, ch5_mnist_weights,
                                ch5_multiple, ch6_streetlight, ch8_mnist, figures)
from tinygrad_like.book._common import Row
from tinygrad_like.data import book_mnist, default_mnist_dir
from tinygrad_like.data.mnist import DOWNLOAD_HINT

QUICK_ITERATIONS = {"plain": 11, "dropout": 11, "batch": 1}  # rows I:0 and I:10 (I:0 for batch)


def _fields(line):
    """'I:10 Train-Err:0.312 Train-Acc:0.901 ...' -> 'train 0.312 0.901 | test 0.420 0.8114'."""
    values = dict(re.findall(r"([A-Za-z-]+):(\S+)", line))
    return (f"train {values['Train-Err']} {values['Train-Acc']} | test {values['Test-Err']} {values['Test-Acc']}")


def ch8_rows(data, full, progress):
    """Rows comparing our chapter 8 runs with the notebook's tables; also returns the runs (for curves)."""
    rows, runs = [], {}
    for kind in ("plain", "dropout", "batch"):
        start = time.time()
        result = ch8_mnist.run(kind, "book", data, iterations=None if full else QUICK_ITERATIONS[kind],
                               progress=progress)
        runs[(kind, "book")] = result
        book_table = ch8_mnist.BOOK_TABLES[kind]
        ours = [ch8_mnist.format_row(kind, row) for row in result]
        identical = sum(book == mine for book, mine in zip(book_table, ours))
        shown = range(len(ours)) if not full else sorted({0, 1, len(ours) - 1})
        for index in shown:
            rows.append(Row(f"ch8 {kind} I:{result[index].iteration}", _fields(book_table[index]), _fields(ours[index]),
                            "yes" if book_table[index] == ours[index] else "NO"))
        if full:
            rows.append(Row(f"ch8 {kind}: whole table", f"{len(book_table)} rows", f"{identical} identical",
                            "yes" if identical == len(book_table) == len(ours) else "NO"))
        print(f"  ch8 {kind}: {len(ours)} row(s) in {time.time() - start:.1f} s", file=sys.stderr)
    start = time.time()
    result = ch8_mnist.run("plain", "true", data, iterations=None if full else QUICK_ITERATIONS["plain"],
                           progress=progress)
    runs[("plain", "true")] = result
    reference = {int(re.match(r"I:(\d+)", line).group(1)): line for line in ch8_mnist.TRUE_RELU_REFERENCE["plain"]}
    for row in result:
        if row.iteration in reference:
            mine = ch8_mnist.format_row("plain", row)
            rows.append(Row(f"ch8 plain, true nn.ReLU I:{row.iteration}", "numpy ref: " + _fields(reference[row.iteration]),
                            _fields(mine), "yes (no book figure)" if mine == reference[row.iteration] else "NO"))
    print(f"  ch8 plain with nn.ReLU: {time.time() - start:.1f} s", file=sys.stderr)
    return rows, runs


def print_table(rows, out=sys.stdout):
    headers = ("network", "the book's figure", "ours", "match")
    widths = [max(len(headers[i]), *(len(str(row[i])) for row in rows)) for i in range(4)]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths))
    print(line, file=out)
    print("-+-".join("-" * w for w in widths), file=out)
    for row in rows:
        print(" | ".join(str(value).ljust(w) for value, w in zip(row, widths)), file=out)


def diagrams():
    """(title, model, number of inputs, file name) for every network."""
    return [
        ("ch3 predicting on predictions", ch3_prediction.hidden_network(), 3, "diagram_ch3_hidden.png"),
        ("ch4 one weight", ch4_gradient_descent.one_weight_network(0.5), 1, "diagram_ch4_one_weight.png"),
        ("ch5 multiple inputs & outputs", ch3_prediction.multi_io_network(), 3, "diagram_ch5_multi_io.png"),
        ("ch5 MNIST weights", ch5_mnist_weights.network(), 784, "diagram_ch5_mnist.png"),
        ("ch6 streetlight", ch6_streetlight.deep_network(*ch6_streetlight.book_weights()), 3, "diagram_ch6_streetlight.png"),
        ("ch8 3-layer net", ch8_mnist.build("plain"), 784, "diagram_ch8_plain.png"),
        ("ch8 dropout / mini-batch net", ch8_mnist.build("dropout"), 784, "diagram_ch8_dropout.png"),
        ("Alammar: houses, two features", nn.Linear(2, 1), 2, "diagram_alammar_houses.png"),
        ("Alammar: good/bad house classifier", nn.Sequential(nn.Linear(2, 2), nn.Softmax(dim=1)), 2,
         "diagram_alammar_classifier.png"),
        ("Alammar: Titanic", alammar_titanic.post_model(), 2, "diagram_alammar_titanic.png"),
        ("Titanic with a hidden ReLU layer", nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid()), 2,
         "diagram_titanic_hidden.png"),
    ]


def _limit_blas_threads():
    """One BLAS thread if threadpoolctl is installed: the book's small products only lose from threads."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(1)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tinygrad_like.book", description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", help="MNIST directory (default: tinygrad_like.data.default_mnist_dir())")
    parser.add_argument("--no-mnist", action="store_true", help="skip the chapter 5 and 8 MNIST networks")
    parser.add_argument("--full", action="store_true", help="run chapter 8's whole tables (several minutes per table)")
    parser.add_argument("--titanic", help="Kaggle's Titanic train.csv (default: $TINYGRAD_LIKE_TITANIC, "
                                          "./data/titanic/train.csv or ../shared/data/titanic/train.csv)")
    parser.add_argument("--out", default="book_figures", help="directory for the PNG figures (default ./book_figures)")
    parser.add_argument("--no-figures", action="store_true", help="write no PNGs")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    started = time.time()
    _limit_blas_threads()

    rows = []
    for module in (ch3_prediction, ch4_gradient_descent, ch5_multiple, ch6_streetlight, alammar_houses):
        rows += module.rows()
    rows += alammar_titanic.rows(args.titanic)

    notes, runs, mnist_model = [], {}, None
    directory = None if args.no_mnist else (args.mnist or default_mnist_dir())
    data = None
    if directory is not None:
        try:
            data = book_mnist(directory)
        except FileNotFoundError as error:
            notes.append(f"MNIST not loaded: {error}")
    else:
        notes.append("MNIST not found, so chapters 5 (weights) and 8 did not run. Add them with --mnist DIR or "
                     "TINYGRAD_LIKE_MNIST=DIR. " + DOWNLOAD_HINT + ".")
    if data is not None:
        print(f"Chapter 8 on MNIST from {directory} ({'whole tables' if args.full else 'first rows only'}) ...",
              file=sys.stderr)
        mnist_rows, runs = ch8_rows(data, args.full, progress=not args.no_progress)
        rows += mnist_rows
        mnist_model, accuracy = ch5_mnist_weights.train(data)
        rows.append(Row("ch5 MNIST 784->10 (test accuracy)", "-", f"{accuracy:.4f}", "n/a (weights drawn as images)"))
        if not args.full:
            notes.append("MNIST: only the first rows of each chapter 8 table ran (I:0 and I:10; I:0 for the "
                         "mini-batch net). Run with --full for the whole tables (several minutes each).")

    print_table(rows)
    matched = sum(row.match.startswith("yes") for row in rows)
    failed = [row for row in rows if row.match.startswith("NO")]
    print(f"\n{matched} of {len(rows)} rows match the source; {len(failed)} do not; "
          f"{len(rows) - matched - len(failed)} have no figure in the source.")

    if not args.no_figures:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        if mnist_model is not None:
            written += ch5_mnist_weights.save_images(mnist_model, out)
        if figures.have_matplotlib():
            for title, model, n_inputs, name in diagrams():
                written.append(figures.save_diagram(title, model, n_inputs, out / name))
            if runs:
                written.append(figures.save_curves(
                    {"book's ReLU (published)": runs[("plain", "book")], "true nn.ReLU": runs[("plain", "true")]},
                    out / "ch8_plain_overfitting.png", "Chapter 8: 784-40-10 net, train vs test accuracy"))
                written.append(figures.save_curves(
                    {"no dropout (784-40-10)": runs[("plain", "book")], "dropout (784-100-10)": runs[("dropout", "book")]},
                    out / "ch8_dropout.png", "Chapter 8: dropout narrows the train/test gap"))
        else:
            notes.append(f"Curves and network diagrams need matplotlib: {figures.PLOT_HINT}")
        if written:
            print(f"\nFigures in {out}/: " + ", ".join(path.name for path in written))
        if runs and not args.full and figures.have_matplotlib():
            notes.append("The learning curves have only the rows that ran; --full draws the whole tables.")
    for note in notes:
        print("\n" + note)
    print(f"\n({time.time() - started:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
