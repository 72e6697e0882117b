"""char-lstm: one truncated-BPTT step of the book's chapter 14 character LSTM.

Embedding(62, 512) -> LSTM(512, 512) -> Linear(512, 62), 16 parallel streams x a 25-step window,
float32; loss = the cross-entropy summed over the 25 steps and 16 streams (the gradient the book's
backward sends: its cross-entropy is not divided by the batch), one backward and one SGD update per
window; the hidden state is carried from window to window as a
constant (truncated BPTT) and reset at the start of each pass over the data, as the book does.

Unlike the book's LSTMCell (eight Linears and an extra output layer per step), the gates are one fused
product per step in PyTorch's layout (i, f, g, o; W_ih, W_hh, b_ih, b_hh): the numpy baseline below
is that LSTM written by hand (forward, BPTT, update), with the input projection of the whole window
and the weight gradients as single products; tinygrad_like and PyTorch use nn.LSTM.

The text is a fixed random Markov chain over the 62 characters (the timing does not depend on it;
the guard needs a loss that falls): `setup(seed, n_windows)` draws 16 streams of 25 * n_windows + 1
characters.
"""
import functools

import numpy as np

from benchmarks import harness
from benchmarks.harness import Runner, Setup, Workload

VOCAB, EMBED, HIDDEN, BATCH, WINDOW = 62, 512, 512, 16, 25
LR = 0.01
N_WINDOWS = 20


def markov_text(rng, length):
    """Characters 0..VOCAB-1 from a random first-order Markov chain with a few likely successors each."""
    logits = rng.standard_normal((VOCAB, VOCAB)) * 2.5
    transitions = np.exp(logits)
    transitions /= transitions.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(transitions, axis=1)
    draws = rng.random(length)
    text = np.empty(length, np.int64)
    text[0] = 0
    for i in range(1, length):
        text[i] = min(np.searchsorted(cumulative[text[i - 1]], draws[i]), VOCAB - 1)
    return text


def setup(seed, n_samples=None):
    rng = np.random.default_rng(seed)
    windows = n_samples or N_WINDOWS
    streams = markov_text(rng, BATCH * (windows * WINDOW + 1)).reshape(BATCH, -1).T  # (time, stream), as the book
    x = np.stack([streams[k * WINDOW:(k + 1) * WINDOW] for k in range(windows)])
    y = np.stack([streams[k * WINDOW + 1:(k + 1) * WINDOW + 1] for k in range(windows)])
    bound = 1 / np.sqrt(HIDDEN)
    params = [rng.uniform(-0.5, 0.5, (VOCAB, EMBED)) / EMBED,  # the book's Embedding initialisation
              *(rng.uniform(-bound, bound, shape) for shape in
                ((4 * HIDDEN, EMBED), (4 * HIDDEN, HIDDEN), (4 * HIDDEN,), (4 * HIDDEN,), (VOCAB, HIDDEN), (VOCAB,)))]
    params = [p.astype(np.float32) for p in params]
    return Setup(params=params, x=x, y=y, batch=1, lr=LR, seed=seed)


def training_flops(setup):
    """2 x the multiply-adds of the products: the input projection and its two gradients, the recurrent
    product, its input gradient and weight gradient per step, and the output layer and its gradients."""
    rows = BATCH * WINDOW
    return 2.0 * rows * 3 * (4 * HIDDEN * EMBED + 4 * HIDDEN * HIDDEN + VOCAB * HIDDEN)


# ---- numpy ----------------------------------------------------------------------------------------
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def numpy_runner(setup, deterministic):
    embedding, w_ih, w_hh, b_ih, b_hh, w_out, b_out = (p.copy() for p in setup.params)
    x_all, y_all, lr, starts = setup.x, setup.y, setup.lr, setup.batch_starts()
    size = HIDDEN
    state = {}

    def step():
        k = next(starts)
        if k == 0:  # a new pass over the text: the state starts from zeros
            state["h"] = np.zeros((BATCH, size), np.float32)
            state["c"] = np.zeros((BATCH, size), np.float32)
        inputs, targets = x_all[k], y_all[k]
        emb = embedding[inputs]  # (T, B, E)
        xg = emb @ w_ih.T + (b_ih + b_hh)  # the input projection of the whole window
        hs = np.empty((WINDOW + 1, BATCH, size), np.float32)
        cs = np.empty((WINDOW + 1, BATCH, size), np.float32)
        gates = np.empty((WINDOW, BATCH, 4 * size), np.float32)
        tanh_cs = np.empty((WINDOW, BATCH, size), np.float32)
        hs[0], cs[0] = state["h"], state["c"]
        for t in range(WINDOW):
            a = xg[t] + hs[t] @ w_hh.T
            a[:, :2 * size] = sigmoid(a[:, :2 * size])
            a[:, 2 * size:3 * size] = np.tanh(a[:, 2 * size:3 * size])
            a[:, 3 * size:] = sigmoid(a[:, 3 * size:])
            gates[t] = a
            i, f, g, o = a[:, :size], a[:, size:2 * size], a[:, 2 * size:3 * size], a[:, 3 * size:]
            cs[t + 1] = f * cs[t] + i * g
            tanh_cs[t] = np.tanh(cs[t + 1])
            hs[t + 1] = o * tanh_cs[t]
        logits = hs[1:] @ w_out.T + b_out  # (T, B, V)
        shifted = logits - logits.max(axis=-1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=-1, keepdims=True)
        picked = np.take_along_axis(shifted, targets[..., None], axis=-1)
        loss = float(np.sum(np.log(total) - picked))
        dlogits = exp / total
        np.put_along_axis(dlogits, targets[..., None], np.take_along_axis(dlogits, targets[..., None], -1) - 1, -1)
        grad_w_out = dlogits.reshape(-1, VOCAB).T @ hs[1:].reshape(-1, size)
        grad_b_out = dlogits.sum(axis=(0, 1))
        dhs = dlogits @ w_out  # (T, B, H)
        dgates = np.empty_like(gates)
        dh_next = np.zeros((BATCH, size), np.float32)
        dc_next = np.zeros((BATCH, size), np.float32)
        for t in range(WINDOW - 1, -1, -1):
            a = gates[t]
            i, f, g, o = a[:, :size], a[:, size:2 * size], a[:, 2 * size:3 * size], a[:, 3 * size:]
            dh = dhs[t] + dh_next
            dc = dc_next + dh * o * (1 - tanh_cs[t] * tanh_cs[t])
            d = dgates[t]
            d[:, :size] = dc * g * i * (1 - i)
            d[:, size:2 * size] = dc * cs[t] * f * (1 - f)
            d[:, 2 * size:3 * size] = dc * i * (1 - g * g)
            d[:, 3 * size:] = dh * tanh_cs[t] * o * (1 - o)
            dh_next = d @ w_hh
            dc_next = dc * f
        flat = dgates.reshape(-1, 4 * size)
        grad_w_hh = flat.T @ hs[:-1].reshape(-1, size)
        grad_w_ih = flat.T @ emb.reshape(-1, EMBED)
        grad_b = flat.sum(axis=0)
        grad_embedding = np.zeros_like(embedding)
        np.add.at(grad_embedding, inputs, dgates @ w_ih)
        for param, grad in ((embedding, grad_embedding), (w_ih, grad_w_ih), (w_hh, grad_w_hh), (b_ih, grad_b),
                            (b_hh, grad_b), (w_out, grad_w_out), (b_out, grad_b_out)):
            param -= lr * grad
        state["h"], state["c"] = hs[-1], cs[-1]
        return loss

    return Runner(step, harness.numpy_value, lambda: [p.copy() for p in (embedding, w_ih, w_hh, b_ih, b_hh, w_out,
                                                                         b_out)])


# ---- tinygrad_like and torch: the same user code --------------------------------------------------
class _Model:
    """Embedding -> LSTM -> Linear from `nn` (tinygrad_like.nn or torch.nn), loaded with the setup's weights."""

    def __init__(self, nn, params, load):
        self.embedding = nn.Embedding(VOCAB, EMBED)
        self.lstm = nn.LSTM(EMBED, HIDDEN)
        self.out = nn.Linear(HIDDEN, VOCAB)
        self.modules = (self.embedding, self.lstm, self.out)
        load([p for module in self.modules for p in module.parameters()], params)

    def parameters(self):
        return [p for module in self.modules for p in module.parameters()]


def _runner(setup, model, opt, x_all, y_all, F, value, weights):
    """The step of both frameworks: one window of every stream, the hidden state carried over (detached)
    from the previous window and reset at the start of the text."""
    starts = setup.batch_starts()
    state = {}

    def step():
        k = next(starts)
        if k == 0:
            state["hidden"] = None
        opt.zero_grad()
        output, hidden = model.lstm(model.embedding(x_all[k]), state["hidden"])
        logits = model.out(output)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), y_all[k].reshape(-1), reduction="sum")
        loss.backward()
        opt.step()
        state["hidden"] = tuple(h.detach() for h in hidden)
        return loss

    return Runner(step, value, lambda: weights(model))


def tinygrad_like_runner(setup, deterministic):
    import tinygrad_like as tl
    from tinygrad_like import nn, optim
    from tinygrad_like.nn import functional as F

    model = _Model(nn, setup.params, functools.partial(harness.load_values, "tinygrad_like"))
    opt = optim.SGD(model.parameters(), lr=setup.lr)
    return _runner(setup, model, opt, tl.tensor(setup.x), tl.tensor(setup.y), F, harness.tinygrad_like_value,
                   harness.tinygrad_like_weights)


def torch_runner(setup, deterministic):
    torch = harness.torch_or_none()

    model = _Model(torch.nn, setup.params, functools.partial(harness.load_values, "torch"))
    opt = torch.optim.SGD(model.parameters(), lr=setup.lr)
    return _runner(setup, model, opt, torch.from_numpy(setup.x), torch.from_numpy(setup.y), torch.nn.functional,
                   harness.torch_value, harness.torch_weights)


WORKLOAD = Workload(
    name="char-lstm",
    description="ch. 14 character LSTM: Embedding(62,512), LSTM(512,512), Linear(512,62), 16 streams x 25 steps, "
                "float32, summed cross-entropy, SGD",
    target=1.1,
    versus={"torch": 1.1},  # PyTorch's nn.LSTM, timed in the same run
    setup=setup,
    builders={"numpy": numpy_runner, "tinygrad_like": tinygrad_like_runner, "torch": torch_runner},
    steps=20,
    threads=1,  # on a machine whose cores are shared, two BLAS threads per framework made steps vary 3x
    rounds_factor=2,
    guard_samples=2,  # the guard's steps cost ~0.1 s each: 2 windows x 2 passes show the loss falling
    guard_epochs=2,
    flops=training_flops,
)
