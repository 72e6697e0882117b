"""Grokking Deep Learning ch.12: a linear recurrent network predicts the next word of bAbI sentences.

By default only the first perplexity (a second); --full trains the notebook's 30,000 iterations (about
20 s) and prints the perplexity every 1000 and the prediction table. --gradients true replaces the
notebook's one-step-off hand-written deltas by autograd's exact gradients.

Run: python examples/ch12_babi_rnn.py [--babi DIR] [--gradients book|true] [--iterations N | --full]
The network is in tinygrad_like/book/ch12_babi_rnn.py.
"""
import sys
from pathlib import Path

try:
    import tinygrad_like  # noqa: F401
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_like.book import ch12_babi_rnn  # noqa: E402

if __name__ == "__main__":
    sys.exit(ch12_babi_rnn.main())
