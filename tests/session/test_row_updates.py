"""Sparse updates write the rows they touch in place (after one private copy), and keep
every promise of immutable values: a fetched value never changes afterwards, a failed
step leaves the rows as they were, and on a cluster a large table's object-store copy is
never served stale after its rows changed."""

import numpy as np
import pytest

import psflow as tf


def _stored(sess, var):
    return sess.runtime.store.get(var.op.name)


def test_row_updates_change_the_stored_array_in_place():
    table = tf.Variable(np.zeros((1000, 4), np.float32), name="table")
    ids = tf.placeholder(tf.int64, [None])
    loss = tf.reduce_sum(tf.gather(table, ids))
    train = tf.train.AdagradOptimizer(0.5).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {ids: [1, 2]})
        first = _stored(sess, table)
        before = sess.run(table)
        sess.run(train, {ids: [2, 7, 7]})
        assert _stored(sess, table) is first  # no copy of the table for a row update
        after = sess.run(table)
    changed = np.flatnonzero(np.abs(after - before).sum(axis=1))
    assert list(changed) == [2, 7]
    assert not first.flags.writeable


def test_a_fetched_value_does_not_change_when_rows_are_updated_later():
    table = tf.Variable(np.zeros((10, 2), np.float32), name="table")
    update = tf.scatter_add(table, [3, 3, 5], np.ones((3, 2), np.float32))
    with tf.Session() as sess:
        sess.run(table.initializer)
        sess.run(update)
        snapshot = sess.run(table)
        sess.run(update)
        np.testing.assert_array_equal(snapshot[3], [2.0, 2.0])
        np.testing.assert_array_equal(sess.run(table)[3], [4.0, 4.0])
        np.testing.assert_array_equal(sess.run(table)[5], [2.0, 2.0])


def test_a_failed_step_leaves_updated_rows_as_they_were(target):
    table = tf.Variable(np.ones((6, 3), np.float32), name="table")
    ids = tf.placeholder(tf.int64, [None])
    x = tf.placeholder(tf.float32, [])
    loss = tf.reduce_sum(tf.gather(table, ids))
    train = tf.train.GradientDescentOptimizer(1.0).minimize(loss)
    with tf.control_dependencies([train]):
        checked = tf.check_numerics(x, "bad step")  # fails after the update ran
    with tf.Session(target) as sess:
        sess.run(table.initializer)
        sess.run(train, {ids: [0]})
        sess.run(train, {ids: [0]})  # now updating the private array in place
        before = sess.run(table)
        with pytest.raises(tf.errors.InvalidArgumentError, match="bad step"):
            sess.run(checked, {ids: [0, 4], x: np.nan})
        np.testing.assert_array_equal(sess.run(table), before)
        sess.run(checked, {ids: [4], x: 1.0})
        assert sess.run(table)[4, 0] == 0.0


def test_a_large_tables_shared_copy_is_not_served_stale(target):
    """A table of 2 MB read by another task travels by object-store reference; after its
    rows change in place the next read gets the new rows."""
    table = tf.Variable(np.zeros((512, 1024), np.float32), name="big")
    with tf.device(None if target is None else "/job:worker/task:0"):
        total = tf.reduce_sum(table, axis=1)
    update = tf.scatter_add(table, [7], np.ones((1, 1024), np.float32))
    with tf.Session(target) as sess:
        sess.run(table.initializer)
        for step in range(1, 4):
            sess.run(total)
            sess.run(update)
            assert sess.run(total)[7] == 1024.0 * step
