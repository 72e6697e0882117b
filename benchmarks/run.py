"""Run the benchmark suite and write benchmarks/RESULTS.md.

    python -m benchmarks                 # everything: workloads, memory, chapter 8, profiles
    python -m benchmarks --quick         # fewer steps and rounds (a minute or so)
    python -m benchmarks --only streetlight --only memory --steps 500 --rounds 5
    python benchmarks/run.py --threads 1 # numpy's BLAS and torch limited to one thread

Each workload is first checked by the correctness guard (weights match numpy's after a few steps,
the loss goes down), then timed: `--rounds` rounds of `--steps` steps per framework, interleaved in
one process with the order rotated each round, after a warm-up; the median step is reported as a
ratio to the numpy step of the same run. RESULTS.md is written after a full run (or with --write);
anything below its NOTES_MARKER line is kept.
"""
import argparse
import contextlib
import datetime
import os
import sys
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/run.py`: import the package from the project root
    sys.path[0] = str(Path(__file__).resolve().parents[1])  # (not benchmarks/: no shadowing of stdlib names)

import numpy as np  # noqa: E402

from benchmarks import chapter8, harness, machine, memory, micro, mlp, profiling  # noqa: E402
from benchmarks.workloads import WORKLOADS  # noqa: E402

EXTRAS = ("memory", "chapter8", "profile")
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
NOTES_MARKER = "<!-- Hand-written notes below this line are kept when run.py rewrites the file. -->"
PROFILED = ("streetlight", "deep-narrow", "lenet")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, help="timed steps per framework per round (default: per workload)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 7; 3 with --quick)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help=f"run only these (repeat or comma-separate): {', '.join(list(WORKLOADS) + list(EXTRAS))}")
    parser.add_argument("--quick", action="store_true", help="a quick pass: fewer steps, rounds and epochs")
    parser.add_argument("--threads", type=int, help="BLAS threads for numpy (threadpoolctl) and torch")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall: perf_counter per step (default); cpu: process CPU time over ~1 ms chunks of "
                             "steps, for a machine shared with other work (use with --threads 1)")
    parser.add_argument("--mnist", action="store_true", help="use the real MNIST images (if present) instead of "
                                                            "random MNIST-shaped data")
    parser.add_argument("--memory-steps", type=int, help="steps of the memory run (default 1000; 300 with --quick)")
    parser.add_argument("--ch8-iterations", type=int, help="iterations (epochs) of the chapter 8 run (default 11, "
                                                          "the book's rows I:0 and I:10; 1 with --quick)")
    parser.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                        help="write RESULTS.md (default: only after a full, non-quick run)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    names = [n.strip() for item in (args.only or []) for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in WORKLOADS and n not in EXTRAS]
    if unknown:
        parser.error(f"unknown name(s) {unknown}; choose from {list(WORKLOADS) + list(EXTRAS)}")
    args.names = names or list(WORKLOADS) + list(EXTRAS)
    args.rounds = args.rounds or (3 if args.quick else 7)
    args.memory_steps = args.memory_steps or (300 if args.quick else 1000)
    args.ch8_iterations = args.ch8_iterations or (1 if args.quick else 11)
    if args.write is None:
        args.write = not args.only and not args.quick
    return args


def steps_for(workload, args):
    if args.steps:
        return args.steps
    return max(3, workload.steps // 4) if args.quick else workload.steps


# ---- measuring ------------------------------------------------------------------------------------
def workload_threads(workload):
    """The thread count a workload is timed (and profiled) with, when it sets one."""
    return harness.threads_limited(workload.threads) if workload.threads else contextlib.nullcontext()


def run_workload(workload, frameworks, args):
    rounds = args.rounds * workload.rounds_factor
    row = dict(name=workload.name, description=workload.description, target=workload.target, steps=0,
               rounds=rounds, frameworks={}, met=False, baseline=workload.baseline)
    if workload.baseline not in frameworks:  # e.g. a target against torch without torch: nothing to time against
        row["guard"] = f"**not run**: its baseline, {workload.baseline}, is not installed"
        return row
    try:
        row["guard"] = harness.guard(workload, frameworks)
    except harness.GuardError as error:  # no timing of a wrong step; the other workloads still run
        row["guard"] = f"**FAILED**: {error}"
        return row
    setup, runners = workload.runners(frameworks)
    steps = steps_for(workload, args)
    with workload_threads(workload):
        timings = harness.time_interleaved(runners, steps, rounds, clock=args.clock)
    for name, timing in timings.items():  # the timed runs must stay finite, too
        value = runners[name].value(timing.last_result)
        if not np.all(np.isfinite(value)):
            raise harness.GuardError(f"{workload.name}/{name}: non-finite result after timing")
    base = timings[workload.baseline]
    row["steps"] = steps
    for name, timing in timings.items():
        per_round = [t / b for t, b in zip(timing.round_medians, base.round_medians)]
        flops = workload.flops(setup) / timing.median / 1e9 if workload.flops else None
        row["frameworks"][name] = dict(us=timing.median * 1e6, ratio=timing.median / base.median,
                                       ratio_range=(min(per_round), max(per_round)), gflops=flops)
    tl = row["frameworks"].get("tinygrad_like")
    row["met"] = None if workload.target is None else tl is not None and tl["ratio"] <= workload.target
    row["goals"] = {name: goal for name, goal in workload.goals.items() if name in row["frameworks"]}
    row["missed"] = ["tinygrad_like"] if row["met"] is False else []  # the target itself
    row["missed"] += [name for name, goal in row["goals"].items() if row["frameworks"][name]["ratio"] > goal]
    row["versus"] = {name: (goal, tl["us"] / row["frameworks"][name]["us"]) for name, goal in workload.versus.items()
                     if tl is not None and name in row["frameworks"]}
    row["missed"] += [name for name, (goal, ratio) in row["versus"].items() if ratio > goal]
    if row["goals"] or row["versus"]:  # goals of the other spellings, and against other frameworks than the baseline
        row["met"] = row["met"] is not False and not row["missed"]
    return row


# ---- formatting -----------------------------------------------------------------------------------
def _baseline(row):
    return row.get("baseline", harness.BASELINE)


def _cell(row, name):
    """µs, and the ratio to the row's baseline (none for the baseline itself)."""
    entry = row["frameworks"].get(name)
    if entry is None:
        return "—"
    if name == _baseline(row):
        return f"{entry['us']:.1f}"
    return f"{entry['us']:.1f} ({entry['ratio']:.2f}x)"


def _spelling(name):
    return name.removeprefix("tinygrad_like ")


def workload_table(rows):
    """The median step of each framework; tinygrad_like's other spellings (harness.SPELLINGS) in columns of
    their own when a row has them, their goals beside the target."""
    spellings = [name for name in harness.SPELLINGS if any(name in row["frameworks"] for row in rows)]
    columns = "".join(f" {_spelling(name)} µs (ratio) |" for name in spellings)
    lines = [f"| workload | numpy µs | tinygrad_like µs (ratio) |{columns} torch µs (ratio) | target (ratio to) "
             "| met? |", "|---|---|---|" + "---|" * len(spellings) + "---|---|---|"]
    for row in rows:
        if not row["frameworks"]:
            met = "**not run**" if row["guard"].startswith("**not run**") else "**guard failed**"
        else:
            met = "—" if row["met"] is None else "yes" if row["met"] else "**no**"
            if row.get("missed"):
                met += f" ({', '.join(map(_spelling, row['missed']))})"
        target = "none (reported)" if row["target"] is None else f"<= {row['target']}x {_baseline(row)}"
        target += "".join(f"; {_spelling(name)} <= {goal}x" for name, goal in row.get("goals", {}).items())
        target += "".join(f"; <= {goal}x {name} (here {ratio:.2f}x)" for name, (goal, ratio) in row.get("versus", {}).items())
        cells = "".join(f" {_cell(row, name)} |" for name in spellings)
        lines.append(f"| {row['name']} | {_cell(row, 'numpy')} | {_cell(row, 'tinygrad_like')} |{cells} "
                     f"{_cell(row, 'torch')} | {target} | {met} |")
    return "\n".join(lines)


def details_table(rows):
    lines = ["| workload | what | steps x rounds | tinygrad_like ratio, per-round range | torch ratio range | "
             "GFLOP/s numpy / tinygrad_like / torch |", "|---|---|---|---|---|---|"]
    for row in rows:
        fw = row["frameworks"]

        def spread(name):
            if name == _baseline(row) and name in fw:
                return "(the baseline)"
            return f"{fw[name]['ratio_range'][0]:.2f}-{fw[name]['ratio_range'][1]:.2f}" if name in fw else "—"

        gflops = " / ".join(f"{fw[n]['gflops']:.1f}" if n in fw and fw[n]["gflops"] else "—"
                            for n in harness.FRAMEWORKS)
        lines.append(f"| {row['name']} | {row['description']} | {row['steps']} x {row['rounds']} | "
                     f"{spread('tinygrad_like')} | {spread('torch')} | {gflops} |")
    return "\n".join(lines)


def guard_lines(rows):
    return "\n".join(f"- {row['name']}: {row['guard']}" for row in rows)


def memory_table(rows):
    if not rows:
        return ""
    lines = [f"| framework | RSS before training MiB | peak RSS MiB | peak growth MiB | growth vs numpy | "
             f"RSS step {rows[0]['checkpoint']} -> {rows[0]['steps']} MiB | no growth? |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['framework']} | {r['baseline_mib']:.1f} | {r['peak_mib']:.1f} | {r['growth_mib']:.2f} | "
                     f"{r['ratio']:.2f}x | {r['drift_mib']:+.2f} | {'yes' if r['no_growth'] else '**no**'} |")
    return "\n".join(lines)


def chapter8_section(result):
    base = next(r for r in result["rows"] if r["framework"] == harness.BASELINE)["seconds"]
    if result["kind"] == "reproduction":
        lines = [f"`{result['module']}.run(\"plain\", relu=\"book\")` (784-40-10, one image per step, float64, "
                 f"alpha 0.005) for {result['iterations']} iteration(s) over the first 1000 real MNIST images, the "
                 f"test pass over all 10000 at each printed row ({result['printed_rows']} row(s)), against the book's "
                 f"own notebook code for the same iterations (per-image training and test loops); median of "
                 f"{result['rounds']} interleaved run(s).\n",
                 "| code | wall time s | ratio | last printed row (I, train err, train acc, test err, test acc) | "
                 "rows match the notebook code? |", "|---|---|---|---|---|"]
        for r in result["rows"]:
            row = ", ".join(f"{float(v):.4g}" for v in r["last_row"])
            lines.append(f"| {r['framework']} | {r['seconds']:.2f} | {r['seconds'] / base:.2f}x | {row} | "
                         f"{'yes' if r['rows_match'] else '**no**'} |")
        return "\n".join(lines)
    book = (f"`tinygrad_like.book.{result['book_module']}` exists but has no `run`; "
            if result["book_module"] else "No chapter 8 module in `tinygrad_like.book` (or no MNIST); ")
    lines = [f"{book}so this is a per-image 784-40-10 ReLU loop (float64, alpha 0.005) over {result['images']} "
             f"images x {result['epochs']} epoch(s) on {result['source']}, median of {result['rounds']} interleaved "
             "run(s): the book's numpy code against the same loop written with each framework.\n",
             "| framework | wall time s | ratio | last-epoch error | last-epoch accuracy | weights match numpy? |",
             "|---|---|---|---|---|---|"]
    for r in result["rows"]:
        lines.append(f"| {r['framework']} | {r['seconds']:.2f} | {r['seconds'] / base:.2f}x | {r['error']:.4f} | "
                     f"{r['accuracy']:.3f} | {'yes' if r['weights_match'] else '**no**'} |")
    return "\n".join(lines)


def machine_lines(facts):
    lines = [f"- tinygrad_like source: commit {facts['source']}",
             f"- CPU: {facts['cpu_model']}, {facts['cpu_count']} logical CPUs; {facts['platform']}",
             f"- Python {facts['python']}, numpy {facts['numpy']} (BLAS: {facts['numpy_blas'] or 'see below'})",
             f"- numpy BLAS threads: {facts['numpy_blas_threads']}; torch: {facts['torch'] or 'not installed'}"
             + (f", torch.get_num_threads() = {facts['torch_threads']}" if facts["torch"] else "")]
    for pool in facts["blas_pools"] or []:
        lines.append(f"- threadpoolctl: {pool['user_api']} {pool['internal_api']} {pool['version']} "
                     f"({pool['prefix']}), kernel {pool.get('architecture') or '—'}, {pool['num_threads']} threads")
    if facts["blas_pools"] is None:
        lines.append("- threadpoolctl not installed (`pip install threadpoolctl`): the BLAS kernel is not reported")
    rates = facts.get("gemm_gflops") or {}
    if rates:
        lines.append("- float32 GEMM 1024 x 1024 x 1024 with these threads, best of 5: "
                     + ", ".join(f"{name} {rate:.1f} GFLOP/s" for name, rate in rates.items())
                     + " (numpy's is the rate tinygrad_like's products reach at best)")
    env = ", ".join(f"{k}={v if v is not None else '(unset)'}" for k, v in facts["environment"].items())
    lines.append(f"- environment: {env}")
    return "\n".join(lines)


def report(args, facts, rows, memory_rows, ch8, profiles, micro_tables, overheads, load_after):
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    command = "python -m benchmarks " + " ".join(sys.argv[1:])
    clock = ("wall clock (time.perf_counter per step)" if args.clock == "wall" else
             "CPU time (time.process_time over ~1 ms chunks of steps)")
    parts = [f"# Benchmark results\n\n{now}, `{command.strip()}`; data: {mlp.data_source()} "
             f"(MNIST-shaped for the 784-input nets); clock: {clock}.\n", "## Machine\n", machine_lines(facts),
             f"- load average before / after the run: {' '.join(f'{x:.2f}' for x in facts['load_average'])} / "
             f"{' '.join(f'{x:.2f}' for x in load_after)} (the machine may be shared: timings are interleaved "
             "so that load affects every framework alike)\n"]
    if rows:
        parts += ["## Median step time (ratio to the baseline the target names: hand-written numpy, or PyTorch)\n",
                  workload_table(rows) + "\n",
                  "Each step: forward, loss, backward, optimizer update (inference: forward under no_grad). "
                  "Median over all timed steps; the frameworks run interleaved in rounds, order rotated. "
                  "tinygrad_like's step is also timed as users often write it (user-written: the loss composed of "
                  "ops, `d = model(x) - y; (d * d).mean()` or `.sum() * 0.5`, and the weights assigned with "
                  "`.data` in the user's layout), and each of the two captured (`tinygrad_like.jit` of the step, "
                  "replayed after two recorded eager calls).\n",
                  "### Details\n", details_table(rows) + "\n", "### Correctness guard\n", guard_lines(rows) + "\n"]
    if memory_rows:
        parts += [f"## Memory: mnist-batch, {memory_rows[0]['steps']} steps, one subprocess per framework\n",
                  memory_table(memory_rows) + "\n",
                  "Baseline = VmRSS after imports, data and model; peak = VmHWM over the training only (reset "
                  "via /proc/self/clear_refs); growth = peak - baseline (target <= 1.3x numpy's). No growth: "
                  f"VmRSS rises by at most {memory.LEAK_TOLERANCE_KB // 1024} MiB between the checkpoint and the last "
                  "step (graphs are freed).\n"]
    if ch8:
        parts += ["## Chapter 8 MNIST: wall time\n", chapter8_section(ch8) + "\n"]
    if profiles or overheads:
        parts += ["## Where tinygrad_like's time goes\n"]
    if overheads:
        parts += ["### Array work and the framework's own cost\n",
                  "`op bodies` runs tinygrad_like's array work alone: each op's own forward and backward, called "
                  "in order on the arrays, then SGD's update (`benchmarks.mlp.op_bodies_runner`, `streetlight.op_bodies_runner`; "
                  "its weights equal "
                  "tinygrad_like's bit for bit). The last column, tinygrad_like minus op bodies, is what the Tensors, "
                  "graph, engine, modules and optimizer cost per step.\n", profiling.format_overhead(overheads) + "\n"]
    for name, by_phase, profile in profiles:
        parts += [f"### {name}\n", profiling.format_phases(name, by_phase), profiling.format_profile(profile, top=12) + "\n"]
    if micro_tables:
        parts += ["### Per-call overhead on the streetlight's shapes (timeit, best of 7)\n",
                  micro.format_tables(*micro_tables) + "\n"]
    return "\n".join(parts)


def write_results(path, text):
    notes = ""
    if path.exists():
        old = path.read_text()
        if NOTES_MARKER in old:
            notes = old[old.index(NOTES_MARKER) + len(NOTES_MARKER):]
    path.write_text(text.rstrip() + "\n\n" + NOTES_MARKER + (notes if notes else "\n"))


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.threads:
        harness.limit_threads(args.threads)
    if args.mnist:
        mlp.use_real_mnist()
    frameworks = harness.available_frameworks()
    facts = machine.facts()
    print(machine_lines(facts), flush=True)
    rows = []
    for name in [n for n in WORKLOADS if n in args.names]:
        rounds = args.rounds * WORKLOADS[name].rounds_factor
        print(f"{name}: guard and {steps_for(WORKLOADS[name], args)} steps x {rounds} rounds ...", flush=True)
        rows.append(run_workload(WORKLOADS[name], frameworks + harness.SPELLINGS, args))
        print(workload_table(rows[-1:]).splitlines()[-1], flush=True)
    memory_rows = []
    if "memory" in args.names:
        print(f"memory: {args.memory_steps} mnist-batch steps per framework, in subprocesses ...", flush=True)
        memory_rows = memory.summarize(memory.measure(frameworks, args.memory_steps, args.threads))
    ch8 = None
    if "chapter8" in args.names:
        print(f"chapter8: {args.ch8_iterations} iteration(s) ...", flush=True)
        ch8 = chapter8.measure(frameworks, epochs=args.ch8_iterations, iterations=args.ch8_iterations,
                               rounds=1 if args.quick else 3)
    profiles, micro_tables, overheads = [], None, None
    if "profile" in args.names:
        print("profile: phases, cProfile and per-call overhead ...", flush=True)
        for name in PROFILED:
            workload, steps = WORKLOADS[name], steps_for(WORKLOADS[name], args)
            with workload_threads(workload):
                by_phase = {f: profiling.phases(workload, f, steps) for f in frameworks if f != harness.BASELINE}
                profiles.append((name, by_phase, profiling.profile(workload, steps)))
        micro_tables = micro.measure()
        overheads = {name: profiling.overhead(WORKLOADS[name], steps_for(WORKLOADS[name], args), args.rounds)
                     for name in profiling.OVERHEAD_WORKLOADS}
    text = report(args, facts, rows, memory_rows, ch8, profiles, micro_tables, overheads, os.getloadavg())
    print()
    print(text)
    if args.write:
        write_results(args.output, text)
        print(f"\nwrote {args.output}")
    return 0  # a missed target is a finding, not a failure of the suite


if __name__ == "__main__":
    raise SystemExit(main())
