"""Adam and AdamW with PyTorch's update rules (bias-corrected moments, optional AMSGrad)."""
import math

import numpy as np

from tinygrad_like.optim.optimizer import Optimizer, adam_moments, decayed


class Adam(Optimizer):
    """m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;
    p = p - lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps), with g = grad + weight_decay * p (L2).
    amsgrad: v_max = max(v_max, v) takes v's place in the denominator, so the step size never grows."""

    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        if lr < 0 or eps < 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"{type(self).__name__}: need lr, eps, weight_decay >= 0 and betas in [0, 1), got "
                             f"lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad))

    def _update(self, parameter, grad, state, group):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        grad = decayed(parameter, grad, lr, group["weight_decay"], self.decoupled_weight_decay)
        step, exp_avg, exp_avg_sq = adam_moments(state, parameter)
        if group["amsgrad"] and step == 1:
            state["max_exp_avg_sq"] = np.zeros_like(parameter._data)
        exp_avg *= beta1
        exp_avg += (1 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        if group["amsgrad"]:  # the largest second moment so far stands in for the current one
            exp_avg_sq = np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
        denominator = np.sqrt(exp_avg_sq) / math.sqrt(1 - beta2 ** step) + group["eps"]
        parameter._data -= (lr / (1 - beta1 ** step)) * exp_avg / denominator


class AdamW(Adam):
    """Adam with decoupled weight decay: p = p * (1 - lr * weight_decay) before the Adam step."""

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
