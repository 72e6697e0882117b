"""Small PyTorch programs, written the PyTorch way, run unchanged on tinygrad_like and on PyTorch.

Each program is written once, as a function of the library's modules (`torch`, `nn`, `optim`, `F`,
`data`), in the style of the official tutorials and course notebooks: tensors with hand-written
gradients, autograd with manual updates, Sequential and custom Modules, optimizers, a DataLoader
classifier, tensor idioms, checkpoints, initialisation, and the errors a PyTorch user relies on.

Every program runs twice:
- with tinygrad_like alone (the default suite, no torch needed), asserting that it trains (or, for the
  programs that do not train, what their results must be);
- with PyTorch and then tinygrad_like from the same starting weights (marked `torch`, skipped without
  torch), comparing every loss, gradient and final weight to 1e-5 relative (see assert_same), dtypes,
  shapes, printed text and Python values exactly, and the class of the exceptions raised.

A program that hits a gap in tinygrad_like is marked xfail(strict=True) with the gap as its reason, so
it turns into a failure (to be unmarked) once the gap is closed; GAP_CHECKS holds those that did.
"""
import math
import random

import numpy as np
import pytest

import tinygrad_like
import tinygrad_like.nn.functional
import tinygrad_like.utils.data

RTOL = 1e-5


# ---- the two libraries, and running a program on them ----------------------------------------------
def tinygrad_like_modules():
    return dict(torch=tinygrad_like, nn=tinygrad_like.nn, optim=tinygrad_like.optim,
                F=tinygrad_like.nn.functional, data=tinygrad_like.utils.data)


def pytorch_modules():
    torch = pytest.importorskip("torch")
    import torch.nn.functional
    import torch.utils.data
    return dict(torch=torch, nn=torch.nn, optim=torch.optim, F=torch.nn.functional, data=torch.utils.data)


class SameStart:
    """The `same_start(model)` hook a program calls right after building a model, so that both runs start
    from the same weights: the PyTorch run records each model's state_dict, the tinygrad_like run that
    follows loads the recorded values by name (PyTorch's default initialisation draws from its own
    random stream, which tinygrad_like does not reproduce). Alone, tinygrad_like keeps its own init."""

    def __init__(self):
        self.recorded = []
        self.mode = "keep"

    def __call__(self, model):
        if self.mode == "record":
            self.recorded.append({name: value.detach().numpy().copy() for name, value in model.state_dict().items()})
        elif self.mode == "load":
            weights = self.recorded.pop(0)
            model.load_state_dict({name: tinygrad_like.tensor(value) for name, value in weights.items()})
        return model


def plain(value):
    """A program's result as numpy arrays and Python values (tensors of either library become arrays)."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        return value.detach().numpy().copy()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, tuple):  # named pairs such as max(dim)'s become plain tuples
        return tuple(plain(item) for item in value)
    return value


def run_ours(program, **extra):
    tinygrad_like.manual_seed(0)  # the default initialisation and dropout draw from it
    return plain(program(**tinygrad_like_modules(), same_start=SameStart(), **extra))


def run_both(program, **extra):
    """(ours, theirs): the program on PyTorch, then on tinygrad_like from PyTorch's starting weights."""
    libraries = pytorch_modules()
    libraries["torch"].manual_seed(0)
    same_start = SameStart()
    same_start.mode = "record"
    theirs = plain(program(**libraries, same_start=same_start, **extra))
    same_start.mode = "load"
    tinygrad_like.manual_seed(0)
    ours = plain(program(**tinygrad_like_modules(), same_start=same_start, **extra))
    assert not same_start.recorded, "the tinygrad_like run built fewer models than the PyTorch run"
    return ours, theirs


def assert_same(ours, theirs, where="result"):
    """Equal structure, equal dtypes, numbers equal to RTOL relative (exactly for ints, bools, strings).

    An array's elements are compared relative to the array's largest magnitude as well as their own: the
    two libraries sum float32 terms in different orders, which differ by rounding relative to the size of
    the terms, and an element that comes out near zero (a logit of 0.006 among logits of 8, a gradient
    at the optimum) keeps that absolute rounding, not a relative one."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), f"{where}: keys {list(ours)} vs {list(theirs)}"
        for key in theirs:
            assert_same(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(theirs), f"{where}: {ours!r} vs {theirs!r}"
        for index, (mine, other) in enumerate(zip(ours, theirs)):
            assert_same(mine, other, f"{where}[{index}]")
    elif isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray), f"{where}: {type(ours).__name__} instead of an array"
        assert ours.dtype == theirs.dtype, f"{where}: dtype {ours.dtype} vs PyTorch's {theirs.dtype}"
        assert ours.shape == theirs.shape, f"{where}: shape {ours.shape} vs PyTorch's {theirs.shape}"
        if theirs.dtype.kind == "f":
            scale = np.abs(theirs).max(initial=0)
            np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=RTOL * scale, err_msg=where)
        else:
            np.testing.assert_array_equal(ours, theirs, err_msg=where)
    elif isinstance(theirs, float):
        assert isinstance(ours, float) and math.isclose(ours, theirs, rel_tol=RTOL), f"{where}: {ours!r} vs {theirs!r}"
    else:
        assert type(ours) is type(theirs) and ours == theirs, f"{where}: {ours!r} vs PyTorch's {theirs!r}"


# ---- data: fixed numpy draws, turned into tensors by the programs ------------------------------------
def sine_samples(points=200):
    """x in [-pi, pi] and sin(x), float32: the data the tutorials fit a cubic to (made with numpy here;
    polynomial_fit_of_torch_sin makes it with torch.sin, which tinygrad_like lacks)."""
    x = np.linspace(-math.pi, math.pi, points, dtype=np.float32)
    return x, np.sin(x)


def blobs(samples_per_class=40, features=4, classes=3, seed=0):
    """Gaussian clusters, one per class, shuffled: float32 features and int64 labels."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3.0, (classes, features))
    labels = np.repeat(np.arange(classes), samples_per_class)
    features = centres[labels] + rng.normal(0, 1.0, (labels.size, features))
    order = rng.permutation(labels.size)
    return features[order].astype(np.float32), labels[order].astype(np.int64)


def regression_data(samples=64, features=3, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, features)).astype(np.float32)
    true_w = np.array([[1.5], [-2.0], [0.5]], dtype=np.float32)
    y = x @ true_w + 0.3 + 0.1 * rng.normal(size=(samples, 1)).astype(np.float32)
    return x, y.astype(np.float32)


# ==== (1) learning by examples: from hand-written gradients to optimizers ============================
def polynomial_manual_gradients(torch, nn, optim, F, data, same_start, steps=300):
    """A cubic fitted to sin(x) with tensors only: forward, loss and gradients all written by hand."""
    dtype = torch.float
    x_np, y_np = sine_samples()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    start = np.random.default_rng(2).standard_normal(4)
    a, b, c, d = (torch.tensor(value, dtype=dtype) for value in start)

    learning_rate = 1e-5
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum().item()
        losses.append(loss)

        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x ** 2).sum()
        grad_d = (grad_y_pred * x ** 3).sum()

        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d
    return {"losses": losses, "weights": [a, b, c, d], "summary": f"y = {a.item():.3f} + {b.item():.3f} x"}


def polynomial_autograd(torch, nn, optim, F, data, same_start, steps=300, reset="grad = None"):
    """The same fit with autograd: requires_grad leaves, loss.backward(), and updates under no_grad();
    the gradients are reset the way `reset` names."""
    dtype = torch.float
    x_np, y_np = sine_samples()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    start = np.random.default_rng(2).standard_normal(4)
    a, b, c, d = (torch.tensor(value, dtype=dtype, requires_grad=True) for value in start)

    learning_rate = 1e-5
    losses, first_grads = [], None
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        if t == 0:
            first_grads = [w.grad.clone() for w in (a, b, c, d)]

        with torch.no_grad():
            for w in (a, b, c, d):
                w -= learning_rate * w.grad
                if reset == "grad = None":
                    w.grad = None
                else:
                    w.grad.zero_()
    leaf_flags = [(w.is_leaf, w.requires_grad, w.grad_fn is None) for w in (a, b, c, d)]
    return {"losses": losses, "first_grads": first_grads, "weights": [a, b, c, d], "leaf_flags": leaf_flags}


def polynomial_sequential(torch, nn, optim, F, data, same_start, steps=300, update="subtract"):
    """The fit as a linear layer on (x, x^2, x^3): nn.Sequential, MSELoss(reduction='sum'),
    model.zero_grad() and a hand-written update of every parameter, in the spelling `update` names."""
    x_np, y_np = sine_samples()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)

    model = nn.Sequential(
        nn.Linear(3, 1),
        nn.Flatten(0, 1),
    )
    same_start(model)
    loss_fn = nn.MSELoss(reduction="sum")

    learning_rate = 1e-5
    losses, first_grads = [], None
    for t in range(steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        if t == 0:
            first_grads = {name: param.grad.clone() for name, param in model.named_parameters()}

        if update == "subtract":
            with torch.no_grad():
                for param in model.parameters():
                    param -= learning_rate * param.grad
        elif update == "data.add_":
            for param in model.parameters():
                param.data.add_(param.grad, alpha=-learning_rate)
        elif update == "data.sub_":
            for param in model.parameters():
                param.data.sub_(learning_rate * param.grad.data)
        elif update == "data =":
            for param in model.parameters():
                param.data = param.data - learning_rate * param.grad

    linear_layer = model[0]
    summary = (f"y = {linear_layer.bias.item():.4f} + {linear_layer.weight[:, 0].item():.4f} x + "
               f"{linear_layer.weight[:, 1].item():.4f} x^2 + {linear_layer.weight[:, 2].item():.4f} x^3")
    return {"losses": losses, "first_grads": first_grads, "state": model.state_dict(), "summary": summary}


def regression_with_optimizer(torch, nn, optim, F, data, same_start, steps=150, optimizer="SGD"):
    """Linear regression with an optimizer: zero_grad(), backward(), step(), in the usual order."""
    x_np, y_np = regression_data()
    x, y = torch.tensor(x_np), torch.tensor(y_np)
    model = nn.Linear(3, 1)
    same_start(model)
    criterion = nn.MSELoss()
    if optimizer == "SGD":
        opt = optim.SGD(model.parameters(), lr=0.05)
    elif optimizer == "SGD nesterov":
        opt = optim.SGD(model.parameters(), lr=0.02, momentum=0.9, nesterov=True, weight_decay=1e-3)
    elif optimizer == "Adam":
        opt = optim.Adam(model.parameters(), lr=0.05)
    elif optimizer == "AdamW":
        opt = optim.AdamW(model.parameters(), lr=0.05, weight_decay=0.01)
    elif optimizer == "RMSprop":
        opt = optim.RMSprop(model.parameters(), lr=0.01)
    elif optimizer == "RMSprop centered momentum":
        opt = optim.RMSprop(model.parameters(), lr=0.005, alpha=0.9, momentum=0.5, centered=True, weight_decay=1e-3)

    losses, first_grad = [], None
    for epoch in range(steps):
        opt.zero_grad()
        outputs = model(x)
        loss = criterion(outputs, y)
        loss.backward()
        if epoch == 0:
            # the gradient at the start; near the optimum it is float32 rounding of a cancelling sum
            first_grad = model.weight.grad.clone()
        opt.step()
        losses.append(loss.item())
    return {"losses": losses, "weight": model.weight, "bias": model.bias, "first_grad": first_grad}


# ==== (2) a dynamic net: 0-d parameters broadcast against the data, SGD with momentum =================
def dynamic_net(torch, nn, optim, F, data, same_start, steps=200):
    """The tutorial's DynamicNet: scalar nn.Parameters, a forward that reuses the same parameter a random
    number of times, and SGD with momentum (a 0-d parameter once made this diverge silently)."""

    class DynamicNet(nn.Module):
        def __init__(self, choices):
            super().__init__()
            self.a = nn.Parameter(torch.randn(()))
            self.b = nn.Parameter(torch.randn(()))
            self.c = nn.Parameter(torch.randn(()))
            self.d = nn.Parameter(torch.randn(()))
            self.e = nn.Parameter(torch.randn(()))
            self.choices = choices

        def forward(self, x):
            y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
            for exp in range(4, self.choices.randint(4, 6)):
                y = y + self.e * x ** exp
            return y

        def string(self):
            return (f"y = {self.a.item():.4f} + {self.b.item():.4f} x + {self.c.item():.4f} x^2 + "
                    f"{self.d.item():.4f} x^3 + {self.e.item():.4f} x^4 ? + {self.e.item():.4f} x^5 ?")

    x_np, y_np = sine_samples()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    model = same_start(DynamicNet(random.Random(3)))
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-7, momentum=0.9)
    losses = []
    for t in range(steps):
        y_pred = model(x)
        loss = criterion(y_pred, y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return {"losses": losses, "state": model.state_dict(), "string": model.string(),
            "shapes": [tuple(p.shape) for p in model.parameters()],
            "grads": [p.grad for p in model.parameters()]}


# ==== (3) a classifier: custom Module, DataLoader, CrossEntropyLoss, train / eval =====================
def blob_classifier(torch, nn, optim, F, data, same_start, epochs=6, p_drop=0.0):
    """A two-layer classifier trained on mini-batches, evaluated with dropout off: the shape of the
    course-notebook training loop."""

    class Classifier(nn.Module):
        def __init__(self, n_in, n_hidden, n_classes):
            super().__init__()
            self.fc1 = nn.Linear(n_in, n_hidden)
            self.dropout = nn.Dropout(p_drop)
            self.fc2 = nn.Linear(n_hidden, n_classes)

        def forward(self, x):
            x = F.relu(self.fc1(x))
            x = self.dropout(x)
            return self.fc2(x)

    features, labels = blobs()
    X, y = torch.tensor(features), torch.from_numpy(labels)
    train_set = data.TensorDataset(X[:90], y[:90])
    test_set = data.TensorDataset(X[90:], y[90:])
    train_loader = data.DataLoader(train_set, batch_size=16, shuffle=False)
    test_loader = data.DataLoader(test_set, batch_size=16, shuffle=False)

    model = same_start(Classifier(4, 16, 3))
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)

    def evaluate(loader):
        model.eval()
        correct, total, logits = 0, 0, []
        with torch.no_grad():
            for inputs, targets in loader:
                outputs = model(inputs)
                _, predicted = outputs.max(1)
                total += targets.size(0)
                correct += (predicted == targets).sum().item()
                logits.append(outputs)
        return correct / total, torch.cat(logits)

    initial_accuracy, initial_logits = evaluate(test_loader)
    epoch_losses, log, learning_rates = [], [], []
    for epoch in range(epochs):
        model.train()
        running_loss, running_correct = 0.0, 0
        for inputs, targets in train_loader:
            optimizer.zero_grad()
            outputs = model(inputs)
            loss = criterion(outputs, targets)
            loss.backward()
            optimizer.step()
            running_loss += loss.item() * inputs.size(0)
            running_correct += (outputs.argmax(dim=1) == targets).sum().item()
        scheduler.step()
        epoch_losses.append(running_loss / len(train_loader.dataset))
        learning_rates.append(scheduler.get_last_lr()[0])
        log.append(f"epoch {epoch + 1}: last batch loss {loss:.4f}, train accuracy "
                   f"{running_correct / len(train_set):.2%}")

    accuracy, logits = evaluate(test_loader)
    model.eval()
    with torch.no_grad():
        eval_outputs = (model(X), model(X))  # equal: dropout is off in eval mode
        probabilities = F.softmax(model(X[:5]), dim=1)
        predicted = torch.argmax(probabilities, dim=1)
    model.train()
    train_outputs = (model(X), model(X))  # dropout draws a new mask per call (when p > 0)
    return {"initial_logits": initial_logits, "initial_accuracy": initial_accuracy, "losses": epoch_losses,
            "log": log, "learning_rates": learning_rates, "accuracy": accuracy, "logits": logits,
            "eval_outputs": eval_outputs, "train_outputs": train_outputs, "probabilities": probabilities,
            "predicted": predicted, "num_batches": len(train_loader), "fc2.weight": model.fc2.weight}


def inplace_activations(torch, nn, optim, F, data, same_start, epochs=8):
    """A torchvision-style classifier head: ReLU(inplace=True) between the layers, the model printed,
    Adam over a DataLoader."""
    features, labels = blobs()
    X, y = torch.from_numpy(features), torch.from_numpy(labels)
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=30)
    model = same_start(nn.Sequential(
        nn.Linear(4, 32), nn.ReLU(inplace=True),
        nn.Linear(32, 16), nn.ReLU(inplace=True),
        nn.Linear(16, 3),
    ))
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for epoch in range(epochs):
        total = 0.0
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = criterion(model(inputs), targets)
            loss.backward()
            optimizer.step()
            total += loss.item()
        losses.append(total / len(loader))
    hidden = model[0](X[:4])
    activated = F.relu(hidden, inplace=True)
    return {"printed": str(model), "losses": losses, "state": model.state_dict(),
            "relu(inplace=True) returns its input": activated is hidden, "activated": hidden}


# ==== (4) tensor idioms ==============================================================================
def tensor_idioms(torch, nn, optim, F, data, same_start):
    """The tensor manipulations of a first PyTorch lesson; every result is compared with PyTorch's."""
    r = {}
    a = torch.tensor([[1, 2, 3], [4, 5, 6]])
    r["tensor of ints"] = a
    r["tensor of floats"] = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    r["tensor of bools"] = torch.tensor([True, False])
    r["zeros"] = torch.zeros(2, 3)
    r["ones float64"] = torch.ones(2, 3, dtype=torch.float64)
    r["ones_like"] = torch.ones_like(a)
    r["arange"] = torch.arange(0, 10, 2)
    r["arange float"] = torch.arange(0.0, 1.0, 0.25)
    r["linspace"] = torch.linspace(0, 1, steps=5)
    r["eye"] = torch.eye(3)
    r["full"] = torch.full((2, 2), 7.0)
    r["randn shape, dtype"] = (tuple(torch.randn(2, 3, 4).shape), torch.randn(2).dtype == torch.float32)
    r["rand in [0, 1)"] = 0 <= torch.rand(100).min().item() and torch.rand(100).max().item() < 1

    x = torch.arange(24, dtype=torch.float32).view(2, 3, 4)
    m = x[0]
    r["view(-1, n)"] = x.view(-1, 4)
    r["size(0)"] = x.size(0)
    r["size()"] = tuple(x.size())
    r["shape"] = list(x.shape)
    r["numel, dim, len"] = (x.numel(), x.dim(), len(x))
    r["t()"] = m.t()
    r["mm"] = torch.mm(m, m.t())
    r["matmul batched"] = torch.matmul(x, m.t())
    r["@"] = m @ m.t()
    r["matrix @ vector"] = m @ torch.ones(4)
    r["transpose(0, 1) of 3-D"] = x.transpose(0, 1)
    r["transpose(-1, -2)"] = x.transpose(-1, -2)
    r["permute"] = x.permute(2, 0, 1)
    r["unsqueeze(0)"] = m.unsqueeze(0)
    r["unsqueeze(1)"] = m[0].unsqueeze(1)
    r["squeeze"] = torch.zeros(1, 3, 1).squeeze()
    r["squeeze(0)"] = torch.zeros(1, 3, 1).squeeze(0)
    r["cat dim 0"] = torch.cat([m, m * 2], dim=0)
    r["cat dim 1"] = torch.cat((m, m), 1)
    r["stack"] = torch.stack([m, m + 1])
    r["stack dim 1"] = torch.stack([m[0], m[1]], dim=1)
    r["x[0, :, [1, 2]]"] = x[0, :, [1, 2]]
    r["slices"] = x[:, 1:, ::2]
    r["x[..., -1]"] = x[..., -1]
    r["mask"] = x[x > 20]
    r["index tensor"] = m[torch.tensor([2, 0])]
    r["to(float64)"] = x.to(torch.float64)
    r["float()"] = a.float()
    r["long()"] = torch.tensor([1.7, -1.7]).long()
    r["dtype is float32"] = x.dtype == torch.float32
    r["int * float"] = a * 0.5
    r["int / int"] = a / 2
    r["int + float tensor"] = a + torch.ones(3)
    r["broadcast"] = m + torch.tensor([1.0, 0.0, 0.0, 0.0])
    r["sum(dim=1)"] = x.sum(dim=1)
    r["mean(dim=-1, keepdim=True)"] = x.mean(dim=-1, keepdim=True)
    r["mean of floats"] = a.float().mean()
    r["std"] = m.std()
    r["max()"] = x.max()
    values, indices = x.max(dim=2)
    r["max(dim) values, indices"] = (values, indices)
    r["min(1)"] = tuple(m.min(1))
    r["argmax(dim=1)"] = x.argmax(dim=1)
    r["where"] = torch.where(m > 5, m, torch.zeros_like(m))
    r["clamp"] = m.clamp(min=2, max=9)
    r["exp, log, sqrt"] = (torch.exp(m[0]), torch.log(m[1]), torch.sqrt(m[2]))
    r["softmax"] = torch.softmax(m, dim=1)
    r["item"] = x[1, 2, 3].item()
    r["tolist"] = m.tolist()

    c = x.clone().detach()
    c[0, 0, 0] = 100.0
    r["clone().detach() is a copy"] = (x[0, 0, 0].item(), c[0, 0, 0].item())
    v = x.view(6, 4)
    v[0, 0] = -5.0
    r["view shares memory"] = x[0, 0, 0].item()
    d = x.detach()
    d[1, 0, 0] = -7.0
    r["detach shares memory"] = x[1, 0, 0].item()

    array = np.arange(4.0)
    t = torch.from_numpy(array)
    array[0] = -1.0
    t.add_(1)
    r["from_numpy shares memory"] = (t, array.copy(), t.dtype == torch.float64)
    back = t.numpy()
    back[1] = 42.0
    r["numpy() shares memory"] = t[1].item()
    return r


# ==== (5) checkpoints: state_dict save / load, copying weights ========================================
def checkpoint_round_trip(torch, nn, optim, F, data, same_start, path):
    """Save a model and its optimizer mid-training, resume from the file in fresh objects (the resumed
    run must continue the uninterrupted one), and copy weights between two models."""
    x_np, y_np = regression_data()
    x, y = torch.tensor(x_np), torch.tensor(y_np)

    def make_model():
        return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))

    def train(model, optimizer, steps):
        losses = []
        for _ in range(steps):
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    model = same_start(make_model())
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    losses = train(model, optimizer, 10)
    torch.save({"epoch": 10, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(), "loss": losses[-1]}, path)
    uninterrupted = train(model, optimizer, 10)

    resumed_model = make_model()  # other weights until the checkpoint is loaded
    resumed_optimizer = optim.Adam(resumed_model.parameters(), lr=0.05)
    checkpoint = torch.load(path)
    resumed_model.load_state_dict(checkpoint["model_state_dict"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    resumed_model.train()
    resumed = train(resumed_model, resumed_optimizer, 10)

    # load_state_dict copies values: the source then trains on alone. A state_dict() taken before the
    # load shares the target's memory, so it shows the loaded values.
    target = make_model()
    earlier_state = target.state_dict()
    target.load_state_dict(model.state_dict())
    copied = {name: value.clone() for name, value in target.state_dict().items()}
    earlier_state_after_load = {name: value.clone() for name, value in earlier_state.items()}
    train(model, optimizer, 3)
    with torch.no_grad():
        for mine, source in zip(target.parameters(), model.parameters()):
            mine.copy_(source * 0.5)
    return {"losses": losses, "uninterrupted": uninterrupted, "resumed": resumed, "epoch": checkpoint["epoch"],
            "keys": list(checkpoint["model_state_dict"]), "saved_loss": checkpoint["loss"],
            "copied": copied, "earlier_state_dict": earlier_state_after_load, "source_after_training": model.state_dict(),
            "halved": target.state_dict(), "printed": str(model)}


# ==== (6) initialisation in place =====================================================================
def initialisation(torch, nn, optim, F, data, same_start):
    """Custom initialisation with model.apply and nn.init, and direct writes under no_grad(); the random
    draws differ between libraries, so those are checked by their ranges, the constant ones by value."""
    model = nn.Sequential(nn.Linear(20, 30), nn.ReLU(), nn.Linear(30, 10), nn.ReLU(), nn.Linear(10, 2))

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            m.bias.data.fill_(0.01)

    model.apply(init_weights)
    r = {}
    r["xavier within bound"] = model[0].weight.abs().max().item() <= math.sqrt(6 / (20 + 30))
    r["bias filled"] = model[0].bias
    nn.init.kaiming_normal_(model[2].weight, mode="fan_in", nonlinearity="relu")
    r["kaiming std / expected, rounded"] = round(model[2].weight.std().item() / math.sqrt(2 / 30))
    with torch.no_grad():
        model[4].weight.fill_(0.5)
        model[4].bias.copy_(torch.tensor([1.0, -1.0]))
        model[2].bias.zero_()
        model[0].weight[0, :] = 0.0
    model[0].weight.data.normal_(0.0, 0.02)  # DCGAN's weights_init spelling
    r["normal_ std, rounded"] = round(model[0].weight.std().item(), 2)
    nn.init.constant_(model[2].weight, 0.1)
    nn.init.ones_(model[0].bias)
    nn.init.zeros_(model[2].bias)
    nn.init.uniform_(model[0].weight, -0.1, 0.1)
    r["uniform within bounds"] = model[0].weight.abs().max().item() <= 0.1
    nn.init.normal_(model[0].weight, mean=0.0, std=0.01)
    r["still leaves that require grad"] = [(p.is_leaf, p.requires_grad, p.grad_fn is None) for p in model.parameters()]
    nn.init.constant_(model[0].weight, 0.01)
    r["constant parameters"] = (model[0].weight, model[2].weight, model[4].weight, model[4].bias, model[2].bias,
                                model[0].bias)
    # The model still trains after being initialised in place.
    x = torch.ones(4, 20)
    loss = model(x).pow(2).mean()
    loss.backward()
    r["grad of the constant-initialised layer"] = model[4].bias.grad
    return r


# ==== (7) in-place changes of saved tensors (version counters) =======================================
def changed_after_forward(torch, nn, optim, F, data, same_start, case):
    """Programs with a classic in-place bug: a tensor autograd saved is changed before backward()."""
    w = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    if case == "sigmoid output":
        y = w.sigmoid()  # sigmoid saves its output for backward
        y.mul_(2)
        y.sum().backward()
    elif case == "saved input":
        h = w * 3
        z = h * h  # saves h
        h.add_(1)
        z.sum().backward()
    elif case == "optimizer step before backward":
        model = same_start(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)))
        optimizer = optim.SGD(model.parameters(), lr=0.1)
        out = model(w.detach().unsqueeze(0))
        loss = out.pow(2).sum()
        loss.backward(retain_graph=True)
        optimizer.step()  # changes the weights the second layer saved for its input's gradient
        out.sum().backward()
    elif case == "leaf in place":
        w -= 0.1  # a leaf that requires grad, outside no_grad
    elif case == "exp then add_":
        e = w.exp()  # saves its output
        e += 1
        e.sum().backward()


# ==== (8) errors with PyTorch's exception class =======================================================
def shape_error(torch, nn, optim, F, data, same_start, case):
    """Shape mistakes that PyTorch reports with a RuntimeError."""
    a, b = torch.ones(2, 3), torch.ones(4, 5)
    if case == "mm":
        torch.mm(a, b)
    elif case == "matmul":
        torch.matmul(a, b)
    elif case == "@":
        a @ b
    elif case == "cat":
        torch.cat([a, b], dim=0)
    elif case == "stack":
        torch.stack([a, a.t()])
    elif case == "view":
        a.view(4, 2)
    elif case == "linear layer":
        nn.Linear(4, 2)(a)
    elif case == "add":
        a + b
    elif case == "item of many":
        a.item()
    elif case == "backward of non-scalar":
        torch.ones(3, requires_grad=True).mul(2).backward()
    elif case == "backward twice":
        w = torch.ones(3, requires_grad=True)
        loss = (w * w).sum()
        loss.backward()
        loss.backward()
    elif case == "load_state_dict of another shape":
        nn.Linear(3, 2).load_state_dict(nn.Linear(2, 3).state_dict())


# ==== programs that hit gaps in tinygrad_like (xfail until the gap is closed) =========================
def polynomial_fit_of_torch_sin(torch, nn, optim, F, data, same_start, steps=100):
    """The tutorial's data made by the library itself: y = torch.sin(x)."""
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    a, b, c, d = (torch.tensor(value, requires_grad=True) for value in [0.1, 0.9, -0.2, -0.1])
    losses = []
    for t in range(steps):
        loss = (a + b * x + c * x ** 2 + d * x ** 3 - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for w in (a, b, c, d):
                w -= 1e-6 * w.grad
                w.grad = None
    return {"losses": losses, "weights": [a, b, c, d]}


def comparing_tensors(torch, nn, optim, F, data, same_start):
    """The usual ways to compare tensors and combine masks."""
    a = torch.tensor([1.0, 2.0, 3.0])
    b = a.clone()
    return {"equal": torch.equal(a, b), "allclose": torch.allclose(a, b + 1e-9), "all": bool((a == b).all()),
            "any": bool((a > 2).any()), "and": (a > 1) & (a < 3), "or": (a < 2) | (a > 2), "not": ~(a > 1)}


def clipped_training(torch, nn, optim, F, data, same_start, steps=30):
    """A training loop that clips the gradient norm and logs it, as RNN and transformer recipes do."""
    x_np, y_np = regression_data()
    x, y = torch.tensor(x_np), torch.tensor(y_np)
    model = same_start(nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1)))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    losses, norms, clipped_norms = [], [], []
    for step in range(steps):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5))  # the norm before
        clipped_norms.append(torch.sqrt(sum(p.grad.pow(2).sum() for p in model.parameters())).item())
        optimizer.step()
        losses.append(loss.item())
    return {"losses": losses, "norms": norms, "clipped_norms": clipped_norms,
            "weight norms": [p.norm() for p in model.parameters()]}


def masked_attention(torch, nn, optim, F, data, same_start):
    """Causal scaled dot-product attention, as the transformer tutorials write it."""
    rng = np.random.default_rng(5)
    q, k, v = (torch.tensor(rng.standard_normal((2, 4, 8)).astype(np.float32), requires_grad=True) for _ in range(3))
    scores = torch.bmm(q, k.transpose(1, 2)) / math.sqrt(8)
    mask = torch.tril(torch.ones(4, 4))
    scores = scores.masked_fill(mask == 0, float("-inf"))
    weights = F.softmax(scores, dim=-1)
    out = torch.bmm(weights, v)
    out.sum().backward()
    return {"out": out, "weights": weights, "grads": [q.grad, k.grad, v.grad]}


def printed_dropout_and_loss(torch, nn, optim, F, data, same_start):
    """print() of a model with dropout, and of its loss."""
    return {"model": str(nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.25))), "loss": str(nn.CrossEntropyLoss())}


def backward_after_step(torch, nn, optim, F, data, same_start):
    """Two losses on one forward pass with an optimizer step in between: PyTorch allows the second
    backward because the only array it needs (the input, for the weight's gradient) is unchanged."""
    x_np, y_np = regression_data()
    x, y = torch.tensor(x_np), torch.tensor(y_np)
    model = same_start(nn.Linear(3, 1))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    out = model(x)
    F.mse_loss(out, y).backward(retain_graph=True)
    optimizer.step()
    optimizer.zero_grad()
    out.pow(2).mean().backward()
    return {"grad": model.weight.grad, "weight": model.weight}


# ---- the tests: tinygrad_like alone (default suite) ---------------------------------------------------
def trains(losses, factor):
    return all(math.isfinite(loss) for loss in losses) and losses[-1] < factor * losses[0]


def ids(value):
    if callable(value):
        return value.__name__
    if isinstance(value, dict):
        return ",".join(f"{v}" for v in value.values()) or "-"
    return str(value)


# (program, its arguments, the fraction of the first loss that the last must be below)
TRAINING_PROGRAMS = [
    (polynomial_manual_gradients, {}, 0.1),
    (polynomial_autograd, {"reset": "grad = None"}, 0.1),
    (polynomial_sequential, {"update": "subtract"}, 0.1),
    (polynomial_sequential, {"update": "data.add_"}, 0.1),
    (polynomial_sequential, {"update": "data.sub_"}, 0.1),
    (polynomial_sequential, {"update": "data ="}, 0.1),
    (regression_with_optimizer, {"optimizer": "SGD"}, 0.05),
    (regression_with_optimizer, {"optimizer": "SGD nesterov"}, 0.05),
    (regression_with_optimizer, {"optimizer": "Adam"}, 0.05),
    (regression_with_optimizer, {"optimizer": "AdamW"}, 0.05),
    # RMSprop divides by the root of the gradient's running square: near the optimum it scales float32
    # rounding of the cancelling gradient up to full steps, so the runs stop before they get there
    (regression_with_optimizer, {"optimizer": "RMSprop", "steps": 60}, 0.1),
    (regression_with_optimizer, {"optimizer": "RMSprop centered momentum", "steps": 60}, 0.1),
    (dynamic_net, {}, 0.5),
    (inplace_activations, {}, 0.2),
    (polynomial_autograd, {"reset": "grad.zero_()"}, 0.1),  # 0-d gradients accumulated twice stay arrays
]


@pytest.mark.parametrize("program, kwargs, factor", TRAINING_PROGRAMS, ids=ids)
def test_program_trains(program, kwargs, factor):
    result = run_ours(program, **kwargs)
    assert trains(result["losses"], factor), result["losses"][::20]


def test_dynamic_net_gradients_are_0d_arrays():
    result = run_ours(dynamic_net, steps=3)
    assert all(type(grad) is np.ndarray and grad.shape == () for grad in result["grads"])


def test_classifier_trains_and_evaluates_without_dropout():
    result = run_ours(blob_classifier, p_drop=0.3)
    assert trains(result["losses"], 0.5), result["losses"]
    assert result["accuracy"] >= 0.9 and result["num_batches"] == 6
    np.testing.assert_array_equal(*result["eval_outputs"])
    assert not np.array_equal(*result["train_outputs"])
    assert result["learning_rates"] == [0.1, 0.1, 0.05, 0.05, 0.05, 0.025]
    assert all(line.startswith(f"epoch {i + 1}: last batch loss ") for i, line in enumerate(result["log"]))
    np.testing.assert_allclose(result["probabilities"].sum(axis=1), 1, rtol=1e-6)


def test_tensor_idioms():
    r = run_ours(tensor_idioms)
    assert r["x[0, :, [1, 2]]"].shape == (3, 2) and r["transpose(0, 1) of 3-D"].shape == (3, 2, 4)
    assert r["tensor of ints"].dtype == np.int64 and r["int / int"].dtype == np.float32
    assert r["max(dim) values, indices"][1].dtype == np.int64 and r["rand in [0, 1)"]
    assert r["clone().detach() is a copy"] == (0.0, 100.0)
    assert r["view shares memory"] == -5.0 and r["detach shares memory"] == -7.0
    assert r["from_numpy shares memory"][1].tolist() == [0.0, 2.0, 3.0, 4.0] and r["numpy() shares memory"] == 42.0


def test_checkpoint_round_trip(tmp_path):
    r = run_ours(checkpoint_round_trip, path=str(tmp_path / "checkpoint.pt"))
    assert r["resumed"] == r["uninterrupted"] and trains(r["losses"] + r["resumed"], 0.5)
    for name, value in r["copied"].items():
        np.testing.assert_array_equal(r["earlier_state_dict"][name], value)  # an earlier state_dict sees the load
        assert not np.array_equal(r["source_after_training"][name], value)  # the copy did not train along
        np.testing.assert_array_equal(r["halved"][name], r["source_after_training"][name] * np.float32(0.5))


def test_load_state_dict_copies_into_the_parameters_memory():
    """As PyTorch's: the loaded values go into the existing arrays (an earlier state_dict() and .data see
    them), and a graph that saved the old values refuses backward."""
    nn = tinygrad_like.nn
    model = nn.Linear(2, 1)
    weight_data = model.weight.data
    x = tinygrad_like.ones(1, 2, requires_grad=True)
    out = model(x).sum()
    model.load_state_dict({"weight": np.array([[1.0, 2.0]]), "bias": np.array([3.0])})
    assert weight_data.tolist() == [[1.0, 2.0]] and model.bias.dtype == np.float32
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.backward()


def test_initialisation():
    r = run_ours(initialisation)
    assert r["xavier within bound"] and r["uniform within bounds"]
    assert r["kaiming std / expected, rounded"] == 1 and r["normal_ std, rounded"] == 0.02
    assert all(flags == (True, True, True) for flags in r["still leaves that require grad"])
    np.testing.assert_array_equal(r["constant parameters"][1], np.full((10, 30), 0.1, np.float32))


def test_inplace_activations_write_into_their_input_and_pass_gradients():
    r = run_ours(inplace_activations)
    assert r["relu(inplace=True) returns its input"] and (r["activated"] >= 0).all()
    assert "(1): ReLU(inplace=True)" in r["printed"]
    F = tinygrad_like.nn.functional
    x = tinygrad_like.tensor([[1.0, -2.0, 3.0, 4.0]] * 50, requires_grad=True)
    h = x * 2
    out = F.dropout(h, 0.5, training=True, inplace=True)
    assert out is h and out.grad_fn is not None
    out.sum().backward()
    kept = out.numpy() != 0  # dropout's gradient: 2 (from h = 2x) / (1 - p) where kept, else 0
    assert 0 < kept.mean() < 1
    np.testing.assert_array_equal(x.grad.numpy(), np.where(kept, 4.0, 0.0))
    with pytest.raises(RuntimeError):  # a leaf that requires grad cannot be changed in place, as in PyTorch
        tinygrad_like.nn.ReLU(inplace=True)(x)


def test_rmsprop_first_step_by_hand():
    """PyTorch's rule at the first step: s = (1 - alpha) g^2, p -= lr * g / (sqrt(s) + eps)."""
    w = tinygrad_like.nn.Parameter(np.array([1.0, -2.0], dtype=np.float64))
    optimizer = tinygrad_like.optim.RMSprop([w], lr=0.1, alpha=0.9)
    (w * w).sum().backward()  # g = 2w
    optimizer.step()
    g = np.array([2.0, -4.0])
    np.testing.assert_allclose(w.numpy(), [1.0, -2.0] - 0.1 * g / (np.sqrt(0.1 * g * g) + 1e-8), rtol=1e-12)
    assert sorted(optimizer.state[w]) == ["square_avg", "step"]


VERSION_COUNTER_CASES = ["sigmoid output", "saved input", "optimizer step before backward", "leaf in place",
                         "exp then add_"]
SHAPE_ERROR_CASES = ["mm", "matmul", "@", "cat", "stack", "view", "linear layer", "add", "item of many",
                     "backward of non-scalar", "backward twice", "load_state_dict of another shape"]


@pytest.mark.parametrize("case", VERSION_COUNTER_CASES)
def test_in_place_change_of_saved_tensor_raises(case):
    with pytest.raises(RuntimeError):
        run_ours(changed_after_forward, case=case)


@pytest.mark.parametrize("case", SHAPE_ERROR_CASES)
def test_shape_error_is_a_runtime_error(case):
    with pytest.raises(RuntimeError):
        run_ours(shape_error, case=case)


GAP_CHECKS = {
    polynomial_fit_of_torch_sin: lambda r: trains(r["losses"], 0.9),
    comparing_tensors: lambda r: r["equal"] and r["allclose"] and r["all"] and r["any"]
    and r["and"].tolist() == [False, True, False] and r["not"].tolist() == [True, False, False],
    clipped_training: lambda r: trains(r["losses"], 0.5) and max(r["clipped_norms"]) <= 0.5 + 1e-5,
    masked_attention: lambda r: r["out"].shape == (2, 4, 8) and np.isfinite(r["grads"][0]).all(),
    printed_dropout_and_loss: lambda r: r["model"].endswith("(1): Dropout(p=0.25, inplace=False)\n)")
    and r["loss"] == "CrossEntropyLoss()",
    backward_after_step: lambda r: r["grad"].shape == (1, 3),
}


@pytest.mark.parametrize("program", list(GAP_CHECKS), ids=ids)
def test_program_that_once_hit_a_gap(program):
    assert GAP_CHECKS[program](run_ours(program))


# ---- the tests: against PyTorch ----------------------------------------------------------------------
@pytest.mark.torch
@pytest.mark.parametrize("program, kwargs", [
    *[(program, kwargs) for program, kwargs, _ in TRAINING_PROGRAMS],
    (blob_classifier, {"p_drop": 0.0}),
    (tensor_idioms, {}),
    (initialisation, {}),
], ids=ids)
def test_program_matches_pytorch(program, kwargs):
    ours, theirs = run_both(program, **kwargs)
    assert_same(ours, theirs)


@pytest.mark.torch
def test_dynamic_net_trajectory_matches_pytorch():
    """The losses and weights of the dynamic net: SGD's momentum on 0-d parameters once diverged silently
    from PyTorch."""
    ours, theirs = run_both(dynamic_net)
    for key in ("losses", "state", "string", "shapes"):
        assert_same(ours[key], theirs[key], key)


@pytest.mark.torch
def test_classifier_with_dropout_matches_pytorch_in_eval_mode():
    """With dropout on, training draws different masks in each library; evaluation, before training,
    must not draw any."""
    ours, theirs = run_both(blob_classifier, p_drop=0.5, epochs=1)
    assert_same(ours["initial_logits"], theirs["initial_logits"], "initial_logits")
    for result in (ours, theirs):
        np.testing.assert_array_equal(*result["eval_outputs"])
        assert not np.array_equal(*result["train_outputs"])


@pytest.mark.torch
def test_checkpoint_round_trip_matches_pytorch(tmp_path):
    ours, theirs = run_both(checkpoint_round_trip, path=str(tmp_path / "checkpoint.pt"))
    assert_same(ours, theirs)


@pytest.mark.torch
@pytest.mark.parametrize("case", VERSION_COUNTER_CASES)
def test_in_place_change_of_saved_tensor_raises_like_pytorch(case):
    libraries = pytorch_modules()
    with pytest.raises(RuntimeError) as theirs:
        changed_after_forward(**libraries, same_start=SameStart(), case=case)
    with pytest.raises(RuntimeError):
        run_ours(changed_after_forward, case=case)
    if case != "leaf in place":
        assert "modified by an inplace operation" in str(theirs.value)


@pytest.mark.torch
@pytest.mark.parametrize("case", SHAPE_ERROR_CASES)
def test_shape_error_class_matches_pytorch(case):
    libraries = pytorch_modules()
    with pytest.raises(Exception) as theirs:
        shape_error(**libraries, same_start=SameStart(), case=case)
    with pytest.raises(Exception) as ours:
        run_ours(shape_error, case=case)
    assert isinstance(ours.value, type(theirs.value)), (type(ours.value), type(theirs.value), str(ours.value))


@pytest.mark.torch
@pytest.mark.parametrize("program", list(GAP_CHECKS), ids=ids)
def test_program_that_once_hit_a_gap_matches_pytorch(program):
    ours, theirs = run_both(program)
    assert_same(ours, theirs)
