"""Module: the base of layers and models, and the containers Sequential and ModuleList.

Assigning a Parameter or a Module to an attribute registers it (as in PyTorch), which is what
parameters(), named_parameters(), state_dict(), train()/eval() and to(dtype) walk.
"""
from collections import OrderedDict, namedtuple

import numpy as np

from tinygrad_like.device import check_device
from tinygrad_like.engine import mark_modified
from tinygrad_like.nn.parameter import Parameter
from tinygrad_like.tensor import Tensor, to_arguments

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "training", True)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

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
