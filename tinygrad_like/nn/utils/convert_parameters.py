"""The parameters as one vector and back, PyTorch's torch.nn.utils.convert_parameters."""
from tinygrad_like.tensor import Tensor, cat


def parameters_to_vector(parameters):
    """The parameters flattened and concatenated into one 1-d tensor (recorded in the graph)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Give each parameter, in order, the next slice of `vec` as its data. As in PyTorch the parameters
    then share `vec`'s memory: a later in-place change of one shows in the other."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for param in parameters:
        count = param.numel()
        param.data = vec[pointer:pointer + count].view_as(param).data
        pointer += count
