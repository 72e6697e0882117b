"""Jay Alammar, "A Visual and Interactive Guide to the Basics of Neural Networks": house prices.

1. Three houses, one weight. The post's weight is the average price per square foot, $180
   (= total price / total area = 1098800 / 6104; prices in $1000 from here on, so w = 0.180).
   Its error table for that weight: predictions 379, 288, 432; errors 21, 42, -63; squared 449,
   1756, 3969; "Average: 2,058" (the mean squared error).
2. Adding a bias: "can you get an error value below 799?" The best line is the least-squares one,
   w = 0.058488 per sq ft, b = 247.26 (MSE 447.29). We get there by gradient descent on a
   `nn.Linear(1, 1)` with `mse_loss` and `optim.SGD`. With raw areas (~2000) the problem is so badly
   conditioned that plain gradient descent would need millions of steps, so the area is
   standardised first ((x - mean) / std) and the learned weight and bias converted back.
3. Ten houses, two features (area, bathrooms), `nn.Linear(2, 1)`: same method, checked against
   `np.linalg.lstsq` (the post prints no weights for it).
4. Softmax: the post's table of `softmax(x)` values, checked within 0.01 (it cuts values to 2-3
   digits, mostly by truncation). Its row for [1, 0, 1] is a misprint: it shows softmax([1, 2, 3])
   (= [0.090, 0.245, 0.665]); softmax([1, 0, 1]) is [0.422, 0.155, 0.422].
5. The good/bad house classifier: 2 inputs -> `nn.Linear(2, 2)` -> `nn.Softmax`, trained with
   cross-entropy. The post shows no weights or accuracy for it (it points to a TensorFlow
   notebook), so we only report our training accuracy on the ten labelled houses.
"""
import numpy as np

from tinygrad_like import manual_seed, nn, no_grad, optim
from tinygrad_like.book._common import Row, book_linear, close_row, exact_row, info_row
from tinygrad_like.data import embedded as E
from tinygrad_like.nn import functional as F
from tinygrad_like.tensor import Tensor

BOOK_PRICE_PER_SQFT = 180  # dollars
BOOK_ERROR_TABLE = {"prediction": [379, 288, 432], "error": [21, 42, -63], "squared": [449, 1756, 3969],
                    "average": 2058}
BOOK_ERROR_TARGET = 799  # "can you get an error value below 799?"
BOOK_SOFTMAX = [([1], [1]), ([1, 1], [0.5, 0.5]), ([0, 1], [0.26, 0.73]), ([2, 4], [0.11, 0.88]),
                ([5, 10], [0.007, 0.993]), ([1, 0, 1], [0.09, 0.24, 0.66]), ([1, 2, 4], [0.04, 0.11, 0.84])]
SOFTMAX_MISPRINTS = {(1, 0, 1): [1, 2, 3]}  # printed input -> the input its outputs belong to

AREAS = np.asarray(E.HOUSE_AREAS, dtype=np.float64)
PRICES = np.asarray(E.HOUSE_PRICES, dtype=np.float64) / 1000  # $1000


def price_per_sqft():
    """The post's starting weight: total price / total area, in dollars per square foot."""
    return float(E.HOUSE_PRICES.sum() / E.HOUSE_AREAS.sum())


def error_table(weight=E.HOUSE_PRICE_PER_SQFT):
    """Predictions (price = area * weight, $1000), errors, squared errors and their mean."""
    model = book_linear([[weight]])
    with no_grad():
        prediction = model(Tensor(AREAS[:, None]))
        mse = F.mse_loss(prediction, Tensor(PRICES[:, None]))
    errors = PRICES - prediction.numpy()[:, 0]
    return {"prediction": prediction.numpy()[:, 0].tolist(), "error": errors.tolist(),
            "squared": (errors ** 2).tolist(), "average": mse.item()}


def fit_linear(features, targets, lr=0.1, steps=2000):
    """Gradient descent on `nn.Linear(n, 1)` with the mean squared error, on standardised features.

    Returns (weights, bias, mse) in the original units, and the least-squares solution to compare.
    """
    features = np.asarray(features, dtype=np.float64).reshape(len(targets), -1)
    targets = np.asarray(targets, dtype=np.float64).reshape(-1, 1)
    mean, std = features.mean(axis=0), features.std(axis=0)
    x, y = Tensor((features - mean) / std), Tensor(targets)
    model = nn.Linear(features.shape[1], 1).double()
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    optimizer = optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = F.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    weights = model.weight.numpy()[0] / std
    bias = float(model.bias.numpy()[0] - (weights * mean).sum())
    mse = float(np.mean((features @ weights + bias - targets[:, 0]) ** 2))
    design = np.column_stack([features, np.ones(len(features))])
    solution = np.linalg.lstsq(design, targets[:, 0], rcond=None)[0]
    least_squares = (solution[:-1], float(solution[-1]), float(np.mean((design @ solution - targets[:, 0]) ** 2)))
    return (weights, bias, mse), least_squares


def three_houses_with_bias():
    return fit_linear(AREAS, PRICES)


def ten_houses():
    return fit_linear(E.HOUSES_AREA_BATHROOMS, np.asarray(E.HOUSES_PRICES) / 1000)


def softmax_table():
    """[(input, softmax(input))] for the post's inputs, computed by nn.Softmax."""
    layer = nn.Softmax(dim=-1)
    with no_grad():
        return [(x, layer(Tensor(np.asarray(x, dtype=np.float64))).numpy().tolist()) for x, _ in BOOK_SOFTMAX]


def classifier(steps=500, lr=0.5, seed=0):
    """Good (1) / bad (0) houses from [area, bathrooms]: Linear(2, 2) + Softmax, cross-entropy.

    Returns (training accuracy, the model, its softmax probabilities on the ten houses).
    """
    manual_seed(seed)
    features = np.asarray(E.HOUSES_AREA_BATHROOMS, dtype=np.float64)
    x = Tensor((features - features.mean(axis=0)) / features.std(axis=0))
    labels = np.asarray(E.HOUSES_GOOD, dtype=np.int64)
    model = nn.Sequential(nn.Linear(2, 2), nn.Softmax(dim=1)).double()
    optimizer = optim.SGD(model.parameters(), lr=lr)
    logits_of = model[0]
    for _ in range(steps):
        loss = F.cross_entropy(logits_of(x), labels)  # log-softmax + NLL, the stable form of log(Softmax)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with no_grad():
        probabilities = model(x).numpy()
    accuracy = float((probabilities.argmax(axis=1) == labels).mean())
    return accuracy, model, probabilities


def figures():
    (w3, b3, mse3), lstsq3 = three_houses_with_bias()
    (w10, b10, mse10), lstsq10 = ten_houses()
    accuracy, _, _ = classifier()
    return {
        "price per sq ft": price_per_sqft(),
        "error table": error_table(),
        "with bias": {"weight": float(w3[0]), "bias": b3, "mse": mse3, "lstsq": lstsq3},
        "ten houses": {"weights": w10.tolist(), "bias": b10, "mse": mse10, "lstsq": lstsq10},
        "softmax": softmax_table(),
        "classifier accuracy": accuracy,
    }


def _ints(values):
    return " ".join(str(int(round(v))) for v in values)


def rows():
    ours = figures()
    table = ours["error table"]
    result = [exact_row("alammar: price per sq ft", f"${BOOK_PRICE_PER_SQFT}", f"${round(ours['price per sq ft'])}")]
    book_text = "; ".join(_ints(BOOK_ERROR_TABLE[k]) for k in ("prediction", "error", "squared")) + \
        f"; avg {BOOK_ERROR_TABLE['average']}"
    our_text = "; ".join(_ints(table[k]) for k in ("prediction", "error", "squared")) + f"; avg {round(table['average'])}"
    result.append(exact_row("alammar: 3-house error table (w=0.18)", book_text, our_text))
    fit = ours["with bias"]
    (_, _, best_mse) = fit["lstsq"]
    converged = abs(fit["mse"] - best_mse) <= 1e-6 * best_mse
    result.append(Row("alammar: with a bias, error below 799?", f"< {BOOK_ERROR_TARGET}",
                      f"{fit['mse']:.2f} (w={fit['weight']:.6f}, b={fit['bias']:.2f})",
                      "yes (= lstsq)" if converged and fit["mse"] < BOOK_ERROR_TARGET else "NO"))
    ten = ours["ten houses"]
    lstsq_w, lstsq_b, _ = ten["lstsq"]
    same = np.allclose(ten["weights"] + [ten["bias"]], list(lstsq_w) + [lstsq_b], rtol=1e-6, atol=1e-6)
    result.append(info_row("alammar: 10 houses, area + bathrooms",
                           "w=[%.4f, %.3f] b=%.3f MSE %.1f" % (*ten["weights"], ten["bias"], ten["mse"]),
                           "n/a (= lstsq)" if same else "NO (GD != lstsq)"))
    for (x, book), (_, mine) in zip(BOOK_SOFTMAX, ours["softmax"]):
        name = f"alammar: softmax({x})"
        if tuple(x) in SOFTMAX_MISPRINTS:
            actual = SOFTMAX_MISPRINTS[tuple(x)]
            mine = softmax_table_of(actual)
            name += f" [misprint: shows softmax({actual})]"
        result.append(close_row(name, book, mine, 0.01, shown=lambda v: "[" + ", ".join("%.3g" % a for a in v) + "]"))
    result.append(info_row("alammar: good/bad classifier (train acc)", f"{ours['classifier accuracy']:.0%} of 10"))
    return result


def softmax_table_of(x):
    with no_grad():
        return nn.Softmax(dim=-1)(Tensor(np.asarray(x, dtype=np.float64))).numpy().tolist()


def main():
    figs = figures()
    print(f"Average price per sq ft: ${figs['price per sq ft']:.3f} (the post: ${BOOK_PRICE_PER_SQFT})")
    table = figs["error table"]
    print("area | price ($1000) | prediction | y_-y | (y_-y)^2")
    for area, price, p, e, s in zip(AREAS, PRICES, table["prediction"], table["error"], table["squared"]):
        print(f"{area:.0f} | {price:.1f} | {p:.0f} | {e:.0f} | {s:.0f}")
    print(f"Average: {table['average']:,.0f}")
    fit = figs["with bias"]
    print(f"With a bias (gradient descent): w = {fit['weight']:.6f}, b = {fit['bias']:.4f}, MSE = {fit['mse']:.2f} "
          f"(least squares: w = {fit['lstsq'][0][0]:.6f}, b = {fit['lstsq'][1]:.4f}, MSE = {fit['lstsq'][2]:.2f})")
    ten = figs["ten houses"]
    print("Ten houses (gradient descent): w_area = %.8f, w_bathrooms = %.6f, b = %.6f, MSE = %.4f" %
          (*ten["weights"], ten["bias"], ten["mse"]))
    print("             (least squares):  w_area = %.8f, w_bathrooms = %.6f, b = %.6f, MSE = %.4f" %
          (*ten["lstsq"][0], ten["lstsq"][1], ten["lstsq"][2]))
    for (x, book), (_, mine) in zip(BOOK_SOFTMAX, figs["softmax"]):
        note = f"  (the post's row shows softmax({SOFTMAX_MISPRINTS[tuple(x)]}))" if tuple(x) in SOFTMAX_MISPRINTS else ""
        print(f"softmax({x}) = [{', '.join('%.4f' % v for v in mine)}]  post: {book}{note}")
    print(f"Good/bad classifier, training accuracy: {figs['classifier accuracy']:.0%} (the post gives none)")


if __name__ == "__main__":
    main()
