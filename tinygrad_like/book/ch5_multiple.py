"""Grokking Deep Learning, chapter 5: gradient descent with multiple inputs and outputs.

Each network is one `nn.Linear(..., bias=False)` in float64, trained on the first game with
`loss = 0.5 * mse_loss(prediction, true, reduction="sum")` (the book's `delta = pred - true` is its
derivative) and `optim.SGD(lr=alpha)`. The book's `weight_deltas` are `weight.grad` after
`loss.backward()`; it prints them, and the weights, before the update.

- multiple inputs (toes, win/loss, fans -> win), alpha 0.01, 3 iterations;
- freezing one weight (alpha 0.3): the book zeroes `weight_deltas[0]`. Two idiomatic ways:
  `freeze="grad"` zeroes that column of `weight.grad` between `backward()` and `step()`;
  `freeze="parameter"` builds the weight from a frozen Parameter (`requires_grad=False`) and a
  trainable one (`PartlyFrozenLinear`), so the optimizer never sees the frozen weight;
- multiple outputs (win/loss record -> hurt, win, sad), alpha 0.1;
- multiple inputs and outputs (3 -> 3), alpha 0.01.

The figures are those of the published chapter 5 notebook (Python 3 repr, all digits); the
early-access text drops the minus signs of the weight deltas. The multiple-output example uses
win/loss record 0.65, as the notebook and the text's worked arithmetic do (the text's listing
says 0.9).
"""
import numpy as np

from tinygrad_like import cat, nn, optim
from tinygrad_like.book._common import book_linear, exact_row, py2_str
from tinygrad_like.data import embedded as E
from tinygrad_like.nn import functional as F
from tinygrad_like.nn.parameter import Parameter
from tinygrad_like.tensor import Tensor

FIRST_GAME = E.BASEBALL_INPUTS[0]  # [toes, wlrec, nfans] = [8.5, 0.65, 1.2]
FIRST_GAME_TARGETS = E.BASEBALL_TARGETS[0]  # [hurt, win, sad] = [0.1, 1, 0.1]

# The chapter 5 notebook's printouts (Python 3 repr). Per iteration: Pred, Error, Delta, Weights
# (before the update), Weight_Deltas.
BOOK = {
    "multiple inputs": [
        (0.8600000000000001, 0.01959999999999997, -0.1399999999999999, [0.1, 0.2, -0.1],
         [-1.189999999999999, -0.09099999999999994, -0.16799999999999987]),
        (0.9637574999999999, 0.0013135188062500048, -0.036242500000000066, [0.1119, 0.20091, -0.09832], None),
        (0.9906177228125002, 8.802712522307997e-05, -0.009382277187499843,
         [0.11498061250000001, 0.20114557625, -0.09788509000000001], None),
    ],
    "freezing one weight": [
        (0.8600000000000001, 0.01959999999999997, -0.1399999999999999, [0.1, 0.2, -0.1], None),
        (0.9382250000000001, 0.003816150624999989, -0.06177499999999991, [0.1, 0.2273, -0.04960000000000005], None),
        (0.97274178125, 0.000743010489422852, -0.027258218750000007, [0.1, 0.239346125, -0.02736100000000008], None),
    ],
    # after one step: weights and the weight deltas of that step
    "multiple outputs": [[0.293825, 0.25655, 0.868475], [0.061750000000000006, -0.5655, 0.3152500000000001]],
    "multiple inputs & outputs": [[0.061325, 0.0970425, -0.30546], [0.1017, 0.20013, 0.00023999999999999887],
                                  [-0.07352500000000001, 1.2943775, 0.08962]],
}


class PartlyFrozenLinear(nn.Module):
    """A bias-free linear layer whose first `n_frozen` input weights never learn.

    The frozen weights are a Parameter with `requires_grad=False` (saved in the state_dict, never
    updated); the layer's weight is `cat([frozen, trainable], axis=1)`, so the product is the same
    single matrix product as an ordinary Linear.
    """

    def __init__(self, weight, n_frozen=1):
        super().__init__()
        weight = np.array(weight, dtype=np.float64)  # (out, in), PyTorch's layout
        self.frozen = Parameter(weight[:, :n_frozen], requires_grad=False)
        self.trainable = Parameter(weight[:, n_frozen:])

    @property
    def weight(self):
        return cat([self.frozen, self.trainable], axis=1)

    def forward(self, x):
        return F.linear(x, self.weight)


def _train(model, x, true, alpha, iterations, freeze=None):
    """Per iteration: (pred, error, delta, weights before the update, weight_deltas)."""
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = optim.SGD(parameters, lr=alpha)
    x = Tensor(np.atleast_2d(x), dtype=np.float64)
    true = Tensor(np.atleast_2d(true), dtype=np.float64)
    history = []
    for _ in range(iterations):
        weights = model.weight.numpy().copy()
        pred = model(x)
        error = F.mse_loss(pred, true, reduction="sum")
        loss = 0.5 * error
        optimizer.zero_grad()
        loss.backward()
        if freeze == "grad":
            model.weight.grad.numpy()[:, 0] = 0  # the book's weight_deltas[0] = 0
        weight_deltas = (model.weight.grad.numpy().copy() if freeze != "parameter" else
                         np.concatenate([np.zeros_like(model.frozen.numpy()), model.trainable.grad.numpy()], axis=1))
        history.append((pred.numpy().copy(), error.item(), (pred.numpy() - true.numpy()), weights, weight_deltas))
        optimizer.step()
    return history, model.weight.numpy()


def multiple_inputs(iterations=3, alpha=0.01):
    """Win from [toes, wlrec, nfans]: a Linear(3, 1)."""
    return _train(book_linear(E.CH5_MULTI_INPUT_WEIGHTS), FIRST_GAME, [E.WIN[0]], alpha, iterations)


def freezing_one_weight(freeze="grad", iterations=3, alpha=0.3):
    """As multiple_inputs, but the toes weight (a) never changes; freeze = "grad" or "parameter"."""
    if freeze == "grad":
        model = book_linear(E.CH5_MULTI_INPUT_WEIGHTS)
    elif freeze == "parameter":
        model = PartlyFrozenLinear([E.CH5_MULTI_INPUT_WEIGHTS], n_frozen=1)
    else:
        raise ValueError(f"freeze must be 'grad' or 'parameter', got {freeze!r}")
    return _train(model, FIRST_GAME, [E.WIN[0]], alpha, iterations, freeze=freeze)


def multiple_outputs(alpha=0.1):
    """[hurt, win, sad] from the win/loss record 0.65: a Linear(1, 3); one step."""
    history, weights = _train(book_linear([E.MULTI_OUTPUT_WEIGHTS]), [E.WLREC[0]], FIRST_GAME_TARGETS, alpha, 1)
    return weights[:, 0].tolist(), history[0][4][:, 0].tolist()


def multiple_inputs_outputs(alpha=0.01):
    """[hurt, win, sad] from [toes, wlrec, nfans]: a Linear(3, 3) whose weight rows are the book's rows."""
    _, weights = _train(book_linear(E.MULTI_IO_WEIGHTS.T), FIRST_GAME, FIRST_GAME_TARGETS, alpha, 1)
    return weights.tolist()


def _iteration_values(history):
    return [(float(p[0, 0]), e, float(d[0, 0]), w[0].tolist(), wd[0].tolist()) for p, e, d, w, wd in history]


def figures():
    return {
        "multiple inputs": _iteration_values(multiple_inputs()[0]),
        "freezing one weight": _iteration_values(freezing_one_weight("grad")[0]),
        "freezing one weight (frozen parameter)": _iteration_values(freezing_one_weight("parameter")[0]),
        "multiple outputs": multiple_outputs(),
        "multiple inputs & outputs": multiple_inputs_outputs(),
    }


def _same(book, ours):
    """Weights and weight deltas equal to the last bit; Pred, Error and Delta to 13 significant digits.
    None: the book prints nothing there.

    Why not all 17 digits: the notebook sums `input[i] * weights[i]` left to right in pure Python,
    while a Linear layer's matrix product (numpy's BLAS) uses fused multiply-adds. In the third
    iteration the prediction differs in the last bit (notebook 0.9906177228125002, ours
    0.9906177228124999, as numpy.dot gives too), and the error and delta with it.
    """
    if book is None:
        return True
    if isinstance(book, tuple):  # one iteration: pred, error, delta, weights, weight deltas
        return (all(abs(b - o) <= 1e-13 * abs(b) for b, o in zip(book[:3], ours[:3]))
                and _same(book[3], ours[3]) and _same(book[4], ours[4]))
    if isinstance(book, list):
        return len(book) == len(ours) and all(_same(b, o) for b, o in zip(book, ours))
    return float(book) == float(ours)


def _short(values):
    return "[" + ", ".join("%.8g" % v for v in values) + "]"


def rows():
    """Rows for the demo; shown to 8 digits, matched to the last bit (see _same)."""
    ours = figures()
    result = []
    for name, book_name in [("multiple inputs", "multiple inputs"), ("freezing one weight", "freezing one weight"),
                            ("freezing one weight (frozen parameter)", "freezing one weight")]:
        book, mine = BOOK[book_name], ours[name]
        result.append(exact_row(f"ch5 {name}: last Weights", _short(book[-1][3]), _short(mine[-1][3]))._replace(
            match="yes" if _same(book, mine) else "NO"))
    book, mine = BOOK["multiple outputs"], ours["multiple outputs"]
    result.append(exact_row("ch5 multiple outputs: Weights", _short(book[0]), _short(mine[0]))._replace(
        match="yes" if _same(book, mine) else "NO"))
    book, mine = BOOK["multiple inputs & outputs"], ours["multiple inputs & outputs"]
    result.append(exact_row("ch5 multiple inputs & outputs: weights[2]", _short(book[2]), _short(mine[2]))._replace(
        match="yes" if _same(book, mine) else "NO"))
    return result


def main():
    figs = figures()
    for name in ("multiple inputs", "freezing one weight", "freezing one weight (frozen parameter)"):
        print(f"== {name}")
        for iteration, (pred, error, delta, weights, weight_deltas) in enumerate(figs[name], 1):
            print("Iteration:" + str(iteration))
            print("Pred:" + py2_str(pred))
            print("Error:" + py2_str(error))
            print("Delta:" + py2_str(delta))
            print("Weights:" + str(weights))
            print("Weight_Deltas:")
            print(str(weight_deltas))
            print()
    weights, weight_deltas = figs["multiple outputs"]
    print("== multiple outputs\nWeights:" + str(weights) + "\nWeight Deltas:" + str(weight_deltas) + "\n")
    print("== multiple inputs & outputs\nWeights:" + str(figs["multiple inputs & outputs"]))


if __name__ == "__main__":
    main()
