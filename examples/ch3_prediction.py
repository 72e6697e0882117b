"""Grokking Deep Learning ch.3: forward propagation with the book's weights (0.85, 0.98, ...).

Run: python examples/ch3_prediction.py
The network itself is in tinygrad_like/book/ch3_prediction.py.
"""
import sys
from pathlib import Path

try:
    import tinygrad_like  # noqa: F401
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_like.book import ch3_prediction  # noqa: E402

if __name__ == "__main__":
    ch3_prediction.main()
