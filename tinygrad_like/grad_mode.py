"""Switching graph recording off (`no_grad`) and back on (`enable_grad`).

The flag is process-global (not per thread): reading a plain class attribute keeps it off the
per-op hot path.
"""
import functools


class GradMode:
    enabled = True  # read by Function.apply on every op


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
