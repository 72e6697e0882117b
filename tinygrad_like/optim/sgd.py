"""Stochastic gradient descent with momentum, dampening, weight decay and Nesterov (PyTorch's rule)."""
import numpy as np

from tinygrad_like.optim.optimizer import Optimizer


class SGD(Optimizer):
    """g = grad + weight_decay * p;  with momentum: b = momentum * b + (1 - dampening) * g (b = g at
    the first step) and g = g + momentum * b (Nesterov) or g = b;  p = p - lr * g."""

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD: lr, momentum and weight_decay must be >= 0, got {lr}, {momentum}, {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _step_group(self, group):
        if group["momentum"] or group["weight_decay"]:
            super()._step_group(group)
            return
        # plain SGD keeps no state: one in-place update per parameter, the group's settings read once
        lr = group["lr"]
        for p in group["params"]:
            if p.grad is not None:
                p._data -= lr * p.grad._data

    def _update(self, parameter, grad, state, group):
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * parameter._data
        momentum = group["momentum"]
        if momentum:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = np.array(grad)  # owned by the optimizer, never the .grad array
            else:
                buffer *= momentum
                buffer += (1 - group["dampening"]) * grad
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        parameter._data -= group["lr"] * grad
