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


def test_variable_methods_of_tf1s_ref_variables():
    v = tf.Variable([1.0, 2.0, 3.0, 4.0])
    delta = tf.IndexedSlices(tf.constant([10.0, 20.0]), tf.constant([1, 3]))
    m = tf.Variable([[1, 2], [3, 4]])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(v.scatter_sub(delta)).tolist() == [1.0, -8.0, 3.0, -16.0]
        assert sess.run(v.scatter_add(delta)).tolist() == [1.0, 2.0, 3.0, 4.0]
        assert sess.run(v.scatter_update(delta)).tolist() == [1.0, 10.0, 3.0, 20.0]
        assert (
            sess.run(
                v.scatter_max(tf.IndexedSlices(tf.constant([5.0]), tf.constant([0])))
            ).tolist()[0]
            == 5.0
        )
        assert sess.run(v.sparse_read([3, 0])).tolist() == [20.0, 5.0]
        assert sess.run(m.scatter_nd_add([[1, 0]], [10])).tolist() == [[1, 2], [13, 4]]
        assert sess.run(m.gather_nd([[0, 1]])).tolist() == [2]
    with pytest.raises(TypeError, match="not IndexedSlices"):
        v.scatter_add([1.0])


def test_a_registered_gradient_may_return_one_tensor():
    @tf.RegisterGradient("TimesHundredForTest")
    def _grad(op, grad):
        return grad * 100.0

    x = tf.constant([1.0, 2.0])
    with tf.get_default_graph().gradient_override_map({"Square": "TimesHundredForTest"}):
        y = tf.square(x)
    with tf.Session() as sess:
        assert sess.run(tf.gradients(tf.reduce_sum(y), x)[0]).tolist() == [100.0, 100.0]
