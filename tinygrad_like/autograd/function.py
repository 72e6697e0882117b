"""PyTorch's torch.autograd.Function: a differentiable op whose forward and backward take Tensors.

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):                  # Tensors (and other arguments) in, run under no_grad
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_output):       # one gradient per forward argument (None where there is none)
            (y,) = ctx.saved_tensors
            return grad_output * y

    y = Exp.apply(x)

This is PyTorch's calling convention, so code written for torch.autograd.Function runs unchanged; the
project's array-based `tinygrad_like.Function` (the built-in ops' protocol) is unchanged beside it.

Each call records graph nodes that the engine runs like the built-in ops' nodes. `backward` runs under
no_grad, except in a backward recorded with create_graph=True: there it runs with grad mode on, its
gradients are Tensors in the recorded graph and `ctx.saved_tensors` are the call's own inputs and
outputs (an output's producer is this call), so a backward written in Tensor ops can be differentiated
again.

The engine gives every node one output tensor. A call with several differentiable outputs therefore
records a node per output besides the call's own node, which produces a hidden scalar tensor that each
output node takes as its input. The output nodes are created after the call's node, and the engine
runs nodes in decreasing creation order, so in every backward pass each output node that receives a
gradient runs before the call's node: it adds that gradient to the call's node and passes a dummy
gradient down the hidden tensor, and the call's node then runs the user's backward once with all the
outputs' gradients (None, or zeros with materialize_grads, for outputs that received none). A call
with one differentiable output records its node alone, as a built-in op does. (The gradients wait on
the call's node between its output nodes and itself, so two threads must not run backward passes
through the same call at once.)
"""
import inspect

import numpy as np

from tinygrad_like import engine
from tinygrad_like.grad_mode import GradMode, no_grad
from tinygrad_like.tensor import Function as ArrayFunction
from tinygrad_like.tensor import Tensor, _wrap

_TOKEN = np.zeros(())  # the hidden tensor's value and the dummy gradient passed along it


class FunctionCtx:
    """The `ctx` that forward (or setup_context) fills and backward reads; it takes any attribute."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad  # per forward argument: a Tensor that requires grad?
        self._to_save = ()
        self._non_differentiable = ()
        self._dirty = ()
        self._materialize_grads = True
        self._saved = None  # the saved tensors, unpacked while backward runs

    def save_for_backward(self, *tensors):
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward() saves Tensors and None, but argument {i} is a "
                                f"{type(t).__name__}; keep other values as attributes (ctx.name = value)")
        self._to_save = tensors

    @property
    def saved_tensors(self):
        if self._saved is None:
            raise RuntimeError("ctx.saved_tensors can only be read in backward(); forward (or setup_context) "
                               "saves them with ctx.save_for_backward(...)")
        return self._saved

    def mark_non_differentiable(self, *outputs):
        """These outputs do not require grad; backward still gets a gradient for each (zeros, or None
        with set_materialize_grads(False))."""
        self._non_differentiable = outputs

    def mark_dirty(self, *tensors):
        """These inputs were changed in place by forward and are returned: they become the outputs."""
        self._dirty = tensors

    def set_materialize_grads(self, value):
        """With False, backward gets None instead of zeros for outputs that received no gradient."""
        self._materialize_grads = bool(value)


class Function:
    """Base class of custom ops written on Tensors, with PyTorch's API (see the module docstring).

    Subclass it with static `forward(ctx, *args, **kwargs)` and `backward(ctx, *grad_outputs)`, or
    PyTorch's other style: `forward(*args)` without ctx plus `setup_context(ctx, inputs, output)`.
    Call it with `MyFunction.apply(*args)`; forward returns a Tensor or a tuple of them.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # The graph nodes' classes, named after the Function as the built-in ops' nodes are after their op:
        # repr's grad_fn and the engine's errors show the name
        namespace = {"function": cls, "__module__": cls.__module__, "__qualname__": cls.__qualname__}
        cls._node_class = type(cls.__name__, (_Node,), namespace)
        cls._output_class = type(cls.__name__, (_OutputNode,), namespace)
        cls._output_class.returns_new_arrays = True  # its only gradient is the dummy, never a .grad

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define @staticmethod forward(ctx, *args)")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context(ctx, inputs, output) is optional: define it to write forward "
                                  "without ctx")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define @staticmethod backward(ctx, *grad_outputs)")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx(tuple(isinstance(a, Tensor) and a.requires_grad for a in args))
        with no_grad():
            if cls.setup_context is Function.setup_context:
                output = cls.forward(ctx, *args, **kwargs)
            else:  # as PyTorch: keyword and default arguments become inputs, one gradient each
                bound = inspect.signature(cls.forward).bind(*args, **kwargs)
                bound.apply_defaults()
                args = bound.args
                ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
                output = cls.forward(*args, **bound.kwargs)
                cls.setup_context(ctx, args, output)
        return _record(cls, ctx, args, output)


class _Node(ArrayFunction):
    """A call's graph node; its input tensors are the Tensor arguments of forward (`parents`)."""

    function = None  # the autograd.Function subclass
    ctx = None  # the FunctionCtx of the call
    arity = 0  # the number of forward arguments
    positions = ()  # each parent's position among them
    outputs = ()  # per forward output: (shape, dtype) of a Tensor, None for anything else
    single = None  # the index of the only differentiable output, or None when there are several
    grads = None  # with several: the outputs' gradients of the running backward pass, added by their nodes
    roles = ()  # per saved tensor: ("input", parent), ("output", index), ("array" | "tensor", None)

    def __getattr__(self, name):  # PyTorch's grad_fn is the ctx: y.grad_fn.attribute reads ctx.attribute
        return getattr(self.ctx, name)

    @staticmethod
    def backward(node, grad):
        graph = isinstance(grad, Tensor)  # a backward recorded with create_graph: Tensors, grad mode on
        if node.single is None:
            grads, node.grads = node.grads, [None] * len(node.outputs)
        else:
            grads = [None] * len(node.outputs)
            grads[node.single] = grad
        ctx = node.ctx
        grad_outputs = [_grad_output(g, meta, ctx._materialize_grads) for g, meta in zip(grads, node.outputs)]
        ctx._saved = tuple(_unpack(node, role, item, graph) for role, item in zip(node.roles, node.saved_tensors))
        try:
            if graph:
                result = node.function.backward(ctx, *grad_outputs)
            else:
                with no_grad():
                    result = node.function.backward(ctx, *grad_outputs)
        finally:
            ctx._saved = None
        return _input_grads(node, result, graph)


class _OutputNode(ArrayFunction):
    """The node of one of several differentiable outputs: it hands its gradient to the call's node."""

    function = None
    core = None  # the call's _Node
    index = 0  # which output

    def __getattr__(self, name):
        return getattr(self.core.ctx, name)

    @staticmethod
    def backward(node, grad):
        grads = node.core.grads
        grads[node.index] = grad if grads[node.index] is None else grads[node.index] + grad
        return _TOKEN


def _record(cls, ctx, args, output):
    outputs = output if type(output) is tuple else (output,)
    dirty = ctx._dirty
    for t in dirty:
        if not (_among(args, t) and _among(outputs, t)):
            raise RuntimeError(f"{cls.__name__}.forward: ctx.mark_dirty() takes the inputs that forward changed "
                               "in place and returns, but a tensor marked dirty is not both an input and an output")
    differentiable = [j for j, out in enumerate(outputs) if isinstance(out, Tensor) and out._data.dtype.kind == "f"
                      and not _among(ctx._non_differentiable, out)]
    # An input returned as is becomes a view of it, as in PyTorch: recording the call leaves the input's own
    # history alone, and changing the view in place is refused. An input changed in place (dirty) is the
    # output itself and takes the call as its producer, as after a built-in in-place op.
    outputs = tuple(_wrap(out._data.view()) if isinstance(out, Tensor) and _among(args, out) and not _among(dirty, out)
                    else out for out in outputs)
    if not (GradMode.enabled and True in ctx.needs_input_grad and differentiable):
        ctx._to_save = ()
        return outputs if type(output) is tuple else outputs[0]

    node = cls._node_class()
    node.ctx, node.arity = ctx, len(args)
    parents, positions = [], []
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            if _among(dirty, a):
                if a._ctx is None and a.requires_grad:
                    raise RuntimeError(f"{cls.__name__}.forward changed a leaf tensor that requires grad in place "
                                       f"(shape {a.shape}); pass a copy (x.clone()) instead")
                old = _wrap(a._data)  # the input before the change, at its place in the graph
                old._ctx, old.requires_grad = a._ctx, a.requires_grad
                a = old
            parents.append(a)
            positions.append(i)
    node.parents, node.positions = tuple(parents), tuple(positions)
    node.needs_input_grad = tuple(p.requires_grad for p in parents)
    node.outputs = tuple((out._data.shape, out._data.dtype) if isinstance(out, Tensor) else None for out in outputs)
    node.roles, node.saved_tensors = _pack(ctx._to_save, parents, outputs, differentiable)
    ctx._to_save = ()
    node.sequence = engine.next_sequence()
    if len(differentiable) == 1:
        node.single = differentiable[0]
        _attach(outputs[node.single], node)
    else:
        node.grads = [None] * len(outputs)
        for j in differentiable:
            _attach(outputs[j], _output_node(node, j))
    return outputs if type(output) is tuple else outputs[0]


def _pack(tensors, parents, outputs, differentiable):
    """Roles and stored values of the saved tensors. Inputs and outputs are stored as their arrays, which
    the engine checks for later in-place changes and frees after backward; the roles let backward hand
    out the graph's tensors in their place."""
    roles, items = [], []
    for t in tensors:
        output = None if t is None else _index(outputs, t)
        parent = None if t is None else _index(parents, t)
        if t is None or (t.requires_grad and output is None and parent is None):
            roles.append(("tensor", None))  # None, or a tensor in a graph of its own, kept with its graph
            items.append(t)
            continue
        if output in differentiable:
            roles.append(("output", output))
        elif parent is not None:
            roles.append(("input", parent))
        else:
            roles.append(("array", None))  # made in forward (under no_grad): a constant
        items.append(t._data)
    return tuple(roles), tuple(items)


def _unpack(node, role, item, graph):
    kind, index = role
    if kind == "tensor":
        return item
    if kind == "input":
        return node.parents[index]
    array = getattr(item, "_data", item)  # a recorded backward may have turned the array into a tensor
    if kind == "output" and graph:
        out = _wrap(array)
        _attach(out, node if node.single is not None else _output_node(node, index))
        return out
    return _wrap(array)


def _grad_output(grad, meta, materialize):
    if grad is None:
        return _wrap(np.zeros(*meta)) if materialize and meta is not None else None
    return grad if isinstance(grad, Tensor) else _wrap(grad)


def _input_grads(node, result, graph):
    """The user's gradients, one per forward argument, checked and mapped to the node's parents."""
    name = node.function.__name__
    result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    if len(result) < node.arity or any(g is not None for g in result[node.arity:]):
        raise RuntimeError(f"{name}.backward returned {len(result)} gradient(s) for the {node.arity} argument(s) "
                           "of forward; return one per argument, None for non-tensors and where there is none")
    for i, g in enumerate(result[:node.arity]):
        if g is not None and i not in node.positions:
            raise RuntimeError(f"{name}.backward returned a gradient for argument {i} of forward, which is not a "
                               "Tensor; return None in its place")
    grads = []
    for parent, position in zip(node.parents, node.positions):
        g = result[position]
        if g is not None:
            if not isinstance(g, Tensor):
                raise TypeError(f"{name}.backward returned a {type(g).__name__} as the gradient of argument "
                                f"{position}; return a Tensor or None")
            g = g if graph else g._data
            if g.shape != parent._data.shape:  # a broadcast shape is summed back, as the engine does
                shape, g = g.shape, engine.sum_to_shape(g, parent._data.shape)
                if g is None:
                    raise RuntimeError(f"{name}.backward returned a gradient of shape {tuple(shape)} for argument "
                                       f"{position} of shape {tuple(parent.shape)}; return one of the argument's "
                                       "shape")
        grads.append(g)
    return tuple(grads)


def _output_node(core, index):
    hidden = _wrap(_TOKEN)
    hidden._ctx, hidden.requires_grad = core, True
    node = core.function._output_class()
    node.parents, node.needs_input_grad = (hidden,), (True,)
    node.core, node.index = core, index
    node.sequence = engine.next_sequence()  # after the call's node: the engine runs it first
    return node


def _attach(tensor, node):
    tensor._ctx, tensor.requires_grad = node, True


def _index(tensors, t):
    """Position of `t` in `tensors` by identity (Tensor's == is element-wise), or None."""
    return next((i for i, x in enumerate(tensors) if x is t), None)


def _among(tensors, t):
    return _index(tensors, t) is not None
