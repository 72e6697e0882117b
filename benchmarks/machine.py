"""Facts about the machine and the libraries, for the report."""
import os
import platform
import sys

import numpy as np

from benchmarks import harness

BLAS_ENVIRONMENT = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                    "MKL_NUM_THREADS")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_pools():
    """threadpoolctl's view of the loaded BLAS/OpenMP libraries (which kernel runs, how many threads)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return [{key: pool.get(key) for key in ("user_api", "internal_api", "prefix", "version", "architecture",
                                            "num_threads", "threading_layer")} for pool in threadpool_info()]


def numpy_blas_config():
    """numpy's build-time BLAS name and version (numpy.show_config), or '' when unavailable."""
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')} ({blas.get('openblas configuration', '').strip()})"
    except Exception:  # older numpy: no mode= argument
        return ""


def source_version():
    """The project's commit, and whether tinygrad_like/ differs from it (others may be editing the core)."""
    import subprocess
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "tinygrad_like"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + (" with uncommitted changes in tinygrad_like/" if dirty else "")


def gemm_rates(size=1024, repeats=5):
    """GFLOP/s of one float32 (size x size) @ (size x size) product, best of `repeats`, for numpy's BLAS and
    (when installed) torch, with the threads the run set: the ceiling of every product-bound workload."""
    import time
    rng = np.random.default_rng(0)
    a, b = (rng.random((size, size), dtype=np.float32) for _ in range(2))
    products = {"numpy": lambda: a @ b}
    torch = harness.torch_or_none()
    if torch:
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        products["torch"] = lambda: ta @ tb
    rates = {}
    for name, product in products.items():
        product()
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            product()
            best = min(best, time.perf_counter() - start)
        rates[name] = 2 * size ** 3 / best / 1e9
    return rates


def facts():
    torch = harness.torch_or_none()
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "numpy_blas": numpy_blas_config(),
        "blas_pools": blas_pools(),
        "numpy_blas_threads": harness.blas_threads(),
        "torch": torch.__version__ if torch else None,
        "torch_threads": torch.get_num_threads() if torch else None,
        "gemm_gflops": gemm_rates(),
        "environment": {name: os.environ.get(name) for name in BLAS_ENVIRONMENT},
        "load_average": os.getloadavg(),
        "source": source_version(),
    }
