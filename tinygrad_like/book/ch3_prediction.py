"""Grokking Deep Learning, chapter 3: forward propagation with the book's fixed weights.

Every network of the chapter is a `nn.Linear(..., bias=False)` (or two of them in a Sequential):
no activation, no bias, no learning. Inputs are the first game's [toes, win/loss record, fans].

- one input:            0.1 * 8.5                       -> 0.85
- multiple inputs:      [8.5, 0.65, 1.2] . [0.1, 0.2, 0] -> 0.98
- multiple outputs:     0.65 * [0.3, 0.2, 0.9]           -> [0.195, 0.13, 0.585]
  (the book's listing sets wlrec = [0.9, ...] but its worked table uses 0.65, as here)
- multiple in and out:  3x3 weights                      -> [0.555, 0.98, 0.965]
- predicting on predictions (3 -> 3 hidden -> 3)         -> hidden [0.86, 0.295, 1.23],
                                                            output [0.2135, 0.145, 0.5065]
"""
import numpy as np

from tinygrad_like import nn, no_grad
from tinygrad_like.book._common import book_linear, exact_row, py2_str
from tinygrad_like.data import embedded as E
from tinygrad_like.tensor import Tensor

# The book's printed results (chapter 3), as printed by its Python 2 code (12 significant digits).
BOOK = {
    "one input": "0.85",
    "multiple inputs": "0.98",
    "multiple outputs": "[0.195, 0.13, 0.585]",
    "multiple inputs & outputs": "[0.555, 0.98, 0.965]",
    "predicting on predictions (hidden)": "[0.86, 0.295, 1.23]",
    "predicting on predictions": "[0.2135, 0.145, 0.5065]",
}

FIRST_GAME = E.BASEBALL_INPUTS[0]  # [toes, wlrec, nfans] = [8.5, 0.65, 1.2]


def one_input_network():
    return book_linear([[E.CH3_WEIGHT]])


def multi_input_network():
    return book_linear(E.CH3_MULTI_INPUT_WEIGHTS)


def multi_output_network():
    return book_linear([E.MULTI_OUTPUT_WEIGHTS])  # one input -> 3 outputs: (in, out) = (1, 3)


def multi_io_network():
    return book_linear(E.MULTI_IO_WEIGHTS.T)  # the book's rows are outputs; book_linear takes (in, out)


def hidden_network():
    """3 inputs -> 3 hidden -> 3 predictions, no activation."""
    return nn.Sequential(book_linear(E.CH3_INPUT_HIDDEN_WEIGHTS.T), book_linear(E.CH3_HIDDEN_PREDICTION_WEIGHTS.T))


def _predict(model, x):
    with no_grad():
        return model(Tensor(np.atleast_2d(np.asarray(x, dtype=np.float64)))).numpy()[0]


def figures():
    """The chapter's predictions, name -> float or list of floats."""
    hidden = hidden_network()
    return {
        "one input": float(_predict(one_input_network(), E.CH3_NUMBER_OF_TOES[0])[0]),
        "multiple inputs": float(_predict(multi_input_network(), FIRST_GAME)[0]),
        "multiple outputs": _predict(multi_output_network(), E.WLREC[0]).tolist(),
        "multiple inputs & outputs": _predict(multi_io_network(), FIRST_GAME).tolist(),
        "predicting on predictions (hidden)": _predict(hidden[0], FIRST_GAME).tolist(),
        "predicting on predictions": _predict(hidden, FIRST_GAME).tolist(),
    }


def show(value):
    """A prediction as the book prints it: Python 2 str of a float, or a list of them."""
    return py2_str(value) if isinstance(value, float) else "[" + ", ".join(py2_str(v) for v in value) + "]"


def rows():
    ours = figures()
    return [exact_row(f"ch3 {name}", BOOK[name], show(ours[name])) for name in BOOK]


def main():
    for name, value in figures().items():
        print(f"{name}: {show(value)}")


if __name__ == "__main__":
    main()
