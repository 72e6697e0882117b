"""Grokking Deep Learning ch.5: a 784 -> 10 network on MNIST, its weights saved as images.

Run: python examples/ch5_mnist_weights.py [--mnist DIR] [--out DIR]
The network itself is in tinygrad_like/book/ch5_mnist_weights.py.
"""
import sys
from pathlib import Path

try:
    import tinygrad_like  # noqa: F401
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_like.book import ch5_mnist_weights  # noqa: E402

if __name__ == "__main__":
    sys.exit(ch5_mnist_weights.main())
