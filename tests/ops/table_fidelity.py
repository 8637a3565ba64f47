"""Op table, TF1-fidelity part: segment reductions, truncated division, where_v2,
saturate_cast, norm, weighted cross entropy; references from their definitions."""

from __future__ import annotations

import numpy as np

import psflow as tf

from .table import Row, ints, r

F64 = np.float64
SORTED = np.array([0, 0, 1, 3, 3, 3])
UNSORTED = np.array([2, 0, -1, 2, 0, 0])


def _segments(data, ids, n, reduce, empty):
    out = np.full((n,) + data.shape[1:], empty, dtype=data.dtype)
    for k in range(n):
        rows = data[ids == k]
        if len(rows):
            out[k] = reduce(rows, axis=0)
    return out


def _distinct(shape, seed):
    """Values without ties (min/max gradients are then unambiguous)."""
    values = np.random.RandomState(seed).permutation(int(np.prod(shape))).astype(F64)
    return (values / values.size - 0.5).reshape(shape)


ROWS = [
    Row("SegmentSum-float64", lambda d: tf.segment_sum(d, SORTED),
        lambda d: _segments(d, SORTED, 4, np.sum, 0), [r(6, 2, dtype=F64)]),
    Row("SegmentMean-float64", lambda d: tf.segment_mean(d, SORTED),
        lambda d: _segments(d, SORTED, 4, np.mean, 0), [r(6, 2, dtype=F64)]),
    Row("SegmentMax-float64", lambda d: tf.segment_max(d, SORTED),
        lambda d: _segments(d, SORTED, 4, np.max, 0), [_distinct((6, 2), 1)]),
    Row("SegmentMin-float64", lambda d: tf.segment_min(d, SORTED),
        lambda d: _segments(d, SORTED, 4, np.min, 0), [_distinct((6, 2), 2)]),
    Row("SegmentSum-int32", lambda d: tf.segment_sum(d, SORTED),
        lambda d: _segments(d, SORTED, 4, np.sum, 0), [ints(6, 3)], grad=False),
    Row("UnsortedSegmentMax-float64", lambda d: tf.unsorted_segment_max(d, UNSORTED, 3),
        lambda d: _segments(d, UNSORTED, 3, np.max, -np.inf), [_distinct((6, 2), 3)],
        grad=False),
    Row("UnsortedSegmentMax-nonempty-float64",
        lambda d: tf.unsorted_segment_max(d, UNSORTED, 3)[::2],
        lambda d: _segments(d, UNSORTED, 3, np.max, -np.inf)[::2], [_distinct((6, 2), 4)]),
    Row("UnsortedSegmentMin-nonempty-float64",
        lambda d: tf.unsorted_segment_min(d, UNSORTED, 3)[::2],
        lambda d: _segments(d, UNSORTED, 3, np.min, np.inf)[::2], [_distinct((6, 2), 5)]),
    Row("unsorted_segment_mean-float64", lambda d: tf.unsorted_segment_mean(d, UNSORTED, 4),
        lambda d: _segments(d, UNSORTED, 4, np.mean, 0), [r(6, 2, dtype=F64)]),
    Row("unsorted_segment_sqrt_n-float64",
        lambda d: tf.unsorted_segment_sqrt_n(d, UNSORTED, 4),
        lambda d: _segments(d, UNSORTED, 4, lambda x, axis: x.sum(axis) / np.sqrt(len(x)), 0),
        [r(6, 2, dtype=F64)]),
    Row("TruncateDiv-int32", tf.truncatediv, lambda x, y: np.trunc(x / y).astype(np.int32),
        [np.array([-7, 7, -7, 7, 0], np.int32), np.array([2, -2, -2, 2, 3], np.int32)],
        grad=False),
    Row("TruncateDiv-float64", tf.truncatediv, lambda x, y: np.trunc(x / y),  # TF: no grad
        [np.array([-7.5, 7.3, 2.2]), np.array([2.0, -2.0, 0.5])]),
    Row("TruncateMod-int64", tf.truncatemod, np.fmod,
        [np.array([-7, 7, -7, 7], np.int64), np.array([2, -2, -2, 3], np.int64)], grad=False),
    Row("SelectV2-broadcast-float64",
        lambda x, y: tf.where_v2(np.array([True, False, True]), x, y),
        lambda x, y: np.where(np.array([True, False, True]), x, y),
        [r(2, 3, dtype=F64), r(1, dtype=F64)]),
    Row("saturate_cast-float-int8", lambda x: tf.saturate_cast(x, tf.int8),
        lambda x: np.clip(x, -128, 127).astype(np.int8),
        [np.array([300.0, -300.0, 1.0, -5.0], np.float32)], grad=False),
    Row("saturate_cast-int64-uint8", lambda x: tf.saturate_cast(x, tf.uint8),
        lambda x: np.clip(x, 0, 255).astype(np.uint8),
        [np.array([-4, 70, 900], np.int64)], grad=False),
    Row("norm-euclidean-float64", lambda x: tf.norm(x), lambda x: np.sqrt((x**2).sum()),
        [r(3, 4, dtype=F64)]),
    Row("norm-1-axis-float64", lambda x: tf.norm(x, ord=1, axis=1),
        lambda x: np.abs(x).sum(1), [r(3, 4, dtype=F64)]),
    Row("norm-inf-keepdims-float64", lambda x: tf.norm(x, ord=np.inf, axis=0, keepdims=True),
        lambda x: np.abs(x).max(0, keepdims=True), [_distinct((3, 4), 6)]),
    Row("norm-3-float64", lambda x: tf.norm(x, ord=3, axis=1),
        lambda x: (np.abs(x) ** 3).sum(1) ** (1 / 3), [r(3, 4, low=0.2, dtype=F64)]),
    Row("norm-matrix-1-float64", lambda x: tf.norm(x, ord=1, axis=[0, 1]),
        lambda x: np.linalg.norm(x, 1), [_distinct((3, 4), 7)]),
    Row("norm-matrix-inf-float64", lambda x: tf.norm(x, ord=np.inf, axis=[0, 1]),
        lambda x: np.linalg.norm(x, np.inf), [_distinct((3, 4), 8)]),
    Row("weighted_cross_entropy_with_logits-float64",
        lambda z, x: tf.nn.weighted_cross_entropy_with_logits(labels=z, logits=x, pos_weight=2.5),
        lambda z, x: 2.5 * z * -np.log(1 / (1 + np.exp(-x)))
        + (1 - z) * -np.log(1 - 1 / (1 + np.exp(-x))),
        [r(3, 4, low=0.0, high=1.0, dtype=F64), r(3, 4, low=-3.0, high=3.0, dtype=F64)],
        diff=[1]),
    *[
        Row(f"SparseSegment{kind}-float64",
            lambda d, f=fn: f(d, np.array([3, 0, 3, 1, 2]), np.array([0, 0, 2, 2, 2]),
                              num_segments=4),
            lambda d, k=kind: _sparse_segment_ref(d, k),
            [r(4, 3, dtype=F64)])
        for kind, fn in (("Sum", tf.sparse.segment_sum), ("Mean", tf.sparse.segment_mean),
                         ("SqrtN", tf.sparse.segment_sqrt_n))
    ],
    Row("sparse_segment_sum-default-num-float64",
        lambda d: tf.sparse_segment_sum(d, np.array([1, 1, 0]), np.array([0, 1, 1])),
        lambda d: np.stack([d[1], d[1] + d[0]]), [r(2, 2, dtype=F64)],
        grad=False),  # rows known at run time only
]  # fmt: skip


def _well_conditioned(*shape, seed=0):
    """Random square matrices kept away from singular (diagonally dominant)."""
    m = np.random.RandomState(seed).uniform(-1, 1, shape)
    return m + np.eye(shape[-1]) * shape[-1]


LINALG_ROWS = [
    Row("MatrixInverse-float64", tf.linalg.inv, np.linalg.inv, [_well_conditioned(3, 3)]),
    Row(
        "MatrixInverse-batch-adjoint-float64",
        lambda x: tf.matrix_inverse(x, adjoint=True),
        lambda x: np.linalg.inv(np.swapaxes(x, -1, -2)),
        [_well_conditioned(2, 3, 3, seed=1)],
    ),
    Row(
        "MatrixDeterminant-float64",
        tf.linalg.det,
        np.linalg.det,
        [_well_conditioned(2, 3, 3, seed=2)],
    ),
    Row(
        "MatrixSolve-float64",
        tf.linalg.solve,
        np.linalg.solve,
        [_well_conditioned(3, 3, seed=3), r(3, 2, dtype=F64)],
    ),
    Row(
        "MatrixSolve-adjoint-float64",
        lambda a, b: tf.matrix_solve(a, b, adjoint=True),
        lambda a, b: np.linalg.solve(a.T, b),
        [_well_conditioned(3, 3, seed=4), r(3, 2, dtype=F64)],
    ),
    Row(
        "MatrixDiagPart-float64",
        tf.linalg.diag_part,
        lambda x: np.diagonal(x, axis1=-2, axis2=-1),
        [r(2, 3, 3, dtype=F64)],
    ),
    Row(
        "MatrixDiagPart-wide-float64",
        tf.linalg.diag_part,
        lambda x: np.diagonal(x),
        [r(2, 4, dtype=F64)],
    ),
    Row(
        "MatrixDiagPart-tall-float64",
        tf.linalg.diag_part,
        lambda x: np.diagonal(x),
        [r(4, 2, dtype=F64)],
    ),
    Row(
        "MatrixDiag-float64",
        tf.linalg.diag,
        lambda d: np.stack([np.diag(v) for v in d]),
        [r(2, 3, dtype=F64)],
    ),
    Row(
        "trace-float64",
        tf.linalg.trace,
        lambda x: np.trace(x, axis1=-2, axis2=-1),
        [r(2, 3, 3, dtype=F64)],
    ),
    Row(
        "logdet-float64",
        tf.linalg.logdet,
        lambda x: np.log(np.linalg.det(x)),
        [_well_conditioned(3, 3, seed=5)],
    ),
    Row(
        "matvec-float64",
        tf.linalg.matvec,
        lambda a, b: a @ b,
        [r(3, 4, dtype=F64), r(4, dtype=F64)],
    ),
]
ROWS += LINALG_ROWS
ROWS += [
    Row(f"{name}-float64", fn, ref, [x])
    for name, fn, ref, x in [
        ("Tan", tf.tan, np.tan, r(3, 4, dtype=F64)),
        ("Asin", tf.asin, np.arcsin, r(3, 4, low=-0.9, high=0.9, dtype=F64)),
        ("Acos", tf.acos, np.arccos, r(3, 4, low=-0.9, high=0.9, dtype=F64)),
        ("Atan", tf.atan, np.arctan, r(3, 4, low=-3, high=3, dtype=F64)),
        ("Sinh", tf.sinh, np.sinh, r(3, 4, dtype=F64)),
        ("Cosh", tf.cosh, np.cosh, r(3, 4, dtype=F64)),
        ("Asinh", tf.asinh, np.arcsinh, r(3, 4, low=-3, high=3, dtype=F64)),
        ("Acosh", tf.acosh, np.arccosh, r(3, 4, low=1.2, high=3, dtype=F64)),
        ("Atanh", tf.atanh, np.arctanh, r(3, 4, low=-0.9, high=0.9, dtype=F64)),
    ]
]


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


ROWS += [
    Row(
        "selu-float64",
        tf.nn.selu,
        lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
        [r(3, 4, low=-2, high=2, dtype=F64)],
    ),
    Row("swish-float64", tf.nn.swish, lambda x: x * _sigmoid(x), [r(3, 4, dtype=F64)]),
    Row(
        "crelu-float64",
        tf.nn.crelu,
        lambda x: np.concatenate([np.maximum(x, 0), np.maximum(-x, 0)], -1),
        [r(3, 4, dtype=F64)],
    ),
    Row(
        "log_sigmoid-float64",
        tf.log_sigmoid,
        lambda x: np.log(_sigmoid(x)),
        [r(3, 4, low=-5, high=5, dtype=F64)],
    ),
    Row(
        "xw_plus_b-float64",
        tf.nn.xw_plus_b,
        lambda x, w, b: x @ w + b,
        [r(2, 3, dtype=F64), r(3, 4, dtype=F64), r(4, dtype=F64)],
    ),
    Row(
        "relu_layer-float64",
        tf.nn.relu_layer,
        lambda x, w, b: np.maximum(x @ w + b, 0),
        [r(2, 3, dtype=F64), r(3, 4, dtype=F64), r(4, dtype=F64)],
    ),
    Row(
        "div_no_nan-float64",
        tf.div_no_nan,
        lambda x, y: np.where(y == 0, 0.0, x / np.where(y == 0, 1.0, y)),
        [r(2, 3, dtype=F64), np.array([[0.5, 0.0, -2.0], [1.0, 3.0, 0.0]])],
        grad_inputs=[r(2, 3, dtype=F64), np.array([[0.5, 1.5, -2.0], [1.0, 3.0, -0.7]])],
    ),
    Row(
        "count_nonzero-axis-int32",
        lambda x: tf.count_nonzero(x, axis=1),
        lambda x: (x != 0).sum(1).astype(np.int64),
        [np.array([[0, 1, 2], [0, 0, 3]], np.int32)],
        grad=False,
    ),
]
ROWS.append(Row("Print-float64", lambda x: tf.Print(x, [x], message="row: "), lambda x: x,
               [r(2, 3, dtype=F64)]))  # fmt: skip
ROWS.append(Row("Atan2-broadcast-float64", tf.atan2, np.arctan2,
                [r(3, 4, dtype=F64), r(4, low=0.2, high=1.0, dtype=F64)]))  # fmt: skip


def _sparse_segment_ref(d, kind):
    indices, ids = [3, 0, 3, 1, 2], [0, 0, 2, 2, 2]
    out = np.zeros((4, d.shape[1]))
    for i, k in zip(indices, ids):
        out[k] += d[i]
    sizes = np.maximum(np.bincount(ids, minlength=4), 1)[:, None]
    return out if kind == "Sum" else out / (sizes if kind == "Mean" else np.sqrt(sizes))
