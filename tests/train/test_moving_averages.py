"""tf.train.ExponentialMovingAverage: TF1's update rule, num_updates' decay, names,
collections, and restoring the averages into the model through variables_to_restore."""

import numpy as np
import pytest

import psflow as tf


def test_shadows_follow_their_variables(target):
    w = tf.Variable([1.0, 2.0], name="w")
    b = tf.Variable(5.0, name="b")
    step = tf.Variable(0, name="step", trainable=False)
    ema = tf.train.ExponentialMovingAverage(0.9, num_updates=step)
    maintain = ema.apply([w, b])
    assert ema.average(w).op.name == "w/ExponentialMovingAverage" == ema.average_name(w)
    assert ema.average(step) is None
    assert not ema.average(w).trainable
    assert set(tf.get_collection(tf.GraphKeys.MOVING_AVERAGE_VARIABLES)) >= {w, b}
    with tf.Session(target) as sess:
        sess.run(tf.global_variables_initializer())
        assert list(sess.run(ema.average(w))) == [1.0, 2.0]  # starts at the initial value
        sess.run([tf.assign(w, [3.0, 4.0]), tf.assign(b, 1.0)])
        sess.run(maintain)  # num_updates 0: decay min(0.9, 1/10) = 0.1
        np.testing.assert_allclose(sess.run(ema.average(w)), [1.0 - 0.9 * -2, 2.0 - 0.9 * -2])
        sess.run(tf.assign(step, 100))
        shadow_b = sess.run(ema.average(b))
        sess.run(maintain)  # decay min(0.9, 101/110) = 0.9
        assert sess.run(ema.average(b)) == pytest.approx(shadow_b - 0.1 * (shadow_b - 1.0))


def test_variables_to_restore_loads_the_averages(tmp_path):
    w = tf.Variable([1.0, 2.0], name="w")
    ema = tf.train.ExponentialMovingAverage(0.5)
    maintain = ema.apply([w])
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(tf.assign(w, [3.0, 6.0]))
        sess.run(maintain)  # shadow = [2, 4]
        path = saver.save(sess, str(tmp_path / "m"))
    tf.reset_default_graph()
    w = tf.Variable([0.0, 0.0], name="w")
    ema = tf.train.ExponentialMovingAverage(0.5)
    assert set(ema.variables_to_restore([w])) == {"w/ExponentialMovingAverage"}
    with tf.Session() as sess:
        tf.train.Saver(ema.variables_to_restore([w])).restore(sess, path)
        assert list(sess.run(w)) == [2.0, 4.0]


def test_integer_variables_are_refused():
    with pytest.raises(TypeError, match="half, float, or double"):
        tf.train.ExponentialMovingAverage(0.9).apply([tf.Variable(1, name="n")])
