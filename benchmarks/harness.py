"""What every workload shares: the runner protocol, interleaved timing and the correctness guard.

A workload module defines a `WORKLOAD = Workload(...)` whose `setup(seed, n_samples)` makes the
initial weights and data (numpy arrays, PyTorch's weight layout (out_features, in_features)) and
whose `builders` turn that setup into one `Runner` per framework. A runner's `step()` is the timed
unit: one training step (or one inference pass) exactly as a user would write it.
"""
import contextlib
import itertools
import math
import os
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import numpy as np

FRAMEWORKS = ("numpy", "tinygrad_like", "torch")
BASELINE = "numpy"
# Other spellings of the tinygrad_like step, timed beside it for the workloads that have builders for them: as
# users write it (a composed loss, weights assigned in their own layout), and each captured (tinygrad_like.jit).
SPELLINGS = ("tinygrad_like user-written", "tinygrad_like captured", "tinygrad_like user-written captured")


# ---- frameworks -----------------------------------------------------------------------------------
def blas_threads():
    """The number of threads numpy's BLAS uses (threadpoolctl when installed, else the environment)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                return int(pool["num_threads"])
    for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return os.cpu_count() or 1


_torch = None
_limits = []


def torch_or_none():
    """torch, with its intra-op thread count set to numpy's BLAS thread count; None when not installed."""
    global _torch
    if _torch is None:
        try:
            import torch
        except ImportError:
            _torch = False
        else:
            torch.set_num_threads(blas_threads())
            _torch = torch
    return _torch or None


def limit_threads(threads):
    """Use `threads` threads in numpy's BLAS (threadpoolctl) and in torch, for the whole process
    (torch is not imported here: it picks the BLAS thread count up when it is)."""
    from threadpoolctl import threadpool_limits
    _limits.append(threadpool_limits(limits=threads, user_api="blas"))
    if _torch:
        _torch.set_num_threads(threads)


@contextlib.contextmanager
def threads_limited(threads):
    """Temporarily use `threads` threads in torch and (when threadpoolctl is installed) numpy's BLAS.

    On a machine whose cores are busy with other work, spinning OpenMP/BLAS worker threads can make
    tiny steps hundreds of times slower; tests use one thread.
    """
    torch = torch_or_none()
    previous = torch.get_num_threads() if torch is not None else None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # one thread through OpenBLAS's own switch (how the book's scripts do it)
        from tinygrad_like.book._common import single_blas_thread
        blas = single_blas_thread() if threads == 1 else contextlib.nullcontext()
    else:
        blas = threadpool_limits(limits=threads, user_api="blas")
    with blas:
        if torch is not None:
            torch.set_num_threads(threads)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(previous)


def available_frameworks():
    return tuple(name for name in FRAMEWORKS if name != "torch" or torch_or_none() is not None)


# ---- setups and runners ---------------------------------------------------------------------------
@dataclass
class Setup:
    """Initial state shared by all frameworks. `params` lists (weight, bias or None) per layer in
    PyTorch's layout; `x`/`y` are the whole data set, consumed `batch` rows per step."""
    params: list
    x: np.ndarray
    y: Optional[np.ndarray]
    batch: int
    lr: float
    seed: int
    spec: object = None  # workload-specific description (e.g. an mlp.MLPSpec)

    @property
    def dtype(self):
        return self.x.dtype

    def batch_starts(self):
        """An endless cycle of batch start rows (the same sequence for every framework)."""
        return itertools.cycle(range(0, len(self.x) - self.batch + 1, self.batch))


@dataclass
class Runner:
    """One framework's version of a workload.

    step(): one timed step; returns the framework's loss (training) or output (inference).
    value(result): that result as a numpy value (a float for a loss).
    weights(): the current weights as numpy arrays in `Setup.params` order and layout.
    parts: the pieces of a framework step (see profiling.phases), when the step is the standard one.
    """
    step: Callable[[], object]
    value: Callable[[object], object]
    weights: Callable[[], List[np.ndarray]]
    parts: Optional[dict] = None  # model, optimizer, loss(prediction, target), x, y, batch: for profiling


@dataclass
class Workload:
    name: str
    description: str
    target: Optional[float]  # the ratio to the baseline that tinygrad_like should stay under (None: only reported)
    setup: Callable[..., Setup]  # setup(seed, n_samples=None)
    builders: Dict[str, Callable[[Setup, bool], Runner]]  # framework -> builder(setup, deterministic)
    steps: int  # timed steps per framework per round (before --steps / --quick)
    baseline: str = BASELINE  # the framework the ratios and the target refer to (its builder is required)
    threads: Optional[int] = None  # BLAS and torch threads while timed (None: the run's setting)
    rounds_factor: int = 1  # long steps: more, shorter rounds, so that a burst of load hits every framework
    kind: str = "train"  # or "inference"
    has_dropout: bool = False  # the timed step is random: weights are compared with dropout disabled
    guard_samples: int = 16  # data set size for the correctness guard
    guard_epochs: int = 4
    flops: Optional[Callable[[Setup], float]] = None  # floating-point operations per step, if reported
    notes: str = ""
    goals: Dict[str, float] = field(default_factory=dict)  # spelling (SPELLINGS) -> the ratio it should stay under
    versus: Dict[str, float] = field(default_factory=dict)  # framework -> ratio of tinygrad_like's step to its step
    op_bodies: Optional[Callable[[Setup, bool], Runner]] = None  # tinygrad_like's array work alone, for the profile

    def runners(self, frameworks, seed=0, n_samples=None, deterministic=False):
        """One runner per framework that has a builder, all from the same setup (same weights, data and seeds)."""
        setup = self.setup(seed, n_samples)
        return setup, {name: self.builders[name](setup, deterministic) for name in frameworks if name in self.builders}

    def reference(self, frameworks):
        """The framework the correctness guard compares the others with: the hand-written numpy step
        when there is one, else the baseline; None when that one is not among `frameworks`."""
        name = BASELINE if BASELINE in self.builders else self.baseline
        return name if name in frameworks else None


def seeded_rng(setup, framework):
    """Seeds each framework's own generator (for dropout) and returns a numpy Generator for numpy."""
    if framework == "tinygrad_like":
        import tinygrad_like
        tinygrad_like.manual_seed(setup.seed)
    elif framework == "torch":
        torch_or_none().manual_seed(setup.seed)
    return np.random.default_rng(setup.seed)


# ---- loading and reading weights ------------------------------------------------------------------
def linear_layers(model, linear_type):
    return [module for module in model if isinstance(module, linear_type)]


def op_forward(op, *arrays, needs, **options):
    """An op's forward called directly on arrays (the op-bodies runners): its node, and its result."""
    ctx = op()
    ctx.needs_input_grad = needs
    return ctx, op.forward(ctx, *arrays, **options)


def load_tinygrad_like(model, params):
    from tinygrad_like import nn
    for layer, (weight, bias) in zip(linear_layers(model, nn.Linear), params):
        layer.weight._data[...] = weight
        if bias is not None:
            layer.bias._data[...] = bias


def load_torch(model, params):
    torch = torch_or_none()
    with torch.no_grad():
        for layer, (weight, bias) in zip(linear_layers(model, torch.nn.Linear), params):
            layer.weight.copy_(torch.from_numpy(weight))
            if bias is not None:
                layer.bias.copy_(torch.from_numpy(bias))


def load_values(framework, parameters, values):
    """Copy the numpy `values` into a tinygrad_like or torch model's `parameters`, in order, in place."""
    if framework == "torch":
        torch = torch_or_none()
        with torch.no_grad():
            for parameter, value in zip(parameters, values):
                parameter.copy_(torch.from_numpy(value))
        return
    for parameter, value in zip(parameters, values):
        parameter._data[...] = value


def tinygrad_like_weights(model):
    return [p._data.copy() for p in model.parameters()]


def torch_weights(model):
    return [p.detach().numpy().copy() for p in model.parameters()]


def torch_value(result):
    return result.item() if result.numel() == 1 else result.detach().numpy()


def tinygrad_like_value(result):
    return float(result.item()) if result._data.size == 1 else result._data


def numpy_value(result):
    return float(result) if np.ndim(result) == 0 else np.asarray(result)


# ---- the standard steps ---------------------------------------------------------------------------
def sgd_runner(framework, setup, model, loss_fn):
    """The standard training step of `model` (a tinygrad_like or torch Module, `framework` says which,
    already loaded with the setup's weights) on the next batch of the setup's tensors: zero_grad,
    loss_fn(model(x), y), backward, SGD's step. Its `parts` are the step's pieces for profiling."""
    if framework == "torch":
        torch = torch_or_none()
        opt = torch.optim.SGD(model.parameters(), lr=setup.lr)
        X, Y = torch.from_numpy(setup.x), torch.from_numpy(setup.y)
        value, weights = torch_value, torch_weights
    else:
        import tinygrad_like as tl
        from tinygrad_like import optim
        opt = optim.SGD(model.parameters(), lr=setup.lr)
        X, Y = tl.Tensor(setup.x), tl.Tensor(setup.y)
        value, weights = tinygrad_like_value, tinygrad_like_weights
    batch, starts = setup.batch, setup.batch_starts()

    def step():
        start = next(starts)
        x, y = X[start:start + batch], Y[start:start + batch]
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return Runner(step, value, lambda: weights(model),
                  parts=dict(model=model, optimizer=opt, loss=loss_fn, x=X, y=Y, batch=batch))


def no_grad_runner(framework, setup, model, forward=None, tensors=True):
    """One forward pass of `model` (a tinygrad_like or torch Module, `framework` says which) under no_grad on
    the next batch of the setup's inputs; `forward` replaces the model's call (e.g. it captured by
    tinygrad_like.jit), and tensors=False passes the batches as numpy slices."""
    if framework == "torch":
        torch = torch_or_none()
        no_grad, X = torch.no_grad, torch.from_numpy(setup.x)
        value, weights = torch_value, torch_weights
    else:
        import tinygrad_like as tl
        no_grad, X = tl.no_grad, tl.Tensor(setup.x) if tensors else setup.x
        value, weights = tinygrad_like_value, tinygrad_like_weights
    forward = model if forward is None else forward
    batch, starts = setup.batch, setup.batch_starts()

    def step():
        start = next(starts)
        with no_grad():
            return forward(X[start:start + batch])

    return Runner(step, value, lambda: weights(model))


# ---- timing ---------------------------------------------------------------------------------------
@dataclass
class Timing:
    samples: List[float] = field(default_factory=list)  # seconds per step, all rounds
    round_medians: List[float] = field(default_factory=list)
    last_result: object = None

    @property
    def median(self):
        return statistics.median(self.samples)


def time_interleaved(runners, steps, rounds=7, warmup=None, clock="wall"):
    """Median seconds per step of each runner, the runners interleaved in `rounds` rounds of `steps`
    steps each, in an order rotated every round so that no framework always runs first or last.

    clock="wall": time.perf_counter around every step (what a user waits for).
    clock="cpu": time.process_time (CPU time of all the process's threads) over chunks of steps of
    about a millisecond, each sample the chunk's mean: on a machine shared with other work, with one
    BLAS thread, this leaves out the time the process waited for a core. (Reading the CPU clock
    costs about a microsecond, hence the chunks.)
    """
    names = list(runners)
    warmup = max(3, steps // 5) if warmup is None else warmup
    chunks = {}
    for name in names:
        step = runners[name].step
        start = time.perf_counter()
        for _ in range(warmup):
            step()
        per_step = (time.perf_counter() - start) / max(warmup, 1)
        chunks[name] = 1 if clock == "wall" else max(1, min(steps, int(1e-3 / max(per_step, 1e-7))))
    read = time.perf_counter if clock == "wall" else time.process_time
    timings = {name: Timing() for name in names}
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            step, chunk, samples = runners[name].step, chunks[name], []
            for _ in range(max(1, steps // chunk)):
                start = read()
                for _ in range(chunk):
                    result = step()
                samples.append((read() - start) / chunk)
            timing = timings[name]
            timing.samples.extend(samples)
            timing.round_medians.append(statistics.median(samples))
            timing.last_result = result
    return timings


# ---- correctness guard ----------------------------------------------------------------------------
def tolerances(dtype):
    return dict(rtol=1e-9, atol=1e-12) if np.dtype(dtype) == np.float64 else dict(rtol=2e-4, atol=2e-6)


class GuardError(AssertionError):
    pass


def _finite(name, framework, values):
    for value in values:
        if not np.all(np.isfinite(value)):
            raise GuardError(f"{name}/{framework}: non-finite result {value}")


def check_weights_match(workload, frameworks, steps, seed=0):
    """Run `steps` deterministic steps (dropout disabled) of every framework from the same setup and
    require every framework's weights (or, for inference, outputs) to match the reference's (numpy's,
    see Workload.reference)."""
    reference_name = workload.reference(frameworks)
    if reference_name is None:
        raise GuardError(f"{workload.name}: nothing to compare with: its reference framework "
                         f"({workload.reference(FRAMEWORKS)}) is not among {list(frameworks)}")
    setup, runners = workload.runners(frameworks, seed, workload.guard_samples, deterministic=True)
    results = {}
    for framework, runner in runners.items():
        values = [runner.value(runner.step()) for _ in range(steps)]
        _finite(workload.name, framework, values)
        results[framework] = values[-1] if workload.kind == "inference" else runner.weights()
    reference = results[reference_name]
    for framework, result in results.items():
        if workload.kind != "inference" and len(result) != len(reference):
            raise GuardError(f"{workload.name}/{framework}: {len(result)} parameters, {reference_name} has "
                             f"{len(reference)}")
        pairs = [(reference, result)] if workload.kind == "inference" else zip(reference, result)
        for index, (expected, actual) in enumerate(pairs):
            if not np.allclose(actual, expected, **tolerances(setup.dtype)):
                worst = np.max(np.abs(np.asarray(actual, float) - expected))
                raise GuardError(f"{workload.name}/{framework}: after {steps} steps, "
                                 f"{'output' if workload.kind == 'inference' else f'parameter {index}'} "
                                 f"differs from {reference_name}'s by up to {worst:.3g}")


def check_loss_decreases(workload, frameworks, seed=0):
    """Train every framework in the timed configuration (dropout on) for a few epochs over a small
    data set: every loss must be finite and the last epoch's mean loss below the first's."""
    setup, runners = workload.runners(frameworks, seed, workload.guard_samples, deterministic=False)
    per_epoch = len(range(0, len(setup.x) - setup.batch + 1, setup.batch))
    report = {}
    for framework, runner in runners.items():
        losses = [runner.value(runner.step()) for _ in range(per_epoch * workload.guard_epochs)]
        _finite(workload.name, framework, losses)
        first, last = np.mean(losses[:per_epoch]), np.mean(losses[-per_epoch:])
        if not last < first:
            raise GuardError(f"{workload.name}/{framework}: the loss did not go down "
                             f"(first epoch mean {first:.6g}, last {last:.6g})")
        report[framework] = (first, last)
    return report


def guard(workload, frameworks, steps=3, seed=0):
    """The correctness guard run before timing; raises GuardError. Returns a one-line summary."""
    check_weights_match(workload, frameworks, steps, seed)
    reference = workload.reference(frameworks)
    if workload.kind == "inference":
        return f"outputs match {reference} ({', '.join(f for f in frameworks if f in workload.builders)})"
    losses = check_loss_decreases(workload, frameworks, seed)
    trend = ", ".join(f"{name} {first:.3g}->{last:.3g}" for name, (first, last) in losses.items())
    compared = "with dropout off" if workload.has_dropout else "as timed"
    return f"weights match {reference} after {steps} steps ({compared}); loss down: {trend}"


def geometric_mean(values):
    values = [v for v in values if v and v > 0]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else float("nan")
