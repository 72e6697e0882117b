"""Pictures for the demo: learning curves, weight images, and a box diagram of each network.

matplotlib is optional (`pip install 'tinygrad_like[plot]'`, or `pip install -e '.[plot]'` in a
checkout). Without it, weight images are still written by a small PNG encoder here (zlib only);
curves and diagrams need matplotlib.
"""
import struct
import zlib
from pathlib import Path

import numpy as np

from tinygrad_like import nn

PLOT_HINT = "pip install -e '.[plot]' in a checkout, else pip install 'tinygrad_like[plot]'"


def have_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt
    return plt


# ---- PNG without matplotlib ---------------------------------------------------------------------------
def write_png(path, rgb):
    """Write an (height, width, 3) uint8 array as a PNG file."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[row].tobytes() for row in range(height))  # filter type 0 per row

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
                           + chunk(b"IEND", b""))


def diverging_rgb(values):
    """Blue (negative) - white (0) - red (positive), scaled by the largest magnitude."""
    values = np.asarray(values, dtype=np.float64)
    scale = np.abs(values).max() or 1.0
    t = np.clip(values / scale, -1, 1)[..., None]
    white, red, blue = np.array([255, 255, 255.]), np.array([200, 30, 30.]), np.array([30, 60, 200.])
    rgb = np.where(t >= 0, white + t * (red - white), white - t * (blue - white))
    return rgb.astype(np.uint8)


def save_weight_images(weights, path, digits=range(10), zoom=6):
    """One 28x28 image per digit's weights (rows of a (10, 784) weight), side by side."""
    digits = list(digits)
    if have_matplotlib():
        plt = _pyplot()
        figure, axes = plt.subplots(1, len(digits), figsize=(1.6 * len(digits), 2.0))
        limit = np.abs(weights[digits]).max()
        for axis, digit in zip(np.atleast_1d(axes), digits):
            axis.imshow(weights[digit].reshape(28, 28), cmap="bwr", vmin=-limit, vmax=limit)
            axis.set_title(f"'{digit}'")
            axis.axis("off")
        figure.suptitle("Weights of each output (red: positive, blue: negative)")
        figure.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(figure)
        return Path(path)
    tiles = [np.kron(diverging_rgb(weights[d].reshape(28, 28)), np.ones((zoom, zoom, 1), dtype=np.uint8))
             for d in digits]
    gap = np.full((28 * zoom, zoom, 3), 255, dtype=np.uint8)
    row = np.concatenate([part for tile in tiles for part in (tile, gap)][:-1], axis=1)
    write_png(path, row)
    return Path(path)


# ---- curves -------------------------------------------------------------------------------------------
def save_curves(runs, path, title):
    """Train and test accuracy per printed iteration; `runs` maps a label to a list of ch8 Epoch rows."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(7, 4.2))
    for label, rows in runs.items():
        if not rows:
            continue
        iterations = [row.iteration for row in rows]
        line, = axis.plot(iterations, [row.train_accuracy for row in rows], "--", marker=".", label=f"{label}: train")
        axis.plot(iterations, [row.test_accuracy for row in rows], "-", marker=".", color=line.get_color(), label=f"{label}: test")
    axis.set_xlabel("iteration (pass over the 1000 training images)")
    axis.set_ylabel("accuracy")
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    return Path(path)


# ---- network diagrams ---------------------------------------------------------------------------------
def describe(model, n_inputs):
    """[(label, detail)] per layer of a model: what the diagram draws."""
    modules = list(model) if isinstance(model, nn.Sequential) else [model]
    boxes = [("input", f"{n_inputs}")]
    for module in modules:
        if isinstance(module, nn.Linear):
            bias = "" if module.bias is None else " + bias"
            boxes.append(("Linear", f"{module.in_features} -> {module.out_features}{bias}"))
        elif isinstance(module, nn.Sequential):
            boxes.extend(describe(module, None)[1:])
        else:
            boxes.append((type(module).__name__, ""))
    return boxes


def save_diagram(name, model, n_inputs, path):
    """A left-to-right drawing of boxes, one per layer, with the sizes."""
    plt = _pyplot()
    from matplotlib.patches import FancyBboxPatch
    boxes = describe(model, n_inputs)
    figure, axis = plt.subplots(figsize=(1.9 * len(boxes) + 0.5, 1.8))
    for index, (label, detail) in enumerate(boxes):
        x = index * 1.9
        colour = "#dde8f7" if label == "Linear" else "#eeeeee" if label == "input" else "#fbe3c8"
        axis.add_patch(FancyBboxPatch((x, 0), 1.5, 1, boxstyle="round,pad=0.05", facecolor=colour, edgecolor="#333"))
        axis.text(x + 0.75, 0.62, label, ha="center", va="center", fontsize=10, weight="bold")
        axis.text(x + 0.75, 0.3, detail, ha="center", va="center", fontsize=8)
        if index:
            axis.annotate("", xy=(x - 0.05, 0.5), xytext=(x - 0.35, 0.5), arrowprops=dict(arrowstyle="->"))
    axis.set_xlim(-0.2, 1.9 * len(boxes))
    axis.set_ylim(-0.3, 1.3)
    axis.axis("off")
    axis.set_title(name, fontsize=10)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    return Path(path)
