"""Extending tinygrad_like with your own layer and your own op.

There are two ways, as in PyTorch:

(a) A Module built from existing tensor operations. You only write forward(); autograd
    differentiates it for you. This is what you want almost always.
(b) A Function: a new primitive with a hand-written forward and backward on numpy arrays. Worth it
    when the composed version would be slow or numerically unstable.

Here (a) is a gated linear layer, y = (x W1^T + b1) * sigmoid(x W2^T + b2), and (b) is softplus,
log(1 + e^x), written so that it never overflows. A tiny model made of them learns y = x1 * x2, a
product that a plain linear layer cannot express but a gate can.

Run it with `python examples/custom_layer.py` once the package is installed (`pip install -e .`,
or prefix PYTHONPATH=. in the repository). It takes about a second; the mean squared error falls
from about 2.5 to below 0.005. tests/test_custom_layer_example.py shows how to test such code with
gradcheck.
"""
import math

import numpy as np

import tinygrad_like as tl
from tinygrad_like import Function, nn, optim
from tinygrad_like.nn import functional as F


# ---- (a) a Module -----------------------------------------------------------------------------------
def gated_linear(x, weight, bias):
    """(x W1^T + b1) * sigmoid(x W2^T + b2), with W1 over W2 stacked in `weight` (2 * out, in) and
    b1, b2 in `bias` (2 * out,): one matrix product instead of two.

    Keeping the math in a plain function of tensors (like nn.functional) makes it easy to
    gradcheck with respect to every argument, the weights included.
    """
    h = F.linear(x, weight, bias)
    out_features = weight.shape[0] // 2
    value, gate = h[..., :out_features], h[..., out_features:]
    return value * gate.sigmoid()


class GatedLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()  # first: it sets up the registries that the assignments below fill
        self.in_features, self.out_features = in_features, out_features
        # Assigning a Parameter registers it: model.parameters(), state_dict(), .double() see it.
        self.weight = nn.Parameter(np.empty((2 * out_features, in_features), dtype=np.float32))
        self.bias = nn.Parameter(np.empty(2 * out_features, dtype=np.float32))
        bound = 1 / math.sqrt(in_features)  # nn.Linear's initialisation
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return gated_linear(x, self.weight, self.bias)

    def extra_repr(self):  # shown by print(model)
        return f"in_features={self.in_features}, out_features={self.out_features}"


# ---- (b) a Function ---------------------------------------------------------------------------------
class Softplus(Function):
    """softplus(x) = log(1 + e^x), whose derivative is sigmoid(x).

    The naive formula overflows for x > 88 in float32. The identity
    log(1 + e^x) = max(x, 0) + log(1 + e^-|x|) only ever exponentiates a non-positive number.
    """

    @staticmethod
    def forward(ctx, x):  # numpy arrays in, a numpy array out
        ctx.save_for_backward(x)  # what backward needs; saved arrays must not be modified later
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx, grad):  # d(loss)/d(output) in, one d(loss)/d(input) per forward input out
        (x,) = ctx.saved_tensors
        e = np.exp(-np.abs(x))  # sigmoid(x), again without overflow:
        sigmoid = np.where(x >= 0, 1, e) / (1 + e)  # 1/(1 + e^-x) for x >= 0, e^x/(1 + e^x) below
        return grad * sigmoid


def softplus(x):
    """The op as a function of Tensors: Function.apply runs forward and records the node for backward."""
    return Softplus.apply(x)


class SoftplusLayer(nn.Module):
    """A parameter-free Module around the op, so that it fits in nn.Sequential."""

    def forward(self, x):
        return softplus(x)


# ---- training them ----------------------------------------------------------------------------------
def main(steps=400, seed=0, verbose=True):
    """Fit y = x1 * x2 on 128 random points; returns the loss after every step."""
    tl.manual_seed(seed)  # reproducible initialisation
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (128, 2)).astype(np.float32)
    y = x[:, :1] * x[:, 1:]  # shape (128, 1), like the model's output: losses refuse to broadcast
    x, y = tl.Tensor(x), tl.Tensor(y)

    model = nn.Sequential(GatedLinear(2, 16), SoftplusLayer(), nn.Linear(16, 1))
    optimizer = optim.Adam(model.parameters(), lr=0.02)
    loss_fn = nn.MSELoss()
    if verbose:
        print(model)

    losses = []
    for step in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if verbose and (step % 100 == 0 or step == steps - 1):
            print(f"step {step:4d}  mse {loss.item():.5f}")
    return losses


if __name__ == "__main__":
    main()
