"""Op table, sparse part: SparseTensor ops and sparse embedding lookups against numpy
references written from their definitions (dense arrays, loops)."""

from __future__ import annotations

import numpy as np

import psflow as tf

from .table import Row, ints, r

F64 = np.float64
IDX = np.array([[0, 1], [1, 0], [1, 3], [2, 2]])  # row-major
SHUFFLED = np.array([2, 0, 3, 1])  # an order that is not


def _dense(indices, values, shape, default=0.0):
    out = np.full(shape, default, dtype=np.asarray(values).dtype)
    for i, v in zip(indices, values):
        out[tuple(i)] = v
    return out


def _static(t, shape):
    """`t` with its static shape set (gradient checks need one; these ops' are dynamic)."""
    t.set_shape(shape)
    return t


def _sp(values, indices=IDX, shape=(3, 4)):
    return tf.SparseTensor(indices, values, shape)


def _combine(table, rows_ids, rows_weights, combiner, num_rows):
    out = np.zeros((num_rows, table.shape[1]))
    for b in range(num_rows):
        ids, ws = rows_ids.get(b, []), rows_weights.get(b, [])
        if not ids:
            continue
        total = sum(w * table[i] for i, w in zip(ids, ws))
        if combiner == "sum":
            out[b] = total
        elif combiner == "mean":
            out[b] = total / sum(ws)
        else:
            out[b] = total / np.sqrt(sum(w * w for w in ws))
    return out


# A batch of 4 rows over a 6-row table: row 1 has no id; id 4 appears twice.
SP_IDS = np.array([[0, 0], [0, 1], [2, 0], [3, 0], [3, 1], [3, 2]])
IDS = np.array([4, 1, 4, 0, 5, 2], np.int64)
WEIGHTS = np.array([1.0, 2.0, 0.5, 1.5, 1.0, 3.0])
BY_ROW = {0: [4, 1], 2: [4], 3: [0, 5, 2]}
W_BY_ROW = {0: [1.0, 2.0], 2: [0.5], 3: [1.5, 1.0, 3.0]}
ONES_BY_ROW = {k: [1.0] * len(v) for k, v in BY_ROW.items()}


def _lookup(combiner, weighted):
    def build(table):
        ids = tf.SparseTensor(SP_IDS, IDS, [4, 3])
        weights = tf.SparseTensor(SP_IDS, WEIGHTS, [4, 3]) if weighted else None
        return _static(
            tf.nn.embedding_lookup_sparse(table, ids, weights, combiner=combiner), [4, 3]
        )

    def ref(table):
        return _combine(table, BY_ROW, W_BY_ROW if weighted else ONES_BY_ROW, combiner, 4)

    return build, ref


def _partitioned(strategy):
    """The same lookup over a table split in two shards, `mod` or `div` (sizes 3 and 3)."""
    order = [0, 2, 4, 1, 3, 5] if strategy == "mod" else [0, 1, 2, 3, 4, 5]

    def build(p0, p1):
        ids = tf.SparseTensor(SP_IDS, IDS, [4, 3])
        weights = tf.SparseTensor(SP_IDS, WEIGHTS, [4, 3])
        out = tf.nn.embedding_lookup_sparse(
            [p0, p1], ids, weights, combiner="sqrtn", partition_strategy=strategy
        )
        return _static(out, [4, 2])

    def ref(p0, p1):
        table = np.empty((6, p0.shape[1]))
        table[order] = np.concatenate([p0, p1])
        return _combine(table, BY_ROW, W_BY_ROW, "sqrtn", 4)

    return build, ref


def _matmul(adjoint_a, adjoint_b):
    shape = (3, 4) if not adjoint_a else (4, 3)
    indices = IDX if not adjoint_a else IDX[:, ::-1]

    def build(values, b):
        sp = tf.SparseTensor(indices, values, shape)
        return tf.sparse_tensor_dense_matmul(sp, b, adjoint_a=adjoint_a, adjoint_b=adjoint_b)

    def ref(values, b):
        a = _dense(indices, values, shape)
        a = a.T if adjoint_a else a
        return a @ (b.T if adjoint_b else b)

    b = r(2, 4, dtype=F64) if adjoint_b else r(4, 2, dtype=F64)
    return Row(
        f"SparseTensorDenseMatMul-adj{int(adjoint_a)}{int(adjoint_b)}-float64",
        build,
        ref,
        [r(4, dtype=F64), b],
    )


# Recorded from TensorFlow 2.x (tf.strings.to_hash_bucket_fast), which TF1 shares.
HASH_WORDS = np.array([b"", b"a", b"hello", b"psflow", "café".encode(), b"x" * 100], dtype=object)
HASH_1000 = [263, 939, 296, 734, 587, 719]
HASH_2_62 = [1936946117179621455, 3694432073954588131, 3786372426573024488,
             4571029289575632830, 2156005646011579779, 1978794067220662815]  # fmt: skip


ROWS = [
    Row(
        "SparseToDense-float64",
        lambda v: tf.sparse_to_dense(IDX, [3, 4], v, 0.5),
        lambda v: _dense(IDX, v, (3, 4), 0.5),
        [r(4, dtype=F64)],
    ),
    Row(
        "SparseToDense-unvalidated-int32",
        lambda v: tf.sparse_to_dense(IDX[SHUFFLED], [3, 4], v, -1, validate_indices=False),
        lambda v: _dense(IDX[SHUFFLED], v, (3, 4), -1),
        [ints(4)],
        grad=False,
    ),
    Row(
        "sparse.to_dense-string",
        lambda v: tf.sparse.to_dense(_sp(v)),
        lambda v: _dense(IDX, v, (3, 4), b""),
        [np.array([b"a", b"b", b"c", b"d"], dtype=object)],
        grad=False,
    ),
    Row(
        "SparseReorder-to_dense-float64",
        lambda v: tf.sparse.to_dense(tf.sparse.reorder(_sp(v, IDX[SHUFFLED]))),
        lambda v: _dense(IDX[SHUFFLED], v, (3, 4)),
        [r(4, dtype=F64)],
    ),
    Row(
        "SparseReorder-values-float64",
        lambda v: tf.sparse.reorder(_sp(v, IDX[SHUFFLED])).values,
        lambda v: v[np.argsort(SHUFFLED)],
        [r(4, dtype=F64)],
    ),
    Row(
        "SparseReshape-float64",
        lambda v: _static(tf.sparse.to_dense(tf.sparse.reshape(_sp(v), [2, -1])), [2, 6]),
        lambda v: _dense(IDX, v, (3, 4)).reshape(2, 6),
        [r(4, dtype=F64)],
    ),
    Row(
        "SparseFillEmptyRows-float64",
        lambda v: _static(
            tf.sparse.to_dense(tf.sparse.fill_empty_rows(_sp(v, IDX[[0, 3]], (4, 4)), -2.0)[0]),
            [4, 4],
        ),
        lambda v: _dense(
            np.array([[0, 1], [1, 0], [2, 2], [3, 0]]), [v[0], -2.0, v[1], -2.0], (4, 4)
        ),
        [r(2, dtype=F64)],
    ),  # fmt: skip
    Row(
        "SparseFillEmptyRows-indicator",
        lambda v: tf.sparse.fill_empty_rows(_sp(v, IDX[[0, 3]], (4, 4)), -2.0)[1],
        lambda v: np.array([False, True, False, True]),
        [r(2, dtype=F64)],
        grad=False,
    ),
    _matmul(False, False),
    _matmul(True, False),
    _matmul(False, True),
    _matmul(True, True),
    Row(
        "Unique-values-int64",
        lambda x: tf.unique(x)[0],
        lambda x: np.array(list(dict.fromkeys(x.tolist())), np.int64),
        [np.array([7, 3, 7, 1, 3, 9], np.int64)],
        grad=False,
    ),
    Row(
        "Unique-idx-int64",
        lambda x: tf.unique(x)[1],
        lambda x: np.array([list(dict.fromkeys(x.tolist())).index(v) for v in x], np.int32),
        [np.array([7, 3, 7, 1, 3, 9], np.int64)],
        grad=False,
    ),
    Row(
        "StringToHashBucketFast-1000",
        lambda s: tf.string_to_hash_bucket_fast(s, 1000),
        lambda s: np.array(HASH_1000, np.int64),
        [HASH_WORDS],
        grad=False,
    ),
    Row(
        "StringToHashBucketFast-2^62",
        lambda s: tf.strings.to_hash_bucket_fast(s, 1 << 62),
        lambda s: np.array(HASH_2_62, np.int64),
        [HASH_WORDS],
        grad=False,
    ),
    *[
        Row(
            f"embedding_lookup_sparse-{c}-{'w' if w else 'u'}-float64",
            *_lookup(c, w),
            [r(6, 3, dtype=F64)],
        )
        for c in ("sum", "mean", "sqrtn")
        for w in (True, False)
    ],  # fmt: skip
    Row(
        "embedding_lookup_sparse-mod-float64",
        *_partitioned("mod"),
        [r(3, 2, dtype=F64), r(3, 2, dtype=F64)],
    ),  # fmt: skip
    Row(
        "embedding_lookup_sparse-div-float64",
        *_partitioned("div"),
        [r(3, 2, dtype=F64), r(3, 2, dtype=F64)],
    ),  # fmt: skip
    Row(
        "safe_embedding_lookup_sparse-float64",  # a negative id dropped, an empty row zero
        lambda t: tf.nn.safe_embedding_lookup_sparse(
            t,
            tf.SparseTensor([[0, 0], [0, 1], [2, 0]], np.array([1, -1, 3], np.int64), [3, 2]),
            combiner="sum",
        ),
        lambda t: np.stack([t[1], np.zeros(3), t[3]]),
        [r(5, 3, dtype=F64)],
    ),  # fmt: skip
    Row(
        "safe_embedding_lookup_sparse-default_id-float64",
        lambda t: tf.nn.safe_embedding_lookup_sparse(
            t,
            tf.SparseTensor([[0, 0], [2, 0]], np.array([1, 3], np.int64), [3, 2]),
            combiner="mean",
            default_id=4,
        ),
        lambda t: np.stack([t[1], t[4], t[3]]),
        [r(5, 3, dtype=F64)],
    ),  # fmt: skip
]
