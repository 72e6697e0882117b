"""Adagrad with PyTorch's update rule (per-coordinate steps shrinking with the summed squared gradients)."""
import numpy as np

from tinygrad_like.optim.optimizer import Optimizer


class Adagrad(Optimizer):
    """g = grad + weight_decay * p;  sum = sum + g^2;  p = p - lr / (1 + (t-1) * lr_decay) * g / (sqrt(sum) + eps),
    with sum starting at initial_accumulator_value."""

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        if min(lr, lr_decay, weight_decay, initial_accumulator_value, eps) < 0:
            raise ValueError(f"Adagrad: lr, lr_decay, weight_decay, initial_accumulator_value and eps must be >= 0, "
                             f"got lr={lr}, lr_decay={lr_decay}, weight_decay={weight_decay}, "
                             f"initial_accumulator_value={initial_accumulator_value}, eps={eps}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value))

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        # PyTorch makes the state when a parameter joins, not at its first step, so a state dict taken
        # before any step already lists every parameter
        group = self.param_groups[-1]
        for p in group["params"]:
            self.state[p] = {"step": 0, "sum": np.full_like(p._data, group["initial_accumulator_value"])}

    def _update(self, parameter, grad, state, group):
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * parameter._data
        state["step"] += 1
        step_size = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += grad * grad
        parameter._data -= step_size * (grad / (np.sqrt(state["sum"]) + group["eps"]))
