"""Grokking Deep Learning ch.8 on MNIST: the 3-layer net, dropout and mini-batches, as the notebook prints them.

By default only the first rows of each table (I:0 and I:10; I:0 for the mini-batch net: seconds);
--full runs the whole tables (350 / 300 iterations, minutes). --relu true uses nn.ReLU instead of the
book's buggy one. --help lists the options and where MNIST is looked for.

Run: python examples/ch8_mnist.py [--mnist DIR] [--kind plain|dropout|batch|all] [--relu book|true]
                                  [--iterations N | --full]
The network itself is in tinygrad_like/book/ch8_mnist.py.
"""
import sys
from pathlib import Path

try:
    import tinygrad_like  # noqa: F401
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_like.book import ch8_mnist  # noqa: E402

if __name__ == "__main__":
    sys.exit(ch8_mnist.main())
