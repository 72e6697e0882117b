"""Adadelta with PyTorch's update rule (steps scaled by the ratio of running RMS of updates and gradients)."""
import numpy as np

from tinygrad_like.optim.optimizer import Optimizer


class Adadelta(Optimizer):
    """g = grad + weight_decay * p;  v = rho*v + (1-rho)*g^2;  delta = sqrt(u + eps) / sqrt(v + eps) * g;
    u = rho*u + (1-rho)*delta^2;  p = p - lr * delta."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
        if lr < 0 or not 0 <= rho <= 1 or eps < 0 or weight_decay < 0:
            raise ValueError(f"Adadelta: need lr, eps, weight_decay >= 0 and rho in [0, 1], got lr={lr}, rho={rho}, "
                             f"eps={eps}, weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def _update(self, parameter, grad, state, group):
        rho, eps = group["rho"], group["eps"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * parameter._data
        if not state:
            # PyTorch's state names: square_avg averages g^2, acc_delta averages the updates' squares
            state["step"] = 0
            state["square_avg"] = np.zeros_like(parameter._data)
            state["acc_delta"] = np.zeros_like(parameter._data)
        state["step"] += 1
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        parameter._data -= group["lr"] * delta
