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

**The character LSTM** ("Learn to Write Like Shakespeare"), from layers (float64):

    nn.Embedding(62, 512) -> nn.LSTMCell(512, 512) -> nn.Linear(512, 62, bias=False)

on the 99,993 characters of shakespear.txt cut into 16 parallel streams and 249 windows of 25 steps
(`tinygrad_like.data.bptt_batches`), the hidden state carried from window to window as a fresh leaf
(truncated BPTT) and reset each epoch to the book's `init_hidden` (zeros with a 1 in the first unit
of h and c); per window the loss is the sum of the 25 steps' cross-entropies (the book's, whose
gradient is summed over the batch), one SGD step (lr 0.05, times 0.99 per epoch); printed: the
perplexity exp(mean loss / 25) and, at each epoch's first window, 70 greedy characters from 'T'. The
weights are the book's draws in its order (its nine Linears rearranged into PyTorch's gate order, see
`build_lstm`) and the decoder starts at zero, so the first window predicts the uniform distribution
whatever the vocabulary order: its printed `Loss:62.000000000000064` is reproduced exactly.
Nothing later is: the vocabulary's order (a Python set in the book) decides which random rows the
characters get, and **the book's framework computes wrong LSTM gradients** (a tensor used by several
ops, such as h_t, passes its gradient on before all of them have arrived, and the late ones are
dropped: 60-120% off from two steps on), while ours pass gradcheck (`lstm_gradients_check`). With
exact gradients the book's step size (lr 0.05 on a loss summed over 16 streams and 25 steps)
diverges within ten windows, so we clip the gradient norm to 25 (`train_lstm`). Our curve is
therefore another one: the published 62 -> 19.23 in the first epoch, 10.7 after seven, are shown
beside ours, not compared.

**The character RNN** (the "Part 2" notebook): the book's sigmoid RNNCell(512, 512, 62) (three
nn.Linear, see ch13_framework.BookRNNCell), batch 32, windows of 16 (195), lr 0.05 times 0.99 per
epoch. PyTorch's nn.RNNCell (tanh or relu only) in its place does not learn with the book's
initialisation and step size: the perplexity is nan within the first epoch, and still about 7,400
after it with the gradient norm clipped to 25. Its training loop rebinds `loss` to the last step's loss (`for
loss in losses: ""`), so only the 16th step is back-propagated and counted; we keep that. Its
samples take the logits times 10 and pick the first character whose probability exceeds one uniform
draw (`(p > rand()).argmax()`), which is what `sampled_text` does. Its gradients are right (the loss
of one step), but the vocabulary order again makes the published curve (148.0 after the first
epoch, 20.6 after the second) one draw among many.
"""
import argparse
import sys
import time
from typing import NamedTuple

import numpy as np

from tinygrad_like import gradcheck, nn, no_grad, optim
from tinygrad_like.book._common import BookCrossEntropy, Progress, Row, data_or_exit, single_blas_thread
from tinygrad_like.book.ch13_framework import BookRNNCell, book_embedding, book_linear
from tinygrad_like.data import Vocabulary, bptt_batches, char_tokens, load_shakespeare
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
            shown = f"{ours[0]} ... {ours[-1]}" + ("" if identical == len(book) else f" ({identical} identical)")
            rows.append(Row(f"ch14 {kind} {what} (10 rows)", f"{book[0]} ... {book[-1]}", shown,
                            "yes" if book == ours else "NO"))
    return rows


# ---- the character LSTM (the chapter's "Learn to Write Like Shakespeare" notebook) ---------------------------
SIZE, LSTM_BATCH, LSTM_BPTT, ALPHA, DECAY, SAMPLE_LENGTH, LSTM_ID_HIGH = 512, 16, 25, 0.05, 0.99, 70, 10 ** 9
CLIP = 25.0  # the LSTM's gradient norm limit: with exact gradients the book's steps diverge (see train_lstm)
RNN_BATCH, RNN_BPTT, RNN_PRINT_EVERY = 32, 16, 10
BOOK_LSTM_FIRST = " Iter:0 - Alpha:0.05 - Batch 1/249 - Min Loss:62.00 - Loss:62.000000000000064"
BOOK_LSTM_CURVE = {(0, 1): 62.000000000000064, (0, 249): 19.233214769358476, (1, 1): 13.063830116471486,
                   (7, 140): 10.736922784153954}  # (epoch, window) -> printed perplexity
# the start of the 500 greedy characters the notebook generates from '\n' after train(100)
BOOK_LSTM_TEXT = "Intestay thee.\n\nSIR:\nIt thou my thar the sentastar the see the see:"
BOOK_RNN_CURVE = {(0, 191): 148.00388828554404, (1, 191): 20.588816924127116, (41, 161): 3.5868070218013654}
BOOK_RNN_TEXT = "I war ded abdons would.\n\nCHENRO:\nWhy, speed no virth to her,"  # the start of its 2000-character sample


class Corpus(NamedTuple):
    vocab: Vocabulary  # the 62 characters, sorted (the notebook's list(set(raw)) order varies)
    inputs: np.ndarray  # (windows, bptt, batch) character indices
    targets: np.ndarray  # the next characters


def corpus(text, batch_size=LSTM_BATCH, bptt=LSTM_BPTT):
    """The notebook's batching of the text: `batch_size` parallel streams cut into windows of `bptt`."""
    vocab = Vocabulary(char_tokens(text))
    return Corpus(vocab, *bptt_batches(vocab.encode(text), batch_size, bptt))


class CharLSTM(nn.Module):
    """nn.Embedding(V, 512), nn.LSTMCell(512, 512) and a bias-free nn.Linear(512, V) decoder."""

    def __init__(self, vocab_size, size=SIZE):
        super().__init__()
        self.size = size
        self.embedding = nn.Embedding(vocab_size, size, dtype=np.float64)
        self.cell = nn.LSTMCell(size, size, dtype=np.float64)
        self.decoder = nn.Linear(size, vocab_size, bias=False, dtype=np.float64)

    def forward(self, chars, state):
        """The logits of the next character and the new (h, c), from characters (batch,) and (h, c)."""
        h, c = self.cell(self.embedding(chars), state)
        return self.decoder(h), (h, c)

    def init_hidden(self, batch_size=1):
        """The book's initial state: zeros, but 1 in the first unit of both h and c."""
        state = np.zeros((batch_size, self.size))
        state[:, 0] = 1
        return Tensor(state), Tensor(state.copy())


def build_lstm(vocab_size, size=SIZE, seed=0):
    """The LSTM with the notebook's starting weights: `np.random.seed(0)`, the book's Embedding, then its
    LSTMCell's nine Linears in their order (xf, xi, xo, xc with zero biases, hf, hi, ho, hc and w_ho
    without), each drawn `randn(n_in, n_out) * sqrt(2 / n_in)` and followed by its tensor ids
    (`randint(0, 10**9)` in this notebook), the decoder then zeroed (`w_ho.weight.data *= 0`).

    PyTorch's LSTMCell stacks the gates as input, forget, cell, output: weight_ih holds xi, xf, xc, xo
    (transposed), weight_hh hi, hf, hc, ho. The book has one bias per gate: bias_ih holds it and
    bias_hh stays zero and frozen (requires_grad=False), so that the gate's bias does not learn twice."""
    np.random.seed(seed)
    embedding = book_embedding(vocab_size, size, id_high=LSTM_ID_HIGH)
    gates = {name: book_linear(size, size, bias=name[0] == "x", id_high=LSTM_ID_HIGH)
             for name in ("xf", "xi", "xo", "xc", "hf", "hi", "ho", "hc")}
    book_linear(size, vocab_size, bias=False, id_high=LSTM_ID_HIGH)  # w_ho, drawn, then zeroed below
    model = CharLSTM(vocab_size, size)
    model.embedding.weight.data = embedding.weight.numpy()
    model.cell.weight_ih.data = np.concatenate([gates[g].weight.numpy() for g in ("xi", "xf", "xc", "xo")])
    model.cell.weight_hh.data = np.concatenate([gates[g].weight.numpy() for g in ("hi", "hf", "hc", "ho")])
    model.cell.bias_ih.data = np.concatenate([gates[g].bias.numpy() for g in ("xi", "xf", "xc", "xo")])
    model.cell.bias_hh.data = np.zeros(4 * size)
    model.cell.bias_hh.requires_grad = False
    model.decoder.weight.data = np.zeros((vocab_size, size))
    return model


def greedy_text(model, vocab, length, first):
    """The notebook's generate_sample for the LSTM: from `first`, `length` characters, each the argmax."""
    state, char, text = model.init_hidden(1), vocab[first], ""
    with no_grad():
        for _ in range(length):
            logits, state = model(Tensor(np.array([char])), state)
            char = int(logits.numpy().argmax())
            text += vocab.itos[char]
    return text


def log_line(epoch, alpha, window, windows, min_loss, perplexity):
    """The notebook's progress line (without its leading carriage return)."""
    return (f" Iter:{epoch} - Alpha:{str(alpha)[0:5]} - Batch {window + 1}/{windows} - Min Loss:{str(min_loss)[0:5]}"
            f" - Loss:{perplexity}")


class CurveRun(NamedTuple):
    lines: list  # the printed line of every window (the first of each epoch with its sample)
    curve: dict  # (epoch, window) -> printed perplexity, windows counted from 1
    samples: list  # the sample printed at each epoch's first window
    model: nn.Module
    vocab: Vocabulary


def _add_line(line, with_sample, sample, lines, samples, bar, on_line):
    """A training loop's printed line, appended to `lines` and passed to `on_line` (the progress bar paused);
    with_sample: a `sample()` is appended to `samples` and, newlines as spaces, to the line first."""
    if with_sample:
        samples.append(sample())
        line += " - " + samples[-1].replace("\n", " ")
    lines.append(line)
    if on_line is not None:
        with bar.paused():
            on_line(line)


def train_lstm(text, epochs=1, windows=None, progress=True, on_line=None, seed=0, clip=CLIP, size=SIZE):
    """Train as the notebook's train(): per epoch, the hidden state starts at init_hidden and is carried from
    window to window as a fresh leaf (truncated BPTT); the loss of a window is the sum of its 25 steps'
    cross-entropies (the book's, batch-summed gradient), one backward and one SGD step per window;
    printed perplexity = exp(mean of loss / 25 so far); lr 0.05, times 0.99 after every epoch.
    `windows` stops each epoch early (the first row needs one); `size` is the embedding and hidden size.

    One change: the gradient's norm is clipped to `clip` (nn.utils.clip_grad_norm_) before each step.
    With exact gradients the book's step size diverges: the perplexity is nan within ten windows
    (`clip=None` shows it). The book's own run did not, because its framework's LSTM gradients are
    truncated (see the module docstring), smaller than the true ones. Clipping is the standard cure for
    exploding gradients, the subject of the chapter's first notebook; it does not touch the first
    window's printed perplexity, which is computed before the step."""
    data = corpus(text)
    model = build_lstm(len(data.vocab), size, seed)
    optimizer = optim.SGD([p for p in model.parameters() if p.requires_grad], lr=ALPHA)
    criterion, count = BookCrossEntropy(), len(data.inputs) if windows is None else min(windows, len(data.inputs))
    lines, curve, samples, min_loss = [], {}, [], 1000
    bar = Progress(epochs * count, "ch14 character LSTM", enabled=progress)
    with single_blas_thread():
        try:
            for epoch in range(epochs):
                total, state = 0, model.init_hidden(LSTM_BATCH)
                for window in range(count):
                    state = tuple(Tensor(s.numpy()) for s in state)
                    loss = None
                    for t in range(LSTM_BPTT):
                        logits, state = model(Tensor(data.inputs[window, t]), state)
                        step = criterion(logits, data.targets[window, t])
                        loss = step if loss is None else step + loss  # the book's batch_loss + losses[-1]
                    optimizer.zero_grad()
                    loss.backward()
                    if clip is not None:
                        nn.utils.clip_grad_norm_(optimizer.param_groups[0]["params"], clip)
                    optimizer.step()
                    total += loss.numpy() / LSTM_BPTT
                    perplexity = np.exp(total / (window + 1))
                    min_loss = min(min_loss, perplexity)
                    curve[(epoch, window + 1)] = float(perplexity)
                    line = log_line(epoch, optimizer.param_groups[0]["lr"], window, len(data.inputs), min_loss,
                                    perplexity)
                    _add_line(line, window == 0, lambda: greedy_text(model, data.vocab, SAMPLE_LENGTH, "T"), lines,
                              samples, bar, on_line)
                    bar.update()
                optimizer.param_groups[0]["lr"] *= DECAY
        finally:
            bar.close()
    return CurveRun(lines, curve, samples, model, data.vocab)


# ---- the character RNN (the "Part 2" notebook) -------------------------------------------------------------
def build_rnn(vocab_size, size=SIZE, seed=0):
    """The book's Embedding(V, 512) and sigmoid RNNCell(512, 512, V), drawn after `np.random.seed(0)` in the
    notebook's order (ids `randint(0, 100000)` in this notebook)."""
    np.random.seed(seed)
    embedding = book_embedding(vocab_size, size)
    return embedding, BookRNNCell(size, size, vocab_size)


def sampled_text(embedding, model, vocab, length, first, temperature=10):
    """The Part 2 notebook's generate_sample: logits times 10, softmax, then the first character whose
    probability exceeds one uniform draw from numpy's global generator (`(p > rand()).argmax()`: not a
    categorical sample; index 0 when none does)."""
    hidden, char, text = model.init_hidden(1), vocab[first], ""
    with no_grad():
        for _ in range(length):
            logits, hidden = model(embedding(Tensor(np.array([char]))), hidden)
            scaled = np.exp(logits.numpy()[0] * temperature)
            distribution = scaled / scaled.sum()
            char = int((distribution / distribution.sum() > np.random.rand()).argmax())
            text += vocab.itos[char]
    return text


def train_rnn(text, epochs=1, windows=None, progress=True, on_line=None, seed=0, size=SIZE):
    """Train as the Part 2 notebook's train(): batch 32, windows of 16, lr 0.05 times 0.99 per epoch. Its
    loop `for loss in losses: ""` rebinds `loss` to the last step's, so only the 16th step's
    cross-entropy is back-propagated and counted: printed perplexity = exp(mean last-step loss so far),
    every 10 windows, the first with a sample of 70 characters from '\n'."""
    data = corpus(text, RNN_BATCH, RNN_BPTT)
    embedding, model = build_rnn(len(data.vocab), size, seed)
    optimizer = optim.SGD(list(model.parameters()) + list(embedding.parameters()), lr=ALPHA)
    criterion, count = BookCrossEntropy(), len(data.inputs) if windows is None else min(windows, len(data.inputs))
    lines, curve, samples = [], {}, []
    bar = Progress(epochs * count, "ch14 character RNN", enabled=progress)
    with single_blas_thread():
        try:
            for epoch in range(epochs):
                total, hidden = 0, model.init_hidden(RNN_BATCH)
                for window in range(count):
                    hidden = Tensor(hidden.numpy())
                    for t in range(RNN_BPTT):
                        logits, hidden = model(embedding(Tensor(data.inputs[window, t])), hidden)
                    loss = criterion(logits, data.targets[window, RNN_BPTT - 1])  # the last step's only
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    total += loss.numpy()
                    perplexity = np.exp(total / (window + 1))
                    curve[(epoch, window + 1)] = float(perplexity)
                    if window % RNN_PRINT_EVERY == 0:
                        line = f" Iter:{epoch} - Batch {window + 1}/{len(data.inputs)} - Loss:{perplexity}"
                        _add_line(line, window == 0,
                                  lambda: sampled_text(embedding, model, data.vocab, SAMPLE_LENGTH, "\n"), lines,
                                  samples, bar, on_line)
                    bar.update()
                optimizer.param_groups[0]["lr"] *= DECAY
        finally:
            bar.close()
    return CurveRun(lines, curve, samples, (embedding, model), data.vocab)


# ---- the gradients: ours against finite differences ----------------------------------------------------------
def lstm_gradients_check(steps=3, seed=0):
    """gradcheck (float64, central differences) of the summed cross-entropy of an LSTMCell and its decoder
    over `steps` steps, with respect to every step's input and the initial (h, c): the gradients that
    flow back through h_t, which feeds both the decoder and the next step. That is where the book's
    framework goes wrong from two steps on (a tensor used by several ops passes its gradient on before
    all of them have arrived, and the late ones are dropped). Returns True when ours pass."""
    rng = np.random.default_rng(seed)
    model = CharLSTM(5, size=4)
    for parameter in model.parameters():
        parameter.data = rng.normal(0, 0.5, parameter.shape)
    targets = rng.integers(0, 5, (steps, 2))
    inputs = [Tensor(rng.normal(0, 0.5, (2, 4)), requires_grad=True) for _ in range(steps + 2)]

    def loss(h, c, *xs):
        total, state = None, (h, c)
        for x, target in zip(xs, targets):
            state = model.cell(x, state)
            step = nn.functional.cross_entropy(model.decoder(state[0]), Tensor(target), reduction="sum")
            total = step if total is None else step + total
        return total
    return gradcheck(loss, *inputs, raise_exception=False)


# ---- the demo's rows and the script -----------------------------------------------------------------------
FULL_EPOCHS = 2  # the demo's --full: two epochs of each character model (minutes)
BOOK_FRAMEWORK_GRADIENTS = "book's framework: wrong from 2 steps (rel. err. 0.6-1.2)"


def _field(line, name):
    """'Loss:62.00...' from a progress line."""
    return next(part for part in line.split(" - ") if part.startswith(name + ":"))


def _show(text, length=24):
    return repr(text[:length])


def rows(text, full=False, progress=True):
    """The character models' rows: the LSTM's first window (exact), our gradients against finite
    differences, and with `full` the first two epochs' curves of the LSTM and the RNN and samples."""
    lstm = train_lstm(text, epochs=FULL_EPOCHS if full else 1, windows=None if full else 1, progress=progress)
    first = _field(lstm.lines[0], "Loss")
    result = [Row("ch14 char LSTM: first window's perplexity", _field(BOOK_LSTM_FIRST, "Loss"), first,
                  "yes" if first == _field(BOOK_LSTM_FIRST, "Loss") else "NO")]
    correct = lstm_gradients_check()
    result.append(Row("ch14 LSTM gradients, 3 steps, vs central differences", BOOK_FRAMEWORK_GRADIENTS,
                      "gradcheck passes" if correct else "gradcheck FAILS", "n/a" if correct else "NO"))
    result.append(Row("ch14 char LSTM: sample after window 1", _show("          eeeeeeeeeeeeee"),
                      _show(lstm.samples[0]), "n/a"))
    if not full:
        return result
    for key in ((0, 249), (1, 1)):
        result.append(Row(f"ch14 char LSTM: perplexity, epoch {key[0]} window {key[1]}",
                          f"{BOOK_LSTM_CURVE[key]:.4g} (its truncated gradients)",
                          f"{lstm.curve[key]:.4g} (exact, clipped)", "n/a"))
    result.append(Row("ch14 char LSTM: 500 greedy characters from '\\n'", _show(BOOK_LSTM_TEXT),
                      _show(greedy_text(lstm.model, lstm.vocab, 500, "\n")), "n/a"))
    rnn = train_rnn(text, epochs=FULL_EPOCHS, progress=progress)
    for key in ((0, 191), (1, 191)):
        result.append(Row(f"ch14 char RNN: perplexity, epoch {key[0]} window {key[1]}",
                          f"{BOOK_RNN_CURVE[key]:.4g}", f"{rnn.curve[key]:.4g}", "n/a"))
    embedding, model = rnn.model
    result.append(Row("ch14 char RNN: sampled characters from '\\n'", _show(BOOK_RNN_TEXT),
                      _show(sampled_text(embedding, model, rnn.vocab, 100, "\n")), "n/a"))
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description="Grokking Deep Learning chapter 14: exploding and vanishing "
                                     "gradients, then a character LSTM (and the Part 2 notebook's character RNN) "
                                     "learning to write like Shakespeare, printed as the notebooks print them. By "
                                     "default the LSTM trains one window (its first line is exact); --epochs N "
                                     "trains N epochs (about 1.5 minutes each).")
    parser.add_argument("--shakespeare", metavar="PATH", help="shakespear.txt or its directory (default: the first "
                        "place searched that holds it, see tinygrad_like.data.shakespeare_places)")
    parser.add_argument("--model", choices=("lstm", "rnn"), default="lstm", help="the LSTM (Part 1, default) or "
                        "the Part 2 notebook's RNN")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--windows", type=int, metavar="N", help="train N windows of one epoch (default: 1)")
    length.add_argument("--epochs", type=int, metavar="N", help="train N whole epochs")
    parser.add_argument("--generate", type=int, default=0, metavar="N", help="then print N generated characters "
                        "(the LSTM: greedy; the RNN: the notebook's sampling)")
    args = parser.parse_args(argv)
    text = data_or_exit(parser, load_shakespeare, args.shakespeare, "--shakespeare PATH")
    start = time.time()
    print("Activations")
    activations, gradients = exploding_sigmoid()
    print("\n".join(printed(activations)) + "\n\nGradients\n" + "\n".join(printed(gradients)))
    activations, gradients = exploding_relu()
    print("Relu Activations\n" + "\n".join(printed(activations)) + "\n\nRelu Gradients\n"
          + "\n".join(printed(gradients)))
    epochs, windows = (args.epochs, None) if args.epochs else (1, args.windows or 1)
    if args.model == "lstm":
        run = train_lstm(text, epochs, windows, on_line=print)
        if args.generate:
            print(greedy_text(run.model, run.vocab, args.generate, "\n"))
    else:
        run = train_rnn(text, epochs, windows, on_line=print)
        if args.generate:
            print(sampled_text(*run.model, run.vocab, args.generate, "\n"))
    print(f"({time.time() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
