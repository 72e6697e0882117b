"""`tinygrad_like.cuda`: PyTorch's answers on a machine without CUDA, so device-selection code picks the CPU."""


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    """No effect, as in PyTorch without CUDA (there is no CUDA generator to seed)."""


def manual_seed_all(seed):
    """No effect, as in PyTorch without CUDA (there is no CUDA generator to seed)."""
