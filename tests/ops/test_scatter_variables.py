"""The variable scatters beyond update/add/sub (ScatterMul/Div/Min/Max), the ScatterNd
updates of variables, batch_scatter_update and count_up_to, against numpy; the values
match what TensorFlow 1.x gave for the same calls."""

import numpy as np
import pytest

import psflow as tf


def _run(var, *ops):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for op in ops:
            sess.run(op)
        return sess.run(var)


def test_scatter_mul_div_min_max_with_repeated_indices():
    start = np.arange(8.0).reshape(4, 2)
    v = tf.Variable(start)
    got = _run(
        v,
        tf.scatter_mul(v, [0, 0], [[2.0, 2.0], [3.0, 3.0]]),
        tf.scatter_div(v, [1, 1], [[2.0, 4.0], [2.0, 1.0]]),
        tf.scatter_min(v, [2], [[0.0, 100.0]]),
        tf.scatter_max(v, [3, 3], [[0.0, 100.0], [9.0, 1.0]]),
    )
    want = start.copy()
    want[0] *= 6
    want[1] /= [4.0, 4.0]
    want[2] = [0.0, 5.0]
    want[3] = [9.0, 100.0]
    np.testing.assert_allclose(got, want)


def test_scatter_nd_updates_of_a_variable():
    w = tf.Variable(np.zeros((2, 3)))
    got = _run(
        w,
        tf.scatter_nd_update(w, [[0, 1], [1, 2]], [5.0, 6.0]),
        tf.scatter_nd_add(w, [[0], [0]], [[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]]),
        tf.scatter_nd_sub(w, [[1, 0]], [2.0]),
    )
    np.testing.assert_allclose(got, [[2.0, 6.0, 1.0], [-2.0, 0.0, 6.0]])


def test_a_bad_nd_index_fails_and_leaves_the_variable():
    w = tf.Variable(np.ones((2, 3)))
    bad = tf.scatter_nd_update(w, [[0, 1], [2, 0]], [5.0, 6.0])
    with tf.Session() as sess:
        sess.run(w.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[1\] = \[2, 0\]"):
            sess.run(bad)
        np.testing.assert_array_equal(sess.run(w), np.ones((2, 3)))


def test_batch_scatter_update():
    b = tf.Variable(np.zeros((2, 3)))
    got = _run(b, tf.batch_scatter_update(b, [[0, 1], [2, 2]], [[7.0, 1.0], [8.0, 9.0]]))
    np.testing.assert_allclose(got, [[7.0, 1.0, 0.0], [0.0, 0.0, 9.0]])


def test_count_up_to_stops_at_its_limit():
    counter = tf.Variable(0, dtype=tf.int64)
    step = tf.count_up_to(counter, 3)
    with tf.Session() as sess:
        sess.run(counter.initializer)
        assert [sess.run(step) for _ in range(3)] == [0, 1, 2]
        with pytest.raises(tf.errors.OutOfRangeError, match="Reached limit of 3"):
            sess.run(step)
        assert sess.run(counter) == 3
