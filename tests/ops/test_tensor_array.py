"""tf.TensorArray: writes and reads in while loops (with gradients through both), unstack,
scatter, gather, split, concat, dynamic size, static shapes, bad writes. Expected values
are numpy's; TensorFlow 1.x gave the same for the same programs (checked once, recorded)."""

import numpy as np
import pytest

import psflow as tf

X = np.array([[1.0, 2], [3, 4], [5, 6], [7, 8]], np.float32)


def _run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


def test_a_loop_writes_each_step_and_gradients_flow_through_the_array():
    x = tf.constant(X)
    ta = tf.TensorArray(tf.float32, size=4)

    def body(i, acc, ta):
        acc = acc * x[i] + 1.0
        return i + 1, acc, ta.write(i, acc)

    _, _, out = tf.while_loop(lambda i, a, t: i < 4, body, [0, tf.ones([2]), ta])
    stacked = out.stack()
    assert stacked.shape.as_list() == [4, 2] and out.element_shape.as_list() == [2]
    (grad,) = tf.gradients(tf.reduce_sum(stacked * stacked), [x])
    got = _run([stacked, out.size(), out.read(2), out.gather([3, 0]), out.concat(), grad])
    acc, rows = np.ones(2), []
    for row in X:
        acc = acc * row + 1.0
        rows.append(acc)
    want = np.array(rows)
    np.testing.assert_allclose(got[0], want)
    assert got[1] == 4
    np.testing.assert_allclose(got[2], want[2])
    np.testing.assert_allclose(got[3], want[[3, 0]])
    np.testing.assert_allclose(got[4], want.reshape(-1))

    # d/dx_k of sum_t acc_t^2, acc_t = acc_{t-1} x_t + 1: by finite differences in float64
    def loss(xs):
        acc, total = np.ones(2), 0.0
        for row in xs:
            acc = acc * row + 1.0
            total = total + acc * acc
        return total

    numeric = np.zeros((4, 2))
    for k in range(4):
        step = np.zeros((4, 2))
        step[k] = 1e-6
        numeric[k] = (loss(X + step) - loss(X - step)) / 2e-6
    np.testing.assert_allclose(got[5], numeric, rtol=1e-4)


def test_unstacked_rows_are_read_in_a_loop_with_gradients():
    x = tf.constant(X)
    rows = tf.TensorArray(tf.float32, size=4).unstack(x)

    def body(i, total):
        return i + 1, total + tf.reduce_sum(rows.read(i)) * tf.cast(i + 1, tf.float32)

    _, total = tf.while_loop(lambda i, s: i < 4, body, [0, 0.0])
    (grad,) = tf.gradients(total, [x])
    got = _run([total, grad])
    assert got[0] == pytest.approx(sum((k + 1) * X[k].sum() for k in range(4)))
    np.testing.assert_allclose(got[1], np.repeat(np.arange(1.0, 5)[:, None], 2, 1))


def test_a_dynamic_array_grows_with_its_writes():
    ta = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
    _, out = tf.while_loop(lambda i, t: i < 5, lambda i, t: (i + 1, t.write(i, i * i)), [0, ta])
    got = _run([out.stack(), out.size()])
    np.testing.assert_array_equal(got[0], [0, 1, 4, 9, 16])
    assert got[1] == 5


def test_scatter_split_and_bad_writes():
    scattered = tf.TensorArray(tf.float32, size=3).scatter([2, 0], X[:2])
    split = tf.TensorArray(tf.float32, size=2).split(X.reshape(8), [4, 4])
    got = _run([scattered.read(2), scattered.read(0), scattered.read(1), split.stack()])
    np.testing.assert_array_equal(got[0], X[0])
    np.testing.assert_array_equal(got[1], X[1])
    np.testing.assert_array_equal(got[2], [0, 0])  # never written: zeros
    np.testing.assert_array_equal(got[3], X.reshape(2, 4))
    fixed = tf.TensorArray(tf.float32, size=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="not resizeable and size is: 2"):
        _run(fixed.write(tf.constant(2), [1.0]).stack())
    with pytest.raises(ValueError, match="Inconsistent shapes"):
        fixed.write(0, [1.0, 2.0]).write(1, [1.0])
    with pytest.raises(NotImplementedError, match="different lengths"):
        tf.TensorArray(tf.float32, size=2).split(X.reshape(8), [3, 5])
    with pytest.raises(ValueError, match="Size must be provided"):
        tf.TensorArray(tf.float32)


def test_element_shape_given_up_front():
    ta = tf.TensorArray(tf.float32, size=3, element_shape=[2])
    assert ta.flow.shape.as_list() == [3, 2]
    np.testing.assert_array_equal(_run(ta.write(1, [5.0, 6.0]).stack()), [[0, 0], [5, 6], [0, 0]])
