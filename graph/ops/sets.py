"""`tf.sets`: set operations along the last dimension of dense or sparse tensors (each row
of the leading dimensions is a set): set_size, set_intersection, set_union,
set_difference. Results are SparseTensors whose rows hold each result set sorted, as
TF's."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from ..sparse_tensor import SparseTensor
from . import array as _array, math as _math

_TYPES = (_dt.int8, _dt.int16, _dt.int32, _dt.int64, _dt.uint8, _dt.string)


def _rows(indices, values, shape):
    """{leading index tuple: set of values} of one sparse operand."""
    out: dict = {}
    for idx, value in zip(np.asarray(indices).tolist(), np.asarray(values, object).tolist()):
        out.setdefault(tuple(idx[:-1]), set()).add(value)
    return out


def _set_op_kernel(
    a_indices, a_values, a_shape, b_indices, b_values, b_shape, *, set_operation, validate_indices
):
    a_shape, b_shape = np.asarray(a_shape), np.asarray(b_shape)
    if a_shape.size < 2 or list(a_shape[:-1]) != list(b_shape[:-1]):
        raise InvalidArgumentError(
            None,
            None,
            f"Shapes {a_shape.tolist()} and {b_shape.tolist()} must match in all "
            "but the last dimension, and be of rank 2 or more",
        )
    a = _rows(a_indices, a_values, a_shape)
    b = _rows(b_indices, b_values, b_shape)
    combine = {
        "intersection": lambda x, y: x & y,
        "union": lambda x, y: x | y,
        "a-b": lambda x, y: x - y,
        "b-a": lambda x, y: y - x,
    }[set_operation]
    result = {}
    for key in sorted(set(a) | set(b)):
        members = sorted(combine(a.get(key, set()), b.get(key, set())))
        if members:
            result[key] = members
    width = max((len(m) for m in result.values()), default=0)
    idx = [list(k) + [j] for k, members in result.items() for j in range(len(members))]
    vals = [v for members in result.values() for v in members]
    dtype = np.asarray(a_values).dtype
    indices = np.asarray(idx, np.int64).reshape(-1, len(a_shape))
    values = np.empty(len(vals), dtype)
    values[:] = vals
    return indices, values, np.asarray(list(a_shape[:-1]) + [width], np.int64)


register_op(
    OpDef(
        "SparseToSparseSetOperation",
        inputs=[
            "set1_indices: int64",
            "set1_values: T",
            "set1_shape: int64",
            "set2_indices: int64",
            "set2_values: T",
            "set2_shape: int64",
        ],
        outputs=["result_indices: int64", "result_values: T", "result_shape: int64"],
        types={"T": _TYPES},
        attrs={"set_operation": None, "validate_indices": True},
        infer=lambda a_i, a_v, a_s, b_i, b_v, b_s, **_: [
            TensorSpec(_dt.int64, TensorShape([None, None])),
            TensorSpec(a_v.dtype, TensorShape([None])),
            TensorSpec(_dt.int64, TensorShape([None])),
        ],
        kernel=_set_op_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def _as_sparse(x):
    """A SparseTensor holding every element of a dense tensor (or the SparseTensor)."""
    if isinstance(x, SparseTensor):
        return x
    x = convert_to_tensor(x)
    if x.shape.ndims is not None and x.shape.ndims < 2:
        raise ValueError(f"Set operations need rank 2 or more, got {x.shape}")
    indices = _math.where(_array.ones_like(x, dtype=_dt.bool_))
    return SparseTensor(indices, _array.reshape(x, [-1]), _array.shape(x, out_type=_dt.int64))


def _set_operation(a, b, operation, validate_indices, name):
    with name_scope(name, "set_operation"):
        a, b = _as_sparse(a), _as_sparse(b)
        if b.values.dtype != a.values.dtype:
            raise TypeError(f"Types don't match, {a.values.dtype} vs {b.values.dtype}.")
        op = apply_op(
            "SparseToSparseSetOperation",
            [a.indices, a.values, a.dense_shape, b.indices, b.values, b.dense_shape],
            {"set_operation": operation, "validate_indices": bool(validate_indices)},
        )
        return SparseTensor(*op.outputs)


def set_intersection(a, b, validate_indices=True, name=None) -> SparseTensor:
    """The elements in both a's and b's set, row by row."""
    return _set_operation(a, b, "intersection", validate_indices, name)


def set_union(a, b, validate_indices=True, name=None) -> SparseTensor:
    """The elements in a's or b's set, row by row."""
    return _set_operation(a, b, "union", validate_indices, name)


def set_difference(a, b, aminusb=True, validate_indices=True, name=None) -> SparseTensor:
    """The elements in a's set and not b's (or b's and not a's), row by row."""
    return _set_operation(a, b, "a-b" if aminusb else "b-a", validate_indices, name)


def _set_size_kernel(set_indices, set_values, set_shape, *, validate_indices):
    shape = np.asarray(set_shape)
    counts = np.zeros(tuple(shape[:-1].tolist()), np.int32)
    for key, members in _rows(set_indices, set_values, shape).items():
        counts[key] = len(members)
    return counts


register_op(
    OpDef(
        "SetSize",
        inputs=["set_indices: int64", "set_values: T", "set_shape: int64"],
        outputs=["size: int32"],
        types={"T": _TYPES},
        attrs={"validate_indices": True},
        infer=lambda i, v, s, **_: TensorSpec(_dt.int32, TensorShape(None)),
        kernel=_set_size_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def set_size(a, validate_indices=True) -> object:
    """The number of distinct elements of each row's set of a SparseTensor (the leading
    dimensions' shape)."""
    if not isinstance(a, SparseTensor):
        raise TypeError(f"Expected `SparseTensor`, got {a}.")
    return apply_op(
        "SetSize",
        [a.indices, a.values, a.dense_shape],
        {"validate_indices": bool(validate_indices)},
    ).outputs[0]
