"""Random number generators: PyTorch's `Generator`, the default one behind initialisation, dropout and
the random factories, and `manual_seed`, which makes all of those reproducible.

The streams are numpy's (PCG64), not PyTorch's Mersenne twister: a seed fixes the numbers, but they
differ from the ones PyTorch draws for the same seed.
"""
import functools
import math
import operator

import numpy as np

from tinygrad_like.device import check_device

_SEED_RANGE = range(-2 ** 63, 2 ** 64)  # PyTorch's: negative seeds count down from 2**64
_GENERATOR_SEED = 67280421310721  # the seed of a new torch.Generator()


class Generator:
    """PyTorch's `torch.Generator`, for the `generator=` arguments of the random factories and of
    DataLoader and random_split. `Generator().manual_seed(0)` returns the generator."""

    def __init__(self, device="cpu"):
        check_device(device, "Generator")
        self.manual_seed(_GENERATOR_SEED)

    def manual_seed(self, seed):
        """Restart the stream from `seed`, an integer; returns self."""
        try:
            seed = operator.index(seed)
        except TypeError:
            raise TypeError(f"manual_seed(): the seed must be an integer, got {seed!r}") from None
        if seed not in _SEED_RANGE:
            raise ValueError(f"manual_seed(): seed {seed} is outside [-2**63, 2**64)")
        self._seed = seed % 2 ** 64
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self):
        """Reseed from fresh operating-system entropy; returns the new seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy) % 2 ** 64)
        return self._seed

    def initial_seed(self):
        return self._seed

    @property
    def device(self):
        return check_device("cpu", "Generator")


default_generator = Generator()
default_generator.seed()  # as in PyTorch, each process starts from a fresh seed


def manual_seed(seed):
    """Reseed the default generator (not numpy's global one), like `torch.manual_seed`; returns it."""
    return default_generator.manual_seed(int(seed))  # int(): PyTorch accepts 1.0 here, not in Generator.manual_seed


def seed():
    """Reseed the default generator from fresh entropy; returns the seed."""
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def generator():
    """The default generator's numpy Generator (replaced by every manual_seed call)."""
    return default_generator._rng


def numpy_generator(generator, op_name):
    """The numpy Generator behind a `generator=` argument of `op_name` (None: the default one)."""
    if generator is None:
        return default_generator._rng
    if not isinstance(generator, Generator):
        kind = type(generator)
        raise TypeError(f"{op_name}(): generator= must be a tinygrad_like.Generator, got a "
                        f"{kind.__module__}.{kind.__qualname__}")
    return generator._rng


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
    raw = default_generator._rng.bit_generator.random_raw(-(-size // per_draw))  # 64 random bits per draw
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
