"""Graph pictures: DOT source and text trees of a small MLP's graph, shared nodes drawn once, a
10,000-op chain, graphs freed by backward, and images when Graphviz's dot program is installed."""
import shutil

import numpy as np
import pytest

import tinygrad_like as tl
from tinygrad_like import Tensor, nn
from tinygrad_like import viz
from tinygrad_like.viz import draw_graph, to_dot, to_text

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")


def mlp_loss():
    tl.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    x, y = Tensor([[0, 0], [0, 1], [1, 0], [1, 1.]]), Tensor([[0], [1], [1], [0.]])
    return nn.functional.mse_loss(model(x), y), model


MLP_TEXT = """\
MSELoss -> () float32
  Linear -> (4, 1) float32
    Tanh -> (4, 8) float32
      Linear -> (4, 8) float32
        leaf (4, 2) float32
        leaf 0.weight (8, 2) float32 requires_grad
        leaf 0.bias (8,) float32 requires_grad
    leaf 2.weight (1, 8) float32 requires_grad
    leaf 2.bias (1,) float32 requires_grad
  leaf (4, 1) float32
"""


def test_text_tree_of_an_mlp():
    loss, model = mlp_loss()
    assert to_text(loss, params=model.named_parameters()) == MLP_TEXT


def test_dot_of_an_mlp_names_ops_shapes_and_leaves():
    loss, model = mlp_loss()
    dot = to_dot(loss, params=dict(model.named_parameters()))
    assert dot.startswith("digraph computation {") and dot.endswith("}\n")
    ops = ["MSELoss\\n() float32", "Linear\\n(4, 1) float32", "Tanh\\n(4, 8) float32", "Linear\\n(4, 8) float32"]
    for label in ops:
        assert f'shape=box fillcolor="#e0e0e0" label="{label}"' in dot
    for name, shape in [("0.weight", "(8, 2)"), ("0.bias", "(8,)"), ("2.weight", "(1, 8)"), ("2.bias", "(1,)")]:
        assert f'fillcolor="#bbdefb" label="{name}\\n{shape} float32\\nrequires_grad"' in dot  # highlighted
    assert 'fillcolor="#f5f5f5" label="(4, 2) float32"' in dot  # the input, a constant
    assert 'label="output () float32"' in dot
    declarations = [line for line in dot.splitlines() if "label=" in line]
    edges = [line for line in dot.splitlines() if "->" in line]
    assert len(declarations) == 4 + 6 + 1  # ops, leaves, the output
    assert len(edges) == 3 + 3 + 1 + 2 + 1  # into the two Linears, Tanh, MSELoss, and the output


def test_a_shared_node_is_drawn_once():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    h = x.tanh()
    z = (h * h + h).sum()
    dot = to_dot(z)
    assert dot.count('label="Tanh') == 1
    tanh = next(line.split()[0] for line in dot.splitlines() if 'label="Tanh' in line)
    assert sum(line.strip().startswith(f"{tanh} ->") for line in dot.splitlines()) == 3
    text = to_text(z)
    assert text.count("Tanh #1 -> (2, 3) float64") == 1 and text.count("Tanh #1 (shown above)") == 2
    assert text.count("leaf (2, 3) float64 requires_grad") == 1  # under the one Tanh written out


def test_a_deep_chain_draws_without_recursion():
    x = Tensor(np.ones(3), requires_grad=True)
    h = x
    for _ in range(10_000):
        h = h.tanh()
    lines = to_text(h).splitlines()
    assert len(lines) == 10_001
    assert lines[-1] == "  " * 40 + "[depth 10000] leaf (3,) float64 requires_grad"
    assert to_dot(h).count('label="Tanh') == 10_000


def test_a_graph_freed_by_backward_says_so():
    loss, _ = mlp_loss()
    loss.backward()
    assert to_text(loss) == ("MSELoss -> () float32 [freed by backward(); pass retain_graph=True to keep the graph "
                             "for drawing]\n")
    assert "(freed by backward()" in to_dot(loss)


def test_show_grads():
    loss, model = mlp_loss()
    loss.backward(retain_graph=True)
    text = to_text(loss, show_grads=True, params=model.named_parameters())
    norm = np.linalg.norm(model[0].weight.grad.numpy())
    assert f"leaf 0.weight (8, 2) float32 requires_grad grad (8, 2) float32 norm {norm:.4g}" in text
    assert "grad (1, 8) float32 norm" in to_dot(loss, show_grads=True)
    fresh = Tensor(np.ones(2), requires_grad=True)
    assert to_text(fresh * 2, show_grads=True).splitlines()[1] == "  leaf (2,) float64 requires_grad grad None"


def test_leaves_alone_and_constants_values():
    assert to_text(Tensor([1.0, 2.0], requires_grad=True)) == "leaf (2,) float32 requires_grad\n"
    assert to_text(Tensor([[1.0]], requires_grad=True) * 2.5).splitlines()[2] == "  leaf () float32 = 2.5"


def test_dot_labels_are_quoted():
    x = Tensor([1.0], requires_grad=True)
    assert 'label="say \\"hi\\"\\n(1,) float32\\nrequires_grad"' in to_dot(x.exp(), params={'say "hi"': x})


def test_draw_graph_prints_text_without_a_path(capsys):
    loss, model = mlp_loss()
    assert draw_graph(loss, params=model.named_parameters()) is None
    assert capsys.readouterr().out == MLP_TEXT


def test_draw_graph_writes_dot_and_text(tmp_path):
    loss, _ = mlp_loss()
    assert draw_graph(loss, tmp_path / "g.dot") == str(tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text() == to_dot(loss)
    draw_graph(loss, tmp_path / "g", format="text")
    assert (tmp_path / "g").read_text() == to_text(loss)


def test_without_dot_an_image_falls_back_to_text(tmp_path, monkeypatch):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    loss, _ = mlp_loss()
    with pytest.warns(UserWarning, match="dot program is not on PATH"):
        written = draw_graph(loss, tmp_path / "graph.svg")
    assert written == str(tmp_path / "graph.txt")
    assert (tmp_path / "graph.txt").read_text() == to_text(loss)
    assert not (tmp_path / "graph.svg").exists()


@needs_dot
def test_svg_and_png_through_dot(tmp_path):
    loss, model = mlp_loss()
    path = draw_graph(loss, tmp_path / "graph.svg", show_grads=True, params=model.named_parameters())
    svg = (tmp_path / "graph.svg").read_text()
    assert path == str(tmp_path / "graph.svg") and "<svg" in svg
    assert all(word in svg for word in ["MSELoss", "Tanh", "0.weight", "(8, 2) float32"])
    assert draw_graph(loss, format="png").startswith(b"\x89PNG")


@needs_dot
def test_dot_reports_its_errors():
    with pytest.raises(RuntimeError, match="dot -Tnot-a-format failed"):
        draw_graph(Tensor([1.0], requires_grad=True) * 2, format="not-a-format")
