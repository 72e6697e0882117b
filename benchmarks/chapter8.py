"""Wall time of the book's chapter 8 MNIST loop: the book's own numpy code against the same loop
written with tinygrad_like (and PyTorch).

Chapter 8's first network: 784-40-10, ReLU, no biases, float64, weights `0.2 * random - 0.1`
after np.random.seed(1), alpha 0.005, one image per step over the first 1000 training images,
the error and the number correct summed every step (the book prints them per epoch). The book runs
350 epochs; we run a few (`--ch8-epochs`). Real MNIST is used when present, else random
MNIST-shaped data (the report says which). Every framework must end with numpy's weights.
"""
import time

import numpy as np

from benchmarks import harness

HIDDEN_SIZE = 40
ALPHA = 0.005
N_IMAGES = 1000


def load_data(n_images=N_IMAGES):
    """(images, one-hot labels, source): the book's preprocessing of real MNIST (found where
    `tinygrad_like.data.find_mnist` looks), else random data, with the reason in `source`."""
    from tinygrad_like.data import book_mnist
    try:
        images, labels, _, _ = book_mnist(n_train=n_images)
        return images, labels, "real MNIST (first %d training images)" % n_images
    except FileNotFoundError:
        reason = "MNIST not found"
    except ValueError as error:  # a damaged file: say which, rather than "not found"
        reason = f"MNIST unreadable: {error}"
    rng = np.random.default_rng(0)
    return (rng.random((n_images, 784)), np.eye(10)[rng.integers(0, 10, n_images)],
            f"random MNIST-shaped data ({reason})")


def book_weights():
    np.random.seed(1)
    weights_0_1 = 0.2 * np.random.random((784, HIDDEN_SIZE)) - 0.1
    weights_1_2 = 0.2 * np.random.random((HIDDEN_SIZE, 10)) - 0.1
    return weights_0_1, weights_1_2


def numpy_loop(images, labels, epochs):
    """The book's code (chapter 8, "Learning too well"), loop for loop.

    One change: the book's `relu2deriv = output >= 0` is true for every output (its relu gives -0.0
    for negative inputs, and -0.0 >= 0), so its backward pass ignores the ReLU; `output > 0` is the
    derivative that tinygrad_like's and PyTorch's ReLU use. The cost is the same.
    """
    def relu(x):
        return (x >= 0) * x

    def relu2deriv(output):
        return output > 0

    weights_0_1, weights_1_2 = book_weights()
    for _ in range(epochs):
        error, correct_cnt = _book_epoch(images, labels, weights_0_1, weights_1_2, relu, relu2deriv)
    return error, correct_cnt, [weights_0_1.T, weights_1_2.T]


def _book_epoch(images, labels, weights_0_1, weights_1_2, relu, relu2deriv, alpha=ALPHA):
    """One epoch of the book's per-image loop (weights updated in place); returns (error, correct)."""
    error, correct_cnt = (0.0, 0)
    for i in range(len(images)):
        layer_0 = images[i:i + 1]
        layer_1 = relu(np.dot(layer_0, weights_0_1))
        layer_2 = np.dot(layer_1, weights_1_2)
        error += np.sum((labels[i:i + 1] - layer_2) ** 2)
        correct_cnt += int(np.argmax(layer_2) == np.argmax(labels[i:i + 1]))
        layer_2_delta = (labels[i:i + 1] - layer_2)
        layer_1_delta = layer_2_delta.dot(weights_1_2.T) * relu2deriv(layer_1)
        weights_1_2 += alpha * layer_1.T.dot(layer_2_delta)
        weights_0_1 += alpha * layer_0.T.dot(layer_1_delta)
    return error, correct_cnt


def _model(nn):
    model = nn.Sequential(nn.Linear(784, HIDDEN_SIZE, bias=False), nn.ReLU(),
                          nn.Linear(HIDDEN_SIZE, 10, bias=False)).double()
    return model


def tinygrad_like_loop(images, labels, epochs):
    import tinygrad_like as tl
    from tinygrad_like import nn, optim
    from tinygrad_like.nn import functional as F

    model = _model(nn)
    harness.load_tinygrad_like(model, [(w.T, None) for w in book_weights()])
    opt = optim.SGD(model.parameters(), lr=ALPHA)
    images, labels = tl.Tensor(images), tl.Tensor(labels)
    for _ in range(epochs):
        error, correct_cnt = (0.0, 0)
        for i in range(len(images)):
            opt.zero_grad()
            prediction = model(images[i:i + 1])
            loss = 0.5 * F.mse_loss(prediction, labels[i:i + 1], reduction="sum")
            loss.backward()
            opt.step()
            error += 2 * loss.item()
            correct_cnt += int(prediction._data.argmax() == labels._data[i].argmax())
    return error, correct_cnt, harness.tinygrad_like_weights(model)


def torch_loop(images, labels, epochs):
    torch = harness.torch_or_none()
    nn, F = torch.nn, torch.nn.functional

    model = _model(nn)
    harness.load_torch(model, [(np.ascontiguousarray(w.T), None) for w in book_weights()])
    opt = torch.optim.SGD(model.parameters(), lr=ALPHA)
    images, labels = torch.from_numpy(images), torch.from_numpy(labels)
    for _ in range(epochs):
        error, correct_cnt = (0.0, 0)
        for i in range(len(images)):
            opt.zero_grad()
            prediction = model(images[i:i + 1])
            loss = 0.5 * F.mse_loss(prediction, labels[i:i + 1], reduction="sum")
            loss.backward()
            opt.step()
            error += 2 * loss.item()
            correct_cnt += int(prediction.argmax() == labels[i].argmax())
    return error, correct_cnt, harness.torch_weights(model)


LOOPS = {"numpy": numpy_loop, "tinygrad_like": tinygrad_like_loop, "torch": torch_loop}


def book_module():
    """The name of a chapter 8 module in tinygrad_like.book, if one exists yet."""
    import pkgutil
    try:
        import tinygrad_like.book as book
    except ImportError:
        return None
    names = [m.name for m in pkgutil.iter_modules(book.__path__) if m.name.startswith(("ch8", "ch08", "chapter8"))]
    return names[0] if names else None


def measure_loop(frameworks, epochs=3, rounds=3, n_images=N_IMAGES):
    """The fallback: median wall time of the whole loop per framework (interleaved rounds), with the last epoch's
    error and accuracy, and a check that every framework ends with numpy's weights."""
    images, labels, source = load_data(n_images)
    times = {name: [] for name in frameworks}
    outcome = {}
    names = list(frameworks)
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            outcome[name] = LOOPS[name](images, labels, epochs)
            times[name].append(time.perf_counter() - start)
    reference = outcome[harness.BASELINE][2]
    rows = []
    for name in names:
        error, correct, weights = outcome[name]
        match = all(np.allclose(a, b, rtol=1e-7, atol=1e-10) for a, b in zip(reference, weights))
        rows.append(dict(framework=name, seconds=float(np.median(times[name])), error=error / len(images),
                         accuracy=correct / len(images), weights_match=match))
    return dict(kind="loop", source=source, epochs=epochs, images=len(images), rounds=rounds, rows=rows,
                book_module=book_module())


# ---- the reproduction: tinygrad_like.book.ch8_mnist against the book's own notebook code ----------
def book_notebook(data, iterations, schedule=350):
    """The chapter 8 notebook's first network, verbatim (its relu2deriv quirk included), returning
    the rows it prints as (iteration, train error, train accuracy, test error, test accuracy)."""
    images, labels, test_images, test_labels = data

    def relu(x):
        return (x >= 0) * x

    def relu2deriv(output):
        return output >= 0

    weights_0_1, weights_1_2 = book_weights()
    rows = []
    for j in range(iterations):
        error, correct_cnt = _book_epoch(images, labels, weights_0_1, weights_1_2, relu, relu2deriv)
        train = (error / float(len(images)), correct_cnt / float(len(images)))
        if j % 10 == 0 or j == schedule - 1:
            error, correct_cnt = (0.0, 0)
            for i in range(len(test_images)):
                layer_0 = test_images[i:i + 1]
                layer_1 = relu(np.dot(layer_0, weights_0_1))
                layer_2 = np.dot(layer_1, weights_1_2)
                error += np.sum((test_labels[i:i + 1] - layer_2) ** 2)
                correct_cnt += int(np.argmax(layer_2) == np.argmax(test_labels[i:i + 1]))
            rows.append((j, *train, error / float(len(test_images)), correct_cnt / float(len(test_images))))
    return rows


def reproduction(mnist_dir=None):
    """(tinygrad_like.book.ch8_mnist, the book's MNIST data from `mnist_dir` or the first place
    `tinygrad_like.data.find_mnist` searches), or None when either is missing."""
    try:
        from tinygrad_like.book import ch8_mnist
        from tinygrad_like.data import book_mnist
        data = book_mnist(mnist_dir)
    except (ImportError, FileNotFoundError, ValueError):
        return None
    return (ch8_mnist, data) if hasattr(ch8_mnist, "run") else None


def measure_reproduction(module, data, iterations=11, rounds=3):
    """Median wall time of `ch8_mnist.run("plain", relu="book")` and of the notebook's numpy code for
    the same iterations (the test pass included at every printed row); their rows must agree."""
    runs = {
        "numpy": lambda: book_notebook(data, iterations),
        "tinygrad_like": lambda: [tuple(row) for row in module.run("plain", "book", data, iterations=iterations,
                                                                     progress=False)],
    }
    times, rows = {name: [] for name in runs}, {}
    names = list(runs)
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            rows[name] = runs[name]()
            times[name].append(time.perf_counter() - start)
    reference = np.array(rows["numpy"], dtype=float)
    result_rows = []
    for name in names:
        mine = np.array(rows[name], dtype=float)
        match = mine.shape == reference.shape and np.allclose(mine, reference, rtol=1e-9, atol=1e-12)
        result_rows.append(dict(framework=name, seconds=float(np.median(times[name])), last_row=rows[name][-1],
                                rows_match=bool(match)))
    return dict(kind="reproduction", iterations=iterations, rounds=rounds, rows=result_rows,
                module=module.__name__, printed_rows=len(reference))


def measure(frameworks, epochs=3, rounds=3, iterations=11):
    """The reproduction when tinygrad_like.book has chapter 8 and MNIST is present, else the loop."""
    found = reproduction()
    if found is not None:
        return measure_reproduction(*found, iterations=iterations, rounds=rounds)
    return measure_loop(frameworks, epochs=epochs, rounds=rounds)
