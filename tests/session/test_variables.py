"""Variables: initialization, assignment, snapshots, collections, failed steps."""

import numpy as np
import pytest

import psflow as tf


def test_variable_nodes_and_names():
    v = tf.Variable([1.0, 2.0], name="w")
    assert v.name == "w:0"
    assert v.op.name == "w" and v.op.type == "VariableV2"
    assert v.initializer.name == "w/Assign"
    assert v.value().op.name == "w/read"
    assert v.shape.as_list() == [2] and v.dtype == tf.float32
    w2 = tf.Variable(1.0, name="w")
    assert w2.op.name == "w_1"


def test_uninitialized_read_fails_with_the_variable_name(target):
    v = tf.Variable(3, name="counter")
    with tf.Session(target) as sess:
        with pytest.raises(
            tf.errors.FailedPreconditionError, match="Attempting to use uninitialized value counter"
        ):
            sess.run(v)
        with pytest.raises(tf.errors.FailedPreconditionError):
            sess.run(v + 1)


def test_initializers_and_collections(target):
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(2.0, name="b", trainable=False)
    c = tf.Variable(3.0, name="c", trainable=False, collections=[tf.GraphKeys.LOCAL_VARIABLES])
    assert tf.global_variables() == [a, b]
    assert tf.trainable_variables() == [a]
    assert tf.local_variables() == [c]
    with tf.Session(target) as sess:
        assert list(sess.run(tf.report_uninitialized_variables())) == [b"a", b"b", b"c"]
        sess.run(tf.variables_initializer([a]))
        assert sess.run(tf.is_variable_initialized(a)) and not sess.run(
            tf.is_variable_initialized(b)
        )
        assert list(sess.run(tf.report_uninitialized_variables())) == [b"b", b"c"]
        sess.run(tf.global_variables_initializer())
        sess.run(tf.local_variables_initializer())
        assert sess.run([a, b, c]) == [1.0, 2.0, 3.0]
        assert len(sess.run(tf.report_uninitialized_variables())) == 0


def test_assign_methods(target):
    v = tf.Variable([1.0, 2.0], name="v")
    with tf.Session(target) as sess:
        sess.run(tf.initialize_all_variables())
        np.testing.assert_array_equal(sess.run(v.assign([5.0, 6.0])), [5.0, 6.0])
        np.testing.assert_array_equal(sess.run(v.assign_add([1.0, 1.0])), [6.0, 7.0])
        np.testing.assert_array_equal(sess.run(v.assign_sub([2.0, 2.0])), [4.0, 5.0])
        np.testing.assert_array_equal(sess.run(tf.assign(v, [0.0, 0.0])), [0.0, 0.0])
        np.testing.assert_array_equal(sess.run(tf.assign_add(v, [1.0, 2.0])), [1.0, 2.0])
        np.testing.assert_array_equal(sess.run(tf.assign_sub(v, [1.0, 2.0])), [0.0, 0.0])


def test_initialized_value_and_dependent_initial_values(target):
    a = tf.Variable(2.0, name="a")
    b = tf.Variable(a.initialized_value() * 3.0, name="b")
    with tf.Session(target) as sess:
        sess.run(b.initializer)  # a is not initialized: its initial value is used
        assert sess.run(b) == 6.0
        sess.run(a.initializer)
        sess.run(tf.assign(a, 10.0))
        sess.run(b.initializer)
        assert sess.run(b) == 30.0


def test_a_read_is_a_snapshot(target):
    v = tf.Variable(1.0, name="v")
    before = tf.identity(v.value())
    with tf.control_dependencies([before]):
        update = tf.assign(v, 5.0)
    with tf.Session(target) as sess:
        sess.run(v.initializer)
        old, new = sess.run([before, update])
    assert (old, new) == (1.0, 5.0)


def test_failed_step_leaves_variables_as_they_were(target):
    v = tf.Variable(1.0, name="v")
    x = tf.placeholder(tf.float32)
    bump = tf.assign_add(v, 1.0)
    with tf.control_dependencies([bump]):
        bad = tf.reshape(x, [2])
    with tf.Session(target) as sess:
        sess.run(v.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(bad, {x: [1.0, 2.0, 3.0]})
        assert sess.run(v) == 1.0
        sess.run(bad, {x: [1.0, 2.0]})
        assert sess.run(v) == 2.0


def test_assign_shape_checks():
    v = tf.Variable([1.0, 2.0], name="v")
    with pytest.raises(ValueError):
        tf.assign(v, [1.0, 2.0, 3.0])
    with pytest.raises(TypeError):
        tf.assign(tf.constant(1.0), 2.0)
    w = tf.Variable([1.0, 2.0], name="w")
    p = tf.placeholder(tf.float32)
    upd = tf.assign(w, p)
    with tf.Session() as sess:
        sess.run(w.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError, match="shapes of both"):
            sess.run(upd, {p: [1.0]})
        np.testing.assert_array_equal(sess.run(w), [1.0, 2.0])


def test_variable_operators_read_the_value(target):
    v = tf.Variable(3.0, name="v")
    with tf.Session(target) as sess:
        sess.run(v.initializer)
        assert sess.run(v * 2.0 + 1.0) == 7.0
        assert sess.run(-v) == -3.0
        assert sess.run(2.0 - v) == -1.0


def test_variable_sessions_are_independent_in_process():
    v = tf.Variable(1, name="v")
    with tf.Session() as s1, tf.Session() as s2:
        s1.run(v.initializer)
        with pytest.raises(tf.errors.FailedPreconditionError):
            s2.run(v)
