"""Grokking Deep Learning ch.11: word embeddings learned from movie reviews.

Without data it prints the one-hot sentence encoding. With udacity's IMDB reviews.txt and labels.txt
(not shipped: give your copies) it trains the sentiment network (embedding-bag sum, sigmoid, one
output), lists the words nearest to 'beautiful' and 'terrible', then trains the fill-in-the-blank
network with negative sampling and prints analogies (the book's formula and a fixed one).

Run: python examples/ch11_embeddings.py [--reviews reviews.txt --labels labels.txt] [--layers book|true]
The networks are in tinygrad_like/book/ch11_embeddings.py.
"""
import sys
from pathlib import Path

try:
    import tinygrad_like  # noqa: F401
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_like.book import ch11_embeddings  # noqa: E402

if __name__ == "__main__":
    sys.exit(ch11_embeddings.main())
