"""Checkpoints: save(obj, path) / load(path) for state dicts of modules and optimizers.

The file is a numpy .npz archive: every array (and Tensor) is one entry, and one more entry holds
the structure as JSON (dicts, lists, tuples, numbers, strings, None, with references to the arrays).
It is read with allow_pickle=False, so loading an untrusted file cannot run code. Writing goes to a
temporary file in the same directory that is renamed over the target only when complete.
"""
import json
import os
import tempfile
import zipfile

import numpy as np

from tinygrad_like.tensor import Tensor

_FORMAT = "tinygrad_like-checkpoint"
_VERSION = 1
_STRUCTURE_KEY = "__structure__"


def save(obj, path):
    arrays = {}

    def encode(value):
        if isinstance(value, (Tensor, np.ndarray, np.generic)):
            key = f"a{len(arrays)}"
            arrays[key] = np.asarray(value._data if isinstance(value, Tensor) else value)
            kind = "tensor" if isinstance(value, Tensor) else "scalar" if isinstance(value, np.generic) else "array"
            return {"$" + kind: key}
        if isinstance(value, dict):
            return {"$dict": [[encode(k), encode(v)] for k, v in value.items()]}
        if isinstance(value, (list, tuple)):
            return {"$list" if isinstance(value, list) else "$tuple": [encode(v) for v in value]}
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise TypeError(f"save(): cannot store a {type(value).__name__}; checkpoints hold Tensors, numpy arrays, "
                        "numbers, strings, None and dicts/lists/tuples of them (e.g. model.state_dict())")

    structure = json.dumps({"format": _FORMAT, "version": _VERSION, "root": encode(obj)})
    arrays[_STRUCTURE_KEY] = np.array(structure)
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=directory)
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp creates 0600; give the permissions open() would
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def load(path):
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load(): no checkpoint at {path!r}")
    arrays = _read_archive(path)
    if _STRUCTURE_KEY not in arrays:
        raise ValueError(f"load(): {path!r} is an .npz archive but not a tinygrad_like checkpoint (it has no "
                         "structure entry); write checkpoints with tinygrad_like.save")
    try:
        header = json.loads(str(arrays.pop(_STRUCTURE_KEY)))
    except json.JSONDecodeError as error:
        raise ValueError(f"load(): {path!r} is not a readable tinygrad_like checkpoint: its structure entry is not "
                         f"JSON ({error})") from error
    if not isinstance(header, dict):
        raise ValueError(f"load(): {path!r} has a structure entry that is not a tinygrad_like header")
    if header.get("format") != _FORMAT or header.get("version") != _VERSION:
        raise ValueError(f"load(): {path!r} has format {header.get('format')!r} version {header.get('version')!r}; "
                         f"this version reads {_FORMAT!r} version {_VERSION}")

    def decode(value):
        if not isinstance(value, dict):
            return value
        (kind, content), = value.items()
        if kind == "$tensor":
            return Tensor._wrap(arrays[content])
        if kind == "$array":
            return arrays[content]
        if kind == "$scalar":
            return arrays[content][()]
        if kind == "$dict":
            return {decode(k): decode(v) for k, v in content}
        items = [decode(v) for v in content]
        return items if kind == "$list" else tuple(items)

    try:
        return decode(header["root"])
    except (KeyError, TypeError, ValueError) as error:  # a reference to a missing array, a malformed node
        raise ValueError(f"load(): {path!r} has a corrupted structure entry: {error!r}") from error


def _read_archive(path):
    """Every array of the .npz file at `path`; ValueError for anything else (never unpickles)."""
    # numpy raises ValueError for pickled content when allow_pickle=False, the others for damaged files
    unreadable = (zipfile.BadZipFile, EOFError, OSError, ValueError)
    try:
        loaded = np.load(path, allow_pickle=False)
    except unreadable as error:
        raise _unreadable(path, error) from error
    if isinstance(loaded, np.ndarray):
        raise ValueError(f"load(): {path!r} is a single numpy array (.npy), not a tinygrad_like checkpoint; write "
                         "checkpoints with tinygrad_like.save")
    try:
        with loaded as archive:
            return {key: archive[key] for key in archive.files}
    except unreadable as error:
        raise _unreadable(path, error) from error


def _unreadable(path, error):
    return ValueError(f"load(): {path!r} is not a readable tinygrad_like checkpoint: it is truncated, corrupted, "
                      f"another kind of file or holds pickled objects ({error}); write checkpoints with "
                      "tinygrad_like.save")
