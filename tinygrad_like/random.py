"""The random number generator behind initialisation, dropout and tensor factories.

`manual_seed(seed)` makes all of them reproducible, like `torch.manual_seed`.
"""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Reseed the generator used by tinygrad_like (not numpy's global one); returns it."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator():
    """The current numpy Generator (replaced by every manual_seed call)."""
    return _generator
