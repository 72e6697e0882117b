"""Per-op overhead: each user-level tinygrad_like call on tiny arrays against the numpy expression it
wraps (µs per call, best of several timeit repeats), and a few numpy facts the core depends on.

`python -m benchmarks.micro [--threads 1]`
"""
import argparse
import timeit

import numpy as np

from benchmarks import harness


def best_us(function, number=2000, repeat=7):
    function()
    return min(timeit.repeat(function, number=number, repeat=repeat)) / number * 1e6


def cases():
    """(name, tinygrad_like callable, numpy callable or None) on the streetlight's shapes (float64)."""
    import tinygrad_like as tl
    from tinygrad_like import nn, optim
    from tinygrad_like.nn import functional as F

    rng = np.random.default_rng(0)
    X = tl.Tensor(rng.random((4, 3)))
    x_np = X._data
    layer = nn.Linear(3, 4, bias=False).double()
    w_np = layer.weight._data
    h = tl.Tensor(rng.random((1, 4)) - 0.5)
    y = tl.Tensor(rng.random((1, 4)))
    leaf = tl.Tensor(rng.random((1, 4)), requires_grad=True)
    model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.ReLU(), nn.Linear(4, 1, bias=False)).double()
    opt = optim.SGD(model.parameters(), lr=0.1)
    target = tl.Tensor(np.ones((1, 1)))

    def backward_streetlight():
        loss = 0.5 * F.mse_loss(model(X[0:1]), target, reduction="sum")
        loss.backward()

    def forward_streetlight():
        return 0.5 * F.mse_loss(model(X[0:1]), target, reduction="sum")

    backward_streetlight()
    return [
        ("Tensor._wrap(array)", lambda: tl.Tensor._wrap(x_np), None),
        ("X[0:1] (no grad)", lambda: X[0:1], lambda: x_np[0:1]),
        ("F.linear(x, w) (w requires grad)", lambda: F.linear(X[0:1], layer.weight), lambda: x_np[0:1] @ w_np.T),
        ("h.relu() (no grad)", lambda: h.relu(), lambda: np.maximum(h._data, 0)),
        ("leaf.relu() (records a node)", lambda: leaf.relu(), lambda: np.maximum(leaf._data, 0)),
        ("0.5 * leaf (Python scalar)", lambda: 0.5 * leaf, lambda: 0.5 * leaf._data),
        ("leaf * h (same dtype)", lambda: leaf * h, lambda: leaf._data * h._data),
        ("F.mse_loss(leaf, y, 'sum')", lambda: F.mse_loss(leaf, y, reduction="sum"),
         lambda: np.sum((leaf._data - y._data) ** 2)),
        ("streetlight forward + loss", forward_streetlight, None),
        ("streetlight forward + loss + backward", backward_streetlight, None),
        ("opt.zero_grad() (2 params)", opt.zero_grad, None),
        ("streetlight forward + loss + backward + opt.step()", lambda: (backward_streetlight(), opt.step()), None),
    ]


def numpy_facts():
    """Matrix-product variants whose speed differs in numpy (float32, one BLAS thread recommended)."""
    rng = np.random.default_rng(0)
    g1, x1 = rng.random((1, 100), dtype=np.float32), rng.random((1, 784), dtype=np.float32)
    g, x = rng.random((100, 100), dtype=np.float32), rng.random((100, 784), dtype=np.float32)
    w = rng.random((100, 784), dtype=np.float32)
    return [
        ("batch 1 weight gradient: g.T @ x (matmul, K=1)", lambda: g1.T @ x1),
        ("batch 1 weight gradient: np.dot(g.T, x)", lambda: np.dot(g1.T, x1)),
        ("batch 100 weight gradient: g.T @ x", lambda: g.T @ x),
        ("batch 100 weight gradient: np.dot(g.T, x)", lambda: np.dot(g.T, x)),
        ("batch 100 forward: x @ w.T", lambda: x @ w.T),
        ("batch 100 forward: np.dot(x, w.T)", lambda: np.dot(x, w.T)),
        ("mean of 1000: a.mean()", lambda: g[:10].mean()),
        ("mean of 1000: np.add.reduce(a, None) / n", lambda: np.add.reduce(g[:10], axis=None) / 1000),
        ("sum of squares of 1000: (d * d).sum()", lambda: (g[:10] * g[:10]).sum()),
        ("sum of squares of 1000: np.vdot(d, d)", lambda: np.vdot(g[:10], g[:10])),
        ("dropout mask 100x100: (r >= p) * 2.0 then astype(float32)",
         lambda: ((rng.random((100, 100)) >= 0.5) * 2.0).astype(np.float32)),
        ("dropout mask 100x100: (r >= p) * np.float32(2)", lambda: (rng.random((100, 100)) >= 0.5) * np.float32(2)),
        ("np.ones((1, 1))", lambda: np.ones((1, 1))),
        ("np.empty((1, 1)) + fill(1)", lambda: np.empty((1, 1)).fill(1)),
    ]


def measure():
    """(rows of (call, tinygrad_like µs, numpy µs or None), rows of (numpy expression, µs))."""
    calls = [(name, best_us(ours), best_us(theirs) if theirs else None) for name, ours, theirs in cases()]
    facts = [(name, best_us(function, number=200)) for name, function in numpy_facts()]
    return calls, facts


def format_tables(calls, facts):
    lines = ["| call | tinygrad_like µs | numpy µs |", "|---|---|---|"]
    lines += [f"| {name} | {ours:.2f} | {'—' if theirs is None else f'{theirs:.2f}'} |" for name, ours, theirs in calls]
    lines += ["", "| numpy expression | µs |", "|---|---|"]
    lines += [f"| {name} | {us:.2f} |" for name, us in facts]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, help="BLAS threads for numpy (threadpoolctl)")
    args = parser.parse_args(argv)
    if args.threads:
        harness.limit_threads(args.threads)
    print(format_tables(*measure()))


if __name__ == "__main__":
    main()
