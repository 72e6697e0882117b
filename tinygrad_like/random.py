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


def dropout_mask(shape, p, dtype):
    """An array of `shape` and `dtype`: each element 0 with probability p, else 1/(1-p) (inverted
    dropout's mask; 0 everywhere for p = 1).

    Drawn from raw random bits, several times faster than comparing uniform floats with p: each
    element takes the fewest bits (8, 16 or 32) in which p is exact (p = 0.5 needs 8), or 32 bits,
    which is finer than a float32 uniform draw. A byte indexes a 256-entry table of the mask's two
    values directly (one numpy call); wider draws are compared with the threshold first.
    """
    bits, per_draw, threshold, values = _mask_plan(p, dtype)
    size = math.prod(shape)
    raw = _generator.bit_generator.random_raw(-(-size // per_draw))  # 64 random bits per draw
    drawn = np.ndarray(shape, bits, raw)  # the first `size` elements of the bits, in `shape`
    return values.take(drawn if bits is np.uint8 else drawn >= threshold)


@functools.lru_cache(maxsize=128)
def _mask_plan(p, dtype):
    """(dtype of the bit width, elements per 64-bit draw, threshold, table of mask values by draw)."""
    for bits in (np.uint8, np.uint16, np.uint32):
        width = 8 * np.dtype(bits).itemsize
        threshold = p * 2 ** width
        if threshold == int(threshold):
            break
    threshold = round(threshold)
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    kept = np.arange(256) >= threshold if bits is np.uint8 else np.array([False, True])
    return bits, 64 // width, threshold, np.where(kept, scale, 0.0).astype(dtype)
