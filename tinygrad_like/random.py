"""The random number generator behind initialisation, dropout and tensor factories.

`manual_seed(seed)` makes all of them reproducible, like `torch.manual_seed`.
"""
import functools
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
    dtype, per_draw, threshold = _keep_plan(p)
    size = math.prod(shape)
    raw = _generator.bit_generator.random_raw(-(-size // per_draw))  # 64 random bits per draw
    return np.ndarray(shape, dtype, raw) >= threshold  # the first `size` elements of the bits, in `shape`


@functools.lru_cache(maxsize=128)
def _keep_plan(p):
    """(dtype of the bit width, elements per 64-bit draw, threshold) for dropping with probability p."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        bits = 8 * np.dtype(dtype).itemsize
        threshold = p * 2 ** bits
        if threshold == int(threshold):
            break
    return dtype, 64 // bits, round(threshold)
