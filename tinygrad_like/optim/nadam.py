"""NAdam with PyTorch's update rule (Adam with Nesterov momentum and Dozat's momentum schedule)."""
import numpy as np

from tinygrad_like.optim.optimizer import Optimizer, adam_moments, decayed


class NAdam(Optimizer):
    """g = grad + weight_decay * p (or p = p * (1 - lr * weight_decay) with decoupled_weight_decay);
    mu_t = b1 * (1 - 0.96^(t * momentum_decay) / 2), P_t = mu_1 * ... * mu_t;
    m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;  d = sqrt(v / (1-b2^t)) + eps;
    p = p - lr * (1-mu_t)/(1-P_t) * g/d - lr * mu_{t+1}/(1-P_{t+1}) * m/d."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                 decoupled_weight_decay=False):
        if min(lr, eps, weight_decay, momentum_decay) < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"NAdam: need lr, eps, weight_decay, momentum_decay >= 0 and betas in [0, 1), got "
                             f"lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}, "
                             f"momentum_decay={momentum_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay))

    def _update(self, parameter, grad, state, group):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        grad = decayed(parameter, grad, lr, group["weight_decay"], group["decoupled_weight_decay"])
        step, exp_avg, exp_avg_sq = adam_moments(state, parameter)
        if step == 1:
            state["mu_product"] = 1.0  # the product of the momentum coefficients so far
        mu = beta1 * (1 - 0.5 * 0.96 ** (step * group["momentum_decay"]))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * group["momentum_decay"]))
        state["mu_product"] *= mu
        mu_product = state["mu_product"]
        exp_avg *= beta1
        exp_avg += (1 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        denominator = np.sqrt(exp_avg_sq / (1 - beta2 ** step)) + group["eps"]
        # the Nesterov look-ahead: the current gradient at this step's momentum, the average at the next's
        parameter._data -= (lr * (1 - mu) / (1 - mu_product)) * (grad / denominator)
        parameter._data -= (lr * mu_next / (1 - mu_product * mu_next)) * (exp_avg / denominator)
