"""Pictures of the computation graph behind a tensor: Graphviz DOT source (`to_dot`), an image drawn by
Graphviz's `dot` program when it is installed (`draw_graph`), and a plain-text tree (`to_text`).

    loss = nn.functional.mse_loss(model(x), y)
    print(to_text(loss, params=model.named_parameters()))
    draw_graph(loss, "graph.svg", params=model.named_parameters())  # needs `dot`: apt-get install graphviz

Op nodes are the Function nodes: their class names, with the shape and dtype of what they produce.
Tensor nodes are the leaves, those that require grad highlighted (named when `params` maps names to
them, as `model.named_parameters()` does), and the tensor drawn. A node used by several ops is drawn
once. A node whose graph backward() freed has lost its inputs: it is drawn as freed, and the walk
stops there. The walks keep their own stack, so graphs of any depth can be drawn.
"""
import os
import shutil
import subprocess
import warnings

import numpy as np

_FREED = "freed by backward(); pass retain_graph=True to keep the graph for drawing"
_MAX_INDENT = 40  # levels of the text tree; deeper lines say their depth instead of indenting further
_COLORS = {"op": "#e0e0e0", "freed": "#ffcdd2", "requires_grad": "#bbdefb", "constant": "#f5f5f5",
           "output": "#c8e6c9"}


def to_dot(tensor, show_grads=False, params=None):
    """The graph behind `tensor` as Graphviz DOT source, inputs at the top and `tensor` at the bottom."""
    names = _names(params)
    lines = ["digraph computation {", "  node [fontname=Helvetica fontsize=10 style=filled]"]
    numbers = {}  # id(op node or leaf) -> its DOT name
    to_expand = []  # (DOT name, op node) whose inputs are still to draw

    def node(t):
        ctx = t._ctx
        key = id(t if ctx is None else ctx)
        name = numbers.get(key)
        if name is None:  # first sight: declare it
            name = numbers[key] = f"n{len(numbers)}"
            if ctx is None:
                color = _COLORS["requires_grad" if t.requires_grad else "constant"]
                label = "\n".join(_leaf_lines(t, names, show_grads))
                lines.append(f"  {name} [shape=ellipse fillcolor=\"{color}\" label={_quote(label)}]")
            else:
                freed = ctx.parents is None
                label = f"{type(ctx).__name__}\n{_describe(t)}" + (f"\n({_FREED})" if freed else "")
                lines.append(f"  {name} [shape=box fillcolor=\"{_COLORS['freed' if freed else 'op']}\" "
                             f"label={_quote(label)}]")
                if not freed:
                    to_expand.append((name, ctx))
        return name

    root = node(tensor)
    if tensor._ctx is not None:
        lines.append(f"  output [shape=ellipse fillcolor=\"{_COLORS['output']}\" "
                     f"label={_quote('output ' + _describe(tensor))}]")
        lines.append(f"  {root} -> output")
    while to_expand:
        name, ctx = to_expand.pop()
        for parent in ctx.parents:
            lines.append(f"  {node(parent)} -> {name}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_text(tensor, show_grads=False, params=None):
    """The graph behind `tensor` as an indented tree, each op above its inputs:

        Mul -> (4, 8) float32
          Tanh #1 -> (4, 8) float32
            ...
          Tanh #1 (shown above)

    A node used more than once is numbered and written out once.
    """
    names = _names(params)
    shared = _shared_nodes(tensor)
    numbers = {}  # id(shared op node) -> its number in the text
    lines = []
    stack = [(tensor, 0)]
    while stack:
        t, depth = stack.pop()
        indent = "  " * min(depth, _MAX_INDENT) + (f"[depth {depth}] " if depth > _MAX_INDENT else "")
        ctx = t._ctx
        if ctx is None:
            lines.append(f"{indent}leaf {' '.join(_leaf_lines(t, names, show_grads))}")
            continue
        op = type(ctx).__name__
        if id(ctx) in numbers:
            lines.append(f"{indent}{op} #{numbers[id(ctx)]} (shown above)")
            continue
        if id(ctx) in shared:
            numbers[id(ctx)] = len(numbers) + 1
            op += f" #{numbers[id(ctx)]}"
        if ctx.parents is None:
            lines.append(f"{indent}{op} -> {_describe(t)} [{_FREED}]")
            continue
        lines.append(f"{indent}{op} -> {_describe(t)}")
        stack.extend((parent, depth + 1) for parent in reversed(ctx.parents))  # popped in input order
    return "\n".join(lines) + "\n"


def draw_graph(tensor, path=None, show_grads=False, format=None, params=None):
    """Draw the graph behind `tensor`: to `path` if given (returned), else printed or returned.

    `format`: an image format of Graphviz's `dot` program ('svg', 'png', 'pdf', ...), 'dot' for the DOT
    source, or 'text' for the tree of `to_text`. By default the path's suffix ('svg' when it has none),
    and 'text' without a path. Without a path, text and DOT are printed, and an image is returned as
    bytes. Without `dot` on PATH, an image falls back to the text tree (written beside `path` as .txt),
    with a warning. `show_grads` adds the leaves' .grad shapes and norms; `params` names the leaves
    (a dict or (name, tensor) pairs, such as `model.named_parameters()`).
    """
    if path is not None:
        path = os.fspath(path)
    if format is None:
        format = (os.path.splitext(path)[1][1:] or "svg") if path is not None else "text"
    format = {"txt": "text", "gv": "dot"}.get(format.lower(), format.lower())
    if format not in ("text", "dot"):
        program = shutil.which("dot")
        if program is not None:
            image = _render(program, to_dot(tensor, show_grads, params), format)
            if path is None:
                return image
            with open(path, "wb") as file:
                file.write(image)
            return path
        warnings.warn(f"cannot draw a {format} picture: Graphviz's dot program is not on PATH (install graphviz, "
                      "e.g. apt-get install graphviz); drawing the graph as text instead", stacklevel=2)
        format = "text"
        path = None if path is None else os.path.splitext(path)[0] + ".txt"
    content = (to_text if format == "text" else to_dot)(tensor, show_grads, params)
    if path is None:
        print(content, end="")
        return None
    with open(path, "w", encoding="utf-8") as file:
        file.write(content)
    return path


def _render(program, source, format):
    done = subprocess.run([program, f"-T{format}"], input=source.encode(), capture_output=True, check=False)
    if done.returncode:
        raise RuntimeError(f"draw_graph(): dot -T{format} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def _shared_nodes(tensor):
    """ids of the op nodes that are an input more than once in the graph behind `tensor`."""
    seen, shared = set(), set()
    stack = [tensor._ctx]
    while stack:
        ctx = stack.pop()
        if ctx is None:
            continue
        if id(ctx) in seen:
            shared.add(id(ctx))
            continue
        seen.add(id(ctx))
        stack.extend(parent._ctx for parent in ctx.parents or ())
    return shared


def _names(params):
    if params is None:
        return {}
    pairs = params.items() if hasattr(params, "items") else params
    return {id(t): name for name, t in pairs}


def _leaf_lines(t, names, show_grads):
    """A leaf's name (if it has one), shape and dtype, and its grad or its value."""
    lines = [names[id(t)]] if id(t) in names else []
    lines.append(_describe(t))
    if t.requires_grad:
        lines.append("requires_grad")
        if show_grads:
            grad = t.grad
            lines.append("grad None" if grad is None else
                         f"grad {_describe(grad)} norm {float(np.linalg.norm(grad._data)):.4g}")
    elif t._data.size == 1:  # a constant such as the 2 of `x * 2`: its value says more than its shape
        lines.append(f"= {t._data.item():.4g}")
    return lines


def _describe(t):
    return f"{tuple(t.shape)} {t.dtype}"


def _quote(text):
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
