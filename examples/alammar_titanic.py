"""Jay Alammar's Titanic network: the post's sigmoid weights give 652/891 = 73.2%; then trained ones.

Run: python examples/alammar_titanic.py [--titanic path/to/train.csv]  (--help: where it is looked for)
The network itself is in tinygrad_like/book/alammar_titanic.py.
"""
import sys
from pathlib import Path

try:
    import tinygrad_like  # noqa: F401
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_like.book import alammar_titanic  # noqa: E402

if __name__ == "__main__":
    sys.exit(alammar_titanic.main())
