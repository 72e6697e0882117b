"""Grokking Deep Learning ch.14: exploding gradients, then a character LSTM learning to write like Shakespeare.

Prints the exploding/vanishing gradients demo as the notebook does (exact), then trains the character
LSTM on shakespear.txt: by default one window, whose line is the book's first,
"Iter:0 - Alpha:0.05 - Batch 1/249 - Min Loss:62.00 - Loss:62.000000000000064"; --epochs N trains N
epochs (about 1.5 minutes each) and --generate N writes N characters. --model rnn trains the Part 2
notebook's character RNN instead.

Run: python examples/ch14_lstm.py [--shakespeare PATH] [--model lstm|rnn] [--windows N | --epochs N] [--generate N]
The networks are in tinygrad_like/book/ch14_lstm.py.
"""
import sys
from pathlib import Path

try:
    import tinygrad_like  # noqa: F401
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_like.book import ch14_lstm  # noqa: E402

if __name__ == "__main__":
    sys.exit(ch14_lstm.main())
