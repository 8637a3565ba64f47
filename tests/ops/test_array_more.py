"""sort/argsort, roll, meshgrid, repeat, bincount, matrix_band_part, cross and einsum
against numpy, with gradient checks for the differentiable ones."""

import numpy as np
import pytest

import psflow as tf
from tests.gradcheck import numeric_and_symbolic

RNG = np.random.default_rng(0)


def _run(t):
    with tf.Session() as sess:
        return sess.run(t)


def test_against_numpy():
    x = RNG.normal(size=(3, 5))
    a, b = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    cases = [
        (tf.sort(x), np.sort(x, axis=-1)),
        (tf.sort(x, direction="DESCENDING"), -np.sort(-x, axis=-1)),
        (tf.argsort(x), np.argsort(x, axis=-1, kind="stable")),
        (tf.roll(x, [2, -1], [1, 0]), np.roll(np.roll(x, 2, axis=1), -1, axis=0)),
        (tf.repeat([[1, 2], [3, 4]], 2, axis=1), np.repeat([[1, 2], [3, 4]], 2, axis=1)),
        (tf.repeat([[1, 2], [3, 4]], 3), np.repeat([[1, 2], [3, 4]], 3)),
        (tf.bincount([1, 1, 4, 0]), np.bincount([1, 1, 4, 0])),
        (tf.bincount([1, 1, 4], weights=[0.5, 1.0, 2.0], dtype=tf.float32, minlength=7),
         np.bincount([1, 1, 4], weights=[0.5, 1.0, 2.0], minlength=7)),
        (tf.matrix_band_part(x, 1, 2), np.triu(np.tril(x, 2), -1)),
        (tf.matrix_band_part(x, -1, 0), np.tril(x)),
        (tf.cross(a, b), np.cross(a, b)),
        (tf.einsum("ij,jk->ik", x.T, x), x.T @ x),
        (tf.einsum("bi,bi->b", a, b), np.einsum("bi,bi->b", a, b)),
        (tf.einsum("ij->ji", x), x.T),
    ]  # fmt: skip
    got = _run([c[0] for c in cases])
    for i, (value, (_, want)) in enumerate(zip(got, cases)):
        np.testing.assert_allclose(value, want, rtol=1e-6, err_msg=str(i))
    xx, yy = _run(tf.meshgrid([1, 2, 3], [4, 5]))
    wx, wy = np.meshgrid([1, 2, 3], [4, 5])
    np.testing.assert_array_equal(xx, wx)
    np.testing.assert_array_equal(yy, wy)
    ii, jj = _run(tf.meshgrid([1, 2, 3], [4, 5], indexing="ij"))
    np.testing.assert_array_equal(ii, np.meshgrid([1, 2, 3], [4, 5], indexing="ij")[0])


@pytest.mark.parametrize(
    "build,shapes",
    [
        (lambda a, b: tf.einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)]),
        (lambda a, b: tf.einsum("bij,bjk->bik", a, b), [(2, 2, 3), (2, 3, 2)]),
        (lambda a, b: tf.einsum("i,j->ij", a, b), [(3,), (2,)]),
        (lambda a: tf.roll(a, 2, 1), [(2, 4)]),
        (lambda a: tf.sort(a), [(2, 4)]),
        (lambda a: tf.repeat(a, 2, axis=0), [(2, 3)]),
        (lambda a, b: tf.cross(a, b), [(2, 3), (2, 3)]),
        (lambda a: tf.matrix_band_part(a, 0, 1), [(3, 3)]),
    ],
)
def test_gradients(build, shapes):
    inputs = [RNG.normal(size=s) for s in shapes]
    numeric, symbolic = numeric_and_symbolic(build, inputs)
    for n, s in zip(numeric, symbolic):
        np.testing.assert_allclose(s, n, rtol=1e-5, atol=1e-6)


def test_einsum_bad_equations():
    with pytest.raises(ValueError, match="does not fit"):
        tf.einsum("ij,jk->ik", np.ones((2, 2)))
    with pytest.raises(ValueError, match="rank"):
        tf.einsum("ijk->k", np.ones((2, 2)))
