"""Random ops: TF1 seed semantics (graph + op seeds reproduce run after run, in a fresh
session), distributions (moments, truncation, ranges), shapes and bad input."""

import numpy as np
import pytest

import psflow as tf


def _values(build, runs=2, graph_seed=None):
    graph = tf.Graph()
    with graph.as_default():
        if graph_seed is not None:
            tf.set_random_seed(graph_seed)
        t = build()
        with tf.Session(graph=graph) as sess:
            return [sess.run(t) for _ in range(runs)]


@pytest.mark.parametrize(
    "build",
    [
        lambda: tf.random_normal([3, 2]),
        lambda: tf.truncated_normal([4]),
        lambda: tf.random_uniform([2, 2], -1, 1),
        lambda: tf.random_uniform([5], 0, 10, dtype=tf.int32),
        lambda: tf.random_shuffle(tf.range(10)),
        lambda: tf.multinomial(tf.constant([[0.0, 1.0, 2.0]]), 6),
        lambda: tf.orthogonal_initializer()([3, 3]),
    ],
    ids=["normal", "truncated", "uniform", "uniform-int", "shuffle", "multinomial", "orthogonal"],
)
def test_graph_seed_reproduces_the_sequence_in_a_fresh_session(build):
    first = _values(build, graph_seed=7)
    again = _values(build, graph_seed=7)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    other = _values(build, graph_seed=8)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other))


def test_successive_runs_draw_new_values():
    first, second = _values(lambda: tf.random_normal([5]), graph_seed=1)
    assert not np.array_equal(first, second)


def test_op_seed_alone_is_deterministic_and_distinct_per_seed():
    a = _values(lambda: tf.random_uniform([4], seed=3), runs=1)[0]
    b = _values(lambda: tf.random_uniform([4], seed=3), runs=1)[0]
    c = _values(lambda: tf.random_uniform([4], seed=4), runs=1)[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_two_ops_with_the_graph_seed_differ():
    def build():
        return tf.stack([tf.random_normal([3]), tf.random_normal([3])])

    v = _values(build, runs=1, graph_seed=5)[0]
    assert not np.array_equal(v[0], v[1])


def test_no_seed_differs_between_sessions():
    a = _values(lambda: tf.random_normal([6]), runs=1)[0]
    b = _values(lambda: tf.random_normal([6]), runs=1)[0]
    assert not np.array_equal(a, b)


def test_sequence_continues_across_run_signatures():
    tf.set_random_seed(2)
    t = tf.random_normal([3])
    other = tf.constant(1.0)
    with tf.Session() as sess:
        a = sess.run(t)
        b, _ = sess.run([t, other])
    assert not np.array_equal(a, b)


def test_distributions():
    tf.set_random_seed(11)
    n = tf.random_normal([20000], mean=2.0, stddev=3.0)
    t = tf.truncated_normal([20000], stddev=2.0)
    u = tf.random_uniform([20000], 1.0, 3.0)
    i = tf.random_uniform([20000], -2, 3, dtype=tf.int64)
    m = tf.multinomial(tf.log([[0.1, 0.6, 0.3]]), 20000)
    with tf.Session() as sess:
        nv, tv, uv, iv, mv = sess.run([n, t, u, i, m])
    assert nv.dtype == np.float32 and abs(nv.mean() - 2) < 0.1 and abs(nv.std() - 3) < 0.1
    assert np.abs(tv).max() <= 4.0 and abs(tv.std() - 2 * 0.8796) < 0.05
    assert uv.min() >= 1 and uv.max() < 3 and abs(uv.mean() - 2) < 0.05
    assert iv.dtype == np.int64 and set(np.unique(iv)) == {-2, -1, 0, 1, 2}
    np.testing.assert_allclose(np.bincount(mv[0], minlength=3) / 20000, [0.1, 0.6, 0.3], atol=0.02)


def test_shuffle_is_a_permutation_of_rows():
    x = np.arange(12).reshape(6, 2)
    with tf.Session() as sess:
        out = sess.run(tf.random_shuffle(tf.constant(x), seed=1))
    assert sorted(map(tuple, out)) == sorted(map(tuple, x))


def test_orthogonal_initializer_is_orthogonal():
    with tf.Session() as sess:
        q = sess.run(tf.orthogonal_initializer(gain=2.0, seed=1)([4, 6]))
    np.testing.assert_allclose(q @ q.T, 4 * np.eye(4), atol=1e-5)


def test_static_shapes_and_bad_input():
    assert tf.random_normal([2, 3]).shape.as_list() == [2, 3]
    shape = tf.placeholder(tf.int32, [2])
    assert tf.random_uniform(shape).shape.as_list() == [None, None]
    with pytest.raises(ValueError, match="maxval"):
        tf.random_uniform([2], dtype=tf.int32)
    with pytest.raises(ValueError, match="float"):
        tf.random_normal([2], dtype=tf.int32)
    bad = tf.random_uniform([3], 5, 5, dtype=tf.int32)
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="minval"):
        sess.run(bad)


def test_dropout_keeps_expected_fraction_and_scales():
    tf.set_random_seed(3)
    x = tf.ones([10000])
    y = tf.nn.dropout(x, keep_prob=0.25)
    z = tf.nn.dropout(x, rate=0.75)
    with tf.Session() as sess:
        yv, zv = sess.run([y, z])
    assert set(np.unique(yv)) <= {0.0, 4.0} and abs((yv > 0).mean() - 0.25) < 0.02
    assert abs((zv > 0).mean() - 0.25) < 0.02
    with pytest.raises(ValueError):
        tf.nn.dropout(x, keep_prob=0.5, rate=0.5)
    with pytest.raises(ValueError, match="keep_prob"):
        tf.nn.dropout(x, keep_prob=1.5)


def test_each_session_restarts_the_seeded_sequence(target):
    """On a cluster the generators live in the task running the op; a new session still
    starts from the seeds (as TF1's per-session kernels), while one session continues."""
    tf.set_random_seed(21)
    r = tf.random_uniform([3])
    noise = tf.nn.dropout(tf.ones([6]), keep_prob=0.5)
    with tf.Session(target) as sess:
        a1, d1 = sess.run([r, noise])
        a2 = sess.run(r)
    with tf.Session(target) as sess:
        b1, e1 = sess.run([r, noise])
    assert not np.array_equal(a1, a2)
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(d1, e1)


def test_gamma_and_poisson_draws_and_the_gamma_gradient():
    """Moments of Gamma(alpha, 1) and Poisson(lam) draws, seeded repeatability, and the
    implicit reparameterization gradient: d E[gamma(alpha)/beta] / d alpha = 1 / beta."""
    alpha = tf.constant([2.0, 5.0])
    draws = tf.random.gamma([40000], alpha, seed=1)
    counts = tf.random_poisson([3.0, 10.0], [40000], seed=2)
    scaled = tf.random.gamma([40000], alpha, beta=tf.constant(2.0), seed=3)
    grad = tf.gradients(tf.reduce_mean(scaled, 0), alpha)[0]
    assert draws.shape.as_list() == [40000, 2]
    with tf.Session() as sess:
        g, p, d = sess.run([draws, counts, grad])
    np.testing.assert_allclose(g.mean(0), [2.0, 5.0], rtol=0.03)
    np.testing.assert_allclose(g.var(0), [2.0, 5.0], rtol=0.06)
    np.testing.assert_allclose(p.mean(0), [3.0, 10.0], rtol=0.03)
    assert p.dtype == np.float32 and np.all(p == np.round(p))
    np.testing.assert_allclose(d, [0.5, 0.5], rtol=0.03)
