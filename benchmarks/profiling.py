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
import time

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
    start = time.perf_counter()
    for _ in range(steps):
        step()
    plain = (time.perf_counter() - start) / steps
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


def format_profile(result, top=15):
    rows = result["rows"]
    lines = [f"### {result['workload']} ({result['framework']}): {result['plain_us']:.1f} µs/step unprofiled, "
             f"{result['profiled_us']:.1f} µs/step under cProfile ({result['steps']} steps)", ""]
    sections = [
        ("tinygrad_like functions by self time", [r for r in rows if r["ours"]], "self_us"),
        ("tinygrad_like functions by cumulative time", [r for r in rows if r["ours"]], "cum_us"),
        ("everything else by self time (numpy, builtins, benchmark code)", [r for r in rows if not r["ours"]], "self_us"),
    ]
    for title, selected, key in sections:
        lines += [f"{title}:", "", "| function | calls/step | self µs/step | cumulative µs/step |", "|---|---|---|---|"]
        for r in sorted(selected, key=lambda r: -r[key])[:top]:
            lines.append(f"| `{r['name']}` | {r['calls']:.0f} | {r['self_us']:.2f} | {r['cum_us']:.2f} |")
        lines.append("")
    ours = sum(r["self_us"] for r in rows if r["ours"])
    lines.append(f"Self time in tinygrad_like code: {ours:.1f} of {result['profiled_us']:.1f} profiled µs/step.")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=["streetlight", "deep-narrow"])
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--framework", default="tinygrad_like")
    args = parser.parse_args(argv)
    for name in args.workloads:
        workload = WORKLOADS[name]
        steps = args.steps or max(20, workload.steps)
        print(format_profile(profile(workload, steps, args.framework), args.top))
        print()


if __name__ == "__main__":
    main()
