"""Sparse ops: SparseToDense, SparseReorder, SparseReshape, SparseFillEmptyRows,
SparseTensorDenseMatMul, Unique, StringToHashBucketFast; and the `tf.sparse` wrappers
over `SparseTensor` (graph/sparse_tensor.py), `sparse_placeholder`.

Indices are int64 [N, rank] and travel with their values and dense shape as a
SparseTensor; a kernel sees the three arrays. Gradients reach the `values` only, as in
TF (indices and shapes are not differentiable).
"""

from __future__ import annotations

import collections

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from ..sparse_tensor import SparseTensor
from . import array as _array, manip as _manip, math as _math

_INT = np.int64


def _unknown(dtype, rank=None) -> TensorSpec:
    return TensorSpec(dtype, TensorShape(None if rank is None else [None] * rank))


def _rows_in_bounds(op: str, indices: np.ndarray, shape: np.ndarray) -> None:
    for i, row in enumerate(indices):
        if np.any(row < 0) or np.any(row >= shape):
            raise InvalidArgumentError(
                None,
                None,
                f"{op}: indices[{i}] = {row.tolist()} is out of bounds: need 0 <= index < "
                f"{shape.tolist()}",
            )


def _row_major_keys(indices: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Each index row's position in row-major order of `shape`."""
    if indices.shape[0] == 0:
        return np.zeros(0, _INT)
    return np.ravel_multi_index(tuple(indices.T), tuple(int(d) for d in shape))


# SparseToDense --------------------------------------------------------------------------------
def _sparse_to_dense_infer(indices, output_shape, values, default_value, *, validate_indices):
    shape = output_shape.value
    if shape is not None:
        return TensorSpec(values.dtype, TensorShape([int(d) for d in np.ravel(shape)]))
    n = output_shape.shape.as_list()[0] if output_shape.shape.ndims == 1 else None
    return _unknown(values.dtype, n)


def _sparse_to_dense_kernel(indices, output_shape, values, default_value, *, validate_indices):
    shape = np.asarray(output_shape, _INT).reshape(-1)
    indices = np.asarray(indices, _INT).reshape(len(np.atleast_1d(values)), -1)
    if indices.shape[0] and indices.shape[1] != len(shape):
        raise InvalidArgumentError(
            None,
            None,
            f"SparseToDense: indices have {indices.shape[1]} columns for an output of rank "
            f"{len(shape)}",
        )
    _rows_in_bounds("SparseToDense", indices, shape)
    values = np.broadcast_to(values, (indices.shape[0],))
    if validate_indices and indices.shape[0] > 1:
        keys = _row_major_keys(indices, shape)
        for i in range(1, len(keys)):
            if keys[i] == keys[i - 1]:
                raise InvalidArgumentError(
                    None, None, f"SparseToDense: indices[{i}] = {indices[i].tolist()} is repeated"
                )
            if keys[i] < keys[i - 1]:
                raise InvalidArgumentError(
                    None,
                    None,
                    f"SparseToDense: indices[{i}] = {indices[i].tolist()} is out of order. Many "
                    "sparse ops require sorted indices; use tf.sparse.reorder to sort them.",
                )
    out = np.full(tuple(shape), default_value, dtype=np.asarray(values).dtype)
    out[tuple(indices.T)] = values
    return out


def _sparse_to_dense_grad(op, grad):
    """d_values = the gradient at the indices; d_default = the rest of it."""
    indices, output_shape, values = op.inputs[:3]
    rank = _array.size(output_shape)
    rows = _array.reshape(indices, _array.stack([-1, rank]))
    d_values = _manip.gather_nd(grad, rows)
    d_default = _math.subtract(_math.reduce_sum(grad), _math.reduce_sum(d_values))
    if values.shape.ndims == 0:  # one value broadcast to every index
        d_values = _math.reduce_sum(d_values)
    return [None, None, d_values, d_default]


register_op(
    OpDef(
        "SparseToDense",
        inputs=[
            "sparse_indices: Tindices",
            "output_shape: Tindices",
            "sparse_values: T",
            "default_value: T",
        ],  # fmt: skip
        outputs=["dense: T"],
        types={"T": _dt.ALL, "Tindices": (_dt.int32, _dt.int64)},
        attrs={"validate_indices": True},
        infer=_sparse_to_dense_infer,
        kernel=_sparse_to_dense_kernel,
        grad=_sparse_to_dense_grad,
    )
)


def sparse_to_dense(
    sparse_indices, output_shape, sparse_values, default_value=0, validate_indices=True, name=None
):
    values = convert_to_tensor(sparse_values)
    default = convert_to_tensor(default_value, dtype=values.dtype)
    attrs = {"validate_indices": bool(validate_indices)}
    return apply_op(
        "SparseToDense",
        [
            convert_to_tensor(sparse_indices, dtype=_dt.int64),
            convert_to_tensor(output_shape, dtype=_dt.int64),
            values,
            default,
        ],
        attrs,
        name=name,
    ).outputs[0]


def to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """The dense tensor of a SparseTensor (`default_value` elsewhere: 0 or b'')."""
    sp = SparseTensor.from_value(sp_input)
    if default_value is None:
        default_value = b"" if sp.dtype == _dt.string else 0
    return sparse_to_dense(
        sp.indices, sp.dense_shape, sp.values, default_value, validate_indices, name=name
    )


def sparse_tensor_to_dense(sp_input, default_value=0, validate_indices=True, name=None):
    return to_dense(sp_input, default_value, validate_indices, name)


# SparseReorder --------------------------------------------------------------------------------
def _reorder_infer(indices, values, shape):
    return [TensorSpec(_dt.int64, indices.shape), TensorSpec(values.dtype, values.shape)]


def _reorder_kernel(indices, values, shape):
    indices = np.asarray(indices, _INT)
    order = np.lexsort(indices.T[::-1]) if indices.shape[0] else np.zeros(0, _INT)
    return indices[order], np.asarray(values)[order]


def _reorder_grad(op, grad_indices, grad_values):
    """d_values: each output value's gradient back at its input position."""
    indices, values, shape = op.inputs
    n = _array.size(values, out_type=_dt.int64)
    _, moved = _reorder(indices, _math.range_(0, n, dtype=_dt.int64), shape)
    return [None, _math.unsorted_segment_sum(grad_values, moved, n), None]


register_op(
    OpDef(
        "SparseReorder",
        inputs=["input_indices: int64", "input_values: T", "input_shape: int64"],
        outputs=["output_indices: int64", "output_values: T"],
        types={"T": _dt.ALL},
        infer=_reorder_infer,
        kernel=_reorder_kernel,
        grad=_reorder_grad,
    )
)


def _reorder(indices, values, shape):
    op = apply_op("SparseReorder", [indices, values, shape])
    return op.outputs[0], op.outputs[1]


def reorder(sp_input, name=None) -> SparseTensor:
    """The same SparseTensor with its entries in row-major order."""
    sp = SparseTensor.from_value(sp_input)
    with name_scope(name, "SparseReorder"):
        indices, values = _reorder(sp.indices, sp.values, sp.dense_shape)
        return SparseTensor(indices, values, sp.dense_shape)


# SparseReshape --------------------------------------------------------------------------------
def _reshape_infer(indices, shape, new_shape):
    rank = new_shape.shape.as_list()[0] if new_shape.shape.ndims == 1 else None
    n = indices.shape.as_list()[0] if indices.shape.ndims == 2 else None
    return [TensorSpec(_dt.int64, TensorShape([n, rank])), _unknown(_dt.int64, 1)]


def _reshape_kernel(indices, shape, new_shape):
    shape = np.asarray(shape, _INT)
    new_shape = np.asarray(new_shape, _INT).copy()
    total = int(np.prod(shape))
    unknown = np.flatnonzero(new_shape == -1)
    if len(unknown) > 1:
        raise InvalidArgumentError(None, None, "SparseReshape: at most one dimension may be -1")
    if len(unknown):
        known = int(np.prod(np.delete(new_shape, unknown)))
        if known == 0 or total % known:
            raise InvalidArgumentError(
                None,
                None,
                f"SparseReshape: input of {total} elements cannot become {new_shape.tolist()}",
            )
        new_shape[unknown[0]] = total // known
    if int(np.prod(new_shape)) != total:
        raise InvalidArgumentError(
            None,
            None,
            f"SparseReshape: input has {total} dense values, the requested shape "
            f"{new_shape.tolist()} has {int(np.prod(new_shape))}",
        )
    keys = _row_major_keys(np.asarray(indices, _INT), shape)
    out = np.stack(np.unravel_index(keys, tuple(new_shape)), axis=1) if keys.size else None
    if out is None:
        out = np.zeros((0, len(new_shape)), _INT)
    return out.astype(_INT), new_shape


register_op(
    OpDef(
        "SparseReshape",
        inputs=["input_indices: int64", "input_shape: int64", "new_shape: int64"],
        outputs=["output_indices: int64", "output_shape: int64"],
        infer=_reshape_infer,
        kernel=_reshape_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def reshape(sp_input, shape, name=None) -> SparseTensor:
    """The SparseTensor with dense shape `shape` (one dimension may be -1), same values."""
    sp = SparseTensor.from_value(sp_input)
    op = apply_op(
        "SparseReshape",
        [sp.indices, sp.dense_shape, convert_to_tensor(shape, dtype=_dt.int64)],
        name=name or "SparseReshape",
    )
    return SparseTensor(op.outputs[0], _array.identity(sp.values), op.outputs[1])


# SparseFillEmptyRows --------------------------------------------------------------------------
def _fill_infer(indices, values, dense_shape, default_value):
    rank = indices.shape.as_list()[1] if indices.shape.ndims == 2 else None
    return [
        TensorSpec(_dt.int64, TensorShape([None, rank])),
        TensorSpec(values.dtype, TensorShape([None])),
        TensorSpec(_dt.bool_, TensorShape([None])),
        TensorSpec(_dt.int64, TensorShape([None])),
    ]


def _fill_kernel(indices, values, dense_shape, default_value):
    indices = np.asarray(indices, _INT)
    values = np.asarray(values)
    shape = np.asarray(dense_shape, _INT)
    rows = int(shape[0])
    _rows_in_bounds("SparseFillEmptyRows", indices, shape)
    empty = np.ones(rows, bool)
    empty[indices[:, 0]] = False
    filled = np.zeros((int(empty.sum()), len(shape)), _INT)
    filled[:, 0] = np.flatnonzero(empty)
    all_indices = np.concatenate([indices, filled])
    all_values = np.concatenate([values, np.full(len(filled), default_value, values.dtype)])
    order = np.argsort(all_indices[:, 0], kind="stable")  # by row, each row's order kept
    position = np.empty(len(order), _INT)
    position[order] = np.arange(len(order))
    return all_indices[order], all_values[order], empty, position[: len(indices)]


def _fill_grad(op, grad_indices, grad_values, grad_empty, grad_map):
    """d_values: the gradient at each input value's new position; d_default: the rest."""
    reverse_map = op.outputs[3]
    d_values = _array.gather(grad_values, reverse_map)
    d_default = _math.subtract(_math.reduce_sum(grad_values), _math.reduce_sum(d_values))
    return [None, d_values, None, d_default]


register_op(
    OpDef(
        "SparseFillEmptyRows",
        inputs=["indices: int64", "values: T", "dense_shape: int64", "default_value: T"],
        outputs=[
            "output_indices: int64",
            "output_values: T",
            "empty_row_indicator: bool",
            "reverse_index_map: int64",
        ],  # fmt: skip
        types={"T": _dt.ALL},
        infer=_fill_infer,
        kernel=_fill_kernel,
        grad=_fill_grad,
    )
)


def fill_empty_rows(sp_input, default_value, name=None):
    """(the SparseTensor with an entry `default_value` at [row, 0, ...] of every empty row,
    in row order; a bool vector of which rows were empty)."""
    sp = SparseTensor.from_value(sp_input)
    default = convert_to_tensor(default_value, dtype=sp.dtype)
    op = apply_op(
        "SparseFillEmptyRows",
        [sp.indices, sp.values, sp.dense_shape, default],
        name=name or "SparseFillEmptyRows",
    )
    return SparseTensor(op.outputs[0], op.outputs[1], sp.dense_shape), op.outputs[2]


# SparseTensorDenseMatMul ----------------------------------------------------------------------
def _matmul_infer(a_indices, a_values, a_shape, b, *, adjoint_a, adjoint_b):
    rows = None
    if a_shape.value is not None:
        dims = [int(d) for d in np.ravel(a_shape.value)]
        rows = dims[1] if adjoint_a else dims[0]
    cols = None
    if b.shape.ndims == 2:
        cols = b.shape.as_list()[0 if adjoint_b else 1]
    return TensorSpec(a_values.dtype, TensorShape([rows, cols]))


def _matmul_kernel(a_indices, a_values, a_shape, b, *, adjoint_a, adjoint_b):
    indices = np.asarray(a_indices, _INT)
    shape = np.asarray(a_shape, _INT)
    b = np.asarray(b)
    if adjoint_b:
        b = b.T
    rows, cols = (indices[:, 1], indices[:, 0]) if adjoint_a else (indices[:, 0], indices[:, 1])
    n_rows, inner = (shape[1], shape[0]) if adjoint_a else (shape[0], shape[1])
    if b.shape[0] != inner:
        raise InvalidArgumentError(
            None,
            None,
            f"SparseTensorDenseMatMul: the inner dimensions differ: {int(inner)} (sparse) "
            f"vs {b.shape[0]} (dense)",
        )
    if len(cols) and (cols.min() < 0 or cols.max() >= inner or rows.min() < 0):
        raise InvalidArgumentError(None, None, "SparseTensorDenseMatMul: an index is out of bounds")
    out = np.zeros((int(n_rows), b.shape[1]), dtype=np.result_type(a_values, b))
    np.add.at(out, rows, np.asarray(a_values)[:, None] * b[cols])
    return out


def _matmul_grad(op, grad):
    """d_values[k] = <grad[row_k], b[col_k]>; d_b = A^T grad (transposed when adjoint_b)."""
    indices, values, shape, b = op.inputs
    adjoint_a, adjoint_b = op.get_attr("adjoint_a"), op.get_attr("adjoint_b")
    rows = _array.strided_slice(indices, [0, 1 if adjoint_a else 0], [0, 2 if adjoint_a else 1],
                                begin_mask=1, end_mask=1, shrink_axis_mask=2)  # fmt: skip
    cols = _array.strided_slice(indices, [0, 0 if adjoint_a else 1], [0, 1 if adjoint_a else 2],
                                begin_mask=1, end_mask=1, shrink_axis_mask=2)  # fmt: skip
    b_used = _manip.transpose(b) if adjoint_b else b
    d_values = _math.reduce_sum(
        _math.multiply(_array.gather(grad, rows), _array.gather(b_used, cols)), axis=1
    )
    d_b = sparse_tensor_dense_matmul(
        SparseTensor(indices, values, shape), grad, adjoint_a=not adjoint_a
    )
    return [None, d_values, None, _manip.transpose(d_b) if adjoint_b else d_b]


register_op(
    OpDef(
        "SparseTensorDenseMatMul",
        inputs=["a_indices: int64", "a_values: T", "a_shape: int64", "b: T"],
        outputs=["product: T"],
        types={"T": _dt.NUMERIC},
        attrs={"adjoint_a": False, "adjoint_b": False},
        infer=_matmul_infer,
        kernel=_matmul_kernel,
        grad=_matmul_grad,
    )
)


def sparse_tensor_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None):
    """SparseTensor `sp_a` (rank 2) times dense `b` (either one adjointed)."""
    sp = SparseTensor.from_value(sp_a)
    b = convert_to_tensor(b, dtype=sp.dtype)
    attrs = {"adjoint_a": bool(adjoint_a), "adjoint_b": bool(adjoint_b)}
    return apply_op(
        "SparseTensorDenseMatMul",
        [sp.indices, sp.values, sp.dense_shape, b],
        attrs,
        name=name or "SparseTensorDenseMatMul",
    ).outputs[0]


# Unique ---------------------------------------------------------------------------------------
def _unique_infer(x, *, out_idx):
    return [TensorSpec(x.dtype, TensorShape([None])), TensorSpec(_dt.as_dtype(out_idx), x.shape)]


def _unique_kernel(x, *, out_idx):
    """The distinct values in order of first appearance, and each element's position there."""
    x = np.asarray(x)
    if x.ndim != 1:
        raise InvalidArgumentError(None, None, f"Unique: x must be a vector, got shape {x.shape}")
    out_np = _dt.as_dtype(out_idx).np
    if x.dtype.kind not in "iu" or not x.size:  # (floats: np.unique's handling of NaN)
        _, first, inverse = np.unique(x, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        return x[np.sort(first)], rank[inverse.reshape(-1)].astype(out_np)
    # Integer ids (an embedding lookup's, every step): one stable sort, no np.unique wrapper.
    order = np.argsort(x, kind="stable")
    ordered = x[order]
    starts = np.empty(x.size, bool)
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    first = order[starts]  # where each distinct value (in sorted order) first appears
    by_first = np.argsort(first)
    rank = np.empty(by_first.size, out_np)
    rank[by_first] = np.arange(by_first.size, dtype=out_np)
    idx = np.empty(x.size, out_np)
    idx[order] = rank[np.cumsum(starts) - 1]
    return x[first[by_first]], idx


register_op(
    OpDef(
        "Unique",
        inputs=["x: T"],
        outputs=["y: T", "idx: out_idx"],
        types={"T": _dt.ALL},
        attrs={"out_idx": "int32"},
        infer=_unique_infer,
        kernel=_unique_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


Unique = collections.namedtuple("Unique", ["y", "idx"])


def unique(x, out_idx=_dt.int32, name=None):
    """(y, idx): the distinct values of the vector `x` in order of first appearance, and
    where each element of `x` is in `y`."""
    op = apply_op(
        "Unique", [convert_to_tensor(x)], {"out_idx": _dt.as_dtype(out_idx).name}, name=name
    )
    return Unique(op.outputs[0], op.outputs[1])


# StringToHashBucketFast -----------------------------------------------------------------------
def _hash_infer(input, *, num_buckets):
    if num_buckets < 1:
        raise ValueError(
            f"num_buckets must be >= 1 for 'StringToHashBucketFast', got {num_buckets}"
        )
    return TensorSpec(_dt.int64, input.shape)


def _hash_kernel(input, *, num_buckets):
    """FarmHash's Fingerprint64 of each string, modulo `num_buckets` (TF's values)."""
    import farmhash

    flat = np.asarray(input, dtype=object).reshape(-1)
    out = np.fromiter(
        (
            farmhash.fingerprint64(s if isinstance(s, bytes) else str(s).encode()) % num_buckets
            for s in flat
        ),
        dtype=np.int64,
        count=flat.size,
    )
    return out.reshape(np.shape(input))


register_op(
    OpDef(
        "StringToHashBucketFast",
        inputs=["input: string"],
        outputs=["output: int64"],
        attrs={"num_buckets": 1},
        infer=_hash_infer,
        kernel=_hash_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def string_to_hash_bucket_fast(input, num_buckets, name=None):
    return apply_op(
        "StringToHashBucketFast",
        [convert_to_tensor(input, dtype=_dt.string)],
        {"num_buckets": int(num_buckets)},
        name=name,
    ).outputs[0]


# sparse_placeholder ---------------------------------------------------------------------------
def sparse_placeholder(dtype, shape=None, name=None) -> SparseTensor:
    """A SparseTensor to feed (a SparseTensorValue or an (indices, values, dense_shape)
    tuple). With a fully known `shape`, that is its dense shape unless fed another."""
    from ..shapes import as_shape

    shape = None if shape is None else as_shape(shape)
    rank = None if shape is None else shape.ndims
    with name_scope(name, "SparseTensor"):
        values = _array.placeholder(dtype, [None], name="values")
        indices = _array.placeholder(_dt.int64, [None, rank], name="indices")
        if shape is not None and shape.is_fully_defined():
            dense_shape = _array.placeholder_with_default(
                np.asarray(shape.as_list(), _INT), [rank], name="shape"
            )
        else:
            dense_shape = _array.placeholder(_dt.int64, [rank], name="shape")
    return SparseTensor(indices, values, dense_shape)
