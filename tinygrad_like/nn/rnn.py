"""Recurrent layers with PyTorch's signatures, parameter names, shapes, gate order and initialisation,
so that state_dicts load both ways: RNNCell, LSTMCell, GRUCell (one step, composed of Tensor ops) and
RNN, LSTM, GRU (a sequence, one ops.rnn primitive per layer and direction).

Gate order as in PyTorch: LSTM weights stack the input, forget, cell and output gates (i, f, g, o), GRU
weights the reset, update and new gates (r, z, n), with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
Every parameter starts uniform in +-1/sqrt(hidden_size).
"""
import math
import numbers
import warnings

import numpy as np

from tinygrad_like.device import check_device
from tinygrad_like.dtypes import get_default_dtype, to_dtype
from tinygrad_like.nn import functional as F
from tinygrad_like.nn import init
from tinygrad_like.nn.module import Module
from tinygrad_like.nn.parameter import Parameter
from tinygrad_like.ops.rnn import GRULayer, LSTMLayer, RNNLayer, gru_cell, lstm_cell, rnn_cell
from tinygrad_like.tensor import ShapeError, Tensor, cat, stack

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


def _factory_dtype(name, device, dtype):
    check_device(device, name)
    return get_default_dtype() if dtype is None else to_dtype(dtype, name)


def _reset_uniform(module):
    """PyTorch's initialisation of recurrent layers: every parameter uniform in +-1/sqrt(hidden_size)."""
    bound = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


def _check_dtype(name, tensor, weight, what="input"):
    if tensor.dtype != weight.dtype:
        raise TypeError(f"{name}: the {what} is {tensor.dtype} but the weights are {weight.dtype}; convert the "
                        f"{what} (x.float() / x.double()) or the module (.float() / .double())")


# ---- cells: one time step -----------------------------------------------------------------------------
class RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        dtype = _factory_dtype(type(self).__name__, device, dtype)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(np.empty((num_chunks * hidden_size, input_size), dtype))
        self.weight_hh = Parameter(np.empty((num_chunks * hidden_size, hidden_size), dtype))
        self.bias_ih = Parameter(np.empty(num_chunks * hidden_size, dtype)) if bias else None
        self.bias_hh = Parameter(np.empty(num_chunks * hidden_size, dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self)

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text

    def _input(self, input):
        """The input as a batch (B, input_size) and whether it was one (False for an unbatched vector)."""
        name = type(self).__name__
        input = _tensor(input)
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise ShapeError(f"{name}: input has inconsistent input_size: got {input.shape[-1]} expected "
                             f"{self.input_size}")
        _check_dtype(name, input, self.weight_ih)
        return (input, True) if input.ndim == 2 else (input.unsqueeze(0), False)

    def _state(self, state, input, batched, what):
        """A state of shape (B, hidden_size) (zeros when None), checked against the input's batch."""
        name = type(self).__name__
        if state is None:
            return Tensor._wrap(np.zeros((input.shape[0], self.hidden_size), self.weight_hh.dtype))
        state = _tensor(state)
        if state.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {state.ndim}D instead")
        if state.ndim != (2 if batched else 1):
            raise ShapeError(f"{name}: {'batched 2-D' if batched else 'unbatched 1-D'} input needs a "
                             f"{'2-D' if batched else '1-D'} {what}, got shape {tuple(state.shape)}")
        state = state if batched else state.unsqueeze(0)
        if state.shape[0] != input.shape[0]:
            raise ShapeError(f"{name}: Input batch size {input.shape[0]} doesn't match {what} batch size "
                             f"{state.shape[0]}")
        if state.shape[1] != self.hidden_size:
            raise ShapeError(f"{name}: {what} has inconsistent hidden_size: got {state.shape[1]}, expected "
                             f"{self.hidden_size}")
        _check_dtype(name, state, self.weight_hh, what)
        return state

    def _gates(self, input, state):
        return F.linear(input, self.weight_ih, self.bias_ih) + F.linear(state, self.weight_hh, self.bias_hh)


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (relu with nonlinearity="relu"); input (B, input_size)
    or (input_size,), hx zeros when not given."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: Unknown nonlinearity: {nonlinearity} (choose 'tanh' or 'relu')")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, batched = self._input(input)
        hx = self._state(hx, input, batched, "hx")
        h = rnn_cell(self._gates(input, hx), self.nonlinearity)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """(h', c') from input (B, input_size) or (input_size,) and hx = (h, c) (zeros when not given):
    i, f, g, o = the four chunks of x W_ih^T + b_ih + h W_hh^T + b_hh; c' = sigmoid(f) * c +
    sigmoid(i) * tanh(g); h' = sigmoid(o) * tanh(c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        input, batched = self._input(input)
        if hx is None:
            h = c = self._state(None, input, batched, "hx[0]")
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError("LSTMCell: hx must be a tuple (h_0, c_0) of two tensors")
            h, c = (self._state(state, input, batched, f"hx[{k}]") for k, state in enumerate(hx))
        h, c, _ = lstm_cell(self._gates(input, h), c)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """h' = (1 - z) * n + z * h with r, z = sigmoid(x W_i{r,z}^T + b_i{r,z} + h W_h{r,z}^T + b_h{r,z}) and
    n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)); input (B, input_size) or (input_size,)."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        input, batched = self._input(input)
        hx = self._state(hx, input, batched, "hx")
        h, _ = gru_cell(F.linear(input, self.weight_ih, self.bias_ih), F.linear(hx, self.weight_hh, self.bias_hh), hx)
        return h if batched else h.squeeze(0)


# ---- layers: whole sequences --------------------------------------------------------------------------
class RNNBase(Module):
    """Stacked (num_layers), optionally bidirectional recurrent layers over a sequence (L, N, input_size),
    (N, L, input_size) with batch_first, or (L, input_size) unbatched. Parameters per layer k and
    direction: weight_ih_l{k} (gates * hidden_size, input of the layer), weight_hh_l{k}, bias_ih_l{k},
    bias_hh_l{k}, with the suffix _reverse for the backward direction; layers after the first take the
    concatenated outputs of both directions. Dropout (training only) applies to the outputs of every
    layer but the last."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(mode, mode)
        dtype = _factory_dtype(name, device, dtype)
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}; choose one of {list(_GATES)}")
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}")
        for what, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers),
                            ("proj_size", proj_size)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
                raise TypeError(f"{what} should be of type int, got: {type(value).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size:
            raise NotImplementedError(f"{name}: proj_size > 0 (LSTM projections) is not supported; use proj_size=0 "
                                      "and an nn.Linear on the outputs")
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else hidden_size * directions
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = {"weight_ih": (gate_size, layer_input), "weight_hh": (gate_size, hidden_size)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                for prefix, shape in shapes.items():
                    setattr(self, prefix + suffix, Parameter(np.empty(shape, dtype)))
                self._all_weights.append([prefix + suffix for prefix in shapes])
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self)

    def flatten_parameters(self):
        """PyTorch compacts the weights for cuDNN here; on the CPU there is nothing to do."""

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        text += f", proj_size={self.proj_size}" if self.proj_size != 0 else ""
        text += f", num_layers={self.num_layers}" if self.num_layers != 1 else ""
        text += f", bias={self.bias}" if self.bias is not True else ""
        text += f", batch_first={self.batch_first}" if self.batch_first is not False else ""
        text += f", dropout={self.dropout}" if self.dropout != 0 else ""
        text += f", bidirectional={self.bidirectional}" if self.bidirectional is not False else ""
        return text

    @property
    def _name(self):
        return type(self).__name__

    def forward(self, input, hx=None):
        """(output, h_n) for RNN and GRU, (output, (h_n, c_n)) for LSTM: output (L, N, D * hidden_size) (batch
        first with batch_first, (L, D * hidden_size) unbatched), h_n and c_n (D * num_layers, N, hidden_size)
        ((D * num_layers, hidden_size) unbatched); D = 2 if bidirectional else 1."""
        name, lstm = self._name, self.mode == "LSTM"
        input = _tensor(input)
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D tensor instead")
        batched = input.ndim == 3
        states = self._given_states(hx, batched, lstm)
        if not batched:
            input, states = input.unsqueeze(1), [state.unsqueeze(1) for state in states]
        elif self.batch_first:
            input = input.transpose(0, 1)
        length, batch = input.shape[0], input.shape[1]
        if input.shape[-1] != self.input_size:
            raise ShapeError(f"{name}: input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                             f"got {input.shape[-1]}")
        weight = self.weight_ih_l0
        if input.dtype != weight.dtype:
            raise ValueError(f"{name} input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). "
                             f"Convert input: input.to({weight.dtype}), or convert model: model.to({input.dtype})")
        if length == 0:
            raise ShapeError(f"{name}: Expected sequence length to be larger than 0 in RNN")
        directions = 2 if self.bidirectional else 1
        expected = (self.num_layers * directions, batch, self.hidden_size)
        for k, state in enumerate(states):
            if tuple(state.shape) != expected:
                which = f"hidden[{k}]" if lstm else "hidden"
                raise ShapeError(f"{name}: Expected {which} size {expected}, got {list(state.shape)}")
            _check_dtype(name, state, weight, "initial state")
        zeros = np.zeros((batch, self.hidden_size), weight.dtype)
        finals = [[], []]
        layer_input = input
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                initial = [state[k] for state in states] if states else [zeros] * (2 if lstm else 1)
                output, last = self._run(layer_input, k, initial, bool(direction), length)
                outputs.append(output)
                for final, value in zip(finals, last):
                    final.append(value)
            layer_input = outputs[0] if directions == 1 else cat(outputs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input
        finals = [stack(final) for final in finals if final]
        if not batched:
            output, finals = output.squeeze(1), [final.squeeze(1) for final in finals]
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, tuple(finals)) if lstm else (output, finals[0])

    def _given_states(self, hx, batched, lstm):
        """The initial states as a list ([h_0] or [h_0, c_0]; empty when hx is None), dims checked."""
        if hx is None:
            return []
        if lstm:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{self._name}: hx must be a tuple (h_0, c_0) of two tensors")
            states = [_tensor(state) for state in hx]
        else:
            states = [_tensor(hx)]
        for state in states:
            if batched and state.ndim != 3:
                raise ShapeError(f"{self._name}: For batched 3-D input, hx should also be 3-D but got "
                                 f"{state.ndim}-D tensor")
            if not batched and state.ndim != 2:
                raise ShapeError(f"{self._name}: For unbatched 2-D input, hx should also be 2-D but got "
                                 f"{state.ndim}-D tensor")
        return states

    def _run(self, input, k, initial, reverse, length):
        """One layer and direction over the sequence: (outputs (L, N, H), [h_n] or [h_n, c_n])."""
        w_ih, w_hh, *biases = self.all_weights[k]
        b_ih, b_hh = biases if biases else (None, None)
        last = 0 if reverse else length - 1
        if self.mode == "GRU":
            xg = F.linear(input, w_ih, b_ih)
            hidden = (w_hh,) if b_hh is None else (w_hh, b_hh)
            output = GRULayer.apply(xg, initial[0], *hidden, reverse=reverse)
            return output, [output[last]]
        # RNN and LSTM add both biases to the input projection: one sum of vectors, not of (L, N, gates) arrays
        xg = F.linear(input, w_ih, None if b_ih is None else b_ih + b_hh)
        if self.mode == "LSTM":
            packed = LSTMLayer.apply(xg, initial[0], initial[1], w_hh, reverse=reverse)
            return packed[:length], [packed[last], packed[length]]
        nonlinearity = "relu" if self.mode == "RNN_RELU" else "tanh"
        output = RNNLayer.apply(xg, initial[0], w_hh, nonlinearity=nonlinearity, reverse=reverse)
        return output, [output[last]]


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) per layer (relu with
    nonlinearity="relu"); see RNNBase for shapes. Returns (output, h_n)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, 0, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o from x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh; c_t = f * c_{t-1}
    + i * g, h_t = o * tanh(c_t). Returns (output, (h_n, c_n)); hx is (h_0, c_0). See RNNBase for shapes."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit: r, z, n gates as in GRUCell at every step; returns (output, h_n). See RNNBase
    for shapes."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0,
                         device, dtype)
