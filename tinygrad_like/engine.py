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

from tinygrad_like import anomaly

next_sequence = itertools.count().__next__  # numbers nodes in creation order, and in-place changes among them

_leaf_hooks = {}  # id(leaf tensor) -> (weakref to it, its register_hook functions in order)
_modified = {}  # id(base array) -> [creation number of its last in-place change, weakref to the array]
_last_modified = -1  # the creation number of the latest in-place change
recorder = None  # tinygrad_like.jit's recorder while it records a step (see jit.py); None otherwise


def backward(root, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Tensor.backward: add d(root)/d(leaf) into the leaves' `.grad` (only into `inputs`' if given)."""
    if inputs is None:
        run([root], [gradient], retain_graph, create_graph)
    else:
        _backward([root], [gradient], retain_graph, create_graph, inputs)


def _backward(roots, gradients, retain_graph, create_graph, inputs):
    targets = None if inputs is None else _as_targets(inputs, "backward")
    found = run(roots, gradients, retain_graph, create_graph, targets)
    for tensor, g in zip(targets or (), found or ()):
        if g is not None:
            _accumulate(tensor, g if create_graph else g.copy(), create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """autograd.grad: the gradients of `outputs` with respect to `inputs`, returned, not accumulated."""
    outputs = [outputs] if _is_tensor(outputs) else list(outputs)
    targets = _as_targets(inputs, "grad")
    if grad_outputs is None or _is_tensor(grad_outputs):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad(): {len(grad_outputs)} grad_outputs for {len(outputs)} outputs; give one per output")
    found = run(outputs, list(grad_outputs), retain_graph, create_graph, targets)
    for i, g in enumerate(found):
        if g is None and not allow_unused:
            raise RuntimeError(f"grad(): input {i} (shape {targets[i].shape}) was not used to compute the outputs; "
                               "pass allow_unused=True to get None for it")
    return tuple(g if g is None or create_graph else _wrap_like(g) for g in found)


def run(roots, gradients, retain_graph=None, create_graph=False, targets=None):
    """Differentiate `roots` (seeded with `gradients`; None means ones for a one-element root).

    Without `targets` the leaves' gradients are accumulated into their `.grad`; with them, the
    gradients reaching those tensors are returned instead (None where none arrives). With
    `create_graph`, gradients are Tensors and every backward is recorded (see _GraphMode).
    """
    if recorder is not None:  # a step being captured: the recorder runs this pass and notes its operations
        return recorder.run(roots, gradients, retain_graph, create_graph, targets)
    if retain_graph is None:
        retain_graph = create_graph
    pending = {}  # creation number -> [node, summed output gradient, the node's output tensor]
    order = []  # a heap of negated creation numbers: the most recently created node first
    leaf_grads = {}  # leaf -> [leaf, summed gradient]
    wanted = found = None
    if targets is not None:
        wanted = {id(t._ctx if t._ctx is not None else t): i for i, t in enumerate(targets)}
        found = [None] * len(targets)
    checked = anomaly.enabled  # read once: in anomaly mode the nodes take the slow path (see anomaly.py)
    for root, gradient in zip(roots, gradients):
        if not root.requires_grad:
            raise RuntimeError(
                f"backward(): this tensor (shape {root.shape}) does not require grad and has no graph; "
                "create the leaves with requires_grad=True (and not under no_grad()) before computing it")
        seed = _seed(root, gradient, create_graph)
        if checked:
            anomaly.check_seed(root, seed)
        ctx = root._ctx
        if ctx is None:  # a leaf: its own gradient
            entry = leaf_grads.get(root)
            leaf_grads[root] = [root, seed if entry is None else entry[1] + seed]
            continue
        if ctx.parents is None:
            _raise_freed(ctx)
        entry = pending.get(ctx.sequence)
        if entry is None:
            pending[ctx.sequence] = [ctx, seed, root]
            heappush(order, -ctx.sequence)
        else:
            entry[1] = entry[1] + seed
    slow = create_graph or checked
    if create_graph:
        with _GraphMode():
            _propagate(pending, order, leaf_grads, wanted, found, retain_graph, create_graph, slow)
    else:
        _propagate(pending, order, leaf_grads, wanted, found, retain_graph, create_graph, slow)
    if _leaf_hooks:
        for entry in leaf_grads.values():
            hooks = leaf_hooks(entry[0], create=False)
            if hooks:
                entry[1] = _run_hooks(hooks, entry[1], create_graph)
    if wanted is None:
        _accumulate_leaf_grads(leaf_grads.values(), create_graph)
        return None
    for leaf, g in leaf_grads.values():
        if id(leaf) in wanted:
            found[wanted[id(leaf)]] = g
    return found


def _propagate(pending, order, leaf_grads, wanted, found, retain_graph, create_graph, slow):
    """The backward pass proper: each node in reverse creation order, once, with its summed gradient
    (through _slow_backward when `slow`)."""
    while order:
        ctx, grad, output = pending.pop(-heappop(order))
        if ctx.sequence < _last_modified:
            _check_saved_unmodified(ctx)
        if ctx.hooks is not None:  # register_hook functions, then retain_grad
            grad = _run_hooks(ctx.hooks, grad, create_graph)
            if ctx.retained is not None:
                _retain(ctx, grad, create_graph)
        if wanted is not None and id(ctx) in wanted:
            found[wanted[id(ctx)]] = grad
        grads = _slow_backward(ctx, grad, create_graph, output) if slow else ctx.backward(ctx, grad)
        if type(grads) is not tuple:
            grads = (grads,)
        parents = ctx.parents
        if len(grads) != len(parents):
            raise RuntimeError(
                f"{type(ctx).__name__}.backward returned {len(grads)} gradient(s) for {len(parents)} "
                "input(s); return one gradient per input of forward (None where there is none)")
        if not ctx.returns_new_arrays and not create_graph:
            grads = _copy_held(ctx, grads)
        for parent, needs_grad, g in zip(parents, ctx.needs_input_grad, grads):
            if g is None or not needs_grad:
                continue
            if create_graph:
                g = _fit_tensor(g, parent, ctx)
            else:
                like = parent._data
                if type(g) is not np.ndarray:
                    g = np.asarray(g)
                if g.shape != like.shape:
                    g = _unbroadcast(g, parent, ctx)
                if g.dtype is not like.dtype and g.dtype != like.dtype:  # identity first: dtype == is slow
                    g = g.astype(like.dtype)
            node = parent._ctx
            if node is None:  # a leaf, keyed by itself (tensors hash by identity)
                entry = leaf_grads.get(parent)
                if entry is None:
                    leaf_grads[parent] = [parent, g]
                else:
                    entry[1] = entry[1] + g  # out of place: `g` may be shared with other pending gradients
                continue
            sequence = node.sequence
            entry = pending.get(sequence)
            if entry is None:
                if node.parents is None:
                    _raise_freed(node)
                pending[sequence] = [node, g, parent]
                heappush(order, -sequence)
            else:
                entry[1] = entry[1] + g
        if not retain_graph:
            ctx.parents = None  # marks the node as freed and drops the inputs and saved arrays
            ctx.saved_tensors = None


def _as_targets(inputs, name):
    targets = [inputs] if _is_tensor(inputs) else list(inputs)
    for i, t in enumerate(targets):
        if not _is_tensor(t) or not t.requires_grad:
            raise RuntimeError(f"{name}(): input {i} does not require grad; only tensors in the graph have gradients")
    return targets


def _is_tensor(x):
    return hasattr(x, "_ctx") and hasattr(x, "_data")


# ---- create_graph: the backward pass recorded as a graph of its own ------------------------------------
class _GraphMode:
    """While a recorded backward runs: grad mode on (so the backward's Tensor ops are recorded), and
    Tensor.__array__ refuses, so that a backward that quietly turns a Tensor into an array (and so
    drops it from the recorded graph) fails loudly instead."""

    depth = 0

    def __enter__(self):
        from tinygrad_like.grad_mode import GradMode
        self.previous, GradMode.enabled = GradMode.enabled, True
        _GraphMode.depth += 1

    def __exit__(self, *exc_info):
        from tinygrad_like.grad_mode import GradMode
        GradMode.enabled = self.previous
        _GraphMode.depth -= 1


def _slow_backward(ctx, grad, create_graph, output):
    """ctx's backward off the fast path: on Tensors (create_graph), checked for NaN and Inf (anomaly mode), or both."""
    if create_graph:
        def backward(ctx, grad):
            return _node_backward(ctx, grad, output)
    else:
        backward = ctx.backward
    return anomaly.checked_backward(ctx, grad, backward) if anomaly.enabled else backward(ctx, grad)


def _node_backward(ctx, grad, output):
    """ctx.backward on Tensors: the saved arrays that are the node's inputs or its `output` become those
    tensors (so the recorded backward is connected to the graph); other saved arrays stay constants."""
    saved = ctx.saved_tensors
    ctx.saved_tensors = tuple(_saved_as_tensor(ctx, array, output) for array in saved)
    try:
        return ctx.backward(ctx, grad)
    finally:
        ctx.saved_tensors = saved


def _saved_as_tensor(ctx, array, output):
    if not isinstance(array, np.ndarray):
        return array
    for tensor in (*ctx.parents, output):
        if tensor._data is array:
            return tensor
    return array


def _fit_tensor(g, parent, ctx):
    if not _is_tensor(g):
        g = parent._wrap(np.asarray(g))
    if g.shape != parent._data.shape:
        g = _unbroadcast(g, parent, ctx)
    return g if g.dtype == parent._data.dtype else g.astype(parent._data.dtype)


def mark_modified(*arrays):
    """Record that the arrays' memory was changed in place (now, in the nodes' creation order)."""
    global _last_modified
    if recorder is not None:  # a step being captured must change arrays only through the operations it records
        recorder.modified(arrays)
    _last_modified = sequence = next_sequence()
    for array in arrays:
        base = array.base
        if base is None:
            base = array
        stamp = _modified.get(id(base))
        if stamp is not None and stamp[1]() is base:  # the same memory again (a parameter, each step)
            stamp[0] = sequence
            continue
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


def leaf_hooks(leaf, create=True):
    """The list of a leaf's gradient hooks (made on first use; dropped when the leaf dies)."""
    entry = _leaf_hooks.get(id(leaf))
    if entry is not None and entry[0]() is leaf:
        return entry[1]
    if not create:
        return None
    key = id(leaf)
    # The callback binds the dict itself: at interpreter exit the module's globals may already be None.
    _leaf_hooks[key] = entry = (weakref.ref(leaf, lambda _, hooks=_leaf_hooks: hooks.pop(key, None)), [])
    return entry[1]


def _run_hooks(hooks, grad, create_graph):
    """Call each hook with the gradient as a Tensor; a hook that returns a tensor replaces it."""
    for hook in list(hooks):
        result = hook(grad if create_graph else _wrap_like(grad))
        if result is not None:
            if tuple(result.shape) != tuple(grad.shape):
                raise RuntimeError(f"a hook returned a gradient of shape {tuple(result.shape)} for a tensor whose "
                                   f"gradient has shape {tuple(grad.shape)}; return one of the same shape")
            grad = result if create_graph else np.array(result._data, dtype=grad.dtype)
    return grad


def _wrap_like(array):
    from tinygrad_like.tensor import _wrap
    return _wrap(array.copy())  # the hook's own tensor: changing it cannot touch the pending gradient


def _retain(ctx, grad, create_graph):
    tensor = ctx.retained()
    if tensor is not None:
        _accumulate(tensor, grad if create_graph else grad.copy(), create_graph)


def _accumulate(tensor, g, create_graph):
    """Add gradient `g` into tensor.grad (a Tensor of its own, or one in the recorded graph)."""
    if create_graph:
        g = g.clone()  # never hand one gradient tensor to two owners
        tensor.grad = g if tensor.grad is None else tensor.grad + g
    elif tensor.grad is None:
        tensor.grad = tensor._wrap(g)
    else:
        tensor.grad._data = np.asarray(tensor.grad._data + g)  # 0-d + 0-d is a numpy scalar


def _seed(root, gradient, create_graph=False):
    if gradient is None:
        if root._data.size != 1:
            raise RuntimeError(
                f"backward(): a gradient can only be implied for a one-element tensor, but this one has "
                f"shape {root.shape}; reduce it first (e.g. .sum() or .mean()) or pass "
                f"backward(gradient) with an array of shape {root.shape}")
        seed = np.empty(root._data.shape, root._data.dtype)  # np.ones is a slow Python-level wrapper
        seed.fill(1)
        return root._wrap(seed) if create_graph else seed
    if create_graph and _is_tensor(gradient):  # the gradient may itself be in a graph
        seed = gradient if gradient.dtype == root._data.dtype else gradient.astype(root._data.dtype)
    else:
        seed = np.array(getattr(gradient, "_data", gradient), dtype=root._data.dtype)  # a private copy
    if seed.shape != root._data.shape:
        raise ValueError(
            f"backward(): the gradient has shape {seed.shape} but the tensor has shape {root.shape}; "
            "pass a gradient of exactly the tensor's shape")
    return root._wrap(seed) if create_graph and not _is_tensor(seed) else seed


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
    if extra > 0 and g.shape[extra:] == shape and g.size:  # only leading axes added (a bias): one reduction
        flat = g.reshape((-1,) + shape)
        if type(g) is not np.ndarray:  # a Tensor, in a recorded backward
            return flat.sum(axis=0)
        return np.asarray(np.add.reduce(flat, axis=0))  # a 0-d sum is a numpy scalar
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


def _accumulate_leaf_grads(leaf_grads, create_graph=False):
    # A gradient array must belong to exactly one leaf: an in-place update of one .grad (by an optimizer
    # or a user) must never change another. Arrays are grouped by the memory they view.
    owners = set()
    for leaf, g in leaf_grads:
        if create_graph:
            _accumulate(leaf, g, create_graph)
            continue
        if type(g) is not np.ndarray:  # a sum of 0-d gradients is a numpy scalar
            g = np.asarray(g)
        owner = id(g if g.base is None else g.base)
        if owner in owners or g.base is leaf._data or g is leaf._data:
            g = g.copy()
        else:
            owners.add(owner)
        if leaf.grad is None:
            leaf.grad = leaf._wrap(g)
        else:
            leaf.grad._data = np.asarray(leaf.grad._data + g)  # 0-d + 0-d is a numpy scalar
