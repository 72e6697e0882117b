"""Optimizer: parameter groups, per-parameter state, zero_grad and state_dict (PyTorch's structure)."""
import copy

import numpy as np

from tinygrad_like import engine
from tinygrad_like.engine import mark_modified
from tinygrad_like.grad_mode import enable_grad
from tinygrad_like.tensor import Tensor


class Optimizer:
    """Base class. Subclasses implement `_update(parameter, grad, state, group)`, the update of one
    parameter given its gradient array; `step()` calls it for every parameter that has a gradient
    (through `_step_group(group)`, which a subclass may replace for a whole group at once)."""

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.param_groups = []
        self.state = {}  # parameter -> dict of its buffers (keyed by identity)
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__} expects an iterable of Tensors or of parameter-group dicts, got "
                            "a single Tensor; wrap it in a list: [tensor]")
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list; pass model.parameters()")
        for group in params if isinstance(params[0], dict) else [{"params": params}]:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        known = {id(p) for g in self.param_groups for p in g["params"]}
        for p in group["params"]:
            if not isinstance(p, Tensor) or not p.is_leaf:
                raise TypeError(f"{type(self).__name__} can only optimize leaf Tensors (e.g. model.parameters()), "
                                f"got {'a non-leaf Tensor' if isinstance(p, Tensor) else type(p).__name__}")
            if id(p) in known:
                raise ValueError("a parameter appears in more than one parameter group")
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad._data = np.zeros_like(p.grad._data)

    def step(self, closure=None):
        """Update every parameter that has a gradient; parameters without one are left alone.

        `closure`, if given, is called first (with graph recording on, as PyTorch does) to recompute
        the loss and gradients, and its loss is returned. The updates are in place, so a graph that
        saved a parameter before the step cannot be differentiated after it (backward raises, as in
        PyTorch)."""
        if engine.recorder is not None:  # a step being captured: the recorder notes this update, then runs it
            return engine.recorder.optimizer_step(self, closure)
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._step_group(group)
        mark_modified(*[p._data for group in self.param_groups for p in group["params"] if p.grad is not None])
        return loss

    def _step_group(self, group):
        for p in group["params"]:
            if p.grad is not None:
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {}
                self._update(p, p.grad._data, state, group)

    def _update(self, parameter, grad, state, group):
        raise NotImplementedError

    # ---- state ----------------------------------------------------------------------------------
    def state_dict(self):
        """{'state': {parameter index: buffers}, 'param_groups': [hyper-parameters and 'params' indices]}."""
        index = {}
        groups = []
        for group in self.param_groups:
            saved = {k: v for k, v in group.items() if k != "params"}
            saved["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(saved)
        # deep copies: a snapshot, even of buffers kept in lists (LBFGS's history)
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items() if s and id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"load_state_dict(): the checkpoint has {len(groups)} parameter group(s), this "
                             f"optimizer has {len(self.param_groups)}")
        parameters = {}
        for saved, group in zip(groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"load_state_dict(): a group has {len(saved['params'])} parameter(s) in the "
                                 f"checkpoint but {len(group['params'])} here")
            parameters.update(zip(saved["params"], group["params"]))
            group.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})
        self.state = {}
        for key, buffers in state_dict["state"].items():
            parameter = parameters[int(key)]
            self.state[parameter] = {
                k: (np.array(v, dtype=parameter.dtype) if isinstance(v, np.ndarray) and v.dtype.kind == "f"
                    else copy.deepcopy(v)) for k, v in buffers.items()}


def decayed(parameter, grad, lr, weight_decay, decoupled):
    """The gradient with L2 weight decay added, or, decoupled (AdamW's), the parameter shrunk in place."""
    if weight_decay:
        if decoupled:
            parameter._data *= 1 - lr * weight_decay
        else:
            grad = grad + weight_decay * parameter._data
    return grad


def adam_moments(state, parameter):
    """The step count and the moment buffers exp_avg and exp_avg_sq of the Adam family, made at the
    first step; returns (step, exp_avg, exp_avg_sq) after counting this step."""
    if not state:
        state["step"] = 0
        state["exp_avg"] = np.zeros_like(parameter._data)
        state["exp_avg_sq"] = np.zeros_like(parameter._data)
    state["step"] += 1
    return state["step"], state["exp_avg"], state["exp_avg_sq"]
