"""`python -m tinygrad_like.book`: every network of the book and the posts, the source's figures beside ours.

Runs chapters 3-6 and Alammar's posts (seconds), then chapters 8, 9 and 10 on MNIST when the files are found
(`--mnist DIR`, else the first of the places in `--help` holding them): by default only the first
rows of each of the notebook's tables (I:0 and I:10; I:0 for the mini-batch net), about half a
minute; `--full` runs the whole tables (350 / 300 iterations: several minutes each; BLAS runs on one
thread during them). Chapters 11-15 follow: what needs no data, then chapters 12-14 on bAbI and the
Shakespeare text where they are found (`--babi`, `--shakespeare`; first rows in seconds, `--full` about
10 minutes more) and chapters 11 and 15 on the IMDB reviews and Enron mails, which cannot be shipped
(`--reviews`/`--labels`, `--spam`/`--ham` name the user's copies).
Prints one table (network | the book's figure | ours | match), at most 100
characters wide, and saves PNGs into `--out` (default ./book_figures): learning curves, the chapter 5
weight images and a diagram of each network (matplotlib and tqdm are the optional extra
`pip install 'tinygrad_like[plot]'`, or `pip install -e '.[plot]'` in a checkout). Exit status: 0; 1
when a row does not match or a data file cannot be read; 2 when a path given on the command line
holds no data.
"""
import argparse
import re
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

from tinygrad_like import nn
from tinygrad_like.book import (alammar_houses, alammar_titanic, ch3_prediction, ch4_gradient_descent, ch5_mnist_weights,
                                ch5_multiple, ch6_streetlight, ch8_mnist, ch9_mnist, ch10_mnist, ch11_embeddings,
                                ch12_babi_rnn, ch13_framework, ch14_lstm, ch15_federated, figures)
from tinygrad_like.book._common import MNIST_HELP, TITANIC_HELP, Row
from tinygrad_like.data import (babi_places, book_mnist, find_babi, find_mnist, find_shakespeare, find_titanic_csv,
                                load_text, shakespeare_places)

WIDTH = 100  # no line of the demo is longer, so it reads in any terminal
HEADERS = ("network", "the book's figure", "ours", "match")
SEPARATOR = " | "
INDENT = " "  # of a cell's continuation lines


def _fields(line):
    """'I:10 Train-Err:0.312 Train-Acc:0.901 ...' -> 'train 0.312 0.901; test 0.420 0.8114'."""
    values = dict(re.findall(r"([A-Za-z-]+):(\S+)", line))
    return f"train {values['Train-Err']} {values['Train-Acc']}; test {values['Test-Err']} {values['Test-Acc']}"


def ch8_rows(data, full, progress):
    """Rows comparing our chapter 8 runs with the notebook's tables; also returns the runs (for curves)."""
    rows, runs = [], {}
    for kind in ("plain", "dropout", "batch"):
        start = time.time()
        result = ch8_mnist.run(kind, "book", data, iterations=None if full else ch8_mnist.QUICK_ITERATIONS[kind],
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
    result = ch8_mnist.run("plain", "true", data, iterations=None if full else ch8_mnist.QUICK_ITERATIONS["plain"],
                           progress=progress)
    runs[("plain", "true")] = result
    reference = {int(re.match(r"I:(\d+)", line).group(1)): line for line in ch8_mnist.TRUE_RELU_REFERENCE["plain"]}
    for row in result:
        if row.iteration in reference:
            mine = ch8_mnist.format_row("plain", row)
            rows.append(Row(f"ch8 plain, true nn.ReLU I:{row.iteration}", "numpy ref: " + _fields(reference[row.iteration]),
                            _fields(mine), "yes" if mine == reference[row.iteration] else "NO"))
    print(f"  ch8 plain with nn.ReLU: {time.time() - start:.1f} s", file=sys.stderr)
    return rows, runs


def ch9_rows(data, full, progress):
    """Rows comparing our chapter 9 run with the notebook's table, and the true gradient's first row with the
    reference; also returns the runs (for curves)."""
    rows, runs = [], {}
    for layers in ("book", "true", "stock"):
        start = time.time()
        runs[layers] = ch9_mnist.run(layers, data, iterations=None if full else ch9_mnist.QUICK_ITERATIONS,
                                     progress=progress)
        print(f"  ch9 {layers} layers: {len(runs[layers])} row(s) in {time.time() - start:.1f} s", file=sys.stderr)
    ours = [ch9_mnist.format_row(row) for row in runs["book"]]
    book_table = ch9_mnist.BOOK_TABLE
    for index in range(len(ours)) if not full else sorted({0, 1, len(ours) - 1}):
        rows.append(Row(f"ch9 tanh/softmax I:{runs['book'][index].iteration}", _accuracies(book_table[index]),
                        _accuracies(ours[index]), "yes" if book_table[index] == ours[index] else "NO"))
    if full:
        identical = sum(book == mine for book, mine in zip(book_table, ours))
        rows.append(Row("ch9 tanh/softmax: whole table", f"{len(book_table)} rows", f"{identical} identical",
                        "yes" if identical == len(book_table) == len(ours) else "NO"))
    true_first = ch9_mnist.format_row(runs["true"][0])
    rows.append(Row("ch9 true gradient I:0", "numpy ref: " + _accuracies(ch9_mnist.TRUE_GRADIENT_REFERENCE),
                    _accuracies(true_first), "yes" if true_first == ch9_mnist.TRUE_GRADIENT_REFERENCE else "NO"))
    last = runs["stock"][-1]
    rows.append(Row(f"ch9 nn.Tanh + nn.Dropout I:{last.iteration}", "-", _accuracies(ch9_mnist.format_row(last)), "n/a"))
    return rows, runs


def ch10_rows(data, full, progress):
    """Rows comparing our chapter 10 run with the notebook's rows (those quoted in ch10_mnist.BOOK_ROWS; the
    whole table is compared by the tests), and the corrected network's last row."""
    rows = []
    start = time.time()
    book = ch10_mnist.run("book", data, iterations=None if full else ch10_mnist.QUICK_ITERATIONS, progress=progress)
    print(f"  ch10 book kernels: {len(book)} row(s) in {time.time() - start:.1f} s", file=sys.stderr)
    for row in book:
        if row.iteration in ch10_mnist.BOOK_ROWS:
            book_line, ours = ch10_mnist.BOOK_ROWS[row.iteration], ch10_mnist.format_row(row)
            rows.append(Row(f"ch10 conv I:{row.iteration}", _accuracies(book_line), _accuracies(ours),
                            "yes" if book_line == ours else "NO"))
    if full:
        start = time.time()
        true = ch10_mnist.run("true", data, progress=progress)
        print(f"  ch10 true kernels: {len(true)} rows in {time.time() - start:.1f} s", file=sys.stderr)
        lowest = min(true[20:], key=lambda row: row.test_accuracy)
        rows.append(Row("ch10 nn.Conv2d (descent): lowest test accuracy after I:19", "-",
                        f"{lowest.test_accuracy} at I:{lowest.iteration}", "n/a"))
        rows.append(Row(f"ch10 nn.Conv2d (descent) I:{true[-1].iteration}", "-",
                        _accuracies(ch10_mnist.format_row(true[-1])), "n/a"))
    return rows


# ---- chapters 11-15: language (bAbI and Shakespeare where found; IMDB and Enron only from the user) -------------
def add_text_options(parser):
    parser.add_argument("--babi", metavar="DIR", help="the bAbI tasks (default: the first of "
                        f"{', '.join(label for label, _ in babi_places())} that holds them)")
    parser.add_argument("--shakespeare", metavar="PATH", help="chapter 14's shakespear.txt or its directory (default: "
                        f"the first of {', '.join(label for label, _ in shakespeare_places())} that holds it)")
    for option, what in (("--reviews", "chapter 11's IMDB reviews.txt"), ("--labels", "its labels.txt"),
                         ("--spam", "chapter 15's Enron spam.txt"), ("--ham", "its ham.txt")):
        parser.add_argument(option, metavar="FILE", help=f"{what} (not shipped: the rows that need it are skipped)")


def find_text_data(parser, args, notes):
    """Chapters 11-15's data, checked before anything runs: (bAbI directory, Shakespeare path, reviews, mails),
    each None when absent; a path given that holds nothing, or half of a pair of files, is a usage error."""
    for first, second, names in ((args.reviews, args.labels, "--reviews and --labels"),
                                 (args.spam, args.ham, "--spam and --ham")):
        if (first is None) != (second is None):
            parser.error(f"give both {names}")
    babi = find_data(parser, find_babi, args.babi, notes, "Chapters 12 and 13 on bAbI", "--babi DIR")
    shakespeare = find_data(parser, find_shakespeare, args.shakespeare, notes, "Chapter 14's character models",
                            "--shakespeare PATH")
    try:
        reviews = None if args.reviews is None else ch11_embeddings.load(args.reviews, args.labels)
        mails = None if args.spam is None else ch15_federated.load(args.spam, args.ham)
    except FileNotFoundError as error:
        parser.error(str(error))
    except ValueError as error:
        parser.exit(1, f"{error}\n")
    return babi, shakespeare, reviews, mails


def text_rows(args, data, notes):
    """The rows of chapters 11-15: those that need no data, then chapters 12-14 on bAbI and Shakespeare
    (first rows; --full trains the whole runs: minutes), chapters 11 and 15 on the user's files."""
    babi, shakespeare, reviews, mails = data
    progress, start = not args.no_progress, time.time()
    rows = ch11_embeddings.rows_without_data()
    if reviews is None:
        rows += ch11_embeddings.skipped_rows()
    else:
        rows += ch11_embeddings.rows_with_data(reviews.reviews, reviews.targets, args.full, progress)
    if babi is not None:
        lines = ch12_babi_rnn.babi_lines(babi)
        rows += ch12_babi_rnn.rows(lines, args.full, progress)
    rows += ch13_framework.toy_rows()
    if babi is not None:
        rows += ch13_framework.rnn_rows(lines, args.full)
    rows += ch14_lstm.exploding_rows()
    if shakespeare is not None:
        rows += ch14_lstm.rows(load_text(shakespeare), args.full, progress)
    rows += ch15_federated.rows_without_data()
    rows += ch15_federated.skipped_rows() if mails is None else ch15_federated.rows_with_data(mails)
    if reviews is None or mails is None:
        notes.append("Chapters 11 and 15 need the book's IMDB reviews (--reviews, --labels) and Enron mails (--spam, "
                     "--ham), which cannot be shipped: their rows that need them were skipped.")
    if not args.full:
        notes.append("Chapters 12-14: only the first rows ran; --full trains the whole runs (about 10 minutes).")
    print(f"  ch11-15: {time.time() - start:.1f} s", file=sys.stderr)
    return rows


def _accuracies(line):
    """'I:10 Test-Acc:0.6867 Train-Acc:0.723' -> 'test 0.6867; train 0.723'."""
    values = dict(re.findall(r"([A-Za-z-]+):(\S+)", line))
    return f"test {values['Test-Acc']}; train {values['Train-Acc']}"


def skipped_mnist_row():
    """The demo's row for chapters 5 and 8-10 when MNIST is missing or unreadable (a note says which)."""
    return Row("ch5 and ch8-10 on MNIST", "the notebook's tables", "-", "skipped")


# ---- printing -----------------------------------------------------------------------------------------
def column_widths(rows, width=WIDTH):
    """Each column as wide as its longest cell, the widest column then narrowed one character at a time
    until a line fits in `width`, but never below its longest word (plus the continuation indent)."""
    cells = [HEADERS, *rows]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(HEADERS))]
    floors = [max(len(word) for row in cells for word in str(row[i]).split() or [""]) + len(INDENT)
              for i in range(len(HEADERS))]
    budget = width - len(SEPARATOR) * (len(HEADERS) - 1)
    while sum(widths) > budget:
        narrowable = [i for i in range(len(widths)) if widths[i] > floors[i]]
        if not narrowable:
            break
        widths[max(narrowable, key=lambda i: widths[i])] -= 1
    return widths


def print_table(rows, out=None, width=WIDTH):
    """The rows under a header, in columns that fit in `width`: a long cell wraps onto indented lines.
    Prints to `out`, default sys.stdout (looked up at the call, so that a redirection is followed)."""
    out = sys.stdout if out is None else out
    widths = column_widths(rows, width)

    def print_row(cells):
        wrapped = [textwrap.wrap(str(cell), size, subsequent_indent=INDENT, break_on_hyphens=False) or [""]
                   for cell, size in zip(cells, widths)]
        for index in range(max(len(lines) for lines in wrapped)):
            parts = [(lines[index] if index < len(lines) else "").ljust(size) for lines, size in zip(wrapped, widths)]
            print(SEPARATOR.join(parts).rstrip(), file=out)

    print_row(HEADERS)
    print("-+-".join("-" * size for size in widths), file=out)
    for row in rows:
        print_row(row)


def summary(rows):
    """The line under the table, counted from the rows' statuses (see Row.status)."""
    counts = Counter(row.status for row in rows)
    text = (f"{counts['yes']} of {len(rows)} rows match; {counts['NO']} do not; "
            f"{counts['n/a']} have no figure in the source")
    if counts["skipped"]:
        text += f"; {counts['skipped']} skipped (their data was not found or cannot be read: see below)"
    return text + "."


def wrapped(text, width=WIDTH):
    """`text` with every line longer than `width` wrapped onto indented lines (its own line breaks kept)."""
    return "\n".join(textwrap.fill(line, width, subsequent_indent="    ", break_on_hyphens=False) if line else ""
                     for line in text.splitlines())


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


def find_data(parser, find, given, notes, skipped, option):
    """The data's path: `given` on the command line (a usage error, exit status 2, when it holds no
    data), or the first place searched; None, with a note of every place searched, when there is none."""
    try:
        return find(given)
    except FileNotFoundError as error:
        if given is not None:
            parser.error(str(error))
        notes.append(f"{skipped} did not run. {error}\nOr name it for this run with {option}.")
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tinygrad_like.book", description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", metavar="DIR", help=MNIST_HELP)
    parser.add_argument("--no-mnist", action="store_true", help="skip the chapter 5 and 8 MNIST networks")
    parser.add_argument("--full", action="store_true", help="run the whole tables of chapters 8, 9 and 10 (several "
                        "minutes per table of chapters 8 and 10) and the whole runs of chapters 11-15")
    parser.add_argument("--titanic", metavar="CSV", help=TITANIC_HELP)
    parser.add_argument("--out", default="book_figures", help="directory for the PNG figures (default ./book_figures)")
    parser.add_argument("--no-figures", action="store_true", help="write no PNGs")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_text_options(parser)
    args = parser.parse_args(argv)
    started = time.time()
    _limit_blas_threads()

    notes, unreadable = [], []
    mnist_dir = None if args.no_mnist else find_data(parser, find_mnist, args.mnist, notes,
                                                     "Chapters 5 (weights), 8, 9 and 10", "--mnist DIR")
    titanic_csv = find_data(parser, find_titanic_csv, args.titanic, notes, "The Titanic rows", "--titanic CSV")
    text_data = find_text_data(parser, args, notes)

    rows = []
    for module in (ch3_prediction, ch4_gradient_descent, ch5_multiple, ch6_streetlight, alammar_houses):
        rows += module.rows()
    if titanic_csv is None:
        rows += alammar_titanic.rows_without_data()
    else:
        try:
            rows += alammar_titanic.rows(titanic_csv)
        except ValueError as error:
            rows += alammar_titanic.rows_without_data()
            unreadable.append(f"The Titanic rows did not run: {error}")

    runs, ch9_runs, mnist_model, data = {}, {}, None, None
    if mnist_dir is not None:
        try:
            data = book_mnist(mnist_dir)
        except ValueError as error:  # e.g. a truncated file: the loader's message says which and what to do
            unreadable.append(f"Chapters 5 (weights), 8, 9 and 10 did not run: {error}")
            rows.append(skipped_mnist_row())
    elif not args.no_mnist:
        rows.append(skipped_mnist_row())
    if data is not None:
        print(f"Chapters 8, 9 and 10 on MNIST from {mnist_dir} ({'whole tables' if args.full else 'first rows only'}) ...",
              file=sys.stderr)
        mnist_rows, runs = ch8_rows(data, args.full, progress=not args.no_progress)
        rows += mnist_rows
        ch9, ch9_runs = ch9_rows(data, args.full, progress=not args.no_progress)
        rows += ch9
        rows += ch10_rows(data, args.full, progress=not args.no_progress)
        mnist_model, accuracy = ch5_mnist_weights.train(data)
        rows.append(Row("ch5 MNIST 784->10 (test accuracy)", "-", f"{accuracy:.4f}", "n/a"))
        if not args.full:
            notes.append("MNIST: only the first rows of each table of chapters 8-10 ran (I:0 and I:10; I:0 for the "
                         "mini-batch net and chapter 9; I:0 and I:1 for chapter 10). Run with --full for the whole "
                         "tables (several minutes each).")

    rows += text_rows(args, text_data, notes)
    print_table(rows)
    print("\n" + wrapped(summary(rows)))

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
                written.append(figures.save_curves(
                    {"book's backward (published)": ch9_runs["book"], "nn.Tanh + nn.Dropout": ch9_runs["stock"]},
                    out / "ch9_tanh_softmax.png", "Chapter 9: 784-100-10 tanh/softmax net, train vs test accuracy"))
        else:
            notes.append(f"Curves and diagrams need matplotlib; to install it:\n{figures.PLOT_HINT}")
        if written:
            print("\n" + wrapped(f"Figures in {out}/: " + ", ".join(path.name for path in written)))
        if runs and not args.full and figures.have_matplotlib():
            notes.append("The learning curves have only the rows that ran; --full draws the whole tables.")
    for note in unreadable + notes:
        print("\n" + wrapped(note))
    print(f"\n({time.time() - started:.1f} s)")
    failed = any(row.status == "NO" for row in rows)
    return 1 if failed or unreadable else 0


if __name__ == "__main__":
    sys.exit(main())
