"""PyTorch's torch.autograd: gradients of gradients (create_graph), `grad`, `backward`, `functional`,
`gradcheck` and `gradgradcheck`."""
from tinygrad_like import engine
from tinygrad_like.anomaly import detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly
from tinygrad_like.autograd import functional
from tinygrad_like.autograd.function import Function, FunctionCtx
from tinygrad_like.engine import grad
from tinygrad_like.gradcheck import gradcheck, gradgradcheck
from tinygrad_like.grad_mode import enable_grad, no_grad, set_grad_enabled


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of `tensors` (one or several, seeded with `grad_tensors`) into the leaves."""
    tensors = [tensors] if engine._is_tensor(tensors) else list(tensors)
    if grad_tensors is None or engine._is_tensor(grad_tensors):
        grad_tensors = [grad_tensors] * len(tensors)
    engine._backward(tensors, list(grad_tensors), retain_graph, create_graph, inputs)


__all__ = ["Function", "FunctionCtx", "backward", "detect_anomaly", "enable_grad", "functional", "grad", "gradcheck",
           "gradgradcheck", "is_anomaly_check_nan_enabled", "is_anomaly_enabled", "no_grad", "set_detect_anomaly",
           "set_grad_enabled"]
