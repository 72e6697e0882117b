"""RMSprop with PyTorch's update rule (the optimizer of PyTorch's "learning by examples" tutorial)."""
import numpy as np

from tinygrad_like.optim.optimizer import Optimizer


class RMSprop(Optimizer):
    """g = grad + weight_decay * p;  s = alpha*s + (1-alpha)*g^2;
    centered: a = alpha*a + (1-alpha)*g and d = sqrt(s - a^2) + eps, else d = sqrt(s) + eps;
    with momentum: b = momentum*b + g/d and p = p - lr*b, else p = p - lr*g/d."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        if lr < 0 or alpha < 0 or eps < 0 or weight_decay < 0 or momentum < 0:
            raise ValueError(f"RMSprop: lr, alpha, eps, weight_decay and momentum must be >= 0, got lr={lr}, "
                             f"alpha={alpha}, eps={eps}, weight_decay={weight_decay}, momentum={momentum}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered))

    def _update(self, parameter, grad, state, group):
        alpha, momentum = group["alpha"], group["momentum"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * parameter._data
        if not state:
            # PyTorch's state names, so that optimizer state dicts carry over
            state["step"] = 0
            state["square_avg"] = np.zeros_like(parameter._data)
            if momentum:
                state["momentum_buffer"] = np.zeros_like(parameter._data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(parameter._data)
        state["step"] += 1
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg += (1 - alpha) * (grad - grad_avg)  # PyTorch's lerp, in its order of operations
            denominator = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            denominator = np.sqrt(square_avg)
        denominator += group["eps"]
        if momentum:
            buffer = state["momentum_buffer"]
            buffer *= momentum
            buffer += grad / denominator
            parameter._data -= group["lr"] * buffer
        else:
            parameter._data -= group["lr"] * (grad / denominator)
