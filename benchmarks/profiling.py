"""Where a framework's step spends its time: cProfile over many steps, per function, µs per step.

`python -m benchmarks.profiling streetlight deep-narrow [--steps N] [--top K]`

Self time ("tottime") is the time in a function's own code; cumulative time includes its callees.
cProfile slows Python-heavy code down (every call is hooked), so the report also gives the plain,
unprofiled step time; read the per-function numbers as shares of the profiled total.
"""
import argparse
import cProfile
import os
import pstats
import statistics
import time

from benchmarks import harness
from benchmarks.workloads import WORKLOADS

PACKAGE = "tinygrad_like"


def _label(filename, line, function):
    if filename == "~":  # a builtin or C function, e.g. <method 'dot' of 'numpy.ndarray' objects>
        return function
    parts = filename.replace(os.sep, "/").split("/")
    if PACKAGE in parts:
        filename = "/".join(parts[len(parts) - 1 - parts[::-1].index(PACKAGE):])
    else:
        filename = parts[-1]
    return f"{filename}:{line}({function})"


def profile(workload, steps, framework="tinygrad_like", seed=0):
    setup, runners = workload.runners([framework], seed)
    step = runners[framework].step
    for _ in range(max(10, steps // 10)):
        step()
    samples = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        samples.append(time.perf_counter() - start)
    plain = statistics.median(samples)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for _ in range(steps):
        step()
    profiler.disable()
    profiled = (time.perf_counter() - start) / steps
    rows = []
    for (filename, line, function), (_, calls, self_time, cumulative, _) in pstats.Stats(profiler).stats.items():
        rows.append(dict(name=_label(filename, line, function), ours=f"/{PACKAGE}/" in filename.replace(os.sep, "/"),
                         calls=calls / steps, self_us=self_time / steps * 1e6, cum_us=cumulative / steps * 1e6))
    return dict(workload=workload.name, framework=framework, steps=steps, plain_us=plain * 1e6,
                profiled_us=profiled * 1e6, rows=rows)


PHASES = ("slice batch", "zero_grad", "forward", "loss", "backward", "optimizer step")


def phases(workload, framework="tinygrad_like", steps=500, seed=0):
    """Median µs per phase of the standard step (no profiler: perf_counter between the phases)."""
    import statistics

    setup, runners = workload.runners([framework], seed)
    parts = runners[framework].parts
    if parts is None:
        return None
    model, opt, loss_fn, X, Y, batch = (parts[k] for k in ("model", "optimizer", "loss", "x", "y", "batch"))
    starts, clock = setup.batch_starts(), time.perf_counter
    samples = {name: [] for name in PHASES + ("total",)}
    for k in range(steps + max(10, steps // 10)):
        t0 = clock()
        start = next(starts)
        x, y = X[start:start + batch], Y[start:start + batch]
        t1 = clock()
        opt.zero_grad()
        t2 = clock()
        prediction = model(x)
        t3 = clock()
        loss = loss_fn(prediction, y)
        t4 = clock()
        loss.backward()
        t5 = clock()
        opt.step()
        t6 = clock()
        if k >= steps // 10:  # after a warm-up
            for name, (a, b) in zip(PHASES + ("total",), [(t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5),
                                                           (t5, t6), (t0, t6)]):
                samples[name].append((b - a) * 1e6)
    return {name: statistics.median(values) for name, values in samples.items()}


OVERHEAD_WORKLOADS = ("streetlight", "mnist-sample", "mnist-batch", "deep-narrow")


def overhead(workload, steps, rounds=5, seed=0):
    """Median µs per step of numpy (the book's code), tinygrad_like's op bodies alone
    (workload.op_bodies: the same array operations, no framework) and tinygrad_like, interleaved."""
    setup, runners = workload.runners([harness.BASELINE, "tinygrad_like"], seed)
    runners = {harness.BASELINE: runners[harness.BASELINE], "op bodies": workload.op_bodies(setup, False),
               "tinygrad_like": runners["tinygrad_like"]}
    timings = harness.time_interleaved(runners, steps, rounds)
    return {name: timing.median * 1e6 for name, timing in timings.items()}


def format_overhead(by_workload):
    base = harness.BASELINE
    lines = ["| workload | numpy µs | op bodies µs (ratio) | tinygrad_like µs (ratio) | framework's own µs per step |",
             "|---|---|---|---|---|"]
    for name, us in by_workload.items():
        lines.append(f"| {name} | {us[base]:.1f} | {us['op bodies']:.1f} ({us['op bodies'] / us[base]:.2f}x) | "
                     f"{us['tinygrad_like']:.1f} ({us['tinygrad_like'] / us[base]:.2f}x) | "
                     f"{us['tinygrad_like'] - us['op bodies']:.1f} |")
    return "\n".join(lines)


def format_phases(workload_name, by_framework):
    names = [n for n, p in by_framework.items() if p]
    lines = [f"Phases of the {workload_name} step, median µs (perf_counter between phases, no profiler):", "",
             "| phase | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for phase in PHASES + ("total",):
        lines.append(f"| {phase} | " + " | ".join(f"{by_framework[n][phase]:.1f}" for n in names) + " |")
    return "\n".join(lines) + "\n"


def format_profile(result, top=15):
    """Markdown tables of the profile. "≈ µs" scales a function's share of the profiled step to the
    unprofiled median step: a rough real cost (cProfile's per-call overhead inflates small functions)."""
    rows, profiled, plain = result["rows"], result["profiled_us"], result["plain_us"]
    lines = [f"cProfile of the {result['workload']} step ({result['framework']}, {result['steps']} steps): "
             f"{plain:.1f} µs/step unprofiled (median), {profiled:.1f} µs/step under cProfile (mean).", ""]
    sections = [
        ("tinygrad_like functions by self time", [r for r in rows if r["ours"]], "self_us"),
        ("tinygrad_like functions by cumulative time", [r for r in rows if r["ours"]], "cum_us"),
        ("everything else by self time (numpy, builtins, benchmark code)", [r for r in rows if not r["ours"]], "self_us"),
    ]
    for title, selected, key in sections:
        lines += [f"{title}:", "", "| function | calls/step | self µs (profiled) | self share | ≈ self µs | "
                  "cumulative share | ≈ cumulative µs |", "|---|---|---|---|---|---|---|"]
        for r in sorted(selected, key=lambda r: -r[key])[:top]:
            self_share, cum_share = r["self_us"] / profiled, r["cum_us"] / profiled
            lines.append(f"| `{r['name']}` | {r['calls']:.0f} | {r['self_us']:.1f} | {self_share:.1%} | "
                         f"{self_share * plain:.1f} | {cum_share:.1%} | {cum_share * plain:.1f} |")
        lines.append("")
    ours = sum(r["self_us"] for r in rows if r["ours"]) / profiled
    lines.append(f"Self time in tinygrad_like code: {ours:.0%} of the profiled step.")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=["streetlight", "deep-narrow"])
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--framework", default="tinygrad_like")
    parser.add_argument("--threads", type=int, help="BLAS threads for numpy (threadpoolctl) and torch")
    args = parser.parse_args(argv)
    if args.threads:
        harness.limit_threads(args.threads)
    for name in args.workloads:
        workload = WORKLOADS[name]
        steps = args.steps or max(20, workload.steps)
        frameworks = [f for f in ("tinygrad_like", "torch") if f in harness.available_frameworks()]
        print(format_phases(name, {f: phases(workload, f, steps) for f in frameworks}))
        print(format_profile(profile(workload, steps, args.framework), args.top))
        print()


if __name__ == "__main__":
    main()
