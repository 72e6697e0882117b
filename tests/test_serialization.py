"""Checkpoints: tinygrad_like.save / load of module and optimizer state dicts.

Round trips are bit-exact and keep dtypes and nested structure; loading never unpickles (bad files
are a ValueError with a clear message, and no code runs); writing is atomic.
"""
import os
import pathlib
import zipfile

import numpy as np
import pytest

import tinygrad_like as tl
from tinygrad_like import Tensor, nn, optim


def make_model(seed=0):
    tl.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2, bias=False))
    model[0].register_buffer("counts", Tensor(np.array([1, 2, 3], dtype=np.int64)))
    model[0].register_buffer("stats", Tensor(np.linspace(0, 1, 5)))  # a float64 buffer beside float32 weights
    return model


def train_steps(model, opt, steps, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = Tensor(rng.standard_normal((4, 3)).astype(np.float32))
        y = Tensor(rng.standard_normal((4, 2)).astype(np.float32))
        opt.zero_grad()
        nn.MSELoss()(model(x), y).backward()
        opt.step()


def assert_identical(a, b, where="root"):
    """Same structure, same container and leaf types, bit-identical arrays of the same dtype.
    (An OrderedDict comes back as a dict, which keeps the order too.)"""
    if not (isinstance(a, dict) and isinstance(b, dict)):
        assert type(a) is type(b), f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, Tensor):
        a, b = a.numpy(), b.numpy()
    if isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{where}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
        assert a.tobytes() == b.tobytes(), f"{where}: the bytes differ"
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} vs {list(b)}"
        for key in a:
            assert type(key) is type(next(k for k in b if k == key)), f"{where}: key type of {key!r}"
            assert_identical(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: lengths {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_identical(x, y, f"{where}[{i}]")
    else:
        assert a == b or (a != a and b != b), f"{where}: {a!r} vs {b!r}"


# ---- round trips ----------------------------------------------------------------------------------
def test_module_state_dict_round_trip_is_bit_identical_with_dtypes(tmp_path):
    model = make_model()
    path = tmp_path / "model.npz"
    tl.save(model.state_dict(), path)
    loaded = tl.load(path)
    assert list(loaded) == ["0.weight", "0.bias", "0.counts", "0.stats", "2.weight"]
    assert [loaded[k].dtype for k in loaded] == [np.float32, np.float32, np.int64, np.float64, np.float32]
    assert_identical(dict(model.state_dict()), loaded)


def test_loading_into_a_fresh_model_reproduces_the_outputs_exactly(tmp_path):
    model = make_model(seed=1)
    tl.save(model.state_dict(), tmp_path / "model.npz")
    fresh = make_model(seed=2)
    x = Tensor(np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32))
    assert not np.array_equal(fresh(x).numpy(), model(x).numpy())
    assert fresh.load_state_dict(tl.load(tmp_path / "model.npz")) == ([], [])
    np.testing.assert_array_equal(fresh(x).numpy(), model(x).numpy())
    assert fresh[0].counts.dtype == np.int64 and fresh[0].stats.dtype == np.float64


def test_strict_and_non_strict_loading_of_a_checkpoint(tmp_path):
    tl.save(make_model().state_dict(), tmp_path / "model.npz")
    bigger = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2, bias=False), nn.Linear(2, 1))
    with pytest.raises(RuntimeError, match=r"missing keys: \['3.weight', '3.bias'\].*unexpected keys: "
                                       r"\['0.counts', '0.stats'\]"):
        bigger.load_state_dict(tl.load(tmp_path / "model.npz"))
    missing, unexpected = bigger.load_state_dict(tl.load(tmp_path / "model.npz"), strict=False)
    assert missing == ["3.weight", "3.bias"] and unexpected == ["0.counts", "0.stats"]
    np.testing.assert_array_equal(bigger[0].weight.numpy(), make_model()[0].weight.numpy())


@pytest.mark.parametrize("optimizer_class, options", [
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    (optim.Adam, dict(lr=0.01, betas=(0.8, 0.95))),
    (optim.AdamW, dict(lr=0.01)),
])
def test_optimizer_checkpoint_round_trip_and_resume(tmp_path, optimizer_class, options):
    model = make_model()
    opt = optimizer_class(model.parameters(), **options)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    train_steps(model, opt, 3)
    scheduler.step()
    checkpoint = {"model": model.state_dict(), "optimizer": opt.state_dict(),
                  "scheduler": scheduler.state_dict(), "epoch": 3}
    tl.save(checkpoint, tmp_path / "ckpt.npz")
    loaded = tl.load(tmp_path / "ckpt.npz")
    assert_identical(checkpoint, loaded)
    # int parameter indices and tuple betas survive (JSON alone would turn them into str and list)
    assert all(type(k) is int for k in loaded["optimizer"]["state"])
    if "betas" in options:
        assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.8, 0.95)

    resumed = make_model(seed=9)
    resumed_opt = optimizer_class(resumed.parameters(), **options)
    resumed_scheduler = optim.lr_scheduler.StepLR(resumed_opt, step_size=2, gamma=0.5)
    resumed.load_state_dict(loaded["model"])
    resumed_opt.load_state_dict(loaded["optimizer"])
    resumed_scheduler.load_state_dict(loaded["scheduler"])
    for m, o, s in ((model, opt, scheduler), (resumed, resumed_opt, resumed_scheduler)):
        train_steps(m, o, 3, seed=5)
        s.step()
    for (name, a), b in zip(model.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    assert resumed_opt.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


def test_nested_python_structures_round_trip(tmp_path):
    obj = {
        0: {"step": 3, "buffer": np.arange(6, dtype=np.int32).reshape(2, 3)},
        "tuple": (1, 2.5, "three", None, True),
        (1, "key"): [np.float32(1.5), np.float64(0.1), np.array(7, dtype=np.int16), np.zeros((0, 2))],
        "floats": [0.1, 1e-300, -2.0, float("inf"), float("nan")],
        "bools": np.array([True, False]),
        "tensor64": Tensor(np.array([[1.0, np.nextafter(1.0, 2)]])),
        "half": np.array([1.0, 2.0], dtype=np.float16),
        "nested": [[{"deep": (np.array([np.pi]),)}]],
        "": "empty key",
    }
    tl.save(obj, tmp_path / "obj.npz")
    assert_identical(obj, tl.load(tmp_path / "obj.npz"))


def test_paths_as_strings_and_pathlib_and_any_extension(tmp_path):
    obj = {"w": np.ones(3)}
    tl.save(obj, str(tmp_path / "a.npz"))
    tl.save(obj, tmp_path / "b.pt")  # written at exactly that path (np.savez would append .npz to a name)
    assert sorted(os.listdir(tmp_path)) == ["a.npz", "b.pt"]
    assert_identical(tl.load(pathlib.Path(tmp_path / "a.npz")), obj)
    assert_identical(tl.load(str(tmp_path / "b.pt")), obj)


def test_the_file_is_a_plain_npz_that_needs_no_pickle(tmp_path):
    tl.save(make_model().state_dict(), tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        assert "__structure__" in archive.files
        assert len(archive.files) == 6
        assert all(archive[name].dtype != object for name in archive.files)


def test_saving_an_unsupported_object_is_a_type_error_and_writes_nothing(tmp_path):
    with pytest.raises(TypeError, match="cannot store a set"):
        tl.save({"bad": {1, 2}}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="cannot store a Linear"):
        tl.save(nn.Linear(1, 1), tmp_path / "x.npz")  # the module itself, not its state_dict()
    assert os.listdir(tmp_path) == []


# ---- bad files ------------------------------------------------------------------------------------
ACCEPTED = "load reads the .npz archives that tinygrad_like.save writes"


def load_error(path):
    """The message of the ValueError that load(path) raises. A loader that exists to be safe never suggests
    the unsafe route: no message of the traceback may mention numpy's allow_pickle or pickle.load."""
    with pytest.raises(ValueError) as caught:
        tl.load(path)
    error = caught.value
    while error is not None:  # the chain a traceback prints
        assert "allow_pickle" not in str(error) and "pickle.load" not in str(error), str(error)
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at .*nothing.npz"):
        tl.load(tmp_path / "nothing.npz")


def test_text_file(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("hello, not a checkpoint\n")
    message = load_error(text)
    assert "is not a tinygrad_like checkpoint: it has no npz (zip) header (its first bytes are b'hello,')" in message
    assert ACCEPTED in message


@pytest.mark.parametrize("seed", range(3))
def test_random_bytes(tmp_path, seed):
    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(seed).bytes(3000))
    message = load_error(path)
    assert "is not a tinygrad_like checkpoint: it has no npz (zip) header" in message and ACCEPTED in message


def test_empty_file(tmp_path):
    path = tmp_path / "empty.npz"
    path.touch()
    message = load_error(path)
    assert "is empty (0 bytes), not a tinygrad_like checkpoint" in message and ACCEPTED in message


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_file(tmp_path, keep):
    path = tmp_path / "ckpt.npz"
    tl.save(make_model().state_dict(), path)
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])
    message = load_error(path)
    assert "is not a readable tinygrad_like checkpoint: it starts like an npz (zip) archive but is truncated or " \
           "corrupted" in message and ACCEPTED in message


def test_corrupted_zip_member(tmp_path):
    path = tmp_path / "ckpt.npz"
    tl.save({"w": np.arange(1000.0)}, path)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(64)  # corrupt the stored array's bytes: the zip CRC check catches it
    path.write_bytes(bytes(data))
    assert "truncated or corrupted (Bad CRC-32" in load_error(path)


def test_foreign_npz(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, weights=np.ones(3), bias=np.zeros(2))
    with pytest.raises(ValueError, match="is an .npz archive but not a tinygrad_like checkpoint.*tinygrad_like.save"):
        tl.load(path)


def test_npy_file_at_the_checkpoint_path(tmp_path):
    path = tmp_path / "array.npy"
    np.save(path, np.arange(4.0))
    assert "is a single numpy array (.npy), not a tinygrad_like checkpoint" in load_error(path)


def _write_npz(path, **entries):
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in entries.items():
            with archive.open(name + ".npy", "w") as member:
                np.lib.format.write_array(member, np.asarray(array), allow_pickle=True)


def test_npz_entries_with_damaged_headers(tmp_path):
    # numpy's own message for an oversized header suggests loading with pickles allowed: it must not show
    path = tmp_path / "oversized.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("w.npy", b"\x93NUMPY\x01\x00" + (20000).to_bytes(2, "little") + b" " * 20000)
    assert "its entry 'w.npy' has no valid .npy header" in load_error(path)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("w.npy", b"\x93NUMPY\x01\x00\x08\x00{'descr")
    assert "its entry 'w.npy' has no valid .npy header" in load_error(path)


def test_npz_entry_shorter_than_its_header_says(tmp_path):
    path = tmp_path / "short.npz"
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open("w.npy", "w") as member:
            np.lib.format.write_array_header_1_0(member, {"descr": "<f8", "fortran_order": False, "shape": (100,)})
            member.write(bytes(80))
    assert "its entry 'w.npy' is truncated (EOF: reading array data, expected 800 bytes got 80)" in load_error(path)


@pytest.mark.parametrize("structure, message", [
    ('[1, 2]', "not a tinygrad_like header"),
    ('{"format": "tinygrad_like-checkpoint", "version": 99, "root": null}', "version 99"),
    ('{"format": "something-else", "version": 1, "root": null}', "format 'something-else'"),
    ('{"format": "tinygrad_like-checkpoint", "version": 1, "root": {"$array": "a7"}}', "corrupted structure"),
    ('{"format": "tinygrad_like-checkpoint", "version": 1}', "corrupted structure"),
    ('{"format": "tinygrad_like-checkpoint", "version": 1, "root": {"$dict": 5}}', "corrupted structure"),
    ('not json', "not a readable tinygrad_like checkpoint"),
])
def test_malformed_structure_entry(tmp_path, structure, message):
    path = tmp_path / "bad.npz"
    _write_npz(path, __structure__=np.array(structure))
    with pytest.raises(ValueError, match=message):
        tl.load(path)


class _Marker:
    """Unpickling this creates a file: proof that a loader ran code from the checkpoint."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return pathlib.Path.touch, (pathlib.Path(self.path),)


def test_npz_with_an_object_array_says_so_without_suggesting_to_unpickle(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, w=np.array([{"lr": 0.1}, None], dtype=object))  # numpy pickles object arrays
    message = load_error(path)
    assert "is not a tinygrad_like checkpoint: its entry 'w.npy' holds Python objects" in message
    assert ACCEPTED in message


@pytest.mark.parametrize("where", ["structure", "array"])
def test_npz_with_a_pickled_object_array_is_refused_without_running_code(tmp_path, where):
    # a directory whose name contains the package's name must not change the message either
    directory = tmp_path / "tinygrad_like_runs"
    directory.mkdir()
    marker = tmp_path / "code-was-executed"
    payload = np.array([_Marker(str(marker))], dtype=object)
    path = directory / "evil.npz"
    good = '{"format": "tinygrad_like-checkpoint", "version": 1, "root": {"$array": "a0"}}'
    if where == "structure":
        _write_npz(path, __structure__=payload)
    else:
        _write_npz(path, __structure__=np.array(good), a0=payload)
    np.load(path, allow_pickle=True)["a0" if where == "array" else "__structure__"]  # the payload works...
    assert marker.exists()
    marker.unlink()
    entry = "a0.npy" if where == "array" else "__structure__.npy"
    assert f"not a tinygrad_like checkpoint: its entry '{entry}' holds Python objects" in load_error(path)
    assert not marker.exists()  # ...but load() never ran it


# ---- atomic writes --------------------------------------------------------------------------------
@pytest.mark.parametrize("exception", [OSError("disk full"), KeyboardInterrupt()])
def test_a_crash_while_writing_keeps_the_previous_checkpoint_and_leaves_no_temp_file(tmp_path, monkeypatch,
                                                                                   exception):
    path = tmp_path / "ckpt.npz"
    tl.save({"version": 1, "w": np.arange(5.0)}, path)
    before = path.read_bytes()
    real_savez = np.savez

    def crashing_savez(file, *args, **kwds):
        file.write(b"PK\x03\x04 partial archive bytes")  # some bytes already written when the crash comes
        raise exception

    monkeypatch.setattr(np, "savez", crashing_savez)
    with pytest.raises(type(exception)):
        tl.save({"version": 2, "w": np.zeros(5)}, path)
    monkeypatch.setattr(np, "savez", real_savez)
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    assert path.read_bytes() == before
    assert tl.load(path)["version"] == 1


def test_a_crash_writing_a_new_path_leaves_nothing(tmp_path, monkeypatch):
    def crashing_savez(file, *args, **kwds):
        file.write(b"partial")
        raise RuntimeError("boom")

    monkeypatch.setattr(np, "savez", crashing_savez)
    with pytest.raises(RuntimeError, match="boom"):
        tl.save({"w": np.ones(2)}, tmp_path / "new.npz")
    assert os.listdir(tmp_path) == []


def test_saving_over_an_existing_checkpoint_replaces_it(tmp_path):
    path = tmp_path / "ckpt.npz"
    tl.save({"epoch": 1}, path)
    tl.save({"epoch": 2, "w": np.ones(2, dtype=np.float32)}, path)
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    assert_identical(tl.load(path), {"epoch": 2, "w": np.ones(2, dtype=np.float32)})
