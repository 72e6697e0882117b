"""Adam and AdamW with PyTorch's update rules (bias-corrected moments)."""
import math

import numpy as np

from tinygrad_like.optim.optimizer import Optimizer


class Adam(Optimizer):
    """m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;
    p = p - lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps), with g = grad + weight_decay * p (L2)."""

    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if lr < 0 or eps < 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"{type(self).__name__}: need lr, eps, weight_decay >= 0 and betas in [0, 1), got "
                             f"lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    def _update(self, parameter, grad, state, group):
        lr, (beta1, beta2), decay = group["lr"], group["betas"], group["weight_decay"]
        if decay:
            if self.decoupled_weight_decay:
                parameter._data *= 1 - lr * decay
            else:
                grad = grad + decay * parameter._data
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(parameter._data)
            state["exp_avg_sq"] = np.zeros_like(parameter._data)
        state["step"] += 1
        step, exp_avg, exp_avg_sq = state["step"], state["exp_avg"], state["exp_avg_sq"]
        exp_avg *= beta1
        exp_avg += (1 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        denominator = np.sqrt(exp_avg_sq) / math.sqrt(1 - beta2 ** step) + group["eps"]
        parameter._data -= (lr / (1 - beta1 ** step)) * exp_avg / denominator


class AdamW(Adam):
    """Adam with decoupled weight decay: p = p * (1 - lr * weight_decay) before the Adam step."""

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas, eps, weight_decay)
