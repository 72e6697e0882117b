"""Grokking Deep Learning ch.5: gradient descent with several inputs and outputs; freezing a weight.

Run: python examples/ch5_multiple.py
The network itself is in tinygrad_like/book/ch5_multiple.py.
"""
import sys
from pathlib import Path

try:
    import tinygrad_like  # noqa: F401
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_like.book import ch5_multiple  # noqa: E402

if __name__ == "__main__":
    ch5_multiple.main()
