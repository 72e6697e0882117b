"""PyTorch's torch.nn.utils.rnn: padding sequences of different lengths into one batch."""
import numpy as np

from tinygrad_like.tensor import ShapeError, Tensor, cat, stack


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Sequences (L_i, *) of one trailing shape as one tensor (L_max, B, *) ((B, L_max, *) with batch_first),
    each padded with `padding_value` after its end (before its start with padding_side="left"). The result
    has the first sequence's dtype; gradients reach the sequences. A tensor counts as the sequence of its
    slices along dim 0."""
    if padding_side not in ("left", "right"):
        raise ShapeError(f"pad_sequence: Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences = [s if isinstance(s, Tensor) else Tensor(np.asarray(s)) for s in sequences]
    if not sequences:
        raise ShapeError("pad_sequence: received an empty list of sequences")
    first = sequences[0]
    for index, sequence in enumerate(sequences):
        if sequence.ndim == 0 or sequence.shape[1:] != first.shape[1:]:
            raise ShapeError(f"pad_sequence: sequence {index} has shape {tuple(sequence.shape)}, but every sequence "
                             f"must be (length, *{tuple(first.shape[1:])}) like the first, of shape "
                             f"{tuple(first.shape)}")
    longest = max(sequence.shape[0] for sequence in sequences)
    padded = []
    for sequence in sequences:
        sequence = sequence.astype(first.dtype)
        missing = longest - sequence.shape[0]
        if missing:
            block = Tensor._wrap(np.full((missing,) + tuple(first.shape[1:]), padding_value, first.dtype))
            sequence = cat([sequence, block] if padding_side == "right" else [block, sequence])
        padded.append(sequence)
    return stack(padded, 0 if batch_first else 1)
