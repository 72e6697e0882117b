"""PyTorch's torch.nn.utils: gradient clipping, and the parameters as one vector."""
from tinygrad_like.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from tinygrad_like.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from tinygrad_like.nn.utils import rnn  # noqa: F401  (nn.utils.rnn.pad_sequence, as in PyTorch)

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm", "parameters_to_vector",
           "vector_to_parameters"]
