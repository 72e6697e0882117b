"""PyTorch's `device` objects, and the check every `device=` argument goes through: the CPU only."""

# The device types PyTorch knows, so that `device("cuda")` can be written (and then refused where used)
# while a misspelling fails at once, as in PyTorch.
_KNOWN_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
                "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


class device:
    """`device("cpu")`, `device("cpu:0")`, `device("cpu", 0)`; `device("cuda")` can be made (using it is
    the error). Comparison is PyTorch's: `device("cpu") == "cpu"` is False, compare `.type`."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            raise RuntimeError(f"device({type}): an integer names an accelerator device, and there is none; "
                               "tinygrad_like runs on 'cpu'")
        elif not isinstance(type, str):
            raise TypeError(f"device(): expected a string such as 'cpu', got {type!r}")
        elif ":" in type:
            if index is not None:
                raise RuntimeError(f"device(): {type!r} already names an index; do not also pass index={index}")
            type, _, number = spec = type.partition(":")
            if not number.isdigit():
                raise RuntimeError(f"device(): invalid device string {''.join(spec)!r}; write 'cpu' or 'cpu:0'")
            index = int(number)
        if type not in _KNOWN_TYPES:
            raise RuntimeError(f"device(): unknown device type {type!r}; tinygrad_like runs on 'cpu'")
        self.type, self.index = type, index

    def __eq__(self, other):
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{index})"


CPU = device("cpu")


def check_device(spec, op_name):
    """The CPU device for a `device=` argument of `op_name` (None, "cpu", "cpu:0" or a cpu device);
    any other device is an error, since tinygrad_like computes with numpy on the CPU."""
    if spec is None:
        return CPU
    try:
        parsed = device(spec)
    except (TypeError, RuntimeError) as error:
        raise RuntimeError(f"{op_name}(): {error}") from None
    if parsed.type != "cpu":
        raise RuntimeError(f"{op_name}(): device {str(parsed)!r} is not available: tinygrad_like runs on the CPU "
                           "only (numpy); drop .to('cuda') / device=... or use 'cpu'")
    return parsed
