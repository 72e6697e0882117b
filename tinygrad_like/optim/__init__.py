"""Optimizers (PyTorch's torch.optim names and update rules)."""
from tinygrad_like.optim import lr_scheduler
from tinygrad_like.optim.adadelta import Adadelta
from tinygrad_like.optim.adagrad import Adagrad
from tinygrad_like.optim.adam import Adam, AdamW
from tinygrad_like.optim.adamax import Adamax
from tinygrad_like.optim.lbfgs import LBFGS
from tinygrad_like.optim.nadam import NAdam
from tinygrad_like.optim.optimizer import Optimizer
from tinygrad_like.optim.radam import RAdam
from tinygrad_like.optim.rmsprop import RMSprop
from tinygrad_like.optim.sgd import SGD

__all__ = ["Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "NAdam", "Optimizer", "RAdam", "RMSprop", "SGD",
           "lr_scheduler"]
