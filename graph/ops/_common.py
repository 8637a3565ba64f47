"""Helpers shared by the op families: static broadcasting, axis normalization, and the
one gradient helper every broadcasting op ends with, `reduce_to_shape`."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..shapes import TensorShape


def broadcast_shape(a: TensorShape, b: TensorShape, op_type: str = "") -> TensorShape:
    """Numpy broadcasting of two static shapes; ValueError when they cannot broadcast."""
    if a.ndims is None or b.ndims is None:
        return TensorShape(None)
    x, y = a.as_list(), b.as_list()
    n = max(len(x), len(y))
    x = [1] * (n - len(x)) + x
    y = [1] * (n - len(y)) + y
    out = []
    for p, q in zip(x, y):
        if p == 1:
            out.append(q)
        elif q == 1:
            out.append(p)
        elif p is None:
            out.append(q)
        elif q is None or p == q:
            out.append(p)
        else:
            raise ValueError(
                f"Dimensions must be equal, but are {p} and {q} for '{op_type}' with input "
                f"shapes: {_dims(a)}, {_dims(b)}."
            )
    return TensorShape(out)


def _dims(shape: TensorShape) -> str:
    if shape.ndims is None:
        return "?"
    return "[" + ",".join("?" if d is None else str(d) for d in shape.as_list()) + "]"


def shape_str(shape: TensorShape) -> str:
    return _dims(shape)


def normalize_axis(axis: int, rank: int, op_type: str) -> int:
    if not -rank <= axis < max(rank, 1):
        raise ValueError(f"axis {axis} is out of bounds for '{op_type}' on a tensor of rank {rank}")
    return axis % rank if rank else 0


def reduce_to_shape(grad, like):
    """Sums `grad` over the axes broadcasting added to `like`, then reshapes to its shape."""
    from . import array as _array, math as _math

    gs, ls = grad.shape, like.shape
    if gs.is_fully_defined() and ls.is_fully_defined():
        g_dims, l_dims = gs.as_list(), ls.as_list()
        if g_dims == l_dims:
            return grad
        lead = len(g_dims) - len(l_dims)
        axes = list(range(lead))
        axes += [lead + i for i, d in enumerate(l_dims) if d == 1 and g_dims[lead + i] != 1]
        out = _math.reduce_sum(grad, axis=axes) if axes else grad
        return _array.reshape(out, l_dims)
    rx, _ = _array.broadcast_gradient_args(_array.shape(like), _array.shape(grad))
    return _array.reshape(_math.reduce_sum(grad, axis=rx), _array.shape(like))


def np_dtype(name: str) -> np.dtype:
    return _dt.as_dtype(name).np


def segment_reduce(
    ufunc, rows: np.ndarray, ids: np.ndarray, n: int, empty, in_order: bool = True
) -> np.ndarray:
    """`n` rows: row k is ufunc's reduction of the `rows` whose id is k (`empty` where none
    is; negative ids are dropped). `in_order=False` skips checking whether each id comes
    once and in order (a copy then), for callers whose ids seldom are. Sums of floats are
    one `np.bincount` over (id, column) pairs, accumulated in float64; other reductions
    sort the ids once and reduce runs with `ufunc.reduceat`. (`ufunc.at`, the obvious
    way, was the largest cost of a sparse embedding step; on small batches numpy's
    per-call cost decides, hence few calls.)"""
    keep = ids >= 0
    if not keep.all():
        ids, rows = ids[keep], rows[keep]
    if in_order and ids.size and np.all(ids[1:] > ids[:-1]):  # each id once, in order: a copy
        out = np.full((n,) + rows.shape[1:], empty, dtype=rows.dtype)
        out[ids] = rows
        return out
    if ufunc is np.add and rows.dtype.kind == "f" and empty == 0:
        inner = rows[0].size if rows.shape[0] else int(np.prod(rows.shape[1:], dtype=np.int64))
        flat = ids if inner == 1 else (ids.astype(np.intp)[:, None] * inner + np.arange(inner))
        summed = np.bincount(flat.reshape(-1), weights=rows.reshape(-1), minlength=n * inner)
        return summed[: n * inner].reshape((n,) + rows.shape[1:]).astype(rows.dtype)
    out = np.full((n,) + rows.shape[1:], empty, dtype=rows.dtype)
    if not ids.size:
        return out
    if np.all(ids[1:] >= ids[:-1]):  # already sorted (a SparseTensor's rows): no sort
        ordered, ordered_rows = ids, rows
    else:
        order = np.argsort(ids, kind="stable")
        ordered, ordered_rows = ids[order], rows[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    out[ordered[starts]] = ufunc.reduceat(ordered_rows, starts, axis=0)
    return out
    if np.all(ids[1:] >= ids[:-1]):  # already sorted (a SparseTensor's rows): no sort
        ordered, ordered_rows = ids, rows
    else:
        order = np.argsort(ids, kind="stable")
        ordered, ordered_rows = ids[order], rows[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    if starts.size == ordered.size:  # every id once: nothing to reduce
        out[ordered] = ordered_rows
        return out
    # reduceat costs per run: runs of one row are copied, only the longer ones reduced
    lengths = np.diff(np.append(starts, ordered.size))
    single = lengths == 1
    if single.any():
        out[ordered[starts[single]]] = ordered_rows[starts[single]]
        in_long = np.repeat(~single, lengths)
        long_starts = np.cumsum(np.concatenate(([0], lengths[~single][:-1])))
        out[ordered[starts[~single]]] = ufunc.reduceat(ordered_rows[in_long], long_starts, axis=0)
    else:
        out[ordered[starts]] = ufunc.reduceat(ordered_rows, starts, axis=0)
    return out
