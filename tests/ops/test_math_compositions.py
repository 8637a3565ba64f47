"""tf.math compositions against numpy (reduce_variance/std/euclidean_norm, xlogy, xdivy,
multiply_no_nan, reciprocal_no_nan, polyval) with gradient checks, and the aliases of
tf.math, tf.linalg and tf.random that name functions tested elsewhere."""

import numpy as np
import pytest

import psflow as tf
from tests.gradcheck import numeric_and_symbolic

RNG = np.random.default_rng(0)


def test_against_numpy():
    x = RNG.normal(size=(3, 4))
    m = tf.math
    zeros_x = np.array([0.0, 2.0, 0.0])
    y = np.array([0.0, 4.0, 3.0])
    cases = [
        (m.reduce_variance(x), x.var()),
        (m.reduce_variance(x, axis=1, keepdims=True), x.var(axis=1, keepdims=True)),
        (m.reduce_std(x, axis=0), x.std(axis=0)),
        (m.reduce_euclidean_norm(x, axis=1), np.linalg.norm(x, axis=1)),
        (m.xlogy(zeros_x, y), [0.0, 2.0 * np.log(4.0), 0.0]),
        (m.xdivy(zeros_x, y), [0.0, 0.5, 0.0]),
        (
            m.multiply_no_nan(np.array([np.inf, 2.0, np.nan]), np.array([0.0, 3.0, 0.0])),
            [0.0, 6.0, 0.0],
        ),
        (m.reciprocal_no_nan(y), [0.0, 0.25, 1 / 3]),
        (m.polyval([2.0, -1.0, 3.0], x), 2 * x**2 - x + 3),
        (m.divide_no_nan(y, zeros_x), [0.0, 2.0, 0.0]),
        (m.mod(np.array([-3, 5]), 3), [0, 2]),
        (m.accumulate_n([x, x]), 2 * x),
        (m.bincount([0, 2, 2]), [1, 0, 2]),
        (tf.linalg.band_part(x, 0, 0), np.eye(3, 4) * x),
    ]
    with tf.Session() as sess:
        got = sess.run([c[0] for c in cases])
    for i, (value, (_, want)) in enumerate(zip(got, cases)):
        np.testing.assert_allclose(value, want, rtol=1e-6, atol=1e-12, err_msg=str(i))


@pytest.mark.parametrize(
    "build,inputs",
    [
        (lambda a: tf.math.reduce_variance(a, axis=1), [RNG.normal(size=(2, 3))]),
        (lambda a: tf.math.reduce_std(a), [RNG.normal(size=(2, 3))]),
        (lambda a: tf.math.reduce_euclidean_norm(a, axis=0), [RNG.normal(size=(2, 3))]),
        (lambda a, b: tf.math.xlogy(a, b), [RNG.normal(size=3), RNG.uniform(1, 2, 3)]),
        (lambda a, b: tf.math.xdivy(a, b), [RNG.normal(size=3), RNG.uniform(1, 2, 3)]),
        (lambda a: tf.math.polyval([1.5, -2.0, 0.5], a), [RNG.normal(size=4)]),
    ],
)
def test_gradients(build, inputs):
    numeric, symbolic = numeric_and_symbolic(build, inputs)
    for n, s in zip(numeric, symbolic):
        np.testing.assert_allclose(s, n, rtol=1e-5, atol=1e-7)


def test_aliases_name_the_tested_functions():
    assert tf.math.log_softmax is tf.nn.log_softmax and tf.math.softsign is tf.nn.softsign
    assert tf.math.zero_fraction is tf.nn.zero_fraction and tf.math.softmax is tf.nn.softmax
    assert tf.linalg.einsum is tf.einsum and tf.linalg.cross is tf.cross
    assert tf.random.log_uniform_candidate_sampler is tf.nn.log_uniform_candidate_sampler
    assert tf.math.is_non_decreasing is tf.is_non_decreasing
    assert tf.math.unsorted_segment_sum is tf.unsorted_segment_sum
