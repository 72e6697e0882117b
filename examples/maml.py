"""MAML (Finn et al., 2017) on sine regression: learn weights that one gradient step adapts to a new task.

Each task is a sine wave y = A sin(x + phase) with its own amplitude and phase, seen through 10
points. For a batch of tasks, the inner step adapts the shared weights w to each task's points,

    w_task = w - 0.05 * grad_w loss(w; support points),

and the outer (meta) loss is the adapted weights' loss on 10 other points of the same task. Because
w_task is a function of w through a gradient, autograd.grad(..., create_graph=True) records the inner
step, and the meta loss's backward differentiates through it: second derivatives of the network.
On held-out tasks, the loss after one adaptation step falls from about 5.5 to about 0.6 in 1,000
meta-iterations, while the loss of the meta-learned weights themselves stays between 3.5 and 4 (no single
curve fits every task): what is learned is a starting point from which one step fits a new task.

Run: python examples/maml.py (a few seconds).
"""
import sys
from pathlib import Path

try:
    import tinygrad_like  # noqa: F401
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import tinygrad_like as tl  # noqa: E402
from tinygrad_like import autograd, nn, optim  # noqa: E402
from tinygrad_like.nn import functional as F  # noqa: E402

INNER_LR = 0.05
POINTS = 10


def network(params, x):
    """A 1-40-40-1 tanh network as a function of its weights, so that adapted weights can be used."""
    w1, b1, w2, b2, w3, b3 = params
    return F.linear(F.linear(F.linear(x, w1, b1).tanh(), w2, b2).tanh(), w3, b3)


def sample_task(rng):
    """(support x, support y, query x, query y) of one sine wave."""
    amplitude, phase = rng.uniform(0.1, 5.0), rng.uniform(0, np.pi)
    x = rng.uniform(-5, 5, (2 * POINTS, 1)).astype(np.float32)
    y = amplitude * np.sin(x + phase)
    return tl.tensor(x[:POINTS]), tl.tensor(y[:POINTS]), tl.tensor(x[POINTS:]), tl.tensor(y[POINTS:])


def adapted_loss(params, task, create_graph):
    """The query loss of the weights after one inner step on the support points."""
    support_x, support_y, query_x, query_y = task
    gradients = autograd.grad(F.mse_loss(network(params, support_x), support_y), params, create_graph=create_graph)
    adapted = [w - INNER_LR * g for w, g in zip(params, gradients)]
    return F.mse_loss(network(adapted, query_x), query_y)


def held_out_losses(params, tasks):
    """The mean query loss on `tasks` of the weights as they are, and after one inner step."""
    before = np.mean([F.mse_loss(network(params, query_x), query_y).item() for _, _, query_x, query_y in tasks])
    after = np.mean([adapted_loss(params, task, create_graph=False).item() for task in tasks])
    return before, after


def main(iterations=1000, tasks_per_batch=4):
    tl.manual_seed(0)
    rng = np.random.default_rng(0)
    layers = [nn.Linear(1, 40), nn.Linear(40, 40), nn.Linear(40, 1)]
    params = [p for layer in layers for p in (layer.weight, layer.bias)]
    meta_optimizer = optim.Adam(params, lr=3e-3)
    held_out = [sample_task(rng) for _ in range(20)]

    print("iteration   held-out loss: before the step   after one step")
    for iteration in range(iterations + 1):
        if iteration % 200 == 0:
            before, after = held_out_losses(params, held_out)
            print(f"{iteration:9d}   {before:30.4f}   {after:14.4f}")
        meta_loss = sum(adapted_loss(params, sample_task(rng), create_graph=True)
                        for _ in range(tasks_per_batch)) / tasks_per_batch
        meta_optimizer.zero_grad()
        meta_loss.backward()  # through the inner steps: second derivatives of the network
        meta_optimizer.step()


if __name__ == "__main__":
    main()
