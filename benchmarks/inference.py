"""inference: the mnist-batch net's forward pass on 1000 images under no_grad (eval mode)."""
import numpy as np

from benchmarks import harness, mlp
from benchmarks.harness import Runner, Workload

SPEC = mlp.MLPSpec(sizes=(784, 100, 10), dropout=0.5, bias=False, dtype=np.float32, batch=1000, n_samples=1000)


def setup(seed, n_samples=None):
    return mlp.make_setup(SPEC, seed, n_samples)


def flops(setup):
    return 2.0 * setup.batch * sum(fan_in * fan_out for fan_in, fan_out in setup.spec.layers)


def numpy_runner(setup, deterministic):
    weights_0_1, weights_1_2 = (np.ascontiguousarray(w.T) for w, _ in setup.params)
    images, batch_size, starts = setup.x, setup.batch, setup.batch_starts()

    def step():
        start = next(starts)
        layer_0 = images[start:start + batch_size]
        return mlp.relu(layer_0.dot(weights_0_1)).dot(weights_1_2)

    return Runner(step, harness.numpy_value, lambda: [w.T.copy() for w in (weights_0_1, weights_1_2)])


def _loaded(setup, deterministic):
    """The model with the setup's weights loaded into nn.Linear's own storage, in eval mode."""
    from tinygrad_like import nn

    model = mlp.sequential(nn, setup.spec, deterministic)
    harness.load_tinygrad_like(model, setup.params)
    return model.eval()


def tinygrad_like_runner(setup, deterministic):
    return harness.no_grad_runner("tinygrad_like", setup, _loaded(setup, deterministic))


def _user_written(setup, deterministic):
    """The model with its weights assigned with `layer.weight.data = array` in PyTorch's row-major layout
    (nn.Linear's own storage is column-major), in eval mode."""
    from tinygrad_like import nn

    model = mlp.sequential(nn, setup.spec, deterministic)
    for layer, (weight, _) in zip(harness.linear_layers(model, nn.Linear), setup.params):
        layer.weight.data = weight.copy()
    return model.eval()


def tinygrad_like_user_runner(setup, deterministic):
    """The same forward pass on the user-written model (see _user_written)."""
    return harness.no_grad_runner("tinygrad_like", setup, _user_written(setup, deterministic))


def tinygrad_like_user_captured_runner(setup, deterministic):
    """The user-written model's forward pass under tinygrad_like.jit; numpy slices in."""
    import tinygrad_like as tl

    model = _user_written(setup, deterministic)
    return harness.no_grad_runner("tinygrad_like", setup, model, forward=tl.jit(model.__call__), tensors=False)


def tinygrad_like_captured_runner(setup, deterministic):
    """The forward pass under tinygrad_like.jit (recorded under no_grad, then replayed); numpy slices in."""
    import tinygrad_like as tl

    model = _loaded(setup, deterministic)
    return harness.no_grad_runner("tinygrad_like", setup, model, forward=tl.jit(model.__call__), tensors=False)


def torch_runner(setup, deterministic):
    torch = harness.torch_or_none()
    model = mlp.sequential(torch.nn, setup.spec, deterministic)
    harness.load_torch(model, setup.params)
    return harness.no_grad_runner("torch", setup, model.eval())


WORKLOAD = Workload(
    name="inference",
    description="the mnist-batch net, forward only under no_grad, batch 1000, float32",
    target=1.05,
    setup=setup,
    builders={"numpy": numpy_runner, "tinygrad_like": tinygrad_like_runner, "torch": torch_runner,
              "tinygrad_like user-written": tinygrad_like_user_runner,
              "tinygrad_like captured": tinygrad_like_captured_runner,
              "tinygrad_like user-written captured": tinygrad_like_user_captured_runner},
    steps=40,
    rounds_factor=3,
    kind="inference",
    guard_samples=1000,
    flops=flops,
    goals={"tinygrad_like user-written": 1.02, "tinygrad_like captured": 1.02,
           "tinygrad_like user-written captured": 1.02},
)
