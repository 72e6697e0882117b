"""Reverse-mode differentiation over the graph of Function nodes.

A non-leaf tensor points to the Function node (`ctx`) that produced it; the node points to its input
tensors (`ctx.parents`) and carries a creation number (`ctx.sequence`). A node is always created after
the nodes that produced its inputs, so visiting nodes in decreasing creation order is a topological
order: every consumer of a tensor has added its gradient before the tensor's producer runs. A heap
of the nodes that have received a gradient yields that order in one pass, without recursion (no
depth limit) and without a separate sort of the graph.

Each node's `backward` runs once, with the sum of the gradients of its output. Every gradient it
returns is fitted to its input's shape (the one place where broadcasting is undone) and dtype; the
leaves' gradients are added into their `.grad` at the end.

In-place changes are checked as PyTorch's version counters check them: `mark_modified(array)` stamps
the array's memory (its base) with a number from the same counter that numbers the nodes, so a node
whose saved array was stamped after the node was created would differentiate with changed values,
and backward raises instead. Nodes created after the latest in-place change skip the check.
"""
import itertools
import weakref
from heapq import heappop, heappush

import numpy as np

next_sequence = itertools.count().__next__  # numbers nodes in creation order, and in-place changes among them

_modified = {}  # id(base array) -> [creation number of its last in-place change, weakref to the array]
_last_modified = -1  # the creation number of the latest in-place change


def backward(root, gradient=None, retain_graph=False):
    if not root.requires_grad:
        raise RuntimeError(
            f"backward(): this tensor (shape {root.shape}) does not require grad and has no graph; "
            "create the leaves with requires_grad=True (and not under no_grad()) before computing it")
    seed = _seed(root, gradient)
    root_ctx = root._ctx
    if root_ctx is None:
        _accumulate_leaf_grads([(root, seed)])
        return
    if root_ctx.parents is None:
        _raise_freed(root_ctx)

    pending = {root_ctx.sequence: [root_ctx, seed]}  # creation number -> [node, summed output gradient]
    order = [-root_ctx.sequence]  # a heap: the most recently created node first
    leaf_grads = {}  # id(leaf) -> [leaf, summed gradient]
    while order:
        ctx, grad = pending.pop(-heappop(order))
        if ctx.sequence < _last_modified:
            _check_saved_unmodified(ctx)
        if ctx.retained is not None:
            _retain(ctx, grad)
        grads = ctx.backward(ctx, grad)
        if type(grads) is not tuple:
            grads = (grads,)
        parents = ctx.parents
        if len(grads) != len(parents):
            raise RuntimeError(
                f"{type(ctx).__name__}.backward returned {len(grads)} gradient(s) for {len(parents)} "
                "input(s); return one gradient per input of forward (None where there is none)")
        if not ctx.returns_new_arrays:
            grads = _copy_held(ctx, grads)
        for parent, needs_grad, g in zip(parents, ctx.needs_input_grad, grads):
            if g is None or not needs_grad:
                continue
            like = parent._data
            if type(g) is not np.ndarray:
                g = np.asarray(g)
            if g.shape != like.shape:
                g = _unbroadcast(g, parent, ctx)
            if g.dtype is not like.dtype and g.dtype != like.dtype:  # identity first: dtype == is slow
                g = g.astype(like.dtype)
            node = parent._ctx
            if node is None:
                entry = leaf_grads.get(id(parent))
                if entry is None:
                    leaf_grads[id(parent)] = [parent, g]
                else:
                    entry[1] = entry[1] + g  # out of place: `g` may be shared with other pending gradients
                continue
            entry = pending.get(node.sequence)
            if entry is None:
                if node.parents is None:
                    _raise_freed(node)
                pending[node.sequence] = [node, g]
                heappush(order, -node.sequence)
            else:
                entry[1] = entry[1] + g
        if not retain_graph:
            ctx.parents = None  # marks the node as freed and drops the inputs and saved arrays
            ctx.saved_tensors = None
    _accumulate_leaf_grads(leaf_grads.values())


def mark_modified(array):
    """Record that `array`'s memory was changed in place (now, in the nodes' creation order)."""
    global _last_modified
    _last_modified = sequence = next_sequence()
    base = array if array.base is None else array.base
    stamp = _modified.get(id(base))
    if stamp is not None and stamp[1]() is base:  # the same memory again (a parameter, each step)
        stamp[0] = sequence
        return
    if len(_modified) > 4096:  # forget arrays that no longer exist
        for key in [key for key, (_, ref) in _modified.items() if ref() is None]:
            del _modified[key]
    _modified[id(base)] = [sequence, weakref.ref(base)]


def _check_saved_unmodified(ctx):
    for array in ctx.saved_tensors or ():
        if isinstance(array, np.ndarray):
            base = array if array.base is None else array.base
            stamp = _modified.get(id(base))
            if stamp is not None and stamp[0] > ctx.sequence and stamp[1]() is base:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by an in-place "
                    f"operation: {type(ctx).__name__} saved an array of shape {array.shape} ({array.dtype}) that "
                    "was changed in place after the op ran; make the change out of place (x = x + y instead "
                    "of x += y), or .clone() the tensor before changing it")


def _retain(ctx, grad):
    tensor = ctx.retained()
    if tensor is not None:
        tensor.grad = tensor._wrap(grad.copy()) if tensor.grad is None else tensor._wrap(tensor.grad._data + grad)


def _seed(root, gradient):
    if gradient is None:
        if root._data.size != 1:
            raise RuntimeError(
                f"backward(): a gradient can only be implied for a one-element tensor, but this one has "
                f"shape {root.shape}; reduce it first (e.g. .sum() or .mean()) or pass "
                f"backward(gradient) with an array of shape {root.shape}")
        seed = np.empty(root._data.shape, root._data.dtype)  # np.ones is a slow Python-level wrapper
        seed.fill(1)
        return seed
    seed = np.array(getattr(gradient, "data", gradient), dtype=root._data.dtype)  # a private copy
    if seed.shape != root._data.shape:
        raise ValueError(
            f"backward(): the gradient has shape {seed.shape} but the tensor has shape {root.shape}; "
            "pass a gradient of exactly the tensor's shape")
    return seed


def _raise_freed(ctx):
    raise RuntimeError(
        f"backward() reached a {type(ctx).__name__} node whose graph was already freed by an earlier "
        "backward(); pass retain_graph=True to the earlier backward() to differentiate the same graph "
        "twice, or recompute the forward pass")


def _unbroadcast(g, parent, ctx):
    shape = parent._data.shape
    summed = sum_to_shape(g, shape)
    if summed is not None:
        return summed
    index = next(i for i, p in enumerate(ctx.parents) if p is parent)
    raise RuntimeError(
        f"{type(ctx).__name__}.backward returned a gradient of shape {g.shape} for input {index} of "
        f"shape {shape}; a gradient must have its input's shape or one that broadcasting produced from it")


def sum_to_shape(g, shape):
    """`g` summed over the axes that broadcasting `shape` added or stretched; None if broadcasting
    cannot have produced g's shape from `shape`."""
    extra = g.ndim - len(shape)
    if extra > 0 and g.shape[extra:] == shape:  # only leading axes added (a bias): one reduction, no keepdims
        return np.asarray(np.add.reduce(g.reshape((-1,) + shape), axis=0))  # a 0-d sum is a numpy scalar
    if extra >= 0:
        axes = tuple(range(extra)) + tuple(
            extra + i for i, size in enumerate(shape) if size == 1 and g.shape[extra + i] != 1)
        summed = g.sum(axis=axes, keepdims=True) if axes else g
        if summed.shape[extra:] == shape:
            return summed.reshape(shape)
    return None


def _copy_held(ctx, grads):
    """Copies of the gradients that view an array the node holds (an input's data or a saved array).

    Such a gradient, handed on unchanged by Add, Reshape and the like, could become a leaf's .grad
    aliasing a tensor's data: an in-place update of the .grad (by an optimizer) would change the tensor.
    """
    held = [parent._data for parent in ctx.parents]
    held += [array for array in ctx.saved_tensors if isinstance(array, np.ndarray)]
    return tuple(g.copy() if isinstance(g, np.ndarray) and any(np.may_share_memory(g, h) for h in held) else g
                 for g in grads)


def _accumulate_leaf_grads(leaf_grads):
    # A gradient array must belong to exactly one leaf: an in-place update of one .grad (by an optimizer
    # or a user) must never change another. Arrays are grouped by the memory they view.
    owners = set()
    for leaf, g in leaf_grads:
        owner = id(g if g.base is None else g.base)
        if owner in owners or g.base is leaf._data or g is leaf._data:
            g = g.copy()
        else:
            owners.add(owner)
        if leaf.grad is None:
            leaf.grad = leaf._wrap(g)
        else:
            leaf.grad._data = leaf.grad._data + g
