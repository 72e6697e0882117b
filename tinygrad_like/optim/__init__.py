"""Optimizers (PyTorch's torch.optim names and update rules)."""
from tinygrad_like.optim import lr_scheduler
from tinygrad_like.optim.adam import Adam, AdamW
from tinygrad_like.optim.optimizer import Optimizer
from tinygrad_like.optim.rmsprop import RMSprop
from tinygrad_like.optim.sgd import SGD

__all__ = ["Adam", "AdamW", "Optimizer", "RMSprop", "SGD", "lr_scheduler"]
