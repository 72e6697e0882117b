"""wide: 784-1024-1024-10 ReLU MLP, batch 256, float32: the matrix products dominate (GFLOP/s)."""
import numpy as np

from benchmarks import mlp
from benchmarks.harness import Workload

SPEC = mlp.MLPSpec(sizes=(784, 1024, 1024, 10), bias=True, dtype=np.float32, batch=256, lr=0.05, n_samples=1024)


def setup(seed, n_samples=None):
    return mlp.make_setup(SPEC, seed, n_samples)


WORKLOAD = Workload(
    name="wide",
    description="784-1024-1024-10 ReLU MLP, batch 256, float32, MSE, SGD",
    target=1.05,
    setup=setup,
    builders={"numpy": mlp.numpy_runner, "tinygrad_like": mlp.tinygrad_like_runner, "torch": mlp.torch_runner,
              **mlp.SPELLING_BUILDERS},
    steps=4,
    rounds_factor=4,
    guard_samples=256,  # one batch: each guard epoch revisits it
    guard_epochs=3,
    flops=mlp.training_flops,
    op_bodies=mlp.op_bodies_runner,
    goals={"tinygrad_like user-written": 1.02, "tinygrad_like captured": 1.02,
           "tinygrad_like user-written captured": 1.02},
)
