"""Multi-head attention with PyTorch's parameters, masks, initialisation and return values.

`multi_head_attention_forward` follows torch.nn.functional's function of that name step by step, so
that a state dict loaded from PyTorch (or saved for it) gives the same outputs: the packed
in-projection (in_proj_weight, in_proj_bias) or separate q/k/v projection weights when key and value
have other sizes, bias_k/bias_v and add_zero_attn, boolean masks where True hides a key, float masks
added to the scores. With need_weights=True the attention weights are computed by an explicit softmax
and returned (a query that sees no key gets nan weights, as in PyTorch); with need_weights=False the
attention goes through scaled_dot_product_attention (such a query gets zeros) and None is returned.
"""
import math
import warnings

import numpy as np

from tinygrad_like.device import check_device
from tinygrad_like.dtypes import to_dtype
from tinygrad_like.nn import functional as F
from tinygrad_like.nn import init
from tinygrad_like.nn.layers import Linear
from tinygrad_like.nn.module import Module
from tinygrad_like.nn.parameter import Parameter
from tinygrad_like.tensor import ShapeError, Tensor, _wrap, cat


class NonDynamicallyQuantizableLinear(Linear):
    """MultiheadAttention's out_proj: a Linear (PyTorch's class name, which shows in reprs)."""


def _canonical_mask(mask, name, other, other_name, dtype):
    """A bool mask (True: hidden) as a float one (-inf where hidden, 0 elsewhere); float masks pass."""
    if mask is None:
        return None
    mask = mask if isinstance(mask, Tensor) else _wrap(np.asarray(mask))
    if mask.dtype != np.bool_ and mask.dtype.kind != "f":
        raise TypeError(f"multi_head_attention_forward: {name} must be bool or floating point, got {mask.dtype}")
    if other is not None and mask.dtype != other.dtype:
        warnings.warn(f"Support for mismatched {name} and {other_name} is deprecated. Use same type for both "
                      "instead.", stacklevel=3)
    if mask.dtype == np.bool_:
        return _wrap(np.where(mask._data, -np.inf, 0).astype(dtype))
    return mask


def _pad_last(mask):
    """One more key column of zeros (a key nothing hides): for bias_k and add_zero_attn."""
    return cat([mask, _wrap(np.zeros(mask.shape[:-1] + (1,), mask.dtype))], -1)


def _in_projection(query, key, value, weight, bias, embed_dim):
    """q, k and v from the packed (3E, E) in-projection: one product for self-attention, as PyTorch."""
    def part(tensor, start, stop):
        return None if tensor is None else tensor[start * embed_dim:stop * embed_dim]

    if key is value:
        if query is key:
            projected = F.linear(query, weight, bias)
            return tuple(projected[..., i * embed_dim:(i + 1) * embed_dim] for i in range(3))
        kv = F.linear(key, part(weight, 1, 3), part(bias, 1, 3))
        return F.linear(query, part(weight, 0, 1), part(bias, 0, 1)), kv[..., :embed_dim], kv[..., embed_dim:]
    return tuple(F.linear(x, part(weight, i, i + 1), part(bias, i, i + 1)) for i, x in enumerate((query, key, value)))


def _check_shapes(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Batched (3-D) or unbatched (2-D) inputs with masks of matching dimensions; True when batched."""
    batched = query.ndim == 3
    if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
        raise ShapeError(f"multi_head_attention_forward: query, key and value must all be batched (3-D: L, N, E) or "
                         f"unbatched (2-D: L, E), got shapes {query.shape}, {key.shape} and {value.shape}")
    if key_padding_mask is not None and key_padding_mask.ndim != query.ndim - 1:
        raise ShapeError(f"multi_head_attention_forward: key_padding_mask must be {query.ndim - 1}-D for a "
                         f"{query.ndim}-D query, got shape {key_padding_mask.shape}")
    if attn_mask is not None and attn_mask.ndim not in (2, 3):
        raise ShapeError(f"multi_head_attention_forward: attn_mask must be 2-D (L, S) or 3-D (N * num_heads, L, S), "
                         f"got shape {attn_mask.shape}")
    if not batched and attn_mask is not None and attn_mask.ndim == 3:
        expected = (num_heads, query.shape[0], key.shape[0])
        if attn_mask.shape != expected:
            raise ShapeError(f"multi_head_attention_forward: a 3-D attn_mask for unbatched inputs must have shape "
                             f"{expected}, got {attn_mask.shape}")
    return batched


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """PyTorch's torch.nn.functional.multi_head_attention_forward: query (L, N, E), key (S, N, kdim), value
    (S, N, vdim), or the same without N; returns (output (L, N, E), weights (N, L, S) averaged over the
    heads, (N, num_heads, L, S) with average_attn_weights=False, or None with need_weights=False)."""
    batched = _check_shapes(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    length, batch, embed_dim = query.shape
    source = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", attn_mask, "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise ValueError("multi_head_attention_forward: is_causal=True is a hint that attn_mask is causal: give the "
                         "mask too (e.g. nn.Transformer.generate_square_subsequent_mask(L))")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # scaled_dot_product_attention makes the causal mask itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer causal
    if embed_dim != embed_dim_to_check:
        raise ShapeError(f"multi_head_attention_forward: expected embedding dimension {embed_dim_to_check}, got "
                         f"{embed_dim} (query shape {query.shape})")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise ValueError(f"multi_head_attention_forward: embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise ShapeError(f"multi_head_attention_forward: key's sequence and batch dimensions {key.shape[:2]} do "
                             f"not match value's {value.shape[:2]}")
        biases = (None,) * 3 if in_proj_bias is None else tuple(
            in_proj_bias[i * embed_dim:(i + 1) * embed_dim] for i in range(3))
        q, k, v = (F.linear(x, w, b) for x, w, b in zip((query, key, value),
                                                         (q_proj_weight, k_proj_weight, v_proj_weight), biases))
    else:
        if key.shape != value.shape:
            raise ShapeError(f"multi_head_attention_forward: key shape {key.shape} does not match value shape "
                             f"{value.shape}")
        q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias, embed_dim)
    if attn_mask is not None:
        expected = (length, source) if attn_mask.ndim == 2 else (batch * num_heads, length, source)
        if attn_mask.shape != expected:
            raise ShapeError(f"multi_head_attention_forward: the shape of the {attn_mask.ndim}-D attn_mask is "
                             f"{attn_mask.shape}, but should be {expected}")
        if attn_mask.ndim == 2:
            attn_mask = attn_mask.unsqueeze(0)
    if (bias_k is None) != (bias_v is None):
        raise ValueError("multi_head_attention_forward: give both bias_k and bias_v, or neither")
    if bias_k is not None:
        if static_k is not None or static_v is not None:
            raise ValueError("multi_head_attention_forward: bias_k and bias_v cannot be added to static keys and values")
        k = cat([k, bias_k.expand(1, batch, embed_dim)])
        v = cat([v, bias_v.expand(1, batch, embed_dim)])
        attn_mask = None if attn_mask is None else _pad_last(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_last(key_padding_mask)
    # heads: (L, N, E) -> (N * num_heads, L, head_dim)
    q = q.reshape(length, batch * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, "static_k", batch * num_heads, head_dim)
    v = _heads(v, static_v, "static_v", batch * num_heads, head_dim)
    if add_zero_attn:
        zeros = _wrap(np.zeros((batch * num_heads, 1, head_dim), k.dtype))
        k, v = cat([k, zeros], 1), cat([v, zeros.astype(v.dtype)], 1)
        attn_mask = None if attn_mask is None else _pad_last(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_last(key_padding_mask)
    source = k.shape[1]
    if key_padding_mask is not None:
        if key_padding_mask.shape != (batch, source):
            raise ShapeError(f"multi_head_attention_forward: key_padding_mask must have shape (N, S) = "
                             f"{(batch, source)}, got {key_padding_mask.shape}")
        key_padding_mask = (key_padding_mask.reshape(batch, 1, 1, source).expand(batch, num_heads, 1, source)
                            .reshape(batch * num_heads, 1, source))
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0
    if need_weights:
        scores = (q * math.sqrt(1.0 / head_dim)) @ k.transpose(-2, -1)
        if attn_mask is not None:
            scores = attn_mask + scores
        with np.errstate(invalid="ignore"):  # a query that sees no key: nan weights, as in PyTorch
            weights = scores.softmax(-1)
        if dropout_p > 0.0:
            weights = F.dropout(weights, p=dropout_p)
        output = (weights @ v).transpose(0, 1).reshape(length * batch, embed_dim)
        output = F.linear(output, out_proj_weight, out_proj_bias).reshape(length, batch, embed_dim)
        weights = weights.reshape(batch, num_heads, length, source)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            output, weights = output.squeeze(1), weights.squeeze(0)
        return output, weights
    if attn_mask is not None:
        attn_mask = (attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1
                     else attn_mask.reshape(batch, num_heads, -1, source))
    q, k, v = (x.reshape(batch, num_heads, x.shape[1], head_dim) for x in (q, k, v))
    output = F.scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    output = output.permute(2, 0, 1, 3).reshape(batch * length, embed_dim)
    output = F.linear(output, out_proj_weight, out_proj_bias).reshape(length, batch, embed_dim)
    return (output if batched else output.squeeze(1)), None


def _heads(x, static, name, rows, head_dim):
    """(S, N, E) -> (N * num_heads, S, head_dim), or the given static keys or values of that shape."""
    if static is None:
        return x.reshape(x.shape[0], rows, head_dim).transpose(0, 1)
    if static.shape[0] != rows or static.shape[2] != head_dim:
        raise ShapeError(f"multi_head_attention_forward: {name} must have shape (N * num_heads, S, head_dim) with "
                         f"N * num_heads = {rows} and head_dim = {head_dim}, got {static.shape}")
    return static


class MultiheadAttention(Module):
    """Attention of queries to keys and values in num_heads heads of embed_dim // num_heads dimensions
    (PyTorch's nn.MultiheadAttention: parameters, names, initialisation, masks and outputs).

    Inputs are (L, N, E) (or (N, L, E) with batch_first=True) or unbatched (L, E); key and value have
    kdim and vdim features. forward returns (output, attention weights averaged over the heads, or per
    head with average_attn_weights=False, or None with need_weights=False). key_padding_mask (N, S) and
    attn_mask (L, S) or (N * num_heads, L, S) are bool (True hides the key) or float (added to the
    scores); is_causal=True is a hint that attn_mask is the causal mask.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads}")
        check_device(device, "MultiheadAttention")
        dtype = to_dtype(dtype, "MultiheadAttention") or np.dtype(np.float32)
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(np.empty((embed_dim, embed_dim), dtype))
            self.k_proj_weight = Parameter(np.empty((embed_dim, self.kdim), dtype))
            self.v_proj_weight = Parameter(np.empty((embed_dim, self.vdim), dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.empty(3 * embed_dim, dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, embed_dim), dtype))
            self.bias_v = Parameter(np.empty((1, 1, embed_dim), dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", attn_mask, "attn_mask", query.dtype)
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype)
        batched = query.ndim == 3
        if self.batch_first and batched:  # to (L, N, E), keeping which inputs are the same tensor
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = (x.transpose(1, 0) for x in (query, key))
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        output, weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias, self.bias_k,
            self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if self.batch_first and batched:
            output = output.transpose(1, 0)
        return output, weights
