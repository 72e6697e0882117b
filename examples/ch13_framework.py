"""Grokking Deep Learning ch.13: the toy runs of the book's own autograd framework, from tinygrad_like layers.

Prints the ten losses of each of the chapter's toy networks (2-layer linear nets, Sequential, Tanh and
Sigmoid, Embedding, cross-entropy) and the index_select gradient, as the notebook prints them; the
weights are the book's draws, ids included. --rnn also trains the chapter's RNN on bAbI task 1.

Run: python examples/ch13_framework.py [--rnn [--cell book|tanh] [--babi DIR]]
The networks are in tinygrad_like/book/ch13_framework.py.
"""
import sys
from pathlib import Path

try:
    import tinygrad_like  # noqa: F401
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_like.book import ch13_framework  # noqa: E402

if __name__ == "__main__":
    sys.exit(ch13_framework.main())
