"""Resident memory of a long mnist-batch training run, one fresh subprocess per framework.

In the child (`python -m benchmarks.memory FRAMEWORK --steps 1000`): build the runner (imports,
weights and data are the baseline), reset the peak-RSS counter (`echo 5 > /proc/self/clear_refs`),
train, and print JSON with VmRSS before training, after step 100 and after the last step, and VmHWM
(the peak) over the training. Growth = peak - baseline; graphs that are not freed show up as RSS
rising between step 100 and the last step.
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINT = 100
LEAK_TOLERANCE_KB = 1024  # RSS may wobble by allocator noise; a leaked graph per step grows far more


def _status_kb(*fields):
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in fields:
                values[name] = int(rest.split()[0])
    return values


def _reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def child(framework, steps, seed=0):
    from benchmarks import harness, mnist_batch

    if framework == "torch":
        harness.torch_or_none()
    runner = mnist_batch.WORKLOAD.builders[framework](mnist_batch.setup(seed), False)
    baseline = _status_kb("VmRSS")["VmRSS"]
    peak_was_reset = _reset_peak()
    rss_at = {}
    for step in range(1, steps + 1):
        runner.value(runner.step())  # the loss as a float, as a training loop that logs it would
        if step in (CHECKPOINT, steps):
            rss_at[step] = _status_kb("VmRSS")["VmRSS"]
    status = _status_kb("VmHWM", "VmRSS")
    return {"framework": framework, "steps": steps, "baseline_kb": baseline, "peak_kb": status["VmHWM"],
            "peak_is_training_only": peak_was_reset, "rss_checkpoint_kb": rss_at.get(CHECKPOINT, baseline),
            "rss_end_kb": rss_at[steps], "checkpoint": min(CHECKPOINT, steps)}


def measure(frameworks, steps=1000, threads=None):
    """Run one child per framework; returns a list of the children's JSON results."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    results = []
    for framework in frameworks:
        command = [sys.executable, "-m", "benchmarks.memory", framework, "--steps", str(steps)]
        if threads:
            command += ["--threads", str(threads)]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"memory benchmark of {framework} failed:\n{done.stderr}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return results


def summarize(results):
    """Rows of (framework, baseline MiB, growth MiB, ratio to numpy, RSS drift MiB, no-growth ok)."""
    growth = {r["framework"]: r["peak_kb"] - r["baseline_kb"] for r in results}
    rows = []
    for r in results:
        drift = r["rss_end_kb"] - r["rss_checkpoint_kb"]
        ratio = growth[r["framework"]] / growth["numpy"] if growth.get("numpy") else float("nan")
        rows.append(dict(framework=r["framework"], baseline_mib=r["baseline_kb"] / 1024,
                         peak_mib=r["peak_kb"] / 1024, growth_mib=growth[r["framework"]] / 1024, ratio=ratio,
                         drift_mib=drift / 1024, no_growth=drift <= LEAK_TOLERANCE_KB,
                         checkpoint=r["checkpoint"], steps=r["steps"]))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("framework")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        from benchmarks.harness import limit_threads
        limit_threads(args.threads)
    print(json.dumps(child(args.framework, args.steps)))


if __name__ == "__main__":
    main()
