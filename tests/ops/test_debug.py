"""Assert and the assert_* family, Print, verify_tensor_all_finite: in a graph, under
control dependencies, in-process and on the cluster."""

import numpy as np
import pytest

import psflow as tf


def test_an_assertion_fails_the_step_with_its_data(target):
    x = tf.placeholder(tf.float32, [None])
    with tf.control_dependencies([tf.assert_positive(x, message="need positive")]):
        y = tf.identity(x) * 2.0
    with tf.Session(target) as sess:
        np.testing.assert_array_equal(sess.run(y, {x: [1.0, 0.5]}), [2.0, 1.0])
        with pytest.raises(tf.errors.InvalidArgumentError) as err:
            sess.run(y, {x: [1.0, -2.5]})
    assert "assertion failed: [need positive] [Condition x > y did not hold" in err.value.message
    assert "[1 -2.5]" in err.value.message


@pytest.mark.parametrize(
    "check, good, bad",
    [
        (tf.assert_equal, ([1, 2], [1, 2]), ([1, 2], [1, 3])),
        (tf.assert_none_equal, ([1, 2], [3, 4]), ([1, 2], [1, 4])),
        (tf.assert_less, ([1, 2], [2, 3]), ([1, 2], [2, 2])),
        (tf.assert_less_equal, ([1, 2], [1, 2]), ([1, 3], [1, 2])),
        (tf.assert_greater, ([3, 4], [1, 2]), ([3, 4], [3, 2])),
        (tf.assert_greater_equal, ([3, 4], [3, 4]), ([2, 4], [3, 4])),
    ],
)
def test_comparisons(check, good, bad):
    with tf.Session() as sess:
        sess.run(check(*good))
        with pytest.raises(tf.errors.InvalidArgumentError, match="assertion failed"):
            sess.run(check(*bad))


def test_signs_and_static_checks():
    with tf.Session() as sess:
        sess.run([tf.assert_negative([-1]), tf.assert_non_negative([0, 1]),
                  tf.assert_non_positive([0, -1])])  # fmt: skip
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(tf.assert_non_positive([0, 1]))
        custom = tf.Assert(tf.constant(False), ["bad", tf.constant([1, 2, 3, 4, 5])], summarize=2)
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[bad\] \[1 2\.\.\.\]"):
            sess.run(custom)
    with pytest.raises(ValueError, match="must have rank 2"):
        tf.assert_rank(tf.zeros([3]), 2)
    with pytest.raises(TypeError, match="must be of type int32"):
        tf.assert_type(tf.zeros([3]), tf.int32)
    with pytest.raises(TypeError, match="Expected integer type"):
        tf.assert_integer(tf.zeros([3]))
    with pytest.raises(ValueError, match="Expected scalar"):
        tf.assert_scalar(tf.zeros([3]))


def test_print_passes_its_input_and_writes_the_data(capfd):
    x = tf.constant([1.5, 2.0])
    printed = tf.Print(x, [x, "done"], message="x: ")
    (grad,) = tf.gradients(tf.reduce_sum(printed * 3.0), [x])
    with tf.Session() as sess:
        value, g = sess.run([printed, grad])
    np.testing.assert_array_equal(value, [1.5, 2.0])
    np.testing.assert_array_equal(g, [3.0, 3.0])
    assert "x: [1.5 2][done]" in capfd.readouterr().err


def test_verify_tensor_all_finite():
    x = tf.placeholder(tf.float32, [2])
    checked = tf.verify_tensor_all_finite(x, "not finite")
    with tf.Session() as sess:
        sess.run(checked, {x: [1.0, 2.0]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="not finite"):
            sess.run(checked, {x: [1.0, np.inf]})
