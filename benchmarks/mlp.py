"""Multi-layer perceptrons trained with SGD on an MSE loss, written for each framework.

`MLPSpec` describes the network; `make_setup` draws its initial weights (PyTorch's default
initialisation) and MNIST-shaped random data; the `*_runner` functions build one training step:

- `numpy_book_runner`: the book's chapter 8 code for its two-layer, bias-free ReLU net (explicit
  layer_0/layer_1/layer_2, explicit deltas, in-place weight updates, optional dropout);
- `numpy_runner`: the same delta style for any depth, with biases (deep-narrow, wide);
- `tinygrad_like_runner` / `torch_runner`: idiomatic user code (Sequential, F.mse_loss,
  zero_grad / backward / step);
- `tinygrad_like_user_runner`: that step with a composed loss and weights assigned row-major,
  `tinygrad_like_captured_runner` and `tinygrad_like_user_captured_runner`: the two under
  tinygrad_like.jit (harness.SPELLINGS);
- `op_bodies_runner`: tinygrad_like's array work alone (its ops' forward and backward called in
  order), which separates the framework's own cost from the numpy it runs.
"""
from dataclasses import dataclass
from typing import Tuple

import numpy as np

from benchmarks import harness
from benchmarks.harness import Runner, Setup

_DATA = {"source": "random", "directory": None}


def use_real_mnist(directory=None):
    """Make 784-input setups use the first MNIST training images (pixels / 255, one-hot labels) of
    `directory`, or of the first place `tinygrad_like.data.find_mnist` searches that holds them.

    Raises FileNotFoundError, naming every place searched, when there are none: a run asked to use
    MNIST must not time random data under its name.
    """
    from tinygrad_like.data import find_mnist
    _DATA.update(source="mnist", directory=find_mnist(directory))


def data_source():
    return _DATA["source"]


@dataclass(frozen=True)
class MLPSpec:
    sizes: Tuple[int, ...]  # (inputs, hidden..., outputs)
    activation: str = "relu"  # after every hidden Linear
    final_activation: bool = False  # also after the last Linear
    dropout: float = 0.0  # after every hidden activation, in training
    bias: bool = True
    dtype: type = np.float32
    batch: int = 100
    lr: float = 0.01
    n_samples: int = 1000
    targets: str = "one_hot"  # or "uniform": targets in [-0.5, 0.5)

    @property
    def layers(self):
        return list(zip(self.sizes[:-1], self.sizes[1:]))


def make_setup(spec, seed, n_samples=None):
    rng = np.random.default_rng(seed)
    n = max(n_samples or spec.n_samples, spec.batch)
    params = []
    for fan_in, fan_out in spec.layers:  # PyTorch's nn.Linear initialisation
        bound = 1 / np.sqrt(fan_in)
        weight = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(spec.dtype)
        bias = rng.uniform(-bound, bound, fan_out).astype(spec.dtype) if spec.bias else None
        params.append((weight, bias))
    inputs, outputs = spec.sizes[0], spec.sizes[-1]
    if _DATA["source"] == "mnist" and inputs == 784 and spec.targets == "one_hot":
        from tinygrad_like.data import load_mnist
        mnist = load_mnist(_DATA["directory"])
        x = (mnist.train_images[:n].reshape(n, 784) / 255).astype(spec.dtype)
        labels = mnist.train_labels[:n]
    else:
        x = rng.random((n, inputs)).astype(spec.dtype)  # MNIST-like pixels in [0, 1)
        labels = rng.integers(0, outputs, n)
    if spec.targets == "one_hot":
        y = np.eye(outputs, dtype=spec.dtype)[labels]
    else:
        y = rng.uniform(-0.5, 0.5, (n, outputs)).astype(spec.dtype)
    return Setup(params=params, x=x, y=y, batch=spec.batch, lr=spec.lr, seed=seed, spec=spec)


def training_flops(setup):
    """Multiply-adds x 2 of the matrix products of one step: forward, weight gradients, and input
    gradients of every layer but the first (the data needs none)."""
    batch, layers = setup.batch, setup.spec.layers
    products = sum(fan_in * fan_out for fan_in, fan_out in layers)
    return 2.0 * batch * (3 * products - layers[0][0] * layers[0][1])


def dropout_mask(rng, shape, p, dtype):
    """Inverted dropout: 0 with probability p, else 1 / (1 - p)."""
    return (rng.random(shape) >= p) * dtype.type(1 / (1 - p))


# ---- numpy ----------------------------------------------------------------------------------------
def relu(x):
    return np.maximum(x, 0)


def relu2deriv(output):
    return output > 0


def tanh2deriv(output):
    return 1 - output * output


ACTIVATIONS = {"relu": (relu, relu2deriv), "tanh": (np.tanh, tanh2deriv)}


def numpy_book_runner(setup, deterministic):
    """Grokking Deep Learning, chapter 8: 784-hidden-10, ReLU, no biases, optional dropout."""
    spec = setup.spec
    assert len(spec.layers) == 2 and not spec.bias and spec.activation == "relu"
    rng = harness.seeded_rng(setup, "numpy")
    weights_0_1 = np.ascontiguousarray(setup.params[0][0].T)  # the book's layout: (inputs, outputs)
    weights_1_2 = np.ascontiguousarray(setup.params[1][0].T)
    images, labels, alpha, batch_size, starts = setup.x, setup.y, setup.lr, setup.batch, setup.batch_starts()
    p = 0.0 if deterministic else spec.dropout

    def step():
        nonlocal weights_0_1, weights_1_2  # updated in place
        start = next(starts)
        layer_0 = images[start:start + batch_size]
        layer_1 = relu(layer_0.dot(weights_0_1))
        if p:
            mask = dropout_mask(rng, layer_1.shape, p, layer_1.dtype)
            layer_1 *= mask
        layer_2 = layer_1.dot(weights_1_2)
        diff = layer_2 - labels[start:start + batch_size]
        loss = np.mean(diff * diff)
        layer_2_delta = diff * (2 / diff.size)  # d(mean squared error)/d(layer_2)
        layer_1_delta = layer_2_delta.dot(weights_1_2.T) * relu2deriv(layer_1)
        if p:
            layer_1_delta *= mask
        weights_1_2 -= alpha * layer_1.T.dot(layer_2_delta)
        weights_0_1 -= alpha * layer_0.T.dot(layer_1_delta)
        return loss

    return Runner(step, harness.numpy_value, lambda: [weights_0_1.T.copy(), weights_1_2.T.copy()])


def numpy_runner(setup, deterministic):
    """The book's delta style for any depth, with biases: a forward loop, a delta loop, in-place updates."""
    spec = setup.spec
    rng = harness.seeded_rng(setup, "numpy")
    weights = [np.ascontiguousarray(w.T) for w, _ in setup.params]
    biases = [None if b is None else b.copy() for _, b in setup.params]
    activate, derivative = ACTIVATIONS[spec.activation]
    p = 0.0 if deterministic else spec.dropout
    last = len(weights) - 1
    activated = [i < last or spec.final_activation for i in range(last + 1)]
    x, y, lr, batch, starts = setup.x, setup.y, setup.lr, setup.batch, setup.batch_starts()

    def step():
        start = next(starts)
        layer = x[start:start + batch]
        inputs, outputs, masks = [], [], []
        for i, (w, b) in enumerate(zip(weights, biases)):
            inputs.append(layer)
            layer = layer.dot(w)
            if b is not None:
                layer += b
            if activated[i]:
                layer = activate(layer)
            outputs.append(layer)
            mask = dropout_mask(rng, layer.shape, p, layer.dtype) if p and i < last else None
            if mask is not None:
                layer = layer * mask
            masks.append(mask)
        diff = layer - y[start:start + batch]
        loss = np.mean(diff * diff)
        delta = diff * (2 / diff.size)
        for i in range(last, -1, -1):
            if masks[i] is not None:
                delta *= masks[i]
            if activated[i]:
                delta *= derivative(outputs[i])
            w, b = weights[i], biases[i]
            grad_w = inputs[i].T.dot(delta)
            if b is not None:
                b -= lr * delta.sum(axis=0)
            if i:
                delta = delta.dot(w.T)
            w -= lr * grad_w
        return loss

    def current():
        return [a for w, b in zip(weights, biases) for a in ((w.T.copy(),) if b is None else (w.T.copy(), b.copy()))]

    return Runner(step, harness.numpy_value, current)


# ---- tinygrad_like and torch: the same user code --------------------------------------------------
def sequential(nn, spec, deterministic):
    """nn.Sequential of Linear, activation and Dropout layers; `nn` is tinygrad_like.nn or torch.nn."""
    activation = {"relu": nn.ReLU, "tanh": nn.Tanh}[spec.activation]
    layers = []
    for i, (fan_in, fan_out) in enumerate(spec.layers):
        hidden = i < len(spec.layers) - 1
        layers.append(nn.Linear(fan_in, fan_out, bias=spec.bias))
        if hidden or spec.final_activation:
            layers.append(activation())
        if hidden and spec.dropout and not deterministic:
            layers.append(nn.Dropout(spec.dropout))
    model = nn.Sequential(*layers)
    return model.double() if np.dtype(spec.dtype) == np.float64 else model


def tinygrad_like_runner(setup, deterministic):
    from tinygrad_like import nn
    from tinygrad_like.nn import functional as F

    harness.seeded_rng(setup, "tinygrad_like")
    model = sequential(nn, setup.spec, deterministic)
    harness.load_tinygrad_like(model, setup.params)
    return harness.sgd_runner("tinygrad_like", setup, model, F.mse_loss)


def _user_written(setup, deterministic):
    """The model, optimizer and step as users often write them: the weights assigned with
    `layer.weight.data = array` in the layout they hold them, PyTorch's row-major (out_features, in_features)
    matrices (nn.Linear's own storage is column-major), and the loss composed of ops, `(d * d).mean()`."""
    from tinygrad_like import nn, optim

    harness.seeded_rng(setup, "tinygrad_like")
    model = sequential(nn, setup.spec, deterministic)
    for layer, (weight, bias) in zip(harness.linear_layers(model, nn.Linear), setup.params):
        layer.weight.data = weight.copy()
        if bias is not None:
            layer.bias.data = bias.copy()
    opt = optim.SGD(model.parameters(), lr=setup.lr)

    def train(x, y):
        opt.zero_grad()
        d = model(x) - y
        loss = (d * d).mean()
        loss.backward()
        opt.step()
        return loss

    return model, train


def tinygrad_like_user_runner(setup, deterministic):
    """The step as users often write it (see _user_written), on tensor batches."""
    import tinygrad_like as tl

    model, train = _user_written(setup, deterministic)
    X, Y = tl.Tensor(setup.x), tl.Tensor(setup.y)
    batch, starts = setup.batch, setup.batch_starts()

    def step():
        start = next(starts)
        return train(X[start:start + batch], Y[start:start + batch])

    return Runner(step, harness.tinygrad_like_value, lambda: harness.tinygrad_like_weights(model))


def tinygrad_like_user_captured_runner(setup, deterministic):
    """The user-written step under tinygrad_like.jit, on numpy batches."""
    import tinygrad_like as tl

    model, train = _user_written(setup, deterministic)
    train = tl.jit(train)
    X, Y, batch, starts = setup.x, setup.y, setup.batch, setup.batch_starts()

    def step():
        start = next(starts)
        return train(X[start:start + batch], Y[start:start + batch])

    return Runner(step, harness.tinygrad_like_value, lambda: harness.tinygrad_like_weights(model))


def tinygrad_like_captured_runner(setup, deterministic):
    """tinygrad_like_runner's step under tinygrad_like.jit: two recorded eager calls, then replayed as straight-line
    numpy calls. The batch slices are passed as numpy arrays."""
    import tinygrad_like as tl
    from tinygrad_like import nn, optim
    from tinygrad_like.nn import functional as F

    harness.seeded_rng(setup, "tinygrad_like")
    model = sequential(nn, setup.spec, deterministic)
    harness.load_tinygrad_like(model, setup.params)
    opt = optim.SGD(model.parameters(), lr=setup.lr)

    @tl.jit
    def train(x, y):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss

    X, Y, batch, starts = setup.x, setup.y, setup.batch, setup.batch_starts()

    def step():
        start = next(starts)
        return train(X[start:start + batch], Y[start:start + batch])

    return Runner(step, harness.tinygrad_like_value, lambda: harness.tinygrad_like_weights(model))


SPELLING_BUILDERS = {"tinygrad_like user-written": tinygrad_like_user_runner,
                     "tinygrad_like captured": tinygrad_like_captured_runner,
                     "tinygrad_like user-written captured": tinygrad_like_user_captured_runner}


def torch_runner(setup, deterministic):
    torch = harness.torch_or_none()

    harness.seeded_rng(setup, "torch")
    model = sequential(torch.nn, setup.spec, deterministic)
    harness.load_torch(model, setup.params)
    return harness.sgd_runner("torch", setup, model, torch.nn.functional.mse_loss)


def op_bodies_runner(setup, deterministic):
    """The tinygrad_like step with everything but its array work taken away: each op's own forward and
    backward (ops.Linear, ops.Relu / ops.Tanh, ops.Dropout, ops.MSELoss) called directly in order on
    the arrays, bias gradients summed to the bias's shape (the engine's un-broadcasting), then SGD's
    update, without Tensors, graph, engine loop, modules or optimizer. The time of
    tinygrad_like_runner minus this one is what the framework itself costs per step."""
    from tinygrad_like import engine, nn, ops

    spec = setup.spec
    harness.seeded_rng(setup, "tinygrad_like")  # the same dropout masks as tinygrad_like_runner
    model = sequential(nn, spec, deterministic)  # the same parameters, values and memory layout
    harness.load_tinygrad_like(model, setup.params)
    layers = [[p._data for p in layer.parameters()] for layer in harness.linear_layers(model, nn.Linear)]
    activation = {"relu": ops.Relu, "tanh": ops.Tanh}[spec.activation]
    last = len(layers) - 1
    p = 0.0 if deterministic else spec.dropout
    x, y, lr, batch, starts = setup.x, setup.y, setup.lr, setup.batch, setup.batch_starts()

    def step():
        start = next(starts)
        out, nodes = x[start:start + batch], []
        for i, params in enumerate(layers):
            ctx, out = harness.op_forward(ops.Linear, out, *params, needs=(i > 0,) + (True,) * len(params))
            nodes.append((ctx, params))
            if i < last or spec.final_activation:
                ctx, out = harness.op_forward(activation, out, needs=(True,))
                nodes.append((ctx, None))
            if p and i < last:
                ctx, out = harness.op_forward(ops.Dropout, out, needs=(True,), p=p)
                nodes.append((ctx, None))
        loss_ctx, loss = harness.op_forward(ops.MSELoss, out, y[start:start + batch], needs=(True, False))
        grad = ops.MSELoss.backward(loss_ctx, np.ones((), loss.dtype))[0]
        updates = []
        for ctx, params in reversed(nodes):
            grads = ctx.backward(ctx, grad)
            if params is None:
                grad = grads
            else:
                grad = grads[0]
                updates += zip(params, grads[1:])
        for param, param_grad in updates:
            param -= lr * engine.sum_to_shape(param_grad, param.shape)  # the engine's un-broadcasting
        return loss

    def current():
        return [a.copy() for params in layers for a in params]

    return Runner(step, harness.numpy_value, current)
