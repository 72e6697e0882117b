"""Grokking Deep Learning ch.10 on MNIST: the convolutional net (16 3x3 kernels, tanh, dropout, softmax).

Prints the notebook's rows. By default only the first two (I:0 and I:1: seconds); --full runs the whole
table (300 iterations, minutes), including both collapses that the notebook's kernel-update sign error
causes. --kernels true uses nn.Conv2d with the correct sign. --help lists the options and where MNIST is
looked for.

Run: python examples/ch10_mnist.py [--mnist DIR] [--kernels book|true] [--iterations N | --full]
The network itself is in tinygrad_like/book/ch10_mnist.py.
"""
import sys
from pathlib import Path

try:
    import tinygrad_like  # noqa: F401
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_like.book import ch10_mnist  # noqa: E402

if __name__ == "__main__":
    sys.exit(ch10_mnist.main())
