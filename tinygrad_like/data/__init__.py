"""Data: MNIST and Titanic loaders, the small data sets of the book and posts, and batching."""
from tinygrad_like.data import embedded
from tinygrad_like.data.embedded import *  # noqa: F401,F403 (the names are listed in embedded.__all__)
from tinygrad_like.data.loader import DataLoader, Dataset, TensorDataset
from tinygrad_like.data.mnist import (MNIST, book_mnist, default_mnist_dir, find_mnist, load_mnist, mnist_places,
                                      read_idx)
from tinygrad_like.data.titanic import (Titanic, default_titanic_csv, find_titanic_csv, load_titanic,
                                        titanic_places)
from tinygrad_like.data import text
from tinygrad_like.data.text import *  # noqa: F401,F403 (the names are listed in text.__all__)

__all__ = ["MNIST", "DataLoader", "Dataset", "TensorDataset", "Titanic", "book_mnist", "default_mnist_dir",
           "default_titanic_csv", "find_mnist", "find_titanic_csv", "load_mnist", "load_titanic", "mnist_places",
           "read_idx", "titanic_places", *embedded.__all__, *text.__all__]
