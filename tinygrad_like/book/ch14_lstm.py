"""Grokking Deep Learning, chapter 14: exploding and vanishing gradients, then LSTMs that write like Shakespeare.

**Exploding gradients** (the chapter's "Exploding Gradients Examples" notebook). A 2-unit recurrence
with the weights [[1, 4], [4, 1]], started from sigmoid([1, 0.01]), runs 10 steps of
`activation = sigmoid(activation @ W)`; then the gradient of the last activation (ones) is carried
back through the 10 steps and printed after each: it vanishes, from [0.03439552 0.03439552] to
[1.45938177e-14 2.16938983e-14]. With relu instead, the activations and the gradients explode, to
[46583049.71437107 46577890.60826711] and [9765625. 9765625.]. Here the steps are an
`nn.Linear(2, 2, bias=False)` and `sigmoid` / `relu` on tensors, and the gradients come from
`backward()` (each step's input keeps its gradient with `retain_grad`), printed as numpy prints them:
every published row is reproduced exactly. One detail of the published relu printout: the notebook
ran its relu cell twice, so the rows shown start from the first relu activation of the first run
([4.8135251 4.72615519]), not from the sigmoid activations; `exploding_relu()` does the same.
"""
import numpy as np

from tinygrad_like import nn
from tinygrad_like.book._common import Row
from tinygrad_like.tensor import Tensor

RECURRENT_WEIGHTS = [[1.0, 4.0], [4.0, 1.0]]
STEPS = 10

BOOK_SIGMOID_ACTIVATIONS = [
    "[0.93940638 0.96852968]", "[0.9919462  0.99121735]", "[0.99301385 0.99302901]", "[0.9930713  0.99307098]",
    "[0.99307285 0.99307285]", "[0.99307291 0.99307291]", "[0.99307291 0.99307291]", "[0.99307291 0.99307291]",
    "[0.99307291 0.99307291]", "[0.99307291 0.99307291]"]
BOOK_SIGMOID_GRADIENTS = [
    "[0.03439552 0.03439552]", "[0.00118305 0.00118305]", "[4.06916726e-05 4.06916726e-05]",
    "[1.39961115e-06 1.39961115e-06]", "[4.81403643e-08 4.81403637e-08]", "[1.65582672e-09 1.65582765e-09]",
    "[5.69682675e-11 5.69667160e-11]", "[1.97259346e-12 1.97517920e-12]", "[8.45387597e-14 8.02306381e-14]",
    "[1.45938177e-14 2.16938983e-14]"]
BOOK_RELU_ACTIVATIONS = [
    "[23.71814585 23.98025559]", "[119.63916823 118.852839  ]", "[595.05052421 597.40951192]",
    "[2984.68857188 2977.61160877]", "[14895.13500696 14916.36589628]", "[74560.59859209 74496.90592414]",
    "[372548.22228863 372739.30029248]", "[1863505.42345854 1862932.18944699]",
    "[9315234.18124649 9316953.88328115]", "[46583049.71437107 46577890.60826711]"]
BOOK_RELU_GRADIENTS = ["[5. 5.]", "[25. 25.]", "[125. 125.]", "[625. 625.]", "[3125. 3125.]", "[15625. 15625.]",
                       "[78125. 78125.]", "[390625. 390625.]", "[1953125. 1953125.]", "[9765625. 9765625.]"]


# ---- exploding and vanishing gradients --------------------------------------------------------------------
def recurrence_layer():
    """The demo's recurrent weights as a float64 `nn.Linear(2, 2, bias=False)` (the matrix is symmetric,
    so PyTorch's (out, in) layout holds the same numbers as the notebook's)."""
    layer = nn.Linear(2, 2, bias=False, dtype=np.float64)
    layer.weight.data = np.array(RECURRENT_WEIGHTS).T
    return layer


def run_recurrence(start, activation, steps=STEPS):
    """`steps` applications of `activation(state @ W)` from `start`, then the gradient of the last state
    (a vector of ones) carried back: returns the states after each step and the gradient with respect
    to each step's input, last step first (the order the notebook prints them), as numpy arrays."""
    layer = recurrence_layer()
    state = Tensor(np.asarray(start, dtype=np.float64)[None, :], requires_grad=True)
    inputs, states = [], []
    for _ in range(steps):
        state.retain_grad()  # each step's input keeps its gradient (a no-op for the first, a leaf)
        inputs.append(state)
        state = activation(layer(state))
        states.append(state)
    state.backward(Tensor(np.ones(state.shape)))
    return [s.detach().numpy()[0] for s in states], [x.grad.numpy()[0] for x in reversed(inputs)]


def exploding_sigmoid():
    """The notebook's first cell: the sigmoid recurrence from sigmoid([1, 0.01]); (activations, gradients)."""
    start = Tensor(np.array([1.0, 0.01])).sigmoid().numpy()
    return run_recurrence(start, lambda x: x.sigmoid())


def exploding_relu():
    """The notebook's relu cell as its saved output shows it: run a second time, starting from the first
    activation of the first run, which started from the sigmoid cell's first activation."""
    first_run, _ = run_recurrence(exploding_sigmoid()[0][0], lambda x: x.relu())
    return run_recurrence(first_run[0], lambda x: x.relu())


def printed(arrays):
    """Each array as the notebook prints it (numpy's str)."""
    return [str(array) for array in arrays]


def exploding_rows():
    """The demo's rows: the first and last printed row of each of the four published blocks."""
    rows = []
    for kind, run, book_activations, book_gradients in (
            ("sigmoid", exploding_sigmoid, BOOK_SIGMOID_ACTIVATIONS, BOOK_SIGMOID_GRADIENTS),
            ("relu", exploding_relu, BOOK_RELU_ACTIVATIONS, BOOK_RELU_GRADIENTS)):
        activations, gradients = (printed(arrays) for arrays in run())
        for what, book, ours in (("activations", book_activations, activations),
                                 ("gradients", book_gradients, gradients)):
            identical = sum(b == o for b, o in zip(book, ours))
            rows.append(Row(f"ch14 {kind} {what} (10 rows)", f"{book[0]} ... {book[-1]}",
                            f"{ours[0]} ... {ours[-1]}" + ("" if identical == len(book) else f" ({identical} identical)"),
                            "yes" if book == ours else "NO"))
    return rows
