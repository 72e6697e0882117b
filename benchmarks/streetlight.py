"""streetlight: the book's chapter 6 network, 3-4-1 ReLU, one pattern per step, float64, SGD 0.2.

The numpy version is the book's loop body ("Our First 'Deep' Neural Network"), with the book's
np.random.seed(1) weights; tinygrad_like and PyTorch run the same net as composed layers.
"""
import numpy as np

from benchmarks import harness
from benchmarks.harness import Runner, Setup, Workload
from tinygrad_like.data import DEEP_STREETLIGHTS, DEEP_WALK_VS_STOP

ALPHA = 0.2
HIDDEN_SIZE = 4


def setup(seed, n_samples=None):
    rng = np.random.RandomState(1)  # the book: np.random.seed(1)
    weights_0_1 = 2 * rng.random_sample((3, HIDDEN_SIZE)) - 1
    weights_1_2 = 2 * rng.random_sample((HIDDEN_SIZE, 1)) - 1
    params = [(weights_0_1.T.copy(), None), (weights_1_2.T.copy(), None)]  # PyTorch's layout
    streetlights = np.array(DEEP_STREETLIGHTS, dtype=np.float64)
    walk_vs_stop = np.array(DEEP_WALK_VS_STOP, dtype=np.float64)
    return Setup(params=params, x=streetlights, y=walk_vs_stop, batch=1, lr=ALPHA, seed=seed)


def _network(nn):
    """The 3-4-1 ReLU net without biases, in float64; `nn` is tinygrad_like.nn or torch.nn."""
    return nn.Sequential(nn.Linear(3, HIDDEN_SIZE, bias=False), nn.ReLU(), nn.Linear(HIDDEN_SIZE, 1, bias=False)).double()


def _pattern_runner(setup, model, train, streetlights, walk_vs_stop):
    """A runner calling train(pattern, goal) on one row of each per step (tensors or numpy rows)."""
    starts = setup.batch_starts()

    def step():
        i = next(starts)
        return train(streetlights[i:i + 1], walk_vs_stop[i:i + 1])

    return Runner(step, harness.tinygrad_like_value, lambda: harness.tinygrad_like_weights(model))


def numpy_runner(setup, deterministic):
    def relu(x):
        return (x > 0) * x

    def relu2deriv(output):
        return output > 0

    streetlights, walk_vs_stop, alpha, starts = setup.x, setup.y, setup.lr, setup.batch_starts()
    weights_0_1 = setup.params[0][0].T.copy()
    weights_1_2 = setup.params[1][0].T.copy()

    def step():
        nonlocal weights_0_1, weights_1_2  # updated in place
        i = next(starts)
        layer_0 = streetlights[i:i + 1]
        layer_1 = relu(np.dot(layer_0, weights_0_1))
        layer_2 = np.dot(layer_1, weights_1_2)
        layer_2_error = np.sum((layer_2 - walk_vs_stop[i:i + 1]) ** 2)
        layer_2_delta = layer_2 - walk_vs_stop[i:i + 1]
        layer_1_delta = layer_2_delta.dot(weights_1_2.T) * relu2deriv(layer_1)
        weights_1_2 -= alpha * layer_1.T.dot(layer_2_delta)
        weights_0_1 -= alpha * layer_0.T.dot(layer_1_delta)
        return 0.5 * layer_2_error

    return Runner(step, harness.numpy_value, lambda: [weights_0_1.T.copy(), weights_1_2.T.copy()])


def tinygrad_like_runner(setup, deterministic):
    import tinygrad_like as tl
    from tinygrad_like import nn, optim
    from tinygrad_like.nn import functional as F

    model = _network(nn)
    harness.load_tinygrad_like(model, setup.params)
    opt = optim.SGD(model.parameters(), lr=setup.lr)

    def half_sse(prediction, target):
        return 0.5 * F.mse_loss(prediction, target, reduction="sum")

    streetlights, walk_vs_stop, starts = tl.Tensor(setup.x), tl.Tensor(setup.y), setup.batch_starts()

    def step():
        i = next(starts)
        opt.zero_grad()
        prediction = model(streetlights[i:i + 1])
        loss = half_sse(prediction, walk_vs_stop[i:i + 1])
        loss.backward()
        opt.step()
        return loss

    return Runner(step, harness.tinygrad_like_value, lambda: harness.tinygrad_like_weights(model),
                  parts=dict(model=model, optimizer=opt, loss=half_sse, x=streetlights, y=walk_vs_stop, batch=1))


def op_bodies_runner(setup, deterministic):
    """tinygrad_like_runner's array work alone: ops.Linear, ops.Relu, ops.Linear, ops.MSELoss and ops.Mul (the
    0.5) forward, their backward in reverse, then SGD's update, without Tensors, graph, engine, modules or
    optimizer (as mlp.op_bodies_runner does for the MLP workloads); its weights equal tinygrad_like's bit for
    bit. tinygrad_like_runner's time minus this one's is what the framework costs per step."""
    from tinygrad_like import nn, ops

    model = _network(nn)
    harness.load_tinygrad_like(model, setup.params)  # the same values in the same (column-major) memory layout
    weights = [layer.weight._data for layer in harness.linear_layers(model, nn.Linear)]
    streetlights, walk_vs_stop, lr, starts = setup.x, setup.y, setup.lr, setup.batch_starts()
    half = np.asarray(0.5)  # 0.5 * loss: the Python number as the op receives it

    def step():
        i = next(starts)
        first, hidden = harness.op_forward(ops.Linear, streetlights[i:i + 1], weights[0], needs=(False, True))
        relu, active = harness.op_forward(ops.Relu, hidden, needs=(True,))
        second, prediction = harness.op_forward(ops.Linear, active, weights[1], needs=(True, True))
        error, sse = harness.op_forward(ops.MSELoss, prediction, walk_vs_stop[i:i + 1], needs=(True, False),
                                        reduction="sum")
        scale, loss = harness.op_forward(ops.Mul, half, sse, needs=(False, True))
        seed = np.ones((), loss.dtype)
        grad = ops.MSELoss.backward(error, ops.Mul.backward(scale, seed)[1])[0]
        grad, grad_second = ops.Linear.backward(second, grad)
        grad_first = ops.Linear.backward(first, ops.Relu.backward(relu, grad))[1]
        weights[1] -= lr * grad_second
        weights[0] -= lr * grad_first
        return loss

    return Runner(step, harness.numpy_value, lambda: [w.copy() for w in weights])


def _user_written(setup):
    """The model and step as the book's reader writes them: the book's (in, out) weight matrices assigned
    with `.data` as transposed views (tinygrad_like.book.ch6_streetlight's layout), and the error composed
    of ops, `d = model(x) - y; (d * d).sum() * 0.5`."""
    from tinygrad_like import nn, optim

    model = _network(nn)
    for layer, (weight, _) in zip(harness.linear_layers(model, nn.Linear), setup.params):
        layer.weight.data = weight.T.copy().T  # the book's weights_0_1 / weights_1_2, seen as (out, in)
    opt = optim.SGD(model.parameters(), lr=setup.lr)

    def train(x, y):
        opt.zero_grad()
        d = model(x) - y
        loss = (d * d).sum() * 0.5
        loss.backward()
        opt.step()
        return loss

    return model, train


def tinygrad_like_user_runner(setup, deterministic):
    """The step as the book's reader writes it (see _user_written), on tensor rows."""
    import tinygrad_like as tl

    model, train = _user_written(setup)
    return _pattern_runner(setup, model, train, tl.Tensor(setup.x), tl.Tensor(setup.y))


def tinygrad_like_user_captured_runner(setup, deterministic):
    """The book reader's step under tinygrad_like.jit, on numpy rows."""
    import tinygrad_like as tl

    model, train = _user_written(setup)
    return _pattern_runner(setup, model, tl.jit(train), setup.x, setup.y)


def tinygrad_like_captured_runner(setup, deterministic):
    """tinygrad_like_runner's step under tinygrad_like.jit (two recorded eager calls, then replayed); the pattern
    and its goal are passed as numpy slices."""
    import tinygrad_like as tl
    from tinygrad_like import nn, optim
    from tinygrad_like.nn import functional as F

    model = _network(nn)
    harness.load_tinygrad_like(model, setup.params)
    opt = optim.SGD(model.parameters(), lr=setup.lr)

    @tl.jit
    def train(x, y):
        opt.zero_grad()
        loss = 0.5 * F.mse_loss(model(x), y, reduction="sum")
        loss.backward()
        opt.step()
        return loss

    return _pattern_runner(setup, model, train, setup.x, setup.y)


def torch_runner(setup, deterministic):
    torch = harness.torch_or_none()
    nn, F = torch.nn, torch.nn.functional

    model = _network(nn)
    harness.load_torch(model, setup.params)
    opt = torch.optim.SGD(model.parameters(), lr=setup.lr)

    def half_sse(prediction, target):
        return 0.5 * F.mse_loss(prediction, target, reduction="sum")

    streetlights, walk_vs_stop, starts = torch.from_numpy(setup.x), torch.from_numpy(setup.y), setup.batch_starts()

    def step():
        i = next(starts)
        opt.zero_grad()
        prediction = model(streetlights[i:i + 1])
        loss = half_sse(prediction, walk_vs_stop[i:i + 1])
        loss.backward()
        opt.step()
        return loss

    return Runner(step, harness.torch_value, lambda: harness.torch_weights(model),
                  parts=dict(model=model, optimizer=opt, loss=half_sse, x=streetlights, y=walk_vs_stop, batch=1))


WORKLOAD = Workload(
    name="streetlight",
    description="the book's 3-4-1 ReLU net, batch 1, float64, 0.5*SSE, SGD(lr=0.2)",
    target=4.0,
    setup=setup,
    builders={"numpy": numpy_runner, "tinygrad_like": tinygrad_like_runner, "torch": torch_runner,
              "tinygrad_like user-written": tinygrad_like_user_runner,
              "tinygrad_like captured": tinygrad_like_captured_runner,
              "tinygrad_like user-written captured": tinygrad_like_user_captured_runner},
    steps=2000,
    guard_samples=4,
    guard_epochs=10,
    goals={"tinygrad_like user-written": 2.0, "tinygrad_like captured": 1.2,
           "tinygrad_like user-written captured": 1.2},
    op_bodies=op_bodies_runner,
)
