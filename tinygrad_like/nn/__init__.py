"""Modules, layers and losses (PyTorch's torch.nn names)."""
from tinygrad_like.nn import functional, init, utils
from tinygrad_like.nn.activation import (CELU, ELU, GELU, SELU, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU,
                                         LogSigmoid, Mish, PReLU, ReLU6, SiLU, Softplus, Softsign)
from tinygrad_like.nn.layers import (Dropout, Embedding, Flatten, Identity, Linear, LogSoftmax, ReLU, Sigmoid,
                                     Softmax, Tanh)
from tinygrad_like.nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from tinygrad_like.nn.module import Module, ModuleList, Sequential
from tinygrad_like.nn.parameter import Parameter

__all__ = ["CELU", "ELU", "GELU", "SELU", "Hardsigmoid", "Hardswish", "Hardtanh", "LeakyReLU", "LogSigmoid", "Mish",
           "PReLU", "ReLU6", "SiLU", "Softplus", "Softsign",
           "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "Embedding", "Flatten", "Identity",
           "L1Loss", "Linear", "LogSoftmax", "MSELoss", "Module", "ModuleList", "NLLLoss", "Parameter", "ReLU",
           "Sequential", "Sigmoid", "Softmax", "Tanh", "functional", "init", "utils"]
