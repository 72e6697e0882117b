"""Benchmarks of tinygrad_like against hand-written numpy (the book's delta code) and PyTorch.

Every workload is one training step (forward, loss, backward, optimizer update) written three ways
from the same initial weights and data; the frameworks are timed interleaved in one process and
reported as ratios to the numpy step. tinygrad_like's step is also timed as users often write it and
captured by tinygrad_like.jit (`harness.SPELLINGS`), beside the standard one. Run
`python -m benchmarks --help`.

Modules: `harness` (timing, interleaving, correctness guard, shared helpers), one module per
workload (`streetlight`, `mnist_batch`, `mnist_sample`, `deep_narrow`, `wide`, `inference`, built
on `mlp`), `memory` (RSS of a 1000-step run, one subprocess per framework), `instructions`
(instructions per step under valgrind, a measure that does not move with the machine's load;
`python -m benchmarks.instructions`), `chapter8` (wall time of the book's chapter 8 loop),
`machine` (facts for the report) and `run` (the command line).
"""
