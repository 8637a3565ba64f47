"""tf.map_fn, foldl, foldr and scan (graph/ops/functional.py) against numpy, unrolled (a
length known when building) and in a while loop (a length known only when running), with
gradients checked by finite differences."""

import numpy as np
import pytest

import psflow as tf

X = np.array([[1.0, 2.0], [3.0, -4.0], [5.0, 6.0]], np.float32)


@pytest.mark.parametrize("static", [True, False], ids=["unrolled", "while_loop"])
def test_map_fn_and_its_gradient(static):
    x = tf.constant(X) if static else tf.placeholder(tf.float32, [None, 2])
    out = tf.map_fn(lambda r: tf.reduce_sum(r * r) * r, x)
    grad = tf.gradients(tf.reduce_sum(tf.sin(out)), x)[0]
    feed = {} if static else {x: X}
    with tf.Session() as sess:
        got, g = sess.run([out, grad], feed)
        np.testing.assert_allclose(got, (X**2).sum(1, keepdims=True) * X, rtol=1e-6)
        if not static:
            numeric = np.zeros_like(X, np.float64)
            for i in np.ndindex(*X.shape):
                up, down = X.astype(np.float64), X.astype(np.float64)
                up[i] += 1e-3
                down[i] -= 1e-3
                f = lambda v: np.sin((v**2).sum(1, keepdims=True) * v).sum()  # noqa: E731
                numeric[i] = (f(up) - f(down)) / 2e-3
            np.testing.assert_allclose(g, numeric, rtol=2e-2, atol=2e-2)


def test_map_fn_over_a_tuple_returns_a_tuple():
    a, b = tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0])
    total, product = tf.map_fn(lambda t: (t[0] + t[1], t[0] * t[1]), (a, b))
    with tf.Session() as sess:
        assert sess.run(total).tolist() == [4.0, 6.0]
        assert sess.run(product).tolist() == [3.0, 8.0]


@pytest.mark.parametrize("static", [True, False], ids=["unrolled", "while_loop"])
def test_folds(static):
    v = np.array([1.0, 2.0, 3.0], np.float32)
    x = tf.constant(v) if static else tf.placeholder(tf.float32, [None])
    feed = {} if static else {x: v}
    left = tf.foldl(lambda acc, e: acc * 10 + e, x)
    right = tf.foldr(lambda acc, e: acc * 10 + e, x, initializer=tf.constant(0.0))
    with tf.Session() as sess:
        assert sess.run([left, right], feed) == [123.0, 321.0]


def test_scan_and_reverse_scan():
    x = tf.constant([1.0, 2.0, 3.0, 4.0])
    with tf.Session() as sess:
        assert sess.run(tf.scan(lambda a, e: a + e, x)).tolist() == [1.0, 3.0, 6.0, 10.0]
        assert sess.run(tf.scan(lambda a, e: a + e, x, initializer=tf.constant(10.0),
                                reverse=True)).tolist() == [20.0, 19.0, 17.0, 14.0]  # fmt: skip


def test_scan_over_a_length_known_at_run_time_matches_the_unrolled_scan():
    """A while loop writing TensorArrays: the same values and gradients as the unrolled
    graph (tuples of accumulators included)."""
    value = np.arange(8.0, dtype=np.float32).reshape(4, 2)
    fed = tf.placeholder(tf.float32, [None, 2])
    const = tf.constant(value)

    def programs(x):
        total = tf.scan(lambda a, e: a + e, x)
        decayed = tf.scan(lambda a, e: a * 0.5 + e * e, x, initializer=tf.zeros([2]),
                          reverse=True)  # fmt: skip
        pair = tf.scan(lambda a, e: (a[0] + e, a[1] * e), x,
                       initializer=(tf.zeros([2]), tf.ones([2])))  # fmt: skip
        loss = tf.reduce_sum(total) + tf.reduce_sum(decayed) + tf.reduce_sum(pair[1])
        return [total, decayed, pair[0], pair[1], tf.gradients(loss, x)[0]]

    looped, unrolled = programs(fed), programs(const)
    assert any(op.type == "While" for op in tf.get_default_graph().get_operations())
    with tf.Session() as sess:
        got = sess.run(looped, {fed: value})
        want = sess.run(unrolled)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)
    np.testing.assert_array_equal(got[0], np.cumsum(value, axis=0))
