"""Captured steps: `tinygrad_like.jit` replays a training step's array operations without Tensors, graph or engine.

    @tl.jit
    def train_step(x, y):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    for x, y in batches:                 # Tensors or numpy arrays, the same shapes and dtypes each call
        loss = train_step(x, y)

In the spirit of tinygrad's TinyJit and the simplest mode of torch.compile. The first two calls run eagerly,
each under a recorder that notes every array operation of the step: each op's forward (`Function.apply`), each
graph node's backward, the engine's gradient sums, un-broadcasting and casts, the accumulation into the
leaves' `.grad`, in-place copies (`p -= lr * p.grad` under no_grad, `x[i] = v`) and the optimizer's update
(`Optimizer.step`). The two recordings must agree: the same operations on the same shapes with the same
options, and every array that comes from outside the step either the same memory in both (parameters,
buffers: referenced live) or the same bits (constants such as the 0.5 of `0.5 * loss`); when they differ once
(a first call that sets something up), the third call is recorded and compared with the second. The later
recording is then compiled into one Python function of straight-line calls, which every later call runs:
the ops' own forward and backward static methods on numpy arrays (for the hot ops, Linear, MatMul, MSELoss,
Sum, Mean, Dropout and the element-wise ones, the same numpy calls written out: the kernels below), the
engine's sums and un-broadcasting, and the optimizer's own update (plain SGD's written out); no Tensors but
the returned ones, no graph nodes, no engine.

The replay makes the same numpy calls in the same order as eager mode, so its results are the same bits:
parameters and optimizer state are updated in place by the optimizer's code, each parameter's `.grad` holds
the step's new gradient array, and dropout masks are drawn inside the ops from the same generator in the same
order (the same seed gives the same masks as eager mode). One difference: each parameter's `.grad` is the
same Tensor object in every replayed call (eager mode makes a new one per call), holding a new array each
time, so a reference kept to an earlier call's `.grad` Tensor sees the later values.

Guards, checked on every call: the number of arguments, each array argument's shape, dtype and strides
(Tensors that do not require grad, or ndarrays), the other arguments' values (numbers, strings) or identity
(objects), grad mode, the train/eval mode of every module whose class reads `training` that the recorded call
called or that the function reaches (its closure, defaults, the globals it names, a bound method's object,
the arguments, and one attribute level below those), that each parameter still holds the array that was
recorded (`.data = array` replaces it) and the parameters' `.grad` state the recording started from (None,
or an existing gradient to add to).
When a guard fails the call runs eagerly and is recorded: two recordings of the same signature (argument
shapes, dtypes and values, grad mode, module modes) make a new program (up to `_MAX_PROGRAMS` are kept, tried
in turn: e.g. one for a smaller last batch). A signature recorded `_MAX_RECORDINGS` times (a parameter
replaced on every call), or `_MAX_ALL_RECORDINGS` recordings in all, and the function runs eagerly for good,
with a warning.

A recording refuses, with a JitError raised by the call being recorded (which may have run part of the step;
the function runs eagerly from then on), a step that reads values back into Python (item(), bool(), float(),
numpy(), tolist(), np.asarray(): control flow on data cannot be replayed), one whose operations or options
differ between recorded calls twice in a row (Python control flow that changes, masks drawn outside an op
such as the book's BookDropout), arrays that change
between calls without coming from the arguments through ops (a tensor made from data inside the step,
random numbers drawn by a factory), arrays changed in place outside the recorded operations (BatchNorm's
running statistics in training, an optimizer that overrides step()), backward(create_graph=True),
autograd.grad and backward(inputs=...), tensor hooks, anomaly mode switched on inside the step (calls made
in anomaly mode run eagerly), torch-style autograd.Function nodes,
a backward that reads its node's inputs (ctx.parents), an op option holding an array computed from the step's
data (class-index targets of cross_entropy and nll_loss, tensor indices: the library's Python checks on them
would not run again; one-hot targets work), optimizer.step(closure), arguments that require grad, and a
parameter's `.grad` replaced by something other than None or the new gradient. Values that library code reads
from tensors into Python without these hooks (through `._data`) are taken as recorded once the two recordings
agree.

Not replayed: the step's Python side effects (prints, counters, appending to lists, lr_scheduler.step()
inside the step: call schedulers outside it; the optimizer reads its hyper-parameters on every call).
Tensors returned by a replayed call carry no graph (requires_grad False). The in-place stamps with which
eager mode refuses to differentiate a graph through a parameter changed after it was built are not updated
by a replay (graphs built outside the step are not protected against the step's updates).
"""
import collections
import functools
import threading
import types
import warnings
from heapq import heappop, heappush

import numpy as np

from tinygrad_like import anomaly, engine, ops
from tinygrad_like.grad_mode import GradMode
from tinygrad_like.nn.module import Module
from tinygrad_like.ops.dispatch import stable_sigmoid
from tinygrad_like.ops.linalg import takes_dot
from tinygrad_like.optim.sgd import SGD
from tinygrad_like.random import dropout_mask
from tinygrad_like.tensor import Function, Tensor, _wrap, infer_array

_MAX_RECORDINGS = 6  # of one signature: more means a guard on state (a parameter replaced each call) keeps failing
_MAX_ALL_RECORDINGS = 32  # of all signatures together: more, and the function keeps meeting new shapes
_MAX_PROGRAMS = 4  # compiled programs kept per function (tried in turn on each call)
_MISS = object()  # what a compiled program returns when its guards do not hold
_STATIC_VALUES = (int, float, complex, str, bytes, bool, type(None))  # guarded by value; other objects by identity


class JitError(RuntimeError):
    """A step that tinygrad_like.jit cannot capture, and why."""


def jit(function):
    """Capture `function` (a training or inference step over tensors) and replay it: see the module docstring."""
    return Jit(function)


class Jit:
    """A captured function: eager for the first calls, then replayed (see the module docstring)."""

    def __init__(self, function):
        functools.update_wrapper(self, function)
        self.function = function
        self.mismatched = set()  # signatures whose two recordings differed once (a first call may initialise)
        self.recordings = collections.Counter()  # signature -> calls recorded
        self.programs = []  # compiled replays, the newest first
        self.pending = []  # first recordings of a signature, each waiting for a second call to compare with
        self.eager_reason = None  # why the function now always runs eagerly

    def __get__(self, instance, owner=None):  # a decorated method: the instance is the first argument
        return self if instance is None else types.MethodType(self, instance)

    def __call__(self, *args, **kwargs):
        for program in self.programs:
            result = program(args, kwargs)
            if result is not _MISS:
                return result
        return self._call_unreplayed(args, kwargs)

    @property
    def source(self):
        """The Python source of the newest compiled program (None before the first one)."""
        return self.programs[0].source if self.programs else None

    def _call_unreplayed(self, args, kwargs):
        eager_args, eager_kwargs = _tensor_arguments(args, kwargs)
        if self.eager_reason is not None or engine.recorder is not None or anomaly.enabled:
            return self.function(*eager_args, **eager_kwargs)  # (in another function's recording: it notes these ops)
        modules = _reachable_modules(self.function, args, kwargs)
        signature = _signature(args, kwargs)
        if self.recordings[signature] >= _MAX_RECORDINGS or sum(self.recordings.values()) >= _MAX_ALL_RECORDINGS:
            self.eager_reason = (
                f"{sum(self.recordings.values())} recordings, and the guards of the compiled steps still fail: "
                + ("parameters (.data replaced?) or their .grad change from call to call"
                   if self.recordings[signature] >= _MAX_RECORDINGS else "new input shapes or dtypes keep coming"))
            warnings.warn(f"tinygrad_like.jit({_name(self.function)}): {self.eager_reason}; running eagerly from now "
                          "on", RuntimeWarning, stacklevel=3)
            return self.function(*eager_args, **eager_kwargs)
        same = [r for r in self.pending if r.signature == signature]
        self.recordings[signature] += 1
        try:
            recorder = _Recorder(self.function, args, kwargs, signature, modules, same[0] if same else None)
            result = recorder.record(eager_args, eager_kwargs)
            # a pair must also start from the same module modes and .grad states (None, or a gradient to add to)
            first = next((r for r in same if r.grad_key == recorder.grad_key and r.mode_key == recorder.mode_key),
                         None)
            if first is not None:
                self.pending.remove(first)
                try:
                    _compare(first, recorder)
                except JitError:
                    if signature in self.mismatched:
                        raise
                    self.mismatched.add(signature)  # once: the first call may set things up (lazy state)
                    first = None
            if first is None:  # (each waiting recording holds the arrays of a whole step)
                self.pending = [recorder] + self.pending[:_MAX_PROGRAMS - 1]
            else:
                self.programs = [_compile(recorder)] + self.programs[:_MAX_PROGRAMS - 1]
        except JitError as error:
            self.eager_reason, self.pending = str(error), []  # if the caller goes on, it goes on eagerly
            raise
        return result


def _name(function):
    return getattr(function, "__qualname__", None) or repr(function)


def _tensor_arguments(args, kwargs):
    """The arguments as the function sees them: numpy arrays become Tensors sharing their memory."""
    def convert(value):
        return _wrap(value) if type(value) is np.ndarray else value

    return [convert(a) for a in args], {k: convert(v) for k, v in kwargs.items()}


def _is_array_argument(value):
    return type(value) is np.ndarray or isinstance(value, Tensor)


def _signature(args, kwargs):
    """The arguments and grad mode, as one comparable value: recordings of the same signature (and the same
    module modes and .grad states, known after the call) are compared with each other."""
    def describe(value):
        if _is_array_argument(value):
            array = value._data if isinstance(value, Tensor) else value
            return ("array", array.shape, array.dtype, array.strides)
        return ("static", type(value), value if isinstance(value, _STATIC_VALUES) else id(value))

    return (tuple(describe(a) for a in args), tuple((k, describe(v)) for k, v in sorted(kwargs.items())),
            GradMode.enabled)


# ---- which modules' train/eval mode the step can depend on ---------------------------------------------
def _reachable_modules(function, args, kwargs):
    """The modules that `function` can reach (see the module docstring) whose class reads `training` (the
    recording adds those it sees called)."""
    objects = list(args) + list(kwargs.values())
    if isinstance(function, types.MethodType):
        objects.append(function.__self__)
        function = function.__func__
    objects += [cell.cell_contents for cell in getattr(function, "__closure__", None) or () if _filled(cell)]
    objects += list(getattr(function, "__defaults__", None) or ()) + list((getattr(function, "__kwdefaults__", None)
                                                                          or {}).values())
    code = getattr(function, "__code__", None)
    if code is not None:
        namespace = getattr(function, "__globals__", {})
        objects += [namespace[name] for name in _names(code) if name in namespace]
    found, seen = [], set()

    def visit(obj, depth):
        if isinstance(obj, Module):
            for module in obj.modules():
                if id(module) not in seen:
                    seen.add(id(module))
                    if _reads_training(type(module)):
                        found.append(module)
        elif depth and not isinstance(obj, (type, types.ModuleType, types.FunctionType, Tensor, np.ndarray)):
            members = getattr(obj, "__dict__", None)
            if isinstance(obj, (list, tuple)):
                members = dict(enumerate(obj))
            for value in (members or {}).values():
                visit(value, depth - 1)

    for obj in objects:
        visit(obj, 1)
    return found


@functools.lru_cache(maxsize=None)
def _reads_parents(cls):
    code = getattr(cls.backward, "__code__", None)
    return code is not None and "parents" in _names(code)


def _filled(cell):
    try:
        cell.cell_contents
    except ValueError:  # a closure variable not assigned yet
        return False
    return True


def _names(code):
    """The global and attribute names a code object and the code nested in it (lambdas, comprehensions) use."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


@functools.lru_cache(maxsize=None)
def _reads_training(cls):
    """Does a method of `cls` (or of its bases other than Module) read `training`? Layers such as Linear,
    ReLU and Sequential do not, and need no guard."""
    for klass in cls.__mro__:
        if klass in (Module, object):
            continue
        for value in vars(klass).values():
            value = getattr(value, "__func__", value)  # staticmethod, classmethod
            code = getattr(value, "__code__", None)
            if code is not None and "training" in _names(code):
                return True
    return False


# ---- recording ---------------------------------------------------------------------------------------
# A recording's values are named by references: ("i", k) the k-th array argument, ("v", n) the n-th value an
# operation produced, ("e", n) the n-th array from outside the step (a parameter, buffer or constant).
# Its entries, in order:
#   ("forward", cls, ctx, needs, input refs, options, output ref, 0-d output?)  cls.forward(ctx, *inputs)
#   ("backward", ctx, gradient ref, output refs (None where none), returned a tuple?)
#   ("asarray" | "copy", source ref, output ref), ("sum_to" | "astype", source ref, output ref, shape | dtype)
#   ("add", ref, ref, output ref), ("ones", output ref, shape, dtype), ("seed", source ref, output ref, dtype)
#   ("grad_assign", leaf, ref), ("grad_add", leaf, ref, output ref), ("grad_clear", leaf)
#   ("copyto", target ref, source ref), ("step", optimizer, per parameter the "v" ref of the .grad it reads)
_plain_apply = None  # Function.apply as it was before a recording rebound it


def _recording_apply(cls, *inputs, **options):
    """Function.apply while a step is recorded: the plain apply, noted by the recorder. (Rebinding apply for
    the recording, as anomaly mode does, leaves the eager hot path without a test.)"""
    recorder = engine.recorder
    if recorder is None or recorder.thread != threading.get_ident():
        return _plain_apply.__func__(cls, *inputs, **options)
    return recorder.apply(cls, inputs, options)


def _recording_module_call(module, *args, **kwargs):
    """Module.__call__ while a step is recorded: notes the module (its train/eval mode is guarded when its
    class reads `training`), then the plain call."""
    recorder = engine.recorder
    if recorder is not None and recorder.thread == threading.get_ident() and id(module) not in recorder.modes:
        if _reads_training(type(module)):
            recorder.modes[id(module)] = (module, module.training)
    return _plain_module_call(module, *args, **kwargs)


_plain_module_call = Module.__dict__["__call__"]


class _Recorder:
    """One recorded call of the step; `engine.recorder` while it runs (the hooks of tensor.py, engine.py
    and optim/optimizer.py call it)."""

    def __init__(self, function, args, kwargs, signature, modules, previous):
        self.function, self.signature = function, signature
        self.modes = {id(m): (m, m.training) for m in modules}  # id -> (module, its mode as the call found it)
        self.thread = threading.get_ident()
        self.entries = []
        self.values = []  # by "v" index; kept alive while recording, so that no id is reused
        self.where = {}  # id(array) -> its reference
        self.externals = []  # by "e" index: [array, a copy as first seen, the Tensors seen holding it]
        self.nodes = set()  # id() of the graph nodes the recorded ops created
        self.grads = {}  # id(leaf) -> [leaf, .grad as the recording last left it, its array]
        self.first_grads = {}  # id(leaf) -> (.grad, its array) when the recording first touched it
        self.expected_change = None  # the array an in-place copy just recorded is about to change
        # the .grad of the previous recording's leaves as this call starts: from what state the step starts
        self.start_grads = {} if previous is None else {
            key: (leaf.grad, None if leaf.grad is None else leaf.grad._data)
            for key, (leaf, _, _) in previous.grads.items()}
        self.arguments = []  # per positional argument, then per keyword (sorted): ("array", k) | ("static", value)
        self.inputs = []
        for key, value in list(enumerate(args)) + sorted(kwargs.items()):
            if _is_array_argument(value):
                if isinstance(value, Tensor) and value.requires_grad:
                    raise JitError(f"tinygrad_like.jit({_name(function)}): argument {key!r} requires grad; the "
                                   "arguments of a captured step are data (a tensor that requires grad is state: "
                                   "reach it from the function instead, as a model's parameters)")
                array = value._data if isinstance(value, Tensor) else value
                self.arguments.append(("array", len(self.inputs)))
                self.where.setdefault(id(array), ("i", len(self.inputs)))
                self.inputs.append(array)
            else:
                _check_static(function, key, value)
                self.arguments.append(("static", value))
        self.result = None

    def record(self, args, kwargs):
        """Call the step eagerly with this recorder installed; returns the step's result."""
        global _plain_apply
        _plain_apply = Function.__dict__["apply"]
        recording_apply = classmethod(_recording_apply)
        engine.recorder, Function.apply, Module.__call__ = self, recording_apply, _recording_module_call
        try:
            result = self.function(*args, **kwargs)
            for leaf, _, _ in list(self.grads.values()):
                self.touch(leaf)  # a .grad cleared after the update (zero_grad at the end of the step)
            self.result = self.describe_result(result)
            self.grad_key = tuple((key, grad is None) for key, (grad, _) in self.first_grads.items())
            self.mode_key = tuple((key, training) for key, (_, training) in self.modes.items())
        finally:
            engine.recorder, Module.__call__ = None, _plain_module_call
            if Function.__dict__["apply"] is recording_apply:
                Function.apply = _plain_apply
        return result

    # ---- references ----
    def ref(self, array, owner=None):
        ref = self.where.get(id(array))
        if ref is None:
            base = array.base
            while isinstance(base, np.ndarray):  # a view made outside the ops of an array the step computed
                if self.where.get(id(base), ("e",))[0] != "e":
                    raise JitError(f"tinygrad_like.jit({_name(self.function)}): the step made a view of shape "
                                   f"{array.shape} of one of its arrays outside tinygrad_like's operations, so it "
                                   "cannot be replayed; use Tensor operations (indexing, reshape, ...) instead")
                base = base.base
            ref = self.where[id(array)] = ("e", len(self.externals))
            self.externals.append([array, array.copy(), []])
        if owner is not None and ref[0] == "e" and not any(t is owner for t in self.externals[ref[1]][2]):
            self.externals[ref[1]][2].append(owner)
        return ref

    def value(self, array):
        ref = self.where[id(array)] = ("v", len(self.values))
        self.values.append(array)
        return ref

    def derived(self, kind, source, result, *extra):
        self.entries.append((kind, self.where[id(source)], self.value(result), *extra))
        return result

    def add(self, a, b):
        result = a + b  # as the engine sums gradients: out of place
        self.entries.append(("add", self.where[id(a)], self.where[id(b)], self.value(result)))
        return result

    def unrecorded(self, function, *args):
        """function(*args) with the recorder out of the way (the operations it runs belong to an entry)."""
        engine.recorder = None
        try:
            return function(*args)
        finally:
            engine.recorder = self

    def refuse(self, what):
        raise JitError(f"tinygrad_like.jit({_name(self.function)}): {what}")

    # ---- the hooks ----
    def apply(self, cls, inputs, options):
        inputs = tuple(x if isinstance(x, Tensor) else _wrap(infer_array(x)) for x in inputs)  # as apply does
        refs = tuple(self.ref(t._data, t) for t in inputs)
        for name, value in options.items():
            if any(self.where.get(id(array), ("e",))[0] != "e" for array in _arrays_in(value)):
                self.refuse(f"option {name!r} of {cls.__name__} holds an array computed from the step's data (class "
                            "indices of cross_entropy or nll_loss, a tensor index); the checks and masks the library "
                            "computes from it in Python would not run again in a replay, so such a step is not "
                            "captured: use one-hot targets, or keep that op out of the captured step")
        needs = tuple(t.requires_grad for t in inputs)
        out = self.unrecorded(functools.partial(_plain_apply.__func__, cls, **options), *inputs)
        ctx = out._ctx
        if ctx is not None:
            self.nodes.add(id(ctx))
            if _reads_parents(cls):
                self.refuse(f"{cls.__name__}.backward reads its node's inputs (ctx.parents), which a replay "
                            "does not keep")
        self.entries.append(("forward", cls, ctx, needs, refs, options, self.value(out._data), out._data.ndim == 0))
        return out

    def read(self, tensor, how):
        if threading.get_ident() == self.thread:
            self.refuse(f"the step reads a tensor's values with {how} (shape {tuple(tensor.shape)}) while it is "
                        "recorded; a replay runs no Python code, so control flow or Python values that depend on "
                        "tensor data cannot be captured: return the tensor and read it after the call")

    def copyto(self, target, source):
        if threading.get_ident() == self.thread:
            self.entries.append(("copyto", self.ref(target), self.where[id(source)] if id(source) in self.where
                                 else self.ref(source)))
            self.expected_change = target

    def modified(self, arrays):
        if threading.get_ident() != self.thread:
            return
        if len(arrays) == 1 and arrays[0] is self.expected_change:
            self.expected_change = None
            return
        shapes = ", ".join(str(a.shape) for a in arrays)
        self.refuse(f"the step changes array(s) of shape {shapes} in place outside the operations a capture "
                    "records (e.g. BatchNorm's running statistics in training, load_state_dict, or an optimizer "
                    "that overrides step()); such a step cannot be replayed")

    def optimizer_step(self, optimizer, closure):
        if threading.get_ident() != self.thread:
            return self.unrecorded(optimizer.step, closure)
        if closure is not None:
            self.refuse(f"{type(optimizer).__name__}.step(closure) re-evaluates the model inside the update; call "
                        "step() without a closure in a captured step")
        for group in optimizer.param_groups:
            for p in group["params"]:
                self.touch(p)
        # per parameter, the recorded gradient the update reads (None: no .grad, or one from before the call)
        grads = tuple(None if p.grad is None else self.where.get(id(p.grad._data), ("e",))
                      for group in optimizer.param_groups for p in group["params"])
        self.entries.append(("step", optimizer, tuple(ref if ref and ref[0] == "v" else None for ref in grads)))
        return self.unrecorded(optimizer.step)

    # ---- the leaves' .grad ----
    def touch(self, leaf):
        """Before the step's recorded operations read or change leaf.grad: check it against what the
        recording left there, noting a clearing done between them (zero_grad)."""
        entry = self.grads.get(id(leaf))
        if entry is None:
            return
        grad = leaf.grad
        if grad is entry[1] and (grad is None or grad._data is entry[2]):
            return
        if grad is None:
            self.entries.append(("grad_clear", leaf))
            entry[1] = entry[2] = None
            return
        self.refuse(f"the .grad of a parameter of shape {tuple(leaf.shape)} was replaced during the step outside "
                    "the operations a capture records (zero_grad(set_to_none=False), or an assignment to .grad); "
                    "clear gradients with zero_grad() (set_to_none=True)")

    def accumulate(self, leaf, g):
        """The engine's accumulation of gradient `g` into leaf.grad, recorded."""
        key = id(leaf)
        if key in self.grads:
            self.touch(leaf)
        else:
            self.grads[key] = [leaf, leaf.grad, None if leaf.grad is None else leaf.grad._data]
            self.first_grads[key] = self.grads[key][1:]
            start = self.start_grads.get(key)
            if start is not None and leaf.grad is not None and (start[0] is not leaf.grad or start[1] is not
                                                                 leaf.grad._data):
                self.touch(leaf)  # raises: the step replaced the .grad before its first backward
        if leaf.grad is None:
            leaf.grad = leaf._wrap(g)
            self.entries.append(("grad_assign", leaf, self.where[id(g)]))
        else:
            leaf.grad._data = np.asarray(leaf.grad._data + g)  # 0-d + 0-d is a numpy scalar
            self.entries.append(("grad_add", leaf, self.where[id(g)], self.value(leaf.grad._data)))
        self.grads[key][1:] = [leaf.grad, leaf.grad._data]

    # ---- the engine's backward pass, recorded (engine.run's path without create_graph, hooks or targets) ----
    def run(self, roots, gradients, retain_graph, create_graph, targets):
        if threading.get_ident() != self.thread or not all(root.requires_grad for root in roots):
            return self.unrecorded(engine.run, roots, gradients, retain_graph, create_graph, targets)  # (or its error)
        if targets is not None:
            self.refuse("autograd.grad() and backward(inputs=...) are not captured; use backward()")
        if create_graph:
            self.refuse("backward(create_graph=True) is not captured")
        if anomaly.enabled:
            self.refuse("anomaly mode is on")
        (root,), (gradient,) = roots, gradients  # Tensor.backward: one root
        seed = engine._seed(root, gradient)
        if gradient is None:
            self.entries.append(("ones", self.value(seed), seed.shape, seed.dtype))
        else:
            source = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient)
            self.entries.append(("seed", self.where.get(id(source)) or self.ref(source), self.value(seed), seed.dtype))
        pending, order, leaf_grads = {}, [], {}
        ctx = root._ctx
        if ctx is None:
            leaf_grads[id(root)] = [root, seed]
        else:
            if ctx.parents is None:
                engine._raise_freed(ctx)
            pending[ctx.sequence] = [ctx, seed]
            heappush(order, -ctx.sequence)
        while order:
            ctx, grad = pending.pop(-heappop(order))
            if id(ctx) not in self.nodes:
                self.refuse(f"the backward pass reaches a {type(ctx).__name__} node that no recorded op of this call "
                            "created (a graph built before the step, or a torch-style autograd.Function)")
            if ctx.sequence < engine._last_modified:
                engine._check_saved_unmodified(ctx)
            if ctx.hooks is not None:
                self.refuse("tensor hooks (register_hook, retain_grad) are not captured")
            grads = self.unrecorded(ctx.backward, ctx, grad)
            as_tuple = type(grads) is tuple
            grads = grads if as_tuple else (grads,)
            self.entries.append(("backward", ctx, self.where[id(grad)],
                                 tuple(None if g is None else self.value(g) for g in grads), as_tuple))
            parents = ctx.parents
            if len(grads) != len(parents):
                raise RuntimeError(f"{type(ctx).__name__}.backward returned {len(grads)} gradient(s) for "
                                   f"{len(parents)} input(s); return one gradient per input of forward (None where "
                                   "there is none)")
            if not ctx.returns_new_arrays:
                grads = tuple(g if new is g else self.derived("copy", g, new)
                              for g, new in zip(grads, engine._copy_held(ctx, grads)))
            for parent, needs_grad, g in zip(parents, ctx.needs_input_grad, grads):
                if g is None or not needs_grad:
                    continue
                like = parent._data
                if type(g) is not np.ndarray:
                    g = self.derived("asarray", g, np.asarray(g))
                if g.shape != like.shape:
                    g = self.derived("sum_to", g, engine._unbroadcast(g, parent, ctx), like.shape)
                if g.dtype is not like.dtype and g.dtype != like.dtype:
                    g = self.derived("astype", g, g.astype(like.dtype), like.dtype)
                node = parent._ctx
                if node is None:
                    entry = leaf_grads.get(id(parent))
                    if entry is None:
                        leaf_grads[id(parent)] = [parent, g]
                    else:
                        entry[1] = self.add(entry[1], g)
                    continue
                entry = pending.get(node.sequence)
                if entry is None:
                    if node.parents is None:
                        engine._raise_freed(node)
                    pending[node.sequence] = [node, g]
                    heappush(order, -node.sequence)
                else:
                    entry[1] = self.add(entry[1], g)
            if not retain_graph:
                ctx.parents = None
                ctx.saved_tensors = None
        if engine._leaf_hooks and any(engine.leaf_hooks(leaf, create=False) for leaf, _ in leaf_grads.values()):
            self.refuse("tensor hooks (register_hook) are not captured")
        owners = set()  # as engine._accumulate_leaf_grads: a gradient array belongs to one leaf only
        for leaf, g in leaf_grads.values():
            if type(g) is not np.ndarray:
                g = self.derived("asarray", g, np.asarray(g))
            owner = id(g if g.base is None else g.base)
            if owner in owners or g.base is leaf._data or g is leaf._data:
                g = self.derived("copy", g, g.copy())
            else:
                owners.add(owner)
            self.accumulate(leaf, g)

    # ---- the result ----
    def describe_result(self, result):
        if isinstance(result, Tensor):
            return ("tensor", self.where.get(id(result._data)) or self.ref(result._data), result)
        if isinstance(result, (tuple, list)):
            return (type(result), tuple(self.describe_result(r) for r in result))
        if isinstance(result, dict):
            return (dict, tuple((k, self.describe_result(v)) for k, v in result.items()))
        if isinstance(result, np.ndarray):
            self.refuse("the step returns a numpy array; return tensors (a replay computes new ones)")
        return ("static", result)


def _arrays_in(value):
    """The arrays an op option holds (an index may be a tuple of them)."""
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, (tuple, list)):
        return [array for item in value for array in _arrays_in(item)]
    return []


def _check_static(function, key, value):
    contents = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    if any(_is_array_argument(item) for item in contents):
        raise JitError(f"tinygrad_like.jit({_name(function)}): argument {key!r} is a container of tensors or arrays; "
                       "pass each tensor as an argument of its own")


# ---- comparing the two recordings ------------------------------------------------------------------------
def _same(a, b):
    """Equal as options or constants: arrays bit for bit, containers item by item, the rest by ==."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()
    if isinstance(a, Tensor):
        return _same(a._data, b._data)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, slice):
        return _same((a.start, a.stop, a.step), (b.start, b.stop, b.step))
    try:
        return bool(a == b)
    except Exception:  # an object whose == is not a truth value
        return False


def _describe(entry):
    kind = entry[0]
    if kind == "forward":
        return entry[1].__name__
    if kind == "backward":
        return f"the backward of {type(entry[1]).__name__}"
    if kind == "step":
        return f"{type(entry[1]).__name__}.step()"
    return {"copyto": "an in-place copy", "grad_assign": "a gradient accumulation", "grad_add": "a gradient "
            "accumulation", "grad_clear": "a .grad cleared", "ones": "a backward()", "seed": "a backward(gradient)"
            }.get(kind, "the engine's gradient arithmetic")


def _compare(a, b):
    """Check that recordings a and b of the same signature ran the same operations; returns, per external
    array of b, whether it is live (the same memory in both calls) or a constant (the same bits)."""
    def fail(index, what):
        raise JitError(f"tinygrad_like.jit({_name(b.function)}): the two recorded calls differ at operation {index} "
                       f"of the step: {what}. A capture needs the same operations with the same options on every "
                       "call (Python control flow that changes between calls cannot be replayed)")

    if len(a.entries) != len(b.entries):
        fail(min(len(a.entries), len(b.entries)),
             f"one call ran {len(a.entries)} operations, the other {len(b.entries)}")
    for index, (x, y) in enumerate(zip(a.entries, b.entries)):
        kind = y[0]
        if x[0] != kind:
            fail(index, f"{_describe(x)} vs {_describe(y)}")
        if kind == "forward":
            if x[1] is not y[1] or x[3] != y[3] or x[4] != y[4] or x[6:] != y[6:] or x[5].keys() != y[5].keys():
                fail(index, f"{_describe(x)} vs {_describe(y)}")
            for name in y[5]:
                if not _same(x[5][name], y[5][name]):
                    raise JitError(f"tinygrad_like.jit({_name(b.function)}): option {name!r} of {y[1].__name__} "
                                   "changes between calls; a capture replays the options it recorded, so values drawn "
                                   "outside the op (such as the book's BookDropout masks from numpy's generator) or "
                                   "computed from data cannot be captured")
        elif kind == "backward":
            if type(x[1]) is not type(y[1]) or x[2:] != y[2:]:
                fail(index, f"{_describe(x)} vs {_describe(y)}")
        elif kind in ("grad_assign", "grad_add", "grad_clear", "step"):
            if x[1] is not y[1] or x[2:] != y[2:]:
                fail(index, f"{_describe(x)} on different objects")
        elif x[1:] != y[1:]:
            fail(index, f"{_describe(x)} on different values or shapes")
    if len(a.externals) != len(b.externals):
        fail(len(b.entries), "they use different arrays from outside the step")
    live, persistent = [], set()  # persistent: id() of the Tensors both calls used (parameters, buffers)
    for n, ((array_a, copy_a, owners_a), (array_b, copy_b, owners_b)) in enumerate(zip(a.externals, b.externals)):
        common = [t for t in owners_b if any(t is s for s in owners_a)]  # e.g. a parameter both calls used
        if array_a is array_b or common:  # (a parameter whose array was replaced between the calls: its guard)
            live.append(True)
            persistent.update(map(id, common))
        elif _same(copy_a, copy_b):
            live.append(False)
        else:
            user = next(e for e in b.entries if ("e", n) in _refs(e))
            where = f"input {_refs(user).index(('e', n))} of {_describe(user)}" if user[0] == "forward" else \
                _describe(user)
            raise JitError(f"tinygrad_like.jit({_name(b.function)}): an array of shape {array_b.shape} ({where}) "
                           "holds values that change between calls but do not come from the step's arguments "
                           "through tinygrad_like's operations (a tensor made from data inside the step, or random "
                           "numbers drawn by a factory such as randn); pass it as an argument of the step")
    if not _same_result(a.result, b.result, persistent):
        raise JitError(f"tinygrad_like.jit({_name(b.function)}): the two recorded calls return different structures "
                       "or Python values; a replay returns the tensors it computes and the Python values it recorded")
    b.live, b.persistent = live, persistent


def _refs(entry):
    """The references an entry reads."""
    kind = entry[0]
    if kind == "forward":
        return entry[4]
    if kind in ("backward", "asarray", "copy", "sum_to", "astype", "seed"):
        return (entry[2],) if kind == "backward" else (entry[1],)
    if kind == "add":
        return entry[1:3]
    if kind in ("grad_assign", "grad_add"):
        return (entry[2],)
    if kind == "copyto":
        return entry[1:3]
    return ()


def _same_result(x, y, persistent):
    """Do two recorded results have the same structure? Notes the returned tensors both calls returned."""
    if x[0] == "tensor":
        if y[0] == "tensor" and x[2] is y[2]:
            persistent.add(id(y[2]))
        return y[0] == "tensor" and x[1] == y[1]
    if x[0] == "static":
        return y[0] == "static" and _same(x[1], y[1])
    if x[0] is not y[0] or len(x[1]) != len(y[1]):
        return False
    if x[0] is dict:
        return all(p[0] == q[0] and _same_result(p[1], q[1], persistent) for p, q in zip(x[1], y[1]))
    return all(_same_result(p, q, persistent) for p, q in zip(x[1], y[1]))


# ---- compiling a recording into a replay function ----------------------------------------------------------
def _scalar_result(ctx, data):
    """Function.apply's handling of a forward that returned a numpy scalar (a 0-d result): an array, also in
    what the node saved."""
    if type(data) is not np.ndarray:
        scalar, data = data, np.asarray(data)
        if ctx.saved_tensors:
            ctx.saved_tensors = tuple(data if saved is scalar else saved for saved in ctx.saved_tensors)
    return data


class _Source:
    """The replay function being written: its lines, the objects its names stand for, and the recording's
    arrays (whose layouts choose the kernels' numpy calls, as the ops' own code chooses them)."""

    def __init__(self, recording):
        self.recording = recording
        self.lines = []
        self.namespace = {"np": np, "_wrap": _wrap, "_MISS": _MISS, "Tensor": Tensor, "ndarray": np.ndarray,
                          "GradMode": GradMode, "anomaly": anomaly, "engine": engine, "_scalar_result": _scalar_result,
                          "_sum_to_shape": engine.sum_to_shape, "_stable_sigmoid": stable_sigmoid,
                          "_dropout_mask": dropout_mask}
        self.names = {}  # id(object) -> its name
        self.locals = {}  # "e" index of a constant the step changes in place -> the local holding its fresh copy
        self.holders = {}  # id(leaf) -> the name of the Tensor its .grad is set to
        self.written = {ref[1] for e in recording.entries if e[0] == "copyto" for ref in e[1:2] if ref[0] == "e"}

    def constant(self, obj, prefix):
        name = self.names.get(id(obj))
        if name is None:
            name = self.names[id(obj)] = f"{prefix}{len(self.names)}"
            self.namespace[name] = obj
        return name

    def add(self, line, indent=1):
        self.lines.append("    " * indent + line)

    def name(self, ref):
        kind, index = ref
        if kind == "i":
            return f"a{index}"
        if kind == "v":
            return f"v{index}"
        array, first_sight, _ = self.recording.externals[index]
        if self.recording.live[index]:
            return self.constant(array, "E")
        if index in self.written:  # a constant the step changes in place: a fresh copy per call
            local = self.locals.get(index)
            if local is None:
                local = self.locals[index] = f"k{index}"
                self.add(f"{local} = {self.constant(first_sight, 'K')}.copy()")
            return local
        return self.constant(first_sight, "K")

    def grad_holder(self, leaf):
        """The name of the Tensor that holds `leaf`'s new .grad in every replayed call."""
        holder = self.holders.get(id(leaf))
        if holder is None:
            holder = self.holders[id(leaf)] = self.constant(_wrap(np.empty(0, leaf.dtype)), "H")
        return holder

    def array(self, ref):
        """The recorded array behind a reference (its shape, dtype and memory layout are the replay's)."""
        kind, index = ref
        return {"i": self.recording.inputs, "v": self.recording.values}[kind][index] if kind != "e" else \
            self.recording.externals[index][0]

    def transposed(self, ref):
        """`name.T`: for a parameter, the transposed view made once (the parameter's array is guarded)."""
        if ref[0] == "e" and self.recording.live[ref[1]]:
            return self.constant(self.array(ref).T, "E")
        return f"{self.name(ref)}.T"


def _compile(recording):
    """The replay function of `recording` (which _compare checked against an earlier one)."""
    source = _Source(recording)
    _emit_guards(source, recording)
    for index in sorted(source.written):
        source.name(("e", index))  # the fresh copies first, before any operation reads them
    backwards = {}
    for entry in recording.entries:
        if entry[0] == "backward":
            backwards.setdefault(id(entry[1]), []).append(entry)
    kernels = {}  # id(ctx) -> (kernel, forward entry) of the nodes written out by a kernel
    for entry in recording.entries:
        kind = entry[0]
        if kind == "forward":
            kernel = _KERNELS.get(entry[1])
            nodes = backwards.get(id(entry[2]), []) if entry[2] is not None else []
            if kernel is not None and kernel.accepts(source, entry, nodes):
                kernels[id(entry[2])] = kernel, entry
                kernel.forward(source, entry)
                continue
        elif kind == "backward" and id(entry[1]) in kernels:
            kernel, forward = kernels[id(entry[1])]
            grads = kernel.backward(source, forward, entry)
            for ref, grad in zip(entry[3], grads):
                assert (ref is None) == (grad is None)  # the kernel returns what the op returned
                if ref is not None:
                    source.add(f"{source.name(ref)} = {grad}")
            continue
        elif kind == "step" and type(entry[1]) is SGD:
            _emit_sgd(source, entry)
            continue
        _emit(source, entry)
    source.add(f"return {_result_expression(source, recording.result)}")
    for entry in recording.entries:
        if entry[0] == "forward" and entry[2] is not None:
            entry[2].parents = None  # the recorded call's tensors: a replay needs none
    text = "def replay(args, kwargs):\n" + "\n".join(source.lines) + "\n"
    exec(compile(text, f"<tinygrad_like.jit {_name(recording.function)}>", "exec"), source.namespace)
    replay = source.namespace["replay"]
    replay.source = text
    return replay


def _emit_guards(source, recording):
    add = source.add
    keywords = [k for k, _ in recording.signature[1]]
    count = len(recording.signature[0])
    named = f"kwargs.keys() != {source.constant(set(keywords), 'S')}" if keywords else "kwargs"
    add(f"if len(args) != {count} or {named}:")
    add("return _MISS", 2)
    add("if engine.recorder is not None or anomaly.enabled or GradMode.enabled is not "
        f"{recording.signature[2]}:")
    add("return _MISS", 2)
    seen_arrays = {}
    for position, (kind, payload) in enumerate(recording.arguments):
        value = f"args[{position}]" if position < count else f"kwargs[{keywords[position - count]!r}]"
        if kind == "static":
            if isinstance(payload, _STATIC_VALUES):
                check = (f"type({value}) is not {source.constant(type(payload), 'C')} or "
                         f"{value} != {source.constant(payload, 'C')}")
            else:
                check = f"{value} is not {source.constant(payload, 'C')}"
            add(f"if {check}:")
            add("return _MISS", 2)
            continue
        local = f"a{payload}"
        add(f"{local} = {value}")
        add(f"if isinstance({local}, Tensor):")
        add(f"if {local}.requires_grad:", 2)
        add("return _MISS", 3)
        add(f"{local} = {local}._data", 2)
        add(f"elif type({local}) is not ndarray:")
        add("return _MISS", 2)
        array = recording.inputs[payload]
        dtype = source.constant(array.dtype, "D")
        add(f"if {local}.shape != {array.shape!r} or {local}.strides != {array.strides!r} or "
            f"({local}.dtype is not {dtype} and {local}.dtype != {dtype}):")
        add("return _MISS", 2)
        alias = seen_arrays.setdefault(id(array), local)
        if alias != local:  # the recording read both through one reference: they must stay one array
            add(f"if {local} is not {alias}:")
            add("return _MISS", 2)
    for module, training in recording.modes.values():
        add(f"if {source.constant(module, 'M')}.training is not {training}:")
        add("return _MISS", 2)
    for index, (array, _, owners) in enumerate(recording.externals):
        if recording.live[index]:
            for owner in owners:  # the Tensors that held it in both recordings (parameters, buffers)
                if id(owner) in recording.persistent:
                    add(f"if {source.constant(owner, 'T')}._data is not {source.constant(array, 'E')}:")
                    add("return _MISS", 2)
    for key, (grad, _) in recording.first_grads.items():
        leaf = recording.grads[key][0]
        start = recording.start_grads.get(key)
        if grad is None and (start is None or start[0] is None):  # the step does not clear it first
            add(f"if {source.constant(leaf, 'T')}.grad is not None:")
            add("return _MISS", 2)
        elif grad is not None:  # it adds to the gradient the call starts with
            add(f"if {source.constant(leaf, 'T')}.grad is None:")
            add("return _MISS", 2)
    for entry in recording.entries:
        if entry[0] == "step" and type(entry[1]) is SGD:  # the inlined update walks the groups as recorded
            optimizer = entry[1]
            for i, group in enumerate(optimizer.param_groups):
                add(f"if {source.constant(optimizer, 'P')}.param_groups[{i}] is not {source.constant(group, 'G')} or "
                    f"len({source.constant(group['params'], 'L')}) != {len(group['params'])}:")
                add("return _MISS", 2)
            add(f"if len({source.constant(optimizer, 'P')}.param_groups) != {len(optimizer.param_groups)}:")
            add("return _MISS", 2)


def _emit(source, entry):
    """An entry as the generic call: the op's own forward or backward, or the engine's arithmetic."""
    kind, add, name = entry[0], source.add, source.name
    if kind == "forward":
        _, cls, ctx, needs, refs, options, out, scalar = entry
        if ctx is None:  # an op outside the graph: a node of its own for the replay
            ctx = cls()
            ctx.needs_input_grad = needs
        arguments = [name(r) for r in refs] + [f"{key}={source.constant(value, 'O')}" for key, value in options.items()]
        context = source.constant(ctx, "X")
        add(f"{name(out)} = {source.constant(cls.forward, 'F')}({context}, {', '.join(arguments)})")
        if scalar:
            add(f"if type({name(out)}) is not ndarray:")
            add(f"{name(out)} = _scalar_result({context}, {name(out)})", 2)
    elif kind == "backward":
        _, ctx, grad, outs, as_tuple = entry
        targets = [name(o) if o is not None else "_" for o in outs]
        call = f"{source.constant(type(ctx).backward, 'B')}({source.constant(ctx, 'X')}, {name(grad)})"
        add(f"{', '.join(targets)}{',' if as_tuple and len(targets) == 1 else ''} = {call}")
    elif kind == "asarray":
        add(f"{name(entry[2])} = np.asarray({name(entry[1])})")
    elif kind == "copy":
        add(f"{name(entry[2])} = {name(entry[1])}.copy()")
    elif kind == "sum_to":
        g, shape = source.array(entry[1]), entry[3]
        extra = g.ndim - len(shape)
        if type(g) is np.ndarray and extra > 0 and g.shape[extra:] == shape and g.size:
            # engine.sum_to_shape's case of a bias (leading axes added) written out
            reduced = f"np.add.reduce({name(entry[1])}.reshape({(-1,) + shape!r}), axis=0)"
            add(f"{name(entry[2])} = {f'np.asarray({reduced})' if shape == () else reduced}")
        else:
            add(f"{name(entry[2])} = _sum_to_shape({name(entry[1])}, {shape!r})")
    elif kind == "astype":
        add(f"{name(entry[2])} = {name(entry[1])}.astype({source.constant(entry[3], 'D')})")
    elif kind == "add":
        add(f"{name(entry[3])} = {name(entry[1])} + {name(entry[2])}")
    elif kind == "ones":
        add(f"{name(entry[1])} = np.empty({entry[2]!r}, {source.constant(entry[3], 'D')})")
        add(f"{name(entry[1])}.fill(1)")
    elif kind == "seed":
        add(f"{name(entry[2])} = np.array({name(entry[1])}, dtype={source.constant(entry[3], 'D')})")
    elif kind == "grad_assign":  # one Tensor per parameter holds each call's new gradient array
        holder = source.grad_holder(entry[1])
        add(f"{holder}._data = {name(entry[2])}")
        add(f"{source.constant(entry[1], 'T')}.grad = {holder}")
    elif kind == "grad_add":
        leaf = source.constant(entry[1], "T")
        add(f"{leaf}.grad._data = {name(entry[3])} = np.asarray({leaf}.grad._data + {name(entry[2])})")
    elif kind == "grad_clear":
        add(f"{source.constant(entry[1], 'T')}.grad = None")
    elif kind == "copyto":
        add(f"np.copyto({name(entry[1])}, {name(entry[2])}, casting='same_kind')")
    elif kind == "step":
        optimizer = source.constant(entry[1], "P")
        add(f"for group in {optimizer}.param_groups:")
        add(f"{optimizer}._step_group(group)", 2)


_BUFFER_BYTES = 1 << 16  # a larger `lr * grad` goes to a buffer made once: a fresh one costs page faults


def _emit_sgd(source, entry):
    """SGD.step without its loops: plain SGD's `p -= lr * grad` per parameter, reading the step's gradient
    directly; a group whose momentum or weight decay is set takes the optimizer's own path (SGD._step_group)."""
    _, optimizer, grads = entry
    grads = iter(grads)
    for group in optimizer.param_groups:
        name = source.constant(group, "G")
        source.add(f"if {name}['momentum'] or {name}['weight_decay']:")
        source.add(f"{source.constant(optimizer, 'P')}._step_group({name})", 2)
        source.add("else:")
        source.add(f"lr = {name}['lr']", 2)
        for p in group["params"]:
            grad, leaf = next(grads), source.constant(p, "T")
            if grad is None:  # no gradient from this step: as SGD does, whatever .grad holds
                source.add(f"if {leaf}.grad is not None:", 2)
                source.add(f"{leaf}._data -= lr * {leaf}.grad._data", 3)
                continue
            data = source.names.get(id(p._data))  # the parameter's array as a guarded name, if it has one
            source.add(f"p = {data or leaf + '._data'}", 2)  # a local: `-=` on a global name would rebind it
            array = source.array(grad)
            if array.nbytes >= _BUFFER_BYTES and array.dtype == p.dtype and array.shape == p.shape:
                buffer = source.constant(np.empty_like(array), "U")
                source.add(f"np.multiply({source.name(grad)}, lr, out={buffer})", 2)  # the bits of lr * grad
                source.add(f"p -= {buffer}", 2)
            else:
                source.add(f"p -= lr * {source.name(grad)}", 2)


def _result_expression(source, description):
    kind, recording = description[0], source.recording
    if kind == "static":
        return source.constant(description[1], "R")
    if kind == "tensor":
        ref, tensor = description[1], description[2]
        if ref[0] == "e" and recording.live[ref[1]] and id(tensor) in recording.persistent:
            return source.constant(tensor, "T")  # a parameter or buffer: the tensor itself, as eager mode returns
        copy = ".copy()" if ref[0] == "e" else ""  # a constant: the caller's own copy
        return f"_wrap({source.name(ref)}{copy})"
    if kind is dict:
        return "{" + ", ".join(f"{key!r}: {_result_expression(source, d)}" for key, d in description[1]) + "}"
    parts = [_result_expression(source, d) for d in description[1]]
    text = "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    return text if kind is tuple else f"{source.constant(kind, 'C')}({text})"


# ---- kernels: the hot ops written out in the replay ---------------------------------------------------------
# Each computes what its op's forward and backward compute (ops/linalg.py, elementwise.py, loss.py, reduce.py)
# with the same numpy calls in the same order, the calls chosen by the recorded layouts as the ops' code
# chooses them, and with the arrays a node would save kept as the replay's variables: no ctx, no call per op.
# tests/test_jit.py compares them with eager mode bit for bit; a change to one of these ops changes its kernel.
def _product(a, a_array, b, b_array):
    """ops.linalg._product(a, b) for the recorded layouts: ndarray.dot or np.matmul as ops.linalg.takes_dot
    chooses (the same bits either way), an `a` of more than two dimensions as one matrix of its rows."""
    if a_array.ndim > 2:
        rows = a_array.reshape(-1, a_array.shape[-1])
        flat = _product(f"{a}.reshape(-1, {a_array.shape[-1]})", rows, b, b_array)
        return f"{flat}.reshape({a_array.shape[:-1] + b_array.shape[-1:]!r})"
    return f"{a}.dot({b})" if takes_dot(a_array, b_array) else f"np.matmul({a}, {b})"


def _scalar(entry, expression):
    """A forward's result as Function.apply keeps it: a 0-d result (numpy's scalar) as an array."""
    return f"np.asarray({expression})" if entry[7] else expression


class _Kernel:
    """One op's forward and backward as lines of the replay. `accepts` may refuse a recorded configuration,
    which then runs the op's own methods."""

    @staticmethod
    def accepts(source, forward, backwards):
        return all(isinstance(source.array(b[2]), np.ndarray) for b in backwards)

    @staticmethod
    def forward(source, entry):
        raise NotImplementedError

    @staticmethod
    def backward(source, forward, entry):
        raise NotImplementedError


class _Linear(_Kernel):
    @staticmethod
    def forward(source, entry):
        refs, out = entry[4], source.name(entry[6])
        x = refs[0]
        product = _product(source.name(x), source.array(x), source.transposed(refs[1]), source.array(refs[1]).T)
        source.add(f"{out} = {product}")
        if len(refs) > 2:
            source.add(f"{out} += {source.name(refs[2])}")  # a fresh array

    @staticmethod
    def backward(source, forward, entry):
        needs, refs = forward[3], forward[4]
        grad, grad_array = source.name(entry[2]), source.array(entry[2])
        x, x_array = source.name(refs[0]), source.array(refs[0])
        weight, weight_array = source.name(refs[1]), source.array(refs[1])
        grad_x = _product(grad, grad_array, weight, weight_array) if needs[0] else None
        if grad_array.ndim != 2:
            grad, grad_array = f"{grad}.reshape(-1, {grad_array.shape[-1]})", grad_array.reshape(-1, grad_array.shape[-1])
        grad_weight = None
        if needs[1]:
            if x_array.ndim != 2:
                x, x_array = f"{x}.reshape(-1, {x_array.shape[-1]})", x_array.reshape(-1, x_array.shape[-1])
            if weight_array.flags.f_contiguous:  # Linear's weight_is_column_major
                grad_weight = f"{_product(f'{x}.T', x_array.T, grad, grad_array)}.T"
            else:
                grad_weight = _product(f"{grad}.T", grad_array.T, x, x_array)
        grad_bias = f"np.add.reduce({grad}, axis=0)" if len(needs) > 2 and needs[2] else None
        return (grad_x, grad_weight, grad_bias)[:len(needs)]


class _MatMul(_Kernel):
    @staticmethod
    def accepts(source, forward, backwards):
        a, b = (source.array(r) for r in forward[4])
        return a.ndim == 2 and b.ndim == 2 and _Kernel.accepts(source, forward, backwards)

    @staticmethod
    def forward(source, entry):
        a, b = entry[4]
        product = _product(source.name(a), source.array(a), source.name(b), source.array(b))
        source.add(f"{source.name(entry[6])} = {product}")

    @staticmethod
    def backward(source, forward, entry):
        (a, b), needs = forward[4], forward[3]
        grad, grad_array = source.name(entry[2]), source.array(entry[2])
        return (_product(grad, grad_array, f"{source.name(b)}.T", source.array(b).T) if needs[0] else None,
                _product(f"{source.name(a)}.T", source.array(a).T, grad, grad_array) if needs[1] else None)


def _elementwise(forward_expression, backward_expressions, gated=()):
    """A kernel from format strings: {0}, {1} the inputs, {out} the output, {grad} the incoming gradient. The
    gradients at the `gated` positions are returned only where the input needs one, the others always: as
    the op's backward does."""
    class Kernel(_Kernel):
        @staticmethod
        def forward(source, entry):
            inputs = [source.name(r) for r in entry[4]]
            source.add(f"{source.name(entry[6])} = {_scalar(entry, forward_expression.format(*inputs))}")

        @staticmethod
        def backward(source, forward, entry):
            inputs = [source.name(r) for r in forward[4]]
            values = dict(out=source.name(forward[6]), grad=source.name(entry[2]))
            return tuple(None if i in gated and not needed else expression.format(*inputs, **values)
                         for i, (expression, needed) in enumerate(zip(backward_expressions, forward[3])))

    return Kernel


def _activation(forward_expression, left, factor):
    """The kernel of an activation whose gradient is `left * factor` ({grad}, {out} the names): the product is
    written into the factor, a fresh array of the output's shape (the same multiplication, one array fewer)."""
    class Kernel(_elementwise(forward_expression, [f"{left} * {factor}"])):
        @staticmethod
        def backward(source, forward, entry):
            out, grad = source.array(forward[6]), source.array(entry[2])
            values = dict(out=source.name(forward[6]), grad=source.name(entry[2]))
            if out.ndim == 0 or type(grad) is not np.ndarray or grad.shape != out.shape or grad.dtype != out.dtype:
                return (f"{left} * {factor}".format(**values),)
            name = f"{values['out']}g"
            if left != "{grad}":  # (grad * out) * factor: the left product first, as the expression groups it
                source.add(f"{name}l = {left.format(**values)}")
                values["grad"] = f"{name}l"
            source.add(f"{name} = {factor.format(**values)}")
            source.add(f"np.multiply({values['grad']}, {name}, out={name})")
            return (name,)

    return Kernel


class _MSELoss(_Kernel):
    @staticmethod
    def forward(source, entry):
        (x, target), out = entry[4], source.name(entry[6])
        reduction = entry[5].get("reduction", "mean")
        source.add(f"{out}d = {source.name(x)} - {source.name(target)}")
        if reduction == "none":
            source.add(f"{out} = {out}d * {out}d")
            return
        size = np.broadcast_shapes(source.array(x).shape, source.array(target).shape)
        divisor = f" / {int(np.prod(size, dtype=np.int64))}" if reduction == "mean" else ""
        source.add(f"{out} = np.asarray(np.vdot({out}d, {out}d){divisor})")

    @staticmethod
    def backward(source, forward, entry):
        out, grad = source.name(forward[6]), source.name(entry[2])
        reduction = forward[5].get("reduction", "mean")
        size = int(np.prod(np.broadcast_shapes(*(source.array(r).shape for r in forward[4])), dtype=np.int64))
        scale = {"none": grad, "mean": f"(float({grad}) / {size or 1})", "sum": f"float({grad})"}[reduction]
        source.add(f"{out}g = {out}d * (2 * {scale})")
        return f"{out}g", f"-{out}g" if forward[3][1] else None


class _Sum(_Kernel):
    @staticmethod
    def accepts(source, forward, backwards):
        return source.array(forward[6]).size > 0 and _Kernel.accepts(source, forward, backwards)

    @staticmethod
    def forward(source, entry):
        x, out = source.name(entry[4][0]), source.name(entry[6])
        axis, keepdims = (source.constant(entry[5].get(k, d), "O") for k, d in (("axis", None), ("keepdims", False)))
        # ndarray.sum of floats is np.add.reduce behind a Python wrapper (numpy's _methods._sum): the same call
        if source.array(entry[4][0]).dtype.kind == "f":
            total = f"np.asarray(np.add.reduce({x}, axis={axis}, keepdims={keepdims}))"
        else:
            total = f"np.asarray({x}.sum(axis={axis}, keepdims={keepdims}))"
        if entry[1] is ops.Mean:
            count = source.array(entry[4][0]).size // source.array(entry[6]).size
            source.add(f"{out} = {_scalar(entry, f'{total} / {count}')}")
        else:
            source.add(f"{out} = {total}")

    @staticmethod
    def backward(source, forward, entry):
        out, grad = source.name(forward[6]), source.name(entry[2])
        x_array = source.array(forward[4][0])
        axis, keepdims = forward[5].get("axis"), forward[5].get("keepdims", False)
        if forward[1] is ops.Mean:
            source.add(f"{out}q = {grad} / {x_array.size // source.array(forward[6]).size}")
            grad = f"{out}q"
        if keepdims:
            shaped = grad
        elif axis is None:
            shaped = f"{grad}.reshape({(1,) * x_array.ndim!r})"
        else:
            shaped = f"np.expand_dims({grad}, {source.constant(axis, 'O')})"
        source.add(f"{out}s = {shaped}")
        source.add(f"{out}b = np.empty({x_array.shape!r}, {out}s.dtype)")  # dispatch.broadcast_array
        source.add(f"{out}b[...] = {out}s")
        return (f"{out}b",)


class _Dropout(_Kernel):
    @staticmethod
    def forward(source, entry):
        x, out = entry[4][0], source.name(entry[6])
        array = source.array(x)
        source.add(f"{out}m = _dropout_mask({array.shape!r}, {entry[5]['p']!r}, {source.constant(array.dtype, 'D')})")
        source.add(f"{out} = {source.name(x)} * {out}m")

    @staticmethod
    def backward(source, forward, entry):
        return (f"{source.name(entry[2])} * {source.name(forward[6])}m",)


_KERNELS = {
    ops.Linear: _Linear,
    ops.MatMul: _MatMul,
    ops.MSELoss: _MSELoss,
    ops.Sum: _Sum,
    ops.Mean: _Sum,
    ops.Dropout: _Dropout,
    ops.Relu: _activation("np.maximum({0}, 0)", "{grad}", "np.sign({out})"),
    ops.Tanh: _activation("np.tanh({0})", "{grad}", "(1 - {out} * {out})"),
    ops.Sigmoid: _activation("_stable_sigmoid({0})", "{grad} * {out}", "(1 - {out})"),
    ops.Neg: _elementwise("-{0}", ["-{grad}"]),
    ops.Add: _elementwise("{0} + {1}", ["{grad}", "{grad}"]),
    ops.Sub: _elementwise("{0} - {1}", ["{grad}", "-{grad}"], gated={1}),
    ops.Mul: _elementwise("{0} * {1}", ["{grad} * {1}", "{grad} * {0}"], gated={0, 1}),
}
