"""Anomaly detection, PyTorch's `torch.autograd.detect_anomaly`: which op made a gradient NaN or Inf.

While the mode is on, every node notes where it was created (the user's stack, past the frames of this
package), and backward checks the gradients each node returns, raising at the first node that returns
NaN or Inf with the op, its inputs and the user's line that created it. Off, a NaN propagates silently,
as in PyTorch.

The mode costs nothing while it is off: `Function.apply` and the engine's node loop are the hottest code
of the project, so neither tests a flag per op.
- Switching the mode on rebinds `Function.apply` to `_recording_apply` (the plain apply, then the note
  on the new node); switching it off rebinds the plain one.
- The engine reads `enabled` once per backward(). When it is on, nodes take the engine's slow path,
  the one create_graph takes (a test the loop makes per node anyway), which calls `checked_backward`.
The mode is global, as in PyTorch (grad mode is per thread, anomaly mode is not): rebinding
`Function.apply` is global anyway.
"""
import functools
import os
import sys
import threading
import traceback
import warnings

import numpy as np

enabled = False  # read by the engine at the start of each backward()
checking_nan = True  # check_nan=False records the creation stacks without checking the gradients

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_STACK_LIMIT = 10  # frames kept per node, from the user's line outwards: enough to place it, cheap to note
_plain_apply = None  # Function.apply as tensor.py defines it, while the recording one is bound
_running = threading.local()  # .node: the node whose backward this thread runs (it creates nodes under create_graph)


def is_anomaly_enabled():
    return enabled


def is_anomaly_check_nan_enabled():
    return checking_nan


class set_detect_anomaly:
    """`set_detect_anomaly(mode, check_nan=True)` switches anomaly detection on or off at once; as a
    context manager it restores the previous mode on exit."""

    def __init__(self, mode, check_nan=True):
        self._previous = (enabled, checking_nan)
        _set(mode, check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        _set(*self._previous)
        return False


class detect_anomaly:
    """Context manager and decorator that turns anomaly detection on (and restores the previous mode
    after): backward raises at the first op whose gradient holds NaN or Inf (with check_nan, the
    default) naming the line of the forward pass that created the op. Slow: for debugging only."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        warnings.warn("Anomaly detection is on: every op notes its creation stack and backward checks every "
                      "gradient, which is slow; use it for debugging only", stacklevel=2)

    def __enter__(self):
        self._switch = set_detect_anomaly(True, self.check_nan)
        return self

    def __exit__(self, *exc_info):
        return self._switch.__exit__(*exc_info)

    def __call__(self, function):
        check_nan = self.check_nan

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with set_detect_anomaly(True, check_nan):  # a switch per call: recursion restores correctly
                return function(*args, **kwargs)

        return wrapper


def _set(mode, check_nan):
    global enabled, checking_nan, _plain_apply
    mode = bool(mode)
    if mode != enabled:
        from tinygrad_like.tensor import Function  # not at the top: tensor imports the engine, which imports this
        if mode:
            _plain_apply = Function.__dict__["apply"]
            Function.apply = classmethod(_recording_apply)
        else:
            Function.apply = _plain_apply
    enabled, checking_nan = mode, bool(check_nan)


def _recording_apply(cls, *inputs, **options):
    out = _plain_apply.__func__(cls, *inputs, **options)
    ctx = out._ctx
    if ctx is not None:
        ctx.forward_stack = _user_stack()
        ctx.made_by_backward_of = getattr(_running, "node", None)  # set while a recorded backward runs
    return out


def _user_stack():
    """The caller's stack from its innermost frame outside this package, outermost frame first."""
    frame = sys._getframe()
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    if frame is None:  # called from the package's own scripts
        frame = sys._getframe(2)
    # Source lines are read only if the stack is printed.
    stack = traceback.StackSummary.extract(traceback.walk_stack(frame), limit=_STACK_LIMIT, lookup_lines=False)
    stack.reverse()
    return stack


def checked_backward(ctx, grad, backward):
    """`backward(ctx, grad)` for the engine in anomaly mode: the gradients checked for NaN and Inf, and
    the node noted as running (for the nodes its recorded backward creates)."""
    previous = getattr(_running, "node", None)
    _running.node = ctx
    try:
        grads = backward(ctx, grad)
    except Exception:
        warnings.warn(f"Error detected in {type(ctx).__name__}.backward. {_origin(ctx)}", stacklevel=2)
        raise
    finally:
        _running.node = previous
    if checking_nan:
        for i, (g, needed) in enumerate(zip(grads if type(grads) is tuple else (grads,), ctx.needs_input_grad)):
            if g is not None and needed:  # a gradient the engine drops cannot spread a NaN
                kind = _non_finite(g)
                if kind:
                    name = type(ctx).__name__
                    inputs = ", ".join(f"{tuple(p.shape)} {p.dtype}" for p in ctx.parents)
                    raise RuntimeError(
                        f"Function '{name}Backward' returned {kind} values in its {i}th output (the gradient for "
                        f"input {i} of {name}; its inputs: {inputs}).\n{_origin(ctx)}")
    return grads


def check_seed(root, seed):
    """A gradient given to backward() holding NaN or Inf would be blamed on the first op: name it instead."""
    kind = _non_finite(seed) if checking_nan else None
    if kind:
        raise RuntimeError(f"backward(): the gradient given for the tensor of shape {tuple(root.shape)} holds {kind} "
                           "values (anomaly detection checks it before differentiating)")


def _non_finite(g):
    """'nan' or 'inf' if the gradient (an array, a number or a Tensor) holds one, else None."""
    array = np.asarray(getattr(g, "_data", g))
    if array.dtype.kind not in "fc" or np.isfinite(array).all():
        return None
    return "nan" if np.isnan(array).any() else "inf"


def _origin(ctx):
    """Where `ctx` was created: the user's line and the stack around it, and, for a node that a recorded
    backward (create_graph=True) created, where the node whose backward it was came from."""
    name = type(ctx).__name__
    stack = getattr(ctx, "forward_stack", None)
    if stack is None:
        return (f"No forward trace: {name} was created while anomaly detection was off; turn it on around the "
                "forward pass too to see the line that created it.")
    line = stack[-1]
    code = f": {line.line}" if line.line else ""
    text = (f"{name} was created at {line.filename}, line {line.lineno}, in {line.name}{code}\n"
            f"Traceback of the forward call that created {name} (most recent call last):\n{''.join(stack.format())}")
    parent = ctx.made_by_backward_of
    if parent is not None:
        text += f"It was created by the backward of {type(parent).__name__}: {_origin(parent)}"
    return text
