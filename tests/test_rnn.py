"""Recurrent cells and layers (nn.RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU) and nn.utils.rnn.pad_sequence:
values against a step-by-step formula, float64 gradcheck over short random sequences (truncated BPTT,
bidirectional, stacked, batch first), second derivatives, shapes, errors, and PyTorch (values, gradients,
state_dict round trips both ways)."""
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Tensor, nn
from tinygrad_like.nn.utils.rnn import pad_sequence
from tinygrad_like.testing import arrays, assert_close

CELLS = {"rnn_tanh": lambda i, h, **kw: nn.RNNCell(i, h, **kw),
         "rnn_relu": lambda i, h, **kw: nn.RNNCell(i, h, nonlinearity="relu", **kw),
         "lstm": nn.LSTMCell, "gru": nn.GRUCell}
LAYERS = {"rnn_tanh": lambda i, h, **kw: nn.RNN(i, h, **kw),
          "rnn_relu": lambda i, h, **kw: nn.RNN(i, h, nonlinearity="relu", **kw),
          "lstm": nn.LSTM, "gru": nn.GRU}


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def reference_step(kind, x, h, c, p, margins=None):
    """One step of each cell from its formula (numpy), p = (w_ih, w_hh, b_ih, b_hh) (biases may be None);
    `margins` collects min |pre-activation| of relu steps, to keep gradcheck away from the kink."""
    w_ih, w_hh, b_ih, b_hh = p
    b_ih, b_hh = (0 if b is None else b for b in (b_ih, b_hh))
    if kind == "gru":
        xr, xz, xn = np.split(x @ w_ih.T + b_ih, 3, axis=-1)
        hr, hz, hn = np.split(h @ w_hh.T + b_hh, 3, axis=-1)
        r, z = sigmoid(xr + hr), sigmoid(xz + hz)
        n = np.tanh(xn + r * hn)
        return (1 - z) * n + z * h, None
    pre = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    if kind == "lstm":
        i, f, g, o = np.split(pre, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        return sigmoid(o) * np.tanh(c), c
    if margins is not None and pre.size:
        margins.append(np.abs(pre).min())
    return (np.maximum(pre, 0) if kind == "rnn_relu" else np.tanh(pre)), None


def reference_layer(kind, layer, x, h0, c0, margins=None):
    """A stacked, maybe bidirectional layer from the cell formulas: (output (L, N, D * H), h_n, c_n)."""
    directions = 2 if layer.bidirectional else 1
    finals_h, finals_c = [], []
    for k in range(layer.num_layers):
        outputs = []
        for direction in range(directions):
            index = k * directions + direction
            p = [None if getattr(layer, f"{name}_l{k}{'_reverse' * direction}", None) is None else
                 getattr(layer, f"{name}_l{k}{'_reverse' * direction}").numpy()
                 for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            h, c, steps = h0[index], c0[index], [None] * len(x)
            for t in (range(len(x) - 1, -1, -1) if direction else range(len(x))):
                h, c = reference_step(kind, x[t], h, c, p, margins)
                steps[t] = h
            outputs.append(np.stack(steps))
            finals_h.append(h)
            finals_c.append(c)
        x = np.concatenate(outputs, axis=-1)
    return x, np.stack(finals_h), (np.stack(finals_c) if kind == "lstm" else None)


def params_of(module, suffix=""):
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    return [getattr(module, name + suffix).numpy() for name in names]


# ---- values -------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(LAYERS))
def test_layer_values_match_the_cell_formulas_step_by_step(kind, rng):
    tl.manual_seed(0)
    layer = LAYERS[kind](3, 4, bidirectional=True).double()
    x = rng.standard_normal((5, 2, 3))
    h0 = rng.standard_normal((2, 2, 4))
    c0 = rng.standard_normal((2, 2, 4))
    output, state = layer(Tensor(x), (Tensor(h0), Tensor(c0)) if kind == "lstm" else Tensor(h0))
    expected, finals = [], []
    for direction, times in enumerate((range(5), range(4, -1, -1))):
        p = params_of(layer, "_l0_reverse" if direction else "_l0")
        h, c, outs = h0[direction], c0[direction], [None] * 5
        for t in times:
            h, c = reference_step(kind, x[t], h, c, p)
            outs[t] = h
        expected.append(np.stack(outs))
        finals.append((h, c))
    assert_close(output, np.concatenate(expected, axis=-1), rtol=1e-12, atol=1e-14)
    h_n = state[0] if kind == "lstm" else state
    assert_close(h_n, np.stack([h for h, _ in finals]), rtol=1e-12, atol=1e-14)
    if kind == "lstm":
        assert_close(state[1], np.stack([c for _, c in finals]), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", list(CELLS))
def test_cell_values_and_unbatched_input(kind, rng):
    tl.manual_seed(1)
    cell = CELLS[kind](3, 2).double()
    x, h, c = rng.standard_normal((4, 3)), rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    hx = (Tensor(h), Tensor(c)) if kind == "lstm" else Tensor(h)
    out = cell(Tensor(x), hx)
    expected_h, expected_c = reference_step(kind, x, h, c, params_of(cell))
    assert_close(out[0] if kind == "lstm" else out, expected_h, rtol=1e-12, atol=1e-14)
    if kind == "lstm":
        assert_close(out[1], expected_c, rtol=1e-12, atol=1e-14)
    one = cell(Tensor(x[0]), (Tensor(h[0]), Tensor(c[0])) if kind == "lstm" else Tensor(h[0]))
    assert_close(one[0] if kind == "lstm" else one, expected_h[0], rtol=1e-12, atol=1e-14)
    zero_state = cell(Tensor(x))  # hx defaults to zeros
    expected_zero, _ = reference_step(kind, x, 0 * h, 0 * c, params_of(cell))
    assert_close(zero_state[0] if kind == "lstm" else zero_state, expected_zero, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_layer_equals_its_cell_in_a_loop_with_shared_weights(kind, rng):
    """The sequence primitive (hand-written BPTT) against the cell (composed of Tensor ops), values and
    gradients, over a stacked layer with an initial state."""
    tl.manual_seed(2)
    layer = LAYERS[kind](3, 2, num_layers=2).double()
    cells = [CELLS[kind](3 if k == 0 else 2, 2).double() for k in range(2)]
    for k, cell in enumerate(cells):
        cell.load_state_dict({name: getattr(layer, f"{name}_l{k}").detach() for name in
                              ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})
    x = rng.standard_normal((4, 2, 3))
    h0, c0 = rng.standard_normal((2, 2, 2)), rng.standard_normal((2, 2, 2))
    out, _ = layer(Tensor(x), (Tensor(h0), Tensor(c0)) if kind == "lstm" else Tensor(h0))
    layer_input = Tensor(x)
    for k, cell in enumerate(cells):
        state = (Tensor(h0[k]), Tensor(c0[k])) if kind == "lstm" else Tensor(h0[k])
        steps = []
        for t in range(4):
            state = cell(layer_input[t], state)
            steps.append(state[0] if kind == "lstm" else state)
        layer_input = tl.stack(steps)
    assert_close(out, layer_input, rtol=1e-12, atol=1e-14)
    weights = np.cos(np.arange(out.numel())).reshape(out.shape)
    (out * Tensor(weights)).sum().backward()
    (layer_input * Tensor(weights)).sum().backward()
    for k, cell in enumerate(cells):
        for name, parameter in cell.named_parameters():
            assert_close(getattr(layer, f"{name}_l{k}").grad, parameter.grad, rtol=1e-10, atol=1e-12)


# ---- gradients ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(CELLS))
@given(data=st.data())
@settings(max_examples=4)
def test_cell_gradcheck_and_gradgradcheck(kind, data):
    batch = data.draw(st.integers(1, 2))
    tl.manual_seed(data.draw(st.integers(0, 2 ** 16)))
    cell = CELLS[kind](2, 2, bias=data.draw(st.booleans())).double()
    x = Tensor(data.draw(arrays((batch, 2))), requires_grad=True)
    h = Tensor(data.draw(arrays((batch, 2))), requires_grad=True)
    c = Tensor(data.draw(arrays((batch, 2))), requires_grad=True)
    margins = []
    reference_step(kind, x.numpy(), h.numpy(), c.numpy(), [None if p is None else p.numpy() for p in
                   (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)], margins)
    assume(not margins or min(margins) > 1e-4)  # relu: away from its kink at 0
    if kind == "lstm":
        def step(x, h, c, *params):
            return cell(x, (h, c))
        inputs = (x, h, c, *cell.parameters())
    else:
        def step(x, h, *params):
            return cell(x, h)
        inputs = (x, h, *cell.parameters())
    assert tl.gradcheck(step, *inputs)
    assert tl.gradgradcheck(step, *inputs)


@pytest.mark.parametrize("kind", list(LAYERS))
@given(data=st.data())
@settings(max_examples=4)
def test_layer_gradcheck_over_random_configurations(kind, data):
    layers, bidirectional = data.draw(st.integers(1, 2)), data.draw(st.booleans())
    batch_first, length, batch = data.draw(st.booleans()), data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2))
    tl.manual_seed(data.draw(st.integers(0, 2 ** 16)))
    layer = LAYERS[kind](2, 2, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first,
                         bias=data.draw(st.booleans())).double()
    x = Tensor(data.draw(arrays((batch, length, 2) if batch_first else (length, batch, 2))), requires_grad=True)
    state_shape = (layers * (2 if bidirectional else 1), batch, 2)
    states = [Tensor(data.draw(arrays(state_shape)), requires_grad=True) for _ in range(2 if kind == "lstm" else 1)]

    def run(x, *tensors):
        hx = (tensors[0], tensors[1]) if kind == "lstm" else tensors[0]
        output, final = layer(x, hx)
        return (output, *final) if kind == "lstm" else (output, final)

    margins = []
    time_major = x.numpy().swapaxes(0, 1) if batch_first else x.numpy()
    expected, h_n, c_n = reference_layer(kind, layer, time_major, states[0].numpy(), states[-1].numpy(), margins)
    assume(not margins or min(margins) > 1e-4)  # relu: away from its kink at 0
    output, *finals = run(x, *states)
    assert_close(output, expected.swapaxes(0, 1) if batch_first else expected, rtol=1e-12, atol=1e-14)
    assert_close(finals[0], h_n, rtol=1e-12, atol=1e-14)
    if kind == "lstm":
        assert_close(finals[1], c_n, rtol=1e-12, atol=1e-14)

    # element by element for one layer, along random directions for the larger stacks (same tolerances)
    assert tl.gradcheck(run, x, *states, *layer.parameters(), fast=layers * (1 + bidirectional) > 2)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_layer_second_derivatives(kind, rng):
    tl.manual_seed(3)
    layer = LAYERS[kind](2, 2, bidirectional=kind.startswith("rnn")).double()
    x = Tensor(rng.standard_normal((2, 1, 2)), requires_grad=True)
    assert tl.gradgradcheck(lambda x, *params: layer(x)[0], x, *layer.parameters())


@pytest.mark.parametrize("kind", list(LAYERS))
@given(data=st.data())
@settings(max_examples=3)
def test_truncated_bptt_with_detached_states(kind, data):
    """Window 2 starts from window 1's final state detached: its gradient is that of a sequence starting
    from a constant, and nothing flows back into window 1."""
    tl.manual_seed(data.draw(st.integers(0, 2 ** 16)))
    layer = LAYERS[kind](2, 2).double()
    first = Tensor(data.draw(arrays((2, 2, 2))), requires_grad=True)
    second = Tensor(data.draw(arrays((3, 2, 2))))
    _, state = layer(first)
    state = tuple(s.detach() for s in state) if kind == "lstm" else state.detach()
    assert all(not s.requires_grad for s in (state if kind == "lstm" else (state,)))
    output, _ = layer(second, state)
    output.sum().backward()
    assert first.grad is None

    def window(*params):
        return layer(second, state)[0]

    assert tl.gradcheck(window, *layer.parameters())


# ---- shapes, modes, parameters ------------------------------------------------------------------
def test_parameter_names_shapes_order_and_initialisation():
    tl.manual_seed(4)
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    names = [name for name, _ in lstm.named_parameters()]
    assert names == [f"{kind}_l{k}{suffix}" for k in range(2) for suffix in ("", "_reverse")
                     for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    assert lstm.weight_ih_l0.shape == (20, 3) and lstm.weight_ih_l1.shape == (20, 10)
    assert lstm.weight_hh_l1_reverse.shape == (20, 5) and lstm.bias_hh_l0.shape == (20,)
    assert all(p.dtype == np.float32 and np.abs(p.numpy()).max() <= 1 / np.sqrt(5) for p in lstm.parameters())
    assert [name for name, _ in nn.GRU(3, 4, bias=False).named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]
    assert nn.GRUCell(3, 4).weight_hh.shape == (12, 4) and nn.RNNCell(3, 4, bias=False).bias_ih is None
    assert len(lstm.all_weights) == 4 and lstm.all_weights[1][0] is lstm.weight_ih_l0_reverse
    assert nn.RNN(2, 3, dtype=tl.float64).weight_ih_l0.dtype == np.float64
    assert repr(nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True)) == \
        "LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True)"
    assert repr(nn.RNN(3, 4, nonlinearity="relu", bias=False)) == "RNN(3, 4, bias=False)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    assert repr(nn.GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"


@pytest.mark.parametrize("kind", list(LAYERS))
def test_output_and_state_shapes_batch_first_unbatched_and_float32(kind, rng):
    tl.manual_seed(5)
    layer = LAYERS[kind](3, 4, num_layers=2, bidirectional=True, batch_first=True)
    output, state = layer(Tensor(rng.standard_normal((2, 5, 3)).astype(np.float32)))
    h_n = state[0] if kind == "lstm" else state
    assert output.shape == (2, 5, 8) and h_n.shape == (4, 2, 4) and output.dtype == np.float32
    assert_close(h_n[2], output[:, -1, :4])  # the last layer's forward direction ends at the last step
    assert_close(h_n[3], output[:, 0, 4:])  # its backward direction at the first
    single, state = layer(Tensor(rng.standard_normal((5, 3)).astype(np.float32)))  # unbatched (L, input)
    assert single.shape == (5, 8) and (state[0] if kind == "lstm" else state).shape == (4, 4)
    empty_batch, _ = LAYERS[kind](3, 4)(Tensor(np.zeros((2, 0, 3), np.float32)))
    assert empty_batch.shape == (2, 0, 4)


def test_dropout_between_layers_only_in_training():
    tl.manual_seed(6)
    x = Tensor(np.ones((3, 2, 2)))
    layer = nn.GRU(2, 3, num_layers=2, dropout=0.5).double()
    layer.eval()
    first, _ = layer(x)
    assert_close(layer(x)[0], first)
    layer.train()
    dropped = [layer(x)[0].numpy() for _ in range(3)]
    assert not all(np.allclose(d, first.numpy()) for d in dropped)
    layer.dropout = 1.0  # everything dropped: the second layer sees zeros
    zeros_input = nn.GRU(3, 3).double()
    zeros_input.load_state_dict({name[:-1] + "0": value for name, value in layer.state_dict().items()
                                 if name.endswith("l1")})
    assert_close(layer(x)[0], zeros_input(Tensor(np.zeros((3, 2, 3))))[0])
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(2, 3, dropout=0.2)


def test_state_dict_loads_between_layers_of_the_same_configuration(rng):
    tl.manual_seed(7)
    a, b = nn.LSTM(2, 3, num_layers=2), nn.LSTM(2, 3, num_layers=2)
    b.load_state_dict(a.state_dict())
    x = Tensor(rng.standard_normal((4, 1, 2)).astype(np.float32))
    assert_close(a(x)[0], b(x)[0])


# ---- errors -------------------------------------------------------------------------------------
def test_errors_name_the_layer_and_the_problem():
    rnn, lstm, cell = nn.RNN(3, 4), nn.LSTM(3, 4), nn.LSTMCell(3, 4)
    x = Tensor(np.zeros((5, 2, 3), np.float32))
    with pytest.raises(RuntimeError, match=r"input.size\(-1\) must be equal to input_size. Expected 3, got 4"):
        rnn(Tensor(np.zeros((5, 2, 4), np.float32)))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]"):
        rnn(x, Tensor(np.zeros((1, 3, 4), np.float32)))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(1, 2, 4\), got \[1, 2, 5\]"):
        lstm(x, (Tensor(np.zeros((1, 2, 4), np.float32)), Tensor(np.zeros((1, 2, 5), np.float32))))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D but got 2-D tensor"):
        rnn(x, Tensor(np.zeros((2, 4), np.float32)))
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"):
        rnn(Tensor(np.zeros((5, 3), np.float32)), Tensor(np.zeros((1, 1, 4), np.float32)))
    with pytest.raises(ValueError, match="RNN: Expected input to be 2D or 3D, got 4D tensor instead"):
        rnn(Tensor(np.zeros((5, 2, 3, 1), np.float32)))
    with pytest.raises(ValueError, match=r"input dtype \(float64\) does not match weight dtype \(float32\)"):
        rnn(Tensor(np.zeros((5, 2, 3))))
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0"):
        rnn(Tensor(np.zeros((0, 2, 3), np.float32)))
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h_0, c_0\)"):
        lstm(x, Tensor(np.zeros((1, 2, 4), np.float32)))
    with pytest.raises(RuntimeError, match="LSTMCell: input has inconsistent input_size: got 4 expected 3"):
        cell(Tensor(np.zeros((2, 4), np.float32)))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hx\\[0\\] batch size 3"):
        cell(Tensor(np.zeros((2, 3), np.float32)), (Tensor(np.zeros((3, 4), np.float32)),) * 2)
    with pytest.raises(RuntimeError, match="hx has inconsistent hidden_size: got 5, expected 4"):
        nn.GRUCell(3, 4)(Tensor(np.zeros((2, 3), np.float32)), Tensor(np.zeros((2, 5), np.float32)))
    with pytest.raises(ValueError, match="LSTMCell: Expected input to be 1D or 2D, got 3D instead"):
        cell(Tensor(np.zeros((1, 2, 3), np.float32)))
    with pytest.raises(TypeError, match="RNNCell: the input is float64 but the weights are float32"):
        nn.RNNCell(3, 4)(Tensor(np.zeros((2, 3))))
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'."):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="RNNCell: Unknown nonlinearity: sigmoid"):
        nn.RNNCell(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.GRU(3, 4, num_layers=2, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.GRU(3, 0)
    with pytest.raises(ValueError, match="num_layers must be greater than zero"):
        nn.GRU(3, 2, num_layers=0)
    with pytest.raises(TypeError, match="hidden_size should be of type int, got: float"):
        nn.LSTM(3, 2.0)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(NotImplementedError, match="proj_size > 0"):
        nn.LSTM(3, 4, proj_size=2)


# ---- pad_sequence -------------------------------------------------------------------------------
def test_pad_sequence_values_sides_dtypes_and_gradients():
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([4.0], requires_grad=True)
    padded = pad_sequence([a, b])
    assert padded.shape == (3, 2) and padded.dtype == np.float32
    assert padded.tolist() == [[1, 4], [2, 0], [3, 0]]
    left = pad_sequence([a, b], batch_first=True, padding_value=-1, padding_side="left")
    assert left.tolist() == [[1, 2, 3], [-1, -1, 4]]
    (left * Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    assert a.grad.tolist() == [1, 2, 3] and b.grad.tolist() == [6]
    ints = pad_sequence([tl.tensor([5, 6]), tl.tensor([1.0, 2.0, 3.0])], padding_value=7)
    assert ints.dtype == np.int64 and ints.tolist() == [[5, 1], [6, 2], [7, 3]]  # the first sequence's dtype
    frames = pad_sequence([Tensor(np.ones((2, 3))), Tensor(np.ones((1, 3)))], batch_first=True)
    assert frames.shape == (2, 2, 3) and frames.numpy()[1, 1].tolist() == [0, 0, 0]
    assert pad_sequence(Tensor(np.zeros((2, 3)))).shape == (3, 2)  # a tensor: the sequences are its rows
    with pytest.raises(RuntimeError, match="received an empty list of sequences"):
        pad_sequence([])
    with pytest.raises(RuntimeError, match="Expected padding_side to be one of left or right, but got middle"):
        pad_sequence([a], padding_side="middle")
    with pytest.raises(RuntimeError, match=r"sequence 1 has shape \(2, 2\), but every sequence must be"):
        pad_sequence([a, Tensor(np.zeros((2, 2)))])


# ---- PyTorch ------------------------------------------------------------------------------------
def _to_torch(torch, module, theirs_class, *args, **kwargs):
    theirs = theirs_class(*args, **kwargs).double()
    module.load_state_dict({name: value.detach().numpy() for name, value in theirs.state_dict().items()})
    return theirs


@pytest.mark.torch
@pytest.mark.parametrize("kind", list(LAYERS))
def test_layers_match_torch_values_and_gradients(kind, rng):
    torch = pytest.importorskip("torch")
    theirs_class = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}.get(kind, torch.nn.RNN)
    extra = {"nonlinearity": "relu"} if kind == "rnn_relu" else {}
    configurations = [dict(), dict(num_layers=2, bidirectional=True), dict(bias=False, batch_first=True),
                      dict(num_layers=3, batch_first=True, bidirectional=True)]
    for config in configurations:
        for given_state in (True, False):
            for unbatched in (False, True):
                ours = LAYERS[kind](3, 4, **config).double()
                theirs = _to_torch(torch, ours, theirs_class, 3, 4, **config, **extra)
                batch_first = config.get("batch_first", False)
                shape = (4, 3) if unbatched else (2, 4, 3) if batch_first else (4, 2, 3)
                x = rng.standard_normal(shape)
                directions = (2 if config.get("bidirectional") else 1) * config.get("num_layers", 1)
                states = [rng.standard_normal((directions, 4) if unbatched else (directions, 2, 4))
                          for _ in range(2 if kind == "lstm" else 1)]
                x_ours, x_theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
                s_ours = [Tensor(s, requires_grad=True) for s in states]
                s_theirs = [torch.tensor(s, requires_grad=True) for s in states]

                def call(layer, x, s):
                    if not given_state:
                        return layer(x)
                    return layer(x, tuple(s) if kind == "lstm" else s[0])

                out_ours, out_theirs = call(ours, x_ours, s_ours), call(theirs, x_theirs, s_theirs)
                flat_ours = [out_ours[0], *(out_ours[1] if kind == "lstm" else [out_ours[1]])]
                flat_theirs = [out_theirs[0], *(out_theirs[1] if kind == "lstm" else [out_theirs[1]])]
                for mine, other in zip(flat_ours, flat_theirs):
                    assert_close(mine, other.detach().numpy(), rtol=1e-10, atol=1e-12, message=f"{kind} {config}")
                seeds = [np.cos(np.arange(t.numel()) + k).reshape(tuple(t.shape)) for k, t in enumerate(flat_ours)]
                sum((t * Tensor(s)).sum() for t, s in zip(flat_ours, seeds)).backward()
                sum((t * torch.tensor(s)).sum() for t, s in zip(flat_theirs, seeds)).backward()
                assert_close(x_ours.grad, x_theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
                if given_state:
                    for mine, other in zip(s_ours, s_theirs):
                        assert_close(mine.grad, other.grad.numpy(), rtol=1e-10, atol=1e-12)
                for (name, mine), (other_name, other) in zip(ours.named_parameters(), theirs.named_parameters()):
                    assert name == other_name
                    assert_close(mine.grad, other.grad.numpy(), rtol=1e-10, atol=1e-12, message=name)


@pytest.mark.torch
@pytest.mark.parametrize("kind", list(CELLS))
def test_cells_match_torch_values_and_gradients(kind, rng):
    torch = pytest.importorskip("torch")
    theirs_class = {"lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}.get(kind, torch.nn.RNNCell)
    extra = {"nonlinearity": "relu"} if kind == "rnn_relu" else {}
    for batch_shape in ((3,), ()):
        ours = CELLS[kind](3, 4).double()
        theirs = _to_torch(torch, ours, theirs_class, 3, 4, **extra)
        x, h, c = (rng.standard_normal(batch_shape + (n,)) for n in (3, 4, 4))
        mine = [Tensor(a, requires_grad=True) for a in (x, h, c)]
        other = [torch.tensor(a, requires_grad=True) for a in (x, h, c)]
        out_ours = ours(mine[0], (mine[1], mine[2]) if kind == "lstm" else mine[1])
        out_theirs = theirs(other[0], (other[1], other[2]) if kind == "lstm" else other[1])
        out_ours = out_ours if kind == "lstm" else (out_ours,)
        out_theirs = out_theirs if kind == "lstm" else (out_theirs,)
        for a, b in zip(out_ours, out_theirs):
            assert_close(a, b.detach().numpy(), rtol=1e-12, atol=1e-14)
        sum((a * (k + 1.5)).sum() for k, a in enumerate(out_ours)).backward()
        sum((b * (k + 1.5)).sum() for k, b in enumerate(out_theirs)).backward()
        for a, b in zip(mine[:3 if kind == "lstm" else 2], other):
            assert_close(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-12)
        for (_, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert_close(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh"])
def test_state_dicts_load_both_ways_with_identical_outputs(kind, rng):
    torch = pytest.importorskip("torch")
    theirs_class = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}.get(kind, torch.nn.RNN)
    x = rng.standard_normal((5, 2, 3)).astype(np.float32)
    tl.manual_seed(8)
    ours = LAYERS[kind](3, 4, num_layers=2, bidirectional=True)
    theirs = theirs_class(3, 4, num_layers=2, bidirectional=True)
    theirs.load_state_dict({name: torch.from_numpy(value.numpy().copy()) for name, value in ours.state_dict().items()})
    assert list(theirs.state_dict()) == list(ours.state_dict())
    assert_close(ours(Tensor(x))[0], theirs(torch.from_numpy(x))[0].detach().numpy(), rtol=1e-5, atol=1e-6)
    fresh_theirs = theirs_class(3, 4, num_layers=2, bidirectional=True)
    fresh_ours = LAYERS[kind](3, 4, num_layers=2, bidirectional=True)
    fresh_ours.load_state_dict({name: value.numpy() for name, value in fresh_theirs.state_dict().items()})
    assert_close(fresh_ours(Tensor(x))[0], fresh_theirs(torch.from_numpy(x))[0].detach().numpy(), rtol=1e-5,
                 atol=1e-6)


@pytest.mark.torch
def test_truncated_bptt_training_matches_torch(rng):
    """Three windows of a character-model step (Embedding, LSTM, Linear, summed cross-entropy, SGD) with the
    state carried detached: the weights after training agree with PyTorch's."""
    torch = pytest.importorskip("torch")
    from tinygrad_like.nn import functional as F
    text = rng.integers(0, 7, (3, 4, 2))  # windows x time x streams
    targets = rng.integers(0, 7, (3, 4, 2))
    ours = [nn.Embedding(7, 3).double(), nn.LSTM(3, 5).double(), nn.Linear(5, 7).double()]
    theirs = [torch.nn.Embedding(7, 3).double(), torch.nn.LSTM(3, 5).double(), torch.nn.Linear(5, 7).double()]
    for a, b in zip(ours, theirs):
        a.load_state_dict({name: value.detach().numpy() for name, value in b.state_dict().items()})
    opt_ours = tl.optim.SGD([p for m in ours for p in m.parameters()], lr=0.1)
    opt_theirs = torch.optim.SGD([p for m in theirs for p in m.parameters()], lr=0.1)
    state_ours = state_theirs = None
    for k in range(3):
        opt_ours.zero_grad()
        output, state_ours = ours[1](ours[0](text[k]), state_ours)
        loss = F.cross_entropy(ours[2](output).reshape(-1, 7), targets[k].reshape(-1), reduction="sum")
        loss.backward()
        opt_ours.step()
        state_ours = tuple(s.detach() for s in state_ours)
        opt_theirs.zero_grad()
        output, state_theirs = theirs[1](theirs[0](torch.from_numpy(text[k])), state_theirs)
        loss_theirs = torch.nn.functional.cross_entropy(theirs[2](output).reshape(-1, 7),
                                                        torch.from_numpy(targets[k]).reshape(-1), reduction="sum")
        loss_theirs.backward()
        opt_theirs.step()
        state_theirs = tuple(s.detach() for s in state_theirs)
        assert_close(loss, loss_theirs.item(), rtol=1e-12)
    for a, b in zip(ours, theirs):
        for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
            assert_close(p, q.detach().numpy(), rtol=1e-10, atol=1e-12, message=name)


@pytest.mark.torch
def test_pad_sequence_matches_torch(rng):
    torch = pytest.importorskip("torch")
    from torch.nn.utils.rnn import pad_sequence as torch_pad
    sequences = [rng.standard_normal((n, 2)) for n in (3, 1, 4)]
    for batch_first in (False, True):
        for side in ("left", "right"):
            ours = pad_sequence([Tensor(s) for s in sequences], batch_first, -2.0, side)
            theirs = torch_pad([torch.tensor(s) for s in sequences], batch_first, -2.0, side)
            assert_close(ours, theirs.numpy())
