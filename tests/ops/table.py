"""The op table: one row per (op, case). Each row builds the op from tensors, names an
independent numpy reference, gives inputs, and says whether to check its gradient.

Rows are consumed by test_values.py (values, dtypes, static shapes), test_gradients.py
(finite differences) and test_coverage.py (every registered op has a row)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import psflow as tf

rng = np.random.RandomState(42)


def r(*shape, low=-1.0, high=1.0, dtype=np.float32):
    return rng.uniform(low, high, size=shape).astype(dtype)


def pos(*shape, dtype=np.float32):
    return r(*shape, low=0.5, high=2.0, dtype=dtype)


def ints(*shape, low=-5, high=6, dtype=np.int32):
    return rng.randint(low, high, size=shape).astype(dtype)


@dataclass
class Row:
    id: str
    build: Callable
    ref: Callable
    inputs: list
    grad: bool = True
    diff: list[int] | None = None  # indices of inputs to differentiate (default: float ones)
    rtol: float = 1e-5
    grad_inputs: list | None = None  # inputs used for the gradient check (away from kinks)
    feed: bool = True  # False: inputs become constants (ops that need static values)
    extra: dict = field(default_factory=dict)


def _unary_rows(name, fn, ref, x, grad=True, grad_x=None):
    return [
        Row(f"{name}-float32", fn, ref, [x], grad=False),
        Row(
            f"{name}-float64",
            fn,
            ref,
            [x.astype(np.float64)],
            grad=grad,
            grad_inputs=None if grad_x is None else [grad_x],
        ),
    ]


ROWS: list[Row] = []

# Elementwise binary with broadcasting.
for name, fn, ref, a, b in [
    ("Add", tf.add, np.add, r(3, 4), r(4)),
    ("Sub", tf.subtract, np.subtract, r(3, 1), r(1, 4)),
    ("Mul", tf.multiply, np.multiply, r(2, 3), r(2, 3)),
    ("RealDiv", tf.realdiv, np.true_divide, r(3, 4), pos(4)),
    ("Maximum", tf.maximum, np.maximum, r(3, 4), r(3, 4) + 0.05),
    ("Minimum", tf.minimum, np.minimum, r(3, 4), r(3, 4) + 0.05),
    ("SquaredDifference", tf.squared_difference, lambda x, y: (x - y) ** 2, r(2, 3), r(3)),
    ("Pow", tf.pow, np.power, pos(2, 3), r(2, 3)),
]:
    ROWS.append(Row(f"{name}-broadcast-float32", fn, ref, [a, b], grad=False))
    ROWS.append(
        Row(f"{name}-broadcast-float64", fn, ref, [a.astype(np.float64), b.astype(np.float64)])
    )
    ROWS.append(Row(f"{name}-float64", fn, ref, [a.astype(np.float64), b.astype(np.float64)]))

ROWS += [
    Row("Add-int32", tf.add, np.add, [ints(3), ints(3)], grad=False),
    Row(
        "Add-string",
        tf.add,
        lambda a, b: np.char.add(a.astype(bytes), b.astype(bytes)).astype(object),
        [np.array([b"ab", b"c"], object), np.array([b"x", b"yz"], object)],
        grad=False,
    ),
    Row(
        "Mul-int64",
        tf.multiply,
        np.multiply,
        [ints(2, 2, dtype=np.int64), ints(2, 2, dtype=np.int64)],
        grad=False,
    ),
    Row("FloorDiv-int32", tf.floor_div, np.floor_divide, [ints(6), ints(6, low=1)], grad=False),
    Row("FloorDiv-float32", tf.floor_div, np.floor_divide, [r(6) * 5, pos(6)], grad=False),
    Row("FloorMod-int32", tf.floormod, np.mod, [ints(6), ints(6, low=1)], grad=False),
    Row(
        "FloorMod-float64",
        tf.floormod,
        np.mod,
        [np.array([2.3, -2.3, 5.7]), np.array([1.1, 1.1, -2.0])],
    ),
    Row("truediv-int32", tf.truediv, np.true_divide, [ints(4), ints(4, low=1)], grad=False),
    Row("div-int32", tf.div, np.floor_divide, [ints(4), ints(4, low=1)], grad=False),
    Row("div-float32", tf.div, np.true_divide, [r(4), pos(4)], grad=False),
    Row(
        "AddN-float64",
        lambda a, b, c: tf.add_n([a, b, c]),
        lambda a, b, c: a + b + c,
        [r(2, 3, dtype=np.float64)] * 3,
    ),
]

# Unary.
ROWS += _unary_rows("Neg", tf.negative, np.negative, r(3, 4))
ROWS += _unary_rows("Abs", tf.abs, np.abs, r(3, 4), grad_x=np.array([[0.5, -0.3], [0.2, -1.1]]))
ROWS += _unary_rows("Sign", tf.sign, np.sign, r(5), grad=True, grad_x=np.array([0.5, -0.3, 0.2]))
ROWS += _unary_rows("Square", tf.square, np.square, r(3, 4))
ROWS += _unary_rows("Sqrt", tf.sqrt, np.sqrt, pos(3, 4))
ROWS += _unary_rows("Rsqrt", tf.rsqrt, lambda x: 1 / np.sqrt(x), pos(3, 4))
ROWS += _unary_rows("Exp", tf.exp, np.exp, r(3, 4))
ROWS += _unary_rows("Log", tf.log, np.log, pos(3, 4))
ROWS += _unary_rows("Log1p", tf.log1p, np.log1p, pos(3, 4))
ROWS += _unary_rows("Expm1", tf.expm1, np.expm1, r(3, 4))
ROWS += _unary_rows("CheckNumerics", lambda x: tf.check_numerics(x, "m"), lambda x: x, r(3, 4))
_special = np.array([1.0, np.nan, -np.inf, np.inf, -2.5, 0.0], np.float32)
for _name, _fn, _ref in [
    ("IsNan", tf.is_nan, np.isnan),
    ("IsInf", tf.is_inf, np.isinf),
    ("IsFinite", tf.is_finite, np.isfinite),
]:
    ROWS.append(Row(f"{_name}-float32", _fn, _ref, [_special], grad=False))
    ROWS.append(Row(f"{_name}-float64", _fn, _ref, [_special.astype(np.float64)], grad=False))
ROWS += _unary_rows("Sin", tf.sin, np.sin, r(3, 4))
ROWS += _unary_rows("Cos", tf.cos, np.cos, r(3, 4))
ROWS += _unary_rows("Tanh", tf.tanh, np.tanh, r(3, 4))
ROWS += _unary_rows("Sigmoid", tf.sigmoid, lambda x: 1 / (1 + np.exp(-x)), r(3, 4) * 4)
ROWS += _unary_rows("Reciprocal", tf.reciprocal, np.reciprocal, pos(3, 4))
ROWS += _unary_rows("Floor", tf.floor, np.floor, r(5) * 3, grad_x=np.array([0.3, 1.4, -2.2]))
ROWS += _unary_rows("Ceil", tf.ceil, np.ceil, r(5) * 3, grad_x=np.array([0.3, 1.4, -2.2]))
ROWS += _unary_rows(
    "Round",
    tf.round,
    np.round,
    np.array([0.5, 1.5, 2.5, -0.5, 1.2], np.float32),
    grad_x=np.array([0.3, 1.4, -2.2]),
)
ROWS += _unary_rows(
    "Relu",
    tf.nn.relu,
    lambda x: np.maximum(x, 0),
    r(3, 4),
    grad_x=np.array([[0.5, -0.3], [0.2, -1.1]]),
)
ROWS += [
    Row("Neg-int32", tf.negative, np.negative, [ints(4)], grad=False),
    Row("Relu-int32", tf.nn.relu, lambda x: np.maximum(x, 0), [ints(4)], grad=False),
    Row(
        "ReluGrad-float64",
        lambda g, f: tf.gradients(tf.nn.relu(f), f, grad_ys=g)[0],
        lambda g, f: g * (f > 0),
        [r(2, 3, dtype=np.float64), np.array([[0.5, -0.3, 0.2], [-1.1, 0.7, 0.4]])],
        diff=[0],
    ),
]

# Comparisons and logic (not differentiable).
for name, fn, ref in [
    ("Less", tf.less, np.less),
    ("LessEqual", tf.less_equal, np.less_equal),
    ("Greater", tf.greater, np.greater),
    ("GreaterEqual", tf.greater_equal, np.greater_equal),
    ("Equal", tf.equal, np.equal),
    ("NotEqual", tf.not_equal, np.not_equal),
]:
    ROWS.append(Row(f"{name}-int32", fn, ref, [ints(6), ints(6)], grad=False))
    ROWS.append(Row(f"{name}-float32-broadcast", fn, ref, [r(2, 3), r(3)], grad=False))
_b1 = np.array([True, False, True, False])
_b2 = np.array([True, True, False, False])
ROWS += [
    Row("LogicalAnd", tf.logical_and, np.logical_and, [_b1, _b2], grad=False),
    Row("LogicalOr", tf.logical_or, np.logical_or, [_b1, _b2], grad=False),
    Row("LogicalNot", tf.logical_not, np.logical_not, [_b1], grad=False),
    Row("logical_xor", tf.logical_xor, np.logical_xor, [_b1, _b2], grad=False),
]

# Matmul, cast, reductions.
ROWS += [
    Row("MatMul-float32", tf.matmul, np.dot, [r(3, 4), r(4, 2)]),
    Row(
        "MatMul-float64", tf.matmul, np.dot, [r(3, 4, dtype=np.float64), r(4, 2, dtype=np.float64)]
    ),
    Row(
        "MatMul-transpose_a-float64",
        lambda a, b: tf.matmul(a, b, transpose_a=True),
        lambda a, b: a.T @ b,
        [r(4, 3, dtype=np.float64), r(4, 2, dtype=np.float64)],
    ),
    Row(
        "MatMul-transpose_b-float64",
        lambda a, b: tf.matmul(a, b, transpose_b=True),
        lambda a, b: a @ b.T,
        [r(3, 4, dtype=np.float64), r(2, 4, dtype=np.float64)],
    ),
    Row(
        "MatMul-transpose_ab-float64",
        lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
        lambda a, b: a.T @ b.T,
        [r(4, 3, dtype=np.float64), r(2, 4, dtype=np.float64)],
    ),
    Row("MatMul-int32", tf.matmul, np.dot, [ints(2, 3), ints(3, 2)], grad=False),
    Row(
        "Cast-float32-to-int32",
        lambda x: tf.cast(x, tf.int32),
        lambda x: x.astype(np.int32),
        [r(5) * 10],
        grad=False,
    ),
    Row(
        "Cast-int32-to-float64",
        lambda x: tf.cast(x, tf.float64),
        lambda x: x.astype(np.float64),
        [ints(5)],
        grad=False,
    ),
    Row(
        "Cast-float32-to-float64",
        lambda x: tf.cast(x, tf.float64),
        lambda x: x.astype(np.float64),
        [r(3)],
    ),
]
for name, fn, ref in [
    ("Sum", tf.reduce_sum, np.sum),
    ("Mean", tf.reduce_mean, np.mean),
    ("Max", tf.reduce_max, np.max),
    ("Min", tf.reduce_min, np.min),
    ("Prod", tf.reduce_prod, np.prod),
]:
    x = pos(3, 4, 2)
    ROWS += [
        Row(f"{name}-all-float64", fn, ref, [x.astype(np.float64)]),
        Row(
            f"{name}-axis1-float32",
            lambda t, fn=fn: fn(t, axis=1),
            lambda a, ref=ref: ref(a, axis=1),
            [x],
        ),
        Row(
            f"{name}-axes02-keepdims-float64",
            lambda t, fn=fn: fn(t, axis=[0, 2], keepdims=True),
            lambda a, ref=ref: ref(a, axis=(0, 2), keepdims=True),
            [x.astype(np.float64)],
        ),
        Row(
            f"{name}-negative-axis-keep_dims-float64",
            lambda t, fn=fn: fn(t, reduction_indices=-1, keep_dims=True),
            lambda a, ref=ref: ref(a, axis=-1, keepdims=True),
            [x.astype(np.float64)],
        ),
    ]
ROWS += [
    Row(
        "Sum-int32",
        lambda t: tf.reduce_sum(t, axis=0),
        lambda a: np.sum(a, 0, dtype=np.int32),
        [ints(4, 3)],
        grad=False,
    ),
    Row(
        "Mean-int32-truncates",
        tf.reduce_mean,
        lambda a: np.array(int(np.sum(a) / a.size), np.int32),
        [np.array([1, 2, 4], np.int32)],
        grad=False,
    ),
    Row(
        "Any",
        lambda t: tf.reduce_any(t, axis=0),
        lambda a: np.any(a, 0),
        [np.array([[True, False], [False, False]])],
        grad=False,
    ),
    Row("All", tf.reduce_all, np.all, [np.array([[True, False], [True, True]])], grad=False),
    Row(
        "Select-float64",
        lambda c, x, y: _select(c, x, y),
        np.where,
        [np.array([True, False, True]), r(3, dtype=np.float64), r(3, dtype=np.float64)],
        diff=[1, 2],
    ),
    Row(
        "BroadcastTo-float64",
        lambda x: tf.broadcast_to(x, [3, 2, 4]),
        lambda x: np.broadcast_to(x, (3, 2, 4)),
        [r(2, 1, dtype=np.float64)],
    ),
    Row(
        "Range-int32",
        lambda: tf.range(2, 11, 3),
        lambda: np.arange(2, 11, 3, dtype=np.int32),
        [],
        grad=False,
    ),
    Row(
        "Range-float32",
        lambda: tf.range(0.0, 1.0, 0.25),
        lambda: np.arange(0, 1, 0.25, dtype=np.float32),
        [],
        grad=False,
    ),
    Row(
        "UnsortedSegmentSum-float64",
        lambda d: tf.unsorted_segment_sum(d, tf.constant([0, 2, 0, -1]), 3),
        lambda d: np.stack([d[0] + d[2], np.zeros(2), d[1]]),
        [r(4, 2, dtype=np.float64)],
    ),
]
ROWS += [
    Row(
        "SplitV-float64",
        lambda a, g: tf.gradients(tf.concat([a, a * 2.0], 0), a, grad_ys=g)[0],
        lambda a, g: g[:2] + 2.0 * g[2:],
        [r(2, dtype=np.float64), r(4, dtype=np.float64)],
        diff=[1],
    ),
    Row(
        "Switch-Merge-cond-float64",
        lambda x: tf.cond(tf.constant(True), lambda: x * x, lambda: x + 1.0),
        lambda x: x * x,
        [r(3, dtype=np.float64)],
    ),
    Row(
        "Switch-Merge-cond-false-float64",
        lambda x: tf.cond(tf.constant(False), lambda: x * x, lambda: x * 3.0),
        lambda x: x * 3.0,
        [r(3, dtype=np.float64)],
    ),
]


def _select(c, x, y):
    from psflow.graph.ops.math import _select as select

    return select(c, x, y)


# Array ops.
ROWS += [
    Row("Identity-float64", tf.identity, lambda x: x, [r(2, 3, dtype=np.float64)]),
    Row("StopGradient-float32", tf.stop_gradient, lambda x: x, [r(2, 3)], grad=False),
    Row("Shape", tf.shape, lambda x: np.array(x.shape, np.int32), [r(2, 3)], grad=False),
    Row(
        "Shape-int64",
        lambda x: tf.shape(x, out_type=tf.int64),
        lambda x: np.array(x.shape, np.int64),
        [r(2, 3)],
        grad=False,
    ),
    Row(
        "ShapeN",
        lambda a, b: tf.stack([tf.shape_n([a, b])[1], tf.shape_n([a, b])[0]]),
        lambda a, b: np.array([b.shape, a.shape], np.int32),
        [r(2, 3), r(4, 5)],
        grad=False,
    ),
    Row("Size", tf.size, lambda x: np.array(x.size, np.int32), [r(2, 3)], grad=False),
    Row("Rank", tf.rank, lambda x: np.array(x.ndim, np.int32), [r(2, 3, 1)], grad=False),
    Row(
        "Reshape-float64",
        lambda x: tf.reshape(x, [3, -1]),
        lambda x: x.reshape(3, -1),
        [r(2, 3, 2, dtype=np.float64)],
    ),
    Row(
        "Fill-float64", lambda v: tf.fill([2, 3], v), lambda v: np.full((2, 3), v), [np.array(1.5)]
    ),
    Row("zeros", lambda: tf.zeros([2, 3]), lambda: np.zeros((2, 3), np.float32), [], grad=False),
    Row("ones-int32", lambda: tf.ones([2], tf.int32), lambda: np.ones(2, np.int32), [], grad=False),
    Row("ZerosLike", tf.zeros_like, np.zeros_like, [r(2, 3)], grad=False),
    Row("OnesLike", tf.ones_like, np.ones_like, [ints(2, 3)], grad=False),
    Row(
        "Pack-axis1-float64",
        lambda a, b: tf.stack([a, b], axis=1),
        lambda a, b: np.stack([a, b], 1),
        [r(2, 3, dtype=np.float64)] * 2,
    ),
    Row(
        "Unpack-float64",
        lambda x: tf.unstack(x, axis=1)[1] * 2.0,
        lambda x: x[:, 1] * 2,
        [r(2, 3, dtype=np.float64)],
    ),
    Row(
        "ConcatV2-float64",
        lambda a, b: tf.concat([a, b], 1),
        lambda a, b: np.concatenate([a, b], 1),
        [r(2, 3, dtype=np.float64), r(2, 1, dtype=np.float64)],
    ),
    Row(
        "ExpandDims-float64",
        lambda x: tf.expand_dims(x, -1),
        lambda x: x[..., None],
        [r(2, 3, dtype=np.float64)],
    ),
    Row(
        "Squeeze-float64",
        lambda x: tf.squeeze(x, [1]),
        lambda x: x[:, 0],
        [r(2, 1, 3, dtype=np.float64)],
    ),
    Row("Squeeze-all", tf.squeeze, np.squeeze, [r(1, 3, 1)], grad=False),
    Row(
        "GatherV2-float64",
        lambda p: tf.gather(p, [2, 0, 2]),
        lambda p: p[[2, 0, 2]],
        [r(4, 3, dtype=np.float64)],
    ),
    Row(
        "GatherV2-axis1",
        lambda p: tf.gather(p, [1, 0], axis=1),
        lambda p: p[:, [1, 0]],
        [r(4, 3)],
        grad=False,
    ),
    Row(
        "boolean_mask-float32",
        lambda x: tf.boolean_mask(x, [True, False, True]),
        lambda x: x[[True, False, True]],
        [r(3, 2)],
        grad=False,
    ),
    Row(
        "Where",
        lambda m: tf.boolean_mask(tf.range(4), m),
        lambda m: np.arange(4, dtype=np.int32)[m],
        [np.array([False, True, True, False])],
        grad=False,
    ),
    Row(
        "StridedSlice-basic-float64",
        lambda x: x[1:, ::2],
        lambda x: x[1:, ::2],
        [r(3, 5, dtype=np.float64)],
    ),
    Row(
        "StridedSlice-int-ellipsis-newaxis-float64",
        lambda x: x[..., 1, tf.newaxis],
        lambda x: x[..., 1, None],
        [r(2, 3, 4, dtype=np.float64)],
    ),
    Row(
        "StridedSlice-negative-stride",
        lambda x: x[::-1, -2],
        lambda x: x[::-1, -2],
        [r(3, 4)],
        grad=False,
    ),
    Row(
        "StridedSliceGrad-float64",
        lambda x, g: tf.gradients(x[1:, :2], x, grad_ys=g)[0],
        lambda x, g: np.pad(g, [(1, 0), (0, 1)]),
        [r(3, 3, dtype=np.float64), r(2, 2, dtype=np.float64)],
        diff=[1],
    ),
    Row(
        "SplitV-via-concat-grad-float64",
        lambda a, b: tf.gradients(
            tf.concat([a, b], 0), [a, b], grad_ys=tf.constant(np.arange(5.0).reshape(5, 1))
        )[1],
        lambda a, b: np.arange(5.0).reshape(5, 1)[3:],
        [r(3, 1, dtype=np.float64), r(2, 1, dtype=np.float64)],
        grad=False,
    ),
    Row(
        "BroadcastGradientArgs",
        lambda: tf.concat(list(tf.broadcast_gradient_args([2, 1, 3], [3])), 0),
        lambda: np.array([0, 1], np.int32),
        [],
        grad=False,
    ),
    Row(
        "PlaceholderWithDefault-float64",
        lambda x: tf.placeholder_with_default(x, [2, 2]) * 3.0,
        lambda x: x * 3,
        [r(2, 2, dtype=np.float64)],
    ),
]

from .table_more import ROWS as _MORE_ROWS  # noqa: E402 - second half of the table

ROWS += _MORE_ROWS

from .table_sparse import ROWS as _SPARSE_ROWS  # noqa: E402 - the sparse part

ROWS += _SPARSE_ROWS

from .table_fidelity import ROWS as _FIDELITY_ROWS  # noqa: E402 - the TF1-fidelity part

ROWS += _FIDELITY_ROWS

from .table_special import ROWS as _SPECIAL_ROWS  # noqa: E402 - special functions

ROWS += _SPECIAL_ROWS

from .table_ext import ROWS as _EXT_ROWS  # noqa: E402 - the less common array ops

ROWS += _EXT_ROWS

from .table_complex import ROWS as _COMPLEX_ROWS  # noqa: E402 - complex numbers and FFTs

ROWS += _COMPLEX_ROWS
