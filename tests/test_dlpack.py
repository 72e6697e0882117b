"""DLPack and numpy's array protocol: Tensor.__dlpack__ / __dlpack_device__, tinygrad_like.from_dlpack and
Tensor.__array__ with numpy 2's copy= semantics.

Memory is shared, never copied: a write through either side shows in the other (checked with numpy, and
against torch in the tests marked torch).
"""
import numpy as np
import pytest

import tinygrad_like as tl
from tinygrad_like import Function, Tensor, autograd

DTYPES = [np.float32, np.float64, np.float16, np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_,
          np.complex64]


def sample(dtype, shape=(2, 3)):
    return (np.arange(int(np.prod(shape))).reshape(shape) % 3).astype(dtype)


# ---- DLPack, with numpy as the other side --------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_reads_a_tensor_through_dlpack_without_a_copy(dtype):
    t = Tensor(sample(dtype))
    array = np.from_dlpack(t)
    assert array.dtype == dtype and array.shape == (2, 3) and np.shares_memory(array, t.numpy())
    array[0, 0] = 1
    assert t.numpy()[0, 0] == 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_from_dlpack_wraps_a_producers_memory(dtype):
    array = sample(dtype)
    t = tl.from_dlpack(array)
    assert isinstance(t, Tensor) and t.dtype == dtype and t.shape == (2, 3)
    assert np.shares_memory(t.numpy(), array) and not t.requires_grad
    array[1, 2] = 1
    assert t.numpy()[1, 2] == 1


@pytest.mark.parametrize("make", [lambda a: a.T, lambda a: a[:, ::2], lambda a: a[1], lambda a: a[2, 1:2].reshape(())],
                         ids=["transposed", "strided", "row", "0-d"])
def test_views_keep_their_strides_and_share_memory(make):
    base = Tensor(np.arange(12.0).reshape(3, 4))
    view = make(base)
    round_trip = tl.from_dlpack(view)
    assert round_trip.shape == view.shape and round_trip.numpy().strides == view.numpy().strides
    np.testing.assert_array_equal(round_trip.numpy(), view.numpy())
    assert np.shares_memory(round_trip.numpy(), base.numpy())


def test_dlpack_device_is_the_cpu():
    assert Tensor([1.0]).__dlpack_device__() == (1, 0)  # kDLCPU, device 0


def test_a_tensor_that_requires_grad_is_refused_as_in_pytorch():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(BufferError, match=r"__dlpack__: this tensor \(shape \(2,\)\) requires grad.*detach"):
        np.from_dlpack(w)
    with pytest.raises(BufferError, match="requires grad"):
        np.from_dlpack(w * 2)  # a result in the graph too
    assert np.shares_memory(np.from_dlpack(w.detach()), w.numpy())


def test_from_dlpack_of_a_tensor_and_of_a_bare_capsule():
    t = Tensor([1.0, 2.0, 3.0])
    again = tl.from_dlpack(t)
    assert again is not t and np.shares_memory(again.numpy(), t.numpy())
    array = np.arange(3.0)
    from_capsule = tl.from_dlpack(array.__dlpack__())  # the legacy form: a capsule without its producer
    np.testing.assert_array_equal(from_capsule.numpy(), array)
    assert np.shares_memory(from_capsule.numpy(), array)


def test_from_dlpack_of_something_else_says_what_it_takes():
    with pytest.raises(TypeError, match=r"from_dlpack\(\): expects an object with __dlpack__ .* got a list"):
        tl.from_dlpack([1.0, 2.0])


def test_from_dlpack_is_in_the_namespace_as_in_pytorch():
    assert "from_dlpack" in tl.__all__ and tl.from_dlpack.__module__ == "tinygrad_like.dlpack"


def test_a_captured_step_refuses_a_dlpack_export_as_it_refuses_np_asarray():
    from tinygrad_like.jit import JitError
    weight = Tensor([[1.0, -1.0]], requires_grad=True)

    def step(x):
        out = (Tensor(x) @ weight.T).sum()
        np.from_dlpack(out.detach())  # another library reads the values: a replay would run no such code
        return out

    step(np.ones((1, 2)))  # eager, the export is free
    captured = tl.jit(step)  # its first calls run eagerly while they are recorded
    with pytest.raises(JitError, match=r"reads a tensor's values with __dlpack__\(\)"):
        captured(np.ones((1, 2)))


# ---- __array__: numpy 2's copy= ----------------------------------------------------------------------
def test_asarray_shares_memory_and_array_copies():
    t = Tensor(np.arange(4.0))
    assert np.shares_memory(np.asarray(t), t.numpy())
    assert np.shares_memory(np.asarray(t, copy=False), t.numpy())
    copied = np.array(t)
    assert not np.shares_memory(copied, t.numpy())
    np.testing.assert_array_equal(copied, t.numpy())
    assert not np.shares_memory(np.asarray(t, copy=True), t.numpy())


def test_a_dtype_conversion_copies_unless_copy_is_false():
    t = Tensor(np.arange(3, dtype=np.float32))
    converted = np.asarray(t, dtype=np.float64)
    assert converted.dtype == np.float64 and not np.shares_memory(converted, t.numpy())
    assert np.shares_memory(np.asarray(t, dtype=np.float32, copy=False), t.numpy())  # no conversion needed
    with pytest.raises(ValueError, match=r"copy=False\): a float32 tensor of shape \(3,\) cannot become float64 "
                                         r"without a copy; pass copy=None"):
        np.asarray(t, dtype=np.float64, copy=False)


class ExportsInBackward(Function):
    """A backward that hands its gradient to another library: fine on arrays, an error when recorded."""

    export = staticmethod(np.asarray)

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @classmethod
    def backward(cls, ctx, grad):
        return Tensor._wrap(cls.export(grad) * 2) if isinstance(grad, Tensor) else grad * 2


class DLPackInBackward(ExportsInBackward):
    export = staticmethod(np.from_dlpack)


@pytest.mark.parametrize("op, what", [(ExportsInBackward, "numpy array"), (DLPackInBackward, "DLPack capsule")])
def test_both_protocols_refuse_inside_a_recorded_backward(op, what):
    x = Tensor([1.0, 2.0], requires_grad=True)
    g, = autograd.grad(op.apply(x).sum(), x)
    np.testing.assert_array_equal(g.numpy(), [2.0, 2.0])  # the fast path: arrays, no refusal
    with pytest.raises(TypeError, match=f"create_graph=True turned a tensor of shape .* into a {what}"):
        autograd.grad(op.apply(x).sum(), x, create_graph=True)


# ---- against torch ----------------------------------------------------------------------------------
TORCH_DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool", "complex64"]


@pytest.mark.torch
@pytest.mark.parametrize("dtype", TORCH_DTYPES)
def test_torch_from_dlpack_shares_memory_with_the_tensor(dtype):
    torch = pytest.importorskip("torch")
    t = Tensor(sample(np.dtype(dtype), (3, 4)))
    theirs = torch.from_dlpack(t)
    assert str(theirs.dtype) == f"torch.{dtype}" and tuple(theirs.shape) == (3, 4)
    np.testing.assert_array_equal(theirs.numpy(), t.numpy())
    theirs[2, 3] = 1
    assert t.numpy()[2, 3] == 1 and theirs.data_ptr() == t.numpy().ctypes.data


@pytest.mark.torch
@pytest.mark.parametrize("dtype", TORCH_DTYPES)
def test_tl_from_dlpack_shares_memory_with_a_torch_tensor(dtype):
    torch = pytest.importorskip("torch")
    theirs = torch.from_numpy(sample(np.dtype(dtype), (3, 4)))
    ours = tl.from_dlpack(theirs)
    assert ours.dtype == np.dtype(dtype) and ours.shape == (3, 4)
    ours.numpy()[0, 1] = 1
    assert theirs[0, 1].item() == 1 and ours.numpy().ctypes.data == theirs.data_ptr()


@pytest.mark.torch
def test_strided_views_cross_to_torch_and_back():
    torch = pytest.importorskip("torch")
    base = Tensor(np.arange(24.0, dtype=np.float32).reshape(4, 6))
    view = base.T[::2]
    theirs = torch.from_dlpack(view)
    assert theirs.stride() == tuple(s // 4 for s in view.numpy().strides)
    np.testing.assert_array_equal(theirs.numpy(), view.numpy())
    back = tl.from_dlpack(theirs.t())
    np.testing.assert_array_equal(back.numpy(), view.numpy().T)
    assert np.shares_memory(back.numpy(), base.numpy())


@pytest.mark.torch
def test_torch_refusals_come_back_with_what_to_do():
    torch = pytest.importorskip("torch")
    with pytest.raises(BufferError, match="from_dlpack\\(\\): numpy cannot share this Tensor's memory .* detach it"):
        tl.from_dlpack(torch.ones(2, requires_grad=True))
    with pytest.raises(RuntimeError, match="numpy cannot share .*convert it to a numpy dtype"):
        tl.from_dlpack(torch.ones(2, dtype=torch.bfloat16))
    with pytest.raises(BufferError, match="requires grad"):
        torch.from_dlpack(Tensor([1.0], requires_grad=True))
