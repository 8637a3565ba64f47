"""`tf.TensorArray`: a list of same-shaped tensors built up by writes, read back by index,
stacked or concatenated, most often inside `tf.while_loop`.

The array is a value, its `flow` tensor: the elements stacked, [size, *element_shape].
Every write (`TensorArraySet`) makes a new flow from the old one, so an array is a plain
loop variable of a while loop (its flow is what the loop carries, the Python object is
rebuilt around it) and gradients flow through writes and reads like through any op. An
array whose element shape is not known yet is [size] zeros until the first write fixes it.
Reading an element never written gives zeros (TF1 raises); an element is written once in
the programs TF1 accepts, so they compute the same values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import Tensor, apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, math as _math

_INDEX = (_dt.int32, _dt.int64)


# Kernels ------------------------------------------------------------------------------------
def _set_kernel(flow, indices, value, *, dynamic_size):
    idx = np.asarray(indices).astype(np.int64)
    value = np.asarray(value)
    element = value.shape if idx.ndim == 0 else value.shape[1:]
    if idx.ndim == 1 and len(value) != len(idx):
        raise InvalidArgumentError(
            None, None, f"Could not scatter: {len(idx)} indices but {len(value)} values"
        )
    if flow.shape[1:] == element:
        out = flow.copy()
    elif flow.ndim == 1:  # no element shape yet: the first write fixes it
        out = np.zeros((flow.shape[0],) + element, flow.dtype)
    else:
        raise InvalidArgumentError(
            None, None, f"Could not write to TensorArray index {idx.tolist()} because the "
            f"value shape is {list(element)} which is incompatible with the TensorArray's "
            f"inferred element shape: {list(flow.shape[1:])}")  # fmt: skip
    if idx.size and idx.min() < 0:
        raise InvalidArgumentError(None, None, f"Tried to write to index {idx.min()}")
    top = int(idx.max()) + 1 if idx.size else 0
    if top > len(out):
        if not dynamic_size:
            raise InvalidArgumentError(
                None, None, f"Tried to write to index {top - 1} but array is not resizeable "
                f"and size is: {len(out)}")  # fmt: skip
        out = np.concatenate([out, np.zeros((top - len(out),) + element, out.dtype)])
    out[idx] = value
    return out


def _unset_kernel(flow, indices, grad):
    """The gradient of the flow a write started from: the outgoing gradient on the rows the
    write did not touch (an array without elements yet gets zeros)."""
    if grad.ndim != flow.ndim or grad.shape[1:] != flow.shape[1:]:
        return np.zeros_like(flow)
    out = np.array(grad[: len(flow)], copy=True)
    idx = np.asarray(indices).astype(np.int64).reshape(-1)
    out[idx[idx < len(flow)]] = 0  # rows past the end were added by the write
    return out


def _set_infer(flow, indices, value, *, dynamic_size):
    if indices.shape.ndims not in (None, 0, 1):
        raise ValueError(f"Shape must be rank 0 or 1 for 'TensorArraySet' (indices), got "
                         f"{indices.shape}")  # fmt: skip
    if indices.shape.ndims == 0:
        element = value.shape
    elif value.shape.ndims is None:
        element = TensorShape(None)
    else:
        element = TensorShape(value.shape.as_list()[1:])
    rows = flow.shape.as_list()[0] if flow.shape.ndims else None
    dims = None if element.ndims is None else [None if dynamic_size else rows] + element.as_list()
    return TensorSpec(flow.dtype, TensorShape(dims))


def _set_grad(op, grad):
    flow, indices, _ = op.inputs
    d_flow = apply_op("TensorArrayUnset", [flow, indices, grad]).outputs[0]
    return [d_flow, None, _array.gather(grad, indices)]


register_op(
    OpDef(
        "TensorArraySet",
        inputs=["flow: T", "indices: Tindices", "value: T"],
        outputs=["flow_out: T"],
        types={"T": (), "Tindices": _INDEX},
        attrs={"dynamic_size": False},
        infer=_set_infer,
        kernel=_set_kernel,
        grad=_set_grad,
    )
)
register_op(
    OpDef(
        "TensorArrayUnset",
        inputs=["flow: T", "indices: Tindices", "grad: T"],
        outputs=["d_flow: T"],
        types={"T": (), "Tindices": _INDEX},
        infer=lambda flow, indices, grad: TensorSpec(flow.dtype, flow.shape),
        kernel=_unset_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


# The Python object -----------------------------------------------------------------------------
class TensorArray:
    """TF1's `tf.TensorArray(dtype, size=None, dynamic_size=None, clear_after_read=None,
    tensor_array_name=None, handle=None, flow=None, infer_shape=True, element_shape=None,
    colocate_with_first_write_call=True, name=None)`."""

    def __init__(
        self,
        dtype,
        size=None,
        dynamic_size=None,
        clear_after_read=None,
        tensor_array_name=None,
        handle=None,
        flow=None,
        infer_shape=True,
        element_shape=None,
        colocate_with_first_write_call=True,
        name=None,
    ):
        self._dtype = _dt.as_dtype(dtype)
        self._dynamic_size = bool(dynamic_size)
        self._infer_shape = infer_shape
        # Shared by every array derived from this one (as TF's), so a shape learned by a
        # write inside a loop body is known to the array the loop returns.
        self._shape_cell = [TensorShape(element_shape)]
        self._rows = None  # the size, when fixed and known at construction
        if flow is not None:
            self._flow = convert_to_tensor(flow)
            return
        if size is None:
            raise ValueError("Size must be provided if handle is not provided")
        with name_scope(name or tensor_array_name, "TensorArray") as scope:
            size = convert_to_tensor(size, dtype=_dt.int32, name="size")
            element = self._shape_cell[0]
            dims = [size] if not element.is_fully_defined() else [size] + element.as_list()
            zeros = _array.zeros(_array.stack(dims), self._dtype)
            # The static shape a loop carries: the size unless the array grows, the element
            # shape once known (unknown rank before, so the first write may fix it).
            rows = self._rows = None if self._dynamic_size else _static_int(size)
            static = [rows] + element.as_list() if element.is_fully_defined() else None
            self._flow = _array.placeholder_with_default(zeros, static, name=scope)

    # TF's properties
    @property
    def flow(self) -> Tensor:
        return self._flow

    @property
    def handle(self) -> Tensor:
        return self._flow

    @property
    def dtype(self):
        return self._dtype

    @property
    def dynamic_size(self) -> bool:
        return self._dynamic_size

    @property
    def element_shape(self) -> TensorShape:
        return self._shape_cell[0]

    def _with_flow(self, flow) -> TensorArray:
        """This array (its dtype, size rule and shared element shape) around `flow`."""
        out = object.__new__(TensorArray)
        out.__dict__.update(self.__dict__)
        out._flow = flow
        return out

    def _merge_shape(self, shape: TensorShape) -> None:
        if not self._infer_shape or shape.ndims is None:
            return
        known = self._shape_cell[0]
        if not known.is_compatible_with(shape):
            raise ValueError(
                f"Inconsistent shapes: saw {shape} but expected {known} (and infer_shape=True)"
            )
        self._shape_cell[0] = known.merge_with(shape)

    # Writing
    def write(self, index, value, name=None) -> TensorArray:
        """The array with `value` at `index`."""
        with name_scope(name, "TensorArrayWrite"):
            value = convert_to_tensor(value, dtype=self._dtype, name="value")
            self._merge_shape(value.shape)
            return self._set(convert_to_tensor(index, dtype=_dt.int32), value)

    def scatter(self, indices, value, name=None) -> TensorArray:
        """The array with value[i] at indices[i]."""
        with name_scope(name, "TensorArrayScatter"):
            value = convert_to_tensor(value, dtype=self._dtype, name="value")
            if value.shape.ndims:
                self._merge_shape(TensorShape(value.shape.as_list()[1:]))
            return self._set(convert_to_tensor(indices, dtype=_dt.int32), value)

    def unstack(self, value, name=None) -> TensorArray:
        """The array whose elements are value's rows."""
        with name_scope(name, "TensorArrayUnstack"):
            value = convert_to_tensor(value, dtype=self._dtype, name="value")
            if value.shape.ndims:
                self._merge_shape(TensorShape(value.shape.as_list()[1:]))
            return self._set(_math.range_(_shape_of(value)[0]), value)

    def split(self, value, lengths, name=None) -> TensorArray:
        """The array whose elements are consecutive pieces of `value` of `lengths` rows
        (equal lengths: the elements are one dense array)."""
        with name_scope(name, "TensorArraySplit"):
            value = convert_to_tensor(value, dtype=self._dtype, name="value")
            lengths = convert_to_tensor(lengths, dtype=_dt.int64, name="lengths")
            static = _static_value(lengths)
            if static is not None and len(set(static.tolist())) > 1:
                raise NotImplementedError(
                    "TensorArray.split into pieces of different lengths: psflow's arrays "
                    "hold same-shaped elements"
                )
            n = _array.size(lengths)
            rest = _shape_of(value)[1:]
            lead = _array.stack([n, _array.constant(-1, _dt.int32)])
            pieces = _array.reshape(value, _array.concat([lead, rest], 0))
            return self.unstack(pieces)

    def _set(self, indices, value) -> TensorArray:
        op = apply_op(
            "TensorArraySet",
            [self._flow, indices, value],
            {"dynamic_size": self._dynamic_size},
        )
        return self._with_flow(op.outputs[0])

    # Reading
    def read(self, index, name=None) -> Tensor:
        """The element at `index`."""
        with name_scope(name, "TensorArrayRead"):
            out = _array.gather(self._flow, convert_to_tensor(index, dtype=_dt.int32))
            return self._shaped(out, [])

    def gather(self, indices, name=None) -> Tensor:
        """The elements at `indices`, stacked."""
        with name_scope(name, "TensorArrayGather"):
            out = _array.gather(self._flow, convert_to_tensor(indices, dtype=_dt.int32))
            return self._shaped(out, [None])

    def stack(self, name=None) -> Tensor:
        """Every element, stacked: [size, *element_shape]."""
        with name_scope(name, "TensorArrayStack"):
            return self._shaped(_array.identity(self._flow), [self._rows])

    def concat(self, name=None) -> Tensor:
        """Every element, concatenated along their first axis."""
        with name_scope(name, "TensorArrayConcat"):
            shape = _shape_of(self._flow)
            merged = _array.concat([_array.constant([-1], _dt.int32), shape[2:]], 0)
            return _array.reshape(self._flow, merged)

    def _shaped(self, tensor, lead):
        element = self._shape_cell[0]
        if element.ndims is not None:
            tensor.set_shape(lead + element.as_list())
        return tensor

    def size(self, name=None) -> Tensor:
        """The number of elements (for a dynamic array: one past the highest written)."""
        with name_scope(name, "TensorArraySize"):
            return _shape_of(self._flow)[0]

    def identity(self) -> TensorArray:
        return self._with_flow(_array.identity(self._flow))

    def close(self, name=None):
        """Nothing to release: the array is its flow value."""
        from .control_flow import no_op

        return no_op(name=name or "TensorArrayClose")

    def grad(self, source, flow=None, name=None):
        raise NotImplementedError(
            "TensorArray.grad: gradients of arrays flow through tf.gradients in psflow"
        )


def _shape_of(t) -> Any:
    """shape(t), typed for indexing."""
    return _array.shape(t)


def _static_value(t):
    from ..framework import constant_value

    value = constant_value(t)
    return None if value is None else np.asarray(value)


def _static_int(t):
    value = _static_value(t)
    return None if value is None else int(value)
