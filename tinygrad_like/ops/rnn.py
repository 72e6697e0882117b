"""Recurrent layers over a whole sequence, one primitive per layer and direction: Elman RNN (tanh or
relu), LSTM and GRU, with PyTorch's gate order (LSTM i, f, g, o; GRU r, z, n).

Each takes the input projection of the whole sequence, xg = x @ W_ih.T + bias (T, B, gates * H),
computed outside by one ops.Linear over all steps, the initial state and W_hh. Forward runs the time
loop with one product h @ W_hh.T per step for all gates; backward runs it back in time (BPTT),
collects the gates' gradients of every step and forms W_hh's gradient as one product over the whole
sequence. A graph of per-step ops would hand the engine one dense (gates * H, H) gradient per step to
sum, which costs as much as the recurrent products themselves on a character LSTM.

Backward is written once for both callers: on arrays it reads the activations forward kept; in a
recorded backward (create_graph=True) the saved inputs are Tensors and the forward is recomputed from
them with Tensor ops, so that the same BPTT code builds a graph and second derivatives work.

The cell functions (`rnn_cell`, `lstm_cell`, `gru_cell`) take pre-activations, as arrays or Tensors:
the layers here and nn.RNNCell / LSTMCell / GRUCell share them.
"""
import numpy as np

from tinygrad_like.ops.dispatch import raw, tanh
from tinygrad_like.tensor import Function, Tensor, cat, stack


def sigmoid(x):
    if isinstance(x, Tensor):
        return x.sigmoid()
    with np.errstate(over="ignore"):  # exp(-x) = inf for very negative x gives the right limit, 0
        return 1 / (1 + np.exp(-x))


def relu(x):
    return x.relu() if isinstance(x, Tensor) else np.maximum(x, 0)


def _join(parts, axis):
    if any(isinstance(part, Tensor) for part in parts):
        return cat(parts, axis)
    return np.concatenate(parts, axis)


def _stack(parts):
    if any(isinstance(part, Tensor) for part in parts):
        return stack(parts)
    return np.stack(parts)


# ---- one step: pre-activations in, new state out (arrays or Tensors) --------------------------------
def rnn_cell(pre, nonlinearity):
    """h' = tanh(pre) or relu(pre), pre = x W_ih^T + b_ih + h W_hh^T + b_hh."""
    return relu(pre) if nonlinearity == "relu" else tanh(pre)


def lstm_cell(pre, c):
    """(h', c', activations): pre (..., 4H) holds the input, forget, cell and output gates' pre-activations."""
    size = pre.shape[-1] // 4
    i = sigmoid(pre[..., :size])
    f = sigmoid(pre[..., size:2 * size])
    g = tanh(pre[..., 2 * size:3 * size])
    o = sigmoid(pre[..., 3 * size:])
    c = f * c + i * g
    tanh_c = tanh(c)
    return o * tanh_c, c, (i, f, g, o, tanh_c)


def gru_cell(xg, hg, h):
    """(h', activations): xg = x W_ih^T + b_ih and hg = h W_hh^T + b_hh (..., 3H), gates r, z, n; PyTorch's
    n = tanh(xg_n + r * hg_n) and h' = (1 - z) * n + z * h."""
    size = xg.shape[-1] // 3
    r = sigmoid(xg[..., :size] + hg[..., :size])
    z = sigmoid(xg[..., size:2 * size] + hg[..., size:2 * size])
    hg_n = hg[..., 2 * size:]
    n = tanh(xg[..., 2 * size:] + r * hg_n)
    return n + z * (h - n), (r, z, n, hg_n)


# ---- the time loops -----------------------------------------------------------------------------------
def _steps(length, reverse):
    return range(length - 1, -1, -1) if reverse else range(length)


def _previous(states, initial, t, reverse):
    """The state a step at time t started from."""
    if reverse:
        return initial if t == len(states) - 1 else states[t + 1]
    return initial if t == 0 else states[t - 1]


def _previous_all(states, initial, reverse):
    """The states each step started from, stacked (T, B, H): the other factor of W_hh's gradient."""
    states = list(states)
    return _stack(states[1:] + [initial] if reverse else [initial] + states[:-1])


def _recurrent_product(h, w_hh):
    """h @ w_hh.T for a state h of the batch's few rows, computed as (w_hh @ h.T).T: the same product with
    the matrix's long side first, which OpenBLAS runs up to twice as fast as h @ w_hh.T here. Tensors (a
    recorded backward) multiply as written."""
    if isinstance(h, Tensor) or isinstance(w_hh, Tensor):
        return h @ w_hh.T
    return w_hh.dot(h.T).T


def _weight_gradient(gate_grads, previous):
    """sum over steps and batch of gate_grad^T @ h_prev, as one product."""
    flat_grads = gate_grads.reshape(-1, gate_grads.shape[-1])
    return flat_grads.T @ previous.reshape(-1, previous.shape[-1])


def _run_rnn(xg, h0, w_hh, nonlinearity, reverse):
    h, states = h0, [None] * xg.shape[0]
    for t in _steps(xg.shape[0], reverse):
        h = states[t] = rnn_cell(xg[t] + _recurrent_product(h, w_hh), nonlinearity)
    return states


def _run_lstm(xg, h0, c0, w_hh, reverse):
    h, c, length = h0, c0, xg.shape[0]
    states, cells, activations = [None] * length, [None] * length, [None] * length
    for t in _steps(length, reverse):
        h, c, activations[t] = lstm_cell(xg[t] + _recurrent_product(h, w_hh), c)
        states[t], cells[t] = h, c
    return states, cells, activations


def _run_gru(xg, h0, w_hh, b_hh, reverse):
    h, length = h0, xg.shape[0]
    states, activations = [None] * length, [None] * length
    for t in _steps(length, reverse):
        hg = _recurrent_product(h, w_hh)
        if b_hh is not None:
            hg = hg + b_hh
        h, activations[t] = gru_cell(xg[t], hg, h)
        states[t] = h
    return states, activations


def _recorded(grad):
    """True in a recorded backward, where the saved inputs are Tensors (see the module's docstring)."""
    return isinstance(grad, Tensor)


class RNNLayer(Function):
    """The outputs h_t (T, B, H) of an Elman RNN, h_t = act(xg_t + h_{t-1} W_hh^T), run backwards in time
    with reverse=True; the final state is the output at t = T-1 (t = 0 when reversed)."""

    @staticmethod
    def forward(ctx, xg, h0, w_hh, nonlinearity="tanh", reverse=False):
        ctx.nonlinearity, ctx.reverse = nonlinearity, reverse
        states = _run_rnn(xg, h0, w_hh, nonlinearity, reverse)
        out = np.stack(states)
        ctx.save_for_backward(xg, h0, w_hh, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        xg, h0, w_hh, out = ctx.saved_tensors
        nonlinearity, reverse = ctx.nonlinearity, ctx.reverse
        states = _run_rnn(xg, h0, w_hh, nonlinearity, reverse) if _recorded(grad) else out
        needs = ctx.needs_input_grad
        length = xg.shape[0]
        pre_grads, dh_next = [None] * length, None
        for k, t in enumerate(_steps(length, not reverse)):
            dh = grad[t] if dh_next is None else grad[t] + dh_next
            h = states[t]
            pre_grads[t] = dh * (raw(h) > 0) if nonlinearity == "relu" else dh * (1 - h * h)
            if k < length - 1 or needs[1]:
                dh_next = pre_grads[t] @ w_hh
        dxg = _stack(pre_grads)
        dw = _weight_gradient(dxg, _previous_all(states, h0, reverse)) if needs[2] else None
        return dxg, dh_next if needs[1] else None, dw


class LSTMLayer(Function):
    """An LSTM's outputs and final cell state packed as one array (T + 1, B, H): rows 0..T-1 are h_t,
    row T is c at the last step (t = T-1, or t = 0 with reverse=True)."""

    @staticmethod
    def forward(ctx, xg, h0, c0, w_hh, reverse=False):
        ctx.reverse = reverse
        states, cells, activations = _run_lstm(xg, h0, c0, w_hh, reverse)
        ctx.cells, ctx.activations = cells, activations
        out = np.stack(states + [cells[0] if reverse else cells[-1]])
        ctx.save_for_backward(xg, h0, c0, w_hh, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        xg, h0, c0, w_hh, out = ctx.saved_tensors
        reverse, length = ctx.reverse, xg.shape[0]
        if _recorded(grad):
            states, cells, activations = _run_lstm(xg, h0, c0, w_hh, reverse)
        else:
            states, cells, activations = out[:length], ctx.cells, ctx.activations
        needs = ctx.needs_input_grad
        pre_grads, dh_next, dc_next = [None] * length, None, grad[length]
        for k, t in enumerate(_steps(length, not reverse)):
            dh = grad[t] if dh_next is None else grad[t] + dh_next
            i, f, g, o, tanh_c = activations[t]
            dc = dc_next + dh * o * (1 - tanh_c * tanh_c)
            pre_grads[t] = _join([dc * g * i * (1 - i), dc * _previous(cells, c0, t, reverse) * f * (1 - f),
                                  dc * i * (1 - g * g), dh * tanh_c * o * (1 - o)], -1)
            if k < length - 1 or needs[1]:
                dh_next = pre_grads[t] @ w_hh
            dc_next = dc * f
        dxg = _stack(pre_grads)
        dw = _weight_gradient(dxg, _previous_all(states, h0, reverse)) if needs[3] else None
        return dxg, dh_next if needs[1] else None, dc_next if needs[2] else None, dw


class GRULayer(Function):
    """A GRU's outputs h_t (T, B, H); b_hh (3H,) is an input of its own because the candidate gate
    multiplies its part by r. The final state is the output at t = T-1 (t = 0 with reverse=True)."""

    @staticmethod
    def forward(ctx, xg, h0, w_hh, b_hh=None, reverse=False):
        ctx.reverse = reverse
        states, ctx.activations = _run_gru(xg, h0, w_hh, b_hh, reverse)
        out = np.stack(states)
        ctx.save_for_backward(xg, h0, w_hh, b_hh, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        xg, h0, w_hh, b_hh, out = ctx.saved_tensors
        reverse, length = ctx.reverse, xg.shape[0]
        if _recorded(grad):
            states, activations = _run_gru(xg, h0, w_hh, b_hh, reverse)
        else:
            states, activations = out, ctx.activations
        needs = ctx.needs_input_grad
        input_grads, hidden_grads, dh_next = [None] * length, [None] * length, None
        for k, t in enumerate(_steps(length, not reverse)):
            dh = grad[t] if dh_next is None else grad[t] + dh_next
            r, z, n, hg_n = activations[t]
            dn = dh * (1 - z) * (1 - n * n)
            dr = dn * hg_n * r * (1 - r)
            dz = dh * (_previous(states, h0, t, reverse) - n) * z * (1 - z)
            input_grads[t] = _join([dr, dz, dn], -1)
            hidden_grads[t] = _join([dr, dz, dn * r], -1)
            if k < length - 1 or needs[1]:
                dh_next = dh * z + hidden_grads[t] @ w_hh
        dxg = _stack(input_grads)
        dhg = _stack(hidden_grads) if needs[2] or (len(needs) > 3 and needs[3]) else None
        dw = _weight_gradient(dhg, _previous_all(states, h0, reverse)) if needs[2] else None
        db = dhg.sum(axis=(0, 1)) if len(needs) > 3 and needs[3] else None
        return (dxg, dh_next if needs[1] else None, dw, db)[:len(needs)]
