"""Shared test configuration: hypothesis profiles and a guard on the global grad mode.

The "fast" profile (the default) keeps the whole suite quick on a small machine; pick another with
`HYPOTHESIS_PROFILE=thorough python -m pytest ...` for a longer search before a release.
"""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from tinygrad_like.grad_mode import GradMode

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fast", max_examples=40, **_COMMON)
settings.register_profile("thorough", max_examples=1000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))


@pytest.fixture(autouse=True)
def _grad_mode_is_restored():
    """Every test starts with grad mode on; one that leaks `no_grad` fails instead of breaking later ones."""
    GradMode.enabled = True
    yield
    leaked = not GradMode.enabled
    GradMode.enabled = True
    assert not leaked, "the test left grad mode disabled"


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def mnist_dir():
    """The MNIST directory, found as the library, the demo and the examples find it
    (`tinygrad_like.data.find_mnist`); skips, listing every place searched, when there is none."""
    from tinygrad_like.data import find_mnist
    from tinygrad_like.data.mnist import DOWNLOAD_HINT
    try:
        return find_mnist()
    except FileNotFoundError as error:
        pytest.skip(str(error).replace("\n" + DOWNLOAD_HINT, ""))  # the places; the mirrors would repeat per test


@pytest.fixture(scope="session")
def titanic_train_csv():
    """Kaggle's Titanic train.csv, found as the library finds it (`tinygrad_like.data.find_titanic_csv`);
    skips, listing every place searched, when there is none."""
    from tinygrad_like.data import find_titanic_csv
    try:
        return find_titanic_csv()
    except FileNotFoundError as error:
        pytest.skip(str(error))


@pytest.fixture
def torch():
    """PyTorch on one thread (skips without it): the differential tests' tensors are tiny, and on a busy
    machine PyTorch's thread pool costs 10x the work. A module may define its own `torch` fixture."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)
