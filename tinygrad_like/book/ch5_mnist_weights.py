"""Grokking Deep Learning, chapter 5, "What do these weights learn?": a 784 -> 10 network on MNIST and
its weights drawn as images.

The book shows the weights of the "2" and "1" outputs as 28x28 pictures (a vague 2 and 1: red
where the pixel speaks for the digit, blue against), but gives no code or figures for the training.
We use the chapter's own method: one `nn.Linear(784, 10, bias=False)` (the "multiple inputs and
outputs" network, enlarged), the first 1000 training images, one image at a time, plain gradient
descent on `0.5 * mse_loss(..., reduction="sum")`, starting from zero weights (so pixels that are
never lit stay neutral). One pass with a small alpha (0.0002) gives the book's pictures: each
digit's weights look like a blurred average of that digit (red) against the others (blue). Longer
training with a larger alpha gains accuracy but the pictures turn to noise. We also report the
accuracy on the 10000 test images (the book gives none): about 0.70.
"""
import argparse
import sys
from pathlib import Path

from tinygrad_like import nn, no_grad, optim
from tinygrad_like.book._common import MNIST_HELP, mnist_or_exit, rows_as_tensors
from tinygrad_like.book.figures import save_weight_images
from tinygrad_like.nn import functional as F
from tinygrad_like.tensor import Tensor


def network():
    model = nn.Linear(784, 10, bias=False).double()
    nn.init.zeros_(model.weight)
    return model


def train(data, epochs=1, alpha=0.0002):
    """Returns (model, test accuracy)."""
    images, labels, test_images, test_labels = data
    model = network()
    optimizer = optim.SGD(model.parameters(), lr=alpha)
    for _ in range(epochs):
        for x, y in zip(rows_as_tensors(images), rows_as_tensors(labels)):
            loss = 0.5 * F.mse_loss(model(x), y, reduction="sum")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with no_grad():
        predictions = model(Tensor(test_images)).numpy().argmax(axis=1)
    return model, float((predictions == test_labels.argmax(axis=1)).mean())


def save_images(model, out_dir):
    """The book's two pictures ("2" and "1") and all ten digits; returns the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    weights = model.weight.numpy()
    return [save_weight_images(weights, out_dir / "ch5_weights_2_and_1.png", digits=[2, 1]),
            save_weight_images(weights, out_dir / "ch5_weights_all_digits.png")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", metavar="DIR", help=MNIST_HELP)
    parser.add_argument("--out", default="book_figures", help="where to write the PNGs (default ./book_figures)")
    parser.add_argument("--epochs", type=int, default=1, help="passes over the 1000 images (default 1)")
    args = parser.parse_args(argv)
    data = mnist_or_exit(parser, args.mnist)
    model, accuracy = train(data, epochs=args.epochs)
    print(f"784 -> 10 network, {args.epochs} pass(es) over 1000 images: test accuracy {accuracy:.4f}")
    for path in save_images(model, args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
