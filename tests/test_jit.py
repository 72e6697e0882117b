"""tinygrad_like.jit: captured steps replay eager mode bit for bit, fall back when a guard fails, and refuse
what they cannot replay with a message naming it.

Every comparison trains two copies of a network from the same start and seed, one step function eager and
one captured, and requires parameters, gradients, optimizer state and losses to be equal with
np.array_equal (the replay makes the same numpy calls in the same order)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_like as tl
from tinygrad_like import engine, nn, optim
from tinygrad_like.book import ch6_streetlight, ch8_mnist, ch9_mnist
from tinygrad_like.jit import JitError
from tinygrad_like.nn import functional as F

STEPS = 7  # 2 recorded, 5 replayed


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """BLAS worker threads spin badly on a busy machine, and these products are small."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def state(model, optimizer):
    """Everything a step leaves behind: parameters, their .grad, the optimizer's buffers."""
    parameters = list(model.parameters())
    buffers = [value for p in parameters for value in optimizer.state.get(p, {}).values()]
    return ([p._data for p in parameters], [None if p.grad is None else p.grad._data for p in parameters], buffers)


def assert_same(eager, captured):
    for a, b in zip(eager, captured):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
                assert np.asarray(x).dtype == np.asarray(y).dtype and np.array_equal(x, y), (x, y)
            else:
                assert x == y


def compare(build, batches, seed=0):
    """Train build()'s (model, optimizer, step) eagerly and captured over `batches`; returns the captured
    step (a tinygrad_like.jit.Jit) and its results after checking that both left the same state and results
    and that the last call was replayed."""
    results = []
    for capture in (False, True):
        tl.manual_seed(seed)
        model, optimizer, step = build()
        if capture:
            step = tl.jit(step)
        else:  # the arrays as a captured step sees them: tensors sharing their memory
            step = (lambda eager: lambda *args: eager(*(tl.from_numpy(a) if isinstance(a, np.ndarray) else a
                                                        for a in args)))(step)
        losses = [_value(step(*batch)) for batch in batches[:-1]]
        losses.append(_value(replayed(step, *batches[-1]) if capture else step(*batches[-1])))
        results.append((state(model, optimizer), losses))
    (eager, eager_losses), (captured, captured_losses) = results
    assert_same(eager, captured)
    assert eager_losses == captured_losses
    return step, captured_losses


def _value(result):
    if isinstance(result, tl.Tensor):
        return result._data.tobytes()
    if isinstance(result, (tuple, list)):
        return type(result)(_value(r) for r in result)
    if isinstance(result, dict):
        return {k: _value(v) for k, v in result.items()}
    return result


def standard_step(model, optimizer, loss):
    def step(x, y):
        optimizer.zero_grad()
        value = loss(model(x), y)
        value.backward()
        optimizer.step()
        return value
    return step


def batches(shapes, count=STEPS, dtype=np.float64, seed=1):
    rng = np.random.default_rng(seed)
    return [tuple(rng.standard_normal(shape).astype(dtype) for shape in shapes) for _ in range(count)]


def mlp(sizes, activation=nn.ReLU, bias=True, dropout=0.0, dtype=np.float64):
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out, bias=bias))
        if i < len(sizes) - 2:
            layers.append(activation())
            if dropout:
                layers.append(nn.Dropout(dropout))
    model = nn.Sequential(*layers)
    return model.double() if dtype == np.float64 else model


def replayed(step, *args):
    """Call a captured step and check that it replayed: no graph node was created."""
    before = engine.next_sequence()
    result = step(*args)
    assert engine.next_sequence() == before + 1, "the call ran eagerly"
    return result


# ---- bit for bit: random MLPs and the book's networks ------------------------------------------------------
LOSSES = {
    "mse": lambda out, y: F.mse_loss(out, y),
    "mse sum": lambda out, y: 0.5 * F.mse_loss(out, y, reduction="sum"),
    "composed sum": lambda out, y: ((out - y) * (out - y)).sum() * 0.5,
    "composed mean": lambda out, y: ((out - y) ** 2).mean(),
}
OPTIMIZERS = {
    "sgd": lambda p: optim.SGD(p, lr=0.1),
    "sgd momentum": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01),
    "sgd nesterov": lambda p: optim.SGD(p, lr=0.05, momentum=0.5, nesterov=True),
    "adam": lambda p: optim.Adam(p, lr=0.01),
    "adamw amsgrad": lambda p: optim.AdamW(p, lr=0.01, amsgrad=True),
}


@settings(max_examples=12, deadline=None)
@given(widths=st.lists(st.integers(1, 5), min_size=2, max_size=4), batch=st.integers(1, 4),
       activation=st.sampled_from([nn.ReLU, nn.Tanh, nn.Sigmoid]), bias=st.booleans(),
       dropout=st.sampled_from([0.0, 0.5]), loss=st.sampled_from(sorted(LOSSES)),
       optimizer=st.sampled_from(sorted(OPTIMIZERS)), dtype=st.sampled_from([np.float32, np.float64]),
       row_major=st.booleans())
def test_random_mlps_train_bit_for_bit_as_eager_mode(widths, batch, activation, bias, dropout, loss, optimizer, dtype,
                                                     row_major):
    def build():
        model = mlp(widths, activation, bias, dropout, dtype)
        if row_major:  # weights assigned in PyTorch's layout (nn.Linear stores them column-major)
            for layer in model:
                if isinstance(layer, nn.Linear):
                    layer.weight.data = np.ascontiguousarray(layer.weight._data)
        opt = OPTIMIZERS[optimizer](model.parameters())
        return model, opt, standard_step(model, opt, LOSSES[loss])

    step, _ = compare(build, batches([(batch, widths[0]), (batch, widths[-1])], dtype=dtype))
    assert step.programs and step.eager_reason is None


def test_book_streetlight_network_captured():
    """Chapter 6's 3-4-1 network, the book's weights, one light per step: the book's printed errors."""
    lights, goals = ch6_streetlight.E.DEEP_STREETLIGHTS, ch6_streetlight.E.DEEP_WALK_VS_STOP

    def build():
        model = ch6_streetlight.deep_network(*ch6_streetlight.book_weights())
        opt = optim.SGD(model.parameters(), lr=0.2)
        return model, opt, standard_step(model, opt, LOSSES["mse sum"])

    data = [(np.asarray(lights[i:i + 1], float), np.asarray(goals[i:i + 1], float)) for i in range(4)] * 60
    _, losses = compare(build, data)
    errors = [2 * np.frombuffer(loss, float)[0] for loss in losses]  # the book prints the summed squared error
    printed = [ch6_streetlight.py2_str(sum(errors[i:i + 4])) for i in range(36, 240, 40)]
    assert ["Error:" + e for e in printed] == ch6_streetlight.BOOK_DEEP


@pytest.mark.parametrize("layers", ["plain", "stock dropout"])
def test_book_chapter8_networks_captured(layers):
    """Chapter 8's 784-hidden-10 nets with the notebook's weights: BookReLU (a user Function with the book's
    backward), and the dropout net with nn.Dropout (masks from tinygrad_like's generator, re-drawn each call)."""
    images = np.random.default_rng(0).random((STEPS, 1, 784))
    labels = np.eye(10)[np.arange(STEPS) % 10][:, None, :]

    def build():
        if layers == "plain":
            model = ch8_mnist.build("plain")
        else:
            first, second = ch8_mnist.book_weights(100)
            model = nn.Sequential(ch8_mnist.book_linear(first), nn.ReLU(), nn.Dropout(0.5),
                                  ch8_mnist.book_linear(second))
        opt = optim.SGD(model.parameters(), lr=0.005)
        return model, opt, standard_step(model, opt, LOSSES["mse sum"])

    compare(build, list(zip(images, labels)))


def test_book_chapter9_network_captured():
    """Chapter 9's tanh net with nn.Dropout and the notebook's scaled cross-entropy (batches of 8, not 100:
    the bits are compared, not the figures)."""
    rng = np.random.default_rng(0)
    data = [(rng.random((8, 784)), np.eye(10)[rng.integers(0, 10, 8)]) for _ in range(STEPS)]

    def build():
        model = ch9_mnist.build("stock")
        opt = optim.SGD(model.parameters(), lr=2)

        def step(x, y):
            loss = F.cross_entropy(model(x), y, reduction="sum") / (100 * 100)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return model, opt, step

    compare(build, data, seed=1)


def test_books_numpy_drawn_dropout_masks_are_refused_by_name():
    """BookDropout draws its mask from numpy's global generator outside the op: the two recordings differ."""
    model = ch8_mnist.build("dropout")
    opt = optim.SGD(model.parameters(), lr=0.005)
    step = tl.jit(standard_step(model, opt, LOSSES["mse sum"]))
    x, y = np.random.default_rng(0).random((1, 784)), np.eye(10)[:1]
    step(x, y)
    step(x, y)
    with pytest.raises(JitError, match="option 'mask' of BookDropoutFunction changes between calls"):
        step(x, y)
    step(x, y)  # the call raised, the function goes on eagerly
    assert step.eager_reason is not None and not step.programs


# ---- what a replay keeps: gradients, returns, in-place updates, accumulation --------------------------------
def test_a_replay_creates_no_graph_and_leaves_grads_and_state_as_eager():
    model = mlp([3, 4, 2])
    opt = optim.Adam(model.parameters(), lr=0.01)
    step = tl.jit(standard_step(model, opt, LOSSES["mse"]))
    data = batches([(2, 3), (2, 2)])
    for x, y in data[:3]:
        step(x, y)
    loss = replayed(step, tl.Tensor(data[3][0]), data[3][1])
    assert isinstance(loss, tl.Tensor) and loss.shape == () and not loss.requires_grad
    grads = [p.grad._data for p in model.parameters()]
    replayed(step, *data[4])
    assert all(p.grad._data is not g for p, g in zip(model.parameters(), grads))  # a new gradient array each call


def test_manual_update_under_no_grad_and_returned_structures():
    def build():
        model = mlp([2, 3, 1])
        params = list(model.parameters())

        def step(x, y, lr=0.1):
            out = model(x)
            loss = ((out - y) ** 2).mean()
            for p in params:
                p.grad = None
            loss.backward()
            with tl.no_grad():
                for p in params:
                    p -= lr * p.grad  # in place: Tensor.sub_, replayed as a copy into the parameter
            return {"loss": loss, "out": out, "first": params[0], "tag": "ok"}, (lr,)
        return model, optim.SGD(params, lr=0), step

    step, _ = compare(build, batches([(4, 2), (4, 1)]))
    result, extra = replayed(step, *batches([(4, 2), (4, 1)])[0])
    closure = dict(zip(step.function.__code__.co_freevars, (cell.cell_contents for cell in step.function.__closure__)))
    first = closure["params"][0]
    assert result["tag"] == "ok" and extra == (0.1,) and result["first"] is first  # a parameter: itself


def test_zero_grad_at_the_end_and_gradient_accumulation_across_calls():
    def clears_after():
        model = mlp([2, 2])
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

        def step(x, y):
            loss = F.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            opt.zero_grad()
            return loss
        return model, opt, step

    compare(clears_after, batches([(3, 2), (3, 2)]))
    results = []
    for capture in (False, True):  # two backward passes per call, gradients kept across calls, cleared outside
        tl.manual_seed(0)
        model = mlp([2, 2])
        opt = optim.SGD(model.parameters(), lr=0.1)

        def accumulate(x, y):
            F.mse_loss(model(x), y).backward()
            loss = F.mse_loss(model(y), x)
            loss.backward()
            return loss

        step = tl.jit(accumulate) if capture else accumulate
        for i, (x, y) in enumerate(batches([(3, 2), (3, 2)], count=12)):
            if i % 2 == 0:  # calls that start with and without a gradient to add to: two programs
                opt.step()
                opt.zero_grad()
            step(x, y)
        results.append(state(model, opt))
    assert_same(*results)
    assert len(step.programs) == 2


# ---- guards: fall back to eager and record again --------------------------------------------------------
def test_guards_shapes_modes_and_replaced_parameters_record_again():
    def build():
        model = mlp([3, 4, 2], dropout=0.5)
        opt = optim.SGD(model.parameters(), lr=0.1)
        return model, opt, standard_step(model, opt, LOSSES["composed sum"])

    full = batches([(4, 3), (4, 2)], count=12)
    short = batches([(1, 3), (1, 2)], count=12, seed=2)  # a smaller batch, interleaved
    data = [b for pair in zip(full, short) for b in pair]
    results = []
    for capture in (False, True):
        tl.manual_seed(0)
        model, opt, step = build()
        step = tl.jit(step) if capture else step
        losses = []
        for i, (x, y) in enumerate(data):
            if i == 8:
                model.eval()  # dropout off: the guard on its mode sends the call to a new recording
            if i == 14:
                model.train()
            if i == 18:
                model[0].weight.data = model[0].weight._data.copy()  # a new array: the guard sees it
            losses.append(_value(step(x, y)))
        results.append((state(model, opt), losses))
    assert_same(results[0][0], results[1][0])
    assert results[0][1] == results[1][1]
    assert len(step.programs) >= 2  # the full and the short batch each have theirs


def test_guards_dtypes_and_grad_mode():
    model = mlp([3, 1], dtype=np.float32)
    double = mlp([3, 1])
    forward = tl.jit(lambda x: (model(x) if x.dtype == tl.float32 else double(x)) * 2)
    for _ in range(4):
        for dtype in (np.float32, np.float64):
            x = np.arange(6, dtype=dtype).reshape(2, 3)
            for mode in (True, False):
                with tl.set_grad_enabled(mode):
                    out = forward(x)
                    expected = (model if dtype == np.float32 else double)(tl.Tensor(x)) * 2
                assert out.dtype == dtype and np.array_equal(out._data, expected._data)
    assert len(forward.programs) == 4


def test_a_guard_that_fails_every_call_ends_in_eager_mode_with_a_warning():
    model = mlp([2, 1])
    opt = optim.SGD(model.parameters(), lr=0.1)
    step = tl.jit(standard_step(model, opt, LOSSES["mse"]))
    with pytest.warns(RuntimeWarning, match="running eagerly from now on"):
        for x, y in batches([(2, 2), (2, 1)], count=30):
            model[0].weight.data = model[0].weight._data.copy()
            step(x, y)
    assert step.eager_reason is not None


def test_inference_and_a_nested_captured_function():
    model = mlp([3, 5, 2]).eval()
    inner = tl.jit(lambda x: model(x).relu())
    outer = tl.jit(lambda x, scale: inner(x) * scale)
    for x, _ in batches([(2, 3), (1, 1)]):
        with tl.no_grad():
            expected = model(tl.Tensor(x)).relu()._data * 3.0
            assert np.array_equal(outer(x, 3.0)._data, expected)
    assert outer.programs and not inner.programs  # inner ran eagerly inside outer's recordings
    with tl.no_grad():
        replayed(outer, x, 3.0)
        assert outer(x, 2.0)._data.tobytes() == (model(tl.Tensor(x)).relu()._data * 2.0).tobytes()


# ---- refusals ------------------------------------------------------------------------------------------
def _call_until_error(step, *args):
    for i in range(3):  # recorded, compared, then a third compared again (a first call may set things up)
        step(*(a + i if isinstance(a, np.ndarray) else a for a in args))


@pytest.mark.parametrize("read, name", [
    (lambda loss: loss.item(), r"item\(\)"), (lambda loss: bool(loss > 0), r"item\(\)"),
    (lambda loss: loss.numpy(), r"numpy\(\)"), (lambda loss: loss.tolist(), r"tolist\(\)"),
    (lambda loss: np.asarray(loss), r"np.asarray\(\)")])
def test_reading_values_during_a_recording_is_refused_by_name(read, name):
    model = mlp([2, 1])

    def step(x):
        loss = model(x).sum()
        read(loss)
        return loss

    captured = tl.jit(step)
    with pytest.raises(JitError, match=f"reads a tensor's values with {name}"):
        captured(np.ones((1, 2)))  # the first call is recorded
    assert float(captured(np.ones((1, 2)))._data) == float(model(tl.ones(1, 2).double()).sum()._data)  # eagerly


def test_refusals_name_what_cannot_be_replayed():
    model = mlp([2, 2])
    norm = nn.BatchNorm1d(2).double()
    x = np.ones((3, 2))
    calls = []

    def changes_control_flow(x):
        calls.append(1)
        return model(x).relu() if len(calls) % 2 else model(x).tanh()

    cases = [(changes_control_flow, "differ at operation 1"),
             (lambda x: model(x) + tl.randn(3, 2).double(), "values that change between calls"),
             (lambda x: model(x) * tl.tensor(x), "values that change between calls"),
             (lambda x: norm(x).sum(), "in place outside the operations"),
             (lambda x: model(x).sum().backward(create_graph=True), "create_graph"),
             (lambda x: tl.autograd.grad(model(x).sum(), [model[0].weight]), "autograd.grad"),
             (lambda pair: model(pair[0]), "container of tensors")]
    for function, message in cases:
        with pytest.raises(JitError, match=message):
            _call_until_error(tl.jit(function), (x, x) if "container" in message else x)
    with pytest.raises(JitError, match="option .target. of CrossEntropyLoss holds an array computed from the step's data"):
        _call_until_error(tl.jit(lambda x, t: F.cross_entropy(model(x), t)), x, np.array([0, 1, 1]))
    weight = tl.Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(JitError, match="argument 0 requires grad"):
        _call_until_error(tl.jit(lambda w: (w * 2).sum().backward()), weight)
    hooked = mlp([2, 2])
    hooked[0].weight.register_hook(lambda g: g * 2)
    with pytest.raises(JitError, match="hooks"):
        _call_until_error(tl.jit(lambda x: hooked(x).sum().backward()), x)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(JitError, match=r"step\(closure\)"):
        _call_until_error(tl.jit(lambda x: opt.step(lambda: model(x).sum())), x)


def test_a_first_call_that_differs_is_recorded_again():
    """A first call that sets something up (here: one more op) is not compared twice: the third call is."""
    def build():
        model = mlp([2, 3, 2])
        opt = optim.SGD(model.parameters(), lr=0.1)
        first = [True]

        def step(x, y):
            if first.pop() if first else False:
                x = x * 1.0
            return standard_step(model, opt, LOSSES["mse"])(x, y)
        return model, opt, step

    step, _ = compare(build, batches([(2, 2), (2, 2)]))
    assert len(step.programs) == 1


def test_the_benchmark_spellings_pass_the_correctness_guard():
    """benchmarks' user-written and captured steps match numpy's weights (4 steps: the captured one replays)."""
    import sys
    from pathlib import Path
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:  # `benchmarks` is a top-level package beside tinygrad_like, not installed
        sys.path.insert(0, root)
    from benchmarks import harness
    from benchmarks.workloads import WORKLOADS
    for name in ("streetlight", "mnist-sample", "deep-narrow", "mnist-batch", "inference"):
        assert set(harness.SPELLINGS) <= set(WORKLOADS[name].builders)
        harness.check_weights_match(WORKLOADS[name], ("numpy",) + harness.SPELLINGS, steps=4)


EXPRESSIONS = {  # losses over a model output `o` (4, 3), a target `y` and a constant `c` that needs no gradient
    "sums and constants": lambda o, y, c: ((c + o) - (y - o) * c).sum() + (1.0 - o).mean(),
    "broadcast and axes": lambda o, y, c: ((o * c[0]) ** 2).sum(axis=0).mean() + (-o).mean(axis=1, keepdims=True).sum(),
    "matmul and activations": lambda o, y, c: ((o @ c.T @ c).sigmoid() + o.relu() * o.tanh()).sum(),
    "generic ops": lambda o, y, c: (o.exp() / (1 + o * o)).log1p().sum() + F.cross_entropy(o, y.softmax(1)),
    "views and joins": lambda o, y, c: tl.cat([o[1:].reshape(-1), o.T[0]]).pow(3).sum() + o[:, None, 1].sum(),
}


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_composed_losses_kernels_and_generic_ops_bit_for_bit(name):
    constant = np.random.default_rng(3).standard_normal((4, 3))

    def build():
        model = mlp([2, 3], dropout=0.0)
        opt = optim.Adam(model.parameters(), lr=0.01)
        c = tl.Tensor(constant)
        return model, opt, standard_step(model, opt, lambda out, y: EXPRESSIONS[name](out, y, c))

    compare(build, batches([(4, 2), (4, 3)]))


@pytest.mark.torch
@pytest.mark.parametrize("optimizer", ["sgd momentum", "adam"])
def test_captured_training_matches_pytorch(optimizer):
    """The replayed steps compute PyTorch's training, not only eager mode's: the same weights to 1e-10."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    tl.manual_seed(0)
    ours = mlp([3, 5, 4, 2], activation=nn.Tanh)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 4), torch.nn.Tanh(),
                                 torch.nn.Linear(4, 2)).double()
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            q.copy_(torch.from_numpy(p._data.copy()))
    our_optimizer = OPTIMIZERS[optimizer](ours.parameters())
    their_optimizer = {"sgd momentum": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01),
                       "adam": lambda p: torch.optim.Adam(p, lr=0.01)}[optimizer](theirs.parameters())
    step = tl.jit(standard_step(ours, our_optimizer, LOSSES["composed mean"]))
    for x, y in batches([(6, 3), (6, 2)], count=10):
        step(x, y)
        their_optimizer.zero_grad()
        ((theirs(torch.from_numpy(x)) - torch.from_numpy(y)) ** 2).mean().backward()
        their_optimizer.step()
    assert step.programs
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p._data, q.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_modes_of_modules_the_step_calls_are_guarded_and_methods_can_be_captured():
    """A module found only by calling it (here behind a dict) still has its mode guarded; a decorated method
    captures per instance (the instance is an argument, guarded by identity)."""
    class Trainer:
        def __init__(self, registry):
            self.registry = registry

        @tl.jit
        def predict(self, x):
            return self.registry["nets"]["net"](x) * 1.0

    results = []
    for capture in (False, True):
        tl.manual_seed(0)
        registry = {"nets": {"net": mlp([3, 4, 2], dropout=0.5)}}
        trainer = Trainer(registry)
        predict = trainer.predict if capture else (lambda x: registry["nets"]["net"](tl.from_numpy(x)) * 1.0)
        outs = []
        for i, (x, _) in enumerate(batches([(2, 3), (1, 1)], count=10)):
            if i == 5:
                registry["nets"]["net"].eval()
            outs.append(predict(x)._data.tobytes())
        results.append(outs)
    assert results[0] == results[1]
    assert len(Trainer.predict.programs) == 2  # train mode, then eval mode
