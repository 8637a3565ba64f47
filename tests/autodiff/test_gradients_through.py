"""Gradients through composite computations: broadcasting, reductions, gather (IndexedSlices),
conv2d + max_pool, cond and while_loop (in-process and on the cluster), multiple paths,
stop_gradient, unconnected inputs, second derivatives."""

import numpy as np
import pytest

import psflow as tf

from ..gradcheck import assert_gradients_match

rng = np.random.RandomState(3)


def test_broadcast_gradients_are_reduced_to_input_shapes(target):
    x = tf.placeholder(tf.float64, [3, 1])
    w = tf.Variable(np.array([1.0, 2.0, 3.0, 4.0]))
    b = tf.Variable(0.5, dtype=tf.float64)
    y = tf.reduce_sum(x * w + b)
    gx, gw, gb = tf.gradients(y, [x, w, b])
    assert gx.shape.as_list() == [3, 1] and gw.shape.as_list() == [4]
    xv = np.array([[1.0], [2.0], [3.0]])
    with tf.Session(target) as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run([gx, gw, gb], {x: xv})
    np.testing.assert_allclose(got[0], np.full((3, 1), 10.0))
    np.testing.assert_allclose(got[1], np.full(4, 6.0))
    assert got[2] == 12.0


def test_reductions_and_multiple_paths():
    assert_gradients_match(
        lambda x: tf.reduce_mean(x * x + x, axis=1, keepdims=True) * tf.reduce_max(x),
        [rng.rand(3, 4)],
    )
    x = tf.constant([1.0, 3.0, 3.0])
    g = tf.gradients(tf.reduce_max(x), x)[0]
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(g), [0.0, 0.5, 0.5])


def test_gather_gives_indexed_slices_that_densify(target):
    params = tf.Variable(np.arange(8.0).reshape(4, 2))
    ids = tf.constant([2, 0, 2])
    g = tf.gradients(tf.reduce_sum(tf.gather(params, ids) * 3.0), params)[0]
    assert isinstance(g, tf.IndexedSlices)
    dense = tf.convert_to_tensor(g)
    with tf.Session(target) as sess:
        sess.run(tf.global_variables_initializer())
        values, indices, full = sess.run([g.values, g.indices, dense])
    np.testing.assert_array_equal(indices, [2, 0, 2])
    np.testing.assert_allclose(values, np.full((3, 2), 3.0))
    np.testing.assert_allclose(full, [[3, 3], [0, 0], [6, 6], [0, 0]])


def test_conv2d_max_pool_chain_matches_finite_differences():
    x = rng.rand(1, 6, 6, 2)
    f = rng.rand(3, 3, 2, 3) - 0.5

    def net(x, f):
        h = tf.nn.relu(tf.nn.conv2d(x, f, [1, 1, 1, 1], "SAME"))
        return tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")

    assert_gradients_match(net, [x, f])


def test_cond_gradient_flows_through_the_taken_branch_only(target):
    x = tf.Variable(2.0, dtype=tf.float64)
    pred = tf.placeholder(tf.bool, [])
    y = tf.cond(pred, lambda: x * x * 3.0, lambda: x + 10.0)
    g = tf.gradients(y, x)[0]
    with tf.Session(target) as sess:
        sess.run(x.initializer)
        assert sess.run(g, {pred: True}) == 12.0
        assert sess.run(g, {pred: False}) == 1.0


def test_while_loop_gradient_matches_finite_differences():
    def build(x, w):
        _, out = tf.while_loop(
            lambda i, a: i < 3,
            lambda i, a: (i + 1, tf.tanh(a * w + x)),
            [tf.constant(0), tf.zeros_like(x)],
        )
        return out

    assert_gradients_match(build, [rng.rand(4) - 0.5, rng.rand(4)])


def test_while_loop_on_target_with_captured_variable(target):
    w = tf.Variable(np.array([1.0, 2.0, 0.5]))
    x = tf.placeholder(tf.float64, [3])
    _, acc = tf.while_loop(
        lambda i, a: i < 4,
        lambda i, a: (i + 1, a * w + x),
        [tf.constant(0), tf.zeros([3], tf.float64)],
    )
    loss = tf.reduce_sum(acc * acc)
    gx, gw = tf.gradients(loss, [x, w])
    xv = np.array([0.3, -0.2, 0.7])
    with tf.Session(target) as sess:
        sess.run(w.initializer)
        got_acc, got_gx, got_gw = sess.run([acc, gx, gw], {x: xv})
    wv = np.array([1.0, 2.0, 0.5])
    a, states = np.zeros(3), []
    for _ in range(4):
        states.append(a)
        a = a * wv + xv
    np.testing.assert_allclose(got_acc, a)
    g, dgx, dgw = 2 * a, np.zeros(3), np.zeros(3)
    for prev in reversed(states):
        dgx += g
        dgw += g * prev
        g = g * wv
    np.testing.assert_allclose(got_gx, dgx)
    np.testing.assert_allclose(got_gw, dgw)


def test_while_loop_shapes_structures_and_errors():
    out = tf.while_loop(
        lambda v: tf.shape(v)[0] < 8,
        lambda v: tf.concat([v, v], 0),
        [tf.ones([1])],
        shape_invariants=[tf.TensorShape([None])],
    )
    assert out.shape.as_list() == [None]
    pair = tf.while_loop(
        lambda p: p["n"] < 5,
        lambda p: {"n": p["n"] + 1, "s": p["s"] * 2.0},
        {"n": tf.constant(0), "s": tf.constant(1.0)},
    )
    capped = tf.while_loop(lambda k: k < 100, lambda k: k + 1, [0], maximum_iterations=7)
    with tf.Session() as sess:
        assert sess.run(out).tolist() == [1.0] * 8
        assert sess.run(pair) == {"n": 5, "s": 32.0}
        assert sess.run(capped) == 7
    with pytest.raises(ValueError, match="shape_invariants"):
        tf.while_loop(lambda v: tf.shape(v)[0] < 8, lambda v: tf.concat([v, v], 0), [tf.ones([1])])
    with pytest.raises(TypeError, match="type"):
        tf.while_loop(lambda v: v < 3, lambda v: tf.cast(v, tf.float32), [0])
    with pytest.raises(ValueError, match="boolean scalar"):
        tf.while_loop(lambda v: v, lambda v: v + 1, [0])


def test_stop_gradient_unconnected_and_second_derivatives():
    x = tf.placeholder(tf.float64, [])
    y = x * x + tf.stop_gradient(x * 5.0)
    z = tf.constant(2.0, tf.float64)
    g = tf.gradients(y, [x, z])
    assert g[1] is None
    a = x * 2.0
    blocked = tf.gradients(a * x, x, stop_gradients=[a])[0]
    second = tf.gradients(tf.gradients(x * x * x, x)[0], x)[0]
    with tf.Session() as sess:
        assert sess.run(g[0], {x: 3.0}) == 6.0
        assert sess.run(blocked, {x: 3.0}) == 6.0
        assert sess.run(second, {x: 3.0}) == 18.0
