"""Jay Alammar, "A Visual And Interactive Look at Basic Neural Network Math": Titanic survival.

1. The post's model: `nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())` on [age in years, sex (male 0,
   female 1)] with the weights it gives, w_age = -0.016852, w_sex = 0.704039, b = -0.116309,
   predicting "survived" when the output is above 0.5. On all 891 passengers that is 652 correct,
   73.2% — the post's "accuracy of 73.20%". The post does not say what it does with the 177
   missing ages; we keep the data loader's documented default, the median age (28 years). Any fill
   below 34.9 years (the mean, 29.7, or 0 too) gives the same predictions, since these weights predict "survived" exactly for
   women younger than 34.88. The post also shows sigmoid(-1.63) = 0.16383036122.
2. The same model trained by us: the post trained on the first 600 rows by gradient descent, but
   does not give its starting point, step size or number of steps, so its weights cannot be
   re-derived (they are far from the optimum). We train from zero with `optim.SGD` on the binary
   cross-entropy (`binary_cross_entropy_with_logits`) with standardised age, and report accuracy on
   the 600 training rows and the 291 held-out rows.
3. A hidden ReLU layer (2 -> 8 ReLU -> 1 sigmoid), which the post only sketches ("never
   materialized"); it has no figure to compare with. Trained with Adam, same split.
"""
import argparse
import sys

import numpy as np

from tinygrad_like import manual_seed, nn, no_grad, optim
from tinygrad_like.book._common import TITANIC_HELP, Row, close_row, info_row
from tinygrad_like.data import embedded as E
from tinygrad_like.data import load_titanic
from tinygrad_like.nn import functional as F
from tinygrad_like.tensor import Tensor

BOOK_ACCURACY = 0.732  # "73.20%"
BOOK_SIGMOID = (-1.63, 0.16383036122)  # the post's worked example: sigmoid(-1.63)
TRAIN_ROWS = E.TITANIC_POST_TRAIN_ROWS  # 600


def post_model():
    """Linear(2, 1) + Sigmoid holding the post's weights, in float64."""
    model = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid()).double()
    model[0].weight.data = np.array([E.TITANIC_POST_WEIGHTS], dtype=np.float64)
    model[0].bias.data = np.array([E.TITANIC_POST_BIAS], dtype=np.float64)
    return model


def load(csv_path=None, missing_age="median"):
    """The passengers of `csv_path`, or of the first train.csv found (see tinygrad_like.data.find_titanic_csv)."""
    return load_titanic(csv_path, missing_age=missing_age)


def accuracy(model, features, survived):
    """(correct, total) predicting survival when the model's output is above 0.5."""
    with no_grad():
        probability = model(Tensor(features)).numpy()
    return int(((probability > 0.5) == (survived > 0.5)).sum()), len(survived)


def sigmoid_example():
    with no_grad():
        return nn.Sigmoid()(Tensor(np.array(BOOK_SIGMOID[0]))).item()


def _standardiser(features):
    """Age scaled by the training rows' mean and std (sex stays 0/1), as one fixed Linear layer."""
    mean, std = features[:TRAIN_ROWS, 0].mean(), features[:TRAIN_ROWS, 0].std()
    layer = nn.Linear(2, 2).double()
    layer.weight.data = np.diag([1 / std, 1.0])
    layer.bias.data = np.array([-mean / std, 0.0])
    layer.requires_grad_(False)
    return layer


def train_logistic(features, survived, steps=3000, lr=0.5):
    """The post's model trained by full-batch gradient descent on the first 600 rows.

    Returns the model (standardiser + Linear(2, 1) + Sigmoid) and its weights in the post's units
    (per year of age, for sex, bias)."""
    scale = _standardiser(features)
    linear = nn.Linear(2, 1).double()
    nn.init.zeros_(linear.weight)
    nn.init.zeros_(linear.bias)
    optimizer = optim.SGD(linear.parameters(), lr=lr)
    x, y = Tensor(features[:TRAIN_ROWS]), Tensor(survived[:TRAIN_ROWS])
    for _ in range(steps):
        loss = F.binary_cross_entropy_with_logits(linear(scale(x)), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    weight = linear.weight.numpy()[0] @ scale.weight.numpy()
    bias = float(linear.weight.numpy()[0] @ scale.bias.numpy() + linear.bias.numpy()[0])
    return nn.Sequential(scale, linear, nn.Sigmoid()), (float(weight[0]), float(weight[1]), bias)


def train_hidden(features, survived, hidden=8, steps=2000, lr=0.01, seed=0):
    """2 -> hidden ReLU -> 1 sigmoid, Adam on the binary cross-entropy, first 600 rows."""
    manual_seed(seed)
    scale = _standardiser(features)
    body = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 1)).double()
    optimizer = optim.Adam(body.parameters(), lr=lr)
    x, y = Tensor(features[:TRAIN_ROWS]), Tensor(survived[:TRAIN_ROWS])
    for _ in range(steps):
        loss = F.binary_cross_entropy_with_logits(body(scale(x)), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return nn.Sequential(scale, body, nn.Sigmoid())


def figures(csv_path=None):
    features, survived = load(csv_path)
    train, held_out = slice(0, TRAIN_ROWS), slice(TRAIN_ROWS, None)

    def split_accuracy(model):
        return {name: accuracy(model, features[part], survived[part])
                for name, part in (("all", slice(None)), ("train", train), ("held-out", held_out))}

    logistic, weights = train_logistic(features, survived)
    return {
        "sigmoid(-1.63)": sigmoid_example(),
        "post weights": split_accuracy(post_model()),
        "trained": split_accuracy(logistic),
        "trained weights": weights,
        "hidden ReLU": split_accuracy(train_hidden(features, survived)),
    }


def _percent(counts):
    correct, total = counts
    return f"{correct}/{total} = {correct / total:.1%}"


def _sigmoid_row(ours):
    return close_row("alammar: sigmoid(-1.63)", BOOK_SIGMOID[1], ours, 5e-12,
                     shown=lambda v: "%.11g" % np.atleast_1d(v)[0])


def rows_without_data():
    """The demo's rows when train.csv is missing or unreadable: the worked sigmoid, which needs no
    data, and the post's accuracy, skipped (the demo's notes say why)."""
    return [_sigmoid_row(sigmoid_example()),
            Row("alammar: titanic, post's weights (891 rows)", f"{BOOK_ACCURACY:.1%}", "-", "skipped")]


def rows(csv_path=None):
    """The demo's rows; raises FileNotFoundError or ValueError when train.csv is missing or unreadable."""
    ours = figures(csv_path)
    correct, total = ours["post weights"]["all"]
    return [
        _sigmoid_row(ours["sigmoid(-1.63)"]),
        Row("alammar: titanic, post's weights (891 rows)", f"{BOOK_ACCURACY:.1%}", _percent(ours["post weights"]["all"]),
            "yes (to 0.1%)" if round(correct / total, 3) == BOOK_ACCURACY else "NO"),
        info_row("alammar: titanic, trained by us (held-out)", _percent(ours["trained"]["held-out"])),
        info_row("alammar: titanic, hidden ReLU layer (held-out)", _percent(ours["hidden ReLU"]["held-out"])),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titanic", metavar="CSV", help=TITANIC_HELP)
    args = parser.parse_args(argv)
    try:
        ours = figures(args.titanic)
    except FileNotFoundError as error:
        if args.titanic is not None:
            parser.error(str(error))  # a path given that holds no train.csv: a usage error, status 2
        parser.exit(1, f"{error}\nOr name the file for this run with --titanic CSV.\n")
    except ValueError as error:
        parser.exit(1, f"{error}\n")
    print(f"sigmoid(-1.63) = {ours['sigmoid(-1.63)']:.11g} (the post: {BOOK_SIGMOID[1]})")
    for name, note in (("post weights", f"w_age={E.TITANIC_POST_WEIGHTS[0]}, w_sex={E.TITANIC_POST_WEIGHTS[1]}, "
                                        f"b={E.TITANIC_POST_BIAS}; the post: {BOOK_ACCURACY:.1%}"),
                       ("trained", "w_age=%.6f, w_sex=%.6f, b=%.6f" % ours["trained weights"]),
                       ("hidden ReLU", "2 -> 8 ReLU -> 1 sigmoid; the post has no figure")):
        accuracies = ours[name]
        print(f"{name}: all {_percent(accuracies['all'])}, first {TRAIN_ROWS} {_percent(accuracies['train'])}, "
              f"held-out {_percent(accuracies['held-out'])}  ({note})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
