"""Sparse traffic on the wire: a sparse embedding step moves bytes in proportion to the
unique ids of the batch -- rows to the worker, summed gradient rows back -- never to the
batch's id count nor the table (read from `cluster.transfer_report()`)."""

import numpy as np
import pytest

import psflow as tf

pytestmark = pytest.mark.ray

ROWS, DIM, BATCH, PER_ROW = 50_000, 16, 256, 8


@pytest.mark.parametrize("optimizer", ["sgd", "adagrad", "adam", "ftrl"])
def test_a_step_moves_bytes_per_unique_row(local_cluster, optimizer):
    local_cluster.reset()
    rng = np.random.default_rng(0)
    with tf.device("/job:ps/task:0"):
        table = tf.get_variable("table", [ROWS, DIM], initializer=tf.zeros_initializer())
    with tf.device("/job:worker/task:0"):
        ids = tf.sparse_placeholder(tf.int64)
        emb = tf.nn.embedding_lookup_sparse(table, ids, None, combiner="mean")
        loss = tf.reduce_sum(tf.square(emb - 1.0))
        make = {
            "sgd": lambda: tf.train.GradientDescentOptimizer(0.1),
            "adagrad": lambda: tf.train.AdagradOptimizer(0.1),
            "adam": lambda: tf.train.AdamOptimizer(0.1),
            "ftrl": lambda: tf.train.FtrlOptimizer(0.1),
        }[optimizer]
        train = make().minimize(loss)

    def batch():
        """BATCH rows of PER_ROW ids drawn from 300 hot ids: many repeats."""
        indices = np.array([[b, k] for b in range(BATCH) for k in range(PER_ROW)], np.int64)
        values = rng.choice(300, size=BATCH * PER_ROW).astype(np.int64) * 97
        return tf.SparseTensorValue(indices, values, np.array([BATCH, PER_ROW])), values

    with tf.Session(local_cluster.target) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {ids: batch()[0]})  # plans registered, slots created
        before = local_cluster.transfer_report()
        unique = 0
        for _ in range(3):
            value, drawn = batch()
            unique += len(np.unique(drawn))
            sess.run(train, {ids: value})
        after = local_cluster.transfer_report()
        rows_after = sess.run(table)
    row_bytes = unique * DIM * 4
    ps = after["/job:ps/task:0"] - before["/job:ps/task:0"]
    worker = after["/job:worker/task:0"] - before["/job:worker/task:0"]
    assert row_bytes <= ps <= 1.2 * row_bytes, (ps, row_bytes)  # the looked-up rows
    # The worker sends the unique ids (lookup), the summed gradient rows and their ids, and
    # hands its own next stage each id's position among the unique ones (4 bytes per id of
    # the batch): never the batch's ids x dim, nor the table.
    ids_seen = 3 * BATCH * PER_ROW
    assert row_bytes <= worker <= 1.2 * (row_bytes + 2 * unique * 8 + ids_seen * 4), worker
    assert worker < ids_seen * DIM * 4 / 3
    touched = np.flatnonzero(np.abs(rows_after).sum(axis=1))
    assert set(touched) <= set(np.arange(300) * 97)  # only rows looked up changed
