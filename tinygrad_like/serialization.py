"""Checkpoints: save(obj, path) / load(path) for state dicts of modules and optimizers.

The default file is a numpy .npz archive: every array (and Tensor) is one entry, and one more entry
holds the structure as JSON (dicts, lists, tuples, numbers, strings, None, with references to the
arrays). It is read without ever unpickling (an entry of Python objects is refused from its header),
so loading an untrusted file cannot run code.

A path ending in .safetensors is written in that format instead (with the optional `safetensors`
package): the tensors under their state-dict names, so that PyTorch loads the file with
`safetensors.torch.load_file`, and the same JSON structure in the header's `__metadata__` for whatever
is not a tensor (optimizer hyper-parameters, step counts, nesting). load() reads safetensors files from
anywhere (a file without that structure gives a dict of name -> Tensor), and the files torch.save
writes, through an allow-list unpickler that never imports or calls anything else (torch_checkpoint).

Writing goes to a temporary file in the same directory that is renamed over the target only when
complete.
"""
import json
import os
import tempfile
import tokenize
import zipfile
import zlib

import numpy as np

from tinygrad_like import torch_checkpoint
from tinygrad_like.tensor import Tensor

_FORMAT = "tinygrad_like-checkpoint"
_VERSION = 1
_STRUCTURE_KEY = "__structure__"
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK"
_SAFETENSORS_SUFFIX = ".safetensors"
_METADATA_KEY = "tinygrad_like"  # the structure's entry in a safetensors header's __metadata__
_ACCEPTED = ("load reads the .npz archives that tinygrad_like.save writes (numeric arrays and a JSON structure), "
             ".safetensors files, and torch.save files of tensors")
_INSTALL = "pip install 'tinygrad_like[interop]' (or pip install safetensors)"


def save(obj, path):
    """Write `obj` (tensors, arrays, numbers, strings, None, and dicts/lists/tuples of them) to `path`: an
    .npz archive, or a safetensors file when the path ends in .safetensors."""
    path = os.fspath(path)
    if path.endswith(_SAFETENSORS_SUFFIX):
        data = _safetensors_bytes(obj)
        _write_atomically(path, lambda file: file.write(data))
        return
    arrays = {}
    root = _encode(obj, arrays, lambda where: f"a{len(arrays)}")
    arrays[_STRUCTURE_KEY] = np.array(_header(root))
    _write_atomically(path, lambda file: np.savez(file, **arrays))


def _encode(value, arrays, name, where=()):
    """The JSON structure of `value`; each array goes into `arrays` under name(where), where is its path."""
    if isinstance(value, (Tensor, np.ndarray, np.generic)):
        key = name(where)
        arrays[key] = np.asarray(value._data if isinstance(value, Tensor) else value)
        kind = "tensor" if isinstance(value, Tensor) else "scalar" if isinstance(value, np.generic) else "array"
        return {"$" + kind: key}
    if isinstance(value, dict):
        return {"$dict": [[_encode(k, arrays, name, where + ("key",)), _encode(v, arrays, name, where + (k,))]
                          for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return {"$list" if isinstance(value, list) else "$tuple": [_encode(v, arrays, name, where + (i,))
                                                                   for i, v in enumerate(value)]}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"save(): cannot store a {type(value).__name__}; checkpoints hold Tensors, numpy arrays, "
                    "numbers, strings, None and dicts/lists/tuples of them (e.g. model.state_dict())")


def _header(root):
    return json.dumps({"format": _FORMAT, "version": _VERSION, "root": root})


def _write_atomically(path, write):
    """write(file) into a temporary file beside `path`, renamed over it only once complete."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.splitext(path)[1] or ".npz", dir=directory)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp creates 0600; give the permissions open() would
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


# ---- safetensors ------------------------------------------------------------------------------------
def _safetensors_module(action):
    try:
        import safetensors.numpy
    except ImportError as error:
        raise ImportError(f"{action} a .safetensors file needs the safetensors package: {_INSTALL}") from error
    return safetensors


def _safetensors_bytes(obj):
    """The file's bytes: each tensor named by its place in `obj` (a state dict's own keys: "0.weight"), the
    structure in the metadata."""
    safetensors = _safetensors_module("save(): writing")
    arrays = {}

    def name(where):
        base = ".".join(str(part) for part in where) or "tensor"
        key, copy = base, 1
        while key in arrays:  # {"a.b": x, "a": {"b": y}} would name both "a.b"
            key, copy = f"{base}#{copy}", copy + 1
        return key

    root = _encode(obj, arrays, name)
    for key, array in arrays.items():
        if array.dtype.kind not in "biufc":
            raise TypeError(f"save(): the safetensors format stores numeric arrays; {key!r} is {array.dtype}")
        # the format stores C-ordered bytes, and safetensors.numpy would write a transposed view's memory as is
        arrays[key] = array if array.flags.c_contiguous else array.copy(order="C")
    return safetensors.numpy.save(arrays, metadata={"format": "pt", _METADATA_KEY: _header(root)})


def _load_safetensors(path):
    safetensors = _safetensors_module("load(): reading")
    from safetensors import safe_open
    try:
        with safe_open(path, framework="np") as file:
            metadata = file.metadata() or {}
            arrays = {key: file.get_tensor(key) for key in file.keys()}  # sorted by name
    except (safetensors.SafetensorError, OSError, ValueError, TypeError) as error:
        raise _damaged(path, f"it is not a valid safetensors file ({error})") from error
    if _METADATA_KEY not in metadata:  # written elsewhere (safetensors.torch.save_file): a flat state dict
        return {key: Tensor._wrap(array) for key, array in arrays.items()}
    return _decode(path, _parse_header(path, metadata[_METADATA_KEY]), arrays)


def _is_safetensors(path, start):
    """A safetensors file begins with the length of its JSON header (8 bytes, little-endian), then '{'."""
    return path.endswith(_SAFETENSORS_SUFFIX) or (
        len(start) > 8 and start[8:9] == b"{" and int.from_bytes(start[:8], "little") < os.path.getsize(path))


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def load(path):
    """What save() wrote to `path`; also a safetensors file's tensors, or a torch.save file's tensors and
    containers (read without torch and without running any code it holds)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load(): no checkpoint at {path!r}")
    with open(path, "rb") as file:
        start = file.read(len(torch_checkpoint.LEGACY_HEADER))
    if _is_safetensors(path, start):
        return _load_safetensors(path)
    if start.startswith(torch_checkpoint.LEGACY_HEADER):
        return torch_checkpoint.load(path, legacy=True)
    if start.startswith(_ZIP_MAGIC) and torch_checkpoint.is_torch_zip(path):
        return torch_checkpoint.load(path)
    arrays = _read_archive(path)
    if _STRUCTURE_KEY not in arrays:
        raise ValueError(f"load(): {path!r} is an .npz archive but not a tinygrad_like checkpoint (it has no "
                         "structure entry); write checkpoints with tinygrad_like.save")
    return _decode(path, _parse_header(path, str(arrays.pop(_STRUCTURE_KEY))), arrays)


def _parse_header(path, text):
    try:
        header = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"load(): {path!r} is not a readable tinygrad_like checkpoint: its structure entry is not "
                         f"JSON ({error})") from error
    if not isinstance(header, dict):
        raise ValueError(f"load(): {path!r} has a structure entry that is not a tinygrad_like header")
    if header.get("format") != _FORMAT or header.get("version") != _VERSION:
        raise ValueError(f"load(): {path!r} has format {header.get('format')!r} version {header.get('version')!r}; "
                         f"this version reads {_FORMAT!r} version {_VERSION}")
    return header


def _decode(path, header, arrays):
    """The object that the structure `header` describes, with its references to `arrays` resolved."""

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
