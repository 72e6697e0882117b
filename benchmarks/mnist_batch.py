"""mnist-batch: the book's chapter 8 net (784-100-10, ReLU, no biases) with dropout 0.5, trained on
batches of 100 MNIST-shaped images, float32, mean squared error, SGD."""
import numpy as np

from benchmarks import mlp
from benchmarks.harness import Workload

SPEC = mlp.MLPSpec(sizes=(784, 100, 10), dropout=0.5, bias=False, dtype=np.float32, batch=100, lr=0.05)


def setup(seed, n_samples=None):
    return mlp.make_setup(SPEC, seed, n_samples)


WORKLOAD = Workload(
    name="mnist-batch",
    description="784-100-10 ReLU MLP, dropout 0.5, batch 100, float32, MSE, SGD",
    target=1.1,
    setup=setup,
    builders={"numpy": mlp.numpy_book_runner, "tinygrad_like": mlp.tinygrad_like_runner, "torch": mlp.torch_runner,
              **mlp.SPELLING_BUILDERS},
    steps=300,
    has_dropout=True,
    guard_samples=300,
    flops=mlp.training_flops,
    op_bodies=mlp.op_bodies_runner,
    goals={"tinygrad_like user-written": 1.02, "tinygrad_like captured": 1.02,
           "tinygrad_like user-written captured": 1.02},
)
