"""What the book modules share: the book's print formats, its weight layout, its two quirky layers,
the comparison rows of the demo, a progress indicator and the data options of the scripts.

Nothing here is a network: each chapter module builds its own from `nn` layers.
"""
import contextlib
import ctypes
import math
import sys
import time
from typing import NamedTuple

import numpy as np

from tinygrad_like import nn
from tinygrad_like.data import book_mnist, find_mnist, mnist, titanic
from tinygrad_like.tensor import Function, Tensor


# ---- how the sources print numbers ------------------------------------------------------------------
def py2_str(x):
    """Python 2's `str(float)`: 12 significant digits, and '.0' after an integral value ('1.0', '1e+16').

    The book's code is Python 2 (`print "Error:" + str(error)`), so this is how its figures look.
    """
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return repr(x)
    text = "%.12g" % x
    if text.lstrip("-").isdigit():
        text += ".0"
    return text


def truncated(x, width=5):
    """The chapter 8 notebook's `str(error / n)[0:5]`: Python 3 str, cut (not rounded) to `width` chars."""
    return str(float(x))[:width]


def py3_str(x):
    """Python 3's str(float) (shortest repr), as the chapter 5 and 8 notebooks print."""
    return str(float(x))


# ---- the book's weights in PyTorch's layout ----------------------------------------------------------
def book_linear(weights_in_out, layer=nn.Linear):
    """A float64 `nn.Linear(in, out, bias=False)` holding the book's (in, out) matrix (or a `layer`
    of the same constructor, such as chapter 8's `BookBatchLinear`).

    The book multiplies `layer.dot(weights)` with weights of shape (in, out); PyTorch's Linear
    computes `x @ weight.T` with weight (out, in), so the weight is the book's matrix transposed.
    It is kept as the transposed *view* of the book's array, so the products run on the very same
    memory layout as the book's numpy code and give the same bits.
    """
    weights = np.array(weights_in_out, dtype=np.float64)
    if weights.ndim == 1:  # the book's one-output vectors: weights[i] belongs to input i
        weights = weights[:, None]
    linear = layer(weights.shape[0], weights.shape[1], bias=False).double()
    linear.weight.data = weights.T
    return linear


def rows_as_tensors(array):
    """One (1, features) float64 Tensor per row: the book's `images[i:i+1]` slices, made once."""
    array = np.asarray(array, dtype=np.float64)
    return [Tensor(array[i:i + 1]) for i in range(len(array))]


# ---- the book's backward-pass quirks, as layers ----------------------------------------------------
class BookReLUFunction(Function):
    """Forward: relu. Backward: the gradient passes unchanged (slope 1 everywhere)."""

    @staticmethod
    def forward(ctx, x):
        return (x >= 0) * x  # the notebook's relu, literally

    @staticmethod
    def backward(ctx, grad):
        return grad


class BookReLU(nn.Module):
    """The ReLU of Grokking Deep Learning's chapter 8 notebook, *including its backward bug*.

    The book multiplies the hidden delta by `relu2deriv(layer_1)` with `relu2deriv = lambda x: x >= 0`
    applied to the relu's OUTPUT, which is never negative: the factor is always 1, so the book
    back-propagates as if the hidden layer were linear. This layer does the same: relu forward,
    identity backward. `tinygrad_like.gradcheck` rejects it (its backward is not relu's derivative);
    `nn.ReLU` is the correct layer and learns better (see ch8_mnist).
    """

    def forward(self, x):
        return BookReLUFunction.apply(x)


class BookDropoutFunction(Function):
    """Forward: x * mask * 2. Backward: grad * mask, i.e. HALF the true gradient (the book's code)."""

    @staticmethod
    def forward(ctx, x, mask=None):
        ctx.mask = mask
        return x * (mask * 2)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.mask


class BookDropout(nn.Module):
    """The book's dropout: in training, `mask = np.random.randint(2, size=x.shape)` and `x * mask * 2`.

    The mask comes from numpy's legacy global generator (`np.random.seed(1)` at the top of the
    notebook), one draw per forward call, exactly as the notebook draws it, so the same seed gives
    the same masks. In eval mode it is the identity and draws nothing.

    With `book_backward=True` (the default) the backward pass multiplies by `mask`, as the notebook
    does (`layer_1_delta *= dropout_mask`), not by the `mask * 2` of the forward pass: the layers
    below it learn at half the rate. `book_backward=False` gives the true gradient.
    """

    def __init__(self, book_backward=True):
        super().__init__()
        self.book_backward = book_backward

    def forward(self, x):
        if not self.training:
            return x
        mask = np.random.randint(2, size=x.shape)
        if self.book_backward:
            return BookDropoutFunction.apply(x, mask=mask)
        return x * Tensor._wrap((mask * 2).astype(x.dtype))

    def extra_repr(self):
        return f"p=0.5, book_backward={self.book_backward}"


class BookTanhDropoutFunction(Function):
    """Forward: tanh(z) * mask * 2. Backward: grad * (1 - out ** 2) * mask, with `out` the doubled,
    dropped-out activation (the notebook's `tanh2deriv(layer_1)` after `layer_1 *= dropout_mask * 2`)."""

    @staticmethod
    def forward(ctx, z, mask=None):
        out = np.tanh(z) * (mask * 2)
        ctx.save_for_backward(out)
        ctx.mask = mask
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 - out ** 2) * ctx.mask


class BookTanhDropout(nn.Module):
    """tanh, then the book's dropout (`mask = np.random.randint(2, size=x.shape)`, `x * mask * 2`), with
    the backward of the chapter 9 and 10 notebooks: see `BookTanhDropoutFunction` and ch9_mnist.

    The mask is drawn from numpy's legacy global generator, one draw per training forward call, as
    the notebook draws it. In eval mode the layer is a plain tanh and draws nothing.
    """

    def forward(self, x):
        if not self.training:
            return x.tanh()
        return BookTanhDropoutFunction.apply(x, mask=np.random.randint(2, size=x.shape))


# ---- chapters 11-15: the book's own framework and its quirks ---------------------------------------
def book_tensor_ids(count=1, high=100000):
    """Draw `count` ids from numpy's global generator, as the book's chapter 13-15 `Tensor` does for
    every tensor it creates (`self.id = np.random.randint(0, high)`; high is 100000 in chapter 13 and
    the chapter 14 RNN, 10**9 in the chapter 14 LSTM and chapter 15).

    The ids only label graph nodes, but they consume the global stream, so the weights the book draws
    after creating tensors depend on how many were created before. Our tensors draw nothing; a
    chapter module calls this where the book creates a tensor, so its later weight draws read the
    same numbers as the book's.
    """
    for _ in range(count):
        np.random.randint(0, high)


class BookCrossEntropyFunction(Function):
    """Forward: the book's `cross_entropy` literally (softmax without max-subtraction, then
    `-(log(p) * onehot).sum(1).mean()`). Backward: `softmax - onehot`, *not divided by the batch size*."""

    @staticmethod
    def forward(ctx, logits, target=None):
        temp = np.exp(logits)
        softmax = temp / np.sum(temp, axis=-1, keepdims=True)
        t = np.asarray(target).reshape(-1)
        p = softmax.reshape(len(t), -1)
        target_dist = np.eye(p.shape[1])[t]
        ctx.delta = (p - target_dist).reshape(logits.shape)
        return np.asarray(-(np.log(p) * target_dist).sum(1).mean())

    @staticmethod
    def backward(ctx, grad):
        return ctx.delta * grad


class BookCrossEntropy(nn.Module):
    """The `CrossEntropyLoss` of the book's framework (chapters 13-15), including its gradient scale.

    It prints the mean cross-entropy over the rows, but its backward sends `softmax - onehot` for
    every row: the gradient of the *summed* loss, batch_size times the gradient of the value printed.
    With SGD the book's learning rate therefore acts as `lr * batch_size` on the mean. (The book's
    backward also ignores the incoming gradient; ours multiplies by it, which is the same for the
    book's `loss.backward()` with its default gradient of ones.) `F.cross_entropy(reduction="sum")`
    gives the same gradient; this layer keeps the book's printed value and formula too, so that its
    printouts match to the last digit. gradcheck rejects it for a batch of more than one row.
    """

    def forward(self, logits, target):
        target = target.numpy() if isinstance(target, Tensor) else np.asarray(target)
        return BookCrossEntropyFunction.apply(logits, target=target)


class BookSigmoidFunction(Function):
    """Forward: sigmoid. Backward: the gradient passes unchanged (the derivative left out)."""

    @staticmethod
    def forward(ctx, x):
        return 1 / (1 + np.exp(-x))

    @staticmethod
    def backward(ctx, grad):
        return grad


class BookSigmoid(nn.Module):
    """The hidden sigmoid of chapter 11's sentiment network, *including its backward bug*: the notebook's
    `layer_1_delta = layer_2_delta.dot(weights_1_2.T)` leaves out the sigmoid's derivative, so the layer
    back-propagates as if it were the identity. gradcheck rejects it; `nn.Sigmoid` is the true layer."""

    def forward(self, x):
        return BookSigmoidFunction.apply(x)


class BookMeanFunction(Function):
    """Forward: the mean over axis 0. Backward: every row gets the whole gradient (the sum's)."""

    @staticmethod
    def forward(ctx, rows):
        ctx.count = rows.shape[0]
        return rows.mean(axis=0)

    @staticmethod
    def backward(ctx, grad):
        return np.tile(grad, (ctx.count, 1))


class BookLaggedGradientFunction(Function):
    """Forward: `earlier` unchanged. Backward: the gradient goes to `later`, none to `earlier`.

    Chapter 12's hand-written backprop through its recurrence, `pred_t = softmax(h_{t-1} @ decoder)`,
    files each prediction's error under the hidden state *after* the word (layer t's 'hidden_delta'),
    not under h_{t-1}, which made the prediction. Feeding the decoder `apply(h_t, h_{t-1})` computes
    the same values and sends the error where the book sends it.
    """

    @staticmethod
    def forward(ctx, later, earlier):
        return earlier.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class BookTapFunction(Function):
    """Forward: `hidden` unchanged. Backward: the gradient goes to `hidden` and, unchanged, to `word`.

    Chapter 12's book updates the embedding row of word t with the delta of the hidden state *before*
    the word is added (`embed[sent[t]] -= layers[t]['hidden_delta'] ...`), not after. Tapping h_t with
    word t's row (and adding the row, detached, into h_{t+1}) gives the row exactly that gradient.
    """

    @staticmethod
    def forward(ctx, hidden, word):
        return hidden.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


# ---- the demo's comparison rows ---------------------------------------------------------------------
STATUSES = ("yes", "NO", "n/a", "skipped")


class Row(NamedTuple):
    """One line of the demo's table: a figure the source prints, and ours."""
    network: str
    book: str
    ours: str
    match: str  # one of STATUSES, optionally followed by a short note: "yes (±0.01)", "skipped (...)"

    @property
    def status(self):
        """"yes" or "NO" (ours against the source's figure, or a reference where it prints none), "n/a"
        (nothing to compare with) or "skipped" (the data was missing or unreadable)."""
        return self.match.split(" ", 1)[0]


def exact_row(network, book, ours):
    return Row(network, book, ours, "yes" if book == ours else "NO")


def close_row(network, book, ours, tolerance, shown=None):
    """A row whose figure the source prints rounded or truncated: a match within `tolerance`."""
    book_values, our_values = np.atleast_1d(np.asarray(book, float)), np.atleast_1d(np.asarray(ours, float))
    ok = book_values.shape == our_values.shape and bool(np.all(np.abs(book_values - our_values) <= tolerance))
    show = shown or (lambda v: ", ".join("%.4g" % x for x in np.atleast_1d(v)))
    return Row(network, show(book), show(ours), f"yes (±{tolerance:g})" if ok else "NO")


def range_row(network, book, ours, low, high):
    """A row whose figure cannot be reproduced digit for digit (it depends on something the source leaves
    to chance): a match when ours lies in [low, high], the range the source's own code gives. (Match
    notes stay within 13 characters, so that the demo's other columns keep their width.)"""
    inside = low <= ours <= high
    return Row(network, f"{book:.4g} (its code: {low:g}-{high:g})", f"{ours:.4g}", "yes (range)" if inside else "NO")


def info_row(network, ours, note="n/a"):
    return Row(network, "-", ours, note)


# ---- progress on long runs ------------------------------------------------------------------------
class Progress:
    """tqdm when it is installed, else one plain-text line rewritten in place (or nothing if quiet)."""

    def __init__(self, total, description, enabled=True, stream=None):
        self.total, self.description, self.count = total, description, 0
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.start = time.time()
        self._bar = None
        self._last = 0.0
        if enabled:
            try:
                from tqdm import tqdm
                self._bar = tqdm(total=total, desc=description, leave=False, file=self.stream)
            except ImportError:
                pass

    def update(self, n=1):
        self.count += n
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.time()
        interval = 0.5 if self.stream.isatty() else 10.0  # a log file gets a line every 10 s
        if now - self._last >= interval or self.count == self.total:
            self._last = now
            done = self.count / self.total if self.total else 1.0
            bar = "#" * int(30 * done)
            self.stream.write(f"\r{self.description}: [{bar:<30}] {self.count}/{self.total} "
                              f"{now - self.start:5.1f}s" + ("" if self.stream.isatty() else "\n"))
            self.stream.flush()

    @contextlib.contextmanager
    def paused(self):
        """A block that prints results: the progress line is erased first so that they start a line of
        their own, and is drawn again at the next update."""
        if self._bar is not None:
            self._bar.clear()
        elif self.enabled and self.stream.isatty():
            self._erase()
            self._last = 0.0  # so the next update draws it again
        try:
            yield
        finally:
            if self._bar is not None:
                self._bar.refresh()

    def close(self):
        if self._bar is not None:
            self._bar.close()
        elif self.enabled:
            self._erase()

    def _erase(self):
        """Blank out the line rewritten in place (a log file, which gets whole lines, needs nothing)."""
        if self.stream.isatty():
            self.stream.write("\r" + " " * (len(self.description) + 60) + "\r")
            self.stream.flush()


# ---- BLAS threads -------------------------------------------------------------------------------------
@contextlib.contextmanager
def single_blas_thread():
    """Run the block with one BLAS thread, then restore the previous count.

    The book's loops multiply one image at a time: BLAS threads cannot speed up such small products
    but cost a great deal when the cores are busy (we measured 2-8x slower epochs on a shared
    2-core machine). Uses threadpoolctl when installed, else OpenBLAS's own set_num_threads found
    among the loaded libraries; does nothing when neither is available.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    if threadpool_limits is not None:
        with threadpool_limits(1, user_api="blas"):
            yield
        return
    controls = _openblas_thread_controls()
    previous = [get() for get, _ in controls]
    for _, set_threads in controls:
        set_threads(1)
    try:
        yield
    finally:
        for (_, set_threads), count in zip(controls, previous):
            set_threads(count)


def _openblas_thread_controls():
    """(get, set) thread-count functions of every OpenBLAS loaded in this process (Linux only)."""
    controls = []
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower() and ".so" in line})
    except OSError:
        return controls
    for path in paths:
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "64_"), ("openblas", "")):
            get = getattr(library, f"{prefix}_get_num_threads{suffix}", None)
            set_threads = getattr(library, f"{prefix}_set_num_threads{suffix}", None)
            if get is not None and set_threads is not None:
                get.restype = ctypes.c_int
                set_threads.argtypes = [ctypes.c_int]
                controls.append((get, set_threads))
                break
    return controls


# ---- the data options of the scripts ---------------------------------------------------------------
MNIST_HELP = ("directory of the four MNIST files (default: the first of "
              f"{mnist.search_order(mnist.ENV_VAR, 'mnist')} that holds them)")
TITANIC_HELP = ("Kaggle's Titanic train.csv (default: the first of "
                f"{mnist.search_order(titanic.ENV_VAR, 'titanic/train.csv')} that exists)")


def mnist_or_exit(parser, directory=None):
    """The book's MNIST arrays (`tinygrad_like.data.book_mnist`) for a script that needs them, from
    `directory` (its --mnist) or else the first place searched.

    A --mnist that holds no MNIST is a usage error (exit status 2); MNIST found nowhere, or a file
    that cannot be read, ends the script with status 1. Each says what was wrong and what to do.
    """
    try:
        found = find_mnist(directory)
    except FileNotFoundError as error:
        if directory is not None:
            parser.error(str(error))
        parser.exit(1, f"{error}\nOr name the directory for this run with --mnist DIR.\n")
    try:
        return book_mnist(found)
    except ValueError as error:
        parser.exit(1, f"the MNIST files in {found} cannot be read: {error}\n")


def file_pair_or_exit(parser, load, first, second, options):
    """load(first, second) for a script's two data files, given together or not at all (`options` names
    them, for the message); None when neither is given.

    One without the other, or a file not found, is a usage error (exit status 2); a file that cannot be
    read ends the script with status 1.
    """
    if first is None and second is None:
        return None
    if first is None or second is None:
        parser.error(f"give both {options}")
    try:
        return load(first, second)
    except FileNotFoundError as error:
        parser.error(str(error))
    except ValueError as error:
        parser.exit(1, f"{error}\n")


def data_or_exit(parser, load, given, option, what="it"):
    """load(given) for a script whose data is named by `option` (`given`, None when not given, has
    load search its places). A given path without the data is a usage error (exit status 2); data
    found nowhere ends the script with status 1, saying to name `what` with `option`."""
    try:
        return load(given)
    except FileNotFoundError as error:
        if given is not None:
            parser.error(str(error))
        parser.exit(1, f"{error}\nOr name {what} with {option}.\n")
