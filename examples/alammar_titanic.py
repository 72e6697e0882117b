"""Jay Alammar's Titanic network: the post's sigmoid weights give 652/891 = 73.2%; then trained ones.

Run: python examples/alammar_titanic.py [--titanic path/to/train.csv]
The network itself is in tinygrad_like/book/alammar_titanic.py.
"""
import sys
from pathlib import Path

try:
    import tinygrad_like  # noqa: F401
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_like.book import alammar_titanic  # noqa: E402
import argparse  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titanic", help="Kaggle's Titanic train.csv (default: $TINYGRAD_LIKE_TITANIC, "
                                          "./data/titanic/train.csv or ../shared/data/titanic/train.csv)")
    alammar_titanic.main(parser.parse_args().titanic)
