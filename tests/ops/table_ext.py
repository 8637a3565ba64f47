"""Op table, the less common array ops (graph/ops/array_ext.py) and the product segment
reductions: numpy references, plus values TensorFlow 1.x gave for the same calls where the
layout is TF's own (space_to_batch / batch_to_space); gradient rows where TF has one."""

from __future__ import annotations

import numpy as np
from psflow.graph.ops import array_ext as ext, math_more, morphology, nn_ext, segment

from .table import Row

F64 = np.float64
rng = np.random.RandomState(7)
T = rng.uniform(-1, 1, (4, 3))
IDX = np.array([[0], [2], [0]])
UPD = rng.uniform(-1, 1, (3, 3))


def _scatter_ref(ufunc):
    def ref(t, u):
        out = t.copy()
        ufunc.at(out, (IDX[:, 0],), u)
        return out

    return ref


def _set_ref(t, u):
    out = t.copy()
    out[[0, 2]] = u[[2, 1]]  # the last of the repeated index wins
    return out


def _tf_s2b():
    """space_to_batch_nd(x, [2, 3], [[0, 0], [1, 2]]) of x = arange(48).reshape(2, 4, 6, 1),
    as TF 1.x computed it."""
    rows = [[0, 2, 5, 0, 14, 17], [0, 26, 29, 0, 38, 41], [0, 3, 0, 12, 15, 0],
            [24, 27, 0, 36, 39, 0], [1, 4, 0, 13, 16, 0], [25, 28, 0, 37, 40, 0],
            [0, 8, 11, 0, 20, 23], [0, 32, 35, 0, 44, 47], [6, 9, 0, 18, 21, 0],
            [30, 33, 0, 42, 45, 0], [7, 10, 0, 19, 22, 0], [31, 34, 0, 43, 46, 0]]  # fmt: skip
    return np.array(rows, np.float32).reshape(12, 2, 3, 1)


ROWS: list[Row] = [
    Row("TensorScatterAdd-float64", lambda t, u: ext.tensor_scatter_nd_add(t, IDX, u),
        _scatter_ref(np.add), [T, UPD]),
    Row("TensorScatterSub-float64", lambda t, u: ext.tensor_scatter_nd_sub(t, IDX, u),
        _scatter_ref(np.subtract), [T, UPD]),
    Row("TensorScatterMin-float64", lambda t, u: ext.tensor_scatter_nd_min(t, IDX, u),
        _scatter_ref(np.minimum), [T, UPD]),
    Row("TensorScatterMax-float64", lambda t, u: ext.tensor_scatter_nd_max(t, IDX, u),
        _scatter_ref(np.maximum), [T, UPD]),
    Row("TensorScatterUpdate-float64",
        lambda t, u: ext.tensor_scatter_nd_update(t, [[0], [2]], u[1:][::-1]),
        _set_ref, [T, UPD]),
    Row("TensorScatterAdd-int32", lambda t, u: ext.tensor_scatter_nd_add(t, [[1, 1]], u),
        lambda t, u: t + np.array([[0, 0], [0, u[0]]], np.int32),
        [np.arange(4, dtype=np.int32).reshape(2, 2), np.array([5], np.int32)]),
    Row("UniqueWithCounts-int64", lambda x: ext.unique_with_counts(x, out_idx="int64").y,
        lambda x: np.array([3, 1, 2]), [np.array([3, 1, 3, 2, 1, 3], np.int64)]),
    Row("UniqueWithCounts-idx-int64", lambda x: ext.unique_with_counts(x, out_idx="int64").idx,
        lambda x: np.array([0, 1, 0, 2, 1, 0]), [np.array([3, 1, 3, 2, 1, 3], np.int64)]),
    Row("UniqueWithCounts-count-int32", lambda x: ext.unique_with_counts(x).count,
        lambda x: np.array([3, 2, 1], np.int32), [np.array([3, 1, 3, 2, 1, 3], np.int32)]),
    Row("UnravelIndex-int32", lambda i: ext.unravel_index(i, [3, 4]),
        lambda i: np.stack(np.unravel_index(i, (3, 4))).astype(np.int32),
        [np.array([5, 7, 0, 11], np.int32)]),
    Row("LowerBound-float32", lambda s, v: ext.searchsorted(s, v),
        lambda s, v: np.stack([np.searchsorted(a, b) for a, b in zip(s, v)]).astype(np.int32),
        [np.sort(rng.uniform(size=(3, 5))).astype(np.float32),
         rng.uniform(size=(3, 4)).astype(np.float32)], grad=False),
    Row("UpperBound-int32", lambda s, v: ext.searchsorted(s, v, side="right"),
        lambda s, v: np.searchsorted(s, v, side="right").astype(np.int32),
        [np.array([1, 3, 3, 5], np.int32), np.array([3, 0, 6, 5], np.int32)]),
    Row("ListDiff-int32", lambda x, y: ext.setdiff1d(x, y).out,
        lambda x, y: np.array([1, 3, 5], np.int32),
        [np.array([1, 2, 3, 4, 5, 2], np.int32), np.array([2, 4], np.int32)]),
    Row("ListDiff-idx-int32", lambda x, y: ext.setdiff1d(x, y).idx,
        lambda x, y: np.array([0, 2, 4], np.int32),
        [np.array([1, 2, 3, 4, 5, 2], np.int32), np.array([2, 4], np.int32)]),
    Row("ReverseSequence-float64",
        lambda x: ext.reverse_sequence(x, [2, 3, 0], seq_axis=1, batch_axis=0),
        lambda x: np.stack([np.concatenate([r[:n][::-1], r[n:]]) for r, n in zip(x, [2, 3, 0])]),
        [rng.uniform(size=(3, 4, 2))]),
    Row("ReverseSequence-batch1-float64",
        lambda x: ext.reverse_sequence(x, [1, 2], seq_axis=0, batch_axis=1),
        lambda x: np.stack([np.concatenate([x[:n, b][::-1], x[n:, b]]) for b, n in
                            enumerate([1, 2])], axis=1),
        [rng.uniform(size=(3, 2))]),
    Row("HistogramFixedWidth-float32", lambda v: ext.histogram_fixed_width(v, [0.0, 5.0], 5),
        lambda v: np.array([2, 1, 1, 0, 2], np.int32),
        [np.array([-1.0, 0, 1.5, 2, 5, 15], np.float32)], grad=False),
    Row("histogram_fixed_width_bins-float32",
        lambda v: ext.histogram_fixed_width_bins(v, [0.0, 5.0], 5),
        lambda v: np.clip(np.floor(v), 0, 4).astype(np.int32),
        [np.array([-1.0, 0, 1.5, 2, 5, 15], np.float32)], grad=False),
    Row("Bitcast-float32", lambda x: ext.bitcast(x, "int32"), lambda x: x.view(np.int32),
        [np.array([1.0, -2.5], np.float32)], grad=False),
    Row("Bitcast-to-uint8-int32", lambda x: ext.bitcast(x, "uint8"),
        lambda x: x.view(np.uint8).reshape(2, 4), [np.array([1, 258], np.int32)]),
    Row("batch_gather-float64", lambda p: ext.batch_gather(p, [[2, 0], [1, 1]]),
        lambda p: np.take_along_axis(p, np.array([[2, 0], [1, 1]]), 1), [rng.uniform(size=(2, 3))]),
    Row("SpaceToBatchND-float32",
        lambda x: ext.space_to_batch_nd(x, [2, 3], [[0, 0], [1, 2]]),
        lambda x: _tf_s2b(), [np.arange(48, dtype=np.float32).reshape(2, 4, 6, 1)], grad=False),
    Row("SpaceToBatchND-float64",
        lambda x: ext.space_to_batch(x, [[1, 1], [0, 2]], block_size=2),
        lambda x: np.pad(x, ((0, 0), (1, 1), (0, 2), (0, 0))).reshape(1, 2, 2, 3, 2, 2)
        .transpose(2, 4, 0, 1, 3, 5).reshape(4, 2, 3, 2), [rng.uniform(size=(1, 2, 4, 2))]),
    Row("BatchToSpaceND-float32",
        lambda x: ext.batch_to_space_nd(x, [2, 3], [[0, 0], [1, 2]]),
        lambda x: np.arange(48, dtype=np.float32).reshape(2, 4, 6, 1), [_tf_s2b()], grad=False),
    Row("BatchToSpaceND-float64", lambda x: ext.batch_to_space(x, [[0, 1], [1, 0]], 2),
        lambda x: x.reshape(2, 2, 1, 2, 2, 1).transpose(2, 3, 0, 4, 1, 5).reshape(1, 4, 4, 1)
        [:, 0:3, 1:4], [rng.uniform(size=(4, 2, 2, 1))]),
    Row("SegmentProd-float64", lambda x: segment.segment_prod(x, [0, 0, 2]),
        lambda x: np.stack([x[0] * x[1], np.ones(2), x[2]]), [rng.uniform(0.5, 2, (3, 2))]),
    Row("SegmentProd-with-zero-float64", lambda x: segment.segment_prod(x, [0, 0, 0, 1]),
        lambda x: np.array([x[0] * x[1] * x[2], x[3]]),
        [np.array([0.0, 1.5, -2.0, 0.7])]),
    Row("UnsortedSegmentProd-float64", lambda x: segment.unsorted_segment_prod(x, [1, -1, 1, 0], 3),
        lambda x: np.array([x[3], x[0] * x[2], 1.0]), [np.array([1.3, 2.0, -0.4, 0.8])]),
    Row("UnsortedSegmentProd-two-zeros-float64",
        lambda x: segment.unsorted_segment_prod(x, [0, 0, 0, 1], 2),
        lambda x: np.array([0.0, x[3]]), [np.array([0.0, 1.5, 0.0, 0.7])]),
]  # fmt: skip

_I = np.array([[12, -7, 0], [5, 255, -128]], np.int32)
_J = np.array([[10, 3, 1], [1, 4, 2]], np.int32)
ROWS += [
    Row("BitwiseAnd-int32", math_more.bitwise_and, np.bitwise_and, [_I, _J]),
    Row("BitwiseOr-int32", math_more.bitwise_or, np.bitwise_or, [_I, _J]),
    Row("BitwiseXor-int64", math_more.bitwise_xor, np.bitwise_xor,
        [_I.astype(np.int64), _J.astype(np.int64)]),
    Row("LeftShift-int32", math_more.left_shift, np.left_shift, [_I, _J]),
    Row("RightShift-int32", math_more.right_shift, np.right_shift, [_I, _J]),
    Row("RightShift-uint8", math_more.right_shift, np.right_shift,
        [np.array([255, 16, 1], np.uint8), np.array([1, 4, 0], np.uint8)]),
    Row("Invert-int8", math_more.invert, np.invert, [np.array([0, 5, -1, 127], np.int8)]),
    Row("Invert-uint8", math_more.invert, np.invert, [np.array([0, 5, 255], np.uint8)]),
]  # fmt: skip

_LX = rng.uniform(-2, 2, (3, 4))


def _cum_lse(x, exclusive=False, reverse=False):
    x = x[:, ::-1] if reverse else x
    out = np.logaddexp.accumulate(x, axis=1)
    if exclusive:
        out = np.concatenate([np.full((x.shape[0], 1), -np.inf), out[:, :-1]], axis=1)
    return out[:, ::-1] if reverse else out


ROWS += [
    Row("NextAfter-float32", math_more.nextafter, np.nextafter,
        [np.array([1.0, 0.0, -2.0], np.float32), np.array([2.0, -1.0, -2.0], np.float32)],
        grad=False),
    Row("cumulative_logsumexp-float64", lambda x: math_more.cumulative_logsumexp(x, axis=1),
        _cum_lse, [_LX]),
    Row("cumulative_logsumexp-reverse-float64",
        lambda x: math_more.cumulative_logsumexp(x, axis=1, reverse=True),
        lambda x: _cum_lse(x, reverse=True), [_LX]),
    Row("confusion_matrix-int32", lambda y, p: math_more.confusion_matrix(y, p),
        lambda y, p: np.array([[0, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 1, 0, 0],
                               [0, 0, 0, 0, 0], [0, 0, 0, 0, 1]], np.int32),
        [np.array([1, 2, 4], np.int32), np.array([2, 2, 4], np.int32)]),
    Row("confusion_matrix-weighted-float32",
        lambda y, p, w: math_more.confusion_matrix(y, p, 3, weights=w, dtype="float32"),
        lambda y, p, w: np.array([[0, 0.5, 0], [0, 2.0, 0], [0, 0, 0]], np.float32),
        [np.array([0, 1], np.int64), np.array([1, 1], np.int64),
         np.array([0.5, 2.0], np.float32)], grad=False),
]  # fmt: skip

_P = rng.permutation(2 * 5 * 4 * 2).reshape(2, 5, 4, 2).astype(np.float64) / 10  # no ties


def _argmax_ref(x):
    """2x2 windows, stride 2, SAME on a 5x4 image: the flat index (y * 4 + x) * 2 + c."""
    n, h, w, c = x.shape
    out = np.zeros((n, 3, 2, c), np.int64)
    for b in range(n):
        for i in range(3):
            for j in range(2):
                for ch in range(c):
                    window = [
                        (y, xx) for y in (2 * i, 2 * i + 1) for xx in (2 * j, 2 * j + 1) if y < h
                    ]
                    y, xx = max(window, key=lambda p: x[b, p[0], p[1], ch])
                    out[b, i, j, ch] = (y * w + xx) * c + ch
    return out


ROWS += [
    Row("MaxPoolWithArgmax-float64",
        lambda x: nn_ext.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")[0],
        lambda x: np.take(x.reshape(2, -1), _argmax_ref(x).reshape(2, -1), axis=1)[
            np.arange(2), np.arange(2)].reshape(2, 3, 2, 2), [_P]),
    Row("MaxPoolWithArgmax-argmax-float64",
        lambda x: nn_ext.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")[1],
        _argmax_ref, [_P], grad=False),
]  # fmt: skip


# Morphology and fractional pooling (graph/ops/morphology.py) --------------------------------
def _dilation_ref(x, f, stride=1, rate=1, top=1, left=0, rate_w=1):
    """Dilation by loops: SAME padding with the given offsets, -inf outside."""
    b, h, w, c = x.shape
    kh, kw, _ = f.shape
    oh, ow = -(-h // stride), -(-w // stride)
    out = np.full((b, oh, ow, c), -np.inf)
    for y in range(oh):
        for xx in range(ow):
            for dy in range(kh):
                for dx in range(kw):
                    r, q = y * stride + dy * rate - top, xx * stride + dx * rate_w - left
                    if 0 <= r < h and 0 <= q < w:
                        out[:, y, xx] = np.maximum(out[:, y, xx], x[:, r, q] + f[dy, dx])
    return out


_MX = np.random.RandomState(7).randn(2, 5, 4, 2)
_MF = np.random.RandomState(8).randn(3, 2, 2) * 0.5
_FX = np.random.RandomState(9).randn(1, 4, 6, 2)


def _blocks(x, reduce):
    b, h, w, c = x.shape
    return reduce(x.reshape(b, h // 2, 2, w // 2, 2, c), axis=(2, 4))


ROWS += [
    # SAME, 3x2 filter: 2 rows of padding, 1 on top; 1 column, none on the left
    Row("Dilation2D-float64",
        lambda x, f: morphology.dilation2d(x, f, [1, 1, 1, 1], [1, 1, 1, 1], "SAME"),
        _dilation_ref, [_MX, _MF]),
    Row("Dilation2D-rate2-float64",
        lambda x, f: morphology.dilation2d(x, f, [1, 1, 1, 1], [1, 2, 1, 1], "SAME"),
        lambda x, f: _dilation_ref(x, f, rate=2, top=2), [_MX, _MF]),
    Row("Erosion2D-float64",
        lambda x, f: morphology.erosion2d(x, f, [1, 1, 1, 1], [1, 1, 1, 1], "SAME"),
        lambda x, f: -_dilation_ref(-x, f[::-1, ::-1], top=1, left=0), [_MX, _MF]),
    Row("FractionalMaxPool-float64",
        lambda x: morphology.fractional_max_pool(x, [1.0, 2.0, 2.0, 1.0])[0],
        lambda x: _blocks(x, np.max), [_FX]),
    Row("FractionalAvgPool-float64",
        lambda x: morphology.fractional_avg_pool(x, [1.0, 2.0, 2.0, 1.0])[0],
        lambda x: _blocks(x, np.mean), [_FX]),
]  # fmt: skip
