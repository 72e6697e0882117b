"""deep-narrow: 50 x (Linear(32, 32) + tanh), batch 16, float32: per-op overhead dominates."""
import numpy as np

from benchmarks import mlp
from benchmarks.harness import Workload

SPEC = mlp.MLPSpec(sizes=(32,) * 51, activation="tanh", final_activation=True, bias=True, dtype=np.float32,
                   batch=16, lr=0.05, n_samples=256, targets="uniform")


def setup(seed, n_samples=None):
    return mlp.make_setup(SPEC, seed, n_samples)


WORKLOAD = Workload(
    name="deep-narrow",
    description="50 x (Linear(32,32) + tanh), batch 16, float32, MSE, SGD",
    target=3.0,
    setup=setup,
    builders={"numpy": mlp.numpy_runner, "tinygrad_like": mlp.tinygrad_like_runner, "torch": mlp.torch_runner,
              **mlp.SPELLING_BUILDERS},
    steps=200,
    guard_samples=64,
    guard_epochs=6,
    flops=mlp.training_flops,
    op_bodies=mlp.op_bodies_runner,
    goals={"tinygrad_like user-written": 1.5, "tinygrad_like captured": 1.1,
           "tinygrad_like user-written captured": 1.1},
)
