"""Conditional accumulators (TF1's gradient aggregation for synchronous training):
ConditionalAccumulator collects dense gradients, SparseConditionalAccumulator IndexedSlices;
a gradient whose local_step is older than the accumulator's global step is dropped;
take_grad waits until num_required gradients are in, returns their mean (or sum), clears
them and advances the global step. Like queues, an accumulator lives in the VariableStore
of the process that runs its ops (`store.accumulators`, by shared name)."""

from __future__ import annotations

import threading

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import apply_op, convert_to_tensor, get_default_graph
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape

WAIT_S = 0.05


class _Accumulator:
    def __init__(self, sparse):
        self.sparse = sparse
        self.cond = threading.Condition()
        self.global_step = 0
        self.count = 0
        self.total = None  # dense: the sum; sparse: {index: (summed row, times seen)}

    def add(self, grad, local_step, shape):
        with self.cond:
            if local_step < self.global_step:
                return  # stale: dropped
            if self.sparse:
                indices, values = grad
                self.total = self.total or {}
                for i, row in zip(np.asarray(indices).tolist(), np.asarray(values)):
                    summed, seen = self.total.get(i, (0, 0))
                    self.total[i] = (summed + row, seen + 1)
            else:
                grad = np.asarray(grad)
                if shape and list(grad.shape) != list(shape):
                    raise InvalidArgumentError(
                        None,
                        None,
                        f"Shape mismatch: expected {list(shape)}, got {list(grad.shape)}",
                    )
                self.total = grad.copy() if self.total is None else self.total + grad
            self.count += 1
            self.cond.notify_all()

    def take(self, num_required, mean):
        with self.cond:
            if num_required < 1:
                raise InvalidArgumentError(None, None, f"Invalid num_required: {num_required}")
            while self.count < num_required:
                self.cond.wait(WAIT_S)
            total, count = self.total, self.count
            self.total, self.count = None, 0
            self.global_step += 1
            return total, count


_ATTRS = {
    "shared_name": "",
    "dtype": "float32",
    "shape": [],
    "reduction_type": "MEAN",
    "sparse": False,
}


def _accumulator(state, shared_name, sparse, **_):
    store = state.store
    with store._lock:
        found = store.accumulators.get(shared_name)
        if found is None:
            found = store.accumulators[shared_name] = _Accumulator(sparse)
    return found


def _apply_kernel(state, local_step, *grad, **attrs):
    acc = _accumulator(state, **attrs)
    acc.add(grad if attrs["sparse"] else grad[0], int(local_step), attrs["shape"])
    return None


def _take_kernel(state, num_required, **attrs):
    acc = _accumulator(state, **attrs)
    total, count = acc.take(int(num_required), attrs["reduction_type"] == "MEAN")
    dtype = _dt.as_dtype(attrs["dtype"]).np
    if not attrs["sparse"]:
        out = total / count if attrs["reduction_type"] == "MEAN" else total
        return (np.asarray(out, dtype),)
    indices = sorted(total or {})
    rows = [
        total[i][0] / total[i][1] if attrs["reduction_type"] == "MEAN" else total[i][0]
        for i in indices
    ]
    shape = attrs["shape"] or ([max(indices) + 1] if indices else [0])
    if rows:
        values = np.asarray(rows, dtype).reshape((len(indices), *shape[1:]))
    else:
        values = np.zeros((0, *shape[1:]), dtype)
    return np.asarray(indices, np.int64), values, np.asarray(shape, np.int64)


def _num_kernel(state, **attrs):
    acc = _accumulator(state, **attrs)
    with acc.cond:
        return np.int32(acc.count)


def _set_step_kernel(state, new_global_step, **attrs):
    acc = _accumulator(state, **attrs)
    with acc.cond:
        acc.global_step = max(acc.global_step, int(new_global_step))
    return None


def _take_infer(num_required, *, dtype, shape, sparse, **_):
    if not sparse:
        return TensorSpec(_dt.as_dtype(dtype), TensorShape(shape or None))
    return [
        TensorSpec(_dt.int64, TensorShape([None])),
        TensorSpec(_dt.as_dtype(dtype), TensorShape([None] + list(shape[1:]) if shape else None)),
        TensorSpec(_dt.int64, TensorShape([None])),
    ]


for _type, _kernel, _inputs, _outputs, _infer in (
    (
        "AccumulatorApplyGradient",
        _apply_kernel,
        ["local_step: int64", "gradient: N*any"],
        [],
        lambda *a, **k: [],
    ),
    ("AccumulatorTakeGradient", _take_kernel, ["num_required: int32"], ["out: N*any"], _take_infer),
    (
        "AccumulatorNumAccumulated",
        _num_kernel,
        [],
        ["num_accumulated: int32"],
        lambda **k: TensorSpec(_dt.int32, TensorShape([])),
    ),
    (
        "AccumulatorSetGlobalStep",
        _set_step_kernel,
        ["new_global_step: int64"],
        [],
        lambda *a, **k: [],
    ),
):
    register_op(
        OpDef(
            _type,
            inputs=_inputs,
            outputs=_outputs,
            attrs=dict(_ATTRS),
            infer=_infer,
            kernel=_kernel,
            grad=NOT_DIFFERENTIABLE,
            stateful=True,
        )
    )


class ConditionalAccumulatorBase:
    """What the dense and sparse accumulators share: their name, dtype, shape, the count
    of gradients in and the global step's setter."""

    def __init__(self, dtype, shape, sparse, shared_name, name, reduction_type):
        if reduction_type not in ("MEAN", "SUM"):
            raise ValueError(f"reduction_type must be MEAN or SUM, got {reduction_type!r}")
        self._dtype = _dt.as_dtype(dtype)
        self._shape = TensorShape(shape)
        self._name = shared_name or get_default_graph().unique_name(name)
        self._attrs = {
            "shared_name": self._name,
            "dtype": self._dtype.name,
            "shape": self._shape.as_list() if self._shape.ndims is not None else [],
            "reduction_type": reduction_type,
            "sparse": sparse,
        }

    dtype = property(lambda self: self._dtype)
    accumulator_ref = property(lambda self: self._name)
    name = property(lambda self: self._name)

    def num_accumulated(self, name=None):
        return apply_op(
            "AccumulatorNumAccumulated",
            [],
            dict(self._attrs),
            name=name or f"{self._name}_NumAccumulated",
        ).outputs[0]

    def set_global_step(self, new_global_step, name=None):
        step = convert_to_tensor(new_global_step, dtype=_dt.int64)
        return apply_op(
            "AccumulatorSetGlobalStep",
            [step],
            dict(self._attrs),
            name=name or f"{self._name}_SetGlobalStep",
        )


class ConditionalAccumulator(ConditionalAccumulatorBase):
    """Accumulates dense gradients of `shape` (see the module docstring)."""

    def __init__(
        self,
        dtype,
        shape=None,
        shared_name=None,
        name="conditional_accumulator",
        reduction_type="MEAN",
    ):
        super().__init__(dtype, shape, False, shared_name, name, reduction_type)

    def apply_grad(self, grad, local_step=0, name=None):
        grad = convert_to_tensor(grad, dtype=self._dtype)
        if not self._shape.is_compatible_with(grad.shape):
            raise ValueError(f"Shapes {self._shape} and {grad.shape} are incompatible")
        step = convert_to_tensor(local_step, dtype=_dt.int64)
        return apply_op(
            "AccumulatorApplyGradient",
            [step, [grad]],
            dict(self._attrs),
            name=name or f"{self._name}_ApplyGradient",
        )

    def take_grad(self, num_required, name=None):
        required = convert_to_tensor(num_required, dtype=_dt.int32)
        return apply_op(
            "AccumulatorTakeGradient",
            [required],
            dict(self._attrs),
            name=name or f"{self._name}_TakeGradient",
        ).outputs[0]


class SparseConditionalAccumulator(ConditionalAccumulatorBase):
    """Accumulates IndexedSlices; take_indexed_slices_grad averages each row over the
    gradients that had it (MEAN) or sums them."""

    def __init__(
        self,
        dtype,
        shape=None,
        shared_name=None,
        name="sparse_conditional_accumulator",
        reduction_type="MEAN",
    ):
        super().__init__(dtype, shape, True, shared_name, name, reduction_type)

    def apply_indexed_slices_grad(self, grad, local_step=0, name=None):
        return self.apply_grad(grad.indices, grad.values, grad.dense_shape, local_step, name)

    def apply_grad(self, grad_indices, grad_values, grad_shape=None, local_step=0, name=None):
        indices = convert_to_tensor(grad_indices, dtype=_dt.int64)
        values = convert_to_tensor(grad_values, dtype=self._dtype)
        step = convert_to_tensor(local_step, dtype=_dt.int64)
        return apply_op(
            "AccumulatorApplyGradient",
            [step, [indices, values]],
            dict(self._attrs),
            name=name or f"{self._name}_ApplyGradient",
        )

    def take_indexed_slices_grad(self, num_required, name=None):
        from .array import IndexedSlices

        required = convert_to_tensor(num_required, dtype=_dt.int32)
        out = apply_op(
            "AccumulatorTakeGradient",
            [required],
            dict(self._attrs),
            name=name or f"{self._name}_TakeGradient",
        ).outputs
        return IndexedSlices(out[1], out[0], out[2])

    def take_grad(self, num_required, name=None):
        """(indices, values, dense shape) of the accumulated gradient."""
        slices = self.take_indexed_slices_grad(num_required, name)
        return slices.indices, slices.values, slices.dense_shape
