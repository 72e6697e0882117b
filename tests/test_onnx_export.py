"""tinygrad_like.onnx.export: every layer and op with an ONNX form, and the book's networks, exported and
run in onnxruntime against our own outputs (atol 1e-5 in float32), the files checked by onnx.checker.

Each export is also run at another batch size than the example's (the batch axis is dynamic by default).
Marked interop: `pytest -m interop` runs them where onnx and onnxruntime are installed.
"""
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_like as tl
from tinygrad_like import Function, Tensor, nn
from tinygrad_like.nn import functional as F

from tinygrad_like.onnx import ExportError, export, exports

pytestmark = pytest.mark.interop
RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True, scope="module")
def runtimes():
    """onnx and onnxruntime, imported by the tests that run (the default run deselects them all)."""
    return pytest.importorskip("onnx"), pytest.importorskip("onnxruntime")


def normal(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def session(proto):
    import onnxruntime
    return onnxruntime.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])


def ours(model, inputs):
    with tl.no_grad():
        out = model(*[Tensor(x) for x in inputs])
    return [t.numpy() for t in (out if isinstance(out, (tuple, list)) else [out])]


def check(model, inputs, other=None, atol=1e-5, tmp_path=None, **options):
    """Export, check the file, and compare onnxruntime's outputs with ours on `inputs` and on `other`
    (inputs of another batch size; made by repeating rows when not given)."""
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    if hasattr(model, "eval"):
        model.eval()
    path = None if tmp_path is None else tmp_path / "model.onnx"
    proto = export(model, inputs, path, **options)
    import onnx.checker
    onnx.checker.check_model(proto, full_check=True)
    runner = session(proto)
    names = [i.name for i in proto.graph.input]
    if other is None and options.get("dynamic_axes") != {}:
        other = tuple(np.concatenate([x, x[:1], x[-1:]]) if x.ndim else x for x in inputs)
    for feed in [inputs] + ([other] if other is not None else []):
        results = runner.run(None, dict(zip(names, feed)))
        expected = ours(model, feed)
        assert len(results) == len(expected)
        for theirs, mine in zip(results, expected):
            assert theirs.shape == mine.shape and theirs.dtype == mine.dtype
            np.testing.assert_allclose(theirs, mine, rtol=1e-5, atol=atol)
    return proto


def ops_used(proto):
    return {node.op_type for node in proto.graph.node}


class Lambda(nn.Module):
    def __init__(self, function):
        super().__init__()
        self.function = function

    def forward(self, *xs):
        return self.function(*xs)


# ---- layers --------------------------------------------------------------------------------------------------
def mha():
    tl.manual_seed(0)
    attention = nn.MultiheadAttention(8, 2, batch_first=True)
    return Lambda(lambda x: attention(x, x, x, need_weights=False)[0]), normal(2, 5, 8)


LAYERS = {
    "Linear": lambda: (nn.Linear(4, 3), normal(3, 4)),
    "Linear-3d": lambda: (nn.Linear(4, 3), normal(2, 5, 4)),
    "Linear-no-bias": lambda: (nn.Linear(4, 3, bias=False), normal(3, 4)),
    "Linear-float64": lambda: (nn.Linear(4, 3).double(), normal(3, 4, dtype=np.float64)),
    "MLP": lambda: (nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 4), nn.Softmax(-1)),
                    normal(3, 6)),
    "ReLU": lambda: (nn.ReLU(), normal(3, 4)),
    "ReLU-inplace": lambda: (nn.Sequential(nn.Linear(4, 4), nn.ReLU(inplace=True)), normal(3, 4)),
    "Sigmoid": lambda: (nn.Sigmoid(), normal(3, 4)),
    "Tanh": lambda: (nn.Tanh(), normal(3, 4)),
    "Softmax": lambda: (nn.Softmax(dim=1), normal(3, 4, 2)),
    "LogSoftmax": lambda: (nn.LogSoftmax(dim=-1), normal(3, 4)),
    "Flatten": lambda: (nn.Flatten(), normal(3, 2, 4)),
    "Unflatten": lambda: (nn.Unflatten(1, (2, 4)), normal(3, 8)),
    "Identity": lambda: (nn.Identity(), normal(3, 4)),
    "Dropout": lambda: (nn.Dropout(0.3), normal(3, 4)),
    "Embedding": lambda: (nn.Embedding(10, 4), RNG.integers(0, 10, (3, 5))),
    "GELU": lambda: (nn.GELU(), normal(3, 4)),
    "GELU-tanh": lambda: (nn.GELU(approximate="tanh"), normal(3, 4)),
    "SiLU": lambda: (nn.SiLU(), normal(3, 4)),
    "ELU": lambda: (nn.ELU(alpha=0.7), normal(3, 4)),
    "SELU": lambda: (nn.SELU(), normal(3, 4)),
    "CELU": lambda: (nn.CELU(alpha=1.5), normal(3, 4)),
    "Softplus": lambda: (nn.Softplus(), normal(3, 4) * 10),
    "Softplus-beta": lambda: (nn.Softplus(beta=2.0, threshold=3.0), normal(3, 4) * 3),
    "Softsign": lambda: (nn.Softsign(), normal(3, 4)),
    "LeakyReLU": lambda: (nn.LeakyReLU(0.2), normal(3, 4)),
    "PReLU": lambda: (nn.PReLU(4, init=0.3), normal(3, 4, 2)),
    "Hardtanh": lambda: (nn.Hardtanh(-0.5, 0.8), normal(3, 4)),
    "ReLU6": lambda: (nn.ReLU6(), normal(3, 4) * 5),
    "Hardsigmoid": lambda: (nn.Hardsigmoid(), normal(3, 4) * 4),
    "Hardswish": lambda: (nn.Hardswish(), normal(3, 4) * 4),
    "Mish": lambda: (nn.Mish(), normal(3, 4)),
    "LogSigmoid": lambda: (nn.LogSigmoid(), normal(3, 4) * 10),
    "BatchNorm1d": lambda: (trained(nn.BatchNorm1d(4), normal(6, 4)), normal(3, 4)),
    "BatchNorm2d": lambda: (trained(nn.BatchNorm2d(3), normal(4, 3, 2, 2)), normal(2, 3, 2, 2)),
    "LayerNorm": lambda: (nn.LayerNorm(4), normal(3, 2, 4)),
    "LayerNorm-2d": lambda: (nn.LayerNorm((2, 4)), normal(3, 2, 4)),
    "GroupNorm": lambda: (nn.GroupNorm(2, 4), normal(3, 4, 5)),
    "InstanceNorm1d": lambda: (nn.InstanceNorm1d(4, affine=True), normal(3, 4, 5)),
    "RMSNorm": lambda: (nn.RMSNorm(4), normal(3, 4)),
    "LocalResponseNorm": lambda: (nn.LocalResponseNorm(3), normal(2, 5, 3)),
    "Upsample-nearest": lambda: (nn.Upsample(scale_factor=2), normal(2, 3, 4)),
    "Upsample-bilinear": lambda: (nn.Upsample(scale_factor=2, mode="bilinear"), normal(2, 3, 3, 4)),
    "MultiheadAttention": mha,
    "Conv1d": lambda: (nn.Conv1d(3, 4, 3, padding=1), normal(2, 3, 6)),
    "Conv2d-strided": lambda: (nn.Conv2d(3, 4, 3, stride=2, padding=1), normal(2, 3, 6, 5)),
    "Conv2d-groups-dilation-same": lambda: (nn.Conv2d(4, 6, 3, padding="same", dilation=2, groups=2, bias=False),
                                            normal(2, 4, 6, 6)),
    "Conv3d": lambda: (nn.Conv3d(2, 3, 2), normal(2, 2, 3, 4, 3)),
    "ConvTranspose1d": lambda: (nn.ConvTranspose1d(3, 2, 3, stride=2), normal(2, 3, 4)),
    "ConvTranspose2d": lambda: (nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, groups=2),
                                normal(2, 4, 3, 3)),
    "MaxPool2d": lambda: (nn.MaxPool2d(2), normal(2, 3, 4, 6)),
    "MaxPool2d-ceil-padding": lambda: (nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), normal(2, 3, 6, 5)),
    "MaxPool1d-dilation": lambda: (nn.MaxPool1d(2, dilation=2), normal(2, 3, 7)),
    "AvgPool2d": lambda: (nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), normal(2, 3, 6, 5)),
    "AvgPool2d-ceil": lambda: (nn.AvgPool2d(2, ceil_mode=True), normal(2, 3, 5, 5)),
    "AvgPool1d": lambda: (nn.AvgPool1d(3, padding=1), normal(2, 3, 7)),
    "AdaptiveAvgPool2d": lambda: (nn.AdaptiveAvgPool2d((2, 3)), normal(2, 3, 5, 7)),
    "AdaptiveMaxPool2d": lambda: (nn.AdaptiveMaxPool2d((2, 3)), normal(2, 3, 5, 7)),
    "LPPool2d": lambda: (nn.LPPool2d(2, 2), normal(2, 3, 4, 4)),
    "Unfold": lambda: (nn.Unfold(kernel_size=2, padding=1, stride=2), normal(2, 3, 4, 5)),
    "Fold": lambda: (nn.Fold(output_size=(3, 4), kernel_size=2), normal(2, 3 * 4, 6)),
    "CNN": lambda: (nn.Sequential(nn.Conv2d(1, 4, 3), trained(nn.BatchNorm2d(4), normal(3, 4, 6, 6)), nn.ReLU(),
                                  nn.MaxPool2d(2), nn.Flatten(), nn.Linear(36, 5)), normal(2, 1, 8, 8)),
    "RNN": lambda: (First(nn.RNN(4, 5, num_layers=2, batch_first=True)), normal(2, 3, 4)),
    "RNN-relu": lambda: (First(nn.RNN(4, 5, nonlinearity="relu")), normal(3, 2, 4)),
    "LSTM-bidirectional": lambda: (First(nn.LSTM(4, 5, bidirectional=True, batch_first=True)), normal(2, 3, 4)),
    "LSTM-states": lambda: (Flat(nn.LSTM(4, 5, num_layers=2)), normal(3, 2, 4)),
    "GRU": lambda: (First(nn.GRU(4, 5, num_layers=2, bidirectional=True)), normal(3, 2, 4)),
    "GRU-no-bias": lambda: (First(nn.GRU(4, 5, bias=False, batch_first=True)), normal(2, 3, 4)),
    "BatchNorm3d": lambda: (trained(nn.BatchNorm3d(2), normal(3, 2, 2, 2, 2)), normal(2, 2, 2, 3, 2)),
    "InstanceNorm2d": lambda: (nn.InstanceNorm2d(3), normal(2, 3, 3, 4)),
    "Dropout2d": lambda: (nn.Dropout2d(0.5), normal(2, 3, 2, 2)),
    "AlphaDropout": lambda: (nn.Sequential(nn.AlphaDropout(0.2), nn.FeatureAlphaDropout(0.3)), normal(2, 3, 4)),
    "ConvTranspose3d": lambda: (nn.ConvTranspose3d(2, 3, 2, stride=2), normal(2, 2, 2, 3, 2)),
    "MaxPool3d": lambda: (nn.MaxPool3d(2, stride=1), normal(2, 2, 3, 3, 4)),
    "AvgPool3d": lambda: (nn.AvgPool3d(2), normal(2, 2, 4, 2, 4)),
    "AdaptiveAvgPool1d": lambda: (nn.AdaptiveAvgPool1d(3), normal(2, 3, 7)),
    "AdaptiveMaxPool1d": lambda: (nn.AdaptiveMaxPool1d(4), normal(2, 3, 6)),
    "UpsamplingBilinear2d": lambda: (nn.UpsamplingBilinear2d(scale_factor=2), normal(2, 2, 3, 3)),
    "Upsample-bicubic": lambda: (nn.Upsample(size=(5, 4), mode="bicubic"), normal(2, 2, 3, 3)),
    "Upsample-trilinear": lambda: (nn.Upsample(scale_factor=2, mode="trilinear"), normal(2, 1, 2, 2, 3)),
    "RNNCell": lambda: (nn.RNNCell(4, 5), normal(3, 4)),
    "LSTMCell": lambda: (First(nn.LSTMCell(4, 5)), normal(3, 4)),
    "GRUCell": lambda: (nn.GRUCell(4, 5), normal(3, 4)),
}


class First(nn.Module):
    """The first output of a layer that returns several (a recurrent layer's outputs)."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return self.layer(x)[0]


class Flat(First):
    """An LSTM's output and final states (h_n, c_n) as three outputs."""

    def forward(self, x):
        output, (h, c) = self.layer(x)
        return output, h, c


def trained(layer, batch):
    layer.train()
    layer(Tensor(batch))  # running statistics away from their initial 0 and 1
    return layer


@pytest.mark.parametrize("name", LAYERS)
def test_each_layer_runs_in_onnxruntime_as_it_runs_here(name):
    tl.manual_seed(1)
    model, x = LAYERS[name]()
    check(model, x)


# ---- ops --------------------------------------------------------------------------------------------------------
def positive(*shape):
    return np.abs(normal(*shape)) + 0.5


OPS = {
    "add-sub-mul-div": (lambda x: (x + 1.5) * 2 - x / 3, normal(3, 4)),
    "broadcast": (lambda x, w=Tensor(normal(4)), b=Tensor(normal(1, 4)): x * w + b, normal(3, 4)),
    "pow": (lambda x: x ** 3 + 2 ** x.clamp(-3, 3) + x.abs() ** 0.5, normal(3, 4)),
    "exp-log-sqrt": (lambda x: x.exp() + x.log() + x.sqrt(), positive(3, 4)),
    "abs-neg": (lambda x: -x.abs(), normal(3, 4)),
    "maximum-minimum": (lambda x, w=Tensor(normal(4)): x.maximum(w).minimum(Tensor([0.5])), normal(3, 4)),
    "clamp": (lambda x: x.clamp(-0.5, 0.5) + x.clamp(min=0) + x.clamp(max=0.1), normal(3, 4)),
    "where-constant-mask": (lambda x: tl.where(np.array([True, False, True, False]), x, -x), normal(3, 4)),
    "masked_fill": (lambda x: x.masked_fill(np.array([[True, False, False, True]]), 0.0), normal(3, 4)),
    "astype": (lambda x: x.double() * 2, normal(3, 4)),
    "sum-mean": (lambda x: x.sum(1) + x.mean(dim=-1) + x.sum(), normal(3, 4)),
    "sum-keepdim": (lambda x: x - x.mean((1, 2), keepdim=True) + x.sum(-1, keepdim=True), normal(3, 4, 2)),
    "amax-amin": (lambda x: x.amax(1) - x.amin(dim=1), normal(3, 4)),
    "max-min-dim": (lambda x: x.max(1).values + x.min(dim=1)[0], normal(3, 4)),
    "prod": (lambda x: x.prod(1), normal(3, 4)),
    "norm": (lambda x: x.norm(dim=1) + x.norm(), normal(3, 4)),
    "var-std": (lambda x: x.var(1) + x.std(1, keepdim=True).sum(1), normal(3, 4)),
    "softmax": (lambda x: x.softmax(0) + x.log_softmax(dim=1), normal(3, 4)),
    "cumsum": (lambda x: x.cumsum(1) + x.cumsum(dim=0), normal(3, 4)),
    "matmul": (lambda x, w=Tensor(normal(4, 5)): x @ w, normal(3, 4)),
    "matmul-vector": (lambda x, w=Tensor(normal(4)): x @ w, normal(3, 4)),
    "bmm": (lambda x: x @ x.transpose(1, 2), normal(3, 4, 2)),
    "einsum": (lambda x, w=Tensor(normal(4, 2)): tl.einsum("bi,ij->bj", x, w), normal(3, 4)),
    "reshape-view": (lambda x: x.reshape(-1, 2, 2).view(x.shape[0], 4) + x.flatten(1), normal(3, 4)),
    "transpose-permute": (lambda x: x.transpose(0, 2).permute(2, 0, 1), normal(3, 4, 2)),
    "unsqueeze-squeeze": (lambda x: x.unsqueeze(1).unsqueeze(-1).squeeze(-1), normal(3, 4)),
    "expand": (lambda x, w=Tensor(normal(5, 1)): x.unsqueeze(1).expand(-1, 5, 4) + w.expand(5, 4), normal(3, 4)),
    "cat-stack": (lambda x: tl.cat([x, x * 2], 1) + tl.stack([x, -x], 2).sum(2).repeat(1, 2), normal(3, 4)),
    "slices": (lambda x: x[:, 1:3] + x[:, ::-2] + x[..., -2:], normal(3, 4)),
    "index-int-none": (lambda x: x[:, 0, None] * x[:, -1][:, None] + x[:, None, 2, 1:2].squeeze(1), normal(3, 4, 2)),
    "index-array": (lambda x: x[:, [3, 0, 0, 2]] + x[:, np.array([1, 1, 2, 3])], normal(3, 4)),
    "flip-roll": (lambda x: x.flip(1) + x.roll(1, 1) + x.roll((2, -1), (1, 2)), normal(3, 4, 2)),
    "tile-repeat_interleave": (lambda x: x.tile((2,)) + x.repeat_interleave(2, dim=1), normal(3, 4)),
    "chunk-split": (lambda x: x.chunk(2, 1)[0] * x.split([1, 3], 1)[1][:, :2], normal(3, 4)),
    "trig": (lambda x: x.sin() + x.cos() + x.atan() + x.sinh() + x.cosh() + x.asinh() + x.tanh(), normal(3, 4)),
    "arc": (lambda x: (x * 0.9).asin() + (x * 0.9).acos() + (x * 0.9).atanh() + (x.abs() + 1).acosh(),
            np.tanh(normal(3, 4))),
    "unary": (lambda x: x.exp2() + x.log1p() + x.expm1() + x.rsqrt() + x.reciprocal(), positive(3, 4)),
    "rounding": (lambda x: x.sign() + x.floor() + x.ceil() + x.trunc() + x.round() + x.round(decimals=1)
                 + x.frac(), normal(3, 4) * 3),
    "hypot-atan2": (lambda x: x.hypot(x * 2 - 1) + x.atan2(x.flip(0)), normal(4, 4)),
    "division-modes": (lambda x: x // 0.7 + x.div(0.7, rounding_mode="trunc") + x.div(-0.6, rounding_mode="floor")
                       + x % 0.8 + x % -0.8 + x.fmod(0.9), normal(3, 4) * 3),
    "nan_to_num": (lambda x: (x / (x - x.round())).nan_to_num(nan=1.0),  # 0/0, x/0 and finite quotients
                   np.array([[0.0, 1.0, 2.5, -3.0]] * 3, np.float32)),
    "leaky_relu-prelu-functional": (lambda x: F.leaky_relu(x, 0.1) + x.prelu(Tensor([0.25])), normal(3, 4)),
    "erf": (lambda x: F.gelu(x) * 2, normal(3, 4)),
    "several-outputs": (lambda x: (x.relu(), x.sigmoid() * 2), normal(3, 4)),
    "pad-constant": (lambda x: F.pad(x, (1, 2, 0, -1), value=0.5), normal(2, 3, 4)),
    "pad-modes": (lambda x: F.pad(x, (2, 1), mode="reflect") + F.pad(x, (2, 1), mode="replicate")
                  + F.pad(x, (2, 1), mode="circular"), normal(2, 3, 4)),
    "diagonal": (lambda x: x.diagonal(1, 1, 2) + x.diagonal(-1, 2, 1), normal(2, 4, 4)),
    "unfold-windows": (lambda x: x.unfold(1, 3, 2).sum(-1), normal(3, 7)),
}


@pytest.mark.parametrize("name", OPS)
def test_each_op_runs_in_onnxruntime_as_it_runs_here(name):
    function, x = OPS[name]
    check(Lambda(function), x)


def write_first_column(x):
    y = x * 2
    y[:, 0] = 0.5  # one number, and the batch axis whole: any batch size
    return y


def write_block(x, w=Tensor(normal(3, 2))):
    y = x + 0
    y[:, [0, 2]] = w
    y[1:, -1] = Tensor([7.0, 8.0])
    return y


INDEX = Tensor(np.array([[0, 2, 2, 1], [3, 3, 0, 0], [1, 0, 2, 3]]))
STATIC_OPS = {  # writes at positions of the whole tensor: fixed sizes only
    "setitem": (write_block, normal(3, 4)),
    "scatter-family": (lambda x, src=Tensor(normal(3, 4)): x.scatter(1, INDEX, src) + x.scatter_add(1, INDEX, x)
                       + x.index_add(1, Tensor(np.array([3, 0, 3])), x[:, :3]) + x.index_fill(1, INDEX[0, :2], 2.0)
                       + x.index_copy(0, Tensor(np.array([2, 0, 1])), x * 3), normal(3, 4)),
    "masked_scatter": (lambda x: x.masked_scatter(Tensor(np.array([[True, False, True, True]])), x * 10),
                       normal(3, 4)),
    "diag_embed": (lambda x: x.diag_embed() + x.diag_embed(1)[..., 1:, :-1], normal(3, 4)),
}


@pytest.mark.parametrize("name", STATIC_OPS)
def test_writes_at_positions_with_fixed_sizes(name):
    function, x = STATIC_OPS[name]
    check(Lambda(function), x, dynamic_axes={}, opset_version=18)


def write_columns(x):
    y = x + 0
    y[:, [0, 2]] = 1.5  # an index array: positions in the whole tensor
    return y


def test_a_write_of_one_number_keeps_the_batch_dynamic():
    check(Lambda(write_first_column), normal(3, 4))
    with pytest.raises(ExportError, match="writes at positions of a tensor with a dynamic axis; pass dynamic_axes"):
        export(Lambda(write_columns), normal(3, 4))
    check(Lambda(write_columns), normal(3, 4), dynamic_axes={})


def test_two_inputs_and_names(tmp_path):
    model = Lambda(lambda a, b: a @ b.transpose(1, 2))
    proto = check(model, (normal(2, 3, 4), normal(2, 5, 4)), tmp_path=tmp_path, input_names=["a", "b"],
                  output_names=["scores"], dynamic_axes={"a": {0: "n"}, "b": {0: "n"}, "scores": {0: "n"}})
    assert [i.name for i in proto.graph.input] == ["a", "b"] and proto.graph.output[0].name == "scores"
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "n"
    import onnx
    assert onnx.load(tmp_path / "model.onnx").graph.output[0].name == "scores"


def test_fixed_sizes_without_dynamic_axes():
    proto = check(nn.Flatten(), normal(3, 2, 2), dynamic_axes={})
    assert [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim] == [3, 2, 2]


def test_a_dynamic_sequence_axis_besides_the_batch():
    model = Lambda(lambda x: x.reshape(x.shape[0], x.shape[1], 2, 2).sum(-1) + x.mean(1, keepdim=True)[..., :2])
    x = normal(2, 3, 4)
    proto = check(model, x, other=(normal(5, 7, 4),), dynamic_axes={"input": {0: "batch", 1: "time"}})
    assert [d.dim_param for d in proto.graph.input[0].type.tensor_type.shape.dim[:2]] == ["batch", "time"]


def test_parameters_keep_their_state_dict_names_and_dropout_is_gone():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(), nn.Linear(8, 2))
    proto = check(model, normal(3, 4))
    assert {i.name for i in proto.graph.initializer} == {"0.weight", "0.bias", "3.weight", "3.bias"}
    assert ops_used(proto) == {"Gemm", "Relu", "Identity"}
    assert model[2].training is False  # check() put it in eval mode: export restores what it found


def test_export_restores_training_mode():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout())
    model.train()
    export(model, normal(3, 2))
    assert all(module.training for module in model.modules())


def test_a_mask_computed_outside_the_graph_is_refused_by_name():
    # logsumexp shifts by the maximum it reads from the data: a constant that changes with the input
    model = Lambda(lambda x: x.logsumexp(1))
    with pytest.raises(ExportError, match=r"op \d+ \(tinygrad_like.ops.elementwise.Sub on inputs of shapes "
                                          r"\(3, 4\), \(3, 1\)\) reads as input 1 a float32 array of shape \(3, 1\) "
                                          "that changes with the model's input"):
        export(model, normal(3, 4))


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError


def test_an_op_without_exporter_says_what_to_do_and_one_small_function_adds_it():
    model = Lambda(lambda x: Cube.apply(x) + 1)
    with pytest.raises(ExportError, match=r"no ONNX exporter for op 1 \(.*test_onnx_export.Cube on inputs of shapes "
                                          r"\(3, 4\)\)\. Register one: .*@tinygrad_like.onnx.exports\(Cube\)"):
        export(model, normal(3, 4))

    @exports(Cube)
    def cube(g, node):
        x = node.input(0)
        return g.op("Mul", g.op("Mul", x, x), x)

    check(model, normal(3, 4))


def test_control_flow_that_depends_on_the_input_is_refused():
    model = Lambda(lambda x: x.relu() if x.shape[0] < 4 else x.sigmoid())
    with pytest.raises(ExportError, match=r"op 1 of the forward pass is tinygrad_like.ops.elementwise.Relu on the "
                                          r"example input but tinygrad_like.ops.elementwise.Sigmoid"):
        export(model, normal(3, 4))
    check(model, normal(3, 4), dynamic_axes={})


def test_a_shape_that_depends_on_the_batch_size_is_refused():
    with pytest.raises(ExportError, match=r"gives 1 axes on the example input \(shape \(4,\)\) but 2 .*squeeze"):
        export(Lambda(lambda x: x.squeeze() * 2), normal(1, 4))
    check(Lambda(lambda x: x.squeeze() * 2), normal(2, 4))


def test_dropout_called_in_training_mode_is_refused():
    with pytest.raises(ExportError, match="is dropout in training mode"):
        export(Lambda(lambda x: F.dropout(x, 0.5, training=True)), normal(3, 4))


def test_bad_arguments():
    with pytest.raises(ExportError, match="opset_version must be between 13 and"):
        export(nn.ReLU(), normal(2), opset_version=9)
    with pytest.raises(ExportError, match="dynamic_axes names 'x', which is no input or output"):
        export(nn.ReLU(), normal(2), dynamic_axes={"x": [0]})
    with pytest.raises(ExportError, match="input_names=\\['a', 'b'\\] must name each of the 1 inputs once"):
        export(nn.ReLU(), normal(2), input_names=["a", "b"])
    with pytest.raises(ExportError, match="output 0 is a list"):
        export(Lambda(lambda x: [[x]]), normal(2))


def test_onnx_is_imported_by_export_only(monkeypatch):
    program = "import sys, tinygrad_like as tl; tl.onnx.exports; assert 'onnx' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"needs the onnx package: pip install 'tinygrad_like\[interop\]'"):
        export(nn.ReLU(), normal(2))


@pytest.mark.parametrize("opset", [13, 17, 18, 20])
def test_opsets_that_change_the_forms(opset):
    model = nn.Sequential(nn.Linear(4, 4), nn.GELU(), nn.Mish(), nn.LayerNorm(4), Lambda(lambda x: x.amax(1)))
    proto = check(model, normal(3, 4), opset_version=opset)
    assert proto.opset_import[0].version == opset


# ---- the book's networks ------------------------------------------------------------------------------------------
def book_network(name):
    """(the network `name`, an input batch); float64, as the book computes, but chapter 10 in float32
    (onnxruntime's CPU Conv has no float64 kernel)."""
    from tinygrad_like.book import ch6_streetlight, ch8_mnist, ch9_mnist, ch10_mnist
    chapter, variant = name.split("-", 1)
    if chapter == "ch6":
        return ch6_streetlight.deep_network(*ch6_streetlight.book_weights()), RNG.random((4, 3))
    if chapter == "ch8":
        model = ch8_mnist.build("plain", relu="true") if variant == "true-relu" else ch8_mnist.build(variant)
        return model, RNG.random((5, 784))
    if chapter == "ch9":
        return ch9_mnist.build(variant), RNG.random((5, 784))
    return ch10_mnist.build(variant).float(), RNG.random((2, 784)).astype(np.float32)


@pytest.mark.parametrize("name", ["ch6-streetlight", "ch8-plain", "ch8-dropout", "ch8-batch", "ch8-true-relu",
                                  "ch9-book", "ch9-true", "ch9-stock", "ch10-book", "ch10-true"])
def test_the_books_networks(name):
    check(*book_network(name))


# ---- against PyTorch's own export --------------------------------------------------------------------------------
@pytest.mark.torch
def test_our_file_and_torchs_agree_on_the_same_weights(tmp_path):
    torch = pytest.importorskip("torch")
    ours_model = nn.Sequential(nn.Linear(5, 7), nn.GELU(), nn.LayerNorm(7), nn.Linear(7, 3), nn.LogSoftmax(-1))
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.GELU(), torch.nn.LayerNorm(7),
                                 torch.nn.Linear(7, 3), torch.nn.LogSoftmax(-1))
    theirs.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v.numpy()))
                            for k, v in ours_model.state_dict().items()})
    x = normal(4, 5)
    runner = session(export(ours_model, x))
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(runner.run(None, {"input": x})[0], expected, atol=1e-5)
