"""ONNX export: `tinygrad_like.onnx.export(model, example_input, "model.onnx")` writes a model that
onnxruntime (or any ONNX runtime) runs, with a dynamic batch axis by default.

Needs the optional `onnx` package (`pip install 'tinygrad_like[interop]'`), imported only by export().
An op is exported by the function registered for its Function class, `@exports(MyOp)`, which receives the
builder and the node (see exporter.py; exporters.py has one per built-in op): a custom Function gets an
ONNX form with one small function.
"""
from tinygrad_like.onnx.exporter import Builder, ExportError, Node, Value, export, exports
from tinygrad_like.onnx import exporters  # noqa: F401  (registers the built-in ops' exporters)

__all__ = ["Builder", "ExportError", "Node", "Value", "export", "exports"]
