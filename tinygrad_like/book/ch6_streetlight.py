"""Grokking Deep Learning, chapter 6: the streetlight problem and the first deep network.

1. One layer (`nn.Linear(3, 1, bias=False)`, weights [0.5, 0.48, -0.7], alpha 0.1):
   a. learning the first streetlight only (20 iterations);
   b. learning all six, one streetlight at a time (stochastic gradient descent), 40 iterations,
      printing the error summed over the six: Error:2.6561231104, 0.962870177672, ...,
      0.000614343567483, 0.000533736773285.
2. The deep network for the 4 streetlights whose "walk" is not a linear function of the lights:
   `nn.Sequential(nn.Linear(3, 4, bias=False), nn.ReLU(), nn.Linear(4, 1, bias=False))`,
   per-sample SGD with alpha 0.2 for 60 iterations. The weights are the book's draws:
   `np.random.seed(1)`, then `2 * np.random.random((3, 4)) - 1` and `2 * np.random.random((4, 1)) - 1`
   from numpy's legacy global generator (so calling it re-seeds that generator). It prints the
   summed squared error every 10 iterations: 0.634231159844, 0.358384076763, 0.0830183113303,
   0.0064670549571, 0.000329266900075, 1.50556226651e-05, which we reproduce to all 12 printed
   digits (and to the last bit of the numpy original).

Here the book's relu2deriv is `output > 0`, the true derivative, so the stock `nn.ReLU` is the
right layer (compare chapter 8). Every update is `loss.backward()` on
`0.5 * mse_loss(..., reduction="sum")` (whose gradient is the book's `layer_2_delta`) and an
`optim.SGD` step.
"""
import numpy as np

from tinygrad_like import nn, optim
from tinygrad_like.book._common import book_linear, exact_row, py2_str, rows_as_tensors
from tinygrad_like.data import embedded as E
from tinygrad_like.nn import functional as F
from tinygrad_like.tensor import Tensor

BOOK_SINGLE_LAYER = (["Error:2.6561231104", "Error:0.962870177672"],  # first and last lines shown
                     ["Error:0.000614343567483", "Error:0.000533736773285"])
BOOK_DEEP = ["Error:0.634231159844", "Error:0.358384076763", "Error:0.0830183113303", "Error:0.0064670549571",
             "Error:0.000329266900075", "Error:1.50556226651e-05"]


def _sgd_step(model, optimizer, x, goal):
    """One stochastic gradient descent step; returns the squared error before it."""
    error = F.mse_loss(model(x), goal, reduction="sum")
    optimizer.zero_grad()
    (0.5 * error).backward()
    optimizer.step()
    return error.item()


def single_layer_one_light(iterations=20, alpha=0.1):
    """Learn streetlight 0 -> stop; returns [(error, prediction)] before each update."""
    model = book_linear(E.CH6_WEIGHTS)
    optimizer = optim.SGD(model.parameters(), lr=alpha)
    x, goal = Tensor(E.STREETLIGHTS[:1]), Tensor(E.WALK_VS_STOP[:1, None])
    history = []
    for _ in range(iterations):
        prediction = model(x).item()
        history.append((_sgd_step(model, optimizer, x, goal), prediction))
    return history


def single_layer_all_lights(iterations=40, alpha=0.1):
    """Learn all six streetlights one at a time; returns the summed error of each iteration."""
    model = book_linear(E.CH6_WEIGHTS)
    optimizer = optim.SGD(model.parameters(), lr=alpha)
    lights, goals = rows_as_tensors(E.STREETLIGHTS), rows_as_tensors(E.WALK_VS_STOP[:, None])
    return [sum(_sgd_step(model, optimizer, x, goal) for x, goal in zip(lights, goals)) for _ in range(iterations)]


def book_weights(seed=1, hidden_size=4):
    """The book's random start: np.random.seed(1), then the two draws in order (legacy global RNG)."""
    np.random.seed(seed)
    weights_0_1 = 2 * np.random.random((3, hidden_size)) - 1
    weights_1_2 = 2 * np.random.random((hidden_size, 1)) - 1
    return weights_0_1, weights_1_2


def deep_network(weights_0_1, weights_1_2):
    """3 lights -> 4 hidden ReLU units -> walk/stop."""
    return nn.Sequential(book_linear(weights_0_1), nn.ReLU(), book_linear(weights_1_2))


def deep(iterations=60, alpha=0.2, every=10):
    """Train the 3-4-1 network; returns the summed squared error of every `every`-th iteration
    (iterations 10, 20, ..., as the book prints them) and the trained model."""
    model = deep_network(*book_weights())
    optimizer = optim.SGD(model.parameters(), lr=alpha)
    lights, goals = rows_as_tensors(E.DEEP_STREETLIGHTS), rows_as_tensors(E.DEEP_WALK_VS_STOP)
    printed = []
    for iteration in range(iterations):
        layer_2_error = sum(_sgd_step(model, optimizer, x, goal) for x, goal in zip(lights, goals))
        if iteration % every == every - 1:
            printed.append(layer_2_error)
    return printed, model


def figures():
    return {
        "single layer, one light": ["Error:" + py2_str(e) + " Prediction:" + py2_str(p)
                                    for e, p in single_layer_one_light()],
        "single layer, all lights": ["Error:" + py2_str(e) for e in single_layer_all_lights()],
        "3-4-1 ReLU network": ["Error:" + py2_str(e) for e in deep()[0]],
    }


def rows():
    ours = figures()
    single = ours["single layer, all lights"]
    head, tail = BOOK_SINGLE_LAYER
    result = [exact_row("ch6 one layer, all lights (last of 40)", tail[-1], single[-1])._replace(
        match="yes" if single[:2] + single[-2:] == head + tail else "NO")]
    for book, mine in zip(BOOK_DEEP, ours["3-4-1 ReLU network"]):
        result.append(exact_row("ch6 streetlight 3-4-1 ReLU", book, mine))
    return result


def main():
    for name, printed in figures().items():
        print(f"== {name}")
        for line in printed:
            print(line)


if __name__ == "__main__":
    main()
