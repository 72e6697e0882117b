"""Checkpoints: save(obj, path) / load(path) for state dicts of modules and optimizers.

The file is a numpy .npz archive: every array (and Tensor) is one entry, and one more entry holds
the structure as JSON (dicts, lists, tuples, numbers, strings, None, with references to the arrays).
It is read without ever unpickling (an entry of Python objects is refused from its header), so
loading an untrusted file cannot run code. Writing goes to a temporary file in the same directory
that is renamed over the target only when complete.
"""
import json
import os
import tempfile
import tokenize
import zipfile
import zlib

import numpy as np

from tinygrad_like.tensor import Tensor

_FORMAT = "tinygrad_like-checkpoint"
_VERSION = 1
_STRUCTURE_KEY = "__structure__"
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK"
_ACCEPTED = "load reads the .npz archives that tinygrad_like.save writes (numeric arrays and a JSON structure)"


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
    """Every array of the .npz checkpoint at `path`; ValueError saying what else the file is (never unpickles)."""
    with open(path, "rb") as file:
        start = file.read(len(_NPY_MAGIC))
    if not start:
        raise ValueError(f"load(): {path!r} is empty (0 bytes), not a tinygrad_like checkpoint; {_ACCEPTED}")
    if start == _NPY_MAGIC:
        raise ValueError(f"load(): {path!r} is a single numpy array (.npy), not a tinygrad_like checkpoint; "
                         f"{_ACCEPTED}")
    if not start.startswith(_ZIP_MAGIC):
        raise ValueError(f"load(): {path!r} is not a tinygrad_like checkpoint: it has no npz (zip) header (its "
                         f"first bytes are {start!r}); {_ACCEPTED}")
    try:
        with zipfile.ZipFile(path) as archive:
            # np.savez stores the keyword w as the entry "w.npy"
            return {name.removesuffix(".npy"): _entry_array(path, archive, name) for name in archive.namelist()}
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        raise _damaged(path, f"it starts like an npz (zip) archive but is truncated or corrupted ({error})") from error


def _entry_array(path, archive, name):
    """The array of one .npy entry of the archive; refused from its header alone if it holds Python objects."""
    with archive.open(name) as entry:
        try:
            version = np.lib.format.read_magic(entry)
            # 3.0 has 2.0's layout (only field names are encoded differently): enough to read the dtype
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            dtype = read_header(entry)[2]
        except (ValueError, SyntaxError, tokenize.TokenError):  # numpy's header parser on damaged bytes
            # numpy's own message is left out: for an oversized header it suggests loading with pickles allowed
            raise _damaged(path, f"its entry {name!r} has no valid .npy header") from None
    if dtype.hasobject:
        raise ValueError(f"load(): {path!r} is not a tinygrad_like checkpoint: its entry {name!r} holds Python "
                         "objects, which only unpickling could read, and unpickling a file can run any code, so "
                         f"it is not read; {_ACCEPTED}")
    with archive.open(name) as entry:
        try:
            return np.lib.format.read_array(entry, allow_pickle=False)
        except ValueError as error:  # fewer data bytes than the header's shape needs
            raise _damaged(path, f"its entry {name!r} is truncated ({error})") from error


def _damaged(path, what):
    return ValueError(f"load(): {path!r} is not a readable tinygrad_like checkpoint: {what}; {_ACCEPTED}")
