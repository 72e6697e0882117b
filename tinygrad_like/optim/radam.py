"""RAdam with PyTorch's update rule (Adam whose adaptive step is switched on as its variance becomes tractable)."""
import math

import numpy as np

from tinygrad_like.optim.optimizer import Optimizer, adam_moments, decayed


class RAdam(Optimizer):
    """g = grad + weight_decay * p (or p = p * (1 - lr * weight_decay) with decoupled_weight_decay);
    m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;  m_hat = m / (1-b1^t);
    rho_inf = 2/(1-b2) - 1;  rho_t = rho_inf - 2 t b2^t / (1-b2^t);
    if rho_t > 5: r = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t)) and
    p = p - lr * m_hat * r * sqrt(1-b2^t) / (sqrt(v) + eps);  else p = p - lr * m_hat (momentum SGD)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False):
        if min(lr, eps, weight_decay) < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"RAdam: need lr, eps, weight_decay >= 0 and betas in [0, 1), got lr={lr}, "
                             f"betas={betas}, eps={eps}, weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _update(self, parameter, grad, state, group):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        grad = decayed(parameter, grad, lr, group["weight_decay"], group["decoupled_weight_decay"])
        step, exp_avg, exp_avg_sq = adam_moments(state, parameter)
        exp_avg *= beta1
        exp_avg += (1 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        bias_correction2 = 1 - beta2 ** step
        corrected_exp_avg = exp_avg / (1 - beta1 ** step)
        # rho: the length of the simple moving average that the exponential one approximates
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
        if rho_t > 5:
            rectification = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = math.sqrt(bias_correction2) / (np.sqrt(exp_avg_sq) + group["eps"])
            parameter._data -= corrected_exp_avg * lr * adaptive * rectification
        else:  # too few steps for a trustworthy second moment
            parameter._data -= corrected_exp_avg * lr
