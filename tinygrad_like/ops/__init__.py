"""The primitive differentiable ops, each a Function with forward and backward side by side."""
from tinygrad_like.ops.activation import (Elu, Erf, Gelu, Hardsigmoid, Hardswish, Hardtanh, LogSigmoid, Mish, Silu,
                                          Softplus)
from tinygrad_like.ops.einsum import Einsum
from tinygrad_like.ops.interpolate import Resample
from tinygrad_like.ops.elementwise import (Abs, Add, Cast, Clip, Div, Dropout, Exp, Log, Maximum, Minimum, Mul, Neg,
                                           Pow, Relu, Sigmoid, Sqrt, Sub, Tanh, Where)
from tinygrad_like.ops.integer import (BitwiseAnd, BitwiseNot, BitwiseOr, BitwiseXor, FloorDivide, Fmod, LeftShift,
                                       Remainder, RightShift, RoundedDivide)
from tinygrad_like.ops.linalg import Linear, MatMul, VectorNorm
from tinygrad_like.ops.loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, MSELoss,
                                     NLLLoss, SmoothL1Loss)
from tinygrad_like.ops.movement import Clone, Concatenate, Expand, Getitem, Reshape, ScatterAdd, Setitem, Transpose
from tinygrad_like.ops.movement import (Diagonal, DiagonalScatter, Flip, RepeatInterleave, Roll, SegmentSum, Tile,
                                        Unfold, UnfoldBackward)
from tinygrad_like.ops.indexing import ScatterReduce
from tinygrad_like.ops import sorting  # noqa: F401  (sort, topk, ...: functions Tensor's methods call)
from tinygrad_like.ops.normalization import Normalize
from tinygrad_like.ops.reduce import Max, Mean, Median, Min, Prod, Sum
from tinygrad_like.ops.cumulative import Cumprod, Cumsum, Logcumsumexp
from tinygrad_like.ops.softmax import LogSoftmax, Softmax
from tinygrad_like.ops.trig import Acos, Acosh, Asin, Asinh, Atan, Atanh, Cos, Cosh, Sin, Sinh
from tinygrad_like.ops.unary import (Atan2, Ceil, Exp2, Expm1, Floor, Hypot, Log1p, NanToNum, Reciprocal, Round,
                                     Rsqrt, Sign, Trunc)
from tinygrad_like.ops.pad import Pad, PadAdjoint
from tinygrad_like.ops.conv import Col2Im, Conv, ConvInput, ConvWeight, Im2Col
from tinygrad_like.ops.pool import AvgPool, AvgPoolAdjoint, MaxUnpool, PlaneGather, PlaneScatter
from tinygrad_like.ops.embedding import Embedding
from tinygrad_like.ops.rnn import GRULayer, LSTMLayer, RNNLayer

__all__ = ["Elu", "Erf", "Gelu", "Hardsigmoid", "Hardswish", "Hardtanh", "LogSigmoid", "Mish", "Silu", "Softplus",
           "Abs", "Add", "BCELoss", "BCEWithLogitsLoss", "Cast", "Clip", "Clone", "Concatenate", "Cos", "Div", "Dropout", "Exp", "Expand", "Getitem", "Linear", "Log",
           "LogSoftmax", "MatMul", "Max", "Maximum", "Mean", "Min", "Minimum", "MSELoss", "Mul", "Neg", "Pow", "Relu",
           "Reshape", "ScatterAdd", "Setitem", "Sigmoid", "Sin", "Softmax", "Sqrt", "Sub", "Sum", "Tanh", "Transpose", "VectorNorm", "Where",
           "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atan2", "Atanh", "Ceil", "Cosh", "Exp2", "Expm1", "Floor", "Hypot",
           "BitwiseAnd", "BitwiseNot", "BitwiseOr", "BitwiseXor", "FloorDivide", "Fmod", "LeftShift", "Remainder",
           "RightShift", "RoundedDivide",
           "Log1p", "NanToNum", "Reciprocal", "Round", "Rsqrt", "Sign", "Sinh", "Trunc",
           "Cumprod", "Cumsum", "Logcumsumexp", "Median", "Prod",
           "Diagonal", "DiagonalScatter", "Flip", "RepeatInterleave", "Roll", "SegmentSum", "Tile", "Unfold",
           "UnfoldBackward",
           "Normalize",
           "ScatterReduce",
           "CrossEntropyLoss", "HuberLoss", "KLDivLoss", "NLLLoss", "SmoothL1Loss",
           "Einsum", "Resample",
           "Pad", "PadAdjoint", "Col2Im", "Conv", "ConvInput", "ConvWeight", "Im2Col", "AvgPool", "AvgPoolAdjoint",
           "MaxUnpool", "PlaneGather", "PlaneScatter",
           "Embedding", "GRULayer", "LSTMLayer", "RNNLayer"]
