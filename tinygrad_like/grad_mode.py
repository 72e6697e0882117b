"""Switching graph recording off (`no_grad`) and back on (`enable_grad`, `set_grad_enabled`).

The mode is per thread, as in PyTorch: `no_grad()` in an inference thread does not stop another
thread's training from recording its graph, and every new thread starts with recording on.
"""
import functools
import threading


class _GradMode(threading.local):
    enabled = True  # read by Function.apply on every op; the class default is each new thread's mode


GradMode = _GradMode()


def is_grad_enabled():
    return GradMode.enabled


class _GradModeSwitch:
    """Context manager and decorator that sets GradMode.enabled to `mode` and restores it after."""

    mode = True

    def __new__(cls, function=None):
        switch = super().__new__(cls)
        return switch if function is None else switch(function)  # bare `@no_grad` as well as `@no_grad()`

    def __enter__(self):
        self._previous = GradMode.enabled
        GradMode.enabled = self.mode
        return self

    def __exit__(self, *exc_info):
        GradMode.enabled = self._previous
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with type(self)():  # a fresh switch per call, so the decorator is re-entrant
                return function(*args, **kwargs)

        return wrapper


class no_grad(_GradModeSwitch):
    """Operations run inside record no graph: results do not require grad (inference, weight updates)."""

    mode = False


class enable_grad(_GradModeSwitch):
    """Re-enables graph recording inside a `no_grad` block."""

    mode = True


class set_grad_enabled(_GradModeSwitch):
    """`set_grad_enabled(mode)` switches recording on or off at once, like PyTorch's; as a context
    manager (`with set_grad_enabled(is_training):`) it restores the previous mode on exit, and as a
    decorator (`@set_grad_enabled(False)`) it runs the function in `mode`."""

    def __new__(cls, mode):
        if not isinstance(mode, (bool, int)):
            raise TypeError(f"set_grad_enabled(): mode must be a bool, got {type(mode).__name__}")
        switch = object.__new__(cls)
        switch.mode = bool(mode)
        switch._previous = GradMode.enabled
        GradMode.enabled = switch.mode
        return switch

    def __enter__(self):
        return self  # the mode was set when the switch was made

    def __call__(self, function):
        GradMode.enabled = self._previous  # decorating does not change the mode of the code around it
        mode = self.mode

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return function(*args, **kwargs)

        return wrapper
