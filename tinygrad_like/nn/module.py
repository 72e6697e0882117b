"""Module: the base of layers and models, and the containers Sequential and ModuleList.

Assigning a Parameter or a Module to an attribute registers it (as in PyTorch), which is what
parameters(), named_parameters(), state_dict(), train()/eval() and to(dtype) walk.
"""
from collections import OrderedDict, namedtuple

import numpy as np

from tinygrad_like.autograd.function import Function
from tinygrad_like.device import check_device
from tinygrad_like.engine import mark_modified
from tinygrad_like.grad_mode import GradMode
from tinygrad_like.nn.parameter import Parameter
from tinygrad_like.tensor import RemovableHandle, Tensor, to_arguments

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "training", True)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    _hooks = None  # a _Hooks once a hook is registered on this module

    def __call__(self, *args, **kwargs):
        if self._hooks is None:  # the common case costs this one attribute read
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    # ---- hooks (PyTorch's): each register_* returns a handle whose remove() unregisters the hook ----
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """hook(module, args) before forward; it may return new args (a tuple, or one value). With
        with_kwargs=True: hook(module, args, kwargs), returning None or a new (args, kwargs) pair."""
        return self._add_hook("forward_pre", (hook, with_kwargs), prepend)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False):
        """hook(module, args, output) after forward (args as forward got them); it may return a new
        output. With with_kwargs=True: hook(module, args, kwargs, output)."""
        return self._add_hook("forward", (hook, with_kwargs), prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """hook(module, grad_output) when the gradients of the outputs are known, before they enter the
        module; it may return a new grad_output tuple."""
        return self._add_hook("backward_pre", hook, prepend)

    def register_full_backward_hook(self, hook, prepend=False):
        """hook(module, grad_input, grad_output) when the gradients with respect to the module's
        positional inputs are computed (one entry per argument, None for non-tensors); it may return
        a new grad_input tuple. When no input requires grad it runs with grad_input all None, once the
        gradients of the outputs are known."""
        return self._add_hook("backward", hook, prepend)

    def _add_hook(self, kind, entry, prepend):
        if self._hooks is None:
            object.__setattr__(self, "_hooks", _Hooks())
        hooks = getattr(self._hooks, kind)
        hooks.insert(0 if prepend else len(hooks), entry)
        return RemovableHandle(hooks, entry)

    def _call_with_hooks(self, args, kwargs):
        hooks = self._hooks
        for hook, with_kwargs in list(hooks.forward_pre):
            result = hook(self, args, kwargs) if with_kwargs else hook(self, args)
            if result is None:
                continue
            if not with_kwargs:
                args = result if isinstance(result, tuple) else (result,)
            elif isinstance(result, tuple) and len(result) == 2:
                args, kwargs = result
            else:
                raise RuntimeError(f"a forward pre-hook with kwargs must return None or a tuple (args, kwargs), "
                                   f"got {type(result).__name__}")
        backward = _BackwardHooks(self, hooks) if hooks.backward or hooks.backward_pre else None
        if backward is not None:
            args = backward.wrap_inputs(args)
        output = self.forward(*args, **kwargs)
        for hook, with_kwargs in list(hooks.forward):
            result = hook(self, args, kwargs, output) if with_kwargs else hook(self, args, output)
            if result is not None:
                output = result
        return output if backward is None else backward.wrap_outputs(output)

    # ---- registration ---------------------------------------------------------------------------
    def __setattr__(self, name, value):
        registries = self.__dict__.get("_parameters"), self.__dict__.get("_modules"), self.__dict__.get("_buffers")
        if registries[0] is None:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__(); call super().__init__() "
                                 f"first in {type(self).__name__}.__init__")
        parameters, modules, buffers = registries
        if name in buffers and not isinstance(value, (Parameter, Module)):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"buffer {name!r} must be a Tensor or None, got {type(value).__name__}")
            buffers[name] = value
        elif name in parameters and value is not None and not isinstance(value, Parameter):
            raise TypeError(f"cannot assign a {type(value).__name__} to parameter {name!r} of "
                            f"{type(self).__name__}: expected a Parameter or None (to change its values, assign "
                            f"to .data)")
        else:
            target = (parameters if isinstance(value, Parameter) else
                      modules if isinstance(value, Module) else None)
            for registry in registries:
                if registry is not target:
                    registry.pop(name, None)
            if target is not None:
                target[name] = value  # an existing name keeps its position
        # Also a plain attribute, so that reading self.weight in forward() costs a normal lookup.
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name, tensor, persistent=True):
        """A tensor that is part of the module's state but not a parameter (e.g. running statistics)."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer({name!r}): expected a Tensor or None, got {type(tensor).__name__}")
        self._buffers[name] = tensor
        if not persistent:
            self.__dict__.setdefault("_non_persistent", set()).add(name)
        object.__setattr__(self, name, tensor)

    def register_parameter(self, name, parameter):
        setattr(self, name, parameter)

    def add_module(self, name, module):
        setattr(self, name, module)

    # ---- traversal ------------------------------------------------------------------------------
    def named_modules(self, prefix=""):
        """(dotted name, module) for this module and every descendant, each module once."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child_name}" if name else child_name, child)
                        for child_name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self):
        return (module for _, module in self.named_modules())

    def named_children(self):
        return ((name, module) for name, module in self._modules.items() if module is not None)

    def children(self):
        return (module for _, module in self.named_children())

    def named_parameters(self, prefix="", recurse=True):
        """(dotted name, parameter) pairs like PyTorch's ("0.weight", "encoder.bias"); shared ones once."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, parameter in module._parameters.items():
                if parameter is not None and id(parameter) not in seen:
                    seen.add(id(parameter))
                    yield (f"{module_name}.{name}" if module_name else name), parameter

    def parameters(self, recurse=True):
        return (parameter for _, parameter in self.named_parameters(recurse=recurse))

    def named_buffers(self):
        for module_name, module in self.named_modules():
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    yield (f"{module_name}.{name}" if module_name else name), buffer

    def buffers(self):
        return (buffer for _, buffer in self.named_buffers())

    def apply(self, function):
        """Call `function(module)` on every descendant and then on self (e.g. custom initialisation)."""
        for child in self.children():
            child.apply(function)
        function(self)
        return self

    # ---- modes and housekeeping -----------------------------------------------------------------
    def train(self, mode=True):
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        for parameter in self.parameters():
            if set_to_none:
                parameter.grad = None
            elif parameter.grad is not None:
                parameter.grad._data = np.zeros_like(parameter.grad._data)

    def requires_grad_(self, requires_grad=True):
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    def to(self, *args, dtype=None, device=None, non_blocking=False):
        """PyTorch's Module.to(dtype | device | (device, dtype) | tensor): convert every floating-point
        parameter, gradient and buffer to the dtype, in place; returns self. Only the CPU exists."""
        dtype = to_arguments(args, dtype, device)
        if dtype is None:
            return self
        for tensor in list(self.parameters()) + list(self.buffers()):
            if tensor._data.dtype.kind == "f":
                tensor._data = tensor._data.astype(dtype)
                if tensor.grad is not None:
                    tensor.grad._data = tensor.grad._data.astype(dtype)
        return self

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def half(self):
        return self.to(np.float16)

    def cpu(self):
        return self

    def cuda(self, device=None):
        check_device("cuda", "cuda")  # raises: there is no accelerator

    # ---- state ----------------------------------------------------------------------------------
    def state_dict(self):
        """Dotted name -> Tensor for every parameter and persistent buffer (sharing their data)."""
        return OrderedDict((name, tensor.detach()) for name, tensor in self._state_tensors())

    def load_state_dict(self, state_dict, strict=True):
        """Copy values into the parameters and buffers by name.

        Shape mismatches are always an error. With strict=True (the default), so are missing and
        unexpected keys; with strict=False they are returned as (missing_keys, unexpected_keys).
        """
        own = self.state_dict()
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        mismatched = []
        for key, target in own.items():
            if key in state_dict:
                if np.shape(state_dict[key]) != target.shape:
                    mismatched.append(f"{key}: checkpoint has shape {np.shape(state_dict[key])}, "
                                      f"the model has {target.shape}")
        problems = [f"size mismatch for {line}" for line in mismatched]
        if strict:
            problems += [f"missing keys: {missing}"] if missing else []
            problems += [f"unexpected keys: {unexpected}"] if unexpected else []
        if problems:
            raise RuntimeError(f"load_state_dict() into {type(self).__name__}: " + "; ".join(problems)
                               + ("" if mismatched else "; pass strict=False to load the matching keys only"))
        for key, tensor in self._state_tensors():
            if key in state_dict:
                value = state_dict[key]
                # Into the existing memory, cast to the tensor's dtype, as PyTorch's copy_ under no_grad: an
                # earlier state_dict() or .data of the model sees the loaded values, and a graph that saved
                # the old ones cannot be differentiated any more.
                tensor._data[...] = value._data if isinstance(value, Tensor) else value
                mark_modified(tensor._data)
        return IncompatibleKeys(missing, unexpected)

    def _state_tensors(self, prefix=""):
        # Walks every path, not named_modules() (which lists a shared module once): like PyTorch, a module
        # used twice appears under both names ("0.weight" and "2.weight"), so that PyTorch's keys load.
        transient = self.__dict__.get("_non_persistent", ())
        entries = list(self._parameters.items()) + [
            (name, buffer) for name, buffer in self._buffers.items() if name not in transient]
        for name, tensor in entries:
            if tensor is not None:
                yield prefix + name, tensor
        for name, module in self.named_children():
            yield from module._state_tensors(f"{prefix}{name}.")

    # ---- printing -------------------------------------------------------------------------------
    def extra_repr(self):
        """The text inside the parentheses of this module's line in repr (override in layers)."""
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(module).replace("\n", "\n  ") for name, module in self.named_children()]
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        # PyTorch's layout: with children, the extra_repr gets its own line above them
        lines = ([extra.replace("\n", "\n  ")] if extra else []) + lines
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Modules applied in order: Sequential(Linear(3, 4), ReLU(), Linear(4, 1)), or from an OrderedDict."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)
        self._refresh_order()

    def _refresh_order(self):
        object.__setattr__(self, "_ordered", tuple(self._modules.values()))

    # forward() runs the cached tuple, so every change of the registered modules must refresh it
    # (add_module, reassigning or deleting an attribute); otherwise len()/state_dict() and forward() disagree.
    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        self._refresh_order()

    def __delattr__(self, name):
        super().__delattr__(name)
        self._refresh_order()

    def forward(self, x):
        for module in self._ordered:
            x = module(x)
        return x

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        self._refresh_order()
        return self

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return self._ordered[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._ordered)


class ModuleList(Module):
    """A list of modules whose parameters are registered (a plain Python list's are not)."""

    def __init__(self, modules=()):
        super().__init__()
        self.extend(modules)

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, index):
        items = list(self._modules.values())
        return ModuleList(items[index]) if isinstance(index, slice) else items[index]

    def __setitem__(self, index, module):
        self.add_module(list(self._modules)[index], module)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class _Hooks:
    """A module's hooks, in call order (forward ones as (hook, with_kwargs) pairs)."""

    def __init__(self):
        self.forward_pre, self.forward, self.backward_pre, self.backward = [], [], [], []


class BackwardHookFunction(Function):
    """The identity on tensors, with a callback that sees (and may replace) their gradients."""

    @staticmethod
    def forward(ctx, callback, materialize, *tensors):
        ctx.callback = callback
        ctx.set_materialize_grads(materialize)
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None, None) + tuple(ctx.callback(grads))


class _BackwardHooks:
    """One call's full backward hooks, run as PyTorch runs them: the tensors going into forward and the
    ones coming out pass through a BackwardHookFunction each. The outputs' one sees grad_output (None
    for an output that received no gradient) and runs the pre-hooks; the inputs' one runs after every
    use of the inputs inside the module has been differentiated, with grad_input (zeros for an input
    that received none), and runs the hooks."""

    def __init__(self, module, hooks):
        self.module = module
        self.hooks, self.pre_hooks = list(hooks.backward), list(hooks.backward_pre)  # those of this call
        self.grad_outputs = None  # set by the outputs' backward, consumed by the inputs'
        self.inputs = self.outputs = None  # positions of the tensors passed through, None when none was

    def wrap_inputs(self, args):
        self.n_inputs = len(args)
        args, self.inputs = self._pass_through(args, self._on_grad_input, True)
        return args

    def wrap_outputs(self, output):
        outputs = output if isinstance(output, tuple) else (output,)
        self.n_outputs = len(outputs)
        outputs, self.outputs = self._pass_through(outputs, self._on_grad_output, False)
        return outputs if isinstance(output, tuple) else outputs[0]

    def _pass_through(self, values, callback, materialize):
        positions = [i for i, value in enumerate(values) if isinstance(value, Tensor)]
        if not (GradMode.enabled and any(values[i].requires_grad for i in positions)):
            return values, None
        passed = BackwardHookFunction.apply(callback, materialize, *[values[i] for i in positions])
        values = list(values)
        for i, value in zip(positions, passed):
            values[i] = value
        return tuple(values), positions

    def _on_grad_output(self, grads):
        self.grad_outputs = _spread(self.outputs, grads, self.n_outputs)
        for hook in self.pre_hooks:
            result = hook(self.module, self.grad_outputs)
            if result is not None:
                self.grad_outputs = _checked(result, self.n_outputs, "backward pre-hook", "grad_output")
        grad_outputs = self.grad_outputs
        if self.inputs is None:  # no input requires grad: the hooks run now, with nothing to replace
            for hook in self.hooks:
                result = hook(self.module, (None,) * self.n_inputs, grad_outputs)
                if result is not None and any(g is not None for g in result):
                    raise RuntimeError("a full backward hook of a module none of whose inputs requires grad must "
                                       "return None (or Nones): there is no grad_input to replace")
            self.grad_outputs = None
        return tuple(grad_outputs[i] for i in self.outputs)

    def _on_grad_input(self, grads):
        if self.grad_outputs is None:  # a gradient reached the inputs without passing through the outputs
            return grads
        grad_inputs = _spread(self.inputs, grads, self.n_inputs)
        for hook in self.hooks:
            result = hook(self.module, grad_inputs, self.grad_outputs)
            if result is not None:
                grad_inputs = _checked(result, self.n_inputs, "full backward hook", "grad_input")
        self.grad_outputs = None
        return tuple(grad_inputs[i] for i in self.inputs)


def _spread(positions, values, size):
    """`values`, given for `positions`, as a tuple of `size` with None elsewhere."""
    spread = [None] * size
    for i, value in zip(positions, values):
        spread[i] = value
    return tuple(spread)


def _checked(result, size, what, name):
    if len(result) != size:
        raise RuntimeError(f"a {what} returned {len(result)} entries for {name}; return {size}, one per "
                           f"entry of the {name} it got")
    return tuple(result)
