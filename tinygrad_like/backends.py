"""`tinygrad_like.backends`: PyTorch's accelerator back ends, all absent, as on a CPU-only PyTorch.

`backends.cudnn.deterministic = True` and the like, common in seeding code, may be set; they have no
effect, as in PyTorch on the CPU.
"""
from types import SimpleNamespace


def _absent():
    return False


mps = SimpleNamespace(is_available=_absent, is_built=_absent)
cudnn = SimpleNamespace(is_available=_absent, enabled=True, deterministic=False, benchmark=False)
