"""Smoke test of the benchmark suite: every workload runs a few steps in every installed framework
and passes the correctness guard (no timing assertions)."""
import dataclasses
import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `benchmarks` is a top-level package beside tinygrad_like, not installed
    sys.path.insert(0, str(ROOT))

from benchmarks import chapter8, harness, instructions, memory, micro, profiling, run  # noqa: E402
from benchmarks.workloads import WORKLOADS  # noqa: E402

FRAMEWORKS = harness.available_frameworks()


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Worker threads of torch/BLAS spin badly when the machine's cores are busy; speed is not tested here."""
    with harness.threads_limited(1):
        yield


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_workload_passes_the_guard(name):
    workload = WORKLOADS[name]
    summary = harness.guard(workload, FRAMEWORKS, steps=2)
    assert summary


def test_interleaved_timing_runs_every_framework():
    workload = WORKLOADS["streetlight"]
    setup, runners = workload.runners(FRAMEWORKS)
    timings = harness.time_interleaved(runners, steps=3, rounds=2, warmup=1)
    for framework, timing in timings.items():
        assert len(timing.samples) == 6 and len(timing.round_medians) == 2
        assert math.isfinite(runners[framework].value(timing.last_result))


def _streetlight_with_a_wrong_update():
    workload = WORKLOADS["streetlight"]
    original = workload.builders["tinygrad_like"]

    def wrong_learning_rate(setup, deterministic):
        setup.lr *= 1.01
        return original(setup, deterministic)

    return harness.Workload(**{**workload.__dict__, "builders": {**workload.builders, "tinygrad_like": wrong_learning_rate}})


def test_the_guard_catches_a_wrong_update():
    with pytest.raises(harness.GuardError, match="differs from numpy"):
        harness.check_weights_match(_streetlight_with_a_wrong_update(), ("numpy", "tinygrad_like"), steps=3)


def test_a_failed_guard_is_reported_not_timed():
    args = run.parse_args(["--steps", "2", "--rounds", "1"])
    row = run.run_workload(_streetlight_with_a_wrong_update(), ("numpy", "tinygrad_like"), args)
    assert row["guard"].startswith("**FAILED**") and not row["frameworks"]
    assert "guard failed" in run.workload_table([row])


def _against_torch(workload_name="streetlight", **changes):
    """A copy of a workload timed against PyTorch, without a numpy step."""
    workload = WORKLOADS[workload_name]
    builders = {name: builder for name, builder in workload.builders.items() if name != "numpy"}
    return dataclasses.replace(workload, baseline="torch", builders={**builders, **changes.pop("builders", {})},
                               **changes)


@pytest.mark.skipif("torch" not in FRAMEWORKS, reason="the baseline, PyTorch, is not installed")
def test_a_workload_without_numpy_is_guarded_and_timed_against_its_baseline():
    workload = _against_torch()
    assert workload.reference(FRAMEWORKS) == "torch"
    assert harness.guard(workload, FRAMEWORKS, steps=2).startswith("weights match torch after 2 steps")
    row = run.run_workload(workload, FRAMEWORKS, run.parse_args(["--steps", "2", "--rounds", "1"]))
    assert set(row["frameworks"]) == {"tinygrad_like", "torch"} and row["frameworks"]["torch"]["ratio"] == 1.0
    ours = row["frameworks"]["tinygrad_like"]
    assert row["met"] == (ours["ratio"] <= workload.target)
    line = run.workload_table([row]).splitlines()[-1]
    assert line.startswith("| streetlight | — | ") and f"({ours['ratio']:.2f}x)" in line
    assert f"| <= {workload.target}x torch |" in line
    assert "(the baseline)" in run.details_table([row])


@pytest.mark.skipif("torch" not in FRAMEWORKS, reason="the baseline, PyTorch, is not installed")
def test_the_guard_catches_a_wrong_update_against_torch():
    original = WORKLOADS["streetlight"].builders["tinygrad_like"]

    def wrong(setup, deterministic):  # on a copy of the setup: torch's runner is built from it afterwards
        return original(dataclasses.replace(setup, lr=setup.lr * 1.01), deterministic)

    workload = _against_torch(builders={"tinygrad_like": wrong})
    with pytest.raises(harness.GuardError, match="differs from torch's"):
        harness.check_weights_match(workload, FRAMEWORKS, steps=3)


def test_a_workload_whose_baseline_is_missing_is_reported_not_run():
    workload = _against_torch()
    with pytest.raises(harness.GuardError, match="nothing to compare with"):
        harness.check_weights_match(workload, ("tinygrad_like",), steps=1)
    row = run.run_workload(workload, ("numpy", "tinygrad_like"), run.parse_args(["--steps", "2", "--rounds", "1"]))
    assert not row["frameworks"] and "torch, is not installed" in row["guard"]
    assert run.workload_table([row]).endswith("| **not run** |")


def test_a_workload_without_a_target_is_reported_without_a_verdict():
    workload = dataclasses.replace(WORKLOADS["streetlight"], target=None)
    row = run.run_workload(workload, ("numpy", "tinygrad_like"), run.parse_args(["--steps", "2", "--rounds", "1"]))
    assert row["met"] is None and row["frameworks"]["tinygrad_like"]["ratio"] > 0
    assert run.workload_table([row]).endswith("| none (reported) | — |")


def test_a_goal_against_another_framework_than_the_baseline_decides_the_verdict():
    """versus={"numpy": goal}: tinygrad_like's step over numpy's, here with goals it meets and misses whatever
    the timings (numpy stands in for PyTorch, which char-lstm names)."""
    args = run.parse_args(["--steps", "2", "--rounds", "1"])
    for goal, met in ((1e9, True), (1e-9, False)):
        workload = dataclasses.replace(WORKLOADS["streetlight"], target=1e9, versus={"numpy": goal})
        row = run.run_workload(workload, ("numpy", "tinygrad_like"), args)
        goal_ratio = row["versus"]["numpy"]
        assert goal_ratio == (goal, pytest.approx(row["frameworks"]["tinygrad_like"]["ratio"])) and row["met"] is met
        line = run.workload_table([row]).splitlines()[-1]
        assert f"; <= {goal}x numpy (here {goal_ratio[1]:.2f}x) |" in line
        assert line.endswith("| yes |" if met else "| **no** (numpy) |")
    missed = run.run_workload(dataclasses.replace(WORKLOADS["streetlight"], target=1e-9), ("numpy", "tinygrad_like"), args)
    assert run.workload_table([missed]).endswith("| **no** (tinygrad_like) |")  # the target itself, named


def test_a_workload_is_timed_with_its_own_thread_count():
    pytest.importorskip("threadpoolctl", reason="the BLAS thread count is read through threadpoolctl (the bench extra)")
    workload, seen = WORKLOADS["streetlight"], []
    original = workload.builders["tinygrad_like"]

    def counting(setup, deterministic):
        runner = original(setup, deterministic)
        return dataclasses.replace(runner, step=lambda: (seen.append(harness.blas_threads()), runner.step())[1])

    workload = dataclasses.replace(workload, threads=2, builders={**workload.builders, "tinygrad_like": counting})
    run.run_workload(workload, ("numpy", "tinygrad_like"), run.parse_args(["--steps", "2", "--rounds", "1"]))
    assert seen[0] == 1 and seen[-1] == 2  # the guard runs as the module set it (one thread), the timing on two
    assert harness.blas_threads() == 1  # and the setting is restored


def test_run_prints_the_table_without_writing(tmp_path, capsys):
    output = tmp_path / "RESULTS.md"
    assert run.main(["--only", "streetlight", "--steps", "3", "--rounds", "2", "--output", str(output)]) == 0
    printed = capsys.readouterr().out
    assert "| streetlight |" in printed and "numpy µs" in printed
    assert not output.exists()  # --only: no RESULTS.md unless --write


def test_results_file_keeps_hand_written_notes(tmp_path):
    output = tmp_path / "RESULTS.md"
    output.write_text("old table\n\n" + run.NOTES_MARKER + "\nmy notes\n")
    run.write_results(output, "# new table")
    text = output.read_text()
    assert text.startswith("# new table") and text.endswith(run.NOTES_MARKER + "\nmy notes\n")


def test_memory_child_runs_and_summarizes():
    rows = memory.summarize(memory.measure(["numpy"], steps=3))
    assert rows[0]["framework"] == "numpy" and rows[0]["baseline_mib"] > 0
    assert math.isfinite(rows[0]["growth_mib"])


def test_chapter8_loops_agree():
    result = chapter8.measure_loop(FRAMEWORKS, epochs=1, rounds=1, n_images=5)
    assert all(row["weights_match"] for row in result["rows"]), result["rows"]
    assert "per-image 784-40-10" in run.chapter8_section(result)


@pytest.mark.mnist
def test_chapter8_reproduction_matches_the_notebook_code(mnist_dir):
    found = chapter8.reproduction(mnist_dir)
    assert found is not None, f"tinygrad_like.book.ch8_mnist or the MNIST files in {mnist_dir} did not load"
    result = chapter8.measure_reproduction(*found, iterations=1, rounds=1)
    assert all(row["rows_match"] for row in result["rows"]), result["rows"]
    assert "0.6488" in run.chapter8_section(result)  # the book's I:0 Test-Acc


def test_benchmarks_look_for_mnist_where_the_library_does(tmp_path, monkeypatch):
    from benchmarks import mlp
    from test_data import write_idx, write_mnist
    from tinygrad_like.data import mnist as mnist_module
    monkeypatch.setattr(mlp, "_DATA", {"source": "random", "directory": None})  # restored afterwards
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TINYGRAD_LIKE_MNIST", str(tmp_path / "mnist"))
    monkeypatch.setattr(mnist_module, "_CHECKOUT", tmp_path / "not-a-checkout")
    with pytest.raises(FileNotFoundError, match="MNIST not found. Searched, in order"):
        mlp.use_real_mnist()  # --mnist without MNIST must not time random data under MNIST's name
    assert mlp.data_source() == "random"
    assert chapter8.load_data(5)[2] == "random MNIST-shaped data (MNIST not found)"
    write_mnist(tmp_path / "mnist", train=5)
    mlp.use_real_mnist()
    assert mlp.data_source() == "mnist" and mlp._DATA["directory"] == tmp_path / "mnist"
    assert chapter8.load_data(5)[2] == "real MNIST (first 5 training images)"
    write_idx(tmp_path / "mnist" / "train-labels-idx1-ubyte", b"\0\0\x08\x01\0\0\0\x05\x01")
    assert "MNIST unreadable: " in chapter8.load_data(5)[2] and "truncated IDX file" in chapter8.load_data(5)[2]


def test_profile_lists_tinygrad_like_functions():
    result = profiling.profile(WORKLOADS["streetlight"], steps=5)
    assert any(row["ours"] for row in result["rows"])
    assert "tinygrad_like functions by self time" in profiling.format_profile(result)


def test_phases_and_micro_cases_run():
    phases = profiling.phases(WORKLOADS["streetlight"], "tinygrad_like", steps=5)
    assert set(phases) == set(profiling.PHASES) | {"total"}
    assert "| forward |" in profiling.format_phases("streetlight", {"tinygrad_like": phases})
    for name, ours, theirs in micro.cases():
        ours()
        if theirs is not None:
            theirs()
    for name, function in micro.numpy_facts():
        function()


@pytest.mark.parametrize("name", ["streetlight", "mnist-sample", "mnist-batch", "deep-narrow", "wide"])
def test_op_bodies_runner_does_exactly_tinygrad_likes_array_work(name):
    workload = WORKLOADS[name]
    setup, runners = workload.runners(["tinygrad_like"], 0, workload.guard_samples, deterministic=True)
    bodies = workload.op_bodies(setup, deterministic=True)
    for _ in range(3):
        ours, alone = runners["tinygrad_like"].step(), bodies.step()
        assert float(ours.item()) == float(alone)
    for a, b in zip(runners["tinygrad_like"].weights(), bodies.weights()):
        np.testing.assert_array_equal(a, b)


def test_overhead_table_compares_numpy_op_bodies_and_tinygrad_like():
    us = profiling.overhead(WORKLOADS["mnist-sample"], steps=3, rounds=1)
    assert set(us) == {"numpy", "op bodies", "tinygrad_like"} and all(v > 0 for v in us.values())
    table = profiling.format_overhead({"mnist-sample": us})
    assert table.splitlines()[2].startswith("| mnist-sample | ")
    assert f"{us['tinygrad_like'] - us['op bodies']:.1f} |" in table


def test_instruction_count_children_run_every_framework_they_are_asked_for():
    assert instructions.frameworks_for("babi-rnn", ["numpy", instructions.OP_BODIES, "tinygrad_like"]) == \
        ["numpy", "tinygrad_like"]  # op bodies exist where a workload defines them
    assert instructions.frameworks_for("mnist-sample", ["numpy", instructions.OP_BODIES]) == \
        ["numpy", instructions.OP_BODIES]
    for framework in ("numpy", instructions.OP_BODIES, "tinygrad_like"):
        instructions.child("mnist-sample", framework, warmup=1, steps=2)


def test_instruction_count_table_gives_thousands_and_ratios_to_numpy():
    counts = {"streetlight": {"numpy": {"instructions": 100_000}, "tinygrad_like": {"instructions": 250_000}},
              "mnist-sample": {"numpy": {"instructions": 1_000_000}, instructions.OP_BODIES: {"instructions": 1_050_000},
                               "tinygrad_like": {"instructions": 1_120_000}}}
    table = instructions.format_table(counts, ["numpy", instructions.OP_BODIES, "tinygrad_like"]).splitlines()
    assert table[0] == "instructions per step, thousands (ratio to numpy):"
    assert table[2] == "| workload | numpy | op bodies | tinygrad_like |"
    assert "| streetlight | 100.0 (1.00x) | — | 250.0 (2.50x) |" in table
    assert "| mnist-sample | 1000.0 (1.00x) | 1050.0 (1.05x) | 1120.0 (1.12x) |" in table


@pytest.mark.slow  # about 45 s under valgrind
@pytest.mark.skipif(not instructions.available(), reason="counting instructions needs valgrind, not installed")
def test_instruction_counts_under_valgrind_are_positive_and_repeatable():
    first = instructions.per_step("streetlight", "tinygrad_like", steps=20, warmup=5)["instructions"]
    assert first > 10_000  # a training step through the framework runs thousands of Python bytecodes
    again = instructions.per_step("streetlight", "tinygrad_like", steps=20, warmup=5)["instructions"]
    assert abs(again - first) < 0.01 * first


@pytest.mark.slow  # about 11 s under valgrind
@pytest.mark.skipif(not instructions.available(), reason="simulating caches needs valgrind, not installed")
def test_cache_simulation_counts_instructions_and_first_level_misses():
    totals = instructions._count("streetlight", "numpy", warmup=2, steps=3, tool="cachegrind")
    assert set(totals) == {"instructions", "L1 instruction misses", "L1 data misses"}
    assert totals["instructions"] > totals["L1 data misses"] > 0
