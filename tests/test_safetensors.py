"""tinygrad_like.save / load in the safetensors format (a path ending in .safetensors).

The tensors are stored under their state-dict names (PyTorch's safetensors.torch.load_file reads them into
the equivalent torch.nn model, and the reverse), everything else (optimizer hyper-parameters, step counts,
nesting) in the header's __metadata__. Round trips are bit-exact; writes are atomic; bad files are a
ValueError. Marked interop: the default run leaves them to `pytest -m interop`.
"""
import json
import os
import sys
import tempfile

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Tensor, nn, optim
from tinygrad_like.testing import shapes

pytestmark = pytest.mark.interop


@pytest.fixture(autouse=True)
def safetensors_numpy():
    return pytest.importorskip("safetensors.numpy")


def make_model(seed=0):
    tl.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2, bias=False))
    model[0].register_buffer("counts", Tensor(np.array([1, 2, 3], dtype=np.int64)))
    model[0].register_buffer("stats", Tensor(np.linspace(0, 1, 5)))  # float64 beside float32 weights
    model[0].register_buffer("mask", Tensor(np.array([True, False])))
    model[0].register_buffer("half", Tensor(np.array([0.5, -2.0], dtype=np.float16)))
    return model


def assert_same(a, b, where="root"):
    """Same structure and container types, bit-identical arrays of the same dtype (dicts of any kind)."""
    if isinstance(a, Tensor):
        assert isinstance(b, Tensor), where
        a, b = a.numpy(), b.numpy()
    if isinstance(a, (np.ndarray, np.generic)):
        assert type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape, f"{where}: {a!r} vs {b!r}"
        assert a.tobytes() == b.tobytes(), where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), f"{where}: {list(a)} vs {list(b)}"
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert type(a) is type(b) and a == b, f"{where}: {a!r} vs {b!r}"


# ---- round trips -------------------------------------------------------------------------------------
def test_state_dict_round_trip_is_bit_identical_with_names_order_and_dtypes(tmp_path):
    state = make_model().state_dict()
    tl.save(state, tmp_path / "model.safetensors")
    loaded = tl.load(tmp_path / "model.safetensors")
    assert_same(dict(state), loaded)
    assert [loaded[k].dtype for k in loaded] == [np.float32, np.float32, np.int64, np.float64, np.bool_, np.float16,
                                                 np.float32]


def test_the_file_holds_the_state_dict_names_and_the_structure_in_its_metadata(tmp_path, safetensors_numpy):
    model = make_model()
    tl.save(model.state_dict(), tmp_path / "model.safetensors")
    arrays = safetensors_numpy.load_file(tmp_path / "model.safetensors")
    assert sorted(arrays) == sorted(model.state_dict())
    for name, tensor in model.state_dict().items():
        # Linear's weight is a column-major view: the file must hold its values, not its memory order
        np.testing.assert_array_equal(arrays[name], tensor.numpy())
    from safetensors import safe_open
    with safe_open(tmp_path / "model.safetensors", framework="np") as file:
        metadata = file.metadata()
    assert metadata["format"] == "pt" and json.loads(metadata["tinygrad_like"])["format"] == "tinygrad_like-checkpoint"


def test_optimizer_state_and_hyper_parameters_round_trip_and_resume_the_same_trajectory(tmp_path):
    def steps(model, opt, n, seed):
        rng = np.random.default_rng(seed)
        for _ in range(n):
            opt.zero_grad()
            x = Tensor(rng.standard_normal((4, 3)).astype(np.float32))
            (model(x) ** 2).mean().backward()
            opt.step()

    model = make_model()
    opt = optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.95), weight_decay=0.1)
    steps(model, opt, 3, seed=0)
    tl.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, tmp_path / "ckpt.safetensors")
    checkpoint = tl.load(tmp_path / "ckpt.safetensors")
    assert_same(opt.state_dict(), checkpoint["optimizer"])
    assert checkpoint["epoch"] == 3 and checkpoint["optimizer"]["param_groups"][0]["betas"] == (0.8, 0.95)

    resumed = make_model(seed=5)
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt = optim.Adam(resumed.parameters(), lr=0.5)
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    steps(model, opt, 2, seed=1)
    steps(resumed, resumed_opt, 2, seed=1)
    for ours, theirs in zip(model.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_nested_structures_arrays_scalars_and_colliding_names_round_trip(tmp_path):
    obj = {"a.b": Tensor([1.0]), "a": {"b": Tensor([2.0]), 3: [np.arange(3), (np.float32(1.5), None, "text")]},
           "flag": True, "empty": np.zeros((0, 4), np.float32), "zero_d": Tensor(np.array(7, np.int32))}
    tl.save(obj, tmp_path / "nested.safetensors")
    assert_same(obj, tl.load(tmp_path / "nested.safetensors"))


DTYPES = st.sampled_from([np.float32, np.float64, np.float16, np.int64, np.int32, np.int8, np.uint8, np.bool_])
LEAVES = st.one_of(
    st.builds(Tensor, DTYPES.flatmap(lambda dtype: hnp.arrays(dtype, shapes(max_dims=3, max_side=3)))),
    DTYPES.flatmap(lambda dtype: hnp.arrays(dtype, shapes(max_dims=2, max_side=3))),
    st.integers(-2 ** 40, 2 ** 40), st.floats(allow_nan=False), st.text(max_size=4), st.none(), st.booleans())
NAMES = st.text("ab.0", min_size=1, max_size=3)  # dots and digits: names that collide once joined


@settings(max_examples=10)
@given(st.recursive(LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(NAMES, inner,
                                                                                                 max_size=3)),
                    max_leaves=6))
def test_any_structure_round_trips_bit_exactly(obj):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "x.safetensors")
        tl.save(obj, path)
        assert_same(obj, tl.load(path))


def test_a_file_written_elsewhere_loads_as_a_flat_dict_sorted_by_name(tmp_path, safetensors_numpy):
    arrays = {"z.weight": np.ones((2, 2), np.float32), "a.bias": np.arange(3.0)}
    safetensors_numpy.save_file(arrays, tmp_path / "foreign.safetensors")
    loaded = tl.load(tmp_path / "foreign.safetensors")
    assert_same({k: Tensor(arrays[k]) for k in sorted(arrays)}, loaded)


def test_the_format_is_recognised_by_its_bytes_whatever_the_name(tmp_path):
    tl.save({"w": Tensor([1.0, 2.0])}, tmp_path / "model.safetensors")
    os.rename(tmp_path / "model.safetensors", tmp_path / "model.bin")
    assert_same({"w": Tensor([1.0, 2.0])}, tl.load(tmp_path / "model.bin"))


# ---- refusals and bad files ---------------------------------------------------------------------------
def test_unsupported_objects_are_a_type_error_and_write_nothing(tmp_path):
    with pytest.raises(TypeError, match="cannot store a set"):
        tl.save({"bad": {1}}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match=r"safetensors format stores numeric arrays; 'names' is <U1"):
        tl.save({"names": np.array(["a", "b"])}, tmp_path / "x.safetensors")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("damage", ["truncate", "header"])
def test_damaged_files_are_a_value_error(tmp_path, damage):
    path = tmp_path / "model.safetensors"
    tl.save(make_model().state_dict(), path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2] if damage == "truncate" else data[:8] + b"{ not json" + data[18:])
    with pytest.raises(ValueError, match="is not a readable tinygrad_like checkpoint: it is not a valid safetensors"):
        tl.load(path)


def test_tampered_metadata_is_a_value_error(tmp_path, safetensors_numpy):
    path = tmp_path / "model.safetensors"
    safetensors_numpy.save_file({"w": np.ones(2)}, path, metadata={"tinygrad_like": json.dumps(
        {"format": "tinygrad_like-checkpoint", "version": 1, "root": {"$tensor": "missing"}})})
    with pytest.raises(ValueError, match="has a corrupted structure entry"):
        tl.load(path)
    safetensors_numpy.save_file({"w": np.ones(2)}, path, metadata={"tinygrad_like": "{oops"})
    with pytest.raises(ValueError, match="structure entry is not JSON"):
        tl.load(path)


def test_a_crash_while_writing_keeps_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    tl.save({"version": 1, "w": Tensor([1.0])}, path)
    before = path.read_bytes()

    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        tl.save({"version": 2, "w": Tensor([2.0])}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt.safetensors"] and path.read_bytes() == before


def test_without_the_package_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"needs the safetensors package: pip install 'tinygrad_like\[interop\]'"):
        tl.save({"w": Tensor([1.0])}, tmp_path / "x.safetensors")
    assert os.listdir(tmp_path) == []


# ---- PyTorch reads what we write, and we read what it writes -----------------------------------------------
def torch_twin(torch):
    return torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2, bias=False),
                               torch.nn.LayerNorm(2))


def our_twin():
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2, bias=False), nn.LayerNorm(2))


@pytest.mark.torch
def test_pytorch_loads_our_file_into_the_equivalent_model_with_the_same_outputs(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file
    ours = our_twin()
    with tl.no_grad():
        ours[3].weight.uniform_(0.5, 1.5)
    tl.save(ours.state_dict(), tmp_path / "model.safetensors")
    theirs = torch_twin(torch)
    theirs.load_state_dict(load_file(tmp_path / "model.safetensors"))
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(theirs(torch.from_numpy(x)).detach().numpy(), ours(Tensor(x)).numpy(), atol=1e-6)


@pytest.mark.torch
def test_we_load_pytorchs_file_into_the_equivalent_model_with_the_same_outputs(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file
    torch.manual_seed(0)
    theirs = torch_twin(torch)
    save_file(theirs.state_dict(), tmp_path / "model.safetensors")
    ours = our_twin()
    ours.load_state_dict(tl.load(tmp_path / "model.safetensors"))
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(Tensor(x)).numpy(), theirs(torch.from_numpy(x)).detach().numpy(), atol=1e-6)
