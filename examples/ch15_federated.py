"""Grokking Deep Learning ch.15: a spam classifier trained plainly and by federated averaging.

Without data it shows what needs none: one training step on Bob's email changes exactly the weights of
its five words (Loss:0.0005), and a sum computed from secret shares (The Answer: 8). With the book's
Enron files (not shipped: give your copies) it trains the Embedding(V, 1) classifier for three passes,
then by federated averaging of Bob's, Alice's and Sue's models.

Run: python examples/ch15_federated.py [--spam spam.txt --ham ham.txt]
The model is in tinygrad_like/book/ch15_federated.py.
"""
import sys
from pathlib import Path

try:
    import tinygrad_like  # noqa: F401
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_like.book import ch15_federated  # noqa: E402

if __name__ == "__main__":
    sys.exit(ch15_federated.main())
