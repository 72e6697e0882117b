"""Module-level functions for the Tensor ops, as PyTorch has them: `tinygrad_like.sin(x)` is `x.sin()`.

They are made from the Tensor class by name, so a method added to Tensor becomes a function too,
unless it is listed in NOT_FUNCTIONS. The rule: a public method is a function exactly when PyTorch
has a module-level function of that name (tests/test_torch_namespace.py checks it against torch).
In-place methods (ending in `_`) are never functions.
"""
from tinygrad_like.factories import tensor
from tinygrad_like.tensor import Tensor

# Public Tensor methods that are not module-level functions in PyTorch: conversions, attributes,
# autograd controls and the tensor-relative constructors. (`float`, `int`, `bool`, ... are dtypes
# and `cuda` a module in the tinygrad_like namespace.)
NOT_FUNCTIONS = frozenset({
    "astype", "backward", "bool", "contiguous", "cpu", "cuda", "dim", "double", "element_size", "expand",
    "expand_as", "float", "half", "int", "item", "long", "nelement", "new_empty", "new_full", "new_ones",
    "new_tensor", "new_zeros", "numpy", "register_hook", "reshape_as", "retain_grad", "size", "to", "tolist",
    "type", "type_as", "view", "view_as",
    "repeat", "unfold",  # torch.repeat does not exist; torch.nn.functional.unfold is another op
    "bfloat16", "byte", "char", "short",
})


def op_method_names():
    """The public Tensor methods that are exported as functions, sorted."""
    return sorted(name for name in dir(Tensor)
                  if not name.startswith("_") and not name.endswith("_") and name not in NOT_FUNCTIONS
                  and callable(getattr(Tensor, name)))


def _function(name):
    def function(input, *args, out=None, **kwargs):
        if out is not None:
            raise TypeError(f"{name}(): out= is not supported; assign the result instead: "
                            f"y = tinygrad_like.{name}(x, ...)")
        if not isinstance(input, Tensor):
            input = tensor(input)
        return getattr(input, name)(*args, **kwargs)  # the method of input's class (Parameter's too)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"`{name}(input, ...)` is `input.{name}(...)`.\n\n{getattr(Tensor, name).__doc__ or ''}"
    return function


FUNCTIONS = {name: _function(name) for name in op_method_names()}
