"""Variable ops: `VariableV2` (reads the variable's current value), `Assign`, `AssignAdd`,
`AssignSub`, `IsVariableInitialized`.

These kernels are `stateful`: they receive the step's `StepState` (the VariableStore of
the process that owns the variable, with the step's undo journal). A `Ref(T)` input is
the variable's name, bound at plan compile time, so assigning never reads the old value.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..framework import apply_op, colocate_with
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape


def _variable_infer(*, shape, dtype, container, shared_name):
    return TensorSpec(_dt.as_dtype(dtype), TensorShape(shape))


def _variable_kernel(state, *, shape, dtype, container, shared_name):
    return state.read(shared_name)


register_op(
    OpDef(
        "VariableV2",
        inputs=[],
        outputs=["ref: Ref(dtype)"],
        attrs={"shape": None, "dtype": None, "container": "", "shared_name": ""},
        infer=_variable_infer,
        kernel=_variable_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def variable_op(shape, dtype, name, shared_name) -> object:
    """The VariableV2 node for a variable named `shared_name` (name ending in '/' is exact)."""
    attrs = {"shape": shape, "dtype": _dt.as_dtype(dtype).name, "shared_name": shared_name}
    return apply_op("VariableV2", [], attrs, name=name).outputs[0]


def _assign_infer(ref, value, *, validate_shape, use_locking):
    if validate_shape and not ref.shape.is_compatible_with(value.shape):
        raise ValueError(f"Shapes {ref.shape} and {value.shape} are incompatible")
    return TensorSpec(
        ref.dtype, value.shape if not validate_shape else ref.shape.merge_with(value.shape)
    )


def _assign_kernel(state, ref, value, *, validate_shape, use_locking):
    return state.assign(ref, value, validate_shape)


def _update_infer(ref, value, *, use_locking):
    if not ref.shape.is_compatible_with(value.shape):
        raise ValueError(f"Shapes {ref.shape} and {value.shape} are incompatible")
    return TensorSpec(ref.dtype, ref.shape)


def _assign_add_kernel(state, ref, value, *, use_locking):
    return state.update(ref, np.add, value)


def _assign_sub_kernel(state, ref, value, *, use_locking):
    return state.update(ref, np.subtract, value)


register_op(
    OpDef(
        "Assign",
        inputs=["ref: Ref(T)", "value: T"],
        outputs=["output_ref: T"],
        types={"T": ()},
        attrs={"validate_shape": True, "use_locking": True},
        infer=_assign_infer,
        kernel=_assign_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)
register_op(
    OpDef(
        "AssignAdd",
        inputs=["ref: Ref(T)", "value: T"],
        outputs=["output_ref: T"],
        types={"T": _dt.NUMERIC},
        attrs={"use_locking": False},
        infer=_update_infer,
        kernel=_assign_add_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)
register_op(
    OpDef(
        "AssignSub",
        inputs=["ref: Ref(T)", "value: T"],
        outputs=["output_ref: T"],
        types={"T": _dt.NUMERIC},
        attrs={"use_locking": False},
        infer=_update_infer,
        kernel=_assign_sub_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def _is_initialized_infer(ref):
    return TensorSpec(_dt.bool_, TensorShape([]))


def _is_initialized_kernel(state, ref):
    return np.array(state.is_initialized(ref))


register_op(
    OpDef(
        "IsVariableInitialized",
        inputs=["ref: Ref(dtype)"],
        outputs=["is_initialized: bool"],
        types={"dtype": ()},
        infer=_is_initialized_infer,
        kernel=_is_initialized_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def _colocated(ref):
    return colocate_with(ref.op)


def _ref_of(ref):
    return ref._ref() if hasattr(ref, "_ref") else ref


def assign(ref, value, validate_shape=None, use_locking=None, name=None):
    """Assigns `value` to the variable `ref`; the result is its new value."""
    ref = _ref_of(ref)
    attrs = {
        "validate_shape": True if validate_shape is None else bool(validate_shape),
        "use_locking": True if use_locking is None else bool(use_locking),
    }
    with _colocated(ref):
        return apply_op("Assign", [ref, value], attrs, name=name or "Assign").outputs[0]


def assign_add(ref, value, use_locking=None, name=None):
    """Adds `value` to the variable `ref`; the result is its new value."""
    ref = _ref_of(ref)
    with _colocated(ref):
        return apply_op(
            "AssignAdd", [ref, value], {"use_locking": bool(use_locking)}, name=name or "AssignAdd"
        ).outputs[0]


def assign_sub(ref, value, use_locking=None, name=None):
    """Subtracts `value` from the variable `ref`; the result is its new value."""
    ref = _ref_of(ref)
    with _colocated(ref):
        return apply_op(
            "AssignSub", [ref, value], {"use_locking": bool(use_locking)}, name=name or "AssignSub"
        ).outputs[0]


def is_variable_initialized(variable, name=None):
    """A scalar bool: whether the variable has been initialized."""
    ref = _ref_of(variable)
    with _colocated(ref):
        return apply_op("IsVariableInitialized", [ref], name=name).outputs[0]
