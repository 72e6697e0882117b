"""Grokking Deep Learning, chapter 4: learning one weight, by hot and cold learning and by gradient descent.

The network is one weight: `nn.Linear(1, 1, bias=False)` in float64. The book measures
`error = (prediction - goal) ** 2` but updates with `delta = prediction - goal`, the derivative of
HALF that error; so the loss we differentiate is `0.5 * mse_loss(..., reduction="sum")`, and the
book's `weight -= alpha * input * delta` is one `optim.SGD(lr=alpha)` step after `loss.backward()`.
Each printed line shows the error and prediction *before* that iteration's update.

- hot and cold learning (no gradient, just trying weight +- step_amount): 1101 steps to 0.8;
  with step_amount 10 it oscillates between 0.25 and 5.25 forever;
- gradient descent from 0.5 with input 0.5 (20 steps, alpha 1);
- input 2: the same updates overshoot and diverge (...Prediction:-232452292.6);
- input 2 with alpha 0.1 converges (...1.48527717099e-10 Prediction:0.800012187195).

The book's text says the first error "should print 0.16"; its own arithmetic gives 0.3025, which
its later listings print, as we do.
"""
import numpy as np

from tinygrad_like import no_grad, optim
from tinygrad_like.book._common import book_linear, exact_row, py2_str
from tinygrad_like.data import embedded as E
from tinygrad_like.nn import functional as F
from tinygrad_like.tensor import Tensor

# The book's printouts: the lines it shows before and after its "..." (Python 2 str).
BOOK = {
    "hot and cold, step 0.001": (["Error:0.3025 Prediction:0.25", "Error:0.30195025 Prediction:0.2505"],
                                 ["Error:2.50000000033e-07 Prediction:0.7995",
                                  "Error:1.07995057925e-27 Prediction:0.8"]),
    "hot and cold, step 10": (["Error:0.3025 Prediction:0.25", "Error:19.8025 Prediction:5.25",
                               "Error:0.3025 Prediction:0.25", "Error:19.8025 Prediction:5.25",
                               "Error:0.3025 Prediction:0.25"], []),
    "gradient descent": (["Error:0.3025 Prediction:0.25", "Error:0.17015625 Prediction:0.3875",
                          "Error:0.095712890625 Prediction:0.490625"],
                         ["Error:1.7092608064e-05 Prediction:0.79586567925",
                          "Error:9.61459203602e-06 Prediction:0.796899259437",
                          "Error:5.40820802026e-06 Prediction:0.797674444578"]),
    "input 2 diverges": (["Error:0.04 Prediction:1.0", "Error:0.36 Prediction:0.2", "Error:3.24 Prediction:2.6"],
                         ["Error:6.67087267987e+14 Prediction:-25828031.8",
                          "Error:6.00378541188e+15 Prediction:77484098.6",
                          "Error:5.40340687069e+16 Prediction:-232452292.6"]),
    "alpha 0.1": (["Error:0.04 Prediction:1.0", "Error:0.0144 Prediction:0.92", "Error:0.005184 Prediction:0.872"],
                  ["Error:1.14604719983e-09 Prediction:0.800033853319",
                   "Error:4.12576991939e-10 Prediction:0.800020311991",
                   "Error:1.48527717099e-10 Prediction:0.800012187195"]),
}


def one_weight_network(weight):
    """prediction = input * weight, as a float64 nn.Linear(1, 1, bias=False)."""
    return book_linear([[weight]])


def _error(model, x, goal):
    """The book's (prediction - goal) ** 2 and the prediction, without recording a graph."""
    with no_grad():
        prediction = model(x)
        return F.mse_loss(prediction, goal, reduction="sum").item(), prediction.item()


def hot_and_cold(problem=E.CH4_HOT_AND_COLD, step_amount=None, iterations=None):
    """Hot and cold learning: move the weight by step_amount towards the lower of the two errors.

    Returns [(error, prediction)] per iteration, measured before the move.
    """
    step_amount = problem.step if step_amount is None else step_amount
    iterations = problem.iterations if iterations is None else iterations
    model = one_weight_network(problem.weight)
    weight = model.weight
    x, goal = Tensor([[problem.input]], dtype=np.float64), Tensor([[problem.goal_pred]], dtype=np.float64)
    history = []
    for _ in range(iterations):
        history.append(_error(model, x, goal))
        start = weight.numpy()
        weight.data = start + step_amount
        up_error, _ = _error(model, x, goal)
        weight.data = start - step_amount
        down_error, _ = _error(model, x, goal)
        weight.data = start
        if down_error < up_error:
            weight.data = weight.numpy() - step_amount
        if down_error > up_error:
            weight.data = weight.numpy() + step_amount
    return history


def gradient_descent(problem=E.CH4_GRADIENT_DESCENT, iterations=None):
    """Gradient descent on one weight: returns [(error, prediction)] per iteration (before its update)."""
    model = one_weight_network(problem.weight)
    optimizer = optim.SGD(model.parameters(), lr=problem.step)
    x, goal = Tensor([[problem.input]], dtype=np.float64), Tensor([[problem.goal_pred]], dtype=np.float64)
    history = []
    for _ in range(problem.iterations if iterations is None else iterations):
        prediction = model(x)
        error = F.mse_loss(prediction, goal, reduction="sum")  # (prediction - goal) ** 2
        history.append((error.item(), prediction.item()))
        loss = 0.5 * error  # its gradient is the book's delta * input
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return history


def lines(history):
    return ["Error:" + py2_str(error) + " Prediction:" + py2_str(prediction) for error, prediction in history]


def figures():
    """The printed sequences, name -> list of "Error:... Prediction:..." lines."""
    return {
        "hot and cold, step 0.001": lines(hot_and_cold()),
        "hot and cold, step 10": lines(hot_and_cold(step_amount=10, iterations=5)),
        "gradient descent": lines(gradient_descent(E.CH4_GRADIENT_DESCENT)),
        "input 2 diverges": lines(gradient_descent(E.CH4_DIVERGENCE)),
        "alpha 0.1": lines(gradient_descent(E.CH4_ALPHA)),
    }


def shown(sequence, head, tail):
    """The lines the book shows of a sequence: its first `head` and last `tail`."""
    return sequence[:head] + (sequence[-tail:] if tail else [])


def rows():
    ours = figures()
    result = []
    for name, (head, tail) in BOOK.items():
        mine = shown(ours[name], len(head), len(tail))
        result.append(exact_row(f"ch4 {name} (last line)", (head + tail)[-1], mine[-1])._replace(
            match="yes" if mine == head + tail else "NO"))
    return result


def main():
    for name, sequence in figures().items():
        head, tail = BOOK[name]
        print(f"== {name} ({len(sequence)} lines; the book shows {len(head)} + {len(tail)})")
        for line in sequence[:len(head)]:
            print(line)
        if tail:
            print("...")
            for line in sequence[-len(tail):]:
                print(line)


if __name__ == "__main__":
    main()
