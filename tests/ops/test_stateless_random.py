"""Stateless random ops: the same seed and shape give the same draws on every run and in
every graph, other seeds other draws; the distributions hold (moments over many draws),
and because the noise is fixed by the seed their parameter gradients can be checked by
finite differences (normal, uniform, truncated, gamma's implicit gradient)."""

import numpy as np
import pytest

import psflow as tf
from tests.gradcheck import assert_gradients_match

R = tf.random


def _run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


def test_same_seed_same_draws_across_graphs_and_runs():
    def draws():
        return [R.stateless_uniform([5], [7, 9]), R.stateless_normal([2, 3], [7, 9]),
                R.stateless_categorical([[0.0, 1.0, 2.0]], 4, [7, 9])]  # fmt: skip

    first = _run(draws())
    with tf.Graph().as_default():
        again = _run(draws())
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    other = _run(R.stateless_uniform([5], [7, 10]))
    assert not np.array_equal(other, first[0])
    seed = tf.placeholder(tf.int64, [2])
    fed = R.stateless_uniform([5], seed)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(fed, {seed: [7, 9]}), first[0])


def test_distributions_hold():
    n = 20000
    u, ints, z, t, g, p, b, c = _run([
        R.stateless_uniform([n], [1, 2], 2.0, 4.0),
        R.stateless_uniform([n], [1, 2], 0, 5, tf.int32),
        R.stateless_normal([n], [1, 2], 1.0, 3.0),
        R.stateless_truncated_normal([n], [1, 2]),
        R.stateless_gamma([n, 2], [1, 2], [2.0, 5.0]),
        R.stateless_poisson([n], [1, 2], 4.0),
        R.stateless_binomial([n], [1, 2], 10.0, 0.3),
        R.stateless_categorical(np.log([[0.2, 0.8]]), n, [1, 2]),
    ])  # fmt: skip
    assert u.min() >= 2 and u.max() < 4 and abs(u.mean() - 3) < 0.03
    assert set(np.unique(ints).tolist()) == {0, 1, 2, 3, 4} and ints.dtype == np.int32
    assert abs(z.mean() - 1) < 0.06 and abs(z.std() - 3) < 0.06
    assert np.abs(t).max() <= 2
    np.testing.assert_allclose(g.mean(axis=0), [2.0, 5.0], rtol=0.03)
    assert abs(p.mean() - 4) < 0.06 and abs(b.mean() - 3) < 0.05
    assert abs(c.mean() - 0.8) < 0.02 and c.shape == (1, n)


def test_parameter_gradients_match_finite_differences():
    assert_gradients_match(lambda m, s: R.stateless_normal([4], [3, 4], m, s, tf.float64),
                           [np.array(0.5), np.array(2.0)])  # fmt: skip
    assert_gradients_match(lambda lo: R.stateless_uniform([3], [3, 4], lo, 5.0, tf.float64),
                           [np.array(1.0)])  # fmt: skip
    assert_gradients_match(
        lambda m: R.stateless_parameterized_truncated_normal([3], [3, 4], m, 1.5, -1.0, 2.0),
        [np.array(0.25)],
    )


def test_gamma_gradients_are_the_implicit_reparameterization():
    from scipy import special, stats

    alpha = tf.constant([1.5, 4.0], tf.float64)
    beta = tf.constant(2.0, tf.float64)
    x = R.stateless_gamma([3, 2], [5, 6], alpha, beta, dtype=tf.float64)
    d_alpha, d_beta = tf.gradients(tf.reduce_sum(x), [alpha, beta])
    xs, ga, gb = _run([x, d_alpha, d_beta])
    assert gb == pytest.approx(-xs.sum() / 2.0)  # x = gamma(alpha) / beta
    a, h = np.array([1.5, 4.0]), 1e-6
    std = xs * 2.0  # the Gamma(alpha, 1) draws
    d_cdf = (special.gammainc(a + h, std) - special.gammainc(a - h, std)) / (2 * h)
    want = (-d_cdf / stats.gamma.pdf(std, a) / 2.0).sum(axis=0)
    np.testing.assert_allclose(ga, want, rtol=1e-4)


def test_bad_seeds_and_bounds():
    with pytest.raises(tf.errors.InvalidArgumentError, match="seed must have shape"):
        _run(R.stateless_uniform([2], [1, 2, 3]))
    with pytest.raises(ValueError, match="Must specify maxval"):
        R.stateless_uniform([2], [1, 2], dtype=tf.int32)
