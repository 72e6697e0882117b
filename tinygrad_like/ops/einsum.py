"""einsum, and the contractions written with it (tensordot, inner, dot, vdot).

One primitive, Einsum, takes equations already resolved to single letters per axis, every label of
one size across the operands. Its gradients are einsums too: the gradient of an operand is the
einsum of the upstream gradient with the other operands, so a recorded backward is differentiable
again. `einsum()` does the parsing PyTorch does: ellipses, implicit output, repeated labels
(diagonals), broadcasting of size-1 dimensions (removed before the primitive, so that its operands'
shapes are exact and the gradient of a size-1 dimension is summed by the reshape that removed it).
"""
import math
import string

import numpy as np

from tinygrad_like.ops.dispatch import broadcast_array, raw
from tinygrad_like.tensor import Function, ShapeError, Tensor, _wrap, infer_array

# np.einsum's labels. The implicit output lists its labels in this order (uppercase first), as PyTorch's.
LETTERS = string.ascii_uppercase + string.ascii_lowercase

# Up to this many multiply-adds (the product of all label sizes) np.einsum's own loop is faster than
# optimize=True, which searches a contraction order and calls BLAS: about 2 µs against 10-25 µs on small
# operands, with the break-even between 2**14 and 2**16 (matrix, batched-matrix and chain products).
_OPTIMIZE_ABOVE = 1 << 15


def _numpy_einsum(subscripts, output, arrays):
    sizes = {}
    for labels, array in zip(subscripts, arrays):
        sizes.update(zip(labels, array.shape))
    optimize = len(arrays) > 1 and math.prod(sizes.values()) > _OPTIMIZE_ABOVE
    return np.asarray(np.einsum(",".join(subscripts) + "->" + output, *arrays, optimize=optimize))


def _einsum(subscripts, output, operands):
    """np.einsum on arrays; the Einsum op when an operand is a Tensor (a backward being recorded)."""
    if any(isinstance(x, Tensor) for x in operands):
        return Einsum.apply(*operands, subscripts=subscripts, output=output)
    return _numpy_einsum(subscripts, output, operands)


class Einsum(Function):
    """np.einsum of operands whose labels (one letter per axis) have one size throughout."""

    @staticmethod
    def forward(ctx, *arrays, subscripts, output):
        needs = ctx.needs_input_grad
        ctx.subscripts, ctx.output = subscripts, output
        ctx.shapes = [a.shape for a in arrays]
        out = _numpy_einsum(subscripts, output, arrays)
        # an operand is read by the gradients of the others only
        saved = [a if any(needs[:j] + needs[j + 1:]) else None for j, a in enumerate(arrays)]
        if len(arrays) == 1 and np.may_share_memory(out, arrays[0]):
            saved = [arrays[0]]  # a view (a transpose, a diagonal): lets the engine see in-place changes of it
        ctx.save_for_backward(*saved)
        return out

    @staticmethod
    def backward(ctx, grad):
        return tuple(_operand_gradient(ctx, k, grad) if needed else None
                     for k, needed in enumerate(ctx.needs_input_grad))


def _operand_gradient(ctx, k, grad):
    """d(sum(grad * out)) / d(operand k): the einsum of grad and the other operands to operand k's labels."""
    subscripts, shape = ctx.subscripts, ctx.shapes[k]
    terms = [ctx.output] + [s for j, s in enumerate(subscripts) if j != k]
    operands = [grad] + [x for j, x in enumerate(ctx.saved_tensors) if j != k]
    used = set("".join(subscripts) + ctx.output)
    unused = (letter for letter in LETTERS if letter not in used)
    # A label repeated in operand k (a diagonal) gets a fresh letter at each repeat and an identity matrix
    # joining the two: the gradient is zero off the diagonal.
    target, seen = "", set()
    for size, label in zip(shape, subscripts[k]):
        if label in seen:
            fresh = next(unused, None)
            if fresh is None:
                raise ValueError(f"einsum: too many labels to differentiate the diagonal of operand {k} "
                                 f"(at most {len(LETTERS)} letters)")
            terms.append(label + fresh)
            operands.append(np.eye(size, dtype=raw(grad).dtype))
            label = fresh
        seen.add(label)
        target += label
    # Labels of operand k alone were summed over: the gradient is the same all along them.
    available = set("".join(terms))
    present = "".join(label for label in target if label in available)
    result = _einsum(terms, present, operands)
    if len(present) < len(target):
        kept = [size if label in available else 1 for size, label in zip(shape, target)]
        result = broadcast_array(result.reshape(tuple(kept)), shape)
    return result


# ---- parsing ----------------------------------------------------------------------------------------
def einsum(*args):
    """PyTorch's torch.einsum: `einsum("ij,jk->ik", a, b)`, the operands also as one list
    (`einsum("ij,jk", [a, b])`), or the sublist form `einsum(a, [0, 1], b, [1, 2], [0, 2])`.

    Labels are letters; "..." stands for the leading or middle axes not named, broadcast between the
    operands; without "->" the output has the ellipsis axes, then the labels that appear once, in
    alphabetical order (uppercase first). A label repeated in one operand takes its diagonal; labels
    missing from the output are summed over. Named dimensions of size 1 broadcast, as in PyTorch.
    The operands must share one dtype.
    """
    equation, operands = _arguments(args)
    operands = [x if isinstance(x, Tensor) else _wrap(infer_array(x)) for x in operands]
    shapes = [x.shape for x in operands]
    subscripts, output = _parse(equation, shapes)
    return _contract("einsum", f"equation {equation!r}", operands, subscripts, output)


def _arguments(args):
    if not args:
        raise ValueError("einsum(): give the equation and the operands: einsum('ij,jk->ik', a, b)")
    if isinstance(args[0], str):
        operands = args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = operands[0]
        if not operands:
            raise ValueError(f"einsum(): the equation {args[0]!r} needs at least one operand")
        return args[0], list(operands)
    # sublist form: operand, labels, operand, labels, ..., [output labels]
    pairs, output = (args[:-1], args[-1]) if len(args) % 2 else (args, None)
    operands = list(pairs[0::2])
    terms = [_sublist(labels) for labels in pairs[1::2]]
    return ",".join(terms) + ("" if output is None else "->" + _sublist(output)), operands


def _sublist(labels):
    if not isinstance(labels, (list, tuple)):
        raise TypeError(f"einsum(): in the sublist form each operand is followed by a list of its labels "
                        f"(ints in [0, {len(LETTERS)}) or ...), got {labels!r}")
    text = ""
    for label in labels:
        if label is Ellipsis:
            text += "..."
        elif isinstance(label, (int, np.integer)) and 0 <= label < len(LETTERS):
            text += LETTERS[label]
        else:
            raise ValueError(f"einsum(): sublist labels must be ints in [0, {len(LETTERS)}) or ..., got {label!r}")
    return text


def _split(term, equation, where):
    """A term's labels before and after its ellipsis, and whether it has one."""
    head, dots, tail = term.partition("...")
    for char in head + tail:
        if char not in LETTERS:
            problem = "an ellipsis must be exactly '...', once" if char == "." else "labels must be letters [a-zA-Z]"
            raise ShapeError(f"einsum(): invalid subscript {char!r} in {where} of the equation {equation!r}: {problem}")
    return head, bool(dots), tail


def _parse(equation, shapes):
    """One string of letters per operand (ellipsis axes spelled with letters the equation leaves free) and
    the output's. Its errors are ShapeErrors: ValueError as numpy raises, RuntimeError as PyTorch does."""
    compact = "".join(equation.split())
    if compact.count("->") > 1:
        raise ShapeError(f"einsum(): the equation {equation!r} has more than one '->'")
    lhs, arrow, rhs = compact.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ShapeError(f"einsum(): the equation {equation!r} names {len(terms)} operand(s) but {len(shapes)} "
                         f"were given (shapes {', '.join(str(tuple(s)) for s in shapes)})")
    parts = [_split(term, equation, f"operand {k}") for k, term in enumerate(terms)]
    ellipsis_ndims = []
    for k, ((head, dots, tail), shape) in enumerate(zip(parts, shapes)):
        named = len(head) + len(tail)
        if named > len(shape) or (not dots and named != len(shape)):
            raise ShapeError(f"einsum(): operand {k} of the equation {equation!r} has {named} subscript(s) for "
                             f"{len(shape)} dimension(s) (shape {tuple(shape)})"
                             + ("" if dots else "; use '...' for the dimensions not named"))
        ellipsis_ndims.append(len(shape) - named if dots else 0)
    free = [letter for letter in LETTERS if letter not in compact]
    ndims = max(ellipsis_ndims, default=0)
    if ndims > len(free):
        raise ShapeError(f"einsum(): the equation {equation!r} with {ndims} dimension(s) under '...' needs more "
                         f"than the {len(LETTERS)} letters numpy's einsum has")
    ellipsis = "".join(free[:ndims])
    subscripts = [head + ellipsis[ndims - n:] + tail for (head, _, tail), n in zip(parts, ellipsis_ndims)]
    if arrow:
        head, dots, tail = _split(rhs, equation, "the output")
        output = head + (ellipsis if dots else "") + tail
        named = "".join(subscripts)
        for label in head + tail:
            if (head + tail).count(label) > 1:
                raise ShapeError(f"einsum(): output subscript {label!r} appears more than once in the equation "
                                 f"{equation!r}")
            if label not in named:
                raise ShapeError(f"einsum(): output subscript {label!r} of the equation {equation!r} is not a "
                                 "subscript of any operand")
    else:
        letters = "".join(head + tail for head, _, tail in parts)
        output = ellipsis + "".join(sorted(label for label in set(letters) if letters.count(label) == 1))
    return subscripts, output


def _contract(name, what, operands, subscripts, output):
    """Check sizes and dtypes, drop size-1 dimensions that broadcast, and apply Einsum."""
    dtypes = {x.dtype for x in operands}
    if len(dtypes) > 1:
        raise TypeError(f"{name}(): the operands of {what} have different dtypes "
                        f"({', '.join(str(x.dtype) for x in operands)}); convert them to one (x.double(), x.float())")
    sizes = {}
    for k, (labels, x) in enumerate(zip(subscripts, operands)):
        own = {}
        for label, size in zip(labels, x.shape):
            if own.setdefault(label, size) != size:
                raise ShapeError(f"{name}(): subscript {label!r} is repeated in operand {k} of {what} with sizes "
                                 f"{own[label]} and {size} (shape {x.shape}); a repeated subscript takes a diagonal, "
                                 "whose sizes must match")
            known = sizes.get(label, 1)
            if size != known and known != 1 and size != 1:
                raise ShapeError(f"{name}(): subscript {label!r} has size {size} in operand {k} of {what} but size "
                                 f"{known} before (shapes {', '.join(str(t.shape) for t in operands)}); sizes must "
                                 "match or be 1")
            if size != 1:
                sizes[label] = size
    for k, (labels, x) in enumerate(zip(subscripts, operands)):
        kept = [i for i, (label, size) in enumerate(zip(labels, x.shape)) if size != 1 or sizes.get(label, 1) == 1]
        if len(kept) < len(labels):  # a size-1 dimension broadcast against a longer one: constant along it
            subscripts[k] = "".join(labels[i] for i in kept)
            operands[k] = x.reshape(tuple(x.shape[i] for i in kept))
    return Einsum.apply(*operands, subscripts=tuple(subscripts), output=output)


# ---- the contractions PyTorch names ---------------------------------------------------------------------
def tensordot(a, b, dims=2):
    """PyTorch's torch.tensordot: contract the last `dims` dimensions of a with the first `dims` of b, or
    the dimensions listed in dims=(dims_a, dims_b) (negative ones count from the end), pairwise. The
    result has a's remaining dimensions, then b's."""
    a, b = (x if isinstance(x, Tensor) else _wrap(infer_array(x)) for x in (a, b))
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise ShapeError(f"tensordot(): dims must be >= 0, got {dims}")
        if dims > min(a.ndim, b.ndim):
            raise ShapeError(f"tensordot(): cannot contract {dims} dimensions of tensors of shapes {a.shape} and "
                             f"{b.shape}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    elif isinstance(dims, (list, tuple)) and len(dims) == 2:
        dims_a, dims_b = ([d] if isinstance(d, (int, np.integer)) else list(d) for d in dims)
    else:
        raise TypeError(f"tensordot(): dims must be an int or a pair of lists of dimensions, got {dims!r}")
    if len(dims_a) != len(dims_b):
        raise ShapeError(f"tensordot(): dims {dims!r} lists {len(dims_a)} dimension(s) of a and {len(dims_b)} of b; "
                         "they are contracted in pairs")
    dims_a = [_dimension(d, a, "a", dims) for d in dims_a]
    dims_b = [_dimension(d, b, "b", dims) for d in dims_b]
    for d_a, d_b in zip(dims_a, dims_b):
        if a.shape[d_a] != b.shape[d_b] and 1 not in (a.shape[d_a], b.shape[d_b]):
            raise ShapeError(f"tensordot(): contracted dimensions must match, but dimension {d_a} of a has size "
                             f"{a.shape[d_a]} and dimension {d_b} of b has size {b.shape[d_b]} (shapes {a.shape} "
                             f"and {b.shape})")
    labels_a = LETTERS[:a.ndim]
    labels_b = [LETTERS[a.ndim + i] for i in range(b.ndim)]
    for d_a, d_b in zip(dims_a, dims_b):
        labels_b[d_b] = labels_a[d_a]
    labels_b = "".join(labels_b)
    output = ("".join(label for i, label in enumerate(labels_a) if i not in dims_a)
              + "".join(label for i, label in enumerate(labels_b) if i not in dims_b))
    return _contract("tensordot", f"shapes {a.shape} and {b.shape}", [a, b], [labels_a, labels_b], output)


def _dimension(d, x, name, dims):
    if not isinstance(d, (int, np.integer)) or not -x.ndim <= d < x.ndim:
        raise IndexError(f"tensordot(): dimension {d!r} in dims={dims!r} is out of range for {name} of shape "
                         f"{x.shape}")
    return d % x.ndim


def _same_dtype(name, a, b):
    if a.dtype != b.dtype:
        raise TypeError(f"{name}(): both tensors must have the same dtype, got {a.dtype} and {b.dtype}; convert "
                        "one (x.double(), x.float())")


def dot(a, b, name="dot"):
    """The dot product of two 1-D tensors of the same size and dtype."""
    b = b if isinstance(b, Tensor) else _wrap(infer_array(b))
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"{name}(): expects two 1-D tensors, got shapes {a.shape} and {b.shape}; use inner, "
                         "matmul or tensordot for other shapes")
    if a.shape != b.shape:
        raise ShapeError(f"{name}(): the vectors have sizes {a.shape[0]} and {b.shape[0]}; they must be equal")
    _same_dtype(name, a, b)
    return Einsum.apply(a, b, subscripts=("a", "a"), output="")


def inner(a, b):
    """Sum of products over the last dimension (a * b when one is 0-d); shape a.shape[:-1] + b.shape[:-1]."""
    b = b if isinstance(b, Tensor) else _wrap(infer_array(b))
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise ShapeError(f"inner(): the last dimensions must match, got shapes {a.shape} and {b.shape}")
    _same_dtype("inner", a, b)
    return tensordot(a, b, ([-1], [-1]))
