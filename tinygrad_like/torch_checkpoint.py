"""Reading the files torch.save writes, without PyTorch and without running anything they contain.

A torch.save file is a pickle whose tensors point to raw storages: in the zip format (PyTorch >= 1.6)
the pickle is `<name>/data.pkl` and storage `k` is the entry `<name>/data/k`; in the legacy format the
storages follow the pickle in the same stream. Unpickling normally imports and calls whatever globals the
pickle names, which is how a malicious checkpoint runs code. Here `find_class` admits only an allow-list
(torch's tensor-rebuild functions, storage types and dtypes, OrderedDict, torch.Size), each mapped to a
numpy-side stand-in, so the file can only ever build tensors, numbers, strings and containers; any other
global is refused, before anything is called, with an error naming it. The result is checked once more
(see `_checked`) so that pickle's BUILD opcode cannot smuggle anything else in.

Tensors come back as tinygrad_like Tensors (nn.Parameter for saved parameters). Tensors that share a
storage share memory here too (views, tied weights), non-contiguous strides are kept, and every view is
checked to lie inside its storage. bfloat16, which numpy lacks, is widened to float32 (exactly).
"""
import collections
import io
import pickle
import zipfile

import numpy as np

from tinygrad_like.tensor import Tensor


class UnsafeCheckpointError(pickle.UnpicklingError, ValueError):
    """A checkpoint that asks for something outside the allow-list (a ValueError, as load's other refusals)."""


_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # torch.serialization.MAGIC_NUMBER
_LEGACY_PROTOCOL = 1001
LEGACY_HEADER = b"\x80\x02\x8a\x0a" + _LEGACY_MAGIC.to_bytes(10, "little") + b"."  # the pickled magic number

_BFLOAT16 = "bfloat16"  # stored as the upper halves of float32s; widened on reading
_DTYPES = {  # torch's dtype name -> numpy's
    "float32": np.float32, "float": np.float32, "float64": np.float64, "double": np.float64,
    "float16": np.float16, "half": np.float16, "bfloat16": _BFLOAT16, "int64": np.int64, "long": np.int64,
    "int32": np.int32, "int": np.int32, "int16": np.int16, "short": np.int16, "int8": np.int8,
    "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64, "bool": np.bool_,
    "complex64": np.complex64, "cfloat": np.complex64, "complex128": np.complex128, "cdouble": np.complex128,
}
_STORAGES = {  # torch's legacy typed storage classes -> dtype name
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16", "BFloat16Storage": "bfloat16",
    "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16", "CharStorage": "int8",
    "ByteStorage": "uint8", "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128",
}


class _Frozen:
    """Base of the stand-ins find_class hands to the pickle: pickle's BUILD opcode sets attributes on
    whatever object it is given, so these refuse it (and each load gets fresh ones anyway)."""

    __slots__ = ()

    def __setattr__(self, name, value):
        raise UnsafeCheckpointError(f"the checkpoint tries to set the attribute {name!r} of {self!r}; a torch.save "
                                    "file of tensors never does that, so it is refused")


class _Dtype(_Frozen):
    __slots__ = ("name", "numpy")

    def __init__(self, name):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "numpy", _DTYPES[name])

    def __repr__(self):
        return f"torch.{self.name}"


class _StorageType(_Dtype):
    """torch.FloatStorage and the like (their dtype), or torch.storage.UntypedStorage (bytes: dtype None)."""

    __slots__ = ()


class _Function(_Frozen):
    __slots__ = ("function", "name")

    def __init__(self, function, name):
        object.__setattr__(self, "function", function)
        object.__setattr__(self, "name", name)

    def __call__(self, *args):
        return self.function(*args)

    def __repr__(self):
        return self.name


class _Storage:
    """One storage's memory: a 1-d numpy array of its elements in native byte order (of uint8 for an
    untyped storage, whose bytes keep the file's byte order until a tensor reads them as its dtype)."""

    __slots__ = ("array", "big_endian")

    def __init__(self, array, big_endian=False):
        self.array, self.big_endian = array, big_endian


# ---- the tensor-rebuild functions, on numpy --------------------------------------------------------------
def _integers(value, what):
    if not isinstance(value, tuple) or not all(type(n) is int and n >= 0 for n in value):
        raise UnsafeCheckpointError(f"a tensor's {what} must be a tuple of non-negative ints, got {value!r}")
    return value


def _view(storage, offset, size, stride, dtype):
    """The elements of `storage` at `offset` with `size` and `stride` (in elements), as a numpy view."""
    if not isinstance(storage, _Storage):
        raise UnsafeCheckpointError(f"a tensor's storage must come from the checkpoint, got {type(storage).__name__}")
    size, stride = _integers(size, "size"), _integers(stride, "stride")
    if type(offset) is not int or offset < 0 or len(size) != len(stride):
        raise UnsafeCheckpointError(f"a tensor has offset {offset!r}, size {size} and stride {stride}, which do "
                                    "not describe a view of a storage")
    flat = storage.array
    if dtype is not None:  # an untyped (byte) storage read as `dtype`
        flat = _typed(flat, dtype, storage.big_endian)
    if 0 in size:
        return np.zeros(size, flat.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= flat.size:
        raise UnsafeCheckpointError(f"a tensor of size {size}, stride {stride} at offset {offset} reaches element "
                                    f"{last} of a storage of {flat.size}; the file is corrupted")
    view = np.lib.stride_tricks.as_strided(flat[offset:], size, tuple(s * flat.itemsize for s in stride))
    # A stride of 0 repeats elements (an expanded tensor): writing one would write all, so it gets its own copy.
    return view.copy() if any(s == 0 and n > 1 for n, s in zip(size, stride)) else view


def _typed(raw, dtype, big_endian):
    """The bytes of an untyped storage as elements of `dtype` (a view, unless they must be converted)."""
    stored = np.dtype(np.uint16 if dtype.numpy is _BFLOAT16 else dtype.numpy)
    if raw.nbytes % stored.itemsize:
        raise UnsafeCheckpointError(f"a storage of {raw.nbytes} bytes cannot hold {dtype!r} elements")
    elements = raw.view(stored.newbyteorder(">" if big_endian else "<"))
    if dtype.numpy is _BFLOAT16:
        return _widen_bfloat16(elements)
    return elements.astype(stored) if elements.dtype != stored else elements


def _widen_bfloat16(halves):
    """bfloat16 bits (uint16) as float32: the same sign, exponent and leading mantissa bits, exactly."""
    return (halves.astype(np.uint32) << 16).view(np.float32)


def _tensor(array, requires_grad):
    tensor = Tensor._wrap(array)
    if requires_grad is True and array.dtype.kind == "f":
        tensor.requires_grad = True
    return tensor


def _no_hooks(hooks):
    if not (isinstance(hooks, dict) and not hooks):
        raise UnsafeCheckpointError(f"the checkpoint gives a tensor backward hooks ({hooks!r}); hooks are code, "
                                    "which is not loaded")


def _rebuild_tensor(storage, offset, size, stride):
    return _tensor(_view(storage, offset, size, stride, None), False)


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks, metadata=None):
    _no_hooks(backward_hooks)
    return _tensor(_view(storage, offset, size, stride, None), requires_grad)


def _rebuild_tensor_v3(storage, offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    _no_hooks(backward_hooks)
    if not isinstance(dtype, _Dtype) or isinstance(dtype, _StorageType):
        raise UnsafeCheckpointError(f"a tensor's dtype must be a torch dtype, got {dtype!r}")
    return _tensor(_view(storage, offset, size, stride, dtype), requires_grad)


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    from tinygrad_like.nn import Parameter
    _no_hooks(backward_hooks)
    if state:
        raise UnsafeCheckpointError("the checkpoint gives a parameter Python attributes; only its data is loaded")
    if not isinstance(data, Tensor):
        raise UnsafeCheckpointError(f"a parameter's data must be a tensor, got {type(data).__name__}")
    return Parameter(data._data, requires_grad=requires_grad is True and data.dtype.kind == "f")


def _size(values=()):
    return tuple(_integers(tuple(values), "torch.Size"))


_FUNCTIONS = {
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch", "Size"): _size,
}


# ---- the unpickler ------------------------------------------------------------------------------------
class _Unpickler(pickle.Unpickler):
    """pickle.Unpickler whose find_class admits only the allow-list; `storage(key, dtype, count)` returns
    the memory of a persistent storage reference."""

    def __init__(self, file, path, storage=None):
        super().__init__(file)
        self.path, self.storage = path, storage

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict  # a C type: BUILD cannot change it
        if (module, name) in _FUNCTIONS:
            return _Function(_FUNCTIONS[module, name], f"{module}.{name}")
        if module == "torch" and name in _STORAGES:
            return _StorageType(_STORAGES[name])
        if (module, name) == ("torch.storage", "UntypedStorage"):
            return _StorageType("uint8")
        if module == "torch" and name in _DTYPES:
            return _Dtype(name)
        hint = ("; save the module's state_dict() instead of the module" if module.startswith("torch.nn")
                or module == "__main__" else "")
        raise UnsafeCheckpointError(
            f"load(): {self.path!r} refers to the global {module}.{name}, which is not one of the tensor, storage "
            f"and container types a checkpoint of tensors needs; it was refused without being imported or "
            f"called (unpickling it could run any code){hint}")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and isinstance(pid[2], str) and type(pid[4]) is int
                and pid[4] >= 0 and self.storage is not None):
            raise UnsafeCheckpointError(f"load(): {self.path!r} holds a reference {pid!r} that is not a storage")
        if len(pid) == 6 and pid[5] is not None:  # a view of a storage, from PyTorch before 1.0
            raise UnsafeCheckpointError(f"load(): {self.path!r} is a legacy checkpoint with storage views, which "
                                        "this reader does not support; re-save it with a recent torch.save")
        return self.storage(pid[2], pid[1], pid[4])


def _checked(value, path):
    """`value` if it holds only tensors, numbers, strings, None and dicts/lists/tuples of them."""
    stack, seen = [value], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:  # a pickle can make a container hold itself
            continue
        seen.add(id(item))
        if isinstance(item, Tensor):
            if type(item._data) is not np.ndarray or item._data.dtype.kind not in "biufc" or item._ctx is not None \
                    or item.grad is not None:
                raise UnsafeCheckpointError(f"load(): {path!r} builds a tensor whose fields were changed by the "
                                            "pickle; refused")
        elif isinstance(item, dict):
            if type(item) is collections.OrderedDict:
                # a state dict's own attributes (PyTorch's _metadata: versions per module) are not kept
                vars(item).clear()
            stack += list(item.keys()) + list(item.values())
        elif isinstance(item, (list, tuple)):
            stack += item
        elif item is not None and type(item) not in (bool, int, float, complex, str, bytes):
            raise UnsafeCheckpointError(f"load(): {path!r} builds a {type(item).__name__}, which a checkpoint of "
                                        "tensors does not hold; refused")
    return value


# ---- the two file formats --------------------------------------------------------------------------------
def is_torch_zip(path):
    """Does the zip archive at `path` look like torch.save's (one `<name>/data.pkl`)?"""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith("data.pkl") and name.count("/") == 1 for name in archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError):
        return False


def load(path, legacy=False):
    """The object of the torch.save file at `path` (zip format, or the legacy one)."""
    try:
        return _load_legacy(path) if legacy else _load_zip(path)
    except UnsafeCheckpointError:
        raise
    except Exception as error:  # truncated or corrupted: zip, zlib and pickle errors, wrong arguments, ...
        raise UnsafeCheckpointError(f"load(): {path!r} is not a readable torch.save file: it is truncated or "
                                    f"corrupted ({type(error).__name__}: {error})") from error


def _load_zip(path):
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickle_name = next(name for name in names if name.endswith("data.pkl") and name.count("/") == 1)
        prefix = pickle_name[:-len("data.pkl")]
        big_endian = (prefix + "byteorder" in names and archive.read(prefix + "byteorder").strip() == b"big")
        storages = {}

        def storage(key, storage_type, count):
            if key not in storages:
                entry = f"{prefix}data/{key}"
                if entry not in names:
                    raise UnsafeCheckpointError(f"load(): {path!r} refers to a storage {key!r} it does not hold")
                array = _storage_array(archive.read(entry), storage_type, count, big_endian, path)
                storages[key] = _Storage(array, big_endian)
            return storages[key]

        unpickler = _Unpickler(io.BytesIO(archive.read(pickle_name)), path, storage)
        return _checked(unpickler.load(), path)


def _load_legacy(path):
    """The format of torch.save(..., _use_new_zipfile_serialization=False): the magic number, the protocol
    version and the system info, each pickled, then the object's pickle, the list of its storage keys, and
    the storages in that order (each an int64 count of elements and the raw elements).

    The storages come after the pickle that says their types, so the pickle is read twice: once to learn
    them (with zero-filled stand-ins), and once more with the storages read."""
    with open(path, "rb") as file:
        data = file.read()
    stream = io.BytesIO(data)
    header = [_Unpickler(stream, path).load() for _ in range(3)]
    if header[0] != _LEGACY_MAGIC or header[1] != _LEGACY_PROTOCOL or not isinstance(header[2], dict):
        raise UnsafeCheckpointError(f"load(): {path!r} starts like a legacy torch.save file but its header is "
                                    f"{header[:2]!r}")
    big_endian = header[2].get("little_endian") is False
    start = stream.tell()
    declared = {}  # key -> (storage type, element count), in the order the pickle names them

    def declare(key, storage_type, count):
        if count * _itemsize(storage_type) > len(data):  # before allocating: the file must be able to hold it
            raise UnsafeCheckpointError(f"load(): {path!r} declares a storage of {count} elements, more than the "
                                        "file holds")
        declared.setdefault(key, (storage_type, count))
        return _Storage(np.zeros(count, _stored_dtype(storage_type)), big_endian)

    _Unpickler(stream, path, declare).load()
    keys = _Unpickler(stream, path).load()
    if not isinstance(keys, list) or sorted(keys) != sorted(declared):
        raise UnsafeCheckpointError(f"load(): {path!r} lists storages {keys!r} but its tensors use {list(declared)}")
    storages = {}
    for key in keys:
        storage_type, count = declared[key]
        stored = int.from_bytes(stream.read(8), "little")
        raw = stream.read(stored * _itemsize(storage_type))
        if stored != count:
            raise UnsafeCheckpointError(f"load(): {path!r} is truncated or corrupted: storage {key!r} holds {stored} "
                                        f"elements, its tensors expect {count}")
        storages[key] = _Storage(_storage_array(raw, storage_type, count, big_endian, path), big_endian)
    stream.seek(start)
    return _checked(_Unpickler(stream, path, lambda key, storage_type, count: storages[key]).load(), path)


def _itemsize(storage_type):
    return 2 if storage_type.numpy is _BFLOAT16 else np.dtype(storage_type.numpy).itemsize


def _stored_dtype(storage_type):
    return np.float32 if storage_type.numpy is _BFLOAT16 else storage_type.numpy


def _storage_array(raw, storage_type, count, big_endian, path):
    """A writable 1-d array of the storage's `count` elements from its raw bytes (float32 for bfloat16)."""
    itemsize = _itemsize(storage_type)
    if len(raw) != count * itemsize:
        raise UnsafeCheckpointError(f"load(): {path!r} is truncated or corrupted: a storage of {count} "
                                    f"{storage_type!r} elements has {len(raw)} bytes")
    if storage_type.numpy is _BFLOAT16:
        return _widen_bfloat16(np.frombuffer(raw, ">u2" if big_endian else "<u2").astype(np.uint16))
    dtype = np.dtype(storage_type.numpy)
    array = np.frombuffer(bytearray(raw), dtype.newbyteorder(">" if big_endian else "<"))
    return array.astype(dtype) if array.dtype != dtype else array
