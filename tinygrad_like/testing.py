"""Hypothesis strategies and assertions for testing ops and layers.

They need hypothesis: `pip install hypothesis`, or the `dev` extra (`pip install -e '.[dev]'` in a
checkout of tinygrad_like).

    from hypothesis import given
    from tinygrad_like import gradcheck
    from tinygrad_like.testing import tensors

    @given(tensors(min_value=0.1, max_value=3))
    def test_my_op(x):
        assert gradcheck(my_op, x)
"""
import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("tinygrad_like.testing needs hypothesis: pip install hypothesis (or, in a checkout of "
                      "tinygrad_like, pip install -e '.[dev]')") from error

from tinygrad_like.tensor import Tensor


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=4):
    """Array shapes (tuples of ints)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def arrays(shape=None, dtype=np.float64, min_value=-3.0, max_value=3.0, **shape_options):
    """numpy arrays of `shape` (drawn with `shapes(**shape_options)` when None), finite values in bounds."""
    dtype = np.dtype(dtype)
    # hypothesis wants bounds exact at the width: round them inwards (0.1 is no float32)
    low, high = dtype.type(min_value), dtype.type(max_value)
    if low < min_value:
        low = np.nextafter(low, dtype.type(np.inf))
    if high > max_value:
        high = np.nextafter(high, dtype.type(-np.inf))
    elements = st.floats(float(low), float(high), allow_nan=False, allow_infinity=False, width=dtype.itemsize * 8)
    return hnp.arrays(dtype, shapes(**shape_options) if shape is None else shape, elements=elements)


def tensors(shape=None, dtype=np.float64, min_value=-3.0, max_value=3.0, requires_grad=True, **shape_options):
    """Tensors like `arrays(...)`; float64 and requiring grad by default, ready for gradcheck."""
    return arrays(shape, dtype, min_value, max_value, **shape_options).map(
        lambda a: Tensor(a, requires_grad=requires_grad))


def broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=4):
    """Tuples of `num_shapes` shapes that broadcast together (numpy's rules)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims,
                                             min_side=min_side, max_side=max_side).map(lambda s: s.input_shapes)


def axes(ndim, allow_none=True):
    """A valid `axis` argument for an array of `ndim` dimensions: None, an int (maybe negative) or a tuple."""
    if ndim:
        options = [hnp.valid_tuple_axes(ndim, min_size=1), st.integers(-ndim, ndim - 1)]
    else:  # a 0-d array has no axis to name: only () (and None) are valid
        options = [st.just(())]
    if allow_none:
        options.append(st.none())
    return st.one_of(options)


def basic_indices(shape):
    """Integers, slices, Ellipsis and None (numpy's basic indexing) for an array of `shape`."""
    return hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True)


def integer_array_indices(shape, max_length=6):
    """A tuple of integer arrays indexing the leading axes of `shape`; indices may repeat."""
    return hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2,
                                                                          max_side=max_length))


def boolean_masks(shape):
    """Boolean arrays of `shape`, for mask indexing."""
    return hnp.arrays(np.bool_, shape)


def assert_close(actual, expected, rtol=1e-7, atol=0.0, message=""):
    """Compare tensors or arrays: same shape, values close (numpy's assert_allclose semantics)."""
    actual = np.asarray(actual._data if isinstance(actual, Tensor) else actual)
    expected = np.asarray(expected._data if isinstance(expected, Tensor) else expected)
    if actual.shape != expected.shape:
        raise AssertionError(f"{message} shapes differ: {actual.shape} vs expected {expected.shape}".strip())
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=message)
