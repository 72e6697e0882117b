"""The random number generator behind initialisation, dropout and tensor factories.

`manual_seed(seed)` makes all of them reproducible, like `torch.manual_seed`.
"""
import math

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


def bernoulli_keep(shape, p):
    """A bool array of `shape`: each element False with probability p, else True (dropout's mask).

    Drawn from raw random bits, about 10x faster than comparing uniform floats with p: each element
    takes the fewest bits (8, 16 or 32) in which p is exact (p = 0.5 needs 8), or 32 bits, which is
    finer than a float32 uniform draw.
    """
    for bits, dtype in ((8, np.uint8), (16, np.uint16), (32, np.uint32)):
        threshold = p * 2 ** bits
        if threshold == int(threshold):
            break
    size = math.prod(shape)
    raw = _generator.bit_generator.random_raw(-(-size * bits // 64))  # 64 bits per draw
    return raw.view(dtype)[:size].reshape(shape) >= round(threshold)
