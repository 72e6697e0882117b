"""`tinygrad_like.utils.data`, PyTorch's `torch.utils.data`: the data set and loader classes of
tinygrad_like.data.loader under PyTorch's module path."""
from tinygrad_like.data.loader import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]
