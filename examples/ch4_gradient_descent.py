"""Grokking Deep Learning ch.4: hot and cold learning and gradient descent on one weight.

Run: python examples/ch4_gradient_descent.py
The network itself is in tinygrad_like/book/ch4_gradient_descent.py.
"""
import sys
from pathlib import Path

try:
    import tinygrad_like  # noqa: F401
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_like.book import ch4_gradient_descent  # noqa: E402

if __name__ == "__main__":
    ch4_gradient_descent.main()
