"""Grokking Deep Learning ch.9 on MNIST: the 784-100-10 net with tanh, dropout and softmax, as the notebook prints it.

By default only the first row (I:0: a second); --full runs the whole table (300 iterations, seconds).
--layers true keeps the book's dropout masks but takes the true gradient; --layers stock is nn.Tanh and
nn.Dropout. --help lists the options and where MNIST is looked for.

Run: python examples/ch9_mnist.py [--mnist DIR] [--layers book|true|stock] [--iterations N | --full]
The network itself is in tinygrad_like/book/ch9_mnist.py.
"""
import sys
from pathlib import Path

try:
    import tinygrad_like  # noqa: F401
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_like.book import ch9_mnist  # noqa: E402

if __name__ == "__main__":
    sys.exit(ch9_mnist.main())
