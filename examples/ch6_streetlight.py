"""Grokking Deep Learning ch.6: the streetlight problem and the 3-4-1 ReLU network (0.634231159844, ...).

Run: python examples/ch6_streetlight.py
The network itself is in tinygrad_like/book/ch6_streetlight.py.
"""
import sys
from pathlib import Path

try:
    import tinygrad_like  # noqa: F401
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_like.book import ch6_streetlight  # noqa: E402

if __name__ == "__main__":
    ch6_streetlight.main()
