"""Adamax with PyTorch's update rule (Adam with the infinity norm in place of the second moment)."""
import numpy as np

from tinygrad_like.optim.optimizer import Optimizer


class Adamax(Optimizer):
    """g = grad + weight_decay * p;  m = b1*m + (1-b1)*g;  u = max(b2*u, |g| + eps);
    p = p - lr/(1-b1^t) * m / u."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if lr < 0 or eps < 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"Adamax: need lr, eps, weight_decay >= 0 and betas in [0, 1), got lr={lr}, "
                             f"betas={betas}, eps={eps}, weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    def _update(self, parameter, grad, state, group):
        beta1, beta2 = group["betas"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * parameter._data
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(parameter._data)
            state["exp_inf"] = np.zeros_like(parameter._data)  # the decaying maximum of |g|
        state["step"] += 1
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        exp_avg *= beta1
        exp_avg += (1 - beta1) * grad
        exp_inf *= beta2
        # eps inside the maximum keeps the denominator away from 0 where a gradient stays 0
        np.maximum(exp_inf, np.abs(grad) + group["eps"], out=exp_inf)
        parameter._data -= (group["lr"] / (1 - beta1 ** state["step"])) * (exp_avg / exp_inf)
