"""Instructions executed per step, counted by valgrind (callgrind): the framework's own cost in a
measure that does not move with the machine's load.

On a shared machine a step's time drifts by tens of percent between runs, more than most single
optimisations are worth. The number of instructions a step executes stays within about 1%, so it
tells two versions of the code apart. Each framework's step runs in a fresh child process under
`valgrind --tool=callgrind`, twice: `warmup` steps, then none or `steps` more; the difference of the
two totals over `steps` is the count per step, without imports and setup. Between the two phases the
child collects garbage and freezes the surviving objects, so that a full collection of the
interpreter's objects (millions of instructions, at a moment that varies) lands in neither.

Instructions are not time: a cache miss costs none, and BLAS under valgrind runs a kernel without
AVX-512, so large products count more than they cost natively. Compare versions of the code on the
Python-bound workloads (streetlight, mnist-sample), where the difference is the framework's own work.
`--caches` runs cachegrind instead and adds its simulated first-level cache misses per step.

    python -m benchmarks.instructions [WORKLOAD ...] [--steps N] [--frameworks numpy,tinygrad_like] [--caches]
"""
import argparse
import gc
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OP_BODIES = "op bodies"  # tinygrad_like's array work alone (Workload.op_bodies), where a workload has it
DEFAULT_WORKLOADS = ("streetlight", "mnist-sample")


def available():
    return shutil.which("valgrind") is not None


def _runner(workload_name, framework, seed=0):
    from benchmarks.workloads import WORKLOADS

    workload = WORKLOADS[workload_name]
    if framework == OP_BODIES:
        return workload.op_bodies(workload.setup(seed), False)
    return workload.runners([framework], seed)[1][framework]


def child(workload_name, framework, warmup, steps):
    """Build the runner, run `warmup` steps, then `steps` steps (the process that valgrind counts)."""
    step = _runner(workload_name, framework).step
    for _ in range(warmup):
        step()
    gc.collect()
    gc.freeze()
    for _ in range(steps):
        step()


# valgrind tool -> (its options, {counter: pattern of its total in valgrind's summary})
TOOLS = {
    "callgrind": (["--tool=callgrind", "--callgrind-out-file=/dev/null"],
                  {"instructions": r"Collected\s*:\s*([\d,]+)"}),
    # simulated first-level caches: what the extra instructions cost beside large arrays
    "cachegrind": (["--tool=cachegrind", "--cache-sim=yes", "--cachegrind-out-file=/dev/null"],
                   {"instructions": r"I\s+refs:\s+([\d,]+)", "L1 instruction misses": r"I1\s+misses:\s+([\d,]+)",
                    "L1 data misses": r"D1\s+misses:\s+([\d,]+)"}),
}


def _count(workload_name, framework, warmup, steps, tool):
    """Totals of the tool's counters for a child process that runs `warmup`, then `steps` steps."""
    options, patterns = TOOLS[tool]
    command = ["valgrind", *options, sys.executable, "-m",
               "benchmarks.instructions", "--child", workload_name, framework, str(warmup), str(steps)]
    # One BLAS thread: idle worker threads spin for a while, and valgrind counts their spinning. A fixed
    # hash seed: string hashing changes dict and set layouts, and with them the count.
    env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    matches = {counter: re.search(pattern, done.stderr) for counter, pattern in patterns.items()}
    if done.returncode or None in matches.values():
        raise RuntimeError(f"counting {framework} on {workload_name} failed:\n{done.stderr[-2000:]}")
    return {counter: int(match.group(1).replace(",", "")) for counter, match in matches.items()}


def per_step(workload_name, framework, steps=1000, warmup=100, tool="callgrind"):
    """{counter: count per step}: instructions (and, with cachegrind, first-level cache misses)."""
    total = _count(workload_name, framework, warmup, steps, tool)
    before = _count(workload_name, framework, warmup, 0, tool)
    return {counter: (total[counter] - before[counter]) / steps for counter in total}


def frameworks_for(workload_name, frameworks):
    """The requested frameworks this workload has (op bodies only where the workload defines them)."""
    from benchmarks.workloads import WORKLOADS

    workload = WORKLOADS[workload_name]
    return [f for f in frameworks if f in workload.builders or (f == OP_BODIES and workload.op_bodies is not None)]


def format_table(counts, frameworks, counter="instructions"):
    """counts: {workload: {framework: {counter: per step}}} -> a Markdown table of one counter, in
    thousands per step and as a ratio to numpy, a column per framework in the order of `frameworks`."""
    names = [f for f in frameworks if any(f in by_framework for by_framework in counts.values())]
    lines = [f"{counter} per step, thousands (ratio to numpy):", "",
             "| workload | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for workload_name, by_framework in counts.items():
        base = by_framework["numpy"][counter] if "numpy" in by_framework else None
        cells = [f"{by_framework[n][counter] / 1e3:.1f}" + (f" ({by_framework[n][counter] / base:.2f}x)" if base else "")
                 if n in by_framework else "—" for n in names]
        lines.append(f"| {workload_name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=list(DEFAULT_WORKLOADS))
    parser.add_argument("--steps", type=int, default=1000, help="counted steps (after --warmup steps)")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--frameworks", default=f"numpy,{OP_BODIES},tinygrad_like",
                        help="comma-separated; torch also works, slowly")
    parser.add_argument("--caches", action="store_true",
                        help="also count first-level cache misses (cachegrind's simulation; slower)")
    parser.add_argument("--child", nargs=4, metavar=("WORKLOAD", "FRAMEWORK", "WARMUP", "STEPS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        workload_name, framework, warmup, steps = args.child
        child(workload_name, framework, int(warmup), int(steps))
        return
    if not available():
        sys.exit("benchmarks.instructions needs valgrind (e.g. apt-get install valgrind)")
    frameworks = args.frameworks.split(",")
    tool = "cachegrind" if args.caches else "callgrind"
    counts = {}
    for workload_name in args.workloads:
        counts[workload_name] = {}
        for framework in frameworks_for(workload_name, frameworks):
            counts[workload_name][framework] = per_step(workload_name, framework, args.steps, args.warmup, tool)
            print(f"{workload_name} / {framework}: " + ", ".join(
                f"{value:,.0f} {counter}" for counter, value in counts[workload_name][framework].items()) + " per step",
                flush=True)
    for counter in TOOLS[tool][1]:
        print()
        print(format_table(counts, frameworks, counter))


if __name__ == "__main__":
    main()
