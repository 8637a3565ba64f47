"""Segment reductions: SegmentSum/Mean/Max/Min/Prod (sorted segment ids; as many output rows as
the last id plus one) and UnsortedSegmentMax/Min/Prod (ids in any order, `num_segments` rows,
negative ids dropped); `unsorted_segment_mean` and `unsorted_segment_sqrt_n` composed from
UnsortedSegmentSum (graph/ops/math.py); SparseSegmentReduce (`sparse_segment_sum/mean/
sqrt_n`: gather and segment sum in one op, as TF's SparseSegment* ops, with one op for its
gradient), which `embedding_lookup_sparse` combines rows with. Empty segments are 0 for
the sorted ops and the dtype's lowest (max) or highest (min) value for the unsorted ones,
as in TF.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, math as _math
from ._common import segment_reduce

_NUM = _dt.NUMERIC
_INDEX = (_dt.int32, _dt.int64)
_REDUCERS = {
    "Sum": (np.add, lambda dtype: 0),
    "Mean": (np.add, lambda dtype: 0),
    "Max": (np.maximum, lambda dtype: _lowest(dtype)),
    "Min": (np.minimum, lambda dtype: _highest(dtype)),
    "Prod": (np.multiply, lambda dtype: 1),
}


def _lowest(dtype):
    return -np.inf if np.issubdtype(dtype, np.floating) else np.iinfo(dtype).min


def _highest(dtype):
    return np.inf if np.issubdtype(dtype, np.floating) else np.iinfo(dtype).max


def _rows(data, ids):
    data = np.asarray(data)
    ids = np.asarray(ids)
    if data.shape[: ids.ndim] != ids.shape:
        raise InvalidArgumentError(
            None,
            None,
            f"segment_ids shape {list(ids.shape)} is not a prefix of data's {list(data.shape)}",
        )
    return data.reshape((ids.size,) + data.shape[ids.ndim :]), ids.reshape(-1)


def _reduce(kind, rows, ids, n, empty):
    ufunc, _ = _REDUCERS[kind]
    out = segment_reduce(ufunc, rows, ids, n, empty)
    keep = ids >= 0
    if kind == "Mean":
        counts = np.bincount(ids[keep], minlength=n).astype(rows.dtype)
        shape = (n,) + (1,) * (rows.ndim - 1)
        out = out / np.maximum(counts, 1).reshape(shape)
    return out.astype(rows.dtype, copy=False)


# Sorted: SegmentSum, SegmentMean, SegmentMax, SegmentMin ---------------------------------------
def _sorted_infer(data, segment_ids):
    inner = data.shape.as_list()[1:] if data.shape.ndims else None
    ids = segment_ids.value  # known ids (a constant) give the number of segments
    n = None if ids is None else (int(np.ravel(ids)[-1]) + 1 if np.size(ids) else 0)
    return TensorSpec(data.dtype, TensorShape(None if inner is None else [n] + inner))


def _sorted_kernel(kind):
    def kernel(data, segment_ids):
        rows, ids = _rows(data, segment_ids)
        if np.ndim(segment_ids) != 1:
            raise InvalidArgumentError(None, None, f"Segment{kind}: segment_ids must be a vector")
        if ids.size and (ids[0] < 0 or np.any(np.diff(ids) < 0)):
            raise InvalidArgumentError(
                None, None, f"Segment{kind}: segment ids are not increasing or are negative"
            )
        n = int(ids[-1]) + 1 if ids.size else 0
        out = _reduce(kind, rows, ids, n, _REDUCERS[kind][1](rows.dtype))
        if kind in ("Max", "Min") and n:  # an empty segment is 0 here
            present = np.zeros(n, bool)
            present[ids] = True
            out[~present] = 0
        return out

    return kernel


def _gather_rows(grad, ids):
    """grad rows at `ids`, 0 where an id is negative."""
    safe = _math.maximum(ids, _array.zeros_like(ids))
    gathered = _array.gather(grad, safe)
    valid = _math.cast(_math.greater_equal(ids, _array.zeros_like(ids)), grad.dtype)
    for _ in range((gathered.shape.ndims or 1) - 1):
        valid = _array.expand_dims(valid, -1)
    return _math.multiply(gathered, valid)


def _counts(ids, n, dtype):
    ones = _math.cast(_array.ones_like(ids), dtype)
    return _math.unsorted_segment_sum(ones, ids, n)


def _num_rows(op):
    """The number of output rows (segments) of a segment op, as a scalar tensor."""
    shape = _array.shape(op.outputs[0], out_type=_dt.int32)
    return _array.strided_slice(shape, [0], [1], shrink_axis_mask=1)


def _like_rows(v, ref):
    """`v` (one value per row) with trailing unit axes to broadcast against `ref`."""
    for _ in range((ref.shape.ndims or 1) - 1):
        v = _array.expand_dims(v, -1)
    return v


def _sum_grad(op, grad):
    """d_data = gather(grad, segment_ids)."""
    return [_gather_rows(grad, op.inputs[1]), None]


def _mean_grad(op, grad):
    """d_data = gather(grad / count, segment_ids)."""
    ids = op.inputs[1]
    counts = _counts(ids, _num_rows(op), grad.dtype)
    counts = _math.maximum(counts, _array.ones_like(counts))
    return [_gather_rows(_math.real_div(grad, _like_rows(counts, grad)), ids), None]


def _min_max_grad(op, grad):
    """The gradient goes to the entries equal to their segment's result, shared equally
    among ties (TF's rule); none to entries with a negative segment id."""
    data, ids = op.inputs[0], op.inputs[1]
    output = op.outputs[0]
    valid = _math.greater_equal(ids, _array.zeros_like(ids))
    for _ in range((data.shape.ndims or 1) - (ids.shape.ndims or 1)):
        valid = _array.expand_dims(valid, -1)
    chosen = _math.logical_and(_math.equal(data, _gather_rows(output, ids)), valid)
    chosen = _math.cast(chosen, grad.dtype)
    num = _math.unsorted_segment_sum(chosen, ids, _num_rows(op))
    weighted = _math.real_div(grad, _math.maximum(num, _array.ones_like(num)))
    return [_math.multiply(_gather_rows(weighted, ids), chosen)] + [None] * (len(op.inputs) - 1)


def _prod_grad(op, grad):
    """TF's rule: each entry gets the product of the other entries of its segment (the
    segment's product over the entry when it is not 0; the product of the nonzero others
    when it is the segment's only 0; 0 when the segment has two zeros or more)."""
    data, ids = op.inputs[0], op.inputs[1]
    n = _num_rows(op)
    is_zero = _math.equal(data, _array.zeros_like(data))
    zeros = _math.unsorted_segment_sum(_math.cast(is_zero, _dt.int32), ids, n)
    grad = _math.where(_math.greater(zeros, 1), _array.zeros_like(grad), grad)
    nonzero = _math.where(is_zero, _array.ones_like(data), data)
    nonzero_prod = unsorted_segment_prod(nonzero, ids, n)
    others = _math.real_div(_gather_rows(op.outputs[0], ids), nonzero)
    partial = _math.where(is_zero, _gather_rows(nonzero_prod, ids), others)
    return [_math.multiply(_gather_rows(grad, ids), partial)] + [None] * (len(op.inputs) - 1)


for _kind, _grad in (("Sum", _sum_grad), ("Mean", _mean_grad), ("Max", _min_max_grad),
                     ("Min", _min_max_grad), ("Prod", _prod_grad)):  # fmt: skip
    register_op(
        OpDef(
            f"Segment{_kind}",
            inputs=["data: T", "segment_ids: Tindices"],
            outputs=["output: T"],
            types={"T": _NUM, "Tindices": _INDEX},
            infer=_sorted_infer,
            kernel=_sorted_kernel(_kind),
            grad=_grad,
        )
    )


def _segment(kind):
    def op(data, segment_ids, name=None):
        return apply_op(f"Segment{kind}", [data, segment_ids], name=name).outputs[0]

    op.__name__ = f"segment_{kind.lower()}"
    op.__doc__ = f"The {kind.lower()} of each segment of rows (sorted segment_ids)."
    return op


segment_sum = _segment("Sum")
segment_mean = _segment("Mean")
segment_max = _segment("Max")
segment_min = _segment("Min")
segment_prod = _segment("Prod")


# Unsorted: UnsortedSegmentMax, UnsortedSegmentMin -----------------------------------------------
def _unsorted_infer(data, segment_ids, num_segments):
    n = None if num_segments.value is None else int(np.asarray(num_segments.value))
    if data.shape.ndims is None or segment_ids.shape.ndims is None:
        return TensorSpec(data.dtype, TensorShape(None))
    return TensorSpec(
        data.dtype, TensorShape([n] + data.shape.as_list()[segment_ids.shape.ndims :])
    )


def _unsorted_kernel(kind):
    def kernel(data, segment_ids, num_segments):
        rows, ids = _rows(data, segment_ids)
        n = int(num_segments)
        if ids.size and ids.max() >= n:
            raise InvalidArgumentError(
                None,
                None,
                f"UnsortedSegment{kind}: segment_ids[{int(np.argmax(ids >= n))}] = "
                f"{int(ids.max())} is out of range [0, {n})",
            )
        return _reduce(kind, rows, ids, n, _REDUCERS[kind][1](rows.dtype))

    return kernel


for _kind, _grad in (("Max", _min_max_grad), ("Min", _min_max_grad), ("Prod", _prod_grad)):
    register_op(
        OpDef(
            f"UnsortedSegment{_kind}",
            inputs=["data: T", "segment_ids: Tindices", "num_segments: Tnumsegments"],
            outputs=["output: T"],
            types={"T": _NUM, "Tindices": _INDEX, "Tnumsegments": _INDEX},
            infer=_unsorted_infer,
            kernel=_unsorted_kernel(_kind),
            grad=_grad,
        )
    )


def unsorted_segment_max(data, segment_ids, num_segments, name=None):
    return apply_op("UnsortedSegmentMax", [data, segment_ids, num_segments], name=name).outputs[0]


def unsorted_segment_min(data, segment_ids, num_segments, name=None):
    return apply_op("UnsortedSegmentMin", [data, segment_ids, num_segments], name=name).outputs[0]


def unsorted_segment_prod(data, segment_ids, num_segments, name=None):
    """The product of each segment's rows (1 for an empty segment)."""
    return apply_op("UnsortedSegmentProd", [data, segment_ids, num_segments], name=name).outputs[0]


def _per_segment(data, segment_ids, num_segments, scale, name, default_name):
    with name_scope(name, default_name):
        data = convert_to_tensor(data)
        total = _math.unsorted_segment_sum(data, segment_ids, num_segments)
        counts = scale(_counts(segment_ids, num_segments, data.dtype))
        counts = _math.maximum(counts, _array.ones_like(counts))
        return _math.real_div(total, _like_rows(counts, total))


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """The mean of each segment (0 for an empty one)."""
    return _per_segment(data, segment_ids, num_segments, lambda c: c, name, "UnsortedSegmentMean")


def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None):
    """Each segment's sum divided by the root of its size (0 for an empty one)."""
    return _per_segment(data, segment_ids, num_segments, _math.sqrt, name, "UnsortedSegmentSqrtN")


# SparseSegment{Sum,Mean,SqrtN}WithNumSegments -----------------------------------------------------
def _sparse_segment_infer(data, indices, segment_ids, num_segments, *, kind=""):
    n = None if num_segments.value is None else int(np.asarray(num_segments.value))
    n = None if n is not None and n < 0 else n  # -1: the last segment id + 1, at run time
    inner = data.shape.as_list()[1:] if data.shape.ndims else None
    return TensorSpec(data.dtype, TensorShape(None if inner is None else [n] + inner))


def _scales(kind, ids, n, dtype):
    """Per segment, what its sum is divided by: 1, its size, or the root of its size."""
    if kind == "Sum":
        return None
    counts = np.bincount(ids[ids >= 0], minlength=n).astype(dtype)
    counts = np.maximum(counts, 1)
    return counts if kind == "Mean" else np.sqrt(counts)


def _one_each(ids, n) -> bool:
    """Whether segment ids are exactly 0, 1, ..., n - 1 (one row per segment, in order: a
    SparseTensor with one value per row, the usual categorical feature), where a segment
    reduction is the rows themselves."""
    return (
        ids.size == n
        and n > 0
        and ids[0] == 0
        and ids[-1] == n - 1
        and bool((ids[1:] > ids[:-1]).all())
    )


def _sparse_segment_kernel(data, indices, segment_ids, num_segments, *, kind):
    """Row k: the rows of `data` at `indices` whose segment id is k, summed (and divided
    per `kind`): gather and segment reduction in one pass."""
    data = np.asarray(data)
    indices = np.asarray(indices).ravel()
    ids = np.asarray(segment_ids).ravel()
    n = int(num_segments)
    if n < 0:  # as TF's op without num_segments: the last segment id + 1
        n = int(ids.max()) + 1 if ids.size else 0
    elif ids.size and ids.max() >= n:
        raise InvalidArgumentError(
            None, None, f"SparseSegment{kind}: segment id {int(ids.max())} >= {n} segments"
        )
    try:
        if indices.size and indices.min() < 0:
            raise IndexError
        rows = data.take(indices, axis=0)  # raises past the end
    except IndexError:
        raise InvalidArgumentError(
            None, None, f"SparseSegment{kind}: an index is out of range [0, {data.shape[0]})"
        ) from None
    if _one_each(ids, n):  # each segment one row: its sum, mean and sqrt_n are the row
        return rows
    out = segment_reduce(np.add, rows, ids, n, 0)
    scale = _scales(kind, ids, n, data.dtype)
    if scale is not None:
        out = out / scale.reshape((n,) + (1,) * (data.ndim - 1))
    return out.astype(data.dtype, copy=False)


def _sparse_segment_grad_kernel(grad, indices, segment_ids, data, *, kind):
    """d_data: each segment's gradient (scaled per `kind`) added back at its indices (rows
    as many as `data`'s, which is there only for its first dimension: the forward op's
    input, already where this runs, so no shape op and no transfer)."""
    rows = np.shape(data)[0]
    grad = np.asarray(grad)
    ids = np.asarray(segment_ids).ravel()
    if _one_each(ids, grad.shape[0]):  # each segment one row, unscaled
        picked = grad
    else:
        scale = _scales(kind, ids, grad.shape[0], grad.dtype)
        if scale is not None:
            grad = grad / scale.reshape((-1,) + (1,) * (grad.ndim - 1))
        if ids.size and ids.min() < 0:
            picked = grad[np.maximum(ids, 0)]
            picked[ids < 0] = 0
        else:
            picked = grad[ids]
    # The indices are seldom in order here (a Unique's): sum without looking for order.
    return segment_reduce(np.add, picked, np.asarray(indices).ravel(), int(rows), 0, False)


def _sparse_segment_grad(op, grad):
    data, indices, segment_ids, _ = op.inputs
    kind = op.get_attr("kind")
    d_data = apply_op(
        "SparseSegmentGrad", [grad, indices, segment_ids, data], {"kind": kind}
    ).outputs[0]
    return [d_data, None, None, None]


register_op(
    OpDef(
        "SparseSegmentReduce",
        inputs=[
            "data: T",
            "indices: Tidx",
            "segment_ids: Tsegmentids",
            "num_segments: Tnumsegments",
        ],  # fmt: skip
        outputs=["output: T"],
        types={"T": _dt.FLOATS, "Tidx": _INDEX, "Tsegmentids": _INDEX, "Tnumsegments": _INDEX},
        attrs={"kind": "Sum"},
        infer=_sparse_segment_infer,
        kernel=_sparse_segment_kernel,
        grad=_sparse_segment_grad,
    )
)
register_op(
    OpDef(
        "SparseSegmentGrad",
        inputs=["grad: T", "indices: Tidx", "segment_ids: Tsegmentids", "data: T"],
        outputs=["output: T"],
        types={"T": _dt.FLOATS, "Tidx": _INDEX, "Tsegmentids": _INDEX},
        attrs={"kind": "Sum"},
        infer=lambda grad, *_, **__: TensorSpec(
            grad.dtype,
            TensorShape(None if grad.shape.ndims is None else [None] + grad.shape.as_list()[1:]),
        ),  # fmt: skip
        kernel=_sparse_segment_grad_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def _sparse_segment(kind):
    def op(data, indices, segment_ids, name=None, num_segments=None):
        with name_scope(name, f"SparseSegment{kind}"):
            segment_ids = convert_to_tensor(segment_ids)
            if num_segments is None:  # as TF: the last segment id + 1 (the op finds it)
                num_segments = -1
            return apply_op(
                "SparseSegmentReduce",
                [data, indices, segment_ids, num_segments],
                {"kind": kind},
            ).outputs[0]

    op.__name__ = f"sparse_segment_{kind.lower()}"
    op.__doc__ = (
        f"segment_{kind.lower()} of the rows of `data` at `indices` (one fused op; its "
        "gradient is dense rows of `data`)."
    )
    return op


sparse_segment_sum = _sparse_segment("Sum")
sparse_segment_mean = _sparse_segment("Mean")
sparse_segment_sqrt_n = _sparse_segment("SqrtN")
