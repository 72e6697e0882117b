"""PyTorch's namespace in tinygrad_like, so that `import tinygrad_like as torch` runs PyTorch programs:
`tensor`, the dtypes, devices, the factories, `Generator`, `utils.data` and the Tensor ops as functions.

Each part has tests with tinygrad_like alone and differential tests against PyTorch (marked `torch`,
skipped without it) that compare dtypes, shapes and values, or statistics for random draws: the
streams are numpy's, so a seed gives other numbers than in PyTorch.
"""
import collections
import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Tensor, dtypes
from tinygrad_like.device import check_device
from tinygrad_like.functions import FUNCTIONS, NOT_FUNCTIONS
from tinygrad_like.nn import Parameter
from tinygrad_like.utils.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split


def torch_module():
    return pytest.importorskip("torch")


def dtype_name(t):
    """'float32' for a tinygrad_like or a torch tensor."""
    return str(t.dtype).removeprefix("torch.")


def values(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


# ---- the namespace and tensor() -------------------------------------------------------------------
def test_import_alone_resolves_pytorch_paths_and_the_tensor_submodule_still_imports():
    program = """
import tinygrad_like as torch
assert callable(torch.tensor) and torch.tensor([1, 2]).dtype == torch.int64
import tinygrad_like.tensor
from tinygrad_like.tensor import Tensor
assert sys.modules["tinygrad_like.tensor"].Tensor is Tensor is torch.Tensor and callable(torch.tensor)
for name in ["nn.Linear", "nn.functional.relu", "optim.SGD", "optim.lr_scheduler.StepLR", "utils.data.DataLoader",
             "utils.data.Dataset", "utils.data.TensorDataset", "utils.data.random_split", "cuda.is_available",
             "backends.mps.is_available", "Generator", "device", "float32"]:
    value = torch
    for part in name.split("."):
        value = getattr(value, part)
"""
    result = subprocess.run([sys.executable, "-c", "import sys\n" + program], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("data, dtype", [
    ([1, 2], "int64"), (3, "int64"), (1.5, "float32"), ([1, 2.5], "float32"), (True, "bool"),
    ([[True], [False]], "bool"), (1 + 2j, "complex64"), (np.arange(3.0), "float64"),
    (np.arange(3, dtype=np.int32), "int32"), (np.float64(2.0), "float64"), ([], "float32")])
def test_tensor_infers_pytorch_dtypes(data, dtype):
    t = tl.tensor(data)
    assert isinstance(t, Tensor) and t.dtype == np.dtype(dtype) and not t.requires_grad
    np.testing.assert_array_equal(t.numpy(), np.asarray(data).astype(dtype))


@pytest.mark.torch
@pytest.mark.parametrize("data", [
    [1, 2], 3, 1.5, [1, 2.5], True, [[True], [False]], 1 + 2j, [1, 2j], np.arange(3.0),
    np.arange(3, dtype=np.int32), np.float64(2.0), np.float32(2.0), np.int16(4), [], [[1, 2], [3, 4]]])
def test_tensor_dtypes_match_torch(data):
    torch = torch_module()
    ours, theirs = tl.tensor(data), torch.tensor(data)
    assert dtype_name(ours) == dtype_name(theirs) and ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(values(ours), values(theirs))


def test_tensor_copies_and_takes_dtype_device_requires_grad():
    array = np.array([1.0, 2.0])
    t = tl.tensor(array)
    array[0] = 9.0
    assert t.tolist() == [1.0, 2.0]
    source = tl.tensor([1.0, 2.0], requires_grad=True)
    copy = tl.tensor(source)
    assert copy.is_leaf and not copy.requires_grad and not np.shares_memory(copy.numpy(), source.numpy())
    t = tl.tensor([1, 2], dtype=tl.float64, device="cpu", requires_grad=True)
    assert t.dtype == tl.float64 and t.requires_grad
    with pytest.raises(RuntimeError, match=r"tensor\(\): device 'cuda' .* CPU only"):
        tl.tensor([1.0], device="cuda")


def test_is_tensor_dtype_and_size_classes():
    assert tl.is_tensor(tl.zeros(1)) and tl.is_tensor(Parameter(tl.zeros(1))) and not tl.is_tensor(np.zeros(1))
    assert isinstance(tl.zeros(1).dtype, tl.dtype)
    assert isinstance(tl.zeros(2, 3).shape, tl.Size) and tl.zeros(2, 3).shape == tl.Size([2, 3])


# ---- dtypes -----------------------------------------------------------------------------------------
DTYPE_NAMES = {
    "float32": "float32", "float": "float32", "float64": "float64", "double": "float64", "float16": "float16",
    "half": "float16", "int64": "int64", "long": "int64", "int32": "int32", "int": "int32", "int16": "int16",
    "short": "int16", "int8": "int8", "uint8": "uint8", "bool": "bool", "complex64": "complex64",
    "complex128": "complex128", "cfloat": "complex64", "cdouble": "complex128"}


@pytest.mark.parametrize("name", sorted(DTYPE_NAMES))
def test_dtype_names_are_numpy_dtypes(name):
    value = getattr(tl, name)
    assert isinstance(value, np.dtype) and value == np.dtype(DTYPE_NAMES[name])
    assert np.zeros(2, dtype=value).dtype == value  # numpy reads them directly
    assert tl.zeros(2, dtype=value).dtype == value


def test_tensor_dtype_compares_with_the_names():
    assert tl.zeros(2).dtype == tl.float32 == tl.float and tl.tensor([1]).dtype == tl.long
    assert tl.tensor([True]).dtype == tl.bool and tl.zeros(2).dtype != tl.float64


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(DTYPE_NAMES))
def test_dtype_names_match_torch(name):
    torch = torch_module()
    assert str(getattr(torch, name)) == "torch." + getattr(tl, name).name


@pytest.mark.parametrize("spec, expected", [
    (tl.float32, "float32"), (np.float64, "float64"), (np.dtype("int8"), "int8"), (float, "float64"),
    (int, "int64"), (bool, "bool"), (complex, "complex128"), ("float32", "float32"), ("torch.float64", "float64"),
    ("float", "float32"), ("int", "int32"), ("long", "int64"), ("torch.half", "float16"), ("f8", "float64"),
    ("uint16", "uint16")])
def test_to_dtype(spec, expected):
    assert dtypes.to_dtype(spec, "zeros") == np.dtype(expected)
    assert dtypes.to_dtype(None, "zeros") is None


@pytest.mark.parametrize("spec, message", [
    ("bfloat16", "does not exist in numpy.*float32 or float16"), ("torch.complex32", "use complex64"),
    ("object", "not a numeric dtype"), (np.str_, "not a numeric dtype"), (str, "not a numeric dtype"),
    ("nonsense", "not a numeric dtype"), (3, "not a numeric dtype"), ([np.float32], "not a numeric dtype")])
def test_to_dtype_rejects_with_the_op_name(spec, message):
    with pytest.raises(TypeError, match=r"^ones\(\): .*" + message):
        dtypes.to_dtype(spec, "ones")
    with pytest.raises(TypeError, match=r"^ones\(\)"):
        tl.ones(2, dtype=spec)


def test_missing_pytorch_dtypes_fail_with_advice():
    with pytest.raises(AttributeError, match="no bfloat16: numpy.*use float32 or float16"):
        tl.bfloat16  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        tl.no_such_name  # noqa: B018


def test_default_dtype():
    assert tl.get_default_dtype() == tl.float32
    tl.set_default_dtype(tl.float32)
    with pytest.raises(NotImplementedError, match="float32 only; pass dtype=tinygrad_like.float64"):
        tl.set_default_dtype(tl.float64)


@pytest.mark.torch
@pytest.mark.parametrize("spec", [float, int, bool, complex])
def test_python_types_as_dtype_match_torch(spec):
    torch = torch_module()
    assert dtype_name(tl.zeros(1, dtype=spec)) == dtype_name(torch.zeros(1, dtype=spec))
    assert str(torch.get_default_dtype()) == "torch." + tl.get_default_dtype().name


# ---- devices ----------------------------------------------------------------------------------------
def test_device_objects():
    cpu = tl.device("cpu")
    assert cpu.type == "cpu" and cpu.index is None and str(cpu) == "cpu" and repr(cpu) == "device(type='cpu')"
    assert repr(tl.device("cpu:0")) == repr(tl.device("cpu", 0)) == "device(type='cpu', index=0)"
    assert tl.device(cpu) == cpu and hash(tl.device("cpu")) == hash(cpu) and tl.device("cpu:0") != cpu
    assert cpu != "cpu"  # as in PyTorch: compare .type with a string
    assert tl.device("cuda").type == "cuda" and tl.device("cuda:1").index == 1


@pytest.mark.parametrize("spec", [None, "cpu", "cpu:0", tl.device("cpu"), tl.device("cpu", 0)])
def test_check_device_accepts_the_cpu(spec):
    assert check_device(spec, "zeros").type == "cpu"


@pytest.mark.parametrize("spec, message", [
    ("cuda", "device 'cuda' is not available: tinygrad_like runs on the CPU only \\(numpy\\); drop .to\\('cuda'\\)"),
    ("cuda:1", "device 'cuda:1' is not available"), ("mps", "device 'mps' is not available"),
    (tl.device("cuda"), "device 'cuda' is not available"), (0, "an integer names an accelerator device"),
    ("gpu", "unknown device type 'gpu'"), ("cpu:x", "invalid device string 'cpu:x'"), (1.5, "expected a string")])
def test_check_device_rejects_other_devices(spec, message):
    with pytest.raises(RuntimeError, match=r"^zeros\(\): .*" + message):
        check_device(spec, "zeros")


def test_cuda_and_backends_say_absent():
    assert tl.cuda.is_available() is False and tl.cuda.device_count() == 0
    tl.cuda.manual_seed(0)
    tl.cuda.manual_seed_all(0)
    assert tl.backends.mps.is_available() is False and tl.backends.cudnn.is_available() is False
    chosen = tl.device("cuda" if tl.cuda.is_available() else "cpu")
    assert tl.zeros(2, device=chosen).shape == (2,)


@pytest.mark.torch
@pytest.mark.parametrize("spec", ["cpu", "cpu:0", ("cpu", 0), "cuda", "cuda:1", "mps"])
def test_devices_match_torch(spec):
    torch = torch_module()
    args = spec if isinstance(spec, tuple) else (spec,)
    ours, theirs = tl.device(*args), torch.device(*args)
    assert (repr(ours), str(ours), ours.type, ours.index) == (repr(theirs), str(theirs), theirs.type, theirs.index)
    for other in ["cpu", "cpu:0", "cuda"]:
        assert (ours == tl.device(other)) == (theirs == torch.device(other))
        assert (ours == other) == (theirs == other)


@pytest.mark.torch
@pytest.mark.parametrize("spec", ["gpu", "cpu:x", 0])
def test_bad_devices_fail_as_in_torch(spec):
    torch = torch_module()
    with pytest.raises(RuntimeError):
        torch.device(spec)
    with pytest.raises(RuntimeError):
        tl.device(spec)


@pytest.mark.torch
def test_cuda_answers_match_a_cpu_torch():
    torch = torch_module()
    if torch.cuda.is_available():
        pytest.skip("this torch has CUDA")
    assert tl.cuda.is_available() == torch.cuda.is_available()
    assert tl.cuda.device_count() == torch.cuda.device_count()
    assert tl.backends.mps.is_available() == torch.backends.mps.is_available()


# ---- factories --------------------------------------------------------------------------------------
# Each builds the same tensor in either framework, given the module (tinygrad_like or torch).
DETERMINISTIC = {
    "zeros": lambda m: m.zeros(2, 3), "zeros_tuple": lambda m: m.zeros((2, 3)), "zeros_size": lambda m: m.zeros(size=(4,)),
    "zeros_int": lambda m: m.zeros(2, dtype=m.int64), "ones_float": lambda m: m.ones(3, dtype=float),
    "ones_0d": lambda m: m.ones(()), "full_int": lambda m: m.full((2,), 4), "full_bool": lambda m: m.full((2,), True),
    "full_float": lambda m: m.full((2, 2), 1.5), "full_complex": lambda m: m.full((1,), 1 + 2j),
    "full_numpy_float": lambda m: m.full((2,), np.float64(1.5)), "full_dtype": lambda m: m.full((2,), 7, dtype=m.float64),
    "zeros_like": lambda m: m.zeros_like(m.tensor([1, 2])), "ones_like": lambda m: m.ones_like(m.tensor([1.5])),
    "ones_like_dtype": lambda m: m.ones_like(m.tensor([1, 2]), dtype=m.float16),
    "full_like_truncates": lambda m: m.full_like(m.tensor([1, 2]), 2.7),
    "full_like": lambda m: m.full_like(m.tensor([[1.0]]), 3), "arange": lambda m: m.arange(5),
    "arange_float": lambda m: m.arange(0, 1, 0.25), "arange_end": lambda m: m.arange(2, end=5),
    "arange_negative": lambda m: m.arange(5, 0, -2), "arange_int_dtype": lambda m: m.arange(0.5, 3.7, dtype=m.int64),
    "arange_int_dtype_step": lambda m: m.arange(-3.5, 2.2, 1.9, dtype=m.int64),
    "arange_float_dtype": lambda m: m.arange(4, dtype=m.float64), "arange_empty": lambda m: m.arange(0, 0, -1),
    "linspace": lambda m: m.linspace(0, 1, 5), "linspace_int": lambda m: m.linspace(0.5, 10.7, 5, dtype=m.int64),
    "linspace_one": lambda m: m.linspace(3, 5, 1), "linspace_none": lambda m: m.linspace(3, 5, 0),
    "logspace": lambda m: m.logspace(0, 2, 3), "logspace_base": lambda m: m.logspace(0, 3, 4, base=2),
    "eye": lambda m: m.eye(3), "eye_rect": lambda m: m.eye(2, 3, dtype=m.int32),
    "tril_indices": lambda m: m.tril_indices(3, 3), "triu_indices": lambda m: m.triu_indices(3, 4, 1),
    "tril_indices_negative": lambda m: m.tril_indices(4, 2, -1),
    "from_numpy": lambda m: m.from_numpy(np.arange(3, dtype=np.int16)),
    "as_tensor": lambda m: m.as_tensor([1, 2]), "as_tensor_dtype": lambda m: m.as_tensor(np.arange(2.0), dtype=m.float32),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(DETERMINISTIC))
def test_deterministic_factories_match_torch(name):
    torch = torch_module()
    ours, theirs = DETERMINISTIC[name](tl), DETERMINISTIC[name](torch)
    assert isinstance(ours, Tensor) and not ours.requires_grad
    assert (dtype_name(ours), ours.shape) == (dtype_name(theirs), tuple(theirs.shape))
    np.testing.assert_array_equal(values(ours), values(theirs))


# Random factories: dtype and shape as torch's; values are checked by statistics below.
RANDOM = {
    "rand": lambda m: m.rand(2, 3), "rand_tuple": lambda m: m.rand((4,), dtype=m.float64),
    "randn": lambda m: m.randn(3, dtype=m.float16), "randn_size": lambda m: m.randn(size=(2, 2)),
    "randint": lambda m: m.randint(0, 10, (5,)), "randint_high": lambda m: m.randint(3, (2, 2)),
    "randint_size_keyword": lambda m: m.randint(3, size=(2,)), "randint_float": lambda m: m.randint(0, 5, (3,), dtype=m.float32),
    "randperm": lambda m: m.randperm(6), "randperm_dtype": lambda m: m.randperm(6, dtype=m.int32),
    "normal": lambda m: m.normal(0.0, 1.0, (3,)), "normal_dtype": lambda m: m.normal(2, 3, (3,), dtype=m.float64),
    "normal_tensor_mean": lambda m: m.normal(m.zeros(2, 1, dtype=m.float64), 1.0),
    "normal_tensor_std": lambda m: m.normal(0.0, m.ones(3)), "normal_broadcast": lambda m: m.normal(m.zeros(2, 1), m.ones(3)),
    "multinomial": lambda m: m.multinomial(m.tensor([0.2, 0.8]), 3, True),
    "multinomial_rows": lambda m: m.multinomial(m.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]), 2),
    "rand_like": lambda m: m.rand_like(m.zeros(2, dtype=m.float64)), "randn_like": lambda m: m.randn_like(m.zeros(2, 2)),
    "randint_like": lambda m: m.randint_like(m.zeros(3), 5), "randint_like_low": lambda m: m.randint_like(m.zeros(3, dtype=m.int32), 2, 5),
    "empty": lambda m: m.empty(2, 3), "empty_like": lambda m: m.empty_like(m.tensor([1, 2])),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(RANDOM))
def test_random_factories_match_torch_dtypes_and_shapes(name):
    torch = torch_module()
    ours, theirs = RANDOM[name](tl), RANDOM[name](torch)
    assert (dtype_name(ours), ours.shape) == (dtype_name(theirs), tuple(theirs.shape))


def test_factories_take_requires_grad_and_refuse_other_devices():
    assert tl.zeros(2, requires_grad=True).requires_grad and tl.rand(2, requires_grad=True).is_leaf
    for make in [lambda **k: tl.zeros(2, **k), lambda **k: tl.full((2,), 1.0, **k), lambda **k: tl.arange(3, **k),
                 lambda **k: tl.linspace(0, 1, 3, **k), lambda **k: tl.eye(2, **k), lambda **k: tl.rand(2, **k),
                 lambda **k: tl.randint(3, (2,), **k), lambda **k: tl.normal(0.0, 1.0, (2,), **k),
                 lambda **k: tl.zeros_like(tl.zeros(1), **k), lambda **k: tl.randn_like(tl.zeros(1), **k)]:
        assert isinstance(make(device="cpu"), Tensor)
        with pytest.raises(RuntimeError, match="runs on the CPU only"):
            make(device="cuda")


@pytest.mark.parametrize("call, error, message", [
    (lambda: tl.zeros(2, size=(2,)), TypeError, r"zeros\(\): give the size once"),
    (lambda: tl.arange(5, 0), RuntimeError, r"arange\(\): the step 1 leads away from end=0"),
    (lambda: tl.arange(0, 5, 0), RuntimeError, r"arange\(\): step must be nonzero"),
    (lambda: tl.arange(0, 2.5, 0.5, dtype=tl.int64), RuntimeError, "step must be nonzero"),  # truncated to 0
    (lambda: tl.linspace(0, 1, -1), ValueError, r"linspace\(\): steps must be a non-negative integer"),
    (lambda: tl.rand(2, dtype=tl.int64), TypeError, r"rand\(\): draws floating-point numbers"),
    (lambda: tl.randint(3), TypeError, r"randint\(\): give high and size"),
    (lambda: tl.randint(5, 5, (2,)), RuntimeError, "expects low < high"),
    (lambda: tl.normal(0.0, 1.0), TypeError, r"normal\(\): with a number mean and std, give size="),
    (lambda: tl.normal(tl.zeros(2), 1.0, (2,)), TypeError, "size= and dtype= go with a number mean"),
    (lambda: tl.normal(0.0, -1.0, (2,)), RuntimeError, "expects std >= 0"),
    (lambda: tl.normal(tl.zeros(2, dtype=tl.int64), 1.0), TypeError, "must be floating-point"),
    (lambda: tl.multinomial(tl.tensor([1, 2]), 1), RuntimeError, "floating-point weights"),
    (lambda: tl.multinomial(tl.tensor([0.5, 0.5]), 3), RuntimeError, "cannot draw 3 samples without replacement"),
    (lambda: tl.multinomial(tl.tensor([0.5, 0.5]), 0), RuntimeError, "num_samples must be positive"),
    (lambda: tl.multinomial(tl.tensor([-1.0, 1.0]), 1), RuntimeError, "finite and non-negative"),
    (lambda: tl.multinomial(tl.tensor([np.nan, 1.0]), 1), RuntimeError, "finite and non-negative"),
    (lambda: tl.multinomial(tl.tensor([0.0, 0.0]), 1), RuntimeError, "positive sum"),
    (lambda: tl.multinomial(tl.zeros(2, 2, 2), 1), RuntimeError, "1- or 2-dimensional"),
    (lambda: tl.from_numpy([1, 2]), TypeError, r"from_numpy\(\): expected a numpy.ndarray, got list"),
    (lambda: tl.from_numpy(np.array(["a"])), TypeError, "not numeric"),
    (lambda: tl.rand(2, generator=np.random.default_rng()), TypeError,
     r"rand\(\): generator= must be a tinygrad_like.Generator, got a numpy.random._generator.Generator"),
])
def test_factory_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.torch
@pytest.mark.parametrize("call", [
    lambda m: m.arange(5, 0), lambda m: m.arange(0, 5, 0), lambda m: m.arange(0, 2.5, 0.5, dtype=m.int64),
    lambda m: m.randint(5, 5, (2,)), lambda m: m.normal(0.0, -1.0, (2,)),
    lambda m: m.multinomial(m.tensor([1, 2]), 1), lambda m: m.multinomial(m.tensor([0.5, 0.5]), 3),
    lambda m: m.multinomial(m.tensor([0.5, 0.5]), 0), lambda m: m.multinomial(m.tensor([-1.0, 1.0]), 1),
    lambda m: m.multinomial(m.tensor([0.0, 0.0]), 1), lambda m: m.multinomial(m.zeros(2, 2, 2), 1)])
def test_factory_errors_are_errors_in_torch_too(call):
    torch = torch_module()
    with pytest.raises(Exception):
        call(torch)
    with pytest.raises((RuntimeError, TypeError, ValueError)):
        call(tl)


def test_from_numpy_shares_memory_both_ways():
    array = np.arange(3.0)
    t = tl.from_numpy(array)
    array[0] = 5.0
    assert t.tolist() == [5.0, 1.0, 2.0] and t.dtype == tl.float64
    t.numpy()[1] = 7.0
    assert array[1] == 7.0
    assert np.shares_memory(tl.as_tensor(array).numpy(), array)
    assert not np.shares_memory(tl.as_tensor(array, dtype=tl.float32).numpy(), array)
    t = tl.tensor([1.0])
    assert tl.as_tensor(t) is t


@pytest.mark.torch
def test_from_numpy_shares_memory_as_in_torch():
    torch = torch_module()
    ours_array, their_array = np.arange(4.0), np.arange(4.0)
    ours, theirs = tl.from_numpy(ours_array), torch.from_numpy(their_array)
    ours_array[0] = their_array[0] = 5.0
    ours.numpy()[1] = theirs.numpy()[1] = 7.0
    np.testing.assert_array_equal(values(ours), values(theirs))
    np.testing.assert_array_equal(ours_array, their_array)


# Float arguments as PyTorch programs write them: a few decimals.
decimals = st.integers(-2000, 2000).map(lambda n: n / 20)


@pytest.mark.torch
@given(start=decimals, end=decimals, steps=st.integers(0, 70),
       dtype=st.sampled_from(["float32", "float64", "float16", "int64", "int32"]))
def test_linspace_matches_torch_exactly(start, end, steps, dtype):
    torch = torch_module()
    ours = tl.linspace(start, end, steps, dtype=dtype)
    theirs = torch.linspace(start, end, steps, dtype=getattr(torch, dtype))
    assert dtype_name(ours) == dtype_name(theirs)
    np.testing.assert_array_equal(values(ours), values(theirs))


@pytest.mark.torch
@given(start=decimals.map(lambda x: x / 20), end=decimals.map(lambda x: x / 20), steps=st.integers(0, 70),
       base=st.sampled_from([10.0, 2.0, math.e, 0.5]), dtype=st.sampled_from(["float32", "float64", "int64"]))
def test_logspace_matches_torch_exactly(start, end, steps, base, dtype):
    torch = torch_module()
    ours = tl.logspace(start, end, steps, base=base, dtype=dtype)
    theirs = torch.logspace(start, end, steps, base=base, dtype=getattr(torch, dtype))
    np.testing.assert_array_equal(values(ours), values(theirs))


@pytest.mark.torch
@given(start=st.one_of(st.integers(-50, 50), decimals), end=st.one_of(st.integers(-50, 50), decimals),
       step=st.one_of(st.integers(1, 7), st.integers(1, 400).map(lambda n: n / 40)))
def test_arange_matches_torch(start, end, step):
    """Same length and dtype; values equal for integers, within float32 rounding of the largest
    magnitude for floats (PyTorch's vectorised kernel rounds differently by CPU)."""
    torch = torch_module()
    if end < start:
        step = -step
    ours, theirs = tl.arange(start, end, step), torch.arange(start, end, step)
    assert (dtype_name(ours), ours.shape) == (dtype_name(theirs), tuple(theirs.shape))
    scale = max(abs(start), abs(end), 1)
    np.testing.assert_allclose(values(ours), values(theirs), rtol=0, atol=4 * scale * np.finfo(np.float32).eps)


@pytest.mark.torch
@given(shape=st.lists(st.integers(0, 3), max_size=3).map(tuple),
       fill=st.one_of(st.booleans(), st.integers(-5, 5), decimals, st.complex_numbers(max_magnitude=5, allow_nan=False)),
       dtype=st.sampled_from([None, "float64", "int32", "bool"]))
def test_full_matches_torch(shape, fill, dtype):
    torch = torch_module()
    if isinstance(fill, complex) and dtype not in (None,):
        return  # PyTorch refuses to fill a real dtype with a complex number
    ours = tl.full(shape, fill, dtype=dtype)
    theirs = torch.full(shape, fill, dtype=None if dtype is None else getattr(torch, dtype))
    assert (dtype_name(ours), ours.shape) == (dtype_name(theirs), tuple(theirs.shape))
    np.testing.assert_array_equal(values(ours), values(theirs))


@pytest.mark.torch
@given(n=st.integers(0, 6), m=st.one_of(st.none(), st.integers(0, 6)), offset=st.integers(-7, 7))
def test_eye_and_triangle_indices_match_torch(n, m, offset):
    torch = torch_module()
    np.testing.assert_array_equal(values(tl.eye(n, m)), values(torch.eye(n, m) if m is not None else torch.eye(n)))
    columns = n if m is None else m
    for name in ["tril_indices", "triu_indices"]:
        ours, theirs = getattr(tl, name)(n, columns, offset), getattr(torch, name)(n, columns, offset)
        assert ours.shape == tuple(theirs.shape) and dtype_name(ours) == dtype_name(theirs)
        np.testing.assert_array_equal(values(ours), values(theirs))


def test_random_factories_have_the_right_distributions():
    tl.manual_seed(0)
    uniform = tl.rand(20000).numpy()
    assert uniform.min() >= 0 and uniform.max() < 1 and abs(uniform.mean() - 0.5) < 0.01
    normal = tl.randn(20000).numpy()
    assert abs(normal.mean()) < 0.03 and abs(normal.std() - 1) < 0.03
    shifted = tl.normal(2.0, 3.0, (20000,)).numpy()
    assert abs(shifted.mean() - 2) < 0.1 and abs(shifted.std() - 3) < 0.1
    per_row = tl.normal(tl.tensor([[0.0], [10.0]]), tl.tensor([1.0, 2.0, 3.0])).numpy()
    assert per_row.shape == (2, 3) and per_row[1].min() > per_row[0].max() - 20
    integers = tl.randint(-2, 3, (5000,)).numpy()
    assert set(integers.tolist()) == {-2, -1, 0, 1, 2}
    assert sorted(tl.randperm(10).tolist()) == list(range(10))


def test_multinomial_frequencies_follow_the_weights():
    tl.manual_seed(1)
    weights = tl.tensor([1.0, 2.0, 0.0, 7.0])
    counts = np.bincount(tl.multinomial(weights, 20000, replacement=True).numpy(), minlength=4) / 20000
    np.testing.assert_allclose(counts, [0.1, 0.2, 0.0, 0.7], atol=0.015)
    firsts = [tl.multinomial(weights, 2).tolist() for _ in range(2000)]
    assert all(len(set(pair)) == 2 for pair in firsts)  # without replacement
    first = np.bincount([pair[0] for pair in firsts], minlength=4) / 2000
    np.testing.assert_allclose(first, [0.1, 0.2, 0.0, 0.7], atol=0.04)
    # Without replacement, zero-weight categories come last, as in PyTorch.
    assert tl.multinomial(tl.tensor([0.0, 1.0, 0.0]), 3).tolist()[0] == 1
    rows = tl.multinomial(tl.tensor([[1.0, 0.0], [0.0, 1.0]]), 5, replacement=True)
    assert rows.tolist() == [[0] * 5, [1] * 5] and rows.dtype == tl.int64


@pytest.mark.torch
def test_multinomial_statistics_match_torch():
    torch = torch_module()
    weights = [3.0, 1.0, 0.0, 4.0, 2.0]
    ours_counts = np.zeros((4, 5))
    theirs_counts = np.zeros((4, 5))
    generator, their_generator = tl.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    for _ in range(3000):
        for position, index in enumerate(tl.multinomial(tl.tensor(weights), 4, generator=generator).tolist()):
            ours_counts[position, index] += 1
        for position, index in enumerate(torch.multinomial(torch.tensor(weights), 4, generator=their_generator).tolist()):
            theirs_counts[position, index] += 1
    np.testing.assert_allclose(ours_counts / 3000, theirs_counts / 3000, atol=0.05)  # each draw's distribution


# ---- Generator ----------------------------------------------------------------------------------------
def test_generator_manual_seed_returns_it_and_fixes_the_stream():
    g = tl.Generator()
    assert g.manual_seed(3) is g and g.initial_seed() == 3 and g.device == tl.device("cpu")
    first = tl.rand(4, generator=g).tolist()
    assert tl.rand(4, generator=g.manual_seed(3)).tolist() == first
    assert tl.rand(4, generator=g).tolist() != first


@pytest.mark.parametrize("draw", [
    lambda g: tl.rand(3, generator=g), lambda g: tl.randn(3, generator=g), lambda g: tl.randint(0, 100, (3,), generator=g),
    lambda g: tl.randperm(8, generator=g), lambda g: tl.normal(0.0, 1.0, (3,), generator=g),
    lambda g: tl.multinomial(tl.ones(8), 4, generator=g), lambda g: tl.rand_like(tl.zeros(3), generator=g),
    lambda g: tl.randn_like(tl.zeros(3), generator=g), lambda g: tl.randint_like(tl.zeros(3), 100, generator=g)])
def test_generator_argument_gives_its_own_reproducible_stream(draw):
    tl.manual_seed(0)
    with_default = draw(None).tolist()
    tl.manual_seed(0)
    first = draw(tl.Generator().manual_seed(5)).tolist()
    assert draw(tl.Generator().manual_seed(5)).tolist() == first
    assert draw(None).tolist() == with_default  # the default generator was not used


def test_default_generator_and_module_functions():
    assert tl.manual_seed(7) is tl.default_generator and tl.initial_seed() == 7
    assert tl.random.generator() is tl.default_generator._rng  # the numpy Generator init and dropout draw from
    new_seed = tl.seed()
    assert tl.initial_seed() == new_seed and 0 <= new_seed < 2 ** 64
    g = tl.Generator()
    assert g.seed() == g.initial_seed()
    tl.manual_seed(2.0)  # PyTorch's manual_seed takes int(seed)
    assert tl.initial_seed() == 2


@pytest.mark.parametrize("seed, error, message", [
    (2 ** 64, ValueError, r"seed 18446744073709551616 is outside \[-2\*\*63, 2\*\*64\)"),
    (-2 ** 63 - 1, ValueError, "seed -9223372036854775809 is outside"), (1.5, TypeError, "the seed must be an integer, got 1.5"),
    ("1", TypeError, "the seed must be an integer")])
def test_generator_seed_errors(seed, error, message):
    with pytest.raises(error, match=r"manual_seed\(\): " + message):
        tl.Generator().manual_seed(seed)


@pytest.mark.torch
@pytest.mark.parametrize("seed", [0, 5, -1, -2 ** 63, 2 ** 64 - 1])
def test_seeds_read_back_as_in_torch(seed):
    torch = torch_module()
    assert tl.Generator().manual_seed(seed).initial_seed() == torch.Generator().manual_seed(seed).initial_seed()
    assert tl.Generator().initial_seed() == torch.Generator().initial_seed()


# ---- DataLoader, default_collate, random_split ----------------------------------------------------
def structure(batch):
    """A batch of either framework as plain Python: ('tensor', dtype, shape, values) for tensors."""
    if hasattr(batch, "dtype") and hasattr(batch, "shape") and not isinstance(batch, np.ndarray):
        return "tensor", dtype_name(batch), tuple(batch.shape), values(batch).tolist()
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch).__name__, [structure(field) for field in batch]
    if isinstance(batch, dict):
        return {key: structure(value) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch).__name__, [structure(item) for item in batch]
    return batch


Point = collections.namedtuple("Point", "x y")
ITEMS = {
    "ints": [1, 2, 3], "floats": [1.5, 2.5], "bools": [True, False], "strings": ["a", "b"],
    "arrays": [np.arange(3, dtype=np.int32), np.arange(3, 6, dtype=np.int32)],
    "float_arrays": [np.ones((2, 2)), np.zeros((2, 2))], "numpy_scalars": [np.float32(1.5), np.float32(2.5)],
    "numpy_ints": [np.int16(1), np.int16(2)], "pairs": [(np.array([1.0, 2.0]), 0), (np.array([3.0, 4.0]), 1)],
    "lists": [[1, 2.5], [3, 4.5]], "dicts": [{"x": 1, "y": np.ones(2)}, {"x": 2, "y": np.zeros(2)}],
    "namedtuples": [Point(1, 2.0), Point(3, 4.0)], "nested": [(1, (2.0, "a")), (3, (4.0, "b"))],
}


@pytest.mark.parametrize("name, expected", [
    ("ints", ("tensor", "int64", (3,), [1, 2, 3])), ("floats", ("tensor", "float64", (2,), [1.5, 2.5])),
    ("bools", ("tensor", "bool", (2,), [True, False])), ("strings", ("list", ["a", "b"])),
    ("pairs", ("list", [("tensor", "float64", (2, 2), [[1.0, 2.0], [3.0, 4.0]]), ("tensor", "int64", (2,), [0, 1])])),
])
def test_default_collate(name, expected):
    assert structure(default_collate(ITEMS[name])) == expected


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(ITEMS))
def test_default_collate_matches_torch(name):
    torch = torch_module()
    from torch.utils.data import default_collate as torch_collate
    assert structure(default_collate(ITEMS[name])) == structure(torch_collate(ITEMS[name]))


@pytest.mark.parametrize("items, error, message", [
    ([[1, 2], [3]], RuntimeError, "each element in list of batch should be of equal size"),
    ([None, None], TypeError, "found <class 'NoneType'>"), ([1j, 2j], TypeError, "found <class 'complex'>"),
    ([np.array(["a"]), np.array(["b"])], TypeError, "found numpy arrays of <U1")])
def test_default_collate_errors(items, error, message):
    with pytest.raises(error, match=message):
        default_collate(items)


class Pairs:
    """Items (features, label) computed per index, usable by either framework's DataLoader."""

    def __init__(self, size):
        self.size = size

    def __getitem__(self, index):
        return np.array([index, index ** 2], dtype=np.float32), index % 3

    def __len__(self):
        return self.size


def test_data_loader_batches_are_tensors():
    x, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    for dataset in [TensorDataset(x, y), TensorDataset(tl.tensor(x), tl.tensor(y)), Pairs(5)]:
        batches = list(DataLoader(dataset, batch_size=2))
        assert len(batches) == 3 and all(isinstance(batch, list) and len(batch) == 2 for batch in batches)
        features, labels = batches[0]
        assert isinstance(features, Tensor) and isinstance(labels, Tensor) and labels.dtype == tl.int64
        assert features.shape == (2, 2) and not features.requires_grad


@pytest.mark.torch
@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (2, False), (2, True), (5, False)])
def test_data_loader_batches_match_torch(batch_size, drop_last):
    torch = torch_module()
    from torch.utils.data import DataLoader as TorchLoader
    from torch.utils.data import TensorDataset as TorchTensorDataset
    x, y = np.arange(14.0).reshape(7, 2), np.arange(7) % 3
    pairs = [(DataLoader(Pairs(7), batch_size, drop_last=drop_last), TorchLoader(Pairs(7), batch_size, drop_last=drop_last)),
             (DataLoader(TensorDataset(x, y), batch_size, drop_last=drop_last),
              TorchLoader(TorchTensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size, drop_last=drop_last))]
    for ours, theirs in pairs:
        assert len(ours) == len(theirs)
        assert [structure(batch) for batch in ours] == [structure(batch) for batch in theirs]


def test_data_loader_shuffles_with_a_generator_or_the_default_one():
    dataset = TensorDataset(np.arange(20))

    def orders(loader, epochs=3):
        return [np.concatenate([batch.numpy() for (batch,) in loader]).tolist() for _ in range(epochs)]

    seeded = orders(DataLoader(dataset, 6, shuffle=True, generator=tl.Generator().manual_seed(7)))
    assert seeded == orders(DataLoader(dataset, 6, shuffle=True, generator=tl.Generator().manual_seed(7)))
    assert seeded != orders(DataLoader(dataset, 6, shuffle=True, generator=tl.Generator().manual_seed(8)))
    assert all(sorted(order) == list(range(20)) for order in seeded) and seeded[0] != seeded[1]
    tl.manual_seed(3)
    by_default = orders(DataLoader(dataset, 6, shuffle=True))
    tl.manual_seed(3)
    assert orders(DataLoader(dataset, 6, shuffle=True)) == by_default
    with pytest.raises(TypeError, match=r"DataLoader\(\): generator= must be a tinygrad_like.Generator"):
        DataLoader(dataset, generator=np.random.default_rng(0))


def test_data_loader_options():
    loader = DataLoader(Pairs(4), batch_size=2, num_workers=2, pin_memory=True, collate_fn=lambda items: len(items))
    assert list(loader) == [2, 2]
    with pytest.raises(ValueError, match="num_workers must be a non-negative integer"):
        DataLoader(Pairs(4), num_workers=-1)
    with pytest.raises(TypeError):
        DataLoader(Pairs(4), 2, False, None)  # PyTorch's sampler is not supported: keyword-only options


def test_data_loader_over_a_subset_gathers_the_subset_rows():
    x = np.arange(10.0)[:, None]
    subset = Subset(TensorDataset(x, np.arange(10)), [7, 2, 5])
    assert len(subset) == 3 and subset[0][1] == 7 and subset[[0, 2]][1].tolist() == [7, 5]
    (features, labels), = DataLoader(subset, batch_size=3)
    assert labels.tolist() == [7, 2, 5] and features.numpy()[:, 0].tolist() == [7.0, 2.0, 5.0]
    batches = list(DataLoader(Subset(Pairs(6), [5, 0]), batch_size=2))
    assert batches[0][1].tolist() == [2, 0]


def test_random_split():
    parts = random_split(range(10), [0.33, 0.33, 0.34], generator=tl.Generator().manual_seed(0))
    assert [len(part) for part in parts] == [4, 3, 3]
    assert sorted(index for part in parts for index in part.indices) == list(range(10))
    again = random_split(range(10), [4, 3, 3], generator=tl.Generator().manual_seed(0))
    assert [part.indices for part in again] == [part.indices for part in parts]
    assert parts[0][0] == parts[0].indices[0]
    with pytest.warns(UserWarning, match="length of split at index 1 is 0"):
        random_split(range(2), [0.9, 0.1])
    with pytest.raises(ValueError, match=r"lengths \[3, 3\] sum to 6, not to the data set's length 10"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="fraction at index 0 is not between 0 and 1"):
        random_split(range(10), [1.5, -0.5])


@pytest.mark.torch
@pytest.mark.parametrize("size, lengths", [
    (10, [0.33, 0.33, 0.34]), (7, [0.5, 0.5]), (10, [3, 7]), (11, [0.8, 0.1, 0.1]), (3, [0.25, 0.25, 0.25, 0.25])])
def test_random_split_lengths_match_torch(size, lengths):
    torch = torch_module()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn of empty splits
        ours = random_split(range(size), lengths)
        theirs = torch.utils.data.random_split(range(size), lengths)
    assert [len(part) for part in ours] == [len(part) for part in theirs]
    assert all(type(part).__name__ == "Subset" for part in ours)


# ---- the Tensor ops as functions ------------------------------------------------------------------
def public_methods():
    return sorted(name for name in dir(Tensor) if not name.startswith("_") and callable(getattr(Tensor, name)))


HAND_WRITTEN = {"where"}  # module functions with PyTorch's own signature: where(condition, input, other)


def test_every_public_tensor_method_is_a_function_or_classified():
    for name in public_methods():
        if name.endswith("_") or name in NOT_FUNCTIONS:
            assert name not in FUNCTIONS
            continue
        exported = getattr(tl, name, None)
        assert exported is FUNCTIONS[name] or name in HAND_WRITTEN and callable(exported), (
            f"Tensor.{name} is neither tinygrad_like.{name} nor listed in functions.NOT_FUNCTIONS")


def test_hand_written_functions_are_kept():
    assert tl.where is sys.modules["tinygrad_like.tensor"].where and tl.cat is sys.modules["tinygrad_like.tensor"].cat
    assert tl.float is dtypes.float32 and tl.tensor is sys.modules["tinygrad_like.factories"].tensor


def test_functions_forward_to_the_methods():
    x = tl.tensor([[1.0, -2.0], [3.0, 4.0]])
    assert tl.sum(x).item() == 6.0 and tl.sum(x, dim=0).tolist() == [4.0, 2.0]
    assert tl.abs(x).tolist() == [[1.0, 2.0], [3.0, 4.0]] and tl.reshape(x, (4,)).shape == (4,)
    assert tl.transpose(x, 0, 1).tolist() == [[1.0, 3.0], [-2.0, 4.0]]
    assert tl.exp.__name__ == "exp" and "input.exp(" in tl.exp.__doc__
    summed = tl.sum([1, 2, 3])  # a non-Tensor input is read with tensor(): int64
    assert summed.item() == 6 and summed.dtype == tl.int64
    parameter = Parameter(tl.ones(2))
    assert tl.mul(parameter, 2.0).tolist() == [2.0, 2.0]
    with pytest.raises(TypeError, match=r"exp\(\): out= is not supported; assign the result instead"):
        tl.exp(x, out=tl.zeros(2, 2))


def test_functions_record_the_graph():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    tl.sum(tl.exp(x)).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]), rtol=1e-6)


@pytest.mark.torch
def test_exactly_the_methods_torch_has_as_functions_are_functions():
    torch = torch_module()
    for name in public_methods():
        if name.endswith("_"):
            continue
        in_torch = callable(getattr(torch, name, None))
        assert (name not in NOT_FUNCTIONS) == in_torch, (
            f"Tensor.{name}: torch {'has' if in_torch else 'has no'} function {name}; "
            f"{'remove it from' if in_torch else 'add it to'} functions.NOT_FUNCTIONS")


def _call_both(name, torch, *arrays):
    """The function `name` of either framework on the same float64 arrays; None if torch refuses."""
    try:
        theirs = getattr(torch, name)(*[torch.from_numpy(a.copy()) for a in arrays])
    except (TypeError, RuntimeError, IndexError):
        return None
    return getattr(tl, name)(*[tl.tensor(a) for a in arrays]), theirs


def _assert_same(ours, theirs):
    if isinstance(theirs, tuple):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _assert_same(a, b)
    elif hasattr(theirs, "dtype"):
        assert dtype_name(ours) == dtype_name(theirs) and ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(values(ours), values(theirs), rtol=1e-12, atol=1e-12)
    else:
        assert ours == theirs


# Differences of Tensor methods that are known and not yet resolved (the test fails once they are, so
# that the entry is removed).
@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(set(FUNCTIONS) - HAND_WRITTEN))
def test_functions_match_torch_on_one_and_two_tensors(name):
    """Every generated function that torch also accepts with one square matrix, or with two, gives torch's
    values, dtype and shape (positive inputs keep log and sqrt defined)."""
    torch = torch_module()
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.5, 2.0, (3, 3)), rng.uniform(0.5, 2.0, (3, 3))
    calls = [pair for pair in (_call_both(name, torch, a), _call_both(name, torch, a, b)) if pair is not None]
    if not calls:
        pytest.skip(f"torch.{name} takes other arguments than one or two tensors")
    for ours, theirs in calls:
        _assert_same(ours, theirs)
