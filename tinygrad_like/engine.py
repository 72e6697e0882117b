"""Reverse-mode differentiation over the graph of Function nodes.

A non-leaf tensor points to the Function node (`ctx`) that produced it; the node points to its input
tensors (`ctx.parents`). `backward` orders the nodes with an iterative depth-first search (no
recursion limit), calls each node's `backward` once with the sum of the gradients flowing into its
output, fits every returned gradient to its input's shape and dtype (the one place where broadcasting
is undone), and finally adds the leaves' gradients into their `.grad`.
"""
import numpy as np


def backward(root, gradient=None, retain_graph=False):
    if not root.requires_grad:
        raise RuntimeError(
            f"backward(): this tensor (shape {root.shape}) does not require grad and has no graph; "
            "create the leaves with requires_grad=True (and not under no_grad()) before computing it")
    seed = _seed(root, gradient)
    if root._ctx is None:
        _accumulate_leaf_grads([(root, seed)])
        return

    pending = {id(root._ctx): seed}  # node id -> summed gradient of that node's output
    leaf_grads = {}  # id(leaf) -> [leaf, summed gradient]
    for ctx in _toposort(root._ctx):
        grad = pending.pop(id(ctx), None)
        if grad is not None:
            _propagate(ctx, grad, pending, leaf_grads)
        if not retain_graph:
            ctx.parents = None  # marks the node as freed and drops the inputs and saved arrays
            ctx.saved_tensors = None
    _accumulate_leaf_grads(leaf_grads.values())


def _seed(root, gradient):
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward(): a gradient can only be implied for a one-element tensor, but this one has "
                f"shape {root.shape}; reduce it first (e.g. .sum() or .mean()) or pass "
                f"backward(gradient) with an array of shape {root.shape}")
        return np.ones_like(root.data)
    seed = np.array(gradient, dtype=root.data.dtype)  # a private copy: it may become a leaf's .grad
    if seed.shape != root.data.shape:
        raise ValueError(
            f"backward(): the gradient has shape {seed.shape} but the tensor has shape {root.shape}; "
            "pass a gradient of exactly the tensor's shape")
    return seed


def _toposort(root_ctx):
    """Nodes ordered so that every node comes before the nodes that produced its inputs."""
    if root_ctx.parents is None:
        _raise_freed(root_ctx)
    post_order = []
    visited = {id(root_ctx)}
    stack = [(root_ctx, iter(root_ctx.parents))]
    while stack:
        ctx, parents = stack[-1]
        for parent in parents:
            node = parent._ctx
            if node is not None and id(node) not in visited:
                if node.parents is None:
                    _raise_freed(node)
                visited.add(id(node))
                stack.append((node, iter(node.parents)))
                break
        else:
            stack.pop()
            post_order.append(ctx)
    post_order.reverse()
    return post_order


def _raise_freed(ctx):
    raise RuntimeError(
        f"backward() reached a {type(ctx).__name__} node whose graph was already freed by an earlier "
        "backward(); pass retain_graph=True to the earlier backward() to differentiate the same graph "
        "twice, or recompute the forward pass")


def _propagate(ctx, grad, pending, leaf_grads):
    grads = ctx.backward(ctx, grad)
    if type(grads) is not tuple:
        grads = (grads,)
    if len(grads) != len(ctx.parents):
        raise RuntimeError(
            f"{type(ctx).__name__}.backward returned {len(grads)} gradient(s) for {len(ctx.parents)} "
            "input(s); return one gradient per input of forward (None where there is none)")
    for index, (parent, needs_grad, g) in enumerate(zip(ctx.parents, ctx.needs_input_grad, grads)):
        if g is None or not needs_grad:
            continue
        g = _fit(g, parent.data, ctx, index)
        node = parent._ctx
        if node is None:
            entry = leaf_grads.get(id(parent))
            if entry is None:
                leaf_grads[id(parent)] = [parent, g]
            else:
                entry[1] = entry[1] + g  # out of place: `g` may be shared with other pending gradients
        else:
            previous = pending.get(id(node))
            pending[id(node)] = g if previous is None else previous + g


def _fit(g, like, ctx, index):
    """Sum a gradient down to its input's shape (undoing broadcasting) and cast it to its dtype."""
    if type(g) is not np.ndarray:
        g = np.asarray(g)
    if g.shape != like.shape:
        g = _unbroadcast(g, like.shape, ctx, index)
    if g.dtype != like.dtype:
        g = g.astype(like.dtype)
    return g


def _unbroadcast(g, shape, ctx, index):
    extra = g.ndim - len(shape)
    if extra >= 0:
        axes = tuple(range(extra)) + tuple(
            extra + i for i, size in enumerate(shape) if size == 1 and g.shape[extra + i] != 1)
        summed = g.sum(axis=axes, keepdims=True) if axes else g
        if summed.shape[extra:] == shape:
            return summed.reshape(shape)
    raise RuntimeError(
        f"{type(ctx).__name__}.backward returned a gradient of shape {g.shape} for input {index} of "
        f"shape {shape}; a gradient must have its input's shape or one that broadcasting produced from it")


def _accumulate_leaf_grads(leaf_grads):
    # A gradient array must belong to exactly one leaf: an in-place update of one .grad (by an optimizer
    # or a user) must never change another. Arrays are grouped by the memory they view.
    owners = set()
    for leaf, g in leaf_grads:
        owner = id(g if g.base is None else g.base)
        if owner in owners or g.base is leaf.data or g is leaf.data:
            g = g.copy()
        else:
            owners.add(owner)
        if leaf.grad is None:
            leaf.grad = leaf._wrap(g)
        else:
            leaf.grad.data = leaf.grad.data + g
