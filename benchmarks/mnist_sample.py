"""mnist-sample: the mnist-batch net trained one image at a time (the book's per-image loop)."""
import numpy as np

from benchmarks import mlp
from benchmarks.harness import Workload

SPEC = mlp.MLPSpec(sizes=(784, 100, 10), dropout=0.5, bias=False, dtype=np.float32, batch=1, lr=0.005)


def setup(seed, n_samples=None):
    return mlp.make_setup(SPEC, seed, n_samples)


WORKLOAD = Workload(
    name="mnist-sample",
    description="784-100-10 ReLU MLP, dropout 0.5, batch 1, float32, MSE, SGD",
    target=1.5,
    setup=setup,
    builders={"numpy": mlp.numpy_book_runner, "tinygrad_like": mlp.tinygrad_like_runner, "torch": mlp.torch_runner,
              **mlp.SPELLING_BUILDERS},
    steps=2000,
    has_dropout=True,
    guard_samples=20,
    flops=mlp.training_flops,
    op_bodies=mlp.op_bodies_runner,
    goals={"tinygrad_like user-written": 1.15, "tinygrad_like captured": 1.0,
           "tinygrad_like user-written captured": 1.0},
)
