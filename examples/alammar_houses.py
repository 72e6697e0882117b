"""Jay Alammar's house prices: one weight, a bias, two features, softmax, a good/bad classifier.

Run: python examples/alammar_houses.py
The network itself is in tinygrad_like/book/alammar_houses.py.
"""
import sys
from pathlib import Path

try:
    import tinygrad_like  # noqa: F401
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_like.book import alammar_houses  # noqa: E402

if __name__ == "__main__":
    alammar_houses.main()
