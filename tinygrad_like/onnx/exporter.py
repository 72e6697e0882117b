"""ONNX export: a forward pass traced as its graph of Function nodes, each node written as ONNX nodes.

The autograd graph already is a trace: every op that a forward pass runs on a tensor requiring grad
leaves a node holding its Function class, its input tensors (ctx.parents) and the options it saved.
export() runs the model in eval mode with the example inputs requiring grad, walks the nodes in creation
order and hands each to the function registered for its class with `@exports(ops.Relu)`: it gets the
builder and the node, adds ONNX nodes and returns the name of the node's output. Parameters and buffers
become initializers under their state-dict names; other constants become initializers too.

The forward pass runs a second time, with each dynamic axis of the inputs one longer and other input
values. The axes of an intermediate tensor whose size changed are dynamic (an exported Reshape reads
those sizes at run time instead of baking them in), and a constant whose value changed was computed from
the input outside the graph (a mask from x._data > 0): a node's exporter either explains it as a
comparison of the node's other inputs (leaky_relu's mask is x > 0) or the export is refused.
"""
import inspect
import os

import numpy as np

from tinygrad_like import ops
from tinygrad_like.grad_mode import enable_grad
from tinygrad_like.tensor import Function, Tensor

INT64_MAX = 2 ** 63 - 1
INT64_MIN = -2 ** 63
DEFAULT_OPSET = 17
_INSTALL = "pip install 'tinygrad_like[interop]' (or pip install onnx)"

_EXPORTERS = {}  # "module.QualifiedName" of a Function class -> its exporter
# Functions whose results a forward pass hands to an op as an option, and whose arguments its exporter
# needs: max pooling's index arrays, computed from the data, say nothing of the window geometry.
RECORDED_CALLS = []  # (module, function name)


class ExportError(RuntimeError):
    """The model cannot be written as ONNX: an op without an exporter, or a value ONNX cannot follow."""


def _key(op):
    return op if isinstance(op, str) else f"{op.__module__}.{op.__qualname__}"


def exports(*functions):
    """Register the decorated `exporter(builder, node) -> output name` for Function classes (or their
    "module.QualifiedName", which needs no import of the class)."""
    def register(exporter):
        for function in functions:
            _EXPORTERS[_key(function)] = exporter
        return exporter
    return register


# ---- tracing -----------------------------------------------------------------------------------------------
class _Trace:
    """One forward pass: its nodes in creation order, each input of each node as a reference ("node", i)
    or ("leaf", j), the leaves in order of first use, and one tensor per node output."""

    def __init__(self, model, arrays):
        self.inputs = [np.array(array) for array in arrays]  # own copies: the model may change them in place
        self.calls = {}  # id(result) -> (function name, {argument: value}, result) of the RECORDED_CALLS
        with enable_grad(), _options_recorded(), _calls_recorded(self.calls):
            args = []
            for array in self.inputs:
                leaf = Tensor._wrap(array)
                if array.dtype.kind == "f":
                    leaf.requires_grad = True
                    leaf = ops.Clone.apply(leaf)  # the graph starts at the input, and in-place ops on it work
                args.append(leaf)
            result = model(*args)
        self.outputs = list(result) if isinstance(result, (tuple, list)) else [result]
        for i, output in enumerate(self.outputs):
            if not isinstance(output, Tensor):
                raise ExportError(f"export: the model's output {i} is a {type(output).__name__}; it must return a "
                                  "Tensor or a tuple/list of Tensors")
        found, stack = {}, [t._ctx for t in self.outputs if t._ctx is not None]
        while stack:
            ctx = stack.pop()
            if id(ctx) not in found:
                if ctx.parents is None:
                    raise ExportError("export: the model's forward pass ran backward() on its own graph, which frees "
                                      "it; export a model whose forward only computes")
                found[id(ctx)] = ctx
                stack += [p._ctx for p in ctx.parents if p._ctx is not None]
        self.nodes = sorted(found.values(), key=lambda ctx: ctx.sequence)
        position = {id(ctx): i for i, ctx in enumerate(self.nodes)}
        self.leaves, leaf_position = [], {}
        self.node_outputs = [None] * len(self.nodes)

        def reference(tensor):
            if tensor._ctx is not None:
                i = position[id(tensor._ctx)]
                if self.node_outputs[i] is None:
                    self.node_outputs[i] = tensor
                return "node", i
            key = id(tensor._data)
            if key not in leaf_position:
                leaf_position[key] = len(self.leaves)
                self.leaves.append(tensor)
            return "leaf", leaf_position[key]

        self.parents = [[reference(p) for p in ctx.parents] for ctx in self.nodes]
        self.output_refs = [reference(t) for t in self.outputs]

    def tensor(self, ref):
        kind, i = ref
        return self.node_outputs[i] if kind == "node" else self.leaves[i]


class _options_recorded:
    """While tracing, every node also keeps the options its op was applied with (ctx.export_options): not
    every forward saves all of its own on ctx (only those its backward reads)."""

    def __enter__(self):
        self.apply = Function.__dict__["apply"]
        apply = self.apply.__func__

        def recording(cls, *inputs, **options):
            out = apply(cls, *inputs, **options)
            if out._ctx is not None:
                out._ctx.export_options = options
            return out

        Function.apply = classmethod(recording)

    def __exit__(self, *exc_info):
        Function.apply = self.apply


class _calls_recorded:
    """While tracing, the RECORDED_CALLS note their arguments under their result's identity."""

    def __init__(self, calls):
        self.calls, self.originals = calls, []

    def __enter__(self):
        for module, name in RECORDED_CALLS:
            function = getattr(module, name)
            self.originals.append((module, name, function))

            def recording(*args, _function=function, _name=name, **kwargs):
                result = _function(*args, **kwargs)
                arguments = inspect.signature(_function).bind(*args, **kwargs).arguments
                self.calls[id(result)] = (_name, arguments, result)  # the result kept alive: its id stays unique
                return result

            setattr(module, name, recording)

    def __exit__(self, *exc_info):
        for module, name, function in self.originals:
            setattr(module, name, function)


def _other_inputs(arrays, dynamic_axes):
    """The second pass's inputs: each dynamic axis one longer (its first slice repeated), other values (floats
    reversed and rescaled, integers such as indices rolled, so they stay valid)."""
    others = []
    for array, axes in zip(arrays, dynamic_axes):
        for axis in axes:
            if array.shape[axis] == 0:
                raise ExportError(f"export: dynamic axis {axis} of an example input of shape {array.shape} is empty; "
                                  "give an example with at least one element along it")
            array = np.concatenate([array, np.take(array, [0], axis=axis)], axis=axis)
        if array.dtype.kind == "f":
            array = (np.flip(array).astype(np.float64) * 1.5 + 0.25).astype(array.dtype)
        elif array.ndim:
            array = np.roll(array, 1)
        others.append(array)
    return others


def _describe(ctx):
    return f"{type(ctx).__module__}.{type(ctx).__qualname__}"


def _pair(first, second):
    """Check that both passes ran the same graph."""
    if len(first.nodes) != len(second.nodes):
        raise ExportError(f"export: the forward pass ran {len(first.nodes)} ops on the example input but "
                          f"{len(second.nodes)} with its dynamic axes one longer; a model whose graph depends on "
                          "the input's sizes or values (Python control flow) cannot be exported with dynamic axes: "
                          "pass dynamic_axes={} for fixed sizes")
    for i, (a, b) in enumerate(zip(first.nodes, second.nodes)):
        if type(a) is not type(b) or first.parents[i] != second.parents[i]:
            raise ExportError(f"export: op {i} of the forward pass is {_describe(a)} on the example input but "
                              f"{_describe(b)} on an input with other values and sizes (or has other inputs); a "
                              "model whose graph depends on its input (Python control flow) cannot be exported "
                              "with dynamic axes: pass dynamic_axes={} for fixed sizes")
    if first.output_refs != second.output_refs:
        raise ExportError("export: the model returns other tensors when the input changes; its graph depends on "
                          "the input (Python control flow)")
    for i, (a, b) in enumerate(zip(first.node_outputs, second.node_outputs)):
        if a.ndim != b.ndim:
            raise ExportError(f"export: op {i} ({_describe(first.nodes[i])}) gives {a.ndim} axes on the example "
                              f"input (shape {a.shape}) but {b.ndim} when its dynamic axes are longer (shape "
                              f"{b.shape}), as squeeze() does to a batch of one; give an example with more than one "
                              "element along each dynamic axis, or name the axes to squeeze")


# ---- values and nodes, as exporters see them --------------------------------------------------------------
def _same(a, b):
    """Equal options or arrays in both passes (nan equal to nan)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(
            a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return type(a) is type(b) and a == b


class Value:
    """A tensor of the traced graph: its ONNX name (made on first use for a constant), its shape and dtype
    in the first pass, which axes are dynamic (their sizes differ in the second), and both passes' data."""

    def __init__(self, first, second, kind, name=None):
        self.first, self.second, self.kind, self.name = first, second, kind, name
        self.shape, self.dtype = first._data.shape, first._data.dtype
        self.dynamic = tuple(a != b for a, b in zip(first._data.shape, second._data.shape))
        self.sizes = tuple(zip(first._data.shape, second._data.shape))  # (first, second) per axis

    @property
    def data(self):
        """(first pass's array, second pass's array)."""
        return self.first._data, self.second._data


class Node:
    """One op of the trace, for its exporter: `op` (its Function class), `inputs` and `output` (Values),
    `input(i)` (the ONNX name of input i), and `option(name)` (an attribute its forward saved on ctx)."""

    def __init__(self, builder, index, ctx, twin, inputs, output):
        self.builder, self.index, self.ctx, self.twin = builder, index, ctx, twin
        self.op, self.inputs, self.output = type(ctx), inputs, output

    def input(self, i):
        value = self.inputs[i]
        if value.kind == "varying":
            raise self.varying_error(i)
        return self.builder.value_name(value)

    def options(self, name, *default):
        """(first pass's, second pass's) option `name`, which may differ (see option)."""
        return tuple(_option(ctx, name, *default) for ctx in (self.ctx, self.twin))

    def option(self, name, *default):
        """The option `name` the op was applied with, else the attribute ctx.<name> its forward saved; it
        must be the same in both passes."""
        first, second = self.options(name, *default)
        if not _same(first, second):
            raise ExportError(f"export: {self.describe()} has option {name}={_short(first)} on the example input "
                              f"but {_short(second)} on another: it is computed from the input outside the graph, "
                              "which an exported model cannot follow")
        return first

    def input_option(self, name):
        """The ONNX name of the integer input that the array option `name` holds in both passes (the indices
        of an embedding lookup; cast to int64 if the input has another integer dtype), or None."""
        first, second = _option(self.ctx, name), _option(self.twin, name)
        if not (isinstance(first, np.ndarray) and first.dtype.kind in "iu"):
            return None
        for k, (a, b) in enumerate(zip(self.builder.first.inputs, self.builder.second.inputs)):
            if a.dtype.kind in "iu" and all(x is y or (x.shape == y.shape and np.array_equal(x, y))
                                            for x, y in ((first, a), (second, b))):
                name = self.builder.input_names[k]
                return name if a.dtype == np.int64 else self.builder.op("Cast", name, to=7)  # 7: INT64
        return None

    def call(self, name):
        """(function name, {argument: value}) of the RECORDED_CALLS call that made the array option `name`, or
        None."""
        first = self.builder.first.calls.get(id(_option(self.ctx, name)))
        return None if first is None else first[:2]

    def describe(self):
        shapes = ", ".join(str(value.shape) for value in self.inputs)
        return f"op {self.index} ({_describe(self.ctx)} on inputs of shapes {shapes})"

    def varying_error(self, i):
        value = self.inputs[i]
        return ExportError(
            f"export: {self.describe()} reads as input {i} a {value.dtype} array of shape {value.shape} that changes "
            "with the model's input but is not computed in the graph (such as a mask made from x.numpy() or "
            "x._data, or an index from argmax), so an exported model could not follow it; compute it with "
            "Tensor ops that have an ONNX export, or register an exporter for a Function that computes it")


def _option(ctx, name, *default):
    options = getattr(ctx, "export_options", {})
    return options[name] if name in options else getattr(ctx, name, *default)


def _short(value):
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."


# ---- the builder ---------------------------------------------------------------------------------------------
class Builder:
    """Collects ONNX nodes and initializers; the helpers exporters call (op, const, reduce, shape, ...)."""

    def __init__(self, onnx, opset, first, second, input_names, names):
        self.onnx, self.opset, self.first, self.second = onnx, opset, first, second
        self.input_names, self.names = input_names, names  # names: id(array) -> state-dict name
        self.input_values = [Value(Tensor._wrap(a), Tensor._wrap(b), "input", name)
                             for a, b, name in zip(first.inputs, second.inputs, input_names)]
        self.nodes, self.initializers, self.used_names = [], [], set(input_names)
        self.constants = {}
        self.scope = "graph"
        self.counter = 0

    def fresh(self, hint):
        self.counter += 1
        name = f"{self.scope}/{hint}_{self.counter}"
        self.used_names.add(name)
        return name

    def op(self, op_type, *inputs, outputs=1, **attributes):
        """Add an ONNX node; inputs are names, numpy arrays (made constants) or None (an omitted optional
        input). Returns its output's name (a list for outputs > 1)."""
        names = [self.fresh(op_type) for _ in range(outputs)]
        inputs = ["" if x is None else self.const(x) if isinstance(x, np.ndarray) else x for x in inputs]
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, names, name=names[0] + ":node",
                                                     **attributes))
        return names[0] if outputs == 1 else names

    def const(self, array, name=None):
        """An initializer holding `array` (equal small constants are shared)."""
        array = np.asarray(array)
        key = (array.dtype.str, array.shape, array.tobytes()) if name is None and array.size <= 64 else None
        if key is not None and key in self.constants:
            return self.constants[key]
        if name is None:
            self.counter += 1
            name = f"constant_{self.counter}"
        self.used_names.add(name)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(array), name))
        if key is not None:
            self.constants[key] = name
        return name

    def scalar(self, value, dtype):
        return self.const(np.asarray(value, dtype=dtype))

    def value_name(self, value):
        if value.name is None and value.kind == "fill":  # one value in a shape that follows the dynamic axes
            scalar = np.asarray(value.first._data.flat[0])
            value.name = self.op("Expand", scalar, self.shape(value.sizes))
        elif value.name is None:  # a constant or a parameter: an initializer on first use
            array = value.first._data
            name = self.names.get(id(array))
            value.name = self.const(array, name if name not in self.used_names else None)
        return value.name

    # ---- opset-dependent forms ----
    def reduce(self, op_type, x, axes, keepdims):
        """ReduceSum/Mean/Max/...(x) over `axes` (None: all). Axes are an attribute before opset 18 (13 for
        ReduceSum), an input from then on."""
        keep = int(bool(keepdims))
        if axes is None:
            return self.op(op_type, x, keepdims=keep)
        axes = [int(a) for a in (axes if isinstance(axes, (tuple, list)) else (axes,))]
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.op(op_type, x, np.array(axes, np.int64), keepdims=keep)
        return self.op(op_type, x, axes=axes, keepdims=keep)

    def squeeze(self, x, axes):
        return self.op("Squeeze", x, np.array(axes, np.int64)) if axes else x

    def unsqueeze(self, x, axes):
        return self.op("Unsqueeze", x, np.array(axes, np.int64)) if axes else x

    # ---- sizes known only at run time ----
    def size(self, first, second):
        """A 1-element int64 tensor holding, at run time, the size that is `first` in the first pass and
        `second` in the second: a dynamic axis of an input, or a multiple or a fraction of one."""
        for value, name in zip(self.input_values, self.input_names):
            for axis, (a, b) in enumerate(value.sizes):
                if a == b:
                    continue
                size = None
                if first % a == 0 and second % b == 0 and first // a == second // b:
                    size = self._input_size(name, axis)
                    if first // a != 1:
                        size = self.op("Mul", size, np.array([first // a], np.int64))
                elif a % first == 0 and b % second == 0 and a // first == b // second:
                    size = self.op("Div", self._input_size(name, axis), np.array([a // first], np.int64))
                if size is not None:
                    return size
        raise ExportError(f"export: a size is {first} on the example input and {second} on another, which is no "
                          "multiple of a dynamic axis of the inputs; pass dynamic_axes={} for fixed sizes")

    def _input_size(self, name, axis):
        return self.op("Gather", self.op("Shape", name), np.array([axis], np.int64))

    def shape(self, sizes):
        """An int64 shape tensor for sizes [(first, second), ...]: a constant when no size changes."""
        if all(a == b for a, b in sizes):
            return self.const(np.array([a for a, _ in sizes], np.int64))
        parts = [np.array([a], np.int64) if a == b else self.size(a, b) for a, b in sizes]
        return self.op("Concat", *parts, axis=0)

    def target_shape(self, value):
        """The shape of `value` for Reshape: its sizes, with -1 for its one dynamic axis."""
        if sum(value.dynamic) == 1 and 0 not in value.shape:
            return self.const(np.array([-1 if d else n for n, d in zip(value.shape, value.dynamic)], np.int64))
        return self.shape(value.sizes)


# ---- export -----------------------------------------------------------------------------------------------
def _import_onnx():
    try:
        import onnx
        import onnx.checker
        import onnx.helper
        import onnx.numpy_helper
    except ImportError as error:
        raise ImportError(f"tinygrad_like.onnx.export needs the onnx package: {_INSTALL}") from error
    return onnx


def _input_arrays(example_input):
    items = example_input if isinstance(example_input, (tuple, list)) else (example_input,)
    arrays = []
    for i, item in enumerate(items):
        array = item._data if isinstance(item, Tensor) else np.asarray(item)
        if array.dtype.kind not in "biuf":
            raise ExportError(f"export: example input {i} has dtype {array.dtype}; ONNX inputs here are numeric")
        arrays.append(array)
    return arrays


def _names(given, count, default, what):
    if given is None:
        return [default] if count == 1 else [f"{default}_{i}" for i in range(count)]
    names = list(given)
    if len(names) != count or len(set(names)) != count:
        raise ExportError(f"export: {what}={names!r} must name each of the {count} {what[:-6]}s once")
    return names


def _dynamic_axes(dynamic_axes, names, shapes):
    """{input or output name: {axis >= 0: dimension name}}; by default axis 0 of each, named "batch"."""
    if dynamic_axes is None:
        dynamic_axes = {name: {0: "batch"} for name, shape in zip(names, shapes) if shape}
    resolved = {}
    for name, axes in dynamic_axes.items():
        if name not in names:
            raise ExportError(f"export: dynamic_axes names {name!r}, which is no input or output ({names})")
        shape = shapes[names.index(name)]
        if not isinstance(axes, dict):
            axes = {axis: f"{name}_dim{axis}" for axis in axes}
        resolved[name] = {}
        for axis, label in axes.items():
            if not -len(shape) <= int(axis) < len(shape):
                raise ExportError(f"export: dynamic axis {axis} of {name!r} is out of range for its shape {shape}")
            resolved[name][int(axis) % len(shape)] = str(label)
    return resolved


def export(model, example_input, path=None, opset_version=DEFAULT_OPSET, input_names=None, output_names=None,
           dynamic_axes=None):
    """Write `model` (a Module, or any callable of Tensors) as an ONNX model to `path`; return the ModelProto.

    The forward pass runs on `example_input` (a Tensor or array, or a tuple of them) in eval mode, and once
    more with other sizes and values to find the dynamic axes (see the module's docstring). `dynamic_axes`
    is PyTorch's: {input or output name: {axis: dimension name} or [axes]}; by default axis 0 of every input
    and output is the dynamic "batch"; {} exports fixed sizes. Inputs are named `input` (input_0, ...) and
    outputs `output` unless input_names / output_names say otherwise."""
    onnx = _import_onnx()
    if not 13 <= opset_version <= onnx.defs.onnx_opset_version():
        raise ExportError(f"export: opset_version must be between 13 and {onnx.defs.onnx_opset_version()} (the "
                          f"installed onnx's newest), got {opset_version}")
    inputs = _input_arrays(example_input)
    input_names = _names(input_names, len(inputs), "input", "input_names")
    modules = list(model.modules()) if hasattr(model, "modules") else []
    modes = [(module, module.training) for module in modules]
    for module in modules:
        module.training = False  # eval mode: dropout is the identity, batch norm uses its running statistics
    try:
        first = _Trace(model, inputs)
        output_names = _names(output_names, len(first.outputs), "output", "output_names")
        axes = _dynamic_axes(dynamic_axes, input_names + output_names,
                             [x.shape for x in inputs] + [t.shape for t in first.outputs])
        input_axes = [sorted(axes.get(name, {})) for name in input_names]
        try:
            second = _Trace(model, _other_inputs(inputs, input_axes))
        except ExportError:
            raise
        except Exception as error:
            raise ExportError(f"export: the model runs on the example input but not with its dynamic axes one "
                              f"longer ({type(error).__name__}: {error}); pass dynamic_axes={{}} for fixed sizes") \
                from error
    finally:
        for module, training in modes:
            module.training = training
    _pair(first, second)
    names = {}
    if hasattr(model, "named_parameters"):
        for name, tensor in list(model.named_parameters()) + list(model.named_buffers()):
            names.setdefault(id(tensor._data), name)
    proto = _build(onnx, model, first, second, opset_version, input_names, output_names, axes, names)
    if path is not None:
        onnx.save_model(proto, os.fspath(path))
    return proto


def _build(onnx, model, first, second, opset, input_names, output_names, axes, names):
    builder = Builder(onnx, opset, first, second, input_names, names)
    values = {}
    for j, (a, b) in enumerate(zip(first.leaves, second.leaves)):
        values["leaf", j] = _leaf_value(a, b, first, second, input_names, names)
    for i, (ctx, twin) in enumerate(zip(first.nodes, second.nodes)):
        output = Value(first.node_outputs[i], second.node_outputs[i], "node")
        node = Node(builder, i, ctx, twin, [values[ref] for ref in first.parents[i]], output)
        exporter = _EXPORTERS.get(_key(type(ctx)))
        if exporter is None:
            raise ExportError(
                f"export: no ONNX exporter for {node.describe()}. Register one: decorate a function "
                f"`def export_it(g, node)` that adds ONNX nodes with g.op(...) and returns the output's name with "
                f"@tinygrad_like.onnx.exports({type(ctx).__qualname__}) (tinygrad_like/onnx/exporters.py has one "
                "per built-in op); or write this part of the model with ops that have one")
        builder.scope = f"{type(ctx).__name__}_{i}"
        output.name = exporter(builder, node)
        values["node", i] = output
    outputs = [values[ref] for ref in first.output_refs]
    graph_outputs = []
    for value, name in zip(outputs, output_names):
        source = value.name if value.kind == "node" else builder.value_name(value) if value.kind != "varying" else None
        if source is None:
            raise ExportError(f"export: output {name!r} is computed from the input outside the graph (its values "
                              "change with the input, but no op produced it); compute it with Tensor ops")
        builder.nodes.append(onnx.helper.make_node("Identity", [source], [name], name=f"{name}:node"))
        graph_outputs.append(_value_info(onnx, name, value, builder, axes))
    graph_inputs = [_value_info(onnx, name, value, builder, axes)
                    for name, value in zip(input_names, builder.input_values)]
    graph = onnx.helper.make_graph(builder.nodes, type(model).__name__, graph_inputs, graph_outputs,
                                   builder.initializers)
    opsets = [onnx.helper.make_opsetid("", opset)]
    proto = onnx.helper.make_model(graph, opset_imports=opsets, producer_name="tinygrad_like")
    proto.ir_version = onnx.helper.find_min_ir_version_for(opsets)
    onnx.checker.check_model(proto)
    return proto


def _leaf_value(a, b, first, second, input_names, names):
    for k, (x, y) in enumerate(zip(first.inputs, second.inputs)):
        if a._data is x and b._data is y:
            return Value(a, b, "input", input_names[k])
    if a._data is b._data and id(a._data) in names:
        return Value(a, b, "parameter")
    if _same(a._data, b._data):
        return Value(a, b, "constant")
    return Value(a, b, "fill" if _fill(a._data, b._data) else "varying")


def _fill(a, b):
    """Are both arrays filled with one and the same value (zeros shaped like the batch: sizes change, the
    content does not)?"""
    if not (a.size and b.size and a.dtype == b.dtype and a.ndim == b.ndim):
        return False
    value = a.flat[0]
    return all(np.array_equal(x, np.full_like(x, value), equal_nan=x.dtype.kind in "fc") for x in (a, b))


def _value_info(onnx, name, value, builder, axes):
    """The ValueInfo of a graph input or output: dynamic axes get a dimension name (the user's, or that of
    the input axis whose sizes they share)."""
    dims = []
    for axis, (size, dynamic) in enumerate(zip(value.shape, value.dynamic)):
        label = axes.get(name, {}).get(axis)
        if label is None and dynamic:
            shared = [axes.get(input_name, {}).get(j) for input_value, input_name in
                      zip(builder.input_values, builder.input_names)
                      for j, sizes in enumerate(input_value.sizes) if sizes == value.sizes[axis]]
            label = next((label for label in shared if label is not None), f"{name}_dim{axis}")
        dims.append(label if label is not None else int(size))
    element = onnx.helper.np_dtype_to_tensor_dtype(value.dtype)
    return onnx.helper.make_tensor_value_info(name, element, dims)
