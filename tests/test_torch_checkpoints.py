"""tinygrad_like.load of the files torch.save writes, without importing torch.

The checkpoints of the first part are assembled here, opcode by opcode, exactly as torch.save lays them
out (a zip with <name>/data.pkl and the storages <name>/data/<key>), so that they run without torch: valid
ones (dtypes, shared storages, strides) and malicious ones, which must be refused with an error naming
the global and without any side effect (a payload that would create a file must not create it). The tests
marked torch read the files the installed PyTorch writes.
"""
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import Tensor, nn
from tinygrad_like.torch_checkpoint import UnsafeCheckpointError


# ---- a pickle assembler: the opcodes torch.save's pickles use (protocol 2) ------------------------------------
def glob(module, name):
    return b"c" + f"{module}\n{name}\n".encode()


def text(s):
    data = s.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def integer(n):
    return b"J" + struct.pack("<i", n)


def real(x):
    return b"G" + struct.pack(">d", x)


def tup(*items):
    return b"(" + b"".join(items) + b"t"


def call(function, *args):
    return function + tup(*args) + b"R"


def dictionary(*pairs):
    return b"}(" + b"".join(k + v for k, v in pairs) + b"u"


def listing(*items):
    return b"](" + b"".join(items) + b"e"


NONE, FALSE, TRUE = b"N", b"\x89", b"\x88"


def storage(kind, key, count):
    return tup(text("storage"), glob("torch", kind), text(key), text("cpu"), integer(count)) + b"Q"


def tensor(kind, key, count, offset, size, stride, hooks=None):
    hooks = call(glob("collections", "OrderedDict")) if hooks is None else hooks
    return call(glob("torch._utils", "_rebuild_tensor_v2"), storage(kind, key, count), integer(offset),
                tup(*map(integer, size)), tup(*map(integer, stride)), FALSE, hooks)


def checkpoint(path, body, storages=(), name="archive"):
    """A torch.save-style zip: the pickle of `body` and the raw storages (key, bytes)."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}/data.pkl", b"\x80\x02" + body + b".")
        archive.writestr(f"{name}/byteorder", "little")
        for key, data in storages:
            archive.writestr(f"{name}/data/{key}", data)
        archive.writestr(f"{name}/version", "3\n")
    return path


# ---- valid checkpoints, made by hand -----------------------------------------------------------------------
def test_a_state_dict_with_shared_storage_strides_and_numbers(tmp_path):
    floats = np.arange(12, dtype=np.float32)
    body = dictionary(
        (text("weight"), tensor("FloatStorage", "0", 12, 0, (3, 4), (4, 1))),
        (text("weight_t"), tensor("FloatStorage", "0", 12, 0, (4, 3), (1, 4))),  # a transposed view
        (text("row"), tensor("FloatStorage", "0", 12, 5, (2,), (2,))),  # offset and stride
        (text("steps"), tensor("LongStorage", "1", 1, 0, (), ())),
        (text("nested"), listing(integer(3), real(0.5), text("adam"), NONE, TRUE,
                                 dictionary((text("mask"), tensor("BoolStorage", "2", 2, 0, (2,), (1,)))))))
    path = checkpoint(tmp_path / "model.pt", body, [("0", floats.tobytes()), ("1", np.int64(7).tobytes()),
                                                     ("2", np.array([True, False]).tobytes())])
    loaded = tl.load(path)
    np.testing.assert_array_equal(loaded["weight"].numpy(), floats.reshape(3, 4))
    np.testing.assert_array_equal(loaded["weight_t"].numpy(), floats.reshape(3, 4).T)
    np.testing.assert_array_equal(loaded["row"].numpy(), [5.0, 7.0])
    assert loaded["steps"].dtype == np.int64 and loaded["steps"].shape == () and loaded["steps"].item() == 7
    assert loaded["nested"][:5] == [3, 0.5, "adam", None, True]
    np.testing.assert_array_equal(loaded["nested"][5]["mask"].numpy(), [True, False])
    # one storage, one memory: the views see each other's writes, as in PyTorch
    loaded["weight"].numpy()[1, 1] = 100
    assert loaded["weight_t"].numpy()[1, 1] == 100 and loaded["row"].numpy()[0] == 100


@pytest.mark.parametrize("kind, dtype", [("DoubleStorage", np.float64), ("HalfStorage", np.float16),
                                         ("IntStorage", np.int32), ("ShortStorage", np.int16),
                                         ("CharStorage", np.int8), ("ByteStorage", np.uint8),
                                         ("ComplexFloatStorage", np.complex64)])
def test_storage_types_become_numpy_dtypes(tmp_path, kind, dtype):
    values = np.array([1, 0, 3], dtype=dtype)
    path = checkpoint(tmp_path / "t.pt", tensor(kind, "0", 3, 0, (3,), (1,)), [("0", values.tobytes())])
    loaded = tl.load(path)
    assert isinstance(loaded, Tensor) and loaded.dtype == dtype
    np.testing.assert_array_equal(loaded.numpy(), values)


def test_bfloat16_is_widened_to_float32_exactly(tmp_path):
    values = np.array([1.5, -2.25, 3.0e38, 1.0e-30], dtype=np.float32)
    halves = (values.view(np.uint32) >> 16).astype(np.uint16)  # exactly representable in bfloat16
    path = checkpoint(tmp_path / "t.pt", tensor("BFloat16Storage", "0", 4, 0, (4,), (1,)), [("0", halves.tobytes())])
    loaded = tl.load(path)
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded.numpy(), (halves.astype(np.uint32) << 16).view(np.float32))


def test_big_endian_storages_are_read_in_native_order(tmp_path):
    values = np.array([1.0, -2.5], dtype=np.float64)
    path = tmp_path / "big.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("big/data.pkl", b"\x80\x02" + tensor("DoubleStorage", "0", 2, 0, (2,), (1,)) + b".")
        archive.writestr("big/byteorder", "big")
        archive.writestr("big/data/0", values.astype(">f8").tobytes())
    np.testing.assert_array_equal(tl.load(path).numpy(), values)


def test_a_parameter_and_a_size(tmp_path):
    body = dictionary(
        (text("p"), call(glob("torch._utils", "_rebuild_parameter"), tensor("FloatStorage", "0", 2, 0, (2,), (1,)),
                         TRUE, call(glob("collections", "OrderedDict")))),
        (text("shape"), call(glob("torch", "Size"), tup(integer(2), integer(3)))))
    loaded = tl.load(checkpoint(tmp_path / "p.pt", body, [("0", np.ones(2, np.float32).tobytes())]))
    assert isinstance(loaded["p"], nn.Parameter) and loaded["p"].requires_grad
    assert loaded["shape"] == (2, 3) and type(loaded["shape"]) is tuple


# ---- malicious checkpoints: refused, naming the global, with no side effect ------------------------------------
def payloads(marker):
    """(name of the global that must be refused, pickle body) for payloads that would create `marker`."""
    command = f"touch {marker}"
    created = tensor("FloatStorage", "0", 1, 0, (1,), (1,))
    return [
        ("os.system", call(glob("os", "system"), text(command))),
        ("posix.system", call(glob("posix", "system"), text(command))),
        ("builtins.eval", call(glob("builtins", "eval"), text(f"open({str(marker)!r}, 'w')"))),
        ("builtins.open", call(glob("builtins", "open"), text(str(marker)), text("w"))),
        ("subprocess.call", call(glob("subprocess", "call"), listing(text("touch"), text(str(marker))))),
        # nested: the call hides inside an allowed tensor rebuild, as its backward hooks
        ("builtins.exec", tensor("FloatStorage", "0", 1, 0, (1,), (1,),
                                 hooks=call(glob("builtins", "exec"), text(f"open({str(marker)!r}, 'w')")))),
        # after valid content, deep inside a state dict
        ("os.system", dictionary((text("w"), created),
                                 (text("x"), listing(dictionary((text("y"), call(glob("os", "system"),
                                                                                  text(command)))))))),
        ("torch.nn.modules.linear.Linear", call(glob("torch.nn.modules.linear", "Linear"))),
        ("torch.load", call(glob("torch", "load"), text(str(marker)))),
    ]


@pytest.mark.parametrize("index", range(9))
def test_malicious_pickles_are_refused_naming_the_global_without_side_effects(tmp_path, index):
    marker = tmp_path / "pwned"
    name, body = payloads(marker)[index]
    path = checkpoint(tmp_path / "evil.pt", body, [("0", np.ones(1, np.float32).tobytes())])
    modules = set(sys.modules)
    with pytest.raises(UnsafeCheckpointError, match=f"refers to the global {name}, .*refused without being imported "
                                                    "or called") as caught:
        tl.load(path)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, pickle.UnpicklingError)
    assert not marker.exists()
    assert set(sys.modules) == modules  # nothing was imported either (e.g. torch)


def test_a_pickle_made_with_reduce_is_refused(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return subprocess.call, (["touch", str(marker)],)

    path = checkpoint(tmp_path / "evil.pt", pickle.dumps({"w": Evil()}, protocol=2, fix_imports=False)[2:-1])
    with pytest.raises(UnsafeCheckpointError, match="refers to the global subprocess.call"):
        tl.load(path)
    assert not marker.exists()


def test_saving_a_whole_module_is_refused_with_what_to_do_instead(tmp_path):
    path = checkpoint(tmp_path / "model.pt", call(glob("__main__", "Net")))
    with pytest.raises(UnsafeCheckpointError, match="__main__.Net.*save the module's state_dict\\(\\) instead"):
        tl.load(path)


def test_build_cannot_change_the_allowed_objects(tmp_path):
    # BUILD (b"b") sets attributes of the object below it: here the storage type, then a rebuild function
    storage_type = tup(text("storage"), glob("torch", "FloatStorage") + tup(NONE, dictionary(
        (text("numpy"), text("O")))) + b"b", text("0"), text("cpu"), integer(1)) + b"Q"
    path = checkpoint(tmp_path / "a.pt", storage_type, [("0", np.ones(1, np.float32).tobytes())])
    with pytest.raises(UnsafeCheckpointError, match="tries to set the attribute 'numpy' of torch.float32"):
        tl.load(path)
    rebuild = glob("torch._utils", "_rebuild_tensor_v2") + tup(NONE, dictionary((text("__defaults__"), tup()))) + b"b"
    with pytest.raises(UnsafeCheckpointError, match="tries to set the attribute '__defaults__'"):
        tl.load(checkpoint(tmp_path / "b.pt", rebuild))


@pytest.mark.parametrize("offset, size, stride, message", [
    (0, (4,), (1,), "reaches element 3 of a storage of 3"),
    (2, (2,), (1,), "reaches element 3 of a storage of 3"),
    (0, (2, 2), (2, 1), "reaches element 3 of a storage of 3"),
    (-1, (1,), (1,), "do not describe a view of a storage"),
    (0, (2,), (-1,), "stride must be a tuple of non-negative ints"),
])
def test_views_outside_their_storage_are_refused(tmp_path, offset, size, stride, message):
    path = checkpoint(tmp_path / "t.pt", tensor("FloatStorage", "0", 3, offset, size, stride),
                      [("0", np.ones(3, np.float32).tobytes())])
    with pytest.raises(UnsafeCheckpointError, match=message):
        tl.load(path)


@pytest.mark.parametrize("body, storages, message", [
    (tensor("FloatStorage", "0", 3, 0, (3,), (1,)), [], "refers to a storage '0' it does not hold"),
    (tensor("FloatStorage", "0", 3, 0, (3,), (1,)), [("0", b"\0" * 8)], "a storage of 3 torch.float32 elements "
                                                                         "has 8 bytes"),
    (tup(text("file"), text("x")) + b"Q", [], "holds a reference .* that is not a storage"),
    (call(glob("torch._utils", "_rebuild_tensor_v2"), integer(1)), [], "truncated or corrupted \\(TypeError"),
    (text("unterminated")[:-3], [], "truncated or corrupted"),
])
def test_corrupted_checkpoints_are_a_value_error(tmp_path, body, storages, message):
    with pytest.raises(ValueError, match=message):
        tl.load(checkpoint(tmp_path / "bad.pt", body, storages))


def test_hooks_on_a_tensor_are_refused(tmp_path):
    hooks = call(glob("collections", "OrderedDict")) + text("k") + integer(1) + b"s"  # a non-empty dict
    path = checkpoint(tmp_path / "t.pt", tensor("FloatStorage", "0", 1, 0, (1,), (1,), hooks=hooks),
                      [("0", np.ones(1, np.float32).tobytes())])
    with pytest.raises(UnsafeCheckpointError, match="backward hooks"):
        tl.load(path)


def test_the_reader_never_imports_torch(tmp_path, monkeypatch):
    path = checkpoint(tmp_path / "t.pt", tensor("FloatStorage", "0", 1, 0, (1,), (1,)),
                      [("0", np.ones(1, np.float32).tobytes())])
    for name in [name for name in sys.modules if name == "torch" or name.startswith("torch.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "torch", None)  # any `import torch` now fails
    assert tl.load(path).tolist() == [1.0]


# ---- the files PyTorch writes --------------------------------------------------------------------------------
def torch_module():
    return pytest.importorskip("torch")


@pytest.fixture(params=[True, False], ids=["zip", "legacy"])
def zip_format(request):
    return request.param


@pytest.mark.torch
def test_state_dicts_of_every_dtype_load_with_their_values(tmp_path, zip_format):
    torch = torch_module()
    values = {dtype: torch.tensor([[1, 0, 3], [4, 5, 1]]).to(getattr(torch, dtype))
              for dtype in ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool",
                            "complex64", "complex128"]}
    values["uint16"] = torch.tensor([1, 2, 65535], dtype=torch.int32).to(torch.uint16)  # written with a v3 rebuild
    torch.save(values, tmp_path / "dtypes.pt", _use_new_zipfile_serialization=zip_format)
    loaded = tl.load(tmp_path / "dtypes.pt")
    assert list(loaded) == list(values)
    for name, theirs in values.items():
        ours = loaded[name]
        expected = theirs.to(torch.int32).numpy().astype(name) if name == "uint16" else theirs.numpy()
        assert ours.dtype == np.dtype(name) and ours.shape == tuple(theirs.shape), name
        np.testing.assert_array_equal(ours.numpy(), expected)


@pytest.mark.torch
def test_views_shared_storages_and_strides_come_back_as_torch_has_them(tmp_path, zip_format):
    torch = torch_module()
    base = torch.arange(24.0).reshape(4, 6)
    obj = {"base": base, "t": base.t(), "slice": base[1:3, ::2], "column": base[:, 4], "expanded":
           torch.arange(3.0).expand(2, 3), "bf16": torch.tensor([1.5, -3.0], dtype=torch.bfloat16),
           "empty": torch.zeros(0, 5)}
    torch.save(obj, tmp_path / "views.pt", _use_new_zipfile_serialization=zip_format)
    loaded = tl.load(tmp_path / "views.pt")
    for name, theirs in obj.items():
        np.testing.assert_array_equal(loaded[name].numpy(), theirs.float().numpy())
        assert loaded[name].shape == tuple(theirs.shape)
    assert loaded["t"].numpy().strides == (4, 24)  # non-contiguous, as torch's (1, 6) elements
    assert np.shares_memory(loaded["slice"].numpy(), loaded["base"].numpy())
    loaded["base"].numpy()[1, 4] = -1
    assert loaded["column"].numpy()[1] == -1 and loaded["t"].numpy()[4, 1] == -1


VIEWS = st.sampled_from(["t", "flip-slice", "select", "expand", "narrow", "contiguous"])


@pytest.mark.torch
@settings(max_examples=12)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=3), view=VIEWS,
       dtype=st.sampled_from(["float32", "float64", "int64", "int16", "bool", "float16"]), legacy=st.booleans())
def test_any_view_torch_writes_reads_back_as_it_is(shape, view, dtype, legacy):
    torch = torch_module()
    base = (torch.arange(int(np.prod(shape))) % 5).reshape(shape).to(getattr(torch, dtype))
    derived = {"t": lambda b: b.transpose(0, -1), "flip-slice": lambda b: b[::2, 1:],
               "select": lambda b: b[-1], "expand": lambda b: b[:1].expand(3, *b.shape[1:]),
               "narrow": lambda b: b.narrow(-1, 0, 1),
               "contiguous": lambda b: b.transpose(0, 1).contiguous()}[view](base)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "views.pt")
        torch.save({"base": base, "view": derived}, path, _use_new_zipfile_serialization=not legacy)
        loaded = tl.load(path)
    for name, theirs in (("base", base), ("view", derived)):
        assert loaded[name].dtype == np.dtype(dtype) and loaded[name].shape == tuple(theirs.shape)
        np.testing.assert_array_equal(loaded[name].numpy(), theirs.numpy())
    # memory shared as in torch, except by an empty view and an expanded one (copied here)
    expanded = any(step == 0 and n > 1 for step, n in zip(derived.stride(), derived.shape))
    shares = (derived.untyped_storage().data_ptr() == base.untyped_storage().data_ptr() and derived.numel() > 0
              and not expanded)
    assert np.shares_memory(loaded["view"].numpy(), loaded["base"].numpy()) == shares


@pytest.mark.torch
def test_a_torch_models_state_dict_loads_into_ours_with_the_same_outputs(tmp_path, zip_format):
    torch = torch_module()
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(),
                                 torch.nn.Linear(6, 3))
    theirs.train()
    theirs(torch.randn(8, 4))  # running statistics away from their initial values
    theirs.eval()
    torch.save(theirs.state_dict(), tmp_path / "model.pt", _use_new_zipfile_serialization=zip_format)
    ours = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3)).eval()
    ours.load_state_dict(tl.load(tmp_path / "model.pt"))
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(Tensor(x)).numpy(), theirs(torch.from_numpy(x)).detach().numpy(), atol=1e-6)
    assert ours[1].num_batches_tracked.item() == 1


@pytest.mark.torch
def test_a_torch_optimizer_checkpoint_with_nested_numbers(tmp_path):
    torch = torch_module()
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.ones(1, 2)).sum().backward()
    opt.step()
    torch.save({"epoch": 4, "model": model.state_dict(), "optimizer": opt.state_dict(),
                "parameter": torch.nn.Parameter(torch.ones(2))}, tmp_path / "ckpt.pt")
    loaded = tl.load(tmp_path / "ckpt.pt")
    assert loaded["epoch"] == 4 and isinstance(loaded["parameter"], nn.Parameter)
    group = loaded["optimizer"]["param_groups"][0]
    assert group["lr"] == 0.01 and group["betas"] == (0.9, 0.999) and group["params"] == [0, 1]
    state = loaded["optimizer"]["state"][0]
    assert state["step"].item() == 1.0
    np.testing.assert_array_equal(state["exp_avg"].numpy(), opt.state_dict()["state"][0]["exp_avg"].numpy())


@pytest.mark.torch
def test_torch_saving_a_whole_module_is_refused_naming_its_class(tmp_path):
    torch = torch_module()
    torch.save(torch.nn.Linear(2, 2), tmp_path / "module.pt")
    with pytest.raises(UnsafeCheckpointError, match="the global torch.nn.modules.linear.Linear.*state_dict"):
        tl.load(tmp_path / "module.pt")


@pytest.mark.torch
def test_our_reader_and_torchs_weights_only_agree_on_a_malicious_file(tmp_path):
    torch = torch_module()
    marker = tmp_path / "pwned"
    path = checkpoint(tmp_path / "evil.pt", payloads(marker)[0][1])
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    with pytest.raises(UnsafeCheckpointError, match="os.system"):
        tl.load(path)
    assert not marker.exists()


def test_a_non_torch_zip_is_still_read_as_an_npz_checkpoint(tmp_path):
    tl.save({"w": Tensor([1.0])}, tmp_path / "x.pt")  # tinygrad_like's own format, whatever the suffix
    assert tl.load(tmp_path / "x.pt")["w"].tolist() == [1.0]
